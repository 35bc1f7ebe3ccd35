/*
 * The executor: carries out a reconciler's plan (reconcilers/plan.h) through
 * kubeclient, one write at a time in order, and stops at the first failure.
 * It knows no resource type; every action names its own. Every write carries
 * the field manager of ctl_exec_options.
 *
 *   CREATE        POST. AlreadyExists fails the plan and is reported as
 *                 a conflict: the name is deterministic, but what holds it
 *                 may be our own child not yet seen, an orphan to adopt or
 *                 someone else's object, and only a re-read lets the
 *                 reconciler tell (the runtime does it, as for a 409).
 *   MERGE_PATCH   JSON merge patch, with the ref's uid and resourceVersion
 *                 written into the patch's metadata as preconditions: a
 *                 stale one fails with 409 Conflict instead of landing.
 *   APPLY         server-side apply (application/apply-patch+yaml) of the
 *                 whole object with force=true: the controller owns these
 *                 objects whole and takes over any field another manager
 *                 set. The ref's preconditions, when set, go into the
 *                 object's metadata as for MERGE_PATCH (usually none: an
 *                 apply creates the object when it is absent).
 *   JSON_PATCH    RFC 6902 JSON patch (application/json-patch+json): the
 *                 ref's preconditions first, as `replace` operations on
 *                 /metadata/uid and /metadata/resourceVersion (so the server
 *                 checks them as for a merge patch, and a stale
 *                 resourceVersion is a 409), then the plan's operations. A
 *                 failed `test` among those is a 422 from the server,
 *                 reported as a failure but not as a conflict.
 *   DELETE        DELETE with uid/resourceVersion preconditions, Background
 *                 propagation; NotFound counts as done.
 *   WRITE_STATUS  merge patch {"status": body} on the status subresource,
 *                 with the same preconditions; the body holds explicit nulls
 *                 for fields to remove.
 *   EVENT         recorded through controller/events.h (series, per-object
 *                 rate limit) and written best-effort: a failed Event never
 *                 fails the plan, it is only counted, and nobody waits for
 *                 it.
 *
 * Any action also counts as done on an answer its `tolerate` bits name
 * (REC_TOLERATE_NOT_FOUND, REC_TOLERATE_TOO_MANY_REQUESTS): the reconciler
 * looks at those objects again itself.
 *
 * Preconditions: no write goes out without the uid and resourceVersion it
 * was planned with. When its body cannot be built with them (out of
 * memory), the action fails with -ENOMEM before anything is sent.
 *
 * Events follow the status: an Event placed before a WRITE_STATUS in the
 * plan is sent only once that status write (the first one after the Event)
 * has succeeded, in plan order, so no Event announces a state that status
 * does not record; when the plan fails before, those Events are never sent.
 * An Event after the plan's last WRITE_STATUS, or in a plan without one, is
 * sent when the executor reaches it, that is once every write before it
 * succeeded.
 *
 * The write gate: before every write (an Event included) the executor asks
 * may_write(); when it answers false the plan stops there with -EPERM and
 * nothing more is sent. controller/leader.h asks for exactly this: a leader
 * that lost or cannot renew its lease must not write, even mid-plan.
 *
 * A failure reports which action failed, the API server's answer (err: the
 * HTTP status, the metav1.Status with its reason and message), and whether
 * it was a conflict (409: a stale precondition, or a CREATE whose name is
 * taken), so the caller can re-read the object instead of retrying blindly,
 * and a reconciler can report a refusal (controller/runtime.h keeps it).
 *
 * Everything runs on the client's loop; the completion callback never runs
 * inside ctl_execute().
 */
#ifndef SLIPWAY_CONTROLLER_EXECUTOR_H
#define SLIPWAY_CONTROLLER_EXECUTOR_H

#include <stdbool.h>
#include <stddef.h>

#include "controller/events.h"
#include "kubeclient/client.h"
#include "reconcilers/plan.h"

struct ctl_execution;

struct ctl_exec_result {
	int code;    /* 0, or the failed action's negative errno */
	size_t done; /* actions carried out; an Event once handed to the sender */
	const struct rec_action *failed; /* the action that failed, or NULL */
	bool conflict;              /* a 409: stale precondition, or AlreadyExists on a CREATE */
	const struct kc_error *err; /* details of the failure, or NULL */
};

/* Called once when the plan has run or an action failed. result, its err
 * and failed action are borrowed for the call. */
typedef void ctl_exec_done_fn(const struct ctl_exec_result *result, void *userdata);

struct ctl_exec_options {
	struct kc_client *client;  /* borrowed */
	struct ctl_events *events; /* borrowed; NULL: Event actions are skipped */
	const char *field_manager; /* recorded on every write, e.g. "slipway-controller" */
	double now;                /* wall clock for Event times */
	/* Incremented for every Event write that fails; it may complete after
	 * on_done, so this points at something that outlives executions (a
	 * metrics counter). NULL: not counted. */
	unsigned long *event_failures;
	/* The write gate (see above); NULL: always allowed. */
	bool (*may_write)(void *userdata);
	void *may_write_userdata;
	ctl_exec_done_fn *on_done;
	void *userdata;
};

/* Starts carrying out plan, which the execution takes over (the caller's
 * struct is left empty). Caller may cancel with ctl_execution_cancel until
 * on_done has run; the execution frees itself after on_done returns.
 * -EINVAL when on_done or client is missing. */
int ctl_execute(const struct ctl_exec_options *opts, struct rec_plan *plan,
                struct ctl_execution **ret);

/* Stops an execution in flight; on_done is not called. NULL is fine. */
void ctl_execution_cancel(struct ctl_execution *x);

#endif
