/*
 * slipway-controller: the long-running release controller.
 *
 * Today: resolves the cluster like kubectl does, checks the API server
 * answers (retrying with backoff until it does), and runs until SIGTERM or
 * SIGINT, exiting 0. The informers, work queue and reconcilers plug into
 * this loop as they land.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <ev.h>

#include "controller/log.h"
#include "controller/options.h"
#include "kubeclient/backoff.h"
#include "kubeclient/client.h"
#include "kubeclient/config.h"
#include "slipway-version.h"

struct controller {
	struct ev_loop *loop;
	struct kc_client *client;
	struct kc_config *config;
	ev_timer probe_retry;
	unsigned probe_failures;
	ev_signal sigterm;
	ev_signal sigint;
};

static void probe_start(struct controller *c);

static void probe_done(long status, json_t *body, const struct kc_error *err, void *userdata)
{
	struct controller *c = userdata;
	if (err) {
		static const struct kc_backoff retry = {.initial = 1, .max = 30, .factor = 2, .jitter = 0.2};
		c->probe_failures++;
		double delay = kc_backoff_delay(&retry, c->probe_failures, drand48());
		char delay_s[32];
		snprintf(delay_s, sizeof(delay_s), "%.1fs", delay);
		ctl_log(NULL, CTL_LOG_WARN, "API server not reachable", "server", c->config->server, "error",
			err->message, "retry_in", delay_s, NULL);
		ev_timer_set(&c->probe_retry, delay, 0);
		ev_timer_start(c->loop, &c->probe_retry);
		return;
	}
	c->probe_failures = 0;
	const char *version = json_string_value(json_object_get(body, "gitVersion"));
	ctl_log(NULL, CTL_LOG_INFO, "connected to the API server", "server", c->config->server, "context",
		c->config->context, "server_version", version ? version : "unknown", NULL);
}

static void probe_retry_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	probe_start(w->data);
}

static void probe_start(struct controller *c)
{
	struct kc_error err = {0};
	struct kc_request_options req = {
		.method = KC_GET, .path = "/version", .on_done = probe_done, .userdata = c};
	if (kc_request_start(c->client, &req, NULL, &err) < 0) {
		ctl_log(NULL, CTL_LOG_ERROR, "cannot start a request", "error", err.message, NULL);
		kc_error_clear(&err);
		ev_break(c->loop, EVBREAK_ALL);
	}
}

static void stop_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	ctl_log(NULL, CTL_LOG_INFO, "stopping", "signal", w->signum == SIGTERM ? "SIGTERM" : "SIGINT", NULL);
	ev_break(loop, EVBREAK_ALL);
}

int main(int argc, char **argv)
{
	struct ctl_options opts;
	if (ctl_options_parse(argc, argv, &opts, stderr) < 0)
		return 2;
	if (opts.help) {
		ctl_options_usage(stdout);
		return 0;
	}
	if (opts.version) {
		printf("slipway-controller %s\n", SLIPWAY_VERSION);
		return 0;
	}

	struct ctl_log *log = ctl_log_new(stderr, opts.log_format, opts.log_level);
	if (!log)
		return 1;
	ctl_log_set_default(log);
	ctl_log(NULL, CTL_LOG_INFO, "starting", "version", SLIPWAY_VERSION, NULL);

	int rc = 1;
	struct controller c = {.loop = EV_DEFAULT};
	struct kc_error err = {0};
	struct kc_load_options load = {.kubeconfig = opts.kubeconfig, .context = opts.context};
	if (kc_config_auto(&load, &c.config, &err) < 0) {
		ctl_log(NULL, CTL_LOG_ERROR, "no cluster configuration", "error", err.message, NULL);
		goto out;
	}
	if (kc_client_new(c.loop, c.config, NULL, &c.client, &err) < 0) {
		ctl_log(NULL, CTL_LOG_ERROR, "cannot create the API client", "error", err.message, NULL);
		goto out;
	}

	ev_timer_init(&c.probe_retry, probe_retry_cb, 0, 0);
	c.probe_retry.data = &c;
	ev_signal_init(&c.sigterm, stop_cb, SIGTERM);
	ev_signal_init(&c.sigint, stop_cb, SIGINT);
	ev_signal_start(c.loop, &c.sigterm);
	ev_signal_start(c.loop, &c.sigint);
	srand48(getpid());

	probe_start(&c);
	ev_run(c.loop, 0);
	rc = 0;

out:
	kc_error_clear(&err);
	c.client = kc_client_free(c.client);
	c.config = kc_config_free(c.config);
	ctl_log(NULL, CTL_LOG_INFO, "stopped", NULL);
	ctl_log_set_default(NULL);
	ctl_log_free(log);
	return rc;
}
