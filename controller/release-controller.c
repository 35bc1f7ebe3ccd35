#include "controller/release-controller.h"

#include <errno.h>
#include <stdlib.h>

#include "reconcilers/release.h"

const struct ctl_kind ctl_release_kind = {
    .group = "slipway.dev",
    .version = "v1alpha1",
    .resource = "releases",
    .kind = "Release",
    .compact = true,
};

/* The reconciler reads a ReplicaSet's metadata, spec.replicas,
 * spec.minReadySeconds and status (rec_rs_read); its revision is in a label,
 * so the pod template, the bulk of it, need not be kept. */
static const char *const replicaset_unread[] = {"spec.template", "spec.selector"};

const struct ctl_kind ctl_replicaset_kind = {
    .group = "apps",
    .version = "v1",
    .resource = "replicasets",
    .kind = "ReplicaSet",
    .compact = true,
    .strip_paths = replicaset_unread,
    .n_strip_paths = sizeof(replicaset_unread) / sizeof(replicaset_unread[0]),
};

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

int ctl_release_reconcile(struct ctl_runtime *rt, const json_t *release, double now,
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
