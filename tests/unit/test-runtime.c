/*
 * The controller runtime and manager against a fake API server on loopback
 * (fake-apiserver.h): shared informers, the scope of a cluster-scoped kind
 * under --namespaces, the three watch roles, the status-echo filter, the
 * 409 re-read (also of a CREATE whose name is taken), stopping at the first
 * failed action, the last failed write remembered for the next reconcile,
 * Events only after the status write, the write gate, a server's
 * Retry-After beyond the request deadline honoured by the requeue, one kind
 * in two roles, and a kind whose API may not be served — each observed from
 * the requests the server saw and from what the test's reconcile function
 * was handed.
 */
#include "controller-harness.h"
#include "tap.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ev.h>

#include "controller/events.h"
#include "controller/manager.h"
#include "controller/metrics.h"
#include "controller/observability.h"
#include "controller/runtime.h"
#include "kubeclient/client.h"

#define WIDGETS_A "/apis/example.com/v1/namespaces/a/widgets"
#define WIDGETS_B "/apis/example.com/v1/namespaces/b/widgets"
#define GADGETS_A "/apis/example.com/v1/namespaces/a/gadgets"
#define GADGETS_B "/apis/example.com/v1/namespaces/b/gadgets"
#define SERVICES  "/api/v1/namespaces/a/services"
#define THINGS    "/apis/example.com/v1/clusterthings"
#define ROUTES_A  "/apis/example.net/v1/namespaces/a/routes"

/* Widgets (primary), gadgets (owned by a widget), services (mapped through
 * the widgets' "spec.service" index) and clusterthings (cluster-scoped). */
static size_t service_of(const json_t *obj, char (*values)[CTL_STORE_KEY_MAX], size_t max,
                         void *userdata)
{
	const json_t *md = json_object_get(obj, "metadata");
	const char *ns = json_string_value(json_object_get(md, "namespace"));
	const char *svc =
	    json_string_value(json_object_get(json_object_get(obj, "spec"), "service"));
	if (!ns || !svc || max < 1)
		return 0;
	int n = snprintf(values[0], CTL_STORE_KEY_MAX, "%s/%s", ns, svc);
	return n > 0 && n < CTL_STORE_KEY_MAX ? 1 : 0;
}

static const struct ctl_index by_service = {.name = "spec.service", .fn = service_of};

static const struct ctl_kind widgets = {.group = "example.com",
                                        .version = "v1",
                                        .resource = "widgets",
                                        .kind = "Widget",
                                        .namespaced = true,
                                        .indexes = &by_service,
                                        .n_indexes = 1};
static const struct ctl_kind gadgets = {.group = "example.com",
                                        .version = "v1",
                                        .resource = "gadgets",
                                        .kind = "Gadget",
                                        .namespaced = true,
                                        .compact = true};
static const struct ctl_kind services = {
    .group = "", .version = "v1", .resource = "services", .kind = "Service", .namespaced = true};
static const struct ctl_kind things = {.group = "example.com",
                                       .version = "v1",
                                       .resource = "clusterthings",
                                       .kind = "ClusterThing",
                                       .namespaced = false};

/* A kind whose API may not be served (a CRD that is not installed). */
static const struct ctl_kind routes = {.group = "example.net",
                                       .version = "v1",
                                       .resource = "routes",
                                       .kind = "Route",
                                       .namespaced = true,
                                       .compact = true,
                                       .optional = true};

static const char *const ns_a[] = {"a", NULL};
static const char *const ns_ab[] = {"a", "b", NULL};

/* A widget as JSON text; caller frees it. */
static char *widget(const char *name, const char *rv, const char *service)
{
	char *s = NULL;
	int n =
	    asprintf(&s,
	             "{\"apiVersion\":\"example.com/v1\",\"kind\":\"Widget\",\"metadata\":{"
	             "\"name\":\"%s\",\"namespace\":\"a\",\"uid\":\"uid-%s\","
	             "\"resourceVersion\":\"%s\",\"generation\":1},\"spec\":{\"service\":\"%s\"}}",
	             name, name, rv, service);
	return n < 0 ? NULL : s;
}

/* ---- the test's reconcile function ------------------------------------- */

enum behaviour { NOTHING, PATCH_STATUS, THREE_PATCHES, STATUS_THEN_EVENT, CREATE_GADGET };

struct probe {
	enum behaviour does;
	int reconciles;
	char keys[32][64]; /* the key of every reconcile, in order */
	char rv[32][16];   /* the resourceVersion each saw */
	bool open;         /* the write gate's answer */
	bool (*filter)(const json_t *old, const json_t *obj);
	/* What ctl_runtime_failure said at each reconcile: "kind name status
	 * generation: message", "" when nothing. */
	char failure[32][160];
	double at[32];   /* ev_time() of every reconcile */
	int patches[32]; /* PATCHes the server had seen at every reconcile */
	double requeue;  /* > 0: every plan asks for another look after this */
};

/* Records what the runtime remembers of the key's last failed write. */
static void note_failure(struct ctl_runtime *rt, struct probe *p, const json_t *obj)
{
	char key[CTL_STORE_KEY_MAX];
	const struct rec_failure *f =
	    ctl_object_key(obj, key, sizeof(key)) == 0 ? ctl_runtime_failure(rt, key) : NULL;
	if (p->reconciles >= 32 || !f)
		return;
	snprintf(p->failure[p->reconciles], sizeof(p->failure[0]), "%s %s %ld %d: %s",
	         rec_action_kind_name(f->kind), f->name ? f->name : "-", f->http_status,
	         (int)f->generation, f->message ? f->message : "-");
}

static int reconcile(struct ctl_runtime *rt, const json_t *obj, double now, struct rec_plan *plan,
                     void *userdata)
{
	struct probe *p = userdata;
	const json_t *md = json_object_get(obj, "metadata");
	note_failure(rt, p, obj);
	if (p->reconciles < 32) {
		snprintf(p->keys[p->reconciles], sizeof(p->keys[0]), "%s/%s",
		         json_string_value(json_object_get(md, "namespace")),
		         json_string_value(json_object_get(md, "name")));
		snprintf(p->rv[p->reconciles], sizeof(p->rv[0]), "%s",
		         json_string_value(json_object_get(md, "resourceVersion")));
		p->at[p->reconciles] = ev_time();
		p->patches[p->reconciles] = fa_count(ch_srv, "PATCH", NULL);
	}
	p->reconciles++;
	if (p->requeue > 0)
		rec_plan_requeue(plan, p->requeue);
	struct rec_ref ref = {
	    .group = "example.com",
	    .version = "v1",
	    .resource = "widgets",
	    .kind = "Widget",
	    .ns = "a",
	    .name = (char *)json_string_value(json_object_get(md, "name")),
	    .uid = (char *)json_string_value(json_object_get(md, "uid")),
	    .resource_version = (char *)json_string_value(json_object_get(md, "resourceVersion"))};
	json_t *body = json_pack("{s:s}", "phase", "Busy");
	int r = 0;
	bool status = p->does == PATCH_STATUS || p->does == STATUS_THEN_EVENT;
	if (status && !rec_plan_add(plan, REC_WRITE_STATUS, &ref, body))
		r = -ENOMEM;
	if (r == 0 && p->does == STATUS_THEN_EVENT &&
	    !rec_plan_add_event(plan, &ref, REC_EVENT_NORMAL, "Busy", "The widget is busy."))
		r = -ENOMEM;
	static char *const names[] = {"g1", "g2", "g3"};
	for (size_t i = 0; p->does == THREE_PATCHES && r == 0 && i < 3; i++) {
		struct rec_ref g = {.group = "example.com",
		                    .version = "v1",
		                    .resource = "gadgets",
		                    .kind = "Gadget",
		                    .ns = "a",
		                    .name = names[i]};
		if (!rec_plan_add(plan, REC_MERGE_PATCH, &g, body))
			r = -ENOMEM;
	}
	struct rec_ref g1 = {.group = "example.com",
	                     .version = "v1",
	                     .resource = "gadgets",
	                     .kind = "Gadget",
	                     .ns = "a",
	                     .name = "g1"};
	json_t *gadget = json_pack("{s:{s:s}}", "metadata", "name", "g1");
	if (r == 0 && p->does == CREATE_GADGET && !rec_plan_add(plan, REC_CREATE, &g1, gadget))
		r = -ENOMEM;
	json_decref(gadget);
	json_decref(body);
	return r;
}

static bool gate(void *userdata)
{
	return ((struct probe *)userdata)->open;
}

static int reconciles_of(const struct probe *p, const char *key)
{
	int n = 0;
	for (int i = 0; i < p->reconciles && i < 32; i++)
		n += strcmp(p->keys[i], key) == 0;
	return n;
}

/* ---- plumbing ---------------------------------------------------------- */

/* The request deadline of the next client; 0: the client's default. */
static double client_deadline;

static int min_reconciles;
static bool reconciled(void *p)
{
	return ((struct probe *)p)->reconciles >= min_reconciles;
}

static bool run_until_reconciles(struct probe *p, int n)
{
	min_reconciles = n;
	return ch_run_until(reconciled, p, 5);
}

/* Events for the manager's controllers; NULL: none. */
static struct ctl_events *events;
/* The queue of the manager's controllers; NULL: the defaults. */
static const struct ctl_queue_config *queue_config;

/* A manager over namespaces, started, synced and leading, with one
 * controller "test" per probe (the same watches for each). */
struct setup {
	struct kc_client *client;
	struct ctl_manager *mgr;
	struct ctl_runtime *rt[2];
};

static void setup_start(struct setup *s, const char *const *namespaces, struct probe *probes,
                        size_t n, const struct ctl_watch *watches, size_t n_watches)
{
	struct kc_error err = {0};
	s->client = ch_client_new(client_deadline);
	struct ctl_manager_options mo = {
	    .client = s->client, .namespaces = namespaces, .events = events};
	if (ctl_manager_new(&mo, &s->mgr, &err) < 0)
		ch_bail("manager: %s", err.message);
	static const char *const names[] = {"one", "two"};
	for (size_t i = 0; i < n; i++) {
		struct ctl_runtime_options ro = {.name = names[i],
		                                 .primary = widgets,
		                                 .watches = watches,
		                                 .n_watches = n_watches,
		                                 .queue = queue_config,
		                                 .may_write = gate,
		                                 .may_write_userdata = &probes[i],
		                                 .primary_update_matters = probes[i].filter,
		                                 .reconcile = reconcile,
		                                 .userdata = &probes[i]};
		if (ctl_manager_add(s->mgr, &ro, &s->rt[i], &err) < 0)
			ch_bail("controller: %s", err.message);
	}
	ch_manager_lead(s->mgr);
}

static void setup_stop(struct setup *s)
{
	ch_stop(&s->mgr, &s->client);
}

/* The watches of every kind (min_watches of them) reached the server. */
static int min_watches;
static bool watching(void *arg)
{
	return fa_count(ch_srv, "WATCH", NULL) >= min_watches;
}

static int writes(void)
{
	return fa_count(ch_srv, "PATCH", NULL) + fa_count(ch_srv, "POST", NULL) +
	       fa_count(ch_srv, "PUT", NULL) + fa_count(ch_srv, "DELETE", NULL);
}

/* ---- tests -------------------------------------------------------------- */

/* One scrape: a series per controller, one per shared informer. */
static void check_metrics(struct ctl_manager *mgr)
{
	struct ctl_metrics *r = ctl_metrics_new();
	struct ctl_observability *o = NULL;
	is_int(ctl_observability_new(r, mgr, NULL, &o), 0, "metrics registered");
	char *text = NULL;
	size_t len = 0;
	ctl_metrics_render(r, &text, &len);
	ok(text && strstr(text, "slipway_reconcile_total{controller=\"one\"} 2\n") &&
	       strstr(text, "slipway_reconcile_total{controller=\"two\"} 2\n"),
	   "slipway_reconcile_total has one series per controller");
	ok(text && strstr(text, "workqueue_adds_total{controller=\"two\"}"),
	   "so do the workqueue metrics");
	ok(text && strstr(text, "slipway_informer_objects{resource=\"gadgets\"} 1\n"),
	   "and one informer series per shared informer");
	free(text);
	ctl_observability_free(o);
	ctl_metrics_free(r);
}

static void test_shared_informers(void)
{
	char *w1 = widget("w1", "11", "web");
	ch_route_list(WIDGETS_A, w1);
	ch_route_list(GADGETS_A, "");
	struct probe p[2] = {{.open = true}, {.open = true}};
	struct ctl_watch owned = {.role = CTL_WATCH_OWNED, .kind = gadgets};
	struct setup s = {0};
	setup_start(&s, ns_a, p, 2, &owned, 1);

	is_int(ctl_informers_len(ctl_manager_informers(s.mgr)), 2,
	       "two controllers on widgets and gadgets: two informers, not four");
	ok(ctl_runtime_informer(s.rt[0], 1) == ctl_runtime_informer(s.rt[1], 1),
	   "both controllers read the same gadget cache");
	ok(run_until_reconciles(&p[0], 1) && run_until_reconciles(&p[1], 1),
	   "each controller reconciles w1 once it leads");
	min_watches = 2;
	ch_run_until(watching, NULL, 5);
	is_int(fa_count(ch_srv, "GET", GADGETS_A), 1, "one list of gadgets");
	is_int(fa_count(ch_srv, "WATCH", GADGETS_A), 1, "one watch of gadgets");

	/* A gadget owned by w1 changes: both controllers hear it. */
	json_t *g = ch_parse("{\"metadata\":{\"name\":\"g1\",\"namespace\":\"a\","
	                     "\"resourceVersion\":\"12\",\"ownerReferences\":[{\"apiVersion\":"
	                     "\"example.com/v1\",\"kind\":\"Widget\",\"name\":\"w1\",\"uid\":"
	                     "\"uid-w1\",\"controller\":true}]}}");
	ctl_informer_refresh(ctl_runtime_informer(s.rt[0], 1), g);
	json_decref(g);
	ok(run_until_reconciles(&p[0], 2) && run_until_reconciles(&p[1], 2),
	   "an owned gadget's change wakes its owner in both controllers (two handlers)");
	is_str(p[1].keys[1], "a/w1", "the owner's key");
	check_metrics(s.mgr);
	setup_stop(&s);
	free(w1);
}

static void test_cluster_scoped(void)
{
	ch_route_list(WIDGETS_A, "");
	ch_route_list(WIDGETS_B, "");
	ch_route_list(THINGS, "");
	struct probe p = {.open = true};
	struct ctl_kind kind = things;
	struct ctl_watch owned = {.role = CTL_WATCH_OWNED, .kind = kind};
	struct setup s = {0};
	setup_start(&s, ns_ab, &p, 1, &owned, 1);
	min_watches = 3;
	ch_run_until(watching, NULL, 5);
	is_int(fa_count(ch_srv, "WATCH", "/apis/example.com/v1/namespaces/"), 2,
	       "the namespaced kind: one watch per listed namespace");
	is_int(fa_count(ch_srv, "WATCH", THINGS), 1,
	       "the cluster-scoped kind under --namespaces a,b: one cluster-wide watch");
	is_int(fa_count(ch_srv, "WATCH", "/apis/example.com/v1/namespaces/a/clusterthings"), 0,
	       "and none per namespace");
	is_int(ctl_informer_watches(ctl_runtime_informer(s.rt[0], 1)), 1,
	       "its informer runs one watch");
	setup_stop(&s);
}

static void test_echo_filter(void)
{
	char *w1 = widget("w1", "11", "web");
	ch_route_list(WIDGETS_A, w1);
	ch_route_list(GADGETS_A, "");
	struct probe p = {.open = true};
	struct ctl_watch owned = {.role = CTL_WATCH_OWNED, .kind = gadgets};
	struct setup s = {0};
	setup_start(&s, ns_a, &p, 1, &owned, 1);
	ok(run_until_reconciles(&p, 1), "w1 reconciled once when leading starts");
	struct ctl_informer *inf = ctl_runtime_informer(s.rt[0], 0);

	/* The echo of a status write: status and resourceVersion moved. */
	json_t *echo = ch_parse(w1);
	json_object_set_new(json_object_get(echo, "metadata"), "resourceVersion",
	                    json_string("12"));
	json_object_set_new(echo, "status", json_pack("{s:s}", "phase", "Busy"));
	ctl_informer_refresh(inf, echo);
	json_decref(echo);
	ch_run_for(0.3);
	is_int(p.reconciles, 1, "a status echo enqueues nothing");

	static const char *const changes[][2] = {
	    {"labels", "{\"app\":\"web\"}"},
	    {"annotations", "{\"note\":\"x\"}"},
	    {"generation", "2"},
	    {"deletionTimestamp", "\"2026-01-01T00:00:00Z\""},
	};
	for (size_t i = 0; i < sizeof(changes) / sizeof(changes[0]); i++) {
		json_t *cur = NULL;
		ctl_informer_get(inf, "a/w1", &cur);
		json_t *next = json_deep_copy(cur);
		json_decref(cur);
		char rv[16];
		snprintf(rv, sizeof(rv), "%zu", 13 + i);
		json_t *md = json_object_get(next, "metadata");
		json_object_set_new(md, "resourceVersion", json_string(rv));
		json_object_set_new(md, changes[i][0], ch_parse(changes[i][1]));
		ctl_informer_refresh(inf, next);
		json_decref(next);
		ok(run_until_reconciles(&p, 2 + (int)i), "a change of metadata.%s enqueues w1",
		   changes[i][0]);
	}
	setup_stop(&s);
	free(w1);
}

/* A controller whose users write an intent into status. */
static bool abort_matters(const json_t *old, const json_t *obj)
{
	const json_t *was = json_object_get(json_object_get(old, "status"), "abort");
	const json_t *is = json_object_get(json_object_get(obj, "status"), "abort");
	return ctl_object_changed_beyond_status(old, obj) || json_is_true(was) != json_is_true(is);
}

static void test_own_update_filter(void)
{
	char *w1 = widget("w1", "11", "web");
	ch_route_list(WIDGETS_A, w1);
	struct probe p = {.open = true, .filter = abort_matters};
	struct setup s = {0};
	setup_start(&s, ns_a, &p, 1, NULL, 0);
	ok(run_until_reconciles(&p, 1), "own filter: w1 reconciled when leading starts");
	struct ctl_informer *inf = ctl_runtime_informer(s.rt[0], 0);
	json_t *next = ch_parse(w1);
	json_object_set_new(json_object_get(next, "metadata"), "resourceVersion",
	                    json_string("12"));
	json_object_set_new(next, "status", json_pack("{s:s}", "phase", "Busy"));
	ctl_informer_refresh(inf, next);
	ch_run_for(0.3);
	is_int(p.reconciles, 1, "own filter: a plain status echo still enqueues nothing");
	/* A copy: the store holds `next` itself now. */
	json_t *intent = json_deep_copy(next);
	json_decref(next);
	json_object_set_new(json_object_get(intent, "metadata"), "resourceVersion",
	                    json_string("13"));
	json_object_set_new(json_object_get(intent, "status"), "abort", json_true());
	ctl_informer_refresh(inf, intent);
	json_decref(intent);
	ok(run_until_reconciles(&p, 2), "own filter: an intent written into status enqueues w1");
	setup_stop(&s);
	free(w1);
}

static void test_mapped(void)
{
	char *w1 = widget("w1", "11", "web"), *w2 = widget("w2", "11", "db");
	char items[2048];
	snprintf(items, sizeof(items), "%s,%s", w1, w2);
	ch_route_list(WIDGETS_A, items);
	ch_route_list(SERVICES, "");
	struct probe p = {.open = true};
	struct ctl_watch mapped = {
	    .role = CTL_WATCH_MAPPED, .kind = services, .index = "spec.service"};
	struct setup s = {0};
	setup_start(&s, ns_a, &p, 1, &mapped, 1);
	ok(run_until_reconciles(&p, 2), "w1 and w2 reconciled when leading starts");
	json_t *svc = ch_parse("{\"metadata\":{\"name\":\"web\",\"namespace\":\"a\","
	                       "\"resourceVersion\":\"12\"}}");
	ctl_informer_refresh(ctl_runtime_informer(s.rt[0], 1), svc);
	json_decref(svc);
	ok(run_until_reconciles(&p, 3), "a Service change enqueues a widget");
	ch_run_for(0.2);
	is_int(p.reconciles, 3, "exactly one");
	is_int(reconciles_of(&p, "a/w1"), 2, "w1, whose spec names Service web");
	is_int(reconciles_of(&p, "a/w2"), 1, "not w2, which names db");

	/* A mapped watch needs its index. */
	struct kc_error err = {0};
	struct ctl_watch bad = {.role = CTL_WATCH_MAPPED, .kind = services, .index = "nope"};
	struct ctl_runtime_options ro = {.name = "bad",
	                                 .client = s.client,
	                                 .informers = ctl_manager_informers(s.mgr),
	                                 .primary = widgets,
	                                 .watches = &bad,
	                                 .n_watches = 1,
	                                 .reconcile = reconcile};
	struct ctl_runtime *rt = NULL;
	is_int(ctl_runtime_new(&ro, &rt, &err), -EINVAL,
	       "a mapped watch on a missing index: EINVAL");
	ok(err.message && strstr(err.message, "index"), "and the error says so: %s", err.message);
	kc_error_clear(&err);
	setup_stop(&s);
	free(w1);
	free(w2);
}

/* One kind in two roles (a canary Ingress the Release owns, a stable
 * Ingress it names): one informer, and each role's events wake whom they
 * should. */
static void test_owned_and_mapped_same_kind(void)
{
	char *w1 = widget("w1", "11", "web"), *w2 = widget("w2", "11", "db");
	char items[2048];
	snprintf(items, sizeof(items), "%s,%s", w1, w2);
	ch_route_list(WIDGETS_A, items);
	ch_route_list(SERVICES, "");
	struct probe p = {.open = true};
	struct ctl_watch watches[2] = {
	    {.role = CTL_WATCH_OWNED, .kind = services},
	    {.role = CTL_WATCH_MAPPED, .kind = services, .index = "spec.service"},
	};
	struct setup s = {0};
	setup_start(&s, ns_a, &p, 1, watches, 2);
	ok(run_until_reconciles(&p, 2), "two roles: w1 and w2 reconciled when leading starts");
	is_int(ctl_informers_len(ctl_manager_informers(s.mgr)), 2,
	       "two roles: widgets and services, one informer each");
	ok(ctl_runtime_informer(s.rt[0], 1) == ctl_runtime_informer(s.rt[0], 2),
	   "two roles: both watches read the one Service cache");
	min_watches = 2;
	ch_run_until(watching, NULL, 5);
	is_int(fa_count(ch_srv, "WATCH", SERVICES), 1, "two roles: one watch of services");

	/* Named by w1 (mapped), owned by w2 (owned). */
	json_t *svc = ch_parse("{\"metadata\":{\"name\":\"web\",\"namespace\":\"a\","
	                       "\"resourceVersion\":\"12\",\"ownerReferences\":[{\"apiVersion\":"
	                       "\"example.com/v1\",\"kind\":\"Widget\",\"name\":\"w2\",\"uid\":"
	                       "\"uid-w2\",\"controller\":true}]}}");
	ctl_informer_refresh(ctl_runtime_informer(s.rt[0], 1), svc);
	json_decref(svc);
	ok(run_until_reconciles(&p, 4), "two roles: the change woke two Releases");
	ch_run_for(0.2);
	is_int(reconciles_of(&p, "a/w1"), 2, "two roles: w1, which names it");
	is_int(reconciles_of(&p, "a/w2"), 2, "two roles: w2, which owns it");

	/* Owned by nobody, named by nobody: wakes nobody. */
	svc = ch_parse("{\"metadata\":{\"name\":\"other\",\"namespace\":\"a\","
	               "\"resourceVersion\":\"13\"}}");
	ctl_informer_refresh(ctl_runtime_informer(s.rt[0], 1), svc);
	json_decref(svc);
	ch_run_for(0.3);
	is_int(p.reconciles, 4, "two roles: a Service nobody names or owns wakes nobody");
	setup_stop(&s);
	free(w1);
	free(w2);
}

static bool served(void *inf)
{
	return ctl_informer_served(inf);
}

/* An optional kind whose API is not served (404): the caches sync, the
 * controller reconciles, and once the API appears its objects arrive
 * without a restart. */
static void test_optional_kind(void)
{
	char *w1 = widget("w1", "11", "web");
	ch_route_list(WIDGETS_A, w1);
	struct probe p = {.open = true};
	struct ctl_watch owned = {.role = CTL_WATCH_OWNED, .kind = routes};
	struct setup s = {0};
	setup_start(&s, ns_a, &p, 1, &owned, 1);
	struct ctl_informer *inf = ctl_runtime_informer(s.rt[0], 1);
	ok(ctl_informer_synced(inf), "optional: a 404 on the list counts as synced");
	ok(!ctl_informer_served(inf), "optional: and as not served");
	ok(run_until_reconciles(&p, 1), "optional: the controller reconciles w1");
	is_int(fa_count(ch_srv, "WATCH", ROUTES_A), 0, "optional: no watch of what is not served");

	ch_route_list(ROUTES_A, "{\"metadata\":{\"name\":\"r1\",\"namespace\":\"a\","
	                        "\"resourceVersion\":\"9\",\"ownerReferences\":[{\"apiVersion\":"
	                        "\"example.com/v1\",\"kind\":\"Widget\",\"name\":\"w1\",\"uid\":"
	                        "\"uid-w1\",\"controller\":true}]}}");
	ok(ch_run_until(served, inf, 5),
	   "optional: the API installed later is found by the retries");
	json_t *r1 = NULL;
	ok(ctl_informer_get(inf, "a/r1", &r1) == 0, "optional: its objects are cached");
	json_decref(r1);
	ok(run_until_reconciles(&p, 2), "optional: and wake their owner");
	setup_stop(&s);

	/* The same kind asked for as required by another controller. */
	struct kc_error err = {0};
	struct kc_client *c = ch_client_new(client_deadline);
	struct ctl_informers *f = NULL;
	struct ctl_informer *a = NULL, *b = NULL;
	struct ctl_kind required = routes;
	required.optional = false;
	ctl_informers_new(c, ns_a, &f);
	is_int(ctl_informers_get(f, &routes, &a, &err), 0, "optional: asked for once");
	is_int(ctl_informers_get(f, &required, &b, &err), -EINVAL,
	       "optional: asked for again as required: EINVAL");
	kc_error_clear(&err);
	ctl_informers_free(f);
	kc_client_free(c);
	free(w1);
}

/* A required kind answered 404 ch_never syncs: a missing CRD of our own is
 * a broken install, and readiness says so. */
static void test_required_kind_404(void)
{
	struct kc_error err = {0};
	struct kc_client *c = ch_client_new(client_deadline);
	struct ctl_informers *f = NULL;
	struct ctl_informer *inf = NULL;
	struct ctl_kind required = routes;
	required.optional = false;
	ctl_informers_new(c, ns_a, &f);
	if (ctl_informers_get(f, &required, &inf, &err) < 0)
		ch_bail("informer: %s", err.message);
	ctl_informers_start(f);
	min_reconciles = 0;
	ch_run_until(ch_never, NULL, 1.0);
	ok(fa_count(ch_srv, "GET", ROUTES_A) >= 1, "required: the list was tried");
	ok(!ctl_informer_synced(inf), "required: a 404 is not synced");
	ok(ctl_informer_served(inf), "required: served() says nothing of a required kind");
	ctl_informers_free(f);
	kc_client_free(c);
	ch_server_renew();
}

static bool reconciled_twice_and_idle(void *arg)
{
	struct setup *s = arg;
	return ctl_runtime_in_flight(s->rt[0]) == 0 && fa_count(ch_srv, "PATCH", NULL) >= 2;
}

static void test_conflict_reread(void)
{
	char *w1 = widget("w1", "11", "web"), *w1b = widget("w1", "20", "web");
	ch_route_list(WIDGETS_A, w1);
	ch_route_list(GADGETS_A, "");
	fa_route(
	    ch_srv, "PATCH", WIDGETS_A "/w1/status", 1, 409,
	    "{\"kind\":\"Status\",\"status\":\"Failure\",\"reason\":\"Conflict\",\"code\":409}");
	fa_route(ch_srv, "PATCH", WIDGETS_A "/w1/status", 0, 200, w1b);
	fa_route(ch_srv, "GET", WIDGETS_A "/w1", 0, 200, w1b);
	struct probe p = {.open = true, .does = PATCH_STATUS};
	struct ctl_watch owned = {.role = CTL_WATCH_OWNED, .kind = gadgets};
	struct setup s = {0};
	setup_start(&s, ns_a, &p, 1, &owned, 1);
	ok(run_until_reconciles(&p, 2), "a 409 on the status write is followed by a reconcile");
	ch_run_until(reconciled_twice_and_idle, &s, 5);
	is_int(fa_count(ch_srv, "GET", WIDGETS_A "/w1"), 1,
	       "the object that conflicted was re-read");
	is_str(p.rv[0], "11", "the first reconcile saw resourceVersion 11");
	is_str(p.rv[1], "20", "the next one sees the re-read version, 20, before any watch event");
	struct ctl_runtime_stats st;
	ctl_runtime_stats(s.rt[0], &st);
	is_int(st.conflicts, 1, "one conflict counted");
	is_int(st.queue.retries, 0, "requeued at once, not with backoff");
	is_int(fa_count(ch_srv, "PATCH", NULL), 2, "the second status write went out");
	struct fa_request req;
	fa_request(ch_srv, fa_count(ch_srv, NULL, NULL) - 1, &req);
	ok(strstr(req.body, "\"20\"") != NULL, "with the re-read resourceVersion as precondition");
	setup_stop(&s);
	free(w1);
	free(w1b);
}

static bool failed_once(void *arg)
{
	struct ctl_runtime_stats st;
	ctl_runtime_stats(arg, &st);
	return st.reconcile_errors >= 1 && ctl_runtime_in_flight(arg) == 0;
}

/* A gadget orphaned (kubectl delete --cascade=orphan, or its owner
 * reference removed) wakes the owner it had; with no owner now, nothing
 * of the new object's is read as a key. */
static void test_orphaned_owned(void)
{
	char *w1 = widget("w1", "11", "web");
	ch_route_list(WIDGETS_A, w1);
	ch_route_list(GADGETS_A, "{\"metadata\":{\"name\":\"g1\",\"namespace\":\"a\","
	                         "\"resourceVersion\":\"12\",\"ownerReferences\":[{\"apiVersion\":"
	                         "\"example.com/v1\",\"kind\":\"Widget\",\"name\":\"w1\",\"uid\":"
	                         "\"uid-w1\",\"controller\":true}]}}");
	struct probe p = {.open = true};
	struct ctl_watch owned = {.role = CTL_WATCH_OWNED, .kind = gadgets};
	struct setup s = {0};
	setup_start(&s, ns_a, &p, 1, &owned, 1);
	ok(run_until_reconciles(&p, 1), "orphaned: w1 reconciled once when leading starts");
	json_t *g = ch_parse("{\"metadata\":{\"name\":\"g1\",\"namespace\":\"a\","
	                     "\"resourceVersion\":\"13\"}}");
	ctl_informer_refresh(ctl_runtime_informer(s.rt[0], 1), g);
	json_decref(g);
	ok(run_until_reconciles(&p, 2), "orphaned: the former owner is woken");
	is_str(p.keys[1], "a/w1", "orphaned: its key");
	setup_stop(&s);
	free(w1);
}

static void test_stop_at_first_failure(void)
{
	char *w1 = widget("w1", "11", "web");
	ch_route_list(WIDGETS_A, w1);
	ch_route_list(GADGETS_A, "");
	fa_route(ch_srv, "PATCH", GADGETS_A "/g1", 0, 200, "{}");
	fa_route(
	    ch_srv, "PATCH", GADGETS_A "/g2", 0, 403,
	    "{\"kind\":\"Status\",\"status\":\"Failure\",\"reason\":\"Forbidden\",\"code\":403}");
	fa_route(ch_srv, "PATCH", GADGETS_A "/g3", 0, 200, "{}");
	struct probe p = {.open = true, .does = THREE_PATCHES};
	struct ctl_watch owned = {.role = CTL_WATCH_OWNED, .kind = gadgets};
	struct setup s = {0};
	setup_start(&s, ns_a, &p, 1, &owned, 1);
	ok(ch_run_until(failed_once, s.rt[0], 5), "the reconcile failed");
	is_int(fa_count(ch_srv, "PATCH", GADGETS_A "/g1"), 1, "the first action was sent");
	is_int(fa_count(ch_srv, "PATCH", GADGETS_A "/g2"), 1, "the second was sent and failed");
	is_int(fa_count(ch_srv, "PATCH", GADGETS_A "/g3"), 0, "the third was ch_never sent");
	struct ctl_runtime_stats st;
	ctl_runtime_stats(s.rt[0], &st);
	is_int(st.conflicts, 0, "not counted as a conflict");
	ok(st.queue.retries >= 1, "the key went back with backoff");
	setup_stop(&s);
	free(w1);
}

static void test_write_gate(void)
{
	char *w1 = widget("w1", "11", "web");
	ch_route_list(WIDGETS_A, w1);
	ch_route_list(GADGETS_A, "");
	fa_route(ch_srv, "PATCH", WIDGETS_A "/w1/status", 0, 200, w1);
	fa_route(ch_srv, "PATCH", GADGETS_A "/g1", 0, 200, "{}");
	fa_route(ch_srv, "PATCH", GADGETS_A "/g2", 0, 200, "{}");
	fa_route(ch_srv, "PATCH", GADGETS_A "/g3", 0, 200, "{}");
	/* Controller one's gate is closed (a leader that lost its Lease),
	 * two's open: the gate is per controller. */
	struct probe p[2] = {{.open = false, .does = THREE_PATCHES},
	                     {.open = true, .does = PATCH_STATUS}};
	struct ctl_watch owned = {.role = CTL_WATCH_OWNED, .kind = gadgets};
	struct setup s = {0};
	setup_start(&s, ns_a, p, 2, &owned, 1);
	ok(run_until_reconciles(&p[0], 1) && run_until_reconciles(&p[1], 1),
	   "both controllers reconciled w1");
	ch_run_for(0.3);
	is_int(fa_count(ch_srv, "PATCH", GADGETS_A), 0,
	       "the closed gate: zero requests of its plan reached the server");
	is_int(fa_count(ch_srv, "PATCH", WIDGETS_A "/w1/status"), 1,
	       "the open gate of the other controller let its write through");
	is_int(writes(), 1, "and nothing else was written");
	setup_stop(&s);
	free(w1);
}

static bool settled(void *arg)
{
	struct setup *s = arg;
	struct ctl_runtime_stats st;
	ctl_runtime_stats(s->rt[0], &st);
	return ctl_runtime_in_flight(s->rt[0]) == 0 && st.reconciles >= 1;
}

/* The Event of a plan follows its status write: a failed write sends none. */
static void test_events_after_status(int status, int want_events, const char *what)
{
	char *w1 = widget("w1", "11", "web");
	ch_route_list(WIDGETS_A, w1);
	fa_route(ch_srv, "PATCH", WIDGETS_A "/w1/status", 0, status,
	         status == 200 ? w1
	                       : "{\"kind\":\"Status\",\"status\":\"Failure\",\"reason\":"
	                         "\"Forbidden\",\"code\":403}");
	fa_route(ch_srv, "POST", "/apis/events.k8s.io/v1/namespaces/a/events", 0, 201, "{}");
	struct ctl_events_config ec;
	ctl_events_config_default(&ec);
	ec.reporting_instance = "test";
	events = ctl_events_new(&ec);
	struct probe p = {.open = true, .does = STATUS_THEN_EVENT};
	struct setup s = {0};
	setup_start(&s, ns_a, &p, 1, NULL, 0);
	ch_run_until(settled, &s, 5);
	ch_run_for(0.3);
	is_int(fa_count(ch_srv, "PATCH", WIDGETS_A "/w1/status") >= 1, 1,
	       "%s: the status write went out", what);
	is_int(fa_count(ch_srv, "POST", "/apis/events.k8s.io/"), want_events, "%s", what);
	setup_stop(&s);
	events = ctl_events_free(events);
	free(w1);
}

static bool idle_after(void *arg)
{
	struct setup *s = arg;
	return ctl_runtime_in_flight(s->rt[0]) == 0 && fa_count(ch_srv, "POST", GADGETS_A) >= 2;
}

/* A refused write is remembered for the key's next reconcile, with the API
 * server's status and message and the generation planned for, and
 * forgotten once a plan of the key succeeds. */
static void test_failure_remembered(void)
{
	char *w1 = widget("w1", "11", "web");
	ch_route_list(WIDGETS_A, w1);
	ch_route_list(GADGETS_A, "");
	fa_route(ch_srv, "POST", GADGETS_A, 1, 422,
	         "{\"kind\":\"Status\",\"status\":\"Failure\",\"reason\":\"Invalid\","
	         "\"message\":\"Gadget \\\"g1\\\" is invalid: too long\",\"code\":422}");
	fa_route(ch_srv, "POST", GADGETS_A, 0, 201, "{\"metadata\":{\"name\":\"g1\"}}");
	struct probe p = {.open = true, .does = CREATE_GADGET};
	struct ctl_watch owned = {.role = CTL_WATCH_OWNED, .kind = gadgets};
	struct setup s = {0};
	setup_start(&s, ns_a, &p, 1, &owned, 1);
	ok(run_until_reconciles(&p, 2), "refused: reconciled again after the failure");
	ch_run_until(idle_after, &s, 5);
	is_str(p.failure[0], "", "refused: the first reconcile knew of no failure");
	is_str(p.failure[1], "create g1 422 1: Gadget \"g1\" is invalid: too long",
	       "refused: the next one is told what was refused, how and for which generation");
	ok(ctl_runtime_failure(s.rt[0], "a/w1") == NULL,
	   "refused: forgotten once a plan of the key succeeded");
	setup_stop(&s);
	free(w1);
}

/* A CREATE whose name is taken: the object is read into its informer, so
 * the next reconcile (at once, no backoff) sees what holds the name. */
static void test_create_name_taken(void)
{
	char *w1 = widget("w1", "11", "web");
	ch_route_list(WIDGETS_A, w1);
	ch_route_list(GADGETS_A, "");
	fa_route(ch_srv, "POST", GADGETS_A, 1, 409,
	         "{\"kind\":\"Status\",\"status\":\"Failure\",\"reason\":"
	         "\"AlreadyExists\",\"code\":409}");
	fa_route(ch_srv, "POST", GADGETS_A, 0, 201, "{\"metadata\":{\"name\":\"g1\"}}");
	fa_route(ch_srv, "GET", GADGETS_A "/g1", 0, 200,
	         "{\"metadata\":{\"name\":\"g1\",\"namespace\":\"a\",\"uid\":\"g1-uid\","
	         "\"resourceVersion\":\"30\"}}");
	struct probe p = {.open = true, .does = CREATE_GADGET};
	struct ctl_watch owned = {.role = CTL_WATCH_OWNED, .kind = gadgets};
	struct setup s = {0};
	setup_start(&s, ns_a, &p, 1, &owned, 1);
	ok(run_until_reconciles(&p, 2), "name taken: reconciled again");
	ch_run_until(idle_after, &s, 5);
	is_int(fa_count(ch_srv, "GET", GADGETS_A "/g1"), 1, "name taken: the object was read");
	json_t *g = NULL;
	ok(ctl_informer_get(ctl_runtime_informer(s.rt[0], 1), "a/g1", &g) == 0,
	   "name taken: and is in the informer for the next reconcile");
	json_decref(g);
	struct ctl_runtime_stats st;
	ctl_runtime_stats(s.rt[0], &st);
	is_int(st.conflicts, 1, "name taken: counted as a conflict");
	is_int(st.queue.retries, 0, "name taken: requeued at once, not with backoff");
	setup_stop(&s);
	free(w1);
}

/* A plan that succeeds and asks for another look after 0.3 s gets it then
 * (the requeue is added once the plan has run, due from reconcile time). */
static void test_plan_requeue(void)
{
	char *w1 = widget("w1", "11", "web");
	ch_route_list(WIDGETS_A, w1);
	fa_route(ch_srv, "PATCH", WIDGETS_A "/w1/status", 0, 200, w1);
	struct probe p = {.open = true, .does = PATCH_STATUS, .requeue = 0.3};
	struct setup s = {0};
	setup_start(&s, ns_a, &p, 1, NULL, 0);
	ok(run_until_reconciles(&p, 2), "plan requeue: reconciled again");
	double gap = p.reconciles >= 2 ? p.at[1] - p.at[0] : -1;
	ok(gap >= 0.29 && gap <= 1.5, "plan requeue: after %.3f s, in [0.29, 1.5]", gap);
	setup_stop(&s);
	free(w1);
}

/* A write answered 429 with a Retry-After beyond the request deadline: the
 * client gives up at once and reports the server's delay; the key comes
 * back after that delay (capped at the queue's backoff maximum), not at the
 * pace of the per-key backoff (5 ms), and that backoff does not grow. A
 * plan's own, earlier requeue does not bring the key back sooner. */
struct server_delay_case {
	const char *what;
	const char *retry_after;
	double backoff_max;
	double plan_requeue; /* > 0: the plan asks for another look after this */
	double min_gap, max_gap;
};

static void test_server_delay(const struct server_delay_case *c)
{
	char *w1 = widget("w1", "11", "web");
	ch_route_list(WIDGETS_A, w1);
	fa_route(ch_srv, "PATCH", WIDGETS_A "/w1/status", 0, 429,
	         "{\"kind\":\"Status\",\"status\":\"Failure\",\"reason\":"
	         "\"TooManyRequests\",\"code\":429}");
	char header[64];
	snprintf(header, sizeof(header), "Retry-After: %s", c->retry_after);
	fa_route_header(ch_srv, header);
	struct ctl_queue_config qc;
	ctl_queue_config_default(&qc);
	qc.backoff_max = c->backoff_max;
	queue_config = &qc;
	client_deadline = 1;
	struct probe p = {.open = true, .does = PATCH_STATUS, .requeue = c->plan_requeue};
	struct setup s = {0};
	setup_start(&s, ns_a, &p, 1, NULL, 0);
	min_reconciles = 2;
	ch_run_until(reconciled, &p, c->max_gap + 2);
	ok(p.reconciles >= 2, "%s: reconciled again", c->what);
	double gap = p.reconciles >= 2 ? p.at[1] - p.at[0] : -1;
	ok(gap >= c->min_gap && gap <= c->max_gap, "%s: after %.3f s, in [%g, %g]", c->what, gap,
	   c->min_gap, c->max_gap);
	is_int(p.patches[1], 1,
	       "%s: one write before the key came back: the client did not retry past its "
	       "deadline",
	       c->what);
	struct ctl_runtime_stats st;
	ctl_runtime_stats(s.rt[0], &st);
	is_int(st.queue.retries, 0, "%s: the per-key backoff was not counted", c->what);
	ok(st.reconcile_errors >= 1, "%s: counted as a failed reconcile", c->what);
	setup_stop(&s);
	queue_config = NULL;
	client_deadline = 0;
	free(w1);
}

int main(void)
{
	ch_begin();
	test_shared_informers();
	test_cluster_scoped();
	test_echo_filter();
	test_own_update_filter();
	test_mapped();
	test_owned_and_mapped_same_kind();
	test_optional_kind();
	test_required_kind_404();
	test_conflict_reread();
	test_stop_at_first_failure();
	test_orphaned_owned();
	test_failure_remembered();
	test_create_name_taken();
	test_plan_requeue();
	static const struct server_delay_case delays[] = {
	    {"Retry-After 2, deadline 1 s", "2", 1000, 0, 1.9, 3.5},
	    {"Retry-After 2 over a plan's requeue after 0.3 s", "2", 1000, 0.3, 1.9, 3.5},
	    {"Retry-After 3600, backoff max 0.5 s: capped", "3600", 0.5, 0, 0.45, 2},
	};
	for (size_t i = 0; i < sizeof(delays) / sizeof(delays[0]); i++)
		test_server_delay(&delays[i]);
	test_write_gate();
	test_events_after_status(200, 1, "a status write that lands: its Event follows");
	test_events_after_status(403, 0, "a status write that fails: no Event");
	ch_end();
	return tap_done();
}
