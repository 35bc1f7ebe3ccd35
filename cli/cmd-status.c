/* `status`: wait for a rollout to end, for pipelines. Exit codes in
 * cli/commands.h (CLI_STATUS_*). */
#include <stdio.h>

#include "cli/commands.h"
#include "cli/escape.h"
#include "cli/flags.h"
#include "cli/live.h"
#include "cli/view.h"

struct status_wait {
	struct cli_live live;
	const char *timeout_text;
	char last_line[1024];
};

/* The exit code a final health means, or -1 while the rollout goes on. */
static int health_exit(enum cli_health h)
{
	switch (h) {
	case CLI_HEALTH_HEALTHY:
		return CLI_STATUS_HEALTHY;
	case CLI_HEALTH_DEGRADED:
	case CLI_HEALTH_STALLED:
		return CLI_STATUS_FAILED;
	default:
		return -1;
	}
}

/* One line per change of the Release's state; stops on a final one. */
static void on_change(struct cli_live *l, void *userdata)
{
	struct status_wait *s = userdata;
	const json_t *rel = cli_live_release(l);
	if (!rel)
		return;
	enum cli_health h =
	    cli_print_health_change(stdout, rel, s->last_line, sizeof(s->last_line));
	int code = health_exit(h);
	if (code >= 0)
		cli_live_stop(l, code);
}

static void on_deadline(struct cli_live *l, void *userdata)
{
	struct status_wait *s = userdata;
	cli_errorf(l->c, "timed out after %s waiting for the rollout", s->timeout_text);
	cli_live_stop(l, CLI_STATUS_TIMEOUT);
}

int cmd_status(struct cli *c, int argc, char **argv)
{
	const char *name = NULL, *timeout = NULL;
	bool watch = true;
	double timeout_s = 0;
	const struct cli_flag flags[] = {
	    {"watch", 'w', false, NULL, &watch}, {"timeout", 0, true, &timeout, NULL}, {0}};
	if (cli_one_name(c, argc, argv, flags, &name) != 0)
		return CLI_STATUS_UNKNOWN;
	if (timeout && cli_parse_timeout(c, timeout, true, &timeout_s) != 0)
		return CLI_STATUS_UNKNOWN;
	if (cli_connect(c) < 0)
		return CLI_STATUS_UNKNOWN;
	json_t *rel = NULL;
	struct kc_ref ref = cli_release_ref(c->ns, name);
	if (cli_api_get(c, &ref, &rel) < 0)
		return CLI_STATUS_UNKNOWN;
	struct status_wait s = {.timeout_text = timeout};
	enum cli_health h = cli_release_health(rel, s.last_line, sizeof(s.last_line));
	json_decref(rel);
	cli_printf("%s\n", s.last_line);
	fflush(stdout);
	int code = health_exit(h);
	if (!watch || code >= 0)
		return code >= 0 ? code : CLI_STATUS_TIMEOUT;
	cli_live_init(&s.live, c, CLI_STATUS_UNKNOWN, on_change, &s);
	if (timeout_s > 0)
		cli_live_set_deadline(&s.live, timeout_s, on_deadline);
	if (cli_live_watch_release(&s.live, name) < 0) {
		cli_live_free(&s.live);
		return CLI_STATUS_UNKNOWN;
	}
	return cli_live_run(&s.live);
}
