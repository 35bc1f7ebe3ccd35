/*
 * Client-side rate limit: a token bucket holding up to `burst` tokens,
 * refilled at `qps` per second. Pure arithmetic on times the caller passes
 * (seconds on any monotonic clock), so tests are exact.
 *
 * Reservations may drive the bucket below zero: each caller learns how long
 * to wait for its own token, so waiters are served in arrival order without
 * a queue (client-go's Reserve does the same).
 */
#ifndef SLIPWAY_KUBECLIENT_RATELIMIT_H
#define SLIPWAY_KUBECLIENT_RATELIMIT_H

struct kc_ratelimit {
	double qps;    /* <= 0: unlimited */
	double burst;  /* at least 1 */
	double tokens; /* may be negative: tokens already promised to waiters */
	double last;   /* time of the last refill */
};

/* A full bucket at `now`. burst below 1 is taken as 1. */
void kc_ratelimit_init(struct kc_ratelimit *rl, double qps, double burst, double now);

/* Takes one token at `now` and returns how many seconds the caller must wait
 * before using it (0 when one was available). A `now` earlier than the last
 * call is treated as equal to it. */
double kc_ratelimit_reserve(struct kc_ratelimit *rl, double now);

/* Gives back a token reserved but not used (a cancelled waiter). */
void kc_ratelimit_cancel(struct kc_ratelimit *rl, double now);

#endif
