#include "tap.h"

#include <jansson.h>
#include <string.h>

#include "reconcilers/plan.h"

static void check_build_and_free(void)
{
	struct rec_plan p;
	rec_plan_init(&p);
	ok(p.n_actions == 0 && p.requeue_after < 0, "init: empty, no requeue");

	char name[] = "web-abc";
	struct rec_ref ref = {.group = "apps",
	                      .version = "v1",
	                      .resource = "replicasets",
	                      .kind = "ReplicaSet",
	                      .ns = "shop",
	                      .name = name,
	                      .uid = "u1",
	                      .resource_version = "7"};
	json_t *body = json_pack("{s:{s:i}}", "spec", "replicas", 3);
	struct rec_action *a = rec_plan_add(&p, REC_MERGE_PATCH, &ref, body);
	ok(a != NULL, "add a patch");
	name[0] = 'X'; /* the plan copied the strings */
	is_str(p.actions[0].ref.name, "web-abc", "ref strings are copied");
	is_int(body->refcount, 2, "body is referenced, not copied");
	json_decref(body);
	ok(p.actions[0].ref.group != ref.group, "group copied too");
	is_str(p.actions[0].ref.kind, "ReplicaSet", "kind copied (an Event's regarding needs it)");

	for (int i = 0; i < 20; i++) {
		ok(rec_plan_add_event(&p, &ref, i % 2 ? REC_EVENT_WARNING : REC_EVENT_NORMAL,
		                      "ScalingReplicaSet", "Scaled up") != NULL,
		   "event %d appended (the plan grows)", i);
	}
	is_int(p.n_actions, 21, "21 actions");
	is_str(p.actions[1].reason, "ScalingReplicaSet", "event reason");
	is_str(p.actions[2].note, "Scaled up", "event note");
	is_int(p.actions[2].event_type, REC_EVENT_WARNING, "event type");
	ok(p.actions[1].body == NULL, "an event has no body");

	rec_plan_requeue(&p, 30);
	rec_plan_requeue(&p, 600);
	ok(p.requeue_after == 30, "the earliest requeue wins");
	rec_plan_requeue(&p, -1);
	ok(p.requeue_after == 30, "a negative requeue is no requeue");

	struct rec_plan q;
	rec_plan_init(&q);
	ok(rec_plan_add(&q, REC_DELETE, &ref, NULL) != NULL, "second plan");
	rec_plan_requeue(&q, 5);
	is_int(rec_plan_take(&p, &q), 0, "take");
	is_int(p.n_actions, 22, "taken actions appended");
	is_int(p.actions[21].kind, REC_DELETE, "in order, at the end");
	ok(p.requeue_after == 5, "the earlier requeue of the taken plan wins");
	ok(q.n_actions == 0 && q.actions == NULL && q.requeue_after < 0, "taken plan is empty");
	is_int(rec_plan_take(&p, &q), 0, "taking an empty plan");
	is_int(p.n_actions, 22, "changes nothing");

	rec_plan_clear(&p);
	ok(p.n_actions == 0 && p.actions == NULL && p.requeue_after < 0, "clear empties");
	rec_plan_clear(&p);
	rec_plan_clear(NULL);
	ok(1, "clear twice and NULL are fine");

	is_str(rec_action_kind_name(REC_CREATE), "create", "kind names");
	is_str(rec_action_kind_name(REC_WRITE_STATUS), "write-status", "kind names");
}

static void check_apply_and_json_patch(void)
{
	struct rec_plan p;
	rec_plan_init(&p);
	struct rec_ref ref = {.group = "networking.k8s.io",
	                      .version = "v1",
	                      .resource = "ingresses",
	                      .kind = "Ingress",
	                      .ns = "shop"};
	json_t *ing = json_pack("{s:s, s:s, s:{s:s}}", "apiVersion", "networking.k8s.io/v1", "kind",
	                        "Ingress", "metadata", "name", "web-canary");
	struct rec_action *a = rec_plan_add_apply(&p, &ref, ing);
	ok(a != NULL && a->kind == REC_APPLY, "apply appended");
	is_str(a ? a->ref.name : NULL, "web-canary", "apply: the ref takes the object's name");
	ok(a && a->body == ing && ing->refcount == 2, "apply: the object is referenced");
	ref.name = "web-canary";
	ok(rec_plan_add_apply(&p, &ref, ing) != NULL, "apply with the same name in the ref");
	ref.name = "other";
	ok(rec_plan_add_apply(&p, &ref, ing) == NULL,
	   "apply: a ref naming another object is refused");
	ref.name = NULL;
	json_t *nameless =
	    json_pack("{s:s, s:s, s:{}}", "apiVersion", "v1", "kind", "ConfigMap", "metadata");
	ok(rec_plan_add_apply(&p, &ref, nameless) == NULL, "apply: an object without a name");
	json_t *kindless = json_pack("{s:s, s:{s:s}}", "apiVersion", "v1", "metadata", "name", "x");
	ok(rec_plan_add_apply(&p, &ref, kindless) == NULL, "apply: an object without a kind");
	is_int(p.n_actions, 2, "refused applies add nothing");

	struct rec_ref svc = {.version = "v1", .resource = "services", .ns = "shop", .uid = "u"};
	json_t *ops = json_pack("[{s:s, s:s, s:s}]", "op", "test", "path", "/spec/type", "value",
	                        "ClusterIP");
	ok(rec_plan_add_json_patch(&p, &svc, ops) == NULL, "json patch: a ref needs a name");
	svc.name = "web";
	a = rec_plan_add_json_patch(&p, &svc, ops);
	ok(a != NULL && a->kind == REC_JSON_PATCH && a->body == ops, "json patch appended");
	ok(rec_plan_add_json_patch(&p, &svc, ing) == NULL, "json patch: the body is an array");
	is_int(p.n_actions, 3, "three actions");
	is_str(rec_action_kind_name(REC_APPLY), "apply", "kind names: apply");
	is_str(rec_action_kind_name(REC_JSON_PATCH), "json-patch", "kind names: json-patch");
	rec_plan_clear(&p);
	is_int(ing->refcount, 1, "clear releases the plan's references");
	json_decref(ing);
	json_decref(nameless);
	json_decref(kindless);
	json_decref(ops);
}

int main(void)
{
	check_build_and_free();
	check_apply_and_json_patch();
	return tap_done();
}
