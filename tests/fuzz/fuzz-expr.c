/* libFuzzer: any text as a condition. Parsing must not crash and either
 * succeed or say where it failed (a column inside the source, a printable
 * message); a parsed condition must evaluate against every kind of result
 * without crashing, to true, false or an error of the documented kinds, and
 * the same every time. And the NaN rule from the other side: "!(c)" fails
 * exactly when c fails, so negating a condition never turns an error (a NaN
 * comparison, a missing sample) into a pass. */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/expr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct model_sample three[] = {{0.1, NULL}, {NAN, NULL}, {-INFINITY, NULL}};
static char text[] = "ok";

static const struct model_value results[] = {
    {.kind = MODEL_VALUE_NUMBER, .number = 0.5},
    {.kind = MODEL_VALUE_NUMBER, .number = NAN},
    {.kind = MODEL_VALUE_NUMBER, .number = INFINITY},
    {.kind = MODEL_VALUE_VECTOR},
    {.kind = MODEL_VALUE_VECTOR, .vector = {three, 3}},
    {.kind = MODEL_VALUE_STRING, .string = {text, 2}},
    {.kind = MODEL_VALUE_BOOL, .boolean = false},
};
#define NRESULTS (sizeof(results) / sizeof(results[0]))

/* The error says "column N: " with N its column, within the source's
 * characters (or one past the end), and is printable ASCII. */
static void check_error(const struct model_expr_error *err, size_t src_len)
{
	char prefix[32];
	snprintf(prefix, sizeof(prefix), "column %zu: ", err->column);
	if (err->column < 1 || err->column > src_len + 1 ||
	    strncmp(err->message, prefix, strlen(prefix)) != 0)
		abort();
	size_t n = strnlen(err->message, sizeof(err->message));
	if (n == sizeof(err->message))
		abort();
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)err->message[i] < 0x20 || (unsigned char)err->message[i] > 0x7e)
			abort();
}

/* Evaluates e against r; aborts on an undocumented outcome. */
static int eval_checked(const struct model_expr *e, const struct model_value *r, size_t len,
                        bool *ret)
{
	struct model_expr_error err;
	bool got = false, again = true;
	int rc = model_expr_eval(e, r, &got, &err);
	if (rc < 0) {
		if (rc != -EINVAL && rc != -ENODATA && rc != -EDOM)
			abort();
		check_error(&err, len);
	}
	if (model_expr_eval(e, r, &again, NULL) != rc || (rc == 0 && again != got))
		abort();
	*ret = got;
	return rc;
}

/* "!(" src ")", which parses exactly when src parses (unless that nesting
 * is the one too many), gives the opposite answer or the same error. */
static void check_negation(const char *src, const struct model_expr *e, size_t len)
{
	size_t n = strlen(src) + 4;
	char *neg = malloc(n);
	if (!neg)
		return;
	snprintf(neg, n, "!(%s)", src);
	struct model_expr *ne = NULL;
	struct model_expr_error err;
	int r = model_expr_parse(neg, &ne, &err);
	if (r < 0 && !strstr(err.message, "nested too deeply") &&
	    !strstr(err.message, "longer than"))
		abort();
	for (size_t i = 0; r == 0 && i < NRESULTS; i++) {
		bool a = false, b = false;
		int ra = eval_checked(e, &results[i], len, &a);
		int rb = eval_checked(ne, &results[i], len + 3, &b);
		if (ra != rb || (ra == 0 && a == b))
			abort();
	}
	model_expr_free(ne);
	free(neg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > MODEL_EXPR_MAX_LEN + 16)
		size = MODEL_EXPR_MAX_LEN + 16;
	char *src = malloc(size + 1);
	if (!src)
		return 0;
	memcpy(src, data, size);
	src[size] = '\0';
	size_t len = strlen(src);

	struct model_expr *e = (struct model_expr *)src; /* any non-NULL */
	struct model_expr_error err;
	int r = model_expr_parse(src, &e, &err);
	if (r < 0) {
		if (r != -EINVAL || e != (struct model_expr *)src)
			abort();
		check_error(&err, len);
		free(src);
		return 0;
	}
	if (strcmp(model_expr_source(e), src) != 0)
		abort();
	for (size_t i = 0; i < NRESULTS; i++) {
		bool got;
		eval_checked(e, &results[i], len, &got);
	}
	/* Wrapping a string literal in "!(...)" would be a different error,
	 * not the same one; only conditions that parse are wrapped. */
	check_negation(src, e, len);
	model_expr_free(e);
	free(src);
	return 0;
}
