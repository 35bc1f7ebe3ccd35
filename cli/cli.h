/*
 * kubectl-slipway's shared state and command table.
 *
 * main.c parses the global flags (wherever they appear, as kubectl does),
 * looks the command up in the table and runs it with the remaining
 * arguments. A command that talks to the cluster calls cli_connect() first;
 * every API call goes through cli_api_* (cli/api.c), which prints one clear
 * line on failure (cluster unreachable, not found, forbidden with the verb
 * and resource) so commands only decide the exit code.
 *
 * Adding a command (promote, abort, retry, approve): write
 * `int cmd_NAME(struct cli *c, int argc, char **argv)` in the cmd-*.c file
 * of its group (cli/commands.h lists them; a new group gets a new file),
 * declare it in commands.h and add one row to the table in main.c with its
 * usage and flags.
 */
#ifndef SLIPWAY_CLI_CLI_H
#define SLIPWAY_CLI_CLI_H

#include <ev.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "kubeclient/client.h"
#include "kubeclient/config.h"
#include "kubeclient/path.h"

/* Exit codes. `status` has its own (0 Healthy, 1 Degraded or Stalled, 2 timeout,
 * 3 could not tell). */
#define CLI_EXIT_OK    0
#define CLI_EXIT_FAIL  1 /* the command failed, or found problems (lint) */
#define CLI_EXIT_USAGE 2

enum cli_output {
	CLI_OUTPUT_TEXT = 0,
	CLI_OUTPUT_JSON,
	CLI_OUTPUT_YAML,
};

struct cli {
	/* global flags */
	const char *kubeconfig;
	const char *context;
	const char *namespace; /* -n, or NULL for the context's */
	bool all_namespaces;   /* -A */
	enum cli_output output;
	bool output_given;

	/* after cli_connect */
	struct ev_loop *loop;
	struct kc_config *cfg;
	struct kc_client *client;
	const char *ns; /* the namespace to use: -n, else the context's */

	const char *prog; /* "kubectl slipway" in messages */
	const struct cli_command *cmd;
};

/* What a command accepts, for the table. */
enum {
	CLI_F_CLUSTER = 1 << 0,        /* talks to the cluster */
	CLI_F_ALL_NAMESPACES = 1 << 1, /* -A makes sense */
	CLI_F_OUTPUT = 1 << 2,         /* -o json|yaml */
};

struct cli_command {
	const char *name;
	const char *args;    /* "NAME [--watch]" for usage lines */
	const char *summary; /* one line for the command list */
	const char *help;    /* more, printed by `COMMAND --help`; may be NULL */
	unsigned flags;
	int (*run)(struct cli *c, int argc, char **argv);
};

/* Prints "PROG: MESSAGE" on stderr, every %s argument escaped
 * (cli/escape.h): messages quote names and the server's text. */
void cli_errorf(const struct cli *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A usage error for the running command: the message (escaped as by
 * cli_errorf) and a pointer to --help.
 * Returns CLI_EXIT_USAGE. */
int cli_usage_error(const struct cli *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Loads the kubeconfig (the global flags) and creates the loop and client.
 * On failure prints one line and returns a negative errno. */
int cli_connect(struct cli *c);

/* Frees what cli_connect made. */
void cli_disconnect(struct cli *c);

/* The Release resource in namespace ns (NULL: all), name may be NULL. */
struct kc_ref cli_release_ref(const char *ns, const char *name);

/*
 * Blocking API calls. Each returns 0 and hands the response to *ret (caller
 * owns it; ret may be NULL), or a negative errno after printing one line on
 * stderr: "cannot reach the cluster at URL: ...", "release "web" not found
 * in namespace "x"", "forbidden: cannot patch releases.slipway.dev in
 * namespace "x"", or the server's message.
 */
int cli_api_get(struct cli *c, const struct kc_ref *ref, json_t **ret);
/* As cli_api_get, but a missing object is no error: 0 with *ret NULL. */
int cli_api_get_optional(struct cli *c, const struct kc_ref *ref, json_t **ret);
int cli_api_list(struct cli *c, const struct kc_ref *ref, const char *label_selector, json_t **ret);
/* As cli_api_list, but a refusal that will not heal (401, 403, 404) is no
 * error and prints nothing: 0 with *ret NULL and its status in *refused
 * (else 0 there). For what a command shows besides its object. */
int cli_api_list_or_refused(struct cli *c, const struct kc_ref *ref, const char *label_selector,
                            json_t **ret, int *refused);
int cli_api_patch(struct cli *c, const struct kc_ref *ref, int patch_type, json_t *patch,
                  json_t **ret);
int cli_api_create(struct cli *c, const struct kc_ref *ref, json_t *obj, json_t **ret);

/* A refusal that will not heal by retrying: 401, 403, or 404 (a kind the
 * server does not serve). */
bool cli_api_refused(const struct kc_error *err);

/* Prints the one-line message for a failed call (what cli_api_* do). */
void cli_report_api_error(const struct cli *c, const char *verb, const struct kc_ref *ref,
                          const struct kc_error *err);

/* Prints obj as JSON (indented; DEL and C1 controls as \u escapes,
 * cli_write_json_text) or YAML on stdout: the object's data exactly, in a
 * form that holds no raw control. 0 or -ENOMEM/-EIO. */
int cli_print_object(enum cli_output how, const json_t *obj);

#endif
