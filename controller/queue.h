/*
 * The work queue: which keys ("namespace/name" of a Release, or any other
 * string) need a reconcile, and when. The semantics are client-go's
 * workqueue (a dirty set plus a processing set, a rate limiter and a delaying
 * heap), re-stated here so nobody has to read Go to know them:
 *
 *  1. De-duplication. A key added any number of times before a worker takes
 *     it is handed out once.
 *  2. Exclusion. A key taken by ctl_queue_get() is "processing" until
 *     ctl_queue_done(); it is never handed out again meanwhile, so no two
 *     workers ever reconcile the same key at the same time.
 *  3. No lost wake-ups. A key added while it is processing is remembered
 *     (dirty) and handed out again after ctl_queue_done().
 *  4. FIFO among ready keys: keys are handed out in the order they became
 *     ready.
 *  5. Per-key backoff. ctl_queue_add_rate_limited() re-adds a key after
 *     initial * 2^(failures-1) seconds (5 ms doubling, capped; see
 *     kubeclient/backoff.h); the failure count grows with every such call
 *     and only ctl_queue_forget() resets it (call it after a successful
 *     reconcile).
 *  6. Overall rate. ctl_queue_add_rate_limited() also draws a token from one
 *     bucket shared by all keys (qps, burst); the delay used is the larger of
 *     the per-key backoff and the bucket's wait, as client-go's
 *     MaxOfRateLimiter does. Plain adds and add_after are not rate limited.
 *  7. Requeue after T. ctl_queue_add_after() makes the key ready at now+T;
 *     if the key is already waiting, the earliest time wins. A delay <= 0
 *     is a plain add. Waiting does not block a plain add: the key can be
 *     ready now and still wait for its timer (which then adds it again, a
 *     no-op if it is still dirty).
 *  8. Shutdown. After ctl_queue_shutdown() adds are refused (-ESHUTDOWN)
 *     and ctl_queue_get() returns -ESHUTDOWN at once, even when keys are
 *     ready: a controller that lost its lease must stop starting writes
 *     immediately (unlike client-go, which drains the queue). Keys already
 *     processing may still be passed to ctl_queue_done().
 *
 * Time. Every call that depends on time takes `now` (seconds, any monotonic
 * epoch, normally ev_now(loop)), so the logic is pure and tests drive time
 * explicitly. Delayed keys live in one min-heap ordered by due time: a
 * thousand timers cost one ev_timer and O(log n) per add.
 *
 * Event loop glue. ctl_queue_attach() connects the queue to a libev loop:
 * one ev_timer fires when the earliest delayed key is due, and the ready
 * callback is called on that loop whenever keys are ready to be taken
 * (after an add, when a delay expires, after done() re-queues a dirty key).
 * The callback never runs inside the call that made a key ready; it runs
 * from the loop, once per loop turn in which keys became ready, and it
 * should call ctl_queue_get() until -EAGAIN or until all its workers are
 * busy. Keys left ready because every worker is busy do not trigger it
 * again: when a worker becomes free, the caller calls ctl_queue_get().
 * The queue is single-threaded: every function must be called on the
 * loop's thread.
 *
 * Ownership. The queue copies keys. A key returned by ctl_queue_get()
 * is owned by the queue and stays valid until ctl_queue_done() for it.
 */
#ifndef SLIPWAY_CONTROLLER_QUEUE_H
#define SLIPWAY_CONTROLLER_QUEUE_H

#include <stddef.h>
#include <stdint.h>

#include "controller/histogram.h"

struct ev_loop;
struct ctl_queue;

/* Longest key accepted: a namespace (63) + "/" + a name (253), with room. */
#define CTL_QUEUE_KEY_MAX 320

struct ctl_queue_config {
	double backoff_initial; /* seconds; default 0.005 */
	double backoff_max;     /* seconds; default 1000 */
	double qps;             /* overall bucket refill; default 10 */
	double burst;           /* overall bucket size; default 100 */
};

/* Fills the client-go defaults above. */
void ctl_queue_config_default(struct ctl_queue_config *cfg);

/* Caller owns the queue (ctl_queue_free). cfg may be NULL for defaults;
 * `now` starts the token bucket full. NULL on out of memory or a bad
 * config (a non-positive qps, burst < 1, backoff_initial <= 0). */
struct ctl_queue *ctl_queue_new(const struct ctl_queue_config *cfg, double now);
/* Stops its timer and frees every key. Accepts NULL; returns NULL. */
struct ctl_queue *ctl_queue_free(struct ctl_queue *q);

/* Makes key ready now. 0, or -EINVAL (empty or longer than
 * CTL_QUEUE_KEY_MAX), -ENOMEM, -ESHUTDOWN. */
int ctl_queue_add(struct ctl_queue *q, const char *key, double now);
/* Makes key ready at now + delay (earliest wins); same errors. */
int ctl_queue_add_after(struct ctl_queue *q, const char *key, double delay, double now);
/* Counts a failure of key and re-adds it after the rate limiters' delay,
 * which goes to *ret_delay when not NULL. Same errors. */
int ctl_queue_add_rate_limited(struct ctl_queue *q, const char *key, double now, double *ret_delay);
/* Resets key's failure count (not its pending adds). */
void ctl_queue_forget(struct ctl_queue *q, const char *key);
/* Failures counted for key since its last forget. */
unsigned ctl_queue_num_requeues(const struct ctl_queue *q, const char *key);

/* Takes the next ready key (moving due delayed keys to ready first) and marks
 * it processing. 0 and *ret_key, or -EAGAIN (nothing ready) or -ESHUTDOWN. */
int ctl_queue_get(struct ctl_queue *q, double now, const char **ret_key);
/* Ends processing of a key returned by ctl_queue_get(); if it was added
 * meanwhile it becomes ready again. -ENOENT if the key was not processing.
 * After done() the key pointer from get() is invalid. */
int ctl_queue_done(struct ctl_queue *q, const char *key, double now);

/* Moves every delayed key due at `now` to ready. ctl_queue_get() does this
 * itself; exposed for tests and for callers that check ctl_queue_len(). */
void ctl_queue_advance(struct ctl_queue *q, double now);
/* When the earliest delayed key is due, or a negative value when none is. */
double ctl_queue_next_due(const struct ctl_queue *q);

void ctl_queue_shutdown(struct ctl_queue *q);
int ctl_queue_is_shutdown(const struct ctl_queue *q);

/* Called on the loop's thread when keys are ready (see above). */
typedef void (*ctl_queue_ready_fn)(struct ctl_queue *q, void *userdata);
/* Attaches the queue to loop (at most one loop, once). 0 or -EBUSY. */
int ctl_queue_attach(struct ctl_queue *q, struct ev_loop *loop, ctl_queue_ready_fn ready,
                     void *userdata);

/* Metrics (client-go workqueue names in brackets). */
struct ctl_queue_metrics {
	size_t depth;      /* ready keys waiting for a worker [depth] */
	size_t waiting;    /* keys waiting in the delay heap */
	size_t processing; /* keys between get and done */
	uint64_t adds;     /* adds and expired delays, de-duplicated ones included [adds_total] */
	uint64_t retries;  /* add_rate_limited calls [retries_total] */
	struct ctl_histogram latency;  /* ready -> get [queue_duration_seconds] */
	struct ctl_histogram duration; /* get -> done [work_duration_seconds] */
	/* seconds the longest-running key has been processing at `now`
	 * [longest_running_processor_seconds]; 0 when none */
	double oldest_processing;
};
/* Copies the current metrics into *ret. `now` is used for oldest_processing. */
void ctl_queue_metrics(const struct ctl_queue *q, double now, struct ctl_queue_metrics *ret);
/* Ready keys waiting for a worker. */
size_t ctl_queue_len(const struct ctl_queue *q);

#endif
