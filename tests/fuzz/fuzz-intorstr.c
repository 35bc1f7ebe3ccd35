/* libFuzzer: any JSON value as maxSurge/maxUnavailable. Parsing must not
 * crash; a parsed value must survive to_json and back, and scaling must stay
 * within its documented bounds. */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "model/intorstr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *v = json_loadb((const char *)data, size, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
	if (!v)
		return 0;
	struct model_intorstr x = {false, -7};
	int r = model_intorstr_from_json(v, &x);
	json_decref(v);
	if (r < 0) {
		if (x.value != -7)
			abort();
		return 0;
	}
	if (x.value < 0)
		abort();
	json_t *back = model_intorstr_to_json(&x);
	struct model_intorstr y;
	if (!back || model_intorstr_from_json(back, &y) != 0 || y.is_percent != x.is_percent ||
	    y.value != x.value)
		abort();
	json_decref(back);

	static const int32_t totals[] = {0, 1, 3, 10, 100, 2147483647};
	for (size_t i = 0; i < sizeof(totals) / sizeof(totals[0]); i++) {
		int32_t up = -1, down = -1, surge = -1, unavail = -1;
		int ru = model_intorstr_scaled(&x, totals[i], true, &up);
		int rd = model_intorstr_scaled(&x, totals[i], false, &down);
		if (ru == 0 && rd == 0 && (down < 0 || up < down || up - down > 1))
			abort();
		if (model_resolve_fenceposts(&x, &x, totals[i], &surge, &unavail) == 0 &&
		    surge == 0 && unavail == 0)
			abort();
	}
	return 0;
}
