#include "tap.h"

#include <stdio.h>
#include <string.h>

#include "controller/analysis-internal.h"

/* A DNS label (RFC 1123) of at most 63. */
static bool dns_label(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 63 || s[0] == '-' || s[n - 1] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return false;
	return true;
}

static void test_names(void)
{
	static const struct {
		const char *run, *metric;
		long index;
		const char *want; /* NULL: hashed, only checked for shape */
	} rows[] = {
	    {"web-1", "e2e", 0, "web-1-e2e-0"},
	    {"web-1", "e2e", 12, "web-1-e2e-12"},
	    {"web-1", "E2E", 0, NULL},
	    {"web-1", "a_b", 0, NULL},
	    {"web-1", "a.b", 0, NULL},
	    {"a-very-long-run-name-that-goes-on-and-on-and-on", "and-a-long-metric", 3, NULL},
	    {"-odd", "x", 0, NULL},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char a[AN_JOB_NAME_MAX + 1], b[AN_JOB_NAME_MAX + 1];
		an_job_name(rows[i].run, rows[i].metric, rows[i].index, a, sizeof(a));
		an_job_name(rows[i].run, rows[i].metric, rows[i].index, b, sizeof(b));
		is_str(a, b, "%s/%s/%ld: the same every time", rows[i].run, rows[i].metric,
		       rows[i].index);
		ok(dns_label(a), "%s: a DNS label of at most 63", a);
		if (rows[i].want)
			is_str(a, rows[i].want, "%s/%s: readable when it can be", rows[i].run,
			       rows[i].metric);
		char idx[24];
		snprintf(idx, sizeof(idx), "-%ld", rows[i].index);
		ok(strlen(a) > strlen(idx) && strcmp(a + strlen(a) - strlen(idx), idx) == 0,
		   "%s: ends in the index", a);
	}
	char x[AN_JOB_NAME_MAX + 1], y[AN_JOB_NAME_MAX + 1], z[AN_JOB_NAME_MAX + 1];
	an_job_name("web", "a_b", 0, x, sizeof(x));
	an_job_name("web", "a.b", 0, y, sizeof(y));
	an_job_name("web", "a_b", 1, z, sizeof(z));
	ok(strcmp(x, y) != 0, "metrics that clean to the same text still differ: %s %s", x, y);
	ok(strcmp(x, z) != 0, "measurements differ by index: %s %s", x, z);
}

int main(void)
{
	test_names();
	return tap_done();
}
