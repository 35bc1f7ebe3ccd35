/*
 * `restart`: new pods for the current revision, without a new revision.
 * The controller does the work; the CLI records the request and, unless
 * --wait=false, follows it (the contract: cli/restart.h). The controller
 * replaces every pod created before spec.restartAt within the rollout's
 * maxUnavailable, then sets status.restartedAt. The request lives in the
 * Release, so a kill of either process loses nothing: a controller that
 * restarts carries on, and running the command again only asks for a later
 * restart.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/commands.h"
#include "cli/escape.h"
#include "cli/flags.h"
#include "cli/live.h"
#include "cli/restart.h"
#include "cli/view.h"
#include "kubeclient/rest.h"

struct restart_wait {
	struct cli_live live;
	const char *name;
	const char *timeout_text;
	char at[MODEL_TIME_LEN]; /* the spec.restartAt we wrote */
	char last_line[1024];
};

static void on_change(struct cli_live *l, void *userdata)
{
	struct restart_wait *w = userdata;
	const json_t *rel = cli_live_release(l);
	if (!rel)
		return;
	if (cli_restart_done(rel, w->at)) {
		cli_printf("release \"%s\" restarted: every pod older than %s replaced\n", w->name,
		           w->at);
		cli_live_stop(l, 0);
		return;
	}
	cli_print_health_change(stdout, rel, w->last_line, sizeof(w->last_line));
}

static void on_deadline(struct cli_live *l, void *userdata)
{
	struct restart_wait *w = userdata;
	cli_errorf(l->c,
	           "timed out after %s waiting for the controller to restart release \"%s\" (the "
	           "request, spec.restartAt %s, stays: the controller carries it out when it runs)",
	           w->timeout_text, w->name, w->at);
	cli_live_stop(l, CLI_EXIT_FAIL);
}

/* Writes spec.restartAt = now into the Release and at. An API server whose
 * CRD predates the field prunes it without an error: the answer tells. 0 or
 * -1 (printed). */
static int request_restart(struct cli *c, const char *name, char at[static MODEL_TIME_LEN])
{
	json_t *patch = NULL, *got = NULL;
	if (cli_restart_request(time(NULL), at, &patch) < 0) {
		cli_errorf(c, "cannot write the time of the request (is the clock set?)");
		return -1;
	}
	struct kc_ref ref = cli_release_ref(c->ns, name);
	int rc = cli_api_patch(c, &ref, KC_PATCH_MERGE, patch, &got);
	json_decref(patch);
	if (rc < 0)
		return -1;
	const char *kept =
	    json_string_value(json_object_get(json_object_get(got, "spec"), "restartAt"));
	if (!kept || strcmp(kept, at) != 0) {
		cli_errorf(c,
		           "the cluster dropped spec.restartAt: its Release CRD is older than this "
		           "command (apply the CRDs of this version)");
		rc = -1;
	}
	json_decref(got);
	return rc;
}

/* Follows the Release until the controller reports the restart done. */
static int wait_restarted(struct cli *c, struct restart_wait *w, double timeout_s)
{
	cli_live_init(&w->live, c, CLI_EXIT_FAIL, on_change, w);
	cli_live_set_deadline(&w->live, timeout_s, on_deadline);
	if (cli_live_watch_release(&w->live, w->name) < 0) {
		cli_live_free(&w->live);
		return CLI_EXIT_FAIL;
	}
	return cli_live_run(&w->live);
}

int cmd_restart(struct cli *c, int argc, char **argv)
{
	struct restart_wait w = {.timeout_text = "10m"};
	bool wait = true;
	double timeout_s;
	const struct cli_flag flags[] = {
	    {"timeout", 0, true, &w.timeout_text, NULL}, {"wait", 0, false, NULL, &wait}, {0}};
	int r = cli_one_name(c, argc, argv, flags, &w.name);
	if (r)
		return r;
	r = cli_parse_timeout(c, w.timeout_text, false, &timeout_s);
	if (r)
		return r;
	if (cli_connect(c) < 0 || request_restart(c, w.name, w.at) < 0)
		return CLI_EXIT_FAIL;
	cli_printf("release \"%s\" restart requested (spec.restartAt %s)\n", w.name, w.at);
	fflush(stdout);
	if (!wait)
		return 0;
	return wait_restarted(c, &w, timeout_s);
}
