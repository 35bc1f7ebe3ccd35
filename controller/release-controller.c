#include "controller/release-controller.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "controller/log.h"
#include "model/api.h"
#include "model/intent.h"
#include "reconcilers/release.h"

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

/* The runtime's informers, in the order of the watches below. */
enum { INFORMER_RELEASES, INFORMER_REPLICASETS, INFORMER_PODS, N_INFORMERS };

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

/* The ReplicaSet cached under the name the Release's current revision
 * gives, whoever owns it, into *ret (caller owns it), or NULL: one lookup
 * by key, so an orphan (no owner, so not in the owner index) or a stranger
 * holding the name is seen without a scan. The ReplicaSet informer has no
 * label selector, so it caches those too. Costs one hash of the template,
 * which the reconciler computes again: cheaper than a second index. */
static int named_replicaset(struct ctl_runtime *rt, const json_t *release, const char *ns,
                            json_t **ret)
{
	char name[MODEL_NAME_MAX + 1], key[CTL_STORE_KEY_MAX];
	*ret = NULL;
	int r = rec_release_child_name(release, name, sizeof(name));
	if (r == -EINVAL || r == -ENAMETOOLONG)
		return 0; /* the reconciler reports the invalid spec */
	if (r < 0)
		return r;
	if (snprintf(key, sizeof(key), "%s/%s", ns ? ns : "", name) >= (int)sizeof(key))
		return 0;
	r = ctl_informer_get(ctl_runtime_informer(rt, INFORMER_REPLICASETS), key, ret);
	return r == -ENOENT ? 0 : r;
}

/* Collects the ReplicaSets whose ownerReferences name the Release's uid and
 * their pods (index lookups, not scans), the one holding the current
 * revision's name and the last failed write, and returns the reconciler's
 * plan. */
static int reconcile(struct ctl_runtime *rt, const json_t *release, double now,
                     struct rec_plan *plan, void *userdata)
{
	const json_t *meta = json_object_get(release, "metadata");
	const char *ns = json_string_value(json_object_get(meta, "namespace"));
	const char *uid = json_string_value(json_object_get(meta, "uid"));
	struct owned owned = {0}, pods = {0};
	json_t *named = NULL;
	char key[CTL_STORE_KEY_MAX];
	int r = 0;
	if (uid)
		r = ctl_informer_by_owner(ctl_runtime_informer(rt, INFORMER_REPLICASETS), ns, uid,
		                          collect, &owned);
	if (r == 0)
		r = collect_pods(rt, ns, &owned, &pods);
	if (r == 0)
		r = named_replicaset(rt, release, ns, &named);
	if (r == 0) {
		bool keyed = ctl_object_key(release, key, sizeof(key)) == 0;
		struct rec_observed observed = {
		    .release = release,
		    .replicasets = (const json_t *const *)owned.items,
		    .n_replicasets = owned.n,
		    .pods = (const json_t *const *)pods.items,
		    .n_pods = pods.n,
		    .named_replicaset = named,
		    .failure = keyed ? ctl_runtime_failure(rt, key) : NULL,
		    .now = (time_t)now,
		};
		r = rec_release_reconcile(&observed, plan);
	}
	json_decref(named);
	owned_clear(&owned);
	owned_clear(&pods);
	return r < 0 ? r : 0;
}

/* A Release UPDATE is worth a reconcile when it changed more than status,
 * or when a user wrote an intent into status (promote, abort, retry): the
 * status echo filter would drop exactly those. The controller clearing an
 * intent is an echo like any other. */
static bool release_update_matters(const json_t *old, const json_t *obj)
{
	if (ctl_object_changed_beyond_status(old, obj))
		return true;
	const json_t *intent =
	    json_object_get(json_object_get(obj, "status"), REL_INTENT_STATUS_KEY);
	const json_t *before =
	    json_object_get(json_object_get(old, "status"), REL_INTENT_STATUS_KEY);
	return intent && !json_is_null(intent) && !json_equal(intent, before);
}

int ctl_release_controller_add(struct ctl_manager *m,
                               const struct ctl_release_controller_options *opts,
                               struct ctl_runtime **ret, struct kc_error *err)
{
	struct ctl_watch watches[N_INFORMERS - 1] = {
	    [INFORMER_REPLICASETS - 1] = {.role = CTL_WATCH_OWNED,
	                                  .kind = ctl_kind_of(&model_replicaset_gvk)},
	    /* Owned at one remove: a pod's controller is a ReplicaSet, so its
	     * events enqueue nothing (an eviction changes the ReplicaSet's
	     * status, which wakes the Release). The watch is for the cache the
	     * restart reads and for the re-read after a 409. */
	    [INFORMER_PODS - 1] = {.role = CTL_WATCH_OWNED, .kind = ctl_kind_of(&model_pod_gvk)},
	};
	struct ctl_kind *rs = &watches[INFORMER_REPLICASETS - 1].kind;
	rs->compact = true;
	rs->strip_paths = replicaset_unread;
	rs->n_strip_paths = sizeof(replicaset_unread) / sizeof(replicaset_unread[0]);
	struct ctl_kind *pod = &watches[INFORMER_PODS - 1].kind;
	pod->compact = true;
	pod->strip_paths = pod_unread;
	pod->n_strip_paths = sizeof(pod_unread) / sizeof(pod_unread[0]);
	/* An existence selector: the controller's pods only. */
	pod->label_selector = MODEL_LABEL_REVISION;
	struct ctl_runtime_options ro = {
	    .name = "release",
	    .primary = ctl_kind_of(&model_release_gvk),
	    .watches = watches,
	    .n_watches = N_INFORMERS - 1,
	    .workers = opts->workers,
	    .queue = opts->queue,
	    .log_key = CTL_LOG_RELEASE,
	    .primary_update_matters = release_update_matters,
	    .reconcile = reconcile,
	};
	ro.primary.compact = true;
	return ctl_manager_add(m, &ro, ret, err);
}
