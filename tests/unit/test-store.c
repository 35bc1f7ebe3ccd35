/* The informer store: indexes stay consistent across update, delete and
 * replace; selector queries agree with a brute-force scan; stripping; and
 * retained bytes per object (counted through jansson's allocator). */
#include "tap.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller/memcount.h"
#include "controller/store.h"

/* Every test runs against a plain and a compact store. */
static unsigned mode;

static json_t *obj(const char *ns, const char *name, const char *labels_json, const char *owner_uid)
{
	json_t *o = json_pack("{s:s, s:{s:s, s:s}}", "kind", "ReplicaSet", "metadata", "name", name,
	                      "namespace", ns);
	json_t *meta = json_object_get(o, "metadata");
	if (labels_json)
		json_object_set_new(meta, "labels", json_loads(labels_json, 0, NULL));
	if (owner_uid)
		json_object_set_new(meta, "ownerReferences",
		                    json_pack("[{s:s, s:s, s:s, s:s, s:b}]", "apiVersion",
		                              "slipway.dev/v1alpha1", "kind", "Release", "name",
		                              "web", "uid", owner_uid, "controller", 1));
	return o;
}

/* Collects visited keys, sorted, comma-separated. */
struct collect {
	char keys[64][64];
	int n;
};

static int collect_cb(const char *key, json_t *o, void *ud)
{
	struct collect *c = ud;
	if (c->n < 64)
		snprintf(c->keys[c->n++], sizeof(c->keys[0]), "%s", key);
	return 0;
}

static int cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

static const char *joined(struct collect *c, char *buf, size_t len)
{
	qsort(c->keys, (size_t)c->n, sizeof(c->keys[0]), cmp);
	buf[0] = '\0';
	size_t off = 0;
	for (int i = 0; i < c->n; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? "," : "", c->keys[i]);
	return buf;
}

static char out[1024];

static const char *select_keys(struct ctl_store *s, const char *ns, const char *selector_json)
{
	json_t *sel = selector_json ? json_loads(selector_json, 0, NULL) : NULL;
	struct collect c = {.n = 0};
	int r = ctl_store_select(s, ns, sel, collect_cb, &c);
	json_decref(sel);
	if (r < 0)
		return "error";
	return joined(&c, out, sizeof(out));
}

static const char *owner_keys(struct ctl_store *s, const char *uid)
{
	struct collect c = {.n = 0};
	ctl_store_by_owner(s, uid, collect_cb, &c);
	return joined(&c, out, sizeof(out));
}

static const char *ns_keys(struct ctl_store *s, const char *ns)
{
	struct collect c = {.n = 0};
	ctl_store_list(s, ns, collect_cb, &c);
	return joined(&c, out, sizeof(out));
}

static void add(struct ctl_store *s, json_t *o)
{
	ctl_store_upsert(s, o, NULL);
	json_decref(o);
}

static void test_basic_indexes(void)
{
	struct ctl_store *s = ctl_store_new(mode);
	add(s, obj("shop", "web-a", "{\"app\":\"web\",\"rev\":\"a\"}", "uid-1"));
	add(s, obj("shop", "web-b", "{\"app\":\"web\",\"rev\":\"b\"}", "uid-1"));
	add(s, obj("shop", "db", "{\"app\":\"db\"}", "uid-2"));
	add(s, obj("blog", "web-a", "{\"app\":\"web\",\"rev\":\"a\"}", "uid-3"));
	is_int(ctl_store_len(s), 4, "four objects");
	/* ns shop, blog; owners uid-1..3; labels shop:app=web, rev=a, rev=b,
	 * app=db; blog: app=web, rev=a. */
	is_int(ctl_store_index_sets(s), 2 + 3 + (mode & CTL_STORE_INDEX_LABELS ? 6 : 0),
	       "one index set per namespace, owner (and label when indexed)");
	json_t *got = NULL;
	is_int(ctl_store_get(s, "shop/web-a", &got), 0, "get by namespace/name");
	is_str(json_string_value(json_object_get(json_object_get(got, "metadata"), "name")),
	       "web-a", "get returns the object");
	json_decref(got);
	got = NULL;
	is_int(ctl_store_get(s, "shop/nope", &got), -ENOENT, "get of a missing key");
	ok(got == NULL, "out-param untouched");
	ok(ctl_store_has(s, "shop/db") && !ctl_store_has(s, "shop/nope"), "has");
	is_str(ns_keys(s, "shop"), "shop/db,shop/web-a,shop/web-b", "list namespace shop");
	is_str(ns_keys(s, NULL), "blog/web-a,shop/db,shop/web-a,shop/web-b", "list all");
	is_str(owner_keys(s, "uid-1"), "shop/web-a,shop/web-b", "by owner uid-1");
	is_str(select_keys(s, "shop", "{\"matchLabels\":{\"app\":\"web\"}}"),
	       "shop/web-a,shop/web-b", "select app=web in shop, not blog");
	is_str(select_keys(s, NULL, "{\"matchLabels\":{\"app\":\"web\",\"rev\":\"a\"}}"),
	       "blog/web-a,shop/web-a", "select across namespaces");
	is_str(select_keys(s, "shop", "{}"), "shop/db,shop/web-a,shop/web-b",
	       "empty selector matches everything");
	is_str(select_keys(s, "shop", NULL), "", "NULL selector matches nothing");
	is_str(select_keys(s, "shop", "{\"matchLabels\":{\"app\":\"cache\"}}"), "",
	       "a label value nobody has");

	/* Update: labels and owner change; old index entries must go. */
	json_t *old = NULL;
	json_t *upd = obj("shop", "web-a", "{\"app\":\"web2\"}", "uid-9");
	is_int(ctl_store_upsert(s, upd, &old), 1, "update reports 1");
	json_t *old_labels = json_object_get(json_object_get(old, "metadata"), "labels");
	is_str(json_string_value(json_object_get(old_labels, "rev")), "a",
	       "update returns the previous object");
	json_decref(old);
	json_decref(upd);
	is_str(select_keys(s, "shop", "{\"matchLabels\":{\"app\":\"web\"}}"), "shop/web-b",
	       "update: old label no longer selects it");
	is_str(select_keys(s, "shop", "{\"matchLabels\":{\"app\":\"web2\"}}"), "shop/web-a",
	       "update: new label selects it");
	is_str(owner_keys(s, "uid-1"), "shop/web-b", "update: old owner lost it");
	is_str(owner_keys(s, "uid-9"), "shop/web-a", "update: new owner has it");

	/* Delete. */
	is_int(ctl_store_delete(s, "shop/web-b", NULL), 0, "delete");
	is_int(ctl_store_delete(s, "shop/web-b", NULL), -ENOENT, "delete twice");
	is_str(owner_keys(s, "uid-1"), "", "delete: owner index emptied");
	is_str(select_keys(s, "shop", "{\"matchLabels\":{\"rev\":\"b\"}}"), "",
	       "delete: label index emptied");
	is_str(ns_keys(s, "shop"), "shop/db,shop/web-a", "delete: namespace index updated");

	/* Cluster-scoped objects key by name alone. */
	json_t *node =
	    json_pack("{s:{s:s, s:{s:s}}}", "metadata", "name", "node-1", "labels", "zone", "a");
	add(s, node);
	ok(ctl_store_has(s, "node-1"), "cluster-scoped key is the name");
	is_str(select_keys(s, "", "{\"matchLabels\":{\"zone\":\"a\"}}"), "node-1",
	       "cluster-scoped objects live in namespace \"\"");
	json_t *bad = json_pack("{s:{}}", "metadata");
	is_int(ctl_store_upsert(s, bad, NULL), -EINVAL, "object without a name refused");
	json_decref(bad);
	ctl_store_free(s);
}

/* matchExpressions, table-driven against one fixed label set. */
static void test_selector_table(void)
{
	static const struct {
		const char *selector;
		int want;
	} rows[] = {
	    {"{}", 1},
	    {"{\"matchLabels\":{\"app\":\"web\"}}", 1},
	    {"{\"matchLabels\":{\"app\":\"db\"}}", 0},
	    {"{\"matchLabels\":{\"app\":\"web\",\"tier\":\"front\"}}", 1},
	    {"{\"matchExpressions\":[{\"key\":\"app\",\"operator\":\"In\",\"values\":[\"db\","
	     "\"web\"]}]}",
	     1},
	    {"{\"matchExpressions\":[{\"key\":\"app\",\"operator\":\"In\",\"values\":[\"db\"]}]}",
	     0},
	    {"{\"matchExpressions\":[{\"key\":\"app\",\"operator\":\"NotIn\",\"values\":[\"db\"]}]"
	     "}",
	     1},
	    {"{\"matchExpressions\":[{\"key\":\"app\",\"operator\":\"NotIn\",\"values\":[\"web\"]}]"
	     "}",
	     0},
	    {"{\"matchExpressions\":[{\"key\":\"gone\",\"operator\":\"NotIn\",\"values\":[\"x\"]}]"
	     "}",
	     1},
	    {"{\"matchExpressions\":[{\"key\":\"tier\",\"operator\":\"Exists\"}]}", 1},
	    {"{\"matchExpressions\":[{\"key\":\"gone\",\"operator\":\"Exists\"}]}", 0},
	    {"{\"matchExpressions\":[{\"key\":\"gone\",\"operator\":\"DoesNotExist\"}]}", 1},
	    {"{\"matchExpressions\":[{\"key\":\"app\",\"operator\":\"DoesNotExist\"}]}", 0},
	    {"{\"matchLabels\":{\"app\":\"web\"},\"matchExpressions\":[{\"key\":\"tier\","
	     "\"operator\":\"In\",\"values\":[\"back\"]}]}",
	     0},
	    {"{\"matchExpressions\":[{\"key\":\"app\",\"operator\":\"In\",\"values\":[]}]}",
	     -EINVAL},
	    {"{\"matchExpressions\":[{\"key\":\"app\",\"operator\":\"Exists\",\"values\":[\"x\"]}]"
	     "}",
	     -EINVAL},
	    {"{\"matchExpressions\":[{\"key\":\"app\",\"operator\":\"Gt\",\"values\":[\"1\"]}]}",
	     -EINVAL},
	    {"{\"matchLabels\":{\"app\":1}}", -EINVAL},
	    {"{\"matchLabels\":[]}", -EINVAL},
	    {"[]", -EINVAL},
	};
	json_t *labels = json_pack("{s:s, s:s}", "app", "web", "tier", "front");
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		json_t *sel = json_loads(rows[i].selector, 0, NULL);
		is_int(ctl_selector_matches(sel, labels), rows[i].want, "selector %s",
		       rows[i].selector);
		json_decref(sel);
	}
	is_int(ctl_selector_matches(NULL, labels), 0, "NULL selector matches nothing");
	json_t *empty = json_object();
	is_int(ctl_selector_matches(empty, NULL), 1, "empty selector matches an unlabelled object");
	json_decref(empty);
	json_decref(labels);
}

/* Random churn, then every indexed query agrees with a brute-force scan. */
static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static unsigned rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

struct brute {
	const json_t *selector;
	const char *ns;
	const char *uid;
	struct collect *c;
};

static int brute_cb(const char *key, json_t *o, void *ud)
{
	struct brute *b = ud;
	json_t *meta = json_object_get(o, "metadata");
	if (b->ns && strcmp(json_string_value(json_object_get(meta, "namespace")), b->ns) != 0)
		return 0;
	if (b->selector && ctl_selector_matches(b->selector, json_object_get(meta, "labels")) != 1)
		return 0;
	if (b->uid) {
		const char *u = json_string_value(json_object_get(
		    json_array_get(json_object_get(meta, "ownerReferences"), 0), "uid"));
		if (!u || strcmp(u, b->uid) != 0)
			return 0;
	}
	return collect_cb(key, o, b->c);
}

static void test_random_consistency(void)
{
	struct ctl_store *s = ctl_store_new(mode);
	static const char *const nss[] = {"a", "b", "c"};
	static const char *const apps[] = {"web", "db", "cache"};
	static const char *const revs[] = {"1", "2", "3", "4"};
	static const char *const uids[] = {"u1", "u2", "u3", "u4", "u5"};
	char name[32], labels[128];
	for (int step = 0; step < 3000; step++) {
		const char *ns = nss[rnd(3)];
		snprintf(name, sizeof(name), "o%u", rnd(20));
		if (rnd(4) == 0) {
			char key[64];
			snprintf(key, sizeof(key), "%s/%s", ns, name);
			ctl_store_delete(s, key, NULL);
			continue;
		}
		if (rnd(3) == 0)
			snprintf(labels, sizeof(labels), "{\"app\":\"%s\"}", apps[rnd(3)]);
		else
			snprintf(labels, sizeof(labels), "{\"app\":\"%s\",\"rev\":\"%s\"}",
			         apps[rnd(3)], revs[rnd(4)]);
		add(s, obj(ns, name, labels, rnd(5) ? uids[rnd(5)] : NULL));
	}
	static const char *const selectors[] = {
	    "{\"matchLabels\":{\"app\":\"web\"}}",
	    "{\"matchLabels\":{\"app\":\"db\",\"rev\":\"2\"}}",
	    "{\"matchExpressions\":[{\"key\":\"rev\",\"operator\":\"In\",\"values\":[\"1\"]}]}",
	    "{\"matchExpressions\":[{\"key\":\"rev\",\"operator\":\"DoesNotExist\"}]}",
	    "{\"matchLabels\":{\"app\":\"cache\"},\"matchExpressions\":[{\"key\":\"rev\","
	    "\"operator\":\"NotIn\",\"values\":[\"3\"]}]}",
	    "{}",
	};
	bool agree = true;
	char want[1024];
	for (size_t i = 0; i < sizeof(selectors) / sizeof(selectors[0]); i++) {
		json_t *sel = json_loads(selectors[i], 0, NULL);
		for (int n = 0; n < 3; n++) {
			struct collect c = {.n = 0};
			struct brute b = {.selector = sel, .ns = nss[n], .c = &c};
			ctl_store_list(s, NULL, brute_cb, &b);
			joined(&c, want, sizeof(want));
			if (strcmp(select_keys(s, nss[n], selectors[i]), want) != 0) {
				tap_diag("select %s in %s: got %s want %s", selectors[i], nss[n],
				         out, want);
				agree = false;
			}
		}
		json_decref(sel);
	}
	ok(agree, "random churn: indexed selects agree with brute force");
	agree = true;
	for (int u = 0; u < 5; u++) {
		struct collect c = {.n = 0};
		struct brute b = {.uid = uids[u], .c = &c};
		ctl_store_list(s, NULL, brute_cb, &b);
		joined(&c, want, sizeof(want));
		if (strcmp(owner_keys(s, uids[u]), want) != 0)
			agree = false;
	}
	ok(agree, "random churn: owner index agrees with brute force");

	/* Deleting everything leaves no index behind. */
	json_t *none = json_array();
	ctl_store_replace(s, none, NULL, NULL);
	json_decref(none);
	is_int(ctl_store_len(s), 0, "replace with nothing empties the store");
	is_int(ctl_store_index_sets(s), 0, "and every index set is released");
	ctl_store_free(s);
}

struct replace_log {
	char adds[256], updates[256], deletes[256];
};

static void on_upsert(const char *key, json_t *old, json_t *o, void *ud)
{
	struct replace_log *l = ud;
	char *dst = old ? l->updates : l->adds;
	size_t n = strlen(dst);
	snprintf(dst + n, 256 - n, "%s%s", n ? "," : "", key);
}

static void on_delete(const char *key, json_t *old, void *ud)
{
	struct replace_log *l = ud;
	size_t n = strlen(l->deletes);
	ok(old != NULL, "replace: deleted object %s is passed to the handler", key);
	snprintf(l->deletes + n, 256 - n, "%s%s", n ? "," : "", key);
}

static void test_replace(void)
{
	struct ctl_store *s = ctl_store_new(mode);
	add(s, obj("ns", "keep", "{\"app\":\"web\"}", "u1"));
	add(s, obj("ns", "gone", "{\"app\":\"web\"}", "u1"));
	json_t *items = json_pack("[o, o]", obj("ns", "keep", "{\"app\":\"api\"}", "u2"),
	                          obj("ns", "new", "{\"app\":\"web\"}", "u1"));
	struct replace_log l = {{0}, {0}, {0}};
	struct ctl_store_replace_ops ops = {.on_upsert = on_upsert, .on_delete = on_delete};
	is_int(ctl_store_replace(s, items, &ops, &l), 0, "replace");
	json_decref(items);
	is_str(l.adds, "ns/new", "replace: new object reported as added");
	is_str(l.updates, "ns/keep", "replace: existing object reported as updated");
	is_str(l.deletes, "ns/gone", "replace: vanished object reported as deleted");
	is_str(owner_keys(s, "u1"), "ns/new", "replace: owner index follows");
	is_str(owner_keys(s, "u2"), "ns/keep", "replace: owner index of the updated object");
	is_str(select_keys(s, "ns", "{\"matchLabels\":{\"app\":\"web\"}}"), "ns/new",
	       "replace: label index follows");

	/* A list cut short (begin, some items, no end) and then retried: what
	 * only the abandoned list saw must not survive the retry's sweep. */
	struct replace_log l2 = {{0}, {0}, {0}};
	ctl_store_replace_begin(s);
	json_t *only_first = obj("ns", "only-first", NULL, "u3");
	is_int(ctl_store_replace_add(s, only_first, &ops, &l2), 0, "replace_add");
	json_decref(only_first);
	ctl_store_replace_begin(s);
	json_t *again = obj("ns", "new", "{\"app\":\"web\"}", "u1");
	is_int(ctl_store_replace_add(s, again, &ops, &l2), 0, "replace_add after a new begin");
	json_decref(again);
	json_t *keyless = json_pack("{s:{}}", "metadata");
	is_int(ctl_store_replace_add(s, keyless, &ops, &l2), -EINVAL,
	       "replace_add of an object without a name");
	json_decref(keyless);
	is_int(ctl_store_replace_end(s, &ops, &l2), 0, "replace_end");
	is_str(l2.adds, "ns/only-first", "incremental: the abandoned list's object was added");
	ok(strlen(l2.deletes) == strlen("ns/keep,ns/only-first") && strstr(l2.deletes, "ns/keep") &&
	       strstr(l2.deletes, "ns/only-first"),
	   "incremental: swept with what the retry did not see: %s", l2.deletes);
	is_str(ns_keys(s, "ns"), "ns/new", "incremental: the store holds the retried list");
	ctl_store_free(s);
}

static void test_owner_key(void)
{
	json_t *rs = obj("shop", "web-abc", NULL, "uid-1");
	char key[CTL_STORE_KEY_MAX] = "untouched";
	is_int(ctl_object_owner_key(rs, "slipway.dev", "Release", key, sizeof(key)), 0,
	       "owner key of a Release-owned ReplicaSet");
	is_str(key, "shop/web", "owner key is namespace/ownerName");
	snprintf(key, sizeof(key), "untouched");
	is_int(ctl_object_owner_key(rs, "apps", "Release", key, sizeof(key)), -ENOENT,
	       "other group does not match");
	is_int(ctl_object_owner_key(rs, "slipway.dev", "Deployment", key, sizeof(key)), -ENOENT,
	       "other kind does not match");
	is_str(key, "untouched", "out-param untouched on failure");
	json_object_set_new(
	    json_array_get(json_object_get(json_object_get(rs, "metadata"), "ownerReferences"), 0),
	    "controller", json_false());
	is_int(ctl_object_owner_key(rs, "slipway.dev", "Release", key, sizeof(key)), -ENOENT,
	       "a non-controller owner does not count");
	json_decref(rs);
}

/* A ReplicaSet as the API server returns it, with managedFields and the
 * annotation kubectl apply leaves behind. */
static const char sample[] =
    "{\"apiVersion\":\"apps/v1\",\"kind\":\"ReplicaSet\",\"metadata\":{\"name\":\"web-5d8f7c\","
    "\"namespace\":\"shop\",\"uid\":\"8a3c1d2e-0000-4000-8000-000000000001\","
    "\"resourceVersion\":\"123456\",\"generation\":3,\"creationTimestamp\":\"2026-11-26T10:00:"
    "00Z\","
    "\"labels\":{\"app\":\"web\",\"slipway.dev/revision\":\"5d8f7c\"},"
    "\"annotations\":{\"slipway.dev/revision-number\":\"4\",\"kubectl.kubernetes.io/"
    "last-applied-configuration\":\"{\\\"apiVersion\\\":\\\"apps/v1\\\",\\\"kind\\\":"
    "\\\"ReplicaSet\\\",\\\"metadata\\\":{\\\"annotations\\\":{},\\\"name\\\":\\\"web\\\","
    "\\\"namespace\\\":\\\"shop\\\"},\\\"spec\\\":{\\\"replicas\\\":3,\\\"selector\\\":{"
    "\\\"matchLabels\\\":{\\\"app\\\":\\\"web\\\"}},\\\"template\\\":{\\\"metadata\\\":{"
    "\\\"labels\\\":{\\\"app\\\":\\\"web\\\"}},\\\"spec\\\":{\\\"containers\\\":[{\\\"image\\\":"
    "\\\"nginx:1.27\\\",\\\"name\\\":\\\"web\\\"}]}}}}\\n\"},"
    "\"ownerReferences\":[{\"apiVersion\":\"slipway.dev/v1alpha1\",\"kind\":\"Release\","
    "\"name\":\"web\",\"uid\":\"8a3c1d2e-0000-4000-8000-000000000000\",\"controller\":true,"
    "\"blockOwnerDeletion\":true}],"
    "\"managedFields\":[{\"manager\":\"slipway-controller\",\"operation\":\"Apply\","
    "\"apiVersion\":\"apps/v1\",\"time\":\"2026-11-26T10:00:00Z\",\"fieldsType\":\"FieldsV1\","
    "\"fieldsV1\":{\"f:metadata\":{\"f:labels\":{\"f:app\":{},\"f:slipway.dev/revision\":{}},"
    "\"f:ownerReferences\":{\"k:{\\\"uid\\\":\\\"8a3c1d2e-0000-4000-8000-000000000000\\\"}\":{}}},"
    "\"f:spec\":{\"f:replicas\":{},\"f:selector\":{},\"f:template\":{\"f:metadata\":{"
    "\"f:labels\":{\"f:app\":{}}},\"f:spec\":{\"f:containers\":{\"k:{\\\"name\\\":\\\"web\\\"}\":"
    "{\".\":{},\"f:image\":{},\"f:name\":{}}}}}}}},{\"manager\":\"kube-controller-manager\","
    "\"operation\":\"Update\",\"apiVersion\":\"apps/v1\",\"time\":\"2026-11-26T10:00:05Z\","
    "\"fieldsType\":\"FieldsV1\",\"subresource\":\"status\",\"fieldsV1\":{\"f:status\":{"
    "\"f:availableReplicas\":{},\"f:fullyLabeledReplicas\":{},\"f:observedGeneration\":{},"
    "\"f:readyReplicas\":{},\"f:replicas\":{}}}}]},"
    "\"spec\":{\"replicas\":3,\"selector\":{\"matchLabels\":{\"app\":\"web\"}},\"template\":{"
    "\"metadata\":{\"labels\":{\"app\":\"web\"}},\"spec\":{\"containers\":[{\"name\":\"web\","
    "\"image\":\"nginx:1.27\",\"resources\":{}}]}}},"
    "\"status\":{\"replicas\":3,\"fullyLabeledReplicas\":3,\"readyReplicas\":3,"
    "\"availableReplicas\":3,\"observedGeneration\":3}}";

static void test_strip_and_bytes(void)
{
	size_t base = ctl_memcount_bytes();
	json_t *full = json_loads(sample, 0, NULL);
	ok(full != NULL, "sample parses");
	size_t full_bytes = ctl_memcount_bytes() - base;
	json_decref(full);

	json_t *o = json_loads(sample, 0, NULL);
	ctl_object_strip(o);
	size_t stripped_bytes = ctl_memcount_bytes() - base;
	json_t *meta = json_object_get(o, "metadata");
	ok(json_object_get(meta, "managedFields") == NULL, "strip: managedFields gone");
	json_t *ann = json_object_get(meta, "annotations");
	ok(json_object_get(ann, "kubectl.kubernetes.io/last-applied-configuration") == NULL,
	   "strip: last-applied annotation gone");
	is_str(json_string_value(json_object_get(ann, "slipway.dev/revision-number")), "4",
	       "strip: other annotations kept");
	ok(json_object_get(meta, "ownerReferences") && json_object_get(o, "spec") &&
	       json_object_get(o, "status"),
	   "strip: what the controller reads is kept");
	tap_diag("ReplicaSet: %zu bytes as received, %zu stripped", full_bytes, stripped_bytes);
	ok(stripped_bytes * 2 < full_bytes, "strip: at least halves this object");

	/* Retained bytes per cached object, store overhead included. */
	struct ctl_store *s = ctl_store_new(mode);
	size_t before = ctl_memcount_bytes();
	char name[64];
	for (int i = 0; i < 1000; i++) {
		json_t *copy = json_deep_copy(o);
		snprintf(name, sizeof(name), "web-%d", i);
		json_object_set_new(json_object_get(copy, "metadata"), "name", json_string(name));
		add(s, copy);
	}
	size_t json_bytes = ctl_memcount_bytes() - before;
	size_t per_object = (json_bytes + ctl_store_bytes(s)) / 1000;
	tap_diag("%s store: retained per cached ReplicaSet: %zu bytes (json %zu, store %zu)",
	         mode & CTL_STORE_COMPACT ? "compact" : "plain", per_object, json_bytes / 1000,
	         ctl_store_bytes(s) / 1000);
	if (mode & CTL_STORE_COMPACT)
		ok(per_object < 2048, "compact: retained bytes per object under 2 KiB");
	else
		ok(per_object < 12 * 1024, "plain: retained bytes per object under Go's 13 KiB");
	json_t *back = NULL;
	ctl_store_get(s, "shop/web-7", &back);
	json_t *want = json_deep_copy(o);
	json_object_set_new(json_object_get(want, "metadata"), "name", json_string("web-7"));
	ok(json_equal(back, want), "an object reads back equal to what was stored");
	json_decref(back);
	json_decref(want);
	ctl_store_free(s);
	is_int(ctl_memcount_bytes(), stripped_bytes + base, "freeing the store returns every byte");

	json_t *deep = json_pack("{s:{s:s}, s:{s:[], s:i}}", "metadata", "name", "x", "status",
	                         "conditions", "replicas", 1);
	static const char *const paths[] = {"status.conditions", "spec.nothing.here"};
	ctl_object_strip_paths(deep, paths, 2);
	ok(json_object_get(json_object_get(deep, "status"), "conditions") == NULL,
	   "strip_paths: dotted path removed");
	ok(json_object_get(json_object_get(deep, "status"), "replicas") != NULL,
	   "strip_paths: siblings kept");
	json_decref(deep);
	json_decref(o);
}

/* The field index of the tests: "ns/name" of every Service in
 * spec.services (as a Release's canary names its stable and canary Services). */
static size_t services_of(const json_t *o, char (*values)[CTL_STORE_KEY_MAX], size_t max,
                          void *userdata)
{
	const char *ns =
	    json_string_value(json_object_get(json_object_get(o, "metadata"), "namespace"));
	const json_t *names = json_object_get(json_object_get(o, "spec"), "services");
	size_t n = 0, i;
	const json_t *v;
	json_array_foreach(names, i, v)
	{
		if (n < max && json_is_string(v))
			snprintf(values[n++], CTL_STORE_KEY_MAX, "%s/%s", ns, json_string_value(v));
	}
	return n;
}

/* Caller owns the result (json_decref). */
static json_t *naming(const char *ns, const char *name, const char *services_json)
{
	json_t *o = obj(ns, name, NULL, NULL);
	json_object_set_new(o, "spec",
	                    json_pack("{s:o}", "services", json_loads(services_json, 0, NULL)));
	return o;
}

static const char *index_keys(struct ctl_store *s, const char *value)
{
	struct collect c = {.n = 0};
	if (ctl_store_by_index(s, "spec.services", value, collect_cb, &c) < 0)
		return "error";
	return joined(&c, out, sizeof(out));
}

static void test_field_index(void)
{
	struct ctl_store *s = ctl_store_new(mode);
	is_int(ctl_store_add_index(s, "spec.services", services_of, NULL), 0, "index: added");
	is_int(ctl_store_add_index(s, "spec.services", services_of, NULL), -EEXIST,
	       "index: a name is taken once");
	ok(ctl_store_has_index(s, "spec.services") && !ctl_store_has_index(s, "nope"),
	   "index: has_index");
	is_str(index_keys(s, "a/web"), "", "index: empty store, no match");
	size_t base = ctl_store_index_sets(s);

	add(s, naming("a", "r1", "[\"web\", \"web-canary\"]"));
	add(s, naming("a", "r2", "[\"web\"]"));
	add(s, naming("b", "r3", "[\"web\"]"));
	is_str(index_keys(s, "a/web"), "a/r1,a/r2", "index: two objects name a/web");
	is_str(index_keys(s, "a/web-canary"), "a/r1", "index: every value of an object");
	is_str(index_keys(s, "b/web"), "b/r3", "index: the value carries its namespace");
	is_int(ctl_store_add_index(s, "late", services_of, NULL), -EBUSY,
	       "index: none added to a filled store");

	add(s, naming("a", "r1", "[\"db\"]"));
	is_str(index_keys(s, "a/web"), "a/r2", "index: update drops the old values");
	is_str(index_keys(s, "a/web-canary"), "", "index: every old value");
	is_str(index_keys(s, "a/db"), "a/r1", "index: and adds the new ones");

	ctl_store_delete(s, "a/r2", NULL);
	is_str(index_keys(s, "a/web"), "", "index: delete drops the object");

	json_t *items = json_array();
	json_array_append_new(items, naming("a", "r1", "[\"web\"]"));
	json_array_append_new(items, naming("a", "r4", "[\"web\"]"));
	ctl_store_replace(s, items, NULL, NULL);
	json_decref(items);
	is_str(index_keys(s, "a/web"), "a/r1,a/r4", "index: a relist's content is indexed");
	is_str(index_keys(s, "b/web"), "", "index: what the relist dropped is gone");
	is_str(index_keys(s, "a/db"), "", "index: and what it changed");
	is_int(ctl_store_by_index(s, "nope", "a/web", collect_cb, &(struct collect){.n = 0}),
	       -EINVAL, "index: an unknown index is an error");

	ctl_store_delete(s, "a/r1", NULL);
	ctl_store_delete(s, "a/r4", NULL);
	is_int(ctl_store_index_sets(s), base, "index: no set outlives its objects");
	ctl_store_free(s);
}

static void test_changed_beyond_status(void)
{
	json_t *a = obj("a", "r", "{\"app\": \"web\"}", NULL);
	json_t *md = json_object_get(a, "metadata");
	json_object_set_new(md, "generation", json_integer(1));
	json_object_set_new(md, "resourceVersion", json_string("1"));
	json_t *b = json_deep_copy(a);
	json_t *bmd = json_object_get(b, "metadata");
	json_object_set_new(bmd, "resourceVersion", json_string("2"));
	json_object_set_new(b, "status", json_pack("{s:s}", "phase", "Healthy"));
	ok(!ctl_object_changed_beyond_status(a, b), "echo: status and resourceVersion only");
	json_object_set_new(bmd, "generation", json_integer(2));
	ok(ctl_object_changed_beyond_status(a, b), "echo: a new generation is news");
	json_object_set_new(bmd, "generation", json_integer(1));
	json_object_set_new(bmd, "annotations", json_pack("{s:s}", "k", "v"));
	ok(ctl_object_changed_beyond_status(a, b), "echo: an annotation appearing is news");
	json_object_del(bmd, "annotations");
	json_object_del(bmd, "labels");
	ok(ctl_object_changed_beyond_status(a, b), "echo: labels vanishing is news");
	json_object_set_new(bmd, "labels", json_pack("{s:s}", "app", "web"));
	json_object_set_new(bmd, "deletionTimestamp", json_string("2026-01-01T00:00:00Z"));
	ok(ctl_object_changed_beyond_status(a, b), "echo: deletion is news");
	json_decref(a);
	json_decref(b);
}

int main(void)
{
	is_int(ctl_memcount_install(), 0, "count jansson's allocations");
	test_selector_table();
	test_owner_key();
	test_changed_beyond_status();
	const unsigned modes[] = {CTL_STORE_INDEX_LABELS,
	                          CTL_STORE_COMPACT | CTL_STORE_INDEX_LABELS, CTL_STORE_COMPACT};
	for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
		mode = modes[m];
		tap_diag("%s store, labels %sindexed",
		         mode & CTL_STORE_COMPACT ? "compact" : "plain",
		         mode & CTL_STORE_INDEX_LABELS ? "" : "not ");
		test_basic_indexes();
		test_random_consistency();
		test_replace();
		test_field_index();
		test_strip_and_bytes();
	}
	return tap_done();
}
