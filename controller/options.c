#include "controller/options.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "controller/events.h"
#include "model/duration.h"

#define STRINGIFY_(x) #x
#define STRINGIFY(x)  STRINGIFY_(x)
#define IDENTITY_MAX  STRINGIFY(CTL_EVENT_FIELD_MAX)

/* One row per option: the flag, its environment variable, whether it takes a
 * value, and the help line. Adding an option is adding a row and a case in
 * apply(). */
enum opt_id {
	OPT_HELP,
	OPT_VERSION,
	OPT_KUBECONFIG,
	OPT_CONTEXT,
	OPT_NAMESPACES,
	OPT_WORKERS,
	OPT_QPS,
	OPT_BURST,
	OPT_METRICS_ADDRESS,
	OPT_LEADER_ELECT,
	OPT_LEADER_NAMESPACE,
	OPT_LEADER_ID,
	OPT_IDENTITY,
	OPT_LEASE_DURATION,
	OPT_RENEW_DEADLINE,
	OPT_RETRY_PERIOD,
	OPT_LOG_FORMAT,
	OPT_LOG_LEVEL,
};

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
    {OPT_CONTEXT, "context", "SLIPWAY_CONTEXT", "NAME",
     "kubeconfig context (default: current-context)"},
    {OPT_NAMESPACES, "namespaces", "SLIPWAY_NAMESPACES", "NS,NS",
     "watch only these namespaces (default: all)"},
    {OPT_WORKERS, "workers", "SLIPWAY_WORKERS", "N", "Releases reconciled at once (default 4)"},
    {OPT_QPS, "kube-api-qps", "SLIPWAY_KUBE_API_QPS", "QPS",
     "API requests per second (default 50)"},
    {OPT_BURST, "kube-api-burst", "SLIPWAY_KUBE_API_BURST", "N", "API request burst (default 100)"},
    {OPT_METRICS_ADDRESS, "metrics-address", "SLIPWAY_METRICS_ADDRESS", "ADDR",
     "serve /metrics, /healthz, /readyz on host:port (default :8080; 0 = off)"},
    {OPT_LEADER_ELECT, "leader-elect", "SLIPWAY_LEADER_ELECT", "BOOL",
     "hold a Lease so only one replica writes (default true)"},
    {OPT_LEADER_NAMESPACE, "leader-election-namespace", "SLIPWAY_LEADER_ELECTION_NAMESPACE", "NS",
     "namespace of the Lease (default: the kubeconfig's or pod's namespace)"},
    {OPT_LEADER_ID, "leader-election-id", "SLIPWAY_LEADER_ELECTION_ID", "NAME",
     "name of the Lease (default slipway-controller)"},
    {OPT_IDENTITY, "identity", "SLIPWAY_IDENTITY", "NAME",
     "this replica's name in the Lease and its Events, at most 128 characters (default "
     "hostname_pid)"},
    {OPT_LEASE_DURATION, "leader-election-lease-duration", "SLIPWAY_LEADER_ELECTION_LEASE_DURATION",
     "DURATION", "how long a Lease holds without renewal (default 15s)"},
    {OPT_RENEW_DEADLINE, "leader-election-renew-deadline", "SLIPWAY_LEADER_ELECTION_RENEW_DEADLINE",
     "DURATION", "a leader that cannot renew within this stops writing (default 10s)"},
    {OPT_RETRY_PERIOD, "leader-election-retry-period", "SLIPWAY_LEADER_ELECTION_RETRY_PERIOD",
     "DURATION", "time between attempts to acquire or renew (default 2s)"},
    {OPT_LOG_FORMAT, "log-format", "SLIPWAY_LOG_FORMAT", "FORMAT", "logfmt (default) or json"},
    {OPT_LOG_LEVEL, "log-level", "SLIPWAY_LOG_LEVEL", "LEVEL",
     "error, warn, info (default) or debug"},
    {OPT_HELP, "help", NULL, NULL, "show this help and exit"},
    {OPT_VERSION, "version", NULL, NULL, "print the version and exit"},
};
#define N_ROWS (sizeof(rows) / sizeof(rows[0]))

/* A whole number in [min, max]. */
static int parse_count(const char *value, long min, long max, long *ret)
{
	char *end;
	errno = 0;
	long v = strtol(value, &end, 10);
	if (errno || end == value || *end || v < min || v > max)
		return -EINVAL;
	*ret = v;
	return 0;
}

/* A positive number, fractions allowed. */
static int parse_rate(const char *value, double *ret)
{
	char *end;
	errno = 0;
	double v = strtod(value, &end);
	if (errno || end == value || *end || !(v > 0) || v > 1e6)
		return -EINVAL;
	*ret = v;
	return 0;
}

/* A Go duration ("15s", "1m30s") or a number of seconds, > 0. */
static int parse_seconds(const char *value, double *ret)
{
	int64_t ns;
	if (model_duration_parse(value, &ns) == 0 && ns > 0) {
		*ret = (double)ns / (double)MODEL_NS_PER_SECOND;
		return 0;
	}
	return parse_rate(value, ret);
}

static int parse_bool(const char *value, bool *ret)
{
	if (strcmp(value, "true") == 0 || strcmp(value, "1") == 0) {
		*ret = true;
		return 0;
	}
	if (strcmp(value, "false") == 0 || strcmp(value, "0") == 0) {
		*ret = false;
		return 0;
	}
	return -EINVAL;
}

static int invalid(FILE *errors, const char *origin, const char *value, const char *want)
{
	fprintf(errors, "slipway-controller: %s: \"%s\" is not %s\n", origin, value, want);
	return -EINVAL;
}

static int apply(const struct opt_row *row, const char *value, const char *origin,
                 struct ctl_options *o, FILE *errors)
{
	long n;
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
	case OPT_NAMESPACES:
		o->namespaces = *value ? value : NULL;
		return 0;
	case OPT_WORKERS:
		if (parse_count(value, 1, 1024, &n) < 0)
			return invalid(errors, origin, value, "a number from 1 to 1024");
		o->workers = (unsigned)n;
		return 0;
	case OPT_QPS:
		return parse_rate(value, &o->qps) < 0
		           ? invalid(errors, origin, value, "a positive number")
		           : 0;
	case OPT_BURST:
		return parse_rate(value, &o->burst) < 0
		           ? invalid(errors, origin, value, "a positive number")
		           : 0;
	case OPT_METRICS_ADDRESS:
		o->metrics_address = value;
		return 0;
	case OPT_LEADER_ELECT:
		return parse_bool(value, &o->leader_elect) < 0
		           ? invalid(errors, origin, value, "true or false")
		           : 0;
	case OPT_LEADER_NAMESPACE:
		o->leader_election_namespace = value;
		return 0;
	case OPT_LEADER_ID:
		o->leader_election_id = value;
		return 0;
	case OPT_IDENTITY:
		/* It is every Event's reportingInstance too, which the API
		 * server limits: a longer one would cost every Event. */
		if (!*value || strlen(value) > CTL_EVENT_FIELD_MAX)
			return invalid(errors, origin, value,
			               "1 to " IDENTITY_MAX
			               " characters (it is each Event's reportingInstance)");
		o->identity = value;
		return 0;
	case OPT_LEASE_DURATION:
		return parse_seconds(value, &o->lease_duration) < 0
		           ? invalid(errors, origin, value, "a duration")
		           : 0;
	case OPT_RENEW_DEADLINE:
		return parse_seconds(value, &o->renew_deadline) < 0
		           ? invalid(errors, origin, value, "a duration")
		           : 0;
	case OPT_RETRY_PERIOD:
		return parse_seconds(value, &o->retry_period) < 0
		           ? invalid(errors, origin, value, "a duration")
		           : 0;
	case OPT_LOG_FORMAT:
		if (ctl_log_parse_format(value, &o->log_format) == 0)
			return 0;
		fprintf(errors, "slipway-controller: %s: \"%s\" is not logfmt or json\n", origin,
		        value);
		return -EINVAL;
	case OPT_LOG_LEVEL:
		if (ctl_log_parse_level(value, &o->log_level) == 0)
			return 0;
		fprintf(errors,
		        "slipway-controller: %s: \"%s\" is not error, warn, info or debug\n",
		        origin, value);
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
	struct ctl_options o = {
	    .log_format = CTL_LOG_LOGFMT,
	    .log_level = CTL_LOG_INFO,
	    .workers = 4,
	    .qps = 50,
	    .burst = 100,
	    .metrics_address = ":8080",
	    .leader_elect = true,
	    .leader_election_id = "slipway-controller",
	    .lease_duration = 15,
	    .renew_deadline = 10,
	    .retry_period = 2,
	};

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
			fprintf(errors,
			        "slipway-controller: unexpected argument '%s' (see --help)\n", a);
			return -EINVAL;
		}
		const char *name = a + 2;
		const char *eq = strchr(name, '=');
		const struct opt_row *row =
		    find_flag(name, eq ? (size_t)(eq - name) : strlen(name));
		if (!row) {
			fprintf(errors, "slipway-controller: unknown option '%s' (see --help)\n",
			        a);
			return -EINVAL;
		}
		const char *value = NULL;
		if (row->arg) {
			if (eq)
				value = eq + 1;
			else if (i + 1 < argc)
				value = argv[++i];
			else {
				fprintf(errors, "slipway-controller: --%s needs a value (%s)\n",
				        row->flag, row->arg);
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
	if (!(o.lease_duration > o.renew_deadline && o.renew_deadline > o.retry_period)) {
		fprintf(
		    errors,
		    "slipway-controller: leader election needs lease duration > renew deadline > "
		    "retry period (got %gs, %gs, %gs)\n",
		    o.lease_duration, o.renew_deadline, o.retry_period);
		return -EINVAL;
	}
	*ret = o;
	return 0;
}

void ctl_options_free_list(char **list)
{
	for (size_t i = 0; list && list[i]; i++)
		free(list[i]);
	free(list);
}

int ctl_options_split_list(const char *csv, char ***ret)
{
	size_t n = 1;
	for (const char *p = csv; *p; p++)
		n += *p == ',';
	char **list = calloc(n + 1, sizeof(char *));
	if (!list)
		return -ENOMEM;
	const char *start = csv;
	for (size_t i = 0; i < n; i++) {
		const char *end = strchr(start, ',');
		size_t len = end ? (size_t)(end - start) : strlen(start);
		if (len == 0) {
			ctl_options_free_list(list);
			return -EINVAL;
		}
		list[i] = strndup(start, len);
		if (!list[i]) {
			ctl_options_free_list(list);
			return -ENOMEM;
		}
		start = end ? end + 1 : start + len;
	}
	*ret = list;
	return 0;
}

void ctl_options_usage(FILE *out)
{
	fputs("Usage: slipway-controller [OPTIONS]\n"
	      "\n"
	      "Slipway's release controller: watches Releases and the ReplicaSets they own,\n"
	      "and rolls every change of a Release's pod template out. One replica leads\n"
	      "(a Lease); others stand by with warm caches. Runs until SIGTERM or SIGINT.\n"
	      "\n"
	      "Options (each also read from the environment variable shown):\n",
	      out);
	for (size_t i = 0; i < N_ROWS; i++) {
		char left[64];
		snprintf(left, sizeof(left), "--%s%s%s", rows[i].flag, rows[i].arg ? " " : "",
		         rows[i].arg ? rows[i].arg : "");
		/* Long flags get their own line, so the help column stays put. */
		if (strlen(left) > 24)
			fprintf(out, "  %s\n  %-24s %s\n", left, "", rows[i].help);
		else
			fprintf(out, "  %-24s %s\n", left, rows[i].help);
		if (rows[i].env)
			fprintf(out, "  %-24s [$%s]\n", "", rows[i].env);
	}
}
