/* The blue-green machine's Services, delays and pod labels
 * (reconcilers/bluegreen-machine.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "model/api.h"
#include "reconcilers/bluegreen-machine.h"
#include "reconcilers/bluegreen.h"
#include "reconcilers/canary-traffic.h"
#include "reconcilers/canary.h"
#include "reconcilers/strategy.h"

static bool streq(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

int32_t rec_bg_available(struct rec_bg_machine *m, const char *revision)
{
	const struct rec_rs *v = rec_strategy_find_rs(m->c, revision);
	return v && !v->planned ? v->available : 0;
}

/* Available pods of what activeService selects now: one revision's, or
 * every revision's when its selector lacks the key; 0 when not found. */
static int64_t active_now(struct rec_bg_machine *m)
{
	const json_t *svc = m->c->traffic->stable_service;
	if (!svc)
		return 0;
	const char *sel = rec_traffic_selected_revision(svc);
	if (sel)
		return rec_bg_available(m, sel);
	int64_t n = 0;
	for (size_t i = 0; i < m->c->n_rss; i++)
		n += m->c->rss[i].available;
	return n;
}

bool rec_bg_active_may_select(struct rec_bg_machine *m, const char *revision)
{
	const json_t *svc = m->c->traffic->stable_service;
	if (!revision)
		return false;
	if (!svc)
		return m->st == BG_FIRST; /* not there to judge what it selects */
	/* The first revision takes a Service that serves none of our pods
	 * yet; one that does (pods of ReplicaSets without a revision label,
	 * selected by a Service without the key) is judged like any other. */
	if (m->st == BG_FIRST && active_now(m) == 0)
		return true;
	if (svc && streq(rec_traffic_selected_revision(svc), revision))
		return true;
	int32_t avail = rec_bg_available(m, revision);
	return avail >= m->c->rel->replicas || avail >= active_now(m);
}

void rec_bg_decide_services(struct rec_bg_machine *m)
{
	const char *tmpl = m->c->rel->revision;
	const struct rec_rs *nr = m->s.new_rs;
	const char *active = m->stable, *preview = m->stable;
	switch (m->st) {
	case BG_FIRST:
	case BG_STABLE:
	case BG_POST:
		active = preview = tmpl;
		break;
	case BG_PREVIEW:
	case BG_PRE:
	case BG_PAUSE:
	case BG_SCALE_UP:
		preview = nr && !nr->planned ? tmpl : NULL;
		break;
	default: /* BG_ABORTED; BG_HELD moves nothing */
		break;
	}
	m->want_active = rec_bg_active_may_select(m, active) ? active : NULL;
	m->want_preview = m->c->rel->blue_green.preview_service ? preview : NULL;
}

/* Someone else set Service `name` to another revision than the one this
 * controller recorded setting (and still wants): noted for the Event. */
static void note_drift(struct rec_bg_machine *m, const char *name, const json_t *svc,
                       const char *recorded, const char *want)
{
	if (!svc || !want || !streq(recorded, want))
		return;
	const char *sel = rec_traffic_selected_revision(svc);
	if (streq(sel, want))
		return;
	size_t len = strlen(m->drifted);
	snprintf(m->drifted + len, sizeof(m->drifted) - len, "%sService %s (selected %s)",
	         len ? ", " : "", name, sel ? sel : "every revision");
	m->drift = true;
}

static int record_service(char **field, const char *want)
{
	return want ? rel_status_set_string(field, want) : 0;
}

int rec_bg_steer(struct rec_bg_machine *m, struct rec_plan *actions)
{
	struct rec_ctx *c = m->c;
	const struct rel_blue_green *b = &c->rel->blue_green;
	const struct rec_traffic_observed *obs = c->traffic;
	const char *ns = c->rel->namespace;
	m->rep = (struct rec_traffic_report){.in_effect = true};
	m->planned_traffic = true;
	note_drift(m, b->active_service, obs->stable_service, c->observed->active_revision,
	           m->want_active);
	note_drift(m, b->preview_service, obs->canary_service, c->observed->preview_revision,
	           m->want_preview);
	/* activeService first: at a switch back (abort, rollback) it must
	 * leave the new revision before anything else moves. */
	/* A Service not found is reported whatever the state wants of it. */
	const char *active = obs->stable_service ? m->want_active : c->rel->revision;
	const char *preview = obs->canary_service ? m->want_preview : c->rel->revision;
	int r = rec_traffic_service(ns, b->active_service, obs->stable_service, active, actions,
	                            &m->rep);
	if (r == 0)
		r = rec_traffic_service(ns, b->preview_service, obs->canary_service, preview,
		                        actions, &m->rep);
	if (r == 0 && !m->rep.missing)
		r = record_service(&c->next->active_revision, m->want_active);
	if (r == 0 && !m->rep.missing)
		r = record_service(&c->next->preview_revision, m->want_preview);
	if (r < 0 || !m->drift)
		return r;
	char note[512];
	snprintf(note, sizeof(note),
	         "%s: selector %s changed by someone else, set back to the revision the "
	         "rollout is at",
	         m->drifted, MODEL_LABEL_REVISION);
	if (!rec_plan_add_event(actions, c->release, REC_EVENT_NORMAL,
	                        REC_REASON_TRAFFIC_DRIFT_CORRECTED, note))
		return -ENOMEM;
	return 0;
}

bool rec_bg_keep(struct rec_bg_machine *m, struct rec_rs *v)
{
	const struct rel_blue_green *b = &m->c->rel->blue_green;
	const char *names[] = {b->active_service, b->preview_service};
	const json_t *svcs[] = {m->c->traffic->stable_service, m->c->traffic->canary_service};
	int32_t delay = b->scale_down_delay_seconds;
	if (v == m->s.new_rs) /* aborted: 0 means never */
		delay =
		    b->abort_scale_down_delay_seconds > 0 ? b->abort_scale_down_delay_seconds : -1;
	if (!v->revision)
		delay = 0; /* not ours to route: no Service selects it by revision */
	double wake = -1;
	bool unrouted = rec_traffic_unrouted(2, names, svcs, v->revision);
	v->kept = rec_canary_hold(v, unrouted, delay, m->c->now, &wake);
	if (wake >= 0)
		rec_plan_requeue(m->after, wake);
	return v->kept;
}

/* The revision a Service selects once this plan is through: the want, or
 * what it selects now. */
static const char *effective(const char *want, const json_t *svc)
{
	return want ? want : rec_traffic_selected_revision(svc);
}

/* Adds to patch, for every key of `keys`, the value it has in `role`
 * (NULL: none, so null removes it) where the pod's labels differ. */
static int diff_labels(json_t *patch, const struct model_labels *keys,
                       const struct model_labels *role, const json_t *labels)
{
	for (size_t i = 0; i < keys->n; i++) {
		const char *k = keys->items[i].key;
		const char *want = role ? model_labels_get(role, k) : NULL;
		const char *have = json_string_value(json_object_get(labels, k));
		if (streq(want, have) || (!want && !json_object_get(labels, k)))
			continue;
		if (json_object_get(patch, k))
			continue; /* the other role's set already decided this key */
		if (json_object_set_new(patch, k, want ? json_string(want) : json_null()) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* One pod: a merge patch of its labels when they are not its role's. */
static int label_pod(struct rec_bg_machine *m, const json_t *pod, const char *active,
                     const char *preview, struct rec_plan *actions)
{
	const struct rel_blue_green *b = &m->c->rel->blue_green;
	const json_t *md = json_object_get(pod, "metadata");
	const json_t *labels = json_object_get(md, "labels");
	const json_t *del = json_object_get(md, "deletionTimestamp");
	const char *name = json_string_value(json_object_get(md, "name"));
	const char *uid = json_string_value(json_object_get(md, "uid"));
	const char *rev = json_string_value(json_object_get(labels, MODEL_LABEL_REVISION));
	if (!name || !uid || (del && !json_is_null(del)))
		return 0;
	const struct model_labels *role = streq(rev, active)    ? &b->active_labels
	                                  : streq(rev, preview) ? &b->preview_labels
	                                                        : NULL;
	json_t *patch = json_object();
	int r = patch ? 0 : -ENOMEM;
	if (r == 0 && role)
		r = diff_labels(patch, role, role, labels);
	if (r == 0)
		r = diff_labels(patch, &b->active_labels, role, labels);
	if (r == 0)
		r = diff_labels(patch, &b->preview_labels, role, labels);
	if (r == 0 && json_object_size(patch) > 0) {
		json_t *body = json_pack("{s:{s:O}}", "metadata", "labels", patch);
		struct rec_ref ref = {.group = (char *)model_pod_gvk.group,
		                      .version = (char *)model_pod_gvk.version,
		                      .resource = (char *)model_pod_gvk.resource,
		                      .kind = (char *)model_pod_gvk.kind,
		                      .ns = m->c->rel->namespace,
		                      .name = (char *)name,
		                      .uid = (char *)uid};
		struct rec_action *a =
		    body ? rec_plan_add(actions, REC_MERGE_PATCH, &ref, body) : NULL;
		if (a)
			a->tolerate = REC_TOLERATE_NOT_FOUND; /* a pod gone needs no label */
		else
			r = -ENOMEM;
		json_decref(body);
	}
	json_decref(patch);
	return r;
}

int rec_bg_label_pods(struct rec_bg_machine *m, const json_t *const *pods, size_t n_pods,
                      struct rec_plan *actions)
{
	const struct rel_blue_green *b = &m->c->rel->blue_green;
	if (b->active_labels.n == 0 && b->preview_labels.n == 0)
		return 0;
	const char *active = effective(m->want_active, m->c->traffic->stable_service);
	const char *preview =
	    b->preview_service ? effective(m->want_preview, m->c->traffic->canary_service) : NULL;
	for (size_t i = 0; i < n_pods; i++) {
		int r = label_pod(m, pods[i], active, preview, actions);
		if (r < 0)
			return r;
	}
	return 0;
}
