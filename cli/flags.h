/*
 * Flags of one command: --name, -x, --name=value, --name value; booleans
 * take an optional =true/=false. Positional arguments are collected in
 * order. "--" ends the flags. (Global flags never reach here: main.c takes
 * them out first.)
 */
#ifndef SLIPWAY_CLI_FLAGS_H
#define SLIPWAY_CLI_FLAGS_H

#include <stdbool.h>

#include "cli/cli.h"

struct cli_flag {
	const char *name; /* long name without "--" */
	char short_name;  /* or 0 */
	bool takes_value;
	const char **value; /* takes_value: where the value goes */
	bool *on;           /* booleans */
};

/* Returns 0 and fills pos[0..*npos) (borrowed from argv; cap entries at
 * most), or prints a usage error and returns CLI_EXIT_USAGE. flags is
 * terminated by an entry with a NULL name, or is NULL for none. */
int cli_parse_flags(struct cli *c, int argc, char **argv, const struct cli_flag *flags, char **pos,
                    int cap, int *npos);

/* Exactly one positional argument, a Release NAME (borrowed from argv), and
 * the given flags. 0 or CLI_EXIT_USAGE (printed). */
int cli_one_name(struct cli *c, int argc, char **argv, const struct cli_flag *flags,
                 const char **name);

/* Parses a --timeout value (a duration such as 90s or 5m) into seconds.
 * allow_zero: 0 means "no limit". 0, or CLI_EXIT_USAGE (printed). */
int cli_parse_timeout(struct cli *c, const char *text, bool allow_zero, double *seconds);

#endif
