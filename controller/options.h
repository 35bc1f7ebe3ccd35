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
	const char *kubeconfig; /* NULL: $KUBECONFIG, ~/.kube/config, then in-cluster */
	const char *context;    /* NULL: the kubeconfig's current-context */
	enum ctl_log_format log_format;
	enum ctl_log_level log_level;
	bool help;
	bool version;
};

/* Parses argv and the environment into *ret (strings borrowed from argv or
 * environ). On a bad flag or value writes one line naming it to `errors` and
 * returns -EINVAL, leaving *ret untouched. */
int ctl_options_parse(int argc, char **argv, struct ctl_options *ret, FILE *errors);

/* The --help text. */
void ctl_options_usage(FILE *out);

#endif
