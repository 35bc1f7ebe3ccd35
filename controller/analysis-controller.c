#include "controller/analysis-controller.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller/analysis-internal.h"
#include "controller/log.h"
#include "model/api.h"

#define LOG_KEY "analysisrun"
/* Series of the analysis metrics: runs are many, a scrape must stay small. */
#define SERIES_MAX 10000

/* Of a Job, the provider reads metadata and status.conditions. */
static const char *const job_unread[] = {"spec"};

struct an_run *an_run_get(struct ctl_analysis_controller *ac, const char *key, const char *uid)
{
	struct an_run *run = ctl_hashmap_get(ac->runs, key);
	if (run && uid && run->uid && strcmp(run->uid, uid) != 0) {
		an_run_drop(ac, key);
		run = NULL;
	}
	if (run)
		return run;
	run = calloc(1, sizeof(*run));
	if (!run)
		return NULL;
	run->ac = ac;
	run->key = strdup(key);
	run->uid = uid ? strdup(uid) : NULL;
	if (!run->key || (uid && !run->uid) || ctl_hashmap_put(ac->runs, key, run, NULL) < 0) {
		free(run->key);
		free(run->uid);
		free(run);
		return NULL;
	}
	return run;
}

static void run_free(struct an_run *run)
{
	while (run->n_pending > 0)
		an_pending_remove(run->pending[0]);
	an_secrets_clear(run);
	free(run->key);
	free(run->uid);
	free(run);
}

void an_run_settle(struct an_run *run)
{
	for (size_t i = run->n_pending; i > 0; i--)
		if (!run->pending[i - 1]->done)
			an_pending_remove(run->pending[i - 1]);
	an_secrets_clear(run);
	run->secrets_state = AN_SECRETS_UNREAD;
}

void an_run_drop(struct ctl_analysis_controller *ac, const char *key)
{
	void *v = NULL;
	if (ctl_hashmap_remove(ac->runs, key, &v) == 0)
		run_free(v);
}

/* ---- /metrics ---- */

static void export_phase(struct ctl_analysis_controller *ac, struct an_run *run, const char *ns,
                         const char *name, enum model_analysis_phase phase)
{
	if (!ac->phase_metric)
		return;
	const char *p = model_analysis_phase_name(phase);
	if (run && run->last_phase[0] && strcmp(run->last_phase, p) != 0)
		ctl_metric_remove(ac->phase_metric,
		                  (const char *const[]){ns, name, run->last_phase, NULL});
	ctl_metric_set(ac->phase_metric, (const char *const[]){ns, name, p, NULL}, 1);
	if (run)
		snprintf(run->last_phase, sizeof(run->last_phase), "%s", p);
}

/* The last measured number of each metric, read from status (so a
 * restarted controller exports the same): "0.31", or a vector's first. */
static void export_values(struct ctl_analysis_controller *ac, const char *ns, const char *name,
                          const struct model_analysis_status *st)
{
	for (size_t i = 0; ac->value_metric && i < st->n_results; i++) {
		const struct model_metric_result *r = &st->results[i];
		for (size_t k = r->n_measurements; k > 0; k--) {
			const char *v = r->measurements[k - 1].value;
			if (!v)
				continue;
			char *end = NULL;
			double x = strtod(v[0] == '[' ? v + 1 : v, &end);
			if (end != (v[0] == '[' ? v + 1 : v))
				ctl_metric_set(ac->value_metric,
				               (const char *const[]){ns, name, r->name, NULL}, x);
			break;
		}
	}
}

/* A run deleted: its series and its memory go. */
static void run_deleted(struct ctl_informer *inf, enum ctl_informer_event ev, const json_t *old,
                        const json_t *obj, void *userdata)
{
	struct ctl_analysis_controller *ac = userdata;
	char key[CTL_STORE_KEY_MAX];
	if (ev != CTL_INFORMER_DELETE || ctl_object_key(obj, key, sizeof(key)) < 0)
		return;
	an_run_drop(ac, key);
	const json_t *md = json_object_get(obj, "metadata");
	const char *ns = json_string_value(json_object_get(md, "namespace"));
	const char *name = json_string_value(json_object_get(md, "name"));
	if (!ns || !name)
		return;
	for (int p = 0; ac->phase_metric && p <= MODEL_ANALYSIS_PHASE_LAST; p++)
		ctl_metric_remove(
		    ac->phase_metric,
		    (const char *const[]){ns, name, model_analysis_phase_name(p), NULL});
	size_t i;
	const json_t *m;
	json_array_foreach(json_object_get(json_object_get(obj, "spec"), "metrics"), i, m)
	{
		const char *metric = json_string_value(json_object_get(m, "name"));
		if (metric && ac->value_metric)
			ctl_metric_remove(ac->value_metric,
			                  (const char *const[]){ns, name, metric, NULL});
	}
}

/* ---- status ---- */

/* The merge patch of the whole status when it changed (nulls remove what
 * the observed status has beyond it), and an Event when the run ended. */
static int write_status(struct rec_plan *plan, const json_t *obj,
                        const struct model_analysis_status *st, enum model_analysis_phase before)
{
	const json_t *md = json_object_get(obj, "metadata");
	const json_t *observed = json_object_get(obj, "status");
	struct rec_ref ref = {
	    .group = (char *)model_analysis_run_gvk.group,
	    .version = (char *)model_analysis_run_gvk.version,
	    .resource = (char *)model_analysis_run_gvk.resource,
	    .kind = (char *)model_analysis_run_gvk.kind,
	    .ns = (char *)json_string_value(json_object_get(md, "namespace")),
	    .name = (char *)json_string_value(json_object_get(md, "name")),
	    .uid = (char *)json_string_value(json_object_get(md, "uid")),
	    .resource_version = (char *)json_string_value(json_object_get(md, "resourceVersion")),
	};
	json_t *body = model_analysis_status_to_json(st);
	if (!body)
		return -ENOMEM;
	if (json_is_object(observed) && json_equal(body, observed)) {
		json_decref(body);
		return 0;
	}
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)observed, k, v)
	{
		if (!json_object_get(body, k) && json_object_set_new(body, k, json_null()) != 0) {
			json_decref(body);
			return -ENOMEM;
		}
	}
	struct rec_action *a = rec_plan_add(plan, REC_WRITE_STATUS, &ref, body);
	json_decref(body);
	if (!a)
		return -ENOMEM;
	if (model_analysis_phase_completed(before) || !model_analysis_phase_completed(st->phase))
		return 0;
	bool good = st->phase == MODEL_ANALYSIS_SUCCESSFUL;
	char reason[48];
	snprintf(reason, sizeof(reason), "AnalysisRun%s", model_analysis_phase_name(st->phase));
	return rec_plan_add_event(plan, &ref, good ? REC_EVENT_NORMAL : REC_EVENT_WARNING, reason,
	                          st->message ? st->message : "every metric passed")
	           ? 0
	           : -ENOMEM;
}

/* Ends the run in Error with message (copied) at now. */
static int end_in_error(struct model_analysis_status *st, const char *message, time_t now)
{
	char *m = strdup(message);
	if (!m)
		return -ENOMEM;
	free(st->message);
	st->message = m;
	st->phase = MODEL_ANALYSIS_ERROR;
	if (!st->started_at)
		st->started_at = now;
	return 0;
}

/* ---- measurements ---- */

/* Records a finished HTTP measurement kept in memory, unless the cached
 * status already shows it (it was written: forget it). */
static int record_pending(const struct model_metric *m, struct model_metric_result *r,
                          struct an_pending *p, bool *changed)
{
	for (size_t k = 0; k < r->n_measurements; k++) {
		const struct model_measurement *x = &r->measurements[k];
		if (x->started_at == p->started_at && x->finished_at != 0) {
			an_pending_remove(p);
			return 0;
		}
	}
	struct rec_measurement x = {.phase = p->phase,
	                            .value = p->value.text ? &p->value : NULL,
	                            .message = p->message.text ? &p->message : NULL,
	                            .started_at = p->started_at,
	                            .finished_at = p->finished_at};
	int rc = rec_metric_record(m, r, &x);
	*changed = *changed || rc == 0;
	return rc;
}

/* A measurement that cannot be taken (Secrets unreadable, args unbound):
 * an Error now, so the schedule retries and consecutiveErrorLimit holds. */
static int record_error(const struct model_metric *m, struct model_metric_result *r,
                        const char *message, time_t now)
{
	struct model_public msg = {0};
	if (model_public_redact(message, NULL, &msg) < 0)
		return -ENOMEM;
	struct rec_measurement x = {
	    .phase = MODEL_ANALYSIS_ERROR, .message = &msg, .started_at = now, .finished_at = now};
	int rc = rec_metric_record(m, r, &x);
	model_public_clear(&msg);
	return rc;
}

/* Binds the args for a measurement; an error message (public) when not. */
static int bind_args(struct an_run *run, const struct model_analysis_spec *spec,
                     struct model_arg_values *vals, char *why, size_t cap)
{
	if (run->secrets_state == AN_SECRETS_FAILED) {
		snprintf(why, cap, "%s",
		         run->secrets_error.text ? run->secrets_error.text : "Secrets");
		return -EINVAL;
	}
	struct model_errors errs = {0};
	int r = an_bind(run, spec, vals, &errs);
	if (r == -EINVAL) {
		char *j = model_errors_join(&errs, "; ");
		snprintf(why, cap, "%s", j ? j : "arguments");
		free(j);
	}
	model_errors_clear(&errs);
	return r;
}

/* One metric's step: record what finished, start what is due. */
static int metric_step(const struct an_job_ctx *c, struct an_run *run, const struct model_metric *m,
                       bool terminating, bool *changed)
{
	struct model_analysis_status *st = (struct model_analysis_status *)&c->run->status;
	struct model_metric_result *r = model_analysis_result(st, m->name);
	struct an_pending *p = an_pending_find(run, m->name);
	if (!r)
		return 0;
	if (p && p->done) {
		int rc = record_pending(m, r, p, changed);
		if (rc < 0)
			return rc;
	} else if (p) {
		if (terminating)
			an_pending_remove(p);
		return 0; /* in flight: its callback wakes the run */
	}
	struct rec_schedule s = rec_metric_schedule(m, r, st->started_at, terminating, c->now);
	if (s.kind != REC_SCHEDULE_DUE && s.kind != REC_SCHEDULE_IN_FLIGHT)
		return 0;
	if (an_pending_find(run, m->name))
		return 0; /* recorded just now, not yet in the cached status */
	struct model_arg_values vals = {0};
	char why[600];
	int rc = bind_args(run, &c->run->spec, &vals, why, sizeof(why));
	if (rc == -EINVAL && s.kind == REC_SCHEDULE_DUE) {
		*changed = true;
		return record_error(m, r, why, c->now);
	}
	if (rc < 0)
		return rc == -EINVAL ? 0 : rc;
	if (m->provider == MODEL_PROVIDER_JOB)
		rc = an_job_step(c, m, r, &s, &vals, changed);
	else
		rc = an_measure_start(run, m, c->run->namespace, &vals, c->now);
	model_arg_values_clear(&vals);
	return rc;
}

/* Secrets: read once per run before the first measurement that needs them
 * (and again after a failure, when no read is in flight). True when the
 * run must wait for them. */
static bool wait_for_secrets(struct an_run *run, const struct model_analysis_run *ar, int *rc)
{
	if (!an_needs_secrets(&ar->spec))
		return false;
	if (run->secrets_state == AN_SECRETS_FAILED)
		return run->reads_left > 0;
	if (run->secrets_state == AN_SECRETS_UNREAD) {
		*rc = an_secrets_read(run, &ar->spec, ar->namespace);
		return run->secrets_state == AN_SECRETS_READING;
	}
	return run->secrets_state == AN_SECRETS_READING;
}

/* Measures what is due, then re-assesses the run. */
static int run_step(const struct an_job_ctx *c, struct an_run *run, bool *changed)
{
	struct model_analysis_run *ar = (struct model_analysis_run *)c->run;
	int rc = 0;
	if (wait_for_secrets(run, ar, &rc))
		return rc;
	bool terminating = rec_run_terminating(&ar->spec, &ar->status);
	for (size_t i = 0; rc == 0 && i < ar->spec.n_metrics; i++)
		rc = metric_step(c, run, &ar->spec.metrics[i], terminating, changed);
	/* After a failed read, every due metric recorded its Error: read again
	 * at the next due time. */
	if (run->secrets_state == AN_SECRETS_FAILED && run->reads_left == 0)
		run->secrets_state = AN_SECRETS_UNREAD;
	if (rc == 0)
		rc = rec_analysis_assess(&ar->spec, &ar->status);
	/* A run that stops (terminate, or a metric's verdict just recorded)
	 * stops its Jobs too. */
	terminating = rec_run_terminating(&ar->spec, &ar->status);
	for (size_t i = 0; rc == 0 && terminating && i < ar->spec.n_metrics; i++)
		if (ar->spec.metrics[i].provider == MODEL_PROVIDER_JOB)
			rc = an_job_stop(
			    c, &ar->spec.metrics[i],
			    model_analysis_result(&ar->status, ar->spec.metrics[i].name));
	return rc;
}

/* ---- reconcile ---- */

/* A run that does not parse (written by hand past an older CRD): Error,
 * with what is wrong. */
static int report_invalid(const json_t *obj, struct model_errors *errs, double now,
                          struct rec_plan *plan)
{
	struct model_analysis_status st = {0};
	const char *phase =
	    json_string_value(json_object_get(json_object_get(obj, "status"), "phase"));
	enum model_analysis_phase before = MODEL_ANALYSIS_PENDING;
	if (phase && model_analysis_phase_parse(phase, &before) == 0 &&
	    model_analysis_phase_completed(before))
		return 0;
	char *joined = model_errors_join(errs, "; ");
	int rc = end_in_error(&st, joined ? joined : "invalid AnalysisRun", (time_t)now);
	free(joined);
	if (rc == 0)
		rc = write_status(plan, obj, &st, before);
	model_analysis_status_clear(&st);
	return rc;
}

/* The run's next look: the earliest due time (HTTP results and Job events
 * wake it sooner). */
static void requeue(const struct model_analysis_run *ar, time_t now, struct rec_plan *plan)
{
	time_t next = rec_analysis_next_wakeup(&ar->spec, &ar->status, now);
	if (next > 0)
		rec_plan_requeue(plan, next > now ? (double)(next - now) : 0);
}

static int reconcile_run(struct ctl_analysis_controller *ac, struct ctl_runtime *rt,
                         const json_t *obj, struct model_analysis_run *ar, time_t now,
                         struct rec_plan *plan)
{
	char key[CTL_STORE_KEY_MAX];
	if (ctl_object_key(obj, key, sizeof(key)) < 0)
		return 0;
	enum model_analysis_phase before = ar->status.phase;
	const char *ns = ar->namespace ? ar->namespace : "";
	if (model_analysis_phase_completed(before)) {
		an_run_drop(ac, key);
		export_phase(ac, NULL, ns, ar->name, before);
		export_values(ac, ns, ar->name, &ar->status);
		return 0;
	}
	int rc = 0;
	char broken[600];
	if (!ar->status.started_at && model_analysis_spec_broken(&ar->spec, broken, sizeof(broken)))
		rc = end_in_error(&ar->status, broken, now);
	else if (!ar->status.started_at)
		rc = rec_analysis_start(&ar->spec, &ar->status, now);
	bool changed = false;
	struct an_run *run = NULL;
	struct rec_plan after;
	rec_plan_init(&after);
	if (rc == 0 && !model_analysis_phase_completed(ar->status.phase)) {
		run = an_run_get(ac, key, ar->uid);
		struct an_job_ctx c = {
		    .rt = rt, .obj = obj, .run = ar, .plan = plan, .after = &after, .now = now};
		rc = run ? run_step(&c, run, &changed) : -ENOMEM;
	}
	if (rc == 0)
		rc = write_status(plan, obj, &ar->status, before);
	if (rc == 0)
		rc = rec_plan_take(plan, &after);
	rec_plan_clear(&after);
	if (rc < 0)
		return rc;
	requeue(ar, now, plan);
	export_phase(ac, run, ns, ar->name, ar->status.phase);
	export_values(ac, ns, ar->name, &ar->status);
	/* Ended: nothing more is measured, but the results stay until the
	 * cached run shows the end (a refused status write, a 409, is
	 * written again from them, not measured again). */
	if (run && model_analysis_phase_completed(ar->status.phase))
		an_run_settle(run);
	return rc;
}

static int reconcile(struct ctl_runtime *rt, const json_t *obj, double now, struct rec_plan *plan,
                     void *userdata)
{
	struct ctl_analysis_controller *ac = userdata;
	const json_t *deleting =
	    json_object_get(json_object_get(obj, "metadata"), "deletionTimestamp");
	if (deleting && !json_is_null(deleting))
		return 0;
	struct model_analysis_run *ar = NULL;
	struct model_errors errs = {0};
	int rc = model_analysis_run_parse(obj, &ar, &errs);
	if (rc == -EINVAL)
		rc = report_invalid(obj, &errs, now, plan);
	else if (rc == 0)
		rc = reconcile_run(ac, rt, obj, ar, (time_t)now, plan);
	model_errors_clear(&errs);
	model_analysis_run_free(ar);
	return rc;
}

/* ---- setup ---- */

/* An UPDATE is worth a reconcile when it changed more than status, or when
 * the run's phase changed: the echo of the write that ended the run is
 * what lets its memory go (reconcile_run), one reconcile per phase. */
static bool run_update_matters(const json_t *old, const json_t *obj)
{
	if (ctl_object_changed_beyond_status(old, obj))
		return true;
	const json_t *was = json_object_get(json_object_get(old, "status"), "phase");
	const json_t *is = json_object_get(json_object_get(obj, "status"), "phase");
	return !json_equal(was, is) && !(was == NULL && is == NULL);
}

static int setup_metrics(struct ctl_analysis_controller *ac, struct ctl_metrics *metrics)
{
	if (!metrics)
		return 0;
	int r = ctl_metrics_gauge(
	    metrics, "slipway_analysis_run_phase", "1 for the current phase of each AnalysisRun.",
	    (const char *const[]){"namespace", "run", "phase", NULL}, &ac->phase_metric);
	if (r == 0)
		r = ctl_metrics_gauge(metrics, "slipway_analysis_metric_value",
		                      "The last measured value of each metric of each AnalysisRun.",
		                      (const char *const[]){"namespace", "run", "metric", NULL},
		                      &ac->value_metric);
	if (r < 0)
		return r;
	ctl_metric_set_max_series(ac->phase_metric, SERIES_MAX);
	ctl_metric_set_max_series(ac->value_metric, SERIES_MAX);
	return 0;
}

static int add_runtime(struct ctl_manager *m, const struct ctl_analysis_controller_options *opts,
                       struct ctl_analysis_controller *ac, struct kc_error *err)
{
	struct ctl_watch watches[] = {
	    {.role = CTL_WATCH_OWNED, .kind = ctl_kind_of(&model_job_gvk)},
	};
	/* Only the Jobs the controller made are cached. */
	watches[0].kind.label_selector = MODEL_LABEL_MANAGED_BY "=" MODEL_LABEL_MANAGED_BY_VALUE;
	watches[0].kind.compact = true;
	watches[0].kind.strip_paths = job_unread;
	watches[0].kind.n_strip_paths = sizeof(job_unread) / sizeof(job_unread[0]);
	struct ctl_runtime_options ro = {
	    .name = "analysisrun",
	    .primary = ctl_kind_of(&model_analysis_run_gvk),
	    .watches = watches,
	    .n_watches = 1,
	    .workers = opts->workers,
	    .queue = opts->queue,
	    .log_key = LOG_KEY,
	    .primary_update_matters = run_update_matters,
	    .reconcile = reconcile,
	    .userdata = ac,
	};
	int r = ctl_manager_add(m, &ro, &ac->rt, err);
	if (r == 0)
		r = ctl_informer_add_handler(ctl_runtime_informer(ac->rt, 0), run_deleted, ac);
	if (r < 0 && !err->message[0])
		kc_error_set(err, r, "cannot add the AnalysisRun controller: %s", strerror(-r));
	return r;
}

int ctl_analysis_controller_add(struct ctl_manager *m,
                                const struct ctl_analysis_controller_options *opts,
                                struct ctl_analysis_controller **ret, struct kc_error *err)
{
	if (!opts->client)
		return kc_error_set(err, -EINVAL, "the AnalysisRun controller needs a client");
	struct ctl_analysis_controller *ac = calloc(1, sizeof(*ac));
	if (!ac)
		return kc_error_set(err, -ENOMEM, "out of memory");
	ac->client = opts->client;
	ac->runs = ctl_hashmap_new();
	int r = ac->runs ? 0 : kc_error_set(err, -ENOMEM, "out of memory");
	/* A transport of its own: Prometheus and web checks never share the
	 * API server's connections, and no API credential is ever attached. */
	if (r == 0)
		r = kc_http_new(kc_client_loop(opts->client), NULL, &ac->http, err);
	if (r == 0 && setup_metrics(ac, opts->metrics) < 0)
		r = kc_error_set(err, -EINVAL, "cannot register the analysis metrics");
	if (r == 0)
		r = add_runtime(m, opts, ac, err);
	if (r < 0) {
		ctl_analysis_controller_free(ac);
		return r;
	}
	*ret = ac;
	return 0;
}

struct ctl_runtime *ctl_analysis_controller_runtime(const struct ctl_analysis_controller *ac)
{
	return ac->rt;
}

struct ctl_analysis_controller *ctl_analysis_controller_free(struct ctl_analysis_controller *ac)
{
	if (!ac)
		return NULL;
	size_t pos = 0;
	const char *key;
	void *v;
	while (ac->runs && ctl_hashmap_next(ac->runs, &pos, &key, &v)) {
		run_free(v);
	}
	ac->runs = ctl_hashmap_free(ac->runs);
	ac->http = kc_http_free(ac->http);
	free(ac);
	return NULL;
}
