/*
 * A Release's AnalysisRuns, pure: what a strategy calls to have a set of
 * templates measured for a revision and to learn the outcome. The canary
 * uses it for its analysis steps and its background analysis; blue-green's
 * pre- and post-promotion analysis can use it as is ("purpose" tells the
 * runs apart).
 *
 * The run's existence and its status are the state: nothing about a run is
 * kept in the Release's status except status.analysisAttempt, part of the
 * run's name, which a strategy bumps when the analysis is to start afresh
 * (a Retry). A run has a deterministic name,
 *
 *     <release>-<revision>-<purpose>          (attempt 0)
 *     <release>-<revision>-<purpose>.<attempt>
 *
 * so a plan that creates it twice (a controller killed after the CREATE)
 * finds it the second time. It is controlled by the Release (ownerReference
 * controller: true, so deleting the Release deletes its runs) and labelled
 * slipway.dev/release, slipway.dev/revision and slipway.dev/analysis
 * (the purpose).
 *
 * The run is made from the templates the analysis names, found in
 * c->analysis_templates (an AnalysisTemplate in the Release's namespace, or
 * a ClusterAnalysisTemplate with clusterScope: true): their metrics, dryRun
 * and measurementRetention as written, one after the other (the merge in
 * model/analysis-args.h checks that they fit together), and the args
 * resolved: the Release's values over the templates', podTemplateHashValue
 * as the stable or latest revision, a secretKeyRef copied as a reference
 * (the run controller reads the Secret; its value never enters a spec).
 * Once the run exists its templates are not read again: a template edited
 * or deleted mid-run changes nothing for that run.
 */
#ifndef SLIPWAY_RECONCILERS_RELEASE_ANALYSIS_H
#define SLIPWAY_RECONCILERS_RELEASE_ANALYSIS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/api.h"
#include "model/release.h"
#include "reconcilers/context.h"
#include "reconcilers/plan.h"

/* Reasons a strategy reports (conditions, Events). */
#define REC_REASON_ANALYSIS_TEMPLATE_NOT_FOUND "AnalysisTemplateNotFound"
#define REC_REASON_ANALYSIS_TEMPLATE_INVALID   "AnalysisTemplateInvalid"
#define REC_REASON_ANALYSIS_RUN_FAILED         "AnalysisRunFailed"
#define REC_REASON_ANALYSIS_RUN_INCONCLUSIVE   "InconclusiveAnalysisRun"

/* Runs that no longer matter (an earlier step's, a superseded attempt's, an
 * old revision's) are kept, newest first, up to this many: for people to
 * read why; older ones are deleted. */
#define REC_ANALYSIS_RUNS_KEPT 5

/* The purpose of a canary's background analysis. */
#define REC_ANALYSIS_BACKGROUND "background"

/* What a strategy asks for: a run of `analysis`'s templates for `latest`. */
struct rec_analysis_request {
	const struct rel_analysis *analysis;
	/* What the run is for, in its name and label: a step's index ("2"),
	 * REC_ANALYSIS_BACKGROUND, or a strategy's word ("prepromotion"); at
	 * most 31 characters of [a-z0-9-]. */
	const char *purpose;
	int32_t attempt;    /* status.analysisAttempt, >= 0 */
	const char *latest; /* the revision rolled out (podTemplateHashValue Latest) */
	const char *stable; /* the stable revision (Stable), NULL: none */
};

enum rec_analysis_outcome {
	REC_ANALYSIS_WAITING = 0,  /* created by this plan, or still measuring */
	REC_ANALYSIS_SUCCEEDED,    /* Successful */
	REC_ANALYSIS_FAILED,       /* Failed or Error: the strategy aborts */
	REC_ANALYSIS_INCONCLUSIVE, /* Inconclusive: a person decides */
	REC_ANALYSIS_BLOCKED,      /* it cannot be made: a template missing or invalid */
};

struct rec_analysis_result {
	enum rec_analysis_outcome outcome;
	/* BLOCKED: REC_REASON_ANALYSIS_TEMPLATE_NOT_FOUND or _INVALID; FAILED:
	 * REC_REASON_ANALYSIS_RUN_FAILED; INCONCLUSIVE: _INCONCLUSIVE; else
	 * NULL. */
	const char *reason;
	bool exists;                   /* the run is in the observed state */
	char name[MODEL_NAME_MAX + 1]; /* the run's name ("" when it cannot have one) */
	/* For status and Events, when reason is set: the run, its templates
	 * and the run's own message, e.g. "analysis run web-5d8f-2 (template
	 * error-rate) Failed: error-rate: 0.31 >= 0.2 (failure condition) in
	 * 2 of 5 measurements"; or which template is missing or wrong. */
	char message[1536];
};

/* The run's name for q into buf (with its NUL). 0, -ENAMETOOLONG. */
int rec_analysis_run_name(const char *release, const struct rec_analysis_request *q, char *buf,
                          size_t len);

/* What became of q's run, without planning anything: its outcome when it is
 * in c->analysis_runs, else WAITING with exists false. 0 or -ENAMETOOLONG
 * (no name fits: reported as BLOCKED). */
int rec_analysis_observe(const struct rec_ctx *c, const struct rec_analysis_request *q,
                         struct rec_analysis_result *res);

/* rec_analysis_observe, and when the run is not there, its CREATE appended
 * to `actions` (WAITING), or BLOCKED when the templates do not allow one.
 * 0 or -ENOMEM (actions unchanged). */
int rec_analysis_ensure(const struct rec_ctx *c, const struct rec_analysis_request *q,
                        struct rec_plan *actions, struct rec_analysis_result *res);

/* The runs of c->analysis_runs that are not named in keep[0..n_keep): each
 * one still measuring is stopped (a merge patch of spec.terminate: true,
 * as Argo Rollouts stops a background run); of the others the newest
 * REC_ANALYSIS_RUNS_KEPT stay and the rest are deleted. 0 or -ENOMEM. */
int rec_analysis_tidy(const struct rec_ctx *c, const char *const *keep, size_t n_keep,
                      struct rec_plan *actions);

#endif
