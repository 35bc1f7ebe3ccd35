#include "kubeclient/backoff.h"

double kc_backoff_delay(const struct kc_backoff *b, unsigned failures, double rand01)
{
	if (failures == 0)
		return 0;
	double delay = b->initial;
	/* Multiply step by step and stop at the cap: no pow(), no overflow for
	 * a key that has failed a million times. */
	for (unsigned i = 1; i < failures && delay < b->max; i++)
		delay *= b->factor;
	if (delay > b->max)
		delay = b->max;
	return delay * (1.0 + b->jitter * rand01);
}
