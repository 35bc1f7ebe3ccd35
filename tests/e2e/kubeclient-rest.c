/*
 * kubeclient against the real control plane in $KUBECONFIG: CRUD and every
 * patch type on ConfigMaps, optimistic concurrency, pagination, server-side
 * apply conflicts between two field managers, the scale and status
 * subresources, a wrong CA, and client-certificate, token and exec
 * authentication (the exec plugin's first token is refused, so the 401
 * re-authentication path runs for real).
 */
#include "e2e-lib.h"
#include "tap.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kubeclient/apierror.h"
#include "kubeclient/client.h"
#include "kubeclient/config.h"
#include "kubeclient/rest.h"

static struct ev_loop *loop;
static struct kc_client *C;
static char NS[64];

/* One synchronous call's outcome. */
struct res {
	int rc;
	json_t *body;
	struct kc_error err;
};

static struct kc_sync S;

static void res_clear(struct res *r)
{
	json_decref(r->body);
	kc_error_clear(&r->err);
	memset(r, 0, sizeof(*r));
}

static void res_wait(struct kc_client *c, struct res *r)
{
	r->rc = e2e_sync(c, r->rc, &S, &r->body, &r->err);
}

/* DO(client, res, verb call using kc_sync_done, &S, NULL, &res.err) */
#define DO(c, r, call)                                                                             \
	do {                                                                                       \
		res_clear(r);                                                                      \
		memset(&S, 0, sizeof(S));                                                          \
		(r)->rc = (call);                                                                  \
		res_wait((c), (r));                                                                \
	} while (0)

static const char *str_at(json_t *j, const char *a, const char *b)
{
	json_t *x = json_object_get(j, a);
	return json_string_value(b ? json_object_get(x, b) : x);
}

static json_t *configmap(const char *name, const char *key, const char *value)
{
	return json_pack("{s:s, s:s, s:{s:s}, s:{s:s}}", "apiVersion", "v1", "kind", "ConfigMap",
	                 "metadata", "name", name, "data", key, value);
}

static struct kc_ref cm(const char *name)
{
	return (struct kc_ref){.version = "v1", .resource = "configmaps", .ns = NS, .name = name};
}

static void test_crud(void)
{
	struct res r = {0};
	struct kc_ref coll = cm(NULL), a = cm("a");
	json_t *obj = configmap("a", "k", "v1");

	DO(C, &r, kc_create(C, &coll, NULL, obj, kc_sync_done, &S, NULL, &r.err));
	is_int(r.rc, 0, "create ConfigMap a: %s", r.err.message);
	const char *uid = str_at(r.body, "metadata", "uid");
	char uid_copy[64];
	snprintf(uid_copy, sizeof(uid_copy), "%s", uid ? uid : "");

	DO(C, &r, kc_create(C, &coll, NULL, obj, kc_sync_done, &S, NULL, &r.err));
	is_int(r.rc, -EEXIST, "creating it again fails with -EEXIST");
	ok(kc_is_already_exists(&r.err) && !kc_is_conflict(&r.err), "... and is AlreadyExists: %s",
	   r.err.message);

	DO(C, &r, kc_get(C, &a, NULL, kc_sync_done, &S, NULL, &r.err));
	is_str(str_at(r.body, "data", "k"), "v1", "get returns the data");

	json_object_set_new(json_object_get(r.body, "data"), "k", json_string("v2"));
	json_t *fetched = json_incref(r.body);
	DO(C, &r, kc_update(C, &a, NULL, fetched, kc_sync_done, &S, NULL, &r.err));
	is_int(r.rc, 0, "update: %s", r.err.message);
	is_str(str_at(r.body, "data", "k"), "v2", "update changed the data");

	/* The object we read before the update now carries a stale resourceVersion. */
	json_object_set_new(json_object_get(fetched, "data"), "k", json_string("stale"));
	DO(C, &r, kc_update(C, &a, NULL, fetched, kc_sync_done, &S, NULL, &r.err));
	is_int(r.rc, -EBUSY, "stale update fails");
	ok(kc_is_conflict(&r.err) && r.err.http_status == 409, "... with 409 Conflict: %s",
	   r.err.message);
	json_decref(fetched);

	json_t *merge = json_pack("{s:{s:s}}", "data", "m", "merged");
	DO(C, &r, kc_patch(C, &a, NULL, KC_PATCH_MERGE, merge, kc_sync_done, &S, NULL, &r.err));
	is_str(str_at(r.body, "data", "m"), "merged", "merge patch");
	json_decref(merge);

	json_t *jp =
	    json_pack("[{s:s, s:s, s:s}]", "op", "add", "path", "/data/j", "value", "json");
	DO(C, &r, kc_patch(C, &a, NULL, KC_PATCH_JSON, jp, kc_sync_done, &S, NULL, &r.err));
	is_str(str_at(r.body, "data", "j"), "json", "JSON patch");
	json_decref(jp);

	json_t *sm = json_pack("{s:{s:{s:s}}}", "metadata", "labels", "tier", "web");
	DO(C, &r, kc_patch(C, &a, NULL, KC_PATCH_STRATEGIC, sm, kc_sync_done, &S, NULL, &r.err));
	is_str(str_at(json_object_get(r.body, "metadata"), "labels", "tier"), "web",
	       "strategic merge patch");
	json_decref(sm);

	const struct kc_preconditions wrong = {.uid = "00000000-0000-0000-0000-000000000000"};
	DO(C, &r, kc_delete(C, &a, NULL, &wrong, kc_sync_done, &S, NULL, &r.err));
	ok(r.rc < 0 && kc_is_conflict(&r.err), "delete with a wrong uid precondition: 409: %s",
	   r.err.message);

	const struct kc_preconditions right = {.uid = uid_copy};
	const struct kc_query fg = {.propagation_policy = "Background"};
	DO(C, &r, kc_delete(C, &a, &fg, &right, kc_sync_done, &S, NULL, &r.err));
	is_int(r.rc, 0, "delete with the right uid: %s", r.err.message);

	DO(C, &r, kc_get(C, &a, NULL, kc_sync_done, &S, NULL, &r.err));
	ok(kc_is_not_found(&r.err) && r.rc == -ENOENT, "get after delete: not found");
	char want[256];
	snprintf(want, sizeof(want),
	         "GET /api/v1/namespaces/%s/configmaps/a: 404 NotFound: configmaps \"a\" not found",
	         NS);
	is_str(r.err.message, want,
	       "404 message names verb, path, reason and the server's message");
	json_decref(obj);
	res_clear(&r);
}

static int created, create_failed;

static void count_create(long status, json_t *body, const struct kc_error *err, void *userdata)
{
	if (err) {
		create_failed++;
		tap_diag("create: %s", err->message);
	} else {
		created++;
	}
}

static void test_pagination(void)
{
	struct kc_ref coll = cm(NULL);
	char name[32];

	for (int i = 0; i < 250; i++) {
		snprintf(name, sizeof(name), "page-%03d", i);
		json_t *obj = configmap(name, "i", name);
		json_object_set_new(json_object_get(obj, "metadata"), "labels",
		                    json_pack("{s:s}", "e2e", "pages"));
		struct kc_error err = {0};
		if (kc_create(C, &coll, NULL, obj, count_create, NULL, NULL, &err) < 0)
			create_failed++;
		json_decref(obj);
	}
	while (created + create_failed < 250)
		ev_run(loop, EVRUN_ONCE);
	is_int(created, 250, "250 ConfigMaps created concurrently");

	/* Page by hand: 20 at a time, following continue. */
	struct res r = {0};
	char cont[4096] = "";
	int pages = 0, items = 0;
	bool ordered = true;
	char last[32] = "";
	do {
		struct kc_query q = {.label_selector = "e2e=pages",
		                     .limit = 20,
		                     .continue_token = cont[0] ? cont : NULL};
		DO(C, &r, kc_list(C, &coll, &q, kc_sync_done, &S, NULL, &r.err));
		if (r.rc < 0) {
			tap_diag("list: %s", r.err.message);
			break;
		}
		json_t *arr = json_object_get(r.body, "items");
		for (size_t i = 0; i < json_array_size(arr); i++) {
			const char *n = str_at(json_array_get(arr, i), "metadata", "name");
			if (n && strcmp(n, last) <= 0)
				ordered = false;
			snprintf(last, sizeof(last), "%s", n ? n : "");
		}
		items += (int)json_array_size(arr);
		pages++;
		const char *next = str_at(r.body, "metadata", "continue");
		snprintf(cont, sizeof(cont), "%s", next ? next : "");
	} while (cont[0] && pages < 100);
	is_int(pages, 13, "limit=20 over 250 objects: 13 pages");
	is_int(items, 250, "every object once");
	ok(ordered, "pages continue where the last one stopped");

	struct kc_query q = {.label_selector = "e2e=pages", .limit = 20};
	DO(C, &r, kc_list_all(C, &coll, &q, kc_sync_done, &S, NULL, &r.err));
	is_int(json_array_size(json_object_get(r.body, "items")), 250,
	       "kc_list_all collects all 250");
	ok(str_at(r.body, "metadata", "continue") == NULL,
	   "kc_list_all result has no continue token");

	/* A paged list at an exact resourceVersion: the server refuses a
	 * version next to a continue token, so later pages must drop it. */
	char rv[64];
	const char *got_rv = str_at(r.body, "metadata", "resourceVersion");
	snprintf(rv, sizeof(rv), "%s", got_rv ? got_rv : "");
	struct kc_query qrv = {.label_selector = "e2e=pages",
	                       .limit = 20,
	                       .resource_version = rv,
	                       .resource_version_match = "Exact"};
	DO(C, &r, kc_list_all(C, &coll, &qrv, kc_sync_done, &S, NULL, &r.err));
	is_int(r.rc, 0, "kc_list_all at resourceVersion %s, Exact: %s", rv, r.err.message);
	is_int(json_array_size(json_object_get(r.body, "items")), 250, "... collects all 250");
	is_str(str_at(r.body, "metadata", "resourceVersion"), rv, "... at that version");
	res_clear(&r);
}

static void test_apply(void)
{
	struct res r = {0};
	struct kc_ref coll = cm(NULL);
	json_t *a = configmap("ssa", "owner", "alice");
	json_t *b = configmap("ssa", "owner", "bob");
	const struct kc_query qa = {.field_manager = "alice"};
	const struct kc_query qb = {.field_manager = "bob"};
	const struct kc_query qbf = {.field_manager = "bob", .force = true};

	DO(C, &r, kc_apply(C, &coll, &qa, a, kc_sync_done, &S, NULL, &r.err));
	is_int(r.rc, 0, "alice applies: %s", r.err.message);
	DO(C, &r, kc_apply(C, &coll, &qa, a, kc_sync_done, &S, NULL, &r.err));
	is_int(r.rc, 0, "applying the same intent again is a no-op success");
	DO(C, &r, kc_apply(C, &coll, &qb, b, kc_sync_done, &S, NULL, &r.err));
	ok(r.rc < 0 && kc_is_conflict(&r.err), "bob without force: 409 conflict");
	ok(strstr(r.err.message, "conflict") && strstr(r.err.message, "alice"),
	   "conflict names the other manager: %s", r.err.message);
	DO(C, &r, kc_apply(C, &coll, &qbf, b, kc_sync_done, &S, NULL, &r.err));
	is_int(r.rc, 0, "bob with force: %s", r.err.message);
	is_str(str_at(r.body, "data", "owner"), "bob", "bob's value wins");
	json_t *mf = json_object_get(json_object_get(r.body, "metadata"), "managedFields");
	bool bob_owns = false;
	for (size_t i = 0; i < json_array_size(mf); i++) {
		json_t *e = json_array_get(mf, i);
		if (json_string_value(json_object_get(e, "manager")) &&
		    strcmp(json_string_value(json_object_get(e, "manager")), "bob") == 0 &&
		    json_object_get(json_object_get(json_object_get(e, "fieldsV1"), "f:data"),
		                    "f:owner"))
			bob_owns = true;
	}
	ok(bob_owns, "bob now manages .data.owner");
	json_decref(a);
	json_decref(b);
	res_clear(&r);
}

static void test_scale(void)
{
	struct res r = {0};
	struct kc_ref deps = {
	    .group = "apps", .version = "v1", .resource = "deployments", .ns = NS};
	json_t *d = json_pack(
	    "{s:s, s:s, s:{s:s}, s:{s:i, s:{s:{s:s}}, s:{s:{s:{s:s}}, s:{s:[{s:s, s:s}]}}}}",
	    "apiVersion", "apps/v1", "kind", "Deployment", "metadata", "name", "web", "spec",
	    "replicas", 1, "selector", "matchLabels", "app", "web", "template", "metadata",
	    "labels", "app", "web", "spec", "containers", "name", "web", "image",
	    "registry.example/web:1");
	DO(C, &r, kc_create(C, &deps, NULL, d, kc_sync_done, &S, NULL, &r.err));
	is_int(r.rc, 0, "create Deployment: %s", r.err.message);
	json_decref(d);

	struct kc_ref scale = deps;
	scale.name = "web";
	scale.subresource = "scale";
	DO(C, &r, kc_get(C, &scale, NULL, kc_sync_done, &S, NULL, &r.err));
	is_str(str_at(r.body, "kind", NULL), "Scale", "GET /scale returns a Scale");
	is_int(json_integer_value(json_object_get(json_object_get(r.body, "spec"), "replicas")), 1,
	       "replicas 1");

	/* The Deployment controller writes the object too, so a read-modify-write
	 * may meet a 409: read again and retry, as every client must. */
	int conflicts = 0;
	for (int i = 0; i < 10; i++) {
		json_t *sc = json_incref(r.body);
		json_object_set_new(json_object_get(sc, "spec"), "replicas", json_integer(3));
		DO(C, &r, kc_update(C, &scale, NULL, sc, kc_sync_done, &S, NULL, &r.err));
		json_decref(sc);
		if (r.rc == 0 || !kc_is_conflict(&r.err))
			break;
		conflicts++;
		DO(C, &r, kc_get(C, &scale, NULL, kc_sync_done, &S, NULL, &r.err));
	}
	is_int(r.rc, 0, "PUT /scale (after %d conflicts): %s", conflicts, r.err.message);

	struct kc_ref web = deps;
	web.name = "web";
	DO(C, &r, kc_get(C, &web, NULL, kc_sync_done, &S, NULL, &r.err));
	is_int(json_integer_value(json_object_get(json_object_get(r.body, "spec"), "replicas")), 3,
	       "the Deployment now wants 3 replicas");

	json_t *p = json_pack("{s:{s:i}}", "spec", "replicas", 2);
	DO(C, &r, kc_patch(C, &scale, NULL, KC_PATCH_MERGE, p, kc_sync_done, &S, NULL, &r.err));
	is_int(json_integer_value(json_object_get(json_object_get(r.body, "spec"), "replicas")), 2,
	       "merge patch on /scale");
	json_decref(p);
	res_clear(&r);
}

static const struct kc_ref crds = {
    .group = "apiextensions.k8s.io", .version = "v1", .resource = "customresourcedefinitions"};

static void test_status_subresource(void)
{
	struct res r = {0};
	json_t *crd = json_loads(
	    "{\"apiVersion\":\"apiextensions.k8s.io/v1\",\"kind\":\"CustomResourceDefinition\","
	    "\"metadata\":{\"name\":\"widgets.kcrest.e2e.slipway.dev\"},"
	    "\"spec\":{\"group\":\"kcrest.e2e.slipway.dev\",\"scope\":\"Namespaced\","
	    "\"names\":{\"plural\":\"widgets\",\"singular\":\"widget\",\"kind\":\"Widget\","
	    "\"listKind\":\"WidgetList\"},"
	    "\"versions\":[{\"name\":\"v1\",\"served\":true,\"storage\":true,\"subresources\":{"
	    "\"status\":{}},"
	    "\"schema\":{\"openAPIV3Schema\":{\"type\":\"object\",\"properties\":{"
	    "\"spec\":{\"type\":\"object\",\"x-kubernetes-preserve-unknown-fields\":true},"
	    "\"status\":{\"type\":\"object\",\"x-kubernetes-preserve-unknown-fields\":true}}}}}]}}",
	    0, NULL);
	const struct kc_query q = {.field_manager = "kcrest-e2e", .force = true};
	DO(C, &r, kc_apply(C, &crds, &q, crd, kc_sync_done, &S, NULL, &r.err));
	is_int(r.rc, 0, "apply a cluster-scoped CRD: %s", r.err.message);
	json_decref(crd);

	struct kc_ref widgets = {
	    .group = "kcrest.e2e.slipway.dev", .version = "v1", .resource = "widgets", .ns = NS};
	json_t *w =
	    json_pack("{s:s, s:s, s:{s:s}, s:{s:i}}", "apiVersion", "kcrest.e2e.slipway.dev/v1",
	              "kind", "Widget", "metadata", "name", "w", "spec", "size", 1);
	/* The new resource is served shortly after the CRD is Established. */
	for (int i = 0; i < 100; i++) {
		DO(C, &r, kc_create(C, &widgets, NULL, w, kc_sync_done, &S, NULL, &r.err));
		if (r.rc == 0 || !kc_is_not_found(&r.err))
			break;
		ev_sleep(0.2);
	}
	is_int(r.rc, 0, "create a Widget: %s", r.err.message);
	json_decref(w);

	json_t *obj = json_incref(r.body);
	json_object_set_new(obj, "status", json_pack("{s:s}", "phase", "Ready"));
	struct kc_ref status = widgets;
	status.name = "w";
	status.subresource = "status";
	DO(C, &r, kc_update(C, &status, NULL, obj, kc_sync_done, &S, NULL, &r.err));
	is_int(r.rc, 0, "PUT /status: %s", r.err.message);
	is_str(str_at(r.body, "status", "phase"), "Ready", "status written through /status");
	json_decref(obj);

	/* The main resource ignores status, the status subresource ignores spec. */
	obj = json_incref(r.body);
	json_object_set_new(obj, "status", json_pack("{s:s}", "phase", "Broken"));
	json_object_set_new(json_object_get(obj, "spec"), "size", json_integer(2));
	struct kc_ref main_ref = widgets;
	main_ref.name = "w";
	DO(C, &r, kc_update(C, &main_ref, NULL, obj, kc_sync_done, &S, NULL, &r.err));
	is_str(str_at(r.body, "status", "phase"), "Ready",
	       "PUT on the main resource leaves status alone");
	is_int(json_integer_value(json_object_get(json_object_get(r.body, "spec"), "size")), 2,
	       "... and changes spec");
	json_decref(obj);

	json_t *p = json_pack("{s:{s:s}, s:{s:i}}", "status", "phase", "Done", "spec", "size", 9);
	DO(C, &r, kc_patch(C, &status, NULL, KC_PATCH_MERGE, p, kc_sync_done, &S, NULL, &r.err));
	is_str(str_at(r.body, "status", "phase"), "Done", "merge patch on /status");
	is_int(json_integer_value(json_object_get(json_object_get(r.body, "spec"), "size")), 2,
	       "... and spec is not changed through /status");
	json_decref(p);

	struct kc_ref crd_ref = crds;
	crd_ref.name = "widgets.kcrest.e2e.slipway.dev";
	DO(C, &r, kc_delete(C, &crd_ref, NULL, NULL, kc_sync_done, &S, NULL, &r.err));
	res_clear(&r);
}

struct watch {
	char buf[65536];
	size_t len;
	bool done;
	long status;
	int code;
	char message[512];
};

static int watch_data(const char *data, size_t len, void *userdata)
{
	struct watch *w = userdata;
	if (w->len + len >= sizeof(w->buf))
		return -E2BIG;
	memcpy(w->buf + w->len, data, len);
	w->len += len;
	w->buf[w->len] = '\0';
	return 0;
}

static void watch_done(long status, json_t *body, const struct kc_error *err, void *userdata)
{
	struct watch *w = userdata;
	w->done = true;
	w->status = status;
	w->code = err ? err->code : 0;
	snprintf(w->message, sizeof(w->message), "%s", err ? err->message : "");
}

/* The streaming mode against a real watch: events arrive as bytes, the
 * server's timeoutSeconds ends the stream cleanly, and a quiet stream hits
 * the idle timeout. */
static void test_stream(void)
{
	struct kc_ref coll = cm(NULL);
	struct kc_query q = {.watch = true, .timeout_seconds = 3, .label_selector = "e2e=stream"};
	char *path = NULL;
	kc_path_build(&coll, &q, &path);
	struct watch w = {0};
	struct kc_request_options o = {.method = KC_GET,
	                               .path = path,
	                               .on_data = watch_data,
	                               .idle_timeout = 30,
	                               .on_done = watch_done,
	                               .userdata = &w};
	struct kc_error err = {0};
	is_int(kc_request_start(C, &o, NULL, &err), 0, "start a watch: %s", err.message);
	ev_sleep(0.5);
	struct res r = {0};
	json_t *obj = configmap("streamed", "k", "v");
	json_object_set_new(json_object_get(obj, "metadata"), "labels",
	                    json_pack("{s:s}", "e2e", "stream"));
	DO(C, &r, kc_create(C, &coll, NULL, obj, kc_sync_done, &S, NULL, &r.err));
	json_decref(obj);
	e2e_run_until_flag(loop, &w.done, 20);
	ok(w.done && w.code == 0 && w.status == 200,
	   "the server's timeoutSeconds ends the stream with 200: %s", w.message);
	ok(strstr(w.buf, "\"type\":\"ADDED\"") && strstr(w.buf, "\"name\":\"streamed\""),
	   "the ADDED event arrived through on_data");
	free(path);

	/* No events and no bookmarks: the idle timeout fires. */
	struct kc_query quiet = {.watch = true, .label_selector = "e2e=nothing-has-this"};
	kc_path_build(&coll, &quiet, &path);
	struct watch w2 = {0};
	o.path = path;
	o.userdata = &w2;
	o.idle_timeout = 1;
	kc_request_start(C, &o, NULL, &err);
	double t0 = ev_time();
	e2e_run_until_flag(loop, &w2.done, 20);
	double took = ev_time() - t0;
	is_int(w2.code, -ETIMEDOUT, "a quiet watch with idle_timeout 1 s: -ETIMEDOUT: %s",
	       w2.message);
	ok(took >= 0.9 && took < 10, "after about a second (%.1f s)", took);
	free(path);
	res_clear(&r);
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *buf = malloc(1 << 20);
	size_t n = buf ? fread(buf, 1, (1 << 20) - 1, f) : 0;
	fclose(f);
	if (buf)
		buf[n] = '\0';
	return buf;
}

static void test_wrong_ca(const char *kubeconfig)
{
	struct kc_load_options lo = {.kubeconfig = kubeconfig};
	struct kc_config *cfg = NULL;
	struct kc_error err = {0};
	struct kc_client *c = NULL;
	struct res r = {0};

	/* Some other CA bundle: the system's, which never signed our test server. */
	char *bundle = read_file("/etc/ssl/certs/ca-certificates.crt");
	if (!bundle || kc_config_load(&lo, &cfg, &err) < 0) {
		ok(false, "wrong CA: setup failed: %s", err.message);
		free(bundle);
		return;
	}
	free(cfg->ca_pem);
	cfg->ca_pem = bundle;
	struct kc_client_options o = {.no_retries = true};
	kc_client_new(loop, cfg, &o, &c, &err);
	struct kc_ref nss = {.version = "v1", .resource = "namespaces"};
	DO(c, &r, kc_list(c, &nss, NULL, kc_sync_done, &S, NULL, &r.err));
	is_int(r.rc, -EPROTO, "wrong CA: -EPROTO");
	ok(strstr(r.err.message, "certificate verification failed") != NULL,
	   "says certificate verification failed: %s", r.err.message);
	ok(strstr(r.err.message, cfg->server) != NULL, "names the server %s", cfg->server);
	res_clear(&r);
	kc_client_free(c);
	kc_config_free(cfg);
}

/* tls-server-name: verify the certificate against another name than the
 * URL's host (the URL says 127.0.0.1, the name is one of the SANs). */
static void test_tls_server_name(const char *kubeconfig)
{
	const char *names[] = {"kubernetes.default.svc", "not-the-apiserver.example"};
	for (int i = 0; i < 2; i++) {
		struct kc_load_options lo = {.kubeconfig = kubeconfig};
		struct kc_config *cfg = NULL;
		struct kc_error err = {0};
		struct kc_client *c = NULL;
		struct res r = {0};
		if (kc_config_load(&lo, &cfg, &err) < 0) {
			ok(false, "tls-server-name: load: %s", err.message);
			return;
		}
		free(cfg->tls_server_name);
		cfg->tls_server_name = strdup(names[i]);
		struct kc_client_options o = {.no_retries = true};
		if (kc_client_new(loop, cfg, &o, &c, &err) < 0) {
			ok(false, "tls-server-name: client: %s", err.message);
			kc_config_free(cfg);
			return;
		}
		struct kc_ref nsref = {.version = "v1", .resource = "namespaces", .name = NS};
		DO(c, &r, kc_get(c, &nsref, NULL, kc_sync_done, &S, NULL, &r.err));
		if (i == 0) {
			is_int(r.rc, 0, "tls-server-name %s (a SAN of the server) works: %s",
			       names[i], r.err.message);
		} else {
			is_int(r.rc, -EPROTO, "tls-server-name %s (not a SAN) is refused",
			       names[i]);
			ok(strstr(r.err.message, "certificate verification failed") != NULL,
			   "... clearly: %s", r.err.message);
		}
		res_clear(&r);
		kc_client_free(c);
		kc_config_free(cfg);
	}
}

/* Who the API server thinks we are. */
static int whoami(const char *kubeconfig, char *user, size_t cap, struct kc_config **keep)
{
	struct kc_load_options lo = {.kubeconfig = kubeconfig};
	struct kc_config *cfg = NULL;
	struct kc_error err = {0};
	struct kc_client *c = NULL;
	struct res r = {0};

	if (kc_config_load(&lo, &cfg, &err) < 0) {
		tap_diag("%s", err.message);
		kc_error_clear(&err);
		return -EINVAL;
	}
	kc_client_new(loop, cfg, NULL, &c, &err);
	struct kc_ref ssr = {
	    .group = "authentication.k8s.io", .version = "v1", .resource = "selfsubjectreviews"};
	json_t *req = json_pack("{s:s, s:s}", "apiVersion", "authentication.k8s.io/v1", "kind",
	                        "SelfSubjectReview");
	DO(c, &r, kc_create(c, &ssr, NULL, req, kc_sync_done, &S, NULL, &r.err));
	json_decref(req);
	int rc = r.rc;
	const char *name = json_string_value(json_object_get(
	    json_object_get(json_object_get(r.body, "status"), "userInfo"), "username"));
	if (rc == 0)
		snprintf(user, cap, "%s", name ? name : "");
	else
		tap_diag("whoami: %s", r.err.message);
	res_clear(&r);
	kc_client_free(c);
	if (keep)
		*keep = cfg;
	else
		kc_config_free(cfg);
	return rc;
}

static void test_auth(const char *kubeconfig)
{
	char user[256] = "";
	struct kc_config *admin = NULL, *tok = NULL;

	is_int(whoami(kubeconfig, user, sizeof(user), &admin), 0, "client-certificate auth works");
	ok(admin && admin->client_cert_pem && !admin->token,
	   "... and the admin kubeconfig uses a client certificate");
	ok(user[0] != '\0', "... as user %s", user);

	char dir[4096], path[4200];
	snprintf(dir, sizeof(dir), "%s", kubeconfig);
	char *slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	else
		snprintf(dir, sizeof(dir), ".");
	snprintf(path, sizeof(path), "%s/token-kubeconfig", dir);
	user[0] = '\0';
	is_int(whoami(path, user, sizeof(user), &tok), 0, "bearer token auth works");
	ok(tok && tok->token && !tok->client_cert_pem, "... and token-kubeconfig uses a token");
	ok(user[0] != '\0', "... as user %s", user);

	/* Exec: a plugin whose first answer is a token the server refuses. */
	char tmp[] = "/tmp/kcrest-exec-XXXXXX";
	if (!admin || !tok || !tok->token || !mkdtemp(tmp)) {
		ok(false, "exec auth: setup");
		kc_config_free(admin);
		kc_config_free(tok);
		return;
	}
	char ca[4200], plugin[4200], kc[4200], runs[4200];
	snprintf(ca, sizeof(ca), "%s/ca.crt", tmp);
	snprintf(plugin, sizeof(plugin), "%s/plugin.sh", tmp);
	snprintf(kc, sizeof(kc), "%s/kubeconfig", tmp);
	snprintf(runs, sizeof(runs), "%s/runs", tmp);
	FILE *f = fopen(ca, "w");
	fputs(admin->ca_pem, f);
	fclose(f);
	f = fopen(plugin, "w");
	fprintf(f,
	        "#!/bin/sh\n"
	        "n=$(cat %s 2>/dev/null || echo 0); n=$((n + 1)); echo $n > %s\n"
	        "tok=%s; [ $n -eq 1 ] && tok=not-a-valid-token\n"
	        "printf "
	        "'{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\","
	        "\"status\":{\"token\":\"%%s\"}}\\n' \"$tok\"\n",
	        runs, runs, tok->token);
	fclose(f);
	f = fopen(kc, "w");
	fprintf(f,
	        "apiVersion: v1\nkind: Config\n"
	        "clusters: [{name: c, cluster: {server: '%s', certificate-authority: '%s'}}]\n"
	        "users: [{name: u, user: {exec: {apiVersion: client.authentication.k8s.io/v1, "
	        "command: /bin/sh, "
	        "args: ['%s'], interactiveMode: Never}}}]\n"
	        "contexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n",
	        admin->server, ca, plugin);
	fclose(f);
	user[0] = '\0';
	is_int(whoami(kc, user, sizeof(user), NULL), 0, "exec plugin auth works after one 401");
	ok(user[0] != '\0', "... as user %s", user);
	char *n = read_file(runs);
	is_str(n, "2\n", "the plugin ran twice: the 401 invalidated its first token");
	free(n);
	unlink(ca);
	unlink(plugin);
	unlink(kc);
	unlink(runs);
	rmdir(tmp);
	kc_config_free(admin);
	kc_config_free(tok);
}

int main(void)
{
	const char *kubeconfig = e2e_kubeconfig_or_skip();
	if (!kubeconfig)
		return 0;
	loop = ev_default_loop(0);
	struct kc_config *cfg = NULL;
	struct kc_error err = {0};
	/* Without a namespace the tests still run and say what fails. */
	e2e_start(loop, kubeconfig, NULL, "e2e-kcrest", NS, sizeof(NS), &cfg, &C);
	if (!C)
		return tap_done();

	test_crud();
	test_pagination();
	test_apply();
	test_scale();
	test_stream();
	test_status_subresource();
	test_wrong_ca(kubeconfig);
	test_tls_server_name(kubeconfig);
	test_auth(kubeconfig);

	struct kc_client_stats st;
	kc_client_stats(C, &st);
	tap_diag("%lu attempts over %lu connections, %lu over HTTP/2", st.attempts, st.connections,
	         st.http2);
	is_int(st.http2, st.attempts, "every response came over HTTP/2");
	ok(st.connections <= 4, "requests shared at most 4 connections (%lu)", st.connections);

	int rc = e2e_namespace_delete(C, NS, &err);
	is_int(rc, 0, "delete namespace: %s", err.message);
	kc_error_clear(&err);
	C = kc_client_free(C);
	kc_config_free(cfg);
	return tap_done();
}
