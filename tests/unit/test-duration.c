#include "tap.h"

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "model/duration.h"

#define S  INT64_C(1000000000)
#define MS INT64_C(1000000)

static const struct {
	const char *text;
	int ret;
	int64_t ns;
} rows[] = {
    {"5m", 0, 300 * S},
    {"1h30m", 0, 5400 * S},
    {"10s", 0, 10 * S},
    {"250ms", 0, 250 * MS},
    {"0", 0, 0},
    {"+0", 0, 0},
    {"-0", 0, 0},
    {"0s", 0, 0},
    {"1.5h", 0, 5400 * S},
    {"1.s", 0, S},
    {".5s", 0, 500 * MS},
    {"1h1m1s1ms1us1ns", 0, 3661 * S + MS + 1000 + 1},
    {"1\xc2\xb5s", 0, 1000}, /* micro sign */
    {"1\xce\xbcs", 0, 1000}, /* Greek mu */
    {"2m3m", 0, 300 * S},    /* Go adds repeated units */
    {"-1.5s", 0, -1500 * MS},
    {"1.0000000000000000000001s", 0, S}, /* extra fraction digits are ignored */
    {"9223372036854775807ns", 0, INT64_MAX},
    {"2562047h47m16.854775807s", 0, INT64_MAX},
    {"-9223372036854775808ns", 0, INT64_MIN},
    {"9223372036854775808ns", -ERANGE, 0},
    {"2562048h", -ERANGE, 0},
    {"99999999999999999999s", -ERANGE, 0},
    /* Two terms of 2^63 each: their sum wraps to 0 in 64 bits. */
    {"9223372036854775808ns9223372036854775808ns", -ERANGE, 0},
    {"-9223372036854775808ns9223372036854775808ns", -ERANGE, 0},
    {"", -EINVAL, 0},
    {"-", -EINVAL, 0},
    {"5", -EINVAL, 0}, /* a unit is required except for 0 */
    {"s", -EINVAL, 0},
    {".s", -EINVAL, 0},
    {"5d", -EINVAL, 0}, /* Go has no days */
    {"5 m", -EINVAL, 0},
    {" 5m", -EINVAL, 0},
    {"5m ", -EINVAL, 0},
    {"5M", -EINVAL, 0},
    {"1h-1m", -EINVAL, 0},
    {"00000000000000000000000000000000000000000000000000000000000000001s", -EINVAL, 0},
};

/* Go's own Duration.String test table, plus the durations users write. */
static const struct {
	int64_t ns;
	const char *text;
} format_rows[] = {
    {0, "0s"},
    {1, "1ns"},
    {1100, "1.1\xc2\xb5s"},
    {2200 * INT64_C(1000), "2.2ms"},
    {3300 * MS, "3.3s"},
    {245 * S, "4m5s"},
    {245 * S + MS, "4m5.001s"},
    {(5 * 3600 + 6 * 60 + 7) * S + MS, "5h6m7.001s"},
    {480 * S + 1, "8m0.000000001s"},
    {INT64_MAX, "2562047h47m16.854775807s"},
    {INT64_MIN, "-2562047h47m16.854775808s"},
    {5400 * S, "1h30m0s"},
    {300 * S, "5m0s"},
    {250 * MS, "250ms"},
    {-1500 * MS, "-1.5s"},
};

int main(void)
{
	for (size_t i = 0; i < sizeof(format_rows) / sizeof(format_rows[0]); i++) {
		char buf[MODEL_DURATION_FMT_LEN];
		model_duration_format(format_rows[i].ns, buf);
		is_str(buf, format_rows[i].text, "format %lld", (long long)format_rows[i].ns);
		int64_t back = 0;
		ok(model_duration_parse(buf, &back) == 0 && back == format_rows[i].ns,
		   "\"%s\" parses back to the same value", buf);
	}
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int64_t ns = 4242;
		int r = model_duration_parse(rows[i].text, &ns);
		is_int(r, rows[i].ret, "\"%s\" returns %d", rows[i].text, rows[i].ret);
		is_int(ns, rows[i].ret == 0 ? rows[i].ns : 4242, "\"%s\" value%s", rows[i].text,
		       rows[i].ret == 0 ? "" : " untouched");
	}
	is_int(model_duration_seconds_ceil(250 * MS), 1, "250ms waits one second");
	is_int(model_duration_seconds_ceil(300 * S), 300, "whole seconds stay");
	is_int(model_duration_seconds_ceil(0), 0, "zero is zero");
	is_int(model_duration_seconds_ceil(S + 1), 2, "a nanosecond over rounds up");
	return tap_done();
}
