/*
 * RFC 3339 timestamps as Kubernetes writes them (metav1.Time): UTC, whole
 * seconds, "2026-11-26T12:20:04Z". The one place the model turns time_t into
 * text and back; the model never reads the clock, callers pass `now`.
 *
 * Pure arithmetic on the proleptic Gregorian calendar: no TZ, no locale.
 */
#ifndef SLIPWAY_MODEL_TIMEFMT_H
#define SLIPWAY_MODEL_TIMEFMT_H

#include <time.h>

/* "YYYY-MM-DDTHH:MM:SSZ" plus the terminating NUL. */
#define MODEL_TIME_LEN 21

/* Writes `t` as UTC into buf. Returns 0, or -ERANGE when the year is outside
 * 0001..9999 (buf untouched). */
int model_time_format(time_t t, char buf[static MODEL_TIME_LEN]);

/* Parses an RFC 3339 date-time: "T" or "t" or " " between date and time,
 * optional fractional seconds (dropped: truncated towards the past), and "Z",
 * "z" or a "+HH:MM"/"-HH:MM" offset. Leap second 60 is read as 59.
 * Returns 0 and sets *ret, or -EINVAL (ret untouched). */
int model_time_parse(const char *s, time_t *ret);

#endif
