#include "cli/yamldoc.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

static struct ydoc_node *node_free(struct ydoc_node *n)
{
	if (!n)
		return NULL;
	/* Depth is capped at YDOC_MAX_DEPTH when the tree is built. */
	for (size_t i = 0; i < n->n_items; i++)
		node_free(n->items[i]);
	free(n->items);
	free(n->value);
	free(n);
	return NULL;
}

void ydoc_stream_clear(struct ydoc_stream *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n_docs; i++)
		node_free(s->docs[i]);
	free(s->docs);
	memset(s, 0, sizeof(*s));
}

static int grow(void ***arr, size_t n, size_t *cap)
{
	if (n < *cap)
		return 0;
	size_t ncap = *cap ? *cap * 2 : 4;
	void **a = realloc(*arr, ncap * sizeof(*a));
	if (!a)
		return -ENOMEM;
	*arr = a;
	*cap = ncap;
	return 0;
}

static bool is_str_tag(const yaml_char_t *tag)
{
	if (!tag)
		return false;
	return strcmp((const char *)tag, "tag:yaml.org,2002:str") == 0 ||
	       strcmp((const char *)tag, "!!str") == 0;
}

static struct ydoc_node *node_new(enum ydoc_kind kind, const yaml_event_t *ev)
{
	struct ydoc_node *n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	n->kind = kind;
	n->line = (unsigned long)ev->start_mark.line + 1;
	n->column = (unsigned long)ev->start_mark.column + 1;
	if (kind != YDOC_SCALAR)
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

static void fail(struct ydoc_stream *s, const yaml_mark_t *mark, const char *what)
{
	s->failed = true;
	s->error_line = (unsigned long)mark->line + 1;
	s->error_column = (unsigned long)mark->column + 1;
	snprintf(s->error, sizeof(s->error), "%s", what);
}

int ydoc_parse(const char *buf, size_t len, struct ydoc_stream *ret)
{
	struct ydoc_stream s = {0};
	size_t docs_cap = 0;
	struct ydoc_node *stack[YDOC_MAX_DEPTH];
	size_t caps[YDOC_MAX_DEPTH];
	size_t depth = 0, nodes = 0;
	struct ydoc_node *root = NULL;
	bool in_doc = false, done = false;
	int r = 0;
	yaml_parser_t parser;

	if (!yaml_parser_initialize(&parser))
		return -ENOMEM;
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	while (!done) {
		yaml_event_t ev;
		if (!yaml_parser_parse(&parser, &ev)) {
			if (parser.error == YAML_MEMORY_ERROR) {
				r = -ENOMEM;
				break;
			}
			char msg[256];
			snprintf(msg, sizeof(msg), "%s%s%s",
			         parser.problem ? parser.problem : "invalid YAML",
			         parser.context ? " " : "", parser.context ? parser.context : "");
			fail(&s, &parser.problem_mark, msg);
			break;
		}
		struct ydoc_node *n = NULL;
		bool push = false;
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		case YAML_DOCUMENT_START_EVENT:
			in_doc = true;
			root = NULL;
			break;
		case YAML_DOCUMENT_END_EVENT:
			if (s.n_docs >= YDOC_MAX_DOCS) {
				fail(&s, &ev.start_mark, "too many documents");
				root = node_free(root);
				done = true;
				break;
			}
			if (grow((void ***)&s.docs, s.n_docs, &docs_cap) < 0) {
				root = node_free(root);
				r = -ENOMEM;
				done = true;
				break;
			}
			s.docs[s.n_docs++] = root;
			root = NULL;
			in_doc = false;
			break;
		case YAML_ALIAS_EVENT:
			fail(&s, &ev.start_mark, "aliases are not supported");
			done = true;
			break;
		case YAML_SCALAR_EVENT:
			n = node_new(YDOC_SCALAR, &ev);
			break;
		case YAML_SEQUENCE_START_EVENT:
			n = node_new(YDOC_SEQ, &ev);
			push = true;
			break;
		case YAML_MAPPING_START_EVENT:
			n = node_new(YDOC_MAP, &ev);
			push = true;
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			if (depth > 0)
				depth--;
			break;
		default:
			break;
		}
		if (!done && (ev.type == YAML_SCALAR_EVENT || push)) {
			if (!n) {
				r = -ENOMEM;
				done = true;
			} else if (++nodes > YDOC_MAX_NODES) {
				fail(&s, &ev.start_mark, "too many nodes");
				node_free(n);
				done = true;
			} else if (push && depth >= YDOC_MAX_DEPTH) {
				fail(&s, &ev.start_mark, "nested too deeply");
				node_free(n);
				done = true;
			} else {
				if (depth == 0) {
					root = n;
				} else {
					struct ydoc_node *p = stack[depth - 1];
					if (grow((void ***)&p->items, p->n_items,
					         &caps[depth - 1]) < 0) {
						node_free(n);
						r = -ENOMEM;
						done = true;
					} else {
						p->items[p->n_items++] = n;
					}
				}
				if (!done && push) {
					stack[depth] = n;
					caps[depth] = 0;
					depth++;
				}
			}
		}
		yaml_event_delete(&ev);
	}
	/* A document cut off by an error is not kept: only complete ones are. */
	if (in_doc || root)
		node_free(root);
	yaml_parser_delete(&parser);
	if (r < 0) {
		ydoc_stream_clear(&s);
		return r;
	}
	*ret = s;
	return 0;
}

static bool word_in(const char *v, const char *const *words)
{
	for (size_t i = 0; words[i]; i++)
		if (strcmp(v, words[i]) == 0)
			return true;
	return false;
}

/* An integer of the core schema: [-+]?[0-9]+, 0o[0-7]+, 0x[0-9a-fA-F]+. */
static bool parse_int(const char *v, json_int_t *out)
{
	const char *p = v;
	int base = 10;
	bool neg = false;
	if (strncmp(p, "0x", 2) == 0) {
		base = 16;
		p += 2;
	} else if (strncmp(p, "0o", 2) == 0) {
		base = 8;
		p += 2;
	} else if (*p == '-' || *p == '+') {
		neg = *p == '-';
		p++;
	}
	if (!*p)
		return false;
	for (const char *q = p; *q; q++) {
		int d = (*q >= '0' && *q <= '9')   ? *q - '0'
		        : (*q >= 'a' && *q <= 'f') ? *q - 'a' + 10
		        : (*q >= 'A' && *q <= 'F') ? *q - 'A' + 10
		                                   : 99;
		if (d >= base)
			return false;
	}
	errno = 0;
	char *end;
	unsigned long long u = strtoull(p, &end, base);
	if (errno || *end)
		return false;
	if (!neg && u > (unsigned long long)INT64_MAX)
		return false;
	if (neg && u > (unsigned long long)INT64_MAX + 1)
		return false;
	*out = neg ? (json_int_t)(0 - u) : (json_int_t)u;
	return true;
}

/* A float of the core schema: [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? */
static bool parse_float(const char *v, double *out)
{
	const char *p = v;
	if (*p == '-' || *p == '+')
		p++;
	if (strcmp(p, ".inf") == 0 || strcmp(p, ".Inf") == 0 || strcmp(p, ".INF") == 0) {
		*out = v[0] == '-' ? -INFINITY : INFINITY;
		return true;
	}
	if (p == v &&
	    (strcmp(p, ".nan") == 0 || strcmp(p, ".NaN") == 0 || strcmp(p, ".NAN") == 0)) {
		*out = NAN;
		return true;
	}
	size_t digits = 0;
	while (*p >= '0' && *p <= '9') {
		p++;
		digits++;
	}
	if (*p == '.') {
		p++;
		while (*p >= '0' && *p <= '9') {
			p++;
			digits++;
		}
	}
	if (digits == 0)
		return false;
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '-' || *p == '+')
			p++;
		if (!(*p >= '0' && *p <= '9'))
			return false;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p)
		return false;
	*out = strtod(v, NULL);
	return true;
}

static json_t *scalar_json(const struct ydoc_node *n)
{
	static const char *const nulls[] = {"", "~", "null", "Null", "NULL", NULL};
	static const char *const trues[] = {"true", "True", "TRUE", NULL};
	static const char *const falses[] = {"false", "False", "FALSE", NULL};
	if (n->plain) {
		json_int_t i;
		double d;
		if (word_in(n->value, nulls))
			return json_null();
		if (word_in(n->value, trues))
			return json_true();
		if (word_in(n->value, falses))
			return json_false();
		if (parse_int(n->value, &i))
			return json_integer(i);
		/* JSON has no infinities or NaN: those stay strings. */
		if (parse_float(n->value, &d) && isfinite(d))
			return json_real(d);
	}
	return json_stringn(n->value, n->len);
}

json_t *ydoc_to_json(const struct ydoc_node *node, ydoc_problem_fn *problem, void *userdata)
{
	if (!node)
		return json_null();
	if (node->kind == YDOC_SCALAR)
		return scalar_json(node);
	if (node->kind == YDOC_SEQ) {
		json_t *a = json_array();
		for (size_t i = 0; a && i < node->n_items; i++) {
			json_t *v = ydoc_to_json(node->items[i], problem, userdata);
			if (!v || json_array_append_new(a, v) != 0) {
				json_decref(a);
				return NULL;
			}
		}
		return a;
	}
	json_t *o = json_object();
	for (size_t i = 0; o && i + 1 < node->n_items; i += 2) {
		const struct ydoc_node *k = node->items[i];
		if (k->kind != YDOC_SCALAR) {
			if (problem)
				problem(k, "a key must be a scalar", userdata);
			continue;
		}
		if (strlen(k->value) != k->len) {
			if (problem)
				problem(k, "a key must not hold a NUL character", userdata);
			continue;
		}
		if (json_object_get(o, k->value)) {
			if (problem) {
				char msg[160];
				snprintf(msg, sizeof(msg), "duplicate key \"%.80s\"", k->value);
				problem(k, msg, userdata);
			}
			continue;
		}
		json_t *v = ydoc_to_json(node->items[i + 1], problem, userdata);
		if (!v || json_object_set_new(o, k->value, v) != 0) {
			json_decref(o);
			return NULL;
		}
	}
	return o;
}

/* The value of the map key that is the longest prefix of `path` ending at a
 * separator; *rest is what follows it. */
static const struct ydoc_node *map_step(const struct ydoc_node *map, const char *path,
                                        const char **rest, const struct ydoc_node **key)
{
	const struct ydoc_node *best = NULL;
	size_t best_len = 0;
	for (size_t i = 0; i + 1 < map->n_items; i += 2) {
		const struct ydoc_node *k = map->items[i];
		if (k->kind != YDOC_SCALAR || k->len == 0 || k->len <= best_len)
			continue;
		if (strncmp(path, k->value, k->len) != 0)
			continue;
		char after = path[k->len];
		if (after != '\0' && after != '.' && after != '[')
			continue;
		best = map->items[i + 1];
		best_len = k->len;
		*key = k;
	}
	if (best)
		*rest = path + best_len;
	return best;
}

const struct ydoc_node *ydoc_find(const struct ydoc_node *root, const char *path,
                                  const struct ydoc_node **ret_key)
{
	const struct ydoc_node *at = root, *key = NULL;
	const char *p = path ? path : "";
	while (at && *p) {
		if (*p == '.') {
			p++;
			continue;
		}
		const struct ydoc_node *next = NULL;
		if (*p == '[') {
			char *end;
			errno = 0;
			unsigned long idx = strtoul(p + 1, &end, 10);
			if (errno || *end != ']' || at->kind != YDOC_SEQ || idx >= at->n_items)
				break;
			next = at->items[idx];
			p = end + 1;
			key = NULL;
		} else {
			const struct ydoc_node *k = NULL;
			if (at->kind != YDOC_MAP)
				break;
			next = map_step(at, p, &p, &k);
			if (next)
				key = k;
		}
		if (!next)
			break;
		at = next;
	}
	if (ret_key)
		*ret_key = key;
	return at;
}
