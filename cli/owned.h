/*
 * What a command reads besides the Release: the ReplicaSets and pods it
 * owns. They are listed by the Release's selector plus the revision label,
 * so a list returns this Release's objects (and maybe a few more, which the
 * ownerReferences then sort out: model_controlled_by).
 */
#ifndef SLIPWAY_CLI_OWNED_H
#define SLIPWAY_CLI_OWNED_H

#include <jansson.h>

#include "cli/cli.h"
#include "kubeclient/path.h"

/* References to ReplicaSets and pods in ns; name may be NULL. */
struct kc_ref cli_replicaset_ref(const char *ns, const char *name);
struct kc_ref cli_pod_ref(const char *ns, const char *name);

/* "app=web,slipway.dev/revision" (or "...=REV" when revision is given) from
 * spec.selector.matchLabels. Caller frees; NULL on a bad selector or out of
 * memory. */
char *cli_owned_selector(const json_t *release, const char *revision);

/* The items of a List object (borrowed from list), made an empty array when
 * absent so callers can iterate. */
json_t *cli_items_of(json_t *list);

/* Gets the Release `name` into *rel and, when rs_list (pod_list) is not
 * NULL, lists its ReplicaSets (pods) into it. Caller owns all three
 * (json_decref). 0, or -1 after the error was printed (nothing is
 * returned then). */
int cli_fetch_release(struct cli *c, const char *name, json_t **rel, json_t **rs_list,
                      json_t **pod_list);

/* AnalysisRuns in ns; name may be NULL. */
struct kc_ref cli_analysis_run_ref(const char *ns, const char *name);

/* Lists the AnalysisRuns of the Release `name` (cli_analysis_selector)
 * into *list (caller owns it), or, when the list is refused for good (401,
 * 403, 404), *list NULL and the status in *refused, printing nothing. 0,
 * or -1 after another error was printed. */
int cli_fetch_runs(struct cli *c, const char *name, json_t **list, int *refused);

#endif
