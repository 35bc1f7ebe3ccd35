/*
 * YAML trees (kubeclient/yaml-tree.h) as the JSON Kubernetes would decode, and
 * field paths back to the nodes they came from.
 *
 * Used by `lint` to point at the line and column of a field the model
 * rejected, and by -o yaml to know which strings need quotes.
 *
 * Scalars resolve like the YAML 1.2 core schema (what Kubernetes' YAML
 * decoder does for the common cases): plain null/~/empty is null,
 * true/false (any of the three casings) booleans, decimal, 0x and 0o
 * integers, decimal floats and .inf/.nan; quoted or !!str-tagged scalars
 * are always strings. (The kubeconfig loader reads scalars its own way,
 * as client-go's kubeconfig decoder does.)
 */
#ifndef SLIPWAY_CLI_YAMLJSON_H
#define SLIPWAY_CLI_YAMLJSON_H

#include <jansson.h>

#include "kubeclient/yaml-tree.h"

/* A problem found while converting to JSON: where, and what. */
typedef void cli_yaml_problem_fn(const struct kc_ynode *at, const char *message, void *userdata);

/* The JSON value of node (NULL node: JSON null). Keys that are not scalars
 * (a tree read with KC_YAML_COMPLEX_KEYS) and duplicate keys are reported
 * through `problem` (may be NULL) and skipped (the first occurrence of a key
 * wins, as kubectl's strict decoder refuses the second). Caller owns the
 * result; NULL on ENOMEM. */
json_t *cli_yaml_to_json(const struct kc_ynode *node, cli_yaml_problem_fn *problem, void *userdata);

/* The node a field path such as "spec.template.spec.containers[0].image"
 * names, or the deepest node on the way to it when the path goes further
 * than the document (a missing field is reported at its parent). Map keys
 * holding dots ("app.kubernetes.io/name") are matched whole. An empty or
 * NULL path gives root. *ret_key (when not NULL) is the key node of the
 * last map step to the returned node, or NULL when it was reached by an index
 * or is the root. Borrowed from root. */
const struct kc_ynode *cli_yaml_find(const struct kc_ynode *root, const char *path,
                                     const struct kc_ynode **ret_key);

#endif
