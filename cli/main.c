/* kubectl-slipway: the kubectl plugin, run as `kubectl slipway COMMAND`.
 *
 * Global flags are taken out of argv wherever they appear (kubectl accepts
 * `kubectl slipway get web -n prod` as well as `-n prod get web`), then the
 * command named first is looked up in `commands` and run with the rest. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/escape.h"
#include "slipway-version.h"

static const struct cli_command commands[] = {
    {"list", "[-A]", "list Releases with phase, strategy, step, revision, ready pods and age",
     "Lists the Releases of the namespace (-A: of every namespace).",
     CLI_F_CLUSTER | CLI_F_ALL_NAMESPACES | CLI_F_OUTPUT, cmd_list},
    {"get", "NAME [-w|--watch]", "show a Release: phase, step, revisions, ReplicaSets and pods",
     "Shows phase and message, strategy and step, the current and stable revision with their\n"
     "images, for a canary its steps (the current one marked), weights, pause reason, abort,\n"
     "pending intent and what happens next, its AnalysisRuns with each metric's counts and\n"
     "last measurement, and the tree revisions -> ReplicaSets -> pods with readiness.\n"
     "--watch redraws\n"
     "it in place on every change (on a terminal; a full view per change otherwise).",
     CLI_F_CLUSTER | CLI_F_OUTPUT, cmd_get},
    {"status", "NAME [--watch=false] [--timeout D]",
     "wait for a rollout: exit 0 Healthy, 1 Degraded or Stalled, 2 timeout",
     "Prints one line per change of the Release's state and waits until the controller has\n"
     "observed the current generation and the rollout is Healthy (exit 0), Degraded or\n"
     "Stalled (exit 1), or the --timeout (a duration such as 90s or 5m) has passed (exit 2).\n"
     "--watch=false looks once: exit 2 when the rollout is not finished. Exit 3: could not\n"
     "tell (usage error, cluster unreachable, Release not found, forbidden).",
     CLI_F_CLUSTER, cmd_status},
    {"history", "NAME", "list the revisions of a Release and their outcomes",
     "Lists status.history oldest first, with whether each revision's ReplicaSet still\n"
     "exists (undo needs it).",
     CLI_F_CLUSTER | CLI_F_OUTPUT, cmd_history},
    {"undo", "NAME [--to-revision REV]", "roll back: copy a revision's template into the spec",
     "Copies the pod template of the previous revision (or REV, as 'history' shows it) from\n"
     "its ReplicaSet back into spec.template, like kubectl rollout undo. The controller then\n"
     "rolls it out, reusing that ReplicaSet. A GitOps tool that owns the Release will revert\n"
     "this: change the source too.",
     CLI_F_CLUSTER, cmd_undo},
    {"pause", "NAME", "pause a rollout (spec.paused=true)", NULL, CLI_F_CLUSTER, cmd_pause},
    {"resume", "NAME", "resume a paused rollout (spec.paused=false)", NULL, CLI_F_CLUSTER,
     cmd_resume},
    {"restart", "NAME [--timeout D] [--wait=false]",
     "replace the pods of the current revision, no new revision",
     "Asks the controller to replace every pod of the Release, as many at a time as\n"
     "maxUnavailable allows, without changing the template (no new revision, no rollout):\n"
     "sets spec.restartAt to now, as kubectl argo rollouts restart does. The controller\n"
     "sets status.restartedAt to the same time once every older pod is replaced; the\n"
     "request is kept in the Release, so it survives a restart of either side. Waits for\n"
     "that (exit 0) or the --timeout (default 10m; exit 1); --wait=false only records it.",
     CLI_F_CLUSTER, cmd_restart},
    {"set", "image NAME CONTAINER=IMAGE...", "change container images of a Release",
     "Sets the image of the named containers (or initContainers) in spec.template with a\n"
     "JSON patch that fails if the Release changed since it was read.",
     CLI_F_CLUSTER, cmd_set},
    {"lint", "-f FILE...", "validate Release manifests offline",
     "Checks every Release in the files (multi-document YAML; - is standard input) with the\n"
     "controller's own validation and prints each problem as FILE:LINE:COLUMN: FIELD: MESSAGE.\n"
     "Exit 1 when any problem is found. Needs no cluster.",
     0, cmd_lint},
    {"version", "[--client] [--leader-election-namespace NS] [--leader-election-id NAME]",
     "print the client's version and the running controller's",
     "The controller's version is read from its leader-election Lease (the annotation\n"
     "slipway.dev/controller-version, written with every renewal): \"unknown\" when no\n"
     "controller holds the Lease (none, released, or expired). The Lease is looked for in\n"
     "the namespace (-n, else the context's), then in slipway-system, named\n"
     "slipway-controller; the flags name the controller's own --leader-election-* values.\n"
     "--client prints the client's version only, without asking the cluster.",
     0, cmd_version},
    {"promote", "NAME [--full]", "finish the current canary step (--full: every remaining one)",
     "Records the intent {action: Promote, user, requestedAt, revision, stepIndex} in the\n"
     "Release's status.intent (the status subresource, never the spec, so a GitOps sync\n"
     "keeps it), naming you as the API server knows you (a SelfSubjectReview) and the step\n"
     "you saw, so two promotes of one step finish one step. --full asks to skip every\n"
     "remaining step and pause (PromoteFull). Refused when the Release is not a canary in\n"
     "progress, is aborted, or is neither paused nor progressing.",
     CLI_F_CLUSTER, cmd_promote},
    {"abort", "NAME", "stop a canary: traffic back to stable",
     "Records the intent {action: Abort, user, requestedAt, revision} in status.intent, as\n"
     "promote does. Refused when no canary is in progress or it is already aborted.",
     CLI_F_CLUSTER, cmd_abort},
    {"retry", "NAME", "start the steps of an aborted canary again",
     "Records the intent {action: Retry, user, requestedAt, revision} in status.intent, as\n"
     "promote does. Refused when the canary is not aborted.",
     CLI_F_CLUSTER, cmd_retry},
    /* approve (governance) goes here. */
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f)
{
	fputs("Usage: kubectl slipway COMMAND [OPTIONS]\n"
	      "\n"
	      "Inspect and steer Slipway Releases.\n"
	      "\n"
	      "Commands:\n",
	      f);
	for (size_t i = 0; i < N_COMMANDS; i++)
		fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].summary);
	fputs(
	    "\n"
	    "Global options (anywhere on the line):\n"
	    "      --kubeconfig FILE   kubeconfig to use (else $KUBECONFIG, else ~/.kube/config)\n"
	    "      --context NAME      kubeconfig context to use\n"
	    "  -n, --namespace NS      namespace (else the context's, else default)\n"
	    "  -A, --all-namespaces    every namespace (list)\n"
	    "  -o, --output FORMAT     json or yaml (list, get, history)\n"
	    "  -h, --help              show help (COMMAND --help: that command's)\n"
	    "      --version           print the version and exit\n"
	    "\n"
	    "Text from the cluster (names, messages, images, errors) is shown with control\n"
	    "characters escaped: \\r \\n \\t \\b \\a \\v \\f, other C0 controls, DEL and bytes\n"
	    "that are not UTF-8 as \\xHH (ESC is \\x1b), C1 controls and bidi overrides as\n"
	    "\\uHHHH. -o json|yaml print the data exactly (JSON and YAML escapes).\n",
	    f);
}

static void command_help(const struct cli_command *cmd)
{
	printf("Usage: kubectl slipway %s %s\n\n%s.\n", cmd->name, cmd->args, cmd->summary);
	if (cmd->help)
		printf("\n%s\n", cmd->help);
	if (cmd->flags & CLI_F_OUTPUT)
		printf("\n-o json|yaml prints the object(s) instead.\n");
}

/* Takes a global flag at argv[*i] (advancing *i past its value); returns 1
 * when it was one, 0 when not, -1 on a usage error (printed). */
static int global_flag(struct cli *c, int argc, char **argv, int *i)
{
	static const struct {
		const char *lng;
		const char *shrt;
		int which;
	} names[] = {{"--kubeconfig", NULL, 0},
	             {"--context", NULL, 1},
	             {"--namespace", "-n", 2},
	             {"--output", "-o", 3}};
	const char *a = argv[*i];
	if (strcmp(a, "-A") == 0 || strcmp(a, "--all-namespaces") == 0) {
		c->all_namespaces = true;
		return 1;
	}
	for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
		const char *value = NULL;
		size_t ll = strlen(names[k].lng);
		if (strcmp(a, names[k].lng) == 0 ||
		    (names[k].shrt && strcmp(a, names[k].shrt) == 0)) {
			if (*i + 1 >= argc) {
				cli_fprintf(stderr, "%s: flag '%s' needs a value\n", c->prog, a);
				return -1;
			}
			value = argv[++*i];
		} else if (strncmp(a, names[k].lng, ll) == 0 && a[ll] == '=') {
			value = a + ll + 1;
		} else if (names[k].shrt && strncmp(a, names[k].shrt, 2) == 0 && a[2]) {
			value = a + 2;
			if (*value == '=')
				value++;
		} else {
			continue;
		}
		switch (names[k].which) {
		case 0:
			c->kubeconfig = value;
			break;
		case 1:
			c->context = value;
			break;
		case 2:
			c->namespace = value;
			break;
		case 3:
			c->output_given = true;
			if (strcmp(value, "json") == 0) {
				c->output = CLI_OUTPUT_JSON;
			} else if (strcmp(value, "yaml") == 0) {
				c->output = CLI_OUTPUT_YAML;
			} else {
				cli_fprintf(stderr, "%s: -o: unknown format '%s' (json or yaml)\n",
				            c->prog, value);
				return -1;
			}
			break;
		}
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct cli c = {.prog = "kubectl-slipway"};
	char **rest = calloc((size_t)argc + 1, sizeof(*rest));
	int nrest = 0;
	bool help = false, after_dashdash = false;
	if (!rest)
		return CLI_EXIT_FAIL;
	for (int i = 1; i < argc; i++) {
		if (after_dashdash) {
			rest[nrest++] = argv[i];
			continue;
		}
		if (strcmp(argv[i], "--") == 0) {
			after_dashdash = true;
			rest[nrest++] = argv[i];
			continue;
		}
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			help = true;
			continue;
		}
		int g = global_flag(&c, argc, argv, &i);
		if (g < 0) {
			free(rest);
			return CLI_EXIT_USAGE;
		}
		if (g == 0)
			rest[nrest++] = argv[i];
	}
	int code = CLI_EXIT_USAGE;
	if (nrest == 0 || strcmp(rest[0], "help") == 0) {
		const struct cli_command *about = NULL;
		for (size_t k = 0; nrest > 1 && k < N_COMMANDS; k++)
			if (strcmp(commands[k].name, rest[1]) == 0)
				about = &commands[k];
		if (about)
			command_help(about);
		else
			usage(help || nrest > 0 ? stdout : stderr);
		free(rest);
		return help || nrest > 0 ? CLI_EXIT_OK : CLI_EXIT_USAGE;
	}
	if (strcmp(rest[0], "--version") == 0) {
		printf("kubectl-slipway %s\n", SLIPWAY_VERSION);
		free(rest);
		return CLI_EXIT_OK;
	}
	for (size_t k = 0; k < N_COMMANDS; k++) {
		if (strcmp(commands[k].name, rest[0]) != 0)
			continue;
		c.cmd = &commands[k];
		if (help) {
			command_help(c.cmd);
			code = CLI_EXIT_OK;
		} else if (c.all_namespaces && !(c.cmd->flags & CLI_F_ALL_NAMESPACES)) {
			code = cli_usage_error(
			    &c, "-A does not go with '%s': name a namespace with -n", c.cmd->name);
		} else if (c.output_given && !(c.cmd->flags & CLI_F_OUTPUT)) {
			code = cli_usage_error(&c, "-o does not go with '%s'", c.cmd->name);
		} else {
			code = c.cmd->run(&c, nrest - 1, rest + 1);
		}
		cli_disconnect(&c);
		free(rest);
		return code;
	}
	cli_fprintf(stderr, "%s: unknown command '%s' (see --help)\n", c.prog, rest[0]);
	free(rest);
	return CLI_EXIT_USAGE;
}
