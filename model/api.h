/*
 * The one table of the API's names: group/version/resource/kind of every
 * kind the product reads or writes, and the label and annotation keys it
 * puts on objects. model, reconcilers, controller and cli all spell them
 * through this header, so a name is written once.
 *
 * struct model_gvk carries the four strings a request or an action needs;
 * the MODEL_* macros are for places that need a constant expression
 * (string concatenation, static initialisers).
 */
#ifndef SLIPWAY_MODEL_API_H
#define SLIPWAY_MODEL_API_H

#include <stdbool.h>
#include <stddef.h>

/* Our API group and version. */
#define MODEL_GROUP       "slipway.dev"
#define MODEL_VERSION     "v1alpha1"
#define MODEL_API_VERSION MODEL_GROUP "/" MODEL_VERSION

/* Label and annotation keys on objects the controller owns. */
#define MODEL_LABEL_REVISION        MODEL_GROUP "/revision"
#define MODEL_ANNOTATION_DESIRED    MODEL_GROUP "/desired-replicas"
#define MODEL_ANNOTATION_MAX        MODEL_GROUP "/max-replicas"
#define MODEL_ANNOTATION_GENERATION MODEL_GROUP "/generation"
/* On a ReplicaSet a traffic-routed canary no longer routes to: when (RFC
 * 3339) it may scale down (scaleDownDelaySeconds after the switch). */
#define MODEL_ANNOTATION_SCALE_DOWN_DEADLINE MODEL_GROUP "/scale-down-deadline"
/* On objects the controller owns whole (a canary Ingress): who manages it. */
#define MODEL_LABEL_MANAGED_BY       "app.kubernetes.io/managed-by"
#define MODEL_LABEL_MANAGED_BY_VALUE "slipway"
/* Prefix of the HTTPRoute rules the controller adds (header and mirror
 * routes): "slipway.<release>.<route>" (reconcilers/traffic.c). */
#define MODEL_ROUTE_RULE_PREFIX "slipway."
/* On a Job an AnalysisRun creates for a job metric: the run's uid (a
 * label: a run's name may be longer than a label value), and the run's and
 * the metric's names (annotations). The Job informer selects on
 * MODEL_LABEL_MANAGED_BY. */
#define MODEL_LABEL_ANALYSIS_RUN_UID     MODEL_GROUP "/analysis-run-uid"
#define MODEL_ANNOTATION_ANALYSIS_RUN    MODEL_GROUP "/analysis-run"
#define MODEL_ANNOTATION_ANALYSIS_METRIC MODEL_GROUP "/metric"
/* Every Event's reportingController. */
#define MODEL_REPORTING_CONTROLLER MODEL_GROUP "/controller"
/* On the leader-election Lease: the version of the controller holding it. */
#define MODEL_ANNOTATION_CONTROLLER_VERSION MODEL_GROUP "/controller-version"

/* On the AnalysisRuns a Release creates: the Release's name, and what the
 * run is for (a step's index, "background", or a strategy's own word). The
 * revision is MODEL_LABEL_REVISION. */
#define MODEL_LABEL_RELEASE  MODEL_GROUP "/release"
#define MODEL_LABEL_ANALYSIS MODEL_GROUP "/analysis"

/* valueFrom.podTemplateHashValue of an analysis argument: which revision. */
#define MODEL_POD_TEMPLATE_HASH_STABLE "Stable"
#define MODEL_POD_TEMPLATE_HASH_LATEST "Latest"

/* Longest object name the API accepts (a DNS-1123 subdomain); a buffer of
 * MODEL_NAME_MAX + 1 holds any name with its NUL. */
#define MODEL_NAME_MAX 253

/* One kind: what a REST path and an ownerReference need. */
struct model_gvk {
	const char *group;    /* "" for the core group */
	const char *version;  /* "v1" */
	const char *resource; /* plural, lower case: "replicasets" */
	const char *kind;     /* "ReplicaSet" */
	bool namespaced;
};

extern const struct model_gvk model_release_gvk;
extern const struct model_gvk model_replicaset_gvk;
extern const struct model_gvk model_pod_gvk;
extern const struct model_gvk model_lease_gvk;
/* The body of a POST to a pod's "eviction" subresource (resource names the
 * subresource; the pod itself is model_pod_gvk). */
extern const struct model_gvk model_eviction_gvk;
/* The objects that route a canary's traffic. */
extern const struct model_gvk model_service_gvk;
extern const struct model_gvk model_httproute_gvk; /* gateway.networking.k8s.io/v1 */
extern const struct model_gvk model_ingress_gvk;   /* networking.k8s.io/v1 */
/* Metric analysis (model/analysis.h): reusable checks and their runs. */
#define MODEL_KIND_ANALYSIS_TEMPLATE         "AnalysisTemplate"
#define MODEL_KIND_CLUSTER_ANALYSIS_TEMPLATE "ClusterAnalysisTemplate"
#define MODEL_KIND_ANALYSIS_RUN              "AnalysisRun"
extern const struct model_gvk model_analysis_template_gvk;
extern const struct model_gvk model_cluster_analysis_template_gvk; /* cluster-scoped */
extern const struct model_gvk model_analysis_run_gvk;
/* The Jobs of job metrics, the Secrets of secretKeyRef arguments. */
extern const struct model_gvk model_job_gvk; /* batch/v1 */
extern const struct model_gvk model_secret_gvk;
/* Governance: people's sign-offs on gates (model/gate.h), and the admission
 * policy (admissionregistration.k8s.io/v1, cluster-scoped) that vouches for
 * their identity, with its bindings. */
#define MODEL_KIND_APPROVAL            "Approval"
#define MODEL_APPROVAL_IDENTITY_POLICY "slipway-approval-identity"
extern const struct model_gvk model_approval_gvk;
extern const struct model_gvk model_vap_gvk;         /* ValidatingAdmissionPolicy */
extern const struct model_gvk model_vap_binding_gvk; /* ValidatingAdmissionPolicyBinding */

/* The name of a Release's child for one revision: "<release>-<revision>"
 * (ReplicaSets today; canary Ingresses, AnalysisRuns later), written into
 * buf with its NUL. Returns the length, or -ENAMETOOLONG when it does not fit
 * (buf then holds nothing usable). */
int model_child_name(const char *release, const char *revision, char *buf, size_t len);

#endif
