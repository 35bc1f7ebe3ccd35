#include "model/api.h"

#include <errno.h>
#include <stdio.h>

const struct model_gvk model_release_gvk = {.group = MODEL_GROUP,
                                            .version = MODEL_VERSION,
                                            .resource = "releases",
                                            .kind = "Release",
                                            .namespaced = true};
const struct model_gvk model_replicaset_gvk = {.group = "apps",
                                               .version = "v1",
                                               .resource = "replicasets",
                                               .kind = "ReplicaSet",
                                               .namespaced = true};
const struct model_gvk model_pod_gvk = {
    .group = "", .version = "v1", .resource = "pods", .kind = "Pod", .namespaced = true};
const struct model_gvk model_lease_gvk = {.group = "coordination.k8s.io",
                                          .version = "v1",
                                          .resource = "leases",
                                          .kind = "Lease",
                                          .namespaced = true};
const struct model_gvk model_eviction_gvk = {
    .group = "policy", .version = "v1", .resource = "eviction", .kind = "Eviction"};
const struct model_gvk model_service_gvk = {
    .group = "", .version = "v1", .resource = "services", .kind = "Service", .namespaced = true};
const struct model_gvk model_httproute_gvk = {.group = "gateway.networking.k8s.io",
                                              .version = "v1",
                                              .resource = "httproutes",
                                              .kind = "HTTPRoute",
                                              .namespaced = true};
const struct model_gvk model_ingress_gvk = {.group = "networking.k8s.io",
                                            .version = "v1",
                                            .resource = "ingresses",
                                            .kind = "Ingress",
                                            .namespaced = true};

const struct model_gvk model_analysis_template_gvk = {.group = MODEL_GROUP,
                                                      .version = MODEL_VERSION,
                                                      .resource = "analysistemplates",
                                                      .kind = MODEL_KIND_ANALYSIS_TEMPLATE,
                                                      .namespaced = true};
const struct model_gvk model_cluster_analysis_template_gvk = {
    .group = MODEL_GROUP,
    .version = MODEL_VERSION,
    .resource = "clusteranalysistemplates",
    .kind = MODEL_KIND_CLUSTER_ANALYSIS_TEMPLATE,
    .namespaced = false};
const struct model_gvk model_analysis_run_gvk = {.group = MODEL_GROUP,
                                                 .version = MODEL_VERSION,
                                                 .resource = "analysisruns",
                                                 .kind = MODEL_KIND_ANALYSIS_RUN,
                                                 .namespaced = true};
const struct model_gvk model_job_gvk = {
    .group = "batch", .version = "v1", .resource = "jobs", .kind = "Job", .namespaced = true};
const struct model_gvk model_secret_gvk = {
    .group = "", .version = "v1", .resource = "secrets", .kind = "Secret", .namespaced = true};

int model_child_name(const char *release, const char *revision, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s-%s", release, revision);
	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	return n;
}

const struct model_gvk model_approval_gvk = {.group = MODEL_GROUP,
                                             .version = MODEL_VERSION,
                                             .resource = "approvals",
                                             .kind = MODEL_KIND_APPROVAL,
                                             .namespaced = true};

const struct model_gvk model_vap_gvk = {.group = "admissionregistration.k8s.io",
                                        .version = "v1",
                                        .resource = "validatingadmissionpolicies",
                                        .kind = "ValidatingAdmissionPolicy",
                                        .namespaced = false};

const struct model_gvk model_vap_binding_gvk = {.group = "admissionregistration.k8s.io",
                                                .version = "v1",
                                                .resource = "validatingadmissionpolicybindings",
                                                .kind = "ValidatingAdmissionPolicyBinding",
                                                .namespaced = false};
