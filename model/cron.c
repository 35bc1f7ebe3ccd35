/* Cron schedules, TZif time zones and freeze windows (model/cron.h). */
#include "model/cron.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- cron ---- */

struct field_spec {
	const char *name;
	int min, max;
	const char *const *names; /* names[i] is value min + i, or NULL */
};

static const char *const month_names[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                          "jul", "aug", "sep", "oct", "nov", "dec"};
static const char *const day_names[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

static const struct field_spec fields[5] = {
    {"minute", 0, 59, NULL},          {"hour", 0, 23, NULL},
    {"day of month", 1, 31, NULL},    {"month", 1, 12, month_names},
    {"day of week", 0, 7, day_names},
};

/* A number or (where the field has them) a name at *p; advances *p. */
static bool read_value(const char **p, const struct field_spec *f, int *out)
{
	const char *s = *p;
	if (isdigit((unsigned char)*s)) {
		long v = 0;
		while (isdigit((unsigned char)*s) && v < 1000)
			v = v * 10 + (*s++ - '0');
		if (isdigit((unsigned char)*s))
			return false;
		*out = (int)v;
		*p = s;
		return true;
	}
	if (!f->names)
		return false;
	size_t n = f == &fields[3] ? 12 : 7;
	for (size_t i = 0; i < n; i++) {
		if (strncasecmp(s, f->names[i], 3) == 0) {
			*out = f->min + (int)i;
			*p = s + 3;
			return true;
		}
	}
	return false;
}

/* One item (`*`, N, A-B, each with an optional /STEP) into bits. */
static bool parse_item(const char **p, const struct field_spec *f, uint64_t *bits, bool *star)
{
	int lo = f->min, hi = f->max, step = 1;
	bool range = false;
	if (**p == '*') {
		(*p)++;
		*star = true;
		range = true;
	} else {
		if (!read_value(p, f, &lo))
			return false;
		hi = lo;
		if (**p == '-') {
			(*p)++;
			if (!read_value(p, f, &hi))
				return false;
			range = true;
		}
	}
	if (**p == '/') {
		(*p)++;
		if (!isdigit((unsigned char)**p) || !read_value(p, &fields[0], &step) || step < 1)
			return false;
		if (!range)
			hi = f->max; /* N/STEP: from N to the end */
	}
	if (lo < f->min || hi > f->max || lo > hi)
		return false;
	for (int v = lo; v <= hi; v += step)
		*bits |= UINT64_C(1) << v;
	return true;
}

static bool parse_field(const char *s, size_t len, const struct field_spec *f, uint64_t *bits,
                        bool *star)
{
	char buf[MODEL_CRON_MAX_LEN + 1];
	memcpy(buf, s, len);
	buf[len] = '\0';
	const char *p = buf;
	*bits = 0;
	*star = false;
	for (;;) {
		bool item_star = false;
		if (!parse_item(&p, f, bits, &item_star))
			return false;
		/* As Vixie cron: a field starting with `*` is unrestricted. */
		*star = buf[0] == '*';
		(void)item_star;
		if (*p == '\0')
			return true;
		if (*p != ',')
			return false;
		p++;
	}
}

/* Ownership: none (out is a value). */
int model_cron_parse(const char *s, struct model_cron *out, char *err, size_t err_len)
{
	if (!s || strlen(s) > MODEL_CRON_MAX_LEN) {
		snprintf(err, err_len, "a schedule has at most %d characters", MODEL_CRON_MAX_LEN);
		return -EINVAL;
	}
	uint64_t bits[5];
	bool star[5];
	const char *p = s;
	for (int i = 0; i < 5; i++) {
		while (*p == ' ' || *p == '\t')
			p++;
		size_t len = strcspn(p, " \t");
		if (len == 0 || !parse_field(p, len, &fields[i], &bits[i], &star[i])) {
			snprintf(err, err_len, "%s%s field %s", len ? "invalid " : "missing ",
			         fields[i].name,
			         len ? "(lists of N, A-B, * with optional /STEP)" : "");
			return -EINVAL;
		}
		p += len;
	}
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p) {
		snprintf(err, err_len,
		         "more than 5 fields (minute hour day-of-month month day-of-week)");
		return -EINVAL;
	}
	struct model_cron c = {.minute = bits[0],
	                       .hour = (uint32_t)bits[1],
	                       .dom = (uint32_t)bits[2],
	                       .month = (uint16_t)bits[3],
	                       .dow = (uint8_t)((bits[4] | (bits[4] >> 7)) & 0x7f),
	                       .dom_star = star[2],
	                       .dow_star = star[4]};
	*out = c;
	return 0;
}

bool model_cron_matches(const struct model_cron *c, const struct model_civil *t)
{
	if (!(c->minute & (UINT64_C(1) << t->minute)) || !(c->hour & (UINT32_C(1) << t->hour)) ||
	    !(c->month & (1u << t->month)))
		return false;
	bool dom = (c->dom & (UINT32_C(1) << t->day)) != 0;
	bool dow = (c->dow & (1u << t->wday)) != 0;
	if (!c->dom_star && !c->dow_star)
		return dom || dow;
	return dom && dow;
}

/* ---- civil time (H. Hinnant's algorithms) ---- */

static int64_t floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

int64_t model_days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = floor_div(y, 400);
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void model_civil_from_unix(int64_t t, struct model_civil *out)
{
	int64_t days = floor_div(t, 86400);
	int64_t secs = t - days * 86400;
	int64_t z = days + 719468;
	int64_t era = floor_div(z, 146097);
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	out->day = (int)(doy - (153 * mp + 2) / 5 + 1);
	out->month = (int)(mp < 10 ? mp + 3 : mp - 9);
	out->year = yoe + era * 400 + (out->month <= 2);
	out->hour = (int)(secs / 3600);
	out->minute = (int)(secs % 3600 / 60);
	out->wday = (int)((days % 7 + 11) % 7); /* 1970-01-01 was a Thursday */
}

/* ---- TZif ---- */

struct reader {
	const uint8_t *p;
	size_t left;
};

static bool take(struct reader *r, size_t n, const uint8_t **out)
{
	if (r->left < n)
		return false;
	*out = r->p;
	r->p += n;
	r->left -= n;
	return true;
}

static int64_t be(const uint8_t *b, size_t n)
{
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++)
		v = v << 8 | b[i];
	if (n == 4)
		return (int32_t)(uint32_t)v;
	return (int64_t)v;
}

struct tzif_counts {
	uint32_t isut, isstd, leap, time, type, chars;
};

static bool read_header(struct reader *r, int *version, struct tzif_counts *c)
{
	const uint8_t *h;
	if (!take(r, 44, &h) || memcmp(h, "TZif", 4) != 0)
		return false;
	*version = h[4] == 0 ? 1 : h[4] - '0';
	uint32_t v[6];
	for (int i = 0; i < 6; i++)
		v[i] = (uint32_t)be(h + 20 + 4 * i, 4);
	*c = (struct tzif_counts){v[0], v[1], v[2], v[3], v[4], v[5]};
	/* Bounds that keep every size below computable without overflow. */
	return c->type >= 1 && c->type <= 256 && c->time <= 100000 && c->leap <= 100000 &&
	       c->chars <= 100000 && c->isut <= 256 && c->isstd <= 256;
}

static size_t block_len(const struct tzif_counts *c, size_t tsize)
{
	return c->time * tsize + c->time + c->type * 6u + c->chars + c->leap * (tsize + 4) +
	       c->isstd + c->isut;
}

/* Reads the data block of c with tsize-byte times into tz. */
static int read_block(struct reader *r, const struct tzif_counts *c, size_t tsize,
                      struct model_tz *tz)
{
	const uint8_t *b;
	if (!take(r, block_len(c, tsize), &b))
		return -EINVAL;
	tz->trans = calloc(c->time ? c->time : 1, sizeof(*tz->trans));
	tz->trans_type = calloc(c->time ? c->time : 1, 1);
	tz->utoff = calloc(c->type, sizeof(*tz->utoff));
	if (!tz->trans || !tz->trans_type || !tz->utoff)
		return -ENOMEM;
	tz->n_trans = c->time;
	tz->n_types = c->type;
	for (size_t i = 0; i < c->time; i++) {
		tz->trans[i] = be(b + i * tsize, tsize);
		if (i > 0 && tz->trans[i] <= tz->trans[i - 1])
			return -EINVAL;
	}
	const uint8_t *idx = b + c->time * tsize;
	for (size_t i = 0; i < c->time; i++) {
		if (idx[i] >= c->type)
			return -EINVAL;
		tz->trans_type[i] = idx[i];
	}
	const uint8_t *types = idx + c->time;
	for (size_t i = 0; i < c->type; i++) {
		int64_t off = be(types + 6 * i, 4);
		if (off <= -89999 || off >= 93600 || types[6 * i + 4] > 1)
			return -EINVAL;
		tz->utoff[i] = (int32_t)off;
	}
	return 0;
}

/* ---- the footer's POSIX TZ rule ---- */

static bool tz_name(const char **p)
{
	const char *s = *p;
	if (*s == '<') {
		const char *e = strchr(s, '>');
		if (!e || e - s < 4)
			return false;
		*p = e + 1;
		return true;
	}
	while (isalpha((unsigned char)*s))
		s++;
	if (s - *p < 3)
		return false;
	*p = s;
	return true;
}

/* [+-]hh[:mm[:ss]], hours up to max_h; seconds into *out. */
static bool tz_hms(const char **p, int max_h, int32_t *out)
{
	const char *s = *p;
	int sign = 1;
	if (*s == '+' || *s == '-')
		sign = *s++ == '-' ? -1 : 1;
	int32_t part[3] = {0, 0, 0};
	for (int i = 0; i < 3; i++) {
		if (i > 0 && *s != ':')
			break;
		if (i > 0)
			s++;
		if (!isdigit((unsigned char)*s))
			return false;
		int v = 0;
		for (int k = 0; k < 3 && isdigit((unsigned char)*s); k++)
			v = v * 10 + (*s++ - '0');
		part[i] = v;
	}
	if (part[0] > max_h || part[1] > 59 || part[2] > 59)
		return false;
	*out = sign * (part[0] * 3600 + part[1] * 60 + part[2]);
	*p = s;
	return true;
}

static bool tz_int(const char **p, int lo, int hi, int *out)
{
	if (!isdigit((unsigned char)**p))
		return false;
	int v = 0;
	while (isdigit((unsigned char)**p) && v <= hi)
		v = v * 10 + (*(*p)++ - '0');
	*out = v;
	return v >= lo && v <= hi;
}

/* ",Mm.w.d[/time]" */
static bool tz_date(const char **p, struct model_tz_rule_date *d)
{
	if (**p != ',' || (*p)[1] != 'M')
		return false; /* Jn and n rules are not read: the last type stays */
	*p += 2;
	if (!tz_int(p, 1, 12, &d->month) || *(*p)++ != '.' || !tz_int(p, 1, 5, &d->week) ||
	    *(*p)++ != '.' || !tz_int(p, 0, 6, &d->wday))
		return false;
	d->secs = 7200;
	if (**p == '/') {
		(*p)++;
		return tz_hms(p, 167, &d->secs);
	}
	return true;
}

static void parse_footer(const char *s, struct model_tz *tz)
{
	int32_t std_west = 0, dst_west;
	if (!tz_name(&s) || !tz_hms(&s, 24, &std_west))
		return;
	tz->std_off = -std_west;
	if (*s == '\0') {
		tz->has_rule = true;
		return;
	}
	dst_west = std_west - 3600;
	if (!tz_name(&s) || (*s != ',' && !tz_hms(&s, 24, &dst_west)))
		return;
	if (!tz_date(&s, &tz->dst_start) || !tz_date(&s, &tz->dst_end) || *s != '\0')
		return;
	tz->dst_off = -dst_west;
	tz->rule_dst = true;
	tz->has_rule = true;
}

static void read_footer(struct reader *r, struct model_tz *tz)
{
	if (r->left < 2 || r->p[0] != '\n')
		return;
	const uint8_t *end = memchr(r->p + 1, '\n', r->left - 1);
	if (!end || end - r->p - 1 > 255)
		return;
	char buf[256];
	size_t n = (size_t)(end - r->p - 1);
	memcpy(buf, r->p + 1, n);
	buf[n] = '\0';
	if (strlen(buf) == n)
		parse_footer(buf, tz);
}

void model_tz_clear(struct model_tz *tz)
{
	if (!tz)
		return;
	free(tz->trans);
	free(tz->trans_type);
	free(tz->utoff);
	memset(tz, 0, sizeof(*tz));
}

/* Ownership: *out is the caller's on success (model_tz_clear). */
int model_tz_parse(const uint8_t *data, size_t len, struct model_tz *out)
{
	struct reader r = {data, len};
	struct tzif_counts c;
	int version;
	struct model_tz tz = {0};
	if (!read_header(&r, &version, &c))
		return -EINVAL;
	if (version >= 2) {
		const uint8_t *skip;
		if (!take(&r, block_len(&c, 4), &skip) || !read_header(&r, &version, &c))
			return -EINVAL;
	}
	int e = read_block(&r, &c, version >= 2 ? 8 : 4, &tz);
	if (e < 0) {
		model_tz_clear(&tz);
		return e;
	}
	if (version >= 2)
		read_footer(&r, &tz);
	*out = tz;
	return 0;
}

static int days_in_month(int64_t y, int m)
{
	static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return m == 2 && leap ? 29 : d[m - 1];
}

/* The UTC instant of rule date d in year y, local offset `off` before it. */
static int64_t rule_instant(const struct model_tz_rule_date *d, int64_t y, int32_t off)
{
	int64_t first = model_days_from_civil(y, d->month, 1);
	int wday_first = (int)((first % 7 + 11) % 7);
	int day = 1 + (d->wday - wday_first + 7) % 7 + (d->week - 1) * 7;
	while (day > days_in_month(y, d->month))
		day -= 7;
	return (first + day - 1) * 86400 + d->secs - off;
}

static int32_t rule_offset(const struct model_tz *tz, int64_t t)
{
	if (!tz->rule_dst)
		return tz->std_off;
	struct model_civil c;
	model_civil_from_unix(t + tz->std_off, &c);
	int64_t start = rule_instant(&tz->dst_start, c.year, tz->std_off);
	int64_t end = rule_instant(&tz->dst_end, c.year, tz->dst_off);
	bool dst = start < end ? (t >= start && t < end) : !(t >= end && t < start);
	return dst ? tz->dst_off : tz->std_off;
}

int32_t model_tz_offset(const struct model_tz *tz, int64_t t)
{
	if (!tz || tz->n_types == 0)
		return 0;
	if (tz->n_trans == 0 || t < tz->trans[0]) {
		if (tz->n_trans == 0 && tz->has_rule)
			return rule_offset(tz, t);
		return tz->utoff[0];
	}
	if (t >= tz->trans[tz->n_trans - 1] && tz->has_rule)
		return rule_offset(tz, t);
	size_t lo = 0, hi = tz->n_trans; /* last transition <= t */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (tz->trans[mid] <= t)
			lo = mid;
		else
			hi = mid;
	}
	return tz->utoff[tz->trans_type[lo]];
}

/* ---- freeze windows ---- */

bool model_freeze_scheduled(const struct model_cron *c, const struct model_tz *tz,
                            int64_t duration_s, int64_t t, int64_t *end)
{
	if (duration_s < 1 || duration_s > MODEL_FREEZE_MAX_SECONDS || t < INT64_MIN / 2 ||
	    t > INT64_MAX / 2)
		return false;
	/* Window starts are minute starts: scan back from t's minute over one
	 * duration; the first match is the latest window started. */
	int64_t m = t - (t % 60 + 60) % 60;
	for (int64_t s = m; s > t - duration_s; s -= 60) {
		struct model_civil civ;
		model_civil_from_unix(s + model_tz_offset(tz, s), &civ);
		/* Offsets not whole minutes (LMT) put the wall minute mid-way: skip. */
		if ((s + model_tz_offset(tz, s)) % 60 != 0)
			continue;
		if (model_cron_matches(c, &civ)) {
			*end = s + duration_s;
			return true;
		}
	}
	return false;
}

bool model_freeze_fixed(int64_t start, int64_t end, int64_t t, int64_t *end_out)
{
	if (start > t || t >= end)
		return false;
	*end_out = end;
	return true;
}
