/* libFuzzer: what kubeclient/http's header callback does with each header
 * line libcurl hands it. The input is cut into lines after each '\n' (the
 * line keeps it, as in a header callback); every line goes through
 * kc_http_header_value for "retry-after" with a roomy and with a tight
 * buffer, and a value found goes through kc_retry_after_parse. The value
 * must stay within its buffer, be NUL-terminated, carry no blank at either
 * end (unless cut to fit), and come from the line; a parsed delay must lie in [0, 3600]. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "kubeclient/http.h"
#include "kubeclient/retry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static void check_line(const char *line, size_t n, size_t cap)
{
	char *out = malloc(cap);
	if (!out)
		return;
	memset(out, 'x', cap);
	bool named = n > 11 && line[11] == ':' && strncasecmp(line, "retry-after", 11) == 0;
	bool found = kc_http_header_value(line, n, "retry-after", out, cap);
	if (found != named)
		abort();
	if (found) {
		size_t len = strnlen(out, cap);
		if (len == cap)
			abort(); /* no NUL within the buffer */
		if (len > 0 && blank(out[0]))
			abort();
		/* A value cut to fit may end where a blank was; a whole one may not. */
		if (len > 0 && len + 1 < cap && blank(out[len - 1]))
			abort();
		if (len > 0 && !memmem(line, n, out, len))
			abort();
		double s = -1;
		if (kc_retry_after_parse(out, (time_t)1700000000, &s) == 0 && (s < 0 || s > 3600))
			abort();
	}
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	size_t start = 0;
	while (start < size) {
		const char *nl = memchr(text + start, '\n', size - start);
		size_t end = nl ? (size_t)(nl - text) + 1 : size;
		check_line(text + start, end - start, 64);
		check_line(text + start, end - start, 1 + (end - start) % 8);
		start = end;
	}
	return 0;
}
