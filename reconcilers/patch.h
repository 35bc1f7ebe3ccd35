/*
 * JSON patches (RFC 6902) for fields inside objects that others own: the
 * controller changes only the fields it must, and guards with `test`
 * operations what it assumed when it read the object. A GitOps tool that owns
 * the rest of a Service or an HTTPRoute then sees no diff, and a change by
 * someone else between our read and our write makes the patch fail (the API
 * server answers 422 to a failed `test`) instead of landing on an object we
 * did not see.
 *
 * Pure: no I/O. Builders read the object as observed (borrowed) and return a
 * new array of operations the caller owns (json_decref); put it in a plan
 * with rec_plan_add_json_patch (reconcilers/plan.h). An empty array means the
 * object already is as asked: add no action.
 *
 * Errors as negative errno, *ret untouched on failure.
 */
#ifndef SLIPWAY_RECONCILERS_PATCH_H
#define SLIPWAY_RECONCILERS_PATCH_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* The JSON pointer (RFC 6901) made of n reference tokens, each escaped ('~'
 * becomes "~0", '/' becomes "~1", so "slipway.dev/revision" is one token):
 * "/spec/selector/slipway.dev~1revision". n == 0 gives "" (the whole
 * document). Caller owns the result (free); NULL on ENOMEM. */
char *rec_json_pointer(size_t n, const char *const tokens[]);

/*
 * Sets one key of a Service's spec.selector to value, leaving every other
 * key alone. `service` is the Service as read. When the key is there with
 * another value: test that value at the key, then replace it. When the key is
 * absent: test the whole selector as read (so nobody added the key, or
 * changed the selector, since), then add the key. Already set to value: an
 * empty array.
 *
 * Caller owns *ret. -ENOENT when the Service has no spec.selector object (a
 * selector-less Service is not one the controller may steer); -EINVAL when
 * the key's value is not a string or an argument is missing; -ENOMEM.
 */
int rec_patch_service_selector(const json_t *service, const char *key, const char *value,
                               json_t **ret);

/* The weights a traffic split wants for one rule of an HTTPRoute. */
struct rec_route_split {
	size_t rule;           /* index into spec.rules */
	const char *stable;    /* name of the stable Service among the rule's backendRefs */
	const char *canary;    /* name of the canary Service */
	int32_t stable_weight; /* 0..1000000, as Gateway API allows */
	int32_t canary_weight;
};

/*
 * Sets the weights of the stable and the canary backendRef of one rule of an
 * HTTPRoute (`route` as read), and nothing else: first a `test` of each
 * backendRef's name at the index where it was read, then a `replace` of each
 * weight that changes (`add` when the weight was absent, i.e. the default 1).
 * A weight that already has its value is not written, but both names are
 * tested whenever anything is written, since the split assumes both. Nothing
 * to change: an empty array.
 *
 * A backendRef is a Service's when its group is absent or "" and its kind is
 * absent or "Service". Caller owns *ret. -ENOENT when the rule or either
 * backendRef is not there; -EINVAL when a name matches two backendRefs of the
 * rule, stable and canary are the same name, a weight is out of range, or an
 * argument is missing; -ENOMEM.
 */
/* The index among rule's backendRefs (an HTTPRoute rule as read) of the one
 * Service backendRef named name (group absent or "", kind absent or
 * "Service"): 0 and *ret, -ENOENT when there is none, -EINVAL when two
 * match. */
int rec_route_backend_index(const json_t *rule, const char *name, size_t *ret);

int rec_patch_route_weights(const json_t *route, const struct rec_route_split *split, json_t **ret);

#endif
