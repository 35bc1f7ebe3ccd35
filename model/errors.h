/*
 * A bounded list of validation errors, each "field.path: what is wrong".
 *
 * Validation collects every error it finds rather than stopping at the
 * first, so a user fixes a manifest in one pass. The list holds at most
 * MODEL_ERRORS_MAX messages; further ones (and messages that could not be
 * allocated) are only counted in `dropped`, so a hostile manifest with
 * thousands of bad fields costs bounded memory.
 */
#ifndef SLIPWAY_MODEL_ERRORS_H
#define SLIPWAY_MODEL_ERRORS_H

#include <stddef.h>

#define MODEL_ERRORS_MAX 32
/* Longest message kept; longer ones are cut (paths and values are bounded). */
#define MODEL_ERROR_LEN 512

struct model_errors {
	size_t n;       /* messages in msg[0..n) */
	size_t dropped; /* errors found but not kept */
	char *msg[MODEL_ERRORS_MAX];
};

/* Appends "PATH: MESSAGE" (MESSAGE formatted printf-style). `path` may be
 * NULL or empty, then the message stands alone. The stored text is always
 * valid UTF-8 without control characters (others become '?'), so it can go
 * into a condition or an Event as is. Never fails: when the list is full or
 * memory is short the error is counted in `dropped`. */
void model_errors_add(struct model_errors *e, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Total errors found, kept or dropped. */
size_t model_errors_count(const struct model_errors *e);

/* Frees the messages and resets the list to empty; accepts NULL. */
void model_errors_clear(struct model_errors *e);

/* All messages joined with `sep`, plus "(and N more)" when some were dropped,
 * for an Event or condition message. Caller frees the result; NULL on ENOMEM.
 * An empty list gives "". */
char *model_errors_join(const struct model_errors *e, const char *sep);

/* Makes m, in place, valid UTF-8 without control characters: every byte
 * that is not part of a well-formed sequence, and every control character,
 * becomes '?'. For text from outside (a metrics server's answer) bound for
 * status, Events and logs. */
void model_text_sanitize(char *m);

#endif
