/* libFuzzer: the audit chain verifier on anything (a JSON array of would-be
 * records, with an optional checkpoint) runs without crashing; and on a
 * trail sealed from the input, no tampering the input picks (an edit, a
 * removal, a replayed or reordered record) goes unnoticed while the
 * untouched trail always verifies. */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/audit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t KEY[] = "fuzz-key";
#define KL (sizeof(KEY) - 1)

static void arbitrary(const uint8_t *data, size_t size)
{
	json_t *v = json_loadb((const char *)data, size, 0, NULL);
	struct model_audit_verdict vd;
	json_t *cp = json_is_array(v) ? json_array_get(v, 0) : NULL;
	if (model_audit_verify(NULL, v, NULL, KEY, KL, &vd) == 0 && json_array_size(v) > 1) {
		json_t *rest = json_array();
		for (size_t i = 1; i < json_array_size(v); i++)
			json_array_append(rest, json_array_get(v, i));
		model_audit_verify(cp, rest, "x", KEY, KL, &vd);
		json_decref(rest);
	}
	json_decref(v);
}

static json_t *seal_trail(const uint8_t *p, size_t size, size_t n)
{
	json_t *a = json_array();
	const char *prev = NULL;
	for (size_t i = 0; i < n; i++) {
		size_t len = size / n;
		json_t *d = json_pack("{s:I,s:s%}", "i", (json_int_t)i, "b",
		                      (const char *)p + i * len, len);
		json_t *rec = NULL;
		if (!d || model_audit_seal(d, (int64_t)i, prev, KEY, KL, &rec) != 0) {
			json_decref(d);
			json_decref(a);
			return NULL; /* not UTF-8: json_pack refuses */
		}
		json_decref(d);
		json_array_append_new(a, rec);
		prev = json_string_value(json_object_get(rec, "hash"));
	}
	return a;
}

static void tamper(json_t *a, unsigned op, size_t k)
{
	size_t n = json_array_size(a);
	json_t *rec = json_array_get(a, k);
	switch (op) {
	case 1:
		json_object_set_new(json_object_get(rec, "data"), "b", json_string("tampered!"));
		json_object_set_new(json_object_get(rec, "data"), "x", json_true());
		break;
	case 2:
		json_array_remove(a, k);
		break;
	case 3:
		json_array_insert(a, k + 1, rec);
		break;
	default:
		if (k + 1 < n) {
			json_t *r = json_incref(rec);
			json_array_set(a, k, json_array_get(a, k + 1));
			json_array_set_new(a, k + 1, r);
		}
		break;
	}
}

static void sealed(const uint8_t *data, size_t size)
{
	if (size < 3)
		return;
	size_t n = (size_t)(data[0] % 8) + 1;
	unsigned op = data[1] % 5;
	size_t k = data[2] % n;
	if (op == 4 && k + 1 >= n)
		op = 0;
	json_t *a = seal_trail(data + 3, size - 3, n);
	if (!a)
		return;
	char head[MODEL_AUDIT_HEX_LEN];
	snprintf(head, sizeof(head), "%s",
	         json_string_value(json_object_get(json_array_get(a, n - 1), "hash")));
	if (op)
		tamper(a, op, k);
	struct model_audit_verdict v;
	if (model_audit_verify(NULL, a, head, KEY, KL, &v) != 0)
		abort();
	if ((op == 0) != (v.fault == MODEL_AUDIT_OK))
		abort();
	json_decref(a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	if (data[0] & 0x80)
		arbitrary(data + 1, size - 1);
	else
		sealed(data, size);
	return 0;
}
