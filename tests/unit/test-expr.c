#include "tap.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/expr.h"

/* The results conditions are evaluated against. */
enum result {
	R_NUM,   /* 0.5 */
	R_NAN,   /* NaN (a scalar) */
	R_INF,   /* +Inf */
	R_EMPTY, /* [] */
	R_ONE,   /* [0.03] */
	R_THREE, /* [0.1, 0.2, NaN] */
	R_STR,   /* 'ok' */
	R_TRUE,  /* true */
	R_COUNT,
};

static struct model_sample one[] = {{0.03, "{}"}};
static struct model_sample three[] = {
    {0.1, "up{job=\"a\"}"}, {0.2, "up{job=\"b\"}"}, {NAN, "up{job=\"c\"}"}};
static char ok_text[] = "ok";

static struct model_value results[R_COUNT];

static void init_results(void)
{
	results[R_NUM] = (struct model_value){.kind = MODEL_VALUE_NUMBER, .number = 0.5};
	results[R_NAN] = (struct model_value){.kind = MODEL_VALUE_NUMBER, .number = NAN};
	results[R_INF] = (struct model_value){.kind = MODEL_VALUE_NUMBER, .number = INFINITY};
	results[R_EMPTY] = (struct model_value){.kind = MODEL_VALUE_VECTOR};
	results[R_ONE] = (struct model_value){.kind = MODEL_VALUE_VECTOR, .vector = {one, 1}};
	results[R_THREE] = (struct model_value){.kind = MODEL_VALUE_VECTOR, .vector = {three, 3}};
	results[R_STR] = (struct model_value){.kind = MODEL_VALUE_STRING, .string = {ok_text, 2}};
	results[R_TRUE] = (struct model_value){.kind = MODEL_VALUE_BOOL, .boolean = true};
}

/* Conditions that parse, what they give against a result: true/false, or an
 * error and its message. */
static const struct {
	const char *src;
	enum result result;
	int ret;
	bool want;
	const char *msg;
} evals[] = {
    /* The examples. */
    {"result[0] < 0.05", R_ONE, 0, true, NULL},
    {"result[0] >= 0.2", R_ONE, 0, false, NULL},
    {"result == 'ok'", R_STR, 0, true, NULL},
    {"result == \"ok\"", R_STR, 0, true, NULL},
    {"result != 'ok'", R_STR, 0, false, NULL},
    /* Literals. */
    {"true", R_NUM, 0, true, NULL},
    {"false", R_NUM, 0, false, NULL},
    {"1 == 1.0", R_NUM, 0, true, NULL},
    {".5 == 0.5", R_NUM, 0, true, NULL},
    {"1e3 == 1000 && 1E+3 == 1000 && 25e-2 == 0.25", R_NUM, 0, true, NULL},
    {"'a\\'b' == \"a'b\"", R_NUM, 0, true, NULL},
    {"len('a\\\\b\\n\\t\\r\\\"') == 7", R_NUM, 0, true, NULL},
    {"len(\"\") == 0", R_NUM, 0, true, NULL},
    {" \t\n\rresult\n>\n0.1 ", R_NUM, 0, true, NULL},
    /* Every comparison, numbers. */
    {"result == 0.5", R_NUM, 0, true, NULL},
    {"result != 0.5", R_NUM, 0, false, NULL},
    {"result < 0.5", R_NUM, 0, false, NULL},
    {"result <= 0.5", R_NUM, 0, true, NULL},
    {"result > 0.4", R_NUM, 0, true, NULL},
    {"result >= 0.6", R_NUM, 0, false, NULL},
    {"result > 1e308", R_INF, 0, true, NULL},
    {"-result < 0", R_INF, 0, true, NULL},
    /* Strings: bytewise, a prefix sorts first. */
    {"'abc' < 'abd' && 'ab' < 'abc' && 'b' > 'abc' && '' <= ''", R_NUM, 0, true, NULL},
    {"result >= 'ok' && result <= 'ok' && result > 'o'", R_STR, 0, true, NULL},
    /* Booleans. */
    {"result == true", R_TRUE, 0, true, NULL},
    {"result", R_TRUE, 0, true, NULL},
    {"!result", R_TRUE, 0, false, NULL},
    {"true != false", R_NUM, 0, true, NULL},
    {"(1 < 2) == (3 < 4)", R_NUM, 0, true, NULL},
    /* Arithmetic and its precedence. */
    {"1 + 2 * 3 == 7", R_NUM, 0, true, NULL},
    {"(1 + 2) * 3 == 9", R_NUM, 0, true, NULL},
    {"10 - 4 - 3 == 3", R_NUM, 0, true, NULL},
    {"12 / 3 / 2 == 2", R_NUM, 0, true, NULL},
    {"7 % 4 == 3 && -7 % 4 == -3 && 7.5 % 2 == 1.5", R_NUM, 0, true, NULL},
    {"2 * -3 == -6 && --2 == 2 && -(1 + 1) == -2", R_NUM, 0, true, NULL},
    {"1 + 2 < 4 == true", R_NUM, 0, true, NULL},
    {"result * 100 < 51", R_NUM, 0, true, NULL},
    /* Logic: && binds tighter than ||; ! tighter than both. */
    {"true || false && false", R_NUM, 0, true, NULL},
    {"(true || false) && false", R_NUM, 0, false, NULL},
    {"!false && !false", R_NUM, 0, true, NULL},
    {"!(1 < 2)", R_NUM, 0, false, NULL},
    {"!!true", R_NUM, 0, true, NULL},
    {"false && false || true", R_NUM, 0, true, NULL},
    /* Short-circuit: the side not looked at raises nothing. */
    {"len(result) == 0 || result[0] < 0.05", R_EMPTY, 0, true, NULL},
    {"len(result) > 0 && result[0] < 0.05", R_EMPTY, 0, false, NULL},
    {"isNaN(result) || result < 1", R_NAN, 0, true, NULL},
    /* Vectors and indexes. */
    {"len(result) == 3", R_THREE, 0, true, NULL},
    {"len(result) == 0", R_EMPTY, 0, true, NULL},
    {"result[1] == 0.2", R_THREE, 0, true, NULL},
    {"result[1 + 1 - 1] == 0.2", R_THREE, 0, true, NULL},
    {"result[len(result) - 2] == 0.2", R_THREE, 0, true, NULL},
    {"isNaN(result[2])", R_THREE, 0, true, NULL},
    {"!isNaN(result[0])", R_THREE, 0, true, NULL},
    {"isNaN(0)", R_NUM, 0, false, NULL},
    {"result[2] < 1", R_ONE, -ENODATA, false,
     "column 7: index 2 out of range (result has 1 sample)"},
    {"result[0] < 1", R_EMPTY, -ENODATA, false,
     "column 7: index 0 out of range (result has 0 samples)"},
    {"result[3] > 0", R_THREE, -ENODATA, false,
     "column 7: index 3 out of range (result has 3 samples)"},
    {"result[-1] > 0", R_THREE, -EINVAL, false, "column 8: index -1 is negative"},
    {"result[0.5] > 0", R_THREE, -EINVAL, false, "column 8: index 0.5 is not a whole number"},
    {"result[result[2]] > 0", R_THREE, -EDOM, false, "column 8: index is NaN"},
    {"result[1e300] > 0", R_THREE, -ENODATA, false,
     "column 7: index 1e+300 out of range (result has 3 samples)"},
    /* default(x, y): y when x is missing, NaN or empty. */
    {"default(result[0], 0) == 0", R_EMPTY, 0, true, NULL},
    {"default(result[5], 0.5) == 0.5", R_THREE, 0, true, NULL},
    {"default(result[2], 0.5) == 0.5", R_THREE, 0, true, NULL},
    {"default(result[0], 0.5) == 0.1", R_THREE, 0, true, NULL},
    {"default(result, 1) == 1", R_NAN, 0, true, NULL},
    {"default(result, 1) == 0.5", R_NUM, 0, true, NULL},
    {"default(result[0] * 2, 7) == 7", R_EMPTY, 0, true, NULL},
    {"default(default(result[9], result[2]), 4) == 4", R_THREE, 0, true, NULL},
    {"len(default(result, 'x')) == 1", R_EMPTY, 0, true, NULL},
    {"default(result, 'x') == 'ok'", R_STR, 0, true, NULL},
    {"default(result, 0 / 0) == 1", R_NAN, -EDOM, false, "column 19: division by zero"},
    {"default(result[0] / 0, 1) == 1", R_ONE, -EDOM, false, "column 19: division by zero"},
    {"default('a' < result, true)", R_NUM, -EINVAL, false,
     "column 13: '<' cannot compare a string with a number"},
    /* The NaN rule: no comparison with NaN passes, whatever is around it. */
    {"result < 1", R_NAN, -EDOM, false,
     "column 8: result is NaN; a comparison with NaN is an error"},
    {"result != 1", R_NAN, -EDOM, false,
     "column 8: result is NaN; a comparison with NaN is an error"},
    {"result == result", R_NAN, -EDOM, false,
     "column 8: result is NaN; a comparison with NaN is an error"},
    {"result <= 1", R_NAN, -EDOM, false,
     "column 8: result is NaN; a comparison with NaN is an error"},
    {"1 > result", R_NAN, -EDOM, false,
     "column 3: result is NaN; a comparison with NaN is an error"},
    {"!(1 >= result)", R_NAN, -EDOM, false,
     "column 5: result is NaN; a comparison with NaN is an error"},
    {"result[2] == result[2]", R_THREE, -EDOM, false,
     "column 11: result[2] is NaN; a comparison with NaN is an error"},
    {"!(result[2] >= 0.2)", R_THREE, -EDOM, false,
     "column 13: result[2] is NaN; a comparison with NaN is an error"},
    {"!(result[2] < 0.2) && true", R_THREE, -EDOM, false,
     "column 13: result[2] is NaN; a comparison with NaN is an error"},
    {"result[0] < 1 && 0.5 > result[2] * 10", R_THREE, -EDOM, false,
     "column 22: result[2] * 10 is NaN; a comparison with NaN is an error"},
    {"(result - result) < 1", R_INF, -EDOM, false,
     "column 19: (result - result) is NaN; a comparison with NaN is an error"},
    {"1 / 0 > 0", R_NUM, -EDOM, false, "column 3: division by zero"},
    {"1 % 0 > 0", R_NUM, -EDOM, false, "column 3: division by zero"},
    /* Type errors that depend on the result. */
    {"result < 0.05", R_ONE, -EINVAL, false,
     "column 8: '<' cannot compare a vector (index it, e.g. result[0])"},
    {"result == 'ok'", R_NUM, -EINVAL, false,
     "column 8: '==' cannot compare a number with a string"},
    {"result + 1 > 0", R_STR, -EINVAL, false, "column 8: '+' needs numbers, not a string"},
    {"-result > 0", R_TRUE, -EINVAL, false, "column 1: '-' needs a number, not a boolean"},
    {"!result", R_NUM, -EINVAL, false, "column 1: '!' needs true or false, not a number"},
    {"result && true", R_STR, -EINVAL, false, "column 8: '&&' needs true or false, not a string"},
    {"false || result", R_NUM, -EINVAL, false, "column 7: '||' needs true or false, not a number"},
    {"result[0] > 0", R_NUM, -EINVAL, false, "column 7: cannot index a number"},
    {"len(result) > 0", R_NUM, -EINVAL, false,
     "column 5: len needs a string or a vector, not a number"},
    {"isNaN(result)", R_ONE, -EINVAL, false,
     "column 7: isNaN needs a number, not a vector (index it, e.g. result[0])"},
    {"result < result", R_TRUE, -EINVAL, false, "column 8: '<' cannot compare a boolean"},
    {"result[result] > 0", R_ONE, -EINVAL, false, "column 8: an index is a number, not a vector"},
    {"result", R_NUM, -EINVAL, false, "column 1: the condition gives a number, not true or false"},
    {"default(result, 1)", R_EMPTY, -EINVAL, false,
     "column 1: the condition gives a number, not true or false"},
    {"result", R_ONE, -EINVAL, false, "column 1: the condition gives a vector, not true or false"},
    /* Columns count characters, not bytes. */
    {"'\xc3\xa9t\xc3\xa9' != result && result < 1", R_STR, -EINVAL, false,
     "column 27: '<' cannot compare a string with a number"},
};

/* Conditions that do not parse, and why. */
static const struct {
	const char *src;
	const char *msg;
} parse_errors[] = {
    {"", "column 1: empty condition"},
    {"   ", "column 4: empty condition"},
    {"(", "column 2: unexpected end of condition"},
    {"-", "column 2: unexpected end of condition"},
    {"( ! ", "column 5: unexpected end of condition"},
    {"(result[0] < 1", "column 15: expected ')'"},
    {"result[0 < 1", "column 13: expected ']'"},
    {"reslt < 1", "column 1: unknown name 'reslt'"},
    {"result[0] < 1 and true", "column 15: unexpected 'and'"},
    {"not true", "column 1: unknown name 'not' (use !)"},
    {"true and false", "column 6: unexpected 'and'"},
    {"and", "column 1: unknown name 'and' (use &&)"},
    {"or", "column 1: unknown name 'or' (use ||)"},
    {"NaN > 1", "column 1: unknown name 'NaN'"},
    {"result = 1", "column 8: expected '==' ('=' alone is not a comparison)"},
    {"true & false", "column 6: expected '&&'"},
    {"true | false", "column 6: expected '||'"},
    {"result < 1 2", "column 12: unexpected '2'"},
    {"result <", "column 9: unexpected end of condition"},
    {"1 < 2 < 3", "column 7: comparisons do not chain; join them with &&"},
    {"1 == 1 == true", "column 8: comparisons do not chain; join them with &&"},
    {"(1 < 2) < 3", "column 9: '<' cannot compare a boolean"},
    {"result < true", "column 8: '<' cannot compare a boolean"},
    {"'abc", "column 1: unterminated string"},
    {"x == \"ab\\", "column 1: unknown name 'x'"},
    {"result == \"ab\\", "column 11: unterminated string"},
    {"'a\\qb' == result", "column 3: unknown escape '\\q'"},
    {"1. < 2", "column 3: expected a digit after '.'"},
    {"1e < 2", "column 3: expected a digit in the exponent"},
    {"1e+ < 2", "column 4: expected a digit in the exponent"},
    {"5m < result", "column 2: unexpected 'm' after a number"},
    {"1.2.3 < result", "column 4: unexpected '.' after a number"},
    {"1e999 < result", "column 1: number out of range"},
    {"result @ 1", "column 8: unexpected character '@'"},
    {"result < 1 \x01", "column 12: unexpected byte 0x01"},
    {"len result", "column 5: expected '(' after the function name"},
    {"len(result, 1) > 0", "column 11: len takes 1 argument"},
    {"default(result) > 0", "column 15: default takes 2 arguments"},
    {"default(result, 1, 2) > 0", "column 18: default takes 2 arguments"},
    {"len() > 0", "column 5: unexpected ')'"},
    {"isNaN('x')", "column 7: isNaN needs a number, not a string"},
    {"len(1) > 0", "column 5: len needs a string or a vector, not a number"},
    {"len(true) > 0", "column 5: len needs a string or a vector, not a boolean"},
    {"1[0] > 0", "column 2: cannot index a number"},
    {"'abc'[0] > 0", "column 6: cannot index a string"},
    {"result['a'] > 0", "column 8: an index is a number, not a string"},
    {"result[0][0] > 0", "column 10: cannot index a number"},
    {"'a' < 1", "column 5: '<' cannot compare a string with a number"},
    {"'a' == 1", "column 5: '==' cannot compare a string with a number"},
    {"true == 1", "column 6: '==' cannot compare a boolean with a number"},
    {"1 + 'a' > 0", "column 3: '+' needs numbers, not a string"},
    {"true * 2 > 0", "column 6: '*' needs numbers, not a boolean"},
    {"1 && true", "column 3: '&&' needs true or false, not a number"},
    {"true || 'x'", "column 6: '||' needs true or false, not a string"},
    {"!1", "column 1: '!' needs true or false, not a number"},
    {"!result[0]", "column 1: '!' needs true or false, not a number"},
    {"result[0] && true", "column 11: '&&' needs true or false, not a number"},
    {"-'x' == 1", "column 1: '-' needs a number, not a string"},
    {"-true == 1", "column 1: '-' needs a number, not a boolean"},
    {"len(result)", "column 1: the condition gives a number, not true or false"},
    {"result[0]", "column 1: the condition gives a number, not true or false"},
    {"'ok'", "column 1: the condition gives a string, not true or false"},
    {"1 + 1", "column 1: the condition gives a number, not true or false"},
    {"\xc3\xa9", "column 1: unexpected byte 0xc3"},
    {"'\xc3\xa9' == 1", "column 5: '==' cannot compare a string with a number"},
};

/* src with control characters escaped, for a one-line test name. */
static const char *show(const char *src)
{
	static char buf[256];
	size_t n = 0;
	for (; *src && n + 5 < sizeof(buf); src++) {
		unsigned char c = (unsigned char)*src;
		if (c >= 0x20 && c != 0x7f) {
			buf[n++] = *src;
			continue;
		}
		snprintf(buf + n, 5, "\\x%02x", c);
		n += 4;
	}
	buf[n] = '\0';
	return buf;
}

static void test_evals(void)
{
	for (size_t i = 0; i < sizeof(evals) / sizeof(evals[0]); i++) {
		struct model_expr *e = NULL;
		struct model_expr_error err = {0};
		int r = model_expr_parse(evals[i].src, &e, &err);
		if (!ok(r == 0, "\"%s\" parses", show(evals[i].src))) {
			tap_diag("%s", err.message);
			continue;
		}
		bool got = !evals[i].want;
		memset(&err, 0, sizeof(err));
		r = model_expr_eval(e, &results[evals[i].result], &got, &err);
		is_int(r, evals[i].ret, "\"%s\" returns %d", show(evals[i].src), evals[i].ret);
		if (evals[i].ret == 0) {
			is_int(got, evals[i].want, "\"%s\" is %s", show(evals[i].src),
			       evals[i].want ? "true" : "false");
		} else {
			is_str(err.message, evals[i].msg, "\"%s\" says why", show(evals[i].src));
			is_int(got, !evals[i].want, "\"%s\": result untouched", show(evals[i].src));
			size_t col = 0;
			ok(sscanf(err.message, "column %zu:", &col) == 1 && col == err.column,
			   "\"%s\": column %zu in the message", show(evals[i].src), err.column);
		}
		model_expr_free(e);
	}
}

static void test_parse_errors(void)
{
	for (size_t i = 0; i < sizeof(parse_errors) / sizeof(parse_errors[0]); i++) {
		struct model_expr *e = (struct model_expr *)&e; /* any non-NULL */
		struct model_expr *before = e;
		struct model_expr_error err = {0};
		int r = model_expr_parse(parse_errors[i].src, &e, &err);
		is_int(r, -EINVAL, "\"%s\" is rejected", show(parse_errors[i].src));
		ok(e == before, "\"%s\": out untouched", show(parse_errors[i].src));
		is_str(err.message, parse_errors[i].msg, "\"%s\" says why",
		       show(parse_errors[i].src));
		size_t col = 0;
		ok(sscanf(err.message, "column %zu:", &col) == 1 && col == err.column && col >= 1 &&
		       col <= strlen(parse_errors[i].src) + 1,
		   "\"%s\": column %zu in the message and the source", show(parse_errors[i].src),
		   err.column);
		if (r == 0)
			model_expr_free(e);
	}
}

/* text made of n copies of `unit` between `head` and `tail`; caller frees. */
static char *repeat(const char *head, const char *unit, size_t n, const char *tail)
{
	size_t len = strlen(head) + n * strlen(unit) + strlen(tail);
	char *s = malloc(len + 1);
	size_t at = 0;
	memcpy(s, head, strlen(head));
	at += strlen(head);
	for (size_t i = 0; i < n; i++) {
		memcpy(s + at, unit, strlen(unit));
		at += strlen(unit);
	}
	memcpy(s + at, tail, strlen(tail) + 1);
	return s;
}

static void check_depth(const char *what, char *src, bool accepted)
{
	struct model_expr *e = NULL;
	struct model_expr_error err = {0};
	int r = model_expr_parse(src, &e, &err);
	if (accepted) {
		bool got = false;
		is_int(r, 0, "%s parses", what);
		ok(r == 0 && model_expr_eval(e, &results[R_NUM], &got, NULL) == 0 && got,
		   "%s is true", what);
	} else {
		is_int(r, -EINVAL, "%s is rejected", what);
		ok(strstr(err.message, "nested too deeply (more than 64 levels)") != NULL, "%s: %s",
		   what, err.message);
	}
	model_expr_free(e);
	free(src);
}

static void test_limits(void)
{
	/* The root counts as a level: 63 parentheses around a comparison. */
	char *open = repeat("", "(", 63, "1 < 2");
	check_depth("63 parentheses", repeat(open, ")", 63, ""), true);
	free(open);
	check_depth("64 parentheses", repeat("", "(", 64, "1 < 2"), false);
	check_depth("1000 parentheses", repeat("", "(", 1000, "1"), false);
	check_depth("62 negations", repeat("", "!", 62, "(1 < 2)"), true);
	check_depth("100 negations", repeat("", "!", 100, "true"), false);
	check_depth("4000 minus signs", repeat("", "-", 4000, "1 < 2"), false);
	/* A flat chain is a deep tree: each && is a level. */
	check_depth("64 terms", repeat("true", " && true", 63, ""), true);
	check_depth("65 terms", repeat("true", " && true", 64, ""), false);
	check_depth("1000 sums", repeat("1", " + 1", 1000, " > 0"), false);
	check_depth("nested indexes", repeat("", "result[", 100, "0"), false);
	check_depth("nested calls", repeat("", "default(", 100, "1"), false);

	char *longest = repeat("true", " ", MODEL_EXPR_MAX_LEN - 4, "");
	struct model_expr *e = NULL;
	struct model_expr_error err = {0};
	is_int(model_expr_parse(longest, &e, &err), 0, "%d bytes parse", MODEL_EXPR_MAX_LEN);
	e = model_expr_free(e);
	free(longest);
	char *too_long = repeat("true", " ", MODEL_EXPR_MAX_LEN - 3, "");
	is_int(model_expr_parse(too_long, &e, &err), -EINVAL, "%d bytes do not",
	       MODEL_EXPR_MAX_LEN + 1);
	is_str(err.message, "column 1: condition longer than 4096 bytes", "and say so");
	free(too_long);
	char *long_num = repeat("1", "0", 64, " > 0");
	is_int(model_expr_parse(long_num, &e, &err), -EINVAL, "a 65-digit number is rejected");
	is_str(err.message, "column 1: number longer than 64 characters", "and says so");
	free(long_num);
}

static void test_quoting(void)
{
	/* Names in messages are cut and made printable. */
	struct model_expr *e = NULL;
	struct model_expr_error err = {0};
	char *name = repeat("", "abcdefgh", 10, " > 0");
	model_expr_parse(name, &e, &err);
	is_str(err.message, "column 1: unknown name 'abcdefghabcdefghabcdefghabcdefgh...'",
	       "a long name is cut");
	free(name);
	is_int(model_expr_parse("'\x1b[31m' < 1", &e, &err), -EINVAL, "escape bytes rejected");
	is_str(err.message, "column 9: '<' cannot compare a string with a number",
	       "column after a control byte");

	/* The expression keeps its source, and evaluates many times. */
	is_int(model_expr_parse("result[0] < 0.05", &e, NULL), 0, "parse without err");
	is_str(model_expr_source(e), "result[0] < 0.05", "source kept");
	bool got = false;
	is_int(model_expr_eval(e, &results[R_ONE], &got, NULL), 0, "eval without err");
	ok(got, "true against [0.03]");
	is_int(model_expr_eval(e, &results[R_THREE], &got, NULL), 0, "eval again");
	ok(!got, "false against [0.1, ...]");
	is_int(model_expr_eval(e, &results[R_EMPTY], &got, NULL), -ENODATA, "no data, no err");
	model_expr_free(e);
}

static void test_values(void)
{
	char buf[128];
	static const struct {
		double x;
		const char *text;
	} numbers[] = {
	    {0.31, "0.31"},      {0, "0"},
	    {-2.5, "-2.5"},      {1e21, "1e+21"},
	    {NAN, "NaN"},        {INFINITY, "+Inf"},
	    {-INFINITY, "-Inf"}, {0.1 + 0.2, "0.30000000000000004"},
	};
	for (size_t i = 0; i < sizeof(numbers) / sizeof(numbers[0]); i++) {
		char num[MODEL_NUMBER_FMT_LEN];
		model_number_format(numbers[i].x, num);
		is_str(num, numbers[i].text, "number %s", numbers[i].text);
	}

	struct model_value v = {.kind = MODEL_VALUE_VECTOR};
	model_value_format(&v, buf, sizeof(buf));
	is_str(buf, "[]", "empty vector");
	for (int i = 0; i < 10; i++)
		is_int(model_value_append(&v, i / 10.0, i == 0 ? "up{job=\"a\"}" : NULL), 0,
		       "append %d", i);
	is_str(v.vector.samples[0].labels, "up{job=\"a\"}", "labels copied");
	ok(v.vector.samples[1].labels == NULL, "no labels");
	model_value_format(&v, buf, sizeof(buf));
	is_str(buf, "[0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, ... (10 samples)]", "long vector");
	model_value_format(&v, buf, 8);
	is_str(buf, "[0, 0.1", "cut to the buffer");
	is_int(model_value_set_string(&v, "o\nk", 3), 0, "set string");
	ok(v.kind == MODEL_VALUE_STRING && v.string.len == 3 && v.string.s[3] == '\0',
	   "a string now");
	model_value_format(&v, buf, sizeof(buf));
	is_str(buf, "'o?k'", "string shown printable");
	is_int(model_value_append(&v, 1, NULL), -EINVAL, "no append to a string");
	model_value_clear(&v);
	ok(v.kind == MODEL_VALUE_NUMBER && v.number == 0, "cleared to 0");
	v = (struct model_value){.kind = MODEL_VALUE_BOOL, .boolean = true};
	model_value_format(&v, buf, sizeof(buf));
	is_str(buf, "true", "boolean");
	model_value_clear(NULL);
}

int main(void)
{
	init_results();
	test_evals();
	test_parse_errors();
	test_limits();
	test_quoting();
	test_values();
	return tap_done();
}
