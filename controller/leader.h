/*
 * Leader election on a coordination.k8s.io/v1 Lease, with client-go's
 * leaderelection semantics, so that of several controller replicas exactly
 * one writes while the others stand by.
 *
 * How a lease is judged (as client-go does):
 *  - Clocks of other machines are never trusted. A candidate does not read
 *    renewTime; it notes the *local* monotonic time at which it last saw the
 *    Lease's spec change, and considers the lease expired once it has seen no
 *    change for spec.leaseDurationSeconds. (A Lease without that field is
 *    given our own lease duration, where client-go would take 0; taking over
 *    such a lease at once is not safe.)
 *  - A Lease with an empty holderIdentity is free: it is taken at once.
 *  - Acquiring is an update carrying the resourceVersion just read (a 409
 *    means somebody else wrote first: read again); a missing Lease is
 *    created (AlreadyExists: read again). leaseTransitions grows by one
 *    whenever the holder changes; acquireTime is set when we take the lease
 *    and kept on renewals; renewTime is set on every write. Times are
 *    RFC 3339 with microseconds, UTC ("2026-11-26T12:30:59.123456Z").
 *  - The leader renews every retry period, first with the object of its last
 *    write (one PUT), falling back to GET + PUT when that fails.
 *
 * THE GUARANTEE. A leader that has not completed a renewal started within
 * the last renew_deadline seconds stops leading: on_stopped_leading is
 * called, and ctl_leader_is_leader() turns false, renew_deadline seconds
 * after the start of the last successful write, measured on the monotonic
 * clock. Because the write started before the server committed it, and every
 * other candidate waits lease_duration > renew_deadline after it *saw* that
 * commit, we stop before any other replica can consider the lease expired
 * (given clocks that run at roughly the same rate, which is all client-go
 * assumes too). A leader that reads the Lease and finds another holder, or no
 * Lease at all, stops at once. ctl_leader_is_leader() also checks the
 * deadline against the clock itself, so it is right even when the event loop
 * was too busy to run the deadline timer: gate every write on it.
 * After stopping, the elector goes back to being a candidate.
 *
 * Graceful release: ctl_leader_release() stops leading (on_stopped_leading
 * first), then writes the Lease with an empty holderIdentity and
 * leaseDurationSeconds 1 (client-go's ReleaseOnCancel), so a standby can
 * take over at once, and reports completion after the write or a timeout.
 *
 * Electors also watch the Lease (one watch, field selector on its name):
 * a standby acts on every change when it happens rather than at its next
 * poll, so a released lease is taken over well within a second, and a
 * leader stops at once when the Lease names someone else. The watch is only
 * a hint (it backs off to a minute when refused); the polls alone are
 * enough for correctness. RBAC: get, create, update and watch on
 * coordination.k8s.io leases in the Lease's namespace.
 *
 * The decisions live in a pure state machine, ctl_leader_step(), tested from
 * a table (tests/unit/test-leader.c); struct ctl_leader is the I/O around it.
 *
 * Threading: everything runs on the client's loop. Callbacks never fire
 * inside ctl_leader_start() or ctl_leader_release(), with one deliberate
 * exception: ctl_leader_release() calls on_stopped_leading before it returns.
 */
#ifndef SLIPWAY_CONTROLLER_LEADER_H
#define SLIPWAY_CONTROLLER_LEADER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "kubeclient/client.h"
#include "kubeclient/error.h"

/* Defaults (seconds), as client-go's and kube-controller-manager's. */
#define CTL_LEADER_LEASE_DURATION  15.0
#define CTL_LEADER_RENEW_DEADLINE  10.0
#define CTL_LEADER_RETRY_PERIOD    2.0
#define CTL_LEADER_RELEASE_TIMEOUT 5.0
/* A candidate's retry waits retry_period * (1 + JITTER * rand), as client-go's
 * wait.JitterUntil, so candidates do not all poll together. */
#define CTL_LEADER_JITTER 1.2
/* Longest identity accepted (a holderIdentity longer than this is never ours). */
#define CTL_LEADER_MAX_IDENTITY 253

/* ---- The pure state machine ------------------------------------------- */

enum ctl_leader_state {
	CTL_LEADER_IDLE,      /* created, not started */
	CTL_LEADER_CANDIDATE, /* standby: trying to acquire */
	CTL_LEADER_LEADING,
	CTL_LEADER_RELEASING, /* giving the lease up */
	CTL_LEADER_STOPPED,   /* final */
};

enum ctl_leader_input {
	CTL_LEADER_IN_START,
	CTL_LEADER_IN_TICK,         /* the retry timer fired */
	CTL_LEADER_IN_GOT,          /* the Lease was read (GET, or a watch event): see lease */
	CTL_LEADER_IN_NOT_FOUND,    /* the Lease does not exist */
	CTL_LEADER_IN_GET_FAILED,   /* any other failure of the read, or its timeout */
	CTL_LEADER_IN_WRITTEN,      /* our create or update succeeded */
	CTL_LEADER_IN_CONFLICT,     /* 409: stale resourceVersion, or AlreadyExists on create */
	CTL_LEADER_IN_WRITE_FAILED, /* any other failure of a write, or its timeout */
	CTL_LEADER_IN_DEADLINE,     /* the renew deadline timer fired */
	CTL_LEADER_IN_RELEASE,      /* give the lease up and stop */
	CTL_LEADER_IN_STOP,         /* stop without writing (the elector is being freed) */
};

enum ctl_leader_action {
	CTL_LEADER_DO_NOTHING,
	CTL_LEADER_DO_WAIT,    /* cancel what runs; TICK after step.wait seconds */
	CTL_LEADER_DO_GET,     /* cancel what runs; read the Lease */
	CTL_LEADER_DO_CREATE,  /* cancel what runs; create it with us as holder */
	CTL_LEADER_DO_ACQUIRE, /* cancel what runs; update the Lease last read with us as holder */
	CTL_LEADER_DO_RENEW,   /* cancel what runs; update the Lease we last wrote (fast path) */
	CTL_LEADER_DO_RELEASE, /* cancel what runs; update the Lease last seen: no holder, 1 s */
	CTL_LEADER_DO_FINISH,  /* cancel what runs; the elector has stopped */
};

/* What one observation of the Lease says, as far as the decision goes. */
struct ctl_lease_view {
	bool ours;       /* holderIdentity is our identity */
	bool empty;      /* holderIdentity is absent or "" */
	bool changed;    /* spec differs from the last spec observed (true for the first) */
	double duration; /* spec.leaseDurationSeconds; <= 0: absent */
};

struct ctl_leader_event {
	enum ctl_leader_input in;
	double now;                  /* monotonic seconds (any epoch) */
	double rand01;               /* uniform in [0, 1): jitter for a candidate's wait */
	struct ctl_lease_view lease; /* GOT and WRITTEN */
};

/* The machine's whole state. Set the three durations, the rest zero. */
struct ctl_leader_fsm {
	enum ctl_leader_state state;
	double lease_duration; /* written as leaseDurationSeconds, rounded up */
	double renew_deadline;
	double retry_period;

	bool observed;            /* some Lease has been seen or written */
	bool observed_ours;       /* ... and its holder was us */
	bool observed_empty;      /* ... and it had no holder */
	double observed_duration; /* ... its leaseDurationSeconds (ours when absent) */
	double observed_time;     /* when its spec last changed, by our clock */
	double renewed_at;        /* LEADING: when the last successful write started */
	double attempt_at;        /* when the write in flight started */
	bool slow;                /* LEADING: this round already fell back to a GET */
	bool maybe_ours;          /* the Lease may name us (a write of ours may have landed) */
};

struct ctl_leader_step {
	enum ctl_leader_action action;
	double wait;    /* DO_WAIT: seconds until TICK */
	double timeout; /* GET/CREATE/ACQUIRE/RENEW/RELEASE: give up after this many seconds */
	bool started_leading; /* call on_started_leading (after the action) */
	bool stopped_leading; /* call on_stopped_leading (before the action) */
};

/* Pure: advances f by one event and says what to do. Inputs that make no
 * sense in the current state change nothing and return DO_NOTHING. */
struct ctl_leader_step ctl_leader_step(struct ctl_leader_fsm *f, const struct ctl_leader_event *ev);

/* Whether f leads at monotonic time now: LEADING and within the renew deadline. */
bool ctl_leader_fsm_leading(const struct ctl_leader_fsm *f, double now);

/* Checks lease_duration > renew_deadline > CTL_LEADER_JITTER * retry_period > 0
 * (client-go's rule: a leader must be able to retry before its deadline, and
 * stop before others may take over). 0 or -EINVAL. */
int ctl_leader_check_durations(double lease_duration, double renew_deadline, double retry_period);

/*
 * Pure: the Lease to write for `action` (CREATE, ACQUIRE, RENEW or RELEASE),
 * built on `base` (the Lease last read or written; NULL for CREATE): base's
 * metadata is kept (its resourceVersion is the update's precondition) and
 * spec is rewritten. holderIdentity is `identity` ("" for RELEASE);
 * leaseTransitions is base's plus one when the holder changes; acquireTime is
 * kept when the holder stays, else set to `wall`; renewTime is `wall`;
 * leaseDurationSeconds is lease_seconds (1 for RELEASE). `wall` is an RFC 3339
 * micro time string. The annotation MODEL_ANNOTATION_CONTROLLER_VERSION is
 * `version` on CREATE, ACQUIRE and RENEW, and removed on RELEASE or when
 * version is NULL (the annotation names the holder's version, never a
 * previous holder's). Caller owns *ret (json_decref). -EINVAL for another
 * action or a NULL base where one is needed; -ENOMEM.
 */
int ctl_leader_lease_body(enum ctl_leader_action action, const char *ns, const char *name,
                          const char *identity, const char *version, int lease_seconds,
                          const char *wall, const json_t *base, json_t **ret);

/* Pure: the view of Lease `lease` for `identity`, compared with the spec last
 * observed (`prev_spec`, or NULL when none). */
struct ctl_lease_view ctl_leader_view(const json_t *lease, const char *identity,
                                      const json_t *prev_spec);

/* Formats a CLOCK_REALTIME time as RFC 3339 micro, UTC, into buf (cap >= 28).
 * 0 or -EINVAL. */
int ctl_leader_format_time(const struct timespec *ts, char *buf, size_t cap);

const char *ctl_leader_state_name(enum ctl_leader_state s);
const char *ctl_leader_input_name(enum ctl_leader_input in);
const char *ctl_leader_action_name(enum ctl_leader_action a);

/* ---- The elector ------------------------------------------------------- */

struct ctl_leader;

/* on_started_leading / on_stopped_leading. May call ctl_leader_release();
 * must not free the elector. */
typedef void ctl_leader_fn(struct ctl_leader *le, void *userdata);
/* The holder we observed changed: identity is the new holder ("" when the
 * Lease was released or is gone), borrowed for the call. Same rules. */
typedef void ctl_leader_new_fn(struct ctl_leader *le, const char *identity, void *userdata);
/* A release completed: 0 when the Lease was released (or was not ours to
 * release), else a negative errno (-ETIMEDOUT, or the write's error). */
typedef void ctl_leader_released_fn(struct ctl_leader *le, int result, void *userdata);
/* Optional: every failed request, for logs. err is borrowed for the call. */
typedef void ctl_leader_error_fn(struct ctl_leader *le, const char *what,
                                 const struct kc_error *err, void *userdata);

struct ctl_leader_options {
	const char *ns;       /* namespace of the Lease; required; copied */
	const char *name;     /* name of the Lease; required; copied */
	const char *identity; /* NULL: "<hostname>_<pid>"; copied */
	/* Our version (SLIPWAY_VERSION), published on the Lease while we hold
	 * it as MODEL_ANNOTATION_CONTROLLER_VERSION for `kubectl slipway
	 * version`; NULL: none. Copied. */
	const char *version;
	double lease_duration;             /* 0: CTL_LEADER_LEASE_DURATION */
	double renew_deadline;             /* 0: CTL_LEADER_RENEW_DEADLINE */
	double retry_period;               /* 0: CTL_LEADER_RETRY_PERIOD */
	double release_timeout;            /* 0: CTL_LEADER_RELEASE_TIMEOUT */
	bool no_watch;                     /* standbys only poll (for tests) */
	ctl_leader_fn *on_started_leading; /* or NULL */
	ctl_leader_fn *on_stopped_leading; /* or NULL */
	ctl_leader_new_fn *on_new_leader;  /* or NULL */
	ctl_leader_error_fn *on_error;     /* or NULL */
	void *userdata;
};

/* Creates an elector using client `c` (borrowed; must outlive the elector).
 * Give it a client of its own, so renewals never wait behind other traffic
 * in the client's rate limiter. Nothing happens until ctl_leader_start().
 * Caller owns *ret (ctl_leader_free). -EINVAL (err says why) for missing
 * names, an identity over CTL_LEADER_MAX_IDENTITY, or durations that fail
 * ctl_leader_check_durations(). */
int ctl_leader_new(struct kc_client *c, const struct ctl_leader_options *opts,
                   struct ctl_leader **ret, struct kc_error *err);

/* Starts campaigning: the first read happens on the next loop iteration.
 * -EALREADY when already started. */
int ctl_leader_start(struct ctl_leader *le);

/* True while we lead and the renew deadline has not passed (see THE
 * GUARANTEE above). Gate every write, and the leader status gauge, on it. */
bool ctl_leader_is_leader(const struct ctl_leader *le);

/* Our identity, and the holder last observed ("" when none). Owned by le;
 * the holder string is valid until the next loop iteration. */
const char *ctl_leader_identity(const struct ctl_leader *le);
const char *ctl_leader_holder(const struct ctl_leader *le);
enum ctl_leader_state ctl_leader_state(const struct ctl_leader *le);

/*
 * Stops campaigning for good and, if we hold (or may hold) the Lease,
 * releases it. When leading, on_stopped_leading is called first, inside this
 * call (so every write stops before the lease is given up). `cb` (may be
 * NULL) runs once from the loop, never inside this call, after the release
 * write completed or failed, or after release_timeout. -EALREADY when a
 * release was already asked for.
 */
int ctl_leader_release(struct ctl_leader *le, ctl_leader_released_fn *cb, void *userdata);

/* Cancels everything without writing and without callbacks, and frees le.
 * Not from inside one of its callbacks. NULL is fine; returns NULL. */
struct ctl_leader *ctl_leader_free(struct ctl_leader *le);

#endif
