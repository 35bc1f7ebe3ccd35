/* Templates merged, arguments resolved and substituted, secrets kept out of
 * what is shown (model/analysis-args.h). */
#include "model/analysis-args.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* strdup of NULL is NULL; *oom set when a copy of a string failed. */
static char *dup_or_null(const char *s, bool *oom)
{
	if (!s)
		return NULL;
	char *d = strdup(s);
	if (!d)
		*oom = true;
	return d;
}

static bool str_eq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* ---- merge ---- */

static struct model_header *headers_copy(const struct model_header *h, size_t n, bool *oom)
{
	if (n == 0)
		return NULL;
	struct model_header *c = calloc(n, sizeof(*c));
	if (!c) {
		*oom = true;
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		c[i].key = dup_or_null(h[i].key, oom);
		c[i].value = dup_or_null(h[i].value, oom);
	}
	return c;
}

/* Deep copy of m into *d (zeroed); *oom on a failed allocation (d is then
 * partly filled, and cleared with its spec). */
static void metric_copy(const struct model_metric *m, const char *tmpl, struct model_metric *d,
                        bool *oom)
{
	*d = *m;
	d->name = dup_or_null(m->name, oom);
	d->success_condition = dup_or_null(m->success_condition, oom);
	d->failure_condition = dup_or_null(m->failure_condition, oom);
	d->prometheus.address = dup_or_null(m->prometheus.address, oom);
	d->prometheus.query = dup_or_null(m->prometheus.query, oom);
	d->prometheus.headers = headers_copy(m->prometheus.headers, m->prometheus.n_headers, oom);
	d->prometheus.n_headers = d->prometheus.headers ? m->prometheus.n_headers : 0;
	d->web.url = dup_or_null(m->web.url, oom);
	d->web.method = dup_or_null(m->web.method, oom);
	d->web.headers = headers_copy(m->web.headers, m->web.n_headers, oom);
	d->web.n_headers = d->web.headers ? m->web.n_headers : 0;
	d->web.body = dup_or_null(m->web.body, oom);
	d->web.json_path = dup_or_null(m->web.json_path, oom);
	d->job.metadata = json_incref(m->job.metadata);
	d->job.spec = json_incref(m->job.spec);
	d->template_name = dup_or_null(tmpl, oom);
}

static void arg_copy(const struct model_analysis_arg *a, struct model_analysis_arg *d, bool *oom)
{
	*d = *a;
	d->name = dup_or_null(a->name, oom);
	d->value = dup_or_null(a->value, oom);
	d->secret_name = dup_or_null(a->secret_name, oom);
	d->secret_key = dup_or_null(a->secret_key, oom);
}

static bool arg_same_source(const struct model_analysis_arg *a, const struct model_analysis_arg *b)
{
	return a->source == b->source && str_eq(a->value, b->value) &&
	       str_eq(a->secret_name, b->secret_name) && str_eq(a->secret_key, b->secret_key) &&
	       (a->source != MODEL_ARG_POD_HASH || a->pod_hash == b->pod_hash);
}

/* Adds template t's args to out: a new name is appended, a known one must
 * agree (or one of the two must have no value yet). */
static void merge_args(const struct model_analysis_template *t, struct model_analysis_spec *out,
                       struct model_errors *errs, bool *oom)
{
	for (size_t i = 0; i < t->spec.n_args; i++) {
		const struct model_analysis_arg *a = &t->spec.args[i];
		struct model_analysis_arg *have = NULL;
		for (size_t j = 0; j < out->n_args; j++)
			if (strcmp(out->args[j].name, a->name) == 0)
				have = &out->args[j];
		if (!have) {
			arg_copy(a, &out->args[out->n_args++], oom);
		} else if (have->source == MODEL_ARG_UNSET) {
			free(have->name);
			arg_copy(a, have, oom);
		} else if (a->source != MODEL_ARG_UNSET && !arg_same_source(a, have)) {
			model_errors_add(errs, NULL,
			                 "argument \"%s\" has different values in the templates "
			                 "(template \"%s\" and an earlier one)",
			                 a->name, t->name ? t->name : "");
		}
	}
}

static void merge_refs(const struct model_metric_ref *r, size_t n, struct model_metric_ref *out,
                       size_t *n_out, bool *oom)
{
	for (size_t i = 0; i < n; i++) {
		out[*n_out].metric_name = dup_or_null(r[i].metric_name, oom);
		out[(*n_out)++].limit = r[i].limit;
	}
}

/* Room for the sum of every template's lists. */
static int merge_alloc(const struct model_analysis_template *const *ts, size_t n,
                       struct model_analysis_spec *out)
{
	size_t nm = 0, na = 0, nd = 0, nr = 0;
	for (size_t i = 0; i < n; i++) {
		nm += ts[i]->spec.n_metrics;
		na += ts[i]->spec.n_args;
		nd += ts[i]->spec.n_dry_run;
		nr += ts[i]->spec.n_retention;
	}
	out->metrics = calloc(nm ? nm : 1, sizeof(*out->metrics));
	out->args = calloc(na ? na : 1, sizeof(*out->args));
	out->dry_run = calloc(nd ? nd : 1, sizeof(*out->dry_run));
	out->retention = calloc(nr ? nr : 1, sizeof(*out->retention));
	if (!out->metrics || !out->args || !out->dry_run || !out->retention)
		return -ENOMEM;
	return 0;
}

static int merge_templates(const struct model_analysis_template *const *templates, size_t n,
                           struct model_analysis_spec *out, struct model_errors *errs)
{
	size_t before = model_errors_count(errs);
	bool oom = merge_alloc(templates, n, out) < 0;
	for (size_t i = 0; i < n && !oom; i++) {
		const struct model_analysis_template *t = templates[i];
		for (size_t m = 0; m < t->spec.n_metrics; m++) {
			const struct model_metric *x = &t->spec.metrics[m];
			const struct model_metric *dup = model_analysis_metric(out, x->name);
			if (dup) {
				model_errors_add(errs, NULL,
				                 "metric \"%s\" is in both template \"%s\" and "
				                 "template \"%s\"",
				                 x->name,
				                 dup->template_name ? dup->template_name : "",
				                 t->name ? t->name : "");
				continue;
			}
			metric_copy(x, t->name, &out->metrics[out->n_metrics++], &oom);
		}
		merge_args(t, out, errs, &oom);
		merge_refs(t->spec.dry_run, t->spec.n_dry_run, out->dry_run, &out->n_dry_run, &oom);
		merge_refs(t->spec.retention, t->spec.n_retention, out->retention,
		           &out->n_retention, &oom);
	}
	if (oom || model_errors_count(errs) > before) {
		model_analysis_spec_clear(out);
		return oom ? -ENOMEM : -EINVAL;
	}
	return 0;
}

int model_analysis_merge(const struct model_analysis_template *const *templates, size_t n,
                         struct model_analysis_spec *out, struct model_errors *errs)
{
	struct model_errors scratch = {0};
	int r = merge_templates(templates, n, out, errs ? errs : &scratch);
	model_errors_clear(&scratch);
	return r;
}

/* ---- resolve ---- */

void model_analysis_args_free(struct model_analysis_arg *args, size_t n)
{
	for (size_t i = 0; args && i < n; i++) {
		free(args[i].name);
		free(args[i].value);
		free(args[i].secret_name);
		free(args[i].secret_key);
	}
	free(args);
}

/* a takes the Release's argument g. */
static void apply_given(const struct rel_analysis_arg *g, struct model_analysis_arg *a, bool *oom)
{
	free(a->value);
	free(a->secret_name);
	free(a->secret_key);
	a->value = NULL;
	a->secret_name = a->secret_key = NULL;
	if (g->from == REL_ARG_VALUE) {
		a->source = MODEL_ARG_VALUE;
		a->value = dup_or_null(g->value, oom);
	} else {
		a->source = MODEL_ARG_POD_HASH;
		a->pod_hash =
		    g->from == REL_ARG_STABLE_HASH ? MODEL_POD_HASH_STABLE : MODEL_POD_HASH_LATEST;
	}
}

/* A POD_HASH argument becomes the revision; UNSET is an error. */
static void finish_arg(struct model_analysis_arg *a, const struct model_revisions *rev,
                       struct model_errors *errs, bool *oom)
{
	if (a->source == MODEL_ARG_POD_HASH) {
		bool stable = a->pod_hash == MODEL_POD_HASH_STABLE;
		const char *r = rev ? (stable ? rev->stable : rev->latest) : NULL;
		if (!r) {
			model_errors_add(errs, NULL,
			                 "argument \"%s\": podTemplateHashValue %s: no %s revision "
			                 "is known",
			                 a->name, stable ? "Stable" : "Latest",
			                 stable ? "stable" : "latest");
			return;
		}
		a->source = MODEL_ARG_VALUE;
		a->value = dup_or_null(r, oom);
	}
	if (a->source == MODEL_ARG_UNSET)
		model_errors_add(errs, NULL,
		                 "argument \"%s\" has no value: give it in the Release's "
		                 "analysis args",
		                 a->name);
}

static int resolve(const struct model_analysis_spec *tmpl, const struct rel_analysis *given,
                   const struct model_revisions *rev, struct model_analysis_arg **ret_args,
                   size_t *ret_n, struct model_errors *errs)
{
	size_t before = model_errors_count(errs);
	bool oom = false;
	struct model_analysis_arg *args = calloc(tmpl->n_args ? tmpl->n_args : 1, sizeof(*args));
	if (!args)
		return -ENOMEM;
	for (size_t i = 0; i < tmpl->n_args; i++)
		arg_copy(&tmpl->args[i], &args[i], &oom);
	for (size_t g = 0; given && g < given->n_args; g++) {
		size_t i = 0;
		while (i < tmpl->n_args && strcmp(args[i].name, given->args[g].name) != 0)
			i++;
		if (i == tmpl->n_args)
			model_errors_add(errs, NULL,
			                 "argument \"%.80s\" is not an argument of the "
			                 "templates",
			                 given->args[g].name);
		else
			apply_given(&given->args[g], &args[i], &oom);
	}
	for (size_t i = 0; i < tmpl->n_args && !oom; i++)
		finish_arg(&args[i], rev, errs, &oom);
	if (oom || model_errors_count(errs) > before) {
		model_analysis_args_free(args, tmpl->n_args);
		return oom ? -ENOMEM : -EINVAL;
	}
	*ret_args = args;
	*ret_n = tmpl->n_args;
	return 0;
}

int model_analysis_resolve_args(const struct model_analysis_spec *tmpl,
                                const struct rel_analysis *given, const struct model_revisions *rev,
                                struct model_analysis_arg **ret_args, size_t *ret_n,
                                struct model_errors *errs)
{
	struct model_errors scratch = {0};
	int r = resolve(tmpl, given, rev, ret_args, ret_n, errs ? errs : &scratch);
	model_errors_clear(&scratch);
	return r;
}

/* ---- bind ---- */

void model_arg_values_clear(struct model_arg_values *vals)
{
	if (!vals)
		return;
	for (size_t i = 0; i < vals->n; i++) {
		free(vals->v[i].name);
		if (vals->v[i].value) /* a secret does not linger in freed memory */
			memset(vals->v[i].value, 0, strlen(vals->v[i].value));
		free(vals->v[i].value);
	}
	free(vals->v);
	memset(vals, 0, sizeof(*vals));
}

static const char *secret_lookup(const struct model_secret_value *s, size_t n, const char *name,
                                 const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (str_eq(s[i].name, name) && str_eq(s[i].key, key))
			return s[i].value;
	return NULL;
}

static int bind_values(const struct model_analysis_arg *args, size_t n_args,
                       const struct model_secret_value *secrets, size_t n_secrets,
                       struct model_arg_values *out, struct model_errors *errs)
{
	size_t before = model_errors_count(errs);
	bool oom = false;
	struct model_arg_values vals = {.v = calloc(n_args ? n_args : 1, sizeof(*vals.v))};
	if (!vals.v)
		return -ENOMEM;
	for (size_t i = 0; i < n_args; i++) {
		const struct model_analysis_arg *a = &args[i];
		const char *v = a->source == MODEL_ARG_VALUE ? a->value : NULL;
		if (a->source == MODEL_ARG_SECRET)
			v = secret_lookup(secrets, n_secrets, a->secret_name, a->secret_key);
		if (!v) {
			model_errors_add(errs, NULL,
			                 a->source == MODEL_ARG_SECRET
			                     ? "argument \"%s\": Secret \"%s\" has no key \"%s\""
			                     : "argument \"%s\" has no value%s%s",
			                 a->name, a->secret_name ? a->secret_name : "",
			                 a->secret_key ? a->secret_key : "");
			continue;
		}
		struct model_arg_value *d = &vals.v[vals.n++];
		d->name = dup_or_null(a->name, &oom);
		d->value = dup_or_null(v, &oom);
		d->secret = a->source == MODEL_ARG_SECRET;
	}
	if (oom || model_errors_count(errs) > before) {
		model_arg_values_clear(&vals);
		return oom ? -ENOMEM : -EINVAL;
	}
	*out = vals;
	return 0;
}

int model_arg_values_bind(const struct model_analysis_arg *args, size_t n_args,
                          const struct model_secret_value *secrets, size_t n_secrets,
                          struct model_arg_values *out, struct model_errors *errs)
{
	struct model_errors scratch = {0};
	int r = bind_values(args, n_args, secrets, n_secrets, out, errs ? errs : &scratch);
	model_errors_clear(&scratch);
	return r;
}

/* ---- substitute ---- */

/* A growing string; `oom` once an append failed. */
struct buf {
	char *s;
	size_t len, cap;
	bool oom;
};

static void buf_add(struct buf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = (b->len + n + 1) * 2;
		char *p = realloc(b->s, cap);
		if (!p) {
			b->oom = true;
			return;
		}
		b->s = p;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static const struct model_arg_value *value_lookup(const struct model_arg_values *vals,
                                                  const char *name, size_t len)
{
	for (size_t i = 0; vals && i < vals->n; i++)
		if (strlen(vals->v[i].name) == len && memcmp(vals->v[i].name, name, len) == 0)
			return &vals->v[i];
	return NULL;
}

/* At `p` (just after "{{"): the argument reference's name, trimmed, and
 * the end (after "}}"). Returns 1 for a reference, 0 when this "{{" is not
 * one (kept verbatim), -1 for an unterminated "{{args.". */
static int reference_at(const char *p, const char **name, size_t *len, const char **end)
{
	const char *q = p + strspn(p, " \t");
	if (strncmp(q, "args.", 5) != 0)
		return 0;
	const char *close = strstr(q, "}}");
	if (!close)
		return -1;
	*name = q + 5;
	const char *e = close;
	while (e > *name && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	*len = (size_t)(e - *name);
	*end = close + 2;
	return 1;
}

static int substitute(const char *in, const struct model_arg_values *vals, const char *path,
                      struct model_subst *out, struct model_errors *errs)
{
	struct buf b = {0};
	bool secret = false, bad = false;
	const char *p = in;
	buf_add(&b, "", 0);
	while (*p) {
		const char *open = strstr(p, "{{");
		if (!open) {
			buf_add(&b, p, strlen(p));
			break;
		}
		const char *name = NULL, *end = NULL;
		size_t len = 0;
		int r = reference_at(open + 2, &name, &len, &end);
		buf_add(&b, p, (size_t)(open - p) + (r == 0 ? 2 : 0));
		p = open + 2;
		if (r == 0)
			continue;
		if (r < 0) {
			model_errors_add(errs, path, "\"{{args.\" without a closing \"}}\"");
			bad = true;
			break;
		}
		const struct model_arg_value *v = value_lookup(vals, name, len);
		if (!v) {
			model_errors_add(errs, path, "unknown argument \"%.*s\"",
			                 (int)(len > 80 ? 80 : len), name);
			bad = true;
		} else {
			buf_add(&b, v->value, strlen(v->value));
			secret = secret || v->secret;
		}
		p = end;
	}
	if (b.oom || bad) {
		free(b.s);
		return b.oom ? -ENOMEM : -EINVAL;
	}
	out->text = b.s;
	out->secret = secret;
	return 0;
}

int model_subst(const char *in, const struct model_arg_values *vals, const char *path,
                struct model_subst *out, struct model_errors *errs)
{
	struct model_errors scratch = {0};
	int r = substitute(in, vals, path, out, errs ? errs : &scratch);
	model_errors_clear(&scratch);
	return r;
}

void model_subst_clear(struct model_subst *s)
{
	if (!s)
		return;
	free(s->text);
	memset(s, 0, sizeof(*s));
}

/* The copy of one JSON value; NULL on an error (reported, or *oom). */
static json_t *subst_value(const json_t *in, const struct model_arg_values *vals, const char *path,
                           bool *secret, struct model_errors *errs, bool *oom)
{
	if (json_is_string(in)) {
		struct model_subst s = {0};
		int r = model_subst(json_string_value(in), vals, path, &s, errs);
		*oom = *oom || r == -ENOMEM;
		if (r < 0)
			return NULL;
		*secret = *secret || s.secret;
		json_t *v = json_string(s.text);
		*oom = *oom || !v;
		model_subst_clear(&s);
		return v;
	}
	bool is_obj = json_is_object(in);
	if (!is_obj && !json_is_array(in))
		return json_deep_copy(in);
	json_t *out = is_obj ? json_object() : json_array();
	const char *key;
	json_t *v;
	size_t i;
	bool bad = !out;
	if (is_obj)
		json_object_foreach((json_t *)in, key, v)
		{
			json_t *c = bad ? NULL : subst_value(v, vals, path, secret, errs, oom);
			bad = bad || !c || json_object_set_new(out, key, c) != 0;
		}
	else
		json_array_foreach(in, i, v)
		{
			json_t *c = bad ? NULL : subst_value(v, vals, path, secret, errs, oom);
			bad = bad || !c || json_array_append_new(out, c) != 0;
		}
	if (bad) {
		json_decref(out);
		return NULL;
	}
	return out;
}

int model_subst_json(const json_t *in, const struct model_arg_values *vals, const char *path,
                     json_t **out, bool *secret, struct model_errors *errs)
{
	struct model_errors scratch = {0};
	bool oom = false, sec = false;
	json_t *v = subst_value(in, vals, path, &sec, errs ? errs : &scratch, &oom);
	model_errors_clear(&scratch);
	if (!v)
		return oom ? -ENOMEM : -EINVAL;
	*out = v;
	*secret = sec;
	return 0;
}

/* ---- public text ---- */

int model_public_from_subst(const struct model_subst *s, struct model_public *out)
{
	if (s->secret)
		return -EPERM;
	return model_public_literal(s->text, out);
}

/* Cuts s to at most max bytes, not inside a UTF-8 sequence. */
static void cut(char *s, size_t max)
{
	size_t n = strlen(s);
	if (n <= max)
		return;
	while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
		max--;
	s[max] = '\0';
}

int model_public_redact(const char *text, const struct model_arg_values *vals,
                        struct model_public *out)
{
	struct buf b = {0};
	buf_add(&b, "", 0);
	const char *p = text;
	while (*p) {
		/* The earliest, then longest, secret at or after p. */
		const char *hit = NULL;
		size_t hit_len = 0;
		for (size_t i = 0; vals && i < vals->n; i++) {
			const struct model_arg_value *v = &vals->v[i];
			if (!v->secret || !v->value[0])
				continue;
			const char *h = strstr(p, v->value);
			size_t l = strlen(v->value);
			if (h && (!hit || h < hit || (h == hit && l > hit_len))) {
				hit = h;
				hit_len = l;
			}
		}
		if (!hit) {
			buf_add(&b, p, strlen(p));
			break;
		}
		buf_add(&b, p, (size_t)(hit - p));
		buf_add(&b, MODEL_REDACTED, strlen(MODEL_REDACTED));
		p = hit + hit_len;
	}
	if (b.oom) {
		free(b.s);
		return -ENOMEM;
	}
	cut(b.s, MODEL_ANALYSIS_TEXT_MAX);
	model_text_sanitize(b.s);
	out->text = b.s;
	return 0;
}

int model_public_literal(const char *text, struct model_public *out)
{
	char *d = strdup(text);
	if (!d)
		return -ENOMEM;
	cut(d, MODEL_ANALYSIS_TEXT_MAX);
	model_text_sanitize(d);
	out->text = d;
	return 0;
}

void model_public_clear(struct model_public *p)
{
	if (!p)
		return;
	free(p->text);
	memset(p, 0, sizeof(*p));
}
