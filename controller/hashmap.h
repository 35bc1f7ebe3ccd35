/*
 * A string-keyed hash table with open addressing (linear probing, backward
 * shift deletion, so no tombstones pile up under churn). Values are opaque
 * pointers the table never frees; NULL is not a valid value, so a lookup
 * returning NULL always means "absent".
 *
 * Keys are either copied (ctl_hashmap_new) or borrowed
 * (ctl_hashmap_new_borrowed): a borrowed key must stay valid and unchanged
 * until it is removed or the table is freed. Borrowing lets the store's
 * secondary indexes share the one copy of "namespace/name" kept by the
 * primary table instead of holding one copy per index.
 *
 * Slots are chosen by SipHash-1-3 under a per-process random key, so keys an
 * object author picks to collide cannot make lookups quadratic.
 *
 * Not thread-safe. Lookups, insertions and removals are O(1) expected; the
 * table grows at 3/4 load and never shrinks (a controller's working set is
 * stable; shrinking would only buy churn).
 */
#ifndef SLIPWAY_CONTROLLER_HASHMAP_H
#define SLIPWAY_CONTROLLER_HASHMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ctl_hashmap;

/* Caller owns the returned table (ctl_hashmap_free); NULL on out of memory. */
struct ctl_hashmap *ctl_hashmap_new(void);
struct ctl_hashmap *ctl_hashmap_new_borrowed(void);
/* Frees the table and its key copies, never the values. Accepts NULL;
 * returns NULL. */
struct ctl_hashmap *ctl_hashmap_free(struct ctl_hashmap *m);

size_t ctl_hashmap_size(const struct ctl_hashmap *m);
/* The value stored under key, or NULL. */
void *ctl_hashmap_get(const struct ctl_hashmap *m, const char *key);
/* The table's own pointer to key (the copy, or the borrowed string), or NULL
 * when absent: lets a caller borrow the interned key. */
const char *ctl_hashmap_key(const struct ctl_hashmap *m, const char *key);
/* Inserts or replaces. value must not be NULL. Returns 0 when the key was
 * new, 1 when it replaced a value (the old one goes to *ret_old when
 * ret_old is not NULL; the stored key is kept, not re-borrowed), -EINVAL or
 * -ENOMEM (table unchanged). */
int ctl_hashmap_put(struct ctl_hashmap *m, const char *key, void *value, void **ret_old);
/* Removes key. Returns 0 and the value in *ret_value (if not NULL), or
 * -ENOENT. */
int ctl_hashmap_remove(struct ctl_hashmap *m, const char *key, void **ret_value);
/* Iteration: start with *pos = 0; returns false at the end. The table must
 * not be modified during an iteration. Order is unspecified. */
bool ctl_hashmap_next(const struct ctl_hashmap *m, size_t *pos, const char **ret_key,
                      void **ret_value);
/* The longest probe sequence a lookup of a stored key walks (1: every key
 * in its home slot; 0: empty), for tests and diagnostics. */
size_t ctl_hashmap_longest_probe(const struct ctl_hashmap *m);
/* Bytes the table itself holds (slots and key copies), for memory reports. */
size_t ctl_hashmap_bytes(const struct ctl_hashmap *m);

/* FNV-1a, 64 bit, the same in every process: for callers that shard by key.
 * The table itself does not use it (see above). */
uint64_t ctl_hash_string(const char *s);

#endif
