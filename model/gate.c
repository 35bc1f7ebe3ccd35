/* Approval gates: parsing the step, and the matching of people to rules
 * (model/gate.h says what is decided and why). */
#include "model/gate.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/duration.h"
#include "model/names.h"

static const char *const gate_keys[] = {"name", "rules", "timeout", "onTimeout", NULL};
static const char *const rule_keys[] = {"group", "count", NULL};

static void parse_rule(struct model_fields *f, const json_t *v, const char *path,
                       struct model_gate_rule *r)
{
	if (!json_is_object(v)) {
		model_errors_add(f->errs, path, "must be an object");
		return;
	}
	model_fields_only(f, v, path, rule_keys, "a rule has group and count");
	model_field_string(f, v, "group", path, true, &r->group);
	char p[MODEL_PATH_LEN];
	model_path_key(p, path, "count");
	if (!json_object_get(v, "count"))
		model_errors_add(f->errs, p, "required");
	else if (model_field_int32(f, v, "count", path, 1, 1, &r->count) &&
	         r->count > MODEL_GATE_COUNT_MAX)
		model_errors_add(f->errs, p, "must be at most %d", MODEL_GATE_COUNT_MAX);
}

static void parse_rules(struct model_fields *f, const json_t *v, const char *path,
                        struct model_gate *g)
{
	json_t *rules = NULL;
	if (!model_field_array(f, v, "rules", path, true, MODEL_GATE_RULES_MAX, "rules", &rules) ||
	    !rules)
		return;
	g->rules = calloc(json_array_size(rules), sizeof(*g->rules));
	if (!g->rules) {
		f->oom = true;
		return;
	}
	g->n_rules = json_array_size(rules);
	char base[MODEL_PATH_LEN], p[MODEL_PATH_LEN];
	model_path_key(base, path, "rules");
	for (size_t i = 0; i < g->n_rules; i++) {
		model_path_index(p, base, i);
		parse_rule(f, json_array_get(rules, i), p, &g->rules[i]);
	}
}

static void parse_on_timeout(struct model_fields *f, const json_t *v, const char *path,
                             struct model_gate *g)
{
	char *s = NULL;
	if (!model_field_string(f, v, "onTimeout", path, false, &s) || !s)
		return;
	char p[MODEL_PATH_LEN];
	model_path_key(p, path, "onTimeout");
	if (strcmp(s, "Abort") == 0)
		g->on_timeout = MODEL_GATE_ON_TIMEOUT_ABORT;
	else if (strcmp(s, "Pause") != 0)
		model_errors_add(f->errs, p, "\"%.40s\" is neither Pause nor Abort", s);
	free(s);
}

/* Ownership: *out is the caller's on success (model_gate_clear). */
int model_gate_parse(struct model_fields *f, const json_t *v, const char *path,
                     struct model_gate *out)
{
	size_t before = model_errors_count(f->errs);
	struct model_gate g = {0};
	if (!json_is_object(v)) {
		model_errors_add(f->errs, path, "must be an object");
		return -EINVAL;
	}
	model_fields_only(f, v, path, gate_keys, "an approval has name, rules, timeout, onTimeout");
	model_field_name(f, v, "name", path, MODEL_NAME_DNS_LABEL, true, &g.name);
	parse_rules(f, v, path, &g);
	if (model_field_duration(f, v, "timeout", path, &g.has_timeout, &g.timeout_ns) &&
	    g.has_timeout && g.timeout_ns == 0) {
		char p[MODEL_PATH_LEN];
		model_path_key(p, path, "timeout");
		model_errors_add(f->errs, p, "must be longer than 0");
	}
	parse_on_timeout(f, v, path, &g);
	if (f->oom || model_errors_count(f->errs) != before) {
		model_gate_clear(&g);
		return f->oom ? -ENOMEM : -EINVAL;
	}
	*out = g;
	return 0;
}

void model_gate_clear(struct model_gate *g)
{
	if (!g)
		return;
	for (size_t i = 0; i < g->n_rules; i++)
		free(g->rules[i].group);
	free(g->rules);
	free(g->name);
	memset(g, 0, sizeof(*g));
}

/* ---- evaluation ---- */

/* The people of one evaluation: index of their first counted Approval, in
 * matching order, and which rules each may fill. */
struct people {
	size_t n;
	size_t *first; /* [n] approval index */
	uint32_t *can; /* [n] bit r: may fill rule r */
	int *rule;     /* [n] rule assigned, -1 */
	uint8_t *seen; /* visited marks of one augmenting search, [n_rules] */
	const struct model_gate *g;
	int32_t filled[MODEL_GATE_RULES_MAX];
};

static bool counts(const struct model_approval *a, const struct model_gate *g, const char *revision)
{
	return a->user && a->gate && a->revision && strcmp(a->gate, g->name) == 0 &&
	       strcmp(a->revision, revision) == 0;
}

static bool in_groups(const struct model_approval *a, const char *group)
{
	for (size_t i = 0; i < a->n_groups; i++) {
		if (a->groups[i] && strcmp(a->groups[i], group) == 0)
			return true;
	}
	return false;
}

static uint32_t rules_of(const struct model_gate *g, const struct model_approval *a)
{
	uint32_t can = 0;
	for (size_t r = 0; r < g->n_rules; r++) {
		if (in_groups(a, g->rules[r].group))
			can |= UINT32_C(1) << r;
	}
	return can;
}

/* Matching order: first Approval's creation time, then user name. */
static bool before(const struct model_approval *x, const struct model_approval *y)
{
	if (x->created != y->created)
		return x->created < y->created;
	return strcmp(x->user, y->user) < 0;
}

static size_t find_person(const struct people *p, const struct model_approval *a,
                          const struct model_approval *cur)
{
	for (size_t i = 0; i < p->n; i++) {
		if (strcmp(a[p->first[i]].user, cur->user) == 0)
			return i;
	}
	return p->n;
}

/* Collects the people who approved (n_a Approvals considered), sorted. */
static void collect(struct people *p, const struct model_approval *a, size_t n_a,
                    const char *revision)
{
	for (size_t i = 0; i < n_a; i++) {
		if (!counts(&a[i], p->g, revision) || a[i].decision != MODEL_DECISION_APPROVE)
			continue;
		size_t k = find_person(p, a, &a[i]);
		if (k == p->n) {
			p->first[k] = i;
			p->can[k] = 0;
			p->n++;
		} else if (before(&a[i], &a[p->first[k]])) {
			p->first[k] = i;
		}
		p->can[k] |= rules_of(p->g, &a[i]);
	}
	/* Insertion sort: n is bounded and mostly tiny. */
	for (size_t i = 1; i < p->n; i++) {
		for (size_t j = i; j > 0 && before(&a[p->first[j]], &a[p->first[j - 1]]); j--) {
			size_t f = p->first[j];
			uint32_t c = p->can[j];
			p->first[j] = p->first[j - 1];
			p->can[j] = p->can[j - 1];
			p->first[j - 1] = f;
			p->can[j - 1] = c;
		}
	}
}

/* Kuhn's augmenting path for person u over rules with capacities: a free
 * place of a rule u may fill, or a full rule one of whose holders moves to
 * another (recursively). Only the path's last step fills a new place; the
 * others swap holders. The depth is bounded by the number of rules: each
 * step marks a rule seen for the rest of the search. */
static bool augment(struct people *p, size_t u)
{
	for (size_t r = 0; r < p->g->n_rules; r++) {
		if (!(p->can[u] & (UINT32_C(1) << r)) || p->seen[r])
			continue;
		p->seen[r] = 1;
		if (p->filled[r] < p->g->rules[r].count) {
			p->rule[u] = (int)r;
			p->filled[r]++;
			return true;
		}
		for (size_t v = 0; v < p->n; v++) {
			if (p->rule[v] == (int)r && augment(p, v)) {
				p->rule[u] = (int)r;
				return true;
			}
		}
	}
	return false;
}

/* The first counted Reject by someone the gate asks, or n. */
static size_t find_reject(const struct model_gate *g, const struct model_approval *a, size_t n,
                          const char *revision)
{
	size_t best = n;
	for (size_t i = 0; i < n; i++) {
		if (!counts(&a[i], g, revision) || a[i].decision != MODEL_DECISION_REJECT ||
		    rules_of(g, &a[i]) == 0)
			continue;
		if (best == n || before(&a[i], &a[best]))
			best = i;
	}
	return best;
}

static void people_free(struct people *p)
{
	free(p->first);
	free(p->can);
	free(p->rule);
	free(p->seen);
}

static int people_alloc(struct people *p, size_t n)
{
	size_t m = n ? n : 1;
	p->first = calloc(m, sizeof(*p->first));
	p->can = calloc(m, sizeof(*p->can));
	p->rule = calloc(m, sizeof(*p->rule));
	p->seen = calloc(MODEL_GATE_RULES_MAX, 1);
	if (!p->first || !p->can || !p->rule || !p->seen) {
		people_free(p);
		return -ENOMEM;
	}
	return 0;
}

static void match(struct people *p)
{
	/* Everyone starts without a place: a later person must not look like a
	 * holder of rule 0 to an earlier one's search. */
	for (size_t u = 0; u < p->n; u++)
		p->rule[u] = -1;
	for (size_t u = 0; u < p->n; u++) {
		memset(p->seen, 0, MODEL_GATE_RULES_MAX);
		augment(p, u);
	}
}

static bool all_filled(const struct people *p)
{
	for (size_t r = 0; r < p->g->n_rules; r++) {
		if (p->filled[r] < p->g->rules[r].count)
			return false;
	}
	return true;
}

static void set_deadline(const struct model_gate *g, time_t started, struct model_gate_result *res)
{
	if (!g->has_timeout)
		return;
	int64_t secs = model_duration_seconds_ceil(g->timeout_ns);
	res->has_deadline = true;
	/* time_t is 64-bit on every platform Slipway builds for; saturate. */
	res->deadline = started > INT64_MAX - secs ? (time_t)INT64_MAX : started + secs;
}

/* Ownership: *res is the caller's on success (model_gate_result_clear). */
int model_gate_eval(const struct model_gate *g, const struct model_approval *a, size_t n,
                    const char *revision, time_t started, time_t now, struct model_gate_result *res)
{
	if (n > MODEL_GATE_APPROVALS_MAX)
		n = MODEL_GATE_APPROVALS_MAX;
	struct people p = {.g = g};
	struct model_gate_result out = {.rule_of = calloc(n ? n : 1, sizeof(int))};
	if (!out.rule_of || people_alloc(&p, n) < 0) {
		free(out.rule_of);
		return -ENOMEM;
	}
	collect(&p, a, n, revision);
	match(&p);
	for (size_t i = 0; i < n; i++)
		out.rule_of[i] = -1;
	for (size_t u = 0; u < p.n; u++)
		out.rule_of[p.first[u]] = p.rule[u];
	memcpy(out.filled, p.filled, sizeof(out.filled));
	set_deadline(g, started, &out);
	out.rejected_by = find_reject(g, a, n, revision);
	if (out.rejected_by < n)
		out.state = MODEL_GATE_REJECTED;
	else if (all_filled(&p))
		out.state = MODEL_GATE_MET;
	else if (out.has_deadline && now >= out.deadline)
		out.state = MODEL_GATE_TIMED_OUT;
	else
		out.state = MODEL_GATE_WAITING;
	people_free(&p);
	*res = out;
	return 0;
}

void model_gate_result_clear(struct model_gate_result *res)
{
	if (!res)
		return;
	free(res->rule_of);
	memset(res, 0, sizeof(*res));
}

/* ---- description ---- */

struct text {
	char *buf;
	size_t len, cap;
	bool oom;
};

static void put(struct text *t, const char *s)
{
	size_t l = strlen(s);
	if (t->oom)
		return;
	if (t->len + l + 1 > t->cap) {
		size_t cap = (t->len + l + 1) * 2;
		char *nb = realloc(t->buf, cap);
		if (!nb) {
			t->oom = true;
			return;
		}
		t->buf = nb;
		t->cap = cap;
	}
	memcpy(t->buf + t->len, s, l + 1);
	t->len += l;
}

static void put_rule(struct text *t, const struct model_gate *g, size_t r,
                     const struct model_approval *a, size_t n, const struct model_gate_result *res)
{
	char num[64];
	snprintf(num, sizeof(num), " %d/%d", (int)res->filled[r], (int)g->rules[r].count);
	put(t, g->rules[r].group);
	put(t, num);
	const char *sep = " (";
	/* Holders in matching order, whatever the order of the Approvals. */
	const struct model_approval *last = NULL;
	for (int32_t k = 0; k < res->filled[r]; k++) {
		const struct model_approval *next = NULL;
		for (size_t i = 0; i < n && i < MODEL_GATE_APPROVALS_MAX; i++) {
			if (res->rule_of[i] == (int)r && (!last || before(last, &a[i])) &&
			    (!next || before(&a[i], next)))
				next = &a[i];
		}
		if (!next)
			break;
		put(t, sep);
		put(t, next->user);
		sep = ", ";
		last = next;
	}
	int32_t missing = g->rules[r].count - res->filled[r];
	if (missing > 0) {
		snprintf(num, sizeof(num), "%s%d missing", sep, (int)missing);
		put(t, num);
		sep = ", ";
	}
	if (sep[0] == ',')
		put(t, ")");
}

static const char *state_word(enum model_gate_state s)
{
	switch (s) {
	case MODEL_GATE_MET:
		return "met: ";
	case MODEL_GATE_TIMED_OUT:
		return "timed out: ";
	case MODEL_GATE_REJECTED:
		return "rejected by ";
	case MODEL_GATE_WAITING:
		break;
	}
	return "waiting: ";
}

/* Ownership: returns a string the caller frees. */
char *model_gate_describe(const struct model_gate *g, const struct model_approval *a, size_t n,
                          const struct model_gate_result *res)
{
	struct text t = {0};
	put(&t, state_word(res->state));
	if (res->state == MODEL_GATE_REJECTED) {
		put(&t, a[res->rejected_by].user);
	} else {
		for (size_t r = 0; r < g->n_rules; r++) {
			if (r > 0)
				put(&t, "; ");
			put_rule(&t, g, r, a, n, res);
		}
	}
	if (t.oom) {
		free(t.buf);
		return NULL;
	}
	return t.buf;
}
