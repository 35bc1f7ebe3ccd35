/* libFuzzer: the /metrics server's request-head parser takes any bytes a
 * client sends. It must never read past them, must leave its out-param
 * alone on failure, must only accept heads whose method is a token and whose
 * path is a bounded origin-form path, and must agree with itself on
 * prefixes: bytes that still need more can never become garbage by having
 * fewer of them. The address parser gets the same input as a string. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "controller/httpserver.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > CTL_HTTP_REQUEST_MAX)
		size = CTL_HTTP_REQUEST_MAX;
	/* An exact-size copy, so ASan sees any read past the end. */
	char *buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);

	struct ctl_http_request req, sentinel;
	memset(&sentinel, 0x5a, sizeof(sentinel));
	req = sentinel;
	int r = ctl_http_parse_request(buf, size, &req);
	if (r != 0 && r != -EAGAIN && r != -EBADMSG && r != -EPROTONOSUPPORT && r != -E2BIG)
		abort();
	if (r != 0 && memcmp(&req, &sentinel, sizeof(req)) != 0)
		abort();
	if (r == 0) {
		size_t ml = strnlen(req.method, sizeof(req.method));
		size_t pl = strnlen(req.path, sizeof(req.path));
		if (ml == 0 || ml >= sizeof(req.method) || pl == 0 || pl > CTL_HTTP_PATH_MAX ||
		    req.path[0] != '/' || strchr(req.path, '?') || strchr(req.path, ' '))
			abort();
	}
	if (size > 0) {
		struct ctl_http_request shorter;
		int rp = ctl_http_parse_request(buf, size - 1, &shorter);
		/* A head that is incomplete stays incomplete when cut. A
		 * complete one cut is incomplete, or still complete when
		 * bytes followed its blank line. */
		if (r == -EAGAIN && rp != -EAGAIN)
			abort();
		if (r == 0 && rp != 0 && rp != -EAGAIN)
			abort();
	}

	char text[512];
	size_t n = size < sizeof(text) - 1 ? size : sizeof(text) - 1;
	memcpy(text, buf, n);
	text[n] = '\0';
	char host[CTL_HTTP_HOST_MAX + 1] = "x";
	uint16_t port = 7;
	int ra = ctl_http_parse_address(text, host, sizeof(host), &port);
	if (ra != 0 && (port != 7 || strcmp(host, "x") != 0))
		abort();
	if (ra == 0 && strlen(host) > CTL_HTTP_HOST_MAX)
		abort();
	free(buf);
	return 0;
}
