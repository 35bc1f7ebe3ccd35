#include "controller/events.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "controller/hashmap.h"

/* Isomorphic keys hold a few bounded fields; anything longer is refused. */
#define KEY_MAX 2048

struct cached {
	char ns[64];
	char name[CTL_EVENT_NAME_MAX + 1];
	/* As created, without series, as compact JSON: the 404 fallback's
	 * base. Text, not a jansson tree: a tree is ~4 times the size, and up
	 * to max_series of these stay for minutes. */
	char *event;
	double first; /* eventTime */
	double last_observed;
	double last_write;
	int32_t count;   /* occurrences so far */
	int32_t written; /* count the API server last saw */
	bool is_series;
};

struct bucket {
	double tokens;
	double at;
};

struct ctl_events {
	struct ctl_events_config cfg;
	char *instance;
	struct ctl_hashmap *cache;   /* isomorphic key -> struct cached */
	struct ctl_hashmap *buckets; /* regarding key -> struct bucket */
	struct cached **retired;     /* ended early with an unwritten count */
	size_t nretired, capretired;
	uint64_t last_name_ns;
};

void ctl_events_config_default(struct ctl_events_config *cfg)
{
	cfg->reporting_instance = NULL;
	cfg->burst = 25;
	cfg->refill_per_second = 1.0 / 300.0;
	cfg->finish = 360;
	cfg->refresh = 1800;
	cfg->max_series = 4096;
}

static bool field_ok(const char *s)
{
	return s && s[0] && strnlen(s, CTL_EVENT_FIELD_MAX + 1) <= CTL_EVENT_FIELD_MAX;
}

struct ctl_events *ctl_events_new(const struct ctl_events_config *cfg)
{
	if (!cfg || !field_ok(cfg->reporting_instance) || !(cfg->burst >= 1) ||
	    !(cfg->refill_per_second > 0) || !(cfg->finish > 0) || !(cfg->refresh > 0))
		return NULL;
	struct ctl_events *e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->cfg = *cfg;
	e->instance = strdup(cfg->reporting_instance);
	e->cfg.reporting_instance = e->instance;
	e->cache = ctl_hashmap_new();
	e->buckets = ctl_hashmap_new();
	if (!e->instance || !e->cache || !e->buckets)
		return ctl_events_free(e);
	return e;
}

static void cached_free(struct cached *c)
{
	if (!c)
		return;
	free(c->event);
	free(c);
}

struct ctl_events *ctl_events_free(struct ctl_events *e)
{
	if (!e)
		return NULL;
	size_t pos = 0;
	void *v;
	while (e->cache && ctl_hashmap_next(e->cache, &pos, NULL, &v))
		cached_free(v);
	pos = 0;
	while (e->buckets && ctl_hashmap_next(e->buckets, &pos, NULL, &v))
		free(v);
	for (size_t i = 0; i < e->nretired; i++)
		cached_free(e->retired[i]);
	free(e->retired);
	ctl_hashmap_free(e->cache);
	ctl_hashmap_free(e->buckets);
	free(e->instance);
	free(e);
	return NULL;
}

size_t ctl_events_cached(const struct ctl_events *e)
{
	return ctl_hashmap_size(e->cache);
}

size_t ctl_events_buckets(const struct ctl_events *e)
{
	return ctl_hashmap_size(e->buckets);
}

/* ---- building ---- */

int ctl_object_ref_from(const json_t *obj, struct ctl_object_ref *ref)
{
	json_t *meta = json_object_get(obj, "metadata");
	struct ctl_object_ref r = {
	    .api_version = json_string_value(json_object_get(obj, "apiVersion")),
	    .kind = json_string_value(json_object_get(obj, "kind")),
	    .namespace_ = json_string_value(json_object_get(meta, "namespace")),
	    .name = json_string_value(json_object_get(meta, "name")),
	    .uid = json_string_value(json_object_get(meta, "uid")),
	    .resource_version = json_string_value(json_object_get(meta, "resourceVersion")),
	};
	if (!r.api_version || !r.kind || !r.name)
		return -EINVAL;
	*ref = r;
	return 0;
}

int ctl_event_micro_time(double t, char *buf, size_t len)
{
	if (len < 28)
		return -ENOSPC;
	double whole = floor(t);
	time_t secs = (time_t)whole;
	long micros = lround((t - whole) * 1e6);
	if (micros >= 1000000) {
		secs++;
		micros -= 1000000;
	}
	struct tm tm;
	if (!gmtime_r(&secs, &tm))
		return -EINVAL;
	size_t n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	if (n == 0)
		return -ENOSPC;
	int m = snprintf(buf + n, len - n, ".%06ldZ", micros);
	if (m < 0 || (size_t)m >= len - n)
		return -ENOSPC;
	return 0;
}

static bool ref_ok(const struct ctl_object_ref *r)
{
	return r && r->name && r->name[0] && r->kind && r->kind[0];
}

static json_t *ref_json(const struct ctl_object_ref *r)
{
	json_t *o = json_object();
	if (r->api_version)
		json_object_set_new(o, "apiVersion", json_string(r->api_version));
	json_object_set_new(o, "kind", json_string(r->kind));
	if (r->namespace_ && r->namespace_[0])
		json_object_set_new(o, "namespace", json_string(r->namespace_));
	json_object_set_new(o, "name", json_string(r->name));
	if (r->uid)
		json_object_set_new(o, "uid", json_string(r->uid));
	if (r->resource_version)
		json_object_set_new(o, "resourceVersion", json_string(r->resource_version));
	return o;
}

static const char *event_namespace(const struct ctl_event *ev)
{
	const char *ns = ev->regarding.namespace_;
	return ns && ns[0] ? ns : "default";
}

/* The note cut to the API's limit on a UTF-8 character boundary. */
static json_t *note_json(const char *note)
{
	if (!note)
		note = "";
	size_t n = strnlen(note, CTL_EVENT_NOTE_MAX + 1);
	if (n > CTL_EVENT_NOTE_MAX) {
		n = CTL_EVENT_NOTE_MAX;
		while (n > 0 && ((unsigned char)note[n] & 0xc0) == 0x80)
			n--;
	}
	return json_stringn(note, n);
}

json_t *ctl_event_build(const struct ctl_event *ev, const char *name,
                        const char *reporting_instance, double now)
{
	if (!field_ok(ev->reason) || !field_ok(ev->action) || !field_ok(reporting_instance) ||
	    !ref_ok(&ev->regarding) || (ev->related && !ref_ok(ev->related)) || !name || !name[0] ||
	    strnlen(name, CTL_EVENT_NAME_MAX + 1) > CTL_EVENT_NAME_MAX)
		return NULL;
	char when[40];
	if (ctl_event_micro_time(now, when, sizeof(when)) < 0)
		return NULL;
	json_t *note = note_json(ev->note);
	if (!note)
		return NULL; /* invalid UTF-8 */
	json_t *o =
	    json_pack("{s:s, s:s, s:{s:s, s:s}, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:o}",
	              "apiVersion", "events.k8s.io/v1", "kind", "Event", "metadata", "name", name,
	              "namespace", event_namespace(ev), "eventTime", when, "reportingController",
	              CTL_EVENT_REPORTING_CONTROLLER, "reportingInstance", reporting_instance,
	              "action", ev->action, "reason", ev->reason, "type",
	              ev->type == CTL_EVENT_WARNING ? "Warning" : "Normal", "note", note,
	              "regarding", ref_json(&ev->regarding));
	if (o && ev->related)
		json_object_set_new(o, "related", ref_json(ev->related));
	return o;
}

/* ---- keys ---- */

static int append(char *buf, size_t len, size_t *off, const char *s)
{
	int n = snprintf(buf + *off, len - *off, "%s\x1f", s ? s : "");
	if (n < 0 || (size_t)n >= len - *off)
		return -EINVAL;
	*off += (size_t)n;
	return 0;
}

static int ref_key(const struct ctl_object_ref *r, char *buf, size_t len, size_t *off)
{
	if (!r)
		return append(buf, len, off, "-");
	if (append(buf, len, off, r->api_version) < 0 || append(buf, len, off, r->kind) < 0 ||
	    append(buf, len, off, r->namespace_) < 0 || append(buf, len, off, r->name) < 0 ||
	    append(buf, len, off, r->uid) < 0)
		return -EINVAL;
	return 0;
}

static int isomorphic_key(const struct ctl_events *e, const struct ctl_event *ev, char *buf,
                          size_t len)
{
	size_t off = 0;
	if (append(buf, len, &off, ev->type == CTL_EVENT_WARNING ? "Warning" : "Normal") < 0 ||
	    append(buf, len, &off, ev->reason) < 0 || append(buf, len, &off, ev->action) < 0 ||
	    append(buf, len, &off, e->instance) < 0 ||
	    ref_key(&ev->regarding, buf, len, &off) < 0 || ref_key(ev->related, buf, len, &off) < 0)
		return -EINVAL;
	return 0;
}

/* ---- rate limit ---- */

static double bucket_level(const struct ctl_events *e, const struct bucket *b, double now)
{
	double t = b->tokens;
	if (now > b->at)
		t += (now - b->at) * e->cfg.refill_per_second;
	return t > e->cfg.burst ? e->cfg.burst : t;
}

/* Takes a token from the regarding object's bucket: 1 taken, 0 none left,
 * -ENOMEM. */
static int take_token(struct ctl_events *e, const struct ctl_event *ev, double now)
{
	char key[KEY_MAX];
	size_t off = 0;
	if (ref_key(&ev->regarding, key, sizeof(key), &off) < 0)
		return -EINVAL;
	struct bucket *b = ctl_hashmap_get(e->buckets, key);
	if (!b) {
		b = malloc(sizeof(*b));
		if (!b)
			return -ENOMEM;
		b->tokens = e->cfg.burst;
		b->at = now;
		if (ctl_hashmap_put(e->buckets, key, b, NULL) < 0) {
			free(b);
			return -ENOMEM;
		}
	}
	b->tokens = bucket_level(e, b, now);
	if (now > b->at)
		b->at = now;
	if (b->tokens < 1)
		return 0;
	b->tokens -= 1;
	return 1;
}

/* ---- writes ---- */

void ctl_event_write_clear(struct ctl_event_write *w)
{
	json_decref(w->body);
	json_decref(w->fallback);
	w->body = NULL;
	w->fallback = NULL;
}

static void write_names(struct ctl_event_write *w, const struct cached *c)
{
	snprintf(w->namespace_, sizeof(w->namespace_), "%s", c->ns);
	snprintf(w->name, sizeof(w->name), "%s", c->name);
}

/* A series PATCH for c's current count; 0 or -ENOMEM. */
static int series_write(const struct cached *c, struct ctl_event_write *w)
{
	char when[40];
	ctl_event_micro_time(c->last_observed, when, sizeof(when));
	json_t *series =
	    json_pack("{s:i, s:s}", "count", (json_int_t)c->count, "lastObservedTime", when);
	json_t *body = json_pack("{s:O}", "series", series);
	json_t *fallback = json_loads(c->event, 0, NULL);
	if (!series || !body || !fallback || json_object_set(fallback, "series", series) < 0) {
		json_decref(series);
		json_decref(body);
		json_decref(fallback);
		return -ENOMEM;
	}
	json_decref(series);
	memset(w, 0, sizeof(*w));
	w->decision = CTL_EVENT_PATCH;
	w->count = c->count;
	w->body = body;
	w->fallback = fallback;
	write_names(w, c);
	return 0;
}

static bool expired(const struct ctl_events *e, const struct cached *c, double now)
{
	double since = c->is_series ? c->last_observed : c->first;
	return now - since > e->cfg.finish;
}

/* Forgets c; a series the API server has not seen the end of is kept for
 * the next tick to write. */
static void retire(struct ctl_events *e, struct cached *c)
{
	if (c->is_series && c->count != c->written) {
		if (e->nretired == e->capretired) {
			size_t ncap = e->capretired ? e->capretired * 2 : 8;
			struct cached **nr = realloc(e->retired, ncap * sizeof(*nr));
			if (nr) {
				e->retired = nr;
				e->capretired = ncap;
			}
		}
		if (e->nretired < e->capretired) {
			e->retired[e->nretired++] = c;
			return;
		}
	}
	cached_free(c);
}

/* regarding name + "." + nanoseconds in hex, like client-go, made unique
 * within this process even when two events share a nanosecond. */
static void event_name(struct ctl_events *e, const struct ctl_event *ev, double now, char *buf,
                       size_t len)
{
	uint64_t ns = now > 0 ? (uint64_t)(now * 1e9) : 0;
	if (ns <= e->last_name_ns)
		ns = e->last_name_ns + 1;
	e->last_name_ns = ns;
	/* 1 + 16 hex digits must fit after the (possibly cut) object name. */
	int keep = CTL_EVENT_NAME_MAX - 17;
	snprintf(buf, len, "%.*s.%llx", keep, ev->regarding.name, (unsigned long long)ns);
}

int ctl_events_record(struct ctl_events *e, const struct ctl_event *ev, double now,
                      struct ctl_event_write *out)
{
	char key[KEY_MAX];
	if (!field_ok(ev->reason) || !field_ok(ev->action) || !ref_ok(&ev->regarding) ||
	    (ev->related && !ref_ok(ev->related)) || isomorphic_key(e, ev, key, sizeof(key)) < 0)
		return -EINVAL;
	struct cached *c = ctl_hashmap_get(e->cache, key);
	if (c && expired(e, c, now)) {
		ctl_hashmap_remove(e->cache, key, NULL);
		retire(e, c);
		c = NULL;
	}
	if (c) {
		struct ctl_event_write w = {.decision = CTL_EVENT_COUNTED};
		c->count++;
		c->last_observed = now;
		if (!c->is_series) {
			c->is_series = true;
			int t = take_token(e, ev, now);
			if (t < 0)
				return t;
			if (t == 1) {
				int r = series_write(c, &w);
				if (r < 0)
					return r;
				c->written = c->count;
				c->last_write = now;
			}
		}
		if (w.decision == CTL_EVENT_COUNTED) {
			w.count = c->count;
			write_names(&w, c);
		}
		*out = w;
		return 0;
	}

	char name[CTL_EVENT_NAME_MAX + 1];
	event_name(e, ev, now, name, sizeof(name));
	json_t *event = ctl_event_build(ev, name, e->instance, now);
	if (!event)
		return -EINVAL;
	int t = take_token(e, ev, now);
	if (t <= 0) {
		json_decref(event);
		if (t < 0)
			return t;
		*out = (struct ctl_event_write){.decision = CTL_EVENT_DROPPED};
		return 0;
	}
	if (ctl_hashmap_size(e->cache) < e->cfg.max_series) {
		c = calloc(1, sizeof(*c));
		if (c) {
			snprintf(c->ns, sizeof(c->ns), "%s", event_namespace(ev));
			snprintf(c->name, sizeof(c->name), "%s", name);
			c->event = json_dumps(event, JSON_COMPACT);
			c->first = c->last_observed = c->last_write = now;
			c->count = c->written = 1;
			if (!c->event || ctl_hashmap_put(e->cache, key, c, NULL) < 0)
				cached_free(c);
		}
		/* Without memory to cache it the Event is still created, just
		 * not de-duplicated. */
	}
	struct ctl_event_write w = {.decision = CTL_EVENT_CREATE, .count = 1, .body = event};
	snprintf(w.namespace_, sizeof(w.namespace_), "%s", event_namespace(ev));
	snprintf(w.name, sizeof(w.name), "%s", name);
	*out = w;
	return 0;
}

static size_t emit(struct cached *c, ctl_events_emit_fn fn, void *userdata)
{
	struct ctl_event_write w;
	if (series_write(c, &w) < 0)
		return 0;
	if (fn)
		fn(&w, userdata);
	ctl_event_write_clear(&w);
	c->written = c->count;
	return 1;
}

size_t ctl_events_tick(struct ctl_events *e, double now, ctl_events_emit_fn fn, void *userdata)
{
	size_t writes = 0;
	for (size_t i = 0; i < e->nretired; i++) {
		writes += emit(e->retired[i], fn, userdata);
		cached_free(e->retired[i]);
	}
	e->nretired = 0;

	/* Removal would reorder the table under the iteration: collect the
	 * keys first. Bounded by max_series. */
	size_t ngone = 0;
	char **gone = calloc(ctl_hashmap_size(e->cache) + 1, sizeof(*gone));
	size_t pos = 0;
	const char *key;
	void *v;
	while (ctl_hashmap_next(e->cache, &pos, &key, &v)) {
		struct cached *c = v;
		if (expired(e, c, now)) {
			if (c->is_series && c->count != c->written)
				writes += emit(c, fn, userdata);
			if (gone)
				gone[ngone++] = (char *)key;
		} else if (c->is_series && c->count != c->written &&
		           now - c->last_write >= e->cfg.refresh) {
			writes += emit(c, fn, userdata);
			c->last_write = now;
		}
	}
	for (size_t i = 0; i < ngone; i++) {
		void *c = NULL;
		/* The key string belongs to the table: remove frees it, so
		 * fetch the value first through the same call. */
		char copy[KEY_MAX];
		snprintf(copy, sizeof(copy), "%s", gone[i]);
		gone[i] = NULL;
		if (ctl_hashmap_remove(e->cache, copy, &c) == 0)
			cached_free(c);
	}
	free(gone);

	ngone = 0;
	gone = calloc(ctl_hashmap_size(e->buckets) + 1, sizeof(*gone));
	pos = 0;
	while (gone && ctl_hashmap_next(e->buckets, &pos, &key, &v)) {
		if (bucket_level(e, v, now) >= e->cfg.burst)
			gone[ngone++] = (char *)key;
	}
	for (size_t i = 0; i < ngone; i++) {
		void *b = NULL;
		char copy[KEY_MAX];
		snprintf(copy, sizeof(copy), "%s", gone[i]);
		if (ctl_hashmap_remove(e->buckets, copy, &b) == 0)
			free(b);
	}
	free(gone);
	return writes;
}
