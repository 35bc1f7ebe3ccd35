/*
 * Durations written the way Go's time.ParseDuration (and so Kubernetes and
 * Argo Rollouts) reads them: "5m", "1h30m", "10s", "250ms", "1.5h", "0".
 *
 * A sequence of decimal numbers, each with an optional fraction and a unit
 * (ns, us, µs, μs, ms, s, m, h), with an optional leading sign; "0" alone
 * needs no unit. The value is nanoseconds in an int64, so the range is about
 * ±292 years; anything larger is -ERANGE, never a wrapped value.
 */
#ifndef SLIPWAY_MODEL_DURATION_H
#define SLIPWAY_MODEL_DURATION_H

#include <stdint.h>

/* Longest text accepted; durations are typed by people, not generated. */
#define MODEL_DURATION_MAX_LEN 64

#define MODEL_NS_PER_SECOND INT64_C(1000000000)

/* Parses `s` into nanoseconds (may be negative when written with "-").
 * Returns 0, -EINVAL for malformed or over-long text, -ERANGE on overflow
 * (ret untouched on error). */
int model_duration_parse(const char *s, int64_t *ret_ns);

/* Longest formatted duration, "-2562047h47m16.854775808s", and its NUL. */
#define MODEL_DURATION_FMT_LEN 32

/* Writes ns the way Go's Duration.String does, so messages read like the
 * durations users write: "1h30m0s", "5m0s", "1.5s", "250ms", "1.5\u00b5s",
 * "0s". model_duration_parse reads every output back to the same value. */
void model_duration_format(int64_t ns, char buf[static MODEL_DURATION_FMT_LEN]);

/* Whole seconds, rounding a positive remainder up: a 250ms pause still waits,
 * and waiting a little longer than asked is the safe side. */
int64_t model_duration_seconds_ceil(int64_t ns);

#endif
