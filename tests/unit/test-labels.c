#include "tap.h"

#include <errno.h>
#include <jansson.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "model/labels.h"

static const struct {
	const char *key;
	bool valid;
} key_rows[] = {
    {"app", true},
    {"app.kubernetes.io/name", true},
    {"slipway.dev/revision", true},
    {"A-b_c.D9", true},
    {"a", true},
    {"", false},
    {"-app", false},
    {"app-", false},
    {"app name", false},
    {"Example.com/app", false}, /* prefix is a lowercase DNS subdomain */
    {"example..com/app", false},
    {"/app", false},
    {"example.com/", false},
    {"a/b/c", false},
    {"123456789012345678901234567890123456789012345678901234567890123", true},   /* 63 */
    {"1234567890123456789012345678901234567890123456789012345678901234", false}, /* 64 */
};

static const struct {
	const char *value;
	bool valid;
} value_rows[] = {
    {"web", true},
    {"", true}, /* empty values are allowed */
    {"v1.2_3-x", true},
    {"web!", false},
    {"-web", false},
    {"web.", false},
    {"a/b", false},
    {"123456789012345678901234567890123456789012345678901234567890123", true},
    {"1234567890123456789012345678901234567890123456789012345678901234", false},
};

static const struct {
	const char *selector, *labels;
	bool match;
} match_rows[] = {
    {"{\"app\":\"web\"}", "{\"app\":\"web\",\"tier\":\"fe\"}", true},
    {"{\"app\":\"web\",\"tier\":\"fe\"}", "{\"app\":\"web\",\"tier\":\"fe\"}", true},
    {"{\"app\":\"web\",\"tier\":\"fe\"}", "{\"app\":\"web\"}", false},
    {"{\"app\":\"web\"}", "{\"app\":\"api\"}", false},
    {"{\"app\":\"web\"}", "{\"app\":1}", false},
    {"{\"app\":\"web\"}", "null", false},
    {"{}", "null", true},
};

int main(void)
{
	for (size_t i = 0; i < sizeof(key_rows) / sizeof(key_rows[0]); i++)
		is_int(model_label_key_valid(key_rows[i].key), key_rows[i].valid, "key \"%s\" %s",
		       key_rows[i].key, key_rows[i].valid ? "valid" : "invalid");
	for (size_t i = 0; i < sizeof(value_rows) / sizeof(value_rows[0]); i++)
		is_int(model_label_value_valid(value_rows[i].value), value_rows[i].valid,
		       "value \"%s\" %s", value_rows[i].value,
		       value_rows[i].valid ? "valid" : "invalid");

	for (size_t i = 0; i < sizeof(match_rows) / sizeof(match_rows[0]); i++) {
		json_t *sj = json_loads(match_rows[i].selector, 0, NULL);
		json_t *lj = json_loads(match_rows[i].labels, JSON_DECODE_ANY, NULL);
		struct model_labels sel;
		struct model_errors errs = {0};
		is_int(model_labels_from_json(sj, "s", &sel, &errs), 0, "selector %zu parses", i);
		is_int(model_labels_match(&sel, json_is_null(lj) ? NULL : lj), match_rows[i].match,
		       "%s %s %s", match_rows[i].selector,
		       match_rows[i].match ? "matches" : "does not match", match_rows[i].labels);
		model_labels_clear(&sel);
		json_decref(sj);
		json_decref(lj);
	}

	/* Errors name the path and every bad label; output untouched. */
	json_t *bad = json_loads("{\"ok\":\"1\",\"-k\":\"v\",\"k\":\"v!\",\"n\":3}", 0, NULL);
	struct model_labels l = {.n = 99};
	struct model_errors errs = {0};
	is_int(model_labels_from_json(bad, "spec.selector.matchLabels", &l, &errs), -EINVAL,
	       "bad labels are EINVAL");
	is_int(l.n, 99, "output untouched");
	char *msg = model_errors_join(&errs, "; ");
	is_str(msg,
	       "spec.selector.matchLabels: invalid label key \"-k\"; spec.selector.matchLabels: k: "
	       "invalid label value \"v!\"; spec.selector.matchLabels: n: must be a string",
	       "one message per bad label");
	free(msg);
	model_errors_clear(&errs);
	json_decref(bad);

	json_t *many = json_object();
	for (int i = 0; i <= MODEL_LABELS_MAX; i++) {
		char k[16];
		snprintf(k, sizeof(k), "k%d", i);
		json_object_set_new(many, k, json_string("v"));
	}
	is_int(model_labels_from_json(many, "x", &l, &errs), -EINVAL, "too many labels");
	is_int(errs.n, 1, "one error for too many labels");
	model_errors_clear(&errs);
	json_decref(many);

	struct model_labels empty = {0};
	char *s = model_labels_selector_string(&empty);
	is_str(s, "", "empty set gives an empty selector");
	free(s);
	return tap_done();
}
