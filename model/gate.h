/*
 * Approval gates: an approval step of a canary (or a policy's
 * requiredApprovals entry), and whether the Approvals given so far open it.
 *
 *   approval: {name: prod-signoff,
 *              rules: [{group: sre, count: 1}, {group: security, count: 1}],
 *              timeout: 24h,          # optional
 *              onTimeout: Pause}      # or Abort; Pause when absent
 *
 * Evaluation (model_gate_eval) counts only Approvals of this gate and of the
 * current revision; others are ignored, not errors (an Approval of an older
 * revision does not count for a newer one). The user and groups of an
 * Approval are taken as the API server admitted them: the
 * slipway-approval-identity policy (deploy/approval-policy.yaml) made them
 * the requesting user's own; whether that policy is installed is the
 * caller's to check.
 *
 * People, not Approvals, count. A user's groups are the union of the groups
 * of their Approvals for this gate and revision. Each person fills at most
 * one place of one rule, even when in the groups of several rules: the
 * places are assigned by a maximum bipartite matching (augmenting paths,
 * people in the order of their first Approval: creation time, then name;
 * rules in spec order), so a gate is met whenever some assignment of
 * distinct people meets every rule, and the assignment shown is the same for
 * the same Approvals in any order.
 *
 * A Reject counts when its user is in the group of one of the gate's rules
 * (someone the gate asks); a Reject by anyone else is ignored, so being
 * allowed to create Approvals is not a veto. Precedence: rejected, then met,
 * then timed out (now >= started + timeout), else waiting.
 *
 * Pure: no I/O, no clock (now and the gate's start are passed in).
 */
#ifndef SLIPWAY_MODEL_GATE_H
#define SLIPWAY_MODEL_GATE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "model/fields.h"

#define MODEL_GATE_RULES_MAX 16
#define MODEL_GATE_COUNT_MAX 100
/* Approvals looked at per evaluation; more are ignored (the newest last). */
#define MODEL_GATE_APPROVALS_MAX 1024

enum model_gate_on_timeout {
	MODEL_GATE_ON_TIMEOUT_PAUSE = 0, /* the default */
	MODEL_GATE_ON_TIMEOUT_ABORT,
};

struct model_gate_rule {
	char *group;   /* owned, non-empty */
	int32_t count; /* 1..MODEL_GATE_COUNT_MAX */
};

struct model_gate {
	char *name; /* owned, a DNS-1123 label */
	size_t n_rules;
	struct model_gate_rule *rules; /* owned, 1..MODEL_GATE_RULES_MAX */
	bool has_timeout;
	int64_t timeout_ns; /* > 0 when has_timeout */
	enum model_gate_on_timeout on_timeout;
};

/* Parses the approval object `v` at `path` into *out, adding every problem
 * to f->errs ("PATH.rules[1].count: ..."). On success (no error added, no
 * allocation failure) *out is the caller's (model_gate_clear). On failure
 * *out is left zeroed, whatever was built is freed. Returns 0, -EINVAL or
 * -ENOMEM. */
int model_gate_parse(struct model_fields *f, const json_t *v, const char *path,
                     struct model_gate *out);

/* Frees what *g owns and zeroes it; accepts NULL and a zeroed gate. */
void model_gate_clear(struct model_gate *g);

enum model_decision {
	MODEL_DECISION_APPROVE = 1,
	MODEL_DECISION_REJECT,
};

/* One Approval as evaluation needs it; every pointer is borrowed. */
struct model_approval {
	const char *user;
	const char *const *groups;
	size_t n_groups;
	enum model_decision decision;
	const char *revision;
	const char *gate;
	time_t created;
};

enum model_gate_state {
	MODEL_GATE_WAITING = 1,
	MODEL_GATE_MET,
	MODEL_GATE_REJECTED,
	MODEL_GATE_TIMED_OUT,
};

struct model_gate_result {
	enum model_gate_state state;
	size_t rejected_by; /* REJECTED: index of the first counted Reject */
	/* Per rule of the gate: how many places are filled (<= count). */
	int32_t filled[MODEL_GATE_RULES_MAX];
	/* Per Approval given (n of them): the rule whose place its user fills,
	 * or -1. Exactly one Approval per counted person carries the rule (that
	 * person's first). Owned by the result: model_gate_result_clear. */
	int *rule_of;
	bool has_deadline;
	time_t deadline; /* has_deadline: started + timeout, rounded up to seconds */
};

/* Evaluates gate g against the n Approvals a (any order; only those of g's
 * name and `revision` count) at time `now`, the gate having been reached at
 * `started`. On success *res is the caller's (model_gate_result_clear).
 * Returns 0, or -ENOMEM (res untouched). */
int model_gate_eval(const struct model_gate *g, const struct model_approval *a, size_t n,
                    const char *revision, time_t started, time_t now,
                    struct model_gate_result *res);

/* Frees what *res owns and zeroes it; accepts NULL. */
void model_gate_result_clear(struct model_gate_result *res);

/* A one-line account for status and `kubectl slipway get`:
 * "sre 1/1 (alice); security 0/1 (1 missing)", or "rejected by bob", with
 * the state's word in front ("waiting: ", "met: ", "timed out: ").
 * Caller frees; NULL on ENOMEM. */
char *model_gate_describe(const struct model_gate *g, const struct model_approval *a, size_t n,
                          const struct model_gate_result *res);

#endif
