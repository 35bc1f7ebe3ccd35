/*
 * The commands of kubectl-slipway, one function each, run by main.c from its
 * table with the arguments after the command name (global flags removed).
 * Each returns the process exit code. One file per group:
 *   cmd-read.c     list, get (--watch), history
 *   cmd-status.c   status
 *   cmd-write.c    pause, resume, set image, undo
 *   cmd-restart.c  restart (recorded for the controller, then followed)
 *   cmd-lint.c     lint
 *   cmd-version.c  version (the controller's, from its Lease)
 *   cmd-intent.c   promote, abort, retry (user intents on the status)
 * What they share: flags.h (arguments), owned.h (a Release's ReplicaSets
 * and pods), live.h (following objects), frame.h (redrawing), lease.h and
 * restart.h (the pure parts of version and restart), intent.h (of promote,
 * abort and retry).
 */
#ifndef SLIPWAY_CLI_COMMANDS_H
#define SLIPWAY_CLI_COMMANDS_H

#include "cli/cli.h"

int cmd_list(struct cli *c, int argc, char **argv);
int cmd_get(struct cli *c, int argc, char **argv);
int cmd_status(struct cli *c, int argc, char **argv);
int cmd_history(struct cli *c, int argc, char **argv);
int cmd_undo(struct cli *c, int argc, char **argv);
int cmd_pause(struct cli *c, int argc, char **argv);
int cmd_resume(struct cli *c, int argc, char **argv);
int cmd_restart(struct cli *c, int argc, char **argv);
int cmd_set(struct cli *c, int argc, char **argv);
int cmd_lint(struct cli *c, int argc, char **argv);
int cmd_version(struct cli *c, int argc, char **argv);
int cmd_promote(struct cli *c, int argc, char **argv);
int cmd_abort(struct cli *c, int argc, char **argv);
int cmd_retry(struct cli *c, int argc, char **argv);

/* Exit codes of `status`. */
#define CLI_STATUS_HEALTHY 0
#define CLI_STATUS_FAILED  1 /* Degraded or Stalled */
#define CLI_STATUS_TIMEOUT 2
#define CLI_STATUS_UNKNOWN 3 /* could not tell: usage, cluster or API error */

#endif
