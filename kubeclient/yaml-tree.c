#include "kubeclient/yaml-tree.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

struct kc_ynode *kc_yaml_free(struct kc_ynode *node)
{
	if (!node)
		return NULL;
	/* Iterative would be safer for deep trees, but depth is capped at
	 * KC_YAML_MAX_DEPTH when the tree is built, so recursion is bounded. */
	for (size_t i = 0; i < node->n_items; i++)
		kc_yaml_free(node->items[i]);
	free(node->items);
	free(node->value);
	free(node);
	return NULL;
}

static int append(struct kc_ynode *parent, struct kc_ynode *child, size_t *cap)
{
	if (parent->n_items == *cap) {
		size_t ncap = *cap ? *cap * 2 : 4;
		struct kc_ynode **n = realloc(parent->items, ncap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		parent->items = n;
		*cap = ncap;
	}
	parent->items[parent->n_items++] = child;
	return 0;
}

static struct kc_ynode *node_new(enum kc_ynode_kind kind, const yaml_event_t *ev)
{
	struct kc_ynode *n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	n->kind = kind;
	n->line = (unsigned long)ev->start_mark.line + 1;
	if (kind != KC_YNODE_SCALAR)
		return n;
	size_t len = ev->data.scalar.length;
	n->value = malloc(len + 1);
	if (!n->value) {
		free(n);
		return NULL;
	}
	memcpy(n->value, ev->data.scalar.value, len);
	n->value[len] = '\0';
	n->len = len;
	n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && !ev->data.scalar.tag;
	return n;
}

int kc_yaml_parse(const char *buf, size_t len, const char *name, struct kc_ynode **ret,
                  struct kc_error *err)
{
	yaml_parser_t parser;
	struct kc_ynode *root = NULL;
	struct kc_ynode *stack[KC_YAML_MAX_DEPTH];
	size_t caps[KC_YAML_MAX_DEPTH];
	size_t depth = 0, nodes = 0;
	bool done = false;
	int r = 0;

	if (!yaml_parser_initialize(&parser))
		return kc_error_set(err, -ENOMEM, "%s: out of memory", name);
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);

	while (!done) {
		yaml_event_t ev;
		if (!yaml_parser_parse(&parser, &ev)) {
			r = kc_error_set(err, -EINVAL, "%s:%lu:%lu: %s%s%s", name,
			                 (unsigned long)parser.problem_mark.line + 1,
			                 (unsigned long)parser.problem_mark.column + 1,
			                 parser.problem ? parser.problem : "invalid YAML",
			                 parser.context ? " " : "",
			                 parser.context ? parser.context : "");
			goto out;
		}
		struct kc_ynode *node = NULL;
		bool push = false;
		switch (ev.type) {
		case YAML_DOCUMENT_END_EVENT:
		case YAML_STREAM_END_EVENT:
			/* Only the first document counts, as for kubectl. */
			done = true;
			break;
		case YAML_ALIAS_EVENT:
			r = kc_error_set(err, -EINVAL, "%s:%lu: YAML aliases are not supported",
			                 name, (unsigned long)ev.start_mark.line + 1);
			break;
		case YAML_SCALAR_EVENT:
			node = node_new(KC_YNODE_SCALAR, &ev);
			break;
		case YAML_SEQUENCE_START_EVENT:
			node = node_new(KC_YNODE_SEQ, &ev);
			push = true;
			break;
		case YAML_MAPPING_START_EVENT:
			node = node_new(KC_YNODE_MAP, &ev);
			push = true;
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			/* libyaml guarantees balanced events. */
			depth--;
			break;
		default:
			break;
		}
		bool wants_node = ev.type == YAML_SCALAR_EVENT ||
		                  ev.type == YAML_SEQUENCE_START_EVENT ||
		                  ev.type == YAML_MAPPING_START_EVENT;
		unsigned long line = (unsigned long)ev.start_mark.line + 1;
		yaml_event_delete(&ev);
		if (r < 0)
			goto out;
		if (!wants_node)
			continue;
		if (!node) {
			r = kc_error_set(err, -ENOMEM, "%s: out of memory", name);
			goto out;
		}
		if (++nodes > KC_YAML_MAX_NODES) {
			kc_yaml_free(node);
			r = kc_error_set(err, -E2BIG, "%s:%lu: more than %d YAML nodes", name, line,
			                 KC_YAML_MAX_NODES);
			goto out;
		}
		if (depth == 0) {
			root = node;
		} else {
			struct kc_ynode *parent = stack[depth - 1];
			if (parent->kind == KC_YNODE_MAP && parent->n_items % 2 == 0 &&
			    node->kind != KC_YNODE_SCALAR) {
				kc_yaml_free(node);
				r = kc_error_set(err, -EINVAL,
				                 "%s:%lu: mapping keys must be scalars", name,
				                 line);
				goto out;
			}
			if (append(parent, node, &caps[depth - 1]) < 0) {
				kc_yaml_free(node);
				r = kc_error_set(err, -ENOMEM, "%s: out of memory", name);
				goto out;
			}
		}
		if (push) {
			if (depth == KC_YAML_MAX_DEPTH) {
				r = kc_error_set(err, -EINVAL,
				                 "%s:%lu: nested deeper than %d levels", name, line,
				                 KC_YAML_MAX_DEPTH);
				goto out;
			}
			caps[depth] = 0;
			stack[depth++] = node;
		}
	}
out:
	yaml_parser_delete(&parser);
	if (r < 0) {
		kc_yaml_free(root);
		return r;
	}
	*ret = root;
	return 0;
}

const struct kc_ynode *kc_yaml_get(const struct kc_ynode *map, const char *key)
{
	if (!map || map->kind != KC_YNODE_MAP)
		return NULL;
	const struct kc_ynode *found = NULL;
	size_t klen = strlen(key);
	for (size_t i = 0; i + 1 < map->n_items; i += 2) {
		const struct kc_ynode *k = map->items[i];
		if (k->len == klen && memcmp(k->value, key, klen) == 0)
			found = map->items[i + 1];
	}
	return found;
}

bool kc_yaml_is_null(const struct kc_ynode *node)
{
	if (!node)
		return true;
	if (node->kind != KC_YNODE_SCALAR || !node->plain)
		return false;
	return node->len == 0 || strcmp(node->value, "~") == 0 ||
	       strcmp(node->value, "null") == 0 || strcmp(node->value, "Null") == 0 ||
	       strcmp(node->value, "NULL") == 0;
}
