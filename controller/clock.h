/*
 * The wall clock, read in one place: seconds since the Unix epoch as a
 * double, for log lines, Event times and the `now` reconcilers are handed.
 * Intervals and timers use the loop's monotonic clock (ev_now) instead.
 */
#ifndef SLIPWAY_CONTROLLER_CLOCK_H
#define SLIPWAY_CONTROLLER_CLOCK_H

double ctl_wall_now(void);

#endif
