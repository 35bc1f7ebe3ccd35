/* libFuzzer: whatever an API server (or a proxy in front of it) answers, the
 * error decoding yields a negative errno and one bounded line; Retry-After
 * parses into [0, 3600] seconds or fails leaving the output alone; path
 * escaping emits only unreserved characters and %XX. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kubeclient/apierror.h"
#include "kubeclient/path.h"
#include "kubeclient/retry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 1 << 16)
		return 0;
	long status = size > 0 ? 400 + data[0] % 200 : 500;

	struct kc_error err = {0};
	int r =
	    kc_error_from_response(&err, "GET", "/api/v1/pods", status, (const char *)data, size);
	if (r >= 0 || err.code != r || err.http_status != status)
		abort();
	if (strnlen(err.message, sizeof(err.message)) >= sizeof(err.message) ||
	    strchr(err.message, '\n'))
		abort();
	/* The predicates must agree with the status they were given. */
	if (status == 404 && !kc_is_not_found(&err))
		abort();
	if (status == 409 && !kc_is_conflict(&err) && !kc_is_already_exists(&err))
		abort();
	kc_error_clear(&err);

	char text[256];
	size_t n = size < sizeof(text) - 1 ? size : sizeof(text) - 1;
	memcpy(text, data, n);
	text[n] = '\0';
	double s = -1;
	r = kc_retry_after_parse(text, 1795694400, &s);
	if (r == 0 && (s < 0 || s > 3600))
		abort();
	if (r < 0 && s != -1)
		abort();

	char out[3 * sizeof(text) + 1];
	r = kc_path_escape(out, sizeof(out), 0, text);
	if (r < 0 || (size_t)r != strlen(out))
		abort();
	for (int i = 0; i < r; i++) {
		char c = out[i];
		if (c == '%') {
			if (i + 2 >= r || !hex(out[i + 1]) || !hex(out[i + 2]))
				abort();
			i += 2;
		} else if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		             (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
		             c == '~')) {
			abort();
		}
	}
	return 0;
}
