#include "cli/yamljson.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static json_t *scalar_json(const struct kc_ynode *n)
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

json_t *cli_yaml_to_json(const struct kc_ynode *node, cli_yaml_problem_fn *problem, void *userdata)
{
	if (!node)
		return json_null();
	if (node->kind == KC_YNODE_SCALAR)
		return scalar_json(node);
	if (node->kind == KC_YNODE_SEQ) {
		json_t *a = json_array();
		for (size_t i = 0; a && i < node->n_items; i++) {
			json_t *v = cli_yaml_to_json(node->items[i], problem, userdata);
			if (!v || json_array_append_new(a, v) != 0) {
				json_decref(a);
				return NULL;
			}
		}
		return a;
	}
	json_t *o = json_object();
	for (size_t i = 0; o && i + 1 < node->n_items; i += 2) {
		const struct kc_ynode *k = node->items[i];
		if (k->kind != KC_YNODE_SCALAR) {
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
		json_t *v = cli_yaml_to_json(node->items[i + 1], problem, userdata);
		if (!v || json_object_set_new(o, k->value, v) != 0) {
			json_decref(o);
			return NULL;
		}
	}
	return o;
}

/* The value of the map key that is the longest prefix of `path` ending at a
 * separator; *rest is what follows it. */
static const struct kc_ynode *map_step(const struct kc_ynode *map, const char *path,
                                       const char **rest, const struct kc_ynode **key)
{
	const struct kc_ynode *best = NULL;
	size_t best_len = 0;
	for (size_t i = 0; i + 1 < map->n_items; i += 2) {
		const struct kc_ynode *k = map->items[i];
		if (k->kind != KC_YNODE_SCALAR || k->len == 0 || k->len <= best_len)
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

const struct kc_ynode *cli_yaml_find(const struct kc_ynode *root, const char *path,
                                     const struct kc_ynode **ret_key)
{
	const struct kc_ynode *at = root, *key = NULL;
	const char *p = path ? path : "";
	while (at && *p) {
		if (*p == '.') {
			p++;
			continue;
		}
		const struct kc_ynode *next = NULL;
		if (*p == '[') {
			char *end;
			errno = 0;
			unsigned long idx = strtoul(p + 1, &end, 10);
			if (errno || *end != ']' || at->kind != KC_YNODE_SEQ || idx >= at->n_items)
				break;
			next = at->items[idx];
			p = end + 1;
			key = NULL;
		} else {
			const struct kc_ynode *k = NULL;
			if (at->kind != KC_YNODE_MAP)
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
