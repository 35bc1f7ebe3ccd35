/* libFuzzer: any JSON document as an AnalysisTemplate and as an
 * AnalysisRun. Parse and validate must not crash or leak, and their verdicts
 * must be consistent (a valid object obeys the rules the header states, an
 * invalid one says why). A run's status must round-trip; the decisions on
 * it must hold their invariants; substituting a run's arguments, with a
 * Secret's value bound, flags every string that carries it, and redaction
 * never lets it through. */
#include <errno.h>
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model/analysis-args.h"
#include "model/analysis.h"
#include "model/duration.h"
#include "reconcilers/analysis.h"

#define FUZZ_SECRET "fuzz-secret-value"
#define FUZZ_NOW    ((time_t)1800000000)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_spec(const struct model_analysis_spec *s)
{
	if (s->n_metrics == 0 || s->n_metrics > MODEL_ANALYSIS_METRICS_MAX ||
	    s->n_args > MODEL_ANALYSIS_ARGS_MAX)
		abort();
	for (size_t i = 0; i < s->n_metrics; i++) {
		const struct model_metric *m = &s->metrics[i];
		if (!m->name || !m->provider || m->count < 0 ||
		    (m->count > 1 && !m->has_interval) ||
		    (m->has_interval && m->interval_ns < MODEL_NS_PER_SECOND) || m->retention < 1 ||
		    model_analysis_metric(s, m->name) != m)
			abort();
		if (m->provider == MODEL_PROVIDER_JOB && !json_is_object(m->job.spec))
			abort();
	}
}

/* Every string the provider gets, substituted twice, with two different
 * values for the Secrets: the secret flag is set exactly when the text
 * depends on a Secret, and the redacted form never holds the Secret. */
static void check_subst(const char *text, const struct model_arg_values *vals,
                        const struct model_arg_values *other)
{
	struct model_subst s = {0}, s2 = {0};
	if (!text || model_subst(text, vals, "f", &s, NULL) != 0)
		return;
	if (model_subst(text, other, "f", &s2, NULL) != 0)
		abort();
	if (s.secret != (strcmp(s.text, s2.text) != 0) || s.secret != s2.secret)
		abort();
	struct model_public pub = {0};
	if ((model_public_from_subst(&s, &pub) == 0) == s.secret)
		abort();
	model_public_clear(&pub);
	if (model_public_redact(s.text, vals, &pub) == 0) {
		/* Only a bound Secret is redacted: the same text written into the
		 * spec is no secret. */
		bool bound = false;
		for (size_t i = 0; i < vals->n; i++)
			bound = bound || vals->v[i].secret;
		if (bound && strstr(pub.text, FUZZ_SECRET))
			abort();
		json_t *js = json_string(pub.text); /* it goes into status */
		if (!js)
			abort();
		json_decref(js);
		model_public_clear(&pub);
	}
	model_subst_clear(&s);
	model_subst_clear(&s2);
}

/* The run's args bound, the Secrets' values all `value`. */
static void bind(const struct model_analysis_run *r, const char *value,
                 struct model_arg_values *vals)
{
	struct model_secret_value sv[MODEL_ANALYSIS_ARGS_MAX];
	size_t n = 0;
	for (size_t i = 0; i < r->spec.n_args && n < MODEL_ANALYSIS_ARGS_MAX; i++)
		if (r->spec.args[i].source == MODEL_ARG_SECRET)
			sv[n++] = (struct model_secret_value){r->spec.args[i].secret_name,
			                                      r->spec.args[i].secret_key, value};
	if (model_arg_values_bind(r->spec.args, r->spec.n_args, sv, n, vals, NULL) != 0)
		abort(); /* a valid run's args all have a value or a Secret we gave */
}

static void check_args(const struct model_analysis_run *r)
{
	struct model_arg_values vals = {0}, other = {0};
	bind(r, FUZZ_SECRET, &vals);
	bind(r, "another", &other);
	for (size_t i = 0; i < r->spec.n_metrics; i++) {
		const struct model_metric *m = &r->spec.metrics[i];
		check_subst(m->prometheus.query, &vals, &other);
		check_subst(m->prometheus.address, &vals, &other);
		for (size_t h = 0; h < m->prometheus.n_headers; h++)
			check_subst(m->prometheus.headers[h].value, &vals, &other);
		check_subst(m->web.url, &vals, &other);
		check_subst(m->web.body, &vals, &other);
	}
	model_arg_values_clear(&vals);
	model_arg_values_clear(&other);
}

/* The decisions on a parsed run: no crash, phases in range, a schedule
 * that is never in the past when it says WAIT. */
static void check_decisions(struct model_analysis_run *r)
{
	for (size_t i = 0; i < r->spec.n_metrics; i++) {
		const struct model_metric *m = &r->spec.metrics[i];
		const struct model_metric_result *res = model_analysis_result(&r->status, m->name);
		struct rec_schedule s =
		    rec_metric_schedule(m, res, r->status.started_at, false, FUZZ_NOW);
		if (s.kind == REC_SCHEDULE_WAIT && s.at <= FUZZ_NOW)
			abort();
		if (res) {
			char *sum = rec_metric_summary(m, res);
			if (!sum)
				abort();
			free(sum);
		}
	}
	rec_analysis_next_wakeup(&r->spec, &r->status, FUZZ_NOW);
	if (rec_analysis_start(&r->spec, &r->status, FUZZ_NOW) != 0 ||
	    rec_analysis_assess(&r->spec, &r->status) != 0)
		abort();
	if ((unsigned)r->status.phase > MODEL_ANALYSIS_PHASE_LAST ||
	    r->status.n_results < r->spec.n_metrics)
		abort();
	json_t *out = model_analysis_status_to_json(&r->status);
	if (!out)
		abort(); /* everything written is valid text */
	json_decref(out);
}

/* The status written reads back the same. */
static void check_round_trip(const json_t *v, const struct model_analysis_run *r)
{
	json_t *st = model_analysis_status_to_json(&r->status);
	json_t *obj = st ? json_deep_copy(v) : NULL;
	if (!st || !obj || json_object_set_new(obj, "status", st) != 0)
		abort();
	struct model_analysis_run *again = NULL;
	if (model_analysis_run_parse(obj, &again, NULL) != 0)
		abort();
	json_t *st2 = model_analysis_status_to_json(&again->status);
	if (!st2 || !json_equal(json_object_get(obj, "status"), st2))
		abort();
	json_decref(st2);
	model_analysis_run_free(again);
	json_decref(obj);
}

static void check_errors(int ret, const struct model_errors *errs)
{
	if (ret == -EINVAL && model_errors_count(errs) == 0)
		abort();
	if (ret == 0 && errs->n != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *v = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
	if (!v)
		return 0;
	struct model_errors errs = {0};
	struct model_analysis_template *t = NULL;
	int ret = model_analysis_template_parse(v, &t, &errs);
	check_errors(ret, &errs);
	if (ret == 0)
		check_spec(&t->spec);
	model_analysis_template_free(t);
	model_errors_clear(&errs);

	struct model_analysis_run *r = NULL;
	ret = model_analysis_run_parse(v, &r, &errs);
	check_errors(ret, &errs);
	if (ret == 0) {
		check_spec(&r->spec);
		check_round_trip(v, r);
		check_args(r);
		check_decisions(r);
	}
	model_analysis_run_free(r);
	model_errors_clear(&errs);
	json_decref(v);
	return 0;
}
