#include "reconcilers/traffic.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/api.h"
#include "model/revision.h"
#include "reconcilers/patch.h"

/* Longest route name (a DNS-1035 label). */
#define ROUTE_NAME_MAX 63

/* Everything one rec_traffic_plan call reads and writes. */
struct ctx {
	const struct rel_release *rel;
	const struct rel_canary *c;
	const struct rec_traffic_want *want;
	const struct rec_traffic_observed *obs;
	int32_t last_set_weight;
	struct rec_plan *plan;
	struct rec_traffic_report *rep;
	char rule_prefix[MODEL_NAME_MAX + 1]; /* "slipway.<release>" or "slipway.h<hash>" */
};

/* Records a problem the caller reports: appended to rep->message. */
static void note(struct rec_traffic_report *rep, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void note(struct rec_traffic_report *rep, const char *fmt, ...)
{
	size_t len = strlen(rep->message);
	if (len > 0 && len + 2 < sizeof(rep->message)) {
		memcpy(rep->message + len, "; ", 3);
		len += 2;
	}
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(rep->message + len, sizeof(rep->message) - len, fmt, ap);
	va_end(ap);
}

/* Records that HTTPRoute `name` had its weights changed by someone else;
 * each route named once in rep->drifted. */
static void note_drift(struct rec_traffic_report *rep, const char *name)
{
	char item[MODEL_NAME_MAX + 16];
	snprintf(item, sizeof(item), "HTTPRoute %s", name);
	rep->drift_corrected = true;
	size_t len = strlen(rep->drifted), n = strlen(item);
	for (const char *p = strstr(rep->drifted, item); p; p = strstr(p + 1, item)) {
		if ((p == rep->drifted || p[-1] == ' ') && (p[n] == ',' || p[n] == '\0'))
			return;
	}
	snprintf(rep->drifted + len, sizeof(rep->drifted) - len, "%s%s", len ? ", " : "", item);
}

/* ---- names ----------------------------------------------------------------- */

/* The revision-style hash of the pair (a, b): stable across restarts and
 * versions, since model_revision_hash is. 0 or -ENOMEM. */
static int pair_hash(const char *a, const char *b, char out[static MODEL_REVISION_LEN + 1])
{
	json_t *o = json_pack("{s:s, s:s}", "a", a, "b", b);
	if (!o)
		return -ENOMEM;
	int r = model_revision_hash(o, out);
	json_decref(o);
	return r < 0 ? -ENOMEM : 0;
}

int rec_traffic_canary_ingress_name(const char *release, const char *stable_ingress, char *out,
                                    size_t cap)
{
	static const char suffix[] = "-canary";
	char full[2 * MODEL_NAME_MAX + sizeof(suffix) + 2];
	int n = snprintf(full, sizeof(full), "%s-%s%s", release, stable_ingress, suffix);
	if (n < 0 || (size_t)n >= sizeof(full))
		return -ERANGE;
	if (n > MODEL_NAME_MAX) {
		/* "<cut>-<hash>-canary": the cut keeps it readable, the hash of
		 * both names keeps two long pairs with one prefix apart. */
		char hash[MODEL_REVISION_LEN + 1];
		if (pair_hash(release, stable_ingress, hash) < 0)
			return -ERANGE;
		size_t keep = MODEL_NAME_MAX - 1 - MODEL_REVISION_LEN - (sizeof(suffix) - 1);
		/* A subdomain's labels end alphanumeric: no '-' or '.' before
		 * the '-' we add. */
		while (keep > 0 && (full[keep - 1] == '-' || full[keep - 1] == '.'))
			keep--;
		n = snprintf(full + keep, sizeof(full) - keep, "-%s%s", hash, suffix);
		n += (int)keep;
	}
	if ((size_t)n + 1 > cap)
		return -ERANGE;
	memcpy(out, full, (size_t)n + 1);
	return 0;
}

/* "slipway.<release>", or "slipway.h<hash>" when a rule name with it could
 * pass 253 characters. A function of the release name only, so the rules of
 * one Release are found again whatever their route names. */
static int rule_prefix(const char *release, char *out, size_t cap)
{
	size_t len = strlen(MODEL_ROUTE_RULE_PREFIX) + strlen(release);
	/* ".<route>.<k>": a route name and a rule index of up to 2 digits. */
	if (len + 1 + ROUTE_NAME_MAX + 3 <= MODEL_NAME_MAX) {
		snprintf(out, cap, "%s%s", MODEL_ROUTE_RULE_PREFIX, release);
		return 0;
	}
	char hash[MODEL_REVISION_LEN + 1];
	if (pair_hash(release, "", hash) < 0)
		return -ENOMEM;
	snprintf(out, cap, "%sh%s", MODEL_ROUTE_RULE_PREFIX, hash);
	return 0;
}

/* Whether name is one of our rules ("<prefix>.<route>.<k>"). */
static bool is_our_rule(const struct ctx *x, const char *name)
{
	size_t n = strlen(x->rule_prefix);
	return name && strncmp(name, x->rule_prefix, n) == 0 && name[n] == '.' && name[n + 1];
}

/* ---- comparisons ----------------------------------------------------------- */

/* Whether every field of want is in have with the same value; arrays have
 * the same length and compare element by element. The API server fills in
 * defaults (a weight of 1, a match type), which want may leave out. */
static bool json_subset(const json_t *want, const json_t *have)
{
	if (json_is_object(want)) {
		const char *k;
		json_t *v;
		if (!json_is_object(have))
			return false;
		json_object_foreach((json_t *)want, k, v)
		{
			if (!json_subset(v, json_object_get(have, k)))
				return false;
		}
		return true;
	}
	if (json_is_array(want)) {
		if (!json_is_array(have) || json_array_size(want) != json_array_size(have))
			return false;
		for (size_t i = 0; i < json_array_size(want); i++)
			if (!json_subset(json_array_get(want, i), json_array_get(have, i)))
				return false;
		return true;
	}
	return json_equal((json_t *)want, (json_t *)have);
}

static const char *str_at(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

/* ---- refs and plan actions ------------------------------------------------- */

/* A ref to obj (kind gvk) in the Release's namespace, uid as precondition.
 * Borrows everything; rec_plan_add copies. */
static struct rec_ref ref_to(const struct ctx *x, const struct model_gvk *gvk, const char *name,
                             const json_t *obj)
{
	const char *uid = str_at(json_object_get(obj, "metadata"), "uid");
	return (struct rec_ref){.group = (char *)gvk->group,
	                        .version = (char *)gvk->version,
	                        .resource = (char *)gvk->resource,
	                        .kind = (char *)gvk->kind,
	                        .ns = x->rel->namespace,
	                        .name = (char *)name,
	                        .uid = (char *)uid};
}

/* Adds the JSON patch ops (taken: always released) unless it is empty. */
static int add_patch(struct ctx *x, const struct rec_ref *ref, json_t *ops)
{
	int r = 0;
	if (json_array_size(ops) > 0) {
		x->rep->in_effect = false;
		if (!rec_plan_add_json_patch(x->plan, ref, ops))
			r = -ENOMEM;
	}
	json_decref(ops);
	return r;
}

/* ---- Services -------------------------------------------------------------- */

const char *rec_traffic_selected_revision(const json_t *svc)
{
	const json_t *sel = json_object_get(json_object_get(svc, "spec"), "selector");
	return json_string_value(json_object_get(sel, MODEL_LABEL_REVISION));
}

bool rec_traffic_unrouted(size_t n, const char *const names[], const json_t *const svcs[],
                          const char *revision)
{
	bool any = false;
	for (size_t i = 0; i < n; i++) {
		if (!names[i])
			continue;
		any = true;
		const char *sel = svcs[i] ? rec_traffic_selected_revision(svcs[i]) : NULL;
		if (!sel || (revision && strcmp(sel, revision) == 0))
			return false;
	}
	return any;
}

int rec_traffic_service(const char *ns, const char *name, const json_t *svc, const char *revision,
                        struct rec_plan *plan, struct rec_traffic_report *rep)
{
	if (!name || !revision)
		return 0;
	if (!svc) {
		rep->missing = true;
		rep->in_effect = false;
		note(rep, "Service %s not found", name);
		return 0;
	}
	json_t *ops = NULL;
	int r = rec_patch_service_selector(svc, MODEL_LABEL_REVISION, revision, &ops);
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		rep->missing = true;
		rep->in_effect = false;
		note(rep, "Service %s has no usable spec.selector", name);
		return 0;
	}
	if (json_array_size(ops) == 0) {
		json_decref(ops);
		return 0;
	}
	const char *uid = str_at(json_object_get(svc, "metadata"), "uid");
	struct rec_ref ref = {.group = (char *)model_service_gvk.group,
	                      .version = (char *)model_service_gvk.version,
	                      .resource = (char *)model_service_gvk.resource,
	                      .kind = (char *)model_service_gvk.kind,
	                      .ns = (char *)ns,
	                      .name = (char *)name,
	                      .uid = (char *)uid};
	rep->in_effect = false;
	r = rec_plan_add_json_patch(plan, &ref, ops) ? 0 : -ENOMEM;
	json_decref(ops);
	return r;
}

static int plan_service(struct ctx *x, const char *name, const json_t *svc, const char *revision)
{
	return rec_traffic_service(x->rel->namespace, name, svc, revision, x->plan, x->rep);
}

/* ---- Gateway API ----------------------------------------------------------- */

/* Appends {"op": op, "path": path of tokens, "value": value (taken)}; value
 * NULL for "remove". 0 or -ENOMEM. */
static int append_op(json_t *ops, const char *op, size_t n, const char *const tokens[],
                     json_t *value)
{
	char *path = rec_json_pointer(n, tokens);
	json_t *o = path ? json_pack("{s:s, s:s}", "op", op, "path", path) : NULL;
	free(path);
	if (!o) {
		json_decref(value);
		return -ENOMEM;
	}
	if (value && json_object_set_new(o, "value", value) < 0) {
		json_decref(o);
		return -ENOMEM;
	}
	return json_array_append_new(ops, o) < 0 ? -ENOMEM : 0;
}

/* An op on spec.rules[index], or on one field of it (field NULL: the rule). */
static int rule_op(json_t *ops, const char *op, size_t index, const char *field, json_t *value)
{
	char i[24];
	snprintf(i, sizeof(i), "%zu", index);
	const char *t[] = {"spec", "rules", i, field};
	return append_op(ops, op, field ? 4 : 3, t, value);
}

/* Whether some parent reported the route, and none accepted it. A route no
 * controller has reported on yet (no status.parents) is not called not
 * accepted: its Gateway's controller may simply not have got to it, and a
 * route on a cluster without one would be flagged forever. */
static bool route_refused(const json_t *route)
{
	json_t *parents = json_object_get(json_object_get(route, "status"), "parents");
	size_t i, j;
	json_t *p, *cond;
	if (json_array_size(parents) == 0)
		return false;
	json_array_foreach(parents, i, p)
	{
		json_array_foreach(json_object_get(p, "conditions"), j, cond)
		{
			const char *t = str_at(cond, "type"), *s = str_at(cond, "status");
			if (t && s && strcmp(t, "Accepted") == 0 && strcmp(s, "True") == 0)
				return false;
		}
	}
	return true;
}

/* One HTTPRoute being planned. */
struct route_work {
	const char *name;
	const char *rule_name; /* the ref's rule, NULL: every rule with both */
	const json_t *route;
	const json_t *rules;
	size_t n_managed;
	size_t *managed; /* indices into rules */
	json_t *guards;  /* tests, first in the patch */
	json_t *writes;
	json_t *wanted; /* our rules as wanted: [{"name", ...}] */
	bool unusable;
};

static bool has_both(const struct ctx *x, const json_t *rule)
{
	size_t i;
	return rec_route_backend_index(rule, x->c->stable_service, &i) == 0 &&
	       rec_route_backend_index(rule, x->c->canary_service, &i) == 0;
}

/* The rules whose weights are managed: the named one, or every rule (not
 * ours) with both Services. */
static int find_managed(struct ctx *x, struct route_work *w)
{
	size_t n = json_array_size(w->rules);
	w->managed = calloc(n ? n : 1, sizeof(*w->managed));
	if (!w->managed)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		json_t *rule = json_array_get(w->rules, i);
		const char *name = str_at(rule, "name");
		if (is_our_rule(x, name))
			continue;
		if (w->rule_name ? (name && strcmp(name, w->rule_name) == 0) : has_both(x, rule))
			w->managed[w->n_managed++] = i;
	}
	if (w->n_managed == 0) {
		w->unusable = true;
		if (w->rule_name)
			note(x->rep, "HTTPRoute %s has no rule named %s", w->name, w->rule_name);
		else
			note(x->rep, "HTTPRoute %s has no rule with backendRefs %s and %s", w->name,
			     x->c->stable_service, x->c->canary_service);
	}
	return 0;
}

/* The weight of backendRef `name` in rule as read (absent: 1). */
static json_int_t weight_of(const json_t *rule, const char *name)
{
	size_t i = 0;
	if (rec_route_backend_index(rule, name, &i) < 0)
		return -1;
	json_t *wt =
	    json_object_get(json_array_get(json_object_get(rule, "backendRefs"), i), "weight");
	return wt ? (json_is_integer(wt) ? json_integer_value(wt) : -1) : 1;
}

/* Tests of both backendRef names of managed rule `index`. */
static int guard_backends(const struct ctx *x, struct route_work *w, size_t index)
{
	const json_t *rule = json_array_get(w->rules, index);
	const char *names[] = {x->c->stable_service, x->c->canary_service};
	for (int k = 0; k < 2; k++) {
		size_t b = 0;
		char ri[24], bi[24];
		if (rec_route_backend_index(rule, names[k], &b) < 0)
			return 0;
		snprintf(ri, sizeof(ri), "%zu", index);
		snprintf(bi, sizeof(bi), "%zu", b);
		const char *t[] = {"spec", "rules", ri, "backendRefs", bi, "name"};
		if (append_op(w->guards, "test", 6, t, json_string(names[k])) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* The weights of one managed rule: tests to guards, writes to writes. */
static int plan_rule_weights(struct ctx *x, struct route_work *w, size_t index)
{
	int32_t cw = x->want->canary_weight;
	struct rec_route_split split = {.rule = index,
	                                .stable = x->c->stable_service,
	                                .canary = x->c->canary_service,
	                                .stable_weight = 100 - cw,
	                                .canary_weight = cw};
	json_t *ops = NULL;
	int r = rec_patch_route_weights(w->route, &split, &ops);
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		w->unusable = true;
		note(x->rep,
		     "rule %zu of HTTPRoute %s does not have backendRefs %s and %s once each",
		     index, w->name, split.stable, split.canary);
		return 0;
	}
	const json_t *rule = json_array_get(w->rules, index);
	int32_t last = x->last_set_weight;
	if (json_array_size(ops) > 0 && last >= 0 &&
	    (weight_of(rule, split.canary) != last || weight_of(rule, split.stable) != 100 - last))
		note_drift(x->rep, w->name);
	size_t i;
	json_t *op;
	json_array_foreach(ops, i, op)
	{
		if (strcmp(str_at(op, "op"), "test") != 0 && json_array_append(w->writes, op) < 0)
			r = -ENOMEM;
	}
	json_decref(ops);
	if (r == 0)
		r = guard_backends(x, w, index);
	return r;
}

/* "^<value, regex metacharacters escaped>.*". Caller owns; NULL on ENOMEM. */
static char *prefix_regex(const char *value)
{
	char *re = malloc(2 * strlen(value) + 4);
	if (!re)
		return NULL;
	char *p = re;
	*p++ = '^';
	for (const char *c = value; *c; c++) {
		if (strchr("\\.^$|?*+()[]{}", *c))
			*p++ = '\\';
		*p++ = *c;
	}
	memcpy(p, ".*", 3);
	return re;
}

/* A match of Gateway API for m (a path match when path, else a header's). Prefix has no header
 * match type in Gateway API: it becomes the regex "^<escaped>.*", which matches the same under both
 * regex semantics implementations use (Envoy matches the whole value, others search). Caller owns;
 * NULL on ENOMEM. */
static json_t *string_match(const struct rel_string_match *m, bool path)
{
	if (m->kind == REL_MATCH_EXACT)
		return json_pack("{s:s, s:s}", "type", "Exact", "value", m->value);
	if (m->kind != REL_MATCH_PREFIX)
		return json_pack("{s:s, s:s}", "type", "RegularExpression", "value", m->value);
	if (path)
		return json_pack("{s:s, s:s}", "type", "PathPrefix", "value", m->value);
	char *re = prefix_regex(m->value);
	json_t *o = re ? json_pack("{s:s, s:s}", "type", "RegularExpression", "value", re) : NULL;
	free(re);
	return o;
}

static json_t *header_match(const struct rel_header_match *h)
{
	json_t *o = string_match(&h->value, false);
	if (o && json_object_set_new(o, "name", json_string(h->header_name)) < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* The matches of managed rule m; the API server's default when none. */
static json_t *managed_matches(const json_t *m)
{
	json_t *matches = json_object_get(m, "matches");
	if (json_array_size(matches) > 0)
		return json_deep_copy(matches);
	return json_pack("[{s:{s:s, s:s}}]", "path", "type", "PathPrefix", "value", "/");
}

/* A copy of backendRef `name` of rule, without weight (and, for a mirror,
 * without filters: a mirror's backendRef is a bare object reference). */
static json_t *backend_copy(const json_t *rule, const char *name, bool bare)
{
	size_t i = 0;
	if (rec_route_backend_index(rule, name, &i) < 0)
		return NULL;
	json_t *b = json_deep_copy(json_array_get(json_object_get(rule, "backendRefs"), i));
	json_object_del(b, "weight");
	if (bare)
		json_object_del(b, "filters");
	return b;
}

/* The header route's rule for managed rule m: m's matches with the header
 * matches added, m's filters kept, the canary as the only backend. */
static json_t *header_rule(const json_t *m, const char *canary, const struct rel_header_route *h)
{
	json_t *rule = json_deep_copy(m);
	json_t *matches = managed_matches(m);
	json_t *canary_ref = backend_copy(m, canary, false);
	bool ok = rule && matches && canary_ref;
	size_t i;
	json_t *mm;
	json_array_foreach(matches, i, mm)
	{
		json_t *headers = json_object_get(mm, "headers");
		if (!json_is_array(headers)) {
			headers = json_array();
			ok = ok && json_object_set_new(mm, "headers", headers) == 0;
		}
		for (size_t k = 0; ok && k < h->n_match; k++)
			ok = json_array_append_new(headers, header_match(&h->match[k])) == 0;
	}
	ok = ok && json_object_set(rule, "matches", matches) == 0;
	ok = ok && json_object_set_new(rule, "backendRefs", json_pack("[O]", canary_ref)) == 0;
	json_decref(matches);
	json_decref(canary_ref);
	if (!ok) {
		json_decref(rule);
		return NULL;
	}
	return rule;
}

/* One setMirrorRoute match as an HTTPRouteMatch (path defaulted as the API
 * server does). */
static json_t *mirror_match(const struct rel_mirror_match *mm)
{
	json_t *o = json_object();
	bool ok = o != NULL;
	if (ok && mm->has_path)
		ok = json_object_set_new(o, "path", string_match(&mm->path, true)) == 0;
	else if (ok)
		ok = json_object_set_new(
		         o, "path", json_pack("{s:s, s:s}", "type", "PathPrefix", "value", "/")) ==
		     0;
	if (ok && mm->has_method)
		ok = json_object_set_new(o, "method", json_string(mm->method.value)) == 0;
	if (ok && mm->n_headers > 0) {
		json_t *hs = json_array();
		ok = json_object_set_new(o, "headers", hs) == 0;
		for (size_t k = 0; ok && k < mm->n_headers; k++)
			ok = json_array_append_new(hs, header_match(&mm->headers[k])) == 0;
	}
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* The mirror route's rule for managed rule m (Argo Rollouts' shape: the
 * match, forwarding as the managed rule does, plus a RequestMirror filter to
 * the canary). It forwards with the managed weights, not to stable only, so
 * a mirror without match (every request) keeps the canary's share. */
static json_t *mirror_rule(const struct ctx *x, const json_t *m, const struct rel_mirror_route *mr)
{
	json_t *rule = json_deep_copy(m);
	json_t *matches = mr->n_match ? json_array() : managed_matches(m);
	json_t *filters = json_deep_copy(json_object_get(m, "filters"));
	json_t *mirror =
	    json_pack("{s:s, s:{s:o, s:i}}", "type", "RequestMirror", "requestMirror", "backendRef",
	              backend_copy(m, x->c->canary_service, true), "percent", (int)mr->percentage);
	bool ok = rule && matches && mirror;
	for (size_t k = 0; ok && k < mr->n_match; k++)
		ok = json_array_append_new(matches, mirror_match(&mr->match[k])) == 0;
	if (ok && !filters)
		filters = json_array();
	ok = ok && filters && json_array_append(filters, mirror) == 0;
	ok = ok && json_object_set(rule, "matches", matches) == 0;
	ok = ok && json_object_set(rule, "filters", filters) == 0;
	json_t *refs = json_object_get(rule, "backendRefs");
	const char *names[] = {x->c->stable_service, x->c->canary_service};
	int32_t weights[] = {100 - x->want->canary_weight, x->want->canary_weight};
	for (int k = 0; ok && k < 2; k++) {
		size_t b = 0;
		ok = rec_route_backend_index(rule, names[k], &b) == 0 &&
		     json_object_set_new(json_array_get(refs, b), "weight",
		                         json_integer(weights[k])) == 0;
	}
	json_decref(matches);
	json_decref(filters);
	json_decref(mirror);
	if (!ok) {
		json_decref(rule);
		return NULL;
	}
	return rule;
}

/* Adds the wanted rule `rule` (taken) named "<prefix>.<route>.<k>". */
static int want_rule(const struct ctx *x, struct route_work *w, const char *route, size_t k,
                     json_t *rule)
{
	/* rule_prefix left room for a route name and the index. */
	char name[MODEL_NAME_MAX + ROUTE_NAME_MAX + 32];
	snprintf(name, sizeof(name), "%s.%s.%zu", x->rule_prefix, route, k);
	if (!rule || json_object_set_new(rule, "name", json_string(name)) < 0 ||
	    json_array_append_new(w->wanted, rule) < 0) {
		json_decref(rule);
		return -ENOMEM;
	}
	return 0;
}

/* Our rules as the want has them, for every managed rule. */
static int build_wanted(const struct ctx *x, struct route_work *w)
{
	int r = 0;
	for (size_t k = 0; r == 0 && k < w->n_managed; k++) {
		const json_t *m = json_array_get(w->rules, w->managed[k]);
		for (size_t h = 0; r == 0 && h < x->want->n_header_routes; h++) {
			const struct rel_header_route *hr = x->want->header_routes[h];
			if (hr && hr->n_match > 0)
				r = want_rule(x, w, hr->name, k,
				              header_rule(m, x->c->canary_service, hr));
		}
		for (size_t h = 0; r == 0 && h < x->want->n_mirror_routes; h++) {
			const struct rel_mirror_route *mr = x->want->mirror_routes[h];
			if (mr && !mr->remove)
				r = want_rule(x, w, mr->name, k, mirror_rule(x, m, mr));
		}
	}
	return r;
}

/* The index in wanted of the rule named name, or -1. */
static long wanted_index(const json_t *wanted, const char *name)
{
	for (size_t i = 0; i < json_array_size(wanted); i++)
		if (strcmp(str_at(json_array_get(wanted, i), "name"), name) == 0)
			return (long)i;
	return -1;
}

/* Our rules as observed against the wanted ones: each observed one is
 * tested by name at its index, then removed (descending, so indexes hold),
 * or replaced (at its index after the removals) when it differs; wanted ones
 * not there are added first in the rules, in step order. */
static int plan_our_rules(const struct ctx *x, struct route_work *w)
{
	size_t n = json_array_size(w->rules), n_wanted = json_array_size(w->wanted);
	bool *present = calloc(n_wanted + 1, sizeof(*present));
	json_t *removes = json_array(), *replaces = json_array();
	int r = present && removes && replaces ? 0 : -ENOMEM;
	size_t removed = 0;
	for (size_t j = 0; r == 0 && j < n; j++) {
		const json_t *rule = json_array_get(w->rules, j);
		const char *name = str_at(rule, "name");
		if (!is_our_rule(x, name))
			continue;
		long f = wanted_index(w->wanted, name);
		if (f >= 0 && present[f])
			f = -1; /* a second rule of that name: remove it */
		if (f >= 0)
			present[f] = true;
		json_t *want = f >= 0 ? json_array_get(w->wanted, (size_t)f) : NULL;
		if (want && json_subset(want, rule))
			continue;
		r = rule_op(w->guards, "test", j, "name", json_string(name));
		if (r == 0 && !want)
			r = rule_op(removes, "remove", j, NULL, NULL);
		if (r == 0 && want)
			r = rule_op(replaces, "replace", j - removed, NULL, json_deep_copy(want));
		removed += want ? 0 : 1;
	}
	for (size_t i = json_array_size(removes); r == 0 && i > 0; i--)
		r = json_array_append(w->writes, json_array_get(removes, i - 1)) < 0 ? -ENOMEM : 0;
	if (r == 0 && json_array_extend(w->writes, replaces) < 0)
		r = -ENOMEM;
	for (size_t i = 0, at = 0; r == 0 && i < n_wanted; i++)
		if (!present[i])
			r = rule_op(w->writes, "add", at++, NULL,
			            json_deep_copy(json_array_get(w->wanted, i)));
	free(present);
	json_decref(removes);
	json_decref(replaces);
	return r;
}

/* The patch of one HTTPRoute: managed weights and our rules. */
static int plan_route_body(struct ctx *x, struct route_work *w)
{
	int r = find_managed(x, w);
	for (size_t k = 0; r == 0 && !w->unusable && k < w->n_managed; k++)
		r = plan_rule_weights(x, w, w->managed[k]);
	if (r < 0 || w->unusable)
		return r;
	r = build_wanted(x, w);
	if (r == 0)
		r = plan_our_rules(x, w);
	if (r < 0 || json_array_size(w->writes) == 0)
		return r;
	/* Every assumption first: the guards see the route as read. */
	json_t *ops = json_deep_copy(w->guards);
	if (!ops || json_array_extend(ops, w->writes) < 0) {
		json_decref(ops);
		return -ENOMEM;
	}
	struct rec_ref ref = ref_to(x, &model_httproute_gvk, w->name, w->route);
	return add_patch(x, &ref, ops);
}

static int plan_route(struct ctx *x, size_t i)
{
	const struct rel_http_route_ref *ref = &x->c->http_routes[i];
	const json_t *route = i < x->obs->n_http_routes ? x->obs->http_routes[i] : NULL;
	if (!route) {
		x->rep->missing = true;
		x->rep->in_effect = false;
		note(x->rep, "HTTPRoute %s not found", ref->name);
		return 0;
	}
	if (route_refused(route)) {
		x->rep->not_accepted = true;
		note(x->rep, "HTTPRoute %s is accepted by none of its parents", ref->name);
	}
	struct route_work w = {.name = ref->name,
	                       .rule_name = ref->rule,
	                       .route = route,
	                       .rules = json_object_get(json_object_get(route, "spec"), "rules"),
	                       .guards = json_array(),
	                       .writes = json_array(),
	                       .wanted = json_array()};
	int r = w.guards && w.writes && w.wanted ? plan_route_body(x, &w) : -ENOMEM;
	if (r == 0 && w.unusable) {
		x->rep->missing = true;
		x->rep->in_effect = false;
	}
	free(w.managed);
	json_decref(w.guards);
	json_decref(w.writes);
	json_decref(w.wanted);
	return r;
}

static int plan_gateway(struct ctx *x)
{
	if (!x->c->stable_service || !x->c->canary_service)
		return 0;
	for (size_t i = 0; i < x->c->n_http_routes; i++) {
		int r = plan_route(x, i);
		if (r < 0)
			return r;
	}
	return 0;
}
/* ---- NGINX ----------------------------------------------------------------- */

/* "<prefix>/<key>" into buf. */
static const char *ann_key(const struct ctx *x, const char *key, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s/%s", x->c->nginx.annotation_prefix, key);
	return buf;
}

/* The canary annotations: canary, canary-weight, and for a header route
 * canary-by-header with -value (exact) or -pattern (regex; a prefix, which
 * the model refuses under nginx, would be its regex). Caller owns. */
static json_t *canary_annotations(const struct ctx *x)
{
	char k[512], weight[16];
	snprintf(weight, sizeof(weight), "%d", (int)x->want->canary_weight);
	json_t *a = json_pack("{s:s}", ann_key(x, "canary", k, sizeof(k)), "true");
	bool ok = a && json_object_set_new(a, ann_key(x, "canary-weight", k, sizeof(k)),
	                                   json_string(weight)) == 0;
	const struct rel_header_route *h = NULL;
	for (size_t i = 0; i < x->want->n_header_routes; i++)
		if (x->want->header_routes[i] && x->want->header_routes[i]->n_match > 0)
			h = x->want->header_routes[i];
	if (ok && h) {
		const struct rel_header_match *m = &h->match[0];
		char *re = m->value.kind == REL_MATCH_PREFIX ? prefix_regex(m->value.value) : NULL;
		ok = json_object_set_new(a, ann_key(x, "canary-by-header", k, sizeof(k)),
		                         json_string(m->header_name)) == 0;
		if (ok && m->value.kind == REL_MATCH_EXACT)
			ok = json_object_set_new(a,
			                         ann_key(x, "canary-by-header-value", k, sizeof(k)),
			                         json_string(m->value.value)) == 0;
		else if (ok)
			ok = json_object_set_new(
			         a, ann_key(x, "canary-by-header-pattern", k, sizeof(k)),
			         json_string(re ? re : m->value.value)) == 0;
		free(re);
	}
	if (!ok) {
		json_decref(a);
		return NULL;
	}
	return a;
}

/* The stable rule's paths that go to stableService, rewritten to
 * canaryService; NULL (and *none) when none does. */
static json_t *canary_rule(const struct ctx *x, const json_t *rule, bool *oom)
{
	json_t *paths = json_object_get(json_object_get(rule, "http"), "paths");
	json_t *out = json_array();
	size_t i;
	json_t *p;
	if (!out) {
		*oom = true;
		return NULL;
	}
	json_array_foreach(paths, i, p)
	{
		json_t *svc = json_object_get(json_object_get(p, "backend"), "service");
		const char *name = str_at(svc, "name");
		if (!name || strcmp(name, x->c->stable_service) != 0)
			continue;
		json_t *c = json_deep_copy(p);
		json_t *csvc = json_object_get(json_object_get(c, "backend"), "service");
		if (!c ||
		    json_object_set_new(csvc, "name", json_string(x->c->canary_service)) < 0 ||
		    json_array_append_new(out, c) < 0) {
			*oom = true;
			json_decref(out);
			return NULL;
		}
	}
	json_t *r = json_array_size(out) ? json_deep_copy(rule) : NULL;
	bool ok = r && json_object_set_new(r, "http", json_pack("{s:O}", "paths", out)) == 0;
	*oom = json_array_size(out) && !ok;
	json_decref(out);
	if (!ok) {
		json_decref(r);
		return NULL;
	}
	return r;
}

/* The canary Ingress's spec from the stable one's; NULL with *oom false
 * when no path of it goes to stableService. */
static json_t *canary_spec(const struct ctx *x, const json_t *stable, bool *oom)
{
	const json_t *spec = json_object_get(stable, "spec");
	json_t *rules = json_array();
	json_t *out = json_object();
	size_t i;
	json_t *rule;
	*oom = !rules || !out;
	json_array_foreach(json_object_get(spec, "rules"), i, rule)
	{
		json_t *c = *oom ? NULL : canary_rule(x, rule, oom);
		if (c && json_array_append_new(rules, c) < 0)
			*oom = true;
	}
	const char *cls = str_at(spec, "ingressClassName");
	json_t *tls = json_object_get(spec, "tls");
	bool ok = !*oom && json_array_size(rules) > 0;
	ok = ok && (!cls || json_object_set_new(out, "ingressClassName", json_string(cls)) == 0);
	ok = ok && (!tls || json_object_set_new(out, "tls", json_deep_copy(tls)) == 0);
	ok = ok && json_object_set(out, "rules", rules) == 0;
	*oom = *oom || (json_array_size(rules) > 0 && !ok);
	json_decref(rules);
	if (!ok) {
		json_decref(out);
		return NULL;
	}
	return out;
}

/* The Release as controller owner, as its ReplicaSets have it
 * (reconcilers/replicaset.c). Caller owns; NULL on ENOMEM. */
static json_t *owner_refs(const struct rel_release *rel)
{
	return json_pack("[{s:s,s:s,s:s,s:s,s:b,s:b}]", "apiVersion", MODEL_API_VERSION, "kind",
	                 model_release_gvk.kind, "name", rel->name, "uid", rel->uid ? rel->uid : "",
	                 "controller", 1, "blockOwnerDeletion", 1);
}

/* The canary Ingress as applied; NULL with *oom false when the stable
 * Ingress has no path to stableService. */
static json_t *canary_ingress(const struct ctx *x, const char *name, bool *oom)
{
	json_t *spec = canary_spec(x, x->obs->stable_ingress, oom);
	if (!spec)
		return NULL;
	json_t *md = json_pack("{s:s, s:{s:s}, s:o, s:o}", "name", name, "labels",
	                       MODEL_LABEL_MANAGED_BY, MODEL_LABEL_MANAGED_BY_VALUE, "annotations",
	                       canary_annotations(x), "ownerReferences", owner_refs(x->rel));
	json_t *obj = md ? json_pack("{s:s, s:s, s:o, s:o}", "apiVersion", "networking.k8s.io/v1",
	                             "kind", model_ingress_gvk.kind, "metadata", md, "spec", spec)
	                 : NULL;
	if (!md)
		json_decref(spec);
	if (obj && x->rel->namespace &&
	    json_object_set_new(md, "namespace", json_string(x->rel->namespace)) < 0) {
		json_decref(obj);
		obj = NULL;
	}
	*oom = !obj;
	return obj;
}

/* Whether the observed canary Ingress is as wanted: every field applied has
 * its value, and none of our header annotations lingers unwanted. */
static bool ingress_as_wanted(const struct ctx *x, const json_t *want, const json_t *have)
{
	static const char *const header_keys[] = {"canary-by-header", "canary-by-header-value",
	                                          "canary-by-header-pattern"};
	if (!have || !json_subset(want, have))
		return false;
	const json_t *wa = json_object_get(json_object_get(want, "metadata"), "annotations");
	const json_t *ha = json_object_get(json_object_get(have, "metadata"), "annotations");
	char k[512];
	for (size_t i = 0; i < 3; i++) {
		ann_key(x, header_keys[i], k, sizeof(k));
		if (json_object_get(ha, k) && !json_object_get(wa, k))
			return false;
	}
	return true;
}

static const json_t *owned_named(const struct ctx *x, const char *name)
{
	for (size_t i = 0; i < x->obs->n_owned_ingresses; i++) {
		const json_t *o = x->obs->owned_ingresses[i];
		const char *n = str_at(json_object_get(o, "metadata"), "name");
		if (n && strcmp(n, name) == 0 && model_controlled_by(o, x->rel->uid))
			return o;
	}
	return NULL;
}

/* Applies the canary Ingress when it differs from what is wanted. */
static int apply_canary_ingress(struct ctx *x, const char *name)
{
	if (!x->obs->stable_ingress) {
		x->rep->missing = true;
		x->rep->in_effect = false;
		note(x->rep, "Ingress %s not found", x->c->nginx.stable_ingress);
		return 0;
	}
	bool oom = false;
	json_t *obj = canary_ingress(x, name, &oom);
	if (!obj) {
		if (oom)
			return -ENOMEM;
		x->rep->missing = true;
		x->rep->in_effect = false;
		note(x->rep, "Ingress %s has no path to Service %s", x->c->nginx.stable_ingress,
		     x->c->stable_service);
		return 0;
	}
	int r = 0;
	if (!ingress_as_wanted(x, obj, owned_named(x, name))) {
		struct rec_ref ref = ref_to(x, &model_ingress_gvk, name, NULL);
		x->rep->in_effect = false;
		if (!rec_plan_add_apply(x->plan, &ref, obj))
			r = -ENOMEM;
	}
	json_decref(obj);
	return r;
}

/* The canary Ingress when wanted; every other Ingress the Release controls
 * (all of them when none is wanted) deleted, uid as precondition. */
static int plan_nginx(struct ctx *x)
{
	bool wanted = x->c->traffic == REL_TRAFFIC_NGINX && x->want->canary_ingress &&
	              x->c->stable_service && x->c->canary_service;
	char name[MODEL_NAME_MAX + 1] = "";
	int r = 0;
	if (wanted) {
		if (rec_traffic_canary_ingress_name(x->rel->name, x->c->nginx.stable_ingress, name,
		                                    sizeof(name)) < 0)
			return -ENOMEM;
		r = apply_canary_ingress(x, name);
	}
	for (size_t i = 0; r == 0 && i < x->obs->n_owned_ingresses; i++) {
		const json_t *o = x->obs->owned_ingresses[i];
		const char *n = str_at(json_object_get(o, "metadata"), "name");
		/* Without a uid there is no precondition to delete this one
		 * incarnation with: leave it (objects read from the API have one). */
		if (!n || !str_at(json_object_get(o, "metadata"), "uid") ||
		    !model_controlled_by(o, x->rel->uid) || (wanted && strcmp(n, name) == 0))
			continue;
		struct rec_ref ref = ref_to(x, &model_ingress_gvk, n, o);
		x->rep->in_effect = false;
		if (!rec_plan_add(x->plan, REC_DELETE, &ref, NULL))
			r = -ENOMEM;
	}
	return r;
}

int rec_traffic_plan(const struct rel_release *rel, const struct rec_ref *release,
                     const struct rec_traffic_want *want, const struct rec_traffic_observed *obs,
                     int32_t last_set_weight, struct rec_plan *plan,
                     struct rec_traffic_report *report)
{
	(void)release;
	if (!rel || !want || !obs || !plan || !report || want->canary_weight < 0 ||
	    want->canary_weight > 100 || want->n_header_routes > REC_TRAFFIC_ROUTES_MAX ||
	    want->n_mirror_routes > REC_TRAFFIC_ROUTES_MAX)
		return -EINVAL;
	struct rec_traffic_report rep = {.in_effect = true};
	struct rec_plan local;
	rec_plan_init(&local);
	struct ctx x = {.rel = rel,
	                .c = &rel->canary,
	                .want = want,
	                .obs = obs,
	                .last_set_weight = last_set_weight,
	                .plan = &local,
	                .rep = &rep};
	int r = rule_prefix(rel->name, x.rule_prefix, sizeof(x.rule_prefix));
	/* Services first: a weight that rises must find canaryService already
	 * selecting the canary, and at completion stableService must select
	 * the new stable before the canary's weight returns to it. */
	if (r == 0)
		r = plan_service(&x, x.c->stable_service, obs->stable_service,
		                 want->stable_revision);
	if (r == 0)
		r = plan_service(&x, x.c->canary_service, obs->canary_service,
		                 want->canary_revision);
	if (r == 0 && x.c->traffic == REL_TRAFFIC_GATEWAY_API)
		r = plan_gateway(&x);
	if (r == 0)
		r = plan_nginx(&x);
	if (r == 0)
		r = rec_plan_take(plan, &local);
	rec_plan_clear(&local);
	if (r < 0)
		return r;
	*report = rep;
	return 0;
}
