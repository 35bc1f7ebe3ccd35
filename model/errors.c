#include "model/errors.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Length of the well-formed UTF-8 sequence at s (RFC 3629: no overlongs,
 * no surrogates, nothing above U+10FFFF), or 0 when it is not one. */
static size_t utf8_seq(const unsigned char *s)
{
	unsigned char c = s[0];
	unsigned char lo = 0x80, hi = 0xBF;
	size_t n;
	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		n = 2;
	else if (c >= 0xE0 && c <= 0xEF)
		n = 3;
	else if (c >= 0xF0 && c <= 0xF4)
		n = 4;
	else
		return 0;
	if (c == 0xE0)
		lo = 0xA0;
	else if (c == 0xED)
		hi = 0x9F;
	else if (c == 0xF0)
		lo = 0x90;
	else if (c == 0xF4)
		hi = 0x8F;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++) {
		if (s[i] < 0x80 || s[i] > 0xBF)
			return 0;
	}
	return n;
}

/* Messages quote user input and are cut at fixed lengths, which can split a
 * character; they end up in JSON (conditions, Events) where jansson refuses
 * invalid UTF-8, and in logs. So: every byte that is not part of a valid
 * sequence, and every control character, becomes '?'. */
void model_text_sanitize(char *m)
{
	unsigned char *p = (unsigned char *)m;
	while (*p) {
		size_t n = utf8_seq(p);
		if (n == 0 || (n == 1 && (*p < 0x20 || *p == 0x7F))) {
			*p++ = '?';
			continue;
		}
		p += n;
	}
}

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
	model_text_sanitize(m);
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
