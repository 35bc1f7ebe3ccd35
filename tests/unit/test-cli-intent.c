/* promote, abort, retry as whole commands against a scripted API server:
 * the requests they send (the Release read, the SelfSubjectReview, the
 * merge patch of status.intent on /status with the resourceVersion as
 * precondition, and nothing to the Release itself), the retry on 409, and
 * the refusals (nothing sent after the read). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli-capture.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "model/timefmt.h"
#include "scripted-server.h"
#include "tap.h"

static const char rel_path[] = "/apis/slipway.dev/v1alpha1/namespaces/dev/releases/web";
static const char ssr_line[] = "POST /apis/authentication.k8s.io/v1/selfsubjectreviews ";

/* ---- running a command ------------------------------------------------ */

struct result {
	int code;
	char *out, *err;
	time_t before, after;
};

/* Runs cmd with args (NULL-terminated) against the script; caller frees
 * r->out and r->err. */
static void run(struct ss_server *srv, const char *kubeconfig, const struct ss_action *script,
                int n, int (*cmd)(struct cli *, int, char **), const char *const *args,
                struct result *r)
{
	char *argv[4] = {0};
	int argc = 0;
	while (argc < 3 && args[argc]) {
		argv[argc] = (char *)args[argc];
		argc++;
	}
	struct cli c = {.prog = "kubectl-slipway", .kubeconfig = kubeconfig};
	ss_start(srv, script, n);
	struct capture cap;
	r->before = time(NULL);
	capture_start(&cap);
	r->code = cmd(&c, argc, argv);
	cli_disconnect(&c);
	capture_end(&cap, &r->out, &r->err);
	r->after = time(NULL);
	ss_join(srv);
}

static void result_free(struct result *r)
{
	free(r->out);
	free(r->err);
}

/* ---- the objects ------------------------------------------------------ */

/* A canary Release "web" of 7 steps at resourceVersion rv; status fields
 * from status_json (a JSON object text). strategy "rolling" makes it a
 * rolling Release. Caller frees. */
static char *release_text(const char *rv, const char *strategy, const char *status_json)
{
	json_t *steps = json_array();
	for (int i = 0; i < 7; i++)
		json_array_append_new(steps, i % 2 ? json_pack("{s:{}}", "pause")
		                                   : json_pack("{s:i}", "setWeight", 10 * (i + 1)));
	json_t *strat = strcmp(strategy, "canary") == 0
	                    ? json_pack("{s:{s:o}}", "canary", "steps", steps)
	                    : json_pack("{s:{}}", strategy);
	if (strcmp(strategy, "canary") != 0)
		json_decref(steps);
	json_t *rel =
	    json_pack("{s:s, s:s, s:{s:s, s:s, s:s, s:i}, s:{s:i, s:o}, s:o}", "apiVersion",
	              "slipway.dev/v1alpha1", "kind", "Release", "metadata", "name", "web",
	              "namespace", "dev", "resourceVersion", rv, "generation", 2, "spec",
	              "replicas", 4, "strategy", strat, "status", json_loads(status_json, 0, NULL));
	char *text = json_dumps(rel, JSON_COMPACT);
	json_decref(rel);
	return text;
}

/* Paused at the pause of step 3/7 of canary revision 9c1a. */
static const char paused_at_3[] =
    "{\"phase\":\"Paused\",\"currentRevision\":\"9c1a\",\"stableRevision\":\"6d5f\","
    "\"currentStepIndex\":2}";

static const char ssr_alice[] =
    "{\"apiVersion\":\"authentication.k8s.io/v1\",\"kind\":\"SelfSubjectReview\","
    "\"metadata\":{\"creationTimestamp\":null},\"status\":{\"userInfo\":{\"username\":\"alice\","
    "\"groups\":[\"dev\",\"system:authenticated\"]}}}";

static const char conflict_status[] =
    "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\",\"reason\":\"Conflict\","
    "\"code\":409,\"message\":\"Operation cannot be fulfilled on releases.slipway.dev \\\"web\\\": "
    "the object has been modified; please apply your changes to the latest version and try "
    "again\"}";

/* ---- checks ----------------------------------------------------------- */

static bool starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Request i is the GET of the Release. */
static void is_get(struct ss_server *srv, int i, const char *what)
{
	char want[256];
	snprintf(want, sizeof(want), "GET %s ", rel_path);
	ok(starts(ss_request(srv, i)->line, want), "%s: request %d reads the Release (%s)", what, i,
	   ss_request(srv, i)->line);
}

/* Request i is the SelfSubjectReview, with nothing in it but its kind. */
static void is_ssr(struct ss_server *srv, int i, const char *what)
{
	const struct ss_request *q = ss_request(srv, i);
	ok(starts(q->line, ssr_line), "%s: request %d is a SelfSubjectReview (%s)", what, i,
	   q->line);
	json_t *body = json_loads(q->body, 0, NULL);
	json_t *want = json_pack("{s:s, s:s}", "apiVersion", "authentication.k8s.io/v1", "kind",
	                         "SelfSubjectReview");
	ok(body && json_equal(body, want), "%s: the review is {apiVersion, kind} (%s)", what,
	   q->body);
	json_decref(body);
	json_decref(want);
}

/* Request i is a merge patch of /status whose body, with requestedAt taken
 * out (checked to lie in r's run), equals want_json. */
static void is_patch(struct ss_server *srv, int i, const struct result *r, const char *want_json,
                     const char *what)
{
	const struct ss_request *q = ss_request(srv, i);
	char want_line[256];
	snprintf(want_line, sizeof(want_line), "PATCH %s/status ", rel_path);
	ok(starts(q->line, want_line), "%s: request %d patches /status (%s)", what, i, q->line);
	is_str(q->content_type, "application/merge-patch+json", "%s: a merge patch", what);
	json_t *body = json_loads(q->body, 0, NULL);
	json_t *intent = json_object_get(json_object_get(body, "status"), "intent");
	const char *at = json_string_value(json_object_get(intent, "requestedAt"));
	time_t t = 0;
	ok(at && model_time_parse(at, &t) == 0 && t >= r->before && t <= r->after,
	   "%s: requestedAt is the time of the command (%s)", what, at ? at : "none");
	json_object_del(intent, "requestedAt");
	json_t *want = json_loads(want_json, 0, NULL);
	ok(body && want && json_equal(body, want), "%s: the patch body (%s)", what, q->body);
	json_decref(body);
	json_decref(want);
}

/* ---- tests ------------------------------------------------------------ */

static void test_promote(struct ss_server *srv, const char *kc)
{
	char *rel = release_text("41", "canary", paused_at_3);
	struct ss_action script[] = {
	    {SS_SEND, ss_response(srv, 200, "", rel), {0}},
	    {SS_SEND, ss_response(srv, 201, "", ssr_alice), {0}},
	    {SS_SEND, ss_response(srv, 200, "", rel), {0}},
	};
	const char *args[] = {"web", NULL};
	struct result r;
	run(srv, kc, script, 3, cmd_promote, args, &r);
	is_int(r.code, 0, "promote: succeeds");
	is_int(ss_seen(srv), 3, "promote: three requests, nothing else");
	is_get(srv, 0, "promote");
	is_ssr(srv, 1, "promote");
	is_patch(srv, 2, &r,
	         "{\"metadata\":{\"resourceVersion\":\"41\"},\"status\":{\"intent\":{\"action\":"
	         "\"Promote\",\"user\":\"alice\",\"revision\":\"9c1a\",\"stepIndex\":2}}}",
	         "promote");
	is_str(r.out, "release \"web\": promote requested by alice at step 3/7 (revision 9c1a)\n",
	       "promote: says what was asked, by whom, at which step");
	is_str(r.err, "", "promote: nothing on stderr");
	result_free(&r);

	const char *full[] = {"web", "--full", NULL};
	run(srv, kc, script, 3, cmd_promote, full, &r);
	is_int(r.code, 0, "promote --full: succeeds");
	is_patch(srv, 2, &r,
	         "{\"metadata\":{\"resourceVersion\":\"41\"},\"status\":{\"intent\":{\"action\":"
	         "\"PromoteFull\",\"user\":\"alice\",\"revision\":\"9c1a\"}}}",
	         "promote --full");
	is_str(r.out,
	       "release \"web\": full promote requested by alice at step 3/7 (revision 9c1a)\n",
	       "promote --full: says so");
	result_free(&r);
	free(rel);
}

/* An Abort replacing a pending Promote nulls its stepIndex (a merge patch
 * would keep it) and says it replaced it. */
static void test_abort_replaces(struct ss_server *srv, const char *kc)
{
	char *rel = release_text(
	    "7", "canary",
	    "{\"phase\":\"Progressing\",\"currentRevision\":\"9c1a\",\"stableRevision\":\"6d5f\","
	    "\"currentStepIndex\":4,\"intent\":{\"action\":\"Promote\",\"user\":\"bob\","
	    "\"requestedAt\":\"2026-12-02T18:30:00Z\",\"revision\":\"9c1a\",\"stepIndex\":4}}");
	struct ss_action script[] = {
	    {SS_SEND, ss_response(srv, 200, "", rel), {0}},
	    {SS_SEND, ss_response(srv, 201, "", ssr_alice), {0}},
	    {SS_SEND, ss_response(srv, 200, "", rel), {0}},
	};
	const char *args[] = {"web", NULL};
	struct result r;
	run(srv, kc, script, 3, cmd_abort, args, &r);
	is_int(r.code, 0, "abort: succeeds");
	is_patch(srv, 2, &r,
	         "{\"metadata\":{\"resourceVersion\":\"7\"},\"status\":{\"intent\":{\"action\":"
	         "\"Abort\",\"user\":\"alice\",\"revision\":\"9c1a\",\"stepIndex\":null}}}",
	         "abort");
	is_str(r.out, "release \"web\": abort requested by alice at step 5/7 (revision 9c1a)\n",
	       "abort: says so");
	is_str(r.err,
	       "note: this replaces the pending Promote requested by bob, not taken up yet\n",
	       "abort: notes the intent it replaces");
	result_free(&r);
	free(rel);
}

static void test_retry(struct ss_server *srv, const char *kc)
{
	char *rel =
	    release_text("9", "canary",
	                 "{\"phase\":\"Degraded\",\"currentRevision\":\"9c1a\","
	                 "\"stableRevision\":\"6d5f\",\"currentStepIndex\":0,\"abort\":true,"
	                 "\"abortedAt\":\"2026-12-02T18:00:00Z\"}");
	struct ss_action script[] = {
	    {SS_SEND, ss_response(srv, 200, "", rel), {0}},
	    {SS_SEND, ss_response(srv, 201, "", ssr_alice), {0}},
	    {SS_SEND, ss_response(srv, 200, "", rel), {0}},
	};
	const char *args[] = {"web", NULL};
	struct result r;
	run(srv, kc, script, 3, cmd_retry, args, &r);
	is_int(r.code, 0, "retry: succeeds on an aborted canary");
	is_patch(srv, 2, &r,
	         "{\"metadata\":{\"resourceVersion\":\"9\"},\"status\":{\"intent\":{\"action\":"
	         "\"Retry\",\"user\":\"alice\",\"revision\":\"9c1a\"}}}",
	         "retry");
	result_free(&r);
	free(rel);
}

/* 409: read again and write with the new resourceVersion; but stop when
 * the step moved on, and after four conflicts. */
static void test_conflict(struct ss_server *srv, const char *kc)
{
	char *rel41 = release_text("41", "canary", paused_at_3);
	char *rel42 = release_text("42", "canary", paused_at_3);
	char *moved = release_text(
	    "43", "canary",
	    "{\"phase\":\"Progressing\",\"currentRevision\":\"9c1a\",\"stableRevision\":\"6d5f\","
	    "\"currentStepIndex\":3}");
	const char *conflict = ss_response(srv, 409, "", conflict_status);
	struct ss_action retried[] = {
	    {SS_SEND, ss_response(srv, 200, "", rel41), {0}},
	    {SS_SEND, ss_response(srv, 201, "", ssr_alice), {0}},
	    {SS_SEND, conflict, {0}},
	    {SS_SEND, ss_response(srv, 200, "", rel42), {0}},
	    {SS_SEND, ss_response(srv, 200, "", rel42), {0}},
	};
	const char *args[] = {"web", NULL};
	struct result r;
	run(srv, kc, retried, 5, cmd_promote, args, &r);
	is_int(r.code, 0, "409: the second write succeeds");
	is_int(ss_seen(srv), 5, "409: read, review, write, read, write");
	is_get(srv, 3, "409");
	is_patch(srv, 4, &r,
	         "{\"metadata\":{\"resourceVersion\":\"42\"},\"status\":{\"intent\":{\"action\":"
	         "\"Promote\",\"user\":\"alice\",\"revision\":\"9c1a\",\"stepIndex\":2}}}",
	         "409: written again with the resourceVersion read again");
	result_free(&r);

	struct ss_action stepped[] = {
	    {SS_SEND, ss_response(srv, 200, "", rel41), {0}},
	    {SS_SEND, ss_response(srv, 201, "", ssr_alice), {0}},
	    {SS_SEND, conflict, {0}},
	    {SS_SEND, ss_response(srv, 200, "", moved), {0}},
	};
	run(srv, kc, stepped, 4, cmd_promote, args, &r);
	is_int(r.code, CLI_EXIT_FAIL, "409, step moved on: fails");
	is_int(ss_seen(srv), 4, "409, step moved on: no second write");
	is_str(r.err,
	       "kubectl-slipway: release \"web\" moved on to step 4/7 while this command ran; "
	       "nothing written: look again and rerun it\n",
	       "409, step moved on: says so");
	is_str(r.out, "", "409, step moved on: nothing on stdout");
	result_free(&r);

	struct ss_action always[] = {
	    {SS_SEND, ss_response(srv, 200, "", rel41), {0}},
	    {SS_SEND, ss_response(srv, 201, "", ssr_alice), {0}},
	    {SS_SEND, conflict, {0}},
	    {SS_SEND, ss_response(srv, 200, "", rel42), {0}},
	    {SS_SEND, conflict, {0}},
	    {SS_SEND, ss_response(srv, 200, "", rel42), {0}},
	    {SS_SEND, conflict, {0}},
	    {SS_SEND, ss_response(srv, 200, "", rel42), {0}},
	    {SS_SEND, conflict, {0}},
	};
	run(srv, kc, always, 9, cmd_abort, args, &r);
	is_int(r.code, CLI_EXIT_FAIL, "409 four times: fails");
	is_int(ss_seen(srv), 9, "409 four times: four writes, three reads between them");
	is_str(r.err,
	       "kubectl-slipway: release \"web\" kept changing while this command ran (4 "
	       "conflicts); nothing written: run it again\n",
	       "409 four times: says so");
	result_free(&r);
	free(rel41);
	free(rel42);
	free(moved);
}

/* No user, no intent: a refused or empty SelfSubjectReview writes nothing. */
static void test_no_user(struct ss_server *srv, const char *kc)
{
	char *rel = release_text("41", "canary", paused_at_3);
	static const char forbidden[] =
	    "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\",\"reason\":"
	    "\"Forbidden\",\"code\":403,\"message\":\"selfsubjectreviews.authentication.k8s.io is "
	    "forbidden: User \\\"system:anonymous\\\" cannot create resource "
	    "\\\"selfsubjectreviews\\\"\"}";
	struct ss_action refused[] = {
	    {SS_SEND, ss_response(srv, 200, "", rel), {0}},
	    {SS_SEND, ss_response(srv, 403, "", forbidden), {0}},
	};
	const char *args[] = {"web", NULL};
	struct result r;
	run(srv, kc, refused, 2, cmd_promote, args, &r);
	is_int(r.code, CLI_EXIT_FAIL, "review refused: fails");
	is_int(ss_seen(srv), 2, "review refused: nothing written");
	is_str(
	    r.err,
	    "kubectl-slipway: cannot tell who you are: the API server refused a "
	    "SelfSubjectReview (HTTP 403: selfsubjectreviews.authentication.k8s.io is forbidden: "
	    "User \"system:anonymous\" cannot create resource \"selfsubjectreviews\"); nothing "
	    "written\n",
	    "review refused: says who refused what");
	result_free(&r);

	struct ss_action nameless[] = {
	    {SS_SEND, ss_response(srv, 200, "", rel), {0}},
	    {SS_SEND,
	     ss_response(srv, 201, "",
	                 "{\"kind\":\"SelfSubjectReview\",\"status\":{\"userInfo\":{\"username\":"
	                 "\"\"}}}"),
	     {0}},
	};
	run(srv, kc, nameless, 2, cmd_abort, args, &r);
	is_int(r.code, CLI_EXIT_FAIL, "review without a user name: fails");
	is_int(ss_seen(srv), 2, "review without a user name: nothing written");
	is_str(r.err,
	       "kubectl-slipway: cannot tell who you are: the API server's SelfSubjectReview names "
	       "no user; nothing written\n",
	       "review without a user name: says so");
	result_free(&r);
	free(rel);
}

/* Nothing to act on: one read, one line, exit 1. */
static void test_refusals(struct ss_server *srv, const char *kc)
{
	static const struct {
		const char *what;
		int (*cmd)(struct cli *, int, char **);
		const char *full; /* "--full" or NULL */
		const char *strategy;
		const char *status;
		const char *err;
	} rows[] = {
	    {"promote a rolling Release", cmd_promote, NULL, "rolling", "{\"phase\":\"Healthy\"}",
	     "release \"web\" is not a canary (strategy rolling): nothing to promote"},
	    {"abort a blue-green Release not reconciled yet", cmd_abort, NULL, "blueGreen", "{}",
	     "release \"web\" has no canary revision yet (the controller has not reconciled it): "
	     "nothing to abort"},
	    {"promote a blue-green Release promoted already", cmd_promote, NULL, "blueGreen",
	     "{\"phase\":\"Progressing\",\"currentRevision\":\"r2\",\"stableRevision\":\"r1\","
	     "\"currentStepIndex\":3}",
	     "release \"web\" is promoted already (activeService switches once every pod is "
	     "available): nothing to promote"},
	    {"promote before the controller", cmd_promote, NULL, "canary", "{}",
	     "release \"web\" has no canary revision yet (the controller has not reconciled it): "
	     "nothing to promote"},
	    {"promote a Healthy canary", cmd_promote, "--full", "canary",
	     "{\"phase\":\"Healthy\",\"currentRevision\":\"6d5f\",\"stableRevision\":\"6d5f\","
	     "\"currentStepIndex\":7}",
	     "release \"web\" has no canary in progress (its current revision is the stable one): "
	     "nothing to promote"},
	    {"abort a Healthy canary", cmd_abort, NULL, "canary",
	     "{\"phase\":\"Healthy\",\"currentRevision\":\"6d5f\",\"stableRevision\":\"6d5f\"}",
	     "release \"web\" has no canary in progress (its current revision is the stable one): "
	     "nothing to abort"},
	    {"promote an aborted canary", cmd_promote, NULL, "canary",
	     "{\"phase\":\"Degraded\",\"currentRevision\":\"9c1a\",\"stableRevision\":\"6d5f\","
	     "\"currentStepIndex\":2,\"abort\":true}",
	     "release \"web\" is aborted (retry starts its steps again): nothing to promote"},
	    {"abort twice", cmd_abort, NULL, "canary",
	     "{\"phase\":\"Degraded\",\"currentRevision\":\"9c1a\",\"stableRevision\":\"6d5f\","
	     "\"abort\":true}",
	     "release \"web\" is already aborted: nothing to abort"},
	    {"retry what is not aborted", cmd_retry, NULL, "canary", paused_at_3,
	     "release \"web\" is not aborted: nothing to retry"},
	    {"promote a Degraded canary", cmd_promote, NULL, "canary",
	     "{\"phase\":\"Degraded\",\"currentRevision\":\"9c1a\",\"stableRevision\":\"6d5f\","
	     "\"currentStepIndex\":2}",
	     "release \"web\" is neither paused nor progressing: nothing to promote"},
	    {"promote past the last step", cmd_promote, NULL, "canary",
	     "{\"phase\":\"Progressing\",\"currentRevision\":\"9c1a\",\"stableRevision\":\"6d5f\","
	     "\"currentStepIndex\":7}",
	     "release \"web\" is past its last step: nothing to promote"},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char *rel = release_text("5", rows[i].strategy, rows[i].status);
		struct ss_action script[] = {{SS_SEND, ss_response(srv, 200, "", rel), {0}}};
		const char *args[] = {"web", rows[i].full, NULL};
		struct result r;
		run(srv, kc, script, 1, rows[i].cmd, args, &r);
		is_int(r.code, CLI_EXIT_FAIL, "%s: fails", rows[i].what);
		is_int(ss_seen(srv), 1, "%s: only the read", rows[i].what);
		char want[512];
		snprintf(want, sizeof(want), "kubectl-slipway: %s\n", rows[i].err);
		is_str(r.err, want, "%s: says why", rows[i].what);
		result_free(&r);
		free(rel);
	}
}

int main(void)
{
	struct ss_server *srv = NULL;
	char kc[64] = "";
	if (ss_new(&srv) < 0 || write_test_kubeconfig(ss_port(srv), "test-cli-intent", kc) < 0) {
		ok(false, "a scripted server and its kubeconfig");
		ss_free(srv);
		return tap_done();
	}
	test_promote(srv, kc);
	test_abort_replaces(srv, kc);
	test_retry(srv, kc);
	test_conflict(srv, kc);
	test_no_user(srv, kc);
	test_refusals(srv, kc);
	unlink(kc);
	ss_free(srv);
	return tap_done();
}
