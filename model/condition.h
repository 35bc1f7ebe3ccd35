/*
 * Status conditions in the Kubernetes API conventions (metav1.Condition):
 * {type, status, observedGeneration, lastTransitionTime, reason, message},
 * kept in a JSON array so fields we do not know survive untouched.
 *
 * lastTransitionTime moves only when status changes: a condition whose
 * reason or message changes keeps its time, so "Ready for 3 days" stays true.
 * Time is an argument, never read from the clock.
 */
#ifndef SLIPWAY_MODEL_CONDITION_H
#define SLIPWAY_MODEL_CONDITION_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

/* metav1.Condition's limits. */
#define MODEL_CONDITION_TYPE_MAX    316
#define MODEL_CONDITION_REASON_MAX  1024
#define MODEL_CONDITION_MESSAGE_MAX 32768

#define MODEL_CONDITION_TRUE    "True"
#define MODEL_CONDITION_FALSE   "False"
#define MODEL_CONDITION_UNKNOWN "Unknown"

/* What to set; the strings are borrowed for the call only. */
struct model_condition {
	const char *type;            /* "Ready", "Progressing", ... */
	const char *status;          /* "True", "False" or "Unknown" */
	const char *reason;          /* CamelCase, required */
	const char *message;         /* may be NULL = "" ; cut at MESSAGE_MAX on a UTF-8 boundary */
	int64_t observed_generation; /* the metadata.generation this was computed from */
};

/* Sets the condition of c->type in `conditions` (a JSON array): replaces the
 * entry of that type in place, or appends one. lastTransitionTime becomes
 * `now` when the entry is new, its status changed, or its time is missing or
 * unreadable; otherwise it is kept. Returns 1 when the array changed, 0 when
 * it already said exactly this, -EINVAL for a bad condition (empty type,
 * status not True/False/Unknown, reason not CamelCase, negative generation,
 * `conditions` not an array) and -ENOMEM; on error the array is untouched. */
int model_condition_set(json_t *conditions, const struct model_condition *c, time_t now);

/* The entry of `type`, or NULL. Borrowed from conditions. */
json_t *model_condition_find(const json_t *conditions, const char *type);

/* True when the entry of `type` exists and its status is `status`. */
bool model_condition_has_status(const json_t *conditions, const char *type, const char *status);

/* Removes the entry of `type`. Returns 1 if removed, 0 if there was none. */
int model_condition_remove(json_t *conditions, const char *type);

/* The "conditions" array of a status object, created empty when missing
 * (or replaced when it is not an array). Borrowed from status; NULL on ENOMEM
 * or when status is not an object. */
json_t *model_status_conditions(json_t *status);

/* Whether reason matches metav1.Condition's ^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$ */
bool model_condition_reason_valid(const char *reason);

#endif
