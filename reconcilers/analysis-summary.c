/* The one-line summary of a metric (rec_metric_summary): what a person
 * reading the Release's status or its Warning Event needs to know why. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reconcilers/analysis.h"

/* Longest summary; the parts are bounded (names 63, texts cut below). */
#define SUMMARY_LEN 1024
/* Of a value or condition quoted in a summary. */
#define QUOTE_MAX 200

/* The newest retained measurement in phase p, or NULL. */
static const struct model_measurement *newest(const struct model_metric_result *r,
                                              enum model_analysis_phase p)
{
	for (size_t i = r->n_measurements; i > 0; i--)
		if (r->measurements[i - 1].phase == p)
			return &r->measurements[i - 1];
	return NULL;
}

/* Length of a leading "result" or "result[N]" in cond, or 0. */
static size_t result_prefix(const char *cond)
{
	if (strncmp(cond, "result", 6) != 0)
		return 0;
	size_t n = 6;
	if (cond[n] == '[') {
		size_t d = strspn(cond + n + 1, "0123456789");
		if (d == 0 || cond[n + 1 + d] != ']')
			return 0;
		n += d + 2;
	}
	char next = cond[n];
	bool ident = (next >= 'a' && next <= 'z') || (next >= 'A' && next <= 'Z') ||
	             (next >= '0' && next <= '9') || next == '_' || next == '.' || next == '[';
	return ident ? 0 : n;
}

/* The condition as it read for this value: "0.31 >= 0.2" for "result[0] >=
 * 0.2" and value 0.31 (a leading result is replaced, the language itself is
 * not parsed), else "CONDITION with result VALUE". */
static void render(char *out, size_t len, const char *cond, const char *value)
{
	size_t n = result_prefix(cond);
	if (!value)
		snprintf(out, len, "%.*s", QUOTE_MAX, cond);
	else if (n > 0)
		snprintf(out, len, "%.*s%.*s", QUOTE_MAX, value, QUOTE_MAX, cond + n);
	else
		snprintf(out, len, "%.*s with result %.*s", QUOTE_MAX, cond, QUOTE_MAX, value);
}

/* "template/metric" or "metric". */
static void who(char *out, size_t len, const struct model_metric *m,
                const struct model_metric_result *r)
{
	const char *t = m ? m->template_name : NULL;
	if (t && strcmp(t, r->name) != 0)
		snprintf(out, len, "%s/%s", t, r->name);
	else
		snprintf(out, len, "%s", r->name);
}

static void failed_text(char *out, size_t len, const struct model_metric *m,
                        const struct model_metric_result *r)
{
	const struct model_measurement *x = newest(r, MODEL_ANALYSIS_FAILED);
	const char *value = x ? x->value : NULL;
	char cond[2 * QUOTE_MAX + 32];
	if (m && m->failure_condition) {
		render(cond, sizeof(cond), m->failure_condition, value);
		snprintf(out, len, "%s (failure condition)", cond);
	} else if (m && m->success_condition) {
		render(cond, sizeof(cond), m->success_condition, value);
		snprintf(out, len, "%s is false (success condition)", cond);
	} else {
		snprintf(out, len, "%.*s", QUOTE_MAX, x && x->message ? x->message : "failed");
	}
}

/* What the last measurement of phase p said: its message, or its value. */
static const char *said(const struct model_metric_result *r, enum model_analysis_phase p,
                        const char *dflt)
{
	const struct model_measurement *x = newest(r, p);
	if (x && x->message)
		return x->message;
	return x && x->value ? x->value : dflt;
}

char *rec_metric_summary(const struct model_metric *m, const struct model_metric_result *r)
{
	char name[2 * MODEL_ANALYSIS_NAME_MAX + 2], what[SUMMARY_LEN], out[SUMMARY_LEN + 160];
	who(name, sizeof(name), m, r);
	switch (r->phase) {
	case MODEL_ANALYSIS_FAILED:
		failed_text(what, sizeof(what), m, r);
		snprintf(out, sizeof(out), "%s: %s in %d of %d measurements", name, what,
		         (int)r->failed, (int)r->count);
		break;
	case MODEL_ANALYSIS_ERROR:
		snprintf(out, sizeof(out), "%s: %.*s (%d errors in a row)", name, QUOTE_MAX,
		         said(r, MODEL_ANALYSIS_ERROR, "error"), (int)r->consecutive_error);
		break;
	case MODEL_ANALYSIS_INCONCLUSIVE:
		snprintf(out, sizeof(out), "%s: %.*s, inconclusive in %d of %d measurements", name,
		         QUOTE_MAX, said(r, MODEL_ANALYSIS_INCONCLUSIVE, "inconclusive"),
		         (int)r->inconclusive, (int)r->count);
		break;
	case MODEL_ANALYSIS_SUCCESSFUL:
		snprintf(out, sizeof(out), "%s: successful in %d of %d measurements", name,
		         (int)r->successful, (int)r->count);
		break;
	default:
		snprintf(out, sizeof(out), "%s: %d measurements taken, %d failed, %d errors", name,
		         (int)r->count, (int)r->failed, (int)r->error);
		break;
	}
	char *s = strdup(out);
	if (s)
		model_text_sanitize(s);
	return s;
}
