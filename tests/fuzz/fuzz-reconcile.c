/* libFuzzer: the whole Release reconcile on hostile observed state. The
 * input is {"release": ..., "replicasets": [...], "now": seconds}: any
 * Release, any ReplicaSets claiming to be its own. The reconcile must not
 * crash or leak, and for a valid rolling Release the plan must keep the
 * Deployment guarantees it promises, applied to the ReplicaSets it sees:
 *
 *   surge:        if the pods wanted were within replicas + maxSurge, the
 *                 plan keeps them there;
 *   availability: if available pods were at least replicas - maxUnavailable,
 *                 no scale-down in the plan takes them below (a scale-down
 *                 removes unavailable pods first, as the ReplicaSet
 *                 controller does, so a ReplicaSet keeps min(available,
 *                 replicas) available pods).
 *
 * The same holds for a canary Release by replica ratio (its
 * spec.strategy.canary maxSurge and maxUnavailable), where the surge bound is
 * max(replicas + maxSurge, 2 * minPodsPerReplicaSet): both sides keep
 * minPodsPerReplicaSet pods for weights 1..99, even with few replicas.
 *
 * Inputs the guarantees do not speak of are only run, not judged: a
 * ReplicaSet being deleted, two with one name, or a change of replicas
 * (a scaling event: the bounds move with it). */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model/errors.h"
#include "model/intorstr.h"
#include "model/release.h"
#include "model/revision.h"
#include "reconcilers/release.h"
#include "reconcilers/replicaset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_RS 32

struct sizes {
	size_t n;
	struct rec_rs rs[MAX_RS];
	int64_t planned[MAX_RS];
	int64_t created; /* replicas of a ReplicaSet the plan creates */
};

static int64_t min64(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

static const char *namespace_of(const json_t *obj)
{
	return json_string_value(json_object_get(json_object_get(obj, "metadata"), "namespace"));
}

static bool same_namespace(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* Reads the ReplicaSets the reconcile sees as the Release's own (controlled
 * by its uid, in its namespace); false when the input is one the guarantees
 * do not judge. */
static bool read_owned(const json_t *rss, const json_t *release, const char *uid, struct sizes *s)
{
	size_t i;
	json_t *obj;
	json_array_foreach(rss, i, obj)
	{
		struct rec_rs v;
		if (!model_controlled_by(obj, uid) ||
		    !same_namespace(namespace_of(obj), namespace_of(release)) ||
		    rec_rs_read(obj, &v) < 0)
			continue;
		if (s->n == MAX_RS || v.deleting)
			return false;
		for (size_t j = 0; j < s->n; j++)
			if (strcmp(s->rs[j].name, v.name) == 0)
				return false;
		s->planned[s->n] = v.spec_replicas;
		s->rs[s->n++] = v;
	}
	return true;
}

/* Applies the plan's ReplicaSet writes to the sizes. */
static void apply_plan(const struct rec_plan *plan, struct sizes *s)
{
	for (size_t i = 0; i < plan->n_actions; i++) {
		const struct rec_action *a = &plan->actions[i];
		if (!a->ref.resource || strcmp(a->ref.resource, "replicasets") != 0)
			continue;
		json_t *replicas = json_object_get(json_object_get(a->body, "spec"), "replicas");
		if (a->kind == REC_CREATE) {
			s->created += json_integer_value(replicas);
			continue;
		}
		for (size_t j = 0; j < s->n; j++) {
			if (!a->ref.name || strcmp(a->ref.name, s->rs[j].name) != 0)
				continue;
			if (a->kind == REC_DELETE)
				s->planned[j] = 0;
			else if (a->kind == REC_MERGE_PATCH && json_is_integer(replicas))
				s->planned[j] = json_integer_value(replicas);
		}
	}
}

static void check_guarantees(const struct rel_release *rel, const struct sizes *s)
{
	int32_t surge = 0, unavailable = 0;
	const struct rel_rolling *pace =
	    rel->strategy == REL_STRATEGY_CANARY ? &rel->canary.pace : &rel->rolling;
	if (model_resolve_fenceposts(&pace->max_surge, &pace->max_unavailable, rel->replicas,
	                             &surge, &unavailable) < 0)
		return;
	int64_t wanted = 0, planned = s->created, available = 0, still_available = 0;
	for (size_t i = 0; i < s->n; i++) {
		const struct rec_rs *v = &s->rs[i];
		/* A scaling event: a ReplicaSet sized for another replicas. */
		if (v->spec_replicas > 0 && v->has_desired && v->desired != rel->replicas)
			return;
		wanted += v->spec_replicas;
		planned += s->planned[i];
		available += min64(v->available, v->spec_replicas);
		still_available += min64(v->available, s->planned[i]);
	}
	int64_t max_total = (int64_t)rel->replicas + surge;
	if (rel->strategy == REL_STRATEGY_CANARY &&
	    max_total < 2 * (int64_t)rel->canary.min_pods_per_replica_set)
		max_total = 2 * (int64_t)rel->canary.min_pods_per_replica_set;
	int64_t min_available = (int64_t)rel->replicas - unavailable;
	if (wanted <= max_total && planned > max_total)
		abort();
	if (available >= min_available && still_available < min_available)
		abort();
}

/* The strategies whose plans keep the guarantees: rolling, and canary by
 * replica ratio. */
static bool judged(const struct rel_release *rel)
{
	return rel->strategy == REL_STRATEGY_ROLLING ||
	       (rel->strategy == REL_STRATEGY_CANARY && rel->canary.traffic == REL_TRAFFIC_NONE);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *v = json_loadb((const char *)data, size, 0, NULL);
	if (!v)
		return 0;
	const json_t *release = json_object_get(v, "release");
	const json_t *rss = json_object_get(v, "replicasets");
	json_t *now = json_object_get(v, "now");
	const json_t *items[MAX_RS * 2];
	size_t n = 0;
	size_t i;
	json_t *obj;
	json_array_foreach(rss, i, obj)
	{
		if (n < sizeof(items) / sizeof(items[0]))
			items[n++] = obj;
	}
	struct rec_observed observed = {
	    .release = release,
	    .replicasets = items,
	    .n_replicasets = n,
	    .now = json_is_integer(now) ? (time_t)json_integer_value(now) : 1800000000,
	};
	struct rec_plan plan;
	rec_plan_init(&plan);
	if (rec_release_reconcile(&observed, &plan) == 0) {
		struct model_errors errs = {0};
		struct rel_release *rel = NULL;
		const char *uid =
		    json_string_value(json_object_get(json_object_get(release, "metadata"), "uid"));
		struct sizes *s = calloc(1, sizeof(*s));
		if (s && uid && rel_release_parse(release, &rel, &errs) == 0 && judged(rel) &&
		    read_owned(rss, release, uid, s)) {
			apply_plan(&plan, s);
			check_guarantees(rel, s);
		}
		free(s);
		rel_release_free(rel);
		model_errors_clear(&errs);
	}
	rec_plan_clear(&plan);
	json_decref(v);
	return 0;
}
