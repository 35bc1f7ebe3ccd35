/*
 * The Release controller's binding against a fake API server
 * (fake-apiserver.h): what a canary Release names (its Services, HTTPRoutes
 * and stable Ingress) wakes exactly the Releases naming it, the Ingresses it
 * owns wake it, the snapshot handed to the reconciler holds those objects
 * (NULL where absent or invalid), and a cluster without the Gateway API
 * (httproutes answered 404) still syncs and reconciles. The AnalysisRuns a
 * Release owns and the (Cluster)AnalysisTemplates it names are in its
 * snapshot, and their changes wake it; so do the Approvals naming a Release
 * with a gate, and the identity policy and its bindings. Forbidden (403)
 * approvals and policies sync as empty.
 *
 * Which Release was reconciled is read from the runtime's debug line
 * "reconcile release=ns/name", captured from the process logger.
 */
#include "controller-harness.h"
#include "tap.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ev.h>

#include "controller/log.h"
#include "controller/manager.h"
#include "controller/release-controller.h"
#include "controller/runtime.h"
#include "kubeclient/client.h"
#include "reconcilers/release.h"
#include "reconcilers/traffic.h"

static char *logbuf;
static size_t loglen;
static FILE *logfile;

/* What the controller logged, as TAP comments: why the test bails. */
static void print_log(void)
{
	if (logfile && fflush(logfile) == 0 && logbuf)
		for (const char *p = logbuf; *p;) {
			const char *nl = strchr(p, '\n');
			size_t n = nl ? (size_t)(nl - p) : strlen(p);
			printf("# %.*s\n", (int)n, p);
			p += n + (nl != NULL);
		}
}

#define RELEASES    "/apis/slipway.dev/v1alpha1/namespaces/a/releases"
#define REPLICASETS "/apis/apps/v1/namespaces/a/replicasets"
#define PODS        "/api/v1/namespaces/a/pods"
#define SERVICES    "/api/v1/namespaces/a/services"
#define HTTPROUTES  "/apis/gateway.networking.k8s.io/v1/namespaces/a/httproutes"
#define INGRESSES   "/apis/networking.k8s.io/v1/namespaces/a/ingresses"
#define RUNS        "/apis/slipway.dev/v1alpha1/namespaces/a/analysisruns"
#define TEMPLATES   "/apis/slipway.dev/v1alpha1/namespaces/a/analysistemplates"
#define CTEMPLATES  "/apis/slipway.dev/v1alpha1/clusteranalysistemplates"
#define APPROVALS   "/apis/slipway.dev/v1alpha1/namespaces/a/approvals"
#define VAPS        "/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies"
#define VAPBS       "/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicybindings"

/* The runtime's informers (release-controller.c's order). */
enum {
	I_RELEASES,
	I_REPLICASETS,
	I_PODS,
	I_SERVICES,
	I_HTTPROUTES,
	I_INGRESSES,
	I_STABLE_INGRESSES,
	I_RUNS,
	I_TEMPLATES,
	I_CTEMPLATES,
	I_APPROVALS,
	I_VAPS,
	I_VAPBS
};

static size_t log_mark; /* reconciles_of counts from here: this setup's lines */

#define TEMPLATE                                                                                   \
	"\"replicas\":2,\"selector\":{\"matchLabels\":{\"app\":\"web\"}},\"template\":{"           \
	"\"metadata\":{\"labels\":{\"app\":\"web\"}},\"spec\":{\"containers\":[{\"name\":\"web\"," \
	"\"image\":\"nginx:1\"}]}}"

/* A Release named name with spec.strategy `strategy` (JSON). Caller frees. */
static char *release(const char *name, const char *strategy)
{
	char *s = NULL;
	int n = asprintf(
	    &s,
	    "{\"apiVersion\":\"slipway.dev/v1alpha1\",\"kind\":\"Release\",\"metadata\":{"
	    "\"name\":\"%s\",\"namespace\":\"a\",\"uid\":\"uid-%s\","
	    "\"resourceVersion\":\"11\",\"generation\":1},\"spec\":{" TEMPLATE ",\"strategy\":%s}}",
	    name, name, strategy);
	if (n < 0)
		ch_bail("out of memory");
	return s;
}

static char *object(const char *name, const char *rv, const char *extra)
{
	char *s = NULL;
	int n = asprintf(&s,
	                 "{\"metadata\":{\"name\":\"%s\",\"namespace\":\"a\",\"uid\":\"uid-%s\","
	                 "\"resourceVersion\":\"%s\"%s}",
	                 name, name, rv, extra);
	if (n < 0)
		ch_bail("out of memory");
	return s;
}

/* ---- plumbing ---------------------------------------------------------- */

/* Reconciles of key so far, from the captured log. */
static int reconciles_of(const char *key)
{
	char needle[128];
	snprintf(needle, sizeof(needle), "msg=reconcile release=%s\n", key);
	fflush(logfile);
	int n = 0;
	for (const char *p = logbuf ? logbuf + log_mark : NULL; p && (p = strstr(p, needle));
	     p += strlen(needle))
		n++;
	return n;
}

struct wait_for {
	const char *key;
	int n;
};

static bool reconciled(void *arg)
{
	struct wait_for *w = arg;
	return reconciles_of(w->key) >= w->n;
}

static bool idle(void *arg)
{
	return ctl_runtime_in_flight(arg) == 0;
}

struct setup {
	struct kc_client *client;
	struct ctl_manager *mgr;
	struct ctl_runtime *rt;
};

static void setup_start(struct setup *s)
{
	struct kc_error err = {0};
	s->client = ch_client_new(0);
	static const char *const ns[] = {"a", NULL};
	struct ctl_manager_options mo = {.client = s->client, .namespaces = ns};
	if (ctl_manager_new(&mo, &s->mgr, &err) < 0)
		ch_bail("manager: %s", err.message);
	struct ctl_release_controller_options ro = {.workers = 2};
	if (ctl_release_controller_add(s->mgr, &ro, &s->rt, &err) < 0)
		ch_bail("release controller: %s", err.message);
	fflush(logfile);
	log_mark = loglen;
	ch_manager_lead(s->mgr);
}

static void setup_stop(struct setup *s)
{
	ch_stop(&s->mgr, &s->client);
}

/* Every write the reconciler may plan succeeds, so no key is retried with
 * backoff behind the test's back. */
static void route_writes(const char *const *releases, size_t n)
{
	char path[512];
	for (size_t i = 0; i < n; i++) {
		snprintf(path, sizeof(path), RELEASES "/%s/status", releases[i]);
		fa_route(ch_srv, "PATCH", path, 0, 200, "{}");
	}
	fa_route(ch_srv, "POST", REPLICASETS, 0, 201, "{}");
	static const char *const services[] = {"web", "web-canary", "db", "db-canary"};
	for (size_t i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), SERVICES "/%s", services[i]);
		fa_route(ch_srv, "PATCH", path, 0, 200, "{}");
	}
	fa_route(ch_srv, "PATCH", HTTPROUTES "/web", 0, 200, "{}");
	char name[MODEL_NAME_MAX + 1];
	if (rec_traffic_canary_ingress_name("n1", "web", name, sizeof(name)) < 0)
		ch_bail("canary ingress name");
	snprintf(path, sizeof(path), INGRESSES "/%s", name);
	fa_route(ch_srv, "PATCH", path, 0, 200, "{}");
	fa_route(ch_srv, "DELETE", INGRESSES "/n1-old-canary", 0, 200, "{}");
	/* g2's run is not one its state needs: stopped. */
	fa_route(ch_srv, "PATCH", RUNS "/g2-run", 0, 200, "{}");
}

#define OWNED_BY(rel)                                                                              \
	",\"ownerReferences\":[{\"apiVersion\":\"slipway.dev/v1alpha1\",\"kind\":\"Release\","     \
	"\"name\":\"" rel "\",\"uid\":\"uid-" rel "\",\"controller\":true}]"

/* g1 routes through HTTPRoute web, names a route that does not exist and
 * one whose name is invalid; g2 names Services db and db-canary; n1
 * routes through nginx stable Ingress web; r1 is a rolling Release. */
static const char *const names[] = {"g1", "g2", "n1", "r1"};

static char *releases_items(void)
{
	char *g1 =
	    release("g1", "{\"canary\":{\"stableService\":\"web\",\"canaryService\":"
	                  "\"web-canary\",\"trafficRouting\":{\"gatewayAPI\":{\"httpRoutes\":"
	                  "[{\"name\":\"web\"},{\"name\":\"gone\"},{\"name\":\"Bad_Name\"}]}},"
	                  "\"steps\":[{\"setWeight\":10},{\"pause\":{}}]}}");
	char *g2 = release(
	    "g2",
	    "{\"canary\":{\"stableService\":\"db\",\"canaryService\":\"db-canary\","
	    "\"analysis\":{\"templates\":[{\"templateName\":\"smoke\",\"clusterScope\":true}]},"
	    "\"steps\":[{\"setWeight\":50},{\"analysis\":{\"templates\":[{\"templateName\":"
	    "\"error-rate\"},{\"templateName\":\"smoke\",\"clusterScope\":true}]}},"
	    "{\"pause\":{}},{\"approval\":{\"name\":\"prod\",\"rules\":[{\"group\":\"sre\","
	    "\"count\":1}]}}]}}");
	char *n1 = release("n1", "{\"canary\":{\"stableService\":\"web\",\"canaryService\":"
	                         "\"web-canary\",\"trafficRouting\":{\"nginx\":{\"stableIngress\":"
	                         "\"web\"}},\"steps\":[{\"setWeight\":10},{\"pause\":{}}]}}");
	char *r1 = release("r1", "{\"rolling\":{}}");
	char *items = NULL;
	if (asprintf(&items, "%s,%s,%s,%s", g1, g2, n1, r1) < 0)
		ch_bail("out of memory");
	free(g1);
	free(g2);
	free(n1);
	free(r1);
	return items;
}

/* Serves the list of the two objects a and b (JSON texts, freed here) at path. */
static void route_two(const char *path, char *a, char *b)
{
	char *list = NULL;
	if (asprintf(&list, "%s,%s", a, b) < 0)
		ch_bail("out of memory");
	ch_route_list(path, list);
	free(list);
	free(a);
	free(b);
}

/* g2 owns one run, another Release one; templates error-rate (and an
 * unnamed one) in the namespace, smoke and error-rate cluster-wide. */
static void route_analysis(void)
{
	char *mine = object("g2-run", "30", OWNED_BY("g2") "},\"spec\":{}");
	char *theirs = object("other-run", "31", OWNED_BY("g1x") "},\"spec\":{}");
	route_two(RUNS, mine, theirs);
	char *t1 = object("error-rate", "32", "},\"spec\":{}");
	char *t2 = object("unused", "33", "},\"spec\":{}");
	route_two(TEMPLATES, t1, t2);
	ch_route_list(CTEMPLATES, "{\"metadata\":{\"name\":\"smoke\",\"uid\":\"c1\","
	                          "\"resourceVersion\":\"34\"},\"spec\":{}},{\"metadata\":{"
	                          "\"name\":\"error-rate\",\"uid\":\"c2\",\"resourceVersion\":"
	                          "\"35\"},\"spec\":{}}");
}

/* An Approval of `release` named name (JSON text). Caller frees. */
static char *approval_of(const char *name, const char *rv, const char *release)
{
	char extra[256];
	snprintf(extra, sizeof(extra),
	         "},\"spec\":{\"release\":\"%s\",\"revision\":\"r\",\"gate\":\"prod\","
	         "\"decision\":\"Approve\",\"user\":\"alice\",\"groups\":[\"sre\"]}",
	         release);
	return object(name, rv, extra);
}

/* A cluster-scoped object: {"metadata":{name, uid, rv}, "spec": spec}. */
static char *cluster_object(const char *name, const char *rv, const char *spec)
{
	char *s = NULL;
	if (asprintf(&s,
	             "{\"metadata\":{\"name\":\"%s\",\"uid\":\"u-%s\",\"resourceVersion\":"
	             "\"%s\"},\"spec\":%s}",
	             name, name, rv, spec) < 0)
		ch_bail("out of memory");
	return s;
}

/* Approvals of g2 and of g1 (which has no gate); the identity policy and
 * another one, each with a binding. governance false: the controller is
 * forbidden all three kinds (403). */
static void route_gates(bool governance)
{
	if (!governance) {
		static const char *const paths[] = {APPROVALS, VAPS, VAPBS};
		for (size_t i = 0; i < 3; i++)
			fa_route(ch_srv, "GET", paths[i], 0, 403,
			         "{\"kind\":\"Status\",\"status\":\"Failure\",\"reason\":"
			         "\"Forbidden\",\"code\":403}");
		return;
	}
	char *a1 = approval_of("g2-prod-x", "50", "g2");
	char *a2 = approval_of("g1-prod-y", "51", "g1");
	route_two(APPROVALS, a1, a2);
	char *p1 = cluster_object("slipway-approval-identity", "52", "{}");
	char *p2 = cluster_object("other-policy", "53", "{}");
	route_two(VAPS, p1, p2);
	char *b1 = cluster_object("b1", "54",
	                          "{\"policyName\":\"slipway-approval-identity\","
	                          "\"validationActions\":[\"Deny\"]}");
	char *b2 = cluster_object("b2", "55", "{\"policyName\":\"other-policy\"}");
	route_two(VAPBS, b1, b2);
}

static void route_cluster(bool gateway_api)
{
	char *items = releases_items();
	ch_route_list(RELEASES, items);
	free(items);
	ch_route_list(REPLICASETS, "");
	ch_route_list(PODS, "");
	char *svcs[4];
	static const char *const services[] = {"web", "web-canary", "db", "db-canary"};
	for (size_t i = 0; i < 4; i++)
		svcs[i] =
		    object(services[i], "5",
		           ",\"labels\":{\"x\":\"y\"}},\"spec\":{\"selector\":{\"app\":\"web\"},"
		           "\"ports\":[{\"port\":80}]},\"status\":{\"loadBalancer\":{}}");
	char *list = NULL;
	if (asprintf(&list, "%s,%s,%s,%s", svcs[0], svcs[1], svcs[2], svcs[3]) < 0)
		ch_bail("out of memory");
	ch_route_list(SERVICES, list);
	free(list);
	for (size_t i = 0; i < 4; i++)
		free(svcs[i]);
	if (gateway_api) {
		char *route =
		    object("web", "6",
		           "},\"spec\":{\"parentRefs\":[{\"name\":\"gw\"}],\"rules\":[{"
		           "\"backendRefs\":[{\"name\":\"web\",\"port\":80,\"weight\":100},"
		           "{\"name\":\"web-canary\",\"port\":80,\"weight\":0}]}]}");
		ch_route_list(HTTPROUTES, route);
		free(route);
	}
	char *stable = object("web", "7",
	                      "},\"spec\":{\"rules\":[{\"http\":{\"paths\":[{\"path\":\"/\","
	                      "\"pathType\":\"Prefix\",\"backend\":{\"service\":{\"name\":\"web\","
	                      "\"port\":{\"number\":80}}}}]}}]},\"status\":{}");
	char *mine = object("n1-old-canary", "8", OWNED_BY("n1") "},\"spec\":{}");
	char *theirs = object("other", "9", OWNED_BY("g1x") "},\"spec\":{}");
	if (asprintf(&list, "%s,%s,%s", stable, mine, theirs) < 0)
		ch_bail("out of memory");
	ch_route_list(INGRESSES, list);
	free(list);
	free(stable);
	free(mine);
	free(theirs);
	route_writes(names, 4);
	route_analysis();
	route_gates(gateway_api);
}

static const char *name_of(const json_t *obj)
{
	const char *n =
	    obj ? json_string_value(json_object_get(json_object_get(obj, "metadata"), "name"))
	        : NULL;
	return n ? n : "(null)";
}

/* The snapshot of the Release cached under key, which borrows *ret_rel
 * (caller owns both). */
static struct ctl_release_snapshot *snapshot(struct setup *s, const char *key, json_t **ret_rel)
{
	if (ctl_informer_get(ctl_runtime_informer(s->rt, I_RELEASES), key, ret_rel) < 0)
		ch_bail("release %s not cached", key);
	struct ctl_release_snapshot *snap = NULL;
	int r = ctl_release_snapshot_new(s->rt, *ret_rel, 1e9, &snap);
	if (r < 0)
		ch_bail("snapshot of %s: %d", key, r);
	return snap;
}

/* ---- tests -------------------------------------------------------------- */

static void test_snapshot(struct setup *s)
{
	json_t *rel = NULL;
	ctl_informer_get(ctl_runtime_informer(s->rt, I_RELEASES), "a/g1", &rel);
	struct ctl_release_snapshot *snap = NULL;
	is_int(ctl_release_snapshot_new(s->rt, rel, 1e9, &snap), 0, "snapshot of g1");
	const struct rec_observed *o = ctl_release_snapshot_observed(snap);
	is_str(name_of(o->stable_service), "web", "g1: stableService web");
	is_str(name_of(o->canary_service), "web-canary", "g1: canaryService web-canary");
	ok(o->stable_service &&
	       !json_object_get(json_object_get(o->stable_service, "spec"), "ports"),
	   "g1: the Service is kept without its ports");
	ok(o->stable_service &&
	       json_object_get(json_object_get(o->stable_service, "spec"), "selector"),
	   "g1: but with its selector");
	ok(o->stable_service &&
	       json_object_get(json_object_get(o->stable_service, "metadata"), "uid"),
	   "g1: and its uid");
	is_int(o->n_http_routes, 3, "g1: one slot per entry of httpRoutes");
	is_str(name_of(o->http_routes[0]), "web", "g1: the route that exists");
	ok(o->http_routes[1] == NULL, "g1: NULL for the route that does not");
	ok(o->http_routes[2] == NULL, "g1: NULL for an invalid name");
	ok(o->stable_ingress == NULL, "g1: no stable Ingress without nginx");
	is_int(o->n_owned_ingresses, 0, "g1: owns no Ingress");
	ctl_release_snapshot_free(snap);
	json_decref(rel);

	snap = snapshot(s, "a/n1", &rel);
	o = ctl_release_snapshot_observed(snap);
	is_str(name_of(o->stable_ingress), "web", "n1: the stable Ingress");
	is_int(o->n_owned_ingresses, 1, "n1: one owned Ingress (not the one another owns)");
	is_str(o->n_owned_ingresses ? name_of(o->owned_ingresses[0]) : "", "n1-old-canary",
	       "n1: its own");
	is_int(o->n_http_routes, 0, "n1: no routes");
	ctl_release_snapshot_free(snap);
	json_decref(rel);

	snap = snapshot(s, "a/g2", &rel);
	o = ctl_release_snapshot_observed(snap);
	is_int(o->n_analysis_runs, 1, "g2: one AnalysisRun (not the one another owns)");
	is_str(o->n_analysis_runs ? name_of(o->analysis_runs[0]) : "", "g2-run", "g2: its own");
	is_int(o->n_analysis_templates, 2, "g2: the two templates it names, once each");
	bool ns_tmpl = false, cluster_tmpl = false;
	for (size_t i = 0; i < o->n_analysis_templates; i++) {
		const json_t *md = json_object_get(o->analysis_templates[i], "metadata");
		const char *ns = json_string_value(json_object_get(md, "namespace"));
		ns_tmpl =
		    ns_tmpl || (ns && strcmp(name_of(o->analysis_templates[i]), "error-rate") == 0);
		cluster_tmpl = cluster_tmpl ||
		               (!ns && strcmp(name_of(o->analysis_templates[i]), "smoke") == 0);
	}
	ok(ns_tmpl && cluster_tmpl,
	   "g2: AnalysisTemplate error-rate and ClusterAnalysisTemplate smoke");
	is_int(o->n_approvals, 1, "g2: one Approval (not g1's)");
	is_str(o->n_approvals ? name_of(o->approvals[0]) : "", "g2-prod-x", "g2: its own");
	is_str(o->approval_policy ? name_of(o->approval_policy) : "", "slipway-approval-identity",
	       "g2: the identity policy");
	is_int(o->n_approval_bindings, 1, "g2: one binding of it (not the other policy's)");
	is_str(o->n_approval_bindings ? name_of(o->approval_bindings[0]) : "", "b1",
	       "g2: binding b1");
	ctl_release_snapshot_free(snap);
	json_decref(rel);

	snap = snapshot(s, "a/r1", &rel);
	o = ctl_release_snapshot_observed(snap);
	ok(!o->stable_service && !o->canary_service && !o->stable_ingress &&
	       o->n_http_routes == 0 && !o->http_routes && o->n_owned_ingresses == 0,
	   "r1 (rolling): no router looked up");
	ok(o->n_approvals == 0 && !o->approval_policy && o->n_approval_bindings == 0,
	   "r1 (no gate): no Approval nor policy looked up");
	ctl_release_snapshot_free(snap);
	json_decref(rel);
}

static void counts(int *ret)
{
	for (size_t k = 0; k < 4; k++) {
		char key[16];
		snprintf(key, sizeof(key), "a/%s", names[k]);
		ret[k] = reconciles_of(key);
	}
}

/* Whether name is a word of the space-separated list. */
static bool listed(const char *list, const char *name)
{
	char word[32];
	snprintf(word, sizeof(word), " %s ", name);
	char padded[64];
	snprintf(padded, sizeof(padded), " %s ", list);
	return strstr(padded, word) != NULL;
}

struct woken {
	const char *list;
	const int *before;
};

static bool all_woken(void *arg)
{
	const struct woken *w = arg;
	int now[4];
	counts(now);
	for (size_t k = 0; k < 4; k++)
		if (listed(w->list, names[k]) && now[k] <= w->before[k])
			return false;
	return true;
}

/* Refreshes obj (JSON) into informer i and checks that it wakes exactly the
 * Releases of the space-separated list `woken`. */
static void wakes(struct setup *s, size_t i, const char *obj, const char *woken, const char *what)
{
	ch_run_until(idle, s->rt, 2);
	ch_run_for(0.2);
	int before[4];
	counts(before);
	json_t *j = ch_parse(obj);
	ctl_informer_refresh(ctl_runtime_informer(s->rt, i), j);
	json_decref(j);
	struct woken w = {woken, before};
	ok(ch_run_until(all_woken, &w, 3), "%s: wakes %s", what, woken);
	ch_run_until(idle, s->rt, 2);
	ch_run_for(0.2);
	int after[4];
	counts(after);
	char others[64] = "";
	for (size_t k = 0; k < 4; k++)
		if (!listed(woken, names[k]) && after[k] != before[k])
			snprintf(others + strlen(others), sizeof(others) - strlen(others), " %s",
			         names[k]);
	is_str(others, "", "%s: and no other Release", what);
}

static void test_gate_wakeups(struct setup *s)
{
	char *o = approval_of("g2-prod-z", "60", "g2");
	wakes(s, I_APPROVALS, o, "g2", "a new Approval of g2");
	free(o);
	o = approval_of("g1-prod-z", "61", "g1");
	wakes(s, I_APPROVALS, o, "", "an Approval of g1 (no gate)");
	free(o);
	o = cluster_object("slipway-approval-identity", "62", "{\"x\":1}");
	wakes(s, I_VAPS, o, "g2", "a change of the identity policy");
	free(o);
	o = cluster_object("other-policy", "63", "{\"x\":1}");
	wakes(s, I_VAPS, o, "", "a change of another policy");
	free(o);
	o = cluster_object("b3", "64", "{\"policyName\":\"slipway-approval-identity\"}");
	wakes(s, I_VAPBS, o, "g2", "a new binding of the identity policy");
	free(o);
	o = cluster_object("b4", "65", "{\"policyName\":\"other-policy\"}");
	wakes(s, I_VAPBS, o, "", "a binding of another policy");
	free(o);
}

static void test_wakeups(struct setup *s)
{
	char *o = object("db", "20", "},\"spec\":{\"selector\":{\"app\":\"db\"}}");
	wakes(s, I_SERVICES, o, "g2", "a change of Service db");
	free(o);
	o = object("web-canary", "20", "},\"spec\":{\"selector\":{\"app\":\"web\"}}");
	wakes(s, I_SERVICES, o, "g1 n1", "a change of Service web-canary");
	free(o);
	o = object("web", "21", "},\"spec\":{\"rules\":[]}");
	wakes(s, I_HTTPROUTES, o, "g1", "a change of HTTPRoute web");
	free(o);
	o = object("web", "22", "},\"spec\":{\"rules\":[]}");
	wakes(s, I_INGRESSES, o, "n1", "a change of the stable Ingress web");
	free(o);
	o = object("n1-old-canary", "23", OWNED_BY("n1") "},\"spec\":{\"rules\":[]}");
	wakes(s, I_INGRESSES, o, "n1", "a change of an Ingress n1 owns");
	free(o);
	o = object("g2-run", "40", OWNED_BY("g2") "},\"status\":{\"phase\":\"Failed\"}");
	wakes(s, I_RUNS, o, "g2", "a change of an AnalysisRun g2 owns");
	free(o);
	o = object("error-rate", "41", "},\"spec\":{\"metrics\":[]}");
	wakes(s, I_TEMPLATES, o, "g2", "a change of AnalysisTemplate error-rate");
	free(o);
	o = object("unused", "42", "},\"spec\":{\"metrics\":[]}");
	wakes(s, I_TEMPLATES, o, "", "a change of a template no Release names");
	free(o);
	wakes(s, I_CTEMPLATES,
	      "{\"metadata\":{\"name\":\"smoke\",\"uid\":\"c1\",\"resourceVersion\":\"43\"},"
	      "\"spec\":{\"metrics\":[]}}",
	      "g2", "a change of ClusterAnalysisTemplate smoke");
	wakes(s, I_CTEMPLATES,
	      "{\"metadata\":{\"name\":\"error-rate\",\"uid\":\"c2\",\"resourceVersion\":"
	      "\"44\"},\"spec\":{\"metrics\":[]}}",
	      "", "a change of ClusterAnalysisTemplate error-rate (g2 names the namespaced one)");
	test_gate_wakeups(s);
}

static void test_canary_wiring(void)
{
	route_cluster(true);
	struct setup s = {0};
	setup_start(&s);
	struct wait_for w = {"a/r1", 1};
	ok(ch_run_until(reconciled, &w, 5), "every Release reconciled once leading starts");
	ok(ctl_informer_served(ctl_runtime_informer(s.rt, I_HTTPROUTES)), "httproutes served");
	test_snapshot(&s);
	test_wakeups(&s);
	setup_stop(&s);
}

/* No Gateway API in the cluster: httproutes is answered 404. */
static void test_without_gateway_api(void)
{
	route_cluster(false);
	struct setup s = {0};
	setup_start(&s);
	ok(ctl_manager_synced(s.mgr), "no Gateway API: the caches sync");
	ok(!ctl_informer_served(ctl_runtime_informer(s.rt, I_HTTPROUTES)),
	   "no Gateway API: httproutes not served");
	struct wait_for w = {"a/g1", 1};
	ok(ch_run_until(reconciled, &w, 5), "no Gateway API: g1 is reconciled");
	json_t *rel = NULL;
	struct ctl_release_snapshot *snap = snapshot(&s, "a/g1", &rel);
	const struct rec_observed *o = ctl_release_snapshot_observed(snap);
	ok(o->n_http_routes == 3 && !o->http_routes[0],
	   "no Gateway API: g1's route is not found (the reconciler reports it)");
	ctl_release_snapshot_free(snap);
	json_decref(rel);
	ok(!ctl_informer_served(ctl_runtime_informer(s.rt, I_VAPS)) &&
	       !ctl_informer_served(ctl_runtime_informer(s.rt, I_APPROVALS)),
	   "approvals and policies forbidden (403): not served, and the caches synced");
	snap = snapshot(&s, "a/g2", &rel);
	o = ctl_release_snapshot_observed(snap);
	ok(o->n_approvals == 0 && !o->approval_policy && o->n_approval_bindings == 0,
	   "forbidden: g2 sees no Approval and no policy (not installed)");
	ctl_release_snapshot_free(snap);
	json_decref(rel);
	setup_stop(&s);
}

int main(void)
{
	ch_before_bail = print_log;
	logfile = open_memstream(&logbuf, &loglen);
	struct ctl_log *lg = logfile ? ctl_log_new(logfile, CTL_LOG_LOGFMT, CTL_LOG_DEBUG) : NULL;
	if (!lg)
		ch_bail("logger");
	ctl_log_set_clock(lg, NULL);
	ctl_log_set_default(lg);
	ch_begin();
	test_canary_wiring();
	test_without_gateway_api();
	ch_end();
	ctl_log_set_default(NULL);
	ctl_log_free(lg);
	fclose(logfile);
	free(logbuf);
	return tap_done();
}
