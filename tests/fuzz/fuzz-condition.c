/* libFuzzer: {"conditions": [...], "set": {type, status, reason, message,
 * observedGeneration}} — a status's conditions as read back from the API,
 * whatever they hold, and one condition the reconciler sets on them. Setting
 * must not crash; when it succeeds the array says exactly what was set, and
 * setting it again changes nothing. */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model/condition.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *v = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
	if (!v)
		return 0;
	json_t *status = json_pack("{s:O*}", "conditions", json_object_get(v, "conditions"));
	json_t *conditions = status ? model_status_conditions(status) : NULL;
	const json_t *set = json_object_get(v, "set");
	json_t *gen = json_object_get(set, "observedGeneration");
	struct model_condition c = {
	    .type = json_string_value(json_object_get(set, "type")),
	    .status = json_string_value(json_object_get(set, "status")),
	    .reason = json_string_value(json_object_get(set, "reason")),
	    .message = json_string_value(json_object_get(set, "message")),
	    .observed_generation = json_is_integer(gen) ? json_integer_value(gen) : 0,
	};
	if (conditions && c.type && c.status && c.reason &&
	    model_condition_set(conditions, &c, 1000) >= 0) {
		if (!model_condition_has_status(conditions, c.type, c.status))
			abort();
		if (model_condition_set(conditions, &c, 2000) != 0)
			abort();
		json_t *found = model_condition_find(conditions, c.type);
		const char *reason = json_string_value(json_object_get(found, "reason"));
		if (!reason || strcmp(reason, c.reason) != 0)
			abort();
		model_condition_remove(conditions, c.type);
	}
	json_decref(status);
	json_decref(v);
	return 0;
}
