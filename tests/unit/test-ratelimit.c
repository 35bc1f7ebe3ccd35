#include "tap.h"

#include "kubeclient/ratelimit.h"

int main(void)
{
	struct kc_ratelimit rl;

	/* 10 qps, burst 3: three at once, then one every 100 ms. */
	kc_ratelimit_init(&rl, 10, 3, 100.0);
	is_int(kc_ratelimit_reserve(&rl, 100.0) * 1000, 0, "first of the burst is free");
	is_int(kc_ratelimit_reserve(&rl, 100.0) * 1000, 0, "second of the burst is free");
	is_int(kc_ratelimit_reserve(&rl, 100.0) * 1000, 0, "third of the burst is free");
	is_int(kc_ratelimit_reserve(&rl, 100.0) * 1000 + 0.5, 100, "fourth waits 100 ms");
	is_int(kc_ratelimit_reserve(&rl, 100.0) * 1000 + 0.5, 200,
	       "fifth waits 200 ms: waiters queue up in order");
	is_int(kc_ratelimit_reserve(&rl, 100.25) * 1000 + 0.5, 50,
	       "250 ms later the sixth waits 50 ms");

	/* Refill is capped at the burst. */
	kc_ratelimit_init(&rl, 10, 3, 0);
	for (int i = 0; i < 3; i++)
		kc_ratelimit_reserve(&rl, 0);
	int free_after_idle = 0;
	for (int i = 0; i < 10; i++)
		if (kc_ratelimit_reserve(&rl, 3600) == 0)
			free_after_idle++;
	is_int(free_after_idle, 3, "an hour idle refills to the burst, not beyond");

	/* A clock stepping back neither mints nor burns tokens. */
	kc_ratelimit_init(&rl, 1, 1, 50);
	is_int(kc_ratelimit_reserve(&rl, 50) * 1000, 0, "token at 50 s");
	is_int(kc_ratelimit_reserve(&rl, 10) * 1000 + 0.5, 1000,
	       "at an earlier time: waits as if at 50 s");

	/* Cancelling a reservation gives the token back. */
	kc_ratelimit_init(&rl, 2, 1, 0);
	kc_ratelimit_reserve(&rl, 0);
	is_int(kc_ratelimit_reserve(&rl, 0) * 1000 + 0.5, 500, "second waits 500 ms");
	kc_ratelimit_cancel(&rl, 0);
	is_int(kc_ratelimit_reserve(&rl, 0) * 1000 + 0.5, 500,
	       "after a cancel the next waits 500 ms again");

	/* qps <= 0: no limit. */
	kc_ratelimit_init(&rl, -1, 1, 0);
	int waited = 0;
	for (int i = 0; i < 1000; i++)
		if (kc_ratelimit_reserve(&rl, 0) > 0)
			waited++;
	is_int(waited, 0, "unlimited never waits");

	/* Burst below 1 still lets requests through. */
	kc_ratelimit_init(&rl, 5, 0, 0);
	is_int(kc_ratelimit_reserve(&rl, 0) * 1000, 0, "burst 0 behaves as 1");
	is_int(kc_ratelimit_reserve(&rl, 0) * 1000 + 0.5, 200, "then 200 ms at 5 qps");
	return tap_done();
}
