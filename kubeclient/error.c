#include "kubeclient/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int kc_error_set(struct kc_error *err, int code, const char *fmt, ...)
{
	if (!err)
		return code;
	err->code = code;
	/* Format into a copy: callers may pass err->message itself as an argument
	 * ("%s: more context"), and vsnprintf onto its own input is undefined. */
	char buf[sizeof(err->message)];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		buf[0] = '\0';
	memcpy(err->message, buf, sizeof(buf));
	/* The message is one line by contract; text from plugins and files may
	 * carry newlines, and a log line must not be split by them. */
	for (char *p = err->message; *p; p++) {
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	}
	return code;
}

void kc_error_clear(struct kc_error *err)
{
	if (!err)
		return;
	json_decref(err->status);
	memset(err, 0, sizeof(*err));
}
