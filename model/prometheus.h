/*
 * The body of a Prometheus instant query (GET /api/v1/query) as a
 * measurement result (struct model_value, model/expr.h).
 *
 *   resultType "vector"  -> a vector, one sample per series, labels kept as
 *                           Prometheus prints them: up{job="api"}
 *   resultType "scalar"  -> a number
 *   resultType "string"  -> a string
 *   resultType "matrix"  -> rejected: that is a range query's answer
 *
 * Sample values are strings in the API ("0.31", "NaN", "+Inf", "-Inf") and
 * become doubles; NaN stays NaN, for the condition language to refuse. An
 * empty vector is a valid result with no samples: the caller reports it as
 * Inconclusive "no data", never as a pass.
 *
 * The body is whatever came back, whatever the HTTP status: Prometheus sends
 * {"status":"error","errorType":"bad_data","error":"..."} with 400, 422 or
 * 503, and that becomes the message "prometheus: bad_data: ...". Pure: no
 * I/O; the HTTP client bounds the body's size.
 */
#ifndef SLIPWAY_MODEL_PROMETHEUS_H
#define SLIPWAY_MODEL_PROMETHEUS_H

#include <stddef.h>

#include "model/expr.h"

/* Longest message, with its NUL; longer ones are cut. */
#define MODEL_PROMETHEUS_ERROR_LEN 512
/* Series in one answer: a condition reads a few; thousands means a query
 * that forgot to aggregate, and would only fill memory and status. */
#define MODEL_PROMETHEUS_MAX_SAMPLES 10000
/* Longest labels text kept per sample, with its NUL; longer ones end in
 * "...". */
#define MODEL_PROMETHEUS_LABELS_LEN 512

/* Parses body[0..len) into *ret. On success *ret is replaced (what it held is
 * cleared) and owned by the caller (model_value_clear). Returns 0 or, with
 * err filled ("prometheus: ...") and *ret untouched:
 *   -EREMOTEIO  Prometheus answered with status "error"
 *   -EPROTO     not JSON, or not the shape of a query response
 *   -ENOTSUP    a matrix (range query) or native histogram samples
 *   -E2BIG      more than MODEL_PROMETHEUS_MAX_SAMPLES series
 *   -ENOMEM */
int model_prometheus_parse(const char *body, size_t len, struct model_value *ret,
                           char err[static MODEL_PROMETHEUS_ERROR_LEN]);

#endif
