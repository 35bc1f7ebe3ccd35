/*
 * The audit trail's hash chain: tamper-evident records of who did what.
 *
 * A record is
 *
 *   {"seq": N, "prev": HASH(N-1), "data": {...}, "hash": HASH(N), "sig": SIG(N)}
 *
 * where HASH(N) is the lowercase hex SHA-256 of the canonical JSON of the
 * record's body {"data", "prev", "seq"}, and SIG(N) the hex HMAC-SHA256,
 * under the controller's key, of "slipway-audit-record\n" HASH(N). The first
 * record's prev is 64 zeros, or the hash a checkpoint names.
 *
 * Canonical JSON (model_audit_canonical): jansson's compact form with keys
 * sorted and every non-ASCII character escaped, so the same value always
 * gives the same bytes; real numbers are refused (their text is not
 * canonical across libraries), integers and strings carry everything.
 *
 * Retention prunes the oldest records and replaces them with a checkpoint
 *
 *   {"checkpoint": {"seq": N, "hash": HASH(N)}, "sig": SIG}
 *
 * naming the last record pruned; SIG is the HMAC of "slipway-audit-checkpoint\n"
 * and the canonical JSON of the checkpoint object. The remaining records
 * verify from it: the first must be seq N+1 with prev HASH(N).
 *
 * Verification (model_audit_verify) walks the chain and reports the first
 * record that was changed (its hash or signature does not hold), removed
 * (a gap in seq, or the chain ends before the head the Release's status
 * names), or inserted (an unauthentic record after which the chain goes on
 * from the record before it, or an authentic record out of order).
 *
 * Pure: no I/O, no clock; the key is passed in.
 */
#ifndef SLIPWAY_MODEL_AUDIT_H
#define SLIPWAY_MODEL_AUDIT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* A hash or signature in hex, and its NUL. */
#define MODEL_AUDIT_HEX_LEN 65

/* Writes the canonical JSON of v into *out (caller frees). Returns 0,
 * -EINVAL when v holds a real number, -ENOMEM; *out untouched on error. */
int model_audit_canonical(const json_t *v, char **out);

/* Builds record seq with `data` (borrowed; copied into the record) chained
 * after prev_hash (hex, or NULL for the first record of a trail). On
 * success *out is a new reference the caller owns. Returns 0, -EINVAL (data
 * not an object, holds a real, or prev_hash is not 64 hex digits), -ENOMEM. */
int model_audit_seal(const json_t *data, int64_t seq, const char *prev_hash, const uint8_t *key,
                     size_t key_len, json_t **out);

/* The checkpoint naming `last_pruned` (a record, borrowed) as the last one
 * removed. *out is a new reference. Returns 0, -EINVAL (not a record),
 * -ENOMEM. */
int model_audit_checkpoint(const json_t *last_pruned, const uint8_t *key, size_t key_len,
                           json_t **out);

enum model_audit_fault {
	MODEL_AUDIT_OK = 0,
	MODEL_AUDIT_CHANGED,    /* record `index` is not what was sealed */
	MODEL_AUDIT_REMOVED,    /* record(s) before `index` (seq `seq`) are missing */
	MODEL_AUDIT_INSERTED,   /* record `index` was not sealed at this place */
	MODEL_AUDIT_CHECKPOINT, /* the checkpoint's signature does not hold */
};

struct model_audit_verdict {
	enum model_audit_fault fault;
	size_t index; /* position in the array (== its size: at the end) */
	int64_t seq;  /* the seq expected there */
	char message[160];
};

/* Verifies `records` (a JSON array, in order) after `checkpoint` (NULL when
 * the trail starts at seq 0) against `head_hash` (the newest hash the
 * Release's status keeps; NULL skips the check of the end). Fills *v
 * (always). Returns 0 when the verification ran (see v->fault), -EINVAL
 * when records is not an array, -ENOMEM. */
int model_audit_verify(const json_t *checkpoint, const json_t *records, const char *head_hash,
                       const uint8_t *key, size_t key_len, struct model_audit_verdict *v);

#endif
