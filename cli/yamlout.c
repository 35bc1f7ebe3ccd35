#include "cli/yamlout.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "cli/yamljson.h"

/* Would a plain scalar with this text read back as something other than
 * this string? YAML 1.1 words (yes, no, on, off, y, n) count too, since
 * kubectl's decoder still reads them as booleans. */
static bool needs_quotes(const char *s, size_t len)
{
	static const char *const words[] = {"y",  "Y",   "yes", "Yes", "YES", "n",
	                                    "N",  "no",  "No",  "NO",  "on",  "On",
	                                    "ON", "off", "Off", "OFF", NULL};
	if (len == 0 || strlen(s) != len)
		return true;
	for (size_t i = 0; words[i]; i++)
		if (strcmp(s, words[i]) == 0)
			return true;
	/* YAML 1.1 timestamps (2026-11-26...), which some readers turn into dates. */
	if (len >= 10 && isdigit((unsigned char)s[0]) && isdigit((unsigned char)s[1]) &&
	    isdigit((unsigned char)s[2]) && isdigit((unsigned char)s[3]) && s[4] == '-')
		return true;
	struct kc_ynode n = {
	    .kind = KC_YNODE_SCALAR, .value = (char *)s, .len = len, .plain = true};
	json_t *j = cli_yaml_to_json(&n, NULL, NULL);
	bool other = !json_is_string(j);
	json_decref(j);
	return other;
}

static int emit(yaml_emitter_t *e, yaml_event_t *ev)
{
	return yaml_emitter_emit(e, ev) ? 0 : -EIO;
}

static int scalar(yaml_emitter_t *e, const char *s, size_t len, bool quote)
{
	yaml_event_t ev;
	if (!yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s, (int)len, !quote, 1,
	                                  quote ? YAML_DOUBLE_QUOTED_SCALAR_STYLE
	                                        : YAML_ANY_SCALAR_STYLE))
		return -ENOMEM;
	return emit(e, &ev);
}

static int cmp_keys(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int value(yaml_emitter_t *e, const json_t *v, int depth)
{
	char buf[64];
	yaml_event_t ev;
	int r = 0;
	if (depth > 200)
		return -EINVAL;
	switch (json_typeof(v)) {
	case JSON_OBJECT: {
		size_t n = json_object_size(v), i = 0;
		const char **keys = malloc((n ? n : 1) * sizeof(*keys));
		if (!keys)
			return -ENOMEM;
		const char *k;
		json_t *x;
		json_object_foreach((json_t *)v, k, x)
		{
			keys[i++] = k;
		}
		qsort(keys, n, sizeof(*keys), cmp_keys);
		if (!yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
		                                         YAML_ANY_MAPPING_STYLE))
			r = -ENOMEM;
		if (r == 0)
			r = emit(e, &ev);
		for (i = 0; r == 0 && i < n; i++) {
			r = scalar(e, keys[i], strlen(keys[i]),
			           needs_quotes(keys[i], strlen(keys[i])));
			if (r == 0)
				r = value(e, json_object_get(v, keys[i]), depth + 1);
		}
		free(keys);
		if (r == 0 && !yaml_mapping_end_event_initialize(&ev))
			r = -ENOMEM;
		return r ? r : emit(e, &ev);
	}
	case JSON_ARRAY: {
		if (!yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
		                                          YAML_ANY_SEQUENCE_STYLE))
			return -ENOMEM;
		r = emit(e, &ev);
		size_t i;
		json_t *x;
		json_array_foreach(v, i, x)
		{
			if (r == 0)
				r = value(e, x, depth + 1);
		}
		if (r == 0 && !yaml_sequence_end_event_initialize(&ev))
			r = -ENOMEM;
		return r ? r : emit(e, &ev);
	}
	case JSON_STRING: {
		const char *s = json_string_value(v);
		size_t len = json_string_length(v);
		return scalar(e, s, len, needs_quotes(s, len));
	}
	case JSON_INTEGER:
		snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return scalar(e, buf, strlen(buf), false);
	case JSON_REAL: {
		char *d = json_dumps(v, JSON_ENCODE_ANY);
		if (!d)
			return -ENOMEM;
		r = scalar(e, d, strlen(d), false);
		free(d);
		return r;
	}
	case JSON_TRUE:
		return scalar(e, "true", 4, false);
	case JSON_FALSE:
		return scalar(e, "false", 5, false);
	case JSON_NULL:
		return scalar(e, "null", 4, false);
	}
	return -EINVAL;
}

static int write_handler(void *data, unsigned char *buffer, size_t size)
{
	return fwrite(buffer, 1, size, data) == size;
}

int cli_yaml_write(FILE *f, const json_t *v)
{
	yaml_emitter_t e;
	yaml_event_t ev;
	if (!yaml_emitter_initialize(&e))
		return -ENOMEM;
	yaml_emitter_set_output(&e, write_handler, f);
	yaml_emitter_set_unicode(&e, 1);
	yaml_emitter_set_width(&e, -1);
	int r = 0;
	if (!yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING))
		r = -ENOMEM;
	if (r == 0)
		r = emit(&e, &ev);
	if (r == 0 && !yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1))
		r = -ENOMEM;
	if (r == 0)
		r = emit(&e, &ev);
	if (r == 0)
		r = value(&e, v, 0);
	if (r == 0 && !yaml_document_end_event_initialize(&ev, 1))
		r = -ENOMEM;
	if (r == 0)
		r = emit(&e, &ev);
	if (r == 0 && !yaml_stream_end_event_initialize(&ev))
		r = -ENOMEM;
	if (r == 0)
		r = emit(&e, &ev);
	if (r == 0 && !yaml_emitter_flush(&e))
		r = -EIO;
	yaml_emitter_delete(&e);
	return r;
}
