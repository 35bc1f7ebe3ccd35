/* Approval gates: parsing the step's shape, and evaluation (N of M, groups,
 * distinct people, revision and gate mismatch, reject, timeout). */
#include "tap.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "model/gate.h"

#define H 3600

/* ---- parsing ---- */

static const struct {
	const char *name;
	const char *json;
	const char *error; /* NULL: parses */
} parse_rows[] = {
    {"the issue's example",
     "{\"name\":\"prod-signoff\",\"rules\":[{\"group\":\"sre\",\"count\":1},"
     "{\"group\":\"security\",\"count\":1}],\"timeout\":\"24h\",\"onTimeout\":\"Abort\"}",
     NULL},
    {"no timeout", "{\"name\":\"g\",\"rules\":[{\"group\":\"sre\",\"count\":2}]}", NULL},
    {"name required", "{\"rules\":[{\"group\":\"sre\",\"count\":1}]}", "s.name: required"},
    {"rules required", "{\"name\":\"g\"}", "s.rules: required"},
    {"rules not empty", "{\"name\":\"g\",\"rules\":[]}", "s.rules: must be a non-empty list"},
    {"count required", "{\"name\":\"g\",\"rules\":[{\"group\":\"sre\"}]}",
     "s.rules[0].count: required"},
    {"count at least 1", "{\"name\":\"g\",\"rules\":[{\"group\":\"sre\",\"count\":0}]}",
     "s.rules[0].count"},
    {"count at most 100", "{\"name\":\"g\",\"rules\":[{\"group\":\"sre\",\"count\":101}]}",
     "s.rules[0].count: must be at most 100"},
    {"group required", "{\"name\":\"g\",\"rules\":[{\"count\":1}]}", "s.rules[0].group: required"},
    {"onTimeout Pause or Abort",
     "{\"name\":\"g\",\"rules\":[{\"group\":\"a\",\"count\":1}],\"onTimeout\":\"Stop\"}",
     "s.onTimeout: \"Stop\" is neither Pause nor Abort"},
    {"timeout a duration",
     "{\"name\":\"g\",\"rules\":[{\"group\":\"a\",\"count\":1}],\"timeout\":\"soon\"}",
     "s.timeout"},
    {"timeout above 0",
     "{\"name\":\"g\",\"rules\":[{\"group\":\"a\",\"count\":1}],\"timeout\":\"0s\"}",
     "s.timeout: must be longer than 0"},
    {"the old shape is refused", "{\"policy\":\"prod\"}", "s: unknown field \"policy\""},
    {"a name that is no label", "{\"name\":\"Prod!\",\"rules\":[{\"group\":\"a\",\"count\":1}]}",
     "s.name"},
};

static void test_parse(void)
{
	for (size_t i = 0; i < sizeof(parse_rows) / sizeof(parse_rows[0]); i++) {
		struct model_errors errs = {0};
		struct model_fields f = {.errs = &errs};
		struct model_gate g = {0};
		json_t *v = json_loads(parse_rows[i].json, 0, NULL);
		int r = model_gate_parse(&f, v, "s", &g);
		if (!parse_rows[i].error) {
			is_int(r, 0, "%s: parses", parse_rows[i].name);
		} else {
			char *all = model_errors_join(&errs, " | ");
			is_int(r, -EINVAL, "%s: refused", parse_rows[i].name);
			ok(all && strstr(all, parse_rows[i].error), "%s: says %s (got %s)",
			   parse_rows[i].name, parse_rows[i].error, all ? all : "?");
			ok(g.name == NULL && g.rules == NULL, "%s: out left zeroed",
			   parse_rows[i].name);
			free(all);
		}
		model_gate_clear(&g);
		model_errors_clear(&errs);
		json_decref(v);
	}
}

static void test_parse_values(void)
{
	struct model_errors errs = {0};
	struct model_fields f = {.errs = &errs};
	struct model_gate g = {0};
	json_t *v = json_loads(parse_rows[0].json, 0, NULL);
	is_int(model_gate_parse(&f, v, "s", &g), 0, "example parses");
	is_str(g.name, "prod-signoff", "name");
	is_int(g.n_rules, 2, "two rules");
	is_str(g.rules[1].group, "security", "second rule's group");
	is_int(g.rules[1].count, 1, "second rule's count");
	ok(g.has_timeout && g.timeout_ns == INT64_C(24) * H * 1000000000, "timeout 24h");
	is_int(g.on_timeout, MODEL_GATE_ON_TIMEOUT_ABORT, "onTimeout Abort");
	model_gate_clear(&g);
	json_decref(v);
	v = json_loads(parse_rows[1].json, 0, NULL);
	is_int(model_gate_parse(&f, v, "s", &g), 0, "second parses");
	ok(!g.has_timeout, "no timeout");
	is_int(g.on_timeout, MODEL_GATE_ON_TIMEOUT_PAUSE, "onTimeout defaults to Pause");
	model_gate_clear(&g);
	json_decref(v);
}

/* ---- evaluation ---- */

static const char *const SRE[] = {"sre"};
static const char *const SEC[] = {"security"};
static const char *const BOTH[] = {"sre", "security"};
static const char *const OPS[] = {"ops"};

#define A(u, g, d, rev, gate, t)                                                                   \
	{                                                                                          \
		u, g, sizeof(g) / sizeof(g[0]), d, rev, gate, t                                    \
	}
#define AP   MODEL_DECISION_APPROVE
#define RJ   MODEL_DECISION_REJECT
#define MAXA 6

struct eval_row {
	const char *name;
	int n_rules;
	struct model_gate_rule rules[3];
	int64_t timeout_s; /* 0 = none */
	size_t n;
	struct model_approval a[MAXA];
	time_t now;
	enum model_gate_state want;
	const char *describe;
};

static const struct eval_row eval_rows[] = {
    {"no approvals: waiting",
     2,
     {{"sre", 1}, {"security", 1}},
     0,
     0,
     {{0}},
     10,
     MODEL_GATE_WAITING,
     "waiting: sre 0/1 (1 missing); security 0/1 (1 missing)"},
    {"one of two rules met",
     2,
     {{"sre", 1}, {"security", 1}},
     0,
     1,
     {A("alice", SRE, AP, "r1", "g", 1)},
     10,
     MODEL_GATE_WAITING,
     "waiting: sre 1/1 (alice); security 0/1 (1 missing)"},
    {"both rules met by distinct people",
     2,
     {{"sre", 1}, {"security", 1}},
     0,
     2,
     {A("alice", SRE, AP, "r1", "g", 1), A("bob", SEC, AP, "r1", "g", 2)},
     10,
     MODEL_GATE_MET,
     "met: sre 1/1 (alice); security 1/1 (bob)"},
    {"one person in both groups meets one rule only",
     2,
     {{"sre", 1}, {"security", 1}},
     0,
     1,
     {A("carol", BOTH, AP, "r1", "g", 1)},
     10,
     MODEL_GATE_WAITING,
     "waiting: sre 1/1 (carol); security 0/1 (1 missing)"},
    {"matching moves the two-group person to the rule only she can fill",
     2,
     {{"sre", 1}, {"security", 1}},
     0,
     2,
     {A("carol", BOTH, AP, "r1", "g", 1), A("alice", SRE, AP, "r1", "g", 2)},
     10,
     MODEL_GATE_MET,
     "met: sre 1/1 (alice); security 1/1 (carol)"},
    {"the same, given in the other order",
     2,
     {{"sre", 1}, {"security", 1}},
     0,
     2,
     {A("alice", SRE, AP, "r1", "g", 2), A("carol", BOTH, AP, "r1", "g", 1)},
     10,
     MODEL_GATE_MET,
     "met: sre 1/1 (alice); security 1/1 (carol)"},
    {"two Approvals of one person count once",
     1,
     {{"sre", 2}},
     0,
     2,
     {A("alice", SRE, AP, "r1", "g", 1), A("alice", SRE, AP, "r1", "g", 2)},
     10,
     MODEL_GATE_WAITING,
     "waiting: sre 1/2 (alice, 1 missing)"},
    {"a person's groups are the union of her Approvals' (still one rule)",
     2,
     {{"sre", 1}, {"security", 1}},
     0,
     3,
     {A("alice", SRE, AP, "r1", "g", 1), A("alice", SEC, AP, "r1", "g", 2),
      A("bob", SEC, AP, "r1", "g", 3)},
     10,
     MODEL_GATE_MET,
     "met: sre 1/1 (alice); security 1/1 (bob)"},
    {"2 of sre",
     1,
     {{"sre", 2}},
     0,
     3,
     {A("alice", SRE, AP, "r1", "g", 1), A("dave", SRE, AP, "r1", "g", 2),
      A("erin", SRE, AP, "r1", "g", 3)},
     10,
     MODEL_GATE_MET,
     "met: sre 2/2 (alice, dave)"},
    {"holders are named in matching order, not in the order given",
     1,
     {{"sre", 2}},
     0,
     2,
     {A("dave", SRE, AP, "r1", "g", 2), A("alice", SRE, AP, "r1", "g", 1)},
     10,
     MODEL_GATE_MET,
     "met: sre 2/2 (alice, dave)"},
    {"an older revision's Approval does not count",
     1,
     {{"sre", 1}},
     0,
     1,
     {A("alice", SRE, AP, "r0", "g", 1)},
     10,
     MODEL_GATE_WAITING,
     "waiting: sre 0/1 (1 missing)"},
    {"another gate's Approval does not count",
     1,
     {{"sre", 1}},
     0,
     1,
     {A("alice", SRE, AP, "r1", "other", 1)},
     10,
     MODEL_GATE_WAITING,
     "waiting: sre 0/1 (1 missing)"},
    {"a group no rule asks for does not count",
     1,
     {{"sre", 1}},
     0,
     1,
     {A("olga", OPS, AP, "r1", "g", 1)},
     10,
     MODEL_GATE_WAITING,
     "waiting: sre 0/1 (1 missing)"},
    {"a Reject by someone asked rejects",
     2,
     {{"sre", 1}, {"security", 1}},
     0,
     2,
     {A("alice", SRE, AP, "r1", "g", 1), A("bob", SEC, RJ, "r1", "g", 2)},
     10,
     MODEL_GATE_REJECTED,
     "rejected by bob"},
    {"a Reject beats a met gate",
     1,
     {{"sre", 1}},
     0,
     2,
     {A("alice", SRE, AP, "r1", "g", 1), A("bob", SRE, RJ, "r1", "g", 2)},
     10,
     MODEL_GATE_REJECTED,
     "rejected by bob"},
    {"the first Reject is named",
     1,
     {{"sre", 1}},
     0,
     2,
     {A("zed", SRE, RJ, "r1", "g", 5), A("amy", SRE, RJ, "r1", "g", 3)},
     10,
     MODEL_GATE_REJECTED,
     "rejected by amy"},
    {"a Reject by someone not asked is ignored",
     1,
     {{"sre", 1}},
     0,
     2,
     {A("alice", SRE, AP, "r1", "g", 1), A("olga", OPS, RJ, "r1", "g", 2)},
     10,
     MODEL_GATE_MET,
     "met: sre 1/1 (alice)"},
    {"a Reject of an older revision is ignored",
     1,
     {{"sre", 1}},
     0,
     1,
     {A("bob", SRE, RJ, "r0", "g", 2)},
     10,
     MODEL_GATE_WAITING,
     "waiting: sre 0/1 (1 missing)"},
    {"timed out at the deadline",
     1,
     {{"sre", 1}},
     24 * H,
     0,
     {{0}},
     100 + 24 * H,
     MODEL_GATE_TIMED_OUT,
     "timed out: sre 0/1 (1 missing)"},
    {"a second before the deadline: waiting",
     1,
     {{"sre", 1}},
     24 * H,
     0,
     {{0}},
     100 + 24 * H - 1,
     MODEL_GATE_WAITING,
     "waiting: sre 0/1 (1 missing)"},
    {"met beats timed out",
     1,
     {{"sre", 1}},
     60,
     1,
     {A("alice", SRE, AP, "r1", "g", 1)},
     100 + 3600,
     MODEL_GATE_MET,
     "met: sre 1/1 (alice)"},
    {"a later person is no holder before her turn (fuzz-gate found it)",
     2,
     {{"sre", 1}, {"security", 1}},
     0,
     3,
     {A("b", SRE, AP, "r1", "g", 1), A("c", BOTH, AP, "r1", "g", 2), A("d", SEC, AP, "r1", "g", 3)},
     10,
     MODEL_GATE_MET,
     "met: sre 1/1 (b); security 1/1 (c)"},
    {"three rules, three people, one path of two swaps",
     3,
     {{"a", 1}, {"b", 1}, {"c", 1}},
     0,
     3,
     {{"p1", (const char *const[]){"a", "b"}, 2, AP, "r1", "g", 1},
      {"p2", (const char *const[]){"a", "c"}, 2, AP, "r1", "g", 2},
      {"p3", (const char *const[]){"a"}, 1, AP, "r1", "g", 3}},
     10,
     MODEL_GATE_MET,
     "met: a 1/1 (p3); b 1/1 (p1); c 1/1 (p2)"},
};

static void eval_one(const struct eval_row *row)
{
	struct model_gate_rule rules[3];
	memcpy(rules, row->rules, sizeof(rules));
	struct model_gate g = {.name = "g", .n_rules = (size_t)row->n_rules, .rules = rules};
	if (row->timeout_s) {
		g.has_timeout = true;
		g.timeout_ns = row->timeout_s * INT64_C(1000000000);
	}
	struct model_gate_result res = {0};
	is_int(model_gate_eval(&g, row->a, row->n, "r1", 100, row->now, &res), 0, "%s: evaluates",
	       row->name);
	is_int(res.state, row->want, "%s: state", row->name);
	char *d = model_gate_describe(&g, row->a, row->n, &res);
	is_str(d, row->describe, "%s: described", row->name);
	free(d);
	model_gate_result_clear(&res);
}

static void test_deadline(void)
{
	struct model_gate_rule rules[1] = {{"sre", 1}};
	struct model_gate g = {.name = "g",
	                       .n_rules = 1,
	                       .rules = rules,
	                       .has_timeout = true,
	                       .timeout_ns = 1500000000};
	struct model_gate_result res = {0};
	is_int(model_gate_eval(&g, NULL, 0, "r1", 1000, 1001, &res), 0, "evaluates");
	ok(res.has_deadline && res.deadline == 1002, "a 1.5 s timeout ends 2 s after the start");
	is_int(res.state, MODEL_GATE_WAITING, "and at 1.0 s it still waits");
	model_gate_result_clear(&res);
	g.timeout_ns = INT64_MAX;
	is_int(model_gate_eval(&g, NULL, 0, "r1", INT64_MAX - 5, 0, &res), 0, "evaluates");
	ok(res.deadline == INT64_MAX, "a deadline past the end of time saturates");
	model_gate_result_clear(&res);
}

int main(void)
{
	test_parse();
	test_parse_values();
	for (size_t i = 0; i < sizeof(eval_rows) / sizeof(eval_rows[0]); i++)
		eval_one(&eval_rows[i]);
	test_deadline();
	return tap_done();
}
