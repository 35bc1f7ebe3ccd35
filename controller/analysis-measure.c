/* The HTTP providers of the AnalysisRun controller: a Prometheus instant
 * query and a web check, each one request on the controller's own
 * transport, judged in the completion callback (model_prometheus_parse or
 * model_jsonpath_eval, then the conditions through model_expr_eval and
 * rec_measurement_phase), kept in memory and the run enqueued. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller/analysis-internal.h"
#include "controller/clock.h"
#include "controller/runtime.h"
#include "kubeclient/path.h"
#include "model/expr.h"
#include "model/jsonpath.h"
#include "model/prometheus.h"

/* A whole URL: the address, the path and the escaped query. */
#define URL_MAX (MODEL_ANALYSIS_TEXT_MAX * 4 + 64)
/* A provider answer larger than this is an error, not a result. */
#define BODY_MAX    (4u << 20)
#define MESSAGE_MAX 512

/* Substituted texts of one request, freed together. */
struct request_texts {
	struct model_subst url, body;
	struct model_subst values[MODEL_ANALYSIS_HEADERS_MAX];
	struct kc_http_header headers[MODEL_ANALYSIS_HEADERS_MAX];
	size_t n_headers;
	char url_buf[URL_MAX];
	bool secret; /* a secret went into the URL or body */
};

static void texts_clear(struct request_texts *t)
{
	model_subst_clear(&t->url);
	model_subst_clear(&t->body);
	for (size_t i = 0; i < t->n_headers; i++)
		model_subst_clear(&t->values[i]);
}

static int subst_headers(const struct model_header *h, size_t n,
                         const struct model_arg_values *vals, struct request_texts *t,
                         struct model_errors *errs)
{
	for (size_t i = 0; i < n; i++) {
		int r = model_subst(h[i].value, vals, "headers", &t->values[i], errs);
		if (r < 0)
			return r;
		t->n_headers = i + 1;
		t->headers[i] = (struct kc_http_header){
		    .name = h[i].key, .value = t->values[i].text, .secret = t->values[i].secret};
	}
	return 0;
}

/* GET {address}/api/v1/query?query=... */
static int prometheus_texts(const struct model_prometheus *p, const struct model_arg_values *vals,
                            struct request_texts *t, struct model_errors *errs)
{
	struct model_subst query = {0};
	int r = model_subst(p->address, vals, "provider.prometheus.address", &t->url, errs);
	if (r == 0)
		r = model_subst(p->query, vals, "provider.prometheus.query", &query, errs);
	if (r == 0)
		r = subst_headers(p->headers, p->n_headers, vals, t, errs);
	if (r < 0) {
		model_subst_clear(&query);
		return r;
	}
	size_t len = strlen(t->url.text);
	while (len > 0 && t->url.text[len - 1] == '/')
		len--;
	int n = snprintf(t->url_buf, sizeof(t->url_buf), "%.*s/api/v1/query?query=", (int)len,
	                 t->url.text);
	r = n < 0 || (size_t)n >= sizeof(t->url_buf)
	        ? -E2BIG
	        : kc_path_escape(t->url_buf, sizeof(t->url_buf), (size_t)n, query.text);
	t->secret = t->url.secret || query.secret;
	model_subst_clear(&query);
	if (r < 0)
		model_errors_add(errs, "provider.prometheus", "the query URL is too long");
	return r < 0 ? r : 0;
}

static int web_texts(const struct model_web *w, const struct model_arg_values *vals,
                     struct request_texts *t, struct model_errors *errs)
{
	int r = model_subst(w->url, vals, "provider.web.url", &t->url, errs);
	if (r == 0 && w->body)
		r = model_subst(w->body, vals, "provider.web.body", &t->body, errs);
	if (r == 0)
		r = subst_headers(w->headers, w->n_headers, vals, t, errs);
	if (r < 0)
		return r;
	if (snprintf(t->url_buf, sizeof(t->url_buf), "%s", t->url.text) >=
	    (int)sizeof(t->url_buf)) {
		model_errors_add(errs, "provider.web.url", "too long");
		return -E2BIG;
	}
	t->secret = t->url.secret || t->body.secret;
	return 0;
}

struct an_pending *an_pending_find(struct an_run *run, const char *metric)
{
	for (size_t i = 0; i < run->n_pending; i++)
		if (strcmp(run->pending[i]->metric, metric) == 0)
			return run->pending[i];
	return NULL;
}

static struct an_pending *pending_free(struct an_pending *p)
{
	if (!p)
		return NULL;
	kc_http_cancel(p->req);
	free(p->metric);
	free(p->success);
	free(p->failure);
	free(p->json_path);
	model_arg_values_clear(&p->vals);
	model_public_clear(&p->value);
	model_public_clear(&p->message);
	free(p);
	return NULL;
}

void an_pending_remove(struct an_pending *p)
{
	struct an_run *run = p->run;
	for (size_t i = 0; i < run->n_pending; i++)
		if (run->pending[i] == p) {
			run->pending[i] = run->pending[--run->n_pending];
			break;
		}
	pending_free(p);
}

/* Ends p as `phase` with `message` (provider text: redacted here) and
 * `value` (may be NULL), and wakes the run. */
static void finish(struct an_pending *p, enum model_analysis_phase phase, const char *message,
                   const struct model_value *value)
{
	p->done = true;
	p->req = NULL;
	p->phase = phase;
	p->finished_at = (time_t)ctl_wall_now();
	if (p->finished_at < p->started_at)
		p->finished_at = p->started_at;
	if (message)
		model_public_redact(message, &p->vals, &p->message);
	if (value) {
		/* A one-series vector shows as its sample, so the run's message
		 * reads "error-rate: 0.31 >= 0.2" for result[0] rather than
		 * "[0.31] >= 0.2" (rec_metric_summary puts the value in place
		 * of the condition's result[N]). */
		char buf[MESSAGE_MAX];
		if (value->kind == MODEL_VALUE_VECTOR && value->vector.n == 1) {
			char num[MODEL_NUMBER_FMT_LEN];
			model_number_format(value->vector.samples[0].value, num);
			snprintf(buf, sizeof(buf), "%s", num);
		} else {
			model_value_format(value, buf, sizeof(buf));
		}
		model_public_redact(buf, &p->vals, &p->value);
	}
	ctl_runtime_enqueue(p->run->ac->rt, p->run->key);
}

/* One condition's outcome against v; err gets the evaluator's message. A
 * missing value (-ENODATA) is reported as no data by the caller. */
static enum rec_cond condition(const char *src, const struct model_value *v, bool *nodata,
                               char *err, size_t cap)
{
	if (!src)
		return REC_COND_ABSENT;
	struct model_expr *e = NULL;
	struct model_expr_error xe = {0};
	bool out = false;
	int r = model_expr_parse(src, &e, &xe);
	if (r == 0)
		r = model_expr_eval(e, v, &out, &xe);
	model_expr_free(e);
	if (r == -ENODATA)
		*nodata = true;
	if (r < 0) {
		snprintf(err, cap, "%s: %s", src, xe.message);
		return REC_COND_ERROR;
	}
	return out ? REC_COND_TRUE : REC_COND_FALSE;
}

/* Nothing to judge (an empty vector, a jsonPath that finds nothing): the
 * decisions say what that is (Inconclusive "no data"). */
static void no_data(struct an_pending *p, const struct model_value *v)
{
	struct rec_measure_input in = {.data = REC_DATA_NONE};
	const char *fixed = NULL;
	enum model_analysis_phase phase = rec_measurement_phase(&in, &fixed);
	finish(p, phase, fixed ? fixed : REC_ANALYSIS_NO_DATA, v);
}

/* The conditions decide a result that is a value. */
static void judge(struct an_pending *p, const struct model_value *v)
{
	char err[MESSAGE_MAX] = "";
	bool nodata = false;
	struct rec_measure_input in = {.data = REC_DATA_VALUE};
	in.failure = condition(p->failure, v, &nodata, err, sizeof(err));
	in.success = condition(p->success, v, &nodata, err, sizeof(err));
	if (nodata) {
		no_data(p, v);
		return;
	}
	const char *fixed = NULL;
	enum model_analysis_phase phase = rec_measurement_phase(&in, &fixed);
	const char *message = fixed;
	if (!message && phase == MODEL_ANALYSIS_ERROR && err[0])
		message = err;
	finish(p, phase, message, v);
}

static void prometheus_done(struct an_pending *p, const struct kc_http_response *resp)
{
	char err[MODEL_PROMETHEUS_ERROR_LEN];
	struct model_value v = {0};
	int r = model_prometheus_parse(resp->body ? resp->body : "", resp->body_len, &v, err);
	if (r < 0) {
		finish(p, MODEL_ANALYSIS_ERROR, err, NULL);
		return;
	}
	if (v.kind == MODEL_VALUE_VECTOR && v.vector.n == 0) {
		no_data(p, &v);
	} else {
		judge(p, &v);
	}
	model_value_clear(&v);
}

static void web_done(struct an_pending *p, const struct kc_http_response *resp)
{
	char msg[MESSAGE_MAX];
	if (resp->status < 200 || resp->status > 299) {
		snprintf(msg, sizeof(msg), "web: HTTP %ld", resp->status);
		finish(p, MODEL_ANALYSIS_ERROR, msg, NULL);
		return;
	}
	struct model_value v = {0};
	char err[MODEL_JSONPATH_ERROR_LEN];
	int r = model_jsonpath_eval(p->json_path, resp->body ? resp->body : "", resp->body_len, &v,
	                            err);
	if (r == -ENODATA) {
		no_data(p, NULL);
		return;
	}
	if (r < 0) {
		snprintf(msg, sizeof(msg), "web: %s", err);
		finish(p, MODEL_ANALYSIS_ERROR, msg, NULL);
		return;
	}
	judge(p, &v);
	model_value_clear(&v);
}

static void measured(const struct kc_http_response *resp, const struct kc_error *err,
                     void *userdata)
{
	struct an_pending *p = userdata;
	p->req = NULL;
	if (err) {
		finish(p, MODEL_ANALYSIS_ERROR, err->message, NULL);
		return;
	}
	if (p->provider == MODEL_PROVIDER_PROMETHEUS)
		prometheus_done(p, resp);
	else
		web_done(p, resp);
}

/* A new pending measurement of m, in run (NULL on ENOMEM). */
static struct an_pending *pending_new(struct an_run *run, const struct model_metric *m,
                                      struct model_arg_values *vals, time_t now)
{
	if (run->n_pending == MODEL_ANALYSIS_METRICS_MAX)
		return NULL;
	struct an_pending *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->run = run;
	p->started_at = now;
	p->provider = m->provider;
	p->metric = strdup(m->name);
	p->success = m->success_condition ? strdup(m->success_condition) : NULL;
	p->failure = m->failure_condition ? strdup(m->failure_condition) : NULL;
	p->json_path =
	    m->provider == MODEL_PROVIDER_WEB && m->web.json_path ? strdup(m->web.json_path) : NULL;
	if (!p->metric || (m->success_condition && !p->success) ||
	    (m->failure_condition && !p->failure) ||
	    (m->provider == MODEL_PROVIDER_WEB && m->web.json_path && !p->json_path))
		return pending_free(p);
	p->vals = *vals;
	*vals = (struct model_arg_values){0};
	run->pending[run->n_pending++] = p;
	return p;
}

/* The request options of m from its texts. */
static void request_options(const struct model_metric *m, struct request_texts *t,
                            struct an_pending *p, struct kc_http_request_options *o)
{
	double timeout = MODEL_ANALYSIS_DEFAULT_WEB_TIMEOUT_SECONDS;
	if (m->provider == MODEL_PROVIDER_PROMETHEUS) {
		timeout = m->prometheus.has_timeout ? (double)m->prometheus.timeout_ns / 1e9 : 30;
		o->method = "GET";
	} else {
		timeout = m->web.timeout_seconds;
		o->method = m->web.method ? m->web.method : "GET";
		if (t->body.text) {
			o->body = t->body.text;
			o->body_len = strlen(t->body.text);
		}
	}
	o->url = t->url_buf;
	o->headers = t->headers;
	o->n_headers = t->n_headers;
	o->timeout = timeout;
	o->deadline = timeout;
	o->max_body = BODY_MAX;
	/* One attempt: the schedule retries an Error (10 s, or the interval). */
	o->retry.none = true;
	o->on_done = measured;
	o->userdata = p;
}

/* Messages name the request by its metric: the URL may hold a secret. */
static void request_names(const struct model_metric *m, const struct request_texts *t, char *name,
                          size_t cap)
{
	const char *what = m->provider == MODEL_PROVIDER_PROMETHEUS ? "prometheus query" : "web";
	if (t->secret)
		snprintf(name, cap, "%s of metric %s", what, m->name);
	else
		snprintf(name, cap, "%s %.200s", what, t->url_buf);
}

int an_measure_start(struct an_run *run, const struct model_metric *m, const char *ns,
                     struct model_arg_values *vals, time_t now)
{
	(void)ns;
	struct an_pending *p = pending_new(run, m, vals, now);
	if (!p)
		return -ENOMEM;
	struct request_texts t = {0};
	struct model_errors errs = {0};
	int r = m->provider == MODEL_PROVIDER_PROMETHEUS
	            ? prometheus_texts(&m->prometheus, &p->vals, &t, &errs)
	            : web_texts(&m->web, &p->vals, &t, &errs);
	if (r == 0) {
		char name[320];
		struct kc_http_request_options o = {0};
		struct kc_error err = {0};
		request_options(m, &t, p, &o);
		request_names(m, &t, name, sizeof(name));
		o.name = name;
		/* The default peer is scheme://host:port of the URL, which a
		 * secret may be part of. */
		o.peer = t.secret ? "the metric's server" : NULL;
		r = kc_http_start(run->ac->http, &o, &p->req, &err);
		if (r < 0)
			finish(p, MODEL_ANALYSIS_ERROR, err.message, NULL);
		kc_error_clear(&err);
	} else if (r != -ENOMEM) {
		char *joined = model_errors_join(&errs, "; ");
		finish(p, MODEL_ANALYSIS_ERROR, joined ? joined : "cannot build the request", NULL);
		free(joined);
	}
	model_errors_clear(&errs);
	texts_clear(&t);
	if (r == -ENOMEM) {
		an_pending_remove(p);
		return r;
	}
	return 0;
}
