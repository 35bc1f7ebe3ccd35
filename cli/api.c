/* Connecting to the cluster and blocking API calls with one-line errors. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/escape.h"
#include "cli/yamlout.h"
#include "kubeclient/apierror.h"
#include "kubeclient/rest.h"
#include "model/api.h"

void cli_errorf(const struct cli *c, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "%s: ", c->prog);
	va_start(ap, fmt);
	cli_vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int cli_usage_error(const struct cli *c, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "%s: ", c->prog);
	va_start(ap, fmt);
	cli_vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see '%s %s --help')\n", c->prog, c->cmd ? c->cmd->name : "");
	return CLI_EXIT_USAGE;
}

int cli_connect(struct cli *c)
{
	struct kc_error err = {0};
	struct kc_load_options lo = {
	    .kubeconfig = c->kubeconfig, .context = c->context, .namespace = c->namespace};
	int r = kc_config_load(&lo, &c->cfg, &err);
	if (r < 0) {
		cli_errorf(c, "cannot load kubeconfig: %s", err.message);
		kc_error_clear(&err);
		return r;
	}
	c->ns = c->cfg->namespace;
	c->loop = ev_loop_new(EVFLAG_AUTO);
	if (!c->loop) {
		cli_errorf(c, "cannot create an event loop");
		return -ENOMEM;
	}
	/* A person is waiting: fail within seconds when the server is away,
	 * rather than after the controller's long retry schedule. */
	struct kc_client_options co = {
	    .timeout = 20,
	    .max_retries = 2,
	    .backoff = {.initial = 0.3, .max = 2, .factor = 2, .jitter = 0.2},
	    .user_agent = "kubectl-slipway",
	};
	r = kc_client_new(c->loop, c->cfg, &co, &c->client, &err);
	if (r < 0) {
		cli_errorf(c, "cannot create the API client: %s", err.message);
		kc_error_clear(&err);
		return r;
	}
	return 0;
}

void cli_disconnect(struct cli *c)
{
	c->client = kc_client_free(c->client);
	if (c->loop)
		ev_loop_destroy(c->loop);
	c->loop = NULL;
	c->cfg = kc_config_free(c->cfg);
}

struct kc_ref cli_release_ref(const char *ns, const char *name)
{
	return (struct kc_ref){.group = model_release_gvk.group,
	                       .version = model_release_gvk.version,
	                       .resource = model_release_gvk.resource,
	                       .ns = ns,
	                       .name = name};
}

/* "releases.slipway.dev" or "pods/eviction" as RBAC names them. */
static void resource_name(const struct kc_ref *ref, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s%s%s%s%s", ref->resource, ref->subresource ? "/" : "",
	         ref->subresource ? ref->subresource : "", ref->group && *ref->group ? "." : "",
	         ref->group && *ref->group ? ref->group : "");
}

/* The singular kind-ish word for "release "web" not found". */
static void singular(const struct kc_ref *ref, char *buf, size_t cap)
{
	size_t n = strlen(ref->resource);
	if (n > 1 && ref->resource[n - 1] == 's')
		n--;
	snprintf(buf, cap, "%.*s", (int)n, ref->resource);
}

void cli_report_api_error(const struct cli *c, const char *verb, const struct kc_ref *ref,
                          const struct kc_error *err)
{
	char res[160], one[80], where[300] = "";
	resource_name(ref, res, sizeof(res));
	if (ref->ns)
		snprintf(where, sizeof(where), " in namespace \"%s\"", ref->ns);
	else
		snprintf(where, sizeof(where), " in any namespace");
	if (err->http_status == 0 && err->code != -EINVAL && err->code != -ENOMEM &&
	    err->code != -E2BIG) {
		cli_errorf(c, "cannot reach the cluster at %s (context \"%s\"): %s",
		           c->cfg ? c->cfg->server : "?", c->cfg ? c->cfg->context : "?",
		           err->message);
	} else if (kc_is_not_found(err) && ref->name && !ref->subresource) {
		singular(ref, one, sizeof(one));
		cli_errorf(c, "%s \"%s\" not found%s", one, ref->name, where);
	} else if (kc_is_not_found(err)) {
		cli_errorf(c, "the server does not serve %s%s (is the Slipway CRD installed?)", res,
		           where);
	} else if (kc_is_forbidden(err)) {
		cli_errorf(c, "forbidden: you may not %s %s%s%s%s%s", verb, res,
		           ref->name ? " \"" : "", ref->name ? ref->name : "",
		           ref->name ? "\"" : "", where);
	} else if (err->http_status == 401) {
		cli_errorf(c,
		           "unauthorized: the cluster at %s did not accept the credentials of "
		           "context \"%s\"",
		           c->cfg ? c->cfg->server : "?", c->cfg ? c->cfg->context : "?");
	} else if (kc_is_conflict(err) ||
	           (strcmp(verb, "patch") == 0 && err->http_status == 422 && err->status &&
	            strstr(err->message, "rejected our request"))) {
		/* 422 here is a JSON patch's failed "test": the spec moved on. */
		singular(ref, one, sizeof(one));
		cli_errorf(c, "%s \"%s\" changed while this command ran; run it again", one,
		           ref->name ? ref->name : "?");
	} else {
		cli_errorf(c, "%s", err->message);
	}
}

bool cli_api_refused(const struct kc_error *err)
{
	return err &&
	       (err->http_status == 401 || err->http_status == 403 || err->http_status == 404);
}

/* What an answer other than success may still count as: none, a 404 (the
 * object is missing), or any refusal that will not heal (cli_api_refused). */
enum tolerated { TOLERATE_NONE, TOLERATE_MISSING, TOLERATE_REFUSED };

/* Waits for the request that was started with result rc and hands its
 * answer to *ret (caller owns it; ret may be NULL). A tolerated error is an
 * answer, NULL, and its HTTP status goes to *refused (refused may be NULL). */
static int call(struct cli *c, const char *verb, const struct kc_ref *ref, int rc,
                struct kc_sync *s, struct kc_error *err, enum tolerated t, json_t **ret,
                int *refused)
{
	json_t *body = NULL;
	if (refused)
		*refused = 0;
	if (rc == 0)
		rc = kc_sync_wait(c->client, s, &body, err);
	if (rc < 0 && ((t == TOLERATE_MISSING && kc_is_not_found(err)) ||
	               (t == TOLERATE_REFUSED && cli_api_refused(err)))) {
		if (refused)
			*refused = (int)err->http_status;
		kc_error_clear(err);
		rc = 0;
	}
	if (rc < 0) {
		cli_report_api_error(c, verb, ref, err);
		kc_error_clear(err);
		return rc;
	}
	if (ret)
		*ret = body;
	else
		json_decref(body);
	return 0;
}

int cli_api_get(struct cli *c, const struct kc_ref *ref, json_t **ret)
{
	struct kc_sync s = {0};
	struct kc_error err = {0};
	int rc = kc_get(c->client, ref, NULL, kc_sync_done, &s, NULL, &err);
	return call(c, "get", ref, rc, &s, &err, TOLERATE_NONE, ret, NULL);
}

int cli_api_get_optional(struct cli *c, const struct kc_ref *ref, json_t **ret)
{
	struct kc_sync s = {0};
	struct kc_error err = {0};
	int rc = kc_get(c->client, ref, NULL, kc_sync_done, &s, NULL, &err);
	return call(c, "get", ref, rc, &s, &err, TOLERATE_MISSING, ret, NULL);
}

/* A LIST of every page; refused non-NULL: a refusal is an answer. */
static int list(struct cli *c, const struct kc_ref *ref, const char *label_selector, json_t **ret,
                int *refused)
{
	struct kc_sync s = {0};
	struct kc_error err = {0};
	struct kc_query q = {.label_selector = label_selector};
	int rc = kc_list_all(c->client, ref, &q, kc_sync_done, &s, NULL, &err);
	return call(c, "list", ref, rc, &s, &err, refused ? TOLERATE_REFUSED : TOLERATE_NONE, ret,
	            refused);
}

int cli_api_list(struct cli *c, const struct kc_ref *ref, const char *label_selector, json_t **ret)
{
	return list(c, ref, label_selector, ret, NULL);
}

/* Caller owns *ret. */
int cli_api_list_or_refused(struct cli *c, const struct kc_ref *ref, const char *label_selector,
                            json_t **ret, int *refused)
{
	*ret = NULL;
	return list(c, ref, label_selector, ret, refused);
}

int cli_api_patch(struct cli *c, const struct kc_ref *ref, int patch_type, json_t *patch,
                  json_t **ret)
{
	struct kc_sync s = {0};
	struct kc_error err = {0};
	int rc = kc_patch(c->client, ref, NULL, (enum kc_patch_type)patch_type, patch, kc_sync_done,
	                  &s, NULL, &err);
	return call(c, "patch", ref, rc, &s, &err, TOLERATE_NONE, ret, NULL);
}

int cli_api_create(struct cli *c, const struct kc_ref *ref, json_t *obj, json_t **ret)
{
	struct kc_sync s = {0};
	struct kc_error err = {0};
	int rc = kc_create(c->client, ref, NULL, obj, kc_sync_done, &s, NULL, &err);
	return call(c, "create", ref, rc, &s, &err, TOLERATE_NONE, ret, NULL);
}

int cli_print_object(enum cli_output how, const json_t *obj)
{
	if (how == CLI_OUTPUT_YAML)
		return cli_yaml_write(stdout, obj);
	char *text = json_dumps(obj, JSON_INDENT(4) | JSON_ENCODE_ANY);
	if (!text)
		return -ENOMEM;
	int r = cli_write_json_text(stdout, text);
	free(text);
	if (r == 0 && fputc('\n', stdout) == EOF)
		r = -EIO;
	return r;
}
