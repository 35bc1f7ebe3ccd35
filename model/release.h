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
 * maxUnavailable 25%; blueGreen autoPromotionEnabled true and
 * scaleDownDelaySeconds 30.
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

enum rel_strategy_kind {
	REL_STRATEGY_ROLLING = 1,
	REL_STRATEGY_CANARY,
	REL_STRATEGY_BLUE_GREEN,
};

struct rel_rolling {
	struct model_intorstr max_surge;       /* any percentage, or a count */
	struct model_intorstr max_unavailable; /* at most 100%; not both 0 with max_surge */
};

/* analysis: {templates: [{templateName, clusterScope}], args: [{name, value}]} */
struct rel_analysis_template {
	char *template_name;
	bool cluster_scope; /* a ClusterAnalysisTemplate rather than an AnalysisTemplate */
};

struct rel_analysis_arg {
	char *name;
	char *value; /* "" when not given */
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
	REL_STEP_ANALYSIS,       /* analysis: {...} */
	REL_STEP_APPROVAL,       /* approval: {policy?} */
};

struct rel_step {
	enum rel_step_kind kind;
	int32_t set_weight;           /* SET_WEIGHT: percent of traffic, 0..100 */
	bool pause_has_duration;      /* PAUSE: false = wait until promoted */
	int64_t pause_duration_ns;    /* PAUSE: >= 0; an integer or a digit string is seconds */
	struct rel_analysis analysis; /* ANALYSIS */
	char *approval_policy;        /* APPROVAL: a ReleasePolicy name, NULL = none named */
};

enum rel_traffic_kind {
	REL_TRAFFIC_NONE = 0,    /* weights by replica ratio */
	REL_TRAFFIC_GATEWAY_API, /* trafficRouting.gatewayAPI.httpRoute */
	REL_TRAFFIC_NGINX,       /* trafficRouting.nginx.stableIngress */
};

struct rel_canary {
	char *stable_service; /* NULL when not given; required with traffic routing */
	char *canary_service; /* NULL when not given; required with traffic routing */
	enum rel_traffic_kind traffic;
	char *http_route;     /* GATEWAY_API, else NULL */
	char *stable_ingress; /* NGINX, else NULL */
	size_t n_steps;       /* 0 = go straight to the new revision */
	struct rel_step *steps;
};

struct rel_blue_green {
	char *active_service;  /* required */
	char *preview_service; /* NULL when not given; differs from active */
	bool auto_promotion_enabled;
	int32_t scale_down_delay_seconds;
	bool has_pre_promotion_analysis;
	struct rel_analysis pre_promotion_analysis;
};

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

/* "setWeight", "pause", "analysis", "approval", or "unknown". */
const char *rel_step_name(enum rel_step_kind kind);

/* The images of a pod template's containers (not initContainers), in order,
 * as a new JSON array of strings (for status.history[].images). A container
 * without an image is skipped. Caller owns the array; NULL on ENOMEM. */
json_t *rel_template_images(const json_t *template);

#endif
