#include "model/revision.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char safe_alphabet[] = "bcdfghjklmnpqrstvwxz2456789";

int model_revision_hash(const json_t *template, char out[static MODEL_REVISION_LEN + 1])
{
	if (!json_is_object(template))
		return -EINVAL;
	char *canonical = json_dumps(template, JSON_SORT_KEYS | JSON_COMPACT);
	if (!canonical)
		return -ENOMEM;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	int ok = EVP_Digest(canonical, strlen(canonical), md, &mdlen, EVP_sha256(), NULL);
	free(canonical);
	if (!ok || mdlen < 8)
		return -ENOMEM;
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | md[i];
	const unsigned base = sizeof(safe_alphabet) - 1;
	for (int i = 0; i < MODEL_REVISION_LEN; i++) {
		out[i] = safe_alphabet[v % base];
		v /= base;
	}
	out[MODEL_REVISION_LEN] = '\0';
	return 0;
}

const char *model_revision_of(const json_t *obj)
{
	return json_string_value(json_object_get(
	    json_object_get(json_object_get(obj, "metadata"), "labels"), MODEL_LABEL_REVISION));
}

bool model_controlled_by(const json_t *obj, const char *uid)
{
	if (!uid)
		return false;
	size_t i;
	json_t *ref;
	json_array_foreach(json_object_get(json_object_get(obj, "metadata"), "ownerReferences"), i,
	                   ref)
	{
		const char *u = json_string_value(json_object_get(ref, "uid"));
		if (u && strcmp(u, uid) == 0 && json_is_true(json_object_get(ref, "controller")))
			return true;
	}
	return false;
}
