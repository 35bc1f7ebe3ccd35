#include "tap.h"

#include <jansson.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "model/errors.h"

/* What goes in (a quoted user value), what a reader sees. */
static const struct {
	const char *why;
	const char *value;
	const char *want;
} rows[] = {
    {"plain text is kept", "web", "f: \"web\""},
    {"UTF-8 is kept", "caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x9a\x80",
     "f: \"caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x9a\x80\""},
    {"a cut character becomes ?", "ab\xc3", "f: \"ab?\""},
    {"a stray continuation byte becomes ?", "a\x80z", "f: \"a?z\""},
    {"overlong encodings are not UTF-8", "\xc0\xaf", "f: \"??\""},
    {"surrogates are not UTF-8", "\xed\xa0\x80", "f: \"???\""},
    {"above U+10FFFF is not UTF-8", "\xf4\x90\x80\x80", "f: \"????\""},
    {"control characters become ?", "line\nbreak\ttab\x1b[31m", "f: \"line?break?tab?[31m\""},
};

int main(void)
{
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct model_errors e = {0};
		model_errors_add(&e, "f", "\"%s\"", rows[i].value);
		is_int(e.n, 1, "%s: one message", rows[i].why);
		is_str(e.msg[0], rows[i].want, "%s", rows[i].why);
		json_t *j = json_string(e.msg[0]);
		ok(j != NULL, "%s: jansson accepts it", rows[i].why);
		json_decref(j);
		model_errors_clear(&e);
	}

	/* Cutting at MODEL_ERROR_LEN never leaves half a character. */
	struct model_errors e = {0};
	char big[2 * MODEL_ERROR_LEN];
	for (size_t i = 0; i + 1 < sizeof(big); i += 2) {
		big[i] = (char)0xc3;
		big[i + 1] = (char)0xa9;
	}
	big[sizeof(big) - 1] = '\0';
	model_errors_add(&e, "p", "%s", big);
	is_int(strlen(e.msg[0]), MODEL_ERROR_LEN - 1, "long message cut to the limit");
	json_t *j = json_string(e.msg[0]);
	ok(j != NULL, "cut message is still UTF-8");
	json_decref(j);
	model_errors_clear(&e);

	/* No path: the message stands alone; join and counts. */
	model_errors_add(&e, NULL, "first");
	model_errors_add(&e, "", "second");
	char *s = model_errors_join(&e, " | ");
	is_str(s, "first | second", "join without paths");
	free(s);
	for (int i = 0; i < MODEL_ERRORS_MAX; i++)
		model_errors_add(&e, "x", "n%d", i);
	is_int(e.n, MODEL_ERRORS_MAX, "kept up to the limit");
	is_int(e.dropped, 2, "the rest counted");
	is_int(model_errors_count(&e), MODEL_ERRORS_MAX + 2, "count is kept plus dropped");
	s = model_errors_join(&e, "; ");
	ok(s && strstr(s, "; (and 2 more)") != NULL, "join says how many more");
	free(s);
	model_errors_clear(&e);
	is_int(e.n, 0, "clear empties");
	s = model_errors_join(&e, "; ");
	is_str(s, "", "empty list joins to empty");
	free(s);
	model_errors_clear(NULL);
	return tap_done();
}
