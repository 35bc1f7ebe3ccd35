/* The audit hash chain: sealing, canonical JSON, retention checkpoints, and
 * the verifier against every kind of tampering (changed, re-signed with
 * another key, removed in the middle and at the end, inserted forged,
 * replayed, reordered, foreign, reshaped). */
#include "tap.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/audit.h"

static const uint8_t KEY[] = "controller-key-from-a-secret";
static const uint8_t OTHER[] = "an-attackers-key";
#define KL (sizeof(KEY) - 1)
#define OL (sizeof(OTHER) - 1)
#define N  5

/* A trail of N records: {"event": "e<i>", "user": "alice"}. */
static json_t *trail(const uint8_t *key, size_t kl)
{
	json_t *a = json_array();
	const char *prev = NULL;
	for (int i = 0; i < N; i++) {
		char ev[16];
		snprintf(ev, sizeof(ev), "e%d", i);
		json_t *data = json_pack("{s:s,s:s}", "event", ev, "user", "alice");
		json_t *rec = NULL;
		if (model_audit_seal(data, i, prev, key, kl, &rec) != 0)
			abort();
		json_decref(data);
		json_array_append_new(a, rec);
		prev = json_string_value(json_object_get(rec, "hash"));
	}
	return a;
}

static const char *head(const json_t *a)
{
	return json_string_value(
	    json_object_get(json_array_get(a, json_array_size(a) - 1), "hash"));
}

static void expect(const char *name, const json_t *cp, const json_t *a, const char *hd,
                   enum model_audit_fault fault, size_t index, int64_t seq)
{
	struct model_audit_verdict v;
	is_int(model_audit_verify(cp, a, hd, KEY, KL, &v), 0, "%s: verifies", name);
	is_int(v.fault, fault, "%s: fault (%s)", name, v.message);
	if (fault != MODEL_AUDIT_CHECKPOINT) {
		is_int(v.index, index, "%s: at record %zu", name, index);
		is_int(v.seq, seq, "%s: seq %lld", name, (long long)seq);
	}
}

static void test_intact(void)
{
	json_t *a = trail(KEY, KL);
	expect("intact", NULL, a, head(a), MODEL_AUDIT_OK, N, N);
	expect("intact, no head given", NULL, a, NULL, MODEL_AUDIT_OK, N, N);
	json_t *e = json_array();
	expect("empty trail", NULL, e, NULL, MODEL_AUDIT_OK, 0, 0);
	json_decref(e);
	struct model_audit_verdict v;
	is_int(model_audit_verify(NULL, a, NULL, OTHER, OL, &v), 0, "another key: verifies");
	is_int(v.fault, MODEL_AUDIT_CHANGED, "another key: the first record fails");
	is_int(v.index, 0, "another key: at 0");
	json_decref(a);
}

static void test_changed(void)
{
	json_t *a = trail(KEY, KL);
	json_object_set_new(json_object_get(json_array_get(a, 2), "data"), "user",
	                    json_string("mallory"));
	expect("data edited", NULL, a, head(a), MODEL_AUDIT_CHANGED, 2, 2);
	json_decref(a);

	/* Re-sealed with the attacker's key at the same place: hash holds, sig not. */
	a = trail(KEY, KL);
	json_t *data = json_pack("{s:s,s:s}", "event", "e2", "user", "mallory");
	json_t *forged = NULL;
	model_audit_seal(data, 2, json_string_value(json_object_get(json_array_get(a, 1), "hash")),
	                 OTHER, OL, &forged);
	json_array_set_new(a, 2, forged);
	expect("re-sealed with another key", NULL, a, head(a), MODEL_AUDIT_CHANGED, 2, 2);
	json_decref(data);
	json_decref(a);

	a = trail(KEY, KL);
	json_object_set_new(json_array_get(a, 3), "note", json_string("x"));
	expect("a field added", NULL, a, head(a), MODEL_AUDIT_CHANGED, 3, 3);
	json_decref(a);

	a = trail(KEY, KL);
	json_object_set_new(json_array_get(a, 1), "seq", json_integer(7));
	expect("seq edited", NULL, a, head(a), MODEL_AUDIT_CHANGED, 1, 1);
	json_decref(a);
}

static void test_removed(void)
{
	json_t *a = trail(KEY, KL);
	const char *hd = head(a);
	char keep[MODEL_AUDIT_HEX_LEN];
	memcpy(keep, hd, MODEL_AUDIT_HEX_LEN);
	json_array_remove(a, 2);
	expect("middle record removed", NULL, a, keep, MODEL_AUDIT_REMOVED, 2, 2);
	json_decref(a);

	a = trail(KEY, KL);
	memcpy(keep, head(a), MODEL_AUDIT_HEX_LEN);
	json_array_remove(a, N - 1);
	expect("newest record removed: the head tells", NULL, a, keep, MODEL_AUDIT_REMOVED, N - 1,
	       N - 1);
	expect("newest record removed, no head: undetectable", NULL, a, NULL, MODEL_AUDIT_OK, N - 1,
	       N - 1);
	json_decref(a);

	a = trail(KEY, KL);
	json_array_remove(a, 0);
	expect("first record removed", NULL, a, NULL, MODEL_AUDIT_REMOVED, 0, 0);
	json_decref(a);
}

static void test_inserted(void)
{
	json_t *a = trail(KEY, KL);
	const char *h1 = json_string_value(json_object_get(json_array_get(a, 1), "hash"));
	json_t *data = json_pack("{s:s,s:s}", "event", "approved", "user", "mallory");
	json_t *forged = NULL;
	is_int(model_audit_seal(data, 2, h1, OTHER, OL, &forged), 0, "forged record sealed");
	json_array_insert_new(a, 2, forged);
	expect("forged record inserted", NULL, a, head(a), MODEL_AUDIT_INSERTED, 2, 2);
	json_decref(a);

	a = trail(KEY, KL);
	json_array_insert(a, 2, json_array_get(a, 1));
	expect("a genuine record replayed", NULL, a, head(a), MODEL_AUDIT_INSERTED, 2, 2);
	json_decref(a);

	/* Another trail sealed with the same key: right seq, wrong prev. */
	a = trail(KEY, KL);
	json_t *other = json_array();
	const char *prev = NULL;
	for (int i = 0; i < 3; i++) {
		json_t *rec = NULL;
		model_audit_seal(data, i, prev, KEY, KL, &rec);
		json_array_append_new(other, rec);
		prev = json_string_value(json_object_get(rec, "hash"));
	}
	json_array_set(a, 2, json_array_get(other, 2));
	expect("a record of another trail in its place", NULL, a, NULL, MODEL_AUDIT_INSERTED, 2, 2);
	json_decref(other);
	json_decref(a);
	json_decref(data);

	a = trail(KEY, KL);
	json_t *r2 = json_incref(json_array_get(a, 2));
	json_array_set(a, 2, json_array_get(a, 3));
	json_array_set_new(a, 3, r2);
	expect("two records swapped: the missing seq is named", NULL, a, NULL, MODEL_AUDIT_REMOVED,
	       2, 2);
	json_decref(a);
}

static void test_checkpoint(void)
{
	json_t *a = trail(KEY, KL);
	json_t *cp = NULL;
	is_int(model_audit_checkpoint(json_array_get(a, 1), KEY, KL, &cp), 0, "checkpoint made");
	json_array_remove(a, 0);
	json_array_remove(a, 0);
	expect("pruned with a checkpoint: the rest verifies", cp, a, head(a), MODEL_AUDIT_OK, N - 2,
	       N);
	expect("pruned without the checkpoint: removal shows", NULL, a, head(a),
	       MODEL_AUDIT_REMOVED, 0, 0);
	json_array_remove(a, 0);
	expect("a record removed after the checkpoint", cp, a, head(a), MODEL_AUDIT_REMOVED, 0, 2);
	json_object_set_new(json_object_get(cp, "checkpoint"), "seq", json_integer(2));
	expect("the checkpoint edited to hide it", cp, a, head(a), MODEL_AUDIT_CHECKPOINT, 0, 0);
	json_decref(cp);
	json_t *forged = NULL;
	is_int(model_audit_checkpoint(json_array_get(a, 0), OTHER, OL, &forged), 0,
	       "checkpoint under another key");
	expect("a checkpoint under another key", forged, a, NULL, MODEL_AUDIT_CHECKPOINT, 0, 0);
	json_decref(forged);
	json_decref(a);
}

static void test_canonical(void)
{
	json_t *x = json_loads("{\"b\":1,\"a\":{\"d\":[1,\"\xc3\xa9\"],\"c\":null}}", 0, NULL);
	json_t *y = json_loads("{\"a\":{\"c\":null,\"d\":[1,\"\xc3\xa9\"]},\"b\":1}", 0, NULL);
	char *sx = NULL, *sy = NULL;
	is_int(model_audit_canonical(x, &sx), 0, "canonical x");
	is_int(model_audit_canonical(y, &sy), 0, "canonical y");
	is_str(sx, "{\"a\":{\"c\":null,\"d\":[1,\"\\u00E9\"]},\"b\":1}", "sorted, compact, ASCII");
	is_str(sx, sy, "key order does not matter");
	free(sx);
	free(sy);
	json_decref(x);
	json_decref(y);
	json_t *r = json_pack("{s:f}", "ratio", 0.5);
	char *sr = NULL;
	is_int(model_audit_canonical(r, &sr), -EINVAL, "a real is refused");
	ok(sr == NULL, "out untouched");
	json_t *rec = NULL;
	is_int(model_audit_seal(r, 0, NULL, KEY, KL, &rec), -EINVAL, "sealing a real is refused");
	json_decref(r);
	json_t *d = json_object();
	is_int(model_audit_seal(d, 0, "abc", KEY, KL, &rec), -EINVAL, "a prev that is no hash");
	is_int(model_audit_seal(d, -1, NULL, KEY, KL, &rec), -EINVAL, "a negative seq");
	ok(rec == NULL, "out untouched");
	json_decref(d);
	struct model_audit_verdict v;
	json_t *s = json_string("x");
	is_int(model_audit_verify(NULL, s, NULL, KEY, KL, &v), -EINVAL, "records must be an array");
	json_decref(s);
}

int main(void)
{
	test_intact();
	test_changed();
	test_removed();
	test_inserted();
	test_checkpoint();
	test_canonical();
	return tap_done();
}
