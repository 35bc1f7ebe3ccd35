/* libFuzzer: cron text and TZif bytes parse or fail cleanly (out left
 * alone); a parsed zone answers every offset within a day of UTC; and a
 * scheduled window's end is after the instant and at most one duration
 * away. Input: the first byte picks the part, the rest is its text. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model/cron.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void cron_text(const uint8_t *data, size_t size)
{
	char text[MODEL_CRON_MAX_LEN + 8];
	if (size >= sizeof(text))
		size = sizeof(text) - 1;
	memcpy(text, data, size);
	text[size] = '\0';
	struct model_cron c = {.minute = 7};
	char err[128];
	if (model_cron_parse(text, &c, err, sizeof(err)) != 0) {
		if (c.minute != 7)
			abort();
		return;
	}
	int64_t end = 0, t = INT64_C(1796403600) + (int64_t)(size * 7919);
	if (model_freeze_scheduled(&c, NULL, 3600, t, &end) && (end <= t || end > t + 3600))
		abort();
}

static void tzif(const uint8_t *data, size_t size)
{
	struct model_tz tz = {.n_types = 99};
	if (model_tz_parse(data, size, &tz) != 0) {
		if (tz.n_types != 99)
			abort();
		return;
	}
	static const int64_t at[] = {INT64_MIN / 4, -2000000000, 0,
	                             1796403600,    4102444800,  INT64_MAX / 4};
	for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		int32_t off = model_tz_offset(&tz, at[i]);
		if (off <= -2 * 86400 || off >= 2 * 86400)
			abort();
	}
	struct model_cron c;
	char err[64];
	int64_t end;
	model_cron_parse("*/7 * * * *", &c, err, sizeof(err));
	if (model_freeze_scheduled(&c, &tz, 600, 1796403600, &end) &&
	    (end <= 1796403600 || end > 1796403600 + 600))
		abort();
	model_tz_clear(&tz);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	if (data[0] & 1)
		tzif(data + 1, size - 1);
	else
		cron_text(data + 1, size - 1);
	return 0;
}
