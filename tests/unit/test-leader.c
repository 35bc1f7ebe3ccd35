/* Leader election's decisions (controller/leader.h): the state machine from
 * a table, a renew-failure scenario against the deadline guarantee, and the
 * Lease bodies written for each action. Time is passed in; no I/O. */
#include "tap.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "controller/leader.h"
#include "model/api.h"

#define D 15.0 /* lease duration */
#define R 10.0 /* renew deadline */
#define P 2.0  /* retry period */

#define ANY -1.0 /* do not check this number */

enum { IN, CA, LE, RL, ST }; /* short state names for the table */

static const enum ctl_leader_state states[] = {
    [IN] = CTL_LEADER_IDLE,      [CA] = CTL_LEADER_CANDIDATE, [LE] = CTL_LEADER_LEADING,
    [RL] = CTL_LEADER_RELEASING, [ST] = CTL_LEADER_STOPPED,
};

/* What the machine knew before the event. */
struct before {
	int state;
	bool observed, ours, empty;
	double duration, observed_time, renewed_at, attempt_at;
	bool slow, maybe_ours;
};

/* Lease views. */
#define OTHER_CHANGED                                                                              \
	{                                                                                          \
		.changed = true, .duration = 15                                                    \
	}
#define OTHER_SAME                                                                                 \
	{                                                                                          \
		.changed = false, .duration = 15                                                   \
	}
#define OTHER_NODUR                                                                                \
	{                                                                                          \
		.changed = true, .duration = 0                                                     \
	}
#define OTHER_SAME_1S                                                                              \
	{                                                                                          \
		.changed = false, .duration = 1                                                    \
	}
#define EMPTY_CHANGED                                                                              \
	{                                                                                          \
		.empty = true, .changed = true, .duration = 1                                      \
	}
#define OURS                                                                                       \
	{                                                                                          \
		.ours = true, .changed = true, .duration = 15                                      \
	}

/* Earlier observations. */
#define SAW_OTHER(t)    .observed = true, .duration = 15, .observed_time = (t)
#define SAW_OTHER_1S(t) .observed = true, .duration = 1, .observed_time = (t)
#define LEADER(r)                                                                                  \
	.state = LE, .observed = true, .ours = true, .duration = 15, .observed_time = (r),         \
	.renewed_at = (r), .maybe_ours = true

static const struct row {
	const char *name;
	struct before b;
	enum ctl_leader_input in;
	double now, rand01;
	struct ctl_lease_view lease;
	/* expected */
	enum ctl_leader_action action;
	int state;
	bool started, stopped;
	double wait;    /* DO_WAIT */
	double timeout; /* requests */
} rows[] = {
    /* One row per situation reads better than one field per line. */
    /* clang-format off */
	/* ---- starting and stopping ---- */
	{"idle: start reads the lease",
		{.state = IN}, CTL_LEADER_IN_START, 100, 0, {0},
			CTL_LEADER_DO_GET, CA, false, false, ANY, R},
	{"idle: a tick before start does nothing",
		{.state = IN}, CTL_LEADER_IN_TICK, 100, 0, {0},
			CTL_LEADER_DO_NOTHING, IN, false, false, ANY, ANY},
	{"idle: release finishes at once",
		{.state = IN}, CTL_LEADER_IN_RELEASE, 100, 0, {0},
			CTL_LEADER_DO_FINISH, ST, false, false, ANY, ANY},
	{"candidate: stop finishes",
		{.state = CA}, CTL_LEADER_IN_STOP, 100, 0, {0},
			CTL_LEADER_DO_FINISH, ST, false, false, ANY, ANY},
	{"stopped: a tick does nothing",
		{.state = ST}, CTL_LEADER_IN_TICK, 100, 0, {0},
			CTL_LEADER_DO_NOTHING, ST, false, false, ANY, ANY},
	/* ---- a candidate ---- */
	{"candidate: tick reads",
		{.state = CA}, CTL_LEADER_IN_TICK, 100, 0, {0},
			CTL_LEADER_DO_GET, CA, false, false, ANY, R},
	{"no lease: create it",
		{.state = CA}, CTL_LEADER_IN_NOT_FOUND, 100, 0, {0},
			CTL_LEADER_DO_CREATE, CA, false, false, ANY, R},
	{"held by other, just seen: wait a retry period",
		{.state = CA}, CTL_LEADER_IN_GOT, 100, 0, OTHER_CHANGED,
			CTL_LEADER_DO_WAIT, CA, false, false, P, ANY},
	{"held by other, unchanged 10 s: wait, jittered",
		{.state = CA, SAW_OTHER(90)}, CTL_LEADER_IN_GOT, 100, 0.5, OTHER_SAME,
			CTL_LEADER_DO_WAIT, CA, false, false, P * (1 + CTL_LEADER_JITTER * 0.5), ANY},
	{"held by other, expires in 1 s: wait just until it expires",
		{.state = CA, SAW_OTHER(90)}, CTL_LEADER_IN_GOT, 104, 0.9, OTHER_SAME,
			CTL_LEADER_DO_WAIT, CA, false, false, 1.0, ANY},
	{"held by other, unchanged for 14.9 s: still wait",
		{.state = CA, SAW_OTHER(80)}, CTL_LEADER_IN_GOT, 94.9, 0, OTHER_SAME,
			CTL_LEADER_DO_WAIT, CA, false, false, ANY, ANY},
	{"held by other, unchanged for the lease duration: take over",
		{.state = CA, SAW_OTHER(80)}, CTL_LEADER_IN_GOT, 95, 0, OTHER_SAME,
			CTL_LEADER_DO_ACQUIRE, CA, false, false, ANY, R},
	{"held by other, changed just now after a long quiet: wait again",
		{.state = CA, SAW_OTHER(80)}, CTL_LEADER_IN_GOT, 200, 0, OTHER_CHANGED,
			CTL_LEADER_DO_WAIT, CA, false, false, P, ANY},
	{"held by other, seen to change 1 s ago: wait",
		{.state = CA, SAW_OTHER(199)}, CTL_LEADER_IN_GOT, 200, 0, OTHER_SAME,
			CTL_LEADER_DO_WAIT, CA, false, false, P, ANY},
	{"held by other with no leaseDurationSeconds: ours is used, not 0",
		{.state = CA}, CTL_LEADER_IN_GOT, 100, 0, OTHER_NODUR,
			CTL_LEADER_DO_WAIT, CA, false, false, P, ANY},
	{"held by other with a 1 s lease, unchanged 1 s: take over",
		{.state = CA, SAW_OTHER_1S(99)}, CTL_LEADER_IN_GOT, 100, 0, OTHER_SAME_1S,
			CTL_LEADER_DO_ACQUIRE, CA, false, false, ANY, R},
	{"released (no holder): take it at once",
		{.state = CA, SAW_OTHER(99)}, CTL_LEADER_IN_GOT, 100, 0, EMPTY_CHANGED,
			CTL_LEADER_DO_ACQUIRE, CA, false, false, ANY, R},
	{"still ours (a late renewal landed): take it back",
		{.state = CA}, CTL_LEADER_IN_GOT, 100, 0, OURS,
			CTL_LEADER_DO_ACQUIRE, CA, false, false, ANY, R},
	{"conflict on update: read again at once",
		{.state = CA}, CTL_LEADER_IN_CONFLICT, 100, 0, {0},
			CTL_LEADER_DO_GET, CA, false, false, ANY, R},
	{"write failed: wait, jittered",
		{.state = CA}, CTL_LEADER_IN_WRITE_FAILED, 100, 1.0 / 3, {0},
			CTL_LEADER_DO_WAIT, CA, false, false, P * (1 + CTL_LEADER_JITTER / 3), ANY},
	{"read failed: wait",
		{.state = CA}, CTL_LEADER_IN_GET_FAILED, 100, 0, {0},
			CTL_LEADER_DO_WAIT, CA, false, false, P, ANY},
	{"acquired: start leading, renew after a retry period",
		{.state = CA, .attempt_at = 100, .maybe_ours = true}, CTL_LEADER_IN_WRITTEN, 100.2, 0, OURS,
			CTL_LEADER_DO_WAIT, LE, true, false, P, ANY},
	{"acquired, but the answer came after the renew deadline: do not lead",
		{.state = CA, .attempt_at = 100, .maybe_ours = true}, CTL_LEADER_IN_WRITTEN, 110.5, 0, OURS,
			CTL_LEADER_DO_WAIT, CA, false, false, ANY, ANY},
	{"candidate: a deadline timer means nothing",
		{.state = CA}, CTL_LEADER_IN_DEADLINE, 100, 0, {0},
			CTL_LEADER_DO_NOTHING, CA, false, false, ANY, ANY},
	/* ---- the leader ---- */
	{"ours: renew (fast path) within what is left of the deadline",
		{LEADER(100)}, CTL_LEADER_IN_TICK, 102, 0, {0},
			CTL_LEADER_DO_RENEW, LE, false, false, ANY, 8},
	{"renewed: wait a retry period",
		{LEADER(100), .attempt_at = 102}, CTL_LEADER_IN_WRITTEN, 102.1, 0, OURS,
			CTL_LEADER_DO_WAIT, LE, false, false, P, ANY},
	{"fast renew conflicts: re-read",
		{LEADER(100), .attempt_at = 102}, CTL_LEADER_IN_CONFLICT, 102.1, 0, {0},
			CTL_LEADER_DO_GET, LE, false, false, ANY, 7.9},
	{"fast renew fails: re-read",
		{LEADER(100), .attempt_at = 102}, CTL_LEADER_IN_WRITE_FAILED, 103, 0, {0},
			CTL_LEADER_DO_GET, LE, false, false, ANY, 7},
	{"slow renew fails too: wait a retry period",
		{LEADER(100), .slow = true}, CTL_LEADER_IN_WRITE_FAILED, 103, 0, {0},
			CTL_LEADER_DO_WAIT, LE, false, false, P, ANY},
	{"re-read finds it ours: update from what was read",
		{LEADER(100), .slow = true}, CTL_LEADER_IN_GOT, 103, 0, OURS,
			CTL_LEADER_DO_ACQUIRE, LE, false, false, ANY, 7},
	{"re-read finds another holder: stop leading at once",
		{LEADER(100), .slow = true}, CTL_LEADER_IN_GOT, 103, 0, OTHER_CHANGED,
			CTL_LEADER_DO_WAIT, CA, false, true, P, ANY},
	{"re-read finds it released by someone: stop, then take it as a candidate",
		{LEADER(100), .slow = true}, CTL_LEADER_IN_GOT, 103, 0, EMPTY_CHANGED,
			CTL_LEADER_DO_ACQUIRE, CA, false, true, ANY, R},
	{"lease deleted under the leader: stop, then create",
		{LEADER(100), .slow = true}, CTL_LEADER_IN_NOT_FOUND, 103, 0, {0},
			CTL_LEADER_DO_CREATE, CA, false, true, ANY, R},
	{"re-read fails before the deadline: keep leading, retry",
		{LEADER(100), .slow = true}, CTL_LEADER_IN_GET_FAILED, 105, 0, {0},
			CTL_LEADER_DO_WAIT, LE, false, false, P, ANY},
	{"renew failed until the deadline: stop leading",
		{LEADER(100)}, CTL_LEADER_IN_DEADLINE, 110, 0, {0},
			CTL_LEADER_DO_WAIT, CA, false, true, ANY, ANY},
	{"a deadline timer a hair early changes nothing",
		{LEADER(100)}, CTL_LEADER_IN_DEADLINE, 109.9995, 0, {0},
			CTL_LEADER_DO_NOTHING, LE, false, false, ANY, ANY},
	{"any input past the deadline stops leading (late timer)",
		{LEADER(100)}, CTL_LEADER_IN_TICK, 110.1, 0, {0},
			CTL_LEADER_DO_WAIT, CA, false, true, ANY, ANY},
	{"a renewal answered after the deadline does not extend it",
		{LEADER(100), .attempt_at = 99.5}, CTL_LEADER_IN_WRITTEN, 110, 0, OURS,
			CTL_LEADER_DO_WAIT, CA, false, true, ANY, ANY},
	{"a renewal sent in time but answered late still counts from its start",
		{LEADER(100), .attempt_at = 108}, CTL_LEADER_IN_WRITTEN, 110.5, 0, OURS,
			CTL_LEADER_DO_WAIT, LE, false, false, P, ANY},
	/* ---- release ---- */
	{"leader: release stops leading first, then gives the lease up",
		{LEADER(100)}, CTL_LEADER_IN_RELEASE, 101, 0, {0},
			CTL_LEADER_DO_RELEASE, RL, false, true, ANY, R},
	{"released: finish",
		{.state = RL}, CTL_LEADER_IN_WRITTEN, 101.1, 0, EMPTY_CHANGED,
			CTL_LEADER_DO_FINISH, ST, false, false, ANY, ANY},
	{"release conflicts (a renewal landed): re-read",
		{.state = RL}, CTL_LEADER_IN_CONFLICT, 101, 0, {0},
			CTL_LEADER_DO_GET, RL, false, false, ANY, R},
	{"re-read while releasing finds it ours: release that",
		{.state = RL}, CTL_LEADER_IN_GOT, 101, 0, OURS,
			CTL_LEADER_DO_RELEASE, RL, false, false, ANY, R},
	{"re-read while releasing finds another holder: nothing to release",
		{.state = RL}, CTL_LEADER_IN_GOT, 101, 0, OTHER_CHANGED,
			CTL_LEADER_DO_FINISH, ST, false, false, ANY, ANY},
	{"release write fails: finish anyway",
		{.state = RL}, CTL_LEADER_IN_WRITE_FAILED, 101, 0, {0},
			CTL_LEADER_DO_FINISH, ST, false, false, ANY, ANY},
	{"releasing: a tick does nothing",
		{.state = RL}, CTL_LEADER_IN_TICK, 101, 0, {0},
			CTL_LEADER_DO_NOTHING, RL, false, false, ANY, ANY},
	{"candidate that never wrote: release finishes at once",
		{.state = CA, SAW_OTHER(90)}, CTL_LEADER_IN_RELEASE, 100, 0, {0},
			CTL_LEADER_DO_FINISH, ST, false, false, ANY, ANY},
	{"candidate whose write may have landed: release reads first",
		{.state = CA, .maybe_ours = true}, CTL_LEADER_IN_RELEASE, 100, 0, {0},
			CTL_LEADER_DO_GET, RL, false, false, ANY, R},
    /* clang-format on */
};

static bool near(double a, double b)
{
	return fabs(a - b) < 1e-9;
}

static struct ctl_leader_fsm fsm_from(const struct before *b)
{
	struct ctl_leader_fsm f = {
	    .state = states[b->state],
	    .lease_duration = D,
	    .renew_deadline = R,
	    .retry_period = P,
	    .observed = b->observed,
	    .observed_ours = b->ours,
	    .observed_empty = b->empty,
	    .observed_duration = b->duration,
	    .observed_time = b->observed_time,
	    .renewed_at = b->renewed_at,
	    .attempt_at = b->attempt_at,
	    .slow = b->slow,
	    .maybe_ours = b->maybe_ours,
	};
	return f;
}

static void test_table(void)
{
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];
		struct ctl_leader_fsm f = fsm_from(&r->b);
		struct ctl_leader_event ev = {
		    .in = r->in, .now = r->now, .rand01 = r->rand01, .lease = r->lease};
		struct ctl_leader_step s = ctl_leader_step(&f, &ev);
		bool good = s.action == r->action && f.state == states[r->state] &&
		            s.started_leading == r->started && s.stopped_leading == r->stopped &&
		            (r->wait == ANY || near(s.wait, r->wait)) &&
		            (r->timeout == ANY || near(s.timeout, r->timeout));
		ok(good, "%s", r->name);
		if (!good)
			tap_diag("got %s -> %s, started %d stopped %d wait %g timeout %g",
			         ctl_leader_action_name(s.action), ctl_leader_state_name(f.state),
			         s.started_leading, s.stopped_leading, s.wait, s.timeout);
	}
}

/* Drives f with ev and returns the step. */
static struct ctl_leader_step feed(struct ctl_leader_fsm *f, enum ctl_leader_input in, double now,
                                   struct ctl_lease_view v)
{
	struct ctl_leader_event ev = {.in = in, .now = now, .lease = v};
	return ctl_leader_step(f, &ev);
}

/* A leader whose API server stops answering: it must stop leading exactly at
 * renew_deadline after the start of its last successful write, whatever the
 * timers do, and a standby that watched the same lease must not be able to
 * take over before that. */
static void test_renew_failure_scenario(void)
{
	struct ctl_leader_fsm f = {.lease_duration = D, .renew_deadline = R, .retry_period = P};
	struct ctl_lease_view ours = OURS;
	feed(&f, CTL_LEADER_IN_START, 0, ours);
	feed(&f, CTL_LEADER_IN_NOT_FOUND, 0.1, ours);
	struct ctl_leader_step s = feed(&f, CTL_LEADER_IN_WRITTEN, 0.2, ours);
	ok(s.started_leading && ctl_leader_fsm_leading(&f, 0.2), "created the lease: leading");
	/* One good renewal started at 2.0. */
	feed(&f, CTL_LEADER_IN_TICK, 2.0, ours);
	feed(&f, CTL_LEADER_IN_WRITTEN, 2.3, ours);
	double last_good = 2.0;
	/* Then every renewal times out. */
	bool stopped = false;
	double stopped_at = -1;
	for (double t = 4.3; t < 30 && !stopped; t += 0.5) {
		if (!ctl_leader_fsm_leading(&f, t) && stopped_at < 0)
			stopped_at = t; /* what is_leader() would say */
		s = feed(&f, CTL_LEADER_IN_WRITE_FAILED, t, ours);
		if (s.stopped_leading)
			stopped = true;
	}
	ok(stopped, "the leader stopped after failing to renew");
	ok(stopped_at >= last_good + R && stopped_at <= last_good + R + 0.5,
	   "is_leader turned false at the renew deadline (%g, last renewal started %g)", stopped_at,
	   last_good);
	is_int(f.state, CTL_LEADER_CANDIDATE, "... and it is a candidate again");

	/* A standby that saw the last renewal land (no earlier than when it
	 * started) can take over no sooner than lease_duration later. */
	struct ctl_leader_fsm sb = {.lease_duration = D, .renew_deadline = R, .retry_period = P};
	struct ctl_lease_view other_changed = OTHER_CHANGED, other_same = OTHER_SAME;
	feed(&sb, CTL_LEADER_IN_START, 0, other_same);
	feed(&sb, CTL_LEADER_IN_GOT, last_good, other_changed);
	double takeover = -1;
	for (double t = last_good; t < 40 && takeover < 0; t += 0.25) {
		feed(&sb, CTL_LEADER_IN_TICK, t, other_same);
		s = feed(&sb, CTL_LEADER_IN_GOT, t, other_same);
		if (s.action == CTL_LEADER_DO_ACQUIRE)
			takeover = t;
	}
	ok(takeover >= last_good + D, "the standby takes over at %g, after the lease expired",
	   takeover);
	ok(stopped_at < takeover,
	   "the old leader stopped (%g) before the standby could take over (%g)", stopped_at,
	   takeover);
}

static const char *str(json_t *o, const char *k)
{
	return json_string_value(json_object_get(json_object_get(o, "spec"), k));
}

static long long num(json_t *o, const char *k)
{
	return json_integer_value(json_object_get(json_object_get(o, "spec"), k));
}

static void test_bodies(void)
{
	const char *t1 = "2026-11-26T12:30:59.123456Z";
	const char *t2 = "2026-11-26T12:31:09.000001Z";
	json_t *created = NULL;
	int rc = ctl_leader_lease_body(CTL_LEADER_DO_CREATE, "ns", "lock", "me", NULL, 15, t1, NULL,
	                               &created);
	is_int(rc, 0, "create body");
	is_str(json_string_value(json_object_get(created, "apiVersion")), "coordination.k8s.io/v1",
	       "apiVersion");
	is_str(
	    json_string_value(json_object_get(json_object_get(created, "metadata"), "namespace")),
	    "ns", "namespace");
	is_str(str(created, "holderIdentity"), "me", "create: holder is us");
	is_int(num(created, "leaseDurationSeconds"), 15, "create: lease duration");
	is_int(num(created, "leaseTransitions"), 0, "create: no transitions yet");
	is_str(str(created, "acquireTime"), t1, "create: acquireTime now");
	is_str(str(created, "renewTime"), t1, "create: renewTime now");

	json_t *theirs =
	    json_pack("{s:s, s:s, s:{s:s, s:s, s:s}, s:{s:s, s:i, s:s, s:s, s:i}}", "apiVersion",
	              "coordination.k8s.io/v1", "kind", "Lease", "metadata", "name", "lock",
	              "namespace", "ns", "resourceVersion", "42", "spec", "holderIdentity", "them",
	              "leaseDurationSeconds", 30, "acquireTime", "2026-01-01T00:00:00.000000Z",
	              "renewTime", "2026-01-01T00:00:10.000000Z", "leaseTransitions", 3);
	json_t *acq = NULL;
	rc = ctl_leader_lease_body(CTL_LEADER_DO_ACQUIRE, "ns", "lock", "me", NULL, 15, t1, theirs,
	                           &acq);
	is_int(rc, 0, "acquire body");
	is_str(
	    json_string_value(json_object_get(json_object_get(acq, "metadata"), "resourceVersion")),
	    "42", "acquire: the resourceVersion read is the precondition");
	is_str(str(acq, "holderIdentity"), "me", "acquire: holder is us");
	is_int(num(acq, "leaseTransitions"), 4, "acquire: a new holder is a transition");
	is_str(str(acq, "acquireTime"), t1, "acquire: acquireTime now");
	is_int(num(acq, "leaseDurationSeconds"), 15, "acquire: our lease duration");
	is_str(str(theirs, "holderIdentity"), "them", "the base object is not modified");

	json_t *ren = NULL;
	rc =
	    ctl_leader_lease_body(CTL_LEADER_DO_RENEW, "ns", "lock", "me", NULL, 15, t2, acq, &ren);
	is_int(rc, 0, "renew body");
	is_int(num(ren, "leaseTransitions"), 4, "renew: no transition");
	is_str(str(ren, "acquireTime"), t1, "renew: acquireTime kept");
	is_str(str(ren, "renewTime"), t2, "renew: renewTime now");

	json_t *rel = NULL;
	rc = ctl_leader_lease_body(CTL_LEADER_DO_RELEASE, "ns", "lock", "me", NULL, 15, t2, ren,
	                           &rel);
	is_int(rc, 0, "release body");
	is_str(str(rel, "holderIdentity"), "", "release: no holder");
	is_int(num(rel, "leaseDurationSeconds"), 1, "release: 1 s lease, as client-go");
	is_int(num(rel, "leaseTransitions"), 4, "release: not a transition");

	json_t *again = NULL;
	rc = ctl_leader_lease_body(CTL_LEADER_DO_ACQUIRE, "ns", "lock", "you", NULL, 15, t2, rel,
	                           &again);
	is_int(num(again, "leaseTransitions"), 5, "taking a released lease is a transition");

	json_t *bad = NULL;
	is_int(
	    ctl_leader_lease_body(CTL_LEADER_DO_WAIT, "ns", "lock", "me", NULL, 15, t1, acq, &bad),
	    -EINVAL, "no body for a wait");
	is_int(ctl_leader_lease_body(CTL_LEADER_DO_RENEW, "ns", "lock", "me", NULL, 15, t1, NULL,
	                             &bad),
	       -EINVAL, "renew needs a base");
	ok(bad == NULL, "out-param untouched on failure");

	/* Views. */
	struct ctl_lease_view v = ctl_leader_view(acq, "me", NULL);
	ok(v.ours && !v.empty && v.changed && v.duration == 15, "view: ours, first sight");
	v = ctl_leader_view(ren, "me", json_object_get(acq, "spec"));
	ok(v.changed, "view: a renewal is a change");
	v = ctl_leader_view(ren, "me", json_object_get(ren, "spec"));
	ok(!v.changed, "view: the same spec again is no change");
	v = ctl_leader_view(theirs, "me", NULL);
	ok(!v.ours && !v.empty && v.duration == 30, "view: theirs, their duration");
	v = ctl_leader_view(rel, "me", NULL);
	ok(v.empty && !v.ours, "view: released");
	json_t *nospec = json_pack("{s:{s:s}}", "metadata", "name", "lock");
	v = ctl_leader_view(nospec, "me", NULL);
	ok(v.empty && v.duration <= 0, "view: no spec is no holder and no duration");

	json_decref(nospec);
	json_decref(again);
	json_decref(rel);
	json_decref(ren);
	json_decref(acq);
	json_decref(theirs);
	json_decref(created);
}

static const char *version_of(const json_t *lease)
{
	return json_string_value(
	    json_object_get(json_object_get(json_object_get(lease, "metadata"), "annotations"),
	                    MODEL_ANNOTATION_CONTROLLER_VERSION));
}

/* The controller publishes its version on the Lease while it holds it
 * (kubectl slipway version reads it), and never leaves a previous holder's. */
static void test_version_annotation(void)
{
	const char *t = "2026-11-26T12:30:59.123456Z";
	json_t *created = NULL, *acq = NULL, *ren = NULL, *rel = NULL, *plain = NULL;
	is_int(ctl_leader_lease_body(CTL_LEADER_DO_CREATE, "ns", "lock", "me", "1.2.3", 15, t, NULL,
	                             &created),
	       0, "create with a version");
	is_str(version_of(created), "1.2.3", "create: the version annotation");

	json_t *theirs =
	    json_pack("{s:{s:s, s:s, s:{s:s, s:s}}, s:{s:s}}", "metadata", "name", "lock",
	              "namespace", "ns", "annotations", MODEL_ANNOTATION_CONTROLLER_VERSION,
	              "0.0.9", "team", "x", "spec", "holderIdentity", "them");
	is_int(ctl_leader_lease_body(CTL_LEADER_DO_ACQUIRE, "ns", "lock", "me", "1.2.3", 15, t,
	                             theirs, &acq),
	       0, "acquire with a version");
	is_str(version_of(acq), "1.2.3", "acquire: ours replaces the previous holder's");
	is_str(json_string_value(json_object_get(
	           json_object_get(json_object_get(acq, "metadata"), "annotations"), "team")),
	       "x", "acquire: other annotations are kept");
	is_str(version_of(theirs), "0.0.9", "the base object is not modified");

	is_int(ctl_leader_lease_body(CTL_LEADER_DO_RENEW, "ns", "lock", "me", "1.2.3", 15, t, acq,
	                             &ren),
	       0, "renew with a version");
	is_str(version_of(ren), "1.2.3", "renew: written again");

	is_int(ctl_leader_lease_body(CTL_LEADER_DO_RELEASE, "ns", "lock", "me", "1.2.3", 15, t, ren,
	                             &rel),
	       0, "release");
	ok(version_of(rel) == NULL, "release: no holder, no version");

	is_int(ctl_leader_lease_body(CTL_LEADER_DO_ACQUIRE, "ns", "lock", "me", NULL, 15, t, theirs,
	                             &plain),
	       0, "acquire without a version");
	ok(version_of(plain) == NULL, "without a version, the previous holder's is removed");

	json_decref(plain);
	json_decref(rel);
	json_decref(ren);
	json_decref(acq);
	json_decref(theirs);
	json_decref(created);
}

static void test_time_and_durations(void)
{
	char buf[40];
	struct timespec ts = {.tv_sec = 1795696259, .tv_nsec = 123456789};
	is_int(ctl_leader_format_time(&ts, buf, sizeof(buf)), 0, "format a time");
	is_str(buf, "2026-11-26T12:30:59.123456Z", "RFC 3339 micro, UTC, truncated to µs");
	ts.tv_nsec = 1000000000L;
	is_int(ctl_leader_format_time(&ts, buf, sizeof(buf)), -EINVAL, "bad nanoseconds refused");
	ts.tv_nsec = 0;
	is_int(ctl_leader_format_time(&ts, buf, 10), -EINVAL, "too small a buffer refused");

	static const struct {
		double ld, rd, rp;
		int want;
	} d[] = {
	    {15, 10, 2, 0},        {4, 3, 0.5, 0},
	    {10, 10, 2, -EINVAL},  {15, 2.4, 2, -EINVAL},
	    {15, 2.41, 2, 0},      {15, 10, 0, -EINVAL},
	    {15, 10, -1, -EINVAL}, {INFINITY, 10, 2, -EINVAL},
	};
	for (size_t i = 0; i < sizeof(d) / sizeof(d[0]); i++)
		is_int(ctl_leader_check_durations(d[i].ld, d[i].rd, d[i].rp), d[i].want,
		       "durations %g/%g/%g", d[i].ld, d[i].rd, d[i].rp);
}

int main(void)
{
	test_table();
	test_renew_failure_scenario();
	test_bodies();
	test_version_annotation();
	test_time_and_durations();
	return tap_done();
}
