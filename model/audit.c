/* The audit trail's hash chain (model/audit.h says what is hashed, signed
 * and reported). */
#include "model/audit.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HASH_LEN          32
#define RECORD_DOMAIN     "slipway-audit-record\n"
#define CHECKPOINT_DOMAIN "slipway-audit-checkpoint\n"

static const char zero_hash[MODEL_AUDIT_HEX_LEN] =
    "0000000000000000000000000000000000000000000000000000000000000000";

static bool has_real(const json_t *v, int depth)
{
	if (depth > 64)
		return true; /* deeper than any record: refused like a real */
	if (json_is_real(v))
		return true;
	if (json_is_array(v)) {
		for (size_t i = 0; i < json_array_size(v); i++) {
			if (has_real(json_array_get(v, i), depth + 1))
				return true;
		}
	} else if (json_is_object(v)) {
		const char *k;
		json_t *m;
		json_object_foreach((json_t *)v, k, m)
		{
			if (has_real(m, depth + 1))
				return true;
		}
	}
	return false;
}

/* Ownership: *out is the caller's. */
int model_audit_canonical(const json_t *v, char **out)
{
	if (!v || has_real(v, 0))
		return -EINVAL;
	char *s =
	    json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII | JSON_ENCODE_ANY);
	if (!s)
		return -ENOMEM;
	*out = s;
	return 0;
}

static void to_hex(const unsigned char *b, size_t n, char out[static MODEL_AUDIT_HEX_LEN])
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n && i < HASH_LEN; i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 15];
	}
	out[2 * HASH_LEN] = '\0';
}

static bool is_hash(const char *s)
{
	if (!s || strlen(s) != 2 * HASH_LEN)
		return false;
	for (const char *p = s; *p; p++) {
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return false;
	}
	return true;
}

/* hex HMAC-SHA256 of domain || text under key. */
static int sign(const uint8_t *key, size_t key_len, const char *domain, const char *text,
                char out[static MODEL_AUDIT_HEX_LEN])
{
	size_t dl = strlen(domain), tl = strlen(text);
	unsigned char *msg = malloc(dl + tl + 1);
	if (!msg)
		return -ENOMEM;
	memcpy(msg, domain, dl);
	memcpy(msg + dl, text, tl);
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	/* HMAC() wants a non-NULL key even when empty. */
	static const uint8_t none[1] = {0};
	unsigned char *r =
	    HMAC(EVP_sha256(), key_len ? key : none, (int)key_len, msg, dl + tl, md, &md_len);
	free(msg);
	if (!r || md_len != HASH_LEN)
		return -ENOMEM;
	to_hex(md, HASH_LEN, out);
	return 0;
}

/* The body {"data", "prev", "seq"} of a record, hashed. */
static int body_hash(const json_t *data, json_int_t seq, const char *prev,
                     char out[static MODEL_AUDIT_HEX_LEN])
{
	json_t *body = json_pack("{s:O,s:s,s:I}", "data", data, "prev", prev, "seq", seq);
	if (!body)
		return -ENOMEM;
	char *text = NULL;
	int r = model_audit_canonical(body, &text);
	json_decref(body);
	if (r < 0)
		return r;
	unsigned char md[HASH_LEN];
	SHA256((const unsigned char *)text, strlen(text), md);
	free(text);
	to_hex(md, HASH_LEN, out);
	return 0;
}

/* Ownership: *out is a new reference the caller owns. */
int model_audit_seal(const json_t *data, int64_t seq, const char *prev_hash, const uint8_t *key,
                     size_t key_len, json_t **out)
{
	const char *prev = prev_hash ? prev_hash : zero_hash;
	if (!json_is_object(data) || seq < 0 || !is_hash(prev))
		return -EINVAL;
	char hash[MODEL_AUDIT_HEX_LEN], sig[MODEL_AUDIT_HEX_LEN];
	int r = body_hash(data, (json_int_t)seq, prev, hash);
	if (r < 0)
		return r;
	r = sign(key, key_len, RECORD_DOMAIN, hash, sig);
	if (r < 0)
		return r;
	json_t *rec = json_pack("{s:I,s:s,s:O,s:s,s:s}", "seq", (json_int_t)seq, "prev", prev,
	                        "data", data, "hash", hash, "sig", sig);
	if (!rec)
		return -ENOMEM;
	*out = rec;
	return 0;
}

/* A record's parts, borrowed from it; false when it is not shaped as one. */
struct rec {
	json_int_t seq;
	const char *prev, *hash, *sig;
	const json_t *data;
};

static bool rec_read(const json_t *r, struct rec *out)
{
	json_t *seq = json_object_get(r, "seq");
	out->prev = json_string_value(json_object_get(r, "prev"));
	out->hash = json_string_value(json_object_get(r, "hash"));
	out->sig = json_string_value(json_object_get(r, "sig"));
	out->data = json_object_get(r, "data");
	out->seq = json_integer_value(seq);
	return json_is_object(r) && json_object_size(r) == 5 && json_is_integer(seq) &&
	       out->seq >= 0 && is_hash(out->prev) && is_hash(out->hash) && is_hash(out->sig) &&
	       json_is_object(out->data);
}

/* 1: sealed with key as it is, 0: not, -ENOMEM. */
static int authentic(const json_t *r, const uint8_t *key, size_t key_len, struct rec *out)
{
	if (!rec_read(r, out))
		return 0;
	char hash[MODEL_AUDIT_HEX_LEN], sig[MODEL_AUDIT_HEX_LEN];
	int e = body_hash(out->data, out->seq, out->prev, hash);
	if (e == -EINVAL)
		return 0;
	if (e < 0)
		return e;
	if (strcmp(hash, out->hash) != 0)
		return 0;
	e = sign(key, key_len, RECORD_DOMAIN, hash, sig);
	if (e < 0)
		return e;
	return CRYPTO_memcmp(sig, out->sig, 2 * HASH_LEN) == 0;
}

static int checkpoint_sig(const json_t *cp, const uint8_t *key, size_t key_len,
                          char sig[static MODEL_AUDIT_HEX_LEN])
{
	char *text = NULL;
	int r = model_audit_canonical(cp, &text);
	if (r < 0)
		return r;
	r = sign(key, key_len, CHECKPOINT_DOMAIN, text, sig);
	free(text);
	return r;
}

/* Ownership: *out is a new reference the caller owns. */
int model_audit_checkpoint(const json_t *last_pruned, const uint8_t *key, size_t key_len,
                           json_t **out)
{
	struct rec r;
	if (!rec_read(last_pruned, &r))
		return -EINVAL;
	json_t *cp = json_pack("{s:I,s:s}", "seq", r.seq, "hash", r.hash);
	if (!cp)
		return -ENOMEM;
	char sig[MODEL_AUDIT_HEX_LEN];
	int e = checkpoint_sig(cp, key, key_len, sig);
	if (e < 0) {
		json_decref(cp);
		return e;
	}
	json_t *o = json_pack("{s:o,s:s}", "checkpoint", cp, "sig", sig);
	if (!o)
		return -ENOMEM;
	*out = o;
	return 0;
}

/* ---- verification ---- */

static void verdict(struct model_audit_verdict *v, enum model_audit_fault f, size_t index,
                    int64_t seq, const char *what)
{
	v->fault = f;
	v->index = index;
	v->seq = seq;
	snprintf(v->message, sizeof(v->message), "record %zu (seq %lld): %s", index, (long long)seq,
	         what);
}

/* Where the chain starts: after the checkpoint, or at seq 0. 1 when the
 * checkpoint holds, 0 when not, -ENOMEM. */
static int start(const json_t *checkpoint, const uint8_t *key, size_t key_len, json_int_t *seq,
                 char hash[static MODEL_AUDIT_HEX_LEN])
{
	*seq = 0;
	memcpy(hash, zero_hash, MODEL_AUDIT_HEX_LEN);
	if (!checkpoint)
		return 1;
	json_t *cp = json_object_get(checkpoint, "checkpoint");
	const char *sig = json_string_value(json_object_get(checkpoint, "sig"));
	json_t *cseq = json_object_get(cp, "seq");
	const char *chash = json_string_value(json_object_get(cp, "hash"));
	if (!json_is_object(cp) || json_object_size(cp) != 2 || !json_is_integer(cseq) ||
	    json_integer_value(cseq) < 0 || json_integer_value(cseq) >= INT64_MAX ||
	    !is_hash(chash) || !is_hash(sig))
		return 0;
	char want[MODEL_AUDIT_HEX_LEN];
	int r = checkpoint_sig(cp, key, key_len, want);
	if (r < 0)
		return r;
	if (CRYPTO_memcmp(want, sig, 2 * HASH_LEN) != 0)
		return 0;
	*seq = json_integer_value(cseq) + 1;
	memcpy(hash, chash, MODEL_AUDIT_HEX_LEN);
	return 1;
}

/* Whether record i+1 is authentic and goes on from (seq, hash): then the
 * unauthentic record i was put in, not changed. */
static int continues(const json_t *records, size_t i, json_int_t seq, const char *hash,
                     const uint8_t *key, size_t key_len)
{
	json_t *next = json_array_get(records, i + 1);
	struct rec n;
	if (!next)
		return 0;
	int a = authentic(next, key, key_len, &n);
	if (a <= 0)
		return a;
	return n.seq == seq && strcmp(n.prev, hash) == 0;
}

/* One record at i, expected at (seq, hash). 1: fine, 0: fault in *v, <0 error. */
static int step(const json_t *records, size_t i, json_int_t seq, const char *hash,
                const uint8_t *key, size_t key_len, struct rec *r, struct model_audit_verdict *v)
{
	int a = authentic(json_array_get(records, i), key, key_len, r);
	if (a < 0)
		return a;
	if (a == 0) {
		int c = continues(records, i, seq, hash, key, key_len);
		if (c < 0)
			return c;
		if (c)
			verdict(v, MODEL_AUDIT_INSERTED, i, seq,
			        "inserted: not sealed, and the chain goes on without it");
		else
			verdict(v, MODEL_AUDIT_CHANGED, i, seq,
			        "changed: its hash or signature does not hold");
		return 0;
	}
	if (r->seq > seq) {
		verdict(v, MODEL_AUDIT_REMOVED, i, seq,
		        "removed: the record(s) before this one are missing");
		return 0;
	}
	if (r->seq < seq || strcmp(r->prev, hash) != 0) {
		verdict(v, MODEL_AUDIT_INSERTED, i, seq, "inserted: sealed, but not at this place");
		return 0;
	}
	return 1;
}

int model_audit_verify(const json_t *checkpoint, const json_t *records, const char *head_hash,
                       const uint8_t *key, size_t key_len, struct model_audit_verdict *v)
{
	memset(v, 0, sizeof(*v));
	if (!json_is_array(records))
		return -EINVAL;
	json_int_t seq;
	char hash[MODEL_AUDIT_HEX_LEN];
	int r = start(checkpoint, key, key_len, &seq, hash);
	if (r <= 0) {
		if (r == 0)
			verdict(v, MODEL_AUDIT_CHECKPOINT, 0, 0,
			        "the checkpoint's signature does not hold");
		return r < 0 ? r : 0;
	}
	size_t n = json_array_size(records);
	for (size_t i = 0; i < n; i++) {
		struct rec rec;
		r = step(records, i, seq, hash, key, key_len, &rec, v);
		if (r <= 0)
			return r < 0 ? r : 0;
		memcpy(hash, rec.hash, MODEL_AUDIT_HEX_LEN);
		seq++;
	}
	if (head_hash && strcmp(head_hash, hash) != 0) {
		verdict(v, MODEL_AUDIT_REMOVED, n, seq,
		        "removed: the trail ends before the newest record the Release names");
		return 0;
	}
	v->index = n;
	v->seq = seq;
	snprintf(v->message, sizeof(v->message), "%zu records verified", n);
	return 0;
}
