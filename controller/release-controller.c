#include "controller/release-controller.h"

#include <errno.h>
#include <stdlib.h>

#include "model/api.h"
#include "reconcilers/release.h"

/* Informer indexes in the runtime: 0 is the primary kind. */
enum { INFORMER_REPLICASETS = 1, INFORMER_PODS = 2 };

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

/* Of a pod, the restart reads metadata (name, uid, timestamps, owners) and
 * status.conditions (reconcilers/restart.c); the rest is most of a pod. */
static const char *const pod_unread[] = {
    "spec",
    "metadata.annotations",
    "status.containerStatuses",
    "status.initContainerStatuses",
    "status.ephemeralContainerStatuses",
    "status.hostIP",
    "status.hostIPs",
    "status.podIP",
    "status.podIPs",
    "status.qosClass",
    "status.startTime",
};

const struct ctl_kind ctl_release_owned_kinds[CTL_RELEASE_N_OWNED] = {
    [INFORMER_REPLICASETS - 1] =
        {
            .group = "apps",
            .version = "v1",
            .resource = "replicasets",
            .kind = "ReplicaSet",
            .compact = true,
            .strip_paths = replicaset_unread,
            .n_strip_paths = sizeof(replicaset_unread) / sizeof(replicaset_unread[0]),
        },
    [INFORMER_PODS - 1] =
        {
            .group = "",
            .version = "v1",
            .resource = "pods",
            .kind = "Pod",
            .compact = true,
            .strip_paths = pod_unread,
            .n_strip_paths = sizeof(pod_unread) / sizeof(pod_unread[0]),
            /* An existence selector: the controller's pods only. */
            .label_selector = MODEL_LABEL_REVISION,
        },
};

/* Objects collected from an index, each a reference we own. */
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

static void owned_clear(struct owned *o)
{
	for (size_t i = 0; i < o->n; i++)
		json_decref(o->items[i]);
	free(o->items);
}

/* The pods of every ReplicaSet in rss (by each one's uid). */
static int collect_pods(struct ctl_runtime *rt, const char *ns, const struct owned *rss,
                        struct owned *pods)
{
	for (size_t i = 0; i < rss->n; i++) {
		const char *uid = json_string_value(
		    json_object_get(json_object_get(rss->items[i], "metadata"), "uid"));
		if (!uid)
			continue;
		int r = ctl_informer_by_owner(ctl_runtime_informer(rt, INFORMER_PODS), ns, uid,
		                              collect, pods);
		if (r < 0)
			return r;
	}
	return 0;
}

int ctl_release_reconcile(struct ctl_runtime *rt, const json_t *release, double now,
                          struct rec_plan *plan, void *userdata)
{
	const json_t *meta = json_object_get(release, "metadata");
	const char *ns = json_string_value(json_object_get(meta, "namespace"));
	const char *uid = json_string_value(json_object_get(meta, "uid"));
	struct owned owned = {0}, pods = {0};
	int r = 0;
	if (uid)
		r = ctl_informer_by_owner(ctl_runtime_informer(rt, INFORMER_REPLICASETS), ns, uid,
		                          collect, &owned);
	if (r == 0)
		r = collect_pods(rt, ns, &owned, &pods);
	if (r == 0) {
		struct rec_observed observed = {
		    .release = release,
		    .replicasets = (const json_t *const *)owned.items,
		    .n_replicasets = owned.n,
		    .pods = (const json_t *const *)pods.items,
		    .n_pods = pods.n,
		    .now = (time_t)now,
		};
		r = rec_release_reconcile(&observed, plan);
	}
	owned_clear(&owned);
	owned_clear(&pods);
	return r < 0 ? r : 0;
}
