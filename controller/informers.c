#include "controller/informers.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* One shared informer and what identifies it: the first asker's kind (its
 * strings and arrays borrowed) and the indexes added so far. */
struct shared {
	struct ctl_kind kind; /* without indexes */
	struct ctl_index indexes[CTL_STORE_INDEXES_MAX];
	size_t n_indexes;
	struct ctl_informer *inf;
};

struct ctl_informers {
	struct kc_client *client;
	const char *const *namespaces;
	struct shared **items;
	size_t n;
	bool started;
};

static const char *or_empty(const char *s)
{
	return s ? s : "";
}

static bool streq_opt(const char *a, const char *b)
{
	return strcmp(or_empty(a), or_empty(b)) == 0;
}

struct ctl_kind ctl_kind_of(const struct model_gvk *gvk)
{
	return (struct ctl_kind){.group = gvk->group,
	                         .version = gvk->version,
	                         .resource = gvk->resource,
	                         .kind = gvk->kind,
	                         .namespaced = gvk->namespaced};
}

int ctl_informers_new(struct kc_client *c, const char *const *namespaces,
                      struct ctl_informers **ret)
{
	struct ctl_informers *f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->client = c;
	f->namespaces = namespaces;
	*ret = f;
	return 0;
}

struct ctl_informers *ctl_informers_free(struct ctl_informers *f)
{
	if (!f)
		return NULL;
	for (size_t i = 0; i < f->n; i++) {
		ctl_informer_free(f->items[i]->inf);
		free(f->items[i]);
	}
	free(f->items);
	free(f);
	return NULL;
}

static bool same_storage(const struct ctl_kind *a, const struct ctl_kind *b)
{
	if (a->compact != b->compact || a->n_strip_paths != b->n_strip_paths)
		return false;
	for (size_t i = 0; i < a->n_strip_paths; i++)
		if (strcmp(a->strip_paths[i], b->strip_paths[i]) != 0)
			return false;
	return true;
}

static struct shared *find(const struct ctl_informers *f, const struct ctl_kind *k)
{
	for (size_t i = 0; i < f->n; i++) {
		const struct ctl_kind *s = &f->items[i]->kind;
		if (streq_opt(s->group, k->group) && strcmp(s->version, k->version) == 0 &&
		    strcmp(s->resource, k->resource) == 0 &&
		    streq_opt(s->label_selector, k->label_selector))
			return f->items[i];
	}
	return NULL;
}

/* Adds k's indexes that sh lacks; one of the same name must be the same
 * function with the same userdata. */
static int add_indexes(struct shared *sh, const struct ctl_kind *k, struct kc_error *err)
{
	for (size_t i = 0; i < k->n_indexes; i++) {
		const struct ctl_index *want = &k->indexes[i];
		bool have = false;
		for (size_t j = 0; j < sh->n_indexes && !have; j++) {
			const struct ctl_index *got = &sh->indexes[j];
			if (strcmp(got->name, want->name) != 0)
				continue;
			if (got->fn != want->fn || got->userdata != want->userdata)
				return kc_error_set(err, -EINVAL,
				                    "informer %s: index %s is defined twice, "
				                    "differently",
				                    k->resource, want->name);
			have = true;
		}
		if (have)
			continue;
		if (sh->n_indexes == CTL_STORE_INDEXES_MAX)
			return kc_error_set(err, -EINVAL, "informer %s: more than %d indexes",
			                    k->resource, CTL_STORE_INDEXES_MAX);
		int r = ctl_informer_add_index(sh->inf, want->name, want->fn, want->userdata);
		if (r < 0)
			return kc_error_set(err, r, "informer %s: cannot add index %s%s",
			                    k->resource, want->name,
			                    r == -EBUSY ? " after the start" : "");
		sh->indexes[sh->n_indexes++] = *want;
	}
	return 0;
}

/* A new shared informer for k, appended to f. */
static int create(struct ctl_informers *f, const struct ctl_kind *k, struct shared **ret,
                  struct kc_error *err)
{
	if (f->started)
		return kc_error_set(err, -EBUSY, "informer %s: asked for after the start",
		                    k->resource);
	struct shared **items = realloc(f->items, (f->n + 1) * sizeof(*items));
	if (!items)
		return kc_error_set(err, -ENOMEM, "informers: out of memory");
	f->items = items;
	struct shared *sh = calloc(1, sizeof(*sh));
	if (!sh)
		return kc_error_set(err, -ENOMEM, "informers: out of memory");
	struct ctl_informer_options o = {
	    .group = k->group,
	    .version = k->version,
	    .resource = k->resource,
	    .namespaces = k->namespaced ? f->namespaces : NULL,
	    .label_selector = k->label_selector,
	    .strip_paths = k->strip_paths,
	    .n_strip_paths = k->n_strip_paths,
	    .compact = k->compact,
	    .optional = k->optional,
	};
	int r = ctl_informer_new(f->client, &o, &sh->inf, err);
	if (r < 0) {
		free(sh);
		return r;
	}
	sh->kind = *k;
	sh->kind.indexes = NULL;
	sh->kind.n_indexes = 0;
	f->items[f->n++] = sh;
	*ret = sh;
	return 0;
}

int ctl_informers_get(struct ctl_informers *f, const struct ctl_kind *k, struct ctl_informer **ret,
                      struct kc_error *err)
{
	if (!k->version || !k->resource)
		return kc_error_set(err, -EINVAL, "informers: a kind needs version and resource");
	struct shared *sh = find(f, k);
	if (sh && !same_storage(&sh->kind, k))
		return kc_error_set(err, -EINVAL,
		                    "informer %s: asked for twice with different storage (compact, "
		                    "strip_paths)",
		                    k->resource);
	if (sh && sh->kind.optional != k->optional)
		return kc_error_set(err, -EINVAL,
		                    "informer %s: asked for as optional and as required",
		                    k->resource);
	if (sh && sh->kind.namespaced != k->namespaced)
		return kc_error_set(err, -EINVAL,
		                    "informer %s: asked for as namespaced and as cluster-scoped",
		                    k->resource);
	if (!sh) {
		int r = create(f, k, &sh, err);
		if (r < 0)
			return r;
	}
	int r = add_indexes(sh, k, err);
	if (r < 0)
		return r;
	*ret = sh->inf;
	return 0;
}

int ctl_informers_start(struct ctl_informers *f)
{
	f->started = true;
	for (size_t i = 0; i < f->n; i++) {
		int r = ctl_informer_start(f->items[i]->inf);
		if (r < 0 && r != -EALREADY)
			return r;
	}
	return 0;
}

bool ctl_informers_synced(const struct ctl_informers *f)
{
	for (size_t i = 0; i < f->n; i++)
		if (!ctl_informer_synced(f->items[i]->inf))
			return false;
	return true;
}

size_t ctl_informers_len(const struct ctl_informers *f)
{
	return f->n;
}

struct ctl_informer *ctl_informers_at(const struct ctl_informers *f, size_t i)
{
	return i < f->n ? f->items[i]->inf : NULL;
}
