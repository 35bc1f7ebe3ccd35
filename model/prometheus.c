#include "model/prometheus.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Longest piece of Prometheus' own text (its error, a bad value) quoted. */
#define QUOTE_MAX 300

static int fail(char err[static MODEL_PROMETHEUS_ERROR_LEN], int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(char err[static MODEL_PROMETHEUS_ERROR_LEN], int code, const char *fmt, ...)
{
	char msg[MODEL_PROMETHEUS_ERROR_LEN];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* Cut here rather than in snprintf so "prometheus: " always leads. */
	size_t n = strnlen(msg, MODEL_PROMETHEUS_ERROR_LEN - sizeof("prometheus: "));
	memcpy(err, "prometheus: ", sizeof("prometheus: ") - 1);
	memcpy(err + sizeof("prometheus: ") - 1, msg, n);
	err[sizeof("prometheus: ") - 1 + n] = '\0';
	return code;
}

/* s with bytes outside printable ASCII as '?', cut to QUOTE_MAX, into q:
 * the text is the server's and goes into status and Events, which must be
 * one line of valid UTF-8. */
static void printable(const char *s, char q[static QUOTE_MAX + 4])
{
	size_t n = 0;
	for (; s[n] && n < QUOTE_MAX; n++) {
		unsigned char c = (unsigned char)s[n];
		q[n] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	if (s[n]) {
		memcpy(q + n, "...", 3);
		n += 3;
	}
	q[n] = '\0';
}

/* {"status":"error","errorType":"bad_data","error":"..."} */
static int remote_error(const json_t *root, char err[static MODEL_PROMETHEUS_ERROR_LEN])
{
	const char *type = json_string_value(json_object_get(root, "errorType"));
	const char *text = json_string_value(json_object_get(root, "error"));
	char qt[QUOTE_MAX + 4], qe[QUOTE_MAX + 4];
	printable(type ? type : "", qt);
	printable(text ? text : "", qe);
	if (type && text)
		return fail(err, -EREMOTEIO, "%s: %s", qt, qe);
	if (text)
		return fail(err, -EREMOTEIO, "%s", qe);
	if (type)
		return fail(err, -EREMOTEIO, "%s (no message)", qt);
	return fail(err, -EREMOTEIO, "query failed (no message)");
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Whether s is a decimal number: [+-] digits [. digits] [e [+-] digits],
 * with a digit on at least one side of the point. What strtod reads beyond
 * that ("inf", "nan(...)", hex) is not Prometheus' and is refused. */
static bool decimal(const char *s)
{
	size_t i = s[0] == '+' || s[0] == '-';
	size_t digits = 0;
	for (; is_digit(s[i]); i++)
		digits++;
	if (s[i] == '.')
		for (i++; is_digit(s[i]); i++)
			digits++;
	if (digits == 0)
		return false;
	if (s[i] == 'e' || s[i] == 'E') {
		i++;
		if (s[i] == '+' || s[i] == '-')
			i++;
		if (!is_digit(s[i]))
			return false;
		while (is_digit(s[i]))
			i++;
	}
	return s[i] == '\0';
}

/* [<unix time>, "<value>"], the pair of a sample, scalar and string; the
 * value's text in *ret. */
static int pair(const json_t *v, const char *what, const json_t **ret,
                char err[static MODEL_PROMETHEUS_ERROR_LEN])
{
	if (!json_is_array(v) || json_array_size(v) != 2 || !json_is_number(json_array_get(v, 0)) ||
	    !json_is_string(json_array_get(v, 1)))
		return fail(err, -EPROTO, "%s is not [<time>, \"<value>\"]", what);
	*ret = json_array_get(v, 1);
	return 0;
}

/* The text of a sample ("0.31", "NaN", "+Inf", "-Inf") as a double. */
static int sample_value(const json_t *text, const char *what, double *ret,
                        char err[static MODEL_PROMETHEUS_ERROR_LEN])
{
	const char *s = json_string_value(text);
	if (strcmp(s, "NaN") == 0) {
		*ret = NAN;
		return 0;
	}
	if (strcmp(s, "+Inf") == 0 || strcmp(s, "Inf") == 0 || strcmp(s, "-Inf") == 0) {
		*ret = s[0] == '-' ? -INFINITY : INFINITY;
		return 0;
	}
	/* strlen, not the JSON length: "1\u00002" must not pass as 1. */
	if (strlen(s) != json_string_length(text) || !decimal(s)) {
		char q[QUOTE_MAX + 4];
		printable(s, q);
		return fail(err, -EPROTO, "%s: '%s' is not a number", what, q);
	}
	/* Beyond the double range strtod gives ±HUGE_VAL (= ±Inf) or 0, the
	 * nearest values, and Prometheus never sends such text anyway. */
	*ret = strtod(s, NULL);
	return 0;
}

/* Appends s to buf (holding *len bytes, room for size) as a Prometheus label
 * value: "..." with \\, \" and \n escaped, control bytes as '?'. False,
 * with buf unchanged, when it does not fit in room - reserve. */
static bool put_quoted(char *buf, size_t *len, size_t size, size_t reserve, const char *s)
{
	size_t n = *len;
	if (n + 1 + reserve >= size)
		return false;
	buf[n++] = '"';
	for (; *s; s++) {
		bool esc = *s == '\\' || *s == '"' || *s == '\n';
		if (n + 1 + esc + 1 + reserve >= size)
			return false;
		if (esc)
			buf[n++] = '\\';
		unsigned char c = (unsigned char)*s;
		buf[n++] = *s == '\n' ? 'n' : c < 0x20 || c == 0x7f ? '?' : *s;
	}
	buf[n++] = '"';
	buf[n] = '\0';
	*len = n;
	return true;
}

/* Appends s as is; false, buf unchanged, when it does not fit. */
static bool put(char *buf, size_t *len, size_t size, size_t reserve, const char *s)
{
	size_t n = strlen(s);
	if (*len + n + reserve >= size)
		return false;
	memcpy(buf + *len, s, n + 1);
	*len += n;
	return true;
}

/* Whether s is a name Prometheus prints bare: [a-zA-Z_][a-zA-Z0-9_]*, and
 * ':' too in a metric name. Others (Prometheus 3 allows any UTF-8) it quotes. */
static bool bare(const char *s, bool metric)
{
	for (size_t i = 0; s[i]; i++) {
		char c = s[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
		          (metric && c == ':') || (i > 0 && is_digit(c));
		if (!ok)
			return false;
	}
	return s[0] != '\0';
}

/* Appends one "name" or "key=value" to the labels in buf, opening the
 * braces for the first; false, buf unchanged, when it does not fit with room
 * for "...}" after it. */
static bool put_label(char *buf, size_t *len, size_t *n, const char *key, const char *value)
{
	const size_t reserve = 5;
	size_t mark = *len;
	bool fits = put(buf, len, MODEL_PROMETHEUS_LABELS_LEN, reserve, *n == 0 ? "{" : ", ");
	if (fits && bare(key, false))
		fits = put(buf, len, MODEL_PROMETHEUS_LABELS_LEN, reserve, key);
	else if (fits)
		fits = put_quoted(buf, len, MODEL_PROMETHEUS_LABELS_LEN, reserve, key);
	if (fits && value)
		fits = put(buf, len, MODEL_PROMETHEUS_LABELS_LEN, reserve, "=") &&
		       put_quoted(buf, len, MODEL_PROMETHEUS_LABELS_LEN, reserve, value);
	if (!fits) {
		*len = mark;
		buf[mark] = '\0';
		return false;
	}
	(*n)++;
	return true;
}

/* The series of a sample as Prometheus prints it: name{k="v", ...}, or
 * {"a.name", "k.2"="v"} for names beyond its classic charset, in the order
 * the response gives (jansson keeps it); NULL for {} and on ENOMEM. Cut
 * after the last label that fits, ending in "...}". */
static char *labels_text(const json_t *metric)
{
	const char *name = json_string_value(json_object_get(metric, "__name__"));
	size_t len = 0, n = 0;
	char buf[MODEL_PROMETHEUS_LABELS_LEN];
	buf[0] = '\0';
	bool whole = true;
	if (name && bare(name, true))
		whole = put(buf, &len, sizeof(buf), 5, name);
	else if (name)
		whole = put_label(buf, &len, &n, name, NULL);
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)metric, key, v)
	{
		if (!whole)
			break;
		if (strcmp(key, "__name__") != 0 && json_is_string(v))
			whole = put_label(buf, &len, &n, key, json_string_value(v));
	}
	if (!whole)
		put(buf, &len, sizeof(buf), 0, n == 0 ? "{...}" : ", ...}");
	else if (n > 0)
		put(buf, &len, sizeof(buf), 0, "}");
	return len > 0 ? strdup(buf) : NULL;
}

/* One element of a vector: {"metric": {...}, "value": [t, "v"]}. */
static int sample(const json_t *e, size_t i, struct model_sample *ret,
                  char err[static MODEL_PROMETHEUS_ERROR_LEN])
{
	char what[48];
	snprintf(what, sizeof(what), "sample %zu", i);
	if (!json_is_object(e))
		return fail(err, -EPROTO, "%s is not an object", what);
	if (json_object_get(e, "histogram") && !json_object_get(e, "value"))
		return fail(err, -ENOTSUP,
		            "%s is a native histogram; query a number from it "
		            "(histogram_quantile, histogram_count, ...)",
		            what);
	const json_t *metric = json_object_get(e, "metric");
	if (metric && !json_is_object(metric))
		return fail(err, -EPROTO, "%s: metric is not an object", what);
	const json_t *text = NULL;
	double x = 0;
	int r = pair(json_object_get(e, "value"), what, &text, err);
	if (r == 0)
		r = sample_value(text, what, &x, err);
	if (r < 0)
		return r;
	char *labels = NULL;
	if (metric && json_object_size(metric) > 0) {
		labels = labels_text(metric);
		if (!labels)
			return fail(err, -ENOMEM, "out of memory");
	}
	*ret = (struct model_sample){.value = x, .labels = labels};
	return 0;
}

static int vector(const json_t *result, struct model_value *ret,
                  char err[static MODEL_PROMETHEUS_ERROR_LEN])
{
	if (!json_is_array(result))
		return fail(err, -EPROTO, "vector result is not an array");
	size_t n = json_array_size(result);
	if (n > MODEL_PROMETHEUS_MAX_SAMPLES)
		return fail(err, -E2BIG,
		            "%zu series, more than %d; aggregate them in the query "
		            "(sum, max, topk)",
		            n, MODEL_PROMETHEUS_MAX_SAMPLES);
	struct model_value v = {.kind = MODEL_VALUE_VECTOR};
	if (n > 0) {
		v.vector.samples = calloc(n, sizeof(*v.vector.samples));
		if (!v.vector.samples)
			return fail(err, -ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		int r = sample(json_array_get(result, i), i, &v.vector.samples[i], err);
		if (r < 0) {
			model_value_clear(&v);
			return r;
		}
		v.vector.n++;
	}
	*ret = v;
	return 0;
}

/* "scalar" and "string": result is [t, "v"]. */
static int single(const json_t *result, bool is_string, struct model_value *ret,
                  char err[static MODEL_PROMETHEUS_ERROR_LEN])
{
	const char *what = is_string ? "string result" : "scalar result";
	const json_t *text = NULL;
	int r = pair(result, what, &text, err);
	if (r < 0)
		return r;
	struct model_value v = {.kind = MODEL_VALUE_NUMBER};
	if (is_string) {
		if (model_value_set_string(&v, json_string_value(text), json_string_length(text)) <
		    0)
			return fail(err, -ENOMEM, "out of memory");
	} else {
		r = sample_value(text, what, &v.number, err);
		if (r < 0)
			return r;
	}
	*ret = v;
	return 0;
}

/* The "data" of a successful answer. */
static int data(const json_t *d, struct model_value *ret,
                char err[static MODEL_PROMETHEUS_ERROR_LEN])
{
	const char *type = json_string_value(json_object_get(d, "resultType"));
	const json_t *result = json_object_get(d, "result");
	if (!json_is_object(d) || !type)
		return fail(err, -EPROTO, "response has no data.resultType");
	if (strcmp(type, "vector") == 0)
		return vector(result, ret, err);
	if (strcmp(type, "scalar") == 0 || strcmp(type, "string") == 0)
		return single(result, strcmp(type, "string") == 0, ret, err);
	if (strcmp(type, "matrix") == 0)
		return fail(err, -ENOTSUP,
		            "the result is a range vector (matrix); write an "
		            "instant query (e.g. rate(x[5m]), not x[5m])");
	char q[QUOTE_MAX + 4];
	printable(type, q);
	return fail(err, -EPROTO, "unknown resultType '%s'", q);
}

static int unknown_status(const char *status, char err[static MODEL_PROMETHEUS_ERROR_LEN])
{
	char q[QUOTE_MAX + 4];
	printable(status, q);
	return fail(err, -EPROTO, "unknown status '%s'", q);
}

int model_prometheus_parse(const char *body, size_t len, struct model_value *ret,
                           char err[static MODEL_PROMETHEUS_ERROR_LEN])
{
	json_error_t jerr;
	json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		char q[QUOTE_MAX + 4];
		printable(jerr.text, q);
		return fail(err, -EPROTO, "response is not JSON (line %d, column %d: %s)",
		            jerr.line, jerr.column, q);
	}
	const char *status = json_string_value(json_object_get(root, "status"));
	int r = 0;
	struct model_value v = {.kind = MODEL_VALUE_NUMBER};
	if (!json_is_object(root) || !status)
		r = fail(err, -EPROTO, "response has no \"status\"");
	else if (strcmp(status, "error") == 0)
		r = remote_error(root, err);
	else if (strcmp(status, "success") != 0)
		r = unknown_status(status, err);
	else
		r = data(json_object_get(root, "data"), &v, err);
	json_decref(root);
	if (r < 0)
		return r;
	model_value_clear(ret);
	*ret = v;
	return 0;
}
