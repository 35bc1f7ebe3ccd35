/*
 * A leader whose credential comes from a slow exec plugin (issue 20): the
 * plugin answers at once the first time, with a token valid for 12 s, and
 * takes 20 s on every later run. The elector renews every 0.5 s against
 * tests/unit/fake-apiserver. What must hold:
 *  - the loop never freezes while the plugin runs (a timer keeps ticking);
 *  - the background refresh starts 10 s before the token expires and,
 *    while it runs, renewals go on with the cached token;
 *  - once the token has really expired with the plugin still running, the
 *    renewals wait for it, the elector steps down at its renew deadline, and
 *    writes nothing after that, nor after its lease could have lapsed;
 *  - when the plugin answers, the waiting requests resume and it leads again.
 */
#include "tap.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "controller/leader.h"
#include "exec-plugin.h"
#include "fake-apiserver.h"
#include "kubeclient/client.h"
#include "kubeclient/config-internal.h"
#include "kubeclient/config.h"

#define LEASE_PATH     "/apis/coordination.k8s.io/v1/namespaces/ns/leases/slipway"
#define LEASE_DURATION 3.0
#define RENEW_DEADLINE 2.0
#define RETRY_PERIOD   0.5
#define TOKEN_SECONDS  12
#define SLOW_SECONDS   20
#define TICK           0.05

static struct ev_loop *loop;
static struct fa_server *srv;
static const char plugin[] =
    "#!/bin/sh\n"
    "d=$(dirname \"$0\")\n"
    "n=$(( $(cat \"$d/count\" 2>/dev/null || echo 0) + 1 ))\n"
    "echo \"$n\" >\"$d/count\"\n"
    "if [ \"$n\" -gt 1 ]; then sleep $SLOW; fi\n"
    "exp=$(date -u -d \"@$(( $(date +%s) + $VALID ))\" +%Y-%m-%dT%H:%M:%SZ)\n"
    "printf '{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\","
    "\"status\":{\"token\":\"tok-%s\",\"expirationTimestamp\":\"%s\"}}\\n' \"$n\" \"$exp\"\n";

static struct kc_config *exec_config(void)
{
	char server[64], fields[128];
	snprintf(server, sizeof(server), "http://127.0.0.1:%d", fa_port(srv));
	snprintf(fields, sizeof(fields),
	         ", env: [{name: SLOW, value: '%d'}, {name: VALID, value: '%d'}]", SLOW_SECONDS,
	         TOKEN_SECONDS);
	return ep_config(plugin, server, fields, (SLOW_SECONDS + 10) * 1000);
}

/* What the test saw, on the monotonic clock, from the start. */
struct seen {
	double t0;
	double last_tick, max_gap;
	int puts;                    /* PUTs of the Lease the server has seen */
	double last_put_before_stop; /* when that count last grew before the stop */
	double started[4];           /* each start of leading */
	int n_started;
	double stopped; /* the first stop, 0 until then */
	int puts_at_stop;
	int puts_before_expiry; /* PUTs up to 1 s before the first token's expiry */
	double expiry;          /* the first token's expiry, 0 until known */
	int runs_at_expiry;
	double done_at;    /* the slow run ended (a second token arrived) */
	int puts_at_token; /* PUTs the server had seen then */
};

static struct seen seen;
static struct kc_config *cfg;

/* The test waits for the slow run too: woken in the same callback as the
 * elector's parked requests, before any of them can send a thing. */
static struct kc__cred_waiter token_wait;

static void token_arrived(void *userdata)
{
	seen.done_at = ep_mono() - seen.t0;
	seen.puts_at_token = fa_count(srv, "PUT", LEASE_PATH);
}

static void on_tick(struct ev_loop *l, ev_timer *t, int revents)
{
	double now = ep_mono() - seen.t0;
	if (now - seen.last_tick > seen.max_gap)
		seen.max_gap = now - seen.last_tick;
	seen.last_tick = now;
	int puts = fa_count(srv, "PUT", LEASE_PATH);
	if (puts > seen.puts) {
		seen.puts = puts;
		if (seen.stopped == 0)
			seen.last_put_before_stop = now;
	}
	if (cfg->cached_valid && cfg->cached.expires && seen.expiry == 0)
		seen.expiry = now + (double)(cfg->cached.expires - time(NULL));
	if (seen.expiry > 0 && now > seen.expiry + 1 && !token_wait.ready) {
		const struct kc_credential *cred;
		unsigned long gen;
		token_wait.ready = token_arrived;
		kc__credential_get(cfg, l, time(NULL), &token_wait, &cred, &gen, NULL);
	}
	if (seen.expiry > 0 && now < seen.expiry - 1 && now > seen.expiry - 8)
		seen.puts_before_expiry = puts;
	if (seen.expiry > 0 && seen.runs_at_expiry == 0 && now >= seen.expiry)
		seen.runs_at_expiry = ep_read_int("count");
	if (now > SLOW_SECONDS + 6)
		ev_break(l, EVBREAK_ALL);
}

static void started(struct ctl_leader *le, void *userdata)
{
	if (seen.n_started < 4)
		seen.started[seen.n_started++] = ep_mono() - seen.t0;
}

static void stopped(struct ctl_leader *le, void *userdata)
{
	if (seen.stopped == 0) {
		seen.stopped = ep_mono() - seen.t0;
		seen.puts_at_stop = fa_count(srv, "PUT", LEASE_PATH);
	}
}

static void on_error(struct ctl_leader *le, const char *what, const struct kc_error *err,
                     void *userdata)
{
	tap_diag("%.2f %s: %s", ep_mono() - seen.t0, what, err->message);
}

static void test_slow_refresh(void)
{
	struct kc_error err = {0};
	cfg = exec_config();
	if (!cfg) {
		ok(false, "config");
		return;
	}
	fa_route(
	    srv, "GET", LEASE_PATH, 0, 200,
	    "{\"apiVersion\":\"coordination.k8s.io/v1\",\"kind\":\"Lease\","
	    "\"metadata\":{\"name\":\"slipway\",\"namespace\":\"ns\",\"resourceVersion\":\"1\"},"
	    "\"spec\":{\"holderIdentity\":\"me\",\"leaseDurationSeconds\":3}}");
	fa_route(
	    srv, "PUT", LEASE_PATH, 0, 200,
	    "{\"apiVersion\":\"coordination.k8s.io/v1\",\"kind\":\"Lease\","
	    "\"metadata\":{\"name\":\"slipway\",\"namespace\":\"ns\",\"resourceVersion\":\"2\"},"
	    "\"spec\":{\"holderIdentity\":\"me\",\"leaseDurationSeconds\":3}}");
	struct kc_client *c = NULL;
	struct ctl_leader *le = NULL;
	if (kc_client_new(loop, cfg, NULL, &c, &err) < 0 ||
	    ctl_leader_new(c,
	                   &(struct ctl_leader_options){.ns = "ns",
	                                                .name = "slipway",
	                                                .identity = "me",
	                                                .lease_duration = LEASE_DURATION,
	                                                .renew_deadline = RENEW_DEADLINE,
	                                                .retry_period = RETRY_PERIOD,
	                                                .no_watch = true,
	                                                .on_started_leading = started,
	                                                .on_stopped_leading = stopped,
	                                                .on_error = on_error},
	                   &le, &err) < 0) {
		ok(false, "client and elector: %s", err.message);
		goto out;
	}
	ev_timer tick;
	ev_timer_init(&tick, on_tick, TICK, TICK);
	ev_timer_start(loop, &tick);
	seen.t0 = ep_mono();
	ctl_leader_start(le);
	ev_run(loop, 0);
	ev_timer_stop(loop, &tick);

	tap_diag("state %s, requests %d", ctl_leader_state_name(ctl_leader_state(le)),
	         fa_count(srv, NULL, NULL));
	tap_diag("GETs %d, PUTs at the stop %d, at the new token %d", fa_count(srv, "GET", NULL),
	         seen.puts_at_stop, seen.puts_at_token);
	tap_diag("expiry %.1f, stopped %.1f, slow run done %.1f, max gap %.2f, %d PUTs",
	         seen.expiry, seen.stopped, seen.done_at, seen.max_gap, seen.puts);
	ok(seen.max_gap < 1.5, "the loop never froze while the plugin ran (longest gap %.2f s)",
	   seen.max_gap);
	ok(seen.n_started >= 1 && seen.started[0] < 2, "leading at once with the first token");
	ok(seen.expiry > TOKEN_SECONDS - 2 && seen.expiry <= TOKEN_SECONDS + 1,
	   "the first token expires about %d s in (%.1f)", TOKEN_SECONDS, seen.expiry);
	is_int(seen.runs_at_expiry, 2, "the refresh started before the token expired");
	/* From 8 s to 1 s before the expiry: 7 s of renewals at 0.5 s. */
	ok(seen.puts_before_expiry >= 10,
	   "renewals went on with the cached token while the plugin ran (%d PUTs)",
	   seen.puts_before_expiry);
	ok(seen.stopped > seen.expiry - 1 && seen.stopped < seen.expiry + RENEW_DEADLINE + 1.5,
	   "stopped leading within its renew deadline of the expiry (%.1f)", seen.stopped);
	ok(seen.stopped > 0 && seen.stopped - seen.last_put_before_stop <= LEASE_DURATION,
	   "stepped down before its lease could lapse (last write %.2f)",
	   seen.last_put_before_stop);
	is_int(seen.puts_at_token, seen.puts_at_stop,
	       "no write after stepping down, until the new token came");
	ok(seen.done_at > SLOW_SECONDS - 1, "the slow run ended (%.1f)", seen.done_at);
	ok(seen.n_started >= 2 && seen.started[1] >= seen.done_at &&
	       seen.started[1] < seen.done_at + 3,
	   "the waiting requests resumed with the new token: leading again (%.1f)",
	   seen.n_started >= 2 ? seen.started[1] : -1.0);
out:
	kc__credential_unwait(cfg, &token_wait);
	kc_error_clear(&token_wait.err);
	le = ctl_leader_free(le);
	c = kc_client_free(c);
	cfg = kc_config_free(cfg);
	kc_error_clear(&err);
}

int main(void)
{
	if (ep_dir_make("slipway-leader-exec") < 0)
		return tap_done();
	loop = ev_default_loop(0);
	/* The fake server's threads give up on a poll() that a signal
	 * interrupts: they are started with SIGCHLD blocked, so the plugin's
	 * exits are signalled to this thread (libev's) only. */
	sigset_t chld;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	pthread_sigmask(SIG_BLOCK, &chld, NULL);
	int r = fa_new(&srv);
	pthread_sigmask(SIG_UNBLOCK, &chld, NULL);
	if (r < 0) {
		ok(false, "fake API server");
		return tap_done();
	}
	test_slow_refresh();
	fa_free(srv);
	ep_dir_remove();
	return tap_done();
}
