/*
 * Traffic for a canary: which revision each Service selects, what share of
 * requests the canary gets, and which header and mirror routes are in
 * effect, turned into actions on the objects that route it. Pure: no I/O.
 *
 * The step machine (reconcilers/canary.c) decides a struct rec_traffic_want
 * for the current step; rec_traffic_plan compares it with the router objects
 * as observed and appends the actions that make them so:
 *
 *   Services      stableService's selector key MODEL_LABEL_REVISION set to
 *                 the stable revision, canaryService's to the canary one
 *                 (rec_patch_service_selector: JSON patches with `test`).
 *   gatewayAPI    in each HTTPRoute of canary.http_routes, in the named rule
 *                 or in every rule that has both Services as backendRefs,
 *                 only the two weights change (rec_patch_route_weights);
 *                 header routes are rules of their own, added before the
 *                 managed rules, with the header match and the canary as
 *                 the only backend; mirror routes are a RequestMirror filter
 *                 to the canary. Rules and filters the controller added are
 *                 named after the Release and the route name, so they are
 *                 found again after a restart and removed when no longer
 *                 wanted. Nothing else of the route is ever written.
 *   nginx         an Ingress the controller owns whole (server-side apply,
 *                 ownerReference to the Release), named by
 *                 rec_traffic_canary_ingress_name, copying the stable
 *                 Ingress's rules that point to stableService rewritten to
 *                 canaryService, its tls and ingressClassName, with the
 *                 canary annotations under canary.nginx.annotation_prefix;
 *                 deleted when it is not wanted (no nginx routing, or
 *                 want->canary_ingress false).
 *
 * Scale-then-shift and the other rollout rules are the step machine's: this
 * module sets what it is told, and reports what it saw.
 */
#ifndef SLIPWAY_RECONCILERS_TRAFFIC_H
#define SLIPWAY_RECONCILERS_TRAFFIC_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/release.h"
#include "reconcilers/plan.h"

/* Header and mirror routes in effect at one time, each: the model admits
 * no more names than that. */
#define REC_TRAFFIC_ROUTES_MAX REL_ROUTE_NAMES_MAX

/* What the canary's traffic should be now. Pointers borrow from the Release. */
struct rec_traffic_want {
	const char *stable_revision; /* what stableService selects; NULL: leave it */
	const char *canary_revision; /* what canaryService selects; NULL: leave it */
	int32_t canary_weight;       /* 0..100 percent of requests; stable gets the rest */
	/* The header routes in effect: for each name, the last setHeaderRoute
	 * among the steps already taken, without those that removed it; in
	 * step order. None once the rollout completes or aborts. */
	size_t n_header_routes;
	const struct rel_header_route *header_routes[REC_TRAFFIC_ROUTES_MAX];
	/* The same for setMirrorRoute. */
	size_t n_mirror_routes;
	const struct rel_mirror_route *mirror_routes[REC_TRAFFIC_ROUTES_MAX];
	/* nginx: whether the canary Ingress should exist (false once the
	 * rollout is complete and weights are back to stable). */
	bool canary_ingress;
};

/* The router objects as observed, borrowed. */
struct rec_traffic_observed {
	const json_t *stable_service; /* NULL: not found (or not configured) */
	const json_t *canary_service;
	/* gatewayAPI: http_routes[i] is the HTTPRoute of
	 * rel->canary.http_routes[i], NULL when not found. */
	const json_t *const *http_routes;
	size_t n_http_routes;
	const json_t *stable_ingress; /* nginx: the stable Ingress, NULL: not found */
	/* Ingresses in the Release's namespace that the Release controls (the
	 * owner index): the canary Ingress, and any left from an earlier
	 * configuration, which are deleted. */
	const json_t *const *owned_ingresses;
	size_t n_owned_ingresses;
};

/* What the routers say, for status, conditions and Events. */
struct rec_traffic_report {
	/* Every router already routes as wanted: the step may count as reached. */
	bool in_effect;
	/* A router gave the canary another weight than `last_set_weight` (what
	 * status.canary.weights recorded): someone else changed it, and the
	 * plan sets it back (Event TrafficDriftCorrected). */
	bool drift_corrected;
	/* The routers drift_corrected is about, for the Event: "HTTPRoute web". */
	char drifted[256];
	/* A referenced Service, HTTPRoute, rule or Ingress is missing or
	 * unusable (e.g. a rule without both backendRefs); message names it. */
	bool missing;
	/* An HTTPRoute that no parent accepted (status.parents[].conditions
	 * Accepted=True absent for every parent); message names it. */
	bool not_accepted;
	char message[512];
};

/* The value of the revision key (MODEL_LABEL_REVISION) in Service svc's
 * spec.selector, or NULL (no such key, or svc NULL). Borrowed from svc. */
const char *rec_traffic_selected_revision(const json_t *svc);

/* Whether none of the n Services may send traffic to `revision`: each one
 * configured (names[i] non-NULL; NULL ones are skipped) is observed
 * (svcs[i]) and selects the revision key with another value (a NULL
 * revision: any value). A Service not found, or whose selector lacks the
 * key (it selects every revision), may route to it; none configured: false. */
bool rec_traffic_unrouted(size_t n, const char *const names[], const json_t *const svcs[],
                          const char *revision);

/* The Service part of rec_traffic_plan, for every strategy (canary's
 * stableService and canaryService, blue-green's activeService and
 * previewService): appends to plan the JSON patch that makes Service `name`
 * in namespace ns (svc as observed, NULL: not found) select `revision` by
 * MODEL_LABEL_REVISION, guarded by `test` ops and its uid
 * (rec_patch_service_selector), and clears rep->in_effect when it plans one.
 * Not found, or without a usable selector: nothing planned, rep->missing and
 * a note in rep->message. name or revision NULL: nothing. 0 or -ENOMEM. */
int rec_traffic_service(const char *ns, const char *name, const json_t *svc, const char *revision,
                        struct rec_plan *plan, struct rec_traffic_report *rep);

/* The name of the canary Ingress of Release `release` for stable Ingress
 * `stable_ingress`: "<release>-<stable_ingress>-canary", shortened with a
 * hash to stay a valid name. Writes at most cap bytes (NUL included).
 * 0, or -ERANGE when cap is too small. */
int rec_traffic_canary_ingress_name(const char *release, const char *stable_ingress, char *out,
                                    size_t cap);

/*
 * Appends to plan the actions that bring the routers of rel (its
 * spec.strategy.canary) to `want`, and fills *report. release is the
 * Release's ref (owner of the canary Ingress, subject of Events: the plan
 * gets no Event from here; the caller decides them from *report).
 * last_set_weight is the canary weight status.canary.weights records, -1
 * when none. Nothing is planned for a router whose object is missing
 * (report->missing). `release` is not read today (the owner reference is
 * built from rel) and may be NULL. Returns 0, -EINVAL when an argument is
 * missing or want is out of range (weight outside 0..100, more than
 * REC_TRAFFIC_ROUTES_MAX routes), or -ENOMEM; plan and *report unchanged on
 * failure.
 */
int rec_traffic_plan(const struct rel_release *rel, const struct rec_ref *release,
                     const struct rec_traffic_want *want, const struct rec_traffic_observed *obs,
                     int32_t last_set_weight, struct rec_plan *plan,
                     struct rec_traffic_report *report);

#endif
