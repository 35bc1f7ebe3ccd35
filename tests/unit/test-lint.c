/* lint: every problem of the broken manifests in data/lint/ is reported at
 * the line and column of the field, as data/lint/NAME.expected says; a valid
 * file gives nothing. Also cli_yaml_find on keys with dots and missing fields. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/lint.h"
#include "cli/yamljson.h"
#include "tap.h"

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	char *buf = calloc(1, 65536);
	size_t n = buf ? fread(buf, 1, 65535, f) : 0;
	(void)n;
	fclose(f);
	return buf;
}

/* Lints data/lint/NAME.yaml, named NAME.yaml in messages, and compares with
 * NAME.expected. */
static void check_file(const char *name, size_t want_releases)
{
	char path[512], exp_path[512], shown[128];
	snprintf(path, sizeof(path), "%s/lint/%s.yaml", TEST_DATA_DIR, name);
	snprintf(exp_path, sizeof(exp_path), "%s/lint/%s.expected", TEST_DATA_DIR, name);
	snprintf(shown, sizeof(shown), "%s.yaml", name);
	char *text = slurp(path);
	char *want = slurp(exp_path);
	ok(text && want, "%s: read the manifest and its expected output", name);
	if (!text || !want) {
		free(text);
		free(want);
		return;
	}
	char *out = NULL;
	size_t out_len = 0;
	FILE *mem = open_memstream(&out, &out_len);
	struct cli_lint_result res = {0};
	is_int(cli_lint_buffer(shown, text, strlen(text), mem, &res), 0, "%s: linted", name);
	fclose(mem);
	is_str(out, want, "%s: problems and positions", name);
	size_t lines = 0;
	for (const char *p = want; *p; p++)
		lines += *p == '\n';
	is_int(res.problems, lines, "%s: problem count", name);
	is_int(res.releases, want_releases, "%s: Releases checked", name);
	free(out);
	free(text);
	free(want);
}

/* Reads y as lint does and keeps its first document in *ret (caller frees);
 * *ret_docs counts the documents read. Returns 0 or the reader's error, with
 * *fault filled. */
static int read_first(const char *y, struct kc_ynode **ret, size_t *ret_docs,
                      struct kc_yaml_fault *fault)
{
	struct kc_yaml_reader *reader = NULL;
	int r = kc_yaml_reader_new(y, strlen(y), KC_YAML_COMPLEX_KEYS, &reader);
	*ret = NULL;
	*ret_docs = 0;
	while (r == 0) {
		struct kc_ynode *doc = NULL;
		r = kc_yaml_next(reader, &doc, fault);
		if (r != 1)
			break;
		if (++*ret_docs == 1)
			*ret = doc;
		else
			kc_yaml_free(doc);
		r = 0;
	}
	kc_yaml_reader_free(reader);
	return r;
}

/* What lint prints for y. Caller frees. */
static char *lint_text(const char *y, struct cli_lint_result *res)
{
	char *out = NULL;
	size_t out_len = 0;
	FILE *mem = open_memstream(&out, &out_len);
	if (!mem)
		return NULL;
	int r = cli_lint_buffer("t.yaml", y, strlen(y), mem, res);
	fclose(mem);
	if (r < 0)
		tap_diag("lint failed: %d", r);
	return out;
}

static void test_find(void)
{
	const char *y = "a:\n  app.kubernetes.io/name: x\n  list:\n  - {b: 1}\n  - c: 2\n";
	struct kc_ynode *doc = NULL;
	struct kc_yaml_fault fault = {0};
	size_t docs = 0;
	is_int(read_first(y, &doc, &docs, &fault), 0, "parse");
	ok(doc && docs == 1, "one document");
	const struct kc_ynode *root = doc, *key = NULL, *n;
	n = cli_yaml_find(root, "a.app.kubernetes.io/name", &key);
	ok(n && n->kind == KC_YNODE_SCALAR && strcmp(n->value, "x") == 0,
	   "a key with dots matches whole");
	ok(key && key->line == 2 && key->column == 3, "and its key is at 2:3");
	n = cli_yaml_find(root, "a.list[1].c", NULL);
	ok(n && n->line == 5 && n->column == 8, "an index then a key: 5:8");
	n = cli_yaml_find(root, "a.list[1].missing", &key);
	ok(n && n->kind == KC_YNODE_MAP && n->line == 5 && n->column == 5,
	   "a missing field stops at its parent");
	n = cli_yaml_find(root, "a.list[7]", NULL);
	ok(n && n->kind == KC_YNODE_SEQ, "an index past the end stops at the list");
	json_t *j = cli_yaml_to_json(root, NULL, NULL);
	ok(j && json_integer_value(json_object_get(
	            json_array_get(json_object_get(json_object_get(j, "a"), "list"), 0), "b")) == 1,
	   "to JSON: integers are integers");
	json_decref(j);
	doc = kc_yaml_free(doc);

	const char *scalars =
	    "[1, -2, 0x1f, 1.5, true, False, ~, null, '3', \"true\", !!str 4, 1e3, .inf, yes]";
	is_int(read_first(scalars, &doc, &docs, &fault), 0, "parse scalars");
	j = cli_yaml_to_json(doc, NULL, NULL);
	char *dump = json_dumps(j, JSON_COMPACT);
	is_str(dump,
	       "[1,-2,31,1.5,true,false,null,null,\"3\",\"true\",\"4\",1000.0,\".inf\",\"yes\"]",
	       "scalars resolve as the core schema");
	ok(doc && doc->n_items == 14 && doc->items[10]->str_tag && !doc->items[10]->plain &&
	       !doc->items[9]->str_tag && !doc->items[9]->plain && doc->items[0]->plain,
	   "!!str is a tag, quotes are not; only the untagged unquoted are plain");
	free(dump);
	json_decref(j);
	doc = kc_yaml_free(doc);

	const char *alias = "a: &x 1\nb: *x\n";
	is_int(read_first(alias, &doc, &docs, &fault), -EINVAL, "parse with an alias");
	ok(fault.kind == KC_YAML_ALIAS && fault.line == 2 && fault.column == 4,
	   "aliases are refused at 2:4 (%lu:%lu)", fault.line, fault.column);
	ok(!doc && docs == 0, "and the document is not kept");

	char deep[200];
	memset(deep, '[', sizeof(deep) - 1);
	deep[sizeof(deep) - 1] = '\0';
	is_int(read_first(deep, &doc, &docs, &fault), -EINVAL, "parse a deep document");
	ok(fault.kind == KC_YAML_TOO_DEEP, "nesting is limited");
	struct cli_lint_result res = {0};
	char *out = lint_text(deep, &res);
	ok(out && strstr(out, "t.yaml:1:65: yaml: nested too deeply\n"), "lint says so: %s",
	   out ? out : "(null)");
	free(out);

	/* Documents before a syntax error are read (and linted), the broken one is not. */
	const char *stream = "a: 1\n---\nb: 2\n---\nc: [3\n";
	is_int(read_first(stream, &doc, &docs, &fault), -EINVAL, "a stream with a bad third");
	ok(docs == 2 && fault.kind == KC_YAML_SYNTAX && fault.line == 6 && fault.problem[0],
	   "two documents, then %lu:%lu: %s", fault.line, fault.column, fault.problem);
	doc = kc_yaml_free(doc);
	res = (struct cli_lint_result){0};
	out = lint_text("kind: [x]\n---\nkind: [y]\n---\nc: [3\n", &res);
	is_str(out,
	       "t.yaml:1:1: kind: must be a string\nt.yaml:3:1: kind: must be a string\n"
	       "t.yaml:6:1: yaml: did not find expected ',' or ']' while parsing a flow sequence\n",
	       "lint reports each document, then the syntax error");
	free(out);

	/* lint reads a complex key and reports it, and goes on with the document. */
	res = (struct cli_lint_result){0};
	out = lint_text("? [a]\n: b\nkind: [x]\n", &res);
	is_str(out,
	       "t.yaml:1:3: yaml: a key must be a scalar\nt.yaml:3:1: kind: must be a string\n",
	       "a complex key is a problem, not the end of lint");
	is_int(res.problems, 2, "two problems");
	free(out);
}

/* The manifests of examples/ lint clean: each is one Release (and the
 * objects it uses, skipped). */
static void check_example(const char *name)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/../../../examples/%s", TEST_DATA_DIR, name);
	char *out = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&out, &len);
	struct cli_lint_result res = {0};
	is_int(cli_lint_file(path, mem, &res), 0, "examples/%s: linted", name);
	fclose(mem);
	is_str(out, "", "examples/%s: no problems", name);
	is_int(res.releases, 1, "examples/%s: one Release", name);
	free(out);
}

/* A key quoted in a problem may hold a line break or a terminal escape
 * (fuzz-lint found the first): the problem stays one line, escaped. */
static void test_hostile_key(void)
{
	struct cli_lint_result res = {0};
	char *out = lint_text("{\"a\\nb\": 1, \"a\\nb\": 2, \"\\e[2J\": 3, \"\\e[2J\": 4}\n", &res);
	is_int((long long)res.problems, 3, "two duplicate keys, and no kind");
	size_t lines = 0;
	for (const char *p = out; p && *p; p++)
		lines += *p == '\n';
	is_int((long long)lines, 3, "one line each");
	ok(out && strstr(out, "duplicate key \"a\\nb\"") && strstr(out, "\\x1b[2J") &&
	       !strchr(out, '\x1b'),
	   "the line break and the escape are shown escaped");
	free(out);
}

int main(void)
{
	test_find();
	test_hostile_key();
	check_example("rolling.yaml");
	check_example("canary.yaml");
	check_example("bluegreen.yaml");
	check_file("valid", 2);
	check_file("broken", 2);
	check_file("syntax", 0);
	check_file("duplicate", 1);

	struct cli_lint_result res = {0};
	char *out = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&out, &len);
	is_int(cli_lint_file("/nonexistent/x.yaml", mem, &res), 0, "a missing file");
	fclose(mem);
	is_str(out, "/nonexistent/x.yaml: No such file or directory\n", "is one problem line");
	is_int(res.problems, 1, "counted");
	free(out);
	return tap_done();
}
