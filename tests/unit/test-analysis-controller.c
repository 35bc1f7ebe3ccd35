/*
 * The AnalysisRun controller against a fake API server (fake-apiserver.h)
 * and a fake Prometheus (a second one): a due Prometheus metric is queried
 * once, its result written in one status patch (phase, value, counts) with
 * the run's resourceVersion as precondition; a status write
 * refused with 409 is written again from the result kept in memory after
 * the run is read again, not measured again; and a broken condition ends
 * the run in Error with its column without any query.
 */
#include "controller-harness.h"
#include "tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller/analysis-controller.h"
#include "controller/manager.h"
#include "controller/runtime.h"

#define RUNS  "/apis/slipway.dev/v1alpha1/namespaces/a/analysisruns"
#define JOBS  "/apis/batch/v1/namespaces/a/jobs"
#define QUERY "/api/v1/query"
#define VECTOR                                                                                     \
	"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[{\"metric\":{},"  \
	"\"value\":[1700000000,\"0.01\"]}]}}"

static struct fa_server *prom;

/* A run of one Prometheus metric on the fake Prometheus. Caller frees. */
static char *run(const char *name, const char *condition)
{
	char *s = NULL;
	int n =
	    asprintf(&s,
	             "{\"apiVersion\":\"slipway.dev/v1alpha1\",\"kind\":\"AnalysisRun\","
	             "\"metadata\":{\"name\":\"%s\",\"namespace\":\"a\",\"uid\":\"uid-%s\","
	             "\"resourceVersion\":\"7\",\"generation\":1},\"spec\":{\"metrics\":[{"
	             "\"name\":\"error-rate\",\"successCondition\":\"%s\",\"provider\":{"
	             "\"prometheus\":{\"address\":\"http://127.0.0.1:%d\",\"query\":\"up\"}}}]}}",
	             name, name, condition, fa_port(prom));
	if (n < 0)
		ch_bail("out of memory");
	return s;
}

struct setup {
	struct kc_client *client;
	struct ctl_manager *mgr;
	struct ctl_analysis_controller *ac;
};

static void setup_start(struct setup *s, const char *items)
{
	ch_route_list(RUNS, items);
	ch_route_list(JOBS, "");
	fa_route(ch_srv, "POST", "/apis/events.k8s.io/v1/namespaces/a/events", 0, 201, "{}");
	struct kc_error err = {0};
	s->client = ch_client_new(0);
	static const char *const ns[] = {"a", NULL};
	struct ctl_manager_options mo = {.client = s->client, .namespaces = ns};
	if (ctl_manager_new(&mo, &s->mgr, &err) < 0)
		ch_bail("manager: %s", err.message);
	struct ctl_analysis_controller_options o = {.workers = 2, .client = s->client};
	if (ctl_analysis_controller_add(s->mgr, &o, &s->ac, &err) < 0)
		ch_bail("analysis controller: %s", err.message);
	ch_manager_lead(s->mgr);
}

static void setup_stop(struct setup *s)
{
	ch_stop(&s->mgr, &s->client);
	s->ac = ctl_analysis_controller_free(s->ac);
	prom = fa_free(prom);
}

struct count {
	struct fa_server *srv;
	const char *method, *prefix;
	int n;
};

static bool counted(void *arg)
{
	struct count *c = arg;
	return fa_count(c->srv, c->method, c->prefix) >= c->n;
}

/* The body of the last request with method and target prefix, or "". */
static void last_body(struct fa_server *srv, const char *method, const char *prefix,
                      struct fa_request *ret)
{
	struct fa_request r;
	memset(ret, 0, sizeof(*ret));
	for (int i = 0; fa_request(srv, i, &r) == 0; i++)
		if (strcmp(r.method, method) == 0 && strncmp(r.target, prefix, strlen(prefix)) == 0)
			*ret = r;
}

static void new_prometheus(void)
{
	if (fa_new(&prom) < 0)
		ch_bail("fake Prometheus");
	fa_route(prom, "GET", QUERY, 0, 200, VECTOR);
}

static void test_measured_once(void)
{
	struct setup s = {0};
	new_prometheus();
	char *r1 = run("r1", "result[0] < 0.05");
	fa_route(ch_srv, "PATCH", RUNS "/r1/status", 0, 200, "{}");
	setup_start(&s, r1);
	struct count patched = {ch_srv, "PATCH", RUNS "/r1/status", 2};
	ok(ch_run_until(counted, &patched, 5),
	   "the run's status is written: started, then measured");
	ch_run_for(0.5);
	is_int(fa_count(prom, "GET", QUERY), 1, "Prometheus was asked once");
	is_int(fa_count(ch_srv, "PATCH", RUNS "/r1/status"), 2, "and nothing written after");
	struct fa_request w;
	last_body(ch_srv, "PATCH", RUNS "/r1/status", &w);
	ok(strstr(w.body, "\"phase\":\"Successful\"") != NULL, "the run is Successful: %s", w.body);
	ok(strstr(w.body, "\"value\":\"0.01\"") != NULL, "the measurement has the value");
	ok(strstr(w.body, "\"successful\":1") != NULL, "and is counted");
	ok(strstr(w.body, "\"resourceVersion\":\"7\"") != NULL,
	   "with the run's resourceVersion as precondition");
	free(r1);
	setup_stop(&s);
}

static void test_conflict_not_measured_again(void)
{
	struct setup s = {0};
	new_prometheus();
	char *r2 = run("r2", "result[0] < 0.05");
	fa_route(ch_srv, "PATCH", RUNS "/r2/status", 1, 200, "{}"); /* started */
	fa_route(ch_srv, "PATCH", RUNS "/r2/status", 1, 409,
	         "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\","
	         "\"reason\":\"Conflict\",\"code\":409}");
	fa_route(ch_srv, "PATCH", RUNS "/r2/status", 0, 200, "{}");
	/* The re-read after the conflict: the run as it was (nothing written). */
	fa_route(ch_srv, "GET", RUNS "/r2", 0, 200, r2);
	setup_start(&s, r2);
	struct count patched = {ch_srv, "PATCH", RUNS "/r2/status", 3};
	ok(ch_run_until(counted, &patched, 5), "after a 409 the status is written again");
	ch_run_for(0.5);
	is_int(fa_count(ch_srv, "GET", RUNS "/r2"), 1, "the run was read again once");
	is_int(fa_count(ch_srv, "PATCH", RUNS "/r2/status"), 3, "and its status written once more");
	is_int(fa_count(prom, "GET", QUERY), 1, "Prometheus was still asked only once");
	struct fa_request w;
	last_body(ch_srv, "PATCH", RUNS "/r2/status", &w);
	ok(strstr(w.body, "\"phase\":\"Successful\"") != NULL, "from the kept result: %s", w.body);
	free(r2);
	setup_stop(&s);
}

static void test_broken_condition(void)
{
	struct setup s = {0};
	new_prometheus();
	char *r3 = run("r3", "result[0] < (0.05");
	fa_route(ch_srv, "PATCH", RUNS "/r3/status", 0, 200, "{}");
	setup_start(&s, r3);
	struct count patched = {ch_srv, "PATCH", RUNS "/r3/status", 1};
	ok(ch_run_until(counted, &patched, 5), "a run with a broken condition gets a status");
	ch_run_for(0.3);
	struct fa_request w;
	last_body(ch_srv, "PATCH", RUNS "/r3/status", &w);
	ok(strstr(w.body, "\"phase\":\"Error\"") != NULL, "Error: %s", w.body);
	ok(strstr(w.body, "metric error-rate: successCondition: column 18: expected ')'") != NULL,
	   "naming the metric, the field and the column");
	is_int(fa_count(prom, "GET", QUERY), 0, "nothing was measured");
	free(r3);
	setup_stop(&s);
}

int main(void)
{
	ch_begin();
	test_measured_once();
	test_conflict_not_measured_again();
	test_broken_condition();
	ch_end();
	return tap_done();
}
