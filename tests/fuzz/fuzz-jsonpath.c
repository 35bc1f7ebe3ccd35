/* libFuzzer: a web metric's jsonPath and a response body. The input's
 * first line is the path (an empty first line: no path), the rest the
 * body. Neither the check nor the evaluation may crash; they agree on
 * which paths are refused; a failure returns a documented code, leaves the
 * value alone and says why in a bounded message; a success is a value that
 * formats and evaluates without crashing. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model/jsonpath.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const conditions[] = {"result == 'ok'", "result < 0.05", "len(result) > 1",
                                         "result"};
#define NCONDITIONS (sizeof(conditions) / sizeof(conditions[0]))
static struct model_expr *parsed[NCONDITIONS];

static void check_value(const struct model_value *v)
{
	char buf[128];
	model_value_format(v, buf, sizeof(buf));
	if (strlen(buf) >= sizeof(buf))
		abort();
	if (v->kind == MODEL_VALUE_STRING && (!v->string.s || v->string.s[v->string.len] != '\0'))
		abort();
	for (size_t i = 0; i < NCONDITIONS; i++) {
		bool got;
		int r = model_expr_eval(parsed[i], v, &got, NULL);
		if (r != 0 && r != -EINVAL && r != -ENODATA && r != -EDOM)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	for (size_t i = 0; i < NCONDITIONS; i++)
		if (!parsed[i] && model_expr_parse(conditions[i], &parsed[i], NULL) < 0)
			abort();
	const uint8_t *nl = memchr(data, '\n', size);
	size_t plen = nl ? (size_t)(nl - data) : size;
	char *path = malloc(plen + 1);
	if (!path)
		return 0;
	memcpy(path, data, plen);
	path[plen] = '\0';
	const char *body = nl ? (const char *)nl + 1 : "";
	size_t blen = nl ? size - plen - 1 : 0;
	const char *p = plen == 0 || memchr(path, '\0', plen) ? NULL : path;
	char err[MODEL_JSONPATH_ERROR_LEN];
	struct model_value v = {.kind = MODEL_VALUE_BOOL, .boolean = true};
	int c = p ? model_jsonpath_check(p, err) : 0;
	int r = model_jsonpath_eval(p, body, blen, &v, err);
	if ((c == -EINVAL) != (r == -EINVAL))
		abort();
	if (r < 0) {
		if (r != -EINVAL && r != -EPROTO && r != -ENODATA && r != -ENOMEM)
			abort();
		if (v.kind != MODEL_VALUE_BOOL || !v.boolean)
			abort();
		if (strnlen(err, MODEL_JSONPATH_ERROR_LEN) == MODEL_JSONPATH_ERROR_LEN)
			abort();
	} else {
		check_value(&v);
		model_value_clear(&v);
	}
	free(path);
	return 0;
}
