/*
 * The blue-green strategy (docs/internals/bluegreen.md): the new revision
 * runs beside the active one, is reachable through previewService, and takes
 * all of activeService's traffic in one switch once every pod of it is
 * available; the old revision stays up for scaleDownDelaySeconds, so the
 * switch can be undone as fast.
 *
 * A machine of stages, each recorded in status.currentStepIndex for
 * status.currentRevision (REL_BG_STAGE_*, model/release.h), so that a controller killed at
 * any instant resumes where the status says, and so that a Promote intent
 * names the stage it was sent at (model/intent.h staleness):
 *
 *   0 Preview       the new ReplicaSet, previewReplicaCount pods (default
 *                   spec.replicas), previewService on it
 *   1 PrePromotion  prePromotionAnalysis: not implemented yet, the machine
 *                   stops (Paused, Stalled, AnalysisNotImplemented) until
 *                   promoted or aborted
 *   2 Pause         autoPromotionEnabled false: until promoted;
 *                   autoPromotionSeconds: that long after the preview was
 *                   ready (pauseConditions BlueGreenPause)
 *   3 ScaleUp       spec.replicas pods; activeService switches to the new
 *                   revision once all of them are available
 *   4 PostPromotion activeService on the new revision, the old one still
 *                   whole: postPromotionAnalysis, not implemented (as 1)
 *   5 done          the new revision is stable; the old one scales down
 *                   after scaleDownDelaySeconds (slipway.dev/
 *                   scale-down-deadline), at most
 *                   scaleDownDelayRevisionLimit of them kept
 *
 * activeService never moves to a revision with fewer available pods than
 * spec.replicas (the first revision of a Release excepted: nothing else
 * could serve), unless the revision it selects has even fewer. Abort
 * (status.abort) sends both Services back to the stable revision and scales
 * the new one down after abortScaleDownDelaySeconds. The Service writes are
 * JSON patches of the one selector key (reconcilers/traffic.h); a Service
 * changed by someone else is set back with a TrafficDriftCorrected Event.
 */
#ifndef SLIPWAY_RECONCILERS_BLUEGREEN_H
#define SLIPWAY_RECONCILERS_BLUEGREEN_H

#include <jansson.h>
#include <stddef.h>

#include "reconcilers/context.h"
#include "reconcilers/plan.h"

#define REC_REASON_BLUE_GREEN_PREVIEW   "BlueGreenPreview"
#define REC_REASON_BLUE_GREEN_PROMOTION "BlueGreenPromotion"
#define REC_REASON_BLUE_GREEN_PAUSE     "BlueGreenPause"
/* Pre- and post-promotion analysis stop here until they create runs
 * (canary's analysis steps do: reconcilers/release-analysis.h). */
#define REC_REASON_ANALYSIS_NOT_IMPLEMENTED "AnalysisNotImplemented"

/* Decides one reconcile of c->rel (strategy blueGreen): the Service patches
 * and a TrafficDriftCorrected Event first, then ReplicaSet actions and their
 * Events, then merge patches of the labels of `pods` (the Release's pods,
 * borrowed; activeMetadata / previewMetadata), into `actions`; fills c->next
 * (consuming status.intent) and appends to `after` the Events of the
 * transitions the status write records. 0, -ENOMEM, -ENAMETOOLONG or
 * -ERANGE (the plans may hold part of it; the caller discards them). */
int rec_bluegreen_reconcile(struct rec_ctx *c, const json_t *const *pods, size_t n_pods,
                            struct rec_plan *actions, struct rec_plan *after);

#endif
