/*
 * The status helpers strategies share (reconcilers/status.h): history
 * entries, the verdict as conditions, Available, and the Events of
 * transitions only once.
 */
#include "tap.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "model/condition.h"
#include "reconcilers/status.h"

#define NOW 1795695600

struct world {
	struct rel_release rel;
	struct rel_status observed, next;
	struct rec_ref release;
	struct rec_ctx c;
};

static void build(struct world *w, const char *revision)
{
	memset(w, 0, sizeof(*w));
	w->rel.name = "web";
	w->rel.replicas = 10;
	w->rel.generation = 4;
	snprintf(w->rel.revision, sizeof(w->rel.revision), "%s", revision);
	w->rel.template = json_pack("{s:{s:[{s:s,s:s}]}}", "spec", "containers", "name", "web",
	                            "image", "nginx:2");
	rel_status_init(&w->observed);
	rel_status_init(&w->next);
	w->c = (struct rec_ctx){.rel = &w->rel,
	                        .release = &w->release,
	                        .observed = &w->observed,
	                        .next = &w->next,
	                        .now = NOW};
}

static void destroy(struct world *w)
{
	json_decref(w->rel.template);
	rel_status_clear(&w->observed);
	rel_status_clear(&w->next);
}

/* Observed and next both rolling out `revision`. */
static void rolling_out(struct world *w, const char *revision)
{
	rel_status_set_string(&w->observed.current_revision, revision);
	json_t *images = json_array();
	rel_status_history_push(&w->next, revision, images, NOW - 60);
	json_decref(images);
}

static const char *cond(const struct world *w, const char *type, const char *field)
{
	return json_string_value(
	    json_object_get(model_condition_find(w->next.conditions, type), field));
}

static void test_start_rollout(void)
{
	struct world w;
	build(&w, "bbb");
	rolling_out(&w, "aaa");
	bool started = false;
	is_int(rec_status_start_rollout(&w.c, &started), 0, "start a new revision");
	ok(started, "a new revision starts a rollout");
	is_int(w.next.n_history, 2, "with an entry of its own");
	is_str(w.next.history[0].revision, "bbb", "on top");
	ok(w.next.history[0].started == NOW && w.next.history[0].outcome == REL_OUTCOME_NONE,
	   "started now, no outcome yet");
	is_str(json_string_value(json_array_get(w.next.history[0].images, 0)), "nginx:2",
	       "with the template's images");
	ok(w.next.history[1].outcome == REL_OUTCOME_SUPERSEDED && w.next.history[1].finished == NOW,
	   "the unfinished one before it was superseded");
	destroy(&w);

	build(&w, "aaa");
	rolling_out(&w, "aaa");
	started = true;
	is_int(rec_status_start_rollout(&w.c, &started), 0, "same revision");
	ok(!started && w.next.n_history == 1, "the same revision goes on, nothing pushed");
	destroy(&w);
}

static void test_report(void)
{
	struct world w;
	build(&w, "aaa");
	struct rec_verdict v = {.phase = REL_PHASE_HEALTHY,
	                        .message = "all good",
	                        .reason = "Because",
	                        .ready_reason = "Done",
	                        .ready = true};
	is_int(rec_status_report(&w.c, &v), 0, "report");
	ok(w.next.phase == REL_PHASE_HEALTHY, "phase");
	is_str(w.next.message, "all good", "message");
	is_str(cond(&w, "Ready", "status"), "True", "Ready True");
	is_str(cond(&w, "Ready", "reason"), "Done", "with the ready reason");
	is_str(cond(&w, "Reconciling", "status"), "False", "Reconciling False");
	is_str(cond(&w, "Stalled", "reason"), "Because", "the others with the reason");
	ok(model_condition_find(w.next.conditions, "Progressing") == NULL,
	   "no Progressing unless the verdict has one");

	v = (struct rec_verdict){.phase = REL_PHASE_DEGRADED,
	                         .message = "stuck",
	                         .reason = "Late",
	                         .ready_reason = "Done",
	                         .stalled = true,
	                         .progressing = MODEL_CONDITION_FALSE,
	                         .progressing_reason = "Late",
	                         .progressing_message = "RS timed out"};
	is_int(rec_status_report(&w.c, &v), 0, "report again");
	is_str(cond(&w, "Ready", "reason"), "Late", "not ready: Ready has the reason");
	is_str(cond(&w, "Stalled", "status"), "True", "Stalled True");
	is_str(cond(&w, "Progressing", "message"), "RS timed out", "Progressing has its message");
	destroy(&w);
}

static void test_availability(void)
{
	struct world w;
	build(&w, "aaa");
	is_int(rec_status_availability(&w.c, 8, 2), 0, "availability");
	is_str(cond(&w, "Available", "status"), "True", "enough pods: Available");
	is_str(cond(&w, "Available", "message"), "8 of 10 pods available, at least 8 needed",
	       "says how many");
	is_int(rec_status_availability(&w.c, 7, 2), 0, "availability again");
	is_str(cond(&w, "Available", "reason"), "MinimumReplicasUnavailable", "one short: not");
	is_int(rec_status_availability(&w.c, 0, 50), 0, "a budget above replicas");
	is_str(cond(&w, "Available", "message"), "0 of 10 pods available, at least 0 needed",
	       "needs no pod, never a negative number");
	destroy(&w);
}

static void test_outcomes(void)
{
	struct world w;
	build(&w, "aaa");
	rolling_out(&w, "aaa");
	struct rec_plan after;
	rec_plan_init(&after);
	is_int(rec_status_failed(&w.c, "ProgressDeadlineExceeded", "too slow", &after), 0,
	       "failed");
	ok(w.next.history[0].outcome == REL_OUTCOME_FAILED, "the entry failed");
	ok(after.n_actions == 1 && after.actions[0].event_type == REC_EVENT_WARNING &&
	       strcmp(after.actions[0].note, "too slow") == 0,
	   "with a Warning Event");
	rec_plan_clear(&after);

	/* The observed status already reported it: no second Event. */
	rec_status_condition(&w.observed, 4, NOW, "Progressing", "False",
	                     "ProgressDeadlineExceeded", "x");
	rec_plan_init(&after);
	is_int(rec_status_failed(&w.c, "ProgressDeadlineExceeded", "too slow", &after), 0,
	       "failed again");
	is_int(after.n_actions, 0, "no Event for a known failure");

	/* Pods came up late: the failed entry still succeeds, once. */
	is_int(rec_status_succeeded(&w.c, 10, &after), 0, "succeeded");
	ok(w.next.history[0].outcome == REL_OUTCOME_SUCCEEDED, "the entry succeeded");
	is_str(w.next.stable_revision, "aaa", "the revision is stable");
	ok(after.n_actions == 1 && strcmp(after.actions[0].reason, "RolloutCompleted") == 0,
	   "a RolloutCompleted Event");
	is_int(rec_status_succeeded(&w.c, 10, &after), 0, "succeeded again");
	is_int(after.n_actions, 1, "once");
	rec_plan_clear(&after);
	destroy(&w);
}

int main(void)
{
	test_start_rollout();
	test_report();
	test_availability();
	test_outcomes();
	return tap_done();
}
