#include "controller/store.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller/hashmap.h"

/* Label keys are at most 253 + 1 + 63 bytes and values 63; the index key
 * also holds the namespace and separators. */
#define INDEX_KEY_MAX 512
/* Joins the namespace and label pair in index keys: a byte no namespace
 * or label can contain. */
#define SEP '\x1f'

struct entry {
	char *key;   /* owned; every table below borrows it */
	json_t *obj; /* the object, or NULL in a compact store */
	char *text;  /* compact store: the object as compact JSON */
	size_t len;
	unsigned gen; /* replace generation that last saw it */
};

/* A field index (ctl_store_add_index): value (copied) -> set of entries. */
struct field_index {
	char *name;
	ctl_index_fn *fn;
	void *userdata;
	struct ctl_hashmap *sets;
};

struct ctl_store {
	struct ctl_hashmap *objects; /* key (borrowed) -> entry */
	/* index name (copied) -> set: a borrowed-key table, key -> entry */
	struct ctl_hashmap *by_ns;
	struct ctl_hashmap *by_owner;
	struct ctl_hashmap *by_label;
	struct field_index fields[CTL_STORE_INDEXES_MAX];
	size_t n_fields;
	unsigned gen;
	bool compact;
	bool index_labels;
	size_t text_bytes;
};

struct ctl_store *ctl_store_new(unsigned flags)
{
	struct ctl_store *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->compact = (flags & CTL_STORE_COMPACT) != 0;
	s->index_labels = (flags & CTL_STORE_INDEX_LABELS) != 0;
	s->objects = ctl_hashmap_new_borrowed();
	s->by_ns = ctl_hashmap_new();
	s->by_owner = ctl_hashmap_new();
	s->by_label = ctl_hashmap_new();
	if (!s->objects || !s->by_ns || !s->by_owner || !s->by_label)
		return ctl_store_free(s);
	return s;
}

static void free_index(struct ctl_hashmap *index)
{
	if (!index)
		return;
	size_t pos = 0;
	void *set;
	while (ctl_hashmap_next(index, &pos, NULL, &set))
		ctl_hashmap_free(set);
	ctl_hashmap_free(index);
}

struct ctl_store *ctl_store_free(struct ctl_store *s)
{
	if (!s)
		return NULL;
	if (s->objects) {
		size_t pos = 0;
		void *v;
		while (ctl_hashmap_next(s->objects, &pos, NULL, &v)) {
			struct entry *e = v;
			json_decref(e->obj);
			free(e->text);
			free(e->key);
			free(e);
		}
	}
	ctl_hashmap_free(s->objects);
	free_index(s->by_ns);
	free_index(s->by_owner);
	free_index(s->by_label);
	for (size_t i = 0; i < s->n_fields; i++) {
		free_index(s->fields[i].sets);
		free(s->fields[i].name);
	}
	free(s);
	return NULL;
}

static const char *meta_string(const json_t *obj, const char *field)
{
	return json_string_value(json_object_get(json_object_get(obj, "metadata"), field));
}

int ctl_object_key(const json_t *obj, char *buf, size_t len)
{
	const char *name = meta_string(obj, "name");
	const char *ns = meta_string(obj, "namespace");
	if (!name || !name[0])
		return -EINVAL;
	int n;
	if (ns && ns[0])
		n = snprintf(buf, len, "%s/%s", ns, name);
	else
		n = snprintf(buf, len, "%s", name);
	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	return 0;
}

/* ---- index maintenance ---- */

static int index_add(struct ctl_hashmap *index, const char *name, struct entry *e)
{
	struct ctl_hashmap *set = ctl_hashmap_get(index, name);
	bool fresh = false;
	if (!set) {
		set = ctl_hashmap_new_borrowed();
		if (!set)
			return -ENOMEM;
		if (ctl_hashmap_put(index, name, set, NULL) < 0) {
			ctl_hashmap_free(set);
			return -ENOMEM;
		}
		fresh = true;
	}
	if (ctl_hashmap_put(set, e->key, e, NULL) < 0) {
		if (fresh) {
			ctl_hashmap_remove(index, name, NULL);
			ctl_hashmap_free(set);
		}
		return -ENOMEM;
	}
	return 0;
}

static void index_remove(struct ctl_hashmap *index, const char *name, struct entry *e)
{
	struct ctl_hashmap *set = ctl_hashmap_get(index, name);
	if (!set)
		return;
	ctl_hashmap_remove(set, e->key, NULL);
	/* Drop empty sets so churn in label values cannot grow the index
	 * without bound. */
	if (ctl_hashmap_size(set) == 0) {
		ctl_hashmap_remove(index, name, NULL);
		ctl_hashmap_free(set);
	}
}

static int label_index_name(char *buf, size_t len, const char *ns, const char *k, const char *v)
{
	int n = snprintf(buf, len, "%s%c%s=%s", ns, SEP, k, v);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* Adds (add = true) or removes e's memberships in the field indexes. */
static int index_fields(struct ctl_store *s, struct entry *e, const json_t *obj, bool add)
{
	char values[CTL_INDEX_VALUES_MAX][CTL_STORE_KEY_MAX];
	for (size_t i = 0; i < s->n_fields; i++) {
		struct field_index *f = &s->fields[i];
		size_t n = f->fn(obj, values, CTL_INDEX_VALUES_MAX, f->userdata);
		for (size_t j = 0; j < n && j < CTL_INDEX_VALUES_MAX; j++) {
			if (!add) {
				index_remove(f->sets, values[j], e);
				continue;
			}
			int r = index_add(f->sets, values[j], e);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

/* Adds (add = true) or removes e's memberships derived from obj. Removal
 * never fails; a failed add leaves no partial membership behind. */
static int index_object(struct ctl_store *s, struct entry *e, const json_t *obj, bool add)
{
	const char *ns = meta_string(obj, "namespace");
	if (!ns)
		ns = "";
	json_t *meta = json_object_get(obj, "metadata");
	json_t *labels = s->index_labels ? json_object_get(meta, "labels") : NULL;
	json_t *owners = json_object_get(meta, "ownerReferences");
	char name[INDEX_KEY_MAX];
	int r = 0;

	if (add) {
		r = index_add(s->by_ns, ns, e);
		if (r < 0)
			return r;
	}
	const char *k;
	json_t *v;
	json_object_foreach(labels, k, v)
	{
		const char *val = json_string_value(v);
		/* Labels that cannot be indexed are still matched by the
		 * selector check; they just cannot narrow a query. */
		if (!val || label_index_name(name, sizeof(name), ns, k, val) < 0)
			continue;
		if (!add) {
			index_remove(s->by_label, name, e);
			continue;
		}
		r = index_add(s->by_label, name, e);
		if (r < 0)
			goto undo;
	}
	size_t i;
	json_t *ref;
	json_array_foreach(owners, i, ref)
	{
		const char *uid = json_string_value(json_object_get(ref, "uid"));
		if (!uid || !uid[0])
			continue;
		if (!add) {
			index_remove(s->by_owner, uid, e);
			continue;
		}
		r = index_add(s->by_owner, uid, e);
		if (r < 0)
			goto undo;
	}
	r = index_fields(s, e, obj, add);
	if (r < 0)
		goto undo;
	if (!add)
		index_remove(s->by_ns, ns, e);
	return 0;
undo:
	index_object(s, e, obj, false);
	return r;
}

/* ---- the two representations ---- */

/* A new reference to e's object: the object itself, or a fresh parse of
 * the compact text. NULL on out of memory. */
static json_t *materialize(const struct entry *e)
{
	if (e->obj)
		return json_incref(e->obj);
	/* Dumped by us, so it parses; JSON_ALLOW_NUL because a string may
	 * hold an escaped NUL that json_dumpb wrote. */
	return json_loadb(e->text, e->len, JSON_ALLOW_NUL, NULL);
}

/* Compact JSON of obj in a plain malloc block (not jansson's allocator, so
 * memcount counts only live JSON values). */
static char *serialize(const json_t *obj, size_t *ret_len)
{
	size_t n = json_dumpb(obj, NULL, 0, JSON_COMPACT);
	if (n == 0)
		return NULL;
	char *text = malloc(n);
	if (!text)
		return NULL;
	if (json_dumpb(obj, text, n, JSON_COMPACT) != n) {
		free(text);
		return NULL;
	}
	*ret_len = n;
	return text;
}

/* Makes e hold obj (taking a reference, or its text). 0 or -ENOMEM with e
 * unchanged. */
static int entry_set(struct ctl_store *s, struct entry *e, json_t *obj)
{
	if (!s->compact) {
		json_decref(e->obj);
		e->obj = json_incref(obj);
		return 0;
	}
	size_t len = 0;
	char *text = serialize(obj, &len);
	if (!text)
		return -ENOMEM;
	s->text_bytes -= e->len;
	free(e->text);
	e->text = text;
	e->len = len;
	s->text_bytes += len;
	return 0;
}

/* ---- add, update, delete ---- */

int ctl_store_upsert(struct ctl_store *s, json_t *obj, json_t **ret_old)
{
	char key[CTL_STORE_KEY_MAX];
	if (!json_is_object(obj) || ctl_object_key(obj, key, sizeof(key)) < 0)
		return -EINVAL;
	struct entry *e = ctl_hashmap_get(s->objects, key);
	if (e) {
		/* The old object drives index removal; a compact store has to
		 * parse it back for that. */
		json_t *old = materialize(e);
		if (!old)
			return -ENOMEM;
		index_object(s, e, old, false);
		if (index_object(s, e, obj, true) < 0 || entry_set(s, e, obj) < 0) {
			index_object(s, e, obj, false);
			/* Restore the old memberships; they fitted before. */
			index_object(s, e, old, true);
			json_decref(old);
			return -ENOMEM;
		}
		e->gen = s->gen;
		if (ret_old)
			*ret_old = old;
		else
			json_decref(old);
		return 1;
	}
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->key = strdup(key);
	if (!e->key || entry_set(s, e, obj) < 0)
		goto fail;
	e->gen = s->gen;
	if (ctl_hashmap_put(s->objects, e->key, e, NULL) < 0)
		goto fail;
	if (index_object(s, e, obj, true) < 0) {
		ctl_hashmap_remove(s->objects, e->key, NULL);
		goto fail;
	}
	return 0;
fail:
	json_decref(e->obj);
	s->text_bytes -= e->len;
	free(e->text);
	free(e->key);
	free(e);
	return -ENOMEM;
}

int ctl_store_delete(struct ctl_store *s, const char *key, json_t **ret_old)
{
	struct entry *e = ctl_hashmap_get(s->objects, key);
	if (!e)
		return -ENOENT;
	json_t *old = materialize(e);
	if (!old)
		return -ENOMEM;
	index_object(s, e, old, false);
	ctl_hashmap_remove(s->objects, e->key, NULL);
	if (ret_old)
		*ret_old = old;
	else
		json_decref(old);
	json_decref(e->obj);
	s->text_bytes -= e->len;
	free(e->text);
	free(e->key);
	free(e);
	return 0;
}

int ctl_store_get(const struct ctl_store *s, const char *key, json_t **ret)
{
	struct entry *e = ctl_hashmap_get(s->objects, key);
	if (!e)
		return -ENOENT;
	json_t *o = materialize(e);
	if (!o)
		return -ENOMEM;
	*ret = o;
	return 0;
}

bool ctl_store_has(const struct ctl_store *s, const char *key)
{
	return ctl_hashmap_get(s->objects, key) != NULL;
}

size_t ctl_store_len(const struct ctl_store *s)
{
	return ctl_hashmap_size(s->objects);
}

/* ---- queries ---- */

static bool matches_checked(const json_t *selector, const json_t *labels);

/* Visits the entries of set (the primary table or an index set), those
 * matching selector when it is not NULL (already validated). */
static int walk_set(const struct ctl_hashmap *set, const json_t *selector, ctl_store_visit_fn fn,
                    void *userdata)
{
	if (!set)
		return 0;
	size_t pos = 0;
	void *v;
	while (ctl_hashmap_next(set, &pos, NULL, &v)) {
		struct entry *e = v;
		json_t *o = materialize(e);
		if (!o)
			return -ENOMEM;
		int r = 0;
		json_t *labels = json_object_get(json_object_get(o, "metadata"), "labels");
		if (!selector || matches_checked(selector, labels))
			r = fn(e->key, o, userdata);
		json_decref(o);
		if (r != 0)
			return r;
	}
	return 0;
}

int ctl_store_list(const struct ctl_store *s, const char *ns, ctl_store_visit_fn fn, void *userdata)
{
	if (!ns)
		return walk_set(s->objects, NULL, fn, userdata);
	return walk_set(ctl_hashmap_get(s->by_ns, ns), NULL, fn, userdata);
}

int ctl_store_by_owner(const struct ctl_store *s, const char *uid, ctl_store_visit_fn fn,
                       void *userdata)
{
	return walk_set(ctl_hashmap_get(s->by_owner, uid), NULL, fn, userdata);
}

static const struct field_index *field_index(const struct ctl_store *s, const char *name)
{
	for (size_t i = 0; i < s->n_fields; i++)
		if (strcmp(s->fields[i].name, name) == 0)
			return &s->fields[i];
	return NULL;
}

int ctl_store_add_index(struct ctl_store *s, const char *name, ctl_index_fn *fn, void *userdata)
{
	if (!name || !fn)
		return -EINVAL;
	if (field_index(s, name))
		return -EEXIST;
	if (ctl_store_len(s) > 0)
		return -EBUSY;
	if (s->n_fields == CTL_STORE_INDEXES_MAX)
		return -ENOSPC;
	struct field_index *f = &s->fields[s->n_fields];
	f->name = strdup(name);
	f->sets = ctl_hashmap_new();
	if (!f->name || !f->sets) {
		free(f->name);
		ctl_hashmap_free(f->sets);
		*f = (struct field_index){0};
		return -ENOMEM;
	}
	f->fn = fn;
	f->userdata = userdata;
	s->n_fields++;
	return 0;
}

bool ctl_store_has_index(const struct ctl_store *s, const char *name)
{
	return field_index(s, name) != NULL;
}

int ctl_store_by_index(const struct ctl_store *s, const char *name, const char *value,
                       ctl_store_visit_fn fn, void *userdata)
{
	const struct field_index *f = field_index(s, name);
	if (!f)
		return -EINVAL;
	return walk_set(ctl_hashmap_get(f->sets, value), NULL, fn, userdata);
}

static bool string_in(const json_t *values, const char *s)
{
	size_t i;
	json_t *v;
	json_array_foreach(values, i, v)
	{
		const char *vs = json_string_value(v);
		if (vs && strcmp(vs, s) == 0)
			return true;
	}
	return false;
}

static int check_selector(const json_t *selector)
{
	if (!json_is_object(selector))
		return -EINVAL;
	json_t *ml = json_object_get(selector, "matchLabels");
	json_t *me = json_object_get(selector, "matchExpressions");
	if (ml && !json_is_null(ml)) {
		if (!json_is_object(ml))
			return -EINVAL;
		const char *k;
		json_t *v;
		json_object_foreach(ml, k, v)
		{
			if (!json_is_string(v))
				return -EINVAL;
		}
	}
	if (me && !json_is_null(me)) {
		if (!json_is_array(me))
			return -EINVAL;
		size_t i;
		json_t *req;
		json_array_foreach(me, i, req)
		{
			const char *key = json_string_value(json_object_get(req, "key"));
			const char *op = json_string_value(json_object_get(req, "operator"));
			json_t *values = json_object_get(req, "values");
			size_t nvalues = json_is_array(values) ? json_array_size(values) : 0;
			if (!key || !op ||
			    (values && !json_is_null(values) && !json_is_array(values)))
				return -EINVAL;
			size_t j;
			json_t *v;
			json_array_foreach(values, j, v)
			{
				if (!json_is_string(v))
					return -EINVAL;
			}
			bool set_op = strcmp(op, "In") == 0 || strcmp(op, "NotIn") == 0;
			bool exist_op =
			    strcmp(op, "Exists") == 0 || strcmp(op, "DoesNotExist") == 0;
			/* Kubernetes rejects In/NotIn without values and
			 * Exists/DoesNotExist with values. */
			if ((set_op && nvalues == 0) || (exist_op && nvalues > 0) ||
			    (!set_op && !exist_op))
				return -EINVAL;
		}
	}
	return 0;
}

/* Matching for a selector already checked by check_selector. */
static bool matches_checked(const json_t *selector, const json_t *labels)
{
	const char *k;
	json_t *v;
	json_object_foreach(json_object_get(selector, "matchLabels"), k, v)
	{
		const char *have = json_string_value(json_object_get(labels, k));
		if (!have || strcmp(have, json_string_value(v)) != 0)
			return false;
	}
	size_t i;
	json_t *req;
	json_array_foreach(json_object_get(selector, "matchExpressions"), i, req)
	{
		const char *key = json_string_value(json_object_get(req, "key"));
		const char *op = json_string_value(json_object_get(req, "operator"));
		json_t *values = json_object_get(req, "values");
		const char *have = json_string_value(json_object_get(labels, key));
		bool ok;
		if (strcmp(op, "In") == 0)
			ok = have && string_in(values, have);
		else if (strcmp(op, "NotIn") == 0)
			ok = !have || !string_in(values, have);
		else if (strcmp(op, "Exists") == 0)
			ok = have != NULL;
		else
			ok = have == NULL;
		if (!ok)
			return false;
	}
	return true;
}

int ctl_selector_matches(const json_t *selector, const json_t *labels)
{
	if (!selector || json_is_null(selector))
		return 0;
	int r = check_selector(selector);
	if (r < 0)
		return r;
	return matches_checked(selector, labels) ? 1 : 0;
}

/* Narrows a candidate set: keeps the smaller of *best and the set for
 * label pair k=v in ns. An absent set means no object can match. */
static void narrow(const struct ctl_store *s, const char *ns, const char *k, const char *v,
                   const struct ctl_hashmap **best, bool *empty)
{
	char name[INDEX_KEY_MAX];
	if (label_index_name(name, sizeof(name), ns, k, v) < 0)
		return;
	const struct ctl_hashmap *set = ctl_hashmap_get(s->by_label, name);
	if (!set) {
		*empty = true;
		return;
	}
	if (!*best || ctl_hashmap_size(set) < ctl_hashmap_size(*best))
		*best = set;
}

int ctl_store_select(const struct ctl_store *s, const char *ns, const json_t *selector,
                     ctl_store_visit_fn fn, void *userdata)
{
	if (!selector || json_is_null(selector))
		return 0;
	int r = check_selector(selector);
	if (r < 0)
		return r;
	if (!ns)
		return walk_set(s->objects, selector, fn, userdata);
	if (!s->index_labels)
		return walk_set(ctl_hashmap_get(s->by_ns, ns), selector, fn, userdata);
	const struct ctl_hashmap *best = NULL;
	bool empty = false;
	const char *k;
	json_t *v;
	json_object_foreach(json_object_get(selector, "matchLabels"), k, v)
	{
		narrow(s, ns, k, json_string_value(v), &best, &empty);
	}
	size_t i;
	json_t *req;
	json_array_foreach(json_object_get(selector, "matchExpressions"), i, req)
	{
		const char *op = json_string_value(json_object_get(req, "operator"));
		json_t *values = json_object_get(req, "values");
		if (strcmp(op, "In") == 0 && json_array_size(values) == 1)
			narrow(s, ns, json_string_value(json_object_get(req, "key")),
			       json_string_value(json_array_get(values, 0)), &best, &empty);
	}
	if (empty)
		return 0;
	if (!best)
		best = ctl_hashmap_get(s->by_ns, ns);
	/* Every candidate set is per namespace, so only labels are left to
	 * check. */
	return walk_set(best, selector, fn, userdata);
}

/* ---- replace ---- */

static const struct ctl_store_replace_ops no_ops;

void ctl_store_replace_begin(struct ctl_store *s)
{
	/* Mark-and-sweep: everything added from now on carries the new
	 * generation; what still has an older one at the end vanished. */
	s->gen++;
}

int ctl_store_replace_add(struct ctl_store *s, json_t *obj, const struct ctl_store_replace_ops *ops,
                          void *userdata)
{
	if (!ops)
		ops = &no_ops;
	json_t *old = NULL;
	int r = ctl_store_upsert(s, obj, &old);
	if (r < 0)
		return r;
	char key[CTL_STORE_KEY_MAX];
	ctl_object_key(obj, key, sizeof(key));
	if (ops->on_upsert)
		ops->on_upsert(key, old, obj, userdata);
	json_decref(old);
	return 0;
}

int ctl_store_replace_end(struct ctl_store *s, const struct ctl_store_replace_ops *ops,
                          void *userdata)
{
	if (!ops)
		ops = &no_ops;
	int result = 0;
	size_t n = 0, cap = 0;
	struct entry **gone = NULL;
	size_t pos = 0;
	void *v;
	while (ctl_hashmap_next(s->objects, &pos, NULL, &v)) {
		struct entry *e = v;
		if (e->gen == s->gen)
			continue;
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			struct entry **ng = realloc(gone, ncap * sizeof(*ng));
			if (!ng) {
				result = -ENOMEM;
				break;
			}
			gone = ng;
			cap = ncap;
		}
		gone[n++] = e;
	}
	for (size_t j = 0; j < n; j++) {
		json_t *old = NULL;
		/* The key dies with the entry: keep a copy for the callback. */
		char key[CTL_STORE_KEY_MAX];
		snprintf(key, sizeof(key), "%s", gone[j]->key);
		if (ctl_store_delete(s, key, &old) < 0) {
			result = -ENOMEM;
			continue;
		}
		if (ops->on_delete)
			ops->on_delete(key, old, userdata);
		json_decref(old);
	}
	free(gone);
	return result;
}

int ctl_store_replace(struct ctl_store *s, json_t *items, const struct ctl_store_replace_ops *ops,
                      void *userdata)
{
	if (!json_is_array(items))
		return -EINVAL;
	ctl_store_replace_begin(s);
	int result = 0;
	size_t i;
	json_t *obj;
	json_array_foreach(items, i, obj)
	{
		int r = ctl_store_replace_add(s, obj, ops, userdata);
		if (r < 0 && (result == 0 || r == -ENOMEM))
			result = r;
	}
	int r = ctl_store_replace_end(s, ops, userdata);
	return r < 0 ? r : result;
}

static size_t index_bytes(const struct ctl_hashmap *index)
{
	size_t total = ctl_hashmap_bytes(index);
	size_t pos = 0;
	void *set;
	while (ctl_hashmap_next(index, &pos, NULL, &set))
		total += ctl_hashmap_bytes(set);
	return total;
}

size_t ctl_store_index_sets(const struct ctl_store *s)
{
	size_t n = ctl_hashmap_size(s->by_ns) + ctl_hashmap_size(s->by_owner) +
	           ctl_hashmap_size(s->by_label);
	for (size_t i = 0; i < s->n_fields; i++)
		n += ctl_hashmap_size(s->fields[i].sets);
	return n;
}

size_t ctl_store_bytes(const struct ctl_store *s)
{
	size_t total = sizeof(*s) + ctl_hashmap_bytes(s->objects) + s->text_bytes;
	size_t pos = 0;
	const char *key;
	while (ctl_hashmap_next(s->objects, &pos, &key, NULL))
		total += sizeof(struct entry) + strlen(key) + 1;
	for (size_t i = 0; i < s->n_fields; i++)
		total += index_bytes(s->fields[i].sets);
	return total + index_bytes(s->by_ns) + index_bytes(s->by_owner) + index_bytes(s->by_label);
}

/* ---- stripping ---- */

void ctl_object_strip(json_t *obj)
{
	json_t *meta = json_object_get(obj, "metadata");
	if (!json_is_object(meta))
		return;
	json_object_del(meta, "managedFields");
	json_t *ann = json_object_get(meta, "annotations");
	if (json_is_object(ann)) {
		json_object_del(ann, "kubectl.kubernetes.io/last-applied-configuration");
		if (json_object_size(ann) == 0)
			json_object_del(meta, "annotations");
	}
}

void ctl_object_strip_paths(json_t *obj, const char *const *paths, size_t n)
{
	ctl_object_strip(obj);
	for (size_t i = 0; i < n; i++) {
		char buf[256];
		if (snprintf(buf, sizeof(buf), "%s", paths[i]) >= (int)sizeof(buf))
			continue;
		json_t *parent = obj;
		char *save = NULL;
		char *part = strtok_r(buf, ".", &save);
		while (part && parent) {
			char *next = strtok_r(NULL, ".", &save);
			if (!next) {
				json_object_del(parent, part);
				break;
			}
			parent = json_object_get(parent, part);
			if (!json_is_object(parent))
				parent = NULL;
			part = next;
		}
	}
}

/* ---- owners ---- */

int ctl_object_owner_key(const json_t *obj, const char *group, const char *kind, char *buf,
                         size_t len)
{
	json_t *owners = json_object_get(json_object_get(obj, "metadata"), "ownerReferences");
	size_t i;
	json_t *ref;
	json_array_foreach(owners, i, ref)
	{
		if (!json_is_true(json_object_get(ref, "controller")))
			continue;
		const char *rkind = json_string_value(json_object_get(ref, "kind"));
		const char *api = json_string_value(json_object_get(ref, "apiVersion"));
		const char *name = json_string_value(json_object_get(ref, "name"));
		if (!rkind || !api || !name || strcmp(rkind, kind) != 0)
			continue;
		/* apiVersion is "group/version", or just "version" for core. */
		const char *slash = strchr(api, '/');
		size_t glen = slash ? (size_t)(slash - api) : 0;
		if (strlen(group) != glen || strncmp(api, group, glen) != 0)
			continue;
		const char *ns = meta_string(obj, "namespace");
		int n = ns && ns[0] ? snprintf(buf, len, "%s/%s", ns, name)
		                    : snprintf(buf, len, "%s", name);
		if (n < 0 || (size_t)n >= len)
			return -ENAMETOOLONG;
		return 0;
	}
	return -ENOENT;
}

/* json_equal, with two missing values equal (json_equal says 0). */
static bool same_value(const json_t *a, const json_t *b)
{
	if (!a || !b)
		return a == b;
	return json_equal(a, b);
}

bool ctl_object_changed_beyond_status(const json_t *old, const json_t *obj)
{
	static const char *const fields[] = {"generation", "labels", "annotations",
	                                     "deletionTimestamp"};
	const json_t *was = json_object_get(old, "metadata");
	const json_t *is = json_object_get(obj, "metadata");
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (!same_value(json_object_get(was, fields[i]), json_object_get(is, fields[i])))
			return true;
	return false;
}
