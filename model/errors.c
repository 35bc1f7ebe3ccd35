#include "model/errors.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void model_errors_add(struct model_errors *e, const char *path, const char *fmt, ...)
{
	if (e->n >= MODEL_ERRORS_MAX) {
		e->dropped++;
		return;
	}
	char *m = malloc(MODEL_ERROR_LEN);
	if (!m) {
		e->dropped++;
		return;
	}
	size_t off = 0;
	if (path && path[0]) {
		int r = snprintf(m, MODEL_ERROR_LEN, "%s: ", path);
		off = r < 0 ? 0 : (size_t)r;
		if (off >= MODEL_ERROR_LEN)
			off = MODEL_ERROR_LEN - 1;
	}
	va_list ap;
	va_start(ap, fmt);
	int r = vsnprintf(m + off, MODEL_ERROR_LEN - off, fmt, ap);
	va_end(ap);
	if (r < 0)
		m[off] = '\0';
	e->msg[e->n++] = m;
}

size_t model_errors_count(const struct model_errors *e)
{
	return e->n + e->dropped;
}

void model_errors_clear(struct model_errors *e)
{
	if (!e)
		return;
	for (size_t i = 0; i < e->n; i++)
		free(e->msg[i]);
	e->n = 0;
	e->dropped = 0;
}

char *model_errors_join(const struct model_errors *e, const char *sep)
{
	size_t seplen = strlen(sep);
	/* Bounded: at most MODEL_ERRORS_MAX messages of MODEL_ERROR_LEN. */
	size_t len = 1 + 64;
	for (size_t i = 0; i < e->n; i++)
		len += strlen(e->msg[i]) + seplen;
	char *out = malloc(len);
	if (!out)
		return NULL;
	size_t off = 0;
	for (size_t i = 0; i < e->n; i++) {
		size_t ml = strlen(e->msg[i]);
		if (i > 0) {
			memcpy(out + off, sep, seplen);
			off += seplen;
		}
		memcpy(out + off, e->msg[i], ml);
		off += ml;
	}
	out[off] = '\0';
	if (e->dropped > 0)
		snprintf(out + off, len - off, "%s(and %zu more)", e->n > 0 ? sep : "", e->dropped);
	return out;
}
