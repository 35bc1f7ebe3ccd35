/*
 * REST verbs on top of kc_request_start(): one function per verb, any
 * group/version/resource, namespaced or cluster-scoped, with the status and
 * scale subresources reached through ref->subresource ("status", "scale").
 *
 * Common to every function: `ref` and `q` are borrowed for the call (q may be
 * NULL); object and patch bodies are borrowed and serialised before the call
 * returns; on success *ret (when non-NULL) is a cancellable handle as for
 * kc_request_start(); `cb` runs later from the loop, never inside the call.
 */
#ifndef SLIPWAY_KUBECLIENT_REST_H
#define SLIPWAY_KUBECLIENT_REST_H

#include <jansson.h>

#include "kubeclient/client.h"
#include "kubeclient/error.h"
#include "kubeclient/path.h"

/* GET one object (ref->name required). Retried on transient errors. */
int kc_get(struct kc_client *c, const struct kc_ref *ref, const struct kc_query *q,
           kc_response_fn *cb, void *userdata, struct kc_request **ret, struct kc_error *err);

/* One page of a list (ref->name NULL): q->limit, q->continue_token. The body
 * is the List; its metadata.continue names the next page. */
int kc_list(struct kc_client *c, const struct kc_ref *ref, const struct kc_query *q,
            kc_response_fn *cb, void *userdata, struct kc_request **ret, struct kc_error *err);

/* Every page of a list, q->limit items at a time (0: 500), completing once with
 * one List holding all items. A continue token that expires mid-way (410) is
 * the callback's error; the caller lists again. */
int kc_list_all(struct kc_client *c, const struct kc_ref *ref, const struct kc_query *q,
                kc_response_fn *cb, void *userdata, struct kc_request **ret, struct kc_error *err);

/* kc_list_all that hands every item to on_item as its page arrives, parsed
 * one at a time, instead of collecting them (see kc_item_fn in client.h). */
int kc_list_all_each(struct kc_client *c, const struct kc_ref *ref, const struct kc_query *q,
                     kc_item_fn *on_item, kc_response_fn *cb, void *userdata,
                     struct kc_request **ret, struct kc_error *err);

/* POST obj to the collection (ref->name NULL), or to one object's
 * subresource (ref->name and ref->subresource: "eviction"). q: field_manager,
 * dry_run. Not retried. */
int kc_create(struct kc_client *c, const struct kc_ref *ref, const struct kc_query *q, json_t *obj,
              kc_response_fn *cb, void *userdata, struct kc_request **ret, struct kc_error *err);

/* PUT obj (ref->name required; ref->subresource "status" or "scale" to write
 * those). obj's metadata.resourceVersion, when set, is the precondition: a
 * stale one fails with 409 Conflict (kc_is_conflict). Not retried. */
int kc_update(struct kc_client *c, const struct kc_ref *ref, const struct kc_query *q, json_t *obj,
              kc_response_fn *cb, void *userdata, struct kc_request **ret, struct kc_error *err);

enum kc_patch_type {
	KC_PATCH_MERGE,     /* RFC 7386 JSON merge patch */
	KC_PATCH_JSON,      /* RFC 6902 JSON patch (an array of operations) */
	KC_PATCH_STRATEGIC, /* strategic merge patch (built-in types only) */
};

/* PATCH ref (name required; subresource allowed). q: field_manager, dry_run. Not retried. */
int kc_patch(struct kc_client *c, const struct kc_ref *ref, const struct kc_query *q,
             enum kc_patch_type type, json_t *patch, kc_response_fn *cb, void *userdata,
             struct kc_request **ret, struct kc_error *err);

/* Server-side apply of obj (a complete intent: apiVersion, kind, metadata.name).
 * q->field_manager is required (-EINVAL without); q->force takes over fields
 * other managers own, else such fields fail with 409 Conflict. ref->name may
 * be NULL, then obj's metadata.name is used. Retried on transient errors
 * (an apply is idempotent). */
int kc_apply(struct kc_client *c, const struct kc_ref *ref, const struct kc_query *q, json_t *obj,
             kc_response_fn *cb, void *userdata, struct kc_request **ret, struct kc_error *err);

/* Delete preconditions: the object is deleted only if it still has this
 * uid / resourceVersion (409 Conflict otherwise). NULL fields are not checked. */
struct kc_preconditions {
	const char *uid;
	const char *resource_version;
};

/* DELETE ref (name required). pre may be NULL. q: propagation_policy, dry_run
 * (sent in the DeleteOptions body). Not retried. */
int kc_delete(struct kc_client *c, const struct kc_ref *ref, const struct kc_query *q,
              const struct kc_preconditions *pre, kc_response_fn *cb, void *userdata,
              struct kc_request **ret, struct kc_error *err);

#endif
