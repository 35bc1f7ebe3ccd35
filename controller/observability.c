#include "controller/observability.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

struct ctl_observability {
	struct ctl_leader *le;
	struct ctl_metric *api_requests;
	struct ctl_metric *api_latency;
};

/* A series callback's userdata is the controller (or informer) it reads. */
static struct ctl_runtime_stats stats_of(void *ud)
{
	struct ctl_runtime_stats s;
	ctl_runtime_stats(ud, &s);
	return s;
}

static int reconciles(void *ud, double *ret)
{
	*ret = (double)stats_of(ud).reconciles;
	return 0;
}

static int reconcile_errors(void *ud, double *ret)
{
	*ret = (double)stats_of(ud).reconcile_errors;
	return 0;
}

static int conflicts(void *ud, double *ret)
{
	*ret = (double)stats_of(ud).conflicts;
	return 0;
}

static int event_failures(void *ud, double *ret)
{
	*ret = (double)stats_of(ud).event_failures;
	return 0;
}

static int reconcile_duration(void *ud, struct ctl_histogram *ret)
{
	*ret = stats_of(ud).duration;
	return 0;
}

static int queue_depth(void *ud, double *ret)
{
	*ret = (double)stats_of(ud).queue.depth;
	return 0;
}

static int queue_adds(void *ud, double *ret)
{
	*ret = (double)stats_of(ud).queue.adds;
	return 0;
}

static int queue_retries(void *ud, double *ret)
{
	*ret = (double)stats_of(ud).queue.retries;
	return 0;
}

static int queue_latency(void *ud, struct ctl_histogram *ret)
{
	*ret = stats_of(ud).queue.latency;
	return 0;
}

static int queue_work(void *ud, struct ctl_histogram *ret)
{
	*ret = stats_of(ud).queue.duration;
	return 0;
}

static int leader(void *ud, double *ret)
{
	const struct ctl_observability *o = ud;
	*ret = o->le ? (ctl_leader_is_leader(o->le) ? 1 : 0) : 1;
	return 0;
}

static struct ctl_informer_stats informer_stats(const struct ctl_informer *inf)
{
	struct ctl_informer_stats s;
	ctl_informer_stats(inf, &s);
	return s;
}

static int informer_objects(void *ud, double *ret)
{
	*ret = (double)informer_stats(ud).objects;
	return 0;
}

static int watch_restarts(void *ud, double *ret)
{
	*ret = (double)informer_stats(ud).restarts;
	return 0;
}

static int watch_relists(void *ud, double *ret)
{
	*ret = (double)informer_stats(ud).relists;
	return 0;
}

/* A metric whose one series (no labels) is read by fn. */
static int bound(struct ctl_metrics *r, bool counter, const char *name, const char *help,
                 ctl_metric_value_fn fn, void *ud)
{
	struct ctl_metric *m;
	int rc = counter ? ctl_metrics_counter(r, name, help, NULL, &m)
	                 : ctl_metrics_gauge(r, name, help, NULL, &m);
	return rc < 0 ? rc : ctl_metric_bind(m, NULL, fn, ud);
}

static const char *const by_controller[] = {"controller", NULL};

enum family { COUNTER, GAUGE, HISTOGRAM };

/* A metric with one series per controller of mgr, {controller="name"}, each
 * read by fn (counter, gauge) or hfn (histogram) from that controller. */
static int per_controller(struct ctl_metrics *r, const struct ctl_manager *mgr, enum family type,
                          const char *name, const char *help, ctl_metric_value_fn fn,
                          ctl_metric_histogram_fn hfn)
{
	struct ctl_metric *m;
	int rc;
	if (type == COUNTER)
		rc = ctl_metrics_counter(r, name, help, by_controller, &m);
	else if (type == GAUGE)
		rc = ctl_metrics_gauge(r, name, help, by_controller, &m);
	else
		rc = ctl_metrics_histogram(r, name, help, by_controller, &m);
	for (size_t i = 0; rc == 0 && i < ctl_manager_len(mgr); i++) {
		struct ctl_runtime *rt = ctl_manager_at(mgr, i);
		const char *values[] = {ctl_runtime_name(rt), NULL};
		rc = hfn ? ctl_metric_bind_histogram(m, values, hfn, rt)
		         : ctl_metric_bind(m, values, fn, rt);
	}
	return rc;
}

/* The informer metrics, one series per shared informer, {resource="..."}. */
static int per_informer(struct ctl_metrics *r, const struct ctl_manager *mgr)
{
	static const char *const by_resource[] = {"resource", NULL};
	struct ctl_metric *objects = NULL, *restarts = NULL, *relists = NULL;
	int rc = ctl_metrics_gauge(r, "slipway_informer_objects",
	                           "Objects cached by each informer.", by_resource, &objects);
	if (rc == 0)
		rc = ctl_metrics_counter(r, "slipway_watch_restarts_total",
		                         "Watches resumed from a resourceVersion.", by_resource,
		                         &restarts);
	if (rc == 0)
		rc = ctl_metrics_counter(r, "slipway_watch_relists_total",
		                         "Full relists after the first list.", by_resource,
		                         &relists);
	const struct ctl_informers *f = ctl_manager_informers(mgr);
	for (size_t i = 0; rc == 0 && i < ctl_informers_len(f); i++) {
		struct ctl_informer *inf = ctl_informers_at(f, i);
		/* Two informers of one resource differ by selector: the series
		 * must differ too. */
		const char *sel = ctl_informer_label_selector(inf);
		char name[512];
		snprintf(name, sizeof(name), "%s%s%s", ctl_informer_resource(inf), sel ? ":" : "",
		         sel ? sel : "");
		const char *values[] = {name, NULL};
		rc = ctl_metric_bind(objects, values, informer_objects, inf);
		if (rc == 0)
			rc = ctl_metric_bind(restarts, values, watch_restarts, inf);
		if (rc == 0)
			rc = ctl_metric_bind(relists, values, watch_relists, inf);
	}
	return rc;
}

int ctl_observability_new(struct ctl_metrics *r, struct ctl_manager *mgr, struct ctl_leader *le,
                          struct ctl_observability **ret)
{
	struct ctl_observability *o = calloc(1, sizeof(*o));
	if (!o)
		return -ENOMEM;
	o->le = le;
	int rc = 0;
#define TRY(x)                                                                                     \
	do {                                                                                       \
		if (rc == 0)                                                                       \
			rc = (x);                                                                  \
	} while (0)
	TRY(per_controller(r, mgr, COUNTER, "slipway_reconcile_total",
	                   "Reconciles carried out, failed or not.", reconciles, NULL));
	TRY(per_controller(r, mgr, COUNTER, "slipway_reconcile_errors_total",
	                   "Reconciles whose reconciler or plan failed.", reconcile_errors, NULL));
	TRY(per_controller(r, mgr, COUNTER, "slipway_reconcile_conflicts_total",
	                   "Reconciles that failed on a stale object (409) and re-read it.",
	                   conflicts, NULL));
	TRY(per_controller(r, mgr, COUNTER, "slipway_event_write_failures_total",
	                   "Event writes that failed.", event_failures, NULL));
	TRY(per_controller(r, mgr, HISTOGRAM, "slipway_reconcile_duration_seconds",
	                   "Time from taking a key to its plan's end.", NULL, reconcile_duration));
	TRY(per_controller(r, mgr, GAUGE, "workqueue_depth", "Keys ready and waiting for a worker.",
	                   queue_depth, NULL));
	TRY(per_controller(r, mgr, COUNTER, "workqueue_adds_total", "Keys added to the work queue.",
	                   queue_adds, NULL));
	TRY(per_controller(r, mgr, COUNTER, "workqueue_retries_total",
	                   "Keys re-added with backoff after a failure.", queue_retries, NULL));
	TRY(per_controller(r, mgr, HISTOGRAM, "workqueue_queue_duration_seconds",
	                   "Time a key waited before a worker took it.", NULL, queue_latency));
	TRY(per_controller(r, mgr, HISTOGRAM, "workqueue_work_duration_seconds",
	                   "Time from taking a key to done.", NULL, queue_work));
	TRY(bound(r, false, "slipway_leader", "1 while this replica holds the leader Lease.",
	          leader, o));
	TRY(per_informer(r, mgr));

	static const char *const by_request[] = {"verb", "code", NULL};
	TRY(ctl_metrics_counter(r, "rest_client_requests_total",
	                        "API requests by verb and HTTP code (0: no answer).", by_request,
	                        &o->api_requests));
	static const char *const by_verb[] = {"verb", NULL};
	TRY(ctl_metrics_histogram(r, "rest_client_request_duration_seconds",
	                          "API request latency by verb.", by_verb, &o->api_latency));
	TRY(ctl_metrics_register_process(r));
#undef TRY
	if (rc < 0) {
		ctl_observability_free(o);
		return rc;
	}
	*ret = o;
	return 0;
}

struct ctl_observability *ctl_observability_free(struct ctl_observability *o)
{
	free(o);
	return NULL;
}

int ctl_observability_build_info(struct ctl_metrics *r, const char *version)
{
	static const char *const by_version[] = {"version", NULL};
	const char *values[] = {version, NULL};
	struct ctl_metric *m;
	int rc = ctl_metrics_gauge(r, "slipway_build_info",
	                           "Always 1; the version label is the running controller's.",
	                           by_version, &m);
	return rc < 0 ? rc : ctl_metric_set(m, values, 1);
}

void ctl_observe_api_request(const char *verb, long http_status, double seconds, void *userdata)
{
	struct ctl_observability *o = userdata;
	char code[16];
	snprintf(code, sizeof(code), "%ld", http_status);
	const char *request[] = {verb, code, NULL};
	const char *by_verb[] = {verb, NULL};
	ctl_metric_inc(o->api_requests, request);
	ctl_metric_observe(o->api_latency, by_verb, seconds);
}
