/* libFuzzer: any bytes as a manifest for `kubectl slipway lint`. Parsing,
 * conversion and validation must not crash or leak; every problem line
 * carries a position; and every document's JSON, written as YAML by
 * cli_yaml_write (-o yaml), reads back as the same JSON. */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/lint.h"
#include "cli/yamldoc.h"
#include "cli/yamlout.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_round_trip(const struct ydoc_node *root)
{
	json_t *j = ydoc_to_json(root, NULL, NULL);
	if (!j)
		return; /* invalid UTF-8 in a scalar escape, or memory */
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f) {
		json_decref(j);
		return;
	}
	int r = cli_yaml_write(f, j);
	fclose(f);
	if (r == 0) {
		struct ydoc_stream s;
		if (ydoc_parse(buf, len, &s) == 0) {
			if (s.failed || s.n_docs != 1)
				abort();
			json_t *back = ydoc_to_json(s.docs[0], NULL, NULL);
			if (back && !json_equal(back, j))
				abort();
			json_decref(back);
			ydoc_stream_clear(&s);
		}
	}
	free(buf);
	json_decref(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *out = NULL;
	size_t out_len = 0;
	FILE *f = open_memstream(&out, &out_len);
	if (!f)
		return 0;
	struct cli_lint_result res = {0};
	int r = cli_lint_buffer("fuzz", (const char *)data, size, f, &res);
	fclose(f);
	/* Every line is "fuzz:LINE:COLUMN: FIELD: MESSAGE". */
	size_t lines = 0;
	for (char *p = out; r == 0 && p && *p;) {
		unsigned long l, c;
		if (sscanf(p, "fuzz:%lu:%lu: ", &l, &c) != 2 || l == 0 || c == 0)
			abort();
		char *nl = strchr(p, '\n');
		if (!nl)
			abort();
		p = nl + 1;
		lines++;
	}
	if (r == 0 && lines != res.problems)
		abort();
	free(out);

	struct ydoc_stream s;
	if (ydoc_parse((const char *)data, size, &s) == 0) {
		for (size_t i = 0; i < s.n_docs; i++)
			check_round_trip(s.docs[i]);
		ydoc_stream_clear(&s);
	}
	return 0;
}
