/*
 * The jsonPath of a web metric (provider.web.jsonPath), as Argo Rollouts
 * writes it: "{$.data.ok}", "{$.items[0].value}", "{$['odd key']}". A
 * subset of kubectl's JSONPath, enough to pick one value out of a
 * response:
 *
 *   path     := "{" inner "}" | inner
 *   inner    := ["$"] segment*
 *   segment  := "." name | "[" index "]" | "['" text "']" | "[\"" text "\"]"
 *   name     := one or more bytes other than . [ ] { } and space
 *   index    := a non-negative integer; a negative one counts from the end
 *
 * No filters, wildcards, slices or recursive descent: a path that uses them
 * is refused with the column, rather than half understood.
 *
 * The value found becomes the measurement's result (model/expr.h): a JSON
 * number a number, a string a string, true/false a boolean, an array of
 * numbers a vector (so `len(result)` and `result[0]` read as they do for
 * Prometheus), any other array or object its compact JSON as a string.
 * null, or a key or index that is not there, is no data.
 *
 * Pure; the HTTP client bounds the body's size.
 */
#ifndef SLIPWAY_MODEL_JSONPATH_H
#define SLIPWAY_MODEL_JSONPATH_H

#include <stddef.h>

#include "model/expr.h"

/* Longest message, with its NUL; longer ones are cut. */
#define MODEL_JSONPATH_ERROR_LEN 192
/* Longest path, and most segments in one. */
#define MODEL_JSONPATH_MAX_LEN      1024
#define MODEL_JSONPATH_MAX_SEGMENTS 64

/* Checks path's syntax only (for a template, before any request). 0, or
 * -EINVAL with err ("column 5: expected ']'"). */
int model_jsonpath_check(const char *path, char err[static MODEL_JSONPATH_ERROR_LEN]);

/* Evaluates path (NULL: the whole body; a body that is not JSON is then
 * its text as a string) over the JSON body[0..len). On success *ret is
 * replaced (what it held is cleared; caller owns it, model_value_clear).
 * Returns 0 or, with err filled and *ret untouched:
 *   -EINVAL   the path is not of the subset (err has the column)
 *   -EPROTO   the body is not JSON (with a path)
 *   -ENODATA  nothing there: a missing key or index, or null
 *   -ENOMEM */
int model_jsonpath_eval(const char *path, const char *body, size_t len, struct model_value *ret,
                        char err[static MODEL_JSONPATH_ERROR_LEN]);

#endif
