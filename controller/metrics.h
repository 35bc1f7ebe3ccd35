/*
 * A registry of Prometheus metrics and its text exposition (format 0.0.4,
 * what /metrics serves and every Prometheus since 1.0 scrapes).
 *
 * A metric (family) has a name, a help text, a type (counter, gauge or
 * histogram) and a fixed list of label names given when it is created. Each
 * distinct list of label values is a series; series are created on first
 * update and are bounded per metric (CTL_METRICS_SERIES_DEFAULT, changeable
 * with ctl_metric_set_max_series): an update that would create one series
 * too many fails with -ENOSPC and is counted by ctl_metrics_dropped(), so a
 * label fed from the cluster (a namespace, an error string) can never grow
 * memory or scrape size without bound.
 *
 * Values either live in the registry (ctl_metric_inc/add/set/observe) or are
 * read by a callback at scrape time (ctl_metric_bind, ctl_metric_bind_histogram):
 * queue depth, informer object counts, leader status and the process's
 * RSS are facts some other module already knows, so /metrics asks it
 * instead of keeping a copy that can go stale.
 *
 * Histograms are controller/histogram.h's fixed buckets (1 ms .. 10 min):
 * one bucket layout for every duration the controller measures.
 *
 * Exposition: families in creation order, series in creation order, each
 * family as
 *
 *   # HELP name help text (with \ and newline escaped as \\ and \n)
 *   # TYPE name counter|gauge|histogram
 *   name{l1="v1",l2="v2"} value
 *
 * label values escape \ " and newline as \\ \" \n; histograms write
 * name_bucket{...,le="0.001"} .. {le="+Inf"}, name_sum and name_count.
 * Numbers are written in the shortest form that reads back to the same
 * double ("0.0025", "17", "1e+21", "+Inf", "NaN"). A family with labels but
 * no series yet is left out (as client_golang does); a family without
 * labels always has its one series, starting at 0.
 *
 * Names: metric names match [a-zA-Z_:][a-zA-Z0-9_:]*, label names
 * [a-zA-Z_][a-zA-Z0-9_]* and do not start with "__" (reserved by
 * Prometheus); a histogram cannot have a label named "le". Label values are
 * any bytes up to CTL_METRICS_VALUE_MAX (Prometheus expects UTF-8; the
 * caller passes what it got from the API server, which is UTF-8).
 *
 * Not thread-safe: create, update and render on the controller's loop
 * thread. Callbacks run inside ctl_metrics_render() and must not modify
 * the registry.
 */
#ifndef SLIPWAY_CONTROLLER_METRICS_H
#define SLIPWAY_CONTROLLER_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "controller/histogram.h"

#define CTL_METRICS_NAME_MAX       128        /* metric and label names */
#define CTL_METRICS_HELP_MAX       1024       /* help text */
#define CTL_METRICS_LABELS_MAX     8          /* label names per metric */
#define CTL_METRICS_VALUE_MAX      512        /* bytes per label value */
#define CTL_METRICS_SERIES_DEFAULT 256        /* series per metric */
#define CTL_METRICS_OUTPUT_MAX     (16 << 20) /* bytes of one exposition */

/* The Content-Type of ctl_metrics_render()'s output. */
#define CTL_METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

enum ctl_metric_type {
	CTL_METRIC_COUNTER,
	CTL_METRIC_GAUGE,
	CTL_METRIC_HISTOGRAM,
};

struct ctl_metrics;
struct ctl_metric;

/* Caller owns the registry (ctl_metrics_free); NULL on out of memory. */
struct ctl_metrics *ctl_metrics_new(void);
/* Frees the registry and every metric in it (metric pointers die with it).
 * Accepts NULL; returns NULL. */
struct ctl_metrics *ctl_metrics_free(struct ctl_metrics *r);

/*
 * Creates a metric. labels is a NULL-terminated list of label names, or NULL
 * for none; names and help are copied. The registry owns the metric; the
 * pointer in *ret stays valid until ctl_metrics_free(). Returns 0, -EINVAL
 * (a bad or duplicate name, too many labels, help too long), -EEXIST (a
 * metric of that name exists) or -ENOMEM.
 */
int ctl_metrics_counter(struct ctl_metrics *r, const char *name, const char *help,
                        const char *const *labels, struct ctl_metric **ret);
int ctl_metrics_gauge(struct ctl_metrics *r, const char *name, const char *help,
                      const char *const *labels, struct ctl_metric **ret);
int ctl_metrics_histogram(struct ctl_metrics *r, const char *name, const char *help,
                          const char *const *labels, struct ctl_metric **ret);

/* Changes the series bound of m (n >= 1); existing series are kept. */
void ctl_metric_set_max_series(struct ctl_metric *m, size_t n);

/*
 * Updates. `values` is a NULL-terminated list with exactly one value per
 * label name, in the order the names were given (NULL for a metric without
 * labels). All return 0, -EINVAL (wrong number of values, a value longer
 * than CTL_METRICS_VALUE_MAX, the wrong metric type, a series bound to a
 * callback, or for counters a negative or NaN amount), -ENOSPC (series
 * bound reached) or -ENOMEM. A failed update changes nothing.
 */
/* Counters: += 1 and += v (v >= 0). */
int ctl_metric_inc(struct ctl_metric *m, const char *const *values);
int ctl_metric_add(struct ctl_metric *m, const char *const *values, double v);
/* Gauges: = v, and += v (v may be negative). */
int ctl_metric_set(struct ctl_metric *m, const char *const *values, double v);
int ctl_metric_gauge_add(struct ctl_metric *m, const char *const *values, double v);
/* Histograms: one observation (see ctl_histogram_observe). */
int ctl_metric_observe(struct ctl_metric *m, const char *const *values, double v);

/*
 * Scrape-time values. The callback runs inside ctl_metrics_render(), on the
 * caller's thread, once per render; it returns 0 and fills *ret, or a
 * negative value to leave the series out of that scrape (e.g. /proc not
 * readable). userdata is borrowed and must outlive the metric (or the
 * series, see ctl_metric_remove). Binding replaces a stored value or a
 * previous binding of the same series. Same errors as the updates.
 */
typedef int (*ctl_metric_value_fn)(void *userdata, double *ret);
typedef int (*ctl_metric_histogram_fn)(void *userdata, struct ctl_histogram *ret);
/* For counters and gauges. */
int ctl_metric_bind(struct ctl_metric *m, const char *const *values, ctl_metric_value_fn fn,
                    void *userdata);
/* For histograms. */
int ctl_metric_bind_histogram(struct ctl_metric *m, const char *const *values,
                              ctl_metric_histogram_fn fn, void *userdata);

/* Deletes one series (e.g. of a deleted informer). 0 or -ENOENT, -EINVAL. */
int ctl_metric_remove(struct ctl_metric *m, const char *const *values);

/* The stored value of a counter or gauge series, for tests and for callers
 * that read their own counters: 0 and *ret, or -ENOENT / -EINVAL. A bound
 * series is read through its callback. */
int ctl_metric_get(const struct ctl_metric *m, const char *const *values, double *ret);

/* Updates refused with -ENOSPC since the registry was created. */
uint64_t ctl_metrics_dropped(const struct ctl_metrics *r);

/*
 * Writes the exposition of every metric. Caller owns *ret_text (free); it is
 * NUL-terminated and *ret_len (if not NULL) is its length. Returns 0, -E2BIG
 * (more than CTL_METRICS_OUTPUT_MAX bytes) or -ENOMEM; out-params untouched
 * on failure.
 */
int ctl_metrics_render(struct ctl_metrics *r, char **ret_text, size_t *ret_len);

/*
 * Registers the standard process metrics, read from /proc/self at scrape
 * time (names as client_golang's process collector, so dashboards work):
 *   process_resident_memory_bytes  gauge    VmRSS of /proc/self/status
 *   process_virtual_memory_bytes   gauge    VmSize of /proc/self/status
 *   process_cpu_seconds_total      counter  utime+stime of /proc/self/stat
 *   process_start_time_seconds     gauge    starttime of /proc/self/stat + btime
 *   process_open_fds               gauge    entries of /proc/self/fd
 *   process_max_fds                gauge    RLIMIT_NOFILE soft limit
 * A value that cannot be read is left out of that scrape. 0 or the first
 * error of ctl_metrics_gauge() and friends.
 */
int ctl_metrics_register_process(struct ctl_metrics *r);

/* The parsers behind the process metrics, pure so tests can feed them text.
 * /proc/PID/status: the value of `key` (e.g. "VmRSS") in bytes. 0, -ENOENT
 * (no such line) or -EINVAL. */
int ctl_proc_status_bytes(const char *status_text, const char *key, uint64_t *ret);
/* /proc/PID/stat: utime, stime and starttime in clock ticks (fields 14, 15
 * and 22; the command name in parentheses may hold spaces and ')').
 * 0 or -EINVAL. */
int ctl_proc_stat_times(const char *stat_text, uint64_t *ret_utime, uint64_t *ret_stime,
                        uint64_t *ret_starttime);

#endif
