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

int main(void)
{
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
