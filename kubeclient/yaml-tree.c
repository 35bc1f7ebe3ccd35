#include "kubeclient/yaml-tree.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

struct kc_yaml_reader {
	yaml_parser_t parser;
	unsigned flags;
	struct kc_ynode *root; /* the document being built, owned until it ends */
	struct kc_ynode *stack[KC_YAML_MAX_DEPTH];
	size_t caps[KC_YAML_MAX_DEPTH];
	size_t depth, nodes, docs;
	bool ended;
	/* libyaml's parser cannot go on after an error (it then returns empty
	 * events), so the first failure is kept and returned again. */
	int error;
	struct kc_yaml_fault fault;
};

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

static bool is_str_tag(const yaml_char_t *tag)
{
	if (!tag)
		return false;
	return strcmp((const char *)tag, "tag:yaml.org,2002:str") == 0 ||
	       strcmp((const char *)tag, "!!str") == 0;
}

static struct kc_ynode *node_new(enum kc_ynode_kind kind, const yaml_event_t *ev)
{
	struct kc_ynode *n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	n->kind = kind;
	n->line = (unsigned long)ev->start_mark.line + 1;
	n->column = (unsigned long)ev->start_mark.column + 1;
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
	n->str_tag = is_str_tag(ev->data.scalar.tag);
	return n;
}

/* Stops the reader for good; the half-built document goes. Returns code. */
static int stop(struct kc_yaml_reader *r, int code)
{
	r->error = code;
	r->root = kc_yaml_free(r->root);
	r->depth = 0;
	return code;
}

static int fail(struct kc_yaml_reader *r, int code, enum kc_yaml_fault_kind kind,
                const yaml_mark_t *mark)
{
	r->fault.kind = kind;
	r->fault.line = (unsigned long)mark->line + 1;
	r->fault.column = (unsigned long)mark->column + 1;
	r->fault.problem[0] = '\0';
	return stop(r, code);
}

static int add_node(struct kc_yaml_reader *r, enum kc_ynode_kind kind, const yaml_event_t *ev)
{
	if (++r->nodes > KC_YAML_MAX_NODES)
		return fail(r, -E2BIG, KC_YAML_TOO_MANY_NODES, &ev->start_mark);
	bool container = kind != KC_YNODE_SCALAR;
	struct kc_ynode *parent = r->depth > 0 ? r->stack[r->depth - 1] : NULL;
	if (parent && parent->kind == KC_YNODE_MAP && parent->n_items % 2 == 0 && container &&
	    !(r->flags & KC_YAML_COMPLEX_KEYS))
		return fail(r, -EINVAL, KC_YAML_COMPLEX_KEY, &ev->start_mark);
	if (container && r->depth == KC_YAML_MAX_DEPTH)
		return fail(r, -EINVAL, KC_YAML_TOO_DEEP, &ev->start_mark);
	struct kc_ynode *node = node_new(kind, ev);
	if (!node)
		return stop(r, -ENOMEM);
	if (!parent) {
		r->root = node;
	} else if (append(parent, node, &r->caps[r->depth - 1]) < 0) {
		kc_yaml_free(node);
		return stop(r, -ENOMEM);
	}
	if (container) {
		r->caps[r->depth] = 0;
		r->stack[r->depth++] = node;
	}
	return 0;
}

/* 1 when ev ends a document (its tree then in *ret), 0 to read on, or an error. */
static int on_event(struct kc_yaml_reader *r, const yaml_event_t *ev, struct kc_ynode **ret)
{
	switch (ev->type) {
	case YAML_STREAM_END_EVENT:
		r->ended = true;
		return 0;
	case YAML_DOCUMENT_END_EVENT:
		if (r->docs == KC_YAML_MAX_DOCS)
			return fail(r, -EINVAL, KC_YAML_TOO_MANY_DOCS, &ev->start_mark);
		r->docs++;
		*ret = r->root;
		r->root = NULL;
		return 1;
	case YAML_ALIAS_EVENT:
		return fail(r, -EINVAL, KC_YAML_ALIAS, &ev->start_mark);
	case YAML_SCALAR_EVENT:
		return add_node(r, KC_YNODE_SCALAR, ev);
	case YAML_SEQUENCE_START_EVENT:
		return add_node(r, KC_YNODE_SEQ, ev);
	case YAML_MAPPING_START_EVENT:
		return add_node(r, KC_YNODE_MAP, ev);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		/* libyaml guarantees balanced events; the check costs nothing. */
		if (r->depth > 0)
			r->depth--;
		return 0;
	default:
		return 0;
	}
}

int kc_yaml_reader_new(const char *buf, size_t len, unsigned flags, struct kc_yaml_reader **ret)
{
	struct kc_yaml_reader *r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	if (!yaml_parser_initialize(&r->parser)) {
		free(r);
		return -ENOMEM;
	}
	yaml_parser_set_input_string(&r->parser, (const unsigned char *)buf, len);
	r->flags = flags;
	*ret = r;
	return 0;
}

struct kc_yaml_reader *kc_yaml_reader_free(struct kc_yaml_reader *r)
{
	if (!r)
		return NULL;
	kc_yaml_free(r->root);
	yaml_parser_delete(&r->parser);
	free(r);
	return NULL;
}

int kc_yaml_next(struct kc_yaml_reader *r, struct kc_ynode **ret, struct kc_yaml_fault *fault)
{
	struct kc_ynode *doc = NULL;
	int res = 0;
	while (res == 0 && !r->error && !r->ended) {
		yaml_event_t ev;
		if (!yaml_parser_parse(&r->parser, &ev)) {
			if (r->parser.error == YAML_MEMORY_ERROR) {
				stop(r, -ENOMEM);
				break;
			}
			fail(r, -EINVAL, KC_YAML_SYNTAX, &r->parser.problem_mark);
			snprintf(r->fault.problem, sizeof(r->fault.problem), "%s%s%s",
			         r->parser.problem ? r->parser.problem : "invalid YAML",
			         r->parser.context ? " " : "",
			         r->parser.context ? r->parser.context : "");
			break;
		}
		res = on_event(r, &ev, &doc);
		yaml_event_delete(&ev);
	}
	if (r->error) {
		if (fault && r->error != -ENOMEM)
			*fault = r->fault;
		return r->error;
	}
	if (res == 1)
		*ret = doc;
	return res;
}

/* The kubeconfig loader's words for a fault. */
static int fault_error(const struct kc_yaml_fault *f, int code, const char *name,
                       struct kc_error *err)
{
	switch (f->kind) {
	case KC_YAML_SYNTAX:
		return kc_error_set(err, code, "%s:%lu:%lu: %s", name, f->line, f->column,
		                    f->problem);
	case KC_YAML_ALIAS:
		return kc_error_set(err, code, "%s:%lu: YAML aliases are not supported", name,
		                    f->line);
	case KC_YAML_COMPLEX_KEY:
		return kc_error_set(err, code, "%s:%lu: mapping keys must be scalars", name,
		                    f->line);
	case KC_YAML_TOO_DEEP:
		return kc_error_set(err, code, "%s:%lu: nested deeper than %d levels", name,
		                    f->line, KC_YAML_MAX_DEPTH);
	case KC_YAML_TOO_MANY_NODES:
		return kc_error_set(err, code, "%s:%lu: more than %d YAML nodes", name, f->line,
		                    KC_YAML_MAX_NODES);
	case KC_YAML_TOO_MANY_DOCS:
		return kc_error_set(err, code, "%s:%lu: more than %d YAML documents", name, f->line,
		                    KC_YAML_MAX_DOCS);
	}
	return kc_error_set(err, code, "%s:%lu: invalid YAML", name, f->line);
}

int kc_yaml_parse(const char *buf, size_t len, const char *name, struct kc_ynode **ret,
                  struct kc_error *err)
{
	struct kc_yaml_reader *reader = NULL;
	struct kc_ynode *root = NULL;
	struct kc_yaml_fault fault;
	int r = kc_yaml_reader_new(buf, len, 0, &reader);
	if (r == 0)
		r = kc_yaml_next(reader, &root, &fault);
	kc_yaml_reader_free(reader);
	if (r == -ENOMEM)
		return kc_error_set(err, r, "%s: out of memory", name);
	if (r < 0)
		return fault_error(&fault, r, name, err);
	/* Only the first document counts, as for kubectl; an empty stream has none. */
	*ret = r == 1 ? root : NULL;
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
		if (k->kind == KC_YNODE_SCALAR && k->len == klen &&
		    memcmp(k->value, key, klen) == 0)
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
