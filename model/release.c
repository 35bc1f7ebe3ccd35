#include "model/release.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/duration.h"
#include "model/names.h"

/* Field paths are short; a longer one is cut, which only shortens a message. */
#define PATH_LEN 256

struct ctx {
	struct model_errors *errs;
	bool oom;
};

/* out = base + sep + tail, cut at PATH_LEN - 1 bytes. Written out by hand
 * because a cut path is acceptable here and snprintf would warn about it. */
static void path_join(char out[static PATH_LEN], const char *base, const char *sep,
                      const char *tail)
{
	size_t off = 0;
	const char *parts[3] = {base, sep, tail};
	for (int p = 0; p < 3; p++) {
		size_t len = strnlen(parts[p], PATH_LEN);
		if (len > PATH_LEN - 1 - off)
			len = PATH_LEN - 1 - off;
		memcpy(out + off, parts[p], len);
		off += len;
	}
	out[off] = '\0';
}

static void path_key(char out[static PATH_LEN], const char *base, const char *key)
{
	path_join(out, base, base[0] ? "." : "", key);
}

static void path_index(char out[static PATH_LEN], const char *base, size_t i)
{
	char idx[32];
	snprintf(idx, sizeof(idx), "[%zu]", i);
	path_join(out, base, "", idx);
}

static char *dup_or_oom(struct ctx *c, const char *s)
{
	char *d = strdup(s);
	if (!d)
		c->oom = true;
	return d;
}

/* An optional int32 member: default when absent, an error when not an
 * integer in [min, INT32_MAX]. Returns false when an error was added. */
static bool get_int32(struct ctx *c, const json_t *obj, const char *key, const char *base,
                      int32_t min, int32_t dflt, int32_t *out)
{
	char path[PATH_LEN];
	json_t *v = json_object_get(obj, key);
	*out = dflt;
	if (!v)
		return true;
	path_key(path, base, key);
	if (!json_is_integer(v)) {
		model_errors_add(c->errs, path, "must be an integer");
		return false;
	}
	json_int_t i = json_integer_value(v);
	if (i < min) {
		if (min == 0)
			model_errors_add(c->errs, path, "must not be negative");
		else
			model_errors_add(c->errs, path, "must be at least %d", (int)min);
		return false;
	}
	if (i > INT32_MAX) {
		model_errors_add(c->errs, path, "must be at most %d", INT32_MAX);
		return false;
	}
	*out = (int32_t)i;
	return true;
}

static bool get_bool(struct ctx *c, const json_t *obj, const char *key, const char *base, bool dflt,
                     bool *out)
{
	json_t *v = json_object_get(obj, key);
	*out = dflt;
	if (!v)
		return true;
	if (!json_is_boolean(v)) {
		char path[PATH_LEN];
		path_key(path, base, key);
		model_errors_add(c->errs, path, "must be a boolean");
		return false;
	}
	*out = json_is_true(v);
	return true;
}

/* Member `key` of obj that must be an object; NULL (with an error when
 * present but not an object, or when required and absent). */
static json_t *get_object(struct ctx *c, const json_t *obj, const char *key, const char *base,
                          bool required)
{
	json_t *v = json_object_get(obj, key);
	char path[PATH_LEN];
	path_key(path, base, key);
	if (!v) {
		if (required)
			model_errors_add(c->errs, path, "required");
		return NULL;
	}
	if (!json_is_object(v)) {
		model_errors_add(c->errs, path, "must be an object");
		return NULL;
	}
	return v;
}

/* Names of objects the Release refers to. */
enum name_kind {
	NAME_DNS_LABEL,     /* Services: RFC 1035 label, [a-z]([-a-z0-9]*[a-z0-9])?, <= 63 */
	NAME_DNS_SUBDOMAIN, /* most objects: RFC 1123 subdomain, <= 253 */
};

static bool name_valid(const char *s, size_t len, enum name_kind kind)
{
	return kind == NAME_DNS_LABEL ? model_dns_label_valid(s, len)
	                              : model_dns_subdomain_valid(s, len);
}

/* A string member naming an object: *out = copy or NULL when absent. */
static bool get_name(struct ctx *c, const json_t *obj, const char *key, const char *base,
                     enum name_kind kind, bool required, char **out)
{
	char path[PATH_LEN];
	path_key(path, base, key);
	json_t *v = json_object_get(obj, key);
	*out = NULL;
	if (!v) {
		if (required)
			model_errors_add(c->errs, path, "required");
		return !required;
	}
	if (!json_is_string(v)) {
		model_errors_add(c->errs, path, "must be a string");
		return false;
	}
	const char *s = json_string_value(v);
	size_t len = json_string_length(v);
	if (len == 0 && required) {
		model_errors_add(c->errs, path, "required");
		return false;
	}
	if (strlen(s) != len || !name_valid(s, len, kind)) {
		model_errors_add(c->errs, path, "\"%.80s\" is not a valid %s", s,
		                 kind == NAME_DNS_LABEL
		                     ? "DNS-1035 label (lowercase letters, digits "
		                       "and '-', starting with a letter, at most 63)"
		                     : "DNS-1123 subdomain (lowercase letters, digits, "
		                       "'-' and '.', at most 253)");
		return false;
	}
	*out = dup_or_oom(c, s);
	return *out != NULL;
}

static bool get_intorstr(struct ctx *c, const json_t *obj, const char *key, const char *base,
                         bool max100, struct model_intorstr *out)
{
	json_t *v = json_object_get(obj, key);
	if (!v)
		return true; /* default already in *out */
	char path[PATH_LEN];
	path_key(path, base, key);
	struct model_intorstr val;
	int r = model_intorstr_from_json(v, &val);
	if (r == -EINVAL) {
		model_errors_add(c->errs, path,
		                 "must be an integer or a percentage (e.g. \"25%%\")");
		return false;
	}
	if (r == -ERANGE) {
		model_errors_add(c->errs, path, "must not be negative");
		return false;
	}
	if (r < 0) {
		model_errors_add(c->errs, path, "must be at most %d", INT32_MAX);
		return false;
	}
	if (max100 && val.is_percent && val.value > 100) {
		model_errors_add(c->errs, path, "must not be greater than 100%%");
		return false;
	}
	*out = val;
	return true;
}

static void parse_rolling(struct ctx *c, const json_t *o, const char *base, struct rel_rolling *r)
{
	r->max_surge = (struct model_intorstr){true, 25};
	r->max_unavailable = (struct model_intorstr){true, 25};
	bool ok_s = get_intorstr(c, o, "maxSurge", base, false, &r->max_surge);
	bool ok_u = get_intorstr(c, o, "maxUnavailable", base, true, &r->max_unavailable);
	/* As Deployment validation: a rollout that may neither add nor remove a
	 * pod can never progress. Checked on the written values, not on the
	 * resolved ones, which depend on replicas. */
	if (ok_s && ok_u && r->max_surge.value == 0 && r->max_unavailable.value == 0) {
		char path[PATH_LEN];
		path_key(path, base, "maxUnavailable");
		model_errors_add(c->errs, path, "may not be 0 when maxSurge is 0");
	}
}

static void analysis_clear(struct rel_analysis *a)
{
	for (size_t i = 0; i < a->n_templates; i++)
		free(a->templates[i].template_name);
	free(a->templates);
	for (size_t i = 0; i < a->n_args; i++) {
		free(a->args[i].name);
		free(a->args[i].value);
	}
	free(a->args);
	memset(a, 0, sizeof(*a));
}

static void parse_analysis(struct ctx *c, const json_t *o, const char *base, struct rel_analysis *a)
{
	char path[PATH_LEN], ipath[PATH_LEN];
	json_t *ts = json_object_get(o, "templates");
	path_key(path, base, "templates");
	if (!json_is_array(ts) || json_array_size(ts) == 0) {
		model_errors_add(c->errs, path, ts ? "must be a non-empty list" : "required");
	} else if (json_array_size(ts) > REL_ANALYSIS_TEMPLATES_MAX) {
		model_errors_add(c->errs, path, "must have at most %d templates",
		                 REL_ANALYSIS_TEMPLATES_MAX);
	} else {
		a->templates = calloc(json_array_size(ts), sizeof(*a->templates));
		if (!a->templates) {
			c->oom = true;
			return;
		}
		size_t i;
		json_t *t;
		json_array_foreach(ts, i, t)
		{
			path_index(ipath, path, i);
			if (!json_is_object(t)) {
				model_errors_add(c->errs, ipath, "must be an object");
				continue;
			}
			struct rel_analysis_template *dst = &a->templates[a->n_templates];
			if (!get_name(c, t, "templateName", ipath, NAME_DNS_SUBDOMAIN, true,
			              &dst->template_name))
				continue;
			a->n_templates++;
			get_bool(c, t, "clusterScope", ipath, false, &dst->cluster_scope);
		}
	}

	json_t *args = json_object_get(o, "args");
	path_key(path, base, "args");
	if (!args)
		return;
	if (!json_is_array(args)) {
		model_errors_add(c->errs, path, "must be a list");
		return;
	}
	if (json_array_size(args) > REL_ANALYSIS_ARGS_MAX) {
		model_errors_add(c->errs, path, "must have at most %d args", REL_ANALYSIS_ARGS_MAX);
		return;
	}
	if (json_array_size(args) == 0)
		return;
	a->args = calloc(json_array_size(args), sizeof(*a->args));
	if (!a->args) {
		c->oom = true;
		return;
	}
	size_t i;
	json_t *arg;
	json_array_foreach(args, i, arg)
	{
		path_index(ipath, path, i);
		if (!json_is_object(arg)) {
			model_errors_add(c->errs, ipath, "must be an object");
			continue;
		}
		json_t *name = json_object_get(arg, "name");
		json_t *value = json_object_get(arg, "value");
		char fpath[PATH_LEN];
		bool bad = false;
		if (!json_is_string(name) || json_string_length(name) == 0) {
			path_key(fpath, ipath, "name");
			model_errors_add(c->errs, fpath,
			                 name ? "must be a non-empty string" : "required");
			bad = true;
		}
		if (value && !json_is_string(value)) {
			path_key(fpath, ipath, "value");
			model_errors_add(c->errs, fpath, "must be a string");
			bad = true;
		}
		if (bad)
			continue;
		struct rel_analysis_arg *dst = &a->args[a->n_args++];
		dst->name = dup_or_oom(c, json_string_value(name));
		dst->value = dup_or_oom(c, value ? json_string_value(value) : "");
	}
}

static void parse_pause(struct ctx *c, const json_t *o, const char *base, struct rel_step *s)
{
	char path[PATH_LEN];
	path_key(path, base, "duration");
	json_t *d = json_object_get(o, "duration");
	if (!d)
		return;
	/* As Argo Rollouts: an integer, or a string of digits, is seconds;
	 * any other string is a Go duration. */
	int64_t ns = 0;
	bool ok = false, negative = false;
	if (json_is_integer(d)) {
		json_int_t secs = json_integer_value(d);
		negative = secs < 0;
		ok = !negative && secs <= INT64_MAX / MODEL_NS_PER_SECOND;
		ns = ok ? secs * MODEL_NS_PER_SECOND : 0;
	} else if (json_is_string(d) && strlen(json_string_value(d)) == json_string_length(d)) {
		const char *txt = json_string_value(d);
		size_t len = strlen(txt);
		bool digits = len > 0 && len <= 18 && strspn(txt, "0123456789") == len;
		if (digits) {
			int64_t secs = 0;
			for (size_t i = 0; i < len; i++)
				secs = secs * 10 + (txt[i] - '0');
			ok = secs <= INT64_MAX / MODEL_NS_PER_SECOND;
			ns = ok ? secs * MODEL_NS_PER_SECOND : 0;
		} else {
			ok = model_duration_parse(txt, &ns) == 0;
			negative = ok && ns < 0;
			ok = ok && !negative;
		}
	}
	if (negative) {
		model_errors_add(c->errs, path, "must not be negative");
		return;
	}
	if (!ok) {
		model_errors_add(c->errs, path,
		                 "must be a duration such as \"30s\", \"5m\" or \"1h\", or "
		                 "an integer number of seconds");
		return;
	}
	s->pause_has_duration = true;
	s->pause_duration_ns = ns;
}

static const char *const step_keys[] = {
    [REL_STEP_SET_WEIGHT] = "setWeight",
    [REL_STEP_PAUSE] = "pause",
    [REL_STEP_ANALYSIS] = "analysis",
    [REL_STEP_APPROVAL] = "approval",
};

const char *rel_step_name(enum rel_step_kind kind)
{
	if (kind >= REL_STEP_SET_WEIGHT && kind <= REL_STEP_APPROVAL)
		return step_keys[kind];
	return "unknown";
}

static void parse_step(struct ctx *c, const json_t *o, const char *base, struct rel_step *s)
{
	if (!json_is_object(o)) {
		model_errors_add(c->errs, base, "must be an object");
		return;
	}
	if (json_object_size(o) != 1) {
		model_errors_add(c->errs, base,
		                 "must have exactly one of setWeight, pause, analysis, approval");
		return;
	}
	const char *key = json_object_iter_key(json_object_iter((json_t *)o));
	json_t *v = json_object_iter_value(json_object_iter((json_t *)o));
	char path[PATH_LEN];
	path_key(path, base, key);
	enum rel_step_kind kind = 0;
	for (int k = REL_STEP_SET_WEIGHT; k <= REL_STEP_APPROVAL; k++) {
		if (strcmp(key, step_keys[k]) == 0)
			kind = (enum rel_step_kind)k;
	}
	switch (kind) {
	case REL_STEP_SET_WEIGHT: {
		if (!json_is_integer(v) || json_integer_value(v) < 0 ||
		    json_integer_value(v) > 100) {
			model_errors_add(c->errs, path, "must be an integer between 0 and 100");
			return;
		}
		s->set_weight = (int32_t)json_integer_value(v);
		break;
	}
	case REL_STEP_PAUSE:
		if (!json_is_object(v)) {
			model_errors_add(c->errs, path,
			                 "must be an object (pause: {} waits until "
			                 "promoted)");
			return;
		}
		parse_pause(c, v, path, s);
		break;
	case REL_STEP_ANALYSIS:
		if (!json_is_object(v)) {
			model_errors_add(c->errs, path, "must be an object");
			return;
		}
		parse_analysis(c, v, path, &s->analysis);
		break;
	case REL_STEP_APPROVAL:
		if (!json_is_object(v)) {
			model_errors_add(c->errs, path, "must be an object");
			return;
		}
		get_name(c, v, "policy", path, NAME_DNS_SUBDOMAIN, false, &s->approval_policy);
		break;
	default:
		model_errors_add(
		    c->errs, base,
		    "unknown step \"%.40s\": must be one of setWeight, pause, analysis, "
		    "approval",
		    key);
		return;
	}
	s->kind = kind;
}

static void step_clear(struct rel_step *s)
{
	analysis_clear(&s->analysis);
	free(s->approval_policy);
	memset(s, 0, sizeof(*s));
}

/* True when obj's keys are all in `allowed` (NULL-terminated); otherwise
 * adds "BASE: unknown field \"x\"" for the first stranger. */
static bool only_keys(struct ctx *c, const json_t *obj, const char *base,
                      const char *const allowed[], const char *expect)
{
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)obj, key, v)
	{
		bool known = false;
		for (size_t i = 0; allowed[i]; i++)
			known = known || strcmp(key, allowed[i]) == 0;
		if (!known) {
			model_errors_add(c->errs, base, "unknown field \"%.40s\": %s", key, expect);
			return false;
		}
	}
	return true;
}

static void parse_traffic(struct ctx *c, const json_t *o, const char *base, struct rel_canary *k)
{
	static const char *const kinds[] = {"gatewayAPI", "nginx", NULL};
	const char *expect = "must have exactly one of gatewayAPI, nginx";
	if (!only_keys(c, o, base, kinds, expect))
		return;
	if (json_object_size(o) != 1) {
		model_errors_add(c->errs, base, "%s", expect);
		return;
	}
	char path[PATH_LEN];
	json_t *g = json_object_get(o, "gatewayAPI");
	if (g) {
		path_key(path, base, "gatewayAPI");
		if (!json_is_object(g)) {
			model_errors_add(c->errs, path, "must be an object");
			return;
		}
		if (get_name(c, g, "httpRoute", path, NAME_DNS_SUBDOMAIN, true, &k->http_route))
			k->traffic = REL_TRAFFIC_GATEWAY_API;
		return;
	}
	json_t *n = json_object_get(o, "nginx");
	path_key(path, base, "nginx");
	if (!json_is_object(n)) {
		model_errors_add(c->errs, path, "must be an object");
		return;
	}
	if (get_name(c, n, "stableIngress", path, NAME_DNS_SUBDOMAIN, true, &k->stable_ingress))
		k->traffic = REL_TRAFFIC_NGINX;
}

static void parse_canary(struct ctx *c, const json_t *o, const char *base, struct rel_canary *k)
{
	char path[PATH_LEN];
	bool ok_stable =
	    get_name(c, o, "stableService", base, NAME_DNS_LABEL, false, &k->stable_service);
	bool ok_canary =
	    get_name(c, o, "canaryService", base, NAME_DNS_LABEL, false, &k->canary_service);
	if (k->stable_service && k->canary_service &&
	    strcmp(k->stable_service, k->canary_service) == 0) {
		path_key(path, base, "canaryService");
		model_errors_add(c->errs, path, "must differ from stableService");
	}
	json_t *tr = get_object(c, o, "trafficRouting", base, false);
	if (tr) {
		path_key(path, base, "trafficRouting");
		parse_traffic(c, tr, path, k);
		/* Shifting traffic means pointing one Service at each revision. */
		if (ok_stable && !k->stable_service) {
			path_key(path, base, "stableService");
			model_errors_add(c->errs, path, "required when trafficRouting is set");
		}
		if (ok_canary && !k->canary_service) {
			path_key(path, base, "canaryService");
			model_errors_add(c->errs, path, "required when trafficRouting is set");
		}
	}

	json_t *steps = json_object_get(o, "steps");
	path_key(path, base, "steps");
	if (!steps)
		return;
	if (!json_is_array(steps)) {
		model_errors_add(c->errs, path, "must be a list");
		return;
	}
	size_t n = json_array_size(steps);
	if (n > REL_STEPS_MAX) {
		model_errors_add(c->errs, path, "must have at most %d steps", REL_STEPS_MAX);
		return;
	}
	if (n == 0)
		return;
	k->steps = calloc(n, sizeof(*k->steps));
	if (!k->steps) {
		c->oom = true;
		return;
	}
	k->n_steps = n;
	for (size_t i = 0; i < n; i++) {
		char ipath[PATH_LEN];
		path_index(ipath, path, i);
		parse_step(c, json_array_get(steps, i), ipath, &k->steps[i]);
	}
}

static void parse_blue_green(struct ctx *c, const json_t *o, const char *base,
                             struct rel_blue_green *b)
{
	get_name(c, o, "activeService", base, NAME_DNS_LABEL, true, &b->active_service);
	get_name(c, o, "previewService", base, NAME_DNS_LABEL, false, &b->preview_service);
	if (b->active_service && b->preview_service &&
	    strcmp(b->active_service, b->preview_service) == 0) {
		char path[PATH_LEN];
		path_key(path, base, "previewService");
		model_errors_add(c->errs, path, "must differ from activeService");
	}
	get_bool(c, o, "autoPromotionEnabled", base, true, &b->auto_promotion_enabled);
	get_int32(c, o, "scaleDownDelaySeconds", base, 0, REL_DEFAULT_SCALE_DOWN_DELAY_SECONDS,
	          &b->scale_down_delay_seconds);
	json_t *a = get_object(c, o, "prePromotionAnalysis", base, false);
	if (a) {
		char path[PATH_LEN];
		path_key(path, base, "prePromotionAnalysis");
		b->has_pre_promotion_analysis = true;
		parse_analysis(c, a, path, &b->pre_promotion_analysis);
	}
}

static void parse_strategy(struct ctx *c, const json_t *spec, struct rel_release *r)
{
	static const char *const kinds[] = {"rolling", "canary", "blueGreen", NULL};
	const char *expect = "must have exactly one of rolling, canary, blueGreen";
	const char *base = "spec.strategy";
	json_t *st = json_object_get(spec, "strategy");
	if (!st) {
		r->strategy = REL_STRATEGY_ROLLING;
		parse_rolling(c, NULL, "spec.strategy.rolling", &r->rolling);
		return;
	}
	if (!json_is_object(st)) {
		model_errors_add(c->errs, base, "must be an object");
		return;
	}
	if (!only_keys(c, st, base, kinds, expect))
		return;
	if (json_object_size(st) != 1) {
		model_errors_add(c->errs, base, "%s", expect);
		return;
	}
	/* One key, and a known one: pick it. */
	const char *key = json_object_iter_key(json_object_iter(st));
	json_t *o = get_object(c, st, key, base, false);
	if (!o)
		return;
	if (strcmp(key, "rolling") == 0) {
		r->strategy = REL_STRATEGY_ROLLING;
		parse_rolling(c, o, "spec.strategy.rolling", &r->rolling);
	} else if (strcmp(key, "canary") == 0) {
		r->strategy = REL_STRATEGY_CANARY;
		parse_canary(c, o, "spec.strategy.canary", &r->canary);
	} else {
		r->strategy = REL_STRATEGY_BLUE_GREEN;
		parse_blue_green(c, o, "spec.strategy.blueGreen", &r->blue_green);
	}
}

static void parse_selector(struct ctx *c, const json_t *spec, struct rel_release *r)
{
	json_t *sel = get_object(c, spec, "selector", "spec", true);
	if (!sel)
		return;
	if (json_object_get(sel, "matchExpressions"))
		model_errors_add(c->errs, "spec.selector.matchExpressions",
		                 "not supported; use matchLabels");
	json_t *ml = json_object_get(sel, "matchLabels");
	if (!ml || (json_is_object(ml) && json_object_size(ml) == 0)) {
		/* An empty selector would select every pod in the namespace. */
		model_errors_add(c->errs, "spec.selector.matchLabels",
		                 "must have at least one label");
		return;
	}
	int rr = model_labels_from_json(ml, "spec.selector.matchLabels", &r->selector, c->errs);
	if (rr == -ENOMEM)
		c->oom = true;
	if (rr == 0 && model_labels_get(&r->selector, MODEL_LABEL_REVISION))
		model_errors_add(c->errs, "spec.selector.matchLabels",
		                 "%s is reserved for the controller", MODEL_LABEL_REVISION);
}

static void check_containers(struct ctx *c, const json_t *podspec)
{
	const char *base = "spec.template.spec.containers";
	json_t *cs = json_object_get(podspec, "containers");
	if (!json_is_array(cs) || json_array_size(cs) == 0) {
		model_errors_add(c->errs, base, "must have at least one container");
		return;
	}
	if (json_array_size(cs) > REL_CONTAINERS_MAX) {
		model_errors_add(c->errs, base, "must have at most %d containers",
		                 REL_CONTAINERS_MAX);
		return;
	}
	size_t i;
	json_t *ct;
	json_array_foreach(cs, i, ct)
	{
		char ipath[PATH_LEN], fpath[PATH_LEN];
		path_index(ipath, base, i);
		if (!json_is_object(ct)) {
			model_errors_add(c->errs, ipath, "must be an object");
			continue;
		}
		json_t *name = json_object_get(ct, "name");
		if (!json_is_string(name) || json_string_length(name) == 0) {
			path_key(fpath, ipath, "name");
			model_errors_add(c->errs, fpath, "required");
		}
		/* The Pod API only insists on an image when a pod is created, so a
		 * template without one is accepted and fails later, pod by pod. */
		json_t *image = json_object_get(ct, "image");
		if (!json_is_string(image) || json_string_length(image) == 0) {
			path_key(fpath, ipath, "image");
			model_errors_add(c->errs, fpath, "required");
		}
	}
}

static void parse_template(struct ctx *c, const json_t *spec, struct rel_release *r)
{
	json_t *t = get_object(c, spec, "template", "spec", true);
	if (!t)
		return;
	json_t *md = get_object(c, t, "metadata", "spec.template", false);
	json_t *labels = md ? json_object_get(md, "labels") : NULL;
	if (labels && !json_is_object(labels)) {
		model_errors_add(c->errs, "spec.template.metadata.labels", "must be an object");
		labels = NULL;
	}
	/* The CRD's schema does not check label syntax; pods with a bad label
	 * would be refused one by one, so say it once, here. */
	const char *key;
	json_t *val;
	json_object_foreach(labels, key, val)
	{
		if (!model_label_key_valid(key))
			model_errors_add(c->errs, "spec.template.metadata.labels",
			                 "invalid label key \"%.80s\"", key);
		else if (!json_is_string(val) || !model_label_value_valid(json_string_value(val)))
			model_errors_add(c->errs, "spec.template.metadata.labels",
			                 "%.80s: invalid label value", key);
	}
	if (json_object_get(labels, MODEL_LABEL_REVISION))
		model_errors_add(c->errs, "spec.template.metadata.labels",
		                 "%s is reserved for the controller", MODEL_LABEL_REVISION);
	if (r->selector.n > 0 && !model_labels_match(&r->selector, labels))
		model_errors_add(c->errs, "spec.template.metadata.labels",
		                 "must match spec.selector.matchLabels");
	json_t *ps = get_object(c, t, "spec", "spec.template", true);
	if (ps)
		check_containers(c, ps);
	r->template = json_incref(t);
	if (model_revision_hash(t, r->revision) < 0)
		c->oom = true;
}

static void parse_metadata(struct ctx *c, const json_t *obj, struct rel_release *r)
{
	json_t *md = get_object(c, obj, "metadata", "", true);
	json_t *name = json_object_get(md, "name");
	if (!json_is_string(name) || json_string_length(name) == 0)
		model_errors_add(c->errs, "metadata.name", "required");
	else if (json_string_length(name) > REL_NAME_MAX)
		/* The API allows 253, but ReplicaSets are named NAME-REVISION. */
		model_errors_add(c->errs, "metadata.name",
		                 "must be at most %d characters, so that ReplicaSet names "
		                 "(name-revision) stay within 253",
		                 REL_NAME_MAX);
	else
		r->name = dup_or_oom(c, json_string_value(name));
	json_t *ns = json_object_get(md, "namespace");
	if (json_is_string(ns))
		r->namespace = dup_or_oom(c, json_string_value(ns));
	json_t *uid = json_object_get(md, "uid");
	if (json_is_string(uid))
		r->uid = dup_or_oom(c, json_string_value(uid));
	json_t *gen = json_object_get(md, "generation");
	if (json_is_integer(gen) && json_integer_value(gen) >= 0)
		r->generation = json_integer_value(gen);
}

int rel_release_parse(const json_t *obj, struct rel_release **ret, struct model_errors *errs)
{
	struct model_errors scratch = {0};
	if (!errs) {
		int r = rel_release_parse(obj, ret, &scratch);
		model_errors_clear(&scratch);
		return r;
	}
	size_t errors_before = model_errors_count(errs);
	struct ctx c = {.errs = errs};
	if (!json_is_object(obj)) {
		model_errors_add(errs, NULL, "a Release must be a JSON object");
		return -EINVAL;
	}
	struct rel_release *r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	parse_metadata(&c, obj, r);
	json_t *spec = get_object(&c, obj, "spec", "", true);
	if (spec) {
		get_int32(&c, spec, "replicas", "spec", 0, REL_DEFAULT_REPLICAS, &r->replicas);
		parse_selector(&c, spec, r);
		parse_template(&c, spec, r);
		get_int32(&c, spec, "minReadySeconds", "spec", 0, 0, &r->min_ready_seconds);
		get_int32(&c, spec, "revisionHistoryLimit", "spec", 0,
		          REL_DEFAULT_REVISION_HISTORY_LIMIT, &r->revision_history_limit);
		bool ok_deadline =
		    get_int32(&c, spec, "progressDeadlineSeconds", "spec", 1,
		              REL_DEFAULT_PROGRESS_DEADLINE_SECONDS, &r->progress_deadline_seconds);
		/* As Deployment: pods must get a chance to count as available
		 * before the deadline can declare the rollout stuck. */
		if (ok_deadline && r->progress_deadline_seconds <= r->min_ready_seconds)
			model_errors_add(errs, "spec.progressDeadlineSeconds",
			                 "must be greater than minReadySeconds");
		get_bool(&c, spec, "paused", "spec", false, &r->paused);
		parse_strategy(&c, spec, r);
	}
	if (c.oom) {
		rel_release_free(r);
		return -ENOMEM;
	}
	if (model_errors_count(errs) > errors_before) {
		rel_release_free(r);
		return -EINVAL;
	}
	*ret = r;
	return 0;
}

struct rel_release *rel_release_free(struct rel_release *r)
{
	if (!r)
		return NULL;
	free(r->name);
	free(r->namespace);
	free(r->uid);
	model_labels_clear(&r->selector);
	json_decref(r->template);
	for (size_t i = 0; i < r->canary.n_steps; i++)
		step_clear(&r->canary.steps[i]);
	free(r->canary.steps);
	free(r->canary.stable_service);
	free(r->canary.canary_service);
	free(r->canary.http_route);
	free(r->canary.stable_ingress);
	free(r->blue_green.active_service);
	free(r->blue_green.preview_service);
	analysis_clear(&r->blue_green.pre_promotion_analysis);
	free(r);
	return NULL;
}

const char *rel_strategy_name(enum rel_strategy_kind kind)
{
	switch (kind) {
	case REL_STRATEGY_ROLLING:
		return "rolling";
	case REL_STRATEGY_CANARY:
		return "canary";
	case REL_STRATEGY_BLUE_GREEN:
		return "blueGreen";
	}
	return "unknown";
}

json_t *rel_template_images(const json_t *template)
{
	json_t *out = json_array();
	if (!out)
		return NULL;
	json_t *cs = json_object_get(json_object_get(template, "spec"), "containers");
	size_t i;
	json_t *ct;
	json_array_foreach(cs, i, ct)
	{
		json_t *image = json_object_get(ct, "image");
		if (!json_is_string(image))
			continue;
		if (json_array_append(out, image) != 0) {
			json_decref(out);
			return NULL;
		}
	}
	return out;
}
