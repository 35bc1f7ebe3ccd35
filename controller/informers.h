/*
 * Shared informers (client-go's SharedInformerFactory): one informer per
 * kind — group, version, resource and label selector — however many
 * controllers ask for it, so two controllers interested in Jobs cause one
 * watch and one cache. Each asker adds its own handlers and field indexes
 * to the one informer (controller/informer.h).
 *
 * Scope. A namespaced kind is watched in the factory's namespaces (one
 * watch each, or one across all namespaces when there is no list); a
 * cluster-scoped kind (namespaced false) always has one cluster-wide
 * watch: --namespaces does not apply to it.
 *
 * A kind's storage (compact, strip_paths) is fixed by whoever asks first;
 * asking again with a different storage is an error, since one of the
 * askers would otherwise read fields that are not kept. So is asking for a
 * kind as optional (a CRD that may not be installed) and as required.
 *
 * Everything runs on the client's loop.
 */
#ifndef SLIPWAY_CONTROLLER_INFORMERS_H
#define SLIPWAY_CONTROLLER_INFORMERS_H

#include <stdbool.h>
#include <stddef.h>

#include "controller/informer.h"
#include "controller/store.h"
#include "kubeclient/client.h"
#include "model/api.h"

/* A field index on a kind's store (ctl_store_add_index). */
struct ctl_index {
	const char *name; /* "spec.services" */
	ctl_index_fn *fn;
	void *userdata; /* borrowed; must outlive the informer */
};

/* What to watch: one kind. */
struct ctl_kind {
	const char *group; /* "" for core */
	const char *version;
	const char *resource; /* plural */
	const char *kind;     /* "ReplicaSet" */
	/* false: cluster-scoped, watched cluster-wide whatever the namespaces. */
	bool namespaced;
	/* Only objects matching this label selector are listed, watched and
	 * cached ("app.kubernetes.io/managed-by=slipway"); NULL: all. Part of
	 * the informer's identity: another selector is another informer. */
	const char *label_selector;
	/* Store objects as compact text (see ctl_informer_options.compact). */
	bool compact;
	/* The API may be absent: a 404 is an empty, synced collection
	 * (ctl_informer_options.optional). Every asker must agree. */
	bool optional;
	const char *const *strip_paths;
	size_t n_strip_paths;
	/* Field indexes this asker needs; added to the shared informer unless
	 * an index of that name with the same function is there already. */
	const struct ctl_index *indexes;
	size_t n_indexes;
};

/* A kind with gvk's names and scope (model/api.h; borrowed, static there)
 * and default storage: plain, nothing stripped beyond ctl_object_strip, no
 * selector, no index. Bindings set the rest. */
struct ctl_kind ctl_kind_of(const struct model_gvk *gvk);

struct ctl_informers;

/* A factory on client c (borrowed). namespaces: NULL-terminated, NULL for
 * all; borrowed, must outlive the factory. Caller owns *ret
 * (ctl_informers_free). 0 or -ENOMEM. */
int ctl_informers_new(struct kc_client *c, const char *const *namespaces,
                      struct ctl_informers **ret);

/* Stops and frees every informer. NULL is fine; returns NULL. */
struct ctl_informers *ctl_informers_free(struct ctl_informers *f);

/* The shared informer for k (its strings and arrays borrowed: they must
 * outlive the factory; static tables in practice), created on first use (nothing is fetched
 * before ctl_informers_start), with k's indexes added. *ret is borrowed
 * from the factory. 0, -EINVAL (k incomplete, or a storage or index that
 * differs from an earlier asker's), -EBUSY (a new informer or index after
 * ctl_informers_start), -ENOMEM; err says which. */
int ctl_informers_get(struct ctl_informers *f, const struct ctl_kind *k, struct ctl_informer **ret,
                      struct kc_error *err);

/* Starts every informer; an informer created later is not started. */
int ctl_informers_start(struct ctl_informers *f);

/* True once every informer has completed its first list. */
bool ctl_informers_synced(const struct ctl_informers *f);

/* The informers in the order they were created (for metrics); borrowed. */
size_t ctl_informers_len(const struct ctl_informers *f);
struct ctl_informer *ctl_informers_at(const struct ctl_informers *f, size_t i);

#endif
