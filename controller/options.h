/*
 * The controller's configuration: command-line flags, each with a matching
 * environment variable (SLIPWAY_ + the flag in upper case, '-' as '_').
 * A flag beats its variable; the variable beats the default.
 */
#ifndef SLIPWAY_CONTROLLER_OPTIONS_H
#define SLIPWAY_CONTROLLER_OPTIONS_H

#include <stdbool.h>
#include <stdio.h>

#include "controller/log.h"

struct ctl_options {
	const char *kubeconfig;      /* NULL: $KUBECONFIG, ~/.kube/config, then in-cluster */
	const char *context;         /* NULL: the kubeconfig's current-context */
	const char *namespaces;      /* comma-separated; NULL: all namespaces */
	unsigned workers;            /* reconciles in flight at once */
	double qps, burst;           /* client-side API rate limit */
	const char *metrics_address; /* "host:port" for /metrics /healthz /readyz; "" or "0": off */
	bool leader_elect;
	const char *leader_election_namespace;               /* NULL: the kubeconfig's namespace */
	const char *leader_election_id;                      /* the Lease's name */
	const char *identity;                                /* NULL: hostname_pid */
	double lease_duration, renew_deadline, retry_period; /* seconds */
	enum ctl_log_format log_format;
	enum ctl_log_level log_level;
	bool help;
	bool version;
};

/* Parses argv and the environment into *ret (strings borrowed from argv or
 * environ). On a bad flag or value writes one line naming it to `errors` and
 * returns -EINVAL, leaving *ret untouched. */
int ctl_options_parse(int argc, char **argv, struct ctl_options *ret, FILE *errors);

/* Splits a comma-separated namespace list into a NULL-terminated array
 * (caller frees with ctl_options_free_list). 0, -EINVAL (an empty name), -ENOMEM. */
int ctl_options_split_list(const char *csv, char ***ret);
void ctl_options_free_list(char **list);

/* The --help text. */
void ctl_options_usage(FILE *out);

#endif
