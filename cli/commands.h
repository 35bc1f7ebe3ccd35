/*
 * The commands of kubectl-slipway, one function each, run by main.c from its
 * table with the arguments after the command name (global flags removed).
 * Each returns the process exit code.
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

/* Exit codes of `status`. */
#define CLI_STATUS_HEALTHY 0
#define CLI_STATUS_FAILED  1 /* Degraded or Stalled */
#define CLI_STATUS_TIMEOUT 2
#define CLI_STATUS_UNKNOWN 3 /* could not tell: usage, cluster or API error */

/* Flags of one command: --name, -x, --name=value, --name value; booleans
 * take an optional =true/=false. Positional arguments are collected in
 * order. "--" ends the flags. */
struct cli_flag {
	const char *name; /* long name without "--" */
	char short_name;  /* or 0 */
	bool takes_value;
	const char **value; /* takes_value: where the value goes */
	bool *on;           /* booleans */
};

/* Returns 0 and fills pos[0..*npos) (borrowed from argv; cap entries at
 * most), or prints a usage error and returns CLI_EXIT_USAGE. */
int cli_parse_flags(struct cli *c, int argc, char **argv, const struct cli_flag *flags, char **pos,
                    int cap, int *npos);

#endif
