/*
 * An informer: a list-then-watch of one resource kind (kubeclient/watch.h)
 * feeding an indexed in-memory store (controller/store.h), with any number
 * of handlers for every change and any field indexes its users need. It
 * knows no resource type: group/version/resource come from the caller.
 * Controllers get informers from the shared factory (controller/informers.h),
 * so one kind has one informer however many controllers watch it.
 *
 * Scope: all namespaces (one watch), or a listed set of namespaces (one
 * watch and one store each, so a relist of one namespace replaces only that
 * namespace's objects). Queries name a namespace where they can, and then
 * touch one store.
 *
 * Objects are stripped on the way in (ctl_object_strip plus the caller's
 * strip_paths): the store keeps only what reconcilers read.
 *
 * Handlers run on the loop, in the order they were added, after the store
 * has been updated, so a handler (and any reconcile it triggers) sees the
 * new state. After a relist the informer turns the REPLACE into ADD/UPDATE/DELETE calls: objects
 * that vanished while disconnected get their DELETE. An UPDATE whose resourceVersion did not change
 * (a relist of an unchanged object) is not reported.
 *
 * Synced: true once every watch has delivered its first list (or, for an
 * optional kind, found the resource not served or forbidden). The controller does not
 * reconcile before all its informers have synced.
 */
#ifndef SLIPWAY_CONTROLLER_INFORMER_H
#define SLIPWAY_CONTROLLER_INFORMER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "controller/store.h"
#include "kubeclient/client.h"

struct ctl_informer;

enum ctl_informer_event { CTL_INFORMER_ADD, CTL_INFORMER_UPDATE, CTL_INFORMER_DELETE };

/* old: NULL for ADD; obj: the new object, or the last known one for DELETE.
 * Both borrowed for the call. The handler must not modify the informer's
 * stores (it may read them, add queue keys, log). */
typedef void ctl_informer_fn(struct ctl_informer *inf, enum ctl_informer_event ev,
                             const json_t *old, const json_t *obj, void *userdata);

struct ctl_informer_options {
	const char *group; /* "" or NULL: core */
	const char *version;
	const char *resource;
	/* NULL-terminated list of namespaces; NULL: all namespaces (or a
	 * cluster-scoped kind). Copied. */
	const char *const *namespaces;
	const char *label_selector; /* or NULL */
	/* Dotted paths removed from every object besides managedFields and the
	 * last-applied annotation (e.g. "spec.template" where unused). */
	const char *const *strip_paths;
	size_t n_strip_paths;
	/* Keep objects as compact JSON text (CTL_STORE_COMPACT): ~10x less
	 * memory, a parse on every read. For kinds with many objects. */
	bool compact;
	/* The API may not be served (a CRD not installed, HTTPRoute in a
	 * cluster without the Gateway API), or not be granted to the
	 * controller (RBAC): a 404 or 403 on the list or the watch counts as an
	 * empty collection, so the informer is synced, its
	 * objects (if any) are deleted, and it keeps listing with the watch's
	 * backoff (up to 30 s), so a CRD installed later needs no restart.
	 * Logged once at info when the resource goes away, once when it is
	 * back. false: a 404 is a failure like any other (not synced). */
	bool optional;
};

/* Creates an informer on client c (borrowed, must outlive it). Nothing is
 * fetched before ctl_informer_start(). Caller owns *ret (ctl_informer_free). */
int ctl_informer_new(struct kc_client *c, const struct ctl_informer_options *opts,
                     struct ctl_informer **ret, struct kc_error *err);

/* Adds a handler, called on every change after those added before it.
 * Only before ctl_informer_start (so no handler misses the first list):
 * 0, -EBUSY (started), -ENOMEM. */
int ctl_informer_add_handler(struct ctl_informer *inf, ctl_informer_fn *fn, void *userdata);

/* Removes the handler added with fn and userdata; for a caller undoing
 * its setup. Not from inside a handler. */
void ctl_informer_remove_handler(struct ctl_informer *inf, ctl_informer_fn *fn, void *userdata);

/* Adds a field index to every store of the informer (ctl_store_add_index;
 * fn and userdata borrowed, must outlive the informer). Only before
 * ctl_informer_start: 0, -EBUSY, -EEXIST (the name is taken), -ENOSPC,
 * -ENOMEM. */
int ctl_informer_add_index(struct ctl_informer *inf, const char *name, ctl_index_fn *fn,
                           void *userdata);
bool ctl_informer_has_index(const struct ctl_informer *inf, const char *name);

/* Starts listing and watching. 0 or -EALREADY. */
int ctl_informer_start(struct ctl_informer *inf);

/* Stops every watch and frees the stores. NULL is fine; returns NULL. */
struct ctl_informer *ctl_informer_free(struct ctl_informer *inf);

bool ctl_informer_synced(const struct ctl_informer *inf);

/* An optional informer (ctl_informer_options.optional): false while the
 * last list or watch of some namespace was answered 404 or 403, so the cache is
 * empty because the API is not there. Always true for a required one. */
bool ctl_informer_served(const struct ctl_informer *inf);

/* The resource this informer watches ("replicasets"), for logs and metrics. */
const char *ctl_informer_resource(const struct ctl_informer *inf);
/* Its label selector (borrowed), or NULL when it watches every object. */
const char *ctl_informer_label_selector(const struct ctl_informer *inf);

/* The object stored under "namespace/name" (or "name" when cluster-scoped)
 * into *ret (caller owns the reference; read-only): 0, -ENOENT, -ENOMEM. */
int ctl_informer_get(const struct ctl_informer *inf, const char *key, json_t **ret);

/* Objects in ns (NULL: every namespace) with an ownerReference to uid;
 * visit semantics as ctl_store_by_owner. */
int ctl_informer_by_owner(const struct ctl_informer *inf, const char *ns, const char *uid,
                          ctl_store_visit_fn fn, void *userdata);

/* Objects whose field index `name` has `value`, in every watched
 * namespace (an index value names what it needs, namespace included);
 * semantics as ctl_store_by_index. */
int ctl_informer_by_index(const struct ctl_informer *inf, const char *name, const char *value,
                          ctl_store_visit_fn fn, void *userdata);

/* How many watches the informer runs: 1, or one per listed namespace. */
size_t ctl_informer_watches(const struct ctl_informer *inf);

/* Objects in ns (NULL: every namespace) matching a metav1.LabelSelector;
 * semantics as ctl_store_select. */
int ctl_informer_select(const struct ctl_informer *inf, const char *ns, const json_t *selector,
                        ctl_store_visit_fn fn, void *userdata);

/* Puts an object read directly from the API (after a 409, say) into the
 * store when it is newer than what is there, firing UPDATE; the informer
 * takes its own reference and strips obj in place. Keeps a reconcile from acting on a version the
 * watch has not delivered yet. 0, or -ENOENT when the object's namespace is
 * not watched. */
int ctl_informer_refresh(struct ctl_informer *inf, json_t *obj);

struct ctl_informer_stats {
	size_t objects;
	unsigned long restarts; /* watches resumed from a resourceVersion */
	unsigned long relists;  /* lists after the first */
};
void ctl_informer_stats(const struct ctl_informer *inf, struct ctl_informer_stats *ret);

#endif
