/*
 * A plan: what a reconciler decided, as data. Reconcilers (pure) build plans;
 * the controller's executor carries them out through kubeclient, in order,
 * stopping at the first failure (Events wait for the status write: see
 * EVENT below). Nothing here knows a resource type: every
 * action names its group/version/resource, so the executor stays generic.
 *
 * Ownership: a plan owns every string and json_t in its actions; rec_plan_free
 * releases them. Builders copy strings and take a reference to JSON they are
 * given (they json_incref; the caller keeps its own reference).
 */
#ifndef SLIPWAY_RECONCILERS_PLAN_H
#define SLIPWAY_RECONCILERS_PLAN_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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

/*
 * What each action asks for. The executor (controller/executor.h) says how
 * it carries them out; in short:
 *
 *   CREATE        POST `body` to ref's collection (ref.name names the
 *                 object for the failure report and the re-read). A name
 *                 already taken fails the plan as a conflict: the
 *                 snapshot did not show that object, so the executor's
 *                 caller reads it and reconciles again (our own child,
 *                 not yet seen by the watch, or an orphan or a stranger
 *                 that the reconciler must see to adopt or report). With a
 *                 subresource, POST to ref.name's subresource ("eviction").
 *   MERGE_PATCH   JSON merge patch `body` on ref (subresource optional), with
 *                 ref's uid and resourceVersion as preconditions. For objects
 *                 the controller owns (its ReplicaSets).
 *   APPLY         server-side apply of `body`, the whole object as the
 *                 controller wants it (apiVersion, kind, metadata.name), with
 *                 the controller's field manager and force: for objects the
 *                 controller owns whole (a canary Ingress, an AnalysisRun).
 *                 Creates the object when it is absent. Subresource optional.
 *   JSON_PATCH    RFC 6902 JSON patch `body` (an array of operations) on ref
 *                 (subresource optional), for fields inside objects that
 *                 others own (a Service's selector key, an HTTPRoute's
 *                 weights): `test` operations in the body guard what the
 *                 reconciler assumed (reconcilers/patch.h builds them), ref's
 *                 uid and resourceVersion, when set, are added as
 *                 preconditions. Leave resource_version NULL on objects others
 *                 own, or every unrelated change of theirs fails the patch.
 *   DELETE        DELETE ref with its preconditions, Background propagation;
 *                 an object already gone counts as done.
 *   EVENT         an Event about ref: event_type, reason, note. Sent only
 *                 once the plan's next WRITE_STATUS after it (if any) has
 *                 succeeded, so no Event announces what status does not
 *                 record.
 *   WRITE_STATUS  merge patch of `body` (a whole status object, explicit
 *                 nulls for removed fields) on ref's status subresource, with
 *                 ref's preconditions.
 */
enum rec_action_kind {
	REC_CREATE,
	REC_MERGE_PATCH,
	REC_DELETE,
	REC_EVENT,
	REC_WRITE_STATUS,
	REC_APPLY,
	REC_JSON_PATCH,
};

enum rec_event_type { REC_EVENT_NORMAL, REC_EVENT_WARNING };

/* Answers that count as done for one action, besides the one that always
 * does (NotFound for DELETE): the reconciler says which
 * refusals it will look at again on its own, e.g. an eviction of a pod
 * already gone, or one a PodDisruptionBudget refuses for now. */
enum rec_tolerate {
	REC_TOLERATE_NOT_FOUND = 1u << 0,         /* 404 */
	REC_TOLERATE_TOO_MANY_REQUESTS = 1u << 1, /* 429 */
};

struct rec_action {
	enum rec_action_kind kind;
	struct rec_ref ref;
	char *subresource; /* MERGE_PATCH, APPLY, JSON_PATCH: NULL, "status", "scale";
	                    * CREATE: NULL, "eviction" */
	/* CREATE, APPLY: the object; MERGE_PATCH: the patch; JSON_PATCH: the
	 * array of operations; WRITE_STATUS: the status. */
	json_t *body;
	unsigned tolerate;              /* enum rec_tolerate bits; 0: none */
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

/* Appends a server-side apply of obj, the whole object as the controller
 * wants it (apiVersion, kind and metadata.name set; obj referenced). ref
 * names the same object; ref->name may be NULL, then the action's ref takes
 * obj's metadata.name, so a failure can name the object. NULL on ENOMEM, or
 * when obj is not such an object or its name differs from ref->name (a bug
 * in the caller). */
struct rec_action *rec_plan_add_apply(struct rec_plan *p, const struct rec_ref *ref, json_t *obj);

/* Appends a JSON patch: ops is an RFC 6902 array (reconcilers/patch.h builds
 * them; ops referenced), on ref (ref->name required). NULL on ENOMEM, or when
 * ops is not an array or ref has no name. */
struct rec_action *rec_plan_add_json_patch(struct rec_plan *p, const struct rec_ref *ref,
                                           json_t *ops);

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

/* What became of a plan: the write that failed and what the API server
 * answered, as the controller's runtime remembers it for the primary object
 * until one of its plans succeeds (controller/runtime.h), so that the next
 * reconcile can report a refusal instead of repeating it. All borrowed. */
struct rec_failure {
	enum rec_action_kind kind;
	const char *resource; /* of the object the action named: "replicasets" */
	const char *name;     /* that object's name, or NULL */
	long http_status;     /* 0: no answer (timeout, connection) */
	const char *reason;   /* metav1.Status reason ("Invalid"), or NULL */
	const char *message;  /* the API server's Status.message, else the client's */
	/* The primary object's metadata.generation the plan was made for. */
	int64_t generation;
};

/* Whether the answer judged the request itself, so sending it again
 * unchanged would be refused again: 400 BadRequest, 413, 422 Invalid and the
 * other 4xx, but not 401/403 (credentials and permissions, fixed outside the
 * object), 404 (a namespace or API that may come back), 408, 409 (stale
 * snapshot) or 429 (load). 5xx and no answer are transient too. */
bool rec_failure_permanent(const struct rec_failure *f);

#endif
