/* libFuzzer: any JSON document as a Release (and as a Release status, and
 * its status.intent). Parse and validate must not crash or leak; a valid
 * Release has a revision and a template; a status that parses must
 * round-trip exactly; an intent that parses reads back the same from what
 * rel_intent_to_json writes. */
#include <errno.h>
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model/errors.h"
#include "model/intent.h"
#include "model/release.h"
#include "model/status.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_intent(const json_t *intent)
{
	struct model_errors errs = {0};
	struct rel_intent in;
	int ret = rel_intent_parse(intent, &in, &errs);
	if (ret == -EINVAL && model_errors_count(&errs) == 0)
		abort();
	if (ret == 0) {
		json_t *out = rel_intent_to_json(&in);
		struct rel_intent again;
		if (out && rel_intent_parse(out, &again, NULL) == 0) {
			if (again.action != in.action || strcmp(again.user, in.user) != 0 ||
			    strcmp(again.revision, in.revision) != 0 ||
			    again.requested_at != in.requested_at ||
			    again.has_step_index != in.has_step_index ||
			    again.step_index != in.step_index)
				abort();
			rel_intent_clear(&again);
		} else if (out) {
			abort(); /* what we write must read back */
		}
		json_decref(out);
		rel_intent_clear(&in);
	}
	model_errors_clear(&errs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *v = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
	if (!v)
		return 0;

	struct model_errors errs = {0};
	struct rel_release *r = NULL;
	int ret = rel_release_parse(v, &r, &errs);
	if (ret == 0) {
		if (!r || errs.n != 0 || strlen(r->revision) != MODEL_REVISION_LEN ||
		    !json_is_object(r->template) || r->selector.n == 0)
			abort();
		json_decref(rel_template_images(r->template));
		r = rel_release_free(r);
	} else if (ret == -EINVAL) {
		if (r || model_errors_count(&errs) == 0)
			abort();
		/* Messages go into conditions and Events: jansson must take them. */
		char *joined = model_errors_join(&errs, "; ");
		json_t *js = joined ? json_string(joined) : NULL;
		if (joined && !js)
			abort();
		json_decref(js);
		free(joined);
	}
	model_errors_clear(&errs);

	json_t *intent = json_object_get(json_object_get(v, "status"), "intent");
	if (intent)
		check_intent(intent);

	struct rel_status s;
	if (rel_status_from_json(json_object_get(v, "status"), &s) == 0) {
		json_t *out = rel_status_to_json(&s);
		struct rel_status again;
		if (out && rel_status_from_json(out, &again) == 0) {
			json_t *out2 = rel_status_to_json(&again);
			if (!out2 || !json_equal(out, out2))
				abort();
			json_decref(out2);
			rel_status_clear(&again);
		}
		json_decref(out);
		rel_status_clear(&s);
	}
	json_decref(v);
	return 0;
}
