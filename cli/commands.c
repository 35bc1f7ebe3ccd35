/* The commands: each gets its arguments, talks to the cluster through
 * cli_api_* (which print the error line) and returns the exit code. */
#include "cli/commands.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "cli/lint.h"
#include "cli/template.h"
#include "cli/view.h"
#include "kubeclient/apierror.h"
#include "kubeclient/rest.h"
#include "kubeclient/watch.h"
#include "model/duration.h"
#include "model/labels.h"
#include "model/release.h"
#include "model/revision.h"
#include "slipway-version.h"

int cli_parse_flags(struct cli *c, int argc, char **argv, const struct cli_flag *flags, char **pos,
                    int cap, int *npos)
{
	int n = 0;
	bool only_pos = false;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		if (only_pos || a[0] != '-' || strcmp(a, "-") == 0) {
			if (n >= cap)
				return cli_usage_error(c, "unexpected argument '%s'", a);
			pos[n++] = argv[i];
			continue;
		}
		if (strcmp(a, "--") == 0) {
			only_pos = true;
			continue;
		}
		const struct cli_flag *f = NULL;
		const char *inline_value = NULL;
		size_t nlen = 0;
		if (a[1] == '-') {
			const char *eq = strchr(a + 2, '=');
			nlen = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
			inline_value = eq ? eq + 1 : NULL;
			for (const struct cli_flag *g = flags; g && g->name; g++)
				if (strlen(g->name) == nlen && strncmp(g->name, a + 2, nlen) == 0)
					f = g;
		} else {
			for (const struct cli_flag *g = flags; g && g->name; g++)
				if (g->short_name && g->short_name == a[1])
					f = g;
			if (f && a[2])
				inline_value = a + 2;
		}
		if (!f)
			return cli_usage_error(c, "unknown flag '%s'", a);
		if (f->takes_value) {
			if (!inline_value) {
				if (i + 1 >= argc)
					return cli_usage_error(c, "flag '%s' needs a value", a);
				inline_value = argv[++i];
			}
			*f->value = inline_value;
		} else if (!inline_value || strcmp(inline_value, "true") == 0) {
			*f->on = true;
		} else if (strcmp(inline_value, "false") == 0) {
			*f->on = false;
		} else {
			return cli_usage_error(c, "flag '--%s' takes true or false", f->name);
		}
	}
	*npos = n;
	return 0;
}

/* One NAME argument and the given flags. */
static int one_name(struct cli *c, int argc, char **argv, const struct cli_flag *flags,
                    const char **name)
{
	char *pos[1];
	int n;
	int r = cli_parse_flags(c, argc, argv, flags, pos, 1, &n);
	if (r)
		return r;
	if (n != 1)
		return cli_usage_error(c, "expected one Release NAME");
	*name = pos[0];
	return 0;
}

static int connect_or_fail(struct cli *c)
{
	return cli_connect(c) < 0 ? CLI_EXIT_FAIL : 0;
}

static struct kc_ref rs_ref(const char *ns, const char *name)
{
	return (struct kc_ref){
	    .group = "apps", .version = "v1", .resource = "replicasets", .ns = ns, .name = name};
}

static struct kc_ref pod_ref(const char *ns, const char *name)
{
	return (struct kc_ref){.version = "v1", .resource = "pods", .ns = ns, .name = name};
}

/* "app=web,slipway.dev/revision" from spec.selector.matchLabels, so lists
 * return this Release's ReplicaSets and pods (and maybe a few more, which
 * the ownerReferences then sort out). Caller frees; NULL on error. */
static char *owned_selector(const json_t *release, const char *revision)
{
	struct model_labels l = {0};
	const json_t *ml = json_object_get(
	    json_object_get(json_object_get(release, "spec"), "selector"), "matchLabels");
	if (model_labels_from_json(ml, "spec.selector.matchLabels", &l, NULL) < 0)
		return NULL;
	char *sel = model_labels_selector_string(&l);
	model_labels_clear(&l);
	if (!sel)
		return NULL;
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	if (!f) {
		free(sel);
		return NULL;
	}
	if (revision)
		fprintf(f, "%s,%s=%s", sel, MODEL_LABEL_REVISION, revision);
	else
		fprintf(f, "%s,%s", sel, MODEL_LABEL_REVISION);
	free(sel);
	fclose(f);
	return out;
}

/* The items of a List object (borrowed), an empty array when absent. */
static json_t *items_of(json_t *list)
{
	json_t *items = json_object_get(list, "items");
	if (!json_is_array(items)) {
		json_object_set_new(list, "items", json_array());
		items = json_object_get(list, "items");
	}
	return items;
}

/* ---- list ------------------------------------------------------------- */

int cmd_list(struct cli *c, int argc, char **argv)
{
	char *pos[1];
	int n;
	int r = cli_parse_flags(c, argc, argv, NULL, pos, 0, &n);
	if (r)
		return r;
	if ((r = connect_or_fail(c)))
		return r;
	struct kc_ref ref = cli_release_ref(c->all_namespaces ? NULL : c->ns, NULL);
	json_t *list = NULL;
	if (cli_api_list(c, &ref, NULL, &list) < 0)
		return CLI_EXIT_FAIL;
	if (c->output != CLI_OUTPUT_TEXT) {
		r = cli_print_object(c->output, list) < 0 ? CLI_EXIT_FAIL : 0;
	} else if (json_array_size(items_of(list)) == 0) {
		if (c->all_namespaces)
			fprintf(stderr, "No Releases found.\n");
		else
			fprintf(stderr, "No Releases found in namespace %s.\n", c->ns);
	} else {
		cli_view_list(stdout, items_of(list), c->all_namespaces, time(NULL));
	}
	json_decref(list);
	return r;
}

/* ---- get -------------------------------------------------------------- */

/* The Release and, when want_children, its ReplicaSets and pods (items
 * arrays, owned by the caller). */
static int fetch_all(struct cli *c, const char *name, json_t **rel, json_t **rs_list,
                     json_t **pod_list)
{
	struct kc_ref ref = cli_release_ref(c->ns, name);
	if (cli_api_get(c, &ref, rel) < 0)
		return -1;
	if (!rs_list)
		return 0;
	char *sel = owned_selector(*rel, NULL);
	struct kc_ref rr = rs_ref(c->ns, NULL), pr = pod_ref(c->ns, NULL);
	if (!sel || cli_api_list(c, &rr, sel, rs_list) < 0) {
		free(sel);
		json_decref(*rel);
		*rel = NULL;
		return -1;
	}
	if (pod_list && cli_api_list(c, &pr, sel, pod_list) < 0) {
		free(sel);
		json_decref(*rs_list);
		json_decref(*rel);
		*rel = NULL;
		return -1;
	}
	free(sel);
	return 0;
}

/* get --watch: three watches (the Release, its ReplicaSets, their pods),
 * each kept as an object of uid -> object, rendered after changes settle. */
struct live {
	struct cli *c;
	json_t *objs[3]; /* release(s), replicasets, pods: uid -> object */
	struct kc_watch *w[3];
	bool synced[3];
	ev_timer render;
	ev_signal sigint;
	bool tty;
	size_t lines_shown;
	char *last;
	int exit_code;
	bool done;
	/* status */
	bool status_mode;
	char last_line[1024];
	ev_timer deadline;
	const char *timeout_text;
};

static json_t *values_of(json_t *map)
{
	json_t *a = json_array();
	const char *k;
	json_t *v;
	json_object_foreach(map, k, v)
	{
		json_array_append(a, v);
	}
	return a;
}

static const char *uid_of(const json_t *o)
{
	return json_string_value(json_object_get(json_object_get(o, "metadata"), "uid"));
}

/* Ends the loop of get --watch or status with `code` as the exit status. */
static void live_stop(struct live *l, int code)
{
	l->exit_code = code;
	l->done = true;
	ev_break(l->c->loop, EVBREAK_ALL);
}

/* The watched Release, or NULL when it was deleted: then the loop is
 * stopped with `gone_code`. Borrowed from l. */
static json_t *live_release(struct live *l, int gone_code)
{
	const char *k;
	json_t *rel = NULL, *v;
	json_object_foreach(l->objs[0], k, v)
	{
		rel = v;
	}
	if (!rel) {
		cli_errorf(l->c, "release was deleted");
		live_stop(l, gone_code);
	}
	return rel;
}

/* Terminal width from the tty, else $COLUMNS, else 0 (no cut). */
static size_t tty_width(void);
static void live_free(struct live *l);

/* Prints text, each line cut to width display columns (UTF-8 aware) so a
 * redraw can count the lines it has to move up over. Returns lines printed. */
static size_t print_cut(const char *text, size_t width)
{
	size_t lines = 0;
	const char *p = text;
	while (*p) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		size_t cols = 0, i = 0;
		while (i < len && (width == 0 || cols < width)) {
			size_t step = 1;
			unsigned char b = (unsigned char)p[i];
			if (b >= 0xf0)
				step = 4;
			else if (b >= 0xe0)
				step = 3;
			else if (b >= 0xc0)
				step = 2;
			if (i + step > len)
				break;
			i += step;
			cols++;
		}
		fwrite(p, 1, i, stdout);
		fputs("\033[K\n", stdout);
		lines++;
		p += len + (eol ? 1 : 0);
	}
	return lines;
}

static void render(struct live *l)
{
	if (!l->synced[0] || !l->synced[1] || !l->synced[2])
		return;
	json_t *rel = live_release(l, CLI_EXIT_FAIL);
	if (!rel)
		return;
	json_t *rs = values_of(l->objs[1]), *pods = values_of(l->objs[2]);
	char *text = cli_view_release(rel, rs, pods, time(NULL));
	json_decref(rs);
	json_decref(pods);
	if (!text)
		return;
	if (l->last && strcmp(text, l->last) == 0) {
		free(text);
		return;
	}
	if (l->tty) {
		/* Back to the top of the previous frame, then overwrite it. */
		if (l->lines_shown > 0)
			printf("\033[%zuA\r", l->lines_shown);
		l->lines_shown = print_cut(text, tty_width());
		fputs("\033[J", stdout);
	} else {
		if (l->last)
			fputs("\n", stdout);
		fputs(text, stdout);
	}
	fflush(stdout);
	free(l->last);
	l->last = text;
}

static void status_check(struct live *l);

static void on_render(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct live *l = t->data;
	render(l);
}

static void on_change(struct kc_watch *w, enum kc_watch_change change, json_t *obj, void *userdata)
{
	struct live *l = userdata;
	int i = w == l->w[0] ? 0 : w == l->w[1] ? 1 : 2;
	if (change == KC_WATCH_REPLACE) {
		json_object_clear(l->objs[i]);
		size_t j;
		json_t *o;
		json_array_foreach(obj, j, o)
		{
			if (uid_of(o))
				json_object_set(l->objs[i], uid_of(o), o);
		}
		l->synced[i] = true;
	} else if (uid_of(obj)) {
		if (change == KC_WATCH_DELETED)
			json_object_del(l->objs[i], uid_of(obj));
		else
			json_object_set(l->objs[i], uid_of(obj), obj);
	}
	if (l->status_mode) {
		status_check(l);
		return;
	}
	/* Pods change in bursts: draw once they settle a little. */
	if (!ev_is_active(&l->render)) {
		ev_timer_set(&l->render, 0.15, 0.);
		ev_timer_start(l->c->loop, &l->render);
	}
}

static void on_watch_error(struct kc_watch *w, enum kc_watch_input what, const struct kc_error *err,
                           void *userdata)
{
	struct live *l = userdata;
	/* Forbidden or gone CRD will not heal: say so and stop. Other errors
	 * (a dropped connection) the watch retries by itself. */
	if (err &&
	    (err->http_status == 403 || err->http_status == 404 || err->http_status == 401)) {
		struct kc_ref ref = w == l->w[0]   ? cli_release_ref(l->c->ns, NULL)
		                    : w == l->w[1] ? rs_ref(l->c->ns, NULL)
		                                   : pod_ref(l->c->ns, NULL);
		cli_report_api_error(l->c, "watch", &ref, err);
		live_stop(l, l->status_mode ? CLI_STATUS_UNKNOWN : CLI_EXIT_FAIL);
	}
}

static void on_sigint(struct ev_loop *loop, ev_signal *s, int revents)
{
	struct live *l = s->data;
	live_stop(l, l->exit_code);
}

static int start_watch(struct live *l, int i, const struct kc_ref *ref, const char *label,
                       const char *field)
{
	struct kc_error err = {0};
	struct kc_watch_options wo = {
	    .group = ref->group,
	    .version = ref->version,
	    .resource = ref->resource,
	    .ns = ref->ns,
	    .label_selector = label,
	    .field_selector = field,
	    .on_change = on_change,
	    .on_error = on_watch_error,
	    .userdata = l,
	};
	if (kc_watch_new(l->c->client, &wo, &l->w[i], &err) < 0) {
		cli_errorf(l->c, "cannot watch %s: %s", ref->resource, err.message);
		kc_error_clear(&err);
		return -1;
	}
	return kc_watch_start(l->w[i]) < 0 ? -1 : 0;
}

/* Empty stores, and Ctrl-C ends the loop; l->c is set. The caller sets
 * up its timers. */
static void live_init(struct live *l)
{
	for (int i = 0; i < 3; i++)
		l->objs[i] = json_object();
	ev_signal_init(&l->sigint, on_sigint, SIGINT);
	l->sigint.data = l;
	ev_signal_start(l->c->loop, &l->sigint);
}

/* Watch 0: the Release called `name`. */
static int start_release_watch(struct live *l, const char *name)
{
	char field[300];
	snprintf(field, sizeof(field), "metadata.name=%s", name);
	struct kc_ref ref = cli_release_ref(l->c->ns, NULL);
	return start_watch(l, 0, &ref, NULL, field);
}

static void live_free(struct live *l)
{
	for (int i = 0; i < 3; i++) {
		l->w[i] = kc_watch_free(l->w[i]);
		json_decref(l->objs[i]);
	}
	if (l->c->loop) {
		ev_timer_stop(l->c->loop, &l->render);
		ev_timer_stop(l->c->loop, &l->deadline);
		ev_signal_stop(l->c->loop, &l->sigint);
	}
	free(l->last);
}

/* Runs the loop until live_stop, frees l and returns the exit status. */
static int live_run(struct live *l)
{
	while (!l->done)
		ev_run(l->c->loop, EVRUN_ONCE);
	int code = l->exit_code;
	live_free(l);
	return code;
}

static size_t term_width(void)
{
	const char *cols = getenv("COLUMNS");
	if (cols && *cols) {
		long v = strtol(cols, NULL, 10);
		if (v > 0 && v < 10000)
			return (size_t)v;
	}
	return 0;
}

static size_t tty_width(void)
{
	struct winsize ws;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	return term_width();
}

static int get_watch(struct cli *c, const json_t *rel, const char *name)
{
	struct live l = {.c = c, .tty = isatty(STDOUT_FILENO)};
	char *sel = owned_selector(rel, NULL);
	live_init(&l);
	ev_timer_init(&l.render, on_render, 0.15, 0.);
	l.render.data = &l;
	/* On a terminal, redraw now and then so ages stay true between changes. */
	ev_timer_init(&l.deadline, on_render, 5., 5.);
	l.deadline.data = &l;
	if (l.tty)
		ev_timer_start(c->loop, &l.deadline);
	struct kc_ref r1 = rs_ref(c->ns, NULL), r2 = pod_ref(c->ns, NULL);
	if (!sel || start_release_watch(&l, name) < 0 || start_watch(&l, 1, &r1, sel, NULL) < 0 ||
	    start_watch(&l, 2, &r2, sel, NULL) < 0) {
		free(sel);
		live_free(&l);
		return CLI_EXIT_FAIL;
	}
	free(sel);
	return live_run(&l);
}

int cmd_get(struct cli *c, int argc, char **argv)
{
	const char *name = NULL;
	bool watch = false;
	const struct cli_flag flags[] = {{"watch", 'w', false, NULL, &watch}, {0}};
	int r = one_name(c, argc, argv, flags, &name);
	if (r)
		return r;
	if (watch && c->output != CLI_OUTPUT_TEXT)
		return cli_usage_error(c, "--watch draws the tree; it does not go with -o");
	if ((r = connect_or_fail(c)))
		return r;
	json_t *rel = NULL, *rs = NULL, *pods = NULL;
	bool text = c->output == CLI_OUTPUT_TEXT;
	if (fetch_all(c, name, &rel, text ? &rs : NULL, text ? &pods : NULL) < 0)
		return CLI_EXIT_FAIL;
	if (!text) {
		r = cli_print_object(c->output, rel) < 0 ? CLI_EXIT_FAIL : 0;
	} else if (watch) {
		r = get_watch(c, rel, name);
	} else {
		char *view = cli_view_release(rel, items_of(rs), items_of(pods), time(NULL));
		if (view)
			fputs(view, stdout);
		r = view ? 0 : CLI_EXIT_FAIL;
		free(view);
	}
	json_decref(rel);
	json_decref(rs);
	json_decref(pods);
	return r;
}

/* ---- status ----------------------------------------------------------- */

static int health_exit(enum cli_health h)
{
	switch (h) {
	case CLI_HEALTH_HEALTHY:
		return CLI_STATUS_HEALTHY;
	case CLI_HEALTH_DEGRADED:
	case CLI_HEALTH_STALLED:
		return CLI_STATUS_FAILED;
	default:
		return -1; /* not final */
	}
}

static void status_check(struct live *l)
{
	if (!l->synced[0])
		return;
	const json_t *rel = live_release(l, CLI_STATUS_UNKNOWN);
	if (!rel)
		return;
	char line[1024];
	enum cli_health h = cli_release_health(rel, line, sizeof(line));
	if (strcmp(line, l->last_line) != 0) {
		printf("%s\n", line);
		fflush(stdout);
		snprintf(l->last_line, sizeof(l->last_line), "%s", line);
	}
	int code = health_exit(h);
	if (code >= 0)
		live_stop(l, code);
}

static void on_deadline(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct live *l = t->data;
	cli_errorf(l->c, "timed out after %s waiting for the rollout", l->timeout_text);
	live_stop(l, CLI_STATUS_TIMEOUT);
}

int cmd_status(struct cli *c, int argc, char **argv)
{
	const char *name = NULL, *timeout = NULL;
	bool watch = true;
	const struct cli_flag flags[] = {
	    {"watch", 'w', false, NULL, &watch}, {"timeout", 0, true, &timeout, NULL}, {0}};
	int r = one_name(c, argc, argv, flags, &name);
	if (r)
		return CLI_STATUS_UNKNOWN;
	int64_t timeout_ns = 0;
	if (timeout && (model_duration_parse(timeout, &timeout_ns) < 0 || timeout_ns < 0)) {
		cli_usage_error(c, "--timeout: \"%s\" is not a duration such as 90s or 5m",
		                timeout);
		return CLI_STATUS_UNKNOWN;
	}
	if (cli_connect(c) < 0)
		return CLI_STATUS_UNKNOWN;
	json_t *rel = NULL;
	struct kc_ref ref = cli_release_ref(c->ns, name);
	if (cli_api_get(c, &ref, &rel) < 0)
		return CLI_STATUS_UNKNOWN;
	char line[1024];
	enum cli_health h = cli_release_health(rel, line, sizeof(line));
	json_decref(rel);
	int code = health_exit(h);
	if (!watch || code >= 0) {
		printf("%s\n", line);
		return code >= 0 ? code : CLI_STATUS_TIMEOUT;
	}
	struct live l = {.c = c, .status_mode = true, .timeout_text = timeout};
	snprintf(l.last_line, sizeof(l.last_line), "%s", line);
	printf("%s\n", line);
	fflush(stdout);
	live_init(&l);
	/* Never started: live_free stops it with the others. */
	ev_timer_init(&l.render, on_render, 1, 0.);
	ev_timer_init(&l.deadline, on_deadline, (double)timeout_ns / 1e9, 0.);
	l.deadline.data = &l;
	if (timeout_ns > 0)
		ev_timer_start(c->loop, &l.deadline);
	l.exit_code = CLI_STATUS_UNKNOWN;
	if (start_release_watch(&l, name) < 0) {
		live_free(&l);
		return CLI_STATUS_UNKNOWN;
	}
	return live_run(&l);
}

/* ---- history ---------------------------------------------------------- */

int cmd_history(struct cli *c, int argc, char **argv)
{
	const char *name = NULL;
	int r = one_name(c, argc, argv, NULL, &name);
	if (r)
		return r;
	if ((r = connect_or_fail(c)))
		return r;
	json_t *rel = NULL, *rs = NULL;
	if (fetch_all(c, name, &rel, &rs, NULL) < 0)
		return CLI_EXIT_FAIL;
	if (c->output != CLI_OUTPUT_TEXT) {
		json_t *h = json_object_get(json_object_get(rel, "status"), "history");
		json_t *empty = json_array();
		r = cli_print_object(c->output, h ? h : empty) < 0 ? CLI_EXIT_FAIL : 0;
		json_decref(empty);
	} else {
		cli_view_history(stdout, rel, items_of(rs));
	}
	json_decref(rel);
	json_decref(rs);
	return r;
}

/* ---- writes ----------------------------------------------------------- */

/* A JSON patch that first tests metadata.generation, so a spec write based
 * on what we read fails instead of overwriting a newer spec change. Not
 * resourceVersion: the controller's status writes move that every few
 * seconds during a rollout, and they do not touch the spec. */
static json_t *guarded_patch(const json_t *obj)
{
	json_t *gen = json_object_get(json_object_get(obj, "metadata"), "generation");
	if (!json_is_integer(gen))
		return json_array();
	return json_pack("[{s:s, s:s, s:O}]", "op", "test", "path", "/metadata/generation", "value",
	                 gen);
}

static int set_paused(struct cli *c, int argc, char **argv, bool paused)
{
	const char *name = NULL;
	int r = one_name(c, argc, argv, NULL, &name);
	if (r)
		return r;
	if ((r = connect_or_fail(c)))
		return r;
	/* A merge patch of one field needs no precondition: it is the whole
	 * intent, and idempotent. */
	json_t *patch = json_pack("{s:{s:b}}", "spec", "paused", paused);
	struct kc_ref ref = cli_release_ref(c->ns, name);
	r = cli_api_patch(c, &ref, KC_PATCH_MERGE, patch, NULL) < 0 ? CLI_EXIT_FAIL : 0;
	json_decref(patch);
	if (r == 0)
		printf("release \"%s\" %s\n", name, paused ? "paused" : "resumed");
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

int cmd_set(struct cli *c, int argc, char **argv)
{
	char *pos[34];
	int n;
	int r = cli_parse_flags(c, argc, argv, NULL, pos, 34, &n);
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
	if ((r = connect_or_fail(c)))
		return r;
	json_t *rel = NULL;
	struct kc_ref ref = cli_release_ref(c->ns, name);
	if (cli_api_get(c, &ref, &rel) < 0)
		return CLI_EXIT_FAIL;
	json_t *patch = guarded_patch(rel);
	json_t *ps =
	    json_object_get(json_object_get(json_object_get(rel, "spec"), "template"), "spec");
	for (int i = 2; i < n && r == 0; i++) {
		const char *eq = strchr(pos[i], '=');
		size_t nlen = (size_t)(eq - pos[i]);
		bool found = false;
		static const char *const lists[] = {"containers", "initContainers"};
		for (size_t k = 0; k < 2 && !found; k++) {
			size_t j;
			json_t *ct;
			json_array_foreach(json_object_get(ps, lists[k]), j, ct)
			{
				const char *cn = json_string_value(json_object_get(ct, "name"));
				if (!cn || strlen(cn) != nlen || strncmp(cn, pos[i], nlen) != 0)
					continue;
				char path[128];
				snprintf(path, sizeof(path), "/spec/template/spec/%s/%zu/image",
				         lists[k], j);
				json_array_append_new(patch,
				                      json_pack("{s:s, s:s, s:s}", "op", "add",
				                                "path", path, "value", eq + 1));
				found = true;
				break;
			}
		}
		if (!found) {
			cli_errorf(c, "release \"%s\" has no container \"%.*s\"", name, (int)nlen,
			           pos[i]);
			r = CLI_EXIT_FAIL;
		}
	}
	if (r == 0) {
		int pr = cli_api_patch(c, &ref, KC_PATCH_JSON, patch, NULL);
		r = pr < 0 ? CLI_EXIT_FAIL : 0;
	}
	if (r == 0)
		printf("release \"%s\" image updated\n", name);
	json_decref(patch);
	json_decref(rel);
	return r;
}

/* A ReplicaSet's revision label, or NULL. */
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

/* The revision to go back to: --to-revision, else the newest entry of
 * status.history other than the current revision whose ReplicaSet still
 * exists, else the old ReplicaSet last made current. */
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
		const char *g = json_string_value(
		    json_object_get(json_object_get(json_object_get(rs, "metadata"), "annotations"),
		                    "slipway.dev/generation"));
		long long gen = g ? strtoll(g, NULL, 10) : 0;
		if (gen > best_gen) {
			best = rs;
			best_gen = gen;
		}
	}
	return best;
}

int cmd_undo(struct cli *c, int argc, char **argv)
{
	const char *name = NULL, *to = NULL;
	const struct cli_flag flags[] = {{"to-revision", 0, true, &to, NULL}, {0}};
	int r = one_name(c, argc, argv, flags, &name);
	if (r)
		return r;
	if ((r = connect_or_fail(c)))
		return r;
	json_t *rel = NULL, *rs = NULL;
	if (fetch_all(c, name, &rel, &rs, NULL) < 0)
		return CLI_EXIT_FAIL;
	const json_t *st = json_object_get(rel, "status");
	const char *cur = json_string_value(json_object_get(st, "currentRevision"));
	const json_t *target = pick_target(rel, items_of(rs), to);
	json_t *tmpl = NULL, *patch = NULL;
	r = CLI_EXIT_FAIL;
	if (!target) {
		if (to)
			cli_errorf(
			    c,
			    "release \"%s\" has no ReplicaSet of revision %s (see '%s history %s')",
			    name, to, c->prog, name);
		else
			cli_errorf(c, "release \"%s\" has no earlier revision to go back to", name);
		goto out;
	}
	const char *rev = model_revision_of(target);
	if (cur && strcmp(rev, cur) == 0) {
		printf("release \"%s\" is already at revision %s: nothing to undo\n", name, rev);
		r = 0;
		goto out;
	}
	int tr = cli_template_recover(json_object_get(json_object_get(target, "spec"), "template"),
	                              rev, &tmpl);
	if (tr < 0 && tr != -ESRCH) {
		cli_errorf(c, "cannot read the template of revision %s: %s", rev, strerror(-tr));
		goto out;
	}
	if (tr == -ESRCH)
		fprintf(
		    stderr,
		    "warning: the template of revision %s could not be recovered exactly (the API "
		    "server added fields this version does not know); the rollback becomes a new "
		    "revision with the same containers\n",
		    rev);
	patch = guarded_patch(rel);
	json_array_append_new(patch, json_pack("{s:s, s:s, s:O}", "op", "replace", "path",
	                                       "/spec/template", "value", tmpl));
	struct kc_ref ref = cli_release_ref(c->ns, name);
	if (cli_api_patch(c, &ref, KC_PATCH_JSON, patch, NULL) < 0)
		goto out;
	json_t *imgs = rel_template_images(tmpl);
	char *img = imgs ? json_dumps(imgs, JSON_COMPACT) : NULL;
	printf("release \"%s\" rolled back to revision %s: spec.template now holds that revision's "
	       "template (images %s)\n",
	       name, rev, img ? img : "?");
	free(img);
	json_decref(imgs);
	fprintf(
	    stderr,
	    "warning: this changed the Release's spec in the cluster only; a GitOps tool "
	    "(Argo CD, Flux) syncing this Release will put back what Git says: change Git too\n");
	r = 0;
out:
	json_decref(patch);
	json_decref(tmpl);
	json_decref(rel);
	json_decref(rs);
	return r;
}

/* ---- restart ---------------------------------------------------------- */

static bool pod_ready(const json_t *pod)
{
	size_t i;
	json_t *cnd;
	if (json_object_get(json_object_get(pod, "metadata"), "deletionTimestamp"))
		return false;
	json_array_foreach(json_object_get(json_object_get(pod, "status"), "conditions"), i, cnd)
	{
		const char *t = json_string_value(json_object_get(cnd, "type"));
		const char *s = json_string_value(json_object_get(cnd, "status"));
		if (t && s && strcmp(t, "Ready") == 0 && strcmp(s, "True") == 0)
			return true;
	}
	return false;
}

int cmd_restart(struct cli *c, int argc, char **argv)
{
	const char *name = NULL, *timeout = "10m";
	const struct cli_flag flags[] = {{"timeout", 0, true, &timeout, NULL}, {0}};
	int r = one_name(c, argc, argv, flags, &name);
	if (r)
		return r;
	int64_t timeout_ns;
	if (model_duration_parse(timeout, &timeout_ns) < 0 || timeout_ns <= 0)
		return cli_usage_error(c, "--timeout: \"%s\" is not a duration such as 90s or 5m",
		                       timeout);
	if ((r = connect_or_fail(c)))
		return r;
	json_t *rel = NULL;
	struct kc_ref ref = cli_release_ref(c->ns, name);
	if (cli_api_get(c, &ref, &rel) < 0)
		return CLI_EXIT_FAIL;
	r = CLI_EXIT_FAIL;
	json_t *uids = json_object(), *pods = NULL;
	char *sel = NULL;
	const char *cur =
	    json_string_value(json_object_get(json_object_get(rel, "status"), "currentRevision"));
	struct rel_release *parsed = NULL;
	if (!cur) {
		cli_errorf(c, "release \"%s\" has no current revision yet: nothing to restart",
		           name);
		goto out;
	}
	if (rel_release_parse(rel, &parsed, NULL) < 0) {
		cli_errorf(c, "release \"%s\" has an invalid spec (see '%s lint')", name, c->prog);
		goto out;
	}
	/* As many pods at a time as the rollout may have unavailable. */
	int32_t surge = 0, unavailable = 1;
	if (parsed->strategy == REL_STRATEGY_ROLLING &&
	    model_resolve_fenceposts(&parsed->rolling.max_surge, &parsed->rolling.max_unavailable,
	                             parsed->replicas, &surge, &unavailable) < 0)
		unavailable = 1;
	if (unavailable < 1)
		unavailable = 1;
	sel = owned_selector(rel, cur);
	struct kc_ref pr = pod_ref(c->ns, NULL);
	if (!sel || cli_api_list(c, &pr, sel, &pods) < 0)
		goto out;
	size_t i;
	json_t *p;
	json_array_foreach(items_of(pods), i, p)
	{
		if (uid_of(p) &&
		    !json_object_get(json_object_get(p, "metadata"), "deletionTimestamp"))
			json_object_set_new(uids, uid_of(p),
			                    json_false()); /* false: not evicted yet */
	}
	size_t total = json_object_size(uids), evicted = 0;
	printf("restarting %zu pods of release \"%s\" revision %s, %d at a time\n", total, name,
	       cur, unavailable);
	fflush(stdout);
	double deadline = ev_time() + (double)timeout_ns / 1e9;
	char rs_name[320];
	snprintf(rs_name, sizeof(rs_name), "%s-%s", name, cur);
	struct kc_ref rsr = rs_ref(c->ns, rs_name);
	int32_t desired = parsed->replicas;
	for (;;) {
		/* The pods this revision should have now: its ReplicaSet's
		 * replicas, which are fewer than spec.replicas mid-rollout. */
		json_t *rs = NULL;
		if (cli_api_get(c, &rsr, &rs) < 0)
			goto out;
		json_t *want = json_object_get(json_object_get(rs, "spec"), "replicas");
		desired = json_is_integer(want) ? (int32_t)json_integer_value(want) : 1;
		json_decref(rs);
		json_decref(pods);
		pods = NULL;
		if (cli_api_list(c, &pr, sel, &pods) < 0)
			goto out;
		size_t old_left = 0;
		int32_t ready = 0;
		json_array_foreach(items_of(pods), i, p)
		{
			if (pod_ready(p))
				ready++;
			if (uid_of(p) && json_object_get(uids, uid_of(p)))
				old_left++;
		}
		if (old_left == 0 && ready >= desired)
			break;
		int32_t budget = unavailable - (desired > ready ? desired - ready : 0);
		json_array_foreach(items_of(pods), i, p)
		{
			if (budget <= 0)
				break;
			json_t *mark = uid_of(p) ? json_object_get(uids, uid_of(p)) : NULL;
			if (!mark || json_is_true(mark))
				continue;
			const char *pn = json_string_value(
			    json_object_get(json_object_get(p, "metadata"), "name"));
			struct kc_ref er = pod_ref(c->ns, pn);
			er.subresource = "eviction";
			json_t *ev = json_pack("{s:s, s:s, s:{s:s, s:s, s:s}}", "apiVersion",
			                       "policy/v1", "kind", "Eviction", "metadata", "name",
			                       pn, "namespace", c->ns, "uid", uid_of(p));
			struct kc_sync s = {0};
			struct kc_error err = {0};
			/* kc_create posts to collections; an eviction is a
			 * POST to the pod's subresource. */
			char *path = NULL;
			int er_rc = kc_path_build(&er, NULL, &path);
			struct kc_request_options ro = {.method = KC_POST,
			                                .path = path,
			                                .body = ev,
			                                .content_type = KC_CONTENT_JSON,
			                                .on_done = kc_sync_done,
			                                .userdata = &s};
			if (er_rc == 0)
				er_rc = kc_request_start(c->client, &ro, NULL, &err);
			free(path);
			if (er_rc == 0)
				er_rc = kc_sync_wait(c->client, &s, NULL, &err);
			json_decref(ev);
			if (er_rc == 0 || kc_is_not_found(&err)) {
				json_object_set_new(uids, uid_of(p), json_true());
				evicted++;
				budget--;
				printf("evicted pod %s (%zu/%zu)\n", pn, evicted, total);
				fflush(stdout);
			} else if (!kc_is_too_many_requests(&err)) {
				/* 429: a PodDisruptionBudget says not now; try again later. */
				cli_report_api_error(c, "create", &er, &err);
				kc_error_clear(&err);
				goto out;
			}
			kc_error_clear(&err);
		}
		if (ev_time() > deadline) {
			cli_errorf(c,
			           "timed out after %s restarting release \"%s\" (%zu of %zu pods "
			           "evicted)",
			           timeout, name, evicted, total);
			goto out;
		}
		ev_sleep(1.0);
	}
	printf("release \"%s\" restarted: %zu pods of revision %s replaced, %d ready\n", name,
	       total, cur, desired);
	r = 0;
out:
	rel_release_free(parsed);
	free(sel);
	json_decref(pods);
	json_decref(uids);
	json_decref(rel);
	return r;
}

/* ---- lint, version ---------------------------------------------------- */

int cmd_lint(struct cli *c, int argc, char **argv)
{
	char *pos[1];
	int n;
	/* -f may repeat: collect them by hand. */
	int nfiles = 0;
	const char *files[256];
	for (int i = 0; i < argc; i++) {
		if ((strcmp(argv[i], "-f") == 0 || strcmp(argv[i], "--filename") == 0) &&
		    i + 1 < argc) {
			if (nfiles == 256)
				return cli_usage_error(c, "at most 256 files");
			files[nfiles++] = argv[++i];
			argv[i - 1] = NULL;
			argv[i] = NULL;
		} else if (strncmp(argv[i], "--filename=", 11) == 0 ||
		           strncmp(argv[i], "-f", 2) == 0) {
			const char *v = argv[i][1] == 'f' ? argv[i] + 2 : argv[i] + 11;
			if (*v == '=')
				v++;
			if (!*v)
				return cli_usage_error(c, "-f needs a FILE");
			if (nfiles == 256)
				return cli_usage_error(c, "at most 256 files");
			files[nfiles++] = v;
			argv[i] = NULL;
		}
	}
	int m = 0;
	for (int i = 0; i < argc; i++)
		if (argv[i])
			argv[m++] = argv[i];
	int r = cli_parse_flags(c, m, argv, NULL, pos, 0, &n);
	if (r)
		return r;
	if (nfiles == 0)
		return cli_usage_error(c, "expected -f FILE (repeatable; - is standard input)");
	struct cli_lint_result res = {0};
	for (int i = 0; i < nfiles; i++) {
		if (cli_lint_file(files[i], stdout, &res) < 0) {
			cli_errorf(c, "out of memory");
			return CLI_EXIT_FAIL;
		}
	}
	if (res.problems > 0) {
		fprintf(stderr, "%zu problem%s in %zu Release%s\n", res.problems,
		        res.problems == 1 ? "" : "s", res.releases, res.releases == 1 ? "" : "s");
		return CLI_EXIT_FAIL;
	}
	if (res.releases == 0)
		fprintf(stderr, "no Release found in the given files\n");
	return 0;
}

int cmd_version(struct cli *c, int argc, char **argv)
{
	char *pos[1];
	int n;
	bool client_only = false;
	const struct cli_flag flags[] = {{"client", 0, false, NULL, &client_only}, {0}};
	int r = cli_parse_flags(c, argc, argv, flags, pos, 0, &n);
	if (r)
		return r;
	printf("client: kubectl-slipway %s\n", SLIPWAY_VERSION);
	if (client_only)
		return 0;
	fflush(stdout);
	if (cli_connect(c) < 0) {
		printf("controller: unknown (no cluster reachable)\n");
		return 0;
	}
	/* The controller publishes no version over the API. What is real: its
	 * leader-election Lease, when it runs with leader election in this
	 * namespace. */
	struct kc_ref lease = {.group = "coordination.k8s.io",
	                       .version = "v1",
	                       .resource = "leases",
	                       .ns = c->ns,
	                       .name = "slipway-controller"};
	struct kc_sync s = {0};
	struct kc_error err = {0};
	json_t *obj = NULL;
	int rc = kc_get(c->client, &lease, NULL, kc_sync_done, &s, NULL, &err);
	if (rc == 0)
		rc = kc_sync_wait(c->client, &s, &obj, &err);
	if (rc == 0) {
		const json_t *spec = json_object_get(obj, "spec");
		const char *holder = json_string_value(json_object_get(spec, "holderIdentity"));
		const char *renew = json_string_value(json_object_get(spec, "renewTime"));
		printf("controller: version unknown (it publishes none over the API); leader %s, "
		       "Lease "
		       "%s/slipway-controller renewed %s\n",
		       holder && *holder ? holder : "(none)", c->ns, renew ? renew : "never");
	} else if (err.http_status == 0) {
		printf("controller: unknown (cluster not reachable: %s)\n", err.message);
	} else {
		printf("controller: unknown (it publishes no version over the API, and no "
		       "leader-election Lease slipway-controller in namespace %s%s)\n",
		       c->ns, kc_is_forbidden(&err) ? " is readable" : "");
	}
	kc_error_clear(&err);
	json_decref(obj);
	return 0;
}
