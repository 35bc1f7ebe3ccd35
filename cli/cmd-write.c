/* The commands that change a Release's spec: pause, resume, set image,
 * undo. Why each write is shaped as it is: docs/internals/cli.md "Writes". */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/escape.h"
#include "cli/flags.h"
#include "cli/owned.h"
#include "cli/template.h"
#include "kubeclient/rest.h"
#include "model/api.h"
#include "model/release.h"
#include "model/revision.h"

/* `set image` takes at most this many CONTAINER=IMAGE pairs. */
#define MAX_IMAGES 32

/* A JSON patch that first tests metadata.generation, so a spec write based
 * on what we read fails instead of overwriting a newer spec change. Not
 * resourceVersion: the controller's status writes move that every few
 * seconds during a rollout, and they do not touch the spec. Caller owns the
 * result. */
static json_t *guarded_patch(const json_t *obj)
{
	json_t *gen = json_object_get(json_object_get(obj, "metadata"), "generation");
	if (!json_is_integer(gen))
		return json_array();
	return json_pack("[{s:s, s:s, s:O}]", "op", "test", "path", "/metadata/generation", "value",
	                 gen);
}

/* ---- pause, resume ---------------------------------------------------- */

static int set_paused(struct cli *c, int argc, char **argv, bool paused)
{
	const char *name = NULL;
	int r = cli_one_name(c, argc, argv, NULL, &name);
	if (r)
		return r;
	if (cli_connect(c) < 0)
		return CLI_EXIT_FAIL;
	/* A merge patch of one field needs no precondition: it is the whole
	 * intent, and idempotent. */
	json_t *patch = json_pack("{s:{s:b}}", "spec", "paused", paused);
	struct kc_ref ref = cli_release_ref(c->ns, name);
	r = cli_api_patch(c, &ref, KC_PATCH_MERGE, patch, NULL) < 0 ? CLI_EXIT_FAIL : 0;
	json_decref(patch);
	if (r == 0)
		cli_printf("release \"%s\" %s\n", name, paused ? "paused" : "resumed");
	return r;
}

int cmd_pause(struct cli *c, int argc, char **argv)
{
	return set_paused(c, argc, argv, true);
}

int cmd_resume(struct cli *c, int argc, char **argv)
{
	return set_paused(c, argc, argv, false);
}

/* ---- set image -------------------------------------------------------- */

/* The patch operation that sets the image of the container named
 * want[0..nlen) in the pod spec ps (containers first, then
 * initContainers), or NULL when there is none. Caller owns the result. */
static json_t *image_op(const json_t *ps, const char *want, size_t nlen, const char *image)
{
	static const char *const lists[] = {"containers", "initContainers"};
	for (size_t k = 0; k < 2; k++) {
		size_t j;
		json_t *ct;
		json_array_foreach(json_object_get(ps, lists[k]), j, ct)
		{
			const char *cn = json_string_value(json_object_get(ct, "name"));
			if (!cn || strlen(cn) != nlen || strncmp(cn, want, nlen) != 0)
				continue;
			char path[128];
			snprintf(path, sizeof(path), "/spec/template/spec/%s/%zu/image", lists[k],
			         j);
			return json_pack("{s:s, s:s, s:s}", "op", "add", "path", path, "value",
			                 image);
		}
	}
	return NULL;
}

/* The guarded patch setting every CONTAINER=IMAGE of pairs[0..n) in rel, or
 * NULL after printing which container is missing. Caller owns the result. */
static json_t *images_patch(struct cli *c, const json_t *rel, const char *name, char **pairs, int n)
{
	json_t *patch = guarded_patch(rel);
	const json_t *ps =
	    json_object_get(json_object_get(json_object_get(rel, "spec"), "template"), "spec");
	for (int i = 0; i < n; i++) {
		const char *eq = strchr(pairs[i], '=');
		size_t nlen = (size_t)(eq - pairs[i]);
		json_t *op = image_op(ps, pairs[i], nlen, eq + 1);
		if (!op) {
			cli_errorf(c, "release \"%s\" has no container \"%.*s\"", name, (int)nlen,
			           pairs[i]);
			json_decref(patch);
			return NULL;
		}
		json_array_append_new(patch, op);
	}
	return patch;
}

int cmd_set(struct cli *c, int argc, char **argv)
{
	char *pos[MAX_IMAGES + 2];
	int n;
	int r = cli_parse_flags(c, argc, argv, NULL, pos, MAX_IMAGES + 2, &n);
	if (r)
		return r;
	if (n < 1 || strcmp(pos[0], "image") != 0)
		return cli_usage_error(c, "expected 'set image NAME CONTAINER=IMAGE...'");
	if (n < 3)
		return cli_usage_error(c,
		                       "expected a Release NAME and at least one CONTAINER=IMAGE");
	const char *name = pos[1];
	for (int i = 2; i < n; i++) {
		const char *eq = strchr(pos[i], '=');
		if (!eq || eq == pos[i] || !eq[1])
			return cli_usage_error(c, "'%s' is not CONTAINER=IMAGE", pos[i]);
	}
	if (cli_connect(c) < 0)
		return CLI_EXIT_FAIL;
	json_t *rel = NULL;
	struct kc_ref ref = cli_release_ref(c->ns, name);
	if (cli_api_get(c, &ref, &rel) < 0)
		return CLI_EXIT_FAIL;
	json_t *patch = images_patch(c, rel, name, pos + 2, n - 2);
	r = CLI_EXIT_FAIL;
	if (patch && cli_api_patch(c, &ref, KC_PATCH_JSON, patch, NULL) == 0) {
		cli_printf("release \"%s\" image updated\n", name);
		r = 0;
	}
	json_decref(patch);
	json_decref(rel);
	return r;
}

/* ---- undo ------------------------------------------------------------- */

static const char *uid_of(const json_t *o)
{
	return json_string_value(json_object_get(json_object_get(o, "metadata"), "uid"));
}

/* Whether undo may go to revision rev: the one asked for, else any but the
 * current one. */
static bool undo_candidate(const char *rev, const char *want, const char *cur)
{
	if (!rev)
		return false;
	if (want)
		return strcmp(rev, want) == 0;
	return !cur || strcmp(rev, cur) != 0;
}

/* The generation annotation of a ReplicaSet: the Release generation that
 * last made it current. 0 when absent. */
static long long made_current_at(const json_t *rs)
{
	const char *g = json_string_value(
	    json_object_get(json_object_get(json_object_get(rs, "metadata"), "annotations"),
	                    MODEL_ANNOTATION_GENERATION));
	return g ? strtoll(g, NULL, 10) : 0;
}

/* The revision to go back to: --to-revision, else the newest entry of
 * status.history other than the current revision whose ReplicaSet still
 * exists, else the old ReplicaSet last made current. Borrowed from
 * rs_items. */
static const json_t *pick_target(const json_t *rel, const json_t *rs_items, const char *want)
{
	const json_t *st = json_object_get(rel, "status");
	const char *cur = json_string_value(json_object_get(st, "currentRevision"));
	const char *uid = uid_of(rel);
	const json_t *best = NULL;
	long long best_gen = -1;
	size_t i, h;
	json_t *rs, *e;
	json_array_foreach(json_object_get(st, "history"), h, e)
	{
		const char *rev = json_string_value(json_object_get(e, "revision"));
		if (!undo_candidate(rev, want, cur))
			continue;
		json_array_foreach(rs_items, i, rs)
		{
			const char *r = model_revision_of(rs);
			if (r && strcmp(r, rev) == 0 && model_controlled_by(rs, uid))
				return rs;
		}
	}
	json_array_foreach(rs_items, i, rs)
	{
		if (!undo_candidate(model_revision_of(rs), want, cur) ||
		    !model_controlled_by(rs, uid))
			continue;
		long long gen = made_current_at(rs);
		if (gen > best_gen) {
			best = rs;
			best_gen = gen;
		}
	}
	return best;
}

/* The template of revision rev as the user wrote it, from its ReplicaSet
 * (docs/internals/cli.md "undo"). Caller owns *ret. 0, or -1 (printed). */
static int recover_template(struct cli *c, const json_t *target, const char *rev, json_t **ret)
{
	int tr = cli_template_recover(json_object_get(json_object_get(target, "spec"), "template"),
	                              rev, ret);
	if (tr < 0 && tr != -ESRCH) {
		cli_errorf(c, "cannot read the template of revision %s: %s", rev, strerror(-tr));
		return -1;
	}
	if (tr == -ESRCH)
		cli_fprintf(
		    stderr,
		    "warning: the template of revision %s could not be recovered exactly (the API "
		    "server added fields this version does not know); the rollback becomes a new "
		    "revision with the same containers\n",
		    rev);
	return 0;
}

/* Writes tmpl into rel's spec.template, guarded, and says what happened.
 * 0 or CLI_EXIT_FAIL (printed). */
static int apply_template(struct cli *c, const json_t *rel, const char *name, const char *rev,
                          json_t *tmpl)
{
	json_t *patch = guarded_patch(rel);
	json_array_append_new(patch, json_pack("{s:s, s:s, s:O}", "op", "replace", "path",
	                                       "/spec/template", "value", tmpl));
	struct kc_ref ref = cli_release_ref(c->ns, name);
	int rc = cli_api_patch(c, &ref, KC_PATCH_JSON, patch, NULL);
	json_decref(patch);
	if (rc < 0)
		return CLI_EXIT_FAIL;
	json_t *imgs = rel_template_images(tmpl);
	char *img = imgs ? json_dumps(imgs, JSON_COMPACT) : NULL;
	cli_printf(
	    "release \"%s\" rolled back to revision %s: spec.template now holds that revision's "
	    "template (images %s)\n",
	    name, rev, img ? img : "?");
	free(img);
	json_decref(imgs);
	cli_fprintf(
	    stderr,
	    "warning: this changed the Release's spec in the cluster only; a GitOps tool "
	    "(Argo CD, Flux) syncing this Release will put back what Git says: change Git too\n");
	return 0;
}

/* Rolls rel back to target (a ReplicaSet of pick_target, or NULL). */
static int undo_to(struct cli *c, const json_t *rel, const json_t *target, const char *name,
                   const char *to)
{
	if (!target) {
		if (to)
			cli_errorf(
			    c,
			    "release \"%s\" has no ReplicaSet of revision %s (see '%s history %s')",
			    name, to, c->prog, name);
		else
			cli_errorf(c, "release \"%s\" has no earlier revision to go back to", name);
		return CLI_EXIT_FAIL;
	}
	const char *cur =
	    json_string_value(json_object_get(json_object_get(rel, "status"), "currentRevision"));
	const char *rev = model_revision_of(target);
	if (cur && strcmp(rev, cur) == 0) {
		cli_printf("release \"%s\" is already at revision %s: nothing to undo\n", name,
		           rev);
		return 0;
	}
	json_t *tmpl = NULL;
	if (recover_template(c, target, rev, &tmpl) < 0)
		return CLI_EXIT_FAIL;
	int r = apply_template(c, rel, name, rev, tmpl);
	json_decref(tmpl);
	return r;
}

int cmd_undo(struct cli *c, int argc, char **argv)
{
	const char *name = NULL, *to = NULL;
	const struct cli_flag flags[] = {{"to-revision", 0, true, &to, NULL}, {0}};
	int r = cli_one_name(c, argc, argv, flags, &name);
	if (r)
		return r;
	if (cli_connect(c) < 0)
		return CLI_EXIT_FAIL;
	json_t *rel = NULL, *rs = NULL;
	if (cli_fetch_release(c, name, &rel, &rs, NULL) < 0)
		return CLI_EXIT_FAIL;
	r = undo_to(c, rel, pick_target(rel, cli_items_of(rs), to), name, to);
	json_decref(rel);
	json_decref(rs);
	return r;
}
