/* model/analysis.h and model/analysis-args.h: templates and runs parsed and
 * validated (errors naming the field), templates merged, arguments resolved
 * and substituted, secrets kept out of what is shown. */
#include "tap.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/analysis-args.h"
#include "model/analysis.h"
#include "model/duration.h"
#include "model/release.h"

/* The example template. Rows below change one thing at a time. */
static const char base_template[] =
    "{\"apiVersion\":\"slipway.dev/v1alpha1\",\"kind\":\"AnalysisTemplate\","
    "\"metadata\":{\"name\":\"error-rate\",\"namespace\":\"shop\"},"
    "\"spec\":{\"args\":[{\"name\":\"service\"},"
    "{\"name\":\"token\",\"valueFrom\":{\"secretKeyRef\":{\"name\":\"prom-token\",\"key\":"
    "\"token\"}}}],"
    "\"metrics\":[{\"name\":\"error-rate\",\"interval\":\"30s\",\"count\":5,"
    "\"initialDelay\":\"10s\",\"successCondition\":\"result[0] < 0.05\","
    "\"failureCondition\":\"result[0] >= 0.2\",\"failureLimit\":1,\"inconclusiveLimit\":1,"
    "\"consecutiveErrorLimit\":4,\"provider\":{\"prometheus\":{"
    "\"address\":\"http://prometheus:9090\","
    "\"query\":\"sum(rate(http_errors_total{service=\\\"{{args.service}}\\\"}[1m]))\","
    "\"timeout\":\"10s\",\"headers\":[{\"key\":\"Authorization\",\"value\":\"Bearer "
    "{{args.token}}\"}]}}},"
    "{\"name\":\"smoke\",\"provider\":{\"web\":{\"url\":\"http://{{args.service}}/healthz\","
    "\"method\":\"GET\",\"jsonPath\":\"{$.status}\",\"timeoutSeconds\":5}},"
    "\"successCondition\":\"result == 'ok'\"},"
    "{\"name\":\"e2e\",\"provider\":{\"job\":{\"spec\":{\"backoffLimit\":0,\"template\":{"
    "\"spec\":{\"restartPolicy\":\"Never\",\"containers\":[{\"name\":\"t\",\"image\":\"t\"}]"
    "}}}}}}],"
    "\"dryRun\":[{\"metricName\":\"smoke\"}]}}";

struct patch {
	const char *path;  /* dotted; numeric segments index arrays */
	const char *value; /* JSON; NULL deletes */
};

#define DEL NULL
#define M0  "spec.metrics.0."
#define P0  "spec.metrics.0.provider.prometheus."
#define W1  "spec.metrics.1.provider.web."

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
		size_t i = strtoul(seg, NULL, 10);
		if (!dot) {
			if (!p->value)
				return index ? json_array_remove(cur, i)
				             : json_object_del(cur, seg);
			json_t *v = json_loads(p->value, JSON_DECODE_ANY, NULL);
			if (!v)
				return -1;
			return index ? json_array_set_new(cur, i, v)
			             : json_object_set_new(cur, seg, v);
		}
		json_t *next = index ? json_array_get(cur, i) : json_object_get(cur, seg);
		if (!next) {
			next = json_object();
			json_object_set_new(cur, seg, next);
		}
		cur = next;
		seg = dot + 1;
	}
}

static json_t *with(const char *base, const struct patch *p)
{
	json_t *j = json_loads(base, 0, NULL);
	for (size_t i = 0; p && i < 4 && p[i].path; i++)
		if (apply(j, &p[i]) != 0)
			tap_diag("cannot apply test patch %s", p[i].path);
	return j;
}

static const struct {
	const char *why;
	struct patch p[4];
	const char *errors; /* NULL = valid; else every message joined with "; " */
} template_rows[] = {
    {"the issue's example is valid", {{0}}, NULL},
    {"a ClusterAnalysisTemplate is valid", {{"kind", "\"ClusterAnalysisTemplate\""}}, NULL},
    {"no metrics", {{"spec.metrics", "[]"}}, "spec.metrics: must be a non-empty list"},
    {"33 metrics are too many",
     {{"spec.metrics",
       "[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,"
       "32,33]"},
      {"spec.dryRun", DEL}},
     "spec.metrics: must have at most 32 metrics"},
    {"two providers",
     {{M0 "provider.web", "{\"url\":\"http://x\"}"}},
     "spec.metrics[0].provider: must have exactly one of prometheus, web, job"},
    {"no provider", {{M0 "provider", DEL}}, "spec.metrics[0].provider: required"},
    {"an unknown provider",
     {{M0 "provider", "{\"datadog\":{}}"}},
     "spec.metrics[0].provider: unknown field \"datadog\": must have exactly one of "
     "prometheus, web, job"},
    {"count 5 without interval",
     {{M0 "interval", DEL}},
     "spec.metrics[0].count: count greater than 1 needs an interval"},
    {"a bad interval",
     {{M0 "interval", "\"soon\""}},
     "spec.metrics[0].interval: must be a duration such as \"30s\", \"5m\" or \"1h\", or an "
     "integer number of seconds; spec.metrics[0].count: count greater than 1 needs an "
     "interval"},
    {"a sub-second interval",
     {{M0 "interval", "\"500ms\""}},
     "spec.metrics[0].interval: must be at least 1s"},
    {"a negative count", {{M0 "count", "-1"}}, "spec.metrics[0].count: must not be negative"},
    {"failureLimit -2",
     {{M0 "failureLimit", "-2"}},
     "spec.metrics[0].failureLimit: must be at least -1"},
    {"duplicate metric names",
     {{"spec.metrics.1.name", "\"error-rate\""}, {"spec.dryRun", DEL}},
     "spec.metrics[1].name: duplicate metric \"error-rate\""},
    {"a metric name with a space",
     {{M0 "name", "\"error rate\""}},
     "spec.metrics[0].name: \"error rate\" is not a valid name (letters, digits, '_', '.' and "
     "'-', at most 63)"},
    {"prometheus without query",
     {{P0 "query", DEL}},
     "spec.metrics[0].provider.prometheus.query: required"},
    {"prometheus address not a URL",
     {{P0 "address", "\"prometheus:9090\""}},
     "spec.metrics[0].provider.prometheus.address: must be an http:// or https:// URL"},
    {"prometheus timeout 0",
     {{P0 "timeout", "\"0s\""}},
     "spec.metrics[0].provider.prometheus.timeout: must be greater than 0"},
    {"a header name with a colon",
     {{P0 "headers.0.key", "\"Authorization:\""}},
     "spec.metrics[0].provider.prometheus.headers[0].key: \"Authorization:\" is not an HTTP "
     "header name"},
    {"web DELETE",
     {{W1 "method", "\"DELETE\""}},
     "spec.metrics[1].provider.web.method: must be GET, POST or PUT"},
    {"web GET with a body",
     {{W1 "body", "\"{}\""}},
     "spec.metrics[1].provider.web.body: needs method POST or PUT"},
    {"web POST with a body is valid", {{W1 "method", "\"POST\""}, {W1 "body", "\"{}\""}}, NULL},
    {"web timeoutSeconds 0",
     {{W1 "timeoutSeconds", "0"}},
     "spec.metrics[1].provider.web.timeoutSeconds: must be at least 1"},
    {"job without template",
     {{"spec.metrics.2.provider.job.spec", "{\"backoffLimit\":0}"}},
     "spec.metrics[2].provider.job.spec.template: required"},
    {"job metadata with a name",
     {{"spec.metrics.2.provider.job.metadata", "{\"name\":\"x\"}"}},
     "spec.metrics[2].provider.job.metadata: unknown field \"name\": a Job's metadata here has "
     "only labels and annotations"},
    {"an argument with value and valueFrom",
     {{"spec.args.1.value", "\"x\""}},
     "spec.args[1]: must have at most one of value, valueFrom"},
    {"a secretKeyRef without key",
     {{"spec.args.1.valueFrom.secretKeyRef.key", DEL}},
     "spec.args[1].valueFrom.secretKeyRef.key: required"},
    {"podTemplateHashValue Canary",
     {{"spec.args.1.valueFrom", "{\"podTemplateHashValue\":\"Canary\"}"}},
     "spec.args[1].valueFrom.podTemplateHashValue: must be \"Stable\" or \"Latest\""},
    {"podTemplateHashValue Stable is valid",
     {{"spec.args.1.valueFrom", "{\"podTemplateHashValue\":\"Stable\"}"}},
     NULL},
    {"duplicate arguments",
     {{"spec.args.1.name", "\"service\""}, {"spec.args.1.valueFrom", DEL}},
     "spec.args[1]: duplicate argument \"service\""},
    {"dryRun naming no metric",
     {{"spec.dryRun.0.metricName", "\"smok\""}},
     "spec.dryRun[0]: metricName: no metric \"smok\""},
    {"measurementRetention without limit",
     {{"spec.measurementRetention", "[{\"metricName\":\"smoke\"}]"}},
     "spec.measurementRetention[0].limit: required"},
    {"measurementRetention over 1000",
     {{"spec.measurementRetention", "[{\"metricName\":\"*\",\"limit\":1001}]"}},
     "spec.measurementRetention[0].limit: must be at most 1000"},
    {"no name", {{"metadata.name", DEL}}, "metadata.name: required"},
};

static void check_template_rows(void)
{
	for (size_t i = 0; i < sizeof(template_rows) / sizeof(template_rows[0]); i++) {
		json_t *j = with(base_template, template_rows[i].p);
		struct model_errors errs = {0};
		struct model_analysis_template *t = NULL;
		int r = model_analysis_template_parse(j, &t, &errs);
		char *got = model_errors_join(&errs, "; ");
		if (!template_rows[i].errors) {
			is_int(r, 0, "%s", template_rows[i].why);
			if (r != 0)
				tap_diag("errors: %s", got);
		} else {
			is_int(r, -EINVAL, "%s: invalid", template_rows[i].why);
			is_str(got, template_rows[i].errors, "%s: the errors",
			       template_rows[i].why);
			ok(t == NULL, "%s: nothing returned", template_rows[i].why);
		}
		free(got);
		model_analysis_template_free(t);
		model_errors_clear(&errs);
		json_decref(j);
	}
}

static struct model_analysis_template *parse_template(const char *base, const struct patch *p)
{
	json_t *j = with(base, p);
	struct model_analysis_template *t = NULL;
	struct model_errors errs = {0};
	if (model_analysis_template_parse(j, &t, &errs) != 0) {
		char *e = model_errors_join(&errs, "; ");
		tap_diag("template does not parse: %s", e);
		free(e);
	}
	model_errors_clear(&errs);
	json_decref(j);
	return t;
}

static void check_template_fields(void)
{
	struct model_analysis_template *t = parse_template(base_template, NULL);
	if (!ok(t != NULL, "the example parses"))
		return;
	is_str(t->name, "error-rate", "name");
	is_str(t->namespace, "shop", "namespace");
	ok(!t->cluster_scope, "namespaced");
	is_int(t->spec.n_args, 2, "two args");
	is_int(t->spec.args[0].source, MODEL_ARG_UNSET, "service has no value yet");
	is_int(t->spec.args[1].source, MODEL_ARG_SECRET, "token from a Secret");
	is_str(t->spec.args[1].secret_name, "prom-token", "the Secret's name");
	is_str(t->spec.args[1].secret_key, "token", "the Secret's key");
	const struct model_metric *m = &t->spec.metrics[0];
	is_int(m->interval_ns, 30 * MODEL_NS_PER_SECOND, "interval 30s");
	is_int(m->initial_delay_ns, 10 * MODEL_NS_PER_SECOND, "initialDelay 10s");
	is_int(m->count, 5, "count 5");
	is_int(m->failure_limit, 1, "failureLimit");
	is_int(m->consecutive_error_limit, 4, "consecutiveErrorLimit");
	is_str(m->success_condition, "result[0] < 0.05", "successCondition kept as written");
	is_int(m->provider, MODEL_PROVIDER_PROMETHEUS, "prometheus");
	is_int(m->prometheus.timeout_ns, 10 * MODEL_NS_PER_SECOND, "timeout 10s");
	is_str(m->prometheus.headers[0].value, "Bearer {{args.token}}",
	       "header kept unsubstituted");
	is_int(m->retention, MODEL_ANALYSIS_DEFAULT_RETENTION, "retention defaults to 10");
	ok(!m->dry_run, "error-rate counts");
	const struct model_metric *w = &t->spec.metrics[1];
	is_int(w->count, 1, "no count and no interval: one measurement");
	is_int(w->consecutive_error_limit, 4, "consecutiveErrorLimit defaults to 4");
	is_int(w->failure_limit, 0, "failureLimit defaults to 0");
	ok(w->dry_run, "smoke is dry-run");
	is_int(w->web.timeout_seconds, 5, "timeoutSeconds");
	is_str(w->web.json_path, "{$.status}", "jsonPath");
	const struct model_metric *j = &t->spec.metrics[2];
	is_int(j->provider, MODEL_PROVIDER_JOB, "job");
	ok(json_is_object(json_object_get(j->job.spec, "template")), "job spec kept");
	model_analysis_template_free(t);

	struct patch p[] = {{M0 "count", DEL},
	                    {"spec.measurementRetention",
	                     "[{\"metricName\":\"*\",\"limit\":3},"
	                     "{\"metricName\":\"smoke\",\"limit\":20}]"},
	                    {0}};
	t = parse_template(base_template, p);
	if (!ok(t != NULL, "interval without count parses"))
		return;
	is_int(t->spec.metrics[0].count, 0, "interval alone: until terminated");
	is_int(t->spec.metrics[0].retention, 3, "retention from \"*\"");
	is_int(t->spec.metrics[1].retention, 20, "a named retention wins over \"*\"");
	model_analysis_template_free(t);
}

/* A run as the controller writes it: args resolved, status under way. */
static const char base_run[] =
    "{\"kind\":\"AnalysisRun\",\"metadata\":{\"name\":\"web-abc-1\",\"namespace\":\"shop\","
    "\"uid\":\"u-9\"},\"spec\":{\"args\":[{\"name\":\"service\",\"value\":\"web-canary\"},"
    "{\"name\":\"token\",\"valueFrom\":{\"secretKeyRef\":{\"name\":\"prom-token\",\"key\":"
    "\"token\"}}}],"
    "\"metrics\":[{\"name\":\"error-rate\",\"interval\":\"30s\",\"count\":5,"
    "\"failureCondition\":\"result[0] >= 0.2\",\"provider\":{\"prometheus\":{"
    "\"address\":\"http://prometheus:9090\",\"query\":\"up\"}}}]},"
    "\"status\":{\"phase\":\"Running\",\"startedAt\":\"2026-12-03T07:00:00Z\","
    "\"metricResults\":[{\"name\":\"error-rate\",\"phase\":\"Running\",\"count\":2,"
    "\"successful\":1,\"failed\":1,\"dryRun\":false,\"measurements\":["
    "{\"phase\":\"Successful\",\"value\":\"0.01\",\"startedAt\":\"2026-12-03T07:00:00Z\","
    "\"finishedAt\":\"2026-12-03T07:00:01Z\"},"
    "{\"phase\":\"Failed\",\"value\":\"0.31\",\"startedAt\":\"2026-12-03T07:00:31Z\","
    "\"finishedAt\":\"2026-12-03T07:00:32Z\"}]}],"
    "\"runSummary\":{\"count\":1},\"dryRunSummary\":{\"count\":1,\"successful\":1}}}";

static const struct {
	const char *why;
	struct patch p[4];
	const char *errors;
} run_rows[] = {
    {"a run under way is valid", {{0}}, NULL},
    {"a run without status is valid", {{"status", DEL}}, NULL},
    {"a run with terminate is valid", {{"spec.terminate", "true"}}, NULL},
    {"a run's argument without value",
     {{"spec.args.0.value", DEL}},
     "spec.args[0]: has no value: give value or valueFrom.secretKeyRef"},
    {"a run's argument from a revision",
     {{"spec.args.0.value", DEL},
      {"spec.args.0.valueFrom", "{\"podTemplateHashValue\":\"Latest\"}"}},
     "spec.args[0]: a run's arguments are resolved: podTemplateHashValue is for templates and "
     "Releases"},
    {"an unknown phase",
     {{"status.phase", "\"Done\""}},
     "status.phase: must be Pending, Running, Successful, Failed, Error or Inconclusive"},
    {"a measurement without phase",
     {{"status.metricResults.0.measurements.0.phase", DEL}},
     "status.metricResults[0].measurements[0].phase: required"},
    {"a bad startedAt",
     {{"status.metricResults.0.measurements.1.startedAt", "\"yesterday\""}},
     "status.metricResults[0].measurements[1].startedAt: must be an RFC 3339 time"},
    {"a negative count",
     {{"status.metricResults.0.count", "-1"}},
     "status.metricResults[0].count: must not be negative"},
    {"a negative runSummary count",
     {{"status.runSummary", "{\"failed\":-1}"}},
     "status.runSummary.failed: must not be negative"},
    {"terminate not a boolean", {{"spec.terminate", "1"}}, "spec.terminate: must be a boolean"},
};

static void check_run_rows(void)
{
	for (size_t i = 0; i < sizeof(run_rows) / sizeof(run_rows[0]); i++) {
		json_t *j = with(base_run, run_rows[i].p);
		struct model_errors errs = {0};
		struct model_analysis_run *r = NULL;
		int ret = model_analysis_run_parse(j, &r, &errs);
		char *got = model_errors_join(&errs, "; ");
		if (!run_rows[i].errors) {
			is_int(ret, 0, "%s", run_rows[i].why);
			if (ret != 0)
				tap_diag("errors: %s", got);
		} else {
			is_int(ret, -EINVAL, "%s: invalid", run_rows[i].why);
			is_str(got, run_rows[i].errors, "%s: the errors", run_rows[i].why);
		}
		free(got);
		model_analysis_run_free(r);
		model_errors_clear(&errs);
		json_decref(j);
	}
}

/* The status read back is what the controller wrote: parse, serialise,
 * parse again gives the same JSON. */
static void check_run_status_round_trip(void)
{
	json_t *j = json_loads(base_run, 0, NULL);
	struct model_analysis_run *r = NULL;
	if (!ok(model_analysis_run_parse(j, &r, NULL) == 0, "the run parses")) {
		json_decref(j);
		return;
	}
	is_int(r->status.phase, MODEL_ANALYSIS_RUNNING, "phase Running");
	is_int(r->status.n_results, 1, "one result");
	is_int(r->status.results[0].n_measurements, 2, "two measurements");
	is_str(r->status.results[0].measurements[1].value, "0.31", "the last value");
	is_int(r->status.run_summary.count, 1, "runSummary.count");
	is_int(r->status.dry_run_summary.successful, 1, "dryRunSummary.successful");
	json_t *out = model_analysis_status_to_json(&r->status);
	json_t *j2 = json_pack("{s:s, s:O, s:O, s:O}", "kind", "AnalysisRun", "metadata",
	                       json_object_get(j, "metadata"), "spec", json_object_get(j, "spec"),
	                       "status", out);
	struct model_analysis_run *r2 = NULL;
	ok(j2 && model_analysis_run_parse(j2, &r2, NULL) == 0, "what is written parses");
	json_t *out2 = r2 ? model_analysis_status_to_json(&r2->status) : NULL;
	ok(out2 && json_equal(out, out2), "and round-trips");
	json_decref(out2);
	json_decref(j2);
	json_decref(out);
	model_analysis_run_free(r2);
	model_analysis_run_free(r);
	json_decref(j);
}

/* A second template for merges. */
static const char latency_template[] =
    "{\"kind\":\"ClusterAnalysisTemplate\",\"metadata\":{\"name\":\"latency\"},"
    "\"spec\":{\"args\":[{\"name\":\"service\"},{\"name\":\"revision\",\"valueFrom\":{"
    "\"podTemplateHashValue\":\"Latest\"}}],"
    "\"metrics\":[{\"name\":\"p99\",\"successCondition\":\"result[0] < 0.3\","
    "\"provider\":{\"prometheus\":{\"address\":\"http://prometheus:9090\","
    "\"query\":\"p99{rev=\\\"{{ args.revision }}\\\"}\"}}}]}}";

static void check_merge(void)
{
	struct model_analysis_template *a = parse_template(base_template, NULL);
	struct model_analysis_template *b = parse_template(latency_template, NULL);
	if (!ok(a && b, "two templates parse")) {
		model_analysis_template_free(a);
		model_analysis_template_free(b);
		return;
	}
	const struct model_analysis_template *ts[] = {a, b};
	struct model_analysis_spec s = {0};
	struct model_errors errs = {0};
	is_int(model_analysis_merge(ts, 2, &s, &errs), 0, "they merge");
	is_int(s.n_metrics, 4, "four metrics");
	is_str(s.metrics[3].template_name, "latency", "p99 remembers its template");
	is_int(s.n_args, 3, "service, token, revision: service once");
	ok(s.metrics[1].dry_run, "dry-run carried over");
	model_analysis_spec_clear(&s);

	const struct model_analysis_template *twice[] = {a, a};
	is_int(model_analysis_merge(twice, 2, &s, &errs), -EINVAL, "the same template twice");
	char *e = model_errors_join(&errs, "; ");
	ok(e && strstr(e, "metric \"error-rate\" is in both template \"error-rate\" and template "
	                  "\"error-rate\""),
	   "a duplicate metric is named: %s", e ? e : "");
	free(e);
	is_int(s.n_metrics, 0, "nothing left in out");
	model_errors_clear(&errs);

	struct patch p[] = {
	    {"spec.args.0.value", "\"other\""}, {"spec.metrics.0.name", "\"p50\""}, {0}};
	struct model_analysis_template *c = parse_template(latency_template, p);
	struct patch q[] = {{"spec.args.0.value", "\"web\""}, {0}};
	struct model_analysis_template *d = parse_template(latency_template, q);
	const struct model_analysis_template *conflict[] = {d, c};
	is_int(model_analysis_merge(conflict, 2, &s, &errs), -EINVAL, "conflicting values");
	e = model_errors_join(&errs, "; ");
	ok(e && strstr(e, "argument \"service\" has different values"), "named: %s", e ? e : "");
	free(e);
	model_errors_clear(&errs);
	model_analysis_template_free(c);
	model_analysis_template_free(d);
	model_analysis_template_free(a);
	model_analysis_template_free(b);
}

/* Release args as rel_parse_analysis gives them. */
static struct rel_analysis_arg release_args[] = {
    {"service", "web-canary", REL_ARG_VALUE},
    {"revision", "", REL_ARG_STABLE_HASH},
};

static const char *arg_value(const struct model_analysis_arg *a, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(a[i].name, name) == 0)
			return a[i].source == MODEL_ARG_VALUE ? a[i].value : "(not a value)";
	return NULL;
}

static void check_resolve(void)
{
	struct model_analysis_template *a = parse_template(base_template, NULL);
	struct model_analysis_template *b = parse_template(latency_template, NULL);
	const struct model_analysis_template *ts[] = {a, b};
	struct model_analysis_spec s = {0};
	struct model_errors errs = {0};
	if (!ok(a && b && model_analysis_merge(ts, 2, &s, &errs) == 0, "merged")) {
		model_analysis_template_free(a);
		model_analysis_template_free(b);
		return;
	}
	struct rel_analysis given = {.n_args = 2, .args = release_args};
	struct model_revisions rev = {.stable = "5d8f9c7b6a", .latest = "7c6b5a4d3e"};
	struct model_analysis_arg *args = NULL;
	size_t n = 0;
	is_int(model_analysis_resolve_args(&s, &given, &rev, &args, &n, &errs), 0, "resolved");
	is_str(arg_value(args, n, "service"), "web-canary", "the Release's value fills service");
	is_str(arg_value(args, n, "revision"), "5d8f9c7b6a",
	       "the Release's podTemplateHashValue Stable overrides the template's Latest");
	is_int(args[1].source, MODEL_ARG_SECRET, "token stays a secretKeyRef");
	ok(args[1].value == NULL, "and has no value in the run");
	model_analysis_args_free(args, n);

	struct rel_analysis only_service = {.n_args = 1, .args = release_args};
	is_int(model_analysis_resolve_args(&s, &only_service, &rev, &args, &n, &errs), 0,
	       "revision from the template's Latest");
	is_str(arg_value(args, n, "revision"), "7c6b5a4d3e", "the latest revision");
	model_analysis_args_free(args, n);

	struct model_revisions none = {0};
	is_int(model_analysis_resolve_args(&s, &only_service, &none, &args, &n, &errs), -EINVAL,
	       "no latest revision known");
	char *e = model_errors_join(&errs, "; ");
	is_str(e, "argument \"revision\": podTemplateHashValue Latest: no latest revision is known",
	       "says which");
	free(e);
	model_errors_clear(&errs);

	is_int(model_analysis_resolve_args(&s, NULL, &rev, &args, &n, &errs), -EINVAL,
	       "service given by no one");
	e = model_errors_join(&errs, "; ");
	is_str(e, "argument \"service\" has no value: give it in the Release's analysis args",
	       "names the argument");
	free(e);
	model_errors_clear(&errs);

	struct rel_analysis_arg typo[] = {{"servce", "x", REL_ARG_VALUE}};
	struct rel_analysis t = {.n_args = 1, .args = typo};
	is_int(model_analysis_resolve_args(&s, &t, &rev, &args, &n, &errs), -EINVAL, "a typo");
	e = model_errors_join(&errs, "; ");
	ok(e && strstr(e, "argument \"servce\" is not an argument of the templates"), "named: %s",
	   e ? e : "");
	free(e);
	model_errors_clear(&errs);
	model_analysis_spec_clear(&s);
	model_analysis_template_free(a);
	model_analysis_template_free(b);
}

#define SECRET "s3cr3t-t0ken"

/* The run's args bound with the Secret's value the shell read. */
static struct model_arg_values bound(void)
{
	struct model_analysis_arg args[] = {
	    {.name = "service", .source = MODEL_ARG_VALUE, .value = "web-canary"},
	    {.name = "token",
	     .source = MODEL_ARG_SECRET,
	     .secret_name = "prom-token",
	     .secret_key = "token"},
	};
	struct model_secret_value secrets[] = {{"prom-token", "token", SECRET}};
	struct model_arg_values v = {0};
	if (model_arg_values_bind(args, 2, secrets, 1, &v, NULL) != 0)
		tap_diag("bind failed");
	return v;
}

static const struct {
	const char *in;
	const char *out;   /* NULL = an error */
	bool secret;       /* the result holds a secret */
	const char *error; /* the error, at path "p" */
} subst_rows[] = {
    {"rate{service=\"{{args.service}}\"}", "rate{service=\"web-canary\"}", false, NULL},
    {"{{ args.service }}/{{args.service}}", "web-canary/web-canary", false, NULL},
    {"Bearer {{args.token}}", "Bearer " SECRET, true, NULL},
    {"no references", "no references", false, NULL},
    {"{{templates.x}} kept", "{{templates.x}} kept", false, NULL},
    {"{\"a\":{\"b\":1}}", "{\"a\":{\"b\":1}}", false, NULL},
    {"{{args.nope}}", NULL, false, "p: unknown argument \"nope\""},
    {"x {{args.service", NULL, false, "p: \"{{args.\" without a closing \"}}\""},
    {"", "", false, NULL},
};

static void check_subst(void)
{
	struct model_arg_values v = bound();
	is_int(v.n, 2, "two values bound");
	for (size_t i = 0; i < sizeof(subst_rows) / sizeof(subst_rows[0]); i++) {
		struct model_subst s = {0};
		struct model_errors errs = {0};
		int r = model_subst(subst_rows[i].in, &v, "p", &s, &errs);
		if (subst_rows[i].out) {
			is_int(r, 0, "subst \"%s\"", subst_rows[i].in);
			is_str(s.text, subst_rows[i].out, "gives \"%s\"", subst_rows[i].out);
			is_int(s.secret, subst_rows[i].secret, "secret flag of \"%s\"",
			       subst_rows[i].in);
		} else {
			is_int(r, -EINVAL, "subst \"%s\" fails", subst_rows[i].in);
			char *e = model_errors_join(&errs, "; ");
			is_str(e, subst_rows[i].error, "with the error");
			free(e);
			ok(s.text == NULL, "out untouched");
		}
		model_subst_clear(&s);
		model_errors_clear(&errs);
	}
	model_arg_values_clear(&v);
}

static void check_secrets(void)
{
	struct model_arg_values v = bound();
	struct model_subst s = {0};
	model_subst("Bearer {{args.token}}", &v, "p", &s, NULL);
	struct model_public pub = {0};
	is_int(model_public_from_subst(&s, &pub), -EPERM, "a string with a secret is not public");
	ok(pub.text == NULL, "and nothing was copied");
	struct model_subst plain = {0};
	model_subst("{{args.service}}", &v, "p", &plain, NULL);
	is_int(model_public_from_subst(&plain, &pub), 0, "a string without is");
	is_str(pub.text, "web-canary", "as is");
	model_public_clear(&pub);

	/* A provider's error that echoes the request. */
	is_int(model_public_redact("401 for header \"Bearer " SECRET "\" (" SECRET ")\n", &v, &pub),
	       0, "redact");
	is_str(pub.text, "401 for header \"Bearer <redacted>\" (<redacted>)?",
	       "every copy of the secret redacted, the newline made safe");
	model_public_clear(&pub);
	is_int(model_public_redact("\xff\xfe ok", NULL, &pub), 0, "redact without secrets");
	is_str(pub.text, "?? ok", "invalid UTF-8 made safe");
	model_public_clear(&pub);

	struct model_analysis_arg missing[] = {
	    {.name = "token",
	     .source = MODEL_ARG_SECRET,
	     .secret_name = "prom-token",
	     .secret_key = "token"},
	};
	struct model_arg_values none = {0};
	struct model_errors errs = {0};
	is_int(model_arg_values_bind(missing, 1, NULL, 0, &none, &errs), -EINVAL,
	       "a secretKeyRef the shell could not read");
	char *e = model_errors_join(&errs, "; ");
	is_str(e, "argument \"token\": Secret \"prom-token\" has no key \"token\"",
	       "names the Secret and key, not a value");
	free(e);
	model_errors_clear(&errs);
	model_subst_clear(&s);
	model_subst_clear(&plain);
	model_arg_values_clear(&v);
}

/* A Job's spec: every string substituted, the secret flag set when a
 * Secret went in, keys left alone. */
static void check_subst_json(void)
{
	struct model_arg_values v = bound();
	json_t *spec = json_loads("{\"template\":{\"spec\":{\"containers\":[{\"name\":\"t\","
	                          "\"args\":[\"--target\",\"http://{{args.service}}\"],"
	                          "\"env\":[{\"name\":\"{{args.service}}\",\"value\":\"x\"}]}]},"
	                          "\"backoffLimit\":0}}",
	                          0, NULL);
	json_t *out = NULL;
	bool secret = true;
	is_int(model_subst_json(spec, &v, "job.spec", &out, &secret, NULL), 0, "a Job spec");
	json_t *c = json_array_get(
	    json_object_get(json_object_get(json_object_get(out, "template"), "spec"),
	                    "containers"),
	    0);
	is_str(json_string_value(json_array_get(json_object_get(c, "args"), 1)),
	       "http://web-canary", "strings substituted");
	is_str(json_string_value(
	           json_object_get(json_array_get(json_object_get(c, "env"), 0), "name")),
	       "web-canary", "at any depth");
	ok(!secret, "no Secret in it");
	ok(json_equal(json_object_get(json_object_get(out, "template"), "backoffLimit"),
	              json_object_get(json_object_get(spec, "template"), "backoffLimit")),
	   "numbers kept");
	json_decref(out);
	json_object_set_new(json_object_get(spec, "template"), "token",
	                    json_string("{{args.token}}"));
	is_int(model_subst_json(spec, &v, "job.spec", &out, &secret, NULL), 0, "with the token");
	ok(secret, "flagged secret");
	json_decref(out);
	json_object_set_new(json_object_get(spec, "template"), "x", json_string("{{args.nope}}"));
	struct model_errors errs = {0};
	out = NULL;
	is_int(model_subst_json(spec, &v, "job.spec", &out, &secret, &errs), -EINVAL,
	       "an unknown argument");
	char *e = model_errors_join(&errs, "; ");
	is_str(e, "job.spec: unknown argument \"nope\"", "names the field and argument");
	ok(out == NULL, "out untouched");
	free(e);
	model_errors_clear(&errs);
	json_decref(spec);
	model_arg_values_clear(&v);
}

/* A Release step's valueFrom, parsed by the Release parser. */
static void check_release_args(void)
{
	const char *rel =
	    "{\"metadata\":{\"name\":\"web\"},\"spec\":{\"selector\":{\"matchLabels\":{\"app\":"
	    "\"web\"}},\"template\":{\"metadata\":{\"labels\":{\"app\":\"web\"}},\"spec\":{"
	    "\"containers\":[{\"name\":\"web\",\"image\":\"nginx\"}]}},\"strategy\":{\"canary\":{"
	    "\"steps\":[{\"analysis\":{\"templates\":[{\"templateName\":\"error-rate\"}],\"args\":["
	    "{\"name\":\"service\",\"value\":\"web\"},{\"name\":\"rev\",\"valueFrom\":{"
	    "\"podTemplateHashValue\":\"Stable\"}}]}}]}}}}";
	json_t *j = json_loads(rel, 0, NULL);
	struct rel_release *r = NULL;
	if (ok(rel_release_parse(j, &r, NULL) == 0, "a step with valueFrom parses")) {
		const struct rel_analysis *a = &r->canary.steps[0].analysis;
		is_int(a->args[0].from, REL_ARG_VALUE, "a value");
		is_int(a->args[1].from, REL_ARG_STABLE_HASH, "podTemplateHashValue Stable");
	}
	rel_release_free(r);
	json_t *args = json_object_get(
	    json_object_get(
	        json_array_get(
	            json_object_get(
	                json_object_get(json_object_get(json_object_get(j, "spec"), "strategy"),
	                                "canary"),
	                "steps"),
	            0),
	        "analysis"),
	    "args");
	json_object_set_new(json_object_get(json_array_get(args, 1), "valueFrom"),
	                    "podTemplateHashValue", json_string("Canary"));
	struct model_errors errs = {0};
	is_int(rel_release_parse(j, &r, &errs), -EINVAL, "Canary is no revision");
	char *e = model_errors_join(&errs, "; ");
	is_str(
	    e,
	    "spec.strategy.canary.steps[0].analysis.args[1].valueFrom.podTemplateHashValue: must "
	    "be \"Stable\" or \"Latest\"",
	    "names the field");
	free(e);
	model_errors_clear(&errs);
	json_decref(j);
}

int main(void)
{
	check_template_rows();
	check_template_fields();
	check_run_rows();
	check_run_status_round_trip();
	check_merge();
	check_resolve();
	check_subst();
	check_secrets();
	check_subst_json();
	check_release_args();
	return tap_done();
}
