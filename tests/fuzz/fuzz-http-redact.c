/* libFuzzer: the redaction that keeps secrets out of kubeclient/http's
 * messages. The input's first line is a URL and a message text, the other
 * lines are secrets. kc_http_url_redact must stay within its buffer and
 * hide any user-info; kc_http_scrub must stay within its buffer, and no
 * secret (without a '*' of its own, which "***" could complete) may remain
 * in what it leaves. Both run with a roomy and with a tight buffer. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kubeclient/http.h"

#define MAX_SECRETS 8

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_url(const char *url, size_t cap)
{
	char *out = malloc(cap);
	if (!out)
		return;
	memset(out, 'x', cap);
	kc_http_url_redact(url, out, cap);
	if (!memchr(out, '\0', cap))
		abort();
	/* With room to spare, a user-info (an '@' in the authority) shows as "***@". */
	const char *sep = strstr(url, "://");
	if (sep && cap > strlen(url) + 4) {
		size_t start = (size_t)(sep - url) + 3;
		size_t end = start + strcspn(url + start, "/?#");
		const char *at = memchr(url + start, '@', end - start);
		if (at && at > url + start && !strstr(out, "***@"))
			abort();
		if (!at && strcmp(out, url) != 0)
			abort();
	}
	free(out);
}

static void check_scrub(const char *text, const char *const *secrets, size_t n, size_t cap)
{
	char *buf = malloc(cap);
	if (!buf)
		return;
	snprintf(buf, cap, "%s", text);
	kc_http_scrub(buf, cap, secrets, n);
	if (!memchr(buf, '\0', cap))
		abort();
	for (size_t i = 0; i < n; i++)
		if (*secrets[i] && !strchr(secrets[i], '*') && strstr(buf, secrets[i]))
			abort();
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';

	const char *secrets[MAX_SECRETS];
	size_t n = 0;
	char *nl = strchr(text, '\n');
	while (nl && n < MAX_SECRETS) {
		*nl = '\0';
		secrets[n++] = nl + 1;
		nl = strchr(nl + 1, '\n');
	}
	if (nl)
		*nl = '\0';
	check_url(text, strlen(text) + 8);
	check_url(text, 1 + size % 16);
	check_scrub(text, secrets, n, strlen(text) + 1);
	check_scrub(text, secrets, n, 1 + size % 16);
	free(text);
	return 0;
}
