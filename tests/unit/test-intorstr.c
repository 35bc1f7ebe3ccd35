#include "tap.h"

#include <errno.h>
#include <jansson.h>
#include <stddef.h>

#include "model/intorstr.h"

static const struct {
	const char *json; /* a JSON value */
	int ret;
	bool is_percent;
	int value;
} parse_rows[] = {
    {"3", 0, false, 3},
    {"0", 0, false, 0},
    {"\"25%\"", 0, true, 25},
    {"\"0%\"", 0, true, 0},
    {"\"100%\"", 0, true, 100},
    {"\"250%\"", 0, true, 250},   /* maxSurge may exceed 100%: the field decides */
    {"\"05%\"", 0, true, 5},      /* Kubernetes' ^[0-9]+%$ admits leading zeros */
    {"\"3\"", -EINVAL, false, 0}, /* a string must end in %, as in intstr */
    {"\"abc\"", -EINVAL, false, 0},
    {"\"%\"", -EINVAL, false, 0},
    {"\"25 %\"", -EINVAL, false, 0},
    {"\" 25%\"", -EINVAL, false, 0},
    {"\"25%%\"", -EINVAL, false, 0},
    {"\"-5%\"", -EINVAL, false, 0},
    {"\"+5%\"", -EINVAL, false, 0},
    {"\"2.5%\"", -EINVAL, false, 0},
    {"\"\"", -EINVAL, false, 0},
    {"-1", -ERANGE, false, 0},
    {"2147483647", 0, false, 2147483647},
    {"2147483648", -EOVERFLOW, false, 0},
    {"\"2147483648%\"", -EOVERFLOW, false, 0},
    {"\"99999999999999999999999%\"", -EOVERFLOW, false, 0},
    {"2.5", -EINVAL, false, 0},
    {"true", -EINVAL, false, 0},
    {"null", -EINVAL, false, 0},
    {"{}", -EINVAL, false, 0},
    {"\"25%\\u0000x\"", -EINVAL, false, 0}, /* embedded NUL hides "x" from C */
};

static const struct {
	bool is_percent;
	int value;
	int total;
	bool round_up;
	int want;
} scale_rows[] = {
    {false, 3, 10, true, 3},
    {false, 3, 10, false, 3},
    {false, 50, 10, false, 50}, /* counts are not clamped */
    {true, 25, 10, true, 3},    /* 2.5 up */
    {true, 25, 10, false, 2},   /* 2.5 down */
    {true, 25, 4, true, 1},
    {true, 25, 4, false, 1},
    {true, 10, 1, true, 1},
    {true, 10, 1, false, 0},
    {true, 100, 7, false, 7},
    {true, 0, 7, true, 0},
    {true, 33, 0, true, 0},
    {true, 200, 5, true, 10},
    {true, 1, 2147483647, true, 21474837},
    {true, 1, 2147483647, false, 21474836},
};

static const struct {
	const char *surge, *unavailable;
	int desired;
	int want_surge, want_unavailable;
} fence_rows[] = {
    {"\"25%\"", "\"25%\"", 10, 3, 2},
    {"\"25%\"", "\"25%\"", 1, 1, 0},
    {"0", "\"10%\"", 5, 0, 1},      /* both 0 -> one unavailable */
    {"\"0%\"", "\"0%\"", 10, 0, 1}, /* (validation rejects this spec; math still safe) */
    {"\"25%\"", "\"25%\"", 0, 0, 1},
    {"1", "0", 3, 1, 0},
    {"0", "1", 3, 0, 1},
    {"\"50%\"", "\"50%\"", 3, 2, 1},
};

static int parse(const char *text, struct model_intorstr *out)
{
	json_error_t jerr;
	json_t *v = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
	if (!v) {
		tap_diag("bad test JSON %s: %s", text, jerr.text);
		return -999;
	}
	int r = model_intorstr_from_json(v, out);
	json_decref(v);
	return r;
}

int main(void)
{
	for (size_t i = 0; i < sizeof(parse_rows) / sizeof(parse_rows[0]); i++) {
		struct model_intorstr v = {.is_percent = true, .value = -77};
		int r = parse(parse_rows[i].json, &v);
		is_int(r, parse_rows[i].ret, "parse %s returns %d", parse_rows[i].json,
		       parse_rows[i].ret);
		if (parse_rows[i].ret == 0) {
			is_int(v.is_percent, parse_rows[i].is_percent, "parse %s: kind",
			       parse_rows[i].json);
			is_int(v.value, parse_rows[i].value, "parse %s: value", parse_rows[i].json);
			json_t *back = model_intorstr_to_json(&v);
			struct model_intorstr again;
			is_int(model_intorstr_from_json(back, &again), 0, "%s: to_json parses",
			       parse_rows[i].json);
			ok(again.is_percent == v.is_percent && again.value == v.value,
			   "%s: to_json round-trips", parse_rows[i].json);
			json_decref(back);
		} else {
			is_int(v.value, -77, "parse %s: output untouched on error",
			       parse_rows[i].json);
		}
	}

	for (size_t i = 0; i < sizeof(scale_rows) / sizeof(scale_rows[0]); i++) {
		struct model_intorstr v = {scale_rows[i].is_percent, scale_rows[i].value};
		int32_t got = -1;
		is_int(model_intorstr_scaled(&v, scale_rows[i].total, scale_rows[i].round_up, &got),
		       0, "scale row %zu succeeds", i);
		is_int(got, scale_rows[i].want, "%d%s of %d rounded %s is %d", scale_rows[i].value,
		       scale_rows[i].is_percent ? "%" : "", scale_rows[i].total,
		       scale_rows[i].round_up ? "up" : "down", scale_rows[i].want);
	}
	struct model_intorstr huge = {true, 2147483647};
	int32_t out = 42;
	is_int(model_intorstr_scaled(&huge, 1000, true, &out), -ERANGE,
	       "result above int32 is ERANGE");
	is_int(out, 42, "output untouched on ERANGE");
	is_int(model_intorstr_scaled(&huge, -1, true, &out), -EINVAL, "negative total is EINVAL");

	for (size_t i = 0; i < sizeof(fence_rows) / sizeof(fence_rows[0]); i++) {
		struct model_intorstr s, u;
		parse(fence_rows[i].surge, &s);
		parse(fence_rows[i].unavailable, &u);
		int32_t gs = -1, gu = -1;
		is_int(model_resolve_fenceposts(&s, &u, fence_rows[i].desired, &gs, &gu), 0,
		       "fenceposts row %zu", i);
		is_int(gs, fence_rows[i].want_surge, "surge %s of %d -> %d", fence_rows[i].surge,
		       fence_rows[i].desired, fence_rows[i].want_surge);
		is_int(gu, fence_rows[i].want_unavailable, "unavailable %s of %d -> %d",
		       fence_rows[i].unavailable, fence_rows[i].desired,
		       fence_rows[i].want_unavailable);
	}

	char buf[MODEL_INTORSTR_LEN];
	struct model_intorstr p = {true, 25};
	model_intorstr_format(&p, buf);
	is_str(buf, "25%", "format a percentage");
	struct model_intorstr c = {false, 2147483647};
	model_intorstr_format(&c, buf);
	is_str(buf, "2147483647", "format the largest count");
	return tap_done();
}
