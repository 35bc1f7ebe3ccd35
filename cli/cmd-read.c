/* The commands that only read: list, get (and get --watch), history. */
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "cli/analysis-view.h"
#include "cli/commands.h"
#include "cli/escape.h"
#include "cli/flags.h"
#include "cli/frame.h"
#include "cli/live.h"
#include "cli/owned.h"
#include "cli/view.h"

/* Pods change in bursts: draw once they settle a little. */
#define SETTLE_SECONDS 0.15
/* On a terminal, redraw now and then so ages stay true between changes. */
#define REFRESH_SECONDS 5.0

int cmd_list(struct cli *c, int argc, char **argv)
{
	char *pos[1];
	int n;
	int r = cli_parse_flags(c, argc, argv, NULL, pos, 0, &n);
	if (r)
		return r;
	if (cli_connect(c) < 0)
		return CLI_EXIT_FAIL;
	struct kc_ref ref = cli_release_ref(c->all_namespaces ? NULL : c->ns, NULL);
	json_t *list = NULL;
	if (cli_api_list(c, &ref, NULL, &list) < 0)
		return CLI_EXIT_FAIL;
	if (c->output != CLI_OUTPUT_TEXT) {
		r = cli_print_object(c->output, list) < 0 ? CLI_EXIT_FAIL : 0;
	} else if (json_array_size(cli_items_of(list)) == 0) {
		if (c->all_namespaces)
			fprintf(stderr, "No Releases found.\n");
		else
			cli_fprintf(stderr, "No Releases found in namespace %s.\n", c->ns);
	} else {
		cli_view_list(stdout, cli_items_of(list), c->all_namespaces, time(NULL));
	}
	json_decref(list);
	return r;
}

/* ---- get --watch ------------------------------------------------------ */

struct get_watch {
	struct cli_live live;
	struct cli_frame frame;
	ev_timer settle, refresh;
};

static void draw(struct get_watch *g)
{
	struct cli_live *l = &g->live;
	if (!cli_live_synced(l))
		return;
	json_t *rel = cli_live_release(l);
	if (!rel)
		return;
	json_t *rs = cli_live_values(l, CLI_LIVE_REPLICASETS);
	json_t *pods = cli_live_values(l, CLI_LIVE_PODS);
	json_t *items = cli_live_values(l, CLI_LIVE_RUNS);
	struct cli_view_runs runs = {.items = items, .refused = l->runs_refused};
	cli_frame_draw(&g->frame, cli_view_release(rel, rs, pods, &runs, time(NULL)));
	json_decref(items);
	json_decref(rs);
	json_decref(pods);
}

static void on_timer(struct ev_loop *loop, ev_timer *t, int revents)
{
	(void)loop;
	(void)revents;
	draw(t->data);
}

static void on_live_change(struct cli_live *l, void *userdata)
{
	struct get_watch *g = userdata;
	if (!ev_is_active(&g->settle)) {
		ev_timer_set(&g->settle, SETTLE_SECONDS, 0.);
		ev_timer_start(l->c->loop, &g->settle);
	}
}

static int get_watch(struct cli *c, const json_t *rel, const char *name)
{
	struct get_watch g = {.frame = {.tty = isatty(STDOUT_FILENO)}};
	cli_live_init(&g.live, c, CLI_EXIT_FAIL, on_live_change, &g);
	g.live.exit_code = 0; /* Ctrl-C is how a watch ends */
	ev_timer_init(&g.settle, on_timer, SETTLE_SECONDS, 0.);
	ev_timer_init(&g.refresh, on_timer, REFRESH_SECONDS, REFRESH_SECONDS);
	g.settle.data = g.refresh.data = &g;
	if (g.frame.tty)
		ev_timer_start(c->loop, &g.refresh);
	char *sel = cli_owned_selector(rel, NULL);
	char *runs = cli_analysis_selector(name);
	int code = CLI_EXIT_FAIL;
	if (sel && runs && cli_live_watch_release(&g.live, name) == 0 &&
	    cli_live_watch_owned(&g.live, sel) == 0 && cli_live_watch_runs(&g.live, runs) == 0)
		code = cli_live_run(&g.live);
	else
		cli_live_free(&g.live);
	free(runs);
	free(sel);
	ev_timer_stop(c->loop, &g.settle);
	ev_timer_stop(c->loop, &g.refresh);
	cli_frame_clear(&g.frame);
	return code;
}

/* ---- get, history ----------------------------------------------------- */

/* The tree view of rel with its ReplicaSets, pods and AnalysisRuns, once. */
static int get_once(struct cli *c, const char *name, const json_t *rel, json_t *rs, json_t *pods)
{
	json_t *list = NULL;
	struct cli_view_runs runs = {0};
	if (cli_fetch_runs(c, name, &list, &runs.refused) < 0)
		return CLI_EXIT_FAIL;
	runs.items = list ? cli_items_of(list) : NULL;
	char *view = cli_view_release(rel, cli_items_of(rs), cli_items_of(pods), &runs, time(NULL));
	json_decref(list);
	if (!view)
		return CLI_EXIT_FAIL;
	fputs(view, stdout); /* escaped by cli_view_release */
	free(view);
	return 0;
}

int cmd_get(struct cli *c, int argc, char **argv)
{
	const char *name = NULL;
	bool watch = false;
	const struct cli_flag flags[] = {{"watch", 'w', false, NULL, &watch}, {0}};
	int r = cli_one_name(c, argc, argv, flags, &name);
	if (r)
		return r;
	if (watch && c->output != CLI_OUTPUT_TEXT)
		return cli_usage_error(c, "--watch draws the tree; it does not go with -o");
	if (cli_connect(c) < 0)
		return CLI_EXIT_FAIL;
	json_t *rel = NULL, *rs = NULL, *pods = NULL;
	bool text = c->output == CLI_OUTPUT_TEXT;
	if (cli_fetch_release(c, name, &rel, text ? &rs : NULL, text ? &pods : NULL) < 0)
		return CLI_EXIT_FAIL;
	if (!text)
		r = cli_print_object(c->output, rel) < 0 ? CLI_EXIT_FAIL : 0;
	else if (watch)
		r = get_watch(c, rel, name);
	else
		r = get_once(c, name, rel, rs, pods);
	json_decref(rel);
	json_decref(rs);
	json_decref(pods);
	return r;
}

int cmd_history(struct cli *c, int argc, char **argv)
{
	const char *name = NULL;
	int r = cli_one_name(c, argc, argv, NULL, &name);
	if (r)
		return r;
	if (cli_connect(c) < 0)
		return CLI_EXIT_FAIL;
	json_t *rel = NULL, *rs = NULL;
	if (cli_fetch_release(c, name, &rel, &rs, NULL) < 0)
		return CLI_EXIT_FAIL;
	if (c->output != CLI_OUTPUT_TEXT) {
		json_t *h = json_object_get(json_object_get(rel, "status"), "history");
		json_t *empty = json_array();
		r = cli_print_object(c->output, h ? h : empty) < 0 ? CLI_EXIT_FAIL : 0;
		json_decref(empty);
	} else {
		cli_view_history(stdout, rel, cli_items_of(rs));
	}
	json_decref(rel);
	json_decref(rs);
	return r;
}
