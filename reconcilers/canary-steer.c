/* The canary machine's traffic (reconcilers/canary-machine.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "reconcilers/canary-machine.h"
#include "reconcilers/canary.h"

static bool streq(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

/* Evaluates the routers against m->route.want into m->rep, appending the
 * actions to `into`, or only judging them (into NULL). 0, -EINVAL, -ENOMEM. */
static int evaluate(struct rec_canary_machine *m, struct rec_plan *into)
{
	struct rec_plan scratch;
	rec_plan_init(&scratch);
	int r = rec_traffic_plan(m->c->rel, m->c->release, &m->route.want, m->c->traffic, m->last_w,
	                         into ? into : &scratch, &m->rep);
	rec_plan_clear(&scratch);
	return r;
}

static void strip_routes(struct rec_traffic_want *want)
{
	want->n_header_routes = 0;
	want->n_mirror_routes = 0;
}

/* With a router missing (a Service, the route, the stable Ingress) the
 * routers do not move forward: no higher weight, no header or mirror route,
 * since what they would send to may not be there to answer. 0 or
 * evaluate's error. */
static int hold_if_missing(struct rec_canary_machine *m)
{
	int r = evaluate(m, NULL);
	if (r < 0 || !m->rep.missing)
		return r;
	int32_t last = m->last_w < 0 ? 0 : m->last_w;
	if (m->route.split.weight > last) {
		m->route.split.weight = last;
		m->route.want.canary_weight = last;
	}
	strip_routes(&m->route.want);
	return 0;
}

/* Frozen after a step reached in this reconcile: the routers keep that
 * step's traffic, which is in effect (the recorded weight may lag behind it
 * after a controller was killed before its status write), and the pods
 * cover both it and the new step. */
static void keep_reached(struct rec_canary_machine *m)
{
	const struct rec_canary_route *k = &m->reached;
	struct rec_canary_split *sp = &m->route.split;
	m->route.want = k->want;
	m->route.weight_revision = k->weight_revision;
	sp->weight = k->split.weight;
	if (k->split.canary_pods > sp->canary_pods)
		sp->canary_pods = k->split.canary_pods;
	if (k->split.stable_pods > sp->stable_pods)
		sp->stable_pods = k->split.stable_pods;
}

/* The traffic of this state (rec_canary_route_decide) into m->route. */
static int route(struct rec_canary_machine *m)
{
	const struct rel_release *rel = m->c->rel;
	const struct rec_rs *nr = m->s.new_rs, *lr = rec_canary_find_rs(m->c, m->last_rev);
	bool stepping = m->st != ST_ABORTED && m->st != ST_STABLE && m->st != ST_FIRST;
	int32_t canary_av = nr && !nr->planned ? nr->available : 0;
	int32_t stable_av = m->stable_rs ? m->stable_rs->available : 0;
	/* The step the status records for this canary (a new one: 0). */
	int32_t recorded = streq(m->c->observed->current_revision, rel->revision) ? m->obs_step : 0;
	m->frozen = m->routed && stepping && m->step != recorded;
	struct rec_canary_route_in in = {
	    .phase = m->st == ST_ABORTED ? REC_CANARY_ABORTED
	             : stepping          ? REC_CANARY_STEPPING
	                                 : REC_CANARY_SETTLED,
	    .step = (size_t)(m->frozen ? recorded : m->step),
	    .pod_step = (size_t)m->step,
	    .target = stepping ? rec_canary_target_weight(m) : 0,
	    .frozen = m->frozen,
	    .last = m->last_w,
	    .last_revision = m->last_rev,
	    .stable = m->stable,
	    .canary = rel->revision,
	    .canary_available = canary_av,
	    .stable_available = stable_av,
	    .last_available = lr ? lr->available : 0,
	    .stable_to_canary =
	        !m->routed && m->st == ST_PROMOTING && canary_av > 0 && canary_av >= stable_av,
	};
	int r = rec_canary_route_decide(rel, &in, &m->route);
	if (r == 0 && m->frozen && m->c->observed->canary.abort)
		strip_routes(&m->route.want); /* what the recorded abort has */
	if (r == 0 && m->frozen && m->have_reached)
		keep_reached(m);
	return r;
}

/* Seconds a ReplicaSet of neither side keeps its pods once no Service
 * routes to it: scaleDownDelaySeconds for a revision that was stable (no
 * history of it, or Succeeded; none with dynamicStableScale, whose stable
 * shrank with its weight), none for a canary that never was. */
static int32_t other_delay(const struct rec_canary_machine *m, const struct rec_rs *v)
{
	const struct rel_canary *k = &m->c->rel->canary;
	if (!v->revision)
		return 0; /* not ours to route: no Service selects it by revision */
	const struct rel_history_entry *e = rel_status_history_find(m->c->next, v->revision);
	if (e && e->outcome != REL_OUTCOME_SUCCEEDED)
		return 0;
	return k->dynamic_stable_scale ? 0 : k->scale_down_delay_seconds;
}

/* Routed: whether v, which this state takes to 0 pods, keeps them for now
 * (rec_canary_hold); records the decision in v and the wake-up. */
bool rec_canary_keep(struct rec_canary_machine *m, struct rec_rs *v)
{
	const struct rel_canary *k = &m->c->rel->canary;
	int32_t delay = other_delay(m, v);
	if (v == m->s.new_rs) /* aborted: 0 means never */
		delay =
		    k->abort_scale_down_delay_seconds > 0 ? k->abort_scale_down_delay_seconds : -1;
	double wake = -1;
	bool unrouted = rec_canary_unrouted(k, m->c->traffic, v->revision);
	v->kept = rec_canary_hold(v, unrouted, delay, m->c->now, &wake);
	if (wake >= 0)
		rec_plan_requeue(m->after, wake);
	return v->kept;
}

/* rec_canary_keep() without deciding anything: for rec_canary_placed(). */
bool rec_canary_would_keep(struct rec_canary_machine *m, const struct rec_rs *v)
{
	struct rec_rs copy = *v;
	double wake = -1;
	bool unrouted = rec_canary_unrouted(&m->c->rel->canary, m->c->traffic, v->revision);
	return rec_canary_hold(&copy, unrouted, other_delay(m, v), m->c->now, &wake);
}

/* A step that places pods (setWeight and the traffic steps) is reached when
 * its pods are there and available, and, with Services or a router, the
 * routers route as it wants: under trafficRouting its weight set (not in the
 * reconcile that entered the step: frozen), in effect, accepted. */
int rec_canary_reached(struct rec_canary_machine *m, bool *done)
{
	*done = false;
	if (!rec_canary_placed(m))
		return 0;
	if (!m->services) {
		*done = true;
		return 0;
	}
	if (m->routed && (m->frozen || m->route.split.weight != rec_canary_target_weight(m)))
		return 0;
	int r = evaluate(m, NULL);
	if (r < 0)
		return r;
	*done = m->rep.in_effect && !(m->routed && m->rep.not_accepted);
	if (*done) {
		m->reached = m->route;
		m->have_reached = true;
	}
	return 0;
}

/* Routed promotion: the canary holds every pod, available. */
bool rec_canary_full(const struct rec_canary_machine *m)
{
	const struct rec_rs *nr = m->s.new_rs;
	int32_t replicas = m->c->rel->replicas;
	return nr && !nr->planned && nr->spec_replicas == replicas && nr->available >= replicas;
}

/* The reason of a router problem in m->rep, or NULL: a referenced object
 * missing or unusable, or an HTTPRoute no Gateway accepted. */
const char *rec_canary_traffic_problem(const struct rec_canary_machine *m)
{
	if (!m->planned_traffic)
		return NULL;
	if (m->rep.missing)
		return REC_REASON_TRAFFIC_ROUTER_MISSING;
	if (m->rep.not_accepted)
		return REC_REASON_ROUTE_NOT_ACCEPTED;
	return NULL;
}

/* ST_STABLE is complete: the revision holds every pod, available; with
 * Services the routers route to it; under traffic routing the earlier
 * revisions may still be kept for their scale-down delay. */
bool rec_canary_settled_complete(const struct rec_canary_machine *m)
{
	const struct rec_ctx *c = m->c;
	const struct rec_rs *nr = m->s.new_rs;
	if (!m->services)
		return rec_scaling_complete(&m->s);
	if (!m->planned_traffic || !m->rep.in_effect)
		return false;
	if (!m->routed)
		return rec_scaling_complete(&m->s);
	if (!nr || nr->planned || nr->want != c->rel->replicas || nr->available != c->rel->replicas)
		return false;
	for (size_t i = 0; i < c->n_rss; i++) {
		const struct rec_rs *v = &c->rss[i];
		if (v != nr && !v->kept && v->want != 0)
			return false;
	}
	return true;
}

/* The routers' actions for this state, first in the plan: a weight that
 * goes down, and the switch at completion, land before the pods they free
 * go; a weight goes up only to pods already available. Plus the Event of a
 * drift corrected, and a prompt reconcile when the routers wait for this
 * plan's status (frozen). 0, -EINVAL or -ENOMEM. */
int rec_canary_steer(struct rec_canary_machine *m, struct rec_plan *actions)
{
	int r = evaluate(m, actions);
	if (r < 0)
		return r;
	m->planned_traffic = true;
	if (m->frozen)
		rec_plan_requeue(m->after, REC_CANARY_FROZEN_REQUEUE);
	if (!m->rep.drift_corrected)
		return 0;
	char note[512];
	snprintf(note, sizeof(note),
	         "%s: canary weights changed by someone else, set back to %d%% for revision %s",
	         m->rep.drifted, (int)m->route.split.weight,
	         m->route.weight_revision ? m->route.weight_revision : "-");
	if (!rec_plan_add_event(actions, m->c->release, REC_EVENT_NORMAL,
	                        REC_REASON_TRAFFIC_DRIFT_CORRECTED, note))
		return -ENOMEM;
	return 0;
}

int rec_canary_decide_traffic(struct rec_canary_machine *m)
{
	int r = route(m);
	if (r == 0 && m->routed)
		r = hold_if_missing(m);
	return r;
}
