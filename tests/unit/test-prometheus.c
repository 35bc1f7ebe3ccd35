#include "tap.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/prometheus.h"

#define OK_VECTOR(result)                                                                          \
	"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":" result "}}"

/* Bodies as Prometheus sends them, and what they become. */
static const struct {
	const char *name;
	const char *body;
	int ret;
	enum model_value_kind kind;
	size_t n;         /* vector: samples */
	double values[3]; /* the number, or the first samples */
	const char *labels[3];
	const char *text; /* string result, or the error message */
} rows[] = {
    {"empty vector (no data)", OK_VECTOR("[]"), 0, MODEL_VALUE_VECTOR, 0, {0}, {0}, NULL},
    {"one sample of sum(rate(...))",
     OK_VECTOR("[{\"metric\":{},\"value\":[1764748800.123,\"0.031\"]}]"),
     0,
     MODEL_VALUE_VECTOR,
     1,
     {0.031},
     {NULL},
     NULL},
    {"three series of up",
     "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":["
     "{\"metric\":{\"__name__\":\"up\",\"instance\":\"localhost:9090\",\"job\":\"prometheus\"},"
     "\"value\":[1764748800.781,\"1\"]},"
     "{\"metric\":{\"__name__\":\"up\",\"instance\":\"localhost:9100\",\"job\":\"node\"},"
     "\"value\":[1764748800.781,\"0\"]},"
     "{\"metric\":{\"code\":\"500\",\"path\":\"/a\\\"b\\\\c\\nd\"},"
     "\"value\":[1764748800.781,\"12.5\"]}]},"
     "\"warnings\":[\"PromQL info: metric might not be a counter\"]}",
     0,
     MODEL_VALUE_VECTOR,
     3,
     {1, 0, 12.5},
     {"up{instance=\"localhost:9090\", job=\"prometheus\"}",
      "up{instance=\"localhost:9100\", job=\"node\"}", "{code=\"500\", path=\"/a\\\"b\\\\c\\nd\"}"},
     NULL},
    {"a name and no labels",
     OK_VECTOR("[{\"metric\":{\"__name__\":\"up\"},\"value\":[1,\"1\"]}]"),
     0,
     MODEL_VALUE_VECTOR,
     1,
     {1},
     {"up"},
     NULL},
    /* Prometheus 3 allows any UTF-8 in names and quotes the ones beyond
     * [a-zA-Z_:][a-zA-Z0-9_:]* inside the braces. */
    {"UTF-8 names",
     OK_VECTOR("[{\"metric\":{\"__name__\":\"http.requests\",\"service.name\":\"web\","
               "\"job\":\"a\"},\"value\":[1,\"1\"]},"
               "{\"metric\":{\"a\\nb\":\"v\",\"__name__\":\"up:sum\"},\"value\":[1,\"2\"]}]"),
     0,
     MODEL_VALUE_VECTOR,
     2,
     {1, 2},
     {"{\"http.requests\", \"service.name\"=\"web\", job=\"a\"}", "up:sum{\"a\\nb\"=\"v\"}"},
     NULL},
    {"no metric at all",
     OK_VECTOR("[{\"value\":[1,\"2\"]}]"),
     0,
     MODEL_VALUE_VECTOR,
     1,
     {2},
     {NULL},
     NULL},
    {"NaN and infinities",
     OK_VECTOR("[{\"metric\":{},\"value\":[1,\"NaN\"]},{\"metric\":{},\"value\":[1,\"+Inf\"]},"
               "{\"metric\":{},\"value\":[1,\"-Inf\"]}]"),
     0,
     MODEL_VALUE_VECTOR,
     3,
     {NAN, INFINITY, -INFINITY},
     {NULL},
     NULL},
    {"exponent and sign",
     OK_VECTOR("[{\"value\":[1,\"-1.5e-3\"]},{\"value\":[1,\"1E6\"]}]"),
     0,
     MODEL_VALUE_VECTOR,
     2,
     {-0.0015, 1e6},
     {NULL},
     NULL},
    {"scalar",
     "{\"status\":\"success\",\"data\":{\"resultType\":\"scalar\",\"result\":[1764748800,\"0.5\"]}"
     "}",
     0,
     MODEL_VALUE_NUMBER,
     0,
     {0.5},
     {NULL},
     NULL},
    {"NaN scalar",
     "{\"status\":\"success\",\"data\":{\"resultType\":\"scalar\",\"result\":[1,\"NaN\"]}}",
     0,
     MODEL_VALUE_NUMBER,
     0,
     {NAN},
     {NULL},
     NULL},
    {"string",
     "{\"status\":\"success\",\"data\":{\"resultType\":\"string\",\"result\":[1,\"ok\"]}}",
     0,
     MODEL_VALUE_STRING,
     0,
     {0},
     {NULL},
     "ok"},
    /* Prometheus' own errors. */
    {"bad_data",
     "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"invalid parameter "
     "\\\"query\\\": "
     "1:5: parse error: unexpected character: '@'\"}",
     -EREMOTEIO,
     0,
     0,
     {0},
     {NULL},
     "prometheus: bad_data: invalid parameter \"query\": 1:5: parse error: unexpected "
     "character: '@'"},
    {"timeout",
     "{\"status\":\"error\",\"errorType\":\"timeout\",\"error\":\"query timed out in expression "
     "evaluation\",\"data\":{}}",
     -EREMOTEIO,
     0,
     0,
     {0},
     {NULL},
     "prometheus: timeout: query timed out in expression evaluation"},
    {"error with a newline",
     "{\"status\":\"error\",\"errorType\":\"execution\",\"error\":\"a\\nb\"}",
     -EREMOTEIO,
     0,
     0,
     {0},
     {NULL},
     "prometheus: execution: a?b"},
    {"error without a type",
     "{\"status\":\"error\",\"error\":\"boom\"}",
     -EREMOTEIO,
     0,
     0,
     {0},
     {NULL},
     "prometheus: boom"},
    {"error without a message",
     "{\"status\":\"error\",\"errorType\":\"internal\"}",
     -EREMOTEIO,
     0,
     0,
     {0},
     {NULL},
     "prometheus: internal (no message)"},
    {"bare error",
     "{\"status\":\"error\"}",
     -EREMOTEIO,
     0,
     0,
     {0},
     {NULL},
     "prometheus: query failed (no message)"},
    /* What an instant query must not be. */
    {"matrix",
     "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[{\"metric\":{},"
     "\"values\":[[1,\"1\"],[2,\"2\"]]}]}}",
     -ENOTSUP,
     0,
     0,
     {0},
     {NULL},
     "prometheus: the result is a range vector (matrix); write an instant query (e.g. "
     "rate(x[5m]), not x[5m])"},
    {"native histogram",
     OK_VECTOR("[{\"metric\":{},\"histogram\":[1,{\"count\":\"3\"}]}]"),
     -ENOTSUP,
     0,
     0,
     {0},
     {NULL},
     "prometheus: sample 0 is a native histogram; query a number from it (histogram_quantile, "
     "histogram_count, ...)"},
    /* Not Prometheus at all, or broken. */
    {"empty body",
     "",
     -EPROTO,
     0,
     0,
     {0},
     {NULL},
     "prometheus: response is not JSON (line 1, column 0: '[' or '{' expected near end of file)"},
    {"a proxy's HTML",
     "<html><body>502 Bad Gateway</body></html>",
     -EPROTO,
     0,
     0,
     {0},
     {NULL},
     "prometheus: response is not JSON (line 1, column 1: '[' or '{' expected near '<')"},
    {"truncated",
     "{\"status\":\"success\",\"data\":{\"resultType\":\"vec",
     -EPROTO,
     0,
     0,
     {0},
     {NULL},
     "prometheus: response is not JSON (line 1, column 45: premature end of input near "
     "'\"vec')"},
    {"an array", "[]", -EPROTO, 0, 0, {0}, {NULL}, "prometheus: response has no \"status\""},
    {"status not a string",
     "{\"status\":1}",
     -EPROTO,
     0,
     0,
     {0},
     {NULL},
     "prometheus: response has no \"status\""},
    {"unknown status",
     "{\"status\":\"partial\"}",
     -EPROTO,
     0,
     0,
     {0},
     {NULL},
     "prometheus: unknown status 'partial'"},
    {"no data",
     "{\"status\":\"success\"}",
     -EPROTO,
     0,
     0,
     {0},
     {NULL},
     "prometheus: response has no data.resultType"},
    {"data not an object",
     "{\"status\":\"success\",\"data\":[]}",
     -EPROTO,
     0,
     0,
     {0},
     {NULL},
     "prometheus: response has no data.resultType"},
    {"unknown resultType",
     "{\"status\":\"success\",\"data\":{\"resultType\":\"table\"}}",
     -EPROTO,
     0,
     0,
     {0},
     {NULL},
     "prometheus: unknown resultType 'table'"},
    {"vector not an array",
     OK_VECTOR("{}"),
     -EPROTO,
     0,
     0,
     {0},
     {NULL},
     "prometheus: vector result is not an array"},
    {"vector of numbers",
     OK_VECTOR("[1]"),
     -EPROTO,
     0,
     0,
     {0},
     {NULL},
     "prometheus: sample 0 is not an object"},
    {"value a number",
     OK_VECTOR("[{\"metric\":{},\"value\":[1,0.5]}]"),
     -EPROTO,
     0,
     0,
     {0},
     {NULL},
     "prometheus: sample 0 is not [<time>, \"<value>\"]"},
    {"value of three",
     OK_VECTOR("[{\"metric\":{},\"value\":[1,\"1\",\"2\"]}]"),
     -EPROTO,
     0,
     0,
     {0},
     {NULL},
     "prometheus: sample 0 is not [<time>, \"<value>\"]"},
    {"time a string",
     OK_VECTOR("[{\"metric\":{},\"value\":[\"1\",\"1\"]}]"),
     -EPROTO,
     0,
     0,
     {0},
     {NULL},
     "prometheus: sample 0 is not [<time>, \"<value>\"]"},
    {"no value",
     OK_VECTOR("[{\"metric\":{}}]"),
     -EPROTO,
     0,
     0,
     {0},
     {NULL},
     "prometheus: sample 0 is not [<time>, \"<value>\"]"},
    {"metric a string",
     OK_VECTOR("[{\"metric\":\"up\",\"value\":[1,\"1\"]}]"),
     -EPROTO,
     0,
     0,
     {0},
     {NULL},
     "prometheus: sample 0: metric is not an object"},
    {"second sample bad",
     OK_VECTOR("[{\"value\":[1,\"1\"]},{\"value\":[1,\"abc\"]},{\"value\":[1,\"2\"]}]"),
     -EPROTO,
     0,
     0,
     {0},
     {NULL},
     "prometheus: sample 1: 'abc' is not a number"},
    {"C's infinity",
     OK_VECTOR("[{\"value\":[1,\"inf\"]}]"),
     -EPROTO,
     0,
     0,
     {0},
     {NULL},
     "prometheus: sample 0: 'inf' is not a number"},
    {"C's nan",
     OK_VECTOR("[{\"value\":[1,\"nan\"]}]"),
     -EPROTO,
     0,
     0,
     {0},
     {NULL},
     "prometheus: sample 0: 'nan' is not a number"},
    {"hex",
     OK_VECTOR("[{\"value\":[1,\"0x10\"]}]"),
     -EPROTO,
     0,
     0,
     {0},
     {NULL},
     "prometheus: sample 0: '0x10' is not a number"},
    {"space",
     OK_VECTOR("[{\"value\":[1,\" 1\"]}]"),
     -EPROTO,
     0,
     0,
     {0},
     {NULL},
     "prometheus: sample 0: ' 1' is not a number"},
    {"empty value",
     OK_VECTOR("[{\"value\":[1,\"\"]}]"),
     -EPROTO,
     0,
     0,
     {0},
     {NULL},
     "prometheus: sample 0: '' is not a number"},
    {"a lone point",
     OK_VECTOR("[{\"value\":[1,\".\"]}]"),
     -EPROTO,
     0,
     0,
     {0},
     {NULL},
     "prometheus: sample 0: '.' is not a number"},
    {"embedded NUL",
     OK_VECTOR("[{\"value\":[1,\"1\\u00002\"]}]"),
     -EPROTO,
     0,
     0,
     {0},
     {NULL},
     "prometheus: response is not JSON (line 1, column 82: \\u0000 is not allowed without "
     "JSON_ALLOW_NUL near '\"1\\u00002\"')"},
    {"scalar not a pair",
     "{\"status\":\"success\",\"data\":{\"resultType\":\"scalar\",\"result\":5}}",
     -EPROTO,
     0,
     0,
     {0},
     {NULL},
     "prometheus: scalar result is not [<time>, \"<value>\"]"},
    {"duplicate keys",
     "{\"status\":\"success\",\"status\":\"error\"}",
     -EPROTO,
     0,
     0,
     {0},
     {NULL},
     "prometheus: response is not JSON (line 1, column 28: duplicate object key near "
     "'\"status\"')"},
};

static void check_row(size_t i)
{
	char err[MODEL_PROMETHEUS_ERROR_LEN] = "";
	struct model_value v = {0};
	model_value_set_string(&v, "before", 6);
	int r = model_prometheus_parse(rows[i].body, strlen(rows[i].body), &v, err);
	is_int(r, rows[i].ret, "%s: returns %d", rows[i].name, rows[i].ret);
	if (rows[i].ret < 0) {
		is_str(err, rows[i].text, "%s: says why", rows[i].name);
		ok(v.kind == MODEL_VALUE_STRING && strcmp(v.string.s, "before") == 0,
		   "%s: value untouched", rows[i].name);
		model_value_clear(&v);
		return;
	}
	is_int(v.kind, rows[i].kind, "%s: kind", rows[i].name);
	if (v.kind == MODEL_VALUE_STRING) {
		is_str(v.string.s, rows[i].text, "%s: text", rows[i].name);
	} else if (v.kind == MODEL_VALUE_NUMBER) {
		double want = rows[i].values[0];
		ok(isnan(want) ? isnan(v.number) : v.number == want, "%s: number", rows[i].name);
	} else {
		is_int(v.vector.n, rows[i].n, "%s: samples", rows[i].name);
		ok(rows[i].n > 0 || v.vector.samples == NULL, "%s: no array when empty",
		   rows[i].name);
		for (size_t k = 0; k < v.vector.n && k < 3; k++) {
			double want = rows[i].values[k];
			double got = v.vector.samples[k].value;
			ok(isnan(want) ? isnan(got) : got == want, "%s: sample %zu", rows[i].name,
			   k);
			is_str(v.vector.samples[k].labels, rows[i].labels[k], "%s: labels %zu",
			       rows[i].name, k);
		}
	}
	model_value_clear(&v);
}

/* A vector of n samples of "1" with no labels; caller frees. */
static char *many(size_t n)
{
	const char *head =
	    "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[";
	const char *item = "{\"metric\":{},\"value\":[1,\"1\"]}";
	size_t len = strlen(head) + n * (strlen(item) + 1) + 4;
	char *s = malloc(len);
	size_t at = (size_t)snprintf(s, len, "%s", head);
	for (size_t i = 0; i < n; i++)
		at += (size_t)snprintf(s + at, len - at, "%s%s", i ? "," : "", item);
	snprintf(s + at, len - at, "]}}");
	return s;
}

static void test_limits(void)
{
	char err[MODEL_PROMETHEUS_ERROR_LEN];
	struct model_value v = {0};
	char *body = many(MODEL_PROMETHEUS_MAX_SAMPLES);
	is_int(model_prometheus_parse(body, strlen(body), &v, err), 0, "10000 series parse");
	is_int(v.vector.n, MODEL_PROMETHEUS_MAX_SAMPLES, "all of them");
	model_value_clear(&v);
	free(body);
	body = many(MODEL_PROMETHEUS_MAX_SAMPLES + 1);
	is_int(model_prometheus_parse(body, strlen(body), &v, err), -E2BIG, "10001 do not");
	is_str(err,
	       "prometheus: 10001 series, more than 10000; aggregate them in the query (sum, "
	       "max, topk)",
	       "and say so");
	free(body);

	/* A series with labels longer than MODEL_PROMETHEUS_LABELS_LEN keeps
	 * the labels that fit, never a cut label. */
	char big[2048];
	size_t at = (size_t)snprintf(big, sizeof(big), "%s",
	                             "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\","
	                             "\"result\":[{\"metric\":{\"__name__\":\"m\"");
	for (int i = 0; i < 20; i++)
		at += (size_t)snprintf(big + at, sizeof(big) - at, ",\"label%02d\":\"%s\"", i,
		                       "0123456789012345678901234567890123456789");
	snprintf(big + at, sizeof(big) - at, "},\"value\":[1,\"1\"]}]}}");
	is_int(model_prometheus_parse(big, strlen(big), &v, err), 0, "long labels parse");
	const char *l = v.vector.samples[0].labels;
	ok(l && strlen(l) < MODEL_PROMETHEUS_LABELS_LEN, "labels bounded: %zu bytes",
	   l ? strlen(l) : 0);
	ok(l && strncmp(l, "m{label00=\"0123", 15) == 0, "starts with the first labels: %s",
	   l ? l : "(null)");
	size_t len = l ? strlen(l) : 0;
	ok(len > 7 && strcmp(l + len - 7, "\", ...}") == 0, "ends after a whole label: ...%s",
	   len > 12 ? l + len - 12 : "");
	model_value_clear(&v);

	/* The message keeps "prometheus: " and is cut, not overrun. */
	char huge[4096];
	at = (size_t)snprintf(huge, sizeof(huge),
	                      "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"");
	for (int i = 0; i < 1000; i++)
		huge[at++] = 'x';
	snprintf(huge + at, sizeof(huge) - at, "\"}");
	is_int(model_prometheus_parse(huge, strlen(huge), &v, err), -EREMOTEIO, "long error");
	ok(strncmp(err, "prometheus: bad_data: xxx", 25) == 0 && strlen(err) < sizeof(err),
	   "cut: %zu bytes", strlen(err));
	ok(strstr(err, "...") != NULL, "marked as cut");
}

int main(void)
{
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		check_row(i);
	test_limits();
	return tap_done();
}
