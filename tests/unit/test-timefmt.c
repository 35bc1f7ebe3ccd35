#include "tap.h"

#include <errno.h>
#include <stddef.h>
#include <time.h>

#include "model/timefmt.h"

static const struct {
	const char *text;
	int ret;
	long long t;
} parse_rows[] = {
    {"1970-01-01T00:00:00Z", 0, 0},
    {"2026-11-26T12:20:04Z", 0, 1795695604},
    {"2026-11-26t12:20:04z", 0, 1795695604},
    {"2026-11-26 12:20:04Z", 0, 1795695604},
    {"2026-11-26T12:20:04.999999999Z", 0, 1795695604},
    {"2026-11-26T13:20:04+01:00", 0, 1795695604},
    {"2026-11-26T11:50:04-00:30", 0, 1795695604},
    {"2024-02-29T00:00:00Z", 0, 1709164800},
    {"1969-12-31T23:59:59Z", 0, -1},
    {"2016-12-31T23:59:60Z", 0, 1483228799},
    {"2023-02-29T00:00:00Z", -EINVAL, 0},
    {"2026-13-01T00:00:00Z", -EINVAL, 0},
    {"2026-04-31T00:00:00Z", -EINVAL, 0},
    {"2026-11-26T24:00:00Z", -EINVAL, 0},
    {"2026-11-26T12:20:04", -EINVAL, 0}, /* offset is required */
    {"2026-11-26T12:20:04.Z", -EINVAL, 0},
    {"2026-11-26T12:20:04Zx", -EINVAL, 0},
    {"2026-11-26", -EINVAL, 0},
    {"", -EINVAL, 0},
    {"26-11-26T12:20:04Z", -EINVAL, 0},
};

static const struct {
	long long t;
	int ret;
	const char *text;
} format_rows[] = {
    {0, 0, "1970-01-01T00:00:00Z"},
    {1795695604, 0, "2026-11-26T12:20:04Z"},
    {-1, 0, "1969-12-31T23:59:59Z"},
    {951782400, 0, "2000-02-29T00:00:00Z"},
    {253402300799LL, 0, "9999-12-31T23:59:59Z"},
    {253402300800LL, -ERANGE, NULL},
    {-62135596801LL, -ERANGE, NULL},
    {-62135596800LL, 0, "0001-01-01T00:00:00Z"},
};

int main(void)
{
	for (size_t i = 0; i < sizeof(parse_rows) / sizeof(parse_rows[0]); i++) {
		time_t t = 777;
		is_int(model_time_parse(parse_rows[i].text, &t), parse_rows[i].ret, "parse \"%s\"",
		       parse_rows[i].text);
		is_int(t, parse_rows[i].ret == 0 ? parse_rows[i].t : 777, "\"%s\" value",
		       parse_rows[i].text);
	}
	for (size_t i = 0; i < sizeof(format_rows) / sizeof(format_rows[0]); i++) {
		char buf[MODEL_TIME_LEN] = "untouched";
		is_int(model_time_format((time_t)format_rows[i].t, buf), format_rows[i].ret,
		       "format %lld", format_rows[i].t);
		is_str(buf, format_rows[i].ret == 0 ? format_rows[i].text : "untouched",
		       "format %lld text", format_rows[i].t);
	}
	/* Every day for 30 years round-trips (catches off-by-one in the calendar). */
	int bad = 0;
	for (long long t = 946684800LL; t < 946684800LL + 30LL * 366 * 86400; t += 86400 + 3607) {
		char buf[MODEL_TIME_LEN];
		time_t back = 0;
		if (model_time_format((time_t)t, buf) != 0 || model_time_parse(buf, &back) != 0 ||
		    back != t)
			bad++;
	}
	is_int(bad, 0, "format then parse is the identity over 30 years");
	return tap_done();
}
