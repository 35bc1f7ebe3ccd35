/*
 * Exec credential plugins on the loop (kubeclient/exec-credential.h) and the
 * credential cache that runs them for requests (kc__credential_get in
 * kubeclient/config-internal.h). The plugins are shell scripts written into a
 * temporary directory (tests/unit/exec-plugin.h). Runs go on libev's default loop (the exit seen
 * with an ev_child) and on a private loop (a pidfd, or polling where there is none).
 */
#include "tap.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exec-plugin.h"
#include "kubeclient/config-internal.h"
#include "kubeclient/config.h"
#include "kubeclient/exec-credential.h"

static bool contains(const char *s, const char *needle)
{
	return s && strstr(s, needle);
}

/* The plugin: counts its runs in ./count, writes its pid to ./pid, and then
 * as $MODE says: ok (a token t-N, expiring at $EXPIRY if set), slow (sleeps
 * $SLOW s on runs after the first), group (leaves a child that sleeps, its
 * pid in ./child, then sleeps), big (2 MB of output), fail (exit 3). */
static const char plugin[] =
    "#!/bin/sh\n"
    "d=$(dirname \"$0\")\n"
    "n=$(( $(cat \"$d/count\" 2>/dev/null || echo 0) + 1 ))\n"
    "echo \"$n\" >\"$d/count\"\n"
    "echo $$ >\"$d/pid\"\n"
    "case \"$MODE\" in\n"
    "slow) if [ \"$n\" -gt 1 ]; then sleep \"$SLOW\"; fi ;;\n"
    "group) sleep 60 & echo $! >\"$d/child\"; sleep 60 ;;\n"
    "big) head -c 2000000 /dev/zero; exit 0 ;;\n"
    "fail) echo 'error: token expired' >&2; echo 'run login' >&2; exit 3 ;;\n"
    "esac\n"
    "exp=\"\"\n"
    "if [ -n \"$EXPIRY\" ]; then exp=\",\\\"expirationTimestamp\\\":\\\"$EXPIRY\\\"\"; fi\n"
    "printf '{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\","
    "\"status\":{\"token\":\"t-%s\"%s}}\\n' \"$n\" \"$exp\"\n";

/* A config running the plugin with MODE=mode (and the extra env entries). */
static struct kc_config *config(const char *mode, const char *env_extra, unsigned timeout_ms)
{
	char fields[512];
	snprintf(fields, sizeof(fields),
	         ", installHint: 'see the docs', env: [{name: MODE, value: '%s'}%s]", mode,
	         env_extra ? env_extra : "");
	return ep_config(plugin, "https://api.test:6443", fields, timeout_ms);
}

/* ---- kc__exec_start ---- */

struct outcome {
	bool done;
	int result;
	char token[64];
	char message[512];
	double at;
};

static void on_done(int result, struct kc_credential *cred, const struct kc_error *err,
                    void *userdata)
{
	struct outcome *o = userdata;
	o->done = true;
	o->result = result;
	o->at = ep_mono();
	if (result == 0) {
		snprintf(o->token, sizeof(o->token), "%s", cred->token ? cred->token : "");
		kc__credential_clear(cred);
	} else {
		snprintf(o->message, sizeof(o->message), "%s", err->message);
	}
}

static int ticks;
static void on_tick(struct ev_loop *loop, ev_timer *w, int revents)
{
	ticks++;
}

static void give_up(struct ev_loop *loop, ev_timer *w, int revents)
{
	ev_break(loop, EVBREAK_ALL);
}

/* Runs loop until o is done or `max` seconds pass, a 50 ms ticker counting. */
static void run_until_done(struct ev_loop *loop, struct outcome *o, double max)
{
	ev_timer tick, limit;
	ev_timer_init(&tick, on_tick, 0.05, 0.05);
	ev_timer_init(&limit, give_up, max, 0);
	ev_timer_start(loop, &tick);
	ev_timer_start(loop, &limit);
	ticks = 0;
	while (!o->done && ev_is_active(&limit))
		ev_run(loop, EVRUN_ONCE);
	ev_timer_stop(loop, &tick);
	ev_timer_stop(loop, &limit);
}

/* Whether process pid is gone (or a zombie nobody reaps, which is as dead),
 * waiting up to a second for it to go. */
static bool process_gone(int pid)
{
	for (int i = 0; i < 100; i++) {
		char p[64], stat[256] = "";
		snprintf(p, sizeof(p), "/proc/%d/stat", pid);
		FILE *f = fopen(p, "r");
		if (!f)
			return true;
		size_t n = fread(stat, 1, sizeof(stat) - 1, f);
		fclose(f);
		stat[n] = '\0';
		const char *paren = strrchr(stat, ')');
		if (paren && paren[1] == ' ' && paren[2] == 'Z')
			return true;
		struct timespec nap = {.tv_sec = 0, .tv_nsec = 10 * 1000 * 1000};
		nanosleep(&nap, NULL);
	}
	return false;
}

static void test_run(struct ev_loop *loop, const char *which)
{
	struct kc_error err = {0};
	struct kc__exec_run *run = NULL;

	/* A plugin that takes a second: the loop goes on meanwhile. */
	struct kc_config *cfg = config("slow", ", {name: SLOW, value: '1'}", 0);
	struct outcome o = {0};
	int r = cfg ? kc__exec_start(loop, cfg, on_done, &o, &run, &err) : -1;
	is_int(r, 0, "%s: started: %s", which, err.message);
	ok(!o.done, "%s: done is not called inside the start", which);
	run_until_done(loop, &o, 10);
	is_int(o.result, 0, "%s: the first run answers: %s", which, o.message);
	is_str(o.token, "t-1", "%s: its token", which);
	o = (struct outcome){0};
	double t0 = ep_mono();
	r = cfg ? kc__exec_start(loop, cfg, on_done, &o, &run, &err) : -1;
	run_until_done(loop, &o, 10);
	is_str(o.token, "t-2", "%s: the slow run answers", which);
	ok(o.at - t0 >= 0.9 && ticks >= 10,
	   "%s: the loop ran while the plugin slept (%.2f s, %d ticks)", which, o.at - t0, ticks);
	cfg = kc_config_free(cfg);

	/* The timeout kills the whole process group. */
	cfg = config("group", NULL, 300);
	o = (struct outcome){0};
	t0 = ep_mono();
	r = cfg ? kc__exec_start(loop, cfg, on_done, &o, &run, &err) : -1;
	run_until_done(loop, &o, 10);
	is_int(o.result, -ETIMEDOUT, "%s: timeout: -ETIMEDOUT", which);
	ok(o.at - t0 < 3, "%s: promptly (%.2f s)", which, o.at - t0);
	ok(contains(o.message, "no answer within 300 ms, killed"), "%s: message: %s", which,
	   o.message);
	int child = ep_read_int("child");
	ok(child > 0 && process_gone(child), "%s: the plugin's child (%d) was killed too", which,
	   child);
	cfg = kc_config_free(cfg);

	/* Too much output is refused, and the plugin killed. */
	cfg = config("big", NULL, 0);
	o = (struct outcome){0};
	r = cfg ? kc__exec_start(loop, cfg, on_done, &o, &run, &err) : -1;
	run_until_done(loop, &o, 10);
	is_int(o.result, -EMSGSIZE, "%s: big output: -EMSGSIZE", which);
	ok(contains(o.message, "more than 1048576 bytes of output"), "%s: message: %s", which,
	   o.message);
	cfg = kc_config_free(cfg);

	/* A non-zero exit: the first line of stderr and the install hint. */
	cfg = config("fail", NULL, 0);
	o = (struct outcome){0};
	r = cfg ? kc__exec_start(loop, cfg, on_done, &o, &run, &err) : -1;
	run_until_done(loop, &o, 10);
	is_int(o.result, -EIO, "%s: failing plugin: -EIO", which);
	ok(contains(o.message, "exited with status 3: error: token expired; see the docs") &&
	       !contains(o.message, "run login"),
	   "%s: message: %s", which, o.message);
	cfg = kc_config_free(cfg);

	/* A command that does not exist fails in the call, without a callback. */
	cfg = config("ok", NULL, 0);
	if (cfg) {
		free(cfg->exec->command);
		cfg->exec->command = strdup("slipway-no-such-plugin");
	}
	o = (struct outcome){0};
	r = cfg ? kc__exec_start(loop, cfg, on_done, &o, &run, &err) : -1;
	is_int(r, -ENOENT, "%s: missing plugin: -ENOENT", which);
	ok(contains(err.message, "not found; see the docs"), "%s: %s", which, err.message);
	run_until_done(loop, &o, 0.1);
	ok(!o.done, "%s: and no callback", which);
	cfg = kc_config_free(cfg);
	kc_error_clear(&err);
}

/* Cancelling kills the plugin and its group; no callback runs. */
static void test_cancel(struct ev_loop *loop)
{
	struct kc_error err = {0};
	struct kc__exec_run *run = NULL;
	struct kc_config *cfg = config("group", NULL, 0);
	struct outcome o = {0};
	int r = cfg ? kc__exec_start(loop, cfg, on_done, &o, &run, &err) : -1;
	is_int(r, 0, "cancel: started");
	for (int i = 0; i < 200 && ep_read_int("child") == 0; i++)
		run_until_done(loop, &o, 0.02);
	int pid = ep_read_int("pid"), child = ep_read_int("child");
	run = kc__exec_cancel(run);
	ok(pid > 0 && process_gone(pid), "cancel: the plugin (%d) is gone", pid);
	ok(child > 0 && process_gone(child), "cancel: its child (%d) too", child);
	run_until_done(loop, &o, 0.1);
	ok(!o.done, "cancel: no callback");
	kc_config_free(cfg);
}

/* ---- kc__credential_get: one run per config, waiters, refresh ---- */

struct waiting {
	struct kc__cred_waiter w;
	int woken;
};

static void on_ready(void *userdata)
{
	struct waiting *x = userdata;
	x->woken++;
}

static void waiter_init(struct waiting *x)
{
	*x = (struct waiting){0};
	x->w.ready = on_ready;
	x->w.userdata = x;
}

static void run_until_woken(struct ev_loop *loop, struct waiting *x, double max)
{
	struct outcome never = {0};
	double end = ep_mono() + max;
	while (!x->woken && ep_mono() < end)
		run_until_done(loop, &never, 0.02);
}

/* Runs loop while a plugin run of cfg is in flight, 5 s at most. */
static void run_while_running(struct ev_loop *loop, const struct kc_config *cfg)
{
	struct outcome never = {0};
	for (int i = 0; i < 250 && kc__credential_running(cfg); i++)
		run_until_done(loop, &never, 0.02);
}

static void test_waiters(struct ev_loop *loop)
{
	struct kc_error err = {0};
	const struct kc_credential *cred = NULL;
	unsigned long gen = 0, gen1 = 0;
	time_t now = time(NULL);
	struct waiting a, b;
	waiter_init(&a);
	waiter_init(&b);

	/* Expires in an hour: cached, no refresh. */
	char env[128], stamp[32];
	time_t exp = now + 3600;
	struct tm tm;
	gmtime_r(&exp, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	snprintf(env, sizeof(env), ", {name: EXPIRY, value: '%s'}", stamp);
	struct kc_config *cfg = config("ok", env, 0);
	if (!cfg) {
		ok(false, "config");
		return;
	}
	int r = kc__credential_get(cfg, loop, now, &a.w, &cred, &gen, &err);
	is_int(r, -EINPROGRESS, "no credential yet: the request waits");
	r = kc__credential_get(cfg, loop, now, &b.w, &cred, &gen, &err);
	is_int(r, -EINPROGRESS, "a second request waits too");
	ok(!a.woken && !b.woken, "nobody is woken inside the call");
	run_until_woken(loop, &a, 5);
	is_int(a.woken + b.woken, 2, "both are woken when the run ends");
	is_int(ep_read_int("count"), 1, "one run for both");
	r = kc__credential_get(cfg, loop, now, &a.w, &cred, &gen1, &err);
	is_int(r, 0, "then the credential is there");
	is_str(cred ? cred->token : NULL, "t-1", "the plugin's token");
	r = kc__credential_get(cfg, loop, now + 3000, &b.w, &cred, &gen, &err);
	is_str(r == 0 && cred ? cred->token : NULL, "t-1", "cached until near its expiry");
	is_int(ep_read_int("count"), 1, "without another run");

	/* Near expiry: the cached token is used and a run starts behind it. */
	r = kc__credential_get(cfg, loop, exp - 5, &a.w, &cred, &gen, &err);
	is_str(r == 0 && cred ? cred->token : NULL, "t-1",
	       "5 s before expiry: still the cached token, at once");
	r = kc__credential_get(cfg, loop, exp - 4, &b.w, &cred, &gen, &err);
	is_int(r, 0, "and again, while the refresh runs");
	run_while_running(loop, cfg);
	is_int(ep_read_int("count"), 2, "one background run");
	r = kc__credential_get(cfg, loop, exp - 3, &a.w, &cred, &gen, &err);
	is_str(r == 0 && cred ? cred->token : NULL, "t-2", "its token replaces the old one");

	/* A 401 forces one run, whatever the number of requests that got it. */
	kc__credential_rejected(cfg, gen);
	kc__credential_rejected(cfg, gen);
	waiter_init(&a);
	waiter_init(&b);
	r = kc__credential_get(cfg, loop, exp - 3, &a.w, &cred, &gen, &err);
	is_int(r, -EINPROGRESS, "after a 401 the request waits for a new run");
	run_until_woken(loop, &a, 5);
	r = kc__credential_get(cfg, loop, exp - 3, &a.w, &cred, &gen, &err);
	is_str(r == 0 && cred ? cred->token : NULL, "t-3", "a fresh token");
	kc__credential_rejected(cfg, gen1);
	r = kc__credential_get(cfg, loop, exp - 3, &b.w, &cred, &gen, &err);
	is_str(r == 0 && cred ? cred->token : NULL, "t-3",
	       "a late 401 for an older token drops nothing");
	is_int(ep_read_int("count"), 3, "one run per 401'd credential");
	kc_config_free(cfg);
	kc_error_clear(&err);
}

static void test_failure(struct ev_loop *loop)
{
	struct kc_error err = {0};
	const struct kc_credential *cred = NULL;
	unsigned long gen = 0;
	time_t now = time(NULL);
	struct waiting a, b;
	waiter_init(&a);
	waiter_init(&b);
	struct kc_config *cfg = config("fail", NULL, 0);
	if (!cfg) {
		ok(false, "config");
		return;
	}
	int r = kc__credential_get(cfg, loop, now, &a.w, &cred, &gen, &err);
	r = kc__credential_get(cfg, loop, now, &b.w, &cred, &gen, &err);
	is_int(r, -EINPROGRESS, "failing plugin: requests wait");
	run_until_woken(loop, &a, 5);
	run_until_woken(loop, &b, 5);
	r = kc__credential_get(cfg, loop, now, &a.w, &cred, &gen, &err);
	is_int(r, -EIO, "a waiter fails with the plugin's error");
	ok(contains(err.message, "exited with status 3: error: token expired"), "message: %s",
	   err.message);
	r = kc__credential_get(cfg, loop, now, &b.w, &cred, &gen, &err);
	is_int(r, -EIO, "so does the other");
	time_t failed_at = cfg->exec_failed_at;
	struct waiting c;
	waiter_init(&c);
	r = kc__credential_get(cfg, loop, failed_at + 4, &c.w, &cred, &gen, &err);
	is_int(r, -EIO, "4 s later: the same error at once");
	ok(contains(err.message, "not retried"), "saying so: %s", err.message);
	is_int(ep_read_int("count"), 1, "without running the plugin");
	r = kc__credential_get(cfg, loop, failed_at + 5, &c.w, &cred, &gen, &err);
	is_int(r, -EINPROGRESS, "5 s later a request runs it again");
	run_until_woken(loop, &c, 5);
	is_int(ep_read_int("count"), 2, "once");
	kc__credential_unwait(cfg, &c.w);
	kc_error_clear(&c.w.err);
	kc_error_clear(&a.w.err);
	kc_error_clear(&b.w.err);

	/* A request that goes away while it waits is not woken. */
	struct waiting d;
	waiter_init(&d);
	cfg->exec_failed_at = 0;
	r = kc__credential_get(cfg, loop, failed_at + 100, &d.w, &cred, &gen, &err);
	is_int(r, -EINPROGRESS, "a request waits");
	kc__credential_unwait(cfg, &d.w);
	run_while_running(loop, cfg);
	ok(!kc__credential_running(cfg) && d.woken == 0,
	   "the run ended; the request that left is not woken");
	kc_config_free(cfg);
	kc_error_clear(&err);
}

/* kc_config_free() with a run in flight kills it. */
static void test_free_while_running(struct ev_loop *loop)
{
	struct kc_error err = {0};
	const struct kc_credential *cred = NULL;
	unsigned long gen = 0;
	struct waiting a;
	waiter_init(&a);
	struct kc_config *cfg = config("group", NULL, 0);
	int r = cfg ? kc__credential_get(cfg, loop, time(NULL), &a.w, &cred, &gen, &err) : -1;
	is_int(r, -EINPROGRESS, "free: a run in flight");
	struct outcome never = {0};
	for (int i = 0; i < 200 && ep_read_int("child") == 0; i++)
		run_until_done(loop, &never, 0.02);
	kc__credential_unwait(cfg, &a.w);
	int pid = ep_read_int("pid"), child = ep_read_int("child");
	kc_config_free(cfg);
	ok(child > 0 && process_gone(child) && process_gone(pid),
	   "freeing the config kills the plugin (%d) and its child (%d)", pid, child);
	kc_error_clear(&err);
}

int main(void)
{
	if (ep_dir_make("slipway-exec") < 0)
		return tap_done();
	struct ev_loop *def = ev_default_loop(0);
	struct ev_loop *own = ev_loop_new(EVFLAG_AUTO);
	test_run(def, "default loop");
	test_run(own, "private loop");
	test_cancel(own);
	test_waiters(def);
	test_failure(own);
	test_free_while_running(own);
	ev_loop_destroy(own);
	ep_dir_remove();
	return tap_done();
}
