/*
 * The canary part of a Release's status, read from and written to the status
 * object beside the fields of model/status.h (which embeds it):
 *
 *   canary: {stepLabel: "3/7",
 *            weights: {canary: {revision, weight}, stable: {revision, weight}}}
 *   pauseConditions: [{reason: CanaryPauseStep, startTime}]
 *   abort: true          abortedAt: <RFC 3339>          promoteFull: true
 *   analysisAttempt: 2
 *
 * (currentStepIndex, currentRevision and stableRevision are the common
 * fields of struct rel_status.) All of it is the controller's record: abort
 * and promoteFull say what the controller is doing after it consumed a user
 * intent (model/intent.h), they are not requests. stepLabel exists for
 * `kubectl get` (a printer column cannot compute "3/7"). false, 0 and absent
 * are not written, so a rolling Release's status carries none of these.
 * Pure: no I/O, no clock.
 */
#ifndef SLIPWAY_MODEL_CANARY_STATUS_H
#define SLIPWAY_MODEL_CANARY_STATUS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* More pause conditions than reasons is a bug elsewhere; extra ones are dropped. */
#define REL_PAUSE_CONDITIONS_MAX 8
/* analysisAttempt beyond this is refused (a status written by hand). */
#define REL_ANALYSIS_ATTEMPT_MAX 1000000
/* Two size_t in decimal, "/" and the NUL. */
#define REL_STEP_LABEL_LEN 42

enum rel_pause_reason {
	REL_PAUSE_NONE = 0,              /* never written */
	REL_PAUSE_CANARY_STEP,           /* "CanaryPauseStep": a pause step */
	REL_PAUSE_INCONCLUSIVE_ANALYSIS, /* "InconclusiveAnalysisRun" */
	REL_PAUSE_BLUE_GREEN,            /* "BlueGreenPause": waiting for promotion */
	REL_PAUSE_APPROVAL, /* "ApprovalPending": an approval gate; its timeout counts from
	                       startTime */
};

struct rel_pause_condition {
	enum rel_pause_reason reason;
	time_t start_time; /* required */
};

/* One side of status.canary.weights. */
struct rel_revision_weight {
	char *revision; /* owned, NULL = absent */
	int32_t weight; /* 0..100 */
};

struct rel_canary_status {
	char *step_label; /* status.canary.stepLabel, owned, NULL = absent */
	bool has_weights; /* status.canary.weights present */
	struct rel_revision_weight canary;
	struct rel_revision_weight stable;
	size_t n_pause_conditions;
	struct rel_pause_condition pause_conditions[REL_PAUSE_CONDITIONS_MAX];
	bool abort;
	time_t aborted_at; /* 0 = absent */
	bool promote_full;
	/* analysisAttempt: how many times the revision's analysis was started
	 * afresh (a Retry, a Promote past an Inconclusive background run); part
	 * of the AnalysisRuns' names, so a fresh start gets fresh runs. 0 =
	 * absent. */
	int32_t analysis_attempt;
};

/* The top-level status keys this module reads and writes. */
extern const char *const rel_canary_status_keys[];

/* Reads those keys of `status` (an object). Returns 0 and fills *ret (caller
 * clears it), -EINVAL for a wrong type, a weight outside 0..100, an unknown
 * pause reason or a bad time, -ENOMEM (ret untouched on error). */
int rel_canary_status_read(const json_t *status, struct rel_canary_status *ret);

/* Adds the set fields to `status`. 0, or -ENOMEM / -ERANGE (a time that
 * cannot be formatted); status may then hold part of them. */
int rel_canary_status_put(json_t *status, const struct rel_canary_status *s);

/* Frees and zeroes; accepts NULL. */
void rel_canary_status_clear(struct rel_canary_status *s);

/* Sets step_label to "<index + 1>/<n_steps>", or clears it when
 * n_steps is 0 (the label of step index `index`, counting from 1 as people
 * do; index == n_steps, past the last step, reads "n/n"). 0 or -ENOMEM. */
int rel_canary_status_set_step(struct rel_canary_status *s, size_t index, size_t n_steps);

/* "CanaryPauseStep", ...; "" for NONE. */
const char *rel_pause_reason_name(enum rel_pause_reason reason);

#endif
