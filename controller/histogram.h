/*
 * A fixed-bucket histogram of durations in seconds, shaped like a Prometheus
 * histogram (cumulative buckets are computed on export, the stored counts are
 * per bucket). One bucket layout for every controller duration so /metrics
 * can export them all the same way.
 */
#ifndef SLIPWAY_CONTROLLER_HISTOGRAM_H
#define SLIPWAY_CONTROLLER_HISTOGRAM_H

#include <stddef.h>
#include <stdint.h>

/* Upper bounds, in seconds, of the finite buckets: 1 ms .. 10 min, roughly
 * x2.5 per step. The +Inf bucket is implicit (count). */
#define CTL_HISTOGRAM_NBUCKETS 15
extern const double ctl_histogram_bounds[CTL_HISTOGRAM_NBUCKETS];

struct ctl_histogram {
	uint64_t buckets[CTL_HISTOGRAM_NBUCKETS]; /* observations <= bound[i] and > bound[i-1] */
	uint64_t count; /* all observations, including those above the last bound */
	double sum;
};

/* Records one value; negative values (clock steps) count as 0. */
void ctl_histogram_observe(struct ctl_histogram *h, double seconds);
/* Cumulative count of observations <= ctl_histogram_bounds[i] (Prometheus "le"). */
uint64_t ctl_histogram_cumulative(const struct ctl_histogram *h, size_t i);

#endif
