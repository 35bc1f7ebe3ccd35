/* The work queue's guarantees (controller/queue.h), one block each. Time is
 * passed explicitly except in the libev tests at the end. */
#include "tap.h"

#include <errno.h>
#include <ev.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller/queue.h"

/* Seconds as whole microseconds / milliseconds, rounded, for exact compares. */
static long long us(double s)
{
	return llround(s * 1e6);
}

static long long ms(double s)
{
	return llround(s * 1e3);
}

static struct ctl_queue *new_queue(double now)
{
	struct ctl_queue_config cfg;
	ctl_queue_config_default(&cfg);
	return ctl_queue_new(&cfg, now);
}

/* Takes a key and returns a copy (the queue's pointer dies at done()). */
static int take(struct ctl_queue *q, double now, char *buf, size_t len)
{
	const char *k = NULL;
	int r = ctl_queue_get(q, now, &k);
	if (r == 0)
		snprintf(buf, len, "%s", k);
	return r;
}

static void test_dedup(void)
{
	struct ctl_queue *q = new_queue(0);
	char k[64];
	is_int(ctl_queue_add(q, "ns/a", 0), 0, "dedup: add a");
	is_int(ctl_queue_add(q, "ns/a", 0), 0, "dedup: add a again");
	is_int(ctl_queue_add(q, "ns/b", 0), 0, "dedup: add b");
	is_int(ctl_queue_add(q, "ns/a", 0), 0, "dedup: add a a third time");
	is_int(ctl_queue_len(q), 2, "dedup: two distinct keys are ready");
	is_int(take(q, 0, k, sizeof(k)), 0, "dedup: first get");
	is_str(k, "ns/a", "dedup: a first (FIFO)");
	is_int(take(q, 0, k, sizeof(k)), 0, "dedup: second get");
	is_str(k, "ns/b", "dedup: then b");
	is_int(take(q, 0, k, sizeof(k)), -EAGAIN, "dedup: nothing more");
	struct ctl_queue_metrics m;
	ctl_queue_metrics(q, 0, &m);
	is_int(m.adds, 4, "dedup: every accepted add is counted");
	is_int(m.processing, 2, "dedup: two keys processing");
	ctl_queue_free(q);
}

static void test_exclusion_and_readd(void)
{
	struct ctl_queue *q = new_queue(0);
	char k[64];
	ctl_queue_add(q, "ns/a", 0);
	is_int(take(q, 0, k, sizeof(k)), 0, "exclusion: worker 1 takes a");
	is_int(ctl_queue_add(q, "ns/a", 1), 0, "exclusion: a re-added while processing");
	is_int(ctl_queue_len(q), 0, "exclusion: a is not ready while processing");
	is_int(take(q, 1, k, sizeof(k)), -EAGAIN, "exclusion: worker 2 does not get a");
	ctl_queue_add(q, "ns/a", 1.5); /* de-duplicated with the re-add */
	is_int(ctl_queue_done(q, "ns/a", 2), 0, "readd: done");
	is_int(ctl_queue_len(q), 1, "readd: a is ready again after done, once");
	is_int(take(q, 2, k, sizeof(k)), 0, "readd: a handed out again");
	is_str(k, "ns/a", "readd: it is a");
	is_int(ctl_queue_done(q, "ns/a", 3), 0, "readd: done again");
	is_int(ctl_queue_len(q), 0, "readd: not re-queued when nobody added it");
	is_int(ctl_queue_done(q, "ns/a", 3), -ENOENT, "done on a key not processing is an error");
	ctl_queue_free(q);
}

static void test_fifo(void)
{
	struct ctl_queue *q = new_queue(0);
	char k[64], name[32];
	/* More than the initial ring size, with wrap-around. */
	for (int i = 0; i < 10; i++) {
		snprintf(name, sizeof(name), "ns/k%d", i);
		ctl_queue_add(q, name, 0);
	}
	for (int i = 0; i < 5; i++)
		take(q, 0, k, sizeof(k));
	for (int i = 10; i < 40; i++) {
		snprintf(name, sizeof(name), "ns/k%d", i);
		ctl_queue_add(q, name, 0);
	}
	bool in_order = true;
	for (int i = 5; i < 40; i++) {
		snprintf(name, sizeof(name), "ns/k%d", i);
		if (take(q, 0, k, sizeof(k)) != 0 || strcmp(k, name) != 0)
			in_order = false;
	}
	ok(in_order, "fifo: keys come out in the order they became ready across ring growth");
	ctl_queue_free(q);
}

static void test_backoff(void)
{
	struct ctl_queue *q = new_queue(0);
	char k[64];
	double d = -1;
	/* Expected per-key delays: 5, 10, 20, 40 ms. */
	const double want[] = {0.005, 0.010, 0.020, 0.040};
	double now = 0;
	for (unsigned i = 0; i < 4; i++) {
		is_int(ctl_queue_add_rate_limited(q, "ns/a", now, &d), 0, "backoff: failure %u",
		       i + 1);
		is_int(us(d), us(want[i]), "backoff: failure %u waits %g ms", i + 1,
		       want[i] * 1000);
		is_int(take(q, now + want[i] - 0.0001, k, sizeof(k)), -EAGAIN,
		       "backoff: not ready just before its time");
		is_int(take(q, now + want[i], k, sizeof(k)), 0, "backoff: ready at its time");
		now += want[i];
		ctl_queue_done(q, "ns/a", now);
	}
	is_int(ctl_queue_num_requeues(q, "ns/a"), 4, "backoff: four failures counted");
	ctl_queue_add_rate_limited(q, "ns/b", now, &d);
	is_int(us(d), 5000, "backoff: per key: b starts at 5 ms");
	ctl_queue_forget(q, "ns/a");
	is_int(ctl_queue_num_requeues(q, "ns/a"), 0, "forget: count reset");
	ctl_queue_add_rate_limited(q, "ns/a", now, &d);
	is_int(us(d), 5000, "forget: back to 5 ms");
	ctl_queue_free(q);

	struct ctl_queue_config cfg;
	ctl_queue_config_default(&cfg);
	cfg.backoff_max = 1;
	q = ctl_queue_new(&cfg, 0);
	for (int i = 0; i < 40; i++)
		ctl_queue_add_rate_limited(q, "ns/a", 0, &d);
	is_int(ms(d), 1000, "backoff: capped at the configured maximum");
	struct ctl_queue_metrics m;
	ctl_queue_metrics(q, 0, &m);
	is_int(m.retries, 40, "backoff: retries counted");
	is_int(m.waiting, 1, "backoff: one key waiting however often it failed");
	ctl_queue_free(q);
}

static void test_bucket(void)
{
	struct ctl_queue_config cfg;
	ctl_queue_config_default(&cfg); /* 10 qps, burst 100 */
	struct ctl_queue *q = ctl_queue_new(&cfg, 0);
	double d = 0;
	char name[32];
	/* 100 distinct first failures: the burst covers them, 5 ms each. */
	for (int i = 0; i < 100; i++) {
		snprintf(name, sizeof(name), "ns/k%d", i);
		ctl_queue_add_rate_limited(q, name, 0, &d);
	}
	is_int(us(d), 5000, "bucket: within burst the per-key delay rules");
	ctl_queue_add_rate_limited(q, "ns/k100", 0, &d);
	is_int(us(d), 100000, "bucket: 101st waits 1/qps = 100 ms");
	ctl_queue_add_rate_limited(q, "ns/k101", 0, &d);
	is_int(us(d), 200000, "bucket: 102nd waits 200 ms (reservations queue up)");
	/* After 10 s the bucket has refilled by 100 tokens minus the 2 owed. */
	for (int i = 0; i < 98; i++) {
		snprintf(name, sizeof(name), "ns/j%d", i);
		ctl_queue_add_rate_limited(q, name, 10, &d);
	}
	is_int(us(d), 5000, "bucket: refilled at qps");
	ctl_queue_add_rate_limited(q, "ns/j98", 10, &d);
	is_int(us(d), 100000, "bucket: and empty again");
	ctl_queue_free(q);

	/* The max of both: a key whose backoff exceeds the bucket wait. */
	cfg.burst = 1;
	cfg.qps = 100;
	q = ctl_queue_new(&cfg, 0);
	ctl_queue_add_rate_limited(q, "ns/a", 0, &d);
	ctl_queue_add_rate_limited(q, "ns/a", 0, &d); /* bucket 10 ms, backoff 10 ms */
	ctl_queue_add_rate_limited(q, "ns/a", 0, &d); /* bucket 20 ms, backoff 20 ms */
	ctl_queue_add_rate_limited(q, "ns/a", 0, &d); /* bucket 30 ms, backoff 40 ms */
	is_int(us(d), 40000, "bucket: max(per-key 40 ms, bucket 30 ms)");
	ctl_queue_add_rate_limited(q, "ns/b", 0, &d); /* bucket 40 ms, backoff 5 ms */
	is_int(us(d), 40000, "bucket: max(per-key 5 ms, bucket 40 ms)");
	ctl_queue_free(q);
}

static void test_add_after(void)
{
	struct ctl_queue *q = new_queue(0);
	char k[64];
	ctl_queue_add_after(q, "ns/a", 10, 0);
	ctl_queue_add_after(q, "ns/a", 5, 1);  /* due 6: earlier wins */
	ctl_queue_add_after(q, "ns/a", 30, 2); /* due 32: later loses */
	is_int(ms(ctl_queue_next_due(q)), 6000, "after: earliest due time wins");
	is_int(take(q, 5.9, k, sizeof(k)), -EAGAIN, "after: not before 6");
	is_int(take(q, 6, k, sizeof(k)), 0, "after: ready at 6");
	ctl_queue_done(q, "ns/a", 6);
	is_int(take(q, 40, k, sizeof(k)), -EAGAIN, "after: the later request was absorbed");
	is_int(ctl_queue_next_due(q) < 0, 1, "after: nothing waiting");

	is_int(ctl_queue_add_after(q, "ns/z", 0, 40), 0, "after: zero delay");
	is_int(ctl_queue_len(q), 1, "after: zero delay is a plain add");
	take(q, 40, k, sizeof(k));
	ctl_queue_done(q, "ns/z", 40);

	/* A waiting key can also be added now; its timer then adds nothing. */
	ctl_queue_add_after(q, "ns/b", 10, 40);
	ctl_queue_add(q, "ns/b", 40);
	is_int(take(q, 40, k, sizeof(k)), 0, "after: plain add while waiting is ready now");
	ctl_queue_done(q, "ns/b", 41);
	is_int(take(q, 50, k, sizeof(k)), 0, "after: the timer still fires");
	ctl_queue_done(q, "ns/b", 50);
	is_int(take(q, 60, k, sizeof(k)), -EAGAIN, "after: once");

	/* Delayed key due while processing: handed out after done. */
	ctl_queue_add(q, "ns/c", 60);
	take(q, 60, k, sizeof(k));
	ctl_queue_add_after(q, "ns/c", 1, 60);
	is_int(take(q, 62, k, sizeof(k)), -EAGAIN, "after: due while processing is held back");
	ctl_queue_done(q, "ns/c", 62);
	is_int(take(q, 62, k, sizeof(k)), 0, "after: and handed out after done");
	ctl_queue_done(q, "ns/c", 62);

	/* 10,000 delayed keys, half of them moved earlier (the heap's
	 * decrease-key) and some asked later (ignored): each comes out once,
	 * at the earliest time asked, in due order. */
	enum { NKEYS = 10000 };
	static double want_due[NKEYS];
	char name[32];
	for (int i = 0; i < NKEYS; i++) {
		snprintf(name, sizeof(name), "ns/d%d", i);
		want_due[i] = 100 + 1 + ((i * 7919) % NKEYS) / 100.0;
		ctl_queue_add_after(q, name, want_due[i] - 100, 100);
	}
	for (int i = 0; i < NKEYS; i += 2) {
		snprintf(name, sizeof(name), "ns/d%d", i);
		double earlier = 100 + 0.5 + ((i * 31) % NKEYS) / 1000.0;
		if (earlier < want_due[i])
			want_due[i] = earlier;
		ctl_queue_add_after(q, name, earlier - 100, 100);
		ctl_queue_add_after(q, name, 500, 100);
	}
	double last = 0;
	bool sorted = true, on_time = true;
	int n = 0;
	while (ctl_queue_next_due(q) >= 0) {
		double due = ctl_queue_next_due(q);
		if (due < last)
			sorted = false;
		last = due;
		ctl_queue_advance(q, due);
		while (take(q, due, k, sizeof(k)) == 0) {
			long i = strtol(k + strlen("ns/d"), NULL, 10);
			if (i < 0 || i >= NKEYS || want_due[i] != due)
				on_time = false;
			ctl_queue_done(q, k, due);
			n++;
		}
	}
	ok(sorted, "after: heap releases keys in due order");
	ok(on_time, "after: each key at the earliest time asked for it");
	is_int(n, NKEYS, "after: all 10,000 delayed keys released once");
	ctl_queue_free(q);
}

static void test_metrics(void)
{
	struct ctl_queue *q = new_queue(0);
	char k[64];
	ctl_queue_add(q, "ns/a", 0);
	take(q, 0.3, k, sizeof(k));
	struct ctl_queue_metrics m;
	ctl_queue_metrics(q, 1.3, &m);
	is_int(ms(m.oldest_processing), 1000, "metrics: longest running processor");
	ctl_queue_done(q, "ns/a", 2.3);
	ctl_queue_metrics(q, 2.3, &m);
	is_int(m.latency.count, 1, "metrics: one latency observation");
	is_int(ms(m.latency.sum), 300, "metrics: latency is add -> get");
	is_int(ctl_histogram_cumulative(&m.latency, 8), 1, "metrics: 0.3 s is in le=0.5");
	is_int(ctl_histogram_cumulative(&m.latency, 7), 0, "metrics: and not in le=0.25");
	is_int(ms(m.duration.sum), 2000, "metrics: work duration is get -> done");
	is_int(m.processing, 0, "metrics: nothing processing");
	is_int(m.oldest_processing, 0, "metrics: no longest running processor");
	ctl_queue_add_after(q, "ns/b", 1, 3);
	ctl_queue_metrics(q, 3, &m);
	is_int(m.adds, 1, "metrics: a delayed add is not counted before it is due");
	is_int(m.depth, 0, "metrics: depth counts ready keys only");
	is_int(m.waiting, 1, "metrics: waiting counts delayed keys");
	ctl_queue_advance(q, 4);
	ctl_queue_metrics(q, 4, &m);
	is_int(m.adds, 2, "metrics: and counted when it is");
	is_int(m.depth, 1, "metrics: then it is ready");
	ctl_queue_free(q);
}

static void test_shutdown_and_limits(void)
{
	struct ctl_queue *q = new_queue(0);
	char k[64];
	ctl_queue_add(q, "ns/a", 0);
	ctl_queue_add(q, "ns/b", 0);
	take(q, 0, k, sizeof(k));
	ctl_queue_shutdown(q);
	is_int(ctl_queue_add(q, "ns/c", 0), -ESHUTDOWN, "shutdown: adds refused");
	is_int(ctl_queue_add_after(q, "ns/c", 1, 0), -ESHUTDOWN, "shutdown: delayed adds refused");
	is_int(ctl_queue_add_rate_limited(q, "ns/c", 0, NULL), -ESHUTDOWN,
	       "shutdown: rate-limited adds refused");
	is_int(take(q, 0, k, sizeof(k)), -ESHUTDOWN, "shutdown: ready keys are not handed out");
	is_int(ctl_queue_done(q, "ns/a", 0), 0, "shutdown: in-flight key can finish");
	ctl_queue_free(q);

	q = new_queue(0);
	char big[CTL_QUEUE_KEY_MAX + 2];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	is_int(ctl_queue_add(q, big, 0), -EINVAL, "limits: overlong key refused");
	is_int(ctl_queue_add(q, "", 0), -EINVAL, "limits: empty key refused");
	big[CTL_QUEUE_KEY_MAX] = '\0';
	is_int(ctl_queue_add(q, big, 0), 0, "limits: key of the maximum length accepted");
	ctl_queue_free(q);

	struct ctl_queue_config bad;
	ctl_queue_config_default(&bad);
	bad.qps = 0;
	ok(ctl_queue_new(&bad, 0) == NULL, "config: qps 0 refused");
}

/* ---- the libev glue, with a real loop and short timers ---- */

struct glue {
	struct ev_loop *loop;
	int ready_calls;
	int got;
	char last[64];
	int called_inside_add;
	int in_add;
	int take_limit; /* how many keys the "workers" take per callback */
};

static void on_ready(struct ctl_queue *q, void *ud)
{
	struct glue *g = ud;
	g->ready_calls++;
	if (g->in_add)
		g->called_inside_add++;
	for (int i = 0; i < g->take_limit; i++) {
		const char *k;
		if (ctl_queue_get(q, ev_now(g->loop), &k) != 0)
			break;
		snprintf(g->last, sizeof(g->last), "%s", k);
		g->got++;
		ctl_queue_done(q, g->last, ev_now(g->loop));
	}
}

static void stop_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	ev_break(loop, EVBREAK_ALL);
}

static void run_for(struct ev_loop *loop, double seconds)
{
	ev_timer stop;
	ev_timer_init(&stop, stop_cb, seconds, 0);
	ev_timer_start(loop, &stop);
	ev_run(loop, 0);
	ev_timer_stop(loop, &stop);
}

static void test_libev(void)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct glue g = {.loop = loop, .take_limit = 100};
	ev_now_update(loop);
	struct ctl_queue *q = new_queue(ev_now(loop));
	is_int(ctl_queue_attach(q, loop, on_ready, &g), 0, "libev: attach");
	is_int(ctl_queue_attach(q, loop, on_ready, &g), -EBUSY, "libev: attach twice refused");

	g.in_add = 1;
	ctl_queue_add(q, "ns/now", ev_now(loop));
	g.in_add = 0;
	is_int(g.ready_calls, 0, "libev: callback never runs inside add");
	run_for(loop, 0.02);
	is_int(g.got, 1, "libev: ready key delivered from the loop");
	is_str(g.last, "ns/now", "libev: it is the added key");

	ev_now_update(loop);
	ctl_queue_add_after(q, "ns/later", 0.03, ev_now(loop));
	ctl_queue_add_after(q, "ns/sooner", 0.005, ev_now(loop));
	run_for(loop, 0.015);
	is_int(g.got, 2, "libev: the 5 ms key fired");
	is_str(g.last, "ns/sooner", "libev: and it was the sooner one");
	run_for(loop, 0.04);
	is_int(g.got, 3, "libev: the 30 ms key fired after it");
	is_str(g.last, "ns/later", "libev: the later one");

	/* Busy workers: keys left ready do not make the loop spin. */
	g.take_limit = 0;
	int calls = g.ready_calls;
	ev_now_update(loop);
	ctl_queue_add(q, "ns/busy", ev_now(loop));
	run_for(loop, 0.02);
	is_int(g.ready_calls - calls, 1, "libev: one callback while workers stay busy");
	is_int(ctl_queue_len(q), 1, "libev: the key stays ready for a free worker");

	ctl_queue_shutdown(q);
	ev_now_update(loop);
	run_for(loop, 0.01);
	ctl_queue_free(q);
	ev_loop_destroy(loop);
}

int main(void)
{
	test_dedup();
	test_exclusion_and_readd();
	test_fifo();
	test_backoff();
	test_bucket();
	test_add_after();
	test_metrics();
	test_shutdown_and_limits();
	test_libev();
	return tap_done();
}
