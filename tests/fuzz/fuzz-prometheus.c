/* libFuzzer: any bytes as the body of a Prometheus instant query. Parsing
 * must not crash; a failure leaves the value alone and says why in a bounded,
 * printable message that starts "prometheus: "; a success is a value within
 * the documented limits, which formats and evaluates without crashing. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model/prometheus.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Conditions a template would have, parsed once. */
static const char *const conditions[] = {
    "result[0] < 0.05",
    "default(result[0], 0) >= 0.2 || len(result) > 2",
    "isNaN(result)",
    "result == 'ok'",
};
#define NCONDITIONS (sizeof(conditions) / sizeof(conditions[0]))
static struct model_expr *parsed[NCONDITIONS];

static void check_message(const char *err)
{
	size_t n = strnlen(err, MODEL_PROMETHEUS_ERROR_LEN);
	if (n == MODEL_PROMETHEUS_ERROR_LEN || strncmp(err, "prometheus: ", 12) != 0)
		abort();
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)err[i] < 0x20 || (unsigned char)err[i] > 0x7e)
			abort();
}

static void check_value(const struct model_value *v)
{
	if (v->kind == MODEL_VALUE_VECTOR) {
		if (v->vector.n > MODEL_PROMETHEUS_MAX_SAMPLES ||
		    (v->vector.n > 0) != (v->vector.samples != NULL))
			abort();
		for (size_t i = 0; i < v->vector.n; i++) {
			const char *l = v->vector.samples[i].labels;
			if (l && (l[0] == '\0' || strlen(l) >= MODEL_PROMETHEUS_LABELS_LEN))
				abort();
			/* One line: labels go into messages as they are. */
			for (size_t k = 0; l && l[k]; k++)
				if ((unsigned char)l[k] < 0x20 || l[k] == 0x7f)
					abort();
		}
	} else if (v->kind == MODEL_VALUE_STRING) {
		if (!v->string.s || v->string.s[v->string.len] != '\0')
			abort();
	} else if (v->kind != MODEL_VALUE_NUMBER) {
		abort();
	}
	char buf[128];
	model_value_format(v, buf, sizeof(buf));
	if (strlen(buf) >= sizeof(buf))
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
	char err[MODEL_PROMETHEUS_ERROR_LEN];
	struct model_value v = {.kind = MODEL_VALUE_BOOL, .boolean = true};
	int r = model_prometheus_parse((const char *)data, size, &v, err);
	if (r < 0) {
		if (r != -EREMOTEIO && r != -EPROTO && r != -ENOTSUP && r != -E2BIG && r != -ENOMEM)
			abort();
		if (v.kind != MODEL_VALUE_BOOL || !v.boolean)
			abort();
		check_message(err);
		return 0;
	}
	check_value(&v);
	model_value_clear(&v);
	return 0;
}
