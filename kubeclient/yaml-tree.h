/*
 * YAML streams as small trees: the one YAML reader of the project, for the
 * kubeconfig loader (its first document) and for `kubectl slipway lint`
 * (every document of a manifest stream, as `kubectl apply -f` reads them).
 *
 * libyaml's own document loader follows anchors into shared (even cyclic)
 * nodes and has no depth limit; this builds plain trees from the event stream
 * instead, with limits on nesting, nodes and documents, and rejects aliases:
 * neither kubeconfig files nor manifests need them, and refusing them rules
 * out "billion laughs" expansion. Every node remembers where it starts, so
 * callers can point at a line and column.
 *
 * Scalars are kept as text; what they mean (null, boolean, number) is the
 * caller's business, since kubeconfig and manifests read them differently.
 */
#ifndef SLIPWAY_KUBECLIENT_YAML_TREE_H
#define SLIPWAY_KUBECLIENT_YAML_TREE_H

#include <stdbool.h>
#include <stddef.h>

#include "kubeclient/error.h"

/* Deeper documents are rejected; a kubeconfig needs about 6 levels, a Release
 * some 12. */
#define KC_YAML_MAX_DEPTH 64
/* More nodes in one stream are rejected: a kubeconfig with a thousand contexts
 * has some 20000, and a 4 MiB file of one-character items would otherwise cost
 * some 200 MiB. */
#define KC_YAML_MAX_NODES 500000
/* More documents in one stream are rejected. */
#define KC_YAML_MAX_DOCS 10000

enum kc_ynode_kind {
	KC_YNODE_SCALAR,
	KC_YNODE_MAP,
	KC_YNODE_SEQ,
};

struct kc_ynode {
	enum kc_ynode_kind kind;
	unsigned long line;   /* 1-based line where the node starts */
	unsigned long column; /* 1-based column where the node starts */
	/* Scalars: the bytes, NUL-terminated (len excludes the NUL; a scalar may
	 * hold an embedded NUL written as an escape, so check len when it matters).
	 * NULL for maps and sequences. */
	char *value;
	size_t len;
	bool plain;   /* unquoted and untagged: only then do null and boolean words count */
	bool str_tag; /* tagged !!str: a string whatever it looks like */
	/* Maps: key, value, key, value, ... (keys are scalars unless the reader was
	 * made with KC_YAML_COMPLEX_KEYS). Sequences: the items. */
	struct kc_ynode **items;
	size_t n_items;
};

/* Why a stream was refused. Each caller words these for its own users. */
enum kc_yaml_fault_kind {
	KC_YAML_SYNTAX,         /* not YAML: libyaml's words are in `problem` */
	KC_YAML_ALIAS,          /* an alias (*name) */
	KC_YAML_COMPLEX_KEY,    /* a mapping or sequence as a mapping key */
	KC_YAML_TOO_DEEP,       /* nested deeper than KC_YAML_MAX_DEPTH */
	KC_YAML_TOO_MANY_NODES, /* more than KC_YAML_MAX_NODES in the stream */
	KC_YAML_TOO_MANY_DOCS,  /* more than KC_YAML_MAX_DOCS documents */
};

struct kc_yaml_fault {
	enum kc_yaml_fault_kind kind;
	unsigned long line, column; /* 1-based position of the offending event */
	char problem[256];          /* KC_YAML_SYNTAX: libyaml's message; otherwise "" */
};

/* Reader flag: let mapping keys be mappings or sequences instead of refusing
 * them (KC_YAML_COMPLEX_KEY); for callers that report such keys themselves. */
#define KC_YAML_COMPLEX_KEYS 1u

/* Reads one document at a time from a stream. */
struct kc_yaml_reader;

/* A reader over `buf` (not necessarily NUL-terminated), which it borrows: it
 * must outlive the reader. `flags`: 0 or KC_YAML_COMPLEX_KEYS. Returns 0 or
 * -ENOMEM. Caller owns *ret (kc_yaml_reader_free). */
int kc_yaml_reader_new(const char *buf, size_t len, unsigned flags, struct kc_yaml_reader **ret);

/* Frees a reader and any half-read document; NULL is fine. Returns NULL. */
struct kc_yaml_reader *kc_yaml_reader_free(struct kc_yaml_reader *r);

/* Reads the next document, and nothing past its end. Returns 1 with its tree in
 * *ret (NULL only for a document without any node), 0 at the end of the stream,
 * or an error: -EINVAL (syntax, alias, complex key, depth, documents) or -E2BIG
 * (nodes, counted over the whole stream) with *fault filled (may be NULL), or
 * -ENOMEM. A document cut off by an error is not returned; once a call fails,
 * every later call fails the same way. *ret is untouched unless 1 is returned.
 * Caller owns *ret (kc_yaml_free). */
int kc_yaml_next(struct kc_yaml_reader *r, struct kc_ynode **ret, struct kc_yaml_fault *fault);

/* Parses the first document of `buf` (not necessarily NUL-terminated), refusing
 * complex keys; documents after the first are not read, as for kubectl's
 * kubeconfig loader. An empty stream gives *ret = NULL. Errors are -EINVAL
 * (syntax, aliases, keys, depth), -E2BIG (too many nodes) or -ENOMEM, with a
 * message "name:LINE[:COL]: ..." in err. Caller owns *ret (kc_yaml_free). */
int kc_yaml_parse(const char *buf, size_t len, const char *name, struct kc_ynode **ret,
                  struct kc_error *err);

/* Frees a tree; NULL is fine. Returns NULL. */
struct kc_ynode *kc_yaml_free(struct kc_ynode *node);

/* The value for the scalar key `key` in a map (the last one when a key repeats,
 * as kubectl's decoder does), or NULL when absent or `map` is not a map.
 * Borrowed from `map`. */
const struct kc_ynode *kc_yaml_get(const struct kc_ynode *map, const char *key);

/* True for NULL, an empty plain scalar, "~" and "null"/"Null"/"NULL". */
bool kc_yaml_is_null(const struct kc_ynode *node);

#endif
