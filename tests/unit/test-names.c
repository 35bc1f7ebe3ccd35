/* model/names.h: the DNS subdomain and DNS label name syntaxes, by table. */
#include "tap.h"

#include <string.h>

#include "model/names.h"

/* n copies of c (n < cap). */
static const char *repeat(char *buf, size_t cap, char c, size_t n)
{
	if (n >= cap)
		n = cap - 1;
	memset(buf, c, n);
	buf[n] = '\0';
	return buf;
}

static const struct {
	const char *s;
	bool subdomain, label;
} rows[] = {
    {"web", true, true},      {"a", true, true},
    {"9", true, false},                                         /* a label starts with a letter */
    {"web-1", true, true},    {"web.example.com", true, false}, /* dots: subdomain only */
    {"a.b", true, false},     {"", false, false},
    {"-web", false, false},   {"web-", false, false},
    {"web.-x", false, false}, /* each dotted part starts alphanumeric */
    {"web-.x", false, false}, /* ... and ends so */
    {".web", false, false},   {"web.", false, false},
    {"a..b", false, false},   {"Web", false, false}, /* lowercase only */
    {"web_1", false, false},  {"web 1", false, false},
    {"wéb", false, false},
};

int main(void)
{
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		size_t len = strlen(rows[i].s);
		is_int(model_dns_subdomain_valid(rows[i].s, len), rows[i].subdomain,
		       "subdomain \"%s\"", rows[i].s);
		is_int(model_dns_label_valid(rows[i].s, len), rows[i].label, "label \"%s\"",
		       rows[i].s);
	}

	/* Lengths: only `len` bytes are read, and the limits are 253 and 63. */
	char buf[300];
	is_int(model_dns_subdomain_valid("web!", 3), true, "only len bytes are read");
	is_int(model_dns_label_valid("a\0b", 3), false, "a NUL inside is a bad character");
	is_int(model_dns_subdomain_valid("a\0b", 3), false, "... for a subdomain too");
	is_int(model_dns_label_valid(repeat(buf, sizeof(buf), 'a', 63), 63), true, "label of 63");
	is_int(model_dns_label_valid(repeat(buf, sizeof(buf), 'a', 64), 64), false, "label of 64");
	is_int(model_dns_subdomain_valid(repeat(buf, sizeof(buf), 'a', 253), 253), true,
	       "subdomain of 253 (one long part is fine: only the total is limited)");
	is_int(model_dns_subdomain_valid(repeat(buf, sizeof(buf), 'a', 254), 254), false,
	       "subdomain of 254");
	return tap_done();
}
