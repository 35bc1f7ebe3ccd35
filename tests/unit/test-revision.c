#include "tap.h"

#include <errno.h>
#include <jansson.h>
#include <stddef.h>
#include <string.h>

#include "model/revision.h"

/* Computed independently (Python: json.dumps(sort_keys=True,
 * separators=(",", ":")), hashlib.sha256, first 8 bytes big-endian, base 27
 * least significant digit first) so the test checks the formula, not itself. */
#define WEB_TEMPLATE                                                                               \
	"{\"metadata\":{\"labels\":{\"app\":\"web\"}},\"spec\":{\"containers\":[{\"name\":"        \
	"\"web\",\"image\":\"nginx:1.25\"}]}}"
#define WEB_REVISION "r8kt9mf4mk"

static const struct {
	const char *a, *b;
	bool same;
	const char *why;
} rows[] = {
    {WEB_TEMPLATE,
     "{\"spec\":{\"containers\":[{\"image\":\"nginx:1.25\",\"name\":\"web\"}]},"
     "\"metadata\":{\"labels\":{\"app\":\"web\"}}}",
     true, "key order does not matter"},
    {WEB_TEMPLATE,
     " {\n \"metadata\" : {\"labels\":{\"app\":\"web\"}},\"spec\":{\"containers\":"
     "[{\"name\":\"web\",\"image\":\"nginx:1.25\"}]}}",
     true, "whitespace does not matter"},
    {WEB_TEMPLATE,
     "{\"metadata\":{\"labels\":{\"app\":\"web\"}},\"spec\":{\"containers\":[{\"name\":"
     "\"web\",\"image\":\"nginx:1.26\"}]}}",
     false, "a new image is a new revision"},
    {WEB_TEMPLATE,
     "{\"metadata\":{\"labels\":{\"app\":\"web\",\"tier\":\"fe\"}},\"spec\":{\"containers\":"
     "[{\"name\":\"web\",\"image\":\"nginx:1.25\"}]}}",
     false, "a new label is a new revision"},
    {"{\"spec\":{\"containers\":[{\"name\":\"a\",\"image\":\"x\"},{\"name\":\"b\",\"image\":"
     "\"y\"}]}}",
     "{\"spec\":{\"containers\":[{\"name\":\"b\",\"image\":\"y\"},{\"name\":\"a\",\"image\":"
     "\"x\"}]}}",
     false, "array order matters (containers are ordered)"},
    {"{\"spec\":{\"terminationGracePeriodSeconds\":30}}",
     "{\"spec\":{\"terminationGracePeriodSeconds\":30.0}}", false,
     "1 and 1.0 differ: the hash is of the text jansson writes"},
    {"{}", "{\"metadata\":{}}", false, "an empty member is still a member"},
};

static json_t *load(const char *text)
{
	json_error_t err;
	json_t *v = json_loads(text, 0, &err);
	if (!v)
		tap_diag("bad JSON in test: %s", err.text);
	return v;
}

static bool in_alphabet(const char *s)
{
	return strspn(s, "bcdfghjklmnpqrstvwxz2456789") == strlen(s);
}

int main(void)
{
	char rev[MODEL_REVISION_LEN + 1];
	json_t *web = load(WEB_TEMPLATE);
	is_int(model_revision_hash(web, rev), 0, "hash of the web template");
	is_str(rev, WEB_REVISION, "known vector");
	json_decref(web);

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		json_t *a = load(rows[i].a), *b = load(rows[i].b);
		char ra[MODEL_REVISION_LEN + 1] = "", rb[MODEL_REVISION_LEN + 1] = "";
		ok(model_revision_hash(a, ra) == 0 && model_revision_hash(b, rb) == 0,
		   "row %zu hashes", i);
		is_int(strlen(ra), MODEL_REVISION_LEN, "row %zu: %d characters", i,
		       MODEL_REVISION_LEN);
		ok(in_alphabet(ra) && in_alphabet(rb), "row %zu: safe alphabet only", i);
		ok((strcmp(ra, rb) == 0) == rows[i].same, "%s (%s vs %s)", rows[i].why, ra, rb);
		json_decref(a);
		json_decref(b);
	}

	json_t *arr = json_array();
	memcpy(rev, "untouched", 10);
	is_int(model_revision_hash(arr, rev), -EINVAL, "an array is not a template");
	is_str(rev, "untouched", "output untouched on error");
	is_int(model_revision_hash(NULL, rev), -EINVAL, "NULL is not a template");
	json_decref(arr);
	return tap_done();
}
