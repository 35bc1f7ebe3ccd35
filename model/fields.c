#include "model/fields.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/duration.h"
#include "model/names.h"

/* out = base + sep + tail, cut at MODEL_PATH_LEN - 1 bytes. Written out by
 * hand because a cut path is acceptable here and snprintf would warn about
 * it. */
static void path_join(char out[static MODEL_PATH_LEN], const char *base, const char *sep,
                      const char *tail)
{
	size_t off = 0;
	const char *parts[3] = {base, sep, tail};
	for (int p = 0; p < 3; p++) {
		size_t len = strnlen(parts[p], MODEL_PATH_LEN);
		if (len > MODEL_PATH_LEN - 1 - off)
			len = MODEL_PATH_LEN - 1 - off;
		memcpy(out + off, parts[p], len);
		off += len;
	}
	out[off] = '\0';
}

void model_path_key(char out[static MODEL_PATH_LEN], const char *base, const char *key)
{
	path_join(out, base, base[0] ? "." : "", key);
}

void model_path_index(char out[static MODEL_PATH_LEN], const char *base, size_t i)
{
	char idx[32];
	snprintf(idx, sizeof(idx), "[%zu]", i);
	path_join(out, base, "", idx);
}

char *model_fields_strdup(struct model_fields *f, const char *s)
{
	char *d = strdup(s);
	if (!d)
		f->oom = true;
	return d;
}

bool model_field_int32(struct model_fields *f, const json_t *obj, const char *key, const char *base,
                       int32_t min, int32_t dflt, int32_t *out)
{
	char path[MODEL_PATH_LEN];
	json_t *v = json_object_get(obj, key);
	*out = dflt;
	if (!v)
		return true;
	model_path_key(path, base, key);
	if (!json_is_integer(v)) {
		model_errors_add(f->errs, path, "must be an integer");
		return false;
	}
	json_int_t i = json_integer_value(v);
	if (i < min) {
		if (min == 0)
			model_errors_add(f->errs, path, "must not be negative");
		else
			model_errors_add(f->errs, path, "must be at least %d", (int)min);
		return false;
	}
	if (i > INT32_MAX) {
		model_errors_add(f->errs, path, "must be at most %d", INT32_MAX);
		return false;
	}
	*out = (int32_t)i;
	return true;
}

bool model_field_bool(struct model_fields *f, const json_t *obj, const char *key, const char *base,
                      bool dflt, bool *out)
{
	json_t *v = json_object_get(obj, key);
	*out = dflt;
	if (!v)
		return true;
	if (!json_is_boolean(v)) {
		char path[MODEL_PATH_LEN];
		model_path_key(path, base, key);
		model_errors_add(f->errs, path, "must be a boolean");
		return false;
	}
	*out = json_is_true(v);
	return true;
}

json_t *model_field_object(struct model_fields *f, const json_t *obj, const char *key,
                           const char *base, bool required)
{
	json_t *v = json_object_get(obj, key);
	char path[MODEL_PATH_LEN];
	model_path_key(path, base, key);
	if (!v) {
		if (required)
			model_errors_add(f->errs, path, "required");
		return NULL;
	}
	if (!json_is_object(v)) {
		model_errors_add(f->errs, path, "must be an object");
		return NULL;
	}
	return v;
}

bool model_field_array(struct model_fields *f, const json_t *obj, const char *key, const char *base,
                       bool required, size_t max, const char *noun, json_t **out)
{
	char path[MODEL_PATH_LEN];
	model_path_key(path, base, key);
	json_t *v = json_object_get(obj, key);
	*out = NULL;
	if (!v) {
		if (required)
			model_errors_add(f->errs, path, "required");
		return !required;
	}
	if (required && (!json_is_array(v) || json_array_size(v) == 0)) {
		model_errors_add(f->errs, path, "must be a non-empty list");
		return false;
	}
	if (!json_is_array(v)) {
		model_errors_add(f->errs, path, "must be a list");
		return false;
	}
	if (json_array_size(v) > max) {
		model_errors_add(f->errs, path, "must have at most %zu %s", max, noun);
		return false;
	}
	*out = v;
	return true;
}

/* The string member, borrowed: 1 when present (*s, *len set, NUL bytes
 * possible), 0 when absent and optional, -1 when an error was added. */
static int string_member(struct model_fields *f, const json_t *obj, const char *key,
                         const char *path, bool required, const char **s, size_t *len)
{
	json_t *v = json_object_get(obj, key);
	if (!v) {
		if (required)
			model_errors_add(f->errs, path, "required");
		return required ? -1 : 0;
	}
	if (!json_is_string(v)) {
		model_errors_add(f->errs, path, "must be a string");
		return -1;
	}
	if (json_string_length(v) == 0 && required) {
		model_errors_add(f->errs, path, "required");
		return -1;
	}
	*s = json_string_value(v);
	*len = json_string_length(v);
	return 1;
}

bool model_field_string(struct model_fields *f, const json_t *obj, const char *key,
                        const char *base, bool required, char **out)
{
	char path[MODEL_PATH_LEN];
	model_path_key(path, base, key);
	const char *s = NULL;
	size_t len = 0;
	*out = NULL;
	int r = string_member(f, obj, key, path, required, &s, &len);
	if (r <= 0)
		return r == 0;
	/* C strings end at the first NUL: keeping the prefix would act on
	 * something else than what the user wrote. */
	if (strlen(s) != len) {
		model_errors_add(f->errs, path, "must not contain NUL characters");
		return false;
	}
	*out = model_fields_strdup(f, s);
	return *out != NULL;
}

static bool name_valid(const char *s, size_t len, enum model_name_kind kind)
{
	return kind == MODEL_NAME_DNS_LABEL ? model_dns_label_valid(s, len)
	                                    : model_dns_subdomain_valid(s, len);
}

bool model_field_name(struct model_fields *f, const json_t *obj, const char *key, const char *base,
                      enum model_name_kind kind, bool required, char **out)
{
	char path[MODEL_PATH_LEN];
	model_path_key(path, base, key);
	const char *s = NULL;
	size_t len = 0;
	*out = NULL;
	int r = string_member(f, obj, key, path, required, &s, &len);
	if (r <= 0)
		return r == 0;
	/* A NUL byte is one more character no name may hold. */
	if (strlen(s) != len || !name_valid(s, len, kind)) {
		model_errors_add(f->errs, path, "\"%.80s\" is not a valid %s", s,
		                 kind == MODEL_NAME_DNS_LABEL
		                     ? "DNS-1035 label (lowercase letters, digits "
		                       "and '-', starting with a letter, at most 63)"
		                     : "DNS-1123 subdomain (lowercase letters, digits, "
		                       "'-' and '.', at most 253)");
		return false;
	}
	*out = model_fields_strdup(f, s);
	return *out != NULL;
}

bool model_field_intorstr(struct model_fields *f, const json_t *obj, const char *key,
                          const char *base, bool max100, struct model_intorstr *out)
{
	json_t *v = json_object_get(obj, key);
	if (!v)
		return true; /* default already in *out */
	char path[MODEL_PATH_LEN];
	model_path_key(path, base, key);
	struct model_intorstr val;
	int r = model_intorstr_from_json(v, &val);
	if (r == -EINVAL) {
		model_errors_add(f->errs, path,
		                 "must be an integer or a percentage (e.g. \"25%%\")");
		return false;
	}
	if (r == -ERANGE) {
		model_errors_add(f->errs, path, "must not be negative");
		return false;
	}
	if (r < 0) {
		model_errors_add(f->errs, path, "must be at most %d", INT32_MAX);
		return false;
	}
	if (max100 && val.is_percent && val.value > 100) {
		model_errors_add(f->errs, path, "must not be greater than 100%%");
		return false;
	}
	*out = val;
	return true;
}

/* Seconds as nanoseconds; false when they do not fit. */
static bool seconds_ns(int64_t secs, int64_t *ns)
{
	if (secs > INT64_MAX / MODEL_NS_PER_SECOND)
		return false;
	*ns = secs * MODEL_NS_PER_SECOND;
	return true;
}

/* A duration string: digits are seconds, anything else a Go duration.
 * Returns 0, -ERANGE (negative) or -EINVAL. */
static int duration_string(const char *txt, int64_t *ns)
{
	size_t len = strlen(txt);
	/* 18 digits always fit an int64; more would need overflow checks, and
	 * no pause lasts 30 years. */
	if (len > 0 && len <= 18 && strspn(txt, "0123456789") == len) {
		int64_t secs = 0;
		for (size_t i = 0; i < len; i++)
			secs = secs * 10 + (txt[i] - '0');
		return seconds_ns(secs, ns) ? 0 : -EINVAL;
	}
	int64_t v = 0;
	if (model_duration_parse(txt, &v) < 0)
		return -EINVAL;
	if (v < 0)
		return -ERANGE;
	*ns = v;
	return 0;
}

bool model_field_duration(struct model_fields *f, const json_t *obj, const char *key,
                          const char *base, bool *has, int64_t *ns)
{
	char path[MODEL_PATH_LEN];
	model_path_key(path, base, key);
	json_t *d = json_object_get(obj, key);
	*has = false;
	if (!d)
		return true;
	int64_t val = 0;
	int r = -EINVAL;
	if (json_is_integer(d)) {
		json_int_t secs = json_integer_value(d);
		if (secs < 0)
			r = -ERANGE;
		else
			r = seconds_ns(secs, &val) ? 0 : -EINVAL;
	} else if (json_is_string(d) && strlen(json_string_value(d)) == json_string_length(d)) {
		r = duration_string(json_string_value(d), &val);
	}
	if (r == -ERANGE) {
		model_errors_add(f->errs, path, "must not be negative");
		return false;
	}
	if (r < 0) {
		model_errors_add(f->errs, path,
		                 "must be a duration such as \"30s\", \"5m\" or \"1h\", or "
		                 "an integer number of seconds");
		return false;
	}
	*has = true;
	*ns = val;
	return true;
}

bool model_fields_only(struct model_fields *f, const json_t *obj, const char *base,
                       const char *const allowed[], const char *expect)
{
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)obj, key, v)
	{
		bool known = false;
		for (size_t i = 0; allowed[i]; i++)
			known = known || strcmp(key, allowed[i]) == 0;
		if (!known) {
			model_errors_add(f->errs, base, "unknown field \"%.40s\": %s", key, expect);
			return false;
		}
	}
	return true;
}
