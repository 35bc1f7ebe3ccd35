/* Events: the built object, series de-duplication and per-object rate
 * limiting, as tables of (time, event, expected decision). */
#include "tap.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller/events.h"

static const struct ctl_object_ref rs1 = {
    .api_version = "apps/v1",
    .kind = "ReplicaSet",
    .namespace_ = "shop",
    .name = "web-5d8f7c",
    .uid = "u1",
    .resource_version = "100",
};
static const struct ctl_object_ref rs1_newer = {
    .api_version = "apps/v1",
    .kind = "ReplicaSet",
    .namespace_ = "shop",
    .name = "web-5d8f7c",
    .uid = "u1",
    .resource_version = "101",
};
static const struct ctl_object_ref rs2 = {.api_version = "apps/v1",
                                          .kind = "ReplicaSet",
                                          .namespace_ = "shop",
                                          .name = "web-aa",
                                          .uid = "u2"};

enum variant { A, A_NOTE, A_RV, B, W, C, R1, R2, R3, R4, R5, NVARIANTS };

static struct ctl_event make(enum variant v)
{
	struct ctl_event ev = {.regarding = rs1,
	                       .type = CTL_EVENT_NORMAL,
	                       .reason = "ScalingUp",
	                       .action = "Scale",
	                       .note = "to 3"};
	static const char *const reasons[] = {"R1", "R2", "R3", "R4", "R5"};
	switch (v) {
	case A:
		break;
	case A_NOTE:
		ev.note = "to 4"; /* the note is not part of the key */
		break;
	case A_RV:
		ev.regarding = rs1_newer; /* nor is resourceVersion */
		break;
	case B:
		ev.reason = "ScalingDown";
		break;
	case W:
		ev.type = CTL_EVENT_WARNING;
		break;
	case C:
		ev.regarding = rs2;
		break;
	default:
		ev.reason = reasons[v - R1];
		break;
	}
	return ev;
}

/* A step records an event (ev >= 0) or ticks (ev = TICK). */
#define TICK -1
struct step {
	double t;
	int ev;
	enum ctl_event_decision want; /* for records */
	int count;                    /* series count after the step (records) or writes (ticks) */
	int cached;                   /* cached Events after the step, -1 to skip */
};

struct tick_log {
	int writes;
	int last_count;
	char last_name[300];
};

static void on_emit(const struct ctl_event_write *w, void *ud)
{
	struct tick_log *l = ud;
	l->writes++;
	l->last_count = w->count;
	snprintf(l->last_name, sizeof(l->last_name), "%s", w->name);
	/* The patch and the 404 fallback both carry the count. */
	json_t *s = json_object_get(w->body, "series");
	json_t *f = json_object_get(w->fallback, "series");
	if (json_integer_value(json_object_get(s, "count")) != w->count ||
	    json_integer_value(json_object_get(f, "count")) != w->count)
		l->writes += 1000; /* surfaces as a wrong write count */
}

static const char *const decision_names[] = {"CREATE", "PATCH", "COUNTED", "DROPPED"};

static void run(const char *title, const struct ctl_events_config *cfg, const struct step *steps,
                size_t n)
{
	struct ctl_events *e = ctl_events_new(cfg);
	for (size_t i = 0; i < n; i++) {
		const struct step *s = &steps[i];
		if (s->ev == TICK) {
			struct tick_log l = {0};
			size_t w = ctl_events_tick(e, s->t, on_emit, &l);
			is_int(l.writes, s->count, "%s: tick at %g writes %d", title, s->t,
			       s->count);
			is_int(w, s->count, "%s: tick at %g reports %d", title, s->t, s->count);
		} else {
			struct ctl_event ev = make((enum variant)s->ev);
			struct ctl_event_write w = {0};
			int r = ctl_events_record(e, &ev, s->t, &w);
			is_int(r, 0, "%s: record at %g", title, s->t);
			is_str(decision_names[w.decision], decision_names[s->want],
			       "%s: at %g decision %s", title, s->t, decision_names[s->want]);
			if (s->want != CTL_EVENT_DROPPED)
				is_int(w.count, s->count, "%s: at %g count %d", title, s->t,
				       s->count);
			if (s->want == CTL_EVENT_PATCH) {
				json_t *series = json_object_get(w.body, "series");
				is_int(json_integer_value(json_object_get(series, "count")),
				       s->count, "%s: at %g patch carries count", title, s->t);
			}
			ok((w.body != NULL) ==
			       (s->want == CTL_EVENT_CREATE || s->want == CTL_EVENT_PATCH),
			   "%s: at %g a body exactly when there is a write", title, s->t);
			ctl_event_write_clear(&w);
		}
		if (s->cached >= 0)
			is_int(ctl_events_cached(e), s->cached, "%s: %d cached after step %zu",
			       title, s->cached, i);
	}
	ctl_events_free(e);
}

static void test_series(void)
{
	struct ctl_events_config cfg;
	ctl_events_config_default(&cfg);
	cfg.reporting_instance = "slipway-controller-0";
	static const struct step steps[] = {
	    {0, A, CTL_EVENT_CREATE, 1, 1},
	    {1, A, CTL_EVENT_PATCH, 2, 1},        /* second occurrence: patched at once */
	    {2, A_NOTE, CTL_EVENT_COUNTED, 3, 1}, /* other note, same series */
	    {2.5, A_RV, CTL_EVENT_COUNTED, 4, 1}, /* newer resourceVersion, same series */
	    {3, B, CTL_EVENT_CREATE, 1, 2},       /* other reason */
	    {4, W, CTL_EVENT_CREATE, 1, 3},       /* other type */
	    {5, C, CTL_EVENT_CREATE, 1, 4},       /* other object */
	    {100, TICK, 0, 0, 4},                 /* nothing due */
	    {200, A, CTL_EVENT_COUNTED, 5, 4},
	    {366, TICK, 0, 0, 1}, /* singletons older than 6 min forgotten; A lives on */
	    {560, TICK, 0, 0, 1}, /* 360 s after 200: not yet over */
	    {561, TICK, 0, 1, 0}, /* series over: final count 5 written, forgotten */
	    {562, A, CTL_EVENT_CREATE, 1, 1}, /* a new Event */
	};
	run("series", &cfg, steps, sizeof(steps) / sizeof(steps[0]));

	/* A repeat every 300 s keeps the series alive (window 360 s); its count
	 * is written again 1800 s after the last write. */
	static const struct step refresh[] = {
	    {1000, A, CTL_EVENT_CREATE, 1, 1},
	    {1060, A, CTL_EVENT_PATCH, 2, 1},
	    {1300, A, CTL_EVENT_COUNTED, 3, 1},
	    {1500, TICK, 0, 0, 1},
	    {1600, A, CTL_EVENT_COUNTED, 4, 1},
	    {1900, A, CTL_EVENT_COUNTED, 5, 1},
	    {2200, A, CTL_EVENT_COUNTED, 6, 1},
	    {2500, A, CTL_EVENT_COUNTED, 7, 1},
	    {2800, A, CTL_EVENT_COUNTED, 8, 1},
	    {2859, TICK, 0, 0, 1}, /* 1799 s since */
	    {2860, TICK, 0, 1, 1}, /* due: count 8 written */
	    {2861, TICK, 0, 0, 1}, /* nothing new to write */
	    {2862, A, CTL_EVENT_COUNTED, 9, 1},
	    {3300, TICK, 0, 1, 0}, /* over: final 9 */
	};
	run("refresh", &cfg, refresh, sizeof(refresh) / sizeof(refresh[0]));

	/* A series that ends by a late repeat before any tick keeps its final
	 * count for the next tick, and the repeat starts a new Event. */
	static const struct step late[] = {
	    {0, A, CTL_EVENT_CREATE, 1, 1},
	    {1, A, CTL_EVENT_PATCH, 2, 1},
	    {2, A, CTL_EVENT_COUNTED, 3, 1},
	    {400, A, CTL_EVENT_CREATE, 1, 1},
	    {401, TICK, 0, 1, 1},
	};
	run("late repeat", &cfg, late, sizeof(late) / sizeof(late[0]));
}

static void test_rate_limit(void)
{
	struct ctl_events_config cfg;
	ctl_events_config_default(&cfg);
	cfg.reporting_instance = "slipway-controller-0";
	cfg.burst = 3;
	cfg.refill_per_second = 0.1;
	static const struct step steps[] = {
	    {0, R1, CTL_EVENT_CREATE, 1, 1},
	    {0, R2, CTL_EVENT_CREATE, 1, 2},
	    {0, R3, CTL_EVENT_CREATE, 1, 3},
	    {0, R4, CTL_EVENT_DROPPED, 0, 3},   /* bucket of rs1 empty */
	    {0.5, R1, CTL_EVENT_COUNTED, 2, 3}, /* a repeat is still counted */
	    {1, C, CTL_EVENT_CREATE, 1, 4},     /* another object has its own bucket */
	    {9, R5, CTL_EVENT_DROPPED, 0, 4},
	    {10, R5, CTL_EVENT_CREATE, 1, 5}, /* one token back after 10 s */
	    {10, R4, CTL_EVENT_DROPPED, 0, 5},
	    {400, TICK, 0, 1, 0}, /* R1's count 2 written without a token */
	};
	run("rate limit", &cfg, steps, sizeof(steps) / sizeof(steps[0]));

	struct ctl_events *e = ctl_events_new(&cfg);
	struct ctl_event ev = make(A);
	struct ctl_event_write w;
	ctl_events_record(e, &ev, 0, &w);
	ctl_event_write_clear(&w);
	is_int(ctl_events_buckets(e), 1, "a bucket while it is not full");
	ctl_events_tick(e, 5, NULL, NULL);
	is_int(ctl_events_buckets(e), 1, "kept while refilling");
	ctl_events_tick(e, 10, NULL, NULL);
	is_int(ctl_events_buckets(e), 0, "released once full again");
	ctl_events_free(e);
}

static void test_build(void)
{
	char when[40];
	is_int(ctl_event_micro_time(1795694400.123456, when, sizeof(when)), 0, "micro time");
	is_str(when, "2026-11-26T12:00:00.123456Z", "micro time has 6 digits and Z");
	is_int(ctl_event_micro_time(1795694400.9999996, when, sizeof(when)), 0, "rounding");
	is_str(when, "2026-11-26T12:00:01.000000Z", "rounding carries into the seconds");
	is_int(ctl_event_micro_time(0, when, 10), -ENOSPC, "short buffer refused");

	struct ctl_event ev = make(A);
	struct ctl_object_ref rel = {.api_version = "slipway.dev/v1alpha1",
	                             .kind = "Release",
	                             .namespace_ = "shop",
	                             .name = "web",
	                             .uid = "r1"};
	ev.related = &rel;
	json_t *o = ctl_event_build(&ev, "web-5d8f7c.1", "inst-0", 1795694400.5);
	char *s = json_dumps(o, JSON_SORT_KEYS | JSON_COMPACT);
	is_str(s,
	       "{\"action\":\"Scale\",\"apiVersion\":\"events.k8s.io/v1\",\"eventTime\":"
	       "\"2026-11-26T12:00:00.500000Z\",\"kind\":\"Event\",\"metadata\":{\"name\":"
	       "\"web-5d8f7c.1\",\"namespace\":\"shop\"},\"note\":\"to 3\",\"reason\":"
	       "\"ScalingUp\",\"regarding\":{\"apiVersion\":\"apps/v1\",\"kind\":\"ReplicaSet\","
	       "\"name\":\"web-5d8f7c\",\"namespace\":\"shop\",\"resourceVersion\":\"100\","
	       "\"uid\":\"u1\"},\"related\":{\"apiVersion\":\"slipway.dev/v1alpha1\",\"kind\":"
	       "\"Release\",\"name\":\"web\",\"namespace\":\"shop\",\"uid\":\"r1\"},"
	       "\"reportingController\":\"slipway.dev/controller\",\"reportingInstance\":"
	       "\"inst-0\",\"type\":\"Normal\"}",
	       "the whole Event");
	free(s);
	json_decref(o);

	/* Cluster-scoped objects' Events go to "default". */
	struct ctl_event node = {.regarding = {.api_version = "v1", .kind = "Node", .name = "n1"},
	                         .type = CTL_EVENT_WARNING,
	                         .reason = "Pressure",
	                         .action = "Evict"};
	o = ctl_event_build(&node, "n1.1", "inst-0", 0);
	is_str(json_string_value(json_object_get(json_object_get(o, "metadata"), "namespace")),
	       "default", "cluster-scoped: namespace default");
	is_str(json_string_value(json_object_get(o, "type")), "Warning", "warning type");
	is_str(json_string_value(json_object_get(o, "note")), "", "NULL note is empty");
	json_decref(o);

	/* Notes are cut to 1024 bytes on a character boundary. */
	char *note = malloc(2000);
	memset(note, 'n', 1999);
	note[1999] = '\0';
	note[1023] = '\xc3';
	note[1024] = '\xa9';
	ev = make(A);
	ev.note = note;
	o = ctl_event_build(&ev, "x.1", "inst-0", 0);
	is_int(strlen(json_string_value(json_object_get(o, "note"))), 1023,
	       "note cut before a split character");
	json_decref(o);
	free(note);

	/* Validation, table-driven. */
	char long_reason[200];
	memset(long_reason, 'R', sizeof(long_reason) - 1);
	long_reason[sizeof(long_reason) - 1] = '\0';
	static const struct ctl_object_ref noname = {.kind = "ReplicaSet"};
	struct {
		const char *what;
		struct ctl_event ev;
	} bad[] = {
	    {"empty reason", {.regarding = rs1, .reason = "", .action = "A"}},
	    {"NULL reason", {.regarding = rs1, .action = "A"}},
	    {"long reason", {.regarding = rs1, .reason = long_reason, .action = "A"}},
	    {"NULL action", {.regarding = rs1, .reason = "R"}},
	    {"regarding without name", {.regarding = noname, .reason = "R", .action = "A"}},
	};
	struct ctl_events_config cfg;
	ctl_events_config_default(&cfg);
	cfg.reporting_instance = "inst-0";
	struct ctl_events *e = ctl_events_new(&cfg);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ok(ctl_event_build(&bad[i].ev, "x.1", "inst-0", 0) == NULL, "build refuses %s",
		   bad[i].what);
		struct ctl_event_write w = {.decision = CTL_EVENT_DROPPED, .count = 77};
		is_int(ctl_events_record(e, &bad[i].ev, 0, &w), -EINVAL, "record refuses %s",
		       bad[i].what);
		is_int(w.count, 77, "out untouched for %s", bad[i].what);
	}

	/* Names: object name, a dot, nanoseconds in hex; unique per call. */
	struct ctl_event_write w1, w2;
	struct ctl_event r1 = make(R1), r2 = make(R2);
	ctl_events_record(e, &r1, 1795694400, &w1);
	ctl_events_record(e, &r2, 1795694400, &w2);
	ok(strncmp(w1.name, "web-5d8f7c.", 11) == 0, "name starts with the object's name: %s",
	   w1.name);
	ok(strcmp(w1.name, w2.name) != 0, "two Events in the same nanosecond get distinct names");
	is_str(json_string_value(json_object_get(json_object_get(w1.body, "metadata"), "name")),
	       w1.name, "the body carries the name");
	is_str(w1.namespace_, "shop", "write namespace");
	ctl_event_write_clear(&w1);
	ctl_event_write_clear(&w2);
	ctl_events_free(e);

	cfg.reporting_instance = NULL;
	ok(ctl_events_new(&cfg) == NULL, "a reporting instance is required");
}

int main(void)
{
	test_series();
	test_rate_limit();
	test_build();
	return tap_done();
}
