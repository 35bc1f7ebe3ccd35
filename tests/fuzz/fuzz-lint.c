/* libFuzzer: any bytes as a manifest for `kubectl slipway lint`. Parsing,
 * conversion and validation must not crash or leak; every problem line
 * carries a position; and every document's JSON, written as YAML by
 * cli_yaml_write (-o yaml), reads back as the same JSON. */
#include <errno.h>
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/lint.h"
#include "cli/yamljson.h"
#include "cli/yamlout.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_round_trip(const struct kc_ynode *root)
{
	json_t *j = cli_yaml_to_json(root, NULL, NULL);
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
		struct kc_yaml_reader *reader = NULL;
		if (kc_yaml_reader_new(buf, len, 0, &reader) == 0) {
			struct kc_ynode *doc = NULL, *extra = NULL;
			int first = kc_yaml_next(reader, &doc, NULL);
			int second = first == 1 ? kc_yaml_next(reader, &extra, NULL) : 0;
			/* -ENOMEM is no finding; anything else but one document is. */
			if (first != -ENOMEM && second != -ENOMEM && (first != 1 || second != 0))
				abort();
			json_t *back = first == 1 ? cli_yaml_to_json(doc, NULL, NULL) : NULL;
			if (back && !json_equal(back, j))
				abort();
			json_decref(back);
			kc_yaml_free(doc);
			kc_yaml_free(extra);
			kc_yaml_reader_free(reader);
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

	struct kc_yaml_reader *reader = NULL;
	if (kc_yaml_reader_new((const char *)data, size, KC_YAML_COMPLEX_KEYS, &reader) == 0) {
		struct kc_ynode *doc = NULL;
		while (kc_yaml_next(reader, &doc, NULL) == 1) {
			check_round_trip(doc);
			doc = kc_yaml_free(doc);
		}
		kc_yaml_reader_free(reader);
	}
	return 0;
}
