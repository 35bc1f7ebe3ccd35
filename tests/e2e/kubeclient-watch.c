/*
 * End-to-end: kubeclient's list-then-watch against the real control plane in
 * $KUBECONFIG (tests/cluster/up).
 *
 *   1. A watch on labelled ConfigMaps in a namespace of our own gets the
 *      existing ones in a REPLACE, then ADDED, MODIFIED, DELETED in order, and
 *      nothing for objects its selector excludes; freeing it from inside its
 *      own callback is safe.
 *   2. A watch survives kube-apiserver being stopped and started again
 *      (tests/cluster/restart-apiserver) and sees changes made afterwards.
 *   3. A watch resumed from resourceVersion "1", long compacted, gets 410,
 *      relists and hands over the full current set.
 *   4. A non-core group across all namespaces with label and field
 *      selectors (the API server's identity Leases, renewed every 10 s).
 *   5. A cluster-scoped resource (Namespaces) with a label selector.
 */
#include "e2e-lib.h"
#include "tap.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kubeclient/client.h"
#include "kubeclient/config.h"
#include "kubeclient/rest.h"
#include "kubeclient/watch.h"

#define LABEL_KEY   "slipway-test"
#define LABEL_VALUE "watch"
#define MAX_LOG     64

static struct ev_loop *loop;
static struct kc_client *client;
static char ns[64];

/* What one watch delivered, in order. */
struct log {
	int n;
	enum kc_watch_change change[MAX_LOG];
	char name[MAX_LOG][64]; /* for REPLACE: the names, comma-separated */
	char kind[MAX_LOG][32]; /* kind of the (first) object */
	unsigned errors;
	enum kc_watch_input last_error;
	bool free_on_delete;   /* kc_watch_free from inside the DELETED callback */
	struct kc_watch *self; /* to free */
};

static void on_change(struct kc_watch *w, enum kc_watch_change change, json_t *obj, void *ud)
{
	struct log *l = ud;
	if (l->n >= MAX_LOG)
		return;
	int i = l->n++;
	l->change[i] = change;
	l->name[i][0] = '\0';
	l->kind[i][0] = '\0';
	if (change == KC_WATCH_REPLACE) {
		size_t k;
		json_t *item;
		size_t len = 0;
		json_array_foreach(obj, k, item)
		{
			const char *name = json_string_value(
			    json_object_get(json_object_get(item, "metadata"), "name"));
			int m = snprintf(l->name[i] + len, sizeof(l->name[i]) - len, "%s%s",
			                 len ? "," : "", name ? name : "?");
			if (m < 0 || (size_t)m >= sizeof(l->name[i]) - len)
				break;
			len += (size_t)m;
			if (k == 0)
				snprintf(l->kind[i], sizeof(l->kind[i]), "%s",
				         json_string_value(json_object_get(item, "kind")));
		}
	} else {
		const char *name =
		    json_string_value(json_object_get(json_object_get(obj, "metadata"), "name"));
		snprintf(l->name[i], sizeof(l->name[i]), "%s", name ? name : "?");
		snprintf(l->kind[i], sizeof(l->kind[i]), "%s",
		         json_string_value(json_object_get(obj, "kind")));
	}
	if (change == KC_WATCH_DELETED && l->free_on_delete && l->self == w)
		l->self = kc_watch_free(w);
}

static void on_error(struct kc_watch *w, enum kc_watch_input what, const struct kc_error *err,
                     void *ud)
{
	struct log *l = ud;
	l->errors++;
	l->last_error = what;
	tap_diag("watch recovers from %s: %s", kc_watch_input_name(what), err->message);
}

/* Index of the first entry at or after `from` with this change and name, or -1. */
static int find(const struct log *l, int from, enum kc_watch_change change, const char *name)
{
	for (int i = from; i < l->n && i < MAX_LOG; i++) {
		if (l->change[i] == change && strcmp(l->name[i], name) == 0)
			return i;
	}
	return -1;
}

/* True when a REPLACE at or after `from` lists `name`. */
static bool replaced_with(const struct log *l, int from, const char *name)
{
	for (int i = from; i < l->n && i < MAX_LOG; i++) {
		if (l->change[i] != KC_WATCH_REPLACE)
			continue;
		char padded[80];
		char names[80];
		snprintf(padded, sizeof(padded), ",%s,", name);
		snprintf(names, sizeof(names), ",%s,", l->name[i]);
		if (strstr(names, padded))
			return true;
	}
	return false;
}

struct want {
	const struct log *log;
	int from;
	enum kc_watch_change change;
	const char *name;
};

static bool seen(void *arg)
{
	struct want *w = arg;
	if (w->change == KC_WATCH_REPLACE)
		return replaced_with(w->log, w->from, w->name);
	return find(w->log, w->from, w->change, w->name) >= 0;
}

static bool wait_for(const struct log *l, int from, enum kc_watch_change change, const char *name,
                     double seconds)
{
	struct want w = {l, from, change, name};
	return e2e_run_until(loop, seen, &w, seconds);
}

static bool seen_name(void *arg)
{
	struct want *w = arg;
	return find(w->log, w->from, KC_WATCH_ADDED, w->name) >= 0 ||
	       replaced_with(w->log, w->from, w->name);
}

/* ---- synchronous API calls for the test's own changes -------------------- */

static int call_done(int rc, struct kc_sync *s, const char *what, struct kc_error *err)
{
	rc = e2e_sync(client, rc, s, NULL, err);
	if (rc < 0)
		tap_diag("%s: %s", what, err->message);
	kc_error_clear(err);
	return rc;
}

static int create_cm(const char *name, bool labelled, const char *value)
{
	json_t *obj = json_pack("{s:s, s:s, s:{s:s}, s:{s:s}}", "apiVersion", "v1", "kind",
	                        "ConfigMap", "metadata", "name", name, "data", "value", value);
	if (labelled)
		json_object_set_new(json_object_get(obj, "metadata"), "labels",
		                    json_pack("{s:s}", LABEL_KEY, LABEL_VALUE));
	struct kc_ref ref = {.version = "v1", .resource = "configmaps", .ns = ns};
	struct kc_sync s = {0};
	struct kc_error err = {0};
	int rc = kc_create(client, &ref, NULL, obj, kc_sync_done, &s, NULL, &err);
	json_decref(obj);
	return call_done(rc, &s, "create configmap", &err);
}

static int patch_cm(const char *name, const char *value)
{
	json_t *patch = json_pack("{s:{s:s}}", "data", "value", value);
	struct kc_ref ref = {.version = "v1", .resource = "configmaps", .ns = ns, .name = name};
	struct kc_sync s = {0};
	struct kc_error err = {0};
	int rc = kc_patch(client, &ref, NULL, KC_PATCH_MERGE, patch, kc_sync_done, &s, NULL, &err);
	json_decref(patch);
	return call_done(rc, &s, "patch configmap", &err);
}

static int delete_obj(const char *resource, const char *namespace, const char *name)
{
	struct kc_ref ref = {.version = "v1", .resource = resource, .ns = namespace, .name = name};
	struct kc_sync s = {0};
	struct kc_error err = {0};
	int rc = kc_delete(client, &ref, NULL, NULL, kc_sync_done, &s, NULL, &err);
	return call_done(rc, &s, "delete", &err);
}

static struct kc_watch *start_watch(struct log *l, struct kc_watch_options o)
{
	o.on_change = on_change;
	o.on_error = on_error;
	o.userdata = l;
	/* Short backoff so the outage test does not wait 30 s between tries. */
	o.backoff = (struct kc_backoff){.initial = 0.2, .max = 2, .factor = 2, .jitter = 0.2};
	struct kc_watch *w = NULL;
	struct kc_error err = {0};
	if (kc_watch_new(client, &o, &w, &err) < 0) {
		tap_diag("kc_watch_new: %s", err.message);
		return NULL;
	}
	if (kc_watch_start(w) < 0)
		return kc_watch_free(w);
	return w;
}

/* Labelled ConfigMaps in our namespace. */
static struct kc_watch *new_watch(struct log *l, const char *resume_from)
{
	struct kc_watch_options o = {
	    .version = "v1",
	    .resource = "configmaps",
	    .ns = ns,
	    .label_selector = LABEL_KEY "=" LABEL_VALUE,
	    .resume_from = resume_from,
	};
	return start_watch(l, o);
}

static bool seen_never(void *arg)
{
	return *(bool *)arg;
}

static bool is_synced(void *arg)
{
	return kc_watch_synced(arg);
}

/* ---- the tests ------------------------------------------------------------ */

static void test_events_in_order(void)
{
	struct log l = {.free_on_delete = true};
	ok(create_cm("pre", true, "0") == 0, "a labelled ConfigMap exists before the watch");
	ok(create_cm("unlabelled", false, "0") == 0, "and one the selector excludes");
	l.self = new_watch(&l, NULL);
	ok(l.self != NULL, "watch created and started");
	if (!l.self)
		return;
	ok(!kc_watch_synced(l.self), "not synced before the loop ran");
	ok(e2e_run_until(loop, is_synced, l.self, 30), "synced after the first list");
	is_int(l.n, 1, "exactly one delivery so far");
	is_int(l.change[0], KC_WATCH_REPLACE, "the first delivery is a REPLACE");
	is_str(l.name[0], "pre", "REPLACE holds the existing labelled ConfigMap only");
	is_str(l.kind[0], "ConfigMap", "list items carry their kind like watch events do");

	ok(create_cm("a", true, "1") == 0, "create a");
	ok(create_cm("b-unlabelled", false, "1") == 0, "create an unlabelled ConfigMap");
	ok(patch_cm("a", "2") == 0, "modify a");
	ok(delete_obj("configmaps", ns, "a") == 0, "delete a");
	ok(wait_for(&l, 1, KC_WATCH_DELETED, "a", 30), "DELETED a arrives");
	int added = find(&l, 1, KC_WATCH_ADDED, "a");
	int modified = find(&l, 1, KC_WATCH_MODIFIED, "a");
	int deleted = find(&l, 1, KC_WATCH_DELETED, "a");
	ok(added == 1 && modified == 2 && deleted == 3,
	   "ADDED, MODIFIED, DELETED in order and nothing else (at %d, %d, %d)", added, modified,
	   deleted);
	is_str(l.kind[1], "ConfigMap", "events carry the object's kind");
	ok(l.self == NULL, "the watch was freed from inside its DELETED callback");
	int n = l.n;
	ok(create_cm("after-free", true, "1") == 0, "create after the watch is gone");
	struct want nothing = {&l, n, KC_WATCH_ADDED, "after-free"};
	ok(!e2e_run_until(loop, seen, &nothing, 2), "a freed watch delivers nothing more");
	is_int(l.errors, 0, "no errors on a quiet healthy watch");
}

static bool back_to_watching(void *arg)
{
	return kc_watch_state(arg) == KC_WATCH_WATCHING;
}

static void test_apiserver_restart(void)
{
	struct log l = {0};
	struct kc_watch *w = new_watch(&l, NULL);
	ok(w && e2e_run_until(loop, is_synced, w, 30), "restart: watch synced");
	if (!w)
		return;
	ok(create_cm("before-restart", true, "1") == 0, "create before the restart");
	ok(wait_for(&l, 0, KC_WATCH_ADDED, "before-restart", 30), "seen before the restart");

	/* The loop keeps turning while the script stops and starts the server,
	 * so the watch lives through the outage instead of sleeping through it. */
	struct e2e_child restart;
	int rc = e2e_restart_apiserver_start(loop, 3, &restart);
	if (rc == -ENOENT) {
		ok(true, "# SKIP no tests/cluster/restart-apiserver or no cluster directory");
		kc_watch_free(w);
		return;
	}
	ok(rc == 0 && e2e_run_until_flag(loop, &restart.done, 120) && WIFEXITED(restart.status) &&
	       WEXITSTATUS(restart.status) == 0,
	   "kube-apiserver stopped for 3 s and started again");
	ok(create_cm("after-restart", true, "1") == 0, "create after the restart");
	struct want w_after = {&l, 0, KC_WATCH_ADDED, "after-restart"};
	ok(e2e_run_until(loop, seen_name, &w_after, 90),
	   "the watch sees a ConfigMap created after the restart");
	/* A stopping server may end the stream cleanly (no error to report), so
	 * the counters, not on_error, are what must show the outage. */
	tap_diag("%u failures reported through on_error", l.errors);
	ok(kc_watch_restarts(w) + kc_watch_relists(w) >= 1,
	   "the outage was survived by re-watching or relisting: %lu restarts, %lu relists",
	   kc_watch_restarts(w), kc_watch_relists(w));
	ok(e2e_run_until(loop, back_to_watching, w, 30), "the watch is watching again");
	int n = l.n;
	ok(patch_cm("after-restart", "2") == 0, "modify after the restart");
	ok(wait_for(&l, n, KC_WATCH_MODIFIED, "after-restart", 30),
	   "a later change arrives as an event on the resumed watch");
	kc_watch_free(w);
}

/* A non-core group, all namespaces, label and field selectors: the API
 * servers' identity Leases, which kube-apiserver renews every 10 s. */
static void test_group_all_namespaces(void)
{
	struct log l = {0};
	struct kc_watch_options o = {
	    .group = "coordination.k8s.io",
	    .version = "v1",
	    .resource = "leases",
	    .label_selector = "apiserver.kubernetes.io/identity=kube-apiserver",
	    .field_selector = "metadata.namespace=kube-system",
	};
	struct kc_watch *w = start_watch(&l, o);
	ok(w && e2e_run_until(loop, is_synced, w, 30), "leases: synced");
	if (!w)
		return;
	ok(l.n > 0 && l.change[0] == KC_WATCH_REPLACE && strncmp(l.name[0], "apiserver-", 10) == 0,
	   "leases: REPLACE holds the API server's identity Lease (%s)", l.n > 0 ? l.name[0] : "");
	is_str(l.kind[0], "Lease", "leases: items carry kind Lease");
	bool modified = false;
	for (int tries = 0; tries < 60 && !modified; tries++) {
		bool never = false;
		e2e_run_until(loop, seen_never, &never, 0.5);
		for (int i = 1; i < l.n && i < MAX_LOG && !modified; i++)
			modified = l.change[i] == KC_WATCH_MODIFIED;
	}
	ok(modified, "leases: a renewal arrives as MODIFIED within 30 s");
	kc_watch_free(w);
}

/* Cluster-scoped: Namespaces with a label selector. */
static void test_cluster_scoped(void)
{
	struct log l = {0};
	char label[96];
	snprintf(label, sizeof(label), "slipway-test-ns=%s", ns);
	struct kc_watch_options o = {
	    .version = "v1",
	    .resource = "namespaces",
	    .label_selector = label,
	};
	struct kc_watch *w = start_watch(&l, o);
	ok(w && e2e_run_until(loop, is_synced, w, 30), "namespaces: synced");
	if (!w)
		return;
	is_str(l.n > 0 ? l.name[0] : "?", "", "namespaces: nothing labelled yet: empty REPLACE");
	json_t *patch = json_pack("{s:{s:{s:s}}}", "metadata", "labels", "slipway-test-ns", ns);
	struct kc_ref ref = {.version = "v1", .resource = "namespaces", .name = ns};
	struct kc_sync sync = {0};
	struct kc_error err = {0};
	int rc =
	    kc_patch(client, &ref, NULL, KC_PATCH_MERGE, patch, kc_sync_done, &sync, NULL, &err);
	json_decref(patch);
	ok(call_done(rc, &sync, "label namespace", &err) == 0, "namespaces: label ours");
	ok(wait_for(&l, 1, KC_WATCH_ADDED, ns, 30),
	   "namespaces: labelling it makes it ADDED to the selection");
	kc_watch_free(w);
}

static bool relisted(void *arg)
{
	const struct log *l = arg;
	return l->n > 0 && l->change[0] == KC_WATCH_REPLACE;
}

static void test_gone_relists(void)
{
	struct log l = {0};
	ok(create_cm("exists", true, "1") == 0, "gone: a labelled ConfigMap exists");
	struct kc_watch *w = new_watch(&l, "1");
	ok(w != NULL, "watch resumed from resourceVersion 1");
	if (!w)
		return;
	ok(e2e_run_until(loop, relisted, &l, 60),
	   "410 on the compacted resourceVersion leads to a list");
	is_int(l.last_error, KC_WATCH_IN_GONE, "the failure was recognised as Gone");
	ok(l.n > 0 && replaced_with(&l, 0, "exists"), "REPLACE holds the current objects (%s)",
	   l.n > 0 ? l.name[0] : "");
	ok(kc_watch_synced(w), "synced after the relist");
	is_int(kc_watch_relists(w), 1, "one relist counted");
	ok(strcmp(kc_watch_resource_version(w), "1") != 0, "resumes from the list's version (%s)",
	   kc_watch_resource_version(w));
	int n = l.n;
	ok(patch_cm("exists", "2") == 0, "modify after the relist");
	ok(wait_for(&l, n, KC_WATCH_MODIFIED, "exists", 30), "the new watch delivers the change");
	kc_watch_free(w);
}

int main(void)
{
	if (!e2e_kubeconfig_or_skip())
		return 0;
	signal(SIGPIPE, SIG_IGN);
	loop = ev_default_loop(0);
	struct kc_config *cfg = NULL;
	struct kc_error err = {0};
	struct kc_client_options co = {.qps = -1};
	if (e2e_client_new(loop, NULL, &co, &cfg, &client, &err) < 0) {
		printf("Bail out! kubeconfig and client: %s\n", err.message);
		return 1;
	}
	if (e2e_namespace_create(client, "e2e-kcwatch", ns, sizeof(ns), &err) < 0) {
		printf("Bail out! cannot create namespace %s: %s\n", ns, err.message);
		return 1;
	}

	test_events_in_order();
	test_apiserver_restart();
	test_gone_relists();
	test_group_all_namespaces();
	test_cluster_scoped();

	if (e2e_namespace_delete(client, ns, &err) < 0)
		tap_diag("delete namespace %s: %s", ns, err.message);
	kc_error_clear(&err);
	client = kc_client_free(client);
	kc_config_free(cfg);
	ev_loop_destroy(loop);
	return tap_done();
}
