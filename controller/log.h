/*
 * Structured logging: one line per record, logfmt by default or JSON by
 * flag, with levels. Every record has `time` (RFC 3339 UTC, milliseconds),
 * `level` and `msg`, then the caller's key/value pairs in order.
 *
 *   time=2026-11-26T12:00:00.123Z level=info msg="rollout step" release=shop/web step=2
 *   {"time":"2026-11-26T12:00:00.123Z","level":"info","msg":"rollout
 * step","release":"shop/web","step":"2"}
 *
 * Convention: a record about a Release carries `release=namespace/name`
 * (CTL_LOG_RELEASE); ctl_log_release() adds it so nobody spells it twice.
 *
 * Values are strings (format numbers with snprintf first). Escaping: in
 * logfmt a value is quoted when it is empty or holds a space, '=', '"',
 * '\', a control character or invalid UTF-8; inside quotes '"' and '\' are
 * backslash-escaped, \n \r \t are written as such, other control bytes as
 * \u00XX and each invalid UTF-8 byte as \ufffd. Keys cannot be quoted in
 * logfmt, so bytes that are not allowed in a key become '_'. JSON output
 * escapes per RFC 8259 and also replaces invalid UTF-8 with \ufffd, so
 * every line is valid UTF-8 whatever the caller passes. Limits: a value
 * longer than CTL_LOG_VALUE_MAX bytes is cut and marked with a trailing
 * "...", and pairs stop (with log_truncated=true) once the line exceeds
 * CTL_LOG_LINE_MAX bytes.
 *
 * Each record is written with one fwrite and flushed. A logger is not
 * thread-safe; the controller logs from its single loop thread.
 */
#ifndef SLIPWAY_CONTROLLER_LOG_H
#define SLIPWAY_CONTROLLER_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define CTL_LOG_VALUE_MAX 4096
#define CTL_LOG_LINE_MAX  (64 * 1024)
#define CTL_LOG_RELEASE   "release"

enum ctl_log_level {
	CTL_LOG_ERROR = 0,
	CTL_LOG_WARN = 1,
	CTL_LOG_INFO = 2,
	CTL_LOG_DEBUG = 3,
};

enum ctl_log_format {
	CTL_LOG_LOGFMT = 0,
	CTL_LOG_JSON = 1,
};

struct ctl_log;

/* Caller owns the logger (ctl_log_free) and keeps `out` open while it
 * lives; the logger never closes it. NULL on out of memory. */
struct ctl_log *ctl_log_new(FILE *out, enum ctl_log_format format, enum ctl_log_level level);
/* Accepts NULL; returns NULL. */
struct ctl_log *ctl_log_free(struct ctl_log *lg);

/* Replaces the wall clock (seconds since the Unix epoch); NULL leaves the
 * `time` field out. For tests and for reproducible output. */
void ctl_log_set_clock(struct ctl_log *lg, double (*now)(void));
void ctl_log_set_level(struct ctl_log *lg, enum ctl_log_level level);
/* Whether a record at `level` would be written: check before building
 * expensive values. */
bool ctl_log_enabled(const struct ctl_log *lg, enum ctl_log_level level);

/* Writes a record: msg, then pairs of const char * key, value, ending with
 * NULL. A NULL value is written as an empty string. lg NULL means the
 * process default (ctl_log_default). */
void ctl_log(struct ctl_log *lg, enum ctl_log_level level, const char *msg, ...)
    __attribute__((sentinel));
void ctl_logv(struct ctl_log *lg, enum ctl_log_level level, const char *msg, va_list pairs);
/* The same record with release=namespace/name as its first pair (just the
 * name for an empty or NULL namespace). */
void ctl_log_release(struct ctl_log *lg, enum ctl_log_level level, const char *ns, const char *name,
                     const char *msg, ...) __attribute__((sentinel));

/* The process default: until ctl_log_set_default, logfmt at info to
 * stderr. ctl_log_set_default does not take ownership. */
struct ctl_log *ctl_log_default(void);
void ctl_log_set_default(struct ctl_log *lg);

/* "error", "warn" (or "warning"), "info", "debug" -> level; 0 or -EINVAL. */
int ctl_log_parse_level(const char *s, enum ctl_log_level *ret);
/* "logfmt" or "json"; 0 or -EINVAL. */
int ctl_log_parse_format(const char *s, enum ctl_log_format *ret);
const char *ctl_log_level_name(enum ctl_log_level level);

#endif
