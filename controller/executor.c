#include "controller/executor.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ev.h>

#include "controller/event-sender.h"
#include "kubeclient/apierror.h"
#include "kubeclient/rest.h"

/* No WRITE_STATUS in the plan. */
#define NO_STATUS SIZE_MAX

struct ctl_execution {
	struct ctl_exec_options opts;
	char *field_manager;
	struct rec_plan plan;
	size_t next;        /* the action to carry out next */
	size_t done;        /* actions carried out (an Event once handed to the sender) */
	size_t events_from; /* the first Event that may still wait for a status write */
	size_t last_status; /* index of the plan's last WRITE_STATUS, or NO_STATUS */
	struct kc_request *req;
	ev_timer start; /* defers the first step so on_done never runs inside ctl_execute */
};

static void step(struct ctl_execution *x);
static bool send_events(struct ctl_execution *x, size_t from, size_t to);

static struct kc_ref ref_of(const struct rec_action *a, const char *subresource)
{
	const struct rec_ref *r = &a->ref;
	return (struct kc_ref){
	    .group = r->group,
	    .version = r->version,
	    .resource = r->resource,
	    .ns = r->ns,
	    .name = a->kind == REC_CREATE && !subresource ? NULL : r->name,
	    .subresource = subresource,
	};
}

static void finish(struct ctl_execution *x, const struct kc_error *err,
                   const struct rec_action *failed)
{
	struct ctl_exec_result result = {
	    .code = err ? (err->code ? err->code : -EIO) : 0,
	    .done = x->done,
	    .failed = failed,
	    /* A name already taken is a stale snapshot too: the caller reads
	     * the object, and the next reconcile sees what holds the name. */
	    .conflict = err && (kc_is_conflict(err) || (failed && failed->kind == REC_CREATE &&
	                                                kc_is_already_exists(err))),
	    .err = err,
	};
	x->opts.on_done(&result, x->opts.userdata);
	rec_plan_clear(&x->plan);
	free(x->field_manager);
	free(x);
}

static void action_done(long status, json_t *body, const struct kc_error *err, void *userdata)
{
	struct ctl_execution *x = userdata;
	const struct rec_action *a = &x->plan.actions[x->next];
	x->req = NULL;
	if (err) {
		bool harmless = (a->kind == REC_DELETE && kc_is_not_found(err)) ||
		                ((a->tolerate & REC_TOLERATE_NOT_FOUND) && kc_is_not_found(err)) ||
		                ((a->tolerate & REC_TOLERATE_TOO_MANY_REQUESTS) &&
		                 kc_is_too_many_requests(err));
		if (!harmless) {
			finish(x, err, a);
			return;
		}
	}
	x->done++;
	/* The status now records what the Events waiting for it announce. */
	if (a->kind == REC_WRITE_STATUS) {
		if (!send_events(x, x->events_from, x->next))
			return;
		x->events_from = x->next + 1;
	}
	x->next++;
	step(x);
}

/* ---- Events: best effort, never awaited ----------------------------------- */

static void write_event(struct ctl_execution *x, const struct rec_action *a)
{
	const struct rec_ref *r = &a->ref;
	char api_version[128];
	if (r->group && *r->group)
		snprintf(api_version, sizeof(api_version), "%s/%s", r->group, r->version);
	else
		snprintf(api_version, sizeof(api_version), "%s", r->version);
	struct ctl_event ev = {
	    .regarding = {.api_version = api_version,
	                  .kind = r->kind,
	                  .namespace_ = r->ns,
	                  .name = r->name,
	                  .uid = r->uid},
	    .type = a->event_type == REC_EVENT_WARNING ? CTL_EVENT_WARNING : CTL_EVENT_NORMAL,
	    .reason = a->reason,
	    .action = "Reconcile",
	    .note = a->note,
	};
	struct ctl_event_write out;
	if (ctl_events_record(x->opts.events, &ev, x->opts.now, &out) < 0) {
		if (x->opts.event_failures)
			(*x->opts.event_failures)++;
		return;
	}
	ctl_event_send(x->opts.client, x->field_manager, &out, x->opts.event_failures);
	ctl_event_write_clear(&out);
}

static bool may_write(const struct ctl_execution *x)
{
	return !x->opts.may_write || x->opts.may_write(x->opts.may_write_userdata);
}

/* Stops the plan at action a: the gate is closed. */
static void refuse(struct ctl_execution *x, const struct rec_action *a)
{
	struct kc_error err = {0};
	kc_error_set(&err, -EPERM, "not leading: write not sent");
	finish(x, &err, a);
	kc_error_clear(&err);
}

/* Sends the Events among actions [from, to). false when the gate closed on
 * one of them: the plan has then finished (x is gone). */
static bool send_events(struct ctl_execution *x, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++) {
		const struct rec_action *a = &x->plan.actions[i];
		if (a->kind != REC_EVENT)
			continue;
		if (!may_write(x)) {
			refuse(x, a);
			return false;
		}
		if (x->opts.events)
			write_event(x, a);
		x->done++;
	}
	return true;
}

/* ---- Actions ---------------------------------------------------------------- */

/* Writes the ref's preconditions into the metadata of patch (an object): the
 * server compares them as it applies the result, and a stale resourceVersion
 * fails with 409 Conflict. 0, or -ENOMEM (patch then partly changed). */
static int add_preconditions(const struct rec_action *a, json_t *patch)
{
	if (!a->ref.uid && !a->ref.resource_version)
		return 0;
	json_t *meta = json_object_get(patch, "metadata");
	if (!json_is_object(meta)) {
		meta = json_object();
		/* set_new fails on a NULL value and releases the value it fails on */
		if (json_object_set_new(patch, "metadata", meta) < 0)
			return -ENOMEM;
	}
	if (a->ref.uid && json_object_set_new(meta, "uid", json_string(a->ref.uid)) < 0)
		return -ENOMEM;
	if (a->ref.resource_version &&
	    json_object_set_new(meta, "resourceVersion", json_string(a->ref.resource_version)) < 0)
		return -ENOMEM;
	return 0;
}

/* Takes patch: returns it with the preconditions, or NULL (patch released). */
static json_t *with_preconditions(const struct rec_action *a, json_t *patch)
{
	if (patch && add_preconditions(a, patch) == 0)
		return patch;
	json_decref(patch);
	return NULL;
}

/* Appends {"op": "replace", "path": path, "value": value} to ops. */
static int append_replace(json_t *ops, const char *path, const char *value)
{
	json_t *op = json_pack("{s:s, s:s, s:s}", "op", "replace", "path", path, "value", value);
	if (!op || json_array_append_new(ops, op) < 0)
		return -ENOMEM;
	return 0;
}

/* The JSON patch body: the ref's preconditions, then the plan's operations.
 * The preconditions are `replace` operations on metadata rather than `test`s,
 * so the server checks them exactly as for a merge patch: a stale
 * resourceVersion answers 409 Conflict (a failed `test` would answer 422,
 * which the runtime cannot tell from an invalid patch). Caller owns the
 * result; NULL on ENOMEM. */
static json_t *json_patch_body(const struct rec_action *a)
{
	json_t *ops = json_array();
	int r = ops ? 0 : -ENOMEM;
	if (r == 0 && a->ref.uid)
		r = append_replace(ops, "/metadata/uid", a->ref.uid);
	if (r == 0 && a->ref.resource_version)
		r = append_replace(ops, "/metadata/resourceVersion", a->ref.resource_version);
	if (r == 0 && json_array_extend(ops, a->body) < 0)
		r = -ENOMEM;
	if (r < 0) {
		json_decref(ops);
		return NULL;
	}
	return ops;
}

/* The body action a sends, with its preconditions; for CREATE and DELETE
 * none (CREATE sends a->body as it is). Caller owns the result; NULL on
 * ENOMEM. */
static json_t *body_of(const struct rec_action *a)
{
	switch (a->kind) {
	case REC_MERGE_PATCH:
	case REC_APPLY:
		return with_preconditions(a, json_deep_copy(a->body));
	case REC_WRITE_STATUS:
		/* {"status": body}: the reconciler writes the whole status, with
		 * explicit nulls for the fields it removes. */
		return with_preconditions(a, json_pack("{s:O}", "status", a->body));
	case REC_JSON_PATCH:
		return json_patch_body(a);
	case REC_CREATE:
	case REC_DELETE:
	case REC_EVENT:
		break;
	}
	return NULL;
}

/* The body that action a sends, in *ret (NULL for CREATE, which sends
 * a->body as it is, and for DELETE). Caller owns *ret. 0, -EINVAL for a plan
 * body of the wrong shape, -ENOMEM (err set either way). */
static int prepare_body(const struct rec_action *a, json_t **ret, struct kc_error *err)
{
	if (a->kind == REC_CREATE || a->kind == REC_DELETE) {
		*ret = NULL;
		return 0;
	}
	/* Checked first, so that -ENOMEM below means only that. */
	bool want_array = a->kind == REC_JSON_PATCH;
	if (want_array ? !json_is_array(a->body) : !json_is_object(a->body))
		return kc_error_set(err, -EINVAL, "%s %s: the plan's body is not a JSON %s",
		                    rec_action_kind_name(a->kind), a->ref.name ? a->ref.name : "",
		                    want_array ? "array" : "object");
	json_t *body = body_of(a);
	if (!body)
		return kc_error_set(err, -ENOMEM, "%s %s: out of memory building the body",
		                    rec_action_kind_name(a->kind), a->ref.name ? a->ref.name : "");
	*ret = body;
	return 0;
}

/* Starts the request of write action a; 0 or a negative errno with err set. */
static int start_write(struct ctl_execution *x, const struct rec_action *a, struct kc_error *err)
{
	struct kc_query q = {.field_manager = x->field_manager};
	struct kc_client *c = x->opts.client;
	struct kc_ref ref;
	json_t *body = NULL;
	int rc = prepare_body(a, &body, err);
	if (rc < 0)
		return rc;
	switch (a->kind) {
	case REC_CREATE:
		ref = ref_of(a, a->subresource);
		rc = kc_create(c, &ref, &q, a->body, action_done, x, &x->req, err);
		break;
	case REC_MERGE_PATCH:
		ref = ref_of(a, a->subresource);
		rc = kc_patch(c, &ref, &q, KC_PATCH_MERGE, body, action_done, x, &x->req, err);
		break;
	case REC_JSON_PATCH:
		ref = ref_of(a, a->subresource);
		rc = kc_patch(c, &ref, &q, KC_PATCH_JSON, body, action_done, x, &x->req, err);
		break;
	case REC_APPLY:
		/* The controller owns these objects whole: it takes over any field
		 * another manager set, rather than fail on it. */
		q.force = true;
		ref = ref_of(a, a->subresource);
		rc = kc_apply(c, &ref, &q, body, action_done, x, &x->req, err);
		break;
	case REC_DELETE: {
		ref = ref_of(a, NULL);
		struct kc_preconditions pre = {.uid = a->ref.uid,
		                               .resource_version = a->ref.resource_version};
		q.propagation_policy = "Background";
		rc = kc_delete(c, &ref, &q, &pre, action_done, x, &x->req, err);
		break;
	}
	case REC_WRITE_STATUS:
		ref = ref_of(a, "status");
		rc = kc_patch(c, &ref, &q, KC_PATCH_MERGE, body, action_done, x, &x->req, err);
		break;
	case REC_EVENT:
		rc = kc_error_set(err, -EINVAL, "%s is not a write", rec_action_kind_name(a->kind));
		break;
	}
	json_decref(body);
	return rc;
}

/* Whether the Event at index i waits for a later status write. */
static bool event_waits(const struct ctl_execution *x, size_t i)
{
	return x->last_status != NO_STATUS && i < x->last_status;
}

static void step(struct ctl_execution *x)
{
	for (; x->next < x->plan.n_actions; x->next++) {
		if (x->plan.actions[x->next].kind != REC_EVENT)
			break;
		if (event_waits(x, x->next))
			continue; /* sent by action_done once the status write succeeded */
		if (!send_events(x, x->next, x->next + 1))
			return;
	}
	if (x->next == x->plan.n_actions) {
		finish(x, NULL, NULL);
		return;
	}
	const struct rec_action *a = &x->plan.actions[x->next];
	if (!may_write(x)) {
		refuse(x, a);
		return;
	}
	struct kc_error err = {0};
	if (start_write(x, a, &err) < 0) {
		finish(x, &err, a);
		kc_error_clear(&err);
	}
}

static void start_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	step(w->data);
}

int ctl_execute(const struct ctl_exec_options *opts, struct rec_plan *plan,
                struct ctl_execution **ret)
{
	if (!opts->client || !opts->on_done)
		return -EINVAL;
	struct ctl_execution *x = calloc(1, sizeof(*x));
	if (!x)
		return -ENOMEM;
	x->opts = *opts;
	if (opts->field_manager) {
		x->field_manager = strdup(opts->field_manager);
		if (!x->field_manager) {
			free(x);
			return -ENOMEM;
		}
	}
	x->opts.field_manager = x->field_manager;
	x->plan = *plan;
	rec_plan_init(plan);
	x->last_status = NO_STATUS;
	for (size_t i = 0; i < x->plan.n_actions; i++)
		if (x->plan.actions[i].kind == REC_WRITE_STATUS)
			x->last_status = i;
	if (ret)
		*ret = x;
	ev_timer_init(&x->start, start_cb, 0, 0);
	x->start.data = x;
	ev_timer_start(kc_client_loop(opts->client), &x->start);
	return 0;
}

void ctl_execution_cancel(struct ctl_execution *x)
{
	if (!x)
		return;
	ev_timer_stop(kc_client_loop(x->opts.client), &x->start);
	kc_request_cancel(x->req);
	rec_plan_clear(&x->plan);
	free(x->field_manager);
	free(x);
}
