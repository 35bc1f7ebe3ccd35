/*
 * `version`: the client's version and the running controller's. The
 * controller publishes its version on its leader-election Lease
 * (MODEL_ANNOTATION_CONTROLLER_VERSION, written with every renewal), so the
 * version shown is that of the replica leading now, and "unknown" means no
 * controller holds the Lease (cli/lease.h).
 *
 * Where the Lease is: the controller's own defaults are the namespace of its
 * kubeconfig context and the name "slipway-controller"
 * (controller/options.c). Run out of the cluster, the controller shares the
 * context with this command; installed with deploy/, it runs in
 * CLI_CONTROLLER_NAMESPACE. So without --leader-election-namespace both are
 * looked at, in that order; the flags name exactly the controller's.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/commands.h"
#include "cli/escape.h"
#include "cli/flags.h"
#include "cli/lease.h"
#include "model/api.h"
#include "model/timefmt.h"
#include "slipway-version.h"

/* deploy/rbac.yaml's namespace, and controller/options.c's Lease name. */
#define CLI_CONTROLLER_NAMESPACE "slipway-system"
#define CLI_CONTROLLER_LEASE     "slipway-controller"

/* Why the Lease in ns does not show a running controller, for the
 * "unknown" line. */
static void why_not(const struct cli_lease_info *info, const char *ns, char *buf, size_t cap)
{
	char when[MODEL_TIME_LEN] = "?";
	switch (info->state) {
	case CLI_LEASE_MISSING:
		snprintf(buf, cap, "no Lease in namespace %s", ns);
		break;
	case CLI_LEASE_RELEASED:
		snprintf(buf, cap, "Lease in namespace %s released", ns);
		break;
	default:
		if (info->expires > 0)
			model_time_format(info->expires, when);
		snprintf(buf, cap, "Lease in namespace %s held by %s expired at %s", ns,
		         info->holder, when);
		break;
	}
}

/* Prints the controller line for a held Lease. */
static void print_held(const struct cli_lease_info *info, const char *ns, const char *name)
{
	if (info->version)
		cli_printf("controller: slipway-controller %s (leader %s, Lease %s/%s)\n",
		           info->version, info->holder, ns, name);
	else
		cli_printf("controller: running, version not published (leader %s, Lease %s/%s: a "
		           "controller older than the version annotation)\n",
		           info->holder, ns, name);
}

/* Looks for a held Lease `name` in each of namespaces[0..n) and prints the
 * controller line. 0, or CLI_EXIT_FAIL when a Lease could not be read
 * (printed). */
static int report_controller(struct cli *c, const char *const *namespaces, size_t n,
                             const char *name)
{
	char why[2][300] = {"", ""};
	for (size_t i = 0; i < n; i++) {
		struct kc_ref ref = {.group = model_lease_gvk.group,
		                     .version = model_lease_gvk.version,
		                     .resource = model_lease_gvk.resource,
		                     .ns = namespaces[i],
		                     .name = name};
		json_t *lease = NULL;
		if (cli_api_get_optional(c, &ref, &lease) < 0) {
			cli_printf("controller: unknown (the Lease %s/%s cannot be read)\n",
			           namespaces[i], name);
			return CLI_EXIT_FAIL;
		}
		struct cli_lease_info info = cli_lease_read(lease, time(NULL));
		if (info.state == CLI_LEASE_HELD)
			print_held(&info, namespaces[i], name);
		else
			why_not(&info, namespaces[i], why[i], sizeof(why[i]));
		json_decref(lease);
		if (info.state == CLI_LEASE_HELD)
			return 0;
	}
	cli_printf("controller: unknown (no controller holds the Lease %s: %s%s%s)\n", name, why[0],
	           n > 1 ? "; " : "", n > 1 ? why[1] : "");
	return 0;
}

int cmd_version(struct cli *c, int argc, char **argv)
{
	char *pos[1];
	int n;
	bool client_only = false;
	const char *lease_ns = NULL, *lease_name = CLI_CONTROLLER_LEASE;
	const struct cli_flag flags[] = {{"client", 0, false, NULL, &client_only},
	                                 {"leader-election-namespace", 0, true, &lease_ns, NULL},
	                                 {"leader-election-id", 0, true, &lease_name, NULL},
	                                 {0}};
	int r = cli_parse_flags(c, argc, argv, flags, pos, 0, &n);
	if (r)
		return r;
	cli_printf("client: kubectl-slipway %s\n", SLIPWAY_VERSION);
	fflush(stdout);
	if (client_only)
		return 0;
	if (cli_connect(c) < 0) {
		cli_printf("controller: unknown (no cluster configured)\n");
		return CLI_EXIT_FAIL;
	}
	const char *namespaces[2] = {lease_ns ? lease_ns : c->ns, CLI_CONTROLLER_NAMESPACE};
	size_t nns = lease_ns || strcmp(c->ns, CLI_CONTROLLER_NAMESPACE) == 0 ? 1 : 2;
	return report_controller(c, namespaces, nns, lease_name);
}
