/*
 * The informer's in-memory store: Kubernetes objects (json_t) keyed by
 * "namespace/name" (just "name" when cluster-scoped, like client-go's
 * MetaNamespaceKeyFunc), with secondary indexes so the common questions do
 * not scan every object:
 *
 *   - all objects in a namespace              ctl_store_list
 *   - objects owned by a UID                  ctl_store_by_owner
 *     (any metadata.ownerReferences[].uid)
 *   - objects in a namespace matching a       ctl_store_select
 *     metav1.LabelSelector
 *   - objects whose field index (a function   ctl_store_by_index
 *     of the object, ctl_store_add_index)
 *     has a value ("ns/web": the Releases
 *     that name Service web)
 *
 * The label index (optional, CTL_STORE_INDEX_LABELS) maps "namespace +
 * label key=value" to its objects. With it, a selector query starts from
 * the smallest candidate set among its equality requirements (matchLabels,
 * and `In` with one value) — or the namespace's set when it has none — and
 * checks the full selector on each candidate. Without it, a query checks
 * every object of its namespace; a query across all namespaces (ns NULL)
 * checks everything either way. Lookups by key are O(1).
 *
 * Memory: objects are kept as the caller gives them; strip them first
 * (ctl_object_strip) — managedFields alone is often half of an object. A
 * compact store (CTL_STORE_COMPACT) keeps each object as its compact JSON
 * text instead of a jansson tree, which holds ~10x the text's size (a
 * stripped ReplicaSet: ~0.8 KB of text, ~7.9 KB as json_t); reads then
 * parse the text (microseconds per object). Index keys are borrowed from
 * the one copy of each object key; each index membership costs one hash
 * slot (24 bytes at 3/4 load, ~32 bytes).
 *
 * Ownership, the same in both modes: ctl_store_get and the ret_old
 * out-params give the caller a reference it owns (json_decref). Objects
 * handed to visit callbacks are borrowed for the duration of the call
 * (json_incref to keep one). Treat every object from the store as
 * read-only: in a plain store it is the cached object itself. Visit
 * callbacks must not modify the store. Not thread-safe: one loop thread.
 */
#ifndef SLIPWAY_CONTROLLER_STORE_H
#define SLIPWAY_CONTROLLER_STORE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* A namespace (63) + "/" + a name (253), with room and the NUL. */
#define CTL_STORE_KEY_MAX 320

struct ctl_store;

/* Flags for ctl_store_new. */
#define CTL_STORE_COMPACT      1u /* keep objects as compact JSON text */
#define CTL_STORE_INDEX_LABELS 2u /* index labels for ctl_store_select */

/* Caller owns the store (ctl_store_free). NULL on out of memory. */
struct ctl_store *ctl_store_new(unsigned flags);
/* Drops the store's references to its objects. Accepts NULL; returns NULL. */
struct ctl_store *ctl_store_free(struct ctl_store *s);

/* The store key of obj into buf: 0, or -EINVAL when metadata.name is
 * missing or not a string, -ENAMETOOLONG when it does not fit (len is at
 * most CTL_STORE_KEY_MAX in practice). */
int ctl_object_key(const json_t *obj, char *buf, size_t len);

/* Adds or replaces the object under its key; the store takes a new
 * reference (or a compact copy), the caller keeps its own. Returns 0 when added,
 * 1 when it replaced an object — which goes to *ret_old (caller owns that
 * reference; json_decref) when ret_old is not NULL — or -EINVAL (no key),
 * -ENOMEM (store unchanged). */
int ctl_store_upsert(struct ctl_store *s, json_t *obj, json_t **ret_old);
/* Removes key. 0 and the object in *ret_old (caller owns it) when ret_old
 * is not NULL, or -ENOENT, -ENOMEM (a compact store could not parse it
 * back; nothing removed). */
int ctl_store_delete(struct ctl_store *s, const char *key, json_t **ret_old);
/* The object under key into *ret (caller owns it): 0, -ENOENT, -ENOMEM. */
int ctl_store_get(const struct ctl_store *s, const char *key, json_t **ret);
/* Whether key is stored, without materializing the object. */
bool ctl_store_has(const struct ctl_store *s, const char *key);
size_t ctl_store_len(const struct ctl_store *s);

/* Visit callback: a non-zero return stops the walk and is returned by the
 * walking function (which returns -ENOMEM itself when a compact object
 * cannot be parsed). key and obj are borrowed for the call. */
typedef int (*ctl_store_visit_fn)(const char *key, json_t *obj, void *userdata);

/* Every object in namespace ns ("" for cluster-scoped objects, NULL for
 * all). Returns 0 or the callback's non-zero value. */
int ctl_store_list(const struct ctl_store *s, const char *ns, ctl_store_visit_fn fn,
                   void *userdata);
/* Every object with an ownerReference to uid. */
int ctl_store_by_owner(const struct ctl_store *s, const char *uid, ctl_store_visit_fn fn,
                       void *userdata);
/* Every object in ns (NULL: all namespaces) whose labels match selector, a
 * metav1.LabelSelector ({"matchLabels": {...}, "matchExpressions": [...]}).
 * Without CTL_STORE_INDEX_LABELS it checks every object of ns: the label
 * index costs a set per distinct label pair (~300 bytes when, like a
 * ReplicaSet's revision label, the pair is unique), worth it only for a
 * store that is queried by labels often.
 * As in Kubernetes, an empty selector matches everything and a NULL one
 * nothing. -EINVAL for a malformed selector (nothing visited). */
int ctl_store_select(const struct ctl_store *s, const char *ns, const json_t *selector,
                     ctl_store_visit_fn fn, void *userdata);

/* Whether labels (a JSON object of strings, or NULL for none) match
 * selector: 1, 0, or -EINVAL for a malformed selector. Operators: In,
 * NotIn, Exists, DoesNotExist, as in metav1.LabelSelectorAsSelector. */
int ctl_selector_matches(const json_t *selector, const json_t *labels);

/* Replace after a (re)list: items is a JSON array of objects that become
 * the whole content. Calls on_upsert for each item (old is NULL when it was
 * not stored before; both borrowed) and then on_delete for each stored key
 * that is not in items (old borrowed, released after the call), so the
 * informer can fire its handlers. Either callback may be NULL. Returns 0,
 * or -EINVAL for an item without a key (skipped; the rest is applied), or
 * -ENOMEM (partially applied: the next relist repairs it). */
struct ctl_store_replace_ops {
	void (*on_upsert)(const char *key, json_t *old, json_t *obj, void *userdata);
	void (*on_delete)(const char *key, json_t *old, void *userdata);
};
int ctl_store_replace(struct ctl_store *s, json_t *items, const struct ctl_store_replace_ops *ops,
                      void *userdata);
/* The same replace, one item at a time, for lists that arrive page by page:
 * begin, then add each item (on_upsert as above; -EINVAL or -ENOMEM for that
 * item alone), then end (on_delete for every key not added since begin;
 * 0 or -ENOMEM). A begin without an end (a list cut short) is harmless: the
 * next begin starts over. */
void ctl_store_replace_begin(struct ctl_store *s);
int ctl_store_replace_add(struct ctl_store *s, json_t *obj, const struct ctl_store_replace_ops *ops,
                          void *userdata);
int ctl_store_replace_end(struct ctl_store *s, const struct ctl_store_replace_ops *ops,
                          void *userdata);

/* Field indexes (controller-runtime's IndexField). An index function
 * writes up to max values for obj into values (each NUL-terminated and
 * shorter than CTL_STORE_KEY_MAX; a longer one should be left out) and
 * returns how many it wrote; obj is borrowed and read-only. It must be a
 * pure function of obj: the store calls it on the old object to remove
 * memberships, so the same object must give the same values. */
#define CTL_INDEX_VALUES_MAX  16 /* values per object and index */
#define CTL_STORE_INDEXES_MAX 8  /* field indexes per store */
typedef size_t ctl_index_fn(const json_t *obj, char (*values)[CTL_STORE_KEY_MAX], size_t max,
                            void *userdata);
/* Adds the field index `name` (copied); fn and userdata are borrowed and
 * must outlive the store. Kept up to date by every upsert, delete and
 * replace, compact stores too; a lookup touches only the matching objects.
 * Add indexes while the store is empty: 0, -EEXIST (the name is taken),
 * -EBUSY (objects are stored), -ENOSPC (CTL_STORE_INDEXES_MAX reached),
 * -EINVAL, -ENOMEM. */
int ctl_store_add_index(struct ctl_store *s, const char *name, ctl_index_fn *fn, void *userdata);
bool ctl_store_has_index(const struct ctl_store *s, const char *name);
/* Every object whose index `name` has `value`; visit semantics as
 * ctl_store_list. -EINVAL when there is no such index. */
int ctl_store_by_index(const struct ctl_store *s, const char *name, const char *value,
                       ctl_store_visit_fn fn, void *userdata);

/* Index sets alive (namespaces + owner UIDs + label pairs + field index
 * values in use): empty
 * sets are released, so this tracks what is stored, not what ever was. */
size_t ctl_store_index_sets(const struct ctl_store *s);
/* Bytes held by the store's own structures (tables, keys, index sets,
 * compact text), not counting json_t trees (count those with memcount.h). */
size_t ctl_store_bytes(const struct ctl_store *s);

/* Removes what the controller never reads and that dominates an object's
 * size: metadata.managedFields and the
 * kubectl.kubernetes.io/last-applied-configuration annotation (dropping
 * "annotations" when that leaves it empty). Safe because the controller
 * never writes back an object it read (it sends patches). */
void ctl_object_strip(json_t *obj);
/* Also removes each dotted path in paths (e.g. "status.conditions"), for
 * kinds where more is known to be unused. Missing paths are ignored. */
void ctl_object_strip_paths(json_t *obj, const char *const *paths, size_t n);

/* The key of obj's controller owner (the ownerReference with
 * controller: true) when it has the given kind and API group ("" for the
 * core group; the version is ignored): "namespace/ownerName" into buf.
 * 0, -ENOENT (no such owner), -ENAMETOOLONG. Maps a ReplicaSet event to
 * its Release's queue key. */
int ctl_object_owner_key(const json_t *obj, const char *group, const char *kind, char *buf,
                         size_t len);

/* Whether an update from old to obj is more than an echo of a status write:
 * metadata.generation (the spec), labels, annotations or deletionTimestamp
 * changed. A write of the status subresource moves only status and
 * resourceVersion, so it answers false (controller-runtime's
 * GenerationChangedPredicate, letting metadata changes through). */
bool ctl_object_changed_beyond_status(const json_t *old, const json_t *obj);

#endif
