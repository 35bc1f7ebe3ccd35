#include "json-apply.h"

#include <stdlib.h>
#include <string.h>

void json_apply_merge(json_t *target, const json_t *patch)
{
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)patch, k, v)
	{
		if (json_is_null(v)) {
			json_object_del(target, k);
		} else if (json_is_object(v)) {
			json_t *t = json_object_get(target, k);
			if (!json_is_object(t)) {
				t = json_object();
				json_object_set_new(target, k, t);
			}
			json_apply_merge(t, v);
		} else {
			json_object_set(target, k, v);
		}
	}
}

/* The next reference token of *p (a JSON pointer) into tok, unescaped. */
static bool next_token(const char **p, char *tok, size_t cap)
{
	if (**p != '/')
		return false;
	const char *s = *p + 1, *end = strchr(s, '/');
	size_t n = end ? (size_t)(end - s) : strlen(s), k = 0;
	for (size_t i = 0; i < n && k + 1 < cap; i++) {
		if (s[i] == '~' && i + 1 < n && (s[i + 1] == '0' || s[i + 1] == '1')) {
			tok[k++] = s[i + 1] == '0' ? '~' : '/';
			i++;
		} else {
			tok[k++] = s[i];
		}
	}
	tok[k] = '\0';
	*p = s + n;
	return true;
}

static json_t *child_of(json_t *v, const char *tok)
{
	return json_is_array(v) ? json_array_get(v, strtoul(tok, NULL, 10))
	                        : json_object_get(v, tok);
}

/* One operation on doc; false when it fails (the whole patch is refused). */
static bool apply_op(json_t *doc, const json_t *op)
{
	const char *name = json_string_value(json_object_get(op, "op"));
	const char *p = json_string_value(json_object_get(op, "path"));
	json_t *value = json_object_get(op, "value");
	char tok[256];
	json_t *parent = doc;
	if (!name || !p || !next_token(&p, tok, sizeof(tok)))
		return false;
	while (*p) {
		parent = child_of(parent, tok);
		if (!parent || !next_token(&p, tok, sizeof(tok)))
			return false;
	}
	json_t *cur = child_of(parent, tok);
	size_t idx = strtoul(tok, NULL, 10);
	if (strcmp(name, "test") == 0)
		return cur && value && json_equal(cur, value);
	if (strcmp(name, "remove") == 0)
		return cur && (json_is_array(parent) ? json_array_remove(parent, idx)
		                                     : json_object_del(parent, tok)) == 0;
	if (!value || (strcmp(name, "replace") == 0 && !cur))
		return false;
	if (json_is_object(parent))
		return json_object_set(parent, tok, value) == 0;
	if (!json_is_array(parent))
		return false;
	if (strcmp(name, "replace") == 0)
		return json_array_set(parent, idx, value) == 0;
	return strcmp(tok, "-") == 0 ? json_array_append(parent, value) == 0
	                             : json_array_insert(parent, idx, value) == 0;
}

bool json_apply_patch(json_t **doc, const json_t *ops)
{
	json_t *copy = json_deep_copy(*doc);
	size_t i;
	json_t *op;
	if (!copy)
		return false;
	json_array_foreach(ops, i, op)
	{
		if (!apply_op(copy, op)) {
			json_decref(copy);
			return false;
		}
	}
	json_decref(*doc);
	*doc = copy;
	return true;
}
