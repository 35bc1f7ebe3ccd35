/*
 * Approval steps of the canary: the gate of steps[step] (model/gate.h)
 * evaluated over the Approvals of this Release, its current revision and
 * the gate's name.
 *
 * Fail closed: an Approval counts only while the ValidatingAdmissionPolicy
 * slipway-approval-identity exists with a binding that denies
 * (validationActions holds Deny); otherwise the API server did not vouch
 * for spec.user and spec.groups, so none counts and the gate stays closed
 * (a Reject does not count either: nobody's word is checked). The timeout
 * counts from the ApprovalPending pause condition's startTime, written when
 * the step is reached, so a restarted controller keeps the same deadline.
 */
#include "reconcilers/canary-machine.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/api.h"
#include "model/duration.h"
#include "model/gate.h"
#include "model/timefmt.h"

#define NOT_VERIFIED                                                                               \
	"approvals cannot be verified: policy " MODEL_APPROVAL_IDENTITY_POLICY " is not installed"

static bool streq(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

static const char *str_at(const json_t *o, const char *a, const char *b)
{
	return json_string_value(json_object_get(json_object_get(o, a), b));
}

/* The policy exists and one of its bindings denies what it refuses. */
static bool verified(const struct rec_ctx *c)
{
	if (!c->approval_policy ||
	    !streq(str_at(c->approval_policy, "metadata", "name"), MODEL_APPROVAL_IDENTITY_POLICY))
		return false;
	for (size_t i = 0; i < c->n_approval_bindings; i++) {
		const json_t *spec = json_object_get(c->approval_bindings[i], "spec");
		if (!streq(json_string_value(json_object_get(spec, "policyName")),
		           MODEL_APPROVAL_IDENTITY_POLICY))
			continue;
		size_t k;
		const json_t *action;
		json_array_foreach(json_object_get(spec, "validationActions"), k, action)
		{
			if (streq(json_string_value(action), "Deny"))
				return true;
		}
	}
	return false;
}

/* The Approvals of c as evaluation reads them (borrowed strings), into a
 * (n of them; groups in one array, g). Those of another Release or
 * namespace, without a user or a decision, are left out. */
struct approvals {
	struct model_approval *a;
	const char **groups;
	const json_t **obj; /* a[i]'s object */
	size_t n;
};

static void approvals_clear(struct approvals *s)
{
	free(s->a);
	free(s->groups);
	free(s->obj);
}

static bool read_one(const struct rec_ctx *c, const json_t *obj, struct model_approval *a,
                     const char **groups, size_t *n_groups)
{
	const json_t *spec = json_object_get(obj, "spec");
	const char *decision = json_string_value(json_object_get(spec, "decision"));
	const char *ns = str_at(obj, "metadata", "namespace");
	*a = (struct model_approval){
	    .user = json_string_value(json_object_get(spec, "user")),
	    .revision = json_string_value(json_object_get(spec, "revision")),
	    .gate = json_string_value(json_object_get(spec, "gate")),
	    .decision = streq(decision, "Approve")  ? MODEL_DECISION_APPROVE
	                : streq(decision, "Reject") ? MODEL_DECISION_REJECT
	                                            : 0,
	};
	if (!a->user || !a->decision || !a->revision || !a->gate ||
	    !streq(json_string_value(json_object_get(spec, "release")), c->rel->name) ||
	    ((ns || c->rel->namespace) && !streq(ns, c->rel->namespace)))
		return false;
	const char *created = str_at(obj, "metadata", "creationTimestamp");
	if (!created || model_time_parse(created, &a->created) < 0)
		a->created = 0;
	a->groups = groups + *n_groups;
	size_t k;
	const json_t *g;
	json_array_foreach(json_object_get(spec, "groups"), k, g)
	{
		if (json_string_value(g))
			groups[(*n_groups)++] = json_string_value(g);
	}
	a->n_groups = (size_t)(groups + *n_groups - a->groups);
	return true;
}

static int read_approvals(const struct rec_ctx *c, struct approvals *s)
{
	size_t n =
	    c->n_approvals < MODEL_GATE_APPROVALS_MAX ? c->n_approvals : MODEL_GATE_APPROVALS_MAX;
	size_t n_groups = 0;
	for (size_t i = 0; i < n; i++)
		n_groups += json_array_size(
		    json_object_get(json_object_get(c->approvals[i], "spec"), "groups"));
	*s = (struct approvals){
	    .a = calloc(n ? n : 1, sizeof(*s->a)),
	    .groups = calloc(n_groups ? n_groups : 1, sizeof(*s->groups)),
	    .obj = calloc(n ? n : 1, sizeof(*s->obj)),
	};
	if (!s->a || !s->groups || !s->obj) {
		approvals_clear(s);
		return -ENOMEM;
	}
	size_t used = 0;
	for (size_t i = 0; i < n; i++) {
		if (read_one(c, c->approvals[i], &s->a[s->n], s->groups, &used))
			s->obj[s->n++] = c->approvals[i];
	}
	return 0;
}

/* "bob, rejecting gate prod-signoff: comment" into out. */
static void rejected_text(const struct model_gate *g, const struct approvals *s, size_t i,
                          char *out, size_t len)
{
	const char *comment = str_at(s->obj[i], "spec", "comment");
	snprintf(out, len, "%s, rejecting gate %s%s%s", s->a[i].user, g->name,
	         comment && *comment ? ": " : "", comment && *comment ? comment : "");
}

/* Evaluates the gate of step `step` (an approval step) into m->gate; a
 * rejection's words into reject (may be NULL). 0 or -ENOMEM. */
static int evaluate(struct rec_canary_machine *m, int32_t step, time_t started, char *reject,
                    size_t reject_len)
{
	const struct model_gate *g = &m->c->rel->canary.steps[step].approval;
	struct rec_canary_gate_view *v = &m->gate;
	*v = (struct rec_canary_gate_view){.step = step, .verified = verified(m->c)};
	struct approvals s = {0};
	int r = v->verified ? read_approvals(m->c, &s) : 0;
	if (r < 0)
		return r;
	struct model_gate_result res = {0};
	r = model_gate_eval(g, s.a, s.n, m->c->rel->revision, started, m->c->now, &res);
	if (r < 0) {
		approvals_clear(&s);
		return r;
	}
	v->state = res.state;
	v->has_deadline = res.has_deadline;
	v->deadline = res.deadline;
	char *text = model_gate_describe(g, s.a, s.n, &res);
	if (!text)
		r = -ENOMEM;
	else if (!v->verified)
		snprintf(v->text, sizeof(v->text), "%s (%s)", NOT_VERIFIED, text);
	else
		snprintf(v->text, sizeof(v->text), "%s", text);
	if (r == 0 && res.state == MODEL_GATE_REJECTED && reject)
		rejected_text(g, &s, res.rejected_by, reject, reject_len);
	free(text);
	model_gate_result_clear(&res);
	approvals_clear(&s);
	return r;
}

void rec_canary_gate_load(struct rec_canary_machine *m)
{
	const struct rel_canary_status *cs = &m->c->observed->canary;
	m->gate.step = -1;
	for (size_t i = 0; i < cs->n_pause_conditions; i++) {
		if (cs->pause_conditions[i].reason == REL_PAUSE_APPROVAL)
			m->approval_start = cs->pause_conditions[i].start_time;
	}
	/* Aborted at a gate: a Reject there says why (Approvals stay). */
	if (m->abort && m->step < m->n_steps &&
	    m->c->rel->canary.steps[m->step].kind == REL_STEP_APPROVAL &&
	    streq(m->c->observed->current_revision, m->c->rel->revision))
		evaluate(m, m->step, m->aborted_at, m->abort_text, sizeof(m->abort_text));
}

int rec_canary_approval_gate(struct rec_canary_machine *m, enum rec_canary_gate *gate)
{
	const struct model_gate *g = &m->c->rel->canary.steps[m->step].approval;
	*gate = REC_GATE_HOLD;
	if (m->approval_start == 0 || m->step != m->obs_step)
		m->approval_start = m->c->now;
	int r = evaluate(m, m->step, m->approval_start, m->abort_text, sizeof(m->abort_text));
	if (r < 0)
		return r;
	char d[MODEL_DURATION_FMT_LEN];
	switch (m->gate.state) {
	case MODEL_GATE_MET:
		*gate = REC_GATE_STEP_DONE;
		m->approval_start = 0;
		break;
	case MODEL_GATE_REJECTED:
		*gate = REC_GATE_ABORT;
		m->approval_start = 0;
		break;
	case MODEL_GATE_TIMED_OUT:
		if (g->on_timeout != MODEL_GATE_ON_TIMEOUT_ABORT)
			break;
		*gate = REC_GATE_ABORT;
		model_duration_format(g->timeout_ns, d);
		snprintf(m->abort_text, sizeof(m->abort_text), "the timeout (%s) of gate %s: %s", d,
		         g->name, m->gate.text);
		m->approval_start = 0;
		break;
	default:
		if (m->gate.has_deadline && m->gate.deadline > m->c->now)
			rec_plan_requeue(m->after, (double)(m->gate.deadline - m->c->now));
		break;
	}
	return 0;
}

bool rec_canary_gate_ahead(const struct rec_canary_machine *m, int32_t from)
{
	for (int32_t i = from < 0 ? 0 : from; i < m->n_steps; i++) {
		if (m->c->rel->canary.steps[i].kind == REL_STEP_APPROVAL)
			return true;
	}
	return false;
}

void rec_canary_gate_words(const struct rec_canary_machine *m, const char *at,
                           struct rec_verdict *v, char *msg, size_t len)
{
	const struct model_gate *g = &m->c->rel->canary.steps[m->step].approval;
	const char *rev = m->c->rel->revision;
	v->reason = REC_REASON_APPROVAL_PENDING;
	if (!m->gate.verified) {
		v->reason = REC_REASON_APPROVAL_UNVERIFIED;
		v->stalled = true;
		snprintf(msg, len, "revision %s waits at step %s for gate %s: %s", rev, at, g->name,
		         m->gate.text);
		return;
	}
	if (m->gate.state == MODEL_GATE_TIMED_OUT) {
		v->reason = REC_REASON_APPROVAL_TIMED_OUT;
		v->stalled = true;
		snprintf(msg, len,
		         "revision %s waits at step %s for gate %s, past its timeout: %s; approve "
		         "(kubectl slipway approve) or abort",
		         rev, at, g->name, m->gate.text);
		return;
	}
	char until[MODEL_TIME_LEN] = "";
	if (m->gate.has_deadline)
		model_time_format(m->gate.deadline, until);
	snprintf(msg, len, "revision %s waits at step %s for gate %s: %s%s%s", rev, at, g->name,
	         m->gate.text, until[0] ? "; times out at " : "", until);
}
