#include "tap.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int checks;
static int failures;

static bool report(bool pass, const char *file, int line, const char *fmt, va_list ap)
{
	checks++;
	printf("%sok %d - ", pass ? "" : "not ", checks);
	vprintf(fmt, ap);
	printf("\n");
	if (!pass) {
		failures++;
		printf("#   failed at %s:%d\n", file, line);
	}
	fflush(stdout);
	return pass;
}

bool tap_ok(bool cond, const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	bool pass = report(cond, file, line, fmt, ap);
	va_end(ap);
	return pass;
}

bool tap_is_int(long long got, long long want, const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	bool pass = report(got == want, file, line, fmt, ap);
	va_end(ap);
	if (!pass)
		printf("#   got: %lld\n#  want: %lld\n", got, want);
	return pass;
}

bool tap_is_str(const char *got, const char *want, const char *file, int line, const char *fmt, ...)
{
	bool same = (got == NULL && want == NULL) || (got && want && strcmp(got, want) == 0);
	va_list ap;
	va_start(ap, fmt);
	bool pass = report(same, file, line, fmt, ap);
	va_end(ap);
	if (!pass)
		printf("#   got: \"%s\"\n#  want: \"%s\"\n", got ? got : "(null)",
		       want ? want : "(null)");
	return pass;
}

void tap_diag(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	printf("# ");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
}

int tap_done(void)
{
	printf("1..%d\n", checks);
	return failures == 0 ? 0 : 1;
}
