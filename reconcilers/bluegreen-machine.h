/*
 * The blue-green machine's state, shared by its two halves (internal to the
 * strategy; nothing else includes it):
 *
 *   bluegreen.c        states, stages, intents, pods, the status record and
 *                      its words;
 *   bluegreen-steer.c  the Services (which revision each is to select, the
 *                      guard on activeService, drift), the ReplicaSets kept
 *                      for their scale-down delays, and the pods' labels.
 */
#ifndef SLIPWAY_RECONCILERS_BLUEGREEN_MACHINE_H
#define SLIPWAY_RECONCILERS_BLUEGREEN_MACHINE_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "reconcilers/claim.h"
#include "reconcilers/context.h"
#include "reconcilers/plan.h"
#include "reconcilers/scaling.h"
#include "reconcilers/traffic.h"

/* Where the machine stands; derived each reconcile from the status and the
 * ReplicaSets (docs/internals/bluegreen.md). */
enum rec_bg_state {
	BG_FIRST,    /* no stable ReplicaSet: the template goes out whole */
	BG_STABLE,   /* the template is the stable revision */
	BG_ABORTED,  /* both Services on stable, the new revision goes */
	BG_HELD,     /* spec.paused: nothing moves */
	BG_PREVIEW,  /* stage 0 */
	BG_PRE,      /* stage 1: prePromotionAnalysis, blocked */
	BG_PAUSE,    /* stage 2 */
	BG_SCALE_UP, /* stage 3 */
	BG_POST,     /* stage 4: postPromotionAnalysis, blocked */
};

struct rec_bg_machine {
	struct rec_ctx *c;
	struct rec_scaling s;
	struct rec_plan *after;
	enum rec_bg_state st;
	const char *stable;       /* status.stableRevision (or adopted), NULL: none */
	struct rec_rs *stable_rs; /* its ReplicaSet, NULL: none (or it is the template's) */
	int32_t stage;            /* REL_BG_STAGE_* of the template's rollout */
	bool abort;
	time_t aborted_at;
	time_t pause_start; /* the BlueGreenPause condition, 0: none */
	bool moved;         /* a transition this reconcile restarts the progress clock */
	bool rollback;      /* the template's ReplicaSet was stable and is whole: switch at once */
	int32_t new_pods, stable_pods; /* this state's targets */
	struct rec_obstacle obstacle;
	/* The Services (bluegreen-steer.c). */
	const char *want_active, *want_preview; /* NULL: leave as is */
	struct rec_traffic_report rep;
	bool planned_traffic;
	bool drift;
	char drifted[256];
};

/* bluegreen-steer.c, for bluegreen.c. */

/* Available pods of `revision`'s ReplicaSet (0: none, or only planned). */
int32_t rec_bg_available(struct rec_bg_machine *m, const char *revision);
/* Whether activeService may be pointed at `revision` now: it has
 * spec.replicas available pods, or already has it, or has at least as
 * many as what it selects now; in BG_FIRST also when the Service selects
 * none of the Release's available pods. */
bool rec_bg_active_may_select(struct rec_bg_machine *m, const char *revision);
/* The Services' wants of m's state into want_active / want_preview. */
void rec_bg_decide_services(struct rec_bg_machine *m);
/* The Service patches of the wants (first in the plan), the drift Event,
 * and status.activeRevision / previewRevision. 0 or -ENOMEM. */
int rec_bg_steer(struct rec_bg_machine *m, struct rec_plan *actions);
/* Whether v, which m's state takes to 0 pods, keeps them for now (its
 * scale-down delay); records the decision in v and the wake-up. */
bool rec_bg_keep(struct rec_bg_machine *m, struct rec_rs *v);
/* The label patches of the pods for activeMetadata / previewMetadata.
 * 0 or -ENOMEM. */
int rec_bg_label_pods(struct rec_bg_machine *m, const json_t *const *pods, size_t n_pods,
                      struct rec_plan *actions);

#endif
