/*
 * A Release's status as a C struct, read from and written to JSON.
 *
 * Round trip: rel_status_to_json(rel_status_from_json(x)) equals x for any
 * status this module wrote, and fields it does not know (fields of a newer
 * controller) are kept verbatim in `extra`, so writing status back never
 * drops them. The canary fields are model/canary-status.h's; the user's
 * status.intent (model/intent.h) is kept as the JSON it is, whatever it is,
 * so the controller can parse it, report a bad one, and clear it.
 *
 * Conditions stay a JSON array edited with model/condition.h.
 * status.selector is model_labels_selector_string(&release->selector).
 */
#ifndef SLIPWAY_MODEL_STATUS_H
#define SLIPWAY_MODEL_STATUS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "model/canary-status.h"

/* Revisions remembered in status.history; older entries are dropped. */
#define REL_HISTORY_MAX 10

enum rel_phase {
	REL_PHASE_NONE = 0, /* not written yet */
	REL_PHASE_PROGRESSING,
	REL_PHASE_PAUSED,
	REL_PHASE_HEALTHY,
	REL_PHASE_DEGRADED,
};

enum rel_outcome {
	REL_OUTCOME_NONE = 0,   /* still rolling out: no outcome written */
	REL_OUTCOME_SUCCEEDED,  /* became the stable revision */
	REL_OUTCOME_FAILED,     /* deadline exceeded or analysis failed */
	REL_OUTCOME_ABORTED,    /* stopped by a person */
	REL_OUTCOME_SUPERSEDED, /* replaced by a newer template before finishing */
};

struct rel_history_entry {
	char *revision;  /* required */
	json_t *images;  /* owned JSON array of strings, never NULL once parsed */
	time_t started;  /* 0 = not written */
	time_t finished; /* 0 = not finished */
	enum rel_outcome outcome;
};

struct rel_status {
	int64_t observed_generation;
	enum rel_phase phase;
	char *message; /* owned, NULL = absent */
	/* The spec.strategy key this status was computed for: "rolling",
	 * "canary" or "blueGreen" (rel_strategy_name). Owned, NULL = absent. */
	char *strategy;
	char *current_revision; /* owned, NULL = absent */
	char *stable_revision;  /* owned, NULL = absent */
	/* blueGreen: the revision the controller last set activeService's
	 * (previewService's) selector to. Owned, NULL = absent. */
	char *active_revision;
	char *preview_revision;
	bool has_current_step_index;
	int32_t current_step_index;
	int32_t replicas;
	int32_t updated_replicas;
	int32_t ready_replicas;
	int32_t available_replicas;
	char *selector; /* owned, NULL = absent */
	/* When the rollout of currentRevision last made progress (a pod more
	 * updated, ready or available, an old one gone, a resume). The progress
	 * deadline counts from here; kept in the cluster so a restarted
	 * controller keeps the same deadline. 0 = absent. */
	time_t last_progress_time;
	/* The spec.restartAt the last finished restart carried out (every pod
	 * older than it replaced). 0 = absent. */
	time_t restarted_at;
	json_t *conditions;              /* owned JSON array, never NULL after init/parse */
	struct rel_canary_status canary; /* canary, pauseConditions, abort, ... */
	/* status.intent as read (owned, NULL = absent); parse it with
	 * rel_intent_parse, consume it by setting it to NULL (json_decref). */
	json_t *intent;
	size_t n_history;
	struct rel_history_entry history[REL_HISTORY_MAX]; /* newest first */
	json_t *extra; /* owned JSON object of unknown fields, never NULL */
};

/* An empty status. Returns 0 or -ENOMEM (s zeroed). Free with rel_status_clear. */
int rel_status_init(struct rel_status *s);

/* Reads a status object (NULL or JSON null = empty status). Returns 0 and
 * fills *ret (caller clears it), -EINVAL when a known field has the wrong
 * type or an unknown phase/outcome or bad timestamp, -ENOMEM (ret untouched).
 * More than REL_HISTORY_MAX history entries: the first (newest) are kept. */
int rel_status_from_json(const json_t *status, struct rel_status *ret);

/* A new status object: known fields (replica counts and observedGeneration
 * always, the rest when set), then `extra`. Caller owns it; NULL on ENOMEM
 * or when a time cannot be formatted. */
json_t *rel_status_to_json(const struct rel_status *s);

/* Frees everything and zeroes s; accepts NULL. */
void rel_status_clear(struct rel_status *s);

/* Replaces an owned string field (value NULL clears it). 0 or -ENOMEM
 * (field untouched). */
int rel_status_set_string(char **field, const char *value);

/* Puts a new entry first (outcome NONE, not finished) and drops the oldest
 * beyond REL_HISTORY_MAX. `images` is copied (NULL = empty). 0 or -ENOMEM
 * (status untouched). */
int rel_status_history_push(struct rel_status *s, const char *revision, const json_t *images,
                            time_t started);

/* The newest entry of `revision`, or NULL (also for a NULL revision).
 * Borrowed from s. */
struct rel_history_entry *rel_status_history_find(struct rel_status *s, const char *revision);

/* Names as written in JSON ("Progressing", "Succeeded", ...); "" for NONE. */
const char *rel_phase_name(enum rel_phase phase);
const char *rel_outcome_name(enum rel_outcome outcome);

#endif
