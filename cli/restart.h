/*
 * The restart contract between the CLI and the controller (as Argo
 * Rollouts'): the request is spec.restartAt = the time asked, RFC 3339 UTC
 * in whole seconds, written with a JSON merge patch; the controller answers
 * with status.restartedAt = that same value once every pod created before it
 * was replaced. Pure: the time is passed in.
 */
#ifndef SLIPWAY_CLI_RESTART_H
#define SLIPWAY_CLI_RESTART_H

#include <jansson.h>
#include <stdbool.h>
#include <time.h>

#include "model/timefmt.h"

/* The merge patch asking for a restart at `now`, and `now` as written into
 * at. Caller owns *ret. 0, -ERANGE (a year outside 1..9999) or -ENOMEM. */
int cli_restart_request(time_t now, char at[static MODEL_TIME_LEN], json_t **ret);

/* The restart asked at `at` is done: status.restartedAt is at, or a later
 * request's (which replaced the same pods and more). */
bool cli_restart_done(const json_t *release, const char *at);

#endif
