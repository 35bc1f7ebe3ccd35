/* libFuzzer: a JSON array of objects through the informer's store path:
 * stripped (ctl_object_strip plus strip paths, as on the way in), kept in a
 * compact store and an indexed plain one, read back and replaced by a
 * relist. Nothing may crash or leak; a compact store gives back exactly the
 * stripped object; after the relist only its items remain. */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "controller/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const strip_paths[] = {"spec.template", "status.conditions", "a.b.c"};

static int count(const char *key, json_t *obj, void *userdata)
{
	(*(size_t *)userdata)++;
	return 0;
}

/* obj must be what the store holds under its key when it is the last of the
 * array's objects with that key; seen holds the keys checked already. */
static void check_roundtrip(struct ctl_store *compact, json_t *obj, json_t *seen)
{
	char key[CTL_STORE_KEY_MAX];
	if (ctl_object_key(obj, key, sizeof(key)) < 0 || json_object_get(seen, key))
		return;
	json_object_set_new(seen, key, json_true());
	json_t *back = NULL;
	if (ctl_store_get(compact, key, &back) == 0) {
		if (!json_equal(back, obj))
			abort();
		json_decref(back);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *v = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
	if (!json_is_array(v)) {
		json_decref(v);
		return 0;
	}
	struct ctl_store *compact = ctl_store_new(CTL_STORE_COMPACT);
	struct ctl_store *plain = ctl_store_new(CTL_STORE_INDEX_LABELS);
	size_t i;
	json_t *obj;
	json_array_foreach(v, i, obj)
	{
		if (!json_is_object(obj))
			continue;
		ctl_object_strip(obj);
		ctl_object_strip_paths(obj, strip_paths,
		                       sizeof(strip_paths) / sizeof(strip_paths[0]));
		ctl_store_upsert(compact, obj, NULL);
		ctl_store_upsert(plain, obj, NULL);
	}
	/* The last upsert of a key wins: check against the array read backwards. */
	json_t *seen = json_object();
	for (size_t j = json_array_size(v); j-- > 0;) {
		json_t *o = json_array_get(v, j);
		if (json_is_object(o))
			check_roundtrip(compact, o, seen);
	}
	json_decref(seen);
	json_t *everything = json_object();
	size_t selected = 0;
	ctl_store_select(plain, NULL, everything, count, &selected);
	json_decref(everything);
	if (selected != ctl_store_len(plain))
		abort();
	json_t *relist = json_array();
	if (json_array_size(v) > 0 && json_is_object(json_array_get(v, 0)))
		json_array_append(relist, json_array_get(v, 0));
	if (ctl_store_replace(compact, relist, NULL, NULL) == 0 &&
	    ctl_store_len(compact) > json_array_size(relist))
		abort();
	json_decref(relist);
	ctl_store_free(compact);
	ctl_store_free(plain);
	json_decref(v);
	return 0;
}
