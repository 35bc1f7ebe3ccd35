/* kubeclient's YAML reader: documents one at a time, positions, the limits
 * (depth, nodes over the whole stream, documents), faults with their kind
 * and position, and that a failed reader stays failed. kc_yaml_parse's
 * messages are checked through the kubeconfig loader in test-kubeconfig. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kubeclient/yaml-tree.h"
#include "tap.h"

/* "[1,1,...,1]" with n items, then `tail`. Caller frees. */
static char *flat_list(size_t n, const char *tail)
{
	size_t len = 2 + n * 2 + strlen(tail) + 1;
	char *s = malloc(len);
	if (!s)
		return NULL;
	size_t pos = 0;
	s[pos++] = '[';
	for (size_t i = 0; i < n; i++) {
		s[pos++] = '1';
		s[pos++] = ',';
	}
	s[pos++] = ']';
	memcpy(s + pos, tail, strlen(tail) + 1);
	return s;
}

/* `s` repeated n times. Caller frees. */
static char *repeat(const char *s, size_t n)
{
	size_t l = strlen(s);
	char *out = malloc(l * n + 1);
	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++)
		memcpy(out + i * l, s, l);
	out[l * n] = '\0';
	return out;
}

static void test_faults(void)
{
	char deep64[129], deep65[66];
	memset(deep64, '[', 64);
	memset(deep64 + 64, ']', 64);
	deep64[128] = '\0';
	memset(deep65, '[', 65);
	deep65[65] = '\0';
	/* Over the node limit only when both documents count. */
	char *two_lists = flat_list(KC_YAML_MAX_NODES / 2, "\n---\n");
	char *nodes = NULL;
	if (two_lists) {
		size_t l = strlen(two_lists);
		nodes = malloc(2 * l + 1);
		if (nodes) {
			memcpy(nodes, two_lists, l);
			memcpy(nodes + l, two_lists, l + 1);
		}
	}
	char *docs = repeat("a\n---\n", KC_YAML_MAX_DOCS + 1);
	char *max_docs = repeat("a\n---\n", KC_YAML_MAX_DOCS - 1);

	const struct {
		const char *name, *yaml;
		unsigned flags;
		size_t docs; /* read before the end or the fault */
		int end;     /* what the call after them returns */
		enum kc_yaml_fault_kind kind;
		unsigned long line, column;
	} rows[] = {
	    {"empty stream", "", 0, 0, 0, 0, 0, 0},
	    {"three documents", "a: 1\n---\n- b\n---\nc\n", 0, 3, 0, 0, 0, 0},
	    {"an alias", "a: &x 1\nb: *x\n", 0, 0, -EINVAL, KC_YAML_ALIAS, 2, 4},
	    {"an alias in the second document", "a: 1\n---\nb: *x\n", 0, 1, -EINVAL, KC_YAML_ALIAS,
	     3, 4},
	    {"a complex key", "a: 1\n? [a]\n: b\n", 0, 0, -EINVAL, KC_YAML_COMPLEX_KEY, 2, 3},
	    {"a complex key, allowed", "a: 1\n? [a]\n: b\n", KC_YAML_COMPLEX_KEYS, 1, 0, 0, 0, 0},
	    {"64 levels", deep64, 0, 1, 0, 0, 0, 0},
	    {"65 levels", deep65, 0, 0, -EINVAL, KC_YAML_TOO_DEEP, 1, 65},
	    {"a syntax error after a document", "a: 1\n---\nb: [\n", 0, 1, -EINVAL, KC_YAML_SYNTAX,
	     4, 1},
	    {"nodes count over the stream", nodes, 0, 1, -E2BIG, KC_YAML_TOO_MANY_NODES, 3, 0},
	    {"documents up to the limit", max_docs, 0, KC_YAML_MAX_DOCS, 0, 0, 0, 0},
	    {"one document too many", docs, 0, KC_YAML_MAX_DOCS, -EINVAL, KC_YAML_TOO_MANY_DOCS, 0,
	     0},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		if (!rows[i].yaml) {
			ok(false, "%s: out of memory building the input", rows[i].name);
			continue;
		}
		struct kc_yaml_reader *r = NULL;
		is_int(kc_yaml_reader_new(rows[i].yaml, strlen(rows[i].yaml), rows[i].flags, &r), 0,
		       "%s: reader", rows[i].name);
		if (!r)
			continue;
		size_t n = 0;
		int res;
		struct kc_yaml_fault fault = {0};
		for (;;) {
			struct kc_ynode *doc = NULL;
			res = kc_yaml_next(r, &doc, &fault);
			if (res != 1)
				break;
			n++;
			kc_yaml_free(doc);
		}
		is_int(n, rows[i].docs, "%s: documents read", rows[i].name);
		is_int(res, rows[i].end, "%s: then %d", rows[i].name, rows[i].end);
		if (rows[i].end < 0) {
			is_int(fault.kind, rows[i].kind, "%s: fault kind", rows[i].name);
			/* Rows with line 0 do not pin the position; every fault has one. */
			ok(fault.line > 0 && fault.column > 0 &&
			       (!rows[i].line || fault.line == rows[i].line) &&
			       (!rows[i].column || fault.column == rows[i].column),
			   "%s: at %lu:%lu", rows[i].name, fault.line, fault.column);
			struct kc_ynode *sentinel = (struct kc_ynode *)&fault;
			struct kc_yaml_fault again = {0};
			is_int(kc_yaml_next(r, &sentinel, &again), rows[i].end,
			       "%s: a failed reader stays failed", rows[i].name);
			ok(sentinel == (struct kc_ynode *)&fault && again.kind == fault.kind &&
			       again.line == fault.line,
			   "%s: same fault, *ret untouched", rows[i].name);
		} else {
			struct kc_ynode *sentinel = (struct kc_ynode *)&fault;
			is_int(kc_yaml_next(r, &sentinel, NULL), 0, "%s: the end stays the end",
			       rows[i].name);
			ok(sentinel == (struct kc_ynode *)&fault, "%s: *ret untouched at the end",
			   rows[i].name);
		}
		kc_yaml_reader_free(r);
	}
	free(two_lists);
	free(nodes);
	free(docs);
	free(max_docs);
}

static void test_positions(void)
{
	const char *y = "a: 1\n---\n- x\n-   'y'\n- !!str z\n";
	struct kc_yaml_reader *r = NULL;
	struct kc_ynode *first = NULL, *second = NULL;
	is_int(kc_yaml_reader_new(y, strlen(y), 0, &r), 0, "reader");
	is_int(r ? kc_yaml_next(r, &first, NULL) : -1, 1, "first document");
	is_int(r ? kc_yaml_next(r, &second, NULL) : -1, 1, "second document");
	ok(first && first->kind == KC_YNODE_MAP && first->line == 1 && first->column == 1 &&
	       kc_yaml_get(first, "a") && kc_yaml_get(first, "a")->column == 4,
	   "the first is a map at 1:1 whose a is at 1:4");
	ok(second && second->kind == KC_YNODE_SEQ && second->n_items == 3 && second->line == 3,
	   "the second, a list at line 3");
	if (second && second->n_items == 3) {
		const struct kc_ynode *x = second->items[0], *q = second->items[1],
		                      *t = second->items[2];
		ok(x->plain && !x->str_tag && x->line == 3 && x->column == 3, "x: plain at 3:3");
		ok(!q->plain && !q->str_tag && strcmp(q->value, "y") == 0 && q->line == 4 &&
		       q->column == 5,
		   "'y': quoted, not tagged, at 4:5");
		ok(!t->plain && t->str_tag && strcmp(t->value, "z") == 0, "!!str z: tagged");
	}
	kc_yaml_free(first);
	kc_yaml_free(second);
	kc_yaml_reader_free(r);

	/* kc_yaml_parse reads the first document and nothing after it. */
	const char *two = "a: 1\n---\nb: *nope\n";
	struct kc_ynode *root = NULL;
	struct kc_error err = {0};
	is_int(kc_yaml_parse(two, strlen(two), "t.yaml", &root, &err), 0,
	       "parse: a bad second document is not read");
	ok(root && kc_yaml_get(root, "a") && root->column == 1, "the first is");
	root = kc_yaml_free(root);
	is_int(kc_yaml_parse("? [a]\n: b\n", 10, "t.yaml", &root, &err), -EINVAL,
	       "parse refuses complex keys");
	is_str(err.message, "t.yaml:1: mapping keys must be scalars", "and says where");
	ok(!kc_yaml_get(root, ""), "kc_yaml_get on nothing is nothing");
	kc_error_clear(&err);
}

int main(void)
{
	test_faults();
	test_positions();
	return tap_done();
}
