#include "model/duration.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
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

/* The digits at *p as an integer (none: 0), p moved past them. -ERANGE
 * beyond LIMIT. */
static int parse_integer(const char **p, uint64_t *ret)
{
	uint64_t v = 0;
	for (; is_digit(**p); (*p)++) {
		if (v > LIMIT / 10)
			return -ERANGE;
		v = v * 10 + (uint64_t)(**p - '0');
		if (v > LIMIT)
			return -ERANGE;
	}
	*ret = v;
	return 0;
}

/* The digits at *p as a fraction f / scale, p moved past them. Digits beyond
 * what fits are ignored, as in Go. */
static void parse_fraction(const char **p, uint64_t *ret_f, double *ret_scale)
{
	uint64_t f = 0;
	double scale = 1;
	bool overflow = false;
	for (; is_digit(**p); (*p)++) {
		if (overflow)
			continue;
		if (f > (LIMIT - 1) / 10) {
			overflow = true;
			continue;
		}
		uint64_t y = f * 10 + (uint64_t)(**p - '0');
		if (y > LIMIT) {
			overflow = true;
			continue;
		}
		f = y;
		scale *= 10;
	}
	*ret_f = f;
	*ret_scale = scale;
}

/* The unit at *p (everything up to the next number) in nanoseconds, p moved
 * past it; 0 when there is none or it is unknown. */
static uint64_t parse_unit(const char **p)
{
	const char *start = *p;
	while (**p && **p != '.' && !is_digit(**p))
		(*p)++;
	size_t ulen = (size_t)(*p - start);
	for (size_t i = 0; ulen > 0 && i < sizeof(units) / sizeof(units[0]); i++)
		if (strlen(units[i].name) == ulen && memcmp(units[i].name, start, ulen) == 0)
			return units[i].ns;
	return 0;
}

/* One "<number><unit>" at *p in nanoseconds, p moved past it. */
static int parse_term(const char **p, uint64_t *ret)
{
	if (**p != '.' && !is_digit(**p))
		return -EINVAL;
	const char *start = *p;
	uint64_t v = 0;
	int r = parse_integer(p, &v);
	if (r < 0)
		return r;
	bool pre = *p != start;
	uint64_t f = 0;
	double scale = 1;
	bool post = false;
	if (**p == '.') {
		(*p)++;
		start = *p;
		parse_fraction(p, &f, &scale);
		post = *p != start;
	}
	if (!pre && !post)
		return -EINVAL;
	uint64_t unit = parse_unit(p);
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
	*ret = v;
	return 0;
}

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
		uint64_t v = 0;
		int r = parse_term(&p, &v);
		if (r < 0)
			return r;
		if (v > LIMIT - total) /* also where total + v would wrap */
			return -ERANGE;
		total += v;
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

/* ".ddd" for the fraction f of 10^digits, trailing zeros dropped; "" for 0. */
static void fmt_frac(uint64_t f, int digits, char out[static 16])
{
	char d[16];
	int n = 0;
	if (f == 0) {
		out[0] = '\0';
		return;
	}
	for (int i = digits - 1; i >= 0; i--) {
		d[i] = (char)('0' + f % 10);
		f /= 10;
	}
	n = digits;
	while (n > 0 && d[n - 1] == '0')
		n--;
	out[0] = '.';
	memcpy(out + 1, d, (size_t)n);
	out[n + 1] = '\0';
}

void model_duration_format(int64_t ns, char buf[static MODEL_DURATION_FMT_LEN])
{
	/* Unsigned magnitude: -INT64_MIN does not fit in int64. */
	uint64_t u = ns < 0 ? (uint64_t)0 - (uint64_t)ns : (uint64_t)ns;
	const char *sign = ns < 0 ? "-" : "";
	char frac[16];
	char tmp[96];
	if (u == 0) {
		snprintf(tmp, sizeof(tmp), "0s");
	} else if (u < 1000) {
		snprintf(tmp, sizeof(tmp), "%s%lluns", sign, (unsigned long long)u);
	} else if (u < 1000000) {
		fmt_frac(u % 1000, 3, frac);
		snprintf(tmp, sizeof(tmp), "%s%llu%s\xc2\xb5s", sign,
		         (unsigned long long)(u / 1000), frac);
	} else if (u < 1000000000) {
		fmt_frac(u % 1000000, 6, frac);
		snprintf(tmp, sizeof(tmp), "%s%llu%sms", sign, (unsigned long long)(u / 1000000),
		         frac);
	} else {
		fmt_frac(u % 1000000000, 9, frac);
		unsigned long long secs = u / 1000000000;
		unsigned long long h = secs / 3600, m = secs / 60 % 60, sec = secs % 60;
		if (h > 0)
			snprintf(tmp, sizeof(tmp), "%s%lluh%llum%llu%ss", sign, h, m, sec, frac);
		else if (m > 0)
			snprintf(tmp, sizeof(tmp), "%s%llum%llu%ss", sign, m, sec, frac);
		else
			snprintf(tmp, sizeof(tmp), "%s%llu%ss", sign, sec, frac);
	}
	/* At most 25 bytes by construction (see MODEL_DURATION_FMT_LEN). */
	size_t len = strnlen(tmp, MODEL_DURATION_FMT_LEN - 1);
	memcpy(buf, tmp, len);
	buf[len] = '\0';
}
