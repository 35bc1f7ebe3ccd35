#include "tap.h"

#include <errno.h>
#include <jansson.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "model/release.h"

/* The smallest valid Release; rows below change one thing at a time. */
static const char base_release[] =
    "{\"apiVersion\":\"slipway.dev/v1alpha1\",\"kind\":\"Release\","
    "\"metadata\":{\"name\":\"web\",\"namespace\":\"shop\",\"uid\":\"u-1\",\"generation\":3},"
    "\"spec\":{\"selector\":{\"matchLabels\":{\"app\":\"web\"}},"
    "\"template\":{\"metadata\":{\"labels\":{\"app\":\"web\"}},"
    "\"spec\":{\"containers\":[{\"name\":\"web\",\"image\":\"nginx:1.25\"}]}}}}";

/* A change: set the member at a dotted path (numeric segments index arrays)
 * to a JSON value, or delete it when value is NULL. */
struct patch {
	const char *path;
	const char *value;
};

#define DEL NULL

static const struct {
	const char *why;
	struct patch p[4];
	const char *errors; /* NULL = valid; else every message, joined with "; " */
} rows[] = {
    {"minimal release is valid", {{0}}, NULL},
    {"explicit rolling is valid",
     {{"spec.strategy", "{\"rolling\":{\"maxSurge\":1,\"maxUnavailable\":\"10%\"}}"}},
     NULL},
    {"canary with every step kind is valid",
     {{"spec.strategy", "{\"canary\":{\"stableService\":\"web\",\"canaryService\":\"web-canary\","
                        "\"trafficRouting\":{\"gatewayAPI\":{\"httpRoute\":\"web\"}},\"steps\":["
                        "{\"setWeight\":10},{\"pause\":{\"duration\":\"5m\"}},{\"pause\":{}},"
                        "{\"analysis\":{\"templates\":[{\"templateName\":\"error-rate\"},"
                        "{\"templateName\":\"latency\",\"clusterScope\":true}],"
                        "\"args\":[{\"name\":\"service\",\"value\":\"web\"}]}},"
                        "{\"approval\":{\"policy\":\"prod\"}},{\"setWeight\":100}]}}"}},
     NULL},
    {"canary with nginx and no steps is valid",
     {{"spec.strategy", "{\"canary\":{\"stableService\":\"web\",\"canaryService\":\"web-c\","
                        "\"trafficRouting\":{\"nginx\":{\"stableIngress\":\"web\"}}}}"}},
     NULL},
    {"canary by replica ratio needs no services",
     {{"spec.strategy",
       "{\"canary\":{\"steps\":[{\"setWeight\":50},{\"pause\":{\"duration\":30}}]}}"}},
     NULL},
    {"blueGreen is valid",
     {{"spec.strategy", "{\"blueGreen\":{\"activeService\":\"web\",\"previewService\":"
                        "\"web-preview\",\"autoPromotionEnabled\":false,"
                        "\"scaleDownDelaySeconds\":30,\"prePromotionAnalysis\":{\"templates\":"
                        "[{\"templateName\":\"smoke\"}]}}}"}},
     NULL},
    {"replicas 0 is valid", {{"spec.replicas", "0"}}, NULL},
    {"maxSurge above 100% is valid (as Deployment)",
     {{"spec.strategy", "{\"rolling\":{\"maxSurge\":\"200%\"}}"}},
     NULL},
    {"maxUnavailable 0 with surge is valid",
     {{"spec.strategy", "{\"rolling\":{\"maxUnavailable\":0}}"}},
     NULL},

    /* metadata and top-level fields */
    {"name is required", {{"metadata.name", DEL}}, "metadata.name: required"},
    {"spec is required", {{"spec", DEL}}, "spec: required"},
    {"name leaves room for the revision",
     {{"metadata.name",
       "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
       "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
       "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\""}},
     "metadata.name: must be at most 242 characters, so that ReplicaSet names (name-revision) "
     "stay within 253"},
    {"a name of 242 is fine",
     {{"metadata.name",
       "\"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
       "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
       "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\""}},
     NULL},
    {"bad template label value",
     {{"spec.template.metadata.labels.tier", "\"front end\""}},
     "spec.template.metadata.labels: tier: invalid label value"},
    {"bad template label key",
     {{"spec.template.metadata.labels.-tier", "\"fe\""}},
     "spec.template.metadata.labels: invalid label key \"-tier\""},
    {"replicas must be an integer",
     {{"spec.replicas", "\"3\""}},
     "spec.replicas: must be an integer"},
    {"replicas must not be negative",
     {{"spec.replicas", "-1"}},
     "spec.replicas: must not be negative"},
    {"replicas must fit int32",
     {{"spec.replicas", "2147483648"}},
     "spec.replicas: must be at most 2147483647"},
    {"minReadySeconds must not be negative",
     {{"spec.minReadySeconds", "-5"}},
     "spec.minReadySeconds: must not be negative"},
    {"revisionHistoryLimit must be an integer",
     {{"spec.revisionHistoryLimit", "1.5"}},
     "spec.revisionHistoryLimit: must be an integer"},
    {"progressDeadlineSeconds must be positive",
     {{"spec.progressDeadlineSeconds", "0"}},
     "spec.progressDeadlineSeconds: must be at least 1"},
    {"progressDeadlineSeconds must exceed minReadySeconds",
     {{"spec.minReadySeconds", "600"}},
     "spec.progressDeadlineSeconds: must be greater than minReadySeconds"},
    {"paused must be a boolean", {{"spec.paused", "\"yes\""}}, "spec.paused: must be a boolean"},
    {"restartAt must be a time",
     {{"spec.restartAt", "\"tomorrow\""}},
     "spec.restartAt: must be an RFC 3339 time such as \"2026-12-02T18:30:00Z\""},
    {"restartAt must be a string",
     {{"spec.restartAt", "1795695600"}},
     "spec.restartAt: must be an RFC 3339 time such as \"2026-12-02T18:30:00Z\""},
    {"restartAt an RFC 3339 time", {{"spec.restartAt", "\"2026-11-26T12:20:00Z\""}}, NULL},

    /* selector and template */
    {"selector is required", {{"spec.selector", DEL}}, "spec.selector: required"},
    {"empty matchLabels",
     {{"spec.selector.matchLabels", "{}"}},
     "spec.selector.matchLabels: must have at least one label"},
    {"matchExpressions unsupported",
     {{"spec.selector.matchExpressions", "[{\"key\":\"app\",\"operator\":\"Exists\"}]"}},
     "spec.selector.matchExpressions: not supported; use matchLabels"},
    {"selector must match template labels",
     {{"spec.selector.matchLabels.app", "\"api\""}},
     "spec.template.metadata.labels: must match spec.selector.matchLabels"},
    {"template without labels does not match",
     {{"spec.template.metadata", DEL}},
     "spec.template.metadata.labels: must match spec.selector.matchLabels"},
    {"bad label key",
     {{"spec.selector.matchLabels", "{\"-app\":\"web\"}"}},
     "spec.selector.matchLabels: invalid label key \"-app\""},
    {"bad label value",
     {{"spec.selector.matchLabels.app", "\"web!\""}},
     "spec.selector.matchLabels: app: invalid label value \"web!\""},
    {"revision label reserved in selector",
     {{"spec.selector.matchLabels", "{\"app\":\"web\",\"slipway.dev/revision\":\"x\"}"},
      {"spec.template.metadata.labels", "{\"app\":\"web\",\"slipway.dev/revision\":\"x\"}"}},
     "spec.selector.matchLabels: slipway.dev/revision is reserved for the controller; "
     "spec.template.metadata.labels: slipway.dev/revision is reserved for the controller"},
    {"template is required", {{"spec.template", DEL}}, "spec.template: required"},
    {"template spec is required", {{"spec.template.spec", DEL}}, "spec.template.spec: required"},
    {"containers are required",
     {{"spec.template.spec.containers", "[]"}},
     "spec.template.spec.containers: must have at least one container"},
    {"image is required (the API accepts a template without one)",
     {{"spec.template.spec.containers.0.image", DEL}},
     "spec.template.spec.containers[0].image: required"},
    {"container name is required",
     {{"spec.template.spec.containers.0.name", "\"\""}},
     "spec.template.spec.containers[0].name: required"},

    /* strategy choice */
    {"empty strategy",
     {{"spec.strategy", "{}"}},
     "spec.strategy: must have exactly one of rolling, canary, blueGreen"},
    {"two strategies",
     {{"spec.strategy", "{\"rolling\":{},\"canary\":{}}"}},
     "spec.strategy: must have exactly one of rolling, canary, blueGreen"},
    {"unknown strategy",
     {{"spec.strategy", "{\"recreate\":{}}"}},
     "spec.strategy: unknown field \"recreate\": must have exactly one of rolling, canary, "
     "blueGreen"},
    {"strategy member must be an object",
     {{"spec.strategy", "{\"rolling\":true}"}},
     "spec.strategy.rolling: must be an object"},

    /* rolling */
    {"maxSurge not a number",
     {{"spec.strategy", "{\"rolling\":{\"maxSurge\":\"abc\"}}"}},
     "spec.strategy.rolling.maxSurge: must be an integer or a percentage (e.g. \"25%\")"},
    {"maxSurge string without %",
     {{"spec.strategy", "{\"rolling\":{\"maxSurge\":\"3\"}}"}},
     "spec.strategy.rolling.maxSurge: must be an integer or a percentage (e.g. \"25%\")"},
    {"maxSurge negative",
     {{"spec.strategy", "{\"rolling\":{\"maxSurge\":-1}}"}},
     "spec.strategy.rolling.maxSurge: must not be negative"},
    {"maxUnavailable above 100%",
     {{"spec.strategy", "{\"rolling\":{\"maxUnavailable\":\"101%\"}}"}},
     "spec.strategy.rolling.maxUnavailable: must not be greater than 100%"},
    {"both zero",
     {{"spec.strategy", "{\"rolling\":{\"maxSurge\":0,\"maxUnavailable\":\"0%\"}}"}},
     "spec.strategy.rolling.maxUnavailable: may not be 0 when maxSurge is 0"},

    /* canary */
    {"setWeight above 100",
     {{"spec.strategy", "{\"canary\":{\"steps\":[{\"setWeight\":101}]}}"}},
     "spec.strategy.canary.steps[0].setWeight: must be an integer between 0 and 100"},
    {"unknown step",
     {{"spec.strategy", "{\"canary\":{\"steps\":[{\"setWeight\":1},{\"wait\":{}}]}}"}},
     "spec.strategy.canary.steps[1]: unknown step \"wait\": must be one of setWeight, pause, "
     "analysis, approval"},
    {"step with two kinds",
     {{"spec.strategy", "{\"canary\":{\"steps\":[{\"setWeight\":1,\"pause\":{}}]}}"}},
     "spec.strategy.canary.steps[0]: must have exactly one of setWeight, pause, analysis, "
     "approval"},
    {"bad pause duration",
     {{"spec.strategy", "{\"canary\":{\"steps\":[{\"pause\":{\"duration\":\"5 minutes\"}}]}}"}},
     "spec.strategy.canary.steps[0].pause.duration: must be a duration such as \"30s\", "
     "\"5m\" or \"1h\", or an integer number of seconds"},
    {"negative pause duration",
     {{"spec.strategy", "{\"canary\":{\"steps\":[{\"pause\":{\"duration\":\"-5m\"}}]}}"}},
     "spec.strategy.canary.steps[0].pause.duration: must not be negative"},
    {"pause must be an object",
     {{"spec.strategy", "{\"canary\":{\"steps\":[{\"pause\":5}]}}"}},
     "spec.strategy.canary.steps[0].pause: must be an object (pause: {} waits until "
     "promoted)"},
    {"analysis needs templates",
     {{"spec.strategy", "{\"canary\":{\"steps\":[{\"analysis\":{}}]}}"}},
     "spec.strategy.canary.steps[0].analysis.templates: required"},
    {"analysis template name required",
     {{"spec.strategy", "{\"canary\":{\"steps\":[{\"analysis\":{\"templates\":[{}]}}]}}"}},
     "spec.strategy.canary.steps[0].analysis.templates[0].templateName: required"},
    {"analysis arg needs a name",
     {{"spec.strategy", "{\"canary\":{\"steps\":[{\"analysis\":{\"templates\":[{"
                        "\"templateName\":\"t\"}],\"args\":[{\"value\":\"x\"}]}}]}}"}},
     "spec.strategy.canary.steps[0].analysis.args[0].name: required"},
    {"approval policy must be a name",
     {{"spec.strategy", "{\"canary\":{\"steps\":[{\"approval\":{\"policy\":\"Prod!\"}}]}}"}},
     "spec.strategy.canary.steps[0].approval.policy: \"Prod!\" is not a valid DNS-1123 "
     "subdomain (lowercase letters, digits, '-' and '.', at most 253)"},
    {"traffic routing needs services",
     {{"spec.strategy", "{\"canary\":{\"trafficRouting\":{\"gatewayAPI\":{\"httpRoute\":"
                        "\"web\"}}}}"}},
     "spec.strategy.canary.stableService: required when trafficRouting is set; "
     "spec.strategy.canary.canaryService: required when trafficRouting is set"},
    {"traffic routing needs exactly one provider",
     {{"spec.strategy", "{\"canary\":{\"stableService\":\"a\",\"canaryService\":\"b\","
                        "\"trafficRouting\":{}}}"}},
     "spec.strategy.canary.trafficRouting: must have exactly one of gatewayAPI, nginx"},
    {"unknown traffic provider",
     {{"spec.strategy", "{\"canary\":{\"stableService\":\"a\",\"canaryService\":\"b\","
                        "\"trafficRouting\":{\"istio\":{}}}}"}},
     "spec.strategy.canary.trafficRouting: unknown field \"istio\": must have exactly one "
     "of gatewayAPI, nginx"},
    {"gatewayAPI needs httpRoute",
     {{"spec.strategy", "{\"canary\":{\"stableService\":\"a\",\"canaryService\":\"b\","
                        "\"trafficRouting\":{\"gatewayAPI\":{}}}}"}},
     "spec.strategy.canary.trafficRouting.gatewayAPI.httpRoute: required"},
    {"same stable and canary service",
     {{"spec.strategy", "{\"canary\":{\"stableService\":\"web\",\"canaryService\":\"web\"}}"}},
     "spec.strategy.canary.canaryService: must differ from stableService"},
    {"service name must be a DNS label",
     {{"spec.strategy", "{\"canary\":{\"stableService\":\"web.svc\"}}"}},
     "spec.strategy.canary.stableService: \"web.svc\" is not a valid DNS-1035 label "
     "(lowercase letters, digits and '-', starting with a letter, at most 63)"},
    {"steps must be a list",
     {{"spec.strategy", "{\"canary\":{\"steps\":{}}}"}},
     "spec.strategy.canary.steps: must be a list"},

    /* blueGreen */
    {"activeService required",
     {{"spec.strategy", "{\"blueGreen\":{}}"}},
     "spec.strategy.blueGreen.activeService: required"},
    {"preview must differ",
     {{"spec.strategy", "{\"blueGreen\":{\"activeService\":\"w\",\"previewService\":\"w\"}}"}},
     "spec.strategy.blueGreen.previewService: must differ from activeService"},
    {"scaleDownDelaySeconds not negative",
     {{"spec.strategy", "{\"blueGreen\":{\"activeService\":\"w\",\"scaleDownDelaySeconds\":-1}}"}},
     "spec.strategy.blueGreen.scaleDownDelaySeconds: must not be negative"},
    {"autoPromotionEnabled must be a boolean",
     {{"spec.strategy", "{\"blueGreen\":{\"activeService\":\"w\",\"autoPromotionEnabled\":1}}"}},
     "spec.strategy.blueGreen.autoPromotionEnabled: must be a boolean"},

    /* several at once: every error is reported, in spec order */
    {"all errors are collected",
     {{"spec.replicas", "-2"},
      {"spec.template.spec.containers.0.image", "\"\""},
      {"spec.strategy", "{\"rolling\":{\"maxSurge\":\"abc\",\"maxUnavailable\":\"150%\"}}"},
      {"spec.paused", "1"}},
     "spec.replicas: must not be negative; spec.template.spec.containers[0].image: required; "
     "spec.paused: must be a boolean; spec.strategy.rolling.maxSurge: must be an integer or a "
     "percentage (e.g. \"25%\"); spec.strategy.rolling.maxUnavailable: must not be greater "
     "than 100%"},
};

/* Sets or deletes the member at a dotted path, creating objects on the way. */
static int apply(json_t *root, const struct patch *p)
{
	char buf[256];
	snprintf(buf, sizeof(buf), "%s", p->path);
	json_t *cur = root;
	char *seg = buf;
	for (;;) {
		char *dot = strchr(seg, '.');
		if (dot)
			*dot = '\0';
		bool index = seg[0] >= '0' && seg[0] <= '9';
		if (!dot) {
			if (!p->value)
				return index ? json_array_remove(cur, strtoul(seg, NULL, 10))
				             : json_object_del(cur, seg);
			json_error_t err;
			json_t *v = json_loads(p->value, JSON_DECODE_ANY, &err);
			if (!v)
				return -1;
			return index ? json_array_set_new(cur, strtoul(seg, NULL, 10), v)
			             : json_object_set_new(cur, seg, v);
		}
		json_t *next =
		    index ? json_array_get(cur, strtoul(seg, NULL, 10)) : json_object_get(cur, seg);
		if (!next) {
			next = json_object();
			json_object_set_new(cur, seg, next);
		}
		cur = next;
		seg = dot + 1;
	}
}

static json_t *release_with(const struct patch *p, size_t n)
{
	json_t *r = json_loads(base_release, 0, NULL);
	for (size_t i = 0; i < n && p[i].path; i++) {
		if (apply(r, &p[i]) != 0)
			tap_diag("cannot apply test patch %s", p[i].path);
	}
	return r;
}

static void check_defaults(void)
{
	json_t *j = release_with(NULL, 0);
	struct model_errors errs = {0};
	struct rel_release *r = NULL;
	is_int(rel_release_parse(j, &r, &errs), 0, "defaults: parses");
	if (!r) {
		json_decref(j);
		return;
	}
	is_str(r->name, "web", "name");
	is_str(r->namespace, "shop", "namespace");
	is_str(r->uid, "u-1", "uid");
	is_int(r->generation, 3, "generation");
	is_int(r->replicas, 1, "replicas defaults to 1");
	is_int(r->revision_history_limit, 10, "revisionHistoryLimit defaults to 10");
	is_int(r->progress_deadline_seconds, 600, "progressDeadlineSeconds defaults to 600");
	is_int(r->min_ready_seconds, 0, "minReadySeconds defaults to 0");
	ok(!r->paused, "paused defaults to false");
	is_int(r->restart_at, 0, "no restartAt: 0");
	is_int(r->strategy, REL_STRATEGY_ROLLING, "no strategy means rolling");
	ok(r->rolling.max_surge.is_percent && r->rolling.max_surge.value == 25, "maxSurge 25%%");
	ok(r->rolling.max_unavailable.is_percent && r->rolling.max_unavailable.value == 25,
	   "maxUnavailable 25%%");
	is_int(r->selector.n, 1, "one selector label");
	is_str(r->selector.items[0].key, "app", "selector key");
	ok(r->template == json_object_get(json_object_get(j, "spec"), "template"),
	   "template is the input's object (a reference)");
	is_str(r->revision, "r8kt9mf4mk", "revision of the template");
	json_decref(j);
	/* The release's reference keeps the template alive without the input. */
	is_str(json_string_value(json_object_get(
	           json_array_get(
	               json_object_get(json_object_get(r->template, "spec"), "containers"), 0),
	           "image")),
	       "nginx:1.25", "template outlives the input object");
	json_t *images = rel_template_images(r->template);
	ok(json_array_size(images) == 1 &&
	       strcmp(json_string_value(json_array_get(images, 0)), "nginx:1.25") == 0,
	   "images of the template");
	json_decref(images);
	r = rel_release_free(r);
	ok(r == NULL, "free returns NULL");
	is_int(errs.n, 0, "no errors");
}

static void check_canary(void)
{
	json_t *j = release_with(rows[2].p, 4);
	struct model_errors errs = {0};
	struct rel_release *r = NULL;
	is_int(rel_release_parse(j, &r, &errs), 0, "canary parses");
	json_decref(j);
	if (!r)
		return;
	is_int(r->strategy, REL_STRATEGY_CANARY, "strategy canary");
	is_str(rel_strategy_name(r->strategy), "canary", "strategy name");
	is_str(r->canary.stable_service, "web", "stableService");
	is_str(r->canary.canary_service, "web-canary", "canaryService");
	is_int(r->canary.traffic, REL_TRAFFIC_GATEWAY_API, "gateway API routing");
	is_str(r->canary.http_route, "web", "httpRoute");
	is_int(r->canary.n_steps, 6, "six steps");
	struct rel_step *s = r->canary.steps;
	ok(s[0].kind == REL_STEP_SET_WEIGHT && s[0].set_weight == 10, "setWeight 10");
	ok(s[1].kind == REL_STEP_PAUSE && s[1].pause_has_duration &&
	       s[1].pause_duration_ns == 300 * INT64_C(1000000000),
	   "pause 5m");
	ok(s[2].kind == REL_STEP_PAUSE && !s[2].pause_has_duration, "pause {} waits");
	ok(s[3].kind == REL_STEP_ANALYSIS && s[3].analysis.n_templates == 2 &&
	       !s[3].analysis.templates[0].cluster_scope &&
	       s[3].analysis.templates[1].cluster_scope &&
	       strcmp(s[3].analysis.templates[1].template_name, "latency") == 0,
	   "analysis templates");
	ok(s[3].analysis.n_args == 1 && strcmp(s[3].analysis.args[0].value, "web") == 0,
	   "analysis args");
	ok(s[4].kind == REL_STEP_APPROVAL && strcmp(s[4].approval_policy, "prod") == 0,
	   "approval policy");
	is_str(rel_step_name(s[4].kind), "approval", "step name");
	ok(s[5].kind == REL_STEP_SET_WEIGHT && s[5].set_weight == 100, "setWeight 100");
	rel_release_free(r);

	/* Integer and digit-string pause durations are seconds (Argo Rollouts). */
	struct patch p[] = {{"spec.strategy", "{\"canary\":{\"steps\":[{\"pause\":{\"duration\":"
	                                      "30}},{\"pause\":{\"duration\":\"45\"}},{\"pause\":{"
	                                      "\"duration\":\"1h30m\"}}]}}"}};
	j = release_with(p, 1);
	is_int(rel_release_parse(j, &r, &errs), 0, "pause forms parse");
	json_decref(j);
	if (r) {
		is_int(r->canary.steps[0].pause_duration_ns / 1000000000, 30, "30 is 30s");
		is_int(r->canary.steps[1].pause_duration_ns / 1000000000, 45, "\"45\" is 45s");
		is_int(r->canary.steps[2].pause_duration_ns / 1000000000, 5400, "1h30m");
		rel_release_free(r);
	}

	j = release_with(rows[5].p, 4);
	is_int(rel_release_parse(j, &r, &errs), 0, "blueGreen parses");
	json_decref(j);
	if (r) {
		is_int(r->strategy, REL_STRATEGY_BLUE_GREEN, "strategy blueGreen");
		is_str(r->blue_green.active_service, "web", "activeService");
		is_str(r->blue_green.preview_service, "web-preview", "previewService");
		ok(!r->blue_green.auto_promotion_enabled, "autoPromotionEnabled false");
		is_int(r->blue_green.scale_down_delay_seconds, 30, "scaleDownDelaySeconds");
		ok(r->blue_green.has_pre_promotion_analysis &&
		       r->blue_green.pre_promotion_analysis.n_templates == 1,
		   "prePromotionAnalysis");
		rel_release_free(r);
	}
	struct patch bg[] = {{"spec.strategy", "{\"blueGreen\":{\"activeService\":\"web\"}}"}};
	j = release_with(bg, 1);
	is_int(rel_release_parse(j, &r, &errs), 0, "minimal blueGreen parses");
	json_decref(j);
	if (r) {
		ok(r->blue_green.auto_promotion_enabled, "autoPromotionEnabled defaults to true");
		is_int(r->blue_green.scale_down_delay_seconds, 30,
		       "scaleDownDelaySeconds defaults to 30");
		ok(r->blue_green.preview_service == NULL, "no preview service");
		rel_release_free(r);
	}
	is_int(errs.n, 0, "no errors");
}

int main(void)
{
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		json_t *j = release_with(rows[i].p, 4);
		struct model_errors errs = {0};
		struct rel_release *r = (struct rel_release *)&errs; /* must stay untouched */
		int ret = rel_release_parse(j, &r, &errs);
		char *got = model_errors_join(&errs, "; ");
		if (rows[i].errors) {
			is_int(ret, -EINVAL, "%s: invalid", rows[i].why);
			ok(r == (struct rel_release *)&errs, "%s: output untouched", rows[i].why);
			is_str(got, rows[i].errors, "%s: messages", rows[i].why);
		} else {
			is_int(ret, 0, "%s: valid", rows[i].why);
			is_str(got, "", "%s: no messages", rows[i].why);
			if (ret == 0)
				rel_release_free(r);
		}
		free(got);
		model_errors_clear(&errs);
		json_decref(j);
	}

	struct model_errors errs = {0};
	struct rel_release *r = NULL;
	json_t *arr = json_array();
	is_int(rel_release_parse(arr, &r, &errs), -EINVAL, "an array is not a Release");
	json_decref(arr);
	model_errors_clear(&errs);

	/* A hostile manifest: 1000 bad steps give a bounded error list. */
	json_t *j = release_with(NULL, 0);
	json_t *steps = json_array();
	for (int i = 0; i < 100; i++)
		json_array_append_new(steps, json_pack("{s:i}", "setWeight", 1000));
	json_object_set_new(json_object_get(j, "spec"), "strategy",
	                    json_pack("{s:{s:o}}", "canary", "steps", steps));
	is_int(rel_release_parse(j, &r, &errs), -EINVAL, "100 bad steps are invalid");
	is_int(errs.n, MODEL_ERRORS_MAX, "messages kept up to the limit");
	is_int(errs.dropped, 100 - MODEL_ERRORS_MAX, "the rest counted");
	char *joined = model_errors_join(&errs, "; ");
	ok(joined && strstr(joined, "(and 68 more)") != NULL, "join says how many were dropped");
	free(joined);
	model_errors_clear(&errs);
	json_decref(j);

	check_defaults();
	check_canary();
	return tap_done();
}
