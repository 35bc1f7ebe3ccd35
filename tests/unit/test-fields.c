#include "tap.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model/duration.h"
#include "model/fields.h"

/* Every helper reads member "f" of an object under the path "spec.x". */
enum call { INT32, BOOL, OBJECT, ARRAY, STRING, NAME, INTORSTR, DURATION };

static const struct {
	const char *why;
	enum call call;
	bool required;     /* OBJECT, ARRAY, STRING, NAME */
	const char *json;  /* the object holding "f" */
	bool ok;           /* the helper's verdict */
	const char *error; /* the one error added, NULL = none */
	const char *value; /* the value read, as text; NULL = nothing */
} rows[] = {
    {"int32 absent gets the default", INT32, false, "{}", true, NULL, "7"},
    {"int32 read", INT32, false, "{\"f\":42}", true, NULL, "42"},
    {"int32 below min", INT32, false, "{\"f\":0}", false, "spec.x.f: must be at least 1", "7"},
    {"int32 beyond int32", INT32, false, "{\"f\":2147483648}", false,
     "spec.x.f: must be at most 2147483647", "7"},
    {"int32 not an integer", INT32, false, "{\"f\":1.5}", false, "spec.x.f: must be an integer",
     "7"},
    {"bool absent gets the default", BOOL, false, "{}", true, NULL, "true"},
    {"bool read", BOOL, false, "{\"f\":false}", true, NULL, "false"},
    {"bool of another type", BOOL, false, "{\"f\":\"no\"}", false, "spec.x.f: must be a boolean",
     "true"},
    {"object optional and absent", OBJECT, false, "{}", false, NULL, NULL},
    {"object required and absent", OBJECT, true, "{}", false, "spec.x.f: required", NULL},
    {"object of another type", OBJECT, false, "{\"f\":[]}", false, "spec.x.f: must be an object",
     NULL},
    {"object read", OBJECT, true, "{\"f\":{\"a\":1}}", true, NULL, "{\"a\":1}"},
    {"array optional and absent", ARRAY, false, "{}", true, NULL, NULL},
    {"array optional and empty", ARRAY, false, "{\"f\":[]}", true, NULL, "[]"},
    {"array required and empty", ARRAY, true, "{\"f\":[]}", false,
     "spec.x.f: must be a non-empty list", NULL},
    {"array required and absent", ARRAY, true, "{}", false, "spec.x.f: required", NULL},
    {"array of another type", ARRAY, false, "{\"f\":{}}", false, "spec.x.f: must be a list", NULL},
    {"array over the limit names its items", ARRAY, false, "{\"f\":[1,2,3,4]}", false,
     "spec.x.f: must have at most 3 items", NULL},
    {"array at the limit", ARRAY, true, "{\"f\":[1,2,3]}", true, NULL, "[1,2,3]"},
    {"string read", STRING, true, "{\"f\":\"web\"}", true, NULL, "web"},
    {"string optional and absent", STRING, false, "{}", true, NULL, NULL},
    {"string optional may be empty", STRING, false, "{\"f\":\"\"}", true, NULL, ""},
    {"string required and empty", STRING, true, "{\"f\":\"\"}", false, "spec.x.f: required", NULL},
    {"string of another type", STRING, false, "{\"f\":3}", false, "spec.x.f: must be a string",
     NULL},
    {"string with a NUL", STRING, false, "{\"f\":\"a\\u0000b\"}", false,
     "spec.x.f: must not contain NUL characters", NULL},
    {"name read", NAME, true, "{\"f\":\"web-canary\"}", true, NULL, "web-canary"},
    {"name with a dot is no DNS label", NAME, false, "{\"f\":\"web.svc\"}", false,
     "spec.x.f: \"web.svc\" is not a valid DNS-1035 label (lowercase letters, digits and '-', "
     "starting with a letter, at most 63)",
     NULL},
    {"name required and absent", NAME, true, "{}", false, "spec.x.f: required", NULL},
    {"name optional and empty is invalid", NAME, false, "{\"f\":\"\"}", false,
     "spec.x.f: \"\" is not a valid DNS-1035 label (lowercase letters, digits and '-', "
     "starting with a letter, at most 63)",
     NULL},
    {"int-or-percent absent keeps the default", INTORSTR, false, "{}", true, NULL, "25%"},
    {"int-or-percent count", INTORSTR, false, "{\"f\":3}", true, NULL, "3"},
    {"int-or-percent percentage", INTORSTR, false, "{\"f\":\"100%\"}", true, NULL, "100%"},
    {"int-or-percent beyond 100%", INTORSTR, false, "{\"f\":\"101%\"}", false,
     "spec.x.f: must not be greater than 100%", "25%"},
    {"int-or-percent negative", INTORSTR, false, "{\"f\":-1}", false,
     "spec.x.f: must not be negative", "25%"},
    {"int-or-percent garbage", INTORSTR, false, "{\"f\":\"lots\"}", false,
     "spec.x.f: must be an integer or a percentage (e.g. \"25%\")", "25%"},
    {"duration absent", DURATION, false, "{}", true, NULL, NULL},
    {"duration integer seconds", DURATION, false, "{\"f\":30}", true, NULL, "30000000000"},
    {"duration digit string is seconds", DURATION, false, "{\"f\":\"30\"}", true, NULL,
     "30000000000"},
    {"duration Go syntax", DURATION, false, "{\"f\":\"1m30s\"}", true, NULL, "90000000000"},
    {"duration negative integer", DURATION, false, "{\"f\":-1}", false,
     "spec.x.f: must not be negative", NULL},
    {"duration negative Go syntax", DURATION, false, "{\"f\":\"-5s\"}", false,
     "spec.x.f: must not be negative", NULL},
    {"duration seconds beyond int64 nanoseconds", DURATION, false, "{\"f\":9223372037}", false,
     "spec.x.f: must be a duration such as \"30s\", \"5m\" or \"1h\", or an integer number of "
     "seconds",
     NULL},
    {"duration of another type", DURATION, false, "{\"f\":true}", false,
     "spec.x.f: must be a duration such as \"30s\", \"5m\" or \"1h\", or an integer number of "
     "seconds",
     NULL},
};

/* Runs row i's helper; the value read goes to *value as text (caller frees). */
static bool run(size_t i, const json_t *obj, struct model_fields *f, char **value)
{
	const char *base = "spec.x";
	bool ok = false, b = true, has = false;
	int32_t n = 7;
	int64_t ns = 0;
	char *s = NULL;
	json_t *j = NULL;
	struct model_intorstr ios = {true, 25};
	char buf[64];
	*value = NULL;
	switch (rows[i].call) {
	case INT32:
		ok = model_field_int32(f, obj, "f", base, 1, 7, &n);
		snprintf(buf, sizeof(buf), "%d", (int)n);
		*value = strdup(buf);
		break;
	case BOOL:
		ok = model_field_bool(f, obj, "f", base, true, &b);
		*value = strdup(b ? "true" : "false");
		break;
	case OBJECT:
		j = model_field_object(f, obj, "f", base, rows[i].required);
		ok = j != NULL;
		*value = j ? json_dumps(j, JSON_COMPACT) : NULL;
		break;
	case ARRAY:
		ok = model_field_array(f, obj, "f", base, rows[i].required, 3, "items", &j);
		*value = j ? json_dumps(j, JSON_COMPACT) : NULL;
		break;
	case STRING:
		ok = model_field_string(f, obj, "f", base, rows[i].required, &s);
		*value = s;
		break;
	case NAME:
		ok =
		    model_field_name(f, obj, "f", base, MODEL_NAME_DNS_LABEL, rows[i].required, &s);
		*value = s;
		break;
	case INTORSTR:
		ok = model_field_intorstr(f, obj, "f", base, true, &ios);
		snprintf(buf, sizeof(buf), "%d%s", (int)ios.value, ios.is_percent ? "%" : "");
		*value = strdup(buf);
		break;
	case DURATION:
		ok = model_field_duration(f, obj, "f", base, &has, &ns);
		snprintf(buf, sizeof(buf), "%lld", (long long)ns);
		*value = has ? strdup(buf) : NULL;
		break;
	}
	return ok;
}

static void test_rows(void)
{
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		json_t *obj = json_loads(rows[i].json, JSON_ALLOW_NUL, NULL);
		struct model_errors errs = {0};
		struct model_fields f = {.errs = &errs};
		char *value = NULL;
		bool got = run(i, obj, &f, &value);
		is_int(got, rows[i].ok, "%s: verdict", rows[i].why);
		is_int(model_errors_count(&errs), rows[i].error ? 1 : 0, "%s: errors", rows[i].why);
		is_str(errs.n > 0 ? errs.msg[0] : NULL, rows[i].error, "%s: message", rows[i].why);
		is_str(value, rows[i].value, "%s: value", rows[i].why);
		ok(!f.oom, "%s: no oom", rows[i].why);
		free(value);
		model_errors_clear(&errs);
		json_decref(obj);
	}
}

static void test_paths(void)
{
	char p[MODEL_PATH_LEN];
	model_path_key(p, "", "metadata");
	is_str(p, "metadata", "a key at the top has no dot");
	model_path_key(p, "spec.strategy", "canary");
	is_str(p, "spec.strategy.canary", "keys join with a dot");
	model_path_index(p, "spec.steps", 12);
	is_str(p, "spec.steps[12]", "indexes in brackets");

	/* A path longer than the buffer is cut, not overflowed. */
	char longer[MODEL_PATH_LEN * 2];
	memset(longer, 'a', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	model_path_key(p, longer, "tail");
	is_int(strlen(p), MODEL_PATH_LEN - 1, "a long path is cut to the buffer");
	ok(p[0] == 'a' && p[MODEL_PATH_LEN - 2] == 'a', "the cut keeps the start");
}

static void test_only(void)
{
	static const char *const allowed[] = {"gatewayAPI", "nginx", NULL};
	struct model_errors errs = {0};
	struct model_fields f = {.errs = &errs};
	json_t *good = json_pack("{s:{}}", "nginx");
	json_t *bad = json_pack("{s:{},s:{}}", "nginx", "istio");
	ok(model_fields_only(&f, good, "spec.t", allowed, "want one"), "known keys pass");
	is_int(model_errors_count(&errs), 0, "and add nothing");
	ok(!model_fields_only(&f, bad, "spec.t", allowed, "want one"), "a stranger fails");
	is_str(errs.n ? errs.msg[0] : NULL, "spec.t: unknown field \"istio\": want one",
	       "named with the expectation");
	json_decref(good);
	json_decref(bad);
	model_errors_clear(&errs);
}

int main(void)
{
	test_rows();
	test_paths();
	test_only();
	return tap_done();
}
