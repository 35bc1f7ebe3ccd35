/* Freeze windows: the cron parser (ranges, steps, lists, names, errors),
 * civil time, TZif zones (Europe/Berlin and Australia/Sydney as tzdata
 * ships them, copied into data/tz, and the footer's POSIX rule checked
 * against the transitions), and windows over both DST changes. */
#include "tap.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/cron.h"

#define MIN  60
#define HOUR 3600

static const struct {
	const char *text;
	const char *error; /* NULL: parses */
} parse_rows[] = {
    {"0 18 * * 5", NULL},
    {"*/15 9-17 * * mon-fri", NULL},
    {"0 0 1,15 jan,JUL *", NULL},
    {"5/20 * * * 7", NULL},
    {"0 0 * * 0-7/2", NULL},
    {"  0   18 *  *  5  ", NULL},
    {"0 18 * *", "missing day of week field"},
    {"0 18 * * 5 6", "more than 5 fields"},
    {"60 * * * *", "invalid minute field"},
    {"* 24 * * *", "invalid hour field"},
    {"* * 0 * *", "invalid day of month field"},
    {"* * * 13 *", "invalid month field"},
    {"* * * * 8", "invalid day of week field"},
    {"5-1 * * * *", "invalid minute field"},
    {"*/0 * * * *", "invalid minute field"},
    {"* * * foo *", "invalid month field"},
    {"mon * * * *", "invalid minute field"},
    {"1,,2 * * * *", "invalid minute field"},
    {"1- * * * *", "invalid minute field"},
    {"", "missing minute field"},
};

static void test_parse(void)
{
	for (size_t i = 0; i < sizeof(parse_rows) / sizeof(parse_rows[0]); i++) {
		struct model_cron c = {.minute = 42};
		char err[128] = "";
		int r = model_cron_parse(parse_rows[i].text, &c, err, sizeof(err));
		if (!parse_rows[i].error) {
			is_int(r, 0, "\"%s\" parses (%s)", parse_rows[i].text, err);
		} else {
			is_int(r, -EINVAL, "\"%s\" refused", parse_rows[i].text);
			ok(strstr(err, parse_rows[i].error) != NULL, "\"%s\": %s (got %s)",
			   parse_rows[i].text, parse_rows[i].error, err);
			ok(c.minute == 42, "\"%s\": out untouched", parse_rows[i].text);
		}
	}
}

static void test_fields(void)
{
	struct model_cron c;
	char err[128];
	model_cron_parse("*/15 9-17 * * mon-fri", &c, err, sizeof(err));
	ok(c.minute ==
	       (UINT64_C(1) << 0 | UINT64_C(1) << 15 | UINT64_C(1) << 30 | UINT64_C(1) << 45),
	   "*/15 is 0,15,30,45");
	is_int(c.hour, 0x3fe00, "9-17");
	is_int(c.dow, 0x3e, "mon-fri");
	ok(c.dom_star && !c.dow_star, "dom *, dow restricted");
	model_cron_parse("5/20 * * * 7", &c, err, sizeof(err));
	ok(c.minute == (UINT64_C(1) << 5 | UINT64_C(1) << 25 | UINT64_C(1) << 45), "5/20: 5,25,45");
	is_int(c.dow, 1, "7 is Sunday");
	model_cron_parse("0 0 1,15 jan,JUL *", &c, err, sizeof(err));
	is_int(c.month, (1 << 1) | (1 << 7), "jan,JUL by name, any case");
	is_int(c.dom, (1 << 1) | (1 << 15), "1,15");
	model_cron_parse("0 0 * * 0-7/2", &c, err, sizeof(err));
	is_int(c.dow, 0x55, "0-7/2: Sun, Tue, Thu, Sat (7 folds to Sunday)");
}

static void test_matches(void)
{
	struct model_cron c;
	char err[128];
	struct model_civil t = {2026, 12, 4, 18, 0, 5}; /* Friday */
	model_cron_parse("0 18 * * 5", &c, err, sizeof(err));
	ok(model_cron_matches(&c, &t), "Friday 18:00 matches");
	t.minute = 1;
	ok(!model_cron_matches(&c, &t), "18:01 does not");
	/* Both day fields restricted: either matches (Vixie cron). */
	model_cron_parse("0 0 13 * fri", &c, err, sizeof(err));
	struct model_civil d13 = {2026, 1, 13, 0, 0, 2}, fri = {2026, 1, 2, 0, 0, 5},
	                   neither = {2026, 1, 5, 0, 0, 1};
	ok(model_cron_matches(&c, &d13), "the 13th (a Tuesday) matches dom");
	ok(model_cron_matches(&c, &fri), "a Friday the 2nd matches dow");
	ok(!model_cron_matches(&c, &neither), "Monday the 5th matches neither");
	model_cron_parse("0 0 13 * *", &c, err, sizeof(err));
	ok(!model_cron_matches(&c, &fri), "dow * : dom alone decides");
}

static void test_civil(void)
{
	struct model_civil c;
	model_civil_from_unix(0, &c);
	ok(c.year == 1970 && c.month == 1 && c.day == 1 && c.wday == 4, "the epoch, a Thursday");
	model_civil_from_unix(1796407200, &c); /* 2026-12-04T18:00:00Z */
	ok(c.year == 2026 && c.month == 12 && c.day == 4 && c.hour == 18 && c.minute == 0 &&
	       c.wday == 5,
	   "2026-12-04 18:00, a Friday");
	model_civil_from_unix(-1, &c);
	ok(c.year == 1969 && c.month == 12 && c.day == 31 && c.hour == 23 && c.minute == 59 &&
	       c.wday == 3,
	   "a second before the epoch");
	model_civil_from_unix(951782400, &c); /* 2000-02-29 */
	ok(c.month == 2 && c.day == 29, "2000-02-29 exists");
	is_int(model_days_from_civil(2000, 3, 1) - model_days_from_civil(2000, 2, 28), 2,
	       "2000 is a leap year");
	is_int(model_days_from_civil(2100, 3, 1) - model_days_from_civil(2100, 2, 28), 1,
	       "2100 is not");
}

static uint8_t *slurp(const char *name, size_t *len)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/tz/%s", TEST_DATA_DIR, name);
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	uint8_t *buf = malloc(1 << 16);
	*len = buf ? fread(buf, 1, 1 << 16, f) : 0;
	fclose(f);
	return buf;
}

static int load(const char *name, struct model_tz *tz)
{
	size_t len = 0;
	uint8_t *b = slurp(name, &len);
	int r = b ? model_tz_parse(b, len, tz) : -ENOENT;
	free(b);
	return r;
}

/* 2026-03-29T01:00Z: Berlin springs forward; 2026-10-25T01:00Z: falls back. */
#define SPRING INT64_C(1774746000)
#define FALL   INT64_C(1792890000)

static void test_berlin(void)
{
	struct model_tz tz;
	is_int(load("Europe-Berlin", &tz), 0, "Europe/Berlin parses");
	ok(tz.has_rule && tz.rule_dst && tz.std_off == HOUR && tz.dst_off == 2 * HOUR,
	   "footer CET-1CEST,M3.5.0,M10.5.0/3 read");
	is_int(model_tz_offset(&tz, SPRING - 1), HOUR, "a second before spring forward: CET");
	is_int(model_tz_offset(&tz, SPRING), 2 * HOUR, "at it: CEST");
	is_int(model_tz_offset(&tz, FALL - 1), 2 * HOUR, "a second before fall back: CEST");
	is_int(model_tz_offset(&tz, FALL), HOUR, "at it: CET");
	is_int(model_tz_offset(&tz, -2000000000), 3600, "1906: CET (before the first transition)");
	/* The footer's rule agrees with every transition tzdata lists from 2008 on. */
	struct model_tz rule = tz;
	rule.n_trans = 0;
	int64_t from = INT64_C(1199145600), bad = 0; /* 2008-01-01 */
	for (int64_t t = from; t < tz.trans[tz.n_trans - 1] + 400 * 86400; t += 1800) {
		if (model_tz_offset(&tz, t) != model_tz_offset(&rule, t) && bad == 0)
			bad = t;
	}
	is_int(bad, 0, "the POSIX rule gives the listed offsets every half hour 2008..2038");
	model_tz_clear(&tz);
}

static void test_sydney(void)
{
	struct model_tz tz;
	is_int(load("Australia-Sydney", &tz), 0, "Australia/Sydney parses");
	struct model_tz rule = tz;
	rule.n_trans = 0;
	int64_t bad = 0;
	for (int64_t t = INT64_C(1230768000); t < tz.trans[tz.n_trans - 1]; t += 1800) {
		if (model_tz_offset(&tz, t) != model_tz_offset(&rule, t) && bad == 0)
			bad = t;
	}
	is_int(bad, 0, "southern hemisphere: the wrapped rule agrees 2009..2037");
	is_int(model_tz_offset(&tz, 1796407200), 11 * HOUR, "December: AEDT");
	model_tz_clear(&tz);
}

static void test_bad_tzif(void)
{
	struct model_tz tz = {.n_types = 77};
	static const uint8_t junk[] = "TZif2 not really";
	is_int(model_tz_parse(junk, sizeof(junk), &tz), -EINVAL, "a truncated file is refused");
	is_int(model_tz_parse((const uint8_t *)"PK", 2, &tz), -EINVAL, "not TZif");
	is_int(tz.n_types, 77, "out untouched");
	size_t len = 0;
	uint8_t *b = slurp("Europe-Berlin", &len);
	for (size_t cut = 0; b && cut < len; cut += 97) {
		struct model_tz t2;
		int r = model_tz_parse(b, cut, &t2);
		if (r == 0)
			model_tz_clear(&t2);
		else if (r != -EINVAL)
			ok(0, "cut at %zu: %d", cut, r);
	}
	ok(b != NULL, "every truncation is refused or parsed, nothing else");
	free(b);
}

static void test_windows(void)
{
	struct model_tz tz;
	struct model_cron c;
	char err[128];
	load("Europe-Berlin", &tz);
	int64_t end = 0;
	/* The weekend: Friday 18:00 Berlin for 62h. */
	model_cron_parse("0 18 * * 5", &c, err, sizeof(err));
	int64_t fri = INT64_C(1796403600); /* 2026-12-04T17:00Z = 18:00 CET */
	ok(model_freeze_scheduled(&c, &tz, 62 * HOUR, fri, &end) && end == fri + 62 * HOUR,
	   "Friday 18:00 CET: frozen until Monday 08:00");
	ok(!model_freeze_scheduled(&c, &tz, 62 * HOUR, fri - 1, &end), "a second before: open");
	ok(model_freeze_scheduled(&c, &tz, 62 * HOUR, fri + 62 * HOUR - 1, &end),
	   "the window's last second: frozen");
	ok(!model_freeze_scheduled(&c, &tz, 62 * HOUR, fri + 62 * HOUR, &end), "its end: open");
	ok(!model_freeze_scheduled(&c, NULL, 62 * HOUR, fri, &end),
	   "in UTC it starts an hour later");

	/* Spring forward: 02:30 does not exist on 2026-03-29. */
	model_cron_parse("30 2 * * *", &c, err, sizeof(err));
	ok(!model_freeze_scheduled(&c, &tz, 30 * MIN, SPRING + 30 * MIN, &end),
	   "spring forward: 02:30 is skipped, no window at 03:30 CEST");
	ok(model_freeze_scheduled(&c, &tz, 30 * MIN, SPRING - 86400 + 30 * MIN + 60, &end),
	   "the day before, 02:30 CET starts one");
	ok(model_freeze_scheduled(&c, &tz, 30 * MIN, SPRING + 86400 - 30 * MIN, &end),
	   "the day after, 02:30 CEST starts one");
	model_cron_parse("0 3 * * *", &c, err, sizeof(err));
	ok(model_freeze_scheduled(&c, &tz, HOUR, SPRING, &end) && end == SPRING + HOUR,
	   "03:00 CEST right after the jump starts one (real-time hour)");

	/* Fall back: 02:30 happens twice on 2026-10-25 (00:30Z CEST, 01:30Z CET). */
	model_cron_parse("30 2 * * *", &c, err, sizeof(err));
	ok(model_freeze_scheduled(&c, &tz, 10 * MIN, FALL - 30 * MIN, &end) &&
	       end == FALL - 20 * MIN,
	   "fall back: the first 02:30 (CEST) starts a window");
	ok(model_freeze_scheduled(&c, &tz, 10 * MIN, FALL + 30 * MIN, &end) &&
	       end == FALL + 40 * MIN,
	   "and the second 02:30 (CET) another");
	ok(!model_freeze_scheduled(&c, &tz, 10 * MIN, FALL, &end), "between them: open");
	/* A window over the change lasts its real duration. */
	model_cron_parse("0 0 * * *", &c, err, sizeof(err));
	int64_t midnight = FALL - 3 * HOUR; /* 2026-10-25 00:00 CEST */
	ok(model_freeze_scheduled(&c, &tz, 5 * HOUR, midnight + 5 * HOUR - 1, &end) &&
	       end == midnight + 5 * HOUR,
	   "a 5h window from midnight over the fall back ends at 04:00 CET, 5 real hours");
	ok(!model_freeze_scheduled(&c, &tz, 0, midnight, &end), "a zero duration holds nothing");
	model_tz_clear(&tz);

	end = 0;
	ok(model_freeze_fixed(100, 200, 100, &end) && end == 200,
	   "fixed: start is inside, end reported");
	ok(model_freeze_fixed(100, 200, 199, &end), "fixed: the last second is inside");
	end = 7;
	ok(!model_freeze_fixed(100, 200, 200, &end) && !model_freeze_fixed(100, 200, 99, &end) &&
	       end == 7,
	   "fixed: end and before start are outside, end untouched");
}

int main(void)
{
	test_parse();
	test_fields();
	test_matches();
	test_civil();
	test_berlin();
	test_sydney();
	test_bad_tzif();
	test_windows();
	return tap_done();
}
