#include "controller/informer.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "controller/log.h"
#include "kubeclient/watch.h"

/* One watched namespace (or all of them, ns NULL) with its own store. */
struct shard {
	struct ctl_informer *inf;
	char *ns;
	struct kc_watch *watch;
	struct ctl_store *store;
	bool absent; /* optional kind: the last list or watch was answered 404 */
};

struct handler {
	ctl_informer_fn *fn;
	void *userdata;
};

struct ctl_informer {
	char *resource;
	char *label_selector; /* or NULL */
	char **strip_paths;
	size_t n_strip_paths;
	struct handler *handlers;
	size_t n_handlers;
	size_t n_shards;
	struct shard *shards;
	bool optional;
	bool started;
};

static const char *str_or_empty(const char *s)
{
	return s ? s : "";
}

static const char *resource_version(const json_t *obj)
{
	return json_string_value(
	    json_object_get(json_object_get(obj, "metadata"), "resourceVersion"));
}

static void notify(struct ctl_informer *inf, enum ctl_informer_event ev, const json_t *old,
                   const json_t *obj)
{
	for (size_t i = 0; i < inf->n_handlers; i++)
		inf->handlers[i].fn(inf, ev, old, obj, inf->handlers[i].userdata);
}

static void strip(const struct ctl_informer *inf, json_t *obj)
{
	ctl_object_strip(obj);
	ctl_object_strip_paths(obj, (const char *const *)inf->strip_paths, inf->n_strip_paths);
}

/* The watch's transform: every object is stripped as it arrives. Listed
 * objects then go into the store one by one while their page is at hand
 * (list_items), so a first list of 10,000 objects never holds more than a
 * page of them parsed. */
static void strip_arriving(json_t *obj, void *userdata)
{
	struct shard *sh = userdata;
	strip(sh->inf, obj);
}

/* ADD when there was no old object, UPDATE when its resourceVersion moved
 * (a relist hands over unchanged objects too: those are not news). */
static void notify_upsert(struct shard *sh, const json_t *old, const json_t *obj)
{
	if (!old) {
		notify(sh->inf, CTL_INFORMER_ADD, NULL, obj);
		return;
	}
	const char *was = resource_version(old), *now = resource_version(obj);
	if (!(was && now && strcmp(was, now) == 0))
		notify(sh->inf, CTL_INFORMER_UPDATE, old, obj);
}

static void upsert(struct shard *sh, json_t *obj)
{
	json_t *old = NULL;
	int r = ctl_store_upsert(sh->store, obj, &old);
	if (r < 0)
		return; /* no key, or ENOMEM: the next relist repairs the store */
	notify_upsert(sh, r == 1 ? old : NULL, obj);
	json_decref(old);
}

static void replace_upsert(const char *key, json_t *old, json_t *obj, void *userdata)
{
	notify_upsert(userdata, old, obj);
}

static void replace_delete(const char *key, json_t *old, void *userdata)
{
	struct shard *sh = userdata;
	notify(sh->inf, CTL_INFORMER_DELETE, old, old);
}

static const struct ctl_store_replace_ops replace_ops = {replace_upsert, replace_delete};

/* A list or an event came: an optional resource that was not served is. */
static void served_again(struct shard *sh, enum kc_watch_change change)
{
	if (!sh->absent || change == KC_WATCH_LIST_BEGIN || change == KC_WATCH_LIST_ITEM)
		return;
	sh->absent = false;
	ctl_log(NULL, CTL_LOG_INFO, "resource served again", "resource", sh->inf->resource,
	        "namespace", sh->ns ? sh->ns : "(all)", NULL);
}

static void on_change(struct kc_watch *w, enum kc_watch_change change, json_t *obj, void *userdata)
{
	struct shard *sh = userdata;
	struct ctl_informer *inf = sh->inf;
	char key[CTL_STORE_KEY_MAX];
	json_t *old = NULL;

	served_again(sh, change);
	switch (change) {
	case KC_WATCH_ADDED:
	case KC_WATCH_MODIFIED:
		upsert(sh, obj);
		break;
	case KC_WATCH_DELETED:
		if (ctl_object_key(obj, key, sizeof(key)) < 0)
			break;
		if (ctl_store_delete(sh->store, key, &old) == 0) {
			notify(inf, CTL_INFORMER_DELETE, old, obj);
			json_decref(old);
		}
		break;
	case KC_WATCH_LIST_BEGIN:
		ctl_store_replace_begin(sh->store);
		break;
	case KC_WATCH_LIST_ITEM:
		/* Failures leave the item out: the sweep then drops its stale
		 * copy, and the next relist repairs it. */
		ctl_store_replace_add(sh->store, obj, &replace_ops, sh);
		break;
	case KC_WATCH_REPLACE:
		ctl_store_replace_end(sh->store, &replace_ops, sh);
		break;
	}
}

/* An optional kind answered 404 (or 403): the collection is empty (a CRD
 * removed while watched takes its objects with it), and that is a synced
 * state. The watch goes on retrying with backoff, so the resource is found
 * when it is installed (or the RBAC grants it). */
static void resource_absent(struct shard *sh, long status)
{
	ctl_store_replace_begin(sh->store);
	ctl_store_replace_end(sh->store, &replace_ops, sh);
	if (sh->absent)
		return;
	sh->absent = true;
	ctl_log(NULL, CTL_LOG_INFO,
	        status == 403 ? "resource forbidden; treated as empty until it is not"
	                      : "resource not served; treated as empty until it is",
	        "resource", sh->inf->resource, "namespace", sh->ns ? sh->ns : "(all)", NULL);
}

/* Every failure the watch recovers from is worth a line: a watch that keeps
 * failing (RBAC, a CRD not installed) would otherwise leave the cache empty
 * in silence. An optional kind's 404 or 403 is no failure but a state, logged once
 * (resource_absent). */
static void on_watch_error(struct kc_watch *w, enum kc_watch_input what, const struct kc_error *err,
                           void *userdata)
{
	struct shard *sh = userdata;
	if (sh->inf->optional && err && (err->http_status == 404 || err->http_status == 403) &&
	    (what == KC_WATCH_IN_LIST_FAILED || what == KC_WATCH_IN_WATCH_FAILED)) {
		resource_absent(sh, err->http_status);
		return;
	}
	ctl_log(NULL, CTL_LOG_WARN, "watch failed; retrying", "resource", sh->inf->resource,
	        "namespace", sh->ns ? sh->ns : "(all)", "as", kc_watch_input_name(what), "error",
	        err ? err->message : "", NULL);
}

int ctl_informer_new(struct kc_client *c, const struct ctl_informer_options *opts,
                     struct ctl_informer **ret, struct kc_error *err)
{
	if (!opts->version || !opts->resource)
		return kc_error_set(err, -EINVAL, "informer: version and resource are required");

	struct ctl_informer *inf = calloc(1, sizeof(*inf));
	if (!inf)
		return kc_error_set(err, -ENOMEM, "informer: out of memory");
	inf->optional = opts->optional;
	inf->resource = strdup(opts->resource);
	if (!inf->resource)
		goto nomem;
	if (opts->label_selector && opts->label_selector[0]) {
		inf->label_selector = strdup(opts->label_selector);
		if (!inf->label_selector)
			goto nomem;
	}
	if (opts->n_strip_paths) {
		inf->strip_paths = calloc(opts->n_strip_paths, sizeof(char *));
		if (!inf->strip_paths)
			goto nomem;
		for (size_t i = 0; i < opts->n_strip_paths; i++) {
			inf->strip_paths[i] = strdup(opts->strip_paths[i]);
			if (!inf->strip_paths[i])
				goto nomem;
			inf->n_strip_paths++;
		}
	}

	size_t n = 1;
	if (opts->namespaces)
		for (n = 0; opts->namespaces[n]; n++)
			;
	if (n == 0) {
		ctl_informer_free(inf);
		return kc_error_set(err, -EINVAL, "informer %s: the namespace list is empty",
		                    opts->resource);
	}
	inf->shards = calloc(n, sizeof(*inf->shards));
	if (!inf->shards)
		goto nomem;
	for (size_t i = 0; i < n; i++) {
		struct shard *sh = &inf->shards[i];
		sh->inf = inf;
		inf->n_shards++;
		if (opts->namespaces) {
			sh->ns = strdup(opts->namespaces[i]);
			if (!sh->ns)
				goto nomem;
		}
		sh->store = ctl_store_new(opts->compact ? CTL_STORE_COMPACT : 0);
		if (!sh->store)
			goto nomem;
		struct kc_watch_options wo = {
		    .group = opts->group,
		    .version = opts->version,
		    .resource = opts->resource,
		    .ns = sh->ns,
		    .label_selector = opts->label_selector,
		    .transform = strip_arriving,
		    .list_items = true,
		    .on_change = on_change,
		    .on_error = on_watch_error,
		    .userdata = sh,
		};
		int r = kc_watch_new(c, &wo, &sh->watch, err);
		if (r < 0) {
			ctl_informer_free(inf);
			return r;
		}
	}
	*ret = inf;
	return 0;

nomem:
	ctl_informer_free(inf);
	return kc_error_set(err, -ENOMEM, "informer: out of memory");
}

int ctl_informer_start(struct ctl_informer *inf)
{
	if (inf->started)
		return -EALREADY;
	inf->started = true;
	for (size_t i = 0; i < inf->n_shards; i++) {
		int r = kc_watch_start(inf->shards[i].watch);
		if (r < 0)
			return r;
	}
	return 0;
}

struct ctl_informer *ctl_informer_free(struct ctl_informer *inf)
{
	if (!inf)
		return NULL;
	for (size_t i = 0; i < inf->n_shards; i++) {
		kc_watch_free(inf->shards[i].watch);
		ctl_store_free(inf->shards[i].store);
		free(inf->shards[i].ns);
	}
	free(inf->shards);
	for (size_t i = 0; i < inf->n_strip_paths; i++)
		free(inf->strip_paths[i]);
	free(inf->strip_paths);
	free(inf->handlers);
	free(inf->resource);
	free(inf->label_selector);
	free(inf);
	return NULL;
}

int ctl_informer_add_handler(struct ctl_informer *inf, ctl_informer_fn *fn, void *userdata)
{
	if (inf->started)
		return -EBUSY;
	struct handler *h = realloc(inf->handlers, (inf->n_handlers + 1) * sizeof(*h));
	if (!h)
		return -ENOMEM;
	h[inf->n_handlers++] = (struct handler){fn, userdata};
	inf->handlers = h;
	return 0;
}

void ctl_informer_remove_handler(struct ctl_informer *inf, ctl_informer_fn *fn, void *userdata)
{
	for (size_t i = 0; i < inf->n_handlers; i++) {
		if (inf->handlers[i].fn != fn || inf->handlers[i].userdata != userdata)
			continue;
		memmove(&inf->handlers[i], &inf->handlers[i + 1],
		        (inf->n_handlers - i - 1) * sizeof(inf->handlers[0]));
		inf->n_handlers--;
		return;
	}
}

int ctl_informer_add_index(struct ctl_informer *inf, const char *name, ctl_index_fn *fn,
                           void *userdata)
{
	if (inf->started)
		return -EBUSY;
	for (size_t i = 0; i < inf->n_shards; i++) {
		int r = ctl_store_add_index(inf->shards[i].store, name, fn, userdata);
		if (r < 0)
			return r; /* -EEXIST comes from the first shard: nothing added */
	}
	return 0;
}

bool ctl_informer_has_index(const struct ctl_informer *inf, const char *name)
{
	return ctl_store_has_index(inf->shards[0].store, name);
}

bool ctl_informer_synced(const struct ctl_informer *inf)
{
	for (size_t i = 0; i < inf->n_shards; i++)
		if (!kc_watch_synced(inf->shards[i].watch) && !inf->shards[i].absent)
			return false;
	return true;
}

bool ctl_informer_served(const struct ctl_informer *inf)
{
	for (size_t i = 0; i < inf->n_shards; i++)
		if (inf->shards[i].absent)
			return false;
	return true;
}

const char *ctl_informer_resource(const struct ctl_informer *inf)
{
	return inf->resource;
}

const char *ctl_informer_label_selector(const struct ctl_informer *inf)
{
	return inf->label_selector;
}

/* The shard that holds namespace ns: the all-namespaces shard, the one
 * named ns, or NULL when ns is not watched. */
static struct shard *shard_for(const struct ctl_informer *inf, const char *ns)
{
	for (size_t i = 0; i < inf->n_shards; i++) {
		struct shard *sh = &inf->shards[i];
		if (!sh->ns || strcmp(sh->ns, str_or_empty(ns)) == 0)
			return sh;
	}
	return NULL;
}

int ctl_informer_get(const struct ctl_informer *inf, const char *key, json_t **ret)
{
	const char *slash = strchr(key, '/');
	char ns[CTL_STORE_KEY_MAX] = "";
	if (slash) {
		size_t len = (size_t)(slash - key);
		if (len >= sizeof(ns))
			return -ENOENT;
		memcpy(ns, key, len);
		ns[len] = '\0';
	}
	struct shard *sh = shard_for(inf, ns);
	return sh ? ctl_store_get(sh->store, key, ret) : -ENOENT;
}

int ctl_informer_by_owner(const struct ctl_informer *inf, const char *ns, const char *uid,
                          ctl_store_visit_fn fn, void *userdata)
{
	if (ns) {
		struct shard *sh = shard_for(inf, ns);
		return sh ? ctl_store_by_owner(sh->store, uid, fn, userdata) : 0;
	}
	for (size_t i = 0; i < inf->n_shards; i++) {
		int r = ctl_store_by_owner(inf->shards[i].store, uid, fn, userdata);
		if (r)
			return r;
	}
	return 0;
}

int ctl_informer_by_index(const struct ctl_informer *inf, const char *name, const char *value,
                          ctl_store_visit_fn fn, void *userdata)
{
	for (size_t i = 0; i < inf->n_shards; i++) {
		int r = ctl_store_by_index(inf->shards[i].store, name, value, fn, userdata);
		if (r)
			return r;
	}
	return 0;
}

size_t ctl_informer_watches(const struct ctl_informer *inf)
{
	return inf->n_shards;
}

int ctl_informer_select(const struct ctl_informer *inf, const char *ns, const json_t *selector,
                        ctl_store_visit_fn fn, void *userdata)
{
	if (ns) {
		struct shard *sh = shard_for(inf, ns);
		return sh ? ctl_store_select(sh->store, ns, selector, fn, userdata) : 0;
	}
	for (size_t i = 0; i < inf->n_shards; i++) {
		int r = ctl_store_select(inf->shards[i].store, NULL, selector, fn, userdata);
		if (r)
			return r;
	}
	return 0;
}

/* resourceVersions are opaque strings in the API, but etcd-backed servers
 * issue increasing integers; compare them as such when both are, and
 * otherwise trust the object read last. */
static bool older_than(const char *a, const char *b)
{
	char *end_a, *end_b;
	if (!a || !b)
		return false;
	errno = 0;
	unsigned long long x = strtoull(a, &end_a, 10), y = strtoull(b, &end_b, 10);
	if (errno || *end_a || *end_b || end_a == a || end_b == b)
		return false;
	return x < y;
}

int ctl_informer_refresh(struct ctl_informer *inf, json_t *obj)
{
	const char *ns =
	    json_string_value(json_object_get(json_object_get(obj, "metadata"), "namespace"));
	struct shard *sh = shard_for(inf, ns);
	if (!sh)
		return -ENOENT;
	char key[CTL_STORE_KEY_MAX];
	if (ctl_object_key(obj, key, sizeof(key)) < 0)
		return -EINVAL;
	json_t *cur = NULL;
	if (ctl_store_get(sh->store, key, &cur) == 0) {
		bool stale = older_than(resource_version(obj), resource_version(cur));
		json_decref(cur);
		if (stale)
			return 0;
	}
	strip(inf, obj);
	upsert(sh, obj);
	return 0;
}

void ctl_informer_stats(const struct ctl_informer *inf, struct ctl_informer_stats *ret)
{
	struct ctl_informer_stats s = {0};
	for (size_t i = 0; i < inf->n_shards; i++) {
		s.objects += ctl_store_len(inf->shards[i].store);
		s.restarts += kc_watch_restarts(inf->shards[i].watch);
		s.relists += kc_watch_relists(inf->shards[i].watch);
	}
	*ret = s;
}
