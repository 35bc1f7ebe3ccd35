/* libFuzzer: an approval step parses or fails cleanly (out left zeroed),
 * and evaluation over Approvals made from the input keeps its promises:
 * no rule over-filled, a place only for someone in the rule's group, one
 * place per person, met exactly when every rule is filled, and the same
 * answer for the Approvals in reverse order. Input: a JSON step, a NUL
 * byte, then Approvals of 3 bytes each (user, group bits, flags). */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model/gate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const users[] = {"a", "b", "c", "d", "e", "f", "g", "h"};
static const char *const groups[] = {"sre", "security", "ops", "cab"};

#define MAXA 32

struct input {
	size_t n;
	struct model_approval a[MAXA];
	const char *g[MAXA][4];
};

static void make_approvals(struct input *in, const uint8_t *p, size_t size, const char *gate)
{
	for (size_t i = 0; i + 3 <= size && in->n < MAXA; i += 3) {
		struct model_approval *a = &in->a[in->n];
		size_t ng = 0;
		for (size_t k = 0; k < 4; k++) {
			if (p[i + 1] & (1u << k))
				in->g[in->n][ng++] = groups[k];
		}
		a->user = users[p[i] & 7];
		a->groups = in->g[in->n];
		a->n_groups = ng;
		a->decision = (p[i + 2] & 1) ? MODEL_DECISION_REJECT : MODEL_DECISION_APPROVE;
		a->revision = (p[i + 2] & 2) ? "old" : "r1";
		a->gate = (p[i + 2] & 4) ? "other" : gate;
		a->created = (time_t)(p[i + 2] >> 3);
		in->n++;
	}
}

static bool has_group(const struct model_approval *a, size_t n, const char *user, const char *group)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(a[i].user, user) != 0 || strcmp(a[i].revision, "r1") != 0 ||
		    a[i].decision != MODEL_DECISION_APPROVE)
			continue;
		for (size_t k = 0; k < a[i].n_groups; k++) {
			if (strcmp(a[i].groups[k], group) == 0)
				return true;
		}
	}
	return false;
}

static void check(const struct model_gate *g, const struct input *in,
                  const struct model_gate_result *res)
{
	int32_t filled[MODEL_GATE_RULES_MAX] = {0};
	bool all = true;
	for (size_t i = 0; i < in->n; i++) {
		int r = res->rule_of[i];
		if (r < 0)
			continue;
		if ((size_t)r >= g->n_rules ||
		    !has_group(in->a, in->n, in->a[i].user, g->rules[r].group))
			abort();
		for (size_t j = 0; j < i; j++) {
			if (res->rule_of[j] >= 0 && strcmp(in->a[j].user, in->a[i].user) == 0)
				abort(); /* one place per person */
		}
		filled[r]++;
	}
	for (size_t r = 0; r < g->n_rules; r++) {
		if (filled[r] != res->filled[r] || filled[r] > g->rules[r].count)
			abort();
		all = all && filled[r] == g->rules[r].count;
	}
	if (res->state == MODEL_GATE_MET && !all)
		abort();
	if (all && res->state != MODEL_GATE_MET && res->state != MODEL_GATE_REJECTED)
		abort();
}

static void evaluate(const struct model_gate *g, const uint8_t *p, size_t size)
{
	struct input in = {0}, rev = {0};
	make_approvals(&in, p, size, g->name);
	rev.n = in.n;
	for (size_t i = 0; i < in.n; i++) {
		rev.a[i] = in.a[in.n - 1 - i];
		memcpy(rev.g[i], in.g[in.n - 1 - i], sizeof(rev.g[i]));
		rev.a[i].groups = rev.g[i];
	}
	struct model_gate_result r1 = {0}, r2 = {0};
	if (model_gate_eval(g, in.a, in.n, "r1", 0, 20, &r1) < 0)
		return;
	check(g, &in, &r1);
	if (model_gate_eval(g, rev.a, rev.n, "r1", 0, 20, &r2) == 0) {
		if (r1.state != r2.state || memcmp(r1.filled, r2.filled, sizeof(r1.filled)) != 0)
			abort();
		char *d1 = model_gate_describe(g, in.a, in.n, &r1);
		char *d2 = model_gate_describe(g, rev.a, rev.n, &r2);
		if (d1 && d2 && strcmp(d1, d2) != 0)
			abort(); /* the same people in the same places */
		free(d1);
		free(d2);
		model_gate_result_clear(&r2);
	}
	model_gate_result_clear(&r1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, 0, size);
	size_t jlen = nul ? (size_t)(nul - data) : size;
	json_t *v = json_loadb((const char *)data, jlen, 0, NULL);
	struct model_errors errs = {0};
	struct model_fields f = {.errs = &errs};
	struct model_gate g = {0};
	int r = model_gate_parse(&f, v, "s", &g);
	if (r < 0 && (g.name || g.rules || g.n_rules))
		abort();
	if (r == 0 && nul)
		evaluate(&g, nul + 1, size - jlen - 1);
	model_gate_clear(&g);
	model_errors_clear(&errs);
	json_decref(v);
	return 0;
}
