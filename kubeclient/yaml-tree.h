/*
 * A YAML document as a small tree, for the kubeconfig loader.
 *
 * libyaml's own document loader follows anchors into shared (even cyclic)
 * nodes and has no depth limit; this builds plain trees from the event stream
 * instead, with a nesting limit, and rejects aliases: kubeconfig files do not
 * use them, and refusing them rules out "billion laughs" expansion.
 *
 * Internal to kubeclient.
 */
#ifndef SLIPWAY_KUBECLIENT_YAML_TREE_H
#define SLIPWAY_KUBECLIENT_YAML_TREE_H

#include <stdbool.h>
#include <stddef.h>

#include "kubeclient/error.h"

/* Deeper documents are rejected; a kubeconfig needs about 6 levels. */
#define KC_YAML_MAX_DEPTH 64
/* More nodes are rejected: a kubeconfig with a thousand contexts has some 20000,
 * and a 4 MiB file of one-character items would otherwise cost some 200 MiB. */
#define KC_YAML_MAX_NODES 500000

enum kc_ynode_kind {
	KC_YNODE_SCALAR,
	KC_YNODE_MAP,
	KC_YNODE_SEQ,
};

struct kc_ynode {
	enum kc_ynode_kind kind;
	unsigned long line; /* 1-based line where the node starts */
	/* Scalars: the bytes, NUL-terminated (len excludes the NUL; a scalar may
	 * hold an embedded NUL written as an escape, so check len when it matters). */
	char *value;
	size_t len;
	bool plain; /* unquoted and untagged: only then do null and boolean words count */
	/* Maps: key, value, key, value, ... (keys are scalars). Sequences: the items. */
	struct kc_ynode **items;
	size_t n_items;
};

/* Parses the first document of `buf` (not necessarily NUL-terminated). An empty
 * stream gives *ret = NULL. `name` is used in messages ("name:LINE:COL: ..."), errors
 * are -EINVAL (syntax, aliases, depth), -E2BIG (too many nodes) or -ENOMEM.
 * Documents after the first are not read.
 * Caller owns *ret (kc_yaml_free). */
int kc_yaml_parse(const char *buf, size_t len, const char *name, struct kc_ynode **ret,
                  struct kc_error *err);

/* Frees a tree; NULL is fine. Returns NULL. */
struct kc_ynode *kc_yaml_free(struct kc_ynode *node);

/* The value for `key` in a map (the last one when a key repeats, as kubectl's
 * decoder does), or NULL when absent or `map` is not a map. Borrowed from `map`. */
const struct kc_ynode *kc_yaml_get(const struct kc_ynode *map, const char *key);

/* True for NULL, an empty plain scalar, "~" and "null"/"Null"/"NULL". */
bool kc_yaml_is_null(const struct kc_ynode *node);

#endif
