/*
 * Capped exponential backoff with jitter: the one formula used for retrying
 * API calls, re-establishing watches and the work queue's per-key retries.
 *
 * Pure arithmetic: the caller passes the random number, so tests are exact.
 */
#ifndef SLIPWAY_KUBECLIENT_BACKOFF_H
#define SLIPWAY_KUBECLIENT_BACKOFF_H

struct kc_backoff {
	double initial; /* seconds before the first retry */
	double max;     /* cap, in seconds, before jitter */
	double factor;  /* growth per failure, usually 2 */
	double jitter;  /* 0..1: up to this fraction of the delay is added at random */
};

/* Delay in seconds after `failures` consecutive failures (1 = the first):
 * min(initial * factor^(failures-1), max) * (1 + jitter * rand01), where
 * rand01 is in [0, 1). 0 failures gives 0. */
double kc_backoff_delay(const struct kc_backoff *b, unsigned failures, double rand01);

#endif
