/*
 * What the CLI shows, computed from objects as the API server returns them
 * (a Release, its ReplicaSets, their pods) and the time: pure functions, so
 * the tests render recorded objects and compare with golden files.
 *
 * Objects are borrowed for the call; strings returned are the caller's
 * (free). Fields that are missing or of the wrong type show as "-" rather
 * than failing: the view must work on a Release the controller has not
 * reached yet. Every string taken from the objects is printed escaped
 * (cli/escape.h), and table columns are padded in display columns of the
 * escaped form.
 */
#ifndef SLIPWAY_CLI_VIEW_H
#define SLIPWAY_CLI_VIEW_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>

/* How long ago, the way kubectl prints ages: "45s", "3m20s", "5h", "12d". */
void cli_format_age(time_t since, time_t now, char *buf, size_t cap);

struct cli_view_runs;

/* `get`: the Release's phase and message, strategy and step, current and
 * stable revision with their images, replica counts, for a canary
 * cli_view_canary's part (for a blue-green cli_view_blue_green's), then its
 * AnalysisRuns (cli/analysis-view.h; runs may be NULL), then the tree
 * revisions -> ReplicaSets -> pods with readiness. replicasets and pods are
 * JSON arrays (list items) and may hold objects of other owners: only the
 * ReplicaSets the Release controls, and their pods, are shown. NULL on ENOMEM. */
char *cli_view_release(const json_t *release, const json_t *replicasets, const json_t *pods,
                       const struct cli_view_runs *runs, time_t now);

struct rel_canary;

/* The canary part of `get` (cli/canary-view.c), for a Release whose spec
 * parsed to `canary`: its steps with the current one marked, the weights
 * (status.canary.weights), why it is paused (status.pauseConditions), the
 * abort, a pending status.intent, and one line on what happens next ("waiting
 * for promote", "pause ends in 40s", "scaling canary to 3 pods (1
 * available)"), from the status and the canary's ReplicaSet in replicasets. */
void cli_view_canary(FILE *f, const json_t *release, const struct rel_canary *canary,
                     const json_t *replicasets, time_t now);

struct rel_blue_green;
struct rel_canary_status;

/* The blue-green part of `get` (cli/bluegreen-view.c), for a Release whose
 * spec parsed to `bg`: which revision activeService and previewService
 * select (status.activeRevision / previewRevision, and each one's pods from
 * its ReplicaSet in replicasets), the pause, abort and pending intent, and
 * one line on what waits ("waiting for promote", "promoted in 40s",
 * "activeService switches once 3 pods of X are available (2 now)",
 * "revision X scales down in 20s"). */
void cli_view_blue_green(FILE *f, const json_t *release, const struct rel_blue_green *bg,
                         const json_t *replicasets, time_t now);

/* Lines for the pause conditions, the abort and a pending status.intent of
 * a Release's status (cs read from it), each when set; blue_green names an
 * intent's stage rather than its step. Shared by the canary and blue-green
 * parts of `get`. */
void cli_view_rollout_state(FILE *f, const json_t *release, const struct rel_canary_status *cs,
                            bool blue_green, time_t now);

/* The ReplicaSet of replicasets that release controls with revision rev,
 * or NULL. Borrowed. */
const json_t *cli_view_revision_rs(const json_t *release, const json_t *replicasets,
                                   const char *rev);

/* `list`: one row per Release of items (a JSON array), with a NAMESPACE
 * column when all_namespaces. */
void cli_view_list(FILE *out, const json_t *items, bool all_namespaces, time_t now);

/* `history`: status.history oldest first, marking the current and stable
 * revision and whether the revision's ReplicaSet still exists (undo needs
 * it). replicasets may be NULL. */
void cli_view_history(FILE *out, const json_t *release, const json_t *replicasets);

/* Where a rollout stands, for `status`. */
enum cli_health {
	CLI_HEALTH_WAITING = 0, /* the controller has not observed this generation yet */
	CLI_HEALTH_PROGRESSING,
	CLI_HEALTH_PAUSED,
	CLI_HEALTH_HEALTHY,
	CLI_HEALTH_DEGRADED,
	CLI_HEALTH_STALLED,
};

/* The health of the Release for its current metadata.generation, and one
 * line saying so ("Healthy: revision x: 3 of 3 pods available"). Stalled
 * (condition Stalled=True) wins over the phase; Healthy needs the phase and
 * status.observedGeneration == metadata.generation. */
enum cli_health cli_release_health(const json_t *release, char *line, size_t cap);

const char *cli_health_name(enum cli_health h);

/* For commands that follow a Release: prints its health line on out (and
 * flushes) unless it equals `last`, which then holds it (cap bytes). Returns
 * the health. */
enum cli_health cli_print_health_change(FILE *out, const json_t *release, char *last, size_t cap);

#endif
