/*
 * Freeze windows: 5-field cron schedules, time zones from TZif files, and
 * whether an instant falls inside a window.
 *
 * Cron: "minute hour day-of-month month day-of-week", each field a list of
 * items separated by ',', an item `*`, `N`, `A-B`, with an optional `/STEP`
 * (`*` / STEP, A-B/STEP, and N/STEP meaning N-MAX/STEP); months JAN..DEC and
 * days SUN..SAT by name too (any case); day-of-week 0..7 with 0 and 7 both
 * Sunday. As in Vixie cron, when both day-of-month and day-of-week are
 * restricted (neither starts with `*`), a day matches when either does.
 *
 * Time zones: model_tz_parse reads a TZif file (RFC 8536, versions 1 to 4:
 * the 64-bit data of v2+ is used when present) that the caller read from
 * /usr/share/zoneinfo; beyond its last transition the footer's POSIX TZ rule
 * (std offset [dst [offset],Mm.w.d[/time],Mm.w.d[/time]]) decides. No
 * transitions and no usable footer mean the first time type, all the time.
 *
 * A scheduled window starts at each instant whose wall-clock time in the
 * zone matches the schedule, at the start of that minute, and lasts the
 * duration (measured in real time, so a window over a DST change is as long
 * as written). A wall-clock time skipped by a spring-forward does not start
 * a window that day; one repeated by a fall-back starts one at each
 * occurrence. An instant is inside when some window holds it; the end
 * reported is that of the latest window started, for the message.
 *
 * Pure: no I/O, no clock.
 */
#ifndef SLIPWAY_MODEL_CRON_H
#define SLIPWAY_MODEL_CRON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define MODEL_CRON_MAX_LEN 256

struct model_cron {
	uint64_t minute; /* bit m: 0..59 */
	uint32_t hour;   /* bit h: 0..23 */
	uint32_t dom;    /* bit d: 1..31 */
	uint16_t month;  /* bit m: 1..12 */
	uint8_t dow;     /* bit d: 0..6, Sunday 0 */
	bool dom_star, dow_star;
};

/* Parses s into *out. Returns 0 or -EINVAL with a message in err (which
 * field and why); *out untouched on error. */
int model_cron_parse(const char *s, struct model_cron *out, char *err, size_t err_len);

/* Wall-clock fields of a minute. */
struct model_civil {
	int64_t year;
	int month;  /* 1..12 */
	int day;    /* 1..31 */
	int hour;   /* 0..23 */
	int minute; /* 0..59 */
	int wday;   /* 0..6, Sunday 0 */
};

/* The civil time of seconds since the epoch (proleptic Gregorian). */
void model_civil_from_unix(int64_t t, struct model_civil *out);

/* Days since 1970-01-01 of a civil date. */
int64_t model_days_from_civil(int64_t y, int m, int d);

bool model_cron_matches(const struct model_cron *c, const struct model_civil *t);

/* A POSIX TZ rule date: month m, week w (1..5, 5 = last), weekday d; at
 * `secs` local time. */
struct model_tz_rule_date {
	int month, week, wday;
	int32_t secs;
};

struct model_tz {
	size_t n_trans;
	int64_t *trans;      /* owned, ascending UTC instants */
	uint8_t *trans_type; /* owned, [n_trans] index into types */
	size_t n_types;
	int32_t *utoff; /* owned, [n_types] seconds east of UTC */
	/* The footer's rule, for instants after the last transition. */
	bool has_rule;
	int32_t std_off, dst_off; /* seconds east of UTC */
	bool rule_dst;            /* a DST part with two dates */
	struct model_tz_rule_date dst_start, dst_end;
};

/* Parses a TZif file. On success *out is the caller's (model_tz_clear).
 * Returns 0, -EINVAL (not TZif, or inconsistent), -ENOMEM; *out untouched
 * on error. */
int model_tz_parse(const uint8_t *data, size_t len, struct model_tz *out);

void model_tz_clear(struct model_tz *tz);

/* Seconds east of UTC at instant t; tz NULL is UTC. */
int32_t model_tz_offset(const struct model_tz *tz, int64_t t);

/* Longest window duration considered (a year and a day), in seconds. */
#define MODEL_FREEZE_MAX_SECONDS (INT64_C(367) * 86400)

/* Whether t is inside a window of schedule c in zone tz (NULL: UTC) lasting
 * duration_s seconds (1..MODEL_FREEZE_MAX_SECONDS). When inside, *end is the
 * latest started window's end. */
bool model_freeze_scheduled(const struct model_cron *c, const struct model_tz *tz,
                            int64_t duration_s, int64_t t, int64_t *end);

/* A fixed window: start <= t < end; when inside, *end_out is end. */
bool model_freeze_fixed(int64_t start, int64_t end, int64_t t, int64_t *end_out);

#endif
