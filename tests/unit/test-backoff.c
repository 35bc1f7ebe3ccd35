#include "tap.h"

#include "kubeclient/backoff.h"

int main(void)
{
	/* The watch's schedule: 800 ms doubling to 30 s. */
	struct kc_backoff watch = {.initial = 0.8, .max = 30, .factor = 2, .jitter = 0};
	is_int(kc_backoff_delay(&watch, 0, 0) * 1000, 0, "no failure, no delay");
	is_int(kc_backoff_delay(&watch, 1, 0) * 1000, 800, "first retry after 800 ms");
	is_int(kc_backoff_delay(&watch, 2, 0) * 1000, 1600, "then 1.6 s");
	is_int(kc_backoff_delay(&watch, 6, 0) * 1000, 25600, "sixth failure: 25.6 s");
	is_int(kc_backoff_delay(&watch, 7, 0) * 1000, 30000, "capped at 30 s");
	is_int(kc_backoff_delay(&watch, 4000000000u, 0) * 1000, 30000,
	       "a huge failure count stays at the cap");

	/* The work queue's per-key schedule: 5 ms doubling. */
	struct kc_backoff queue = {.initial = 0.005, .max = 1000, .factor = 2, .jitter = 0};
	is_int(kc_backoff_delay(&queue, 1, 0.9) * 1000, 5, "queue: 5 ms first");
	is_int(kc_backoff_delay(&queue, 3, 0.9) * 1000, 20, "queue: 20 ms third");

	struct kc_backoff jittered = {.initial = 1, .max = 10, .factor = 2, .jitter = 0.5};
	is_int(kc_backoff_delay(&jittered, 2, 0) * 1000, 2000, "jitter 0 adds nothing");
	is_int(kc_backoff_delay(&jittered, 2, 0.5) * 1000, 2500, "jitter adds up to its fraction");
	is_int(kc_backoff_delay(&jittered, 9, 0.999) * 1000, 14995,
	       "jitter applies on top of the cap");
	return tap_done();
}
