#include "reconcilers/patch.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_WEIGHT 1000000 /* Gateway API: backendRef weight is 0..1000000 */

/* Caller owns the result (free). */
char *rec_json_pointer(size_t n, const char *const tokens[])
{
	size_t len = 0;
	for (size_t i = 0; i < n; i++) {
		len++; /* the '/' */
		for (const char *c = tokens[i]; *c; c++)
			len += (*c == '~' || *c == '/') ? 2 : 1;
	}
	char *out = malloc(len + 1);
	if (!out)
		return NULL;
	char *w = out;
	for (size_t i = 0; i < n; i++) {
		*w++ = '/';
		for (const char *c = tokens[i]; *c; c++) {
			if (*c == '~' || *c == '/') {
				*w++ = '~';
				*w++ = *c == '~' ? '0' : '1';
			} else {
				*w++ = *c;
			}
		}
	}
	*w = '\0';
	return out;
}

/* Appends {"op": op, "path": pointer of tokens, "value": a copy of value}
 * to ops; value is borrowed. A copy, not a reference: the value often is a
 * part of the object as read, which belongs to a cache. 0 or -ENOMEM (ops
 * unchanged). */
static int append_op(json_t *ops, const char *op, size_t n, const char *const tokens[],
                     json_t *value)
{
	char *path = rec_json_pointer(n, tokens);
	if (!path)
		return -ENOMEM;
	json_t *o =
	    json_pack("{s:s, s:s, s:o}", "op", op, "path", path, "value", json_deep_copy(value));
	free(path);
	if (!o || json_array_append_new(ops, o) < 0)
		return -ENOMEM;
	return 0;
}

/* append_op with a string value. */
static int append_string_op(json_t *ops, const char *op, size_t n, const char *const tokens[],
                            const char *value)
{
	json_t *v = json_string(value);
	if (!v)
		return -ENOMEM;
	int r = append_op(ops, op, n, tokens, v);
	json_decref(v);
	return r;
}

/* ---- Service selector ------------------------------------------------------ */

/* The ops for a selector that needs the key set; caller owns *ret. */
static int selector_ops(json_t *selector, const char *key, const char *value, json_t **ret)
{
	const char *whole[] = {"spec", "selector"};
	const char *at_key[] = {"spec", "selector", key};
	json_t *old = json_object_get(selector, key);
	json_t *ops = json_array();
	int r;
	if (!ops)
		return -ENOMEM;
	if (old) {
		r = append_op(ops, "test", 3, at_key, old);
		if (r == 0)
			r = append_string_op(ops, "replace", 3, at_key, value);
	} else {
		/* No op tests that a key is absent; the whole selector as read
		 * does, and also catches any other change to it. */
		r = append_op(ops, "test", 2, whole, selector);
		if (r == 0)
			r = append_string_op(ops, "add", 3, at_key, value);
	}
	if (r < 0) {
		json_decref(ops);
		return r;
	}
	*ret = ops;
	return 0;
}

int rec_patch_service_selector(const json_t *service, const char *key, const char *value,
                               json_t **ret)
{
	if (!service || !key || !*key || !value || !ret)
		return -EINVAL;
	json_t *selector = json_object_get(json_object_get(service, "spec"), "selector");
	if (!json_is_object(selector))
		return -ENOENT;
	json_t *old = json_object_get(selector, key);
	if (old && !json_is_string(old))
		return -EINVAL;
	if (old && strcmp(json_string_value(old), value) == 0) {
		json_t *none = json_array();
		if (!none)
			return -ENOMEM;
		*ret = none;
		return 0;
	}
	return selector_ops(selector, key, value, ret);
}

/* ---- HTTPRoute weights ----------------------------------------------------- */

static bool is_service_ref(const json_t *ref)
{
	const char *group = json_string_value(json_object_get(ref, "group"));
	const char *kind = json_string_value(json_object_get(ref, "kind"));
	return (!group || !*group) && (!kind || strcmp(kind, "Service") == 0);
}

/* The index in refs of the one Service backendRef named name: 0, -ENOENT, or
 * -EINVAL when two match. */
static int find_backend(const json_t *refs, const char *name, size_t *ret)
{
	size_t i, found = 0, n = 0;
	json_t *ref;
	json_array_foreach(refs, i, ref)
	{
		const char *s = json_string_value(json_object_get(ref, "name"));
		if (s && strcmp(s, name) == 0 && is_service_ref(ref)) {
			found = i;
			n++;
		}
	}
	if (n == 0)
		return -ENOENT;
	if (n > 1)
		return -EINVAL;
	*ret = found;
	return 0;
}

int rec_route_backend_index(const json_t *rule, const char *name, size_t *ret)
{
	json_t *refs = json_object_get(rule, "backendRefs");
	if (!name || !ret)
		return -EINVAL;
	if (!json_is_array(refs))
		return -ENOENT;
	return find_backend(refs, name, ret);
}

struct backend {
	const char *name;
	size_t index;
	int32_t want;
	json_t *weight; /* as read, or NULL (absent: the default 1) */
};

/* The pointer tokens of b's field `field` in rule `rule`; index is b's
 * index as text, kept by the caller. */
#define BACKEND_PATH(rule, index, field)                                                           \
	{                                                                                          \
		"spec", "rules", rule, "backendRefs", index, field                                 \
	}

/* Appends the test of b's name, or (set) the write of its weight. */
static int backend_op(json_t *ops, const char *rule, const struct backend *b, bool set)
{
	char index[24];
	snprintf(index, sizeof(index), "%zu", b->index);
	if (!set) {
		const char *at_name[] = BACKEND_PATH(rule, index, "name");
		return append_string_op(ops, "test", 6, at_name, b->name);
	}
	const char *at_weight[] = BACKEND_PATH(rule, index, "weight");
	json_t *w = json_integer(b->want);
	if (!w)
		return -ENOMEM;
	int r = append_op(ops, b->weight ? "replace" : "add", 6, at_weight, w);
	json_decref(w);
	return r;
}

static bool weight_is(const struct backend *b)
{
	if (!b->weight)
		return b->want == 1;
	return json_is_integer(b->weight) && json_integer_value(b->weight) == b->want;
}

/* Finds both backendRefs of the split's rule in route; fills b[0] (stable)
 * and b[1] (canary). */
static int find_split(const json_t *route, const struct rec_route_split *s, struct backend b[2])
{
	json_t *rule =
	    json_array_get(json_object_get(json_object_get(route, "spec"), "rules"), s->rule);
	json_t *refs = json_object_get(rule, "backendRefs");
	if (!json_is_array(refs))
		return -ENOENT;
	b[0] = (struct backend){.name = s->stable, .want = s->stable_weight};
	b[1] = (struct backend){.name = s->canary, .want = s->canary_weight};
	for (int i = 0; i < 2; i++) {
		int r = find_backend(refs, b[i].name, &b[i].index);
		if (r < 0)
			return r;
		b[i].weight = json_object_get(json_array_get(refs, b[i].index), "weight");
	}
	return 0;
}

int rec_patch_route_weights(const json_t *route, const struct rec_route_split *split, json_t **ret)
{
	if (!route || !split || !split->stable || !split->canary || !ret)
		return -EINVAL;
	if (strcmp(split->stable, split->canary) == 0)
		return -EINVAL;
	if (split->stable_weight < 0 || split->stable_weight > MAX_WEIGHT ||
	    split->canary_weight < 0 || split->canary_weight > MAX_WEIGHT)
		return -EINVAL;
	struct backend b[2];
	int r = find_split(route, split, b);
	if (r < 0)
		return r;
	bool set[2] = {!weight_is(&b[0]), !weight_is(&b[1])};
	json_t *ops = json_array();
	if (!ops)
		return -ENOMEM;
	if (set[0] || set[1]) {
		char rule[24];
		snprintf(rule, sizeof(rule), "%zu", split->rule);
		/* Every assumption first, then the writes: easier to read in
		 * a log, and the patch is atomic either way. */
		for (int i = 0; i < 2 && r == 0; i++)
			r = backend_op(ops, rule, &b[i], false);
		for (int i = 0; i < 2 && r == 0; i++)
			if (set[i])
				r = backend_op(ops, rule, &b[i], true);
	}
	if (r < 0) {
		json_decref(ops);
		return r;
	}
	*ret = ops;
	return 0;
}
