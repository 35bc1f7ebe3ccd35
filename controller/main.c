/*
 * slipway-controller: the long-running release controller.
 *
 * Wiring only: options and logging, the cluster connection, the manager
 * (controller/manager.h) with its controllers (today the Release
 * controller, controller/release-controller.h), leader election,
 * Events housekeeping, /metrics /healthz /readyz, and the shutdown sequence:
 * on SIGTERM or SIGINT the leader takes no new work, lets reconciles in
 * flight finish (up to DRAIN_SECONDS), releases its Lease so a standby takes
 * over at once, and exits 0.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <ev.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "controller/analysis-controller.h"
#include "controller/clock.h"
#include "controller/event-sender.h"
#include "controller/events.h"
#include "controller/httpserver.h"
#include "controller/leader.h"
#include "controller/log.h"
#include "controller/manager.h"
#include "controller/metrics.h"
#include "controller/observability.h"
#include "controller/options.h"
#include "controller/release-controller.h"
#include "kubeclient/client.h"
#include "kubeclient/config.h"
#include "slipway-version.h"

#define DRAIN_SECONDS       5.0
#define EVENTS_TICK_SECONDS 30.0
#define FIELD_MANAGER       "slipway-controller"

struct app {
	struct ev_loop *loop;
	struct ctl_options opts;
	char identity[256];
	char **namespaces;
	struct kc_config *config;
	struct kc_client *client;
	struct kc_client *leader_client; /* renewals never queue behind reconcile traffic */
	struct ctl_events *events;
	unsigned long event_failures;
	struct ctl_manager *manager;
	struct ctl_analysis_controller *analysis;
	struct ctl_leader *leader;
	struct ctl_metrics *metrics;
	struct ctl_observability *observability;
	struct ctl_httpserver *http;
	ev_timer events_tick;
	ev_timer synced_check; /* until the caches first sync */
	ev_timer drain;
	double drain_deadline;
	ev_signal sigterm, sigint;
	bool stopping;
	int exit_code;
};

static void api_request(const char *verb, long status, double seconds, void *userdata)
{
	struct app *app = userdata;
	if (app->observability)
		ctl_observe_api_request(verb, status, seconds, app->observability);
}

/* A failed attempt is retried inside the client; without this line a list
 * that took a minute to come back would say nothing of why. */
static void api_retry(const char *verb, const char *path, long status, const char *error,
                      double delay, void *userdata)
{
	char code[24], after[32];
	snprintf(code, sizeof(code), "%ld", status);
	snprintf(after, sizeof(after), "%.3fs", delay);
	ctl_log(NULL, CTL_LOG_INFO, "API request failed, retrying", "verb", verb, "path", path,
	        "code", code, "error", error ? error : "", "retry_in", after, NULL);
}

/* Says once which API server version answered, or why none did (the
 * informers keep retrying on their own either way). */
static void version_answered(long status, json_t *body, const struct kc_error *err, void *userdata)
{
	struct app *app = userdata;
	if (err) {
		ctl_log(NULL, CTL_LOG_WARN, "API server not reachable yet", "server",
		        app->config->server, "error", err->message, NULL);
		return;
	}
	const char *version = json_string_value(json_object_get(body, "gitVersion"));
	ctl_log(NULL, CTL_LOG_INFO, "connected to the API server", "server", app->config->server,
	        "server_version", version ? version : "unknown", NULL);
}

/* The write gate: a leader that lost or cannot renew its Lease sends
 * nothing more (controller/leader.h, THE GUARANTEE). */
static bool leading(void *userdata)
{
	struct app *app = userdata;
	return !app->leader || ctl_leader_is_leader(app->leader);
}

static bool ready(void *userdata, char *reason, size_t size)
{
	struct app *app = userdata;
	if (ctl_manager_synced(app->manager))
		return true;
	snprintf(reason, size, "caches not synced yet");
	return false;
}

static void started_leading(struct ctl_leader *le, void *userdata)
{
	struct app *app = userdata;
	ctl_log(NULL, CTL_LOG_INFO, "leading: reconciling Releases", "identity", app->identity,
	        NULL);
	if (ctl_manager_start_leading(app->manager) < 0)
		ctl_log(NULL, CTL_LOG_ERROR, "cannot start reconciling: out of memory", NULL);
}

static void stopped_leading(struct ctl_leader *le, void *userdata)
{
	struct app *app = userdata;
	ctl_manager_stop_leading(app->manager);
	ctl_log(NULL, app->stopping ? CTL_LOG_INFO : CTL_LOG_WARN,
	        "stopped leading: no more writes", "identity", app->identity, NULL);
}

static void new_leader(struct ctl_leader *le, const char *holder, void *userdata)
{
	ctl_log(NULL, CTL_LOG_INFO, "leader observed", "holder", *holder ? holder : "(none)", NULL);
}

static void leader_error(struct ctl_leader *le, const char *what, const struct kc_error *err,
                         void *userdata)
{
	ctl_log(NULL, CTL_LOG_WARN, "leader election", "step", what, "error", err->message, NULL);
}

static void emit_series(const struct ctl_event_write *w, void *userdata)
{
	struct app *app = userdata;
	ctl_event_send(app->client, FIELD_MANAGER, w, &app->event_failures);
}

static void events_tick_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct app *app = t->data;
	if (leading(app))
		ctl_events_tick(app->events, ctl_wall_now(), emit_series, app);
}

/* What the first lists freed stays in glibc's arenas; handing the free
 * pages back once, when the caches have synced, costs one call (~1.3 MiB at
 * 10,000 Releases since lists are parsed item by item; ~180 MiB before,
 * tests/bench/results). */
static void synced_check_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct app *app = t->data;
	if (!ctl_manager_synced(app->manager))
		return;
	ev_timer_stop(loop, t);
#ifdef __GLIBC__
	malloc_trim(0);
#endif
}

static void released(struct ctl_leader *le, int result, void *userdata)
{
	struct app *app = userdata;
	if (result < 0)
		ctl_log(NULL, CTL_LOG_WARN,
		        "could not release the Lease; a standby takes over when it expires",
		        "error", strerror(-result), NULL);
	ev_break(app->loop, EVBREAK_ALL);
}

/* Reconciles in flight have finished (or DRAIN_SECONDS passed): stop
 * writing and hand the Lease over. */
static void finish_stop(struct app *app)
{
	ev_timer_stop(app->loop, &app->drain);
	ctl_manager_stop_leading(app->manager);
	if (!app->leader || ctl_leader_release(app->leader, released, app) < 0)
		ev_break(app->loop, EVBREAK_ALL);
}

static void drain_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct app *app = t->data;
	if (ctl_manager_in_flight(app->manager) == 0 || ev_now(loop) >= app->drain_deadline)
		finish_stop(app);
}

static void stop_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct app *app = w->data;
	if (app->stopping) {
		ctl_log(NULL, CTL_LOG_WARN, "second signal: exiting now", NULL);
		ev_break(loop, EVBREAK_ALL);
		return;
	}
	app->stopping = true;
	ctl_log(NULL, CTL_LOG_INFO, "stopping", "signal",
	        w->signum == SIGTERM ? "SIGTERM" : "SIGINT", "in_flight",
	        ctl_manager_in_flight(app->manager) ? "yes" : "no", NULL);
	ctl_manager_drain(app->manager);
	app->drain_deadline = ev_now(loop) + DRAIN_SECONDS;
	ev_timer_init(&app->drain, drain_cb, 0, 0.05);
	app->drain.data = app;
	ev_timer_again(loop, &app->drain);
	drain_cb(loop, &app->drain, 0);
}

static int setup_cluster(struct app *app, struct kc_error *err)
{
	struct kc_load_options load = {.kubeconfig = app->opts.kubeconfig,
	                               .context = app->opts.context};
	int r = kc_config_auto(&load, &app->config, err);
	if (r < 0)
		return r;
	struct kc_client_options co = {
	    .qps = app->opts.qps,
	    .burst = app->opts.burst,
	    .metrics = api_request,
	    .metrics_userdata = app,
	    .on_retry = api_retry,
	};
	r = kc_client_new(app->loop, app->config, &co, &app->client, err);
	if (r < 0)
		return r;
	if (!app->opts.leader_elect)
		return 0;
	struct kc_client_options lo = {
	    .metrics = api_request, .metrics_userdata = app, .on_retry = api_retry};
	return kc_client_new(app->loop, app->config, &lo, &app->leader_client, err);
}

static int setup_manager(struct app *app, struct kc_error *err)
{
	struct ctl_events_config ec;
	ctl_events_config_default(&ec);
	ec.reporting_instance = app->identity;
	app->events = ctl_events_new(&ec);
	if (!app->events)
		return kc_error_set(err, -ENOMEM, "cannot set up Events");

	struct ctl_manager_options mo = {
	    .client = app->client,
	    .namespaces = (const char *const *)app->namespaces,
	    .events = app->events,
	    .field_manager = FIELD_MANAGER,
	    .may_write = leading,
	    .may_write_userdata = app,
	};
	int r = ctl_manager_new(&mo, &app->manager, err);
	if (r < 0)
		return r;
	struct ctl_release_controller_options release = {.workers = app->opts.workers};
	r = ctl_release_controller_add(app->manager, &release, NULL, err);
	if (r < 0)
		return r;
	/* The registry is made here, before the controllers that register
	 * their own metrics in it; setup_http adds the rest. */
	app->metrics = ctl_metrics_new();
	if (!app->metrics)
		return kc_error_set(err, -ENOMEM, "cannot set up metrics");
	struct ctl_analysis_controller_options analysis = {
	    .workers = app->opts.workers, .client = app->client, .metrics = app->metrics};
	return ctl_analysis_controller_add(app->manager, &analysis, &app->analysis, err);
}

static int setup_leader(struct app *app, struct kc_error *err)
{
	const char *ns = app->opts.leader_election_namespace ? app->opts.leader_election_namespace
	                                                     : app->config->namespace;
	struct ctl_leader_options lo = {
	    .ns = ns,
	    .name = app->opts.leader_election_id,
	    .identity = app->identity,
	    .version = SLIPWAY_VERSION,
	    .lease_duration = app->opts.lease_duration,
	    .renew_deadline = app->opts.renew_deadline,
	    .retry_period = app->opts.retry_period,
	    .on_started_leading = started_leading,
	    .on_stopped_leading = stopped_leading,
	    .on_new_leader = new_leader,
	    .on_error = leader_error,
	    .userdata = app,
	};
	return ctl_leader_new(app->leader_client, &lo, &app->leader, err);
}

static int setup_http(struct app *app, struct kc_error *err)
{
	const char *addr = app->opts.metrics_address;
	int r = ctl_observability_new(app->metrics, app->manager, app->leader, &app->observability);
	if (r == 0)
		r = ctl_observability_build_info(app->metrics, SLIPWAY_VERSION);
	if (r < 0)
		return kc_error_set(err, r, "cannot register metrics: %s", strerror(-r));
	if (!addr || !*addr || strcmp(addr, "0") == 0)
		return 0;
	struct ctl_httpserver_config hc = {
	    .address = addr,
	    .metrics = app->metrics,
	    .ready = ready,
	    .ready_userdata = app,
	};
	r = ctl_httpserver_start(app->loop, &hc, &app->http);
	if (r < 0)
		return kc_error_set(err, r, "--metrics-address %s: %s", addr, strerror(-r));
	char port[16];
	snprintf(port, sizeof(port), "%u", ctl_httpserver_port(app->http));
	ctl_log(NULL, CTL_LOG_INFO, "serving /metrics /healthz /readyz", "address", addr, "port",
	        port, NULL);
	return 0;
}

static int run(struct app *app)
{
	struct kc_error err = {0};
	int r;
	if (app->opts.namespaces &&
	    ctl_options_split_list(app->opts.namespaces, &app->namespaces) < 0) {
		ctl_log(NULL, CTL_LOG_ERROR, "--namespaces: an empty name in the list", "value",
		        app->opts.namespaces, NULL);
		return 2;
	}
	r = setup_cluster(app, &err);
	if (r == 0)
		r = setup_manager(app, &err);
	if (r == 0 && app->opts.leader_elect)
		r = setup_leader(app, &err);
	if (r == 0)
		r = setup_http(app, &err);
	if (r < 0) {
		ctl_log(NULL, CTL_LOG_ERROR, "cannot start", "error", err.message, NULL);
		kc_error_clear(&err);
		return 1;
	}
	ctl_log(NULL, CTL_LOG_INFO, "cluster", "server", app->config->server, "context",
	        app->config->context, "namespaces",
	        app->opts.namespaces ? app->opts.namespaces : "(all)", NULL);

	ev_signal_init(&app->sigterm, stop_cb, SIGTERM);
	ev_signal_init(&app->sigint, stop_cb, SIGINT);
	app->sigterm.data = app->sigint.data = app;
	ev_signal_start(app->loop, &app->sigterm);
	ev_signal_start(app->loop, &app->sigint);
	ev_timer_init(&app->events_tick, events_tick_cb, EVENTS_TICK_SECONDS, EVENTS_TICK_SECONDS);
	app->events_tick.data = app;
	ev_timer_start(app->loop, &app->events_tick);
	ev_timer_init(&app->synced_check, synced_check_cb, 0.1, 0.1);
	app->synced_check.data = app;
	ev_timer_start(app->loop, &app->synced_check);

	struct kc_request_options version = {
	    .method = KC_GET, .path = "/version", .on_done = version_answered, .userdata = app};
	kc_request_start(app->client, &version, NULL, NULL);
	if (ctl_manager_start(app->manager) < 0)
		return 1;
	if (app->leader)
		ctl_leader_start(app->leader);
	else
		started_leading(NULL, app);
	ev_run(app->loop, 0);
	return 0;
}

static void teardown(struct app *app)
{
	app->http = ctl_httpserver_free(app->http);
	app->leader = ctl_leader_free(app->leader);
	app->manager = ctl_manager_free(app->manager);
	app->analysis = ctl_analysis_controller_free(app->analysis);
	app->observability = ctl_observability_free(app->observability);
	app->metrics = ctl_metrics_free(app->metrics);
	app->events = ctl_events_free(app->events);
	app->leader_client = kc_client_free(app->leader_client);
	app->client = kc_client_free(app->client);
	app->config = kc_config_free(app->config);
	ctl_options_free_list(app->namespaces);
	app->namespaces = NULL;
}

int main(int argc, char **argv)
{
	struct app app = {.loop = EV_DEFAULT};
	if (ctl_options_parse(argc, argv, &app.opts, stderr) < 0)
		return 2;
	if (app.opts.help) {
		ctl_options_usage(stdout);
		return 0;
	}
	if (app.opts.version) {
		printf("slipway-controller %s\n", SLIPWAY_VERSION);
		return 0;
	}
	struct ctl_log *log = ctl_log_new(stderr, app.opts.log_format, app.opts.log_level);
	if (!log)
		return 1;
	ctl_log_set_default(log);

	if (app.opts.identity) {
		snprintf(app.identity, sizeof(app.identity), "%s", app.opts.identity);
	} else {
		char host[200] = "localhost";
		gethostname(host, sizeof(host) - 1);
		snprintf(app.identity, sizeof(app.identity), "%s_%ld", host, (long)getpid());
	}
	ctl_log(NULL, CTL_LOG_INFO, "starting", "version", SLIPWAY_VERSION, "identity",
	        app.identity, NULL);

	int rc = run(&app);
	teardown(&app);
	ctl_log(NULL, CTL_LOG_INFO, "stopped", NULL);
	ctl_log_set_default(NULL);
	ctl_log_free(log);
	return rc;
}
