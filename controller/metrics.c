#include "controller/metrics.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "controller/hashmap.h"

/* Longest rendered label set: name="value" with every value byte escaped
 * (two bytes), a comma each, and the NUL. */
#define KEY_MAX                                                                                    \
	(CTL_METRICS_LABELS_MAX * (CTL_METRICS_NAME_MAX + 4 + 2 * CTL_METRICS_VALUE_MAX) + 1)

struct series {
	/* The rendered, escaped label pairs (`a="x",b="y"`), "" without labels.
	 * Unique per label values, so it doubles as the lookup key. */
	char *key;
	double value;
	struct ctl_histogram hist;
	ctl_metric_value_fn fn;
	ctl_metric_histogram_fn hist_fn;
	void *userdata;
};

struct ctl_metric {
	struct ctl_metrics *registry;
	enum ctl_metric_type type;
	char *name;
	char *help;
	size_t nlabels;
	char *labels[CTL_METRICS_LABELS_MAX];
	size_t max_series;
	/* Creation order for the exposition; the index finds a series by key. */
	struct series **series;
	size_t nseries;
	size_t cap;
	struct ctl_hashmap *index;
};

struct ctl_metrics {
	struct ctl_metric **metrics;
	size_t n;
	size_t cap;
	struct ctl_hashmap *names;
	uint64_t dropped;
	double start_time; /* cached process_start_time_seconds; 0 until read */
};

/* Growable output buffer; the first error sticks and later appends are
 * no-ops, so rendering code checks once at the end. */
struct buf {
	char *p;
	size_t len;
	size_t cap;
	int err;
};

static void buf_put(struct buf *b, const char *s, size_t n)
{
	if (b->err)
		return;
	if (n > CTL_METRICS_OUTPUT_MAX - b->len) {
		b->err = -E2BIG;
		return;
	}
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *p = realloc(b->p, cap);
		if (!p) {
			b->err = -ENOMEM;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void buf_puts(struct buf *b, const char *s)
{
	buf_put(b, s, strlen(s));
}

__attribute__((format(printf, 2, 3))) static void buf_printf(struct buf *b, const char *fmt, ...)
{
	char tmp[128];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	/* Only numbers go through here; they always fit. */
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		if (!b->err)
			b->err = -EINVAL;
		return;
	}
	buf_put(b, tmp, (size_t)n);
}

/* The shortest %g that reads back as the same double, so 0.1 is "0.1" and
 * not "0.10000000000000001". */
static void format_double(double v, char out[32])
{
	if (isnan(v)) {
		snprintf(out, 32, "NaN");
		return;
	}
	if (isinf(v)) {
		snprintf(out, 32, "%s", v > 0 ? "+Inf" : "-Inf");
		return;
	}
	/* %g would write 10 as "1e+01": whole numbers are written whole, up
	 * to where every integer is still exact in a double. */
	if (v == floor(v) && fabs(v) < 1e15) {
		snprintf(out, 32, "%.0f", v);
		return;
	}
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(out, 32, "%.*g", prec, v);
		if (strtod(out, NULL) == v)
			return;
	}
}

static void buf_double(struct buf *b, double v)
{
	char tmp[32];
	format_double(v, tmp);
	buf_puts(b, tmp);
}

static bool valid_name(const char *s, bool colon)
{
	size_t n = strnlen(s, CTL_METRICS_NAME_MAX + 1);
	if (n == 0 || n > CTL_METRICS_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
		          (colon && c == ':') || (i > 0 && c >= '0' && c <= '9');
		if (!ok)
			return false;
	}
	return true;
}

static void series_free(struct series *s)
{
	if (!s)
		return;
	free(s->key);
	free(s);
}

static struct ctl_metric *metric_free(struct ctl_metric *m)
{
	if (!m)
		return NULL;
	for (size_t i = 0; i < m->nseries; i++)
		series_free(m->series[i]);
	free(m->series);
	ctl_hashmap_free(m->index);
	for (size_t i = 0; i < m->nlabels; i++)
		free(m->labels[i]);
	free(m->name);
	free(m->help);
	free(m);
	return NULL;
}

struct ctl_metrics *ctl_metrics_new(void)
{
	struct ctl_metrics *r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->names = ctl_hashmap_new();
	if (!r->names) {
		free(r);
		return NULL;
	}
	return r;
}

struct ctl_metrics *ctl_metrics_free(struct ctl_metrics *r)
{
	if (!r)
		return NULL;
	for (size_t i = 0; i < r->n; i++)
		metric_free(r->metrics[i]);
	free(r->metrics);
	ctl_hashmap_free(r->names);
	free(r);
	return NULL;
}

/* Escapes a label value into out (with room for 2 * len + 1 bytes). */
static size_t escape_value(const char *v, size_t len, char *out)
{
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		char c = v[i];
		if (c == '\\' || c == '"') {
			out[o++] = '\\';
			out[o++] = c;
		} else if (c == '\n') {
			out[o++] = '\\';
			out[o++] = 'n';
		} else {
			out[o++] = c;
		}
	}
	return o;
}

/* Renders the series key for values into key[KEY_MAX]. 0 or -EINVAL. */
static int make_key(const struct ctl_metric *m, const char *const *values, char *key)
{
	size_t n = 0;
	if (values) {
		while (values[n])
			n++;
	}
	if (n != m->nlabels)
		return -EINVAL;
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		size_t vlen = strnlen(values[i], CTL_METRICS_VALUE_MAX + 1);
		if (vlen > CTL_METRICS_VALUE_MAX)
			return -EINVAL;
		size_t nlen = strlen(m->labels[i]);
		if (i > 0)
			key[o++] = ',';
		memcpy(key + o, m->labels[i], nlen);
		o += nlen;
		key[o++] = '=';
		key[o++] = '"';
		o += escape_value(values[i], vlen, key + o);
		key[o++] = '"';
	}
	key[o] = '\0';
	return 0;
}

static struct series *series_new(struct ctl_metric *m, const char *key)
{
	if (m->nseries == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 4;
		struct series **p = realloc(m->series, cap * sizeof(*p));
		if (!p)
			return NULL;
		m->series = p;
		m->cap = cap;
	}
	struct series *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->key = strdup(key);
	if (!s->key || ctl_hashmap_put(m->index, s->key, s, NULL) < 0) {
		series_free(s);
		return NULL;
	}
	m->series[m->nseries++] = s;
	return s;
}

/* Finds, or with create makes, the series of values. 0 and *ret, or
 * -EINVAL, -ENOENT (absent, !create), -ENOSPC, -ENOMEM. */
static int lookup(struct ctl_metric *m, const char *const *values, bool create, struct series **ret)
{
	static_assert(KEY_MAX < 16 * 1024, "label key buffer fits the stack");
	char key[KEY_MAX];
	int r = make_key(m, values, key);
	if (r < 0)
		return r;
	struct series *s = ctl_hashmap_get(m->index, key);
	if (!s) {
		if (!create)
			return -ENOENT;
		if (m->nseries >= m->max_series) {
			m->registry->dropped++;
			return -ENOSPC;
		}
		s = series_new(m, key);
		if (!s)
			return -ENOMEM;
	}
	*ret = s;
	return 0;
}

static int metric_new(struct ctl_metrics *r, enum ctl_metric_type type, const char *name,
                      const char *help, const char *const *labels, struct ctl_metric **ret)
{
	if (!r || !name || !help || !valid_name(name, true) ||
	    strnlen(help, CTL_METRICS_HELP_MAX + 1) > CTL_METRICS_HELP_MAX)
		return -EINVAL;
	size_t n = 0;
	if (labels) {
		for (; labels[n]; n++) {
			if (n >= CTL_METRICS_LABELS_MAX || !valid_name(labels[n], false) ||
			    strncmp(labels[n], "__", 2) == 0)
				return -EINVAL;
			if (type == CTL_METRIC_HISTOGRAM && strcmp(labels[n], "le") == 0)
				return -EINVAL;
			for (size_t j = 0; j < n; j++) {
				if (strcmp(labels[j], labels[n]) == 0)
					return -EINVAL;
			}
		}
	}
	if (ctl_hashmap_get(r->names, name))
		return -EEXIST;
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 16;
		struct ctl_metric **p = realloc(r->metrics, cap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		r->metrics = p;
		r->cap = cap;
	}
	struct ctl_metric *m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->registry = r;
	m->type = type;
	m->max_series = CTL_METRICS_SERIES_DEFAULT;
	m->name = strdup(name);
	m->help = strdup(help);
	m->index = ctl_hashmap_new_borrowed();
	if (!m->name || !m->help || !m->index)
		goto oom;
	for (size_t i = 0; i < n; i++) {
		m->labels[i] = strdup(labels[i]);
		if (!m->labels[i])
			goto oom;
		m->nlabels++;
	}
	/* A metric without labels has exactly one series, exported from the
	 * start (a counter that is 0 says "nothing happened yet"). */
	if (n == 0 && !series_new(m, ""))
		goto oom;
	if (ctl_hashmap_put(r->names, m->name, m, NULL) < 0)
		goto oom;
	r->metrics[r->n++] = m;
	*ret = m;
	return 0;
oom:
	metric_free(m);
	return -ENOMEM;
}

int ctl_metrics_counter(struct ctl_metrics *r, const char *name, const char *help,
                        const char *const *labels, struct ctl_metric **ret)
{
	return metric_new(r, CTL_METRIC_COUNTER, name, help, labels, ret);
}

int ctl_metrics_gauge(struct ctl_metrics *r, const char *name, const char *help,
                      const char *const *labels, struct ctl_metric **ret)
{
	return metric_new(r, CTL_METRIC_GAUGE, name, help, labels, ret);
}

int ctl_metrics_histogram(struct ctl_metrics *r, const char *name, const char *help,
                          const char *const *labels, struct ctl_metric **ret)
{
	return metric_new(r, CTL_METRIC_HISTOGRAM, name, help, labels, ret);
}

void ctl_metric_set_max_series(struct ctl_metric *m, size_t n)
{
	if (n >= 1)
		m->max_series = n;
}

uint64_t ctl_metrics_dropped(const struct ctl_metrics *r)
{
	return r->dropped;
}

/* The stored series for an update of a metric of `type`. */
static int stored(struct ctl_metric *m, enum ctl_metric_type type, const char *const *values,
                  struct series **ret)
{
	if (!m || m->type != type)
		return -EINVAL;
	struct series *s = NULL;
	int r = lookup(m, values, true, &s);
	if (r < 0)
		return r;
	if (s->fn || s->hist_fn)
		return -EINVAL;
	*ret = s;
	return 0;
}

int ctl_metric_add(struct ctl_metric *m, const char *const *values, double v)
{
	/* Checked first so a refused amount does not create a series. */
	if (!(v >= 0))
		return -EINVAL;
	struct series *s = NULL;
	int r = stored(m, CTL_METRIC_COUNTER, values, &s);
	if (r < 0)
		return r;
	s->value += v;
	return 0;
}

int ctl_metric_inc(struct ctl_metric *m, const char *const *values)
{
	return ctl_metric_add(m, values, 1);
}

int ctl_metric_set(struct ctl_metric *m, const char *const *values, double v)
{
	struct series *s = NULL;
	int r = stored(m, CTL_METRIC_GAUGE, values, &s);
	if (r < 0)
		return r;
	s->value = v;
	return 0;
}

int ctl_metric_gauge_add(struct ctl_metric *m, const char *const *values, double v)
{
	struct series *s = NULL;
	int r = stored(m, CTL_METRIC_GAUGE, values, &s);
	if (r < 0)
		return r;
	s->value += v;
	return 0;
}

int ctl_metric_observe(struct ctl_metric *m, const char *const *values, double v)
{
	struct series *s = NULL;
	int r = stored(m, CTL_METRIC_HISTOGRAM, values, &s);
	if (r < 0)
		return r;
	ctl_histogram_observe(&s->hist, v);
	return 0;
}

int ctl_metric_bind(struct ctl_metric *m, const char *const *values, ctl_metric_value_fn fn,
                    void *userdata)
{
	if (!m || !fn || m->type == CTL_METRIC_HISTOGRAM)
		return -EINVAL;
	struct series *s = NULL;
	int r = lookup(m, values, true, &s);
	if (r < 0)
		return r;
	s->fn = fn;
	s->userdata = userdata;
	return 0;
}

int ctl_metric_bind_histogram(struct ctl_metric *m, const char *const *values,
                              ctl_metric_histogram_fn fn, void *userdata)
{
	if (!m || !fn || m->type != CTL_METRIC_HISTOGRAM)
		return -EINVAL;
	struct series *s = NULL;
	int r = lookup(m, values, true, &s);
	if (r < 0)
		return r;
	s->hist_fn = fn;
	s->userdata = userdata;
	return 0;
}

int ctl_metric_remove(struct ctl_metric *m, const char *const *values)
{
	if (!m)
		return -EINVAL;
	struct series *s = NULL;
	int r = lookup(m, values, false, &s);
	if (r < 0)
		return r;
	ctl_hashmap_remove(m->index, s->key, NULL);
	for (size_t i = 0; i < m->nseries; i++) {
		if (m->series[i] == s) {
			memmove(&m->series[i], &m->series[i + 1],
			        (m->nseries - i - 1) * sizeof(m->series[0]));
			m->nseries--;
			break;
		}
	}
	series_free(s);
	return 0;
}

int ctl_metric_get(const struct ctl_metric *m, const char *const *values, double *ret)
{
	if (!m || m->type == CTL_METRIC_HISTOGRAM)
		return -EINVAL;
	struct series *s = NULL;
	/* lookup() without create does not modify the metric. */
	int r = lookup((struct ctl_metric *)m, values, false, &s);
	if (r < 0)
		return r;
	double v = s->value;
	if (s->fn) {
		r = s->fn(s->userdata, &v);
		if (r < 0)
			return r;
	}
	*ret = v;
	return 0;
}

static void put_help(struct buf *b, const char *help)
{
	for (const char *p = help; *p; p++) {
		if (*p == '\\')
			buf_puts(b, "\\\\");
		else if (*p == '\n')
			buf_puts(b, "\\n");
		else
			buf_put(b, p, 1);
	}
}

/* name[suffix]{key[,extra]} */
static void put_series_name(struct buf *b, const struct ctl_metric *m, const char *suffix,
                            const char *key, const char *extra)
{
	buf_puts(b, m->name);
	buf_puts(b, suffix);
	if (*key || extra) {
		buf_puts(b, "{");
		buf_puts(b, key);
		if (extra) {
			if (*key)
				buf_puts(b, ",");
			buf_puts(b, extra);
		}
		buf_puts(b, "}");
	}
}

static void render_histogram(struct buf *b, const struct ctl_metric *m, const struct series *s,
                             const struct ctl_histogram *h)
{
	for (size_t i = 0; i < CTL_HISTOGRAM_NBUCKETS; i++) {
		char bound[32];
		char le[48];
		format_double(ctl_histogram_bounds[i], bound);
		snprintf(le, sizeof(le), "le=\"%s\"", bound);
		put_series_name(b, m, "_bucket", s->key, le);
		buf_printf(b, " %" PRIu64 "\n", ctl_histogram_cumulative(h, i));
	}
	put_series_name(b, m, "_bucket", s->key, "le=\"+Inf\"");
	buf_printf(b, " %" PRIu64 "\n", h->count);
	put_series_name(b, m, "_sum", s->key, NULL);
	buf_puts(b, " ");
	buf_double(b, h->sum);
	buf_puts(b, "\n");
	put_series_name(b, m, "_count", s->key, NULL);
	buf_printf(b, " %" PRIu64 "\n", h->count);
}

static void render_metric(struct buf *b, const struct ctl_metric *m)
{
	static const char *const type_names[] = {
	    [CTL_METRIC_COUNTER] = "counter",
	    [CTL_METRIC_GAUGE] = "gauge",
	    [CTL_METRIC_HISTOGRAM] = "histogram",
	};
	if (m->nseries == 0)
		return;
	buf_puts(b, "# HELP ");
	buf_puts(b, m->name);
	buf_puts(b, " ");
	put_help(b, m->help);
	buf_puts(b, "\n# TYPE ");
	buf_puts(b, m->name);
	buf_puts(b, " ");
	buf_puts(b, type_names[m->type]);
	buf_puts(b, "\n");
	for (size_t i = 0; i < m->nseries; i++) {
		const struct series *s = m->series[i];
		if (m->type == CTL_METRIC_HISTOGRAM) {
			struct ctl_histogram h = s->hist;
			if (s->hist_fn && s->hist_fn(s->userdata, &h) < 0)
				continue;
			render_histogram(b, m, s, &h);
			continue;
		}
		double v = s->value;
		if (s->fn && s->fn(s->userdata, &v) < 0)
			continue;
		put_series_name(b, m, "", s->key, NULL);
		buf_puts(b, " ");
		buf_double(b, v);
		buf_puts(b, "\n");
	}
}

int ctl_metrics_render(struct ctl_metrics *r, char **ret_text, size_t *ret_len)
{
	struct buf b = {0};
	/* An empty registry still yields a valid (empty) string. */
	buf_put(&b, "", 0);
	for (size_t i = 0; i < r->n; i++)
		render_metric(&b, r->metrics[i]);
	if (b.err) {
		free(b.p);
		return b.err;
	}
	*ret_text = b.p;
	if (ret_len)
		*ret_len = b.len;
	return 0;
}

/* ---- process metrics ---- */

int ctl_proc_status_bytes(const char *status_text, const char *key, uint64_t *ret)
{
	size_t klen = strlen(key);
	const char *line = status_text;
	while (line && *line) {
		if (strncmp(line, key, klen) == 0 && line[klen] == ':') {
			const char *p = line + klen + 1;
			char *end = NULL;
			while (*p == ' ' || *p == '\t')
				p++;
			if (*p < '0' || *p > '9')
				return -EINVAL;
			errno = 0;
			unsigned long long v = strtoull(p, &end, 10);
			if (errno || end == p)
				return -EINVAL;
			while (*end == ' ' || *end == '\t')
				end++;
			uint64_t mult = 1;
			if (strncmp(end, "kB", 2) == 0)
				mult = 1024;
			if (v > UINT64_MAX / mult)
				return -EINVAL;
			*ret = (uint64_t)v * mult;
			return 0;
		}
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	return -ENOENT;
}

int ctl_proc_stat_times(const char *stat_text, uint64_t *ret_utime, uint64_t *ret_stime,
                        uint64_t *ret_starttime)
{
	/* The command name may contain anything, including ") ": the fields
	 * start after the last ')'. Field 3 (state) is token 0 after it. */
	const char *p = strrchr(stat_text, ')');
	if (!p)
		return -EINVAL;
	p++;
	uint64_t tok[20];
	for (int i = 0; i < 20; i++) {
		while (*p == ' ')
			p++;
		if (*p == '\0' || *p == '\n')
			return -EINVAL;
		if (i == 0) {
			/* the state letter */
			while (*p && *p != ' ')
				p++;
			tok[0] = 0;
			continue;
		}
		char *end = NULL;
		errno = 0;
		/* Some fields are signed (priority, nice); their value does
		 * not matter, only that the token is numeric. */
		if (*p == '-')
			p++;
		if (*p < '0' || *p > '9')
			return -EINVAL;
		unsigned long long v = strtoull(p, &end, 10);
		if (errno || end == p || (*end != ' ' && *end != '\n' && *end != '\0'))
			return -EINVAL;
		tok[i] = v;
		p = end;
	}
	*ret_utime = tok[14 - 3];
	*ret_stime = tok[15 - 3];
	*ret_starttime = tok[22 - 3];
	return 0;
}

/* Reads a small /proc file into buf (NUL-terminated). 0 or -errno. */
static int read_small(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	size_t len = 0;
	int r = 0;
	while (len + 1 < size) {
		ssize_t n = read(fd, buf + len, size - 1 - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			break;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (r < 0)
		return r;
	buf[len] = '\0';
	return 0;
}

static int status_value(const char *key, double *ret)
{
	char text[8192];
	uint64_t v = 0;
	int r = read_small("/proc/self/status", text, sizeof(text));
	if (r < 0)
		return r;
	r = ctl_proc_status_bytes(text, key, &v);
	if (r < 0)
		return r;
	*ret = (double)v;
	return 0;
}

static int read_rss(void *userdata, double *ret)
{
	return status_value("VmRSS", ret);
}

static int read_vsize(void *userdata, double *ret)
{
	return status_value("VmSize", ret);
}

static int self_times(uint64_t *utime, uint64_t *stime, uint64_t *start)
{
	char text[1024];
	int r = read_small("/proc/self/stat", text, sizeof(text));
	if (r < 0)
		return r;
	return ctl_proc_stat_times(text, utime, stime, start);
}

static int read_cpu(void *userdata, double *ret)
{
	uint64_t ut = 0, st = 0, start = 0;
	long hz = sysconf(_SC_CLK_TCK);
	if (hz <= 0)
		return -EINVAL;
	int r = self_times(&ut, &st, &start);
	if (r < 0)
		return r;
	*ret = (double)(ut + st) / (double)hz;
	return 0;
}

/* Boot time from the "btime" line of /proc/stat, which can be long (one
 * "intr" line with a counter per interrupt), hence getline. */
static int boot_time(double *ret)
{
	FILE *f = fopen("/proc/stat", "re");
	if (!f)
		return -errno;
	char *line = NULL;
	size_t cap = 0;
	int r = -ENOENT;
	while (getline(&line, &cap, f) > 0) {
		if (strncmp(line, "btime ", 6) == 0) {
			char *end = NULL;
			errno = 0;
			unsigned long long v = strtoull(line + 6, &end, 10);
			r = (errno || end == line + 6) ? -EINVAL : 0;
			if (r == 0)
				*ret = (double)v;
			break;
		}
	}
	free(line);
	fclose(f);
	return r;
}

static int read_start_time(void *userdata, double *ret)
{
	struct ctl_metrics *r = userdata;
	if (r->start_time <= 0) {
		uint64_t ut = 0, st = 0, start = 0;
		double btime = 0;
		long hz = sysconf(_SC_CLK_TCK);
		if (hz <= 0)
			return -EINVAL;
		int e = self_times(&ut, &st, &start);
		if (e < 0)
			return e;
		e = boot_time(&btime);
		if (e < 0)
			return e;
		r->start_time = btime + (double)start / (double)hz;
	}
	*ret = r->start_time;
	return 0;
}

static int read_open_fds(void *userdata, double *ret)
{
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return -errno;
	/* The directory's own descriptor is listed too; it is ours only for
	 * this count, so it is not counted. */
	char self[32];
	snprintf(self, sizeof(self), "%d", dirfd(d));
	double n = 0;
	for (struct dirent *e = readdir(d); e; e = readdir(d)) {
		if (e->d_name[0] == '.' || strcmp(e->d_name, self) == 0)
			continue;
		n++;
	}
	closedir(d);
	*ret = n;
	return 0;
}

static int read_max_fds(void *userdata, double *ret)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return -errno;
	*ret = rl.rlim_cur == RLIM_INFINITY ? INFINITY : (double)rl.rlim_cur;
	return 0;
}

int ctl_metrics_register_process(struct ctl_metrics *r)
{
	static const struct {
		const char *name;
		const char *help;
		enum ctl_metric_type type;
		ctl_metric_value_fn fn;
	} defs[] = {
	    {"process_cpu_seconds_total", "Total user and system CPU time spent in seconds.",
	     CTL_METRIC_COUNTER, read_cpu},
	    {"process_open_fds", "Number of open file descriptors.", CTL_METRIC_GAUGE,
	     read_open_fds},
	    {"process_max_fds", "Maximum number of open file descriptors.", CTL_METRIC_GAUGE,
	     read_max_fds},
	    {"process_resident_memory_bytes", "Resident memory size in bytes.", CTL_METRIC_GAUGE,
	     read_rss},
	    {"process_virtual_memory_bytes", "Virtual memory size in bytes.", CTL_METRIC_GAUGE,
	     read_vsize},
	    {"process_start_time_seconds", "Start time of the process since unix epoch in seconds.",
	     CTL_METRIC_GAUGE, read_start_time},
	};
	for (size_t i = 0; i < sizeof(defs) / sizeof(defs[0]); i++) {
		struct ctl_metric *m = NULL;
		int e = metric_new(r, defs[i].type, defs[i].name, defs[i].help, NULL, &m);
		if (e < 0)
			return e;
		e = ctl_metric_bind(m, NULL, defs[i].fn, r);
		if (e < 0)
			return e;
	}
	return 0;
}
