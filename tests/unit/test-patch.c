/*
 * The JSON patch builders of reconcilers/patch.h, from tables: each row is an
 * object as read, what the controller wants, and the exact operations (or the
 * error) expected. Every patch built is also applied to the object it was
 * built from by a small RFC 6902 evaluator below, to check that it passes its
 * own tests and changes nothing but the field it sets.
 */
#include "tap.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "model/api.h"
#include "reconcilers/patch.h"

/* ---- a minimal RFC 6902 evaluator (test, add, replace on objects/arrays) ---- */

/* Unescapes one reference token in place (~1 -> '/', ~0 -> '~'). */
static void unescape(char *t)
{
	char *w = t;
	for (const char *r = t; *r; r++) {
		if (r[0] == '~' && (r[1] == '0' || r[1] == '1')) {
			*w++ = r[1] == '0' ? '~' : '/';
			r++;
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
}

/* The parent of path's target in doc, and the last token (in buf). */
static json_t *parent_of(json_t *doc, const char *path, char *buf, size_t cap)
{
	json_t *cur = doc;
	const char *p = path;
	if (*p != '/')
		return NULL;
	for (;;) {
		p++;
		const char *end = strchr(p, '/');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		if (n >= cap)
			return NULL;
		memcpy(buf, p, n);
		buf[n] = '\0';
		unescape(buf);
		if (!end)
			return cur;
		cur = json_is_array(cur) ? json_array_get(cur, strtoul(buf, NULL, 10))
		                         : json_object_get(cur, buf);
		if (!cur)
			return NULL;
		p = end;
	}
}

static json_t *child(json_t *parent, const char *token)
{
	return json_is_array(parent) ? json_array_get(parent, strtoul(token, NULL, 10))
	                             : json_object_get(parent, token);
}

/* Applies ops to doc in place; 0, or -1 when an op fails (as a server would). */
static int apply_ops(json_t *doc, const json_t *ops)
{
	size_t i;
	json_t *op;
	json_array_foreach(ops, i, op)
	{
		const char *name = json_string_value(json_object_get(op, "op"));
		const char *path = json_string_value(json_object_get(op, "path"));
		json_t *value = json_object_get(op, "value");
		char token[128];
		json_t *parent = name && path ? parent_of(doc, path, token, sizeof(token)) : NULL;
		if (!parent || !value)
			return -1;
		json_t *old = child(parent, token);
		if (strcmp(name, "test") == 0) {
			if (!old || !json_equal(old, value))
				return -1;
		} else if (strcmp(name, "replace") == 0 || strcmp(name, "add") == 0) {
			if (!json_is_object(parent) || (!old && strcmp(name, "replace") == 0))
				return -1;
			json_object_set(parent, token, value);
		} else {
			return -1;
		}
	}
	return 0;
}

/* ---- JSON pointers ---- */

/* The pointer to MODEL_LABEL_REVISION in a selector, its '/' escaped by
 * hand, so that the escaping is checked against text, not against itself. */
#define REV_POINTER "/spec/selector/" MODEL_GROUP "~1revision"

static void check_pointer(void)
{
	const char *sel[] = {"spec", "selector", MODEL_LABEL_REVISION};
	char *p = rec_json_pointer(3, sel);
	is_str(p, REV_POINTER, "'/' in a key becomes ~1");
	free(p);
	const char *odd[] = {"a~b", "~/", ""};
	p = rec_json_pointer(3, odd);
	is_str(p, "/a~0b/~0~1/", "'~' becomes ~0 (before '/' is read), an empty key stays");
	free(p);
	p = rec_json_pointer(0, NULL);
	is_str(p, "", "no tokens: the whole document");
	free(p);
}

/* ---- Service selector ---- */

#define SVC(selector)                                                                              \
	"{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"web\","              \
	"\"annotations\":{\"argocd.argoproj.io/tracking-id\":\"x\"}},"                             \
	"\"spec\":{\"ports\":[{\"port\":80}]" selector "}}"

static const struct selector_row {
	const char *what;
	const char *service;
	const char *key, *value;
	int rc;
	const char *ops; /* expected, when rc == 0 */
} selector_rows[] = {
    {"key present with another value: test the old value, replace it",
     SVC(",\"selector\":{\"app\":\"web\",\"" MODEL_LABEL_REVISION "\":\"abc\"}"),
     MODEL_LABEL_REVISION, "def", 0,
     "[{\"op\":\"test\",\"path\":\"" REV_POINTER "\",\"value\":\"abc\"},"
     "{\"op\":\"replace\",\"path\":\"" REV_POINTER "\",\"value\":\"def\"}]"},
    {"key absent: test the whole selector as read, add the key",
     SVC(",\"selector\":{\"app\":\"web\"}"), MODEL_LABEL_REVISION, "def", 0,
     "[{\"op\":\"test\",\"path\":\"/spec/selector\",\"value\":{\"app\":\"web\"}},"
     "{\"op\":\"add\",\"path\":\"" REV_POINTER "\",\"value\":\"def\"}]"},
    {"empty selector: still a selector, the key is added", SVC(",\"selector\":{}"), "k", "v", 0,
     "[{\"op\":\"test\",\"path\":\"/spec/selector\",\"value\":{}},"
     "{\"op\":\"add\",\"path\":\"/spec/selector/k\",\"value\":\"v\"}]"},
    {"already set: nothing to write",
     SVC(",\"selector\":{\"app\":\"web\",\"" MODEL_LABEL_REVISION "\":\"def\"}"),
     MODEL_LABEL_REVISION, "def", 0, "[]"},
    {"no selector: not a Service the controller may steer", SVC(""), MODEL_LABEL_REVISION, "def",
     -ENOENT, NULL},
    {"selector not an object", SVC(",\"selector\":\"app=web\""), "app", "x", -ENOENT, NULL},
    {"the key's value is not a string", SVC(",\"selector\":{\"app\":7}"), "app", "x", -EINVAL,
     NULL},
    {"no spec at all", "{\"kind\":\"Service\"}", "app", "x", -ENOENT, NULL},
    {"empty key", SVC(",\"selector\":{\"app\":\"web\"}"), "", "x", -EINVAL, NULL},
};

/* Checks ops (built from obj_text) against the expected text, and that they
 * apply to the object and leave it equal to `expect_after` when given. */
static void check_ops(const char *what, const char *obj_text, json_t *ops, const char *want,
                      json_t *expect_after)
{
	json_t *expected = json_loads(want, 0, NULL);
	char *got = json_dumps(ops, JSON_COMPACT);
	ok(expected && json_equal(ops, expected), "%s: ops (%s)", what, got ? got : "?");
	free(got);
	json_decref(expected);
	json_t *obj = json_loads(obj_text, 0, NULL);
	is_int(apply_ops(obj, ops), 0, "%s: the patch applies to the object as read", what);
	if (expect_after)
		ok(json_equal(obj, expect_after), "%s: only the asked-for field changed", what);
	json_decref(obj);
}

static void check_selector(void)
{
	for (size_t i = 0; i < sizeof(selector_rows) / sizeof(selector_rows[0]); i++) {
		const struct selector_row *r = &selector_rows[i];
		json_t *svc = json_loads(r->service, 0, NULL);
		json_t *ops = (json_t *)1; /* must stay untouched on failure */
		int rc = rec_patch_service_selector(svc, r->key, r->value, &ops);
		is_int(rc, r->rc, "%s: rc", r->what);
		if (rc < 0) {
			ok(ops == (json_t *)1, "%s: *ret untouched on failure", r->what);
		} else {
			/* The object the controller means: the read one with the key set. */
			json_t *after = json_deep_copy(svc);
			json_object_set_new(
			    json_object_get(json_object_get(after, "spec"), "selector"), r->key,
			    json_string(r->value));
			check_ops(r->what, r->service, ops, r->ops, after);
			json_decref(after);
			json_decref(ops);
		}
		json_decref(svc);
	}
}

static void check_selector_guards(void)
{
	/* The GitOps tool changed the selector between our read and our write:
	 * the patch's test fails instead of landing on a selector we never saw. */
	json_t *svc = json_loads(
	    SVC(",\"selector\":{\"app\":\"web\",\"" MODEL_LABEL_REVISION "\":\"a\"}"), 0, NULL);
	json_t *ops = NULL;
	is_int(rec_patch_service_selector(svc, MODEL_LABEL_REVISION, "b", &ops), 0, "build");
	json_object_set_new(json_object_get(json_object_get(svc, "spec"), "selector"),
	                    MODEL_LABEL_REVISION, json_string("c"));
	is_int(apply_ops(svc, ops), -1, "a changed value fails the test");
	json_decref(ops);
	json_decref(svc);

	svc = json_loads(SVC(",\"selector\":{\"app\":\"web\"}"), 0, NULL);
	is_int(rec_patch_service_selector(svc, MODEL_LABEL_REVISION, "b", &ops), 0, "build");
	json_object_set_new(json_object_get(json_object_get(svc, "spec"), "selector"), "tier",
	                    json_string("front"));
	is_int(apply_ops(svc, ops), -1, "a selector changed while the key was absent fails too");
	json_decref(ops);
	json_decref(svc);
}

/* ---- HTTPRoute weights ---- */

#define ROUTE(refs0, refs1)                                                                        \
	"{\"apiVersion\":\"gateway.networking.k8s.io/v1\",\"kind\":\"HTTPRoute\","                 \
	"\"metadata\":{\"name\":\"web\"},\"spec\":{\"parentRefs\":[{\"name\":\"gw\"}],"            \
	"\"rules\":[{\"backendRefs\":[" refs0 "]},{\"matches\":[{\"path\":{\"value\":\"/api\"}}]," \
	"\"backendRefs\":[" refs1 "]}]}}"
#define BREF(name, weight) "{\"name\":\"" name "\",\"port\":80" weight "}"
#define W(n)               ",\"weight\":" #n

static const struct route_row {
	const char *what;
	const char *route;
	struct rec_route_split split;
	int rc;
	const char *ops;
} route_rows[] = {
    {"both weights change: test both names, replace both weights",
     ROUTE(BREF("web", W(100)) "," BREF("web-canary", W(0)), ""),
     {.rule = 0, .stable = "web", .canary = "web-canary", .stable_weight = 90, .canary_weight = 10},
     0,
     "[{\"op\":\"test\",\"path\":\"/spec/rules/0/backendRefs/0/name\",\"value\":\"web\"},"
     "{\"op\":\"test\",\"path\":\"/spec/rules/0/backendRefs/1/name\",\"value\":\"web-canary\"},"
     "{\"op\":\"replace\",\"path\":\"/spec/rules/0/backendRefs/0/weight\",\"value\":90},"
     "{\"op\":\"replace\",\"path\":\"/spec/rules/0/backendRefs/1/weight\",\"value\":10}]"},
    {"second rule, canary listed first, one weight absent (the default 1): add it",
     ROUTE(BREF("other", ""), BREF("web-canary", W(5)) "," BREF("web", "")),
     {.rule = 1, .stable = "web", .canary = "web-canary", .stable_weight = 50, .canary_weight = 50},
     0,
     "[{\"op\":\"test\",\"path\":\"/spec/rules/1/backendRefs/1/name\",\"value\":\"web\"},"
     "{\"op\":\"test\",\"path\":\"/spec/rules/1/backendRefs/0/name\",\"value\":\"web-canary\"},"
     "{\"op\":\"add\",\"path\":\"/spec/rules/1/backendRefs/1/weight\",\"value\":50},"
     "{\"op\":\"replace\",\"path\":\"/spec/rules/1/backendRefs/0/weight\",\"value\":50}]"},
    {"only the canary changes: both names tested, one weight written",
     ROUTE(BREF("web", W(90)) "," BREF("web-canary", W(10)), ""),
     {.rule = 0, .stable = "web", .canary = "web-canary", .stable_weight = 90, .canary_weight = 20},
     0,
     "[{\"op\":\"test\",\"path\":\"/spec/rules/0/backendRefs/0/name\",\"value\":\"web\"},"
     "{\"op\":\"test\",\"path\":\"/spec/rules/0/backendRefs/1/name\",\"value\":\"web-canary\"},"
     "{\"op\":\"replace\",\"path\":\"/spec/rules/0/backendRefs/1/weight\",\"value\":20}]"},
    {"already split so (an absent weight is 1): nothing to write",
     ROUTE(BREF("web", "") "," BREF("web-canary", W(0)), ""),
     {.rule = 0, .stable = "web", .canary = "web-canary", .stable_weight = 1, .canary_weight = 0},
     0,
     "[]"},
    {"a backendRef of another kind with the same name is not the Service",
     ROUTE("{\"kind\":\"ServiceImport\",\"group\":\"multicluster.x-k8s.io\",\"name\":\"web\"},"
           "{\"group\":\"\",\"kind\":\"Service\",\"name\":\"web\",\"weight\":3}," BREF("web-canary",
                                                                                       W(0)),
           ""),
     {.rule = 0, .stable = "web", .canary = "web-canary", .stable_weight = 3, .canary_weight = 1},
     0,
     "[{\"op\":\"test\",\"path\":\"/spec/rules/0/backendRefs/1/name\",\"value\":\"web\"},"
     "{\"op\":\"test\",\"path\":\"/spec/rules/0/backendRefs/2/name\",\"value\":\"web-canary\"},"
     "{\"op\":\"replace\",\"path\":\"/spec/rules/0/backendRefs/2/weight\",\"value\":1}]"},
    {"canary Service not in the rule",
     ROUTE(BREF("web", W(100)), ""),
     {.rule = 0, .stable = "web", .canary = "web-canary", .stable_weight = 90, .canary_weight = 10},
     -ENOENT,
     NULL},
    {"no such rule",
     ROUTE(BREF("web", "") "," BREF("web-canary", ""), ""),
     {.rule = 2, .stable = "web", .canary = "web-canary", .stable_weight = 90, .canary_weight = 10},
     -ENOENT,
     NULL},
    {"a rule without backendRefs",
     "{\"spec\":{\"rules\":[{}]}}",
     {.rule = 0, .stable = "web", .canary = "web-canary", .stable_weight = 90, .canary_weight = 10},
     -ENOENT,
     NULL},
    {"the stable Service twice in the rule: ambiguous",
     ROUTE(BREF("web", "") "," BREF("web", "") "," BREF("web-canary", ""), ""),
     {.rule = 0, .stable = "web", .canary = "web-canary", .stable_weight = 90, .canary_weight = 10},
     -EINVAL,
     NULL},
    {"stable and canary are one Service",
     ROUTE(BREF("web", ""), ""),
     {.rule = 0, .stable = "web", .canary = "web", .stable_weight = 90, .canary_weight = 10},
     -EINVAL,
     NULL},
    {"weight over 1000000",
     ROUTE(BREF("web", "") "," BREF("web-canary", ""), ""),
     {.rule = 0, .stable = "web", .canary = "web-canary", .stable_weight = 1000001},
     -EINVAL,
     NULL},
    {"negative weight",
     ROUTE(BREF("web", "") "," BREF("web-canary", ""), ""),
     {.rule = 0, .stable = "web", .canary = "web-canary", .canary_weight = -1},
     -EINVAL,
     NULL},
    {"no canary name", ROUTE(BREF("web", ""), ""), {.rule = 0, .stable = "web"}, -EINVAL, NULL},
};

/* The route as read with the split's two weights set: what the patch must make. */
static json_t *route_after(const json_t *route, const struct rec_route_split *s)
{
	json_t *after = json_deep_copy(route);
	json_t *refs = json_object_get(
	    json_array_get(json_object_get(json_object_get(after, "spec"), "rules"), s->rule),
	    "backendRefs");
	size_t i;
	json_t *ref;
	json_array_foreach(refs, i, ref)
	{
		const char *name = json_string_value(json_object_get(ref, "name"));
		const char *kind = json_string_value(json_object_get(ref, "kind"));
		if (kind && strcmp(kind, "Service") != 0)
			continue;
		if (strcmp(name, s->stable) == 0)
			json_object_set_new(ref, "weight", json_integer(s->stable_weight));
		else if (strcmp(name, s->canary) == 0)
			json_object_set_new(ref, "weight", json_integer(s->canary_weight));
	}
	/* An absent weight that stays 1 stays absent. */
	json_array_foreach(refs, i, ref)
	{
		json_t *orig = json_object_get(
		    json_array_get(
		        json_object_get(
		            json_array_get(json_object_get(json_object_get(route, "spec"), "rules"),
		                           s->rule),
		            "backendRefs"),
		        i),
		    "weight");
		json_t *w = json_object_get(ref, "weight");
		if (!orig && w && json_integer_value(w) == 1)
			json_object_del(ref, "weight");
	}
	return after;
}

static void check_route(void)
{
	for (size_t i = 0; i < sizeof(route_rows) / sizeof(route_rows[0]); i++) {
		const struct route_row *r = &route_rows[i];
		json_t *route = json_loads(r->route, 0, NULL);
		json_t *ops = (json_t *)1;
		int rc = rec_patch_route_weights(route, &r->split, &ops);
		is_int(rc, r->rc, "%s: rc", r->what);
		if (rc < 0) {
			ok(ops == (json_t *)1, "%s: *ret untouched on failure", r->what);
		} else {
			json_t *after = route_after(route, &r->split);
			check_ops(r->what, r->route, ops, r->ops, after);
			json_decref(after);
			json_decref(ops);
		}
		json_decref(route);
	}
}

static void check_route_guard(void)
{
	/* Someone reordered the backendRefs after we read the route: the name
	 * tests fail, so no weight lands on the wrong Service. */
	const char *text = ROUTE(BREF("web", W(100)) "," BREF("web-canary", W(0)), "");
	json_t *route = json_loads(text, 0, NULL);
	struct rec_route_split s = {
	    .stable = "web", .canary = "web-canary", .stable_weight = 0, .canary_weight = 100};
	json_t *ops = NULL;
	is_int(rec_patch_route_weights(route, &s, &ops), 0, "build");
	json_t *moved =
	    json_loads(ROUTE(BREF("web-canary", W(0)) "," BREF("web", W(100)), ""), 0, NULL);
	is_int(apply_ops(moved, ops), -1, "reordered backendRefs fail the name test");
	json_decref(moved);
	json_decref(ops);
	json_decref(route);
}

int main(void)
{
	check_pointer();
	check_selector();
	check_selector_guards();
	check_route();
	check_route_guard();
	return tap_done();
}
