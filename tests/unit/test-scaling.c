/*
 * The ReplicaSet primitives of reconcilers/scaling.h, one at a time: a row
 * per situation (ReplicaSets older first, the last one or none the current
 * revision's) with the sizes each RS must want afterwards. The whole
 * rolling strategy built from them is tested in test-rolling.c.
 */
#include "tap.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "model/status.h"
#include "reconcilers/scaling.h"

#define MAX_RS 4

/* One ReplicaSet: spec.replicas, available pods, and its annotations (0 =
 * absent). `current` marks the current revision's. */
struct rs {
	int spec, available, desired, max;
	bool current;
};

enum op { NEW_REPLICAS, UP_NEW, DOWN_OLD, PROPORTIONAL, RESIZED, COMPLETE };

static const struct {
	const char *why;
	enum op op;
	int replicas, surge, unavailable, observed; /* observed: status.replicas */
	struct rs rs[MAX_RS];
	int want[MAX_RS]; /* each RS's want afterwards */
	int result;       /* NEW_REPLICAS: the size; UP_NEW, RESIZED, COMPLETE: the verdict */
} rows[] = {
    {"a new RS may take the whole surge",
     NEW_REPLICAS,
     10,
     3,
     0,
     10,
     {{10, 10, 10, 13, false}, {0, 0, 10, 13, true}},
     {10, 0},
     3},
    {"but never more than replicas",
     NEW_REPLICAS,
     2,
     5,
     0,
     2,
     {{0, 0, 2, 7, false}, {0, 0, 2, 7, true}},
     {0, 0},
     2},
    {"no room above replicas + surge",
     NEW_REPLICAS,
     10,
     2,
     0,
     12,
     {{8, 8, 10, 12, false}, {4, 0, 10, 12, true}},
     {8, 4},
     4},
    {"up_new grows within the surge",
     UP_NEW,
     10,
     2,
     0,
     12,
     {{8, 8, 10, 12, false}, {2, 0, 10, 12, true}},
     {8, 4},
     true},
    {"up_new shrinks an oversized current RS to replicas",
     UP_NEW,
     5,
     2,
     0,
     8,
     {{0, 0, 8, 10, false}, {8, 8, 8, 10, true}},
     {0, 5},
     true},
    {"up_new leaves a full budget alone",
     UP_NEW,
     10,
     2,
     0,
     12,
     {{9, 9, 10, 12, false}, {3, 0, 10, 12, true}},
     {9, 3},
     false},
    {"down_old keeps replicas - unavailable available",
     DOWN_OLD,
     10,
     0,
     2,
     10,
     {{10, 10, 10, 10, false}, {0, 0, 10, 10, true}},
     {8, 0},
     0},
    {"down_old takes unavailable pods first, at no cost",
     DOWN_OLD,
     10,
     0,
     3,
     10,
     {{6, 3, 10, 10, false}, {4, 4, 10, 10, false}, {0, 0, 10, 10, true}},
     {3, 4, 0},
     0},
    {"down_old counts the current RS's unready pods",
     DOWN_OLD,
     10,
     2,
     2,
     12,
     {{8, 8, 10, 12, false}, {4, 0, 10, 12, true}},
     {8, 4},
     0},
    {"down_old oldest first",
     DOWN_OLD,
     10,
     0,
     3,
     10,
     {{2, 2, 10, 10, false}, {8, 8, 10, 10, false}, {0, 0, 10, 10, true}},
     {0, 7, 0},
     0},
    {"resized: an active RS scaled for other replicas",
     RESIZED,
     15,
     3,
     0,
     13,
     {{10, 10, 10, 13, false}},
     {10},
     true},
    {"not resized when the desired annotation matches",
     RESIZED,
     10,
     3,
     0,
     13,
     {{10, 10, 10, 13, false}, {0, 0, 5, 6, true}},
     {10, 0},
     false},
    {"proportional: one active RS gets everything",
     PROPORTIONAL,
     15,
     3,
     0,
     10,
     {{0, 0, 10, 13, false}, {10, 10, 10, 13, true}},
     {0, 15},
     0},
    {"proportional: none active, the current one gets everything",
     PROPORTIONAL,
     4,
     1,
     0,
     0,
     {{0, 0, 0, 0, true}, {0, 0, 0, 0, false}},
     {4, 0},
     0},
    {"proportional: growth shared by max-replicas",
     PROPORTIONAL,
     15,
     3,
     0,
     13,
     {{8, 8, 10, 13, false}, {5, 0, 10, 13, true}},
     {11, 7},
     0},
    {"proportional: the cut shared too",
     PROPORTIONAL,
     5,
     1,
     0,
     13,
     {{8, 8, 10, 13, false}, {5, 0, 10, 13, true}},
     {4, 2},
     0},
    {"proportional: a saturated current RS sends the rest to 0",
     PROPORTIONAL,
     10,
     2,
     0,
     12,
     {{2, 2, 10, 12, false}, {10, 10, 10, 12, true}},
     {0, 10},
     0},
    {"proportional: without max-replicas, status.replicas is the base",
     PROPORTIONAL,
     20,
     0,
     0,
     10,
     {{6, 6, 10, 0, false}, {4, 4, 10, 0, true}},
     {12, 8},
     0},
    {"complete: current RS full and available, old ones empty",
     COMPLETE,
     3,
     1,
     0,
     3,
     {{0, 0, 3, 4, false}, {3, 3, 3, 4, true}},
     {0, 3},
     true},
    {"not complete while an old RS has pods",
     COMPLETE,
     3,
     1,
     0,
     4,
     {{1, 1, 3, 4, false}, {3, 3, 3, 4, true}},
     {1, 3},
     false},
    {"not complete with unavailable pods",
     COMPLETE,
     3,
     1,
     0,
     3,
     {{0, 0, 3, 4, false}, {3, 2, 3, 4, true}},
     {0, 3},
     false},
};

struct world {
	struct rel_release rel;
	struct rel_status observed;
	struct rec_rs rss[MAX_RS];
	struct rec_ctx c;
	struct rec_ref release;
};

/* rs: MAX_RS entries; the first empty one (no pods, no annotation, not
 * current) ends the list. */
static void build(struct world *w, int replicas, int observed, const struct rs rs[MAX_RS])
{
	static char names[MAX_RS][16];
	memset(w, 0, sizeof(*w));
	w->rel.name = "web";
	w->rel.namespace = "shop";
	w->rel.replicas = replicas;
	w->rel.generation = 7;
	w->rel.revision_history_limit = 10;
	snprintf(w->rel.revision, sizeof(w->rel.revision), "cur");
	w->observed.replicas = observed;
	size_t n = 0;
	for (size_t i = 0; i < MAX_RS && (rs[i].spec || rs[i].desired || rs[i].current); i++) {
		struct rec_rs *v = &w->rss[n++];
		snprintf(names[i], sizeof(names[i]), "web-%s%zu", rs[i].current ? "cur" : "old", i);
		*v = (struct rec_rs){.name = names[i],
		                     .uid = names[i],
		                     .revision = rs[i].current ? "cur" : "old",
		                     .spec_replicas = rs[i].spec,
		                     .status_replicas = rs[i].spec,
		                     .ready = rs[i].available,
		                     .available = rs[i].available,
		                     .has_desired = rs[i].desired > 0,
		                     .desired = rs[i].desired,
		                     .has_max = rs[i].max > 0,
		                     .max = rs[i].max,
		                     .rollout_generation = (int64_t)i + 1,
		                     .want = rs[i].spec};
		if (rs[i].current)
			v->name = "web-cur";
	}
	w->c = (struct rec_ctx){.rel = &w->rel,
	                        .release = &w->release,
	                        .observed = &w->observed,
	                        .rss = w->rss,
	                        .n_rss = n,
	                        .now = 1000};
}

static void test_rows(void)
{
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct world w;
		build(&w, rows[i].replicas, rows[i].observed, rows[i].rs);
		struct rec_scaling s;
		rec_scaling_init(&s, &w.c, rows[i].surge, rows[i].unavailable);
		int result = 0;
		switch (rows[i].op) {
		case NEW_REPLICAS:
			result = rec_scaling_new_replicas(&s, s.new_rs ? s.new_rs->want : 0);
			break;
		case UP_NEW:
			result = rec_scaling_up_new(&s);
			break;
		case DOWN_OLD:
			rec_scaling_down_old(&s);
			break;
		case PROPORTIONAL:
			result = rec_scaling_proportional(&s);
			break;
		case RESIZED:
			result = rec_scaling_resized(&s);
			break;
		case COMPLETE:
			result = rec_scaling_complete(&s);
			break;
		}
		is_int(result, rows[i].result, "%s: result", rows[i].why);
		char got[64] = "", want[64] = "";
		for (size_t k = 0; k < w.c.n_rss; k++) {
			size_t g = strlen(got), h = strlen(want);
			snprintf(got + g, sizeof(got) - g, "%d ", (int)w.rss[k].want);
			snprintf(want + h, sizeof(want) - h, "%d ", rows[i].want[k]);
		}
		is_str(got, want, "%s: sizes", rows[i].why);
	}
}

/* The current RS is found by revision; the deterministic name breaks a tie,
 * and it alone is marked make_current. */
static void test_find_current(void)
{
	struct rs rs[MAX_RS] = {{1, 1, 3, 4, true}, {2, 2, 3, 4, true}, {0, 0, 0, 0, false}};
	struct world w;
	build(&w, 3, 3, rs);
	w.rss[1].name = "web-cur";
	w.rss[0].name = "web-cur-copy";
	struct rec_scaling s;
	rec_scaling_init(&s, &w.c, 1, 0);
	ok(s.new_rs == &w.rss[1], "the RS named <release>-<revision> wins");
	ok(w.rss[1].make_current && !w.rss[0].make_current, "only it becomes current");

	struct rs none[MAX_RS] = {{3, 3, 3, 4, false}, {0, 0, 0, 0, false}};
	build(&w, 3, 3, none);
	rec_scaling_init(&s, &w.c, 1, 0);
	ok(s.new_rs == NULL, "no RS of the revision: none is current");
}

/* Scale-downs, then scale-ups, then annotation-only patches. */
static void test_emit_order(void)
{
	struct rs rs[MAX_RS] = {{4, 4, 10, 12, false}, {4, 4, 10, 12, false}, {4, 0, 10, 12, true}};
	struct world w;
	build(&w, 10, 12, rs);
	struct rec_scaling s;
	rec_scaling_init(&s, &w.c, 2, 0);
	w.rss[0].want = 4; /* unchanged, not current: no patch */
	w.rss[1].want = 2;
	w.rss[2].want = 6;
	w.rss[2].rollout_generation = 1;
	w.rss[1].touched = w.rss[2].touched = true;
	struct rec_plan plan;
	rec_plan_init(&plan);
	is_int(rec_scaling_emit(&s, &plan), 0, "emit");
	const char *order[8] = {0};
	size_t n = 0;
	for (size_t i = 0; i < plan.n_actions && n < 8; i++) {
		if (plan.actions[i].kind == REC_MERGE_PATCH)
			order[n++] = plan.actions[i].ref.name;
	}
	is_int(n, 2, "one patch per RS that changes");
	is_str(order[0], "web-old1", "the scale-down first");
	is_str(order[1], "web-cur", "then the scale-up");
	rec_plan_clear(&plan);
}

/* revisionHistoryLimit: of the old RSes too many, the oldest go, unless one
 * still has or wants a pod. */
static void test_clean_history(void)
{
	struct rs rs[MAX_RS] = {
	    {0, 0, 3, 4, false}, {1, 1, 3, 4, false}, {0, 0, 3, 4, false}, {3, 3, 3, 4, true}};
	struct world w;
	build(&w, 3, 3, rs);
	w.rel.revision_history_limit = 1;
	w.rss[1].status_replicas = 1;
	struct rec_scaling s;
	rec_scaling_init(&s, &w.c, 1, 0);
	struct rec_plan plan;
	rec_plan_init(&plan);
	is_int(rec_scaling_clean_history(&s, &plan), 0, "clean history");
	is_int(plan.n_actions, 1, "two too many, one of them busy: one delete");
	ok(plan.n_actions == 1 && plan.actions[0].kind == REC_DELETE &&
	       strcmp(plan.actions[0].ref.name, "web-old0") == 0 &&
	       strcmp(plan.actions[0].ref.uid, "web-old0") == 0,
	   "the oldest, with its uid as precondition");
	rec_plan_clear(&plan);

	w.rel.revision_history_limit = 3;
	rec_plan_init(&plan);
	is_int(rec_scaling_clean_history(&s, &plan), 0, "clean history within the limit");
	is_int(plan.n_actions, 0, "nothing beyond the limit: nothing deleted");
	rec_plan_clear(&plan);
}

/* create_new plans the RS, its Events, and counts it from then on. */
static void test_create(void)
{
	struct rs rs[MAX_RS] = {{10, 10, 10, 13, false}, {0, 0, 0, 0, false}};
	struct world w;
	build(&w, 10, 10, rs);
	w.rel.template = json_pack("{s:{s:{s:s}},s:{s:[{s:s,s:s}]}}", "metadata", "labels", "app",
	                           "web", "spec", "containers", "name", "web", "image", "nginx:2");
	struct rec_scaling s;
	rec_scaling_init(&s, &w.c, 3, 0);
	struct rec_plan plan;
	rec_plan_init(&plan);
	is_int(rec_scaling_create_new(&s, 3, &plan), 0, "create");
	ok(s.new_rs == &s.created && s.created.planned && s.created.want == 3,
	   "the planned RS is the current one");
	is_int(rec_scaling_new_replicas(&s, 3), 3, "and counts against the surge");
	ok(plan.n_actions == 3 && plan.actions[0].kind == REC_CREATE &&
	       strcmp(plan.actions[0].ref.name, "web-cur") == 0,
	   "a create named <release>-<revision>");
	ok(plan.n_actions == 3 && strcmp(plan.actions[1].reason, "RevisionCreated") == 0 &&
	       strstr(plan.actions[1].note, "nginx:2") != NULL,
	   "a RevisionCreated Event naming the image");
	ok(plan.n_actions == 3 && strcmp(plan.actions[2].reason, "ScalingReplicaSet") == 0,
	   "a ScalingReplicaSet Event");
	rec_plan_clear(&plan);
	json_decref(w.rel.template);
}

int main(void)
{
	test_rows();
	test_find_current();
	test_emit_order();
	test_clean_history();
	test_create();
	return tap_done();
}
