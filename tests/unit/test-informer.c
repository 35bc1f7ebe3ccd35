/*
 * Informers and the shared-informer factory without a server: handlers,
 * field indexes and the identity and scope of shared informers. Objects go
 * in through ctl_informer_refresh, the path a 409 re-read takes, which
 * fires the handlers like a watch event.
 */
#include "loopback-config.h"
#include "tap.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <ev.h>

#include "controller/informers.h"
#include "kubeclient/client.h"
#include "kubeclient/config.h"

struct heard {
	int adds, updates;
	char last[64];
};

static void hear(struct ctl_informer *inf, enum ctl_informer_event ev, const json_t *old,
                 const json_t *obj, void *userdata)
{
	struct heard *h = userdata;
	if (ev == CTL_INFORMER_ADD)
		h->adds++;
	if (ev == CTL_INFORMER_UPDATE)
		h->updates++;
	ctl_object_key(obj, h->last, sizeof(h->last));
}

static size_t owner_name(const json_t *obj, char (*values)[CTL_STORE_KEY_MAX], size_t max,
                         void *userdata)
{
	const char *app = json_string_value(
	    json_object_get(json_object_get(json_object_get(obj, "metadata"), "labels"), "app"));
	if (!app || max < 1)
		return 0;
	snprintf(values[0], CTL_STORE_KEY_MAX, "%s", app);
	return 1;
}

static int count(const char *key, json_t *obj, void *userdata)
{
	(*(int *)userdata)++;
	return 0;
}

/* Caller owns the result (json_decref). */
static json_t *pod(const char *ns, const char *name, const char *rv, const char *app)
{
	return json_pack("{s:{s:s,s:s,s:s,s:{s:s}}}", "metadata", "namespace", ns, "name", name,
	                 "resourceVersion", rv, "labels", "app", app);
}

static const struct ctl_index by_app = {.name = "app", .fn = owner_name};

static void test_handlers_and_index(struct ctl_informers *f)
{
	struct kc_error err = {0};
	struct ctl_kind pods = {.group = "",
	                        .version = "v1",
	                        .resource = "pods",
	                        .kind = "Pod",
	                        .namespaced = true,
	                        .indexes = &by_app,
	                        .n_indexes = 1};
	struct ctl_informer *inf = NULL, *again = NULL;
	is_int(ctl_informers_get(f, &pods, &inf, &err), 0, "a pod informer");
	is_int(ctl_informers_get(f, &pods, &again, &err), 0, "asked for again");
	ok(inf == again, "the same informer");
	struct heard one = {0}, two = {0};
	is_int(ctl_informer_add_handler(inf, hear, &one), 0, "first handler");
	is_int(ctl_informer_add_handler(inf, hear, &two), 0, "second handler");

	json_t *p = pod("a", "p1", "5", "web");
	is_int(ctl_informer_refresh(inf, p), 0, "an object arrives");
	json_decref(p);
	is_int(one.adds, 1, "the first handler hears the ADD");
	is_int(two.adds, 1, "so does the second");
	is_str(two.last, "a/p1", "about a/p1");
	int n = 0;
	ctl_informer_by_index(inf, "app", "web", count, &n);
	is_int(n, 1, "the index finds it by value");

	p = pod("a", "p1", "6", "db");
	ctl_informer_refresh(inf, p);
	json_decref(p);
	is_int(one.updates + two.updates, 2, "an UPDATE reaches both handlers");
	n = 0;
	ctl_informer_by_index(inf, "app", "web", count, &n);
	is_int(n, 0, "the old index value is gone");
	n = 0;
	ctl_informer_by_index(inf, "app", "db", count, &n);
	is_int(n, 1, "the new one is there");

	ctl_informer_remove_handler(inf, hear, &two);
	p = pod("a", "p1", "7", "db");
	ctl_informer_refresh(inf, p);
	json_decref(p);
	ok(one.updates == 2 && two.updates == 1, "a removed handler hears nothing more");

	p = pod("c", "p9", "8", "web");
	is_int(ctl_informer_refresh(inf, p), -ENOENT, "a namespace not watched is refused");
	json_decref(p);

	struct ctl_index other = {.name = "app", .fn = owner_name, .userdata = &n};
	pods.indexes = &other;
	is_int(ctl_informers_get(f, &pods, &again, &err), -EINVAL,
	       "the same index name with another definition is refused");
	kc_error_clear(&err);
}

static void test_identity_and_scope(struct ctl_informers *f)
{
	struct kc_error err = {0};
	struct ctl_kind jobs = {.group = "batch",
	                        .version = "v1",
	                        .resource = "jobs",
	                        .kind = "Job",
	                        .namespaced = true,
	                        .label_selector = "app.kubernetes.io/managed-by=slipway"};
	struct ctl_informer *a = NULL, *b = NULL;
	ctl_informers_get(f, &jobs, &a, &err);
	jobs.label_selector = NULL;
	ctl_informers_get(f, &jobs, &b, &err);
	ok(a && b && a != b, "another label selector is another informer");
	is_int(ctl_informer_watches(a), 2, "a namespaced kind: one watch per namespace (a, b)");

	jobs.compact = true;
	is_int(ctl_informers_get(f, &jobs, &b, &err), -EINVAL,
	       "the same kind with another storage is refused");
	ok(err.message && strstr(err.message, "storage"), "saying why: %s", err.message);
	kc_error_clear(&err);

	struct ctl_kind templates = {.group = "slipway.dev",
	                             .version = "v1alpha1",
	                             .resource = "clusteranalysistemplates",
	                             .kind = "ClusterAnalysisTemplate",
	                             .namespaced = false};
	struct ctl_informer *t = NULL;
	is_int(ctl_informers_get(f, &templates, &t, &err), 0, "a cluster-scoped informer");
	is_int(ctl_informer_watches(t), 1, "one cluster-wide watch despite two namespaces");
	json_t *obj =
	    json_pack("{s:{s:s,s:s}}", "metadata", "name", "error-rate", "resourceVersion", "3");
	is_int(ctl_informer_refresh(t, obj), 0, "a cluster-scoped object is stored");
	json_decref(obj);
	json_t *got = NULL;
	is_int(ctl_informer_get(t, "error-rate", &got), 0, "under its bare name");
	json_decref(got);

	is_int(ctl_informers_start(f), 0, "the informers start");
	struct heard late = {0};
	is_int(ctl_informer_add_handler(t, hear, &late), -EBUSY, "no handler after the start");
	templates.indexes = &by_app;
	templates.n_indexes = 1;
	is_int(ctl_informers_get(f, &templates, &t, &err), -EBUSY, "no index after the start");
	kc_error_clear(&err);
	struct ctl_kind secrets = {.version = "v1", .resource = "secrets", .namespaced = true};
	is_int(ctl_informers_get(f, &secrets, &t, &err), -EBUSY, "no new informer after the start");
	kc_error_clear(&err);
}

int main(void)
{
	struct ev_loop *loop = ev_default_loop(0);
	/* A server nobody listens on: nothing here waits for an answer. */
	struct kc_config *cfg = test_loopback_config("http://127.0.0.1:1", "t", NULL);
	struct kc_client *c = NULL;
	struct kc_error err = {0};
	if (!cfg || kc_client_new(loop, cfg, &(struct kc_client_options){0}, &c, &err) < 0) {
		printf("Bail out! client: %s\n", err.message);
		return 1;
	}
	static const char *const namespaces[] = {"a", "b", NULL};
	struct ctl_informers *f = NULL;
	if (ctl_informers_new(c, namespaces, &f) < 0)
		return 1;
	test_handlers_and_index(f);
	test_identity_and_scope(f);
	ctl_informers_free(f);
	kc_client_free(c);
	kc_config_free(cfg);
	return tap_done();
}
