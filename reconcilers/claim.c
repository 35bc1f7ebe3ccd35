#include "reconcilers/claim.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "model/api.h"
#include "model/condition.h"
#include "model/labels.h"
#include "model/revision.h"
#include "reconcilers/replicaset.h"

/* printf into buf; a cut never ends inside a UTF-8 character (the API
 * server's message may hold any text, and status strings must be UTF-8). */
__attribute__((format(printf, 3, 4))) static void say(char *buf, size_t cap, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, cap, fmt, ap);
	va_end(ap);
	if (n < 0) {
		buf[0] = '\0';
		return;
	}
	size_t len = strlen(buf);
	if ((size_t)n == len)
		return;
	/* Back to the start of the last character, then drop it if cut. */
	size_t start = len;
	while (start > 0 && ((unsigned char)buf[start - 1] & 0xc0) == 0x80)
		start--;
	if (start == 0)
		return;
	unsigned char lead = (unsigned char)buf[start - 1];
	size_t need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
	if (len - (start - 1) < need)
		buf[start - 1] = '\0';
}

/* The ownerReference with controller: true, or NULL. */
static const json_t *controller_ref(const json_t *obj)
{
	size_t i;
	json_t *ref;
	json_array_foreach(json_object_get(json_object_get(obj, "metadata"), "ownerReferences"), i,
	                   ref)
	{
		if (json_is_true(json_object_get(ref, "controller")))
			return ref;
	}
	return NULL;
}

static bool deleting(const json_t *obj)
{
	json_t *ts = json_object_get(json_object_get(obj, "metadata"), "deletionTimestamp");
	return ts && !json_is_null(ts);
}

/* Whether c->named is an orphan this Release would have created; if not,
 * why not, in o. */
static bool adoptable(const struct rec_ctx *c, const char *name, struct rec_obstacle *o)
{
	const struct rel_release *rel = c->rel;
	const json_t *owner = controller_ref(c->named);
	const char *revision = model_revision_of(c->named);
	const json_t *labels = json_object_get(json_object_get(c->named, "metadata"), "labels");
	o->reason = REC_REASON_NAME_COLLISION;
	if (owner) {
		const char *kind = json_string_value(json_object_get(owner, "kind"));
		const char *oname = json_string_value(json_object_get(owner, "name"));
		say(o->message, sizeof(o->message),
		    "ReplicaSet %s already exists and is controlled by %s %s, not by this Release: "
		    "the current revision cannot have its name",
		    name, kind ? kind : "an object", oname ? oname : "");
		return false;
	}
	if (!revision || strcmp(revision, rel->revision) != 0) {
		say(o->message, sizeof(o->message),
		    "ReplicaSet %s already exists with %s %s%s%s, not the current revision %s: it "
		    "is "
		    "not the ReplicaSet this Release would create; delete or rename it",
		    name, MODEL_LABEL_REVISION, revision ? "\"" : "(none)",
		    revision ? revision : "", revision ? "\"" : "", rel->revision);
		return false;
	}
	if (!model_labels_match(&rel->selector, labels)) {
		say(o->message, sizeof(o->message),
		    "ReplicaSet %s already exists and its labels do not match spec.selector: it is "
		    "not the ReplicaSet this Release would create; delete or rename it",
		    name);
		return false;
	}
	return true;
}

/* The Stalled condition of the observed status, when it records a refused
 * create for this generation; NULL otherwise. */
static const json_t *refusal_recorded(const struct rec_ctx *c)
{
	json_t *cond = model_condition_find(c->observed->conditions, "Stalled");
	json_t *gen = json_object_get(cond, "observedGeneration");
	const char *reason = json_string_value(json_object_get(cond, "reason"));
	if (!model_condition_has_status(c->observed->conditions, "Stalled", MODEL_CONDITION_TRUE) ||
	    !reason || strcmp(reason, REC_REASON_CREATE_ERROR) != 0 || !json_is_integer(gen) ||
	    json_integer_value(gen) != c->rel->generation)
		return NULL;
	return cond;
}

/* Whether the previous plan's failure is the API server refusing, for
 * good, to create `name` in this generation. */
static bool refused_now(const struct rec_ctx *c, const char *name)
{
	const struct rec_failure *f = c->failure;
	return f && f->kind == REC_CREATE && f->resource &&
	       strcmp(f->resource, model_replicaset_gvk.resource) == 0 && f->name &&
	       strcmp(f->name, name) == 0 && f->generation == c->rel->generation &&
	       rec_failure_permanent(f);
}

void rec_claim_check(const struct rec_ctx *c, const char *name, struct rec_obstacle *ret)
{
	struct rec_obstacle o = {.kind = REC_OBSTACLE_NONE};
	const json_t *recorded = refusal_recorded(c);
	if (c->new_name_deleting || (c->named && deleting(c->named))) {
		o.kind = REC_OBSTACLE_DELETING;
	} else if (c->named) {
		o.kind = adoptable(c, name, &o) ? REC_OBSTACLE_ORPHAN : REC_OBSTACLE_COLLISION;
	} else if (refused_now(c, name)) {
		o.kind = REC_OBSTACLE_REFUSED;
		o.reason = REC_REASON_CREATE_ERROR;
		say(o.message, sizeof(o.message), "Failed to create new replica set %s: %s", name,
		    c->failure->message ? c->failure->message : "refused by the API server");
	} else if (recorded) {
		/* Word for word what was reported, so the status stays as it is. */
		const char *msg = json_string_value(json_object_get(recorded, "message"));
		o.kind = REC_OBSTACLE_REFUSED;
		o.reason = REC_REASON_CREATE_ERROR;
		say(o.message, sizeof(o.message), "%s", msg ? msg : "");
	}
	*ret = o;
}

int rec_claim_adopt(const struct rec_ctx *c, struct rec_plan *actions)
{
	const json_t *md = json_object_get(c->named, "metadata");
	struct rec_rs v;
	if (rec_rs_read(c->named, &v) < 0)
		return 0; /* no uid: nothing a precondition could name */
	json_t *refs = json_array();
	json_t *ours = rec_rs_owner_ref(c->rel);
	json_t *had = json_object_get(md, "ownerReferences");
	bool ok = refs && ours && (!json_is_array(had) || json_array_extend(refs, had) == 0) &&
	          json_array_append(refs, ours) == 0;
	json_t *patch = ok ? json_pack("{s:{s:O}}", "metadata", "ownerReferences", refs) : NULL;
	json_decref(refs);
	json_decref(ours);
	if (!patch)
		return -ENOMEM;
	struct rec_ref ref = rec_rs_ref(&v, c->rel->namespace);
	struct rec_action *a = rec_plan_add(actions, REC_MERGE_PATCH, &ref, patch);
	json_decref(patch);
	if (!a)
		return -ENOMEM;
	char note[512];
	say(note, sizeof(note), "Adopted replica set %s for revision %s: it had no controller",
	    v.name, c->rel->revision);
	if (!rec_plan_add_event(actions, c->release, REC_EVENT_NORMAL, "RevisionAdopted", note))
		return -ENOMEM;
	return 0;
}

int rec_claim_plan(const struct rec_ctx *c, const struct rec_obstacle *o, struct rec_plan *actions,
                   struct rec_plan *after)
{
	switch (o->kind) {
	case REC_OBSTACLE_NONE:
	case REC_OBSTACLE_REFUSED:
		return 0;
	case REC_OBSTACLE_DELETING:
		rec_plan_requeue(after, 5);
		return 0;
	case REC_OBSTACLE_ORPHAN:
		/* Its watch event, with us as owner, brings the next step. */
		return rec_claim_adopt(c, actions);
	case REC_OBSTACLE_COLLISION:
		rec_plan_requeue(after, 30);
		return 0;
	}
	return 0;
}

bool rec_claim_blocks(const struct rec_obstacle *o)
{
	return o->kind == REC_OBSTACLE_COLLISION || o->kind == REC_OBSTACLE_REFUSED;
}

void rec_claim_verdict(const struct rec_obstacle *o, struct rec_verdict *v)
{
	v->phase = REL_PHASE_DEGRADED;
	v->message = o->message;
	v->reason = o->reason;
	v->stalled = true;
	v->progressing = MODEL_CONDITION_FALSE;
	v->progressing_reason = o->reason;
	v->progressing_message = o->message;
}
