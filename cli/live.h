/*
 * The live view behind `get --watch`, `status` and `restart`: up to four
 * watches (the Release, its ReplicaSets, their pods, its AnalysisRuns), each kept as a map of
 * uid -> object, and a loop that runs until a command's check says it is
 * done, a deadline passes, a watch is refused for good, or Ctrl-C.
 *
 * Callbacks run on the cli's loop, never inside the call that registers
 * them. A watch that drops is retried by kubeclient; 401, 403 and 404 will
 * not heal, so they print one line and stop the loop with `fatal_code`;
 * except the AnalysisRuns', which a view can do without: that watch stops
 * and `refused` holds the status.
 */
#ifndef SLIPWAY_CLI_LIVE_H
#define SLIPWAY_CLI_LIVE_H

#include <ev.h>
#include <jansson.h>
#include <stdbool.h>

#include "cli/cli.h"
#include "kubeclient/watch.h"

enum cli_live_store {
	CLI_LIVE_RELEASE = 0,
	CLI_LIVE_REPLICASETS,
	CLI_LIVE_PODS,
	CLI_LIVE_RUNS,
	CLI_LIVE_N,
};

struct cli_live;
/* A change arrived (on_change), or the deadline passed (on_deadline). */
typedef void cli_live_fn(struct cli_live *l, void *userdata);

struct cli_live {
	struct cli *c;
	json_t *objs[CLI_LIVE_N]; /* uid -> object */
	struct kc_watch *w[CLI_LIVE_N];
	bool synced[CLI_LIVE_N]; /* the first list arrived (or, for runs, it was refused) */
	int runs_refused;        /* the HTTP status that refused the runs' watch, or 0 */
	ev_signal sigint;
	ev_timer deadline;
	cli_live_fn *on_change, *on_deadline;
	void *userdata;
	int fatal_code; /* exit code when a watch is refused or the Release is deleted */
	int exit_code;  /* what cli_live_run returns; Ctrl-C keeps it (set it after init) */
	bool done;
};

/* Empty stores, Ctrl-C ends the loop with exit_code (initially fatal_code).
 * c must be connected. Every later call needs this one first. */
void cli_live_init(struct cli_live *l, struct cli *c, int fatal_code, cli_live_fn *on_change,
                   void *userdata);

/* Watches the Release `name` in c->ns. 0, or -1 (printed). */
int cli_live_watch_release(struct cli_live *l, const char *name);

/* Watches the ReplicaSets and pods matching `selector` (copied by the
 * watch) in c->ns. 0, or -1 (printed). */
int cli_live_watch_owned(struct cli_live *l, const char *selector);

/* Watches the AnalysisRuns matching `selector` (copied) in c->ns. 0, or -1
 * (printed). */
int cli_live_watch_runs(struct cli_live *l, const char *selector);

/* Calls fn once, `seconds` from now (> 0). */
void cli_live_set_deadline(struct cli_live *l, double seconds, cli_live_fn *fn);

/* The watched Release (borrowed from l), or NULL before the first list and
 * when it was deleted; the latter prints so and stops the loop with
 * fatal_code. */
json_t *cli_live_release(struct cli_live *l);

/* A new array of the objects in store i (caller owns it). */
json_t *cli_live_values(const struct cli_live *l, enum cli_live_store i);

/* Whether every watch started has had its first list. */
bool cli_live_synced(const struct cli_live *l);

/* Ends the loop with `code` as cli_live_run's result. */
void cli_live_stop(struct cli_live *l, int code);

/* Runs the loop until cli_live_stop, then stops the watches and timers and
 * frees the stores. Returns the exit code. Also frees when nothing ran: call
 * it (or cli_live_free) after a failed cli_live_watch_*. */
int cli_live_run(struct cli_live *l);
void cli_live_free(struct cli_live *l);

#endif
