#include "kubeclient/ratelimit.h"

void kc_ratelimit_init(struct kc_ratelimit *rl, double qps, double burst, double now)
{
	rl->qps = qps;
	rl->burst = burst < 1 ? 1 : burst;
	rl->tokens = rl->burst;
	rl->last = now;
}

static void refill(struct kc_ratelimit *rl, double now)
{
	/* A clock that steps back must not mint or burn tokens. */
	if (now <= rl->last)
		return;
	rl->tokens += (now - rl->last) * rl->qps;
	if (rl->tokens > rl->burst)
		rl->tokens = rl->burst;
	rl->last = now;
}

double kc_ratelimit_reserve(struct kc_ratelimit *rl, double now)
{
	if (rl->qps <= 0)
		return 0;
	refill(rl, now);
	rl->tokens -= 1;
	if (rl->tokens >= 0)
		return 0;
	return -rl->tokens / rl->qps;
}

void kc_ratelimit_cancel(struct kc_ratelimit *rl, double now)
{
	if (rl->qps <= 0)
		return;
	refill(rl, now);
	rl->tokens += 1;
	if (rl->tokens > rl->burst)
		rl->tokens = rl->burst;
}
