/*
 * The analysis condition language: successCondition and failureCondition of
 * an AnalysisTemplate metric, e.g. "result[0] < 0.05" or
 * "default(result[0], 0) >= 0.2 || len(result) > 3".
 *
 * An expression is parsed once into a compiled form, which is then evaluated
 * against each measurement's result. The grammar, precedence, types and the
 * NaN rule are in docs/internals/analysis.md; the points a caller relies on:
 *
 * - A comparison that sees NaN is an evaluation error (-EDOM), never true
 *   and never false, so no spelling of a condition (`!(x >= 0.2)` included)
 *   lets NaN pass. Division or remainder by zero is -EDOM too.
 * - A missing value (an index past the end of a vector, an empty vector
 *   where a sample is needed) is -ENODATA, unless `default(x, y)` catches it.
 * - Type errors the text alone shows ("'a' < 1", "!result[0]") are parse
 *   errors, so a broken template is reported before any measurement; the
 *   others, which depend on what `result` holds, are eval errors (-EINVAL).
 * - Every error carries the 1-based column (in characters) of the source
 *   where it happened: "column 12: expected ')'".
 *
 * Parsing and evaluation are pure and bounded: the source is at most
 * MODEL_EXPR_MAX_LEN bytes and the tree at most MODEL_EXPR_MAX_DEPTH levels,
 * so evaluation recursion is bounded too. Evaluation allocates nothing.
 */
#ifndef SLIPWAY_MODEL_EXPR_H
#define SLIPWAY_MODEL_EXPR_H

#include <stdbool.h>
#include <stddef.h>

/* Conditions are typed by people; anything longer is a mistake. */
#define MODEL_EXPR_MAX_LEN 4096
/* Levels of nesting (parentheses, operators, calls) in one expression. */
#define MODEL_EXPR_MAX_DEPTH 64
/* Longest error message kept, with its NUL; longer ones are cut. */
#define MODEL_EXPR_ERROR_LEN 192

/* What a measurement returned. Prometheus gives a vector or a scalar (a
 * number), a web check's jsonPath a number, string or boolean. */
enum model_value_kind {
	MODEL_VALUE_NUMBER,
	MODEL_VALUE_STRING,
	MODEL_VALUE_BOOL,
	MODEL_VALUE_VECTOR,
};

struct model_sample {
	double value; /* may be NaN or ±Inf */
	/* The series, as Prometheus prints it: `up{job="api", code="500"}`;
	 * NULL when the series has no labels. Owned by the value. */
	char *labels;
};

/* A result. Zero-initialised it is the number 0. Owns its string and
 * samples; release with model_value_clear. */
struct model_value {
	enum model_value_kind kind;
	union {
		double number;
		bool boolean;
		struct {
			char *s; /* NUL-terminated; may hold NULs before len */
			size_t len;
		} string;
		struct {
			struct model_sample *samples; /* NULL when n == 0 */
			size_t n;
		} vector;
	};
};

/* Frees what v owns and leaves it the number 0; accepts NULL. */
void model_value_clear(struct model_value *v);

/* Makes v (cleared first) a string, copying s[0..len). -ENOMEM leaves v
 * untouched. */
int model_value_set_string(struct model_value *v, const char *s, size_t len);

/* Appends a sample to a vector (v must be a vector, possibly empty), copying
 * labels (may be NULL). Returns 0, -EINVAL when v is not a vector, -ENOMEM
 * (v unchanged). */
int model_value_append(struct model_value *v, double value, const char *labels);

/* Longest number text: "-2.2250738585072014e-308" and its NUL, with room. */
#define MODEL_NUMBER_FMT_LEN 32

/* x in the shortest form that reads back exactly ("0.31", "1e+21"), with
 * Prometheus' spellings of the special values: "NaN", "+Inf", "-Inf". */
void model_number_format(double x, char buf[static MODEL_NUMBER_FMT_LEN]);

/* v for a status message or an Event: "0.31", "'ok'", "true",
 * "[0.31, 0.02]" (vectors longer than 8 samples end in ", ... (N samples)"),
 * "[]". Cut to fit buf (size > 0), always NUL-terminated. Strings are
 * shown with non-printable bytes as '?'. */
void model_value_format(const struct model_value *v, char *buf, size_t size);

struct model_expr_error {
	size_t column; /* 1-based, in characters; 0 when there is none (ENOMEM) */
	char message[MODEL_EXPR_ERROR_LEN]; /* "column 12: expected ')'" */
};

struct model_expr;

/* Parses src (a NUL-terminated condition) into *out, which the caller owns
 * (model_expr_free). Returns 0, -EINVAL for a syntax or type error, too long
 * a source or too deep a nesting (err says where and what), -ENOMEM. On
 * error *out is untouched. err may be NULL. */
int model_expr_parse(const char *src, struct model_expr **out, struct model_expr_error *err);

/* Evaluates e against result (borrowed for the call) into *ret. Returns 0,
 * or with err filled and *ret untouched:
 *   -EINVAL   a type error that depends on the result (`result < 1` with a
 *             vector, `len(result)` with a number), or the condition is not
 *             a boolean
 *   -ENODATA  a missing value: an index past the end, an empty vector
 *   -EDOM     NaN in a comparison, division or remainder by zero
 * err may be NULL. */
int model_expr_eval(const struct model_expr *e, const struct model_value *result, bool *ret,
                    struct model_expr_error *err);

/* The source text e was parsed from; borrowed from e. */
const char *model_expr_source(const struct model_expr *e);

/* Frees e; accepts NULL. Returns NULL for `e = model_expr_free(e);`. */
struct model_expr *model_expr_free(struct model_expr *e);

#endif
