/*
 * The executor (controller/executor.c) against a scripted API server on
 * loopback: what each action sends (method, path, field manager, content
 * type, body with its preconditions), a 409 reported as a conflict on the
 * action that failed, the stop at the first failure, NotFound on DELETE
 * counted as done, AlreadyExists on CREATE reported as a conflict, a refused
 * CREATE reported with the server's message, Events only after the status write, the write
 * gate, and a precondition that cannot be built (every allocation failure in
 * turn) sending nothing.
 *
 * "Nothing more was sent" is shown with a probe: after the plan is done the
 * test sends a GET of its own, and it must be the next request the server
 * reads.
 */
#include "loopback-config.h"
#include "scripted-server.h"
#include "tap.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller/events.h"
#include "controller/executor.h"
#include "kubeclient/apierror.h"
#include "kubeclient/client.h"
#include "kubeclient/rest.h"
#include "model/api.h"
#include "reconcilers/patch.h"
#include "reconcilers/plan.h"

#define FIELD_MANAGER "slipway-test"

#define STATUS(code, reason)                                                                       \
	"{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\",\"message\":\"m\","     \
	"\"reason\":\"" reason "\",\"code\":" #code "}"

#define EVENTS_PATH    "/apis/events.k8s.io/v1/namespaces/ns/events"
#define PROBE_LINE     "GET /api/v1/namespaces/ns/configmaps/probe HTTP/1.1"
#define RS_PATH(name)  "/apis/apps/v1/namespaces/ns/replicasets/" name
#define REL_PATH(name) "/apis/" MODEL_API_VERSION "/namespaces/ns/releases/" name
#define QUERY          "?fieldManager=" FIELD_MANAGER

static struct ss_server *srv;
static struct ev_loop *loop;
static struct kc_config *cfg;
static struct ctl_events *events;
static struct ctl_events_config events_config;

/* A test cannot go on without its setup. */
static _Noreturn void die(const char *what)
{
	tap_diag("cannot go on: %s", what);
	exit(1);
}

/* ---- allocation faults: jansson's allocator fails its n-th call ---------- */

static long fail_at = -1; /* < 0: never */
static long allocs;

static void *faulty_malloc(size_t n)
{
	if (fail_at >= 0 && allocs++ == fail_at)
		return NULL;
	return malloc(n);
}

/* ---- the client and the plan ------------------------------------------- */

static struct kc_client *client(void)
{
	struct kc_client_options o = {.qps = -1, .burst = 1, .timeout = 2, .max_retries = 0};
	struct kc_client *c = NULL;
	struct kc_error err = {0};
	if (kc_client_new(loop, cfg, &o, &c, &err) < 0)
		tap_diag("kc_client_new: %s", err.message);
	return c;
}

static const struct rec_ref release = {.group = MODEL_GROUP,
                                       .version = MODEL_VERSION,
                                       .resource = "releases",
                                       .kind = "Release",
                                       .ns = "ns",
                                       .name = "web",
                                       .uid = "rel-uid",
                                       .resource_version = "41"};

static struct rec_ref rs(const char *name)
{
	return (struct rec_ref){.group = "apps",
	                        .version = "v1",
	                        .resource = "replicasets",
	                        .kind = "ReplicaSet",
	                        .ns = "ns",
	                        .name = (char *)name,
	                        .uid = "rs-uid",
	                        .resource_version = "7"};
}

static void add_scale(struct rec_plan *p, const char *name, int replicas)
{
	struct rec_ref ref = rs(name);
	json_t *body = json_pack("{s:{s:i}}", "spec", "replicas", replicas);
	if (!rec_plan_add(p, REC_MERGE_PATCH, &ref, body))
		die("out of memory");
	json_decref(body);
}

static void add_status(struct rec_plan *p)
{
	json_t *body = json_pack("{s:s}", "phase", "Progressing");
	if (!rec_plan_add(p, REC_WRITE_STATUS, &release, body))
		die("out of memory");
	json_decref(body);
}

static void add_event(struct rec_plan *p, const char *reason)
{
	if (!rec_plan_add_event(p, &release, REC_EVENT_NORMAL, reason, "a note"))
		die("out of memory");
}

/* ---- running a plan ----------------------------------------------------- */

struct outcome {
	bool called;
	int calls;
	int code;
	size_t done;
	bool conflict;
	char failed[64];       /* "kind name" of the failed action, "" when none */
	long http_status;      /* of the failure */
	char api_message[128]; /* its metav1.Status message, "" when none */
};

static void on_done(const struct ctl_exec_result *res, void *userdata)
{
	struct outcome *o = userdata;
	o->called = true;
	o->calls++;
	o->code = res->code;
	o->done = res->done;
	o->conflict = res->conflict;
	if (res->failed)
		snprintf(o->failed, sizeof(o->failed), "%s %s",
		         rec_action_kind_name(res->failed->kind),
		         res->failed->ref.name ? res->failed->ref.name : "");
	if (res->err) {
		const char *m = json_string_value(json_object_get(res->err->status, "message"));
		o->http_status = res->err->http_status;
		snprintf(o->api_message, sizeof(o->api_message), "%s", m ? m : "");
	}
}

static void run_until(const bool *flag, double max_seconds)
{
	double end = ev_time() + max_seconds;
	while (!*flag && ev_time() < end)
		ev_run(loop, EVRUN_ONCE);
}

/* Runs the loop until c has had n answers `code` to `verb` (or 5 s passed):
 * Events are not awaited by the executor, so the test waits for them before
 * it frees the client (which would drop their callbacks). */
static void run_until_answered(struct kc_client *c, const char *verb, long code, unsigned long n)
{
	double end = ev_time() + 5;
	for (;;) {
		struct kc_request_count counts[KC_REQUEST_COUNTS_MAX];
		size_t k = kc_client_request_counts(c, counts, KC_REQUEST_COUNTS_MAX);
		unsigned long got = 0;
		for (size_t i = 0; i < k && i < KC_REQUEST_COUNTS_MAX; i++)
			if (strcmp(counts[i].verb, verb) == 0 && counts[i].code == code)
				got = counts[i].count;
		if (got >= n || ev_time() > end)
			return;
		ev_run(loop, EVRUN_ONCE);
	}
}

struct gate {
	int allow; /* writes allowed before the gate closes; < 0: always */
	int asked;
};

static bool gate_fn(void *userdata)
{
	struct gate *g = userdata;
	g->asked++;
	if (g->allow < 0)
		return true;
	if (g->allow == 0)
		return false;
	g->allow--;
	return true;
}

/* Executes plan on c and waits for on_done. */
static void execute(struct kc_client *c, struct rec_plan *plan, struct gate *g, struct outcome *o)
{
	/* Fresh Event state, so that no Event of an earlier plan turns a
	 * create into a series patch. */
	ctl_events_free(events);
	events = ctl_events_new(&events_config);
	if (!events)
		die("ctl_events_new");
	struct ctl_exec_options opts = {
	    .client = c,
	    .events = events,
	    .field_manager = FIELD_MANAGER,
	    .now = 1.7e9,
	    .may_write = g ? gate_fn : NULL,
	    .may_write_userdata = g,
	    .on_done = on_done,
	    .userdata = o,
	};
	int r = ctl_execute(&opts, plan, NULL);
	if (r < 0)
		die("ctl_execute");
	ok(!o->called, "on_done never runs inside ctl_execute");
	run_until(&o->called, 5);
}

static void done_cb(long status, json_t *body, const struct kc_error *err, void *userdata)
{
	*(bool *)userdata = true;
}

/* Sends the probe GET and waits for its answer. */
static void probe(struct kc_client *c)
{
	static const struct kc_ref ref = {
	    .version = "v1", .resource = "configmaps", .ns = "ns", .name = "probe"};
	bool answered = false;
	if (kc_get(c, &ref, NULL, done_cb, &answered, NULL, NULL) < 0)
		die("probe");
	run_until(&answered, 5);
}

static const char *line(int i)
{
	return ss_request(srv, i)->line;
}

/* The i-th request's body, parsed; caller owns it. */
static json_t *body_of(int i)
{
	return json_loads(ss_request(srv, i)->body, 0, NULL);
}

static const char *ok_body(void)
{
	return ss_response(srv, 200, "", "{\"kind\":\"X\",\"metadata\":{\"name\":\"x\"}}");
}

/* ---- the tests ---------------------------------------------------------- */

static void test_requests_and_preconditions(void)
{
	struct kc_client *c = client();
	struct rec_plan p;
	rec_plan_init(&p);
	struct rec_ref child = rs("web-new");
	json_t *obj = json_pack("{s:s, s:s, s:{s:s}}", "apiVersion", "apps/v1", "kind",
	                        "ReplicaSet", "metadata", "name", "web-new");
	rec_plan_add(&p, REC_CREATE, &child, obj);
	json_decref(obj);
	add_scale(&p, "web-old", 2);
	struct rec_ref gone = rs("web-older");
	rec_plan_add(&p, REC_DELETE, &gone, NULL);
	add_status(&p);
	const struct ss_action script[] = {
	    {.act = SS_SEND, .text = ss_response(srv, 201, "", "{}")},
	    {.act = SS_SEND, .text = ok_body()},
	    {.act = SS_SEND, .text = ok_body()},
	    {.act = SS_SEND, .text = ok_body()},
	};
	ss_start(srv, script, 4);
	struct outcome o = {0};
	execute(c, &p, NULL, &o);
	ss_join(srv);
	is_int(o.code, 0, "a plan of four writes succeeds");
	is_int((int)o.done, 4, "four actions done");
	is_str(line(0), "POST /apis/apps/v1/namespaces/ns/replicasets" QUERY " HTTP/1.1",
	       "CREATE: POST to the collection with the field manager");
	is_str(line(1), "PATCH " RS_PATH("web-old") QUERY " HTTP/1.1",
	       "MERGE_PATCH: PATCH the object");
	is_str(ss_request(srv, 1)->content_type, "application/merge-patch+json",
	       "MERGE_PATCH: merge patch content type");
	json_t *b = body_of(1);
	json_t *want = json_pack("{s:{s:i}, s:{s:s, s:s}}", "spec", "replicas", 2, "metadata",
	                         "uid", "rs-uid", "resourceVersion", "7");
	ok(json_equal(b, want),
	   "MERGE_PATCH: the patch with uid and resourceVersion preconditions");
	json_decref(b);
	json_decref(want);
	is_str(line(2), "DELETE " RS_PATH("web-older") " HTTP/1.1", "DELETE the object");
	b = body_of(2);
	want = json_pack("{s:s, s:s}", "uid", "rs-uid", "resourceVersion", "7");
	ok(json_equal(json_object_get(b, "preconditions"), want), "DELETE: with its preconditions");
	is_str(json_string_value(json_object_get(b, "propagationPolicy")), "Background",
	       "DELETE: Background propagation");
	json_decref(b);
	json_decref(want);
	is_str(line(3), "PATCH " REL_PATH("web") "/status" QUERY " HTTP/1.1",
	       "WRITE_STATUS: PATCH the status subresource");
	b = body_of(3);
	want = json_pack("{s:{s:s}, s:{s:s, s:s}}", "status", "phase", "Progressing", "metadata",
	                 "uid", "rel-uid", "resourceVersion", "41");
	ok(json_equal(b, want), "WRITE_STATUS: {status} with the Release's preconditions");
	json_decref(b);
	json_decref(want);
	kc_client_free(c);
}

static void test_apply(void)
{
	struct kc_client *c = client();
	struct rec_plan p;
	rec_plan_init(&p);
	struct rec_ref ref = {.group = "networking.k8s.io",
	                      .version = "v1",
	                      .resource = "ingresses",
	                      .kind = "Ingress",
	                      .ns = "ns"};
	json_t *ing =
	    json_pack("{s:s, s:s, s:{s:s, s:s}, s:{s:s}}", "apiVersion", "networking.k8s.io/v1",
	              "kind", "Ingress", "metadata", "name", "web-canary", "namespace", "ns",
	              "spec", "ingressClassName", "nginx");
	if (!rec_plan_add_apply(&p, &ref, ing))
		die("rec_plan_add_apply");
	const struct ss_action script[] = {{.act = SS_SEND, .text = ok_body()}};
	ss_start(srv, script, 1);
	struct outcome o = {0};
	execute(c, &p, NULL, &o);
	ss_join(srv);
	is_int(o.code, 0, "APPLY succeeds");
	is_str(line(0),
	       "PATCH /apis/networking.k8s.io/v1/namespaces/ns/ingresses/web-canary" QUERY
	       "&force=true HTTP/1.1",
	       "APPLY: PATCH the named object, with the field manager and force");
	is_str(ss_request(srv, 0)->content_type, "application/apply-patch+yaml",
	       "APPLY: the apply content type");
	json_t *b = body_of(0);
	ok(json_equal(b, ing), "APPLY: the whole object as body, nothing added");
	json_decref(b);
	json_decref(ing);
	kc_client_free(c);
}

static void test_json_patch(void)
{
	struct kc_client *c = client();
	json_t *svc = json_loads("{\"spec\":{\"selector\":{\"app\":\"web\",\"" MODEL_LABEL_REVISION
	                         "\":\"a\"}}}",
	                         0, NULL);
	json_t *ops = NULL;
	if (rec_patch_service_selector(svc, MODEL_LABEL_REVISION, "b", &ops) < 0)
		die("rec_patch_service_selector");
	struct rec_ref ref = {.version = "v1",
	                      .resource = "services",
	                      .kind = "Service",
	                      .ns = "ns",
	                      .name = "web",
	                      .uid = "svc-uid"};
	struct rec_plan p;
	rec_plan_init(&p);
	if (!rec_plan_add_json_patch(&p, &ref, ops))
		die("rec_plan_add_json_patch");
	ref.resource_version = "9";
	if (!rec_plan_add_json_patch(&p, &ref, ops))
		die("rec_plan_add_json_patch");
	const struct ss_action script[] = {{.act = SS_SEND, .text = ok_body()},
	                                   {.act = SS_SEND, .text = ok_body()}};
	ss_start(srv, script, 2);
	struct outcome o = {0};
	execute(c, &p, NULL, &o);
	ss_join(srv);
	is_int(o.code, 0, "JSON_PATCH succeeds");
	is_str(line(0), "PATCH /api/v1/namespaces/ns/services/web" QUERY " HTTP/1.1",
	       "JSON_PATCH: PATCH the object with the field manager, no force");
	is_str(ss_request(srv, 0)->content_type, "application/json-patch+json",
	       "JSON_PATCH: the JSON patch content type");
	json_t *want = json_pack("[{s:s, s:s, s:s}]", "op", "replace", "path", "/metadata/uid",
	                         "value", "svc-uid");
	json_array_extend(want, ops);
	json_t *b = body_of(0);
	ok(json_equal(b, want), "JSON_PATCH: the uid precondition, then the plan's operations");
	json_decref(b);
	json_array_insert_new(want, 1,
	                      json_pack("{s:s, s:s, s:s}", "op", "replace", "path",
	                                "/metadata/resourceVersion", "value", "9"));
	b = body_of(1);
	ok(json_equal(b, want), "JSON_PATCH: with a resourceVersion, that precondition too");
	json_decref(b);
	json_decref(want);
	json_decref(ops);
	json_decref(svc);
	kc_client_free(c);
}

static void test_conflict_stops_the_plan(void)
{
	struct kc_client *c = client();
	struct rec_plan p;
	rec_plan_init(&p);
	add_scale(&p, "a", 1);
	add_scale(&p, "b", 2);
	add_scale(&p, "c", 3);
	add_status(&p);
	const struct ss_action script[] = {
	    {.act = SS_SEND, .text = ok_body()},
	    {.act = SS_SEND, .text = ss_response(srv, 409, "", STATUS(409, "Conflict"))},
	    {.act = SS_SEND, .text = ok_body()},
	};
	ss_start(srv, script, 3);
	struct outcome o = {0};
	execute(c, &p, NULL, &o);
	probe(c);
	ss_join(srv);
	is_int(o.calls, 1, "on_done once");
	ok(o.conflict, "a 409 is reported as a conflict");
	is_int(o.code, -EBUSY, "with its errno");
	is_str(o.failed, "merge-patch b", "on the action that failed");
	is_int((int)o.done, 1, "one action done before it");
	is_str(line(1), "PATCH " RS_PATH("b") QUERY " HTTP/1.1", "the failed write was sent");
	is_str(line(2), PROBE_LINE, "nothing after the failed action reached the server");
	kc_client_free(c);
}

/* A plan of one CREATE of web-new, then a status write. */
static void add_create(struct rec_plan *p)
{
	struct rec_ref child = rs("web-new");
	json_t *obj = json_pack("{s:{s:s}}", "metadata", "name", "web-new");
	rec_plan_add(p, REC_CREATE, &child, obj);
	json_decref(obj);
	add_status(p);
}

/* A name already taken is not "done": what holds it may be an orphan or a
 * stranger, which the reconciler must see; it is a conflict, so the
 * runtime re-reads it. */
static void test_create_already_exists(void)
{
	struct kc_client *c = client();
	struct rec_plan p;
	rec_plan_init(&p);
	add_create(&p);
	const struct ss_action script[] = {
	    {.act = SS_SEND, .text = ss_response(srv, 409, "", STATUS(409, "AlreadyExists"))},
	    {.act = SS_SEND, .text = ok_body()},
	};
	ss_start(srv, script, 2);
	struct outcome o = {0};
	execute(c, &p, NULL, &o);
	probe(c);
	ss_join(srv);
	is_int(o.code, -EEXIST, "AlreadyExists on CREATE fails the plan");
	ok(o.conflict, "as a conflict, so the object holding the name is read again");
	is_str(o.failed, "create web-new", "on the CREATE, which names the object");
	is_str(line(1), PROBE_LINE, "the status write after it is not sent");
	kc_client_free(c);
}

/* A refused CREATE reports the server's answer, for the reconciler to
 * put in status. */
static void test_create_refused(void)
{
	struct kc_client *c = client();
	struct rec_plan p;
	rec_plan_init(&p);
	add_create(&p);
	const struct ss_action script[] = {
	    {.act = SS_SEND,
	     .text =
	         ss_response(srv, 422, "",
	                     "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\","
	                     "\"message\":\"ReplicaSet.apps \\\"web-new\\\" is invalid: too long\","
	                     "\"reason\":\"Invalid\",\"code\":422}")},
	    {.act = SS_SEND, .text = ok_body()},
	};
	ss_start(srv, script, 2);
	struct outcome o = {0};
	execute(c, &p, NULL, &o);
	probe(c);
	ss_join(srv);
	is_int(o.code, -EINVAL, "a 422 on CREATE fails the plan");
	ok(!o.conflict, "and is no conflict");
	is_int((int)o.http_status, 422, "the failure carries the HTTP status");
	is_str(o.api_message, "ReplicaSet.apps \"web-new\" is invalid: too long",
	       "and the API server's message");
	is_str(line(1), PROBE_LINE, "the status write after it is not sent");
	kc_client_free(c);
}

static void test_harmless_failures(void)
{
	struct kc_client *c = client();
	struct rec_plan p;
	rec_plan_init(&p);
	struct rec_ref gone = rs("web-older");
	rec_plan_add(&p, REC_DELETE, &gone, NULL);
	add_status(&p);
	const struct ss_action script[] = {
	    {.act = SS_SEND, .text = ss_response(srv, 404, "", STATUS(404, "NotFound"))},
	    {.act = SS_SEND, .text = ok_body()},
	};
	ss_start(srv, script, 2);
	struct outcome o = {0};
	execute(c, &p, NULL, &o);
	ss_join(srv);
	is_int(o.code, 0, "NotFound on DELETE counts as done");
	is_int((int)o.done, 2, "both done");
	is_int(ss_seen(srv), 2, "the plan went on to the status write");

	/* The same answers to other actions are failures. */
	rec_plan_init(&p);
	add_scale(&p, "gone", 1);
	add_scale(&p, "next", 1);
	const struct ss_action script2[] = {
	    {.act = SS_SEND, .text = ss_response(srv, 404, "", STATUS(404, "NotFound"))},
	    {.act = SS_SEND, .text = ok_body()},
	};
	ss_start(srv, script2, 2);
	struct outcome o2 = {0};
	execute(c, &p, NULL, &o2);
	probe(c);
	ss_join(srv);
	is_int(o2.code, -ENOENT, "NotFound on a MERGE_PATCH fails the plan");
	ok(!o2.conflict, "and is no conflict");
	is_str(o2.failed, "merge-patch gone", "on that action");
	is_str(line(1), PROBE_LINE, "the next action is not sent");
	kc_client_free(c);
}

/* How many of requests [from, to) are Event creations. */
static int events_among(int from, int to)
{
	int n = 0;
	for (int i = from; i < to; i++)
		n += strcmp(line(i), "POST " EVENTS_PATH QUERY " HTTP/1.1") == 0;
	return n;
}

static void test_events_after_status(void)
{
	struct kc_client *c = client();
	struct rec_plan p;
	rec_plan_init(&p);
	add_event(&p, "RevisionCreated");
	add_scale(&p, "a", 3);
	add_event(&p, "ScalingReplicaSet");
	add_status(&p);
	add_event(&p, "RolloutCompleted");
	const char *created = ss_response(srv, 201, "", "{}");
	const struct ss_action script[] = {
	    {.act = SS_SEND, .text = ok_body()}, {.act = SS_SEND, .text = ok_body()},
	    {.act = SS_SEND, .text = created},   {.act = SS_SEND, .text = created},
	    {.act = SS_SEND, .text = created},
	};
	ss_start(srv, script, 5);
	struct outcome o = {0};
	execute(c, &p, NULL, &o);
	run_until_answered(c, "POST", 201, 3);
	ss_join(srv);
	is_int(o.code, 0, "plan with Events succeeds");
	is_int((int)o.done, 5, "every action done, the Events included");
	is_str(line(0), "PATCH " RS_PATH("a") QUERY " HTTP/1.1",
	       "the first write goes before the Event planned ahead of it");
	is_str(line(1), "PATCH " REL_PATH("web") "/status" QUERY " HTTP/1.1",
	       "then the status write");
	is_int(events_among(2, 5), 3, "the three Events only after the status write");
	kc_client_free(c);
}

static void test_no_events_when_status_fails(void)
{
	struct kc_client *c = client();
	struct rec_plan p;
	rec_plan_init(&p);
	add_event(&p, "ScalingReplicaSet");
	add_scale(&p, "a", 3);
	add_event(&p, "RolloutCompleted");
	add_status(&p);
	const struct ss_action script[] = {
	    {.act = SS_SEND, .text = ok_body()},
	    {.act = SS_SEND, .text = ss_response(srv, 409, "", STATUS(409, "Conflict"))},
	    {.act = SS_SEND, .text = ok_body()},
	};
	ss_start(srv, script, 3);
	struct outcome o = {0};
	execute(c, &p, NULL, &o);
	probe(c);
	ss_join(srv);
	ok(o.conflict, "the status write conflicted");
	is_str(o.failed, "write-status web", "the failed action is the status write");
	is_int((int)o.done, 1, "only the scale was done");
	is_int(events_among(0, 3), 0, "no Event was sent");
	is_str(line(2), PROBE_LINE, "nothing else reached the server");

	/* Without a status write, an Event goes once the writes before it
	 * succeeded (two plans: an Event and the write after it would race to
	 * the server, which answers in the order connections arrive). */
	rec_plan_init(&p);
	add_scale(&p, "a", 3);
	add_event(&p, "ScalingReplicaSet");
	const struct ss_action script2[] = {
	    {.act = SS_SEND, .text = ss_response(srv, 409, "", STATUS(409, "Conflict"))},
	    {.act = SS_SEND, .text = ok_body()},
	};
	ss_start(srv, script2, 2);
	struct outcome o2 = {0};
	execute(c, &p, NULL, &o2);
	probe(c);
	ss_join(srv);
	is_str(o2.failed, "merge-patch a", "no status write: the scale failed");
	is_str(line(1), PROBE_LINE, "and the Event after it was not sent");

	rec_plan_init(&p);
	add_scale(&p, "a", 3);
	add_event(&p, "ScalingReplicaSet");
	const struct ss_action script3[] = {
	    {.act = SS_SEND, .text = ok_body()},
	    {.act = SS_SEND, .text = ss_response(srv, 201, "", "{}")},
	};
	ss_start(srv, script3, 2);
	struct outcome o3 = {0};
	execute(c, &p, NULL, &o3);
	run_until_answered(c, "POST", 201, 1);
	ss_join(srv);
	is_int(o3.code, 0, "no status write: the scale succeeded");
	is_int(events_among(1, 2), 1, "and the Event after it was sent");
	kc_client_free(c);
}

static void test_write_gate(void)
{
	struct kc_client *c = client();
	struct rec_plan p;
	rec_plan_init(&p);
	add_scale(&p, "a", 1);
	add_status(&p);
	const struct ss_action script[] = {{.act = SS_SEND, .text = ok_body()}};
	ss_start(srv, script, 1);
	struct gate closed = {.allow = 0};
	struct outcome o = {0};
	execute(c, &p, &closed, &o);
	probe(c);
	ss_join(srv);
	is_int(o.code, -EPERM, "a closed gate: -EPERM");
	is_str(o.failed, "merge-patch a", "on the first write");
	is_int((int)o.done, 0, "nothing done");
	is_str(line(0), PROBE_LINE, "nothing sent");

	/* The gate closes mid-plan: the write after it is not sent. */
	rec_plan_init(&p);
	add_scale(&p, "a", 1);
	add_scale(&p, "b", 1);
	const struct ss_action script2[] = {{.act = SS_SEND, .text = ok_body()},
	                                    {.act = SS_SEND, .text = ok_body()}};
	ss_start(srv, script2, 2);
	struct gate once = {.allow = 1};
	struct outcome o2 = {0};
	execute(c, &p, &once, &o2);
	probe(c);
	ss_join(srv);
	is_int(o2.code, -EPERM, "gate closed after one write: -EPERM");
	is_str(o2.failed, "merge-patch b", "on the second write");
	is_str(line(1), PROBE_LINE, "the second write was not sent");

	/* ... and between the status write and the Events that wait for it. */
	rec_plan_init(&p);
	add_event(&p, "RolloutCompleted");
	add_status(&p);
	ss_start(srv, script2, 2);
	struct gate status_only = {.allow = 1};
	struct outcome o3 = {0};
	execute(c, &p, &status_only, &o3);
	probe(c);
	ss_join(srv);
	is_int(o3.code, -EPERM, "gate closed before the Event: -EPERM");
	is_str(o3.failed, "event web", "on the Event");
	is_int(status_only.asked, 2, "the gate was asked for the status write and the Event");
	is_str(line(1), PROBE_LINE, "the Event was not sent");
	kc_client_free(c);
}

static void test_body_of_the_wrong_shape(void)
{
	struct kc_client *c = client();
	struct rec_plan p;
	rec_plan_init(&p);
	struct rec_ref ref = rs("a");
	json_t *ops = json_array();
	rec_plan_add(&p, REC_MERGE_PATCH, &ref, ops); /* a merge patch is an object */
	json_decref(ops);
	const struct ss_action script[] = {{.act = SS_SEND, .text = ok_body()}};
	ss_start(srv, script, 1);
	struct outcome o = {0};
	execute(c, &p, NULL, &o);
	probe(c);
	ss_join(srv);
	is_int(o.code, -EINVAL, "a body of the wrong shape: -EINVAL, not -ENOMEM");
	is_str(o.failed, "merge-patch a", "on that action");
	is_str(line(0), PROBE_LINE, "nothing sent");
	kc_client_free(c);
}

/* ---- preconditions that cannot be built ---- */

/* The preconditions the request recorded at i carries, as "uid/rv"; NULL
 * when its body is not JSON. */
static const char *sent_preconditions(int i, enum rec_action_kind kind, char *buf, size_t cap)
{
	json_t *b = body_of(i);
	const char *uid = NULL, *rv = NULL;
	if (!b)
		return NULL;
	if (kind == REC_JSON_PATCH) {
		uid = json_string_value(json_object_get(json_array_get(b, 0), "value"));
		rv = json_string_value(json_object_get(json_array_get(b, 1), "value"));
	} else {
		json_t *md = json_object_get(b, "metadata");
		uid = json_string_value(json_object_get(md, "uid"));
		rv = json_string_value(json_object_get(md, "resourceVersion"));
	}
	snprintf(buf, cap, "%s/%s", uid ? uid : "-", rv ? rv : "-");
	json_decref(b);
	return buf;
}

static void add_action(struct rec_plan *p, enum rec_action_kind kind)
{
	struct rec_ref ref = rs("web-a");
	json_t *body;
	if (kind == REC_JSON_PATCH)
		body = json_pack("[{s:s, s:s, s:i}]", "op", "replace", "path", "/spec/replicas",
		                 "value", 2);
	else if (kind == REC_APPLY)
		body = json_pack("{s:s, s:s, s:{s:s}}", "apiVersion", "apps/v1", "kind",
		                 "ReplicaSet", "metadata", "name", "web-a");
	else
		body = json_pack("{s:{s:i}}", "spec", "replicas", 2);
	if (!rec_plan_add(p, kind, &ref, body))
		die("out of memory");
	json_decref(body);
}

struct faults {
	int not_sent; /* faults that stopped the write before it went out */
	int enomem;   /* ... of them, reported as -ENOMEM */
	int garbled;  /* faults that left the body not JSON (see below) */
};

/* Checks what went out, or did not, when jansson's allocation n of one
 * execution of a one-action plan failed. */
static void check_fault(enum rec_action_kind kind, long n, bool sent, const struct outcome *o,
                        struct faults *f)
{
	const char *what = rec_action_kind_name(kind);
	if (!sent) {
		f->not_sent++;
		f->enomem += o->code == -ENOMEM;
		ok(o->called && o->code < 0 && strncmp(o->failed, what, strlen(what)) == 0,
		   "%s, allocation %ld fails: nothing sent, the action failed (%d, %s)", what, n,
		   o->code, o->failed);
		is_str(line(0), PROBE_LINE,
		       "%s, allocation %ld fails: the probe is the first request", what, n);
		return;
	}
	char buf[64];
	const char *pre = sent_preconditions(0, kind, buf, sizeof(buf));
	/* jansson 2.14's json_dumps ignores a failed write of an object key
	 * (dump.c), so a fault there sends a body that is not JSON, which the
	 * server rejects; it cannot carry a write without its preconditions. */
	if (!pre) {
		f->garbled++;
		return;
	}
	is_str(pre, "rs-uid/7",
	       "%s, allocation %ld fails: the write went out with both preconditions", what, n);
}

/* Fails jansson's n-th allocation while the executor runs a one-action plan;
 * returns true when the fault was hit. */
static bool run_with_fault(struct kc_client *c, enum rec_action_kind kind, long n, struct faults *f)
{
	struct rec_plan p;
	rec_plan_init(&p);
	add_action(&p, kind);
	const struct ss_action script[] = {{.act = SS_SEND, .text = ok_body()},
	                                   {.act = SS_SEND, .text = ok_body()}};
	ss_start(srv, script, 2);
	struct outcome o = {0};
	struct ctl_exec_options opts = {
	    .client = c, .field_manager = FIELD_MANAGER, .on_done = on_done, .userdata = &o};
	if (ctl_execute(&opts, &p, NULL) < 0)
		die("ctl_execute");
	allocs = 0;
	fail_at = n;
	run_until(&o.called, 5);
	fail_at = -1;
	bool hit = allocs > n;
	bool sent = ss_seen(srv) > 0;
	if (!sent)
		probe(c); /* the script wants two connections */
	probe(c);
	ss_join(srv);
	check_fault(kind, n, sent, &o, f);
	if (!hit)
		is_int(o.code, 0, "%s: without a fault the write succeeds",
		       rec_action_kind_name(kind));
	return hit;
}

static void test_preconditions_cannot_be_built(void)
{
	static const enum rec_action_kind kinds[] = {REC_MERGE_PATCH, REC_WRITE_STATUS, REC_APPLY,
	                                             REC_JSON_PATCH};
	struct kc_client *c = client();
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		const char *what = rec_action_kind_name(kinds[k]);
		struct faults f = {0};
		long n = 0;
		while (n < 200 && run_with_fault(c, kinds[k], n, &f))
			n++;
		ok(n < 200, "%s: the faults ran out", what);
		ok(f.enomem > 0, "%s: %d of %ld faults stopped the write with -ENOMEM", what,
		   f.enomem, n);
		tap_diag(
		    "%s: %ld faults, %d stopped the write (%d with -ENOMEM), %d garbled the body",
		    what, n, f.not_sent, f.enomem, f.garbled);
	}
	kc_client_free(c);
}

int main(void)
{
	json_set_alloc_funcs(faulty_malloc, free);
	loop = ev_default_loop(0);
	if (ss_new(&srv) < 0)
		die("ss_new");
	char url[64];
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", ss_port(srv));
	cfg = test_loopback_config(url, "tok-1", "ns");
	ctl_events_config_default(&events_config);
	events_config.reporting_instance = "slipway-test-0";
	if (!cfg)
		die("setup");

	test_requests_and_preconditions();
	test_apply();
	test_json_patch();
	test_conflict_stops_the_plan();
	test_harmless_failures();
	test_create_already_exists();
	test_create_refused();
	test_events_after_status();
	test_no_events_when_status_fails();
	test_write_gate();
	test_body_of_the_wrong_shape();
	test_preconditions_cannot_be_built();

	ctl_events_free(events);
	kc_config_free(cfg);
	ss_free(srv);
	ev_loop_destroy(loop);
	return tap_done();
}
