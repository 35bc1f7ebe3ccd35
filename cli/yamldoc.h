/*
 * YAML streams (several documents, as `kubectl apply -f` reads them) as small
 * trees that remember where each node starts, and their conversion to JSON.
 *
 * Used by `lint` to point at the line and column of a field the model
 * rejected. Built from libyaml's event stream with a depth and node limit;
 * aliases are rejected (manifests do not need them, and refusing them rules
 * out "billion laughs" expansion).
 *
 * Scalars resolve like the YAML 1.2 core schema (what Kubernetes' YAML
 * decoder does for the common cases): plain null/~/empty is null,
 * true/false (any of the three casings) booleans, decimal, 0x and 0o
 * integers, decimal floats and .inf/.nan; quoted or !!str-tagged scalars
 * are always strings.
 */
#ifndef SLIPWAY_CLI_YAMLDOC_H
#define SLIPWAY_CLI_YAMLDOC_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define YDOC_MAX_DEPTH 64
#define YDOC_MAX_NODES 500000
#define YDOC_MAX_DOCS  10000

enum ydoc_kind {
	YDOC_SCALAR,
	YDOC_MAP,
	YDOC_SEQ,
};

struct ydoc_node {
	enum ydoc_kind kind;
	unsigned long line;   /* 1-based */
	unsigned long column; /* 1-based */
	char *value;          /* scalars: NUL-terminated bytes (len excludes the NUL) */
	size_t len;
	bool plain;   /* plain style and no tag: only then do null, booleans, numbers count */
	bool str_tag; /* tagged !!str */
	struct ydoc_node **items; /* maps: key, value, key, value, ...; sequences: items */
	size_t n_items;
};

struct ydoc_stream {
	size_t n_docs;
	struct ydoc_node **docs; /* one root per document; NULL for an empty document */
	/* A syntax error (or limit) stopped the parse: the documents before it are
	 * in docs; error_line/column say where (1-based). */
	bool failed;
	unsigned long error_line, error_column;
	char error[256];
};

/* Parses every document of buf. Returns 0 and fills *ret (free with
 * ydoc_stream_clear) even when the YAML is bad: then ret->failed is set and
 * the documents before the error are kept. -ENOMEM only (ret untouched). */
int ydoc_parse(const char *buf, size_t len, struct ydoc_stream *ret);

/* Frees everything and zeroes s; accepts NULL. */
void ydoc_stream_clear(struct ydoc_stream *s);

/* A problem found while converting to JSON: where, and what. */
typedef void ydoc_problem_fn(const struct ydoc_node *at, const char *message, void *userdata);

/* The JSON value of node (NULL node: JSON null). Keys that are not scalars
 * and duplicate keys are reported through `problem` (may be NULL) and
 * skipped (the first occurrence of a key wins, as kubectl's strict decoder
 * refuses the second). Caller owns the result; NULL on ENOMEM. */
json_t *ydoc_to_json(const struct ydoc_node *node, ydoc_problem_fn *problem, void *userdata);

/* The node a field path such as "spec.template.spec.containers[0].image"
 * names, or the deepest node on the way to it when the path goes further
 * than the document (a missing field is reported at its parent). Map keys
 * holding dots ("app.kubernetes.io/name") are matched whole. An empty or
 * NULL path gives root. *ret_key (when not NULL) is the key node of the
 * last map step to the returned node, or NULL when it was reached by an index
 * or is the root. Borrowed from root. */
const struct ydoc_node *ydoc_find(const struct ydoc_node *root, const char *path,
                                  const struct ydoc_node **ret_key);

#endif
