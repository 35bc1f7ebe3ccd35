/* The canary commands: promote [--full], abort, retry. Each records a user
 * intent (model/intent.h) on the Release's status subresource, never on its
 * spec, naming the user the API server says we are (docs/internals/cli.md
 * "Intents"). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/commands.h"
#include "cli/escape.h"
#include "cli/flags.h"
#include "cli/intent.h"
#include "kubeclient/apierror.h"
#include "kubeclient/rest.h"

/* Writes tried before giving up on a Release whose status keeps moving:
 * the controller writes it every few seconds during a rollout, rarely
 * twice within one round trip. */
#define INTENT_ATTEMPTS 4

/* The API that answers "who am I": authentication.k8s.io/v1, allowed to
 * every authenticated user (system:basic-user), cluster-scoped. */
static const struct kc_ref ssr_ref = {
    .group = "authentication.k8s.io", .version = "v1", .resource = "selfsubjectreviews"};

/* The user name the API server authenticated us as, from a
 * SelfSubjectReview. Caller frees *ret. 0, or a negative errno after one
 * line saying nothing was written: an intent must name its user, never
 * fall back to an anonymous one. */
static int whoami(struct cli *c, char **ret)
{
	json_t *body = json_pack("{s:s, s:s}", "apiVersion", "authentication.k8s.io/v1", "kind",
	                         "SelfSubjectReview");
	struct kc_sync s = {0};
	struct kc_error err = {0};
	json_t *resp = NULL;
	int rc = body ? kc_create(c->client, &ssr_ref, NULL, body, kc_sync_done, &s, NULL, &err)
	              : -ENOMEM;
	if (rc == 0)
		rc = kc_sync_wait(c->client, &s, &resp, &err);
	json_decref(body);
	if (rc < 0) {
		const char *why = json_string_value(json_object_get(err.status, "message"));
		if (err.http_status == 0)
			cli_report_api_error(c, "create", &ssr_ref, &err);
		else
			cli_errorf(c,
			           "cannot tell who you are: the API server refused a "
			           "SelfSubjectReview (HTTP %ld: %s); nothing written",
			           err.http_status, why ? why : err.message);
		kc_error_clear(&err);
		return rc;
	}
	const char *user = json_string_value(json_object_get(
	    json_object_get(json_object_get(resp, "status"), "userInfo"), "username"));
	char *copy = user && *user && strlen(user) <= REL_INTENT_USER_MAX ? strdup(user) : NULL;
	json_decref(resp);
	if (!copy) {
		cli_errorf(c, "cannot tell who you are: the API server's SelfSubjectReview names "
		              "no user; nothing written");
		return -EPROTO;
	}
	*ret = copy;
	return 0;
}

/* One merge patch of rel's status. *conflict: it failed with 409 (the
 * resourceVersion precondition), which is not printed; any other failure
 * is. 0 or a negative errno. */
static int patch_status(struct cli *c, const char *name, json_t *patch, bool *conflict)
{
	struct kc_ref ref = cli_release_ref(c->ns, name);
	ref.subresource = "status";
	struct kc_sync s = {0};
	struct kc_error err = {0};
	int rc = patch ? kc_patch(c->client, &ref, NULL, KC_PATCH_MERGE, patch, kc_sync_done, &s,
	                          NULL, &err)
	               : -ENOMEM;
	if (rc == 0)
		rc = kc_sync_wait(c->client, &s, NULL, &err);
	*conflict = rc < 0 && kc_is_conflict(&err);
	if (rc < 0 && !*conflict && patch)
		cli_report_api_error(c, "patch", &ref, &err);
	kc_error_clear(&err);
	return rc;
}

/* Whether rel, read again after a conflict, is still what the user saw:
 * the same canary revision and (Promote) the same step, so a promote never
 * finishes a step the user did not look at. Prints why not. */
static bool still_same(struct cli *c, const char *name, const struct rel_intent *in,
                       const struct cli_intent_target *now)
{
	if (strcmp(now->revision, in->revision) != 0) {
		cli_errorf(c,
		           "release \"%s\" moved on to revision %s while this command ran; nothing "
		           "written: look again and rerun it",
		           name, now->revision);
		return false;
	}
	if (in->action == REL_INTENT_PROMOTE && now->step_index != in->step_index) {
		cli_errorf(c,
		           "release \"%s\" moved on to step %d/%zu while this command ran; nothing "
		           "written: look again and rerun it",
		           name, now->step_index + 1, now->n_steps);
		return false;
	}
	return true;
}

/* Says so when rel already holds an intent the controller has not taken up:
 * ours replaces it (one intent at a time, model/intent.h). */
static void note_pending(const json_t *rel)
{
	const json_t *old = json_object_get(json_object_get(rel, "status"), REL_INTENT_STATUS_KEY);
	if (!old)
		return;
	const char *action = json_string_value(json_object_get(old, "action"));
	const char *user = json_string_value(json_object_get(old, "user"));
	cli_fprintf(stderr,
	            "note: this replaces the pending %s requested by %s, not taken up yet\n",
	            action ? action : "intent", user ? user : "?");
}

/* Reads the Release and checks that the action applies. Caller owns *rel.
 * 0, or CLI_EXIT_FAIL (printed). */
static int read_checked(struct cli *c, const char *name, enum rel_intent_action action,
                        json_t **rel, struct cli_intent_target *t)
{
	struct kc_ref ref = cli_release_ref(c->ns, name);
	json_t *obj = NULL;
	char why[1024];
	if (cli_api_get(c, &ref, &obj) < 0)
		return CLI_EXIT_FAIL;
	if (cli_intent_check(obj, action, t, why, sizeof(why)) < 0) {
		cli_errorf(c, "%s", why);
		json_decref(obj);
		return CLI_EXIT_FAIL;
	}
	*rel = obj;
	return 0;
}

/* Writes `in` on the status of rel (read at *rel; replaced by fresher reads
 * after conflicts, caller owns the last). 0 or CLI_EXIT_FAIL (printed). */
static int write_intent(struct cli *c, const char *name, json_t **rel, struct rel_intent *in,
                        struct cli_intent_target *t)
{
	for (int attempt = 0; attempt < INTENT_ATTEMPTS; attempt++) {
		json_t *patch = cli_intent_patch(*rel, in);
		bool conflict = false;
		int rc = patch_status(c, name, patch, &conflict);
		json_decref(patch);
		if (rc == 0)
			return 0;
		if (!conflict)
			return CLI_EXIT_FAIL;
		if (attempt + 1 == INTENT_ATTEMPTS)
			break;
		json_decref(*rel);
		*rel = NULL;
		if (read_checked(c, name, in->action, rel, t) != 0 || !still_same(c, name, in, t))
			return CLI_EXIT_FAIL;
	}
	cli_errorf(c,
	           "release \"%s\" kept changing while this command ran (%d conflicts); nothing "
	           "written: run it again",
	           name, INTENT_ATTEMPTS);
	return CLI_EXIT_FAIL;
}

/* The whole command: read, check, learn the user, write, say what was
 * asked. */
static int request(struct cli *c, const char *name, enum rel_intent_action action)
{
	if (cli_connect(c) < 0)
		return CLI_EXIT_FAIL;
	json_t *rel = NULL;
	struct cli_intent_target t;
	int r = read_checked(c, name, action, &rel, &t);
	if (r)
		return r;
	struct rel_intent in = {.action = action,
	                        .requested_at = time(NULL),
	                        .revision = strdup(t.revision),
	                        .has_step_index = action == REL_INTENT_PROMOTE,
	                        .step_index = t.step_index};
	r = CLI_EXIT_FAIL;
	if (in.revision && whoami(c, &in.user) == 0) {
		note_pending(rel);
		r = write_intent(c, name, &rel, &in, &t);
	}
	if (r == 0) {
		char line[2048];
		cli_intent_describe(name, &in, &t, line, sizeof(line));
		fputs(line, stdout); /* escaped by cli_intent_describe */
		fputc('\n', stdout);
	}
	rel_intent_clear(&in);
	json_decref(rel);
	return r;
}

int cmd_promote(struct cli *c, int argc, char **argv)
{
	const char *name = NULL;
	bool full = false;
	const struct cli_flag flags[] = {{"full", 0, false, NULL, &full}, {0}};
	int r = cli_one_name(c, argc, argv, flags, &name);
	if (r)
		return r;
	return request(c, name, full ? REL_INTENT_PROMOTE_FULL : REL_INTENT_PROMOTE);
}

int cmd_abort(struct cli *c, int argc, char **argv)
{
	const char *name = NULL;
	int r = cli_one_name(c, argc, argv, NULL, &name);
	return r ? r : request(c, name, REL_INTENT_ABORT);
}

int cmd_retry(struct cli *c, int argc, char **argv)
{
	const char *name = NULL;
	int r = cli_one_name(c, argc, argv, NULL, &name);
	return r ? r : request(c, name, REL_INTENT_RETRY);
}
