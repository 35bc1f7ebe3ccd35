/*
 * The revision of a pod template: a short, stable name for "this exact
 * template", used in ReplicaSet names (`web-7d9f8b6c5d`) and in the
 * slipway.dev/revision label that ReplicaSets, pods, Services and routes
 * select on.
 *
 * How it is computed, which must never change (a new formula would give every
 * running Release a new revision and roll out every workload at once):
 *   1. The whole template object, exactly as given, nothing excluded, is
 *      written as canonical JSON: jansson json_dumps with JSON_SORT_KEYS |
 *      JSON_COMPACT (object keys sorted bytewise, no whitespace, non-ASCII
 *      left as UTF-8, "/" not escaped, integers as integers, reals with 17
 *      significant digits). Key order in the input therefore does not matter;
 *      any other difference (a default filled in by the API server, 1 vs 1.0)
 *      is a different template.
 *   2. SHA-256 of those bytes.
 *   3. The first 8 bytes of the digest, read as a big-endian unsigned 64-bit
 *      number, written as MODEL_REVISION_LEN base-27 digits (least significant
 *      first) in Kubernetes' safe alphabet "bcdfghjklmnpqrstvwxz2456789"
 *      (no vowels, so no words; no 0/1/3 look-alikes). 27^10 is about 2^47.5.
 */
#ifndef SLIPWAY_MODEL_REVISION_H
#define SLIPWAY_MODEL_REVISION_H

#include <jansson.h>
#include <stdbool.h>

#include "model/api.h"

#define MODEL_REVISION_LEN 10
/* The revision an owned object (a ReplicaSet, a pod) carries in its
 * MODEL_LABEL_REVISION, or NULL. Borrowed from obj. */
const char *model_revision_of(const json_t *obj);

/* Whether obj's controller owner (the ownerReference with controller: true)
 * has this uid; false for a NULL uid. Only a Release's controlled objects
 * are its revisions: the reconciler, `get` and `undo` agree on that. */
bool model_controlled_by(const json_t *obj, const char *uid);

/* Writes the revision of `template` (a JSON object) and a NUL into out.
 * Returns 0, -EINVAL if template is not an object, -ENOMEM (out untouched). */
int model_revision_hash(const json_t *template, char out[static MODEL_REVISION_LEN + 1]);

#endif
