#include "model/labels.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "model/names.h"

static bool is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* [A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])? of at most 63 bytes */
static bool name_valid(const char *s, size_t len)
{
	if (len == 0 || len > 63 || !is_alnum(s[0]) || !is_alnum(s[len - 1]))
		return false;
	for (size_t i = 0; i < len; i++) {
		if (!is_alnum(s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
			return false;
	}
	return true;
}

bool model_label_key_valid(const char *key)
{
	size_t len = strnlen(key, 254 + 64);
	const char *slash = memchr(key, '/', len);
	if (!slash)
		return name_valid(key, len);
	size_t plen = (size_t)(slash - key);
	return model_dns_subdomain_valid(key, plen) && name_valid(slash + 1, len - plen - 1);
}

bool model_label_value_valid(const char *value)
{
	size_t len = strnlen(value, 64);
	return len == 0 || name_valid(value, len);
}

static int cmp_label(const void *a, const void *b)
{
	return strcmp(((const struct model_label *)a)->key, ((const struct model_label *)b)->key);
}

int model_labels_from_json(const json_t *obj, const char *path, struct model_labels *ret,
                           struct model_errors *errs)
{
	if (!json_is_object(obj)) {
		model_errors_add(errs, path, "must be an object of string values");
		return -EINVAL;
	}
	size_t n = json_object_size(obj);
	if (n > MODEL_LABELS_MAX) {
		model_errors_add(errs, path, "must have at most %d labels", MODEL_LABELS_MAX);
		return -EINVAL;
	}
	struct model_labels l = {0};
	bool bad = false;
	if (n > 0) {
		l.items = calloc(n, sizeof(*l.items));
		if (!l.items)
			return -ENOMEM;
	}
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)obj, key, v)
	{
		/* Keys are bounded by the check (253 + 1 + 63); cut long ones in messages. */
		if (!model_label_key_valid(key)) {
			model_errors_add(errs, path, "invalid label key \"%.80s\"", key);
			bad = true;
			continue;
		}
		if (!json_is_string(v)) {
			model_errors_add(errs, path, "%.80s: must be a string", key);
			bad = true;
			continue;
		}
		const char *val = json_string_value(v);
		if (!model_label_value_valid(val) || strlen(val) != json_string_length(v)) {
			model_errors_add(errs, path, "%.80s: invalid label value \"%.80s\"", key,
			                 val);
			bad = true;
			continue;
		}
		struct model_label *it = &l.items[l.n];
		it->key = strdup(key);
		it->value = strdup(val);
		l.n++;
		if (!it->key || !it->value) {
			model_labels_clear(&l);
			return -ENOMEM;
		}
	}
	if (bad) {
		model_labels_clear(&l);
		return -EINVAL;
	}
	if (l.n > 1)
		qsort(l.items, l.n, sizeof(*l.items), cmp_label);
	*ret = l;
	return 0;
}

void model_labels_clear(struct model_labels *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++) {
		free(l->items[i].key);
		free(l->items[i].value);
	}
	free(l->items);
	l->items = NULL;
	l->n = 0;
}

const char *model_labels_get(const struct model_labels *l, const char *key)
{
	for (size_t i = 0; i < l->n; i++) {
		if (strcmp(l->items[i].key, key) == 0)
			return l->items[i].value;
	}
	return NULL;
}

bool model_labels_match(const struct model_labels *sel, const json_t *labels)
{
	for (size_t i = 0; i < sel->n; i++) {
		json_t *v = json_object_get(labels, sel->items[i].key);
		if (!json_is_string(v) || strcmp(json_string_value(v), sel->items[i].value) != 0)
			return false;
	}
	return true;
}

char *model_labels_selector_string(const struct model_labels *l)
{
	size_t len = 1;
	for (size_t i = 0; i < l->n; i++)
		len += strlen(l->items[i].key) + 1 + strlen(l->items[i].value) + 1;
	char *s = malloc(len);
	if (!s)
		return NULL;
	size_t off = 0;
	for (size_t i = 0; i < l->n; i++) {
		size_t kl = strlen(l->items[i].key), vl = strlen(l->items[i].value);
		if (i > 0)
			s[off++] = ',';
		memcpy(s + off, l->items[i].key, kl);
		off += kl;
		s[off++] = '=';
		memcpy(s + off, l->items[i].value, vl);
		off += vl;
	}
	s[off] = '\0';
	return s;
}
