/* The metrics registry (controller/metrics.h): exact exposition text, name
 * rules, series bounds, scrape-time callbacks and the /proc parsers. */
#include "tap.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "controller/metrics.h"
#include "controller/observability.h"

#define L(...) ((const char *const[]){__VA_ARGS__, NULL})

/* Renders r; the caller frees. NULL (and a failed check) on error. */
static char *render(struct ctl_metrics *r)
{
	char *text = NULL;
	size_t len = 0;
	int e = ctl_metrics_render(r, &text, &len);
	if (!ok(e == 0, "render succeeds (%d)", e))
		return NULL;
	ok(strlen(text) == len, "render: length matches the text");
	return text;
}

static void test_golden(void)
{
	struct ctl_metrics *r = ctl_metrics_new();
	struct ctl_metric *req = NULL, *leader = NULL, *dur = NULL, *empty = NULL;
	is_int(ctl_metrics_counter(r, "slipway_api_requests_total",
	                           "API requests by verb and code.", L("verb", "code"), &req),
	       0, "golden: counter created");
	is_int(ctl_metrics_gauge(r, "slipway_leader", "1 when this replica holds the lease.", NULL,
	                         &leader),
	       0, "golden: gauge created");
	is_int(ctl_metrics_histogram(r, "slipway_reconcile_duration_seconds",
	                             "Time spent in one reconcile.", L("kind"), &dur),
	       0, "golden: histogram created");
	is_int(ctl_metrics_counter(r, "slipway_unused_total", "Never updated.", L("x"), &empty), 0,
	       "golden: labelled counter without series created");

	is_int(ctl_metric_inc(req, L("GET", "200")), 0, "golden: inc GET 200");
	is_int(ctl_metric_inc(req, L("GET", "200")), 0, "golden: inc GET 200 again");
	is_int(ctl_metric_add(req, L("PATCH", "409"), 3), 0, "golden: add 3 to PATCH 409");
	is_int(ctl_metric_set(leader, NULL, 1), 0, "golden: set leader");
	/* Powers of two, so the sum is exact. */
	is_int(ctl_metric_observe(dur, L("Release"), 0.00390625), 0, "golden: observe 1");
	is_int(ctl_metric_observe(dur, L("Release"), 0.015625), 0, "golden: observe 2");
	is_int(ctl_metric_observe(dur, L("Release"), 2), 0, "golden: observe 3");

	const char *want =
	    "# HELP slipway_api_requests_total API requests by verb and code.\n"
	    "# TYPE slipway_api_requests_total counter\n"
	    "slipway_api_requests_total{verb=\"GET\",code=\"200\"} 2\n"
	    "slipway_api_requests_total{verb=\"PATCH\",code=\"409\"} 3\n"
	    "# HELP slipway_leader 1 when this replica holds the lease.\n"
	    "# TYPE slipway_leader gauge\n"
	    "slipway_leader 1\n"
	    "# HELP slipway_reconcile_duration_seconds Time spent in one reconcile.\n"
	    "# TYPE slipway_reconcile_duration_seconds histogram\n"
	    "slipway_reconcile_duration_seconds_bucket{kind=\"Release\",le=\"0.001\"} 0\n"
	    "slipway_reconcile_duration_seconds_bucket{kind=\"Release\",le=\"0.0025\"} 0\n"
	    "slipway_reconcile_duration_seconds_bucket{kind=\"Release\",le=\"0.005\"} 1\n"
	    "slipway_reconcile_duration_seconds_bucket{kind=\"Release\",le=\"0.01\"} 1\n"
	    "slipway_reconcile_duration_seconds_bucket{kind=\"Release\",le=\"0.025\"} 2\n"
	    "slipway_reconcile_duration_seconds_bucket{kind=\"Release\",le=\"0.05\"} 2\n"
	    "slipway_reconcile_duration_seconds_bucket{kind=\"Release\",le=\"0.1\"} 2\n"
	    "slipway_reconcile_duration_seconds_bucket{kind=\"Release\",le=\"0.25\"} 2\n"
	    "slipway_reconcile_duration_seconds_bucket{kind=\"Release\",le=\"0.5\"} 2\n"
	    "slipway_reconcile_duration_seconds_bucket{kind=\"Release\",le=\"1\"} 2\n"
	    "slipway_reconcile_duration_seconds_bucket{kind=\"Release\",le=\"2.5\"} 3\n"
	    "slipway_reconcile_duration_seconds_bucket{kind=\"Release\",le=\"5\"} 3\n"
	    "slipway_reconcile_duration_seconds_bucket{kind=\"Release\",le=\"10\"} 3\n"
	    "slipway_reconcile_duration_seconds_bucket{kind=\"Release\",le=\"60\"} 3\n"
	    "slipway_reconcile_duration_seconds_bucket{kind=\"Release\",le=\"600\"} 3\n"
	    "slipway_reconcile_duration_seconds_bucket{kind=\"Release\",le=\"+Inf\"} 3\n"
	    "slipway_reconcile_duration_seconds_sum{kind=\"Release\"} 2.01953125\n"
	    "slipway_reconcile_duration_seconds_count{kind=\"Release\"} 3\n";
	char *got = render(r);
	is_str(got, want, "golden: exact exposition (labelled family without series left out)");
	free(got);

	double v = 0;
	is_int(ctl_metric_get(req, L("PATCH", "409"), &v), 0, "golden: get PATCH 409");
	ok(v == 3, "golden: PATCH 409 reads 3 (got %g)", v);
	is_int(ctl_metric_get(req, L("PUT", "200"), &v), -ENOENT,
	       "golden: absent series is ENOENT");
	ctl_metrics_free(r);
}

static void test_unlabelled_histogram(void)
{
	struct ctl_metrics *r = ctl_metrics_new();
	struct ctl_metric *h = NULL;
	ctl_metrics_histogram(r, "h_seconds", "h", NULL, &h);
	ctl_metric_observe(h, NULL, 1000);
	ctl_metric_observe(h, NULL, -1);
	char *got = render(r);
	ok(got && strstr(got, "h_seconds_bucket{le=\"0.001\"} 1\n"),
	   "histogram: negative counts as 0");
	ok(got && strstr(got, "h_seconds_bucket{le=\"600\"} 1\n"),
	   "histogram: 1000 s is above the last bound");
	ok(got &&
	       strstr(got,
	              "h_seconds_bucket{le=\"+Inf\"} 2\nh_seconds_sum 1000\nh_seconds_count 2\n"),
	   "histogram: +Inf, _sum and _count without labels");
	free(got);
	ctl_metrics_free(r);
}

static void test_escaping(void)
{
	struct ctl_metrics *r = ctl_metrics_new();
	struct ctl_metric *m = NULL;
	is_int(ctl_metrics_gauge(r, "esc", "back\\slash and\nnewline \"quotes\" stay", L("v"), &m),
	       0, "escape: gauge created");
	is_int(ctl_metric_set(m, L("a\\b\"c\nd"), -2.5), 0, "escape: set with a nasty value");
	char *got = render(r);
	is_str(got,
	       "# HELP esc back\\\\slash and\\nnewline \"quotes\" stay\n"
	       "# TYPE esc gauge\n"
	       "esc{v=\"a\\\\b\\\"c\\nd\"} -2.5\n",
	       "escape: HELP escapes \\ and newline, label values \\ \" and newline");
	free(got);
	/* Escaped forms must not collide with other raw values. */
	is_int(ctl_metric_set(m, L("a\\\\b\\\"c\\nd"), 1), 0,
	       "escape: the escaped text as a value");
	double v = 0;
	is_int(ctl_metric_get(m, L("a\\b\"c\nd"), &v), 0, "escape: first series still there");
	ok(v == -2.5, "escape: and distinct from the second (got %g)", v);
	ctl_metrics_free(r);
}

static void test_numbers(void)
{
	static const struct {
		double v;
		const char *text;
	} rows[] = {
	    {0, "0"},           {0.1, "0.1"},         {1.0 / 3, "0.3333333333333333"},
	    {17, "17"},         {1234567, "1234567"}, {1e21, "1e+21"},
	    {1e6, "1000000"},   {-0.0, "-0"},         {-0.25, "-0.25"},
	    {INFINITY, "+Inf"}, {-INFINITY, "-Inf"},  {NAN, "NaN"},
	    {5e-324, "5e-324"},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct ctl_metrics *r = ctl_metrics_new();
		struct ctl_metric *m = NULL;
		ctl_metrics_gauge(r, "g", "g", NULL, &m);
		ctl_metric_set(m, NULL, rows[i].v);
		char want[128];
		snprintf(want, sizeof(want), "# HELP g g\n# TYPE g gauge\ng %s\n", rows[i].text);
		char *got = render(r);
		is_str(got, want, "number: %s", rows[i].text);
		free(got);
		ctl_metrics_free(r);
	}
}

static void test_names(void)
{
	static const struct {
		const char *name;
		int want;
	} metric_names[] = {
	    {"a", 0},        {"_x", 0},     {"ns:sub_total", 0}, {":c", 0},        {"A9", 0},
	    {"9a", -EINVAL}, {"", -EINVAL}, {"a-b", -EINVAL},    {"a b", -EINVAL}, {"é", -EINVAL},
	};
	for (size_t i = 0; i < sizeof(metric_names) / sizeof(metric_names[0]); i++) {
		struct ctl_metrics *r = ctl_metrics_new();
		struct ctl_metric *m = NULL;
		is_int(ctl_metrics_counter(r, metric_names[i].name, "h", NULL, &m),
		       metric_names[i].want, "metric name \"%s\"", metric_names[i].name);
		ctl_metrics_free(r);
	}

	/* Not static: compound literals are not constant initialisers. */
	const struct {
		int type; /* 0 counter, 2 histogram */
		const char *const *labels;
		int want;
	} label_rows[] = {
	    {0, L("verb", "code"), 0},
	    {0, L("_x"), 0},
	    {0, L("le"), 0},
	    {2, L("le"), -EINVAL},
	    {0, L("__name__"), -EINVAL},
	    {0, L("a:b"), -EINVAL},
	    {0, L("1a"), -EINVAL},
	    {0, L(""), -EINVAL},
	    {0, L("a", "a"), -EINVAL},
	    {0, L("a", "b", "c", "d", "e", "f", "g", "h"), 0},
	    {0, L("a", "b", "c", "d", "e", "f", "g", "h", "i"), -EINVAL},
	};
	for (size_t i = 0; i < sizeof(label_rows) / sizeof(label_rows[0]); i++) {
		struct ctl_metrics *r = ctl_metrics_new();
		struct ctl_metric *m = NULL;
		int e = label_rows[i].type == 2
		            ? ctl_metrics_histogram(r, "m", "h", label_rows[i].labels, &m)
		            : ctl_metrics_counter(r, "m", "h", label_rows[i].labels, &m);
		is_int(e, label_rows[i].want, "label row %zu (first \"%s\")", i,
		       label_rows[i].labels[0]);
		ctl_metrics_free(r);
	}

	struct ctl_metrics *r = ctl_metrics_new();
	struct ctl_metric *m = NULL, *m2 = NULL;
	is_int(ctl_metrics_counter(r, "dup", "h", NULL, &m), 0, "names: first dup");
	m2 = m;
	is_int(ctl_metrics_gauge(r, "dup", "h", NULL, &m2), -EEXIST, "names: same name again");
	ok(m2 == m, "names: out-param untouched on failure");
	char help[CTL_METRICS_HELP_MAX + 2];
	memset(help, 'x', sizeof(help) - 1);
	help[sizeof(help) - 1] = '\0';
	is_int(ctl_metrics_gauge(r, "long_help", help, NULL, &m2), -EINVAL, "names: help too long");
	ctl_metrics_free(r);
}

static void test_updates(void)
{
	struct ctl_metrics *r = ctl_metrics_new();
	struct ctl_metric *c = NULL, *g = NULL, *h = NULL;
	ctl_metrics_counter(r, "c_total", "c", L("k"), &c);
	ctl_metrics_gauge(r, "g", "g", NULL, &g);
	ctl_metrics_histogram(r, "h", "h", L("k"), &h);

	is_int(ctl_metric_inc(c, NULL), -EINVAL, "update: missing values");
	is_int(ctl_metric_inc(c, L("a", "b")), -EINVAL, "update: too many values");
	is_int(ctl_metric_add(c, L("a"), -1), -EINVAL, "update: counters never go down");
	is_int(ctl_metric_add(c, L("a"), NAN), -EINVAL, "update: NaN is refused for counters");
	is_int(ctl_metric_set(c, L("a"), 1), -EINVAL, "update: set on a counter");
	is_int(ctl_metric_observe(g, NULL, 1), -EINVAL, "update: observe on a gauge");
	is_int(ctl_metric_inc(h, L("a")), -EINVAL, "update: inc on a histogram");
	is_int(ctl_metric_get(h, L("a"), &(double){0}), -EINVAL, "update: get on a histogram");
	double v = 0;
	is_int(ctl_metric_get(c, L("a"), &v), -ENOENT, "update: refused updates created no series");

	char big[CTL_METRICS_VALUE_MAX + 2];
	memset(big, 'v', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	is_int(ctl_metric_inc(c, L(big)), -EINVAL, "update: value over the limit");
	big[CTL_METRICS_VALUE_MAX] = '\0';
	is_int(ctl_metric_inc(c, L(big)), 0, "update: value at the limit");

	is_int(ctl_metric_gauge_add(g, NULL, 5), 0, "update: gauge += 5");
	is_int(ctl_metric_gauge_add(g, NULL, -7), 0, "update: gauge += -7");
	is_int(ctl_metric_get(g, NULL, &v), 0, "update: read gauge");
	ok(v == -2, "update: gauge is -2 (got %g)", v);

	/* The series bound. */
	ctl_metric_set_max_series(c, 3);
	is_int(ctl_metric_inc(c, L("x")), 0, "bound: 2nd series");
	is_int(ctl_metric_inc(c, L("y")), 0, "bound: 3rd series");
	is_int(ctl_metric_inc(c, L("z")), -ENOSPC, "bound: 4th refused");
	is_int(ctl_metric_inc(c, L("w")), -ENOSPC, "bound: 5th refused");
	is_int(ctl_metric_inc(c, L("x")), 0, "bound: existing series still updates");
	is_int(ctl_metrics_dropped(r), 2, "bound: drops counted");
	is_int(ctl_metric_remove(c, L("y")), 0, "bound: remove a series");
	is_int(ctl_metric_remove(c, L("y")), -ENOENT, "bound: remove it again");
	is_int(ctl_metric_inc(c, L("z")), 0, "bound: room again after remove");
	char *got = render(r);
	ok(got && strstr(got, "c_total{k=\"x\"} 2\nc_total{k=\"z\"} 1\n") && !strstr(got, "\"y\""),
	   "bound: removed series gone, order kept");
	free(got);
	ctl_metrics_free(r);
}

struct source {
	double value;
	int fail;
	int calls;
};

static int read_source(void *userdata, double *ret)
{
	struct source *s = userdata;
	s->calls++;
	if (s->fail)
		return -EIO;
	*ret = s->value;
	return 0;
}

static int read_hist(void *userdata, struct ctl_histogram *ret)
{
	const struct ctl_histogram *h = userdata;
	*ret = *h;
	return 0;
}

static void test_callbacks(void)
{
	struct ctl_metrics *r = ctl_metrics_new();
	struct ctl_metric *objs = NULL, *depth = NULL, *lat = NULL;
	struct source releases = {.value = 12}, rs = {.value = 40, .fail = 1}, q = {.value = 0};
	ctl_metrics_gauge(r, "informer_objects", "Objects.", L("kind"), &objs);
	ctl_metrics_gauge(r, "queue_depth", "Depth.", NULL, &depth);
	ctl_metrics_histogram(r, "queue_latency_seconds", "Latency.", NULL, &lat);
	is_int(ctl_metric_bind(objs, L("Release"), read_source, &releases), 0,
	       "bind: Release count");
	is_int(ctl_metric_bind(objs, L("ReplicaSet"), read_source, &rs), 0, "bind: RS count");
	is_int(ctl_metric_bind(depth, NULL, read_source, &q), 0, "bind: depth");
	is_int(ctl_metric_bind(lat, NULL, read_source, &q), -EINVAL, "bind: value fn on histogram");
	struct ctl_histogram h = {0};
	ctl_histogram_observe(&h, 0.5);
	is_int(ctl_metric_bind_histogram(lat, NULL, read_hist, &h), 0, "bind: histogram fn");
	is_int(ctl_metric_bind_histogram(depth, NULL, read_hist, &h), -EINVAL,
	       "bind: histogram fn on a gauge");
	is_int(ctl_metric_set(objs, L("Release"), 1), -EINVAL, "bind: bound series refuses set");

	releases.value = 13;
	q.value = 4;
	char *got = render(r);
	ok(got && strstr(got, "informer_objects{kind=\"Release\"} 13\n"),
	   "bind: value read at scrape time");
	ok(got && !strstr(got, "ReplicaSet"), "bind: a failing callback leaves its series out");
	ok(got && strstr(got, "queue_depth 4\n"), "bind: unlabelled gauge bound");
	ok(got && strstr(got, "queue_latency_seconds_bucket{le=\"0.25\"} 0\n"
	                      "queue_latency_seconds_bucket{le=\"0.5\"} 1\n"),
	   "bind: histogram read at scrape time");
	free(got);
	is_int(releases.calls, 1, "bind: one call per render");
	ctl_metrics_free(r);
}

/* slipway_build_info: the running version, as a label of a constant 1. */
static void test_build_info(void)
{
	struct ctl_metrics *r = ctl_metrics_new();
	is_int(ctl_observability_build_info(r, "1.2.3-test"), 0, "build info registered");
	char *got = render(r);
	ok(got && strstr(got, "# TYPE slipway_build_info gauge\n"
	                      "slipway_build_info{version=\"1.2.3-test\"} 1\n"),
	   "build info: one gauge series, the version as its label, value 1");
	free(got);
	is_int(ctl_observability_build_info(r, "1.2.3-test"), -EEXIST, "build info: once");
	ctl_metrics_free(r);
}

static void test_empty(void)
{
	struct ctl_metrics *r = ctl_metrics_new();
	char *got = render(r);
	is_str(got, "", "empty registry renders nothing");
	free(got);
	ok(ctl_metrics_free(r) == NULL, "free returns NULL");
	ok(ctl_metrics_free(NULL) == NULL, "free accepts NULL");
}

static void test_proc_parsers(void)
{
	const char *status = "Name:\tslipway\nVmPeak:\t  20000 kB\nVmSize:\t   18000 kB\n"
	                     "VmRSS:\t    5120 kB\nThreads:\t1\n";
	uint64_t v = 0;
	is_int(ctl_proc_status_bytes(status, "VmRSS", &v), 0, "status: VmRSS found");
	is_int(v, 5120 * 1024, "status: VmRSS in bytes");
	is_int(ctl_proc_status_bytes(status, "VmSize", &v), 0, "status: VmSize found");
	is_int(v, 18000 * 1024, "status: VmSize in bytes");
	is_int(ctl_proc_status_bytes(status, "Threads", &v), 0, "status: a count without unit");
	is_int(v, 1, "status: Threads");
	is_int(ctl_proc_status_bytes(status, "VmSwap", &v), -ENOENT, "status: absent key");
	is_int(ctl_proc_status_bytes("VmRSS:\tlots kB\n", "VmRSS", &v), -EINVAL, "status: junk");
	is_int(ctl_proc_status_bytes("XVmRSS:\t1 kB\n", "VmRSS", &v), -ENOENT,
	       "status: key must start the line");

	/* A command name with spaces and ") " in it. */
	const char *stat = "4242 (evil) (name 1 2) S 1 4242 4242 0 -1 4194560 1000 0 0 0 "
	                   "250 75 0 0 20 0 1 0 123456 10000000 1280 18446744073709551615\n";
	uint64_t ut = 0, st = 0, start = 0;
	is_int(ctl_proc_stat_times(stat, &ut, &st, &start), 0, "stat: parsed");
	is_int(ut, 250, "stat: utime");
	is_int(st, 75, "stat: stime");
	is_int(start, 123456, "stat: starttime");
	is_int(ctl_proc_stat_times("4242 (x) S 1 2 3\n", &ut, &st, &start), -EINVAL, "stat: short");
	is_int(ctl_proc_stat_times("no parens", &ut, &st, &start), -EINVAL, "stat: no comm");
	is_int(ut, 250, "stat: out-params untouched on failure");
}

/* The value of an unlabelled series in an exposition, or NAN. */
static double value_of(const char *text, const char *name)
{
	char key[128];
	snprintf(key, sizeof(key), "\n%s ", name);
	const char *p = strstr(text, key);
	if (!p)
		return NAN;
	return strtod(p + strlen(key), NULL);
}

static void test_process(void)
{
	struct ctl_metrics *r = ctl_metrics_new();
	is_int(ctl_metrics_register_process(r), 0, "process: registered");
	is_int(ctl_metrics_register_process(r), -EEXIST, "process: registering twice is refused");
	/* Burn a little CPU so the counter is not trivially 0. */
	volatile double x = 0;
	for (long i = 0; i < 30000000; i++)
		x += (double)i * 0.5;
	char *got = render(r);
	if (got) {
		double rss = value_of(got, "process_resident_memory_bytes");
		double vsz = value_of(got, "process_virtual_memory_bytes");
		double cpu = value_of(got, "process_cpu_seconds_total");
		double start = value_of(got, "process_start_time_seconds");
		double fds = value_of(got, "process_open_fds");
		double maxfds = value_of(got, "process_max_fds");
		double now = (double)time(NULL);
		ok(rss > 100 * 1024 && rss < 4e9, "process: RSS plausible (%g)", rss);
		ok(vsz >= rss, "process: virtual >= resident (%g)", vsz);
		ok(cpu > 0 && cpu < 600, "process: CPU seconds plausible (%g)", cpu);
		ok(start > now - 600 && start <= now + 2, "process: started recently (%f vs %f)",
		   start, now);
		ok(fds >= 3 && fds < 1000, "process: open fds plausible (%g)", fds);
		ok(maxfds >= fds, "process: max fds >= open fds (%g)", maxfds);
		ok(strstr(got, "# TYPE process_cpu_seconds_total counter\n") != NULL,
		   "process: CPU is a counter");
	}
	free(got);
	ctl_metrics_free(r);
}

int main(void)
{
	test_golden();
	test_unlabelled_histogram();
	test_escaping();
	test_numbers();
	test_names();
	test_updates();
	test_callbacks();
	test_build_info();
	test_empty();
	test_proc_parsers();
	test_process();
	return tap_done();
}
