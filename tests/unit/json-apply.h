/*
 * Patches applied as the API server applies them, for tests that feed a
 * plan's writes back into a fake cluster (test-rolling, test-canary,
 * test-bluegreen, fuzz-reconcile): RFC 7386 merge patches and RFC 6902 JSON patches (add, remove,
 * replace, test), the latter all or nothing as a failed `test` gives 422.
 */
#ifndef SLIPWAY_TESTS_JSON_APPLY_H
#define SLIPWAY_TESTS_JSON_APPLY_H

#include <jansson.h>
#include <stdbool.h>

/* Applies merge patch `patch` to the object target in place (null removes). */
void json_apply_merge(json_t *target, const json_t *patch);

/* Applies the operations `ops` to a copy of *doc; on success replaces *doc
 * with it (the old one released) and returns true, else leaves *doc as it
 * was and returns false. */
bool json_apply_patch(json_t **doc, const json_t *ops);

#endif
