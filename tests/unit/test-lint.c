/* lint: every problem of the broken manifests in data/lint/ is reported at
 * the line and column of the field, as data/lint/NAME.expected says; a valid
 * file gives nothing. Also ydoc_find on keys with dots and missing fields. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/lint.h"
#include "cli/yamldoc.h"
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

static void test_find(void)
{
	const char *y = "a:\n  app.kubernetes.io/name: x\n  list:\n  - {b: 1}\n  - c: 2\n";
	struct ydoc_stream s;
	is_int(ydoc_parse(y, strlen(y), &s), 0, "parse");
	ok(!s.failed && s.n_docs == 1, "one document");
	const struct ydoc_node *root = s.docs[0], *key = NULL, *n;
	n = ydoc_find(root, "a.app.kubernetes.io/name", &key);
	ok(n && n->kind == YDOC_SCALAR && strcmp(n->value, "x") == 0,
	   "a key with dots matches whole");
	ok(key && key->line == 2 && key->column == 3, "and its key is at 2:3");
	n = ydoc_find(root, "a.list[1].c", NULL);
	ok(n && n->line == 5 && n->column == 8, "an index then a key: 5:8");
	n = ydoc_find(root, "a.list[1].missing", &key);
	ok(n && n->kind == YDOC_MAP && n->line == 5 && n->column == 5,
	   "a missing field stops at its parent");
	n = ydoc_find(root, "a.list[7]", NULL);
	ok(n && n->kind == YDOC_SEQ, "an index past the end stops at the list");
	json_t *j = ydoc_to_json(root, NULL, NULL);
	ok(j && json_integer_value(json_object_get(
	            json_array_get(json_object_get(json_object_get(j, "a"), "list"), 0), "b")) == 1,
	   "to JSON: integers are integers");
	json_decref(j);
	ydoc_stream_clear(&s);

	const char *scalars =
	    "[1, -2, 0x1f, 1.5, true, False, ~, null, '3', \"true\", !!str 4, 1e3, .inf, yes]";
	is_int(ydoc_parse(scalars, strlen(scalars), &s), 0, "parse scalars");
	j = ydoc_to_json(s.docs[0], NULL, NULL);
	char *dump = json_dumps(j, JSON_COMPACT);
	is_str(dump,
	       "[1,-2,31,1.5,true,false,null,null,\"3\",\"true\",\"4\",1000.0,\".inf\",\"yes\"]",
	       "scalars resolve as the core schema");
	free(dump);
	json_decref(j);
	ydoc_stream_clear(&s);

	const char *alias = "a: &x 1\nb: *x\n";
	is_int(ydoc_parse(alias, strlen(alias), &s), 0, "parse with an alias");
	ok(s.failed && s.error_line == 2 && s.error_column == 4,
	   "aliases are refused at 2:4 (%lu:%lu)", s.error_line, s.error_column);
	ydoc_stream_clear(&s);

	char deep[200];
	memset(deep, '[', sizeof(deep) - 1);
	deep[sizeof(deep) - 1] = '\0';
	is_int(ydoc_parse(deep, strlen(deep), &s), 0, "parse a deep document");
	ok(s.failed && strstr(s.error, "deeply"), "nesting is limited: %s", s.error);
	ydoc_stream_clear(&s);
}

int main(void)
{
	test_find();
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
