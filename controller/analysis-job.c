/* The Job provider of the AnalysisRun controller: a measurement is a Job
 * named from the run, the metric and the measurement's index, so a
 * reconcile that creates it twice (a lost status write, a restart) meets
 * AlreadyExists, re-reads it and goes on with the one Job. It is recorded
 * Running while the Job runs; the Job's Complete or Failed condition
 * decides (rec_measurement_phase). The Job informer's events wake the run
 * (an owned watch). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller/analysis-internal.h"
#include "controller/hashmap.h"
#include "controller/runtime.h"
#include "model/api.h"

/* Informer 1 of the runtime: the Jobs. */
#define INFORMER_JOBS 1
#define JOB_NAME_MAX  AN_JOB_NAME_MAX

static bool dns_byte(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

void an_job_name(const char *run, const char *metric, long index, char *out, size_t cap)
{
	char plain[3 * MODEL_NAME_MAX];
	int n = snprintf(plain, sizeof(plain), "%s-%s-%ld", run, metric, index);
	bool ok = n > 0 && n <= JOB_NAME_MAX;
	for (int i = 0; ok && i < n; i++)
		ok = dns_byte(plain[i]);
	if (ok && plain[0] != '-' && (size_t)n < cap) {
		memcpy(out, plain, (size_t)n + 1);
		return;
	}
	char both[2 * MODEL_NAME_MAX + 2];
	snprintf(both, sizeof(both), "%s/%s", run, metric);
	unsigned long long h = (unsigned long long)ctl_hash_string(both);
	char prefix[40];
	size_t k = 0;
	for (const char *s = run; *s && k < 24; s++) {
		char c =
		    dns_byte(*s) ? *s : (*s >= 'A' && *s <= 'Z' ? (char)(*s - 'A' + 'a') : '-');
		if (k > 0 || c != '-') /* a label starts with a letter or digit */
			prefix[k++] = c;
	}
	prefix[k] = '\0';
	while (k > 0 && prefix[k - 1] == '-')
		prefix[--k] = '\0';
	snprintf(out, cap, "%s-%08llx-%ld", k ? prefix : "run", h & 0xffffffffULL, index);
}

/* The Job's Complete or Failed condition: 1 succeeded, -1 failed, 0
 * still running; *message gets the Failed condition's message. */
static int job_outcome(const json_t *job, const char **message)
{
	const json_t *conds = json_object_get(json_object_get(job, "status"), "conditions");
	size_t i;
	const json_t *c;
	json_array_foreach(conds, i, c)
	{
		const char *type = json_string_value(json_object_get(c, "type"));
		const char *status = json_string_value(json_object_get(c, "status"));
		if (!type || !status || strcmp(status, "True") != 0)
			continue;
		if (strcmp(type, "Complete") == 0)
			return 1;
		if (strcmp(type, "Failed") == 0) {
			*message = json_string_value(json_object_get(c, "message"));
			return -1;
		}
	}
	return 0;
}

/* metadata of the Job: the template's labels and annotations, ours, and
 * the run as controller owner. */
static json_t *job_metadata(const struct an_job_ctx *c, const struct model_metric *m,
                            const char *name, const json_t *tmpl_meta)
{
	const json_t *md = json_object_get(c->obj, "metadata");
	json_t *labels = json_deep_copy(json_object_get(tmpl_meta, "labels"));
	json_t *annotations = json_deep_copy(json_object_get(tmpl_meta, "annotations"));
	if (!json_is_object(labels)) {
		json_decref(labels);
		labels = json_object();
	}
	if (!json_is_object(annotations)) {
		json_decref(annotations);
		annotations = json_object();
	}
	json_object_set_new(labels, MODEL_LABEL_MANAGED_BY,
	                    json_string(MODEL_LABEL_MANAGED_BY_VALUE));
	json_object_set(labels, MODEL_LABEL_ANALYSIS_RUN_UID, json_object_get(md, "uid"));
	json_object_set(annotations, MODEL_ANNOTATION_ANALYSIS_RUN, json_object_get(md, "name"));
	json_object_set_new(annotations, MODEL_ANNOTATION_ANALYSIS_METRIC, json_string(m->name));
	json_t *owner =
	    json_pack("{s:s, s:s, s:O, s:O, s:b}", "apiVersion", MODEL_API_VERSION, "kind",
	              model_analysis_run_gvk.kind, "name", json_object_get(md, "name"), "uid",
	              json_object_get(md, "uid"), "controller", 1);
	return json_pack("{s:s, s:O, s:o, s:o, s:[o]}", "name", name, "namespace",
	                 json_object_get(md, "namespace"), "labels", labels, "annotations",
	                 annotations, "ownerReferences", owner);
}

/* Adds the CREATE of the Job for measurement `name` to the plan. */
static int create_job(const struct an_job_ctx *c, const struct model_metric *m, const char *name,
                      const struct model_arg_values *vals)
{
	json_t *spec = NULL, *meta = NULL;
	bool secret = false;
	struct model_errors errs = {0};
	int r = model_subst_json(m->job.spec, vals, "provider.job.spec", &spec, &secret, &errs);
	if (r == 0 && m->job.metadata)
		r = model_subst_json(m->job.metadata, vals, "provider.job.metadata", &meta, &secret,
		                     &errs);
	model_errors_clear(&errs);
	if (r < 0)
		return r;
	json_t *md = job_metadata(c, m, name, meta);
	json_t *job = md ? json_pack("{s:s, s:s, s:o, s:O}", "apiVersion", "batch/v1", "kind",
	                             model_job_gvk.kind, "metadata", md, "spec", spec)
	                 : NULL;
	json_decref(meta);
	json_decref(spec);
	if (!job)
		return -ENOMEM;
	struct rec_ref ref = {.group = (char *)model_job_gvk.group,
	                      .version = (char *)model_job_gvk.version,
	                      .resource = (char *)model_job_gvk.resource,
	                      .kind = (char *)model_job_gvk.kind,
	                      .ns = c->run->namespace,
	                      .name = (char *)name};
	struct rec_action *a = rec_plan_add(c->plan, REC_CREATE, &ref, job);
	json_decref(job);
	return a ? 0 : -ENOMEM;
}

/* Records the finished Job's outcome over the Running measurement. */
static int record_outcome(const struct model_metric *m, struct model_metric_result *r, int outcome,
                          const char *failed_message, time_t now)
{
	struct rec_measure_input in = {.data = outcome > 0 ? REC_DATA_JOB_SUCCEEDED
	                                                   : REC_DATA_JOB_FAILED};
	const char *fixed = NULL;
	struct model_public message = {0};
	enum model_analysis_phase phase = rec_measurement_phase(&in, &fixed);
	const char *text = fixed ? fixed : (outcome < 0 ? failed_message : NULL);
	if (text && model_public_redact(text, NULL, &message) < 0)
		return -ENOMEM;
	const struct model_measurement *last = &r->measurements[r->n_measurements - 1];
	struct rec_measurement x = {.phase = phase,
	                            .message = text ? &message : NULL,
	                            .started_at = last->started_at,
	                            .finished_at = now > last->started_at ? now : last->started_at};
	int rc = rec_metric_record(m, r, &x);
	model_public_clear(&message);
	return rc;
}

int an_job_step(const struct an_job_ctx *c, const struct model_metric *m,
                struct model_metric_result *r, const struct rec_schedule *s,
                const struct model_arg_values *vals, bool *changed)
{
	char name[JOB_NAME_MAX + 1], key[CTL_STORE_KEY_MAX];
	long index = r ? (long)r->count + r->error : 0;
	an_job_name(c->run->name, m->name, index, name, sizeof(name));
	snprintf(key, sizeof(key), "%s/%s", c->run->namespace ? c->run->namespace : "", name);
	json_t *job = NULL;
	int rc = ctl_informer_get(ctl_runtime_informer(c->rt, INFORMER_JOBS), key, &job);
	if (rc < 0 && rc != -ENOENT)
		return rc;
	rc = 0;
	if (!job && vals)
		rc = create_job(c, m, name, vals);
	if (rc == 0 && s->kind == REC_SCHEDULE_DUE && r) {
		struct rec_measurement x = {.phase = MODEL_ANALYSIS_RUNNING, .started_at = c->now};
		rc = rec_metric_record(m, r, &x);
		*changed = rc == 0;
	} else if (rc == 0 && s->kind == REC_SCHEDULE_IN_FLIGHT && job && r &&
	           r->n_measurements > 0) {
		const char *msg = NULL;
		int outcome = job_outcome(job, &msg);
		if (outcome != 0) {
			rc = record_outcome(m, r, outcome, msg ? msg : "the Job failed", c->now);
			*changed = rc == 0;
		}
	}
	json_decref(job);
	return rc;
}

int an_job_stop(const struct an_job_ctx *c, const struct model_metric *m,
                const struct model_metric_result *r)
{
	if (!r || r->n_measurements == 0 ||
	    r->measurements[r->n_measurements - 1].phase != MODEL_ANALYSIS_RUNNING)
		return 0;
	char name[JOB_NAME_MAX + 1];
	an_job_name(c->run->name, m->name, (long)r->count + r->error, name, sizeof(name));
	struct rec_ref ref = {.group = (char *)model_job_gvk.group,
	                      .version = (char *)model_job_gvk.version,
	                      .resource = (char *)model_job_gvk.resource,
	                      .kind = (char *)model_job_gvk.kind,
	                      .ns = c->run->namespace,
	                      .name = name};
	return rec_plan_add(c->after, REC_DELETE, &ref, NULL) ? 0 : -ENOMEM;
}
