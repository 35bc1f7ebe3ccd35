#include "controller/release-controller.h"

#include <errno.h>
#include <stdlib.h>

#include "controller/log.h"
#include "model/api.h"
#include "reconcilers/release.h"

/* The reconciler reads a ReplicaSet's metadata, spec.replicas,
 * spec.minReadySeconds and status (rec_rs_read); its revision is in a label,
 * so the pod template, the bulk of it, need not be kept. */
static const char *const replicaset_unread[] = {"spec.template", "spec.selector"};

/* The ReplicaSets of one Release, each a reference we own. */
struct owned {
	json_t **items;
	size_t n, cap;
};

static int collect(const char *key, json_t *obj, void *userdata)
{
	struct owned *o = userdata;
	if (o->n == o->cap) {
		size_t cap = o->cap ? o->cap * 2 : 8;
		json_t **items = realloc(o->items, cap * sizeof(*items));
		if (!items)
			return -ENOMEM;
		o->items = items;
		o->cap = cap;
	}
	o->items[o->n++] = json_incref(obj);
	return 0;
}

/* Collects the ReplicaSets whose ownerReferences name the Release's uid
 * (an index lookup, not a scan) and returns the reconciler's plan. */
static int reconcile(struct ctl_runtime *rt, const json_t *release, double now,
                     struct rec_plan *plan, void *userdata)
{
	const json_t *meta = json_object_get(release, "metadata");
	const char *ns = json_string_value(json_object_get(meta, "namespace"));
	const char *uid = json_string_value(json_object_get(meta, "uid"));
	struct owned owned = {0};
	int r = 0;
	if (uid)
		r = ctl_informer_by_owner(ctl_runtime_informer(rt, 1), ns, uid, collect, &owned);
	if (r == 0) {
		struct rec_observed observed = {
		    .release = release,
		    .replicasets = (const json_t *const *)owned.items,
		    .n_replicasets = owned.n,
		    .now = (time_t)now,
		};
		r = rec_release_reconcile(&observed, plan);
	}
	for (size_t i = 0; i < owned.n; i++)
		json_decref(owned.items[i]);
	free(owned.items);
	return r < 0 ? r : 0;
}

int ctl_release_controller_add(struct ctl_manager *m,
                               const struct ctl_release_controller_options *opts,
                               struct ctl_runtime **ret, struct kc_error *err)
{
	struct ctl_watch replicasets = {.role = CTL_WATCH_OWNED,
	                                .kind = ctl_kind_of(&model_replicaset_gvk)};
	replicasets.kind.compact = true;
	replicasets.kind.strip_paths = replicaset_unread;
	replicasets.kind.n_strip_paths = sizeof(replicaset_unread) / sizeof(replicaset_unread[0]);
	struct ctl_runtime_options ro = {
	    .name = "release",
	    .primary = ctl_kind_of(&model_release_gvk),
	    .watches = &replicasets,
	    .n_watches = 1,
	    .workers = opts->workers,
	    .queue = opts->queue,
	    .log_key = CTL_LOG_RELEASE,
	    .reconcile = reconcile,
	};
	ro.primary.compact = true;
	return ctl_manager_add(m, &ro, ret, err);
}
