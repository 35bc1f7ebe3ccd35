#include "controller/options.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* One row per option: the flag, its environment variable, whether it takes a
 * value, and the help line. Adding an option is adding a row and a case in
 * apply(). */
enum opt_id { OPT_HELP, OPT_VERSION, OPT_KUBECONFIG, OPT_CONTEXT, OPT_LOG_FORMAT, OPT_LOG_LEVEL };

struct opt_row {
	enum opt_id id;
	const char *flag;
	const char *env; /* NULL: no variable */
	const char *arg; /* NULL: a switch */
	const char *help;
};

static const struct opt_row rows[] = {
	{OPT_KUBECONFIG, "kubeconfig", "KUBECONFIG", "FILE",
	 "kubeconfig file (default: $KUBECONFIG, ~/.kube/config, else in-cluster)"},
	{OPT_CONTEXT, "context", "SLIPWAY_CONTEXT", "NAME", "kubeconfig context (default: current-context)"},
	{OPT_LOG_FORMAT, "log-format", "SLIPWAY_LOG_FORMAT", "FORMAT", "logfmt (default) or json"},
	{OPT_LOG_LEVEL, "log-level", "SLIPWAY_LOG_LEVEL", "LEVEL", "error, warn, info (default) or debug"},
	{OPT_HELP, "help", NULL, NULL, "show this help and exit"},
	{OPT_VERSION, "version", NULL, NULL, "print the version and exit"},
};
#define N_ROWS (sizeof(rows) / sizeof(rows[0]))

static int apply(const struct opt_row *row, const char *value, const char *origin, struct ctl_options *o,
		 FILE *errors)
{
	switch (row->id) {
	case OPT_HELP:
		o->help = true;
		return 0;
	case OPT_VERSION:
		o->version = true;
		return 0;
	case OPT_KUBECONFIG:
		o->kubeconfig = value;
		return 0;
	case OPT_CONTEXT:
		o->context = value;
		return 0;
	case OPT_LOG_FORMAT:
		if (ctl_log_parse_format(value, &o->log_format) == 0)
			return 0;
		fprintf(errors, "slipway-controller: %s: \"%s\" is not logfmt or json\n", origin, value);
		return -EINVAL;
	case OPT_LOG_LEVEL:
		if (ctl_log_parse_level(value, &o->log_level) == 0)
			return 0;
		fprintf(errors, "slipway-controller: %s: \"%s\" is not error, warn, info or debug\n", origin,
			value);
		return -EINVAL;
	}
	return -EINVAL;
}

static const struct opt_row *find_flag(const char *name, size_t len)
{
	for (size_t i = 0; i < N_ROWS; i++)
		if (strlen(rows[i].flag) == len && strncmp(rows[i].flag, name, len) == 0)
			return &rows[i];
	return NULL;
}

int ctl_options_parse(int argc, char **argv, struct ctl_options *ret, FILE *errors)
{
	struct ctl_options o = {.log_format = CTL_LOG_LOGFMT, .log_level = CTL_LOG_INFO};

	for (size_t i = 0; i < N_ROWS; i++) {
		const char *value = rows[i].env ? getenv(rows[i].env) : NULL;
		if (value && *value && apply(&rows[i], value, rows[i].env, &o, errors) < 0)
			return -EINVAL;
	}

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "-h") == 0)
			a = "--help";
		if (strncmp(a, "--", 2) != 0) {
			fprintf(errors, "slipway-controller: unexpected argument '%s' (see --help)\n", a);
			return -EINVAL;
		}
		const char *name = a + 2;
		const char *eq = strchr(name, '=');
		const struct opt_row *row = find_flag(name, eq ? (size_t)(eq - name) : strlen(name));
		if (!row) {
			fprintf(errors, "slipway-controller: unknown option '%s' (see --help)\n", a);
			return -EINVAL;
		}
		const char *value = NULL;
		if (row->arg) {
			if (eq)
				value = eq + 1;
			else if (i + 1 < argc)
				value = argv[++i];
			else {
				fprintf(errors, "slipway-controller: --%s needs a value (%s)\n", row->flag, row->arg);
				return -EINVAL;
			}
		} else if (eq) {
			fprintf(errors, "slipway-controller: --%s takes no value\n", row->flag);
			return -EINVAL;
		}
		char origin[64];
		snprintf(origin, sizeof(origin), "--%s", row->flag);
		if (apply(row, value, origin, &o, errors) < 0)
			return -EINVAL;
	}
	*ret = o;
	return 0;
}

void ctl_options_usage(FILE *out)
{
	fputs("Usage: slipway-controller [OPTIONS]\n"
	      "\n"
	      "Slipway's release controller. Today it connects to the cluster, reports the\n"
	      "API server it found, and runs until SIGTERM or SIGINT; reconciling Releases\n"
	      "comes with the Release API.\n"
	      "\n"
	      "Options (each also read from the environment variable shown):\n",
	      out);
	for (size_t i = 0; i < N_ROWS; i++) {
		char left[64];
		snprintf(left, sizeof(left), "--%s%s%s", rows[i].flag, rows[i].arg ? " " : "",
			 rows[i].arg ? rows[i].arg : "");
		fprintf(out, "  %-24s %s", left, rows[i].help);
		if (rows[i].env)
			fprintf(out, " [$%s]", rows[i].env);
		fputc('\n', out);
	}
}
