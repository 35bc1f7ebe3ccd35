/* libFuzzer: Go-style duration text must parse or fail cleanly, and a
 * failure must leave the output alone. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model/duration.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char text[2 * MODEL_DURATION_MAX_LEN];
	if (size >= sizeof(text))
		size = sizeof(text) - 1;
	memcpy(text, data, size);
	text[size] = '\0';
	int64_t ns = 12345;
	int r = model_duration_parse(text, &ns);
	if (r < 0 && ns != 12345)
		abort();
	if (r == 0) {
		/* Go's String form reads back to the same value. */
		char buf[MODEL_DURATION_FMT_LEN];
		int64_t back = 0;
		model_duration_format(ns, buf);
		if (model_duration_parse(buf, &back) != 0 || back != ns)
			abort();
		int64_t s = model_duration_seconds_ceil(ns);
		/* Rounded seconds cover the duration and never by a full second
		 * more (compared by division: s * 1e9 can overflow near the max). */
		int64_t q = ns / MODEL_NS_PER_SECOND;
		if (ns > 0 && (s < q || s > q + 1 || (ns % MODEL_NS_PER_SECOND == 0 && s != q)))
			abort();
	}
	return 0;
}
