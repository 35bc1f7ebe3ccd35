#include "controller/histogram.h"

const double ctl_histogram_bounds[CTL_HISTOGRAM_NBUCKETS] = {
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 60, 600,
};

void ctl_histogram_observe(struct ctl_histogram *h, double seconds)
{
	if (!(seconds > 0))
		seconds = 0;
	h->count++;
	h->sum += seconds;
	for (size_t i = 0; i < CTL_HISTOGRAM_NBUCKETS; i++) {
		if (seconds <= ctl_histogram_bounds[i]) {
			h->buckets[i]++;
			return;
		}
	}
}

uint64_t ctl_histogram_cumulative(const struct ctl_histogram *h, size_t i)
{
	uint64_t total = 0;
	for (size_t b = 0; b <= i && b < CTL_HISTOGRAM_NBUCKETS; b++)
		total += h->buckets[b];
	return total;
}
