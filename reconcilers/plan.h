/*
 * A plan: what a reconciler decided, as data. Reconcilers (pure) build plans;
 * the controller's executor carries them out through kubeclient, in order,
 * stopping at the first failure. Nothing here knows a resource type: every
 * action names its group/version/resource, so the executor stays generic.
 *
 * Ownership: a plan owns every string and json_t in its actions; rec_plan_free
 * releases them. Builders copy strings and take a reference to JSON they are
 * given (they json_incref; the caller keeps its own reference).
 */
#ifndef SLIPWAY_RECONCILERS_PLAN_H
#define SLIPWAY_RECONCILERS_PLAN_H

#include <jansson.h>
#include <stddef.h>

/* The object an action is about. */
struct rec_ref {
	char *group; /* "" for core */
	char *version;
	char *resource; /* plural, lower case: "replicasets" */
	char *kind; /* "ReplicaSet": needed for EVENT (the Event's regarding); else may be NULL */
	char *ns;   /* NULL for cluster-scoped */
	char *name; /* NULL for CREATE when body has generateName */
	/* Preconditions: the action must fail rather than touch another
	 * incarnation or a newer version of the object. NULL: none. */
	char *uid;
	char *resource_version;
};

enum rec_action_kind {
	REC_CREATE, /* POST body to the collection of ref (ref.name unused); already exists = done.
	             * With a subresource: POST to ref.name's subresource ("eviction"); a
	             * 404 (gone) or 429 (a PodDisruptionBudget says not now) is no failure:
	             * the reconciler looks again later. */
	REC_MERGE_PATCH,  /* JSON merge patch `body` on ref (subresource optional) */
	REC_DELETE,       /* DELETE ref with its preconditions; propagation Background */
	REC_EVENT,        /* an Event about ref: event_type, reason, note */
	REC_WRITE_STATUS, /* merge patch `body` (a whole status object) on ref's status subresource
	                   */
};

enum rec_event_type { REC_EVENT_NORMAL, REC_EVENT_WARNING };

struct rec_action {
	enum rec_action_kind kind;
	struct rec_ref ref;
	char *subresource; /* MERGE_PATCH: NULL, "scale", ...; CREATE: NULL, "eviction" */
	json_t *body; /* CREATE: the object; MERGE_PATCH: the patch; WRITE_STATUS: the status */
	enum rec_event_type event_type; /* EVENT */
	char *reason;                   /* EVENT: CamelCase, e.g. ScalingReplicaSet */
	char *note;                     /* EVENT: a sentence a person can act on */
};

struct rec_plan {
	size_t n_actions;
	size_t cap;
	struct rec_action *actions;
	/* Reconcile again after this many seconds even if nothing changes
	 * (pause timers, minReadySeconds, progress deadlines). < 0: no need. */
	double requeue_after;
};

/* An empty plan (requeue_after = -1). */
void rec_plan_init(struct rec_plan *p);

/* Frees every action; the plan is empty afterwards. NULL is fine. */
void rec_plan_clear(struct rec_plan *p);

/* Appends an action built from the arguments (strings copied, JSON
 * referenced). Returns the new action, or NULL on ENOMEM (plan unchanged). */
struct rec_action *rec_plan_add(struct rec_plan *p, enum rec_action_kind kind,
                                const struct rec_ref *ref, json_t *body);

/* Appends an Event about ref. NULL on ENOMEM. */
struct rec_action *rec_plan_add_event(struct rec_plan *p, const struct rec_ref *ref,
                                      enum rec_event_type type, const char *reason,
                                      const char *note);

/* Keeps the earliest requeue: sets requeue_after to `seconds` when it is
 * sooner than the current one (or there is none). */
void rec_plan_requeue(struct rec_plan *p, double seconds);

/* Moves every action of src to the end of dst (in order) and keeps the
 * earlier requeue; src is empty afterwards. 0, or -ENOMEM with both plans
 * unchanged. */
int rec_plan_take(struct rec_plan *dst, struct rec_plan *src);

const char *rec_action_kind_name(enum rec_action_kind kind);

#endif
