/* spec.strategy.canary: parse, default and validate (see model/release.h for
 * the API and the rules across fields). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "model/fields.h"
#include "model/names.h"
#include "model/release-parse.h"

static const char *const step_keys[] = {
    [REL_STEP_SET_WEIGHT] = "setWeight",
    [REL_STEP_PAUSE] = "pause",
    [REL_STEP_ANALYSIS] = "analysis",
    [REL_STEP_APPROVAL] = "approval",
    [REL_STEP_SET_CANARY_SCALE] = "setCanaryScale",
    [REL_STEP_SET_HEADER_ROUTE] = "setHeaderRoute",
    [REL_STEP_SET_MIRROR_ROUTE] = "setMirrorRoute",
};
#define STEP_LIST                                                                                  \
	"setWeight, pause, analysis, approval, setCanaryScale, setHeaderRoute, setMirrorRoute"

const char *rel_step_name(enum rel_step_kind kind)
{
	if (kind >= REL_STEP_SET_WEIGHT && kind <= REL_STEP_LAST)
		return step_keys[kind];
	return "unknown";
}

/* An integer from 0 to 100 at `key`, `dflt` when absent. */
static bool field_percent(struct model_fields *c, const json_t *o, const char *key,
                          const char *base, int32_t dflt, int32_t *out)
{
	json_t *v = json_object_get(o, key);
	*out = dflt;
	if (!v)
		return true;
	if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 100) {
		char path[MODEL_PATH_LEN];
		model_path_key(path, base, key);
		model_errors_add(c->errs, path, "must be an integer between 0 and 100");
		return false;
	}
	*out = (int32_t)json_integer_value(v);
	return true;
}

static void string_match_clear(struct rel_string_match *m)
{
	free(m->value);
	memset(m, 0, sizeof(*m));
}

/* {exact | prefix | regex: "..."} at `path` (o is the value there). */
static bool parse_string_match(struct model_fields *c, const json_t *o, const char *path,
                               struct rel_string_match *m)
{
	static const char *const keys[] = {"exact", "prefix", "regex", NULL};
	const char *expect = "must have exactly one of exact, prefix, regex";
	if (!json_is_object(o)) {
		model_errors_add(c->errs, path, "must be an object");
		return false;
	}
	if (!model_fields_only(c, o, path, keys, expect))
		return false;
	if (json_object_size(o) != 1) {
		model_errors_add(c->errs, path, "%s", expect);
		return false;
	}
	const char *key = json_object_iter_key(json_object_iter((json_t *)o));
	enum rel_match_kind kind = strcmp(key, "exact") == 0    ? REL_MATCH_EXACT
	                           : strcmp(key, "prefix") == 0 ? REL_MATCH_PREFIX
	                                                        : REL_MATCH_REGEX;
	char *value = NULL;
	if (!model_field_string(c, o, key, path, true, &value))
		return false;
	if (value && strlen(value) > REL_MATCH_VALUE_MAX) {
		char vpath[MODEL_PATH_LEN];
		model_path_key(vpath, path, key);
		model_errors_add(c->errs, vpath, "must be at most %d characters",
		                 REL_MATCH_VALUE_MAX);
		free(value);
		return false;
	}
	m->kind = kind;
	m->value = value;
	return value != NULL;
}

static void header_match_clear(struct rel_header_match *h)
{
	free(h->header_name);
	string_match_clear(&h->value);
}

/* A header name at `path`, copied into *out. */
static bool header_name(struct model_fields *c, const char *name, const char *path, char **out)
{
	if (!model_http_token_valid(name, strlen(name), REL_HEADER_NAME_MAX)) {
		model_errors_add(c->errs, path,
		                 "\"%.80s\" is not a valid HTTP header name (letters, digits and "
		                 "!#$%%&'*+-.^_`|~, at most %d)",
		                 name, REL_HEADER_NAME_MAX);
		return false;
	}
	*out = model_fields_strdup(c, name);
	return *out != NULL;
}

/* {headerName, headerValue} of a setHeaderRoute. */
static void parse_header_match(struct model_fields *c, const json_t *o, const char *path,
                               struct rel_header_match *h)
{
	char fpath[MODEL_PATH_LEN];
	if (!json_is_object(o)) {
		model_errors_add(c->errs, path, "must be an object");
		return;
	}
	char *name = NULL;
	if (model_field_string(c, o, "headerName", path, true, &name) && name) {
		model_path_key(fpath, path, "headerName");
		header_name(c, name, fpath, &h->header_name);
	}
	free(name);
	json_t *v = model_field_object(c, o, "headerValue", path, true);
	model_path_key(fpath, path, "headerValue");
	if (v)
		parse_string_match(c, v, fpath, &h->value);
}

/* The `key` list of a route step: a zeroed array of *n items of `size`
 * bytes for the caller to fill (so a clear frees what was parsed), or NULL
 * with *n = 0 when absent, empty or invalid. Caller frees. */
static void *parse_list(struct model_fields *c, const json_t *o, const char *key, const char *base,
                        size_t size, size_t *n)
{
	json_t *arr;
	*n = 0;
	if (!model_field_array(c, o, key, base, false, REL_ROUTE_MATCHES_MAX, "matches", &arr) ||
	    json_array_size(arr) == 0)
		return NULL;
	void *items = calloc(json_array_size(arr), size);
	if (!items) {
		c->oom = true;
		return NULL;
	}
	*n = json_array_size(arr);
	return items;
}

static void parse_header_route(struct model_fields *c, const json_t *o, const char *path,
                               struct rel_header_route *h)
{
	if (!json_is_object(o)) {
		model_errors_add(c->errs, path, "must be an object");
		return;
	}
	model_field_name(c, o, "name", path, MODEL_NAME_DNS_LABEL, true, &h->name);
	h->match = parse_list(c, o, "match", path, sizeof(*h->match), &h->n_match);
	char mpath[MODEL_PATH_LEN], ipath[MODEL_PATH_LEN];
	model_path_key(mpath, path, "match");
	for (size_t i = 0; i < h->n_match; i++) {
		model_path_index(ipath, mpath, i);
		parse_header_match(c, json_array_get(json_object_get(o, "match"), i), ipath,
		                   &h->match[i]);
	}
}

static void mirror_match_clear(struct rel_mirror_match *m)
{
	string_match_clear(&m->method);
	string_match_clear(&m->path);
	for (size_t i = 0; i < m->n_headers; i++)
		header_match_clear(&m->headers[i]);
	free(m->headers);
}

/* method: {exact: GET}: Gateway API matches methods exactly, from its list. */
static void parse_method(struct model_fields *c, const json_t *v, const char *path,
                         struct rel_mirror_match *m)
{
	static const char *const methods[] = {"GET",     "HEAD",    "POST",  "PUT",   "DELETE",
	                                      "CONNECT", "OPTIONS", "TRACE", "PATCH", NULL};
	m->has_method = true;
	if (!parse_string_match(c, v, path, &m->method))
		return;
	bool known = false;
	for (size_t i = 0; methods[i]; i++)
		known = known || strcmp(m->method.value, methods[i]) == 0;
	if (m->method.kind != REL_MATCH_EXACT || !known)
		model_errors_add(
		    c->errs, path,
		    "must be {exact: METHOD} with one of GET, HEAD, POST, PUT, DELETE, "
		    "CONNECT, OPTIONS, TRACE, PATCH");
}

/* headers: {NAME: {exact|prefix|regex}}, Argo Rollouts' map form. */
static void parse_mirror_headers(struct model_fields *c, const json_t *v, const char *path,
                                 struct rel_mirror_match *m)
{
	if (!json_is_object(v)) {
		model_errors_add(c->errs, path, "must be an object (header name: match)");
		return;
	}
	if (json_object_size(v) == 0) {
		model_errors_add(c->errs, path, "must name at least one header");
		return;
	}
	if (json_object_size(v) > REL_ROUTE_MATCHES_MAX) {
		model_errors_add(c->errs, path, "must have at most %d headers",
		                 REL_ROUTE_MATCHES_MAX);
		return;
	}
	m->headers = calloc(json_object_size(v), sizeof(*m->headers));
	if (!m->headers) {
		c->oom = true;
		return;
	}
	const char *key;
	json_t *hv;
	json_object_foreach((json_t *)v, key, hv)
	{
		char hpath[MODEL_PATH_LEN];
		model_path_key(hpath, path, key);
		struct rel_header_match *h = &m->headers[m->n_headers++];
		if (header_name(c, key, path, &h->header_name))
			parse_string_match(c, hv, hpath, &h->value);
	}
}

static void parse_mirror_match(struct model_fields *c, const json_t *o, const char *path,
                               struct rel_mirror_match *m)
{
	char fpath[MODEL_PATH_LEN];
	if (!json_is_object(o)) {
		model_errors_add(c->errs, path, "must be an object");
		return;
	}
	json_t *method = json_object_get(o, "method");
	json_t *p = json_object_get(o, "path");
	json_t *headers = json_object_get(o, "headers");
	if (!method && !p && !headers) {
		model_errors_add(c->errs, path, "must have at least one of method, path, headers");
		return;
	}
	model_path_key(fpath, path, "method");
	if (method)
		parse_method(c, method, fpath, m);
	model_path_key(fpath, path, "path");
	m->has_path = p != NULL;
	/* Gateway API paths are absolute. */
	if (p && parse_string_match(c, p, fpath, &m->path) && m->path.kind != REL_MATCH_REGEX &&
	    m->path.value[0] != '/')
		model_errors_add(c->errs, fpath, "must start with \"/\"");
	model_path_key(fpath, path, "headers");
	if (headers)
		parse_mirror_headers(c, headers, fpath, m);
}

static void parse_mirror_route(struct model_fields *c, const json_t *o, const char *path,
                               struct rel_mirror_route *r)
{
	if (!json_is_object(o)) {
		model_errors_add(c->errs, path, "must be an object");
		return;
	}
	model_field_name(c, o, "name", path, MODEL_NAME_DNS_LABEL, true, &r->name);
	field_percent(c, o, "percentage", path, 100, &r->percentage);
	r->match = parse_list(c, o, "match", path, sizeof(*r->match), &r->n_match);
	r->remove = r->n_match == 0 && !json_object_get(o, "percentage");
	char mpath[MODEL_PATH_LEN], ipath[MODEL_PATH_LEN];
	model_path_key(mpath, path, "match");
	for (size_t i = 0; i < r->n_match; i++) {
		model_path_index(ipath, mpath, i);
		parse_mirror_match(c, json_array_get(json_object_get(o, "match"), i), ipath,
		                   &r->match[i]);
	}
}

static void parse_canary_scale(struct model_fields *c, const json_t *o, const char *path,
                               struct rel_canary_scale *s)
{
	static const char *const keys[] = {"replicas", "weight", "matchTrafficWeight", NULL};
	const char *expect = "must have exactly one of replicas, weight, matchTrafficWeight";
	if (!json_is_object(o)) {
		model_errors_add(c->errs, path, "must be an object");
		return;
	}
	if (!model_fields_only(c, o, path, keys, expect))
		return;
	if (json_object_size(o) != 1) {
		model_errors_add(c->errs, path, "%s", expect);
		return;
	}
	if (json_object_get(o, "replicas")) {
		if (model_field_int32(c, o, "replicas", path, 0, 0, &s->replicas))
			s->kind = REL_CANARY_SCALE_REPLICAS;
		return;
	}
	if (json_object_get(o, "weight")) {
		if (field_percent(c, o, "weight", path, 0, &s->weight))
			s->kind = REL_CANARY_SCALE_WEIGHT;
		return;
	}
	bool match = false;
	if (!model_field_bool(c, o, "matchTrafficWeight", path, false, &match))
		return;
	if (!match) {
		char fpath[MODEL_PATH_LEN];
		model_path_key(fpath, path, "matchTrafficWeight");
		model_errors_add(c->errs, fpath,
		                 "must be true (it puts the canary's pods back in step with "
		                 "its traffic weight)");
		return;
	}
	s->kind = REL_CANARY_SCALE_MATCH_TRAFFIC;
}

static void parse_pause(struct model_fields *c, const json_t *v, const char *path,
                        struct rel_step *s)
{
	if (!json_is_object(v)) {
		model_errors_add(c->errs, path,
		                 "must be an object (pause: {} waits until promoted)");
		return;
	}
	/* As Argo Rollouts: no duration waits until promoted. */
	model_field_duration(c, v, "duration", path, &s->pause_has_duration, &s->pause_duration_ns);
}

/* The value of a step whose key is known: kind's own parser. */
static void parse_step_value(struct model_fields *c, const json_t *v, const char *path,
                             enum rel_step_kind kind, struct rel_step *s)
{
	bool object_kind = kind == REL_STEP_ANALYSIS || kind == REL_STEP_APPROVAL;
	if (object_kind && !json_is_object(v)) {
		model_errors_add(c->errs, path, "must be an object");
		return;
	}
	switch (kind) {
	case REL_STEP_SET_WEIGHT:
		if (!json_is_integer(v) || json_integer_value(v) < 0 ||
		    json_integer_value(v) > 100) {
			model_errors_add(c->errs, path, "must be an integer between 0 and 100");
			return;
		}
		s->set_weight = (int32_t)json_integer_value(v);
		break;
	case REL_STEP_PAUSE:
		parse_pause(c, v, path, s);
		break;
	case REL_STEP_ANALYSIS:
		rel_parse_analysis(c, v, path, &s->analysis);
		break;
	case REL_STEP_APPROVAL:
		model_gate_parse(c, v, path, &s->approval);
		break;
	case REL_STEP_SET_CANARY_SCALE:
		parse_canary_scale(c, v, path, &s->canary_scale);
		break;
	case REL_STEP_SET_HEADER_ROUTE:
		parse_header_route(c, v, path, &s->header_route);
		break;
	case REL_STEP_SET_MIRROR_ROUTE:
		parse_mirror_route(c, v, path, &s->mirror_route);
		break;
	}
}

static void parse_step(struct model_fields *c, const json_t *o, const char *base,
                       struct rel_step *s)
{
	if (!json_is_object(o)) {
		model_errors_add(c->errs, base, "must be an object");
		return;
	}
	if (json_object_size(o) != 1) {
		model_errors_add(c->errs, base, "must have exactly one of " STEP_LIST);
		return;
	}
	const char *key = json_object_iter_key(json_object_iter((json_t *)o));
	json_t *v = json_object_iter_value(json_object_iter((json_t *)o));
	enum rel_step_kind kind = 0;
	for (int k = REL_STEP_SET_WEIGHT; k <= REL_STEP_LAST; k++) {
		if (strcmp(key, step_keys[k]) == 0)
			kind = (enum rel_step_kind)k;
	}
	if (kind == 0) {
		model_errors_add(c->errs, base, "unknown step \"%.40s\": must be one of " STEP_LIST,
		                 key);
		return;
	}
	char path[MODEL_PATH_LEN];
	model_path_key(path, base, key);
	/* The kind is set even when the value is invalid, so that clearing
	 * finds what was allocated; an invalid step fails the whole parse. */
	s->kind = kind;
	parse_step_value(c, v, path, kind, s);
}

static void step_clear(struct rel_step *s)
{
	rel_analysis_clear(&s->analysis);
	model_gate_clear(&s->approval);
	free(s->header_route.name);
	for (size_t i = 0; i < s->header_route.n_match; i++)
		header_match_clear(&s->header_route.match[i]);
	free(s->header_route.match);
	free(s->mirror_route.name);
	for (size_t i = 0; i < s->mirror_route.n_match; i++)
		mirror_match_clear(&s->mirror_route.match[i]);
	free(s->mirror_route.match);
	memset(s, 0, sizeof(*s));
}

/* httpRoutes[i] listed again: the same route twice, without a rule (every
 * rule) beside any other entry of that route, or the same rule twice. */
static void check_route_unique(struct model_fields *c, const struct rel_canary *k, size_t i,
                               const char *ipath)
{
	const struct rel_http_route_ref *r = &k->http_routes[i];
	for (size_t j = 0; j < i && r->name; j++) {
		const struct rel_http_route_ref *o = &k->http_routes[j];
		if (!o->name || strcmp(o->name, r->name) != 0)
			continue;
		if (r->rule && o->rule && strcmp(r->rule, o->rule) != 0)
			continue;
		model_errors_add(
		    c->errs, ipath,
		    "route \"%.80s\" is already listed as httpRoutes[%zu] (list a route "
		    "once without rule, or once per rule)",
		    r->name, j);
		return;
	}
}

static void parse_gateway_api(struct model_fields *c, const json_t *g, const char *path,
                              struct rel_canary *k)
{
	char rpath[MODEL_PATH_LEN], ipath[MODEL_PATH_LEN];
	json_t *routes;
	if (!model_field_array(c, g, "httpRoutes", path, true, REL_HTTP_ROUTES_MAX, "routes",
	                       &routes))
		return;
	k->http_routes = calloc(json_array_size(routes), sizeof(*k->http_routes));
	if (!k->http_routes) {
		c->oom = true;
		return;
	}
	k->n_http_routes = json_array_size(routes);
	model_path_key(rpath, path, "httpRoutes");
	for (size_t i = 0; i < k->n_http_routes; i++) {
		json_t *r = json_array_get(routes, i);
		model_path_index(ipath, rpath, i);
		if (!json_is_object(r)) {
			model_errors_add(c->errs, ipath, "must be an object");
			continue;
		}
		model_field_name(c, r, "name", ipath, MODEL_NAME_DNS_SUBDOMAIN, true,
		                 &k->http_routes[i].name);
		model_field_name(c, r, "rule", ipath, MODEL_NAME_DNS_SUBDOMAIN, false,
		                 &k->http_routes[i].rule);
		check_route_unique(c, k, i, ipath);
	}
	k->traffic = REL_TRAFFIC_GATEWAY_API;
}

static void parse_nginx(struct model_fields *c, const json_t *n, const char *path,
                        const char *release_name, struct rel_canary *k)
{
	k->traffic = REL_TRAFFIC_NGINX;
	if (model_field_name(c, n, "stableIngress", path, MODEL_NAME_DNS_SUBDOMAIN, true,
	                     &k->nginx.stable_ingress) &&
	    k->nginx.stable_ingress && release_name) {
		/* The canary Ingress is "<release>-<stableIngress>-canary". */
		size_t len = strlen(release_name) + 1 + strlen(k->nginx.stable_ingress) + 7;
		if (len > MODEL_NAME_MAX) {
			char fpath[MODEL_PATH_LEN];
			model_path_key(fpath, path, "stableIngress");
			model_errors_add(c->errs, fpath,
			                 "too long: the canary Ingress name "
			                 "<release>-<stableIngress>-canary would have %zu "
			                 "characters, more than %d",
			                 len, MODEL_NAME_MAX);
		}
	}
	if (model_field_name(c, n, "annotationPrefix", path, MODEL_NAME_DNS_SUBDOMAIN, false,
	                     &k->nginx.annotation_prefix) &&
	    !k->nginx.annotation_prefix)
		k->nginx.annotation_prefix =
		    model_fields_strdup(c, REL_DEFAULT_NGINX_ANNOTATION_PREFIX);
}

static void parse_traffic(struct model_fields *c, const json_t *o, const char *base,
                          const char *release_name, struct rel_canary *k)
{
	static const char *const kinds[] = {"gatewayAPI", "nginx", NULL};
	const char *expect = "must have exactly one of gatewayAPI, nginx";
	if (!model_fields_only(c, o, base, kinds, expect))
		return;
	if (json_object_size(o) == 2) {
		model_errors_add(c->errs, base,
		                 "gatewayAPI and nginx cannot both be set: one traffic router per "
		                 "Release");
		return;
	}
	if (json_object_size(o) != 1) {
		model_errors_add(c->errs, base, "%s", expect);
		return;
	}
	char path[MODEL_PATH_LEN];
	json_t *g = json_object_get(o, "gatewayAPI");
	json_t *r = g ? model_field_object(c, o, "gatewayAPI", base, false)
	              : model_field_object(c, o, "nginx", base, false);
	if (!r)
		return;
	model_path_key(path, base, g ? "gatewayAPI" : "nginx");
	if (g)
		parse_gateway_api(c, r, path, k);
	else
		parse_nginx(c, r, path, release_name, k);
}

/* A setHeaderRoute under nginx: what canary-by-header can say. */
static void check_nginx_header_route(struct model_fields *c, const struct rel_header_route *h,
                                     const char *first_name, const char *path)
{
	char fpath[MODEL_PATH_LEN];
	if (h->n_match > 1) {
		model_path_key(fpath, path, "match");
		model_errors_add(c->errs, fpath,
		                 "nginx (canary-by-header) matches one header: must have at most "
		                 "one item");
	} else if (h->n_match == 1 && h->match[0].value.kind == REL_MATCH_PREFIX) {
		model_path_key(fpath, path, "match[0].headerValue");
		model_errors_add(c->errs, fpath,
		                 "nginx (canary-by-header) cannot match a prefix: use exact or "
		                 "regex");
	}
	if (h->name && first_name && strcmp(h->name, first_name) != 0) {
		model_path_key(fpath, path, "name");
		model_errors_add(c->errs, fpath,
		                 "nginx has one canary Ingress, so one header route: every "
		                 "setHeaderRoute must be named \"%.80s\"",
		                 first_name);
	}
}

/* The route name of step s, for the header/mirror name clash check. */
static const char *route_name(const struct rel_step *s)
{
	if (s->kind == REL_STEP_SET_HEADER_ROUTE)
		return s->header_route.name;
	if (s->kind == REL_STEP_SET_MIRROR_ROUTE)
		return s->mirror_route.name;
	return NULL;
}

/* A route name belongs to header routes or to mirror routes, not both. */
static void check_route_name(struct model_fields *c, const struct rel_canary *k, size_t i,
                             const char *path)
{
	const char *name = route_name(&k->steps[i]);
	for (size_t j = 0; j < i && name; j++) {
		const char *other = route_name(&k->steps[j]);
		if (other && strcmp(other, name) == 0 && k->steps[j].kind != k->steps[i].kind) {
			char fpath[MODEL_PATH_LEN];
			model_path_key(fpath, path, "name");
			model_errors_add(c->errs, fpath,
			                 "\"%.80s\" already names a %s in steps[%zu]: header and "
			                 "mirror routes need different names",
			                 name, rel_step_name(k->steps[j].kind), j);
			return;
		}
	}
}

/* Whether steps[i] is the first of its kind with its route name. */
static bool first_route_use(const struct rel_canary *k, size_t i)
{
	const char *name = route_name(&k->steps[i]);
	for (size_t j = 0; j < i && name; j++) {
		const char *n = route_name(&k->steps[j]);
		if (n && k->steps[j].kind == k->steps[i].kind && strcmp(n, name) == 0)
			return false;
	}
	return name != NULL;
}

/* At most REL_ROUTE_NAMES_MAX header route names, and as many mirror route
 * names: more could not all be in effect at once. counts[0] header,
 * counts[1] mirror, as counted so far. */
static void check_route_count(struct model_fields *c, const struct rel_canary *k, size_t i,
                              const char *path, size_t counts[2])
{
	if (!first_route_use(k, i))
		return;
	size_t *n = &counts[k->steps[i].kind == REL_STEP_SET_MIRROR_ROUTE];
	if (++*n != REL_ROUTE_NAMES_MAX + 1)
		return;
	char fpath[MODEL_PATH_LEN];
	model_path_key(fpath, path, "name");
	model_errors_add(c->errs, fpath, "more than %d %s names in one rollout",
	                 REL_ROUTE_NAMES_MAX, rel_step_name(k->steps[i].kind));
}

/* The rules between steps and trafficRouting, once every step is read. */
static void check_steps_routing(struct model_fields *c, const struct rel_canary *k,
                                const char *steps_path)
{
	const char *first_header = NULL;
	size_t counts[2] = {0, 0};
	for (size_t i = 0; i < k->n_steps; i++) {
		const struct rel_step *s = &k->steps[i];
		char ipath[MODEL_PATH_LEN], path[MODEL_PATH_LEN];
		model_path_index(ipath, steps_path, i);
		model_path_key(path, ipath, rel_step_name(s->kind));
		if (s->kind == REL_STEP_SET_CANARY_SCALE && k->traffic == REL_TRAFFIC_NONE)
			model_errors_add(c->errs, path,
			                 "requires trafficRouting (without it the canary's share "
			                 "of pods is its traffic weight)");
		if (s->kind == REL_STEP_SET_HEADER_ROUTE && k->traffic == REL_TRAFFIC_NONE)
			model_errors_add(c->errs, path,
			                 "requires trafficRouting (gatewayAPI or nginx)");
		if (s->kind == REL_STEP_SET_HEADER_ROUTE && k->traffic == REL_TRAFFIC_NGINX) {
			check_nginx_header_route(c, &s->header_route, first_header, path);
			if (!first_header)
				first_header = s->header_route.name;
		}
		if (s->kind == REL_STEP_SET_MIRROR_ROUTE && k->traffic != REL_TRAFFIC_GATEWAY_API)
			model_errors_add(c->errs, path, "requires trafficRouting.gatewayAPI");
		check_route_name(c, k, i, path);
		check_route_count(c, k, i, path, counts);
	}
}

/* check_routing false: trafficRouting was given but invalid (already
 * reported), so what steps need of it cannot be judged. */
static void parse_steps(struct model_fields *c, const json_t *o, const char *base,
                        bool check_routing, struct rel_canary *k)
{
	char path[MODEL_PATH_LEN];
	json_t *steps;
	if (!model_field_array(c, o, "steps", base, false, REL_STEPS_MAX, "steps", &steps))
		return;
	size_t n = json_array_size(steps);
	if (n == 0)
		return;
	model_path_key(path, base, "steps");
	k->steps = calloc(n, sizeof(*k->steps));
	if (!k->steps) {
		c->oom = true;
		return;
	}
	k->n_steps = n;
	for (size_t i = 0; i < n; i++) {
		char ipath[MODEL_PATH_LEN];
		model_path_index(ipath, path, i);
		parse_step(c, json_array_get(steps, i), ipath, &k->steps[i]);
	}
	if (check_routing)
		check_steps_routing(c, k, path);
}

static void parse_services(struct model_fields *c, const json_t *o, const char *base,
                           struct rel_canary *k, bool *ok_stable, bool *ok_canary)
{
	*ok_stable = model_field_name(c, o, "stableService", base, MODEL_NAME_DNS_LABEL, false,
	                              &k->stable_service);
	*ok_canary = model_field_name(c, o, "canaryService", base, MODEL_NAME_DNS_LABEL, false,
	                              &k->canary_service);
	if (k->stable_service && k->canary_service &&
	    strcmp(k->stable_service, k->canary_service) == 0) {
		char path[MODEL_PATH_LEN];
		model_path_key(path, base, "canaryService");
		model_errors_add(c->errs, path, "must differ from stableService");
	}
}

/* What only makes sense with traffic routing, as Argo Rollouts checks it. */
static void check_traffic_only(struct model_fields *c, const json_t *o, const char *base,
                               const struct rel_canary *k)
{
	char path[MODEL_PATH_LEN];
	bool has_delay = json_object_get(o, "scaleDownDelaySeconds") != NULL;
	if (k->traffic == REL_TRAFFIC_NONE) {
		/* Without a router old pods go as new ones become available, as
		 * in rolling: there is no traffic switch to wait after. */
		model_path_key(path, base, "scaleDownDelaySeconds");
		if (has_delay)
			model_errors_add(c->errs, path, "only used with trafficRouting");
		model_path_key(path, base, "dynamicStableScale");
		if (k->dynamic_stable_scale)
			model_errors_add(c->errs, path, "only used with trafficRouting");
	} else if (has_delay && k->dynamic_stable_scale) {
		/* Stable shrinks with its weight, so nothing is left to delay. */
		model_path_key(path, base, "dynamicStableScale");
		model_errors_add(c->errs, path, "cannot be used with scaleDownDelaySeconds");
	}
}

/* analysis: {templates, args, startingStep}: the background analysis. */
static void parse_background_analysis(struct model_fields *c, const json_t *o, const char *base,
                                      struct rel_canary *k)
{
	char path[MODEL_PATH_LEN];
	json_t *a = model_field_object(c, o, "analysis", base, false);
	if (!a)
		return;
	model_path_key(path, base, "analysis");
	k->has_analysis = true;
	rel_parse_analysis(c, a, path, &k->analysis);
	model_field_int32(c, a, "startingStep", path, 0, 0, &k->analysis_starting_step);
	if (k->analysis_starting_step > (int32_t)k->n_steps) {
		char spath[MODEL_PATH_LEN];
		model_path_key(spath, path, "startingStep");
		model_errors_add(c->errs, spath, "must be at most the number of steps (%d)",
		                 (int)k->n_steps);
	}
}

void rel_parse_canary(struct model_fields *c, const json_t *o, const char *base,
                      const char *release_name, struct rel_canary *k)
{
	char path[MODEL_PATH_LEN];
	bool ok_stable, ok_canary;
	parse_services(c, o, base, k, &ok_stable, &ok_canary);
	rel_parse_rolling(c, o, base, &k->pace);
	model_field_int32(c, o, "scaleDownDelaySeconds", base, 0,
	                  REL_DEFAULT_SCALE_DOWN_DELAY_SECONDS, &k->scale_down_delay_seconds);
	model_field_int32(c, o, "abortScaleDownDelaySeconds", base, 0,
	                  REL_DEFAULT_SCALE_DOWN_DELAY_SECONDS, &k->abort_scale_down_delay_seconds);
	model_field_bool(c, o, "dynamicStableScale", base, false, &k->dynamic_stable_scale);
	model_field_int32(c, o, "minPodsPerReplicaSet", base, 1,
	                  REL_DEFAULT_MIN_PODS_PER_REPLICA_SET, &k->min_pods_per_replica_set);
	json_t *tr = model_field_object(c, o, "trafficRouting", base, false);
	if (tr) {
		model_path_key(path, base, "trafficRouting");
		parse_traffic(c, tr, path, release_name, k);
		/* Shifting traffic means pointing one Service at each revision. */
		model_path_key(path, base, "stableService");
		if (ok_stable && !k->stable_service)
			model_errors_add(c->errs, path, "required when trafficRouting is set");
		model_path_key(path, base, "canaryService");
		if (ok_canary && !k->canary_service)
			model_errors_add(c->errs, path, "required when trafficRouting is set");
	}
	bool traffic_known = !tr || k->traffic != REL_TRAFFIC_NONE;
	if (traffic_known)
		check_traffic_only(c, o, base, k);
	parse_steps(c, o, base, traffic_known, k);
	parse_background_analysis(c, o, base, k);
}

void rel_canary_clear(struct rel_canary *k)
{
	for (size_t i = 0; i < k->n_steps; i++)
		step_clear(&k->steps[i]);
	free(k->steps);
	free(k->stable_service);
	free(k->canary_service);
	for (size_t i = 0; i < k->n_http_routes; i++) {
		free(k->http_routes[i].name);
		free(k->http_routes[i].rule);
	}
	free(k->http_routes);
	free(k->nginx.stable_ingress);
	free(k->nginx.annotation_prefix);
	rel_analysis_clear(&k->analysis);
	memset(k, 0, sizeof(*k));
}
