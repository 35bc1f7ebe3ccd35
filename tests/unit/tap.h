/*
 * A minimal TAP producer for the unit tests (meson test, protocol: 'tap').
 *
 * Each check prints "ok N - name" or "not ok N - name" with a diagnostic
 * naming the file and line; tap_done() prints the plan "1..N" and returns the
 * process exit status (0 only when every check passed), so a test's main ends
 * with `return tap_done();`. Not thread-safe; tests are single-threaded.
 */
#ifndef SLIPWAY_TESTS_TAP_H
#define SLIPWAY_TESTS_TAP_H

#include <stdbool.h>

#define ok(cond, ...) tap_ok((cond), __FILE__, __LINE__, __VA_ARGS__)
#define is_int(got, want, ...)                                                                     \
	tap_is_int((long long)(got), (long long)(want), __FILE__, __LINE__, __VA_ARGS__)
#define is_str(got, want, ...) tap_is_str((got), (want), __FILE__, __LINE__, __VA_ARGS__)

bool tap_ok(bool cond, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
bool tap_is_int(long long got, long long want, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* Either side may be NULL; two NULLs are equal. */
bool tap_is_str(const char *got, const char *want, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* Prints a "# ..." diagnostic line. */
void tap_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints the plan; returns 0 when all checks passed, 1 otherwise. */
int tap_done(void);

#endif
