/*
 * The two name syntaxes of Kubernetes objects, as the API server checks them
 * (apimachinery's IsDNS1123Subdomain and IsDNS1035Label): most objects and
 * label-key prefixes are DNS subdomains, Services are DNS labels. Pure; the
 * strings are the caller's and only `len` bytes of them are read (no NUL is
 * needed; one inside is a bad character like any other).
 */
#ifndef SLIPWAY_MODEL_NAMES_H
#define SLIPWAY_MODEL_NAMES_H

#include <stdbool.h>
#include <stddef.h>

#define MODEL_DNS_SUBDOMAIN_MAX 253
#define MODEL_DNS_LABEL_MAX     63

/* RFC 1123 subdomain: lowercase labels [a-z0-9]([-a-z0-9]*[a-z0-9])? joined by
 * dots, 1 to 253 bytes in all. */
bool model_dns_subdomain_valid(const char *s, size_t len);

/* RFC 1035 label: [a-z]([-a-z0-9]*[a-z0-9])?, 1 to 63 bytes. */
bool model_dns_label_valid(const char *s, size_t len);

/* An HTTP field name: an RFC 9110 token ([A-Za-z0-9] and !#$%&'*+-.^_`|~),
 * 1 to `max` bytes. */
bool model_http_token_valid(const char *s, size_t len, size_t max);

#endif
