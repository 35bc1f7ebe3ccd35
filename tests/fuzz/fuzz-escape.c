/* libFuzzer: the CLI's terminal escaping (cli/escape.h). The first input
 * byte picks a buffer size, the rest is the text. cli_escape and
 * cli_snprintf must stay within their buffers (malloc'd to the exact size,
 * so ASan sees one byte over), always terminate, report the whole length,
 * and leave text with no raw control byte that is valid UTF-8, which
 * escaping again leaves alone; with room enough the output is whole. The
 * same text as a JSON string, written by cli_write_json_text, must be
 * free of raw controls and read back as the same string. */
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/escape.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Valid UTF-8 (RFC 3629) without C0 controls but '\n' (when newline_ok),
 * DEL or C1 controls. Independent of cli/escape.c on purpose. */
static bool terminal_safe(const char *text, size_t len, bool newline_ok)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t i = 0;
	while (i < len) {
		unsigned char b = s[i];
		size_t n = b < 0x80                 ? 1
		           : b >= 0xc2 && b <= 0xdf ? 2
		           : b >= 0xe0 && b <= 0xef ? 3
		           : b >= 0xf0 && b <= 0xf4 ? 4
		                                    : 0;
		if (n == 0 || i + n > len || (b < 0x20 && !(newline_ok && b == '\n')) || b == 0x7f)
			return false;
		for (size_t k = 1; k < n; k++)
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
		if ((b == 0xe0 && s[i + 1] < 0xa0) || (b == 0xed && s[i + 1] > 0x9f) ||
		    (b == 0xf0 && s[i + 1] < 0x90) || (b == 0xf4 && s[i + 1] > 0x8f) ||
		    (b == 0xc2 && s[i + 1] <= 0x9f))
			return false;
		i += n;
	}
	return true;
}

static void check_escape(const char *text, size_t len, size_t cap)
{
	char *out = malloc(cap ? cap : 1);
	if (!out)
		return;
	memset(out, 'x', cap);
	size_t whole = cli_escape(text, len, out, cap);
	if (cap > 0) {
		size_t got = strnlen(out, cap);
		if (got >= cap || !terminal_safe(out, got, false))
			abort();
		if (whole < cap && got != whole) /* it fitted: nothing may be missing */
			abort();
		if (whole >= cap && got > whole)
			abort();
		/* Escaped text is a fixed point. */
		char *again = malloc(got + 1);
		if (again &&
		    (cli_escape(out, got, again, got + 1) != got || memcmp(again, out, got)))
			abort();
		free(again);
	}
	if (whole < len || whole > len * CLI_ESCAPE_UNIT_MAX)
		abort();
	free(out);
}

static void check_format(const char *text, size_t cap)
{
	char *out = malloc(cap ? cap : 1);
	if (!out)
		return;
	memset(out, 'x', cap);
	int n = cli_snprintf(out, cap, "%-12s|%5s|%.3s|%d\n", text, text, text, 7);
	if (n < 0)
		abort();
	if (cap > 0) {
		size_t got = strnlen(out, cap);
		if (got >= cap || got > (size_t)n || !terminal_safe(out, got, true))
			abort();
		if ((size_t)n < cap && got != (size_t)n)
			abort();
	}
	free(out);
}

static void check_json(const char *text, size_t len)
{
	json_t *s = json_stringn(text, len); /* NULL unless valid UTF-8 */
	char *dump = s ? json_dumps(s, JSON_ENCODE_ANY) : NULL;
	char *buf = NULL;
	size_t blen = 0;
	FILE *f = dump ? open_memstream(&buf, &blen) : NULL;
	if (f) {
		if (cli_write_json_text(f, dump) != 0)
			abort();
		fclose(f);
		if (!terminal_safe(buf, blen, false))
			abort();
		json_t *back = json_loadb(buf, blen, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
		if (!back || !json_equal(back, s))
			abort();
		json_decref(back);
		free(buf);
	}
	free(dump);
	json_decref(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	size_t cap = data[0];
	const char *text = (const char *)data + 1;
	size_t len = size - 1;
	check_escape(text, len, cap);
	check_escape(text, len, len * CLI_ESCAPE_UNIT_MAX + 1); /* always room */
	char *z = malloc(len + 1);                              /* %s stops at a NUL */
	if (z) {
		memcpy(z, text, len);
		z[len] = '\0';
		check_format(z, cap);
		check_format(z,
		             12 + 1 + 5 * CLI_ESCAPE_UNIT_MAX + len * 2 * CLI_ESCAPE_UNIT_MAX + 16);
		free(z);
	}
	(void)cli_text_width(text, len);
	check_json(text, len);
	return 0;
}
