#include "model/duration.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#define LIMIT (UINT64_C(1) << 63)

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static const struct {
	const char *name;
	uint64_t ns;
} units[] = {
    {"ns", 1},
    {"us", 1000},
    {"\xc2\xb5s", 1000}, /* U+00B5 micro sign */
    {"\xce\xbcs", 1000}, /* U+03BC Greek small mu */
    {"ms", 1000000},
    {"s", 1000000000},
    {"m", UINT64_C(60) * 1000000000},
    {"h", UINT64_C(3600) * 1000000000},
};

int model_duration_parse(const char *s, int64_t *ret_ns)
{
	size_t len = strnlen(s, MODEL_DURATION_MAX_LEN + 1);
	if (len == 0 || len > MODEL_DURATION_MAX_LEN)
		return -EINVAL;
	const char *p = s;
	bool neg = false;
	if (*p == '-' || *p == '+') {
		neg = *p == '-';
		p++;
	}
	if (strcmp(p, "0") == 0) {
		*ret_ns = 0;
		return 0;
	}
	if (*p == '\0')
		return -EINVAL;

	uint64_t total = 0;
	while (*p) {
		if (*p != '.' && !is_digit(*p))
			return -EINVAL;
		/* Integer part. */
		uint64_t v = 0;
		const char *start = p;
		for (; is_digit(*p); p++) {
			if (v > LIMIT / 10)
				return -ERANGE;
			v = v * 10 + (uint64_t)(*p - '0');
			if (v > LIMIT)
				return -ERANGE;
		}
		bool pre = p != start;
		/* Fraction: digits beyond what fits are ignored, as in Go. */
		uint64_t f = 0;
		double scale = 1;
		bool post = false;
		if (*p == '.') {
			p++;
			start = p;
			bool overflow = false;
			for (; is_digit(*p); p++) {
				if (overflow)
					continue;
				if (f > (LIMIT - 1) / 10) {
					overflow = true;
					continue;
				}
				uint64_t y = f * 10 + (uint64_t)(*p - '0');
				if (y > LIMIT) {
					overflow = true;
					continue;
				}
				f = y;
				scale *= 10;
			}
			post = p != start;
		}
		if (!pre && !post)
			return -EINVAL;
		/* Unit: everything up to the next number. */
		start = p;
		while (*p && *p != '.' && !is_digit(*p))
			p++;
		size_t ulen = (size_t)(p - start);
		if (ulen == 0)
			return -EINVAL;
		uint64_t unit = 0;
		for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
			if (strlen(units[i].name) == ulen &&
			    memcmp(units[i].name, start, ulen) == 0) {
				unit = units[i].ns;
				break;
			}
		}
		if (unit == 0)
			return -EINVAL;
		if (v > LIMIT / unit)
			return -ERANGE;
		v *= unit;
		if (f > 0) {
			/* float64 like Go, so "1.1s" means what it means there; the
			 * product is below 2^63 because f/scale < 1 and unit <= 3.6e12. */
			v += (uint64_t)((double)f * ((double)unit / scale));
			if (v > LIMIT)
				return -ERANGE;
		}
		total += v;
		if (total > LIMIT)
			return -ERANGE;
	}
	if (neg) {
		*ret_ns = total == LIMIT ? INT64_MIN : -(int64_t)total;
		return 0;
	}
	if (total > LIMIT - 1)
		return -ERANGE;
	*ret_ns = (int64_t)total;
	return 0;
}

int64_t model_duration_seconds_ceil(int64_t ns)
{
	int64_t s = ns / MODEL_NS_PER_SECOND;
	if (ns % MODEL_NS_PER_SECOND > 0)
		s++;
	return s;
}
