#include "controller/release-controller.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller/log.h"
#include "controller/release-gates.h"
#include "model/api.h"
#include "model/intent.h"
#include "model/names.h"
#include "reconcilers/release.h"

/* The reconciler reads a ReplicaSet's metadata, spec.replicas,
 * spec.minReadySeconds and status (rec_rs_read); its revision is in a label,
 * so the pod template, the bulk of it, need not be kept. */
static const char *const replicaset_unread[] = {"spec.template", "spec.selector"};

/* Of a pod, the restart reads metadata (name, uid, timestamps, owners) and
 * status.conditions (reconcilers/restart.c); the rest is most of a pod. */
static const char *const pod_unread[] = {
    "spec",
    "metadata.annotations",
    "status.containerStatuses",
    "status.initContainerStatuses",
    "status.ephemeralContainerStatuses",
    "status.hostIP",
    "status.hostIPs",
    "status.podIP",
    "status.podIPs",
    "status.qosClass",
    "status.startTime",
};

/* Of a Service, the traffic reconciler reads metadata (name, uid) and
 * spec.selector (reconcilers/traffic.c, reconcilers/patch.c). A cluster has
 * many Services and a few matter: drop what else they carry. */
static const char *const service_unread[] = {
    "metadata.labels",
    "metadata.annotations",
    "spec.ports",
    "spec.clusterIP",
    "spec.clusterIPs",
    "spec.externalIPs",
    "spec.externalName",
    "spec.externalTrafficPolicy",
    "spec.healthCheckNodePort",
    "spec.internalTrafficPolicy",
    "spec.ipFamilies",
    "spec.ipFamilyPolicy",
    "spec.loadBalancerClass",
    "spec.loadBalancerSourceRanges",
    "spec.sessionAffinity",
    "spec.sessionAffinityConfig",
    "spec.trafficDistribution",
    "spec.type",
    "status",
};

/* Of an HTTPRoute: metadata, spec.rules and status.parents[].conditions. */
static const char *const httproute_unread[] = {
    "metadata.labels",
    "metadata.annotations",
    "spec.hostnames",
    "spec.parentRefs",
};

/* Of an Ingress: the stable one's spec (rules, tls, ingressClassName), and
 * the owned canary one's metadata (labels, annotations, owners), compared
 * with what is applied. One informer serves both, so only status goes. */
static const char *const ingress_unread[] = {"status"};

/* The runtime's informers, in the order of the watches below. The Ingress
 * kind is watched twice (owned canary Ingresses, named stable Ingress):
 * one shared informer, two handlers. */
enum {
	INFORMER_RELEASES,
	INFORMER_REPLICASETS,
	INFORMER_PODS,
	INFORMER_SERVICES,
	INFORMER_HTTPROUTES,
	INFORMER_INGRESSES,        /* owned: the canary Ingresses */
	INFORMER_STABLE_INGRESSES, /* mapped: the same informer */
	INFORMER_ANALYSISRUNS,     /* owned */
	INFORMER_ANALYSISTEMPLATES,
	INFORMER_CLUSTERANALYSISTEMPLATES,
	INFORMER_APPROVALS,         /* mapped by spec.release (release-gates.h) */
	INFORMER_APPROVAL_POLICIES, /* ValidatingAdmissionPolicies */
	INFORMER_APPROVAL_BINDINGS, /* their bindings */
	N_INFORMERS
};

/* Field indexes on Releases: the keys ("ns/name") of the objects a canary
 * names, so a change of one wakes exactly the Releases naming it. */
#define INDEX_SERVICES       "spec.strategy.canary.services"
#define INDEX_HTTPROUTES     "spec.strategy.canary.trafficRouting.gatewayAPI.httpRoutes"
#define INDEX_STABLE_INGRESS "spec.strategy.canary.trafficRouting.nginx.stableIngress"
/* The analysis templates a Release names (steps, background, blue-green's
 * pre- and post-promotion): "ns/name" of AnalysisTemplates, "name" of
 * ClusterAnalysisTemplates. At most CTL_INDEX_VALUES_MAX of each: a
 * Release naming more is not woken by the changes of the others (its
 * reconcile still reads them). */
#define INDEX_ANALYSIS_TEMPLATES         "spec.analysis.templates"
#define INDEX_CLUSTER_ANALYSIS_TEMPLATES "spec.analysis.clusterTemplates"

/* ---- What a canary Release names ---------------------------------------- */

/* spec.strategy.canary of release, or NULL. */
static const json_t *canary_of(const json_t *release)
{
	const json_t *strategy = json_object_get(json_object_get(release, "spec"), "strategy");
	const json_t *canary = json_object_get(strategy, "canary");
	return json_is_object(canary) ? canary : NULL;
}

/* spec.strategy.blueGreen of release, or NULL. */
static const json_t *blue_green_of(const json_t *release)
{
	const json_t *strategy = json_object_get(json_object_get(release, "spec"), "strategy");
	const json_t *bg = json_object_get(strategy, "blueGreen");
	return json_is_object(bg) ? bg : NULL;
}

/* The object naming a Release's two Services and their keys: canary
 * stableService / canaryService, blueGreen activeService / previewService
 * (which the reconciler reads as the same two slots, rec_observed). */
static const json_t *services_owner(const json_t *release, const char *const **fields)
{
	static const char *const canary_fields[] = {"stableService", "canaryService"};
	static const char *const bg_fields[] = {"activeService", "previewService"};
	const json_t *canary = canary_of(release);
	*fields = canary ? canary_fields : bg_fields;
	return canary ? canary : blue_green_of(release);
}

static const json_t *traffic_of(const json_t *canary, const char *router)
{
	return json_object_get(json_object_get(canary, "trafficRouting"), router);
}

/* The key "ns/name" of the object named by the string `name` in the
 * Release's namespace into buf, when name is a valid name of its kind
 * (Services are DNS labels, routes and Ingresses DNS subdomains): true, or
 * false for a name absent, invalid or too long (the reconciler reports
 * what it does not find). */
static bool ref_key(const json_t *release, const json_t *name, bool dns_label, char *buf,
                    size_t len)
{
	const char *ns =
	    json_string_value(json_object_get(json_object_get(release, "metadata"), "namespace"));
	const char *n = json_string_value(name);
	if (!ns || !n)
		return false;
	size_t nlen = strlen(n);
	if (dns_label ? !model_dns_label_valid(n, nlen) : !model_dns_subdomain_valid(n, nlen))
		return false;
	int w = snprintf(buf, len, "%s/%s", ns, n);
	return w > 0 && (size_t)w < len;
}

/* Appends key to values unless it is there already (one membership per
 * value: two routes of the list may name one HTTPRoute). */
static size_t add_value(char (*values)[CTL_STORE_KEY_MAX], size_t n, size_t max, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(values[i], key) == 0)
			return n;
	if (n == max)
		return n;
	memcpy(values[n], key, strlen(key) + 1);
	return n + 1;
}

/* Index INDEX_SERVICES: stableService and canaryService, or blueGreen's
 * activeService and previewService. */
static size_t services_of(const json_t *release, char (*values)[CTL_STORE_KEY_MAX], size_t max,
                          void *userdata)
{
	const char *const *fields;
	const json_t *owner = services_owner(release, &fields);
	char key[CTL_STORE_KEY_MAX];
	size_t n = 0;
	for (size_t i = 0; owner && i < 2; i++)
		if (ref_key(release, json_object_get(owner, fields[i]), true, key, sizeof(key)))
			n = add_value(values, n, max, key);
	return n;
}

/* Index INDEX_HTTPROUTES: trafficRouting.gatewayAPI.httpRoutes[].name (the
 * CRD allows 16, CTL_INDEX_VALUES_MAX). */
static size_t httproutes_of(const json_t *release, char (*values)[CTL_STORE_KEY_MAX], size_t max,
                            void *userdata)
{
	const json_t *routes =
	    json_object_get(traffic_of(canary_of(release), "gatewayAPI"), "httpRoutes");
	char key[CTL_STORE_KEY_MAX];
	size_t n = 0, i;
	const json_t *route;
	json_array_foreach(routes, i, route)
	{
		if (ref_key(release, json_object_get(route, "name"), false, key, sizeof(key)))
			n = add_value(values, n, max, key);
	}
	return n;
}

/* Index INDEX_STABLE_INGRESS: trafficRouting.nginx.stableIngress. */
static size_t stable_ingress_of(const json_t *release, char (*values)[CTL_STORE_KEY_MAX],
                                size_t max, void *userdata)
{
	const json_t *name =
	    json_object_get(traffic_of(canary_of(release), "nginx"), "stableIngress");
	char key[CTL_STORE_KEY_MAX];
	if (max < 1 || !ref_key(release, name, false, key, sizeof(key)))
		return 0;
	memcpy(values[0], key, strlen(key) + 1);
	return 1;
}

/* Calls fn for every templates[] entry of every analysis the Release
 * names; stops at fn's nonzero. */
static int each_template_ref(const json_t *release, int (*fn)(const json_t *ref, void *ud),
                             void *ud)
{
	const json_t *strategy = json_object_get(json_object_get(release, "spec"), "strategy");
	const json_t *canary = json_object_get(strategy, "canary");
	const json_t *bg = json_object_get(strategy, "blueGreen");
	const json_t *lists[4] = {
	    json_object_get(json_object_get(canary, "analysis"), "templates"),
	    json_object_get(json_object_get(bg, "prePromotionAnalysis"), "templates"),
	    json_object_get(json_object_get(bg, "postPromotionAnalysis"), "templates"),
	};
	size_t i, k;
	const json_t *step, *ref;
	for (k = 0; k < 3; k++)
		json_array_foreach(lists[k], i, ref)
		{
			int r = fn(ref, ud);
			if (r)
				return r;
		}
	json_array_foreach(json_object_get(canary, "steps"), i, step)
	{
		json_array_foreach(json_object_get(json_object_get(step, "analysis"), "templates"),
		                   k, ref)
		{
			int r = fn(ref, ud);
			if (r)
				return r;
		}
	}
	return 0;
}

/* The key of a template reference: "ns/name" (in the Release's namespace)
 * or, clusterScope, "name"; false when the name is absent or invalid. */
static bool template_key(const json_t *release, const json_t *ref, bool *cluster, char *buf,
                         size_t len)
{
	const json_t *name = json_object_get(ref, "templateName");
	*cluster = json_is_true(json_object_get(ref, "clusterScope"));
	if (!*cluster)
		return ref_key(release, name, false, buf, len);
	const char *n = json_string_value(name);
	if (!n || !model_dns_subdomain_valid(n, strlen(n)) || strlen(n) >= len)
		return false;
	memcpy(buf, n, strlen(n) + 1);
	return true;
}

struct template_values {
	const json_t *release;
	bool cluster; /* which kind this index holds */
	char (*values)[CTL_STORE_KEY_MAX];
	size_t n, max;
};

static int add_template_value(const json_t *ref, void *ud)
{
	struct template_values *t = ud;
	char key[CTL_STORE_KEY_MAX];
	bool cluster = false;
	if (template_key(t->release, ref, &cluster, key, sizeof(key)) && cluster == t->cluster)
		t->n = add_value(t->values, t->n, t->max, key);
	return 0;
}

/* Index INDEX_ANALYSIS_TEMPLATES. */
static size_t templates_of(const json_t *release, char (*values)[CTL_STORE_KEY_MAX], size_t max,
                           void *userdata)
{
	struct template_values t = {release, false, values, 0, max};
	each_template_ref(release, add_template_value, &t);
	return t.n;
}

/* Index INDEX_CLUSTER_ANALYSIS_TEMPLATES. */
static size_t cluster_templates_of(const json_t *release, char (*values)[CTL_STORE_KEY_MAX],
                                   size_t max, void *userdata)
{
	struct template_values t = {release, true, values, 0, max};
	each_template_ref(release, add_template_value, &t);
	return t.n;
}

static const struct ctl_index release_indexes[] = {
    {.name = INDEX_SERVICES, .fn = services_of},
    {.name = INDEX_HTTPROUTES, .fn = httproutes_of},
    {.name = INDEX_STABLE_INGRESS, .fn = stable_ingress_of},
    {.name = INDEX_ANALYSIS_TEMPLATES, .fn = templates_of},
    {.name = INDEX_CLUSTER_ANALYSIS_TEMPLATES, .fn = cluster_templates_of},
    {.name = CTL_INDEX_GATED_RELEASE, .fn = ctl_release_gated_self},
    {.name = CTL_INDEX_GATE_POLICY, .fn = ctl_release_gate_policy},
};

/* Objects collected from an index, each a reference we own. */
struct owned {
	json_t **items;
	size_t n, cap;
};

static int collect(const char *key, json_t *obj, void *userdata)
{
	struct owned *o = userdata;
	if (o->n == o->cap) {
		size_t cap = o->cap ? o->cap * 2 : 8;
		json_t **items = realloc(o->items, cap * sizeof(*items));
		if (!items)
			return -ENOMEM;
		o->items = items;
		o->cap = cap;
	}
	o->items[o->n++] = json_incref(obj);
	return 0;
}

static void owned_clear(struct owned *o)
{
	for (size_t i = 0; i < o->n; i++)
		json_decref(o->items[i]);
	free(o->items);
}

/* The pods of every ReplicaSet in rss (by each one's uid). */
static int collect_pods(struct ctl_runtime *rt, const char *ns, const struct owned *rss,
                        struct owned *pods)
{
	for (size_t i = 0; i < rss->n; i++) {
		const char *uid = json_string_value(
		    json_object_get(json_object_get(rss->items[i], "metadata"), "uid"));
		if (!uid)
			continue;
		int r = ctl_informer_by_owner(ctl_runtime_informer(rt, INFORMER_PODS), ns, uid,
		                              collect, pods);
		if (r < 0)
			return r;
	}
	return 0;
}

/* The ReplicaSet cached under the name the Release's current revision
 * gives, whoever owns it, into *ret (caller owns it), or NULL: one lookup
 * by key, so an orphan (no owner, so not in the owner index) or a stranger
 * holding the name is seen without a scan. The ReplicaSet informer has no
 * label selector, so it caches those too. Costs one hash of the template,
 * which the reconciler computes again: cheaper than a second index. */
static int named_replicaset(struct ctl_runtime *rt, const json_t *release, const char *ns,
                            json_t **ret)
{
	char name[MODEL_NAME_MAX + 1], key[CTL_STORE_KEY_MAX];
	*ret = NULL;
	int r = rec_release_child_name(release, name, sizeof(name));
	if (r == -EINVAL || r == -ENAMETOOLONG)
		return 0; /* the reconciler reports the invalid spec */
	if (r < 0)
		return r;
	if (snprintf(key, sizeof(key), "%s/%s", ns ? ns : "", name) >= (int)sizeof(key))
		return 0;
	r = ctl_informer_get(ctl_runtime_informer(rt, INFORMER_REPLICASETS), key, ret);
	return r == -ENOENT ? 0 : r;
}

/* What one reconcile reads: the observed snapshot and every reference it
 * borrows. */
struct ctl_release_snapshot {
	struct rec_observed observed;
	struct owned replicasets, pods, owned_ingresses, runs, templates;
	struct owned approvals, bindings;
	json_t *approval_policy;
	json_t *named;
	json_t *stable_service, *canary_service, *stable_ingress;
	json_t **http_routes; /* n_http_routes of them, NULL where not found */
	size_t n_http_routes;
};

/* The object cached under the key that `name` gives in informer i into *ret
 * (caller owns it), or NULL when the name is absent or invalid or nothing
 * is cached there. 0 or -ENOMEM. */
static int named_object(struct ctl_runtime *rt, size_t i, const json_t *release, const json_t *name,
                        bool dns_label, json_t **ret)
{
	char key[CTL_STORE_KEY_MAX];
	*ret = NULL;
	if (!ref_key(release, name, dns_label, key, sizeof(key)))
		return 0;
	int r = ctl_informer_get(ctl_runtime_informer(rt, i), key, ret);
	return r == -ENOENT ? 0 : r;
}

/* The HTTPRoutes of trafficRouting.gatewayAPI.httpRoutes, one slot per
 * entry of the list. */
static int collect_routes(struct ctl_runtime *rt, const json_t *release, const json_t *canary,
                          struct ctl_release_snapshot *s)
{
	const json_t *routes = json_object_get(traffic_of(canary, "gatewayAPI"), "httpRoutes");
	size_t n = json_array_size(routes);
	if (n == 0)
		return 0;
	s->http_routes = calloc(n, sizeof(*s->http_routes));
	if (!s->http_routes)
		return -ENOMEM;
	s->n_http_routes = n;
	for (size_t i = 0; i < n; i++) {
		const json_t *name = json_object_get(json_array_get(routes, i), "name");
		int r =
		    named_object(rt, INFORMER_HTTPROUTES, release, name, false, &s->http_routes[i]);
		if (r < 0)
			return r;
	}
	return 0;
}

/* The routers of a canary Release, by key (its names read straight from
 * the JSON), and the Ingresses it controls (owner index): lookups, no
 * scan. For a blue-green Release its two Services; nothing for rolling. */
static int collect_routers(struct ctl_runtime *rt, const json_t *release, const char *ns,
                           const char *uid, struct ctl_release_snapshot *s)
{
	const char *const *fields;
	const json_t *owner = services_owner(release, &fields);
	const json_t *canary = canary_of(release);
	if (!owner)
		return 0;
	int r = named_object(rt, INFORMER_SERVICES, release, json_object_get(owner, fields[0]),
	                     true, &s->stable_service);
	if (r == 0)
		r = named_object(rt, INFORMER_SERVICES, release, json_object_get(owner, fields[1]),
		                 true, &s->canary_service);
	if (!canary)
		return r;
	if (r == 0)
		r = collect_routes(rt, release, canary, s);
	if (r == 0)
		r = named_object(rt, INFORMER_STABLE_INGRESSES, release,
		                 json_object_get(traffic_of(canary, "nginx"), "stableIngress"),
		                 false, &s->stable_ingress);
	if (r == 0 && uid)
		r = ctl_informer_by_owner(ctl_runtime_informer(rt, INFORMER_INGRESSES), ns, uid,
		                          collect, &s->owned_ingresses);
	return r;
}

/* Distinct templates one snapshot looks up; a Release naming more finds the
 * others missing (the CRD allows 16 per analysis; 64 is far beyond use). */
#define SNAPSHOT_TEMPLATES_MAX 64

struct template_lookup {
	struct ctl_runtime *rt;
	const json_t *release;
	struct owned *out;
	char seen[SNAPSHOT_TEMPLATES_MAX][CTL_STORE_KEY_MAX + 1]; /* 'c' or 'n', then the key */
	size_t n_seen;
	int err;
};

/* One reference: the template cached under its key, once per key. */
static int lookup_template(const json_t *ref, void *ud)
{
	struct template_lookup *l = ud;
	char key[CTL_STORE_KEY_MAX], tagged[CTL_STORE_KEY_MAX + 1];
	bool cluster = false;
	if (!template_key(l->release, ref, &cluster, key, sizeof(key)))
		return 0;
	snprintf(tagged, sizeof(tagged), "%c%s", cluster ? 'c' : 'n', key);
	for (size_t i = 0; i < l->n_seen; i++)
		if (strcmp(l->seen[i], tagged) == 0)
			return 0;
	if (l->n_seen == sizeof(l->seen) / sizeof(l->seen[0]))
		return 0; /* the reconciler reports what it does not find */
	memcpy(l->seen[l->n_seen++], tagged, strlen(tagged) + 1);
	json_t *obj = NULL;
	size_t i = cluster ? INFORMER_CLUSTERANALYSISTEMPLATES : INFORMER_ANALYSISTEMPLATES;
	int r = ctl_informer_get(ctl_runtime_informer(l->rt, i), key, &obj);
	if (r == -ENOENT)
		return 0;
	if (r == 0)
		r = collect(key, obj, l->out);
	json_decref(obj);
	l->err = r;
	return r;
}

/* The AnalysisRuns the Release controls (owner index) and the templates
 * its analysis names (by key): lookups, no scan. */
static int collect_analysis(struct ctl_runtime *rt, const json_t *release, const char *ns,
                            const char *uid, struct ctl_release_snapshot *s)
{
	int r = 0;
	if (uid)
		r = ctl_informer_by_owner(ctl_runtime_informer(rt, INFORMER_ANALYSISRUNS), ns, uid,
		                          collect, &s->runs);
	if (r < 0)
		return r;
	struct template_lookup *l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	*l = (struct template_lookup){.rt = rt, .release = release, .out = &s->templates};
	each_template_ref(release, lookup_template, l);
	r = l->err;
	free(l);
	return r;
}

/* For a Release with a gate: its Approvals (by the index on spec.release),
 * the identity policy (by key) and the policy's bindings (by the index on
 * policyName). Lookups, no scan; nothing for a Release without a gate. */
static int collect_gates(struct ctl_runtime *rt, const json_t *release,
                         struct ctl_release_snapshot *s)
{
	char key[CTL_STORE_KEY_MAX];
	if (!ctl_release_has_gates(release) || ctl_object_key(release, key, sizeof(key)) < 0)
		return 0;
	int r = ctl_informer_by_index(ctl_runtime_informer(rt, INFORMER_APPROVALS),
	                              CTL_INDEX_APPROVAL_RELEASE, key, collect, &s->approvals);
	if (r == 0)
		r = ctl_informer_by_index(ctl_runtime_informer(rt, INFORMER_APPROVAL_BINDINGS),
		                          CTL_INDEX_BINDING_POLICY, MODEL_APPROVAL_IDENTITY_POLICY,
		                          collect, &s->bindings);
	if (r < 0)
		return r;
	r = ctl_informer_get(ctl_runtime_informer(rt, INFORMER_APPROVAL_POLICIES),
	                     MODEL_APPROVAL_IDENTITY_POLICY, &s->approval_policy);
	return r == -ENOENT ? 0 : r;
}

/* Fills the observed struct from what s holds. */
static void fill_observed(struct ctl_runtime *rt, const json_t *release, double now,
                          struct ctl_release_snapshot *s)
{
	char key[CTL_STORE_KEY_MAX];
	bool keyed = ctl_object_key(release, key, sizeof(key)) == 0;
	s->observed = (struct rec_observed){
	    .release = release,
	    .replicasets = (const json_t *const *)s->replicasets.items,
	    .n_replicasets = s->replicasets.n,
	    .pods = (const json_t *const *)s->pods.items,
	    .n_pods = s->pods.n,
	    .named_replicaset = s->named,
	    .failure = keyed ? ctl_runtime_failure(rt, key) : NULL,
	    .stable_service = s->stable_service,
	    .canary_service = s->canary_service,
	    .http_routes = (const json_t *const *)s->http_routes,
	    .n_http_routes = s->n_http_routes,
	    .stable_ingress = s->stable_ingress,
	    .owned_ingresses = (const json_t *const *)s->owned_ingresses.items,
	    .n_owned_ingresses = s->owned_ingresses.n,
	    .analysis_runs = (const json_t *const *)s->runs.items,
	    .n_analysis_runs = s->runs.n,
	    .analysis_templates = (const json_t *const *)s->templates.items,
	    .n_analysis_templates = s->templates.n,
	    .approvals = (const json_t *const *)s->approvals.items,
	    .n_approvals = s->approvals.n,
	    .approval_policy = s->approval_policy,
	    .approval_bindings = (const json_t *const *)s->bindings.items,
	    .n_approval_bindings = s->bindings.n,
	    .now = (time_t)now,
	};
}

int ctl_release_snapshot_new(struct ctl_runtime *rt, const json_t *release, double now,
                             struct ctl_release_snapshot **ret)
{
	const json_t *meta = json_object_get(release, "metadata");
	const char *ns = json_string_value(json_object_get(meta, "namespace"));
	const char *uid = json_string_value(json_object_get(meta, "uid"));
	struct ctl_release_snapshot *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	int r = 0;
	if (uid)
		r = ctl_informer_by_owner(ctl_runtime_informer(rt, INFORMER_REPLICASETS), ns, uid,
		                          collect, &s->replicasets);
	if (r == 0)
		r = collect_pods(rt, ns, &s->replicasets, &s->pods);
	if (r == 0)
		r = named_replicaset(rt, release, ns, &s->named);
	if (r == 0)
		r = collect_routers(rt, release, ns, uid, s);
	if (r == 0)
		r = collect_analysis(rt, release, ns, uid, s);
	if (r == 0)
		r = collect_gates(rt, release, s);
	if (r < 0) {
		ctl_release_snapshot_free(s);
		return r;
	}
	fill_observed(rt, release, now, s);
	*ret = s;
	return 0;
}

const struct rec_observed *ctl_release_snapshot_observed(const struct ctl_release_snapshot *s)
{
	return &s->observed;
}

struct ctl_release_snapshot *ctl_release_snapshot_free(struct ctl_release_snapshot *s)
{
	if (!s)
		return NULL;
	owned_clear(&s->replicasets);
	owned_clear(&s->pods);
	owned_clear(&s->owned_ingresses);
	owned_clear(&s->runs);
	owned_clear(&s->templates);
	owned_clear(&s->approvals);
	owned_clear(&s->bindings);
	json_decref(s->approval_policy);
	json_decref(s->named);
	json_decref(s->stable_service);
	json_decref(s->canary_service);
	json_decref(s->stable_ingress);
	for (size_t i = 0; i < s->n_http_routes; i++)
		json_decref(s->http_routes[i]);
	free(s->http_routes);
	free(s);
	return NULL;
}

/* Takes a snapshot of what the Release owns and names and returns the
 * reconciler's plan. */
static int reconcile(struct ctl_runtime *rt, const json_t *release, double now,
                     struct rec_plan *plan, void *userdata)
{
	struct ctl_release_snapshot *s = NULL;
	int r = ctl_release_snapshot_new(rt, release, now, &s);
	if (r == 0)
		r = rec_release_reconcile(&s->observed, plan);
	ctl_release_snapshot_free(s);
	return r < 0 ? r : 0;
}

/* A Release UPDATE is worth a reconcile when it changed more than status,
 * or when a user wrote an intent into status (promote, abort, retry): the
 * status echo filter would drop exactly those. The controller clearing an
 * intent is an echo like any other. */
static bool release_update_matters(const json_t *old, const json_t *obj)
{
	if (ctl_object_changed_beyond_status(old, obj))
		return true;
	const json_t *intent =
	    json_object_get(json_object_get(obj, "status"), REL_INTENT_STATUS_KEY);
	const json_t *before =
	    json_object_get(json_object_get(old, "status"), REL_INTENT_STATUS_KEY);
	return intent && !json_is_null(intent) && !json_equal(intent, before);
}

int ctl_release_controller_strip_paths(const char *resource, const char *const **ret, size_t *ret_n)
{
	static const struct {
		const char *resource;
		const char *const *paths;
		size_t n;
	} kinds[] = {
#define KIND(r, a) {r, a, sizeof(a) / sizeof(a[0])}
	    KIND("replicasets", replicaset_unread), KIND("pods", pod_unread),
	    KIND("services", service_unread),       KIND("httproutes", httproute_unread),
	    KIND("ingresses", ingress_unread),
#undef KIND
	};
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(kinds[i].resource, resource) == 0) {
			*ret = kinds[i].paths;
			*ret_n = kinds[i].n;
			return 0;
		}
	return -ENOENT;
}

/* Services, HTTPRoutes and Ingresses of the whole cluster: many objects,
 * few of them read, so compact and stripped. HTTPRoute is optional: a
 * cluster without the Gateway API CRDs still syncs (a Release asking for
 * gatewayAPI then finds no route, and its reconciler says so). */
static void router_kinds(struct ctl_watch *w)
{
	w[INFORMER_SERVICES - 1] = (struct ctl_watch){.role = CTL_WATCH_MAPPED,
	                                              .kind = ctl_kind_of(&model_service_gvk),
	                                              .index = INDEX_SERVICES};
	w[INFORMER_HTTPROUTES - 1] = (struct ctl_watch){.role = CTL_WATCH_MAPPED,
	                                                .kind = ctl_kind_of(&model_httproute_gvk),
	                                                .index = INDEX_HTTPROUTES};
	w[INFORMER_INGRESSES - 1] =
	    (struct ctl_watch){.role = CTL_WATCH_OWNED, .kind = ctl_kind_of(&model_ingress_gvk)};
	struct ctl_kind *k = &w[INFORMER_SERVICES - 1].kind;
	k->compact = true;
	k->strip_paths = service_unread;
	k->n_strip_paths = sizeof(service_unread) / sizeof(service_unread[0]);
	k = &w[INFORMER_HTTPROUTES - 1].kind;
	k->compact = true;
	k->optional = true;
	k->strip_paths = httproute_unread;
	k->n_strip_paths = sizeof(httproute_unread) / sizeof(httproute_unread[0]);
	k = &w[INFORMER_INGRESSES - 1].kind;
	k->compact = true;
	k->strip_paths = ingress_unread;
	k->n_strip_paths = sizeof(ingress_unread) / sizeof(ingress_unread[0]);
	/* The same kind and storage: the runtime shares the informer. */
	w[INFORMER_STABLE_INGRESSES - 1] =
	    (struct ctl_watch){.role = CTL_WATCH_MAPPED, .kind = *k, .index = INDEX_STABLE_INGRESS};
}

/* AnalysisRuns (owned: a run's status wakes its Release) and the two
 * template kinds (mapped through the Releases' indexes). Stored as they
 * come: the AnalysisRun controller shares the run informer and reads all
 * of a run, and the storage is fixed by whoever asks first. */
static void analysis_kinds(struct ctl_watch *w)
{
	w[INFORMER_ANALYSISRUNS - 1] = (struct ctl_watch){
	    .role = CTL_WATCH_OWNED, .kind = ctl_kind_of(&model_analysis_run_gvk)};
	w[INFORMER_ANALYSISTEMPLATES - 1] =
	    (struct ctl_watch){.role = CTL_WATCH_MAPPED,
	                       .kind = ctl_kind_of(&model_analysis_template_gvk),
	                       .index = INDEX_ANALYSIS_TEMPLATES};
	w[INFORMER_CLUSTERANALYSISTEMPLATES - 1] =
	    (struct ctl_watch){.role = CTL_WATCH_MAPPED,
	                       .kind = ctl_kind_of(&model_cluster_analysis_template_gvk),
	                       .index = INDEX_CLUSTER_ANALYSIS_TEMPLATES};
}

int ctl_release_controller_add(struct ctl_manager *m,
                               const struct ctl_release_controller_options *opts,
                               struct ctl_runtime **ret, struct kc_error *err)
{
	struct ctl_watch watches[N_INFORMERS - 1] = {
	    [INFORMER_REPLICASETS - 1] = {.role = CTL_WATCH_OWNED,
	                                  .kind = ctl_kind_of(&model_replicaset_gvk)},
	    /* Owned at one remove: a pod's controller is a ReplicaSet, so its
	     * events enqueue nothing (an eviction changes the ReplicaSet's
	     * status, which wakes the Release). The watch is for the cache the
	     * restart reads and for the re-read after a 409. */
	    [INFORMER_PODS - 1] = {.role = CTL_WATCH_OWNED, .kind = ctl_kind_of(&model_pod_gvk)},
	};
	struct ctl_kind *rs = &watches[INFORMER_REPLICASETS - 1].kind;
	rs->compact = true;
	rs->strip_paths = replicaset_unread;
	rs->n_strip_paths = sizeof(replicaset_unread) / sizeof(replicaset_unread[0]);
	struct ctl_kind *pod = &watches[INFORMER_PODS - 1].kind;
	pod->compact = true;
	pod->strip_paths = pod_unread;
	pod->n_strip_paths = sizeof(pod_unread) / sizeof(pod_unread[0]);
	/* An existence selector: the controller's pods only. */
	pod->label_selector = MODEL_LABEL_REVISION;
	router_kinds(watches);
	analysis_kinds(watches);
	ctl_release_gate_watches(&watches[INFORMER_APPROVALS - 1],
	                         &watches[INFORMER_APPROVAL_POLICIES - 1],
	                         &watches[INFORMER_APPROVAL_BINDINGS - 1]);
	struct ctl_runtime_options ro = {
	    .name = "release",
	    .primary = ctl_kind_of(&model_release_gvk),
	    .watches = watches,
	    .n_watches = N_INFORMERS - 1,
	    .workers = opts->workers,
	    .queue = opts->queue,
	    .log_key = CTL_LOG_RELEASE,
	    .primary_update_matters = release_update_matters,
	    .reconcile = reconcile,
	};
	ro.primary.compact = true;
	ro.primary.indexes = release_indexes;
	ro.primary.n_indexes = sizeof(release_indexes) / sizeof(release_indexes[0]);
	return ctl_manager_add(m, &ro, ret, err);
}
