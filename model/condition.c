#include "model/condition.h"

#include <errno.h>
#include <string.h>

#include "model/timefmt.h"

static bool is_letter(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

bool model_condition_reason_valid(const char *reason)
{
	size_t len = strnlen(reason, MODEL_CONDITION_REASON_MAX + 1);
	if (len == 0 || len > MODEL_CONDITION_REASON_MAX || !is_letter(reason[0]))
		return false;
	for (size_t i = 1; i < len; i++) {
		char c = reason[i];
		bool last = i == len - 1;
		if (is_letter(c) || is_digit(c) || c == '_')
			continue;
		if ((c == ',' || c == ':') && !last)
			continue;
		return false;
	}
	return true;
}

static bool status_valid(const char *s)
{
	return strcmp(s, MODEL_CONDITION_TRUE) == 0 || strcmp(s, MODEL_CONDITION_FALSE) == 0 ||
	       strcmp(s, MODEL_CONDITION_UNKNOWN) == 0;
}

/* Length of the longest prefix of s (length len) that is at most max bytes
 * and does not end inside a UTF-8 sequence. */
static size_t utf8_cut(const char *s, size_t len, size_t max)
{
	if (len <= max)
		return len;
	size_t n = max;
	/* Back off continuation bytes (10xxxxxx) so no character is split. */
	while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	return n;
}

static int find_index(const json_t *conditions, const char *type, size_t *ret)
{
	size_t i;
	json_t *c;
	json_array_foreach(conditions, i, c)
	{
		json_t *t = json_object_get(c, "type");
		if (json_is_string(t) && strcmp(json_string_value(t), type) == 0) {
			*ret = i;
			return 0;
		}
	}
	return -ENOENT;
}

json_t *model_condition_find(const json_t *conditions, const char *type)
{
	size_t i;
	if (!json_is_array(conditions) || find_index(conditions, type, &i) < 0)
		return NULL;
	return json_array_get(conditions, i);
}

bool model_condition_has_status(const json_t *conditions, const char *type, const char *status)
{
	json_t *s = json_object_get(model_condition_find(conditions, type), "status");
	return json_is_string(s) && strcmp(json_string_value(s), status) == 0;
}

static bool str_field_is(const json_t *obj, const char *key, const char *want, size_t want_len)
{
	json_t *v = json_object_get(obj, key);
	return json_is_string(v) && json_string_length(v) == want_len &&
	       memcmp(json_string_value(v), want, want_len) == 0;
}

int model_condition_set(json_t *conditions, const struct model_condition *c, time_t now)
{
	if (!json_is_array(conditions) || !c->type || !c->status || !c->reason)
		return -EINVAL;
	size_t tlen = strnlen(c->type, MODEL_CONDITION_TYPE_MAX + 1);
	if (tlen == 0 || tlen > MODEL_CONDITION_TYPE_MAX || !status_valid(c->status) ||
	    !model_condition_reason_valid(c->reason) || c->observed_generation < 0)
		return -EINVAL;
	const char *msg = c->message ? c->message : "";
	size_t mlen = utf8_cut(msg, strlen(msg), MODEL_CONDITION_MESSAGE_MAX);
	char when[MODEL_TIME_LEN];
	if (model_time_format(now, when) < 0)
		return -EINVAL;

	size_t idx;
	json_t *old = NULL;
	if (find_index(conditions, c->type, &idx) == 0)
		old = json_array_get(conditions, idx);

	bool same_status = old && str_field_is(old, "status", c->status, strlen(c->status));
	json_t *old_time = json_object_get(old, "lastTransitionTime");
	time_t parsed;
	bool keep_time = same_status && json_is_string(old_time) &&
	                 model_time_parse(json_string_value(old_time), &parsed) == 0;
	json_t *old_gen = json_object_get(old, "observedGeneration");
	if (keep_time && str_field_is(old, "reason", c->reason, strlen(c->reason)) &&
	    str_field_is(old, "message", msg, mlen) && json_is_integer(old_gen) &&
	    json_integer_value(old_gen) == c->observed_generation)
		return 0;

	/* jansson refuses text that is not UTF-8: that is the caller's bug. */
	json_t *jtype = json_string(c->type);
	json_t *jmsg = json_stringn(msg, mlen);
	if (!jtype || !jmsg) {
		json_decref(jtype);
		json_decref(jmsg);
		return -EINVAL;
	}
	/* Build the new entry on a copy of the old one so unknown fields stay. */
	json_t *n = old && json_is_object(old) ? json_deep_copy(old) : json_object();
	/* json_pack releases jtype and jmsg ("o") even when it fails. */
	json_t *fields = json_pack("{s:o, s:s, s:I, s:s, s:o}", "type", jtype, "status", c->status,
	                           "observedGeneration", (json_int_t)c->observed_generation,
	                           "reason", c->reason, "message", jmsg);
	bool built =
	    n && fields && json_object_update(n, fields) == 0 &&
	    (keep_time || json_object_set_new(n, "lastTransitionTime", json_string(when)) == 0);
	json_decref(fields);
	if (!built) {
		json_decref(n);
		return -ENOMEM;
	}
	int r = old ? json_array_set_new(conditions, idx, n) : json_array_append_new(conditions, n);
	return r == 0 ? 1 : -ENOMEM;
}

int model_condition_remove(json_t *conditions, const char *type)
{
	size_t i;
	if (!json_is_array(conditions) || find_index(conditions, type, &i) < 0)
		return 0;
	json_array_remove(conditions, i);
	return 1;
}

json_t *model_status_conditions(json_t *status)
{
	if (!json_is_object(status))
		return NULL;
	json_t *a = json_object_get(status, "conditions");
	if (json_is_array(a))
		return a;
	a = json_array();
	if (!a || json_object_set_new(status, "conditions", a) != 0)
		return NULL;
	return a;
}
