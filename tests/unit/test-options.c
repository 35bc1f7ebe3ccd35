/* The controller's flags: defaults, flag over environment, and the values
 * refused at start rather than failing later. */
#include "tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller/options.h"

/* Parses the NULL-terminated argv; the error line goes to err (size n). */
static int parse(const char *const *args, struct ctl_options *o, char *err, size_t n)
{
	char *argv[16] = {"slipway-controller"};
	int argc = 1;
	for (; args[argc - 1] && argc < 16; argc++)
		argv[argc] = (char *)args[argc - 1];
	FILE *f = fmemopen(err, n, "w");
	int r = ctl_options_parse(argc, argv, o, f);
	fclose(f);
	return r;
}

static void test_identity_limit(void)
{
	char id[200], flag[220], err[512] = "";
	memset(id, 'a', sizeof(id) - 1);
	id[sizeof(id) - 1] = '\0';
	snprintf(flag, sizeof(flag), "--identity=%s", id);
	struct ctl_options o = {0};
	const char *too_long[] = {flag, NULL};
	ok(parse(too_long, &o, err, sizeof(err)) < 0,
	   "a 199-character --identity is refused at start");
	ok(strstr(err, "--identity") && strstr(err, "128"),
	   "the error names the flag and the limit: %s", err);
	ok(o.identity == NULL, "options untouched on failure");

	id[128] = '\0';
	snprintf(flag, sizeof(flag), "--identity=%s", id);
	const char *at_limit[] = {flag, NULL};
	ok(parse(at_limit, &o, err, sizeof(err)) == 0 && strlen(o.identity) == 128,
	   "128 characters are accepted");

	const char *empty[] = {"--identity=", NULL};
	ok(parse(empty, &o, err, sizeof(err)) < 0, "an empty --identity is refused");
}

static void test_defaults_and_env(void)
{
	char err[256] = "";
	struct ctl_options o = {0};
	const char *none[] = {NULL};
	setenv("SLIPWAY_WORKERS", "7", 1);
	ok(parse(none, &o, err, sizeof(err)) == 0 && o.workers == 7,
	   "SLIPWAY_WORKERS sets the workers");
	const char *flag[] = {"--workers", "3", NULL};
	ok(parse(flag, &o, err, sizeof(err)) == 0 && o.workers == 3, "the flag beats the variable");
	unsetenv("SLIPWAY_WORKERS");
	ok(parse(none, &o, err, sizeof(err)) == 0 && o.leader_elect && o.identity == NULL,
	   "defaults: leader election on, identity chosen at start");
}

int main(void)
{
	test_identity_limit();
	test_defaults_and_env();
	return tap_done();
}
