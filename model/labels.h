/*
 * Label sets (a selector's matchLabels, a template's labels) as sorted
 * key/value arrays, with Kubernetes' syntax rules and the selector string
 * form used by status.selector and the scale subresource.
 */
#ifndef SLIPWAY_MODEL_LABELS_H
#define SLIPWAY_MODEL_LABELS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "model/errors.h"

/* More labels than this on one selector is an error, not a big allocation. */
#define MODEL_LABELS_MAX 64

struct model_label {
	char *key;
	char *value;
};

/* Owns its strings; sorted by key (bytewise), keys unique. */
struct model_labels {
	size_t n;
	struct model_label *items;
};

/* Reads a JSON object of string values into *ret (sorted). Syntax errors of
 * keys and values are added to errs under `path` ("spec.selector.matchLabels"
 * gives "spec.selector.matchLabels.app: ..."). Returns 0, -EINVAL when
 * errors were added (ret untouched), -ENOMEM. */
int model_labels_from_json(const json_t *obj, const char *path, struct model_labels *ret,
                           struct model_errors *errs);

/* Frees the strings and empties the set; accepts NULL. */
void model_labels_clear(struct model_labels *l);

/* The value for key, or NULL. Borrowed from l. */
const char *model_labels_get(const struct model_labels *l, const char *key);

/* True when every label of `sel` is present with the same value in `labels`
 * (a JSON object, may be NULL = no labels). An empty selector matches all. */
bool model_labels_match(const struct model_labels *sel, const json_t *labels);

/* The selector string "a=b,c=d", keys sorted, as labels.SelectorFromSet()
 * .String() writes it. Caller frees; NULL on ENOMEM. */
char *model_labels_selector_string(const struct model_labels *l);

/* Kubernetes label syntax: a key is an optional DNS subdomain prefix (<= 253)
 * and "/", then a name of 1..63 of [A-Za-z0-9-_.] starting and ending
 * alphanumeric; a value is empty or such a name. */
bool model_label_key_valid(const char *key);
bool model_label_value_valid(const char *value);

#endif
