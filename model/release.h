/*
 * A Release (slipway.dev/v1alpha1) as the controller reads it: the JSON from
 * the API server parsed into C structs, defaults applied, validated.
 *
 * Only what the controller decides on is typed; the pod template stays JSON
 * (it is copied into ReplicaSets, never interpreted beyond a few checks).
 * Unknown fields are ignored (the CRD's structural schema prunes them), except
 * where a key selects a variant (strategy, step, trafficRouting): there an
 * unknown key is an error, since silently ignoring it would run a different
 * rollout than the user wrote.
 *
 * Defaults (as Deployment and Argo Rollouts): replicas 1, minReadySeconds 0,
 * revisionHistoryLimit 10, progressDeadlineSeconds 600, paused false; no
 * spec.strategy at all means rolling; rolling maxSurge 25% and
 * maxUnavailable 25% (canary too); canary scaleDownDelaySeconds 30,
 * abortScaleDownDelaySeconds 30, dynamicStableScale false,
 * minPodsPerReplicaSet 1, nginx annotationPrefix nginx.ingress.kubernetes.io,
 * setMirrorRoute percentage 100; blueGreen autoPromotionEnabled true,
 * scaleDownDelaySeconds 30 and abortScaleDownDelaySeconds 30.
 */
#ifndef SLIPWAY_MODEL_RELEASE_H
#define SLIPWAY_MODEL_RELEASE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "model/api.h"
#include "model/errors.h"
#include "model/gate.h"
#include "model/intorstr.h"
#include "model/labels.h"
#include "model/revision.h"

/* Limits on lists a user writes; more is an error, not an allocation. */
#define REL_STEPS_MAX              100
#define REL_ANALYSIS_TEMPLATES_MAX 16
#define REL_ANALYSIS_ARGS_MAX      32
#define REL_CONTAINERS_MAX         64
/* metadata.name: 253 minus "-" and the revision, so ReplicaSet names fit. */
#define REL_NAME_MAX (MODEL_NAME_MAX - 1 - MODEL_REVISION_LEN)

#define REL_DEFAULT_REPLICAS                  1
#define REL_DEFAULT_REVISION_HISTORY_LIMIT    10
#define REL_DEFAULT_PROGRESS_DEADLINE_SECONDS 600
#define REL_DEFAULT_SCALE_DOWN_DELAY_SECONDS  30
#define REL_DEFAULT_MIN_PODS_PER_REPLICA_SET  1
/* ingress-nginx's default --annotations-prefix. */
#define REL_DEFAULT_NGINX_ANNOTATION_PREFIX "nginx.ingress.kubernetes.io"
#define REL_HTTP_ROUTES_MAX                 16
/* Distinct setHeaderRoute names in one rollout, and setMirrorRoute names:
 * the routes that can be in effect at once. */
#define REL_ROUTE_NAMES_MAX 16
#define REL_ROUTE_MATCHES_MAX                                                                      \
	16                      /* match[] of a header or mirror route; headers of a mirror match */
#define REL_HEADER_NAME_MAX 256 /* Gateway API HTTPHeaderName */
#define REL_MATCH_VALUE_MAX 4096 /* Gateway API header value */

enum rel_strategy_kind {
	REL_STRATEGY_ROLLING = 1,
	REL_STRATEGY_CANARY,
	REL_STRATEGY_BLUE_GREEN,
};

struct rel_rolling {
	struct model_intorstr max_surge;       /* any percentage, or a count */
	struct model_intorstr max_unavailable; /* at most 100%; not both 0 with max_surge */
};

/* analysis: {templates: [{templateName, clusterScope}], args: [{name, value |
 * valueFrom: {podTemplateHashValue: Stable | Latest}}]} */
struct rel_analysis_template {
	char *template_name;
	bool cluster_scope; /* a ClusterAnalysisTemplate rather than an AnalysisTemplate */
};

/* Where a step's argument gets its value (model/analysis-args.h resolves
 * the revisions). */
enum rel_arg_from {
	REL_ARG_VALUE = 0,   /* value ("" when not given) */
	REL_ARG_STABLE_HASH, /* valueFrom.podTemplateHashValue: Stable */
	REL_ARG_LATEST_HASH, /* valueFrom.podTemplateHashValue: Latest */
};

struct rel_analysis_arg {
	char *name;
	char *value; /* "" when not given or when from a revision */
	enum rel_arg_from from;
};

struct rel_analysis {
	size_t n_templates; /* >= 1 */
	struct rel_analysis_template *templates;
	size_t n_args;
	struct rel_analysis_arg *args;
};

enum rel_step_kind {
	REL_STEP_SET_WEIGHT = 1, /* setWeight: N */
	REL_STEP_PAUSE,          /* pause: {duration?} */
	REL_STEP_ANALYSIS, /* analysis: {...}: an AnalysisRun (reconcilers/release-analysis.h) */
	REL_STEP_APPROVAL, /* approval: {name, rules, timeout?, onTimeout?}, model/gate.h */
	REL_STEP_SET_CANARY_SCALE, /* setCanaryScale: {replicas | weight | matchTrafficWeight} */
	REL_STEP_SET_HEADER_ROUTE, /* setHeaderRoute: {name, match[]} */
	REL_STEP_SET_MIRROR_ROUTE, /* setMirrorRoute: {name, percentage?, match?} */
};
#define REL_STEP_LAST REL_STEP_SET_MIRROR_ROUTE

/* setCanaryScale: exactly one of the three (as Argo Rollouts). */
enum rel_canary_scale_kind {
	REL_CANARY_SCALE_REPLICAS = 1,  /* a pod count */
	REL_CANARY_SCALE_WEIGHT,        /* a percentage of spec.replicas, 0..100 */
	REL_CANARY_SCALE_MATCH_TRAFFIC, /* back to "pods follow the traffic weight" */
};

struct rel_canary_scale {
	enum rel_canary_scale_kind kind;
	int32_t replicas; /* REPLICAS: >= 0 */
	int32_t weight;   /* WEIGHT: 0..100 */
};

/* A string match as Argo Rollouts writes it: exactly one of exact, prefix,
 * regex (the regex is passed to the data plane as is: its dialect is the
 * gateway's). */
enum rel_match_kind {
	REL_MATCH_EXACT = 1,
	REL_MATCH_PREFIX,
	REL_MATCH_REGEX,
};

struct rel_string_match {
	enum rel_match_kind kind;
	char *value; /* non-empty */
};

/* {headerName, headerValue}: a request header and how its value matches. */
struct rel_header_match {
	char *header_name; /* an HTTP header name (token characters), <= 256 */
	struct rel_string_match value;
};

/* setHeaderRoute: requests whose headers all match go to the canary only.
 * No match removes the route of that name. */
struct rel_header_route {
	char *name;     /* a DNS-1035 label */
	size_t n_match; /* 0 = remove the route */
	struct rel_header_match *match;
};

/* One setMirrorRoute match, Argo Rollouts' RouteMatch: every given part must
 * match. method is exact only (Gateway API matches methods exactly). */
struct rel_mirror_match {
	bool has_method;
	struct rel_string_match method; /* exact, an HTTP method in upper case */
	bool has_path;
	struct rel_string_match path; /* starts with "/" unless regex */
	size_t n_headers;             /* from the headers map, in its order */
	struct rel_header_match *headers;
};

/* setMirrorRoute: a copy of `percentage` % of the matching requests goes to
 * the canary (responses discarded). With neither match nor percentage the
 * step removes the route of that name (as Argo Rollouts); with a percentage
 * and no match it mirrors that share of every request of the managed rules.
 * Gateway API only. */
struct rel_mirror_route {
	char *name;         /* a DNS-1035 label */
	bool remove;        /* neither match nor percentage given */
	int32_t percentage; /* 0..100, default 100 */
	size_t n_match;     /* 0 = every request */
	struct rel_mirror_match *match;
};

struct rel_step {
	enum rel_step_kind kind;
	int32_t set_weight;           /* SET_WEIGHT: percent of traffic, 0..100 */
	bool pause_has_duration;      /* PAUSE: false = wait until promoted */
	int64_t pause_duration_ns;    /* PAUSE: >= 0; an integer or a digit string is seconds */
	struct rel_analysis analysis; /* ANALYSIS */
	struct model_gate approval;   /* APPROVAL: the gate */
	struct rel_canary_scale canary_scale; /* SET_CANARY_SCALE */
	struct rel_header_route header_route; /* SET_HEADER_ROUTE */
	struct rel_mirror_route mirror_route; /* SET_MIRROR_ROUTE */
};

enum rel_traffic_kind {
	REL_TRAFFIC_NONE = 0,    /* weights by replica ratio */
	REL_TRAFFIC_GATEWAY_API, /* trafficRouting.gatewayAPI.httpRoutes */
	REL_TRAFFIC_NGINX,       /* trafficRouting.nginx */
};

/* trafficRouting.gatewayAPI.httpRoutes[]: an HTTPRoute in the Release's
 * namespace, and optionally the name of one of its rules. Without a rule,
 * every rule that has both stableService and canaryService as backends. */
struct rel_http_route_ref {
	char *name; /* DNS-1123 subdomain */
	char *rule; /* NULL = every rule with both backends */
};

/* trafficRouting.nginx: the controller owns an Ingress
 * "<release>-<stableIngress>-canary" derived from the stable one. */
struct rel_nginx {
	char *stable_ingress;    /* DNS-1123 subdomain */
	char *annotation_prefix; /* never NULL once parsed: REL_DEFAULT_NGINX_ANNOTATION_PREFIX */
};

/*
 * spec.strategy.canary. One traffic router at most: Argo Rollouts accepts
 * several at once, but two routers splitting the same requests would each
 * apply the weight to what the other let through; a user who needs both
 * runs two Releases. Traffic routing requires stableService and
 * canaryService, which differ (each router sends to both).
 *
 * Header routes work with gatewayAPI (a rule with the header match that sends
 * to the canary only) and with nginx through the canary Ingress's
 * canary-by-header annotations, which can express one header matched exactly
 * (canary-by-header-value) or by regex (canary-by-header-pattern), on one
 * canary Ingress: so under nginx a setHeaderRoute has exactly one match, not
 * by prefix, and every setHeaderRoute uses the same name. Mirroring needs
 * gatewayAPI (a RequestMirror filter; ingress-nginx has no canary mirror).
 * A route name belongs to header routes or to mirror routes, not both.
 */
struct rel_canary {
	char *stable_service; /* NULL when not given; required with traffic routing */
	char *canary_service; /* NULL when not given; required with traffic routing */
	/* maxSurge / maxUnavailable: the pace of pod changes, parsed and
	 * defaulted exactly as spec.strategy.rolling's. */
	struct rel_rolling pace;
	int32_t scale_down_delay_seconds;       /* traffic-routed only; default 30 */
	int32_t abort_scale_down_delay_seconds; /* default 30; 0 = never scale down */
	bool dynamic_stable_scale;              /* traffic-routed only */
	int32_t min_pods_per_replica_set;       /* >= 1, default 1 */
	enum rel_traffic_kind traffic;
	size_t n_http_routes; /* GATEWAY_API: >= 1 */
	struct rel_http_route_ref *http_routes;
	struct rel_nginx nginx; /* NGINX, else zeroed */
	size_t n_steps;         /* 0 = go straight to the new revision */
	struct rel_step *steps;
	/* analysis: background analysis, one AnalysisRun alongside the steps
	 * from steps[analysis_starting_step] on (startingStep, 0..n_steps,
	 * default 0) until the rollout completes or aborts. */
	bool has_analysis;
	struct rel_analysis analysis;
	int32_t analysis_starting_step;
};

/*
 * spec.strategy.blueGreen (docs/internals/bluegreen.md). previewReplicaCount
 * defaults to spec.replicas (has_preview_replica_count false) and is used
 * as min(it, replicas); autoPromotionSeconds counts from the moment the
 * preview is ready; scaleDownDelayRevisionLimit absent means no limit.
 * activeMetadata / previewMetadata labels go on the pods of the revision
 * the Service selects; they may not use a key of spec.selector or
 * slipway.dev/revision (the ReplicaSets select on those).
 */
struct rel_blue_green {
	char *active_service;  /* required */
	char *preview_service; /* NULL when not given; differs from active */
	bool has_preview_replica_count;
	int32_t preview_replica_count;    /* >= 0 */
	bool auto_promotion_enabled;      /* default true */
	int32_t auto_promotion_seconds;   /* 0 = at once; only with auto_promotion_enabled */
	int32_t scale_down_delay_seconds; /* default 30 */
	bool has_scale_down_delay_revision_limit;
	int32_t scale_down_delay_revision_limit; /* >= 0 */
	int32_t abort_scale_down_delay_seconds;  /* default 30; 0 = never scale down */
	bool has_pre_promotion_analysis;
	struct rel_analysis pre_promotion_analysis;
	bool has_post_promotion_analysis;
	struct rel_analysis post_promotion_analysis;
	struct model_labels active_labels;  /* activeMetadata.labels, may be empty */
	struct model_labels preview_labels; /* previewMetadata.labels, may be empty */
};

/* blueGreen: the stages of a rollout, as status.currentStepIndex records
 * them for status.currentRevision (reconcilers/bluegreen.h says what each
 * one does). A Promote intent names the stage it was sent at. */
enum rel_bg_stage {
	REL_BG_STAGE_PREVIEW = 0,
	REL_BG_STAGE_PRE_PROMOTION,
	REL_BG_STAGE_PAUSE,
	REL_BG_STAGE_SCALE_UP,
	REL_BG_STAGE_POST_PROMOTION,
	REL_BG_STAGE_DONE,
};

/* "Preview", "PrePromotionAnalysis", "Pause", "ScaleUp",
 * "PostPromotionAnalysis", "Done"; "unknown" for anything else. */
const char *rel_bg_stage_name(int32_t stage);

struct rel_release {
	char *name;      /* metadata.name, required */
	char *namespace; /* metadata.namespace, NULL when absent */
	char *uid;       /* metadata.uid, NULL when absent */
	int64_t generation;

	int32_t replicas;
	struct model_labels selector; /* spec.selector.matchLabels, non-empty */
	/* spec.template: a reference owned by this struct (json_incref of the
	 * parsed object's member; released by rel_release_free). Shared with the
	 * input, so neither side may modify it. */
	json_t *template;
	char revision[MODEL_REVISION_LEN + 1]; /* model_revision_hash(template) */
	int32_t min_ready_seconds;
	int32_t revision_history_limit;
	int32_t progress_deadline_seconds; /* > min_ready_seconds */
	bool paused;
	/* spec.restartAt: pods created before it are to be replaced (the
	 * controller evicts them; see reconcilers/restart.h). 0 = not set. */
	time_t restart_at;

	enum rel_strategy_kind strategy; /* exactly one of the three below is set */
	struct rel_rolling rolling;
	struct rel_canary canary;
	struct rel_blue_green blue_green;
};

/* Parses and validates a Release object. Returns 0 and sets *ret (caller
 * frees with rel_release_free); -EINVAL when the object is invalid, with
 * every problem added to errs as "field.path: message" (ret untouched; for
 * status on an invalid Release read metadata.generation from the JSON);
 * -ENOMEM. errs may be NULL when only the verdict matters; errors already in
 * errs are kept and do not count against this object. `obj` is only read;
 * the result keeps a reference to its spec.template. */
int rel_release_parse(const json_t *obj, struct rel_release **ret, struct model_errors *errs);

/* Frees r; accepts NULL; returns NULL. */
struct rel_release *rel_release_free(struct rel_release *r);

/* "rolling", "canary", "blueGreen" (the spec key), or "unknown". */
const char *rel_strategy_name(enum rel_strategy_kind kind);

/* The step's key ("setWeight", "pause", "analysis", "approval",
 * "setCanaryScale", "setHeaderRoute", "setMirrorRoute"), or "unknown". */
const char *rel_step_name(enum rel_step_kind kind);

/* The images of a pod template's containers (not initContainers), in order,
 * as a new JSON array of strings (for status.history[].images). A container
 * without an image is skipped. Caller owns the array; NULL on ENOMEM. */
json_t *rel_template_images(const json_t *template);

#endif
