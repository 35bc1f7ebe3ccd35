#include "tap.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "model/jsonpath.h"

static const char body[] =
    "{\"status\": \"ok\", \"data\": {\"n\": 3, \"ok\": true, \"none\": null,"
    " \"list\": [0.1, 0.2], \"mixed\": [1, \"a\"], \"obj\": {\"b\": 1, \"a\": 2}},"
    " \"odd key\": 7, \"items\": [{\"value\": 0.5}, {\"value\": 0.9}]}";

/* path, what comes back: the return code and the formatted value
 * (model_value_format) or the message. */
static const struct {
	const char *path;
	int ret;
	const char *want;
} rows[] = {
    {"{$.status}", 0, "'ok'"},
    {"$.status", 0, "'ok'"},
    {"{.status}", 0, "'ok'"},
    {"{$.data.n}", 0, "3"},
    {"{$.data.ok}", 0, "true"},
    {"{$.data.list}", 0, "[0.1, 0.2]"},
    {"{$.data.list[1]}", 0, "0.2"},
    {"{$.data.list[-1]}", 0, "0.2"},
    {"{$.items[1].value}", 0, "0.9"},
    {"{$['odd key']}", 0, "7"},
    {"{$[\"odd key\"]}", 0, "7"},
    {"{$.data['n']}", 0, "3"},
    /* Other arrays and objects: their compact JSON, keys sorted. */
    {"{$.data.mixed}", 0, "'[1,\"a\"]'"},
    {"{$.data.obj}", 0, "'{\"a\":2,\"b\":1}'"},
    /* Nothing there: no data, never a value. */
    {"{$.missing}", -ENODATA, "{$.missing}: no value there"},
    {"{$.data.none}", -ENODATA, "{$.data.none}: no value there"},
    {"{$.data.list[2]}", -ENODATA, "{$.data.list[2]}: no value there"},
    {"{$.data.list[-3]}", -ENODATA, "{$.data.list[-3]}: no value there"},
    {"{$.status.deeper}", -ENODATA, "{$.status.deeper}: no value there"},
    {"{$.data[0]}", -ENODATA, "{$.data[0]}: no value there"},
    /* Outside the subset: refused with the column. */
    {"{$.items[*].value}", -EINVAL,
     "jsonPath column 10: expected an index or a quoted key (no filters or wildcards)"},
    {"{$..value}", -EINVAL, "jsonPath column 4: recursive descent is not supported"},
    {"{$.items[?(@.value > 1)]}", -EINVAL,
     "jsonPath column 10: expected an index or a quoted key (no filters or wildcards)"},
    {"{$.items[0}", -EINVAL, "jsonPath column 11: expected ']'"},
    {"{$['odd key}", -EINVAL, "jsonPath column 12: expected a closing quote and ']'"},
    {"{$.status", -EINVAL, "jsonPath column 9: expected '}'"},
    {"{$.a b}", -EINVAL, "jsonPath column 5: expected '.' or '['"},
    {"{$.}", -EINVAL, "jsonPath column 4: expected a name"},
};

static void test_rows(void)
{
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct model_value v = {0};
		char err[MODEL_JSONPATH_ERROR_LEN] = "";
		int r = model_jsonpath_eval(rows[i].path, body, strlen(body), &v, err);
		is_int(r, rows[i].ret, "%s: return", rows[i].path);
		if (r == 0) {
			char buf[256];
			model_value_format(&v, buf, sizeof(buf));
			is_str(buf, rows[i].want, "%s: value", rows[i].path);
		} else {
			is_str(err, rows[i].want, "%s: message", rows[i].path);
			ok(v.kind == MODEL_VALUE_NUMBER && v.number == 0, "%s: value untouched",
			   rows[i].path);
		}
		if (rows[i].ret != -ENODATA) {
			int c = model_jsonpath_check(rows[i].path, err);
			is_int(c, rows[i].ret == -EINVAL ? -EINVAL : 0, "%s: check agrees",
			       rows[i].path);
		}
		model_value_clear(&v);
	}
}

static void test_whole_body(void)
{
	struct model_value v = {0};
	char err[MODEL_JSONPATH_ERROR_LEN];
	char buf[64];
	is_int(model_jsonpath_eval(NULL, "0.25", 4, &v, err), 0, "no path: a JSON number");
	model_value_format(&v, buf, sizeof(buf));
	is_str(buf, "0.25", "is the number");
	is_int(model_jsonpath_eval(NULL, "healthy\n", 8, &v, err), 0, "no path: text");
	ok(v.kind == MODEL_VALUE_STRING && strcmp(v.string.s, "healthy\n") == 0,
	   "is the body as a string");
	is_int(model_jsonpath_eval(NULL, "null", 4, &v, err), -ENODATA, "no path: null is no data");
	ok(v.kind == MODEL_VALUE_STRING, "and the old value is kept");
	is_int(model_jsonpath_eval("{$.a}", "not json", 8, &v, err), -EPROTO,
	       "a path into a body that is not JSON");
	is_str(err, "the response is not JSON", "says so");
	model_value_clear(&v);
}

static void test_limits(void)
{
	char path[MODEL_JSONPATH_MAX_LEN + 8];
	char err[MODEL_JSONPATH_ERROR_LEN];
	memset(path, 'a', sizeof(path) - 1);
	path[0] = '.';
	path[sizeof(path) - 1] = '\0';
	is_int(model_jsonpath_check(path, err), -EINVAL, "a path over the length limit");
	char many[3 * (MODEL_JSONPATH_MAX_SEGMENTS + 1) + 1];
	for (int i = 0; i <= MODEL_JSONPATH_MAX_SEGMENTS; i++)
		memcpy(many + 3 * i, ".ab", 3);
	many[3 * (MODEL_JSONPATH_MAX_SEGMENTS + 1)] = '\0';
	is_int(model_jsonpath_check(many, err), -EINVAL, "more segments than the limit");
	ok(strstr(err, "too many segments") != NULL, "says so: %s", err);
}

int main(void)
{
	test_rows();
	test_whole_body();
	test_limits();
	return tap_done();
}
