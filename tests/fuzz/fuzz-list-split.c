/* libFuzzer: the list splitter must never read past its input or recurse,
 * and on a list jansson accepts it must find exactly the items jansson sees:
 * the same count, each element parsing to the same value. */
#include <errno.h>
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kubeclient/list-split.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	size_t start, end;
	int r = kc_list_split_items(buf, size, &start, &end);
	if (r < 0) {
		/* Whatever jansson reads as an object, the scan must read too
		 * (it may miss only an "items" key spelt with escapes, which
		 * the client then refuses) — except a raw NUL byte, which JSON
		 * does not allow, the scan refuses, and jansson skips in places. */
		json_t *whole = json_loadb(buf, size, 0, NULL);
		if (json_is_object(whole) && r == -EBADMSG && !memchr(buf, '\0', size))
			abort();
		json_decref(whole);
		return 0;
	}
	if (start > end || end > size)
		abort();
	json_t *whole = json_loadb(buf, size, JSON_REJECT_DUPLICATES, NULL);
	json_t *items = json_object_get(whole, "items");
	size_t pos = 0, s, e, n = 0;
	for (r = kc_list_split_next(buf + start, end - start, &pos, &s, &e); r > 0;
	     r = kc_list_split_next(buf + start, end - start, &pos, &s, &e)) {
		if (s > e || e > end - start)
			abort();
		if (json_is_array(items)) {
			json_t *elem = json_loadb(buf + start + s, e - s, JSON_DECODE_ANY, NULL);
			if (!elem || !json_equal(elem, json_array_get(items, n)))
				abort();
			json_decref(elem);
		}
		n++;
	}
	if (json_is_array(items) && (r != 0 || n != json_array_size(items)))
		abort();
	json_decref(whole);
	return 0;
}
