#include "reconcilers/replicaset.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/revision.h"
#include "model/timefmt.h"

static int32_t int32_member(const json_t *obj, const char *key, int32_t dflt)
{
	json_t *v = json_object_get(obj, key);
	if (!json_is_integer(v))
		return dflt;
	json_int_t n = json_integer_value(v);
	if (n < 0)
		return 0;
	return n > INT32_MAX ? INT32_MAX : (int32_t)n;
}

/* An annotation holding a non-negative decimal number, or false. */
static bool annotation_int(const json_t *annotations, const char *key, int64_t max, int64_t *ret)
{
	json_t *v = json_object_get(annotations, key);
	if (!json_is_string(v))
		return false;
	const char *s = json_string_value(v);
	if (*s < '0' || *s > '9')
		return false;
	char *end;
	errno = 0;
	long long n = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || n > max)
		return false;
	*ret = n;
	return true;
}

int rec_rs_read(const json_t *obj, struct rec_rs *v)
{
	json_t *md = json_object_get(obj, "metadata");
	const char *name = json_string_value(json_object_get(md, "name"));
	const char *uid = json_string_value(json_object_get(md, "uid"));
	if (!name || !uid)
		return -EINVAL;
	struct rec_rs r = {.obj = obj, .name = name, .uid = uid};
	r.resource_version = json_string_value(json_object_get(md, "resourceVersion"));
	r.revision = model_revision_of(obj);
	const char *created = json_string_value(json_object_get(md, "creationTimestamp"));
	if (created && model_time_parse(created, &r.created_at) < 0)
		r.created_at = 0;
	json_t *gen = json_object_get(md, "generation");
	r.generation = json_is_integer(gen) ? json_integer_value(gen) : 0;
	r.deleting = json_object_get(md, "deletionTimestamp") != NULL &&
	             !json_is_null(json_object_get(md, "deletionTimestamp"));

	json_t *spec = json_object_get(obj, "spec");
	r.spec_replicas = int32_member(spec, "replicas", 1);
	r.min_ready_seconds = int32_member(spec, "minReadySeconds", 0);
	json_t *st = json_object_get(obj, "status");
	r.status_replicas = int32_member(st, "replicas", 0);
	r.ready = int32_member(st, "readyReplicas", 0);
	/* Pods of a scaled-down RS may still be running and counted; they are
	 * about to go, so never count more available pods than the spec keeps. */
	r.available = int32_member(st, "availableReplicas", 0);
	if (r.available > r.spec_replicas)
		r.available = r.spec_replicas;
	json_t *og = json_object_get(st, "observedGeneration");
	r.observed_generation = json_is_integer(og) ? json_integer_value(og) : 0;

	json_t *ann = json_object_get(md, "annotations");
	int64_t n;
	if (annotation_int(ann, MODEL_ANNOTATION_DESIRED, INT32_MAX, &n)) {
		r.has_desired = true;
		r.desired = (int32_t)n;
	}
	if (annotation_int(ann, MODEL_ANNOTATION_MAX, INT32_MAX, &n)) {
		r.has_max = true;
		r.max = (int32_t)n;
	}
	if (annotation_int(ann, MODEL_ANNOTATION_GENERATION, INT64_MAX, &n))
		r.rollout_generation = n;
	const char *deadline =
	    json_string_value(json_object_get(ann, MODEL_ANNOTATION_SCALE_DOWN_DEADLINE));
	if (deadline && model_time_parse(deadline, &r.deadline) < 0)
		r.deadline = 0;
	r.want = r.spec_replicas;
	r.want_deadline = r.deadline;
	*v = r;
	return 0;
}

int rec_rs_cmp_older(const void *pa, const void *pb)
{
	const struct rec_rs *a = pa, *b = pb;
	if (a->rollout_generation != b->rollout_generation)
		return a->rollout_generation < b->rollout_generation ? -1 : 1;
	if (a->created_at != b->created_at)
		return a->created_at < b->created_at ? -1 : 1;
	return strcmp(a->name, b->name);
}

static json_t *int_string(int64_t n)
{
	char buf[24];
	snprintf(buf, sizeof(buf), "%" PRId64, n);
	return json_string(buf);
}

/* The replica annotations the Deployment controller keeps on each RS.
 * 0 or -ENOMEM. */
static int set_replica_annotations(json_t *ann, int32_t desired, int64_t max)
{
	if (json_object_set_new(ann, MODEL_ANNOTATION_DESIRED, int_string(desired)) != 0)
		return -ENOMEM;
	if (json_object_set_new(ann, MODEL_ANNOTATION_MAX, int_string(max)) != 0)
		return -ENOMEM;
	return 0;
}

/* Selector labels plus the revision label. Caller owns; NULL on ENOMEM. */
static json_t *labels_with_revision(const struct model_labels *base, const char *revision)
{
	json_t *o = json_object();
	if (!o)
		return NULL;
	for (size_t i = 0; i < base->n; i++) {
		if (json_object_set_new(o, base->items[i].key, json_string(base->items[i].value)) !=
		    0)
			goto fail;
	}
	if (json_object_set_new(o, MODEL_LABEL_REVISION, json_string(revision)) != 0)
		goto fail;
	return o;
fail:
	json_decref(o);
	return NULL;
}

/* Member `key` of obj as an object, made (empty) when absent or not an
 * object. Borrowed from obj; NULL on ENOMEM. */
static json_t *object_member(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	if (json_is_object(v))
		return v;
	v = json_object();
	if (json_object_set_new(obj, key, v) != 0)
		return NULL;
	return v;
}

/* rel's pod template with the revision label, which pods carry so that
 * Services and routes can select them. Caller owns; NULL on ENOMEM. */
static json_t *pod_template(const struct rel_release *rel)
{
	json_t *tmpl = json_deep_copy(rel->template);
	json_t *labels = object_member(object_member(tmpl, "metadata"), "labels");
	if (!labels ||
	    json_object_set_new(labels, MODEL_LABEL_REVISION, json_string(rel->revision)) != 0) {
		json_decref(tmpl);
		return NULL;
	}
	return tmpl;
}

/* The annotations of a new RS. Caller owns; NULL on ENOMEM. */
static json_t *new_annotations(const struct rel_release *rel, int32_t max_surge)
{
	json_t *ann = json_object();
	if (!ann)
		return NULL;
	if (set_replica_annotations(ann, rel->replicas, (int64_t)rel->replicas + max_surge) < 0 ||
	    json_object_set_new(ann, MODEL_ANNOTATION_GENERATION, int_string(rel->generation)) !=
	        0) {
		json_decref(ann);
		return NULL;
	}
	return ann;
}

json_t *rec_rs_owner_ref(const struct rel_release *rel)
{
	return json_pack("{s:s,s:s,s:s,s:s,s:b,s:b}", "apiVersion", MODEL_API_VERSION, "kind",
	                 model_release_gvk.kind, "name", rel->name, "uid", rel->uid ? rel->uid : "",
	                 "controller", 1, "blockOwnerDeletion", 1);
}

/* The metadata of a new RS: its name and namespace, the pods' labels, the
 * annotations, and the Release as controller owner. Caller owns; NULL on
 * ENOMEM. */
static json_t *new_metadata(const struct rel_release *rel, const char *name,
                            const json_t *pod_labels, int32_t max_surge)
{
	json_t *labels = json_deep_copy(pod_labels);
	json_t *ann = new_annotations(rel, max_surge);
	json_t *ref = rec_rs_owner_ref(rel);
	json_t *owner = ref ? json_pack("[o]", ref) : NULL;
	json_t *md = json_pack("{s:s}", "name", name);
	bool ok = labels && ann && owner && md;
	if (ok && rel->namespace)
		ok = json_object_set_new(md, "namespace", json_string(rel->namespace)) == 0;
	if (ok)
		ok = json_object_set(md, "labels", labels) == 0;
	if (ok)
		ok = json_object_set(md, "annotations", ann) == 0;
	if (ok)
		ok = json_object_set(md, "ownerReferences", owner) == 0;
	json_decref(labels);
	json_decref(ann);
	json_decref(owner);
	if (!ok) {
		json_decref(md);
		return NULL;
	}
	return md;
}

json_t *rec_rs_new_object(const struct rel_release *rel, int32_t replicas, int32_t max_surge)
{
	char name[MODEL_NAME_MAX + 1];
	if (model_child_name(rel->name, rel->revision, name, sizeof(name)) < 0)
		return NULL;
	json_t *tmpl = pod_template(rel);
	json_t *pod_labels = json_object_get(json_object_get(tmpl, "metadata"), "labels");
	json_t *md = tmpl ? new_metadata(rel, name, pod_labels, max_surge) : NULL;
	json_t *sel = labels_with_revision(&rel->selector, rel->revision);
	json_t *rs = NULL;
	if (md && sel)
		rs =
		    json_pack("{s:s++,s:s,s:O,s:{s:i,s:i,s:{s:O},s:O}}", "apiVersion",
		              model_replicaset_gvk.group, "/", model_replicaset_gvk.version, "kind",
		              model_replicaset_gvk.kind, "metadata", md, "spec", "replicas",
		              (int)replicas, "minReadySeconds", (int)rel->min_ready_seconds,
		              "selector", "matchLabels", sel, "template", tmpl);
	json_decref(md);
	json_decref(sel);
	json_decref(tmpl);
	return rs;
}

struct rec_ref rec_rs_named_ref(const char *ns, const char *name)
{
	/* rec_ref's strings are not const; the plan copies them (plan.h). */
	struct rec_ref ref = {
	    .group = (char *)model_replicaset_gvk.group,
	    .version = (char *)model_replicaset_gvk.version,
	    .resource = (char *)model_replicaset_gvk.resource,
	    .ns = (char *)ns,
	    .name = (char *)name,
	};
	return ref;
}

struct rec_ref rec_rs_ref(const struct rec_rs *v, const char *ns)
{
	struct rec_ref ref = rec_rs_named_ref(ns, v->name);
	ref.uid = (char *)v->uid;
	ref.resource_version = (char *)v->resource_version;
	return ref;
}

/* The annotations part of v's patch into ann: the replica annotations,
 * the generation, the scale-down deadline. 0, -ERANGE or -ENOMEM. */
static int patch_annotations(json_t *ann, const struct rec_rs *v, const struct rel_release *rel,
                             int64_t max, bool replicas, bool generation)
{
	/* Like the Deployment controller, every scale refreshes the annotations
	 * proportional scaling reads. */
	if (replicas && set_replica_annotations(ann, rel->replicas, max) != 0)
		return -ENOMEM;
	if (generation && json_object_set_new(ann, MODEL_ANNOTATION_GENERATION,
	                                      int_string(rel->generation)) != 0)
		return -ENOMEM;
	if (v->want_deadline == v->deadline)
		return 0;
	json_t *deadline = json_null();
	if (v->want_deadline != 0) {
		char ts[MODEL_TIME_LEN];
		if (model_time_format(v->want_deadline, ts) < 0)
			return -ERANGE;
		deadline = json_string(ts);
	}
	return json_object_set_new(ann, MODEL_ANNOTATION_SCALE_DOWN_DEADLINE, deadline) == 0
	           ? 0
	           : -ENOMEM;
}

/* The merge patch v's decisions need, or NULL in *ret when none. 0,
 * -ERANGE or -ENOMEM. */
static int build_patch(const struct rec_rs *v, const struct rel_release *rel, int32_t max_surge,
                       json_t **ret)
{
	int64_t max = (int64_t)rel->replicas + max_surge;
	bool resize = v->want != v->spec_replicas;
	bool annotate = v->touched && (!v->has_desired || v->desired != rel->replicas ||
	                               !v->has_max || v->max != max);
	bool min_ready = v->make_current && v->min_ready_seconds != rel->min_ready_seconds;
	bool generation = v->make_current && v->rollout_generation != rel->generation;
	bool deadline = v->want_deadline != v->deadline;
	*ret = NULL;
	if (!resize && !annotate && !min_ready && !generation && !deadline)
		return 0;
	json_t *spec = json_object();
	json_t *ann = json_object();
	json_t *patch = json_object();
	int r = spec && ann && patch ? 0 : -ENOMEM;
	if (r == 0 && resize && json_object_set_new(spec, "replicas", json_integer(v->want)) != 0)
		r = -ENOMEM;
	if (r == 0 && min_ready &&
	    json_object_set_new(spec, "minReadySeconds", json_integer(rel->min_ready_seconds)) != 0)
		r = -ENOMEM;
	if (r == 0)
		r = patch_annotations(ann, v, rel, max, annotate || resize, generation);
	if (r == 0 && json_object_size(spec) > 0 && json_object_set(patch, "spec", spec) != 0)
		r = -ENOMEM;
	if (r == 0 && json_object_size(ann) > 0 &&
	    json_object_set_new(patch, "metadata", json_pack("{s:O}", "annotations", ann)) != 0)
		r = -ENOMEM;
	json_decref(spec);
	json_decref(ann);
	if (r < 0) {
		json_decref(patch);
		return r;
	}
	*ret = patch;
	return 0;
}

int rec_rs_emit(struct rec_plan *plan, const struct rec_rs *v, const struct rel_release *rel,
                int32_t max_surge, const struct rec_ref *release)
{
	if (v->planned)
		return 0;
	json_t *patch = NULL;
	int r = build_patch(v, rel, max_surge, &patch);
	if (r < 0 || !patch)
		return r;
	struct rec_ref ref = rec_rs_ref(v, rel->namespace);
	struct rec_action *a = rec_plan_add(plan, REC_MERGE_PATCH, &ref, patch);
	json_decref(patch);
	if (!a)
		return -ENOMEM;
	if (v->want == v->spec_replicas)
		return 0;
	char note[512];
	snprintf(note, sizeof(note), "Scaled %s replica set %s from %d to %d",
	         v->want > v->spec_replicas ? "up" : "down", v->name, (int)v->spec_replicas,
	         (int)v->want);
	return rec_plan_add_event(plan, release, REC_EVENT_NORMAL, "ScalingReplicaSet", note)
	           ? 0
	           : -ENOMEM;
}
