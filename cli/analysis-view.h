/*
 * The analysis part of `get`: a Release's AnalysisRuns with their last
 * measurements, from the runs as the API server returns them (one list in
 * the Release's namespace, labelSelector MODEL_LABEL_RELEASE=NAME) and the
 * time. Pure, like cli/view.h: what the controller wrote, escaped
 * (cli/escape.h), "-" for what is missing.
 */
#ifndef SLIPWAY_CLI_ANALYSIS_VIEW_H
#define SLIPWAY_CLI_ANALYSIS_VIEW_H

#include <jansson.h>
#include <stdio.h>
#include <time.h>

/* Runs shown, the current revision's first, then newest first; the rest
 * are counted in one line. */
#define CLI_VIEW_RUNS_SHOWN 4

/* A Release's AnalysisRuns as a command read them. */
struct cli_view_runs {
	const json_t *items; /* AnalysisRun objects (a JSON array, borrowed); NULL: none */
	/* The HTTP status that refused the list or the watch (401, 403, 404),
	 * or 0: `get` shows the rest and one line saying so. */
	int refused;
};

/* For each run of runs->items that release controls (ownerReference), at
 * most CLI_VIEW_RUNS_SHOWN: its name, purpose (step N, background,
 * prepromotion, postpromotion), phase and message, and per metric its
 * phase, measurement counts and last measurement (value, phase, how long
 * ago, its message; "dry run" where so). Nothing when there are no runs;
 * one line when they were refused. runs may be NULL. */
void cli_view_analysis(FILE *f, const json_t *release, const struct cli_view_runs *runs,
                       time_t now);

/* "slipway.dev/release=NAME": the selector of name's runs. Caller frees;
 * NULL on ENOMEM. */
char *cli_analysis_selector(const char *name);

#endif
