#include "controller/executor.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ev.h>

#include "controller/event-sender.h"
#include "kubeclient/apierror.h"
#include "kubeclient/rest.h"

struct ctl_execution {
	struct ctl_exec_options opts;
	char *field_manager;
	struct rec_plan plan;
	size_t next;
	struct kc_request *req;
	ev_timer start; /* defers the first step so on_done never runs inside ctl_execute */
};

static void step(struct ctl_execution *x);

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
	    .done = failed ? (size_t)(failed - x->plan.actions) : x->plan.n_actions,
	    .failed = failed,
	    .conflict = err && kc_is_conflict(err),
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
		/* A subresource CREATE is an eviction: gone already, or refused
		 * for now by a PodDisruptionBudget (429); the reconciler retries. */
		bool evicting = a->kind == REC_CREATE && a->subresource;
		bool harmless =
		    (a->kind == REC_CREATE && kc_is_already_exists(err)) ||
		    (a->kind == REC_DELETE && kc_is_not_found(err)) ||
		    (evicting && (kc_is_not_found(err) || kc_is_too_many_requests(err)));
		if (!harmless) {
			finish(x, err, a);
			return;
		}
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

/* ---- Actions ---------------------------------------------------------------- */

/* `patch` with the ref's preconditions in its metadata; takes patch. */
static json_t *add_preconditions(const struct rec_action *a, json_t *patch)
{
	if (!patch || (!a->ref.uid && !a->ref.resource_version))
		return patch;
	json_t *meta = json_object_get(patch, "metadata");
	if (!json_is_object(meta)) {
		meta = json_object();
		json_object_set_new(patch, "metadata", meta);
	}
	if (a->ref.uid)
		json_object_set_new(meta, "uid", json_string(a->ref.uid));
	if (a->ref.resource_version)
		json_object_set_new(meta, "resourceVersion", json_string(a->ref.resource_version));
	return patch;
}

static json_t *with_preconditions(const struct rec_action *a)
{
	return add_preconditions(a, json_deep_copy(a->body));
}

/* {"status": body} with the preconditions: a merge patch of the status
 * subresource. The reconciler writes the whole status, with explicit nulls
 * for the fields it removes. */
static json_t *status_patch(const struct rec_action *a)
{
	return add_preconditions(a, json_pack("{s:O}", "status", a->body));
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

static void step(struct ctl_execution *x)
{
	while (x->next < x->plan.n_actions && x->plan.actions[x->next].kind == REC_EVENT) {
		if (!may_write(x)) {
			refuse(x, &x->plan.actions[x->next]);
			return;
		}
		if (x->opts.events)
			write_event(x, &x->plan.actions[x->next]);
		x->next++;
	}
	if (x->next == x->plan.n_actions) {
		finish(x, NULL, NULL);
		return;
	}
	if (!may_write(x)) {
		refuse(x, &x->plan.actions[x->next]);
		return;
	}

	const struct rec_action *a = &x->plan.actions[x->next];
	struct kc_query q = {.field_manager = x->field_manager};
	struct kc_error err = {0};
	struct kc_ref ref;
	json_t *body = NULL;
	int rc = -EINVAL;

	switch (a->kind) {
	case REC_CREATE:
		ref = ref_of(a, a->subresource);
		rc = kc_create(x->opts.client, &ref, &q, a->body, action_done, x, &x->req, &err);
		break;
	case REC_MERGE_PATCH:
		ref = ref_of(a, a->subresource);
		body = with_preconditions(a);
		rc = body ? kc_patch(x->opts.client, &ref, &q, KC_PATCH_MERGE, body, action_done, x,
		                     &x->req, &err)
		          : kc_error_set(&err, -ENOMEM, "out of memory");
		break;
	case REC_DELETE: {
		ref = ref_of(a, NULL);
		struct kc_preconditions pre = {.uid = a->ref.uid,
		                               .resource_version = a->ref.resource_version};
		q.propagation_policy = "Background";
		rc = kc_delete(x->opts.client, &ref, &q, &pre, action_done, x, &x->req, &err);
		break;
	}
	case REC_WRITE_STATUS:
		ref = ref_of(a, "status");
		body = status_patch(a);
		rc = body ? kc_patch(x->opts.client, &ref, &q, KC_PATCH_MERGE, body, action_done, x,
		                     &x->req, &err)
		          : kc_error_set(&err, -ENOMEM, "out of memory");
		break;
	case REC_EVENT:
		break; /* handled above */
	}
	json_decref(body);
	if (rc < 0) {
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
