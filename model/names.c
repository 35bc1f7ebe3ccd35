/* Kubernetes object name syntaxes; model/names.h says which is which. */
#include "model/names.h"

#include <string.h>

static bool lower_alnum_or_dash(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

/* Labels of [a-z0-9-] that neither start nor end with '-'; when `dotted`,
 * several of them joined by '.', otherwise '.' is just a bad character. */
static bool labels_valid(const char *s, size_t len, bool dotted)
{
	size_t start = 0;
	for (size_t i = 0; i <= len; i++) {
		if (i < len && (s[i] != '.' || !dotted)) {
			if (!lower_alnum_or_dash(s[i]))
				return false;
			continue;
		}
		if (i == start || s[start] == '-' || s[i - 1] == '-')
			return false;
		start = i + 1;
	}
	return true;
}

bool model_dns_subdomain_valid(const char *s, size_t len)
{
	if (len == 0 || len > MODEL_DNS_SUBDOMAIN_MAX)
		return false;
	return labels_valid(s, len, true);
}

bool model_dns_label_valid(const char *s, size_t len)
{
	if (len == 0 || len > MODEL_DNS_LABEL_MAX || !(s[0] >= 'a' && s[0] <= 'z'))
		return false;
	return labels_valid(s, len, false);
}

bool model_http_token_valid(const char *s, size_t len, size_t max)
{
	if (len == 0 || len > max)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];
		bool alnum = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		             (ch >= '0' && ch <= '9');
		if (!alnum && (ch == 0 || !strchr("!#$%&'*+-.^_`|~", ch)))
			return false;
	}
	return true;
}
