#include "model/jsonpath.h"

#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One step into the document. */
struct segment {
	bool is_index;
	long long index;
	const char *key; /* into the path's copy; NUL-terminated */
};

struct parsed {
	char buf[MODEL_JSONPATH_MAX_LEN + 1]; /* keys live here */
	struct segment seg[MODEL_JSONPATH_MAX_SEGMENTS];
	size_t n;
};

static int fail(char *err, size_t column, const char *what)
{
	snprintf(err, MODEL_JSONPATH_ERROR_LEN, "jsonPath column %zu: %s", column, what);
	return -EINVAL;
}

static bool name_byte(char c)
{
	return c && c != '.' && c != '[' && c != ']' && c != '{' && c != '}' && c != ' ';
}

/* "[N]" or "['key']" at buf[*i] (on '['); keys are cut in place. */
static int bracket(struct parsed *p, size_t *i, struct segment *s, char *err)
{
	char *b = p->buf;
	size_t at = *i + 1;
	if (b[at] == '\'' || b[at] == '"') {
		char q = b[at];
		size_t start = at + 1, end = start;
		while (b[end] && b[end] != q)
			end++;
		if (b[end] != q || b[end + 1] != ']')
			return fail(err, end + 1, "expected a closing quote and ']'");
		b[end] = '\0';
		*s = (struct segment){.key = b + start};
		*i = end + 2;
		return 0;
	}
	char *stop = NULL;
	if (!(b[at] == '-' || (b[at] >= '0' && b[at] <= '9')))
		return fail(err, at + 1,
		            "expected an index or a quoted key (no filters or wildcards)");
	errno = 0;
	long long v = strtoll(b + at, &stop, 10);
	if (errno || stop == b + at || *stop != ']')
		return fail(err, (size_t)(stop - b) + 1, "expected ']'");
	*s = (struct segment){.is_index = true, .index = v};
	*i = (size_t)(stop - b) + 1;
	return 0;
}

/* "." name at buf[*i] (on '.'). */
static int dotted(struct parsed *p, size_t *i, struct segment *s, char *err)
{
	char *b = p->buf;
	size_t start = *i + 1, end = start;
	while (name_byte(b[end]))
		end++;
	if (end == start)
		return fail(err, start + 1,
		            b[start] == '.' ? "recursive descent is not supported"
		                            : "expected a name");
	/* The next segment starts at a byte name_byte refused; keep it, cut
	 * the name with the NUL only after reading it. */
	*s = (struct segment){.key = b + start};
	*i = end;
	return 0;
}

/* Parses into p; keys are copied out so the buffer can be cut. */
static int parse(const char *path, struct parsed *p, char *err)
{
	size_t len = strlen(path);
	if (len > MODEL_JSONPATH_MAX_LEN)
		return fail(err, MODEL_JSONPATH_MAX_LEN, "path too long");
	memcpy(p->buf, path, len + 1);
	char *b = p->buf;
	size_t i = 0, end = len;
	if (b[0] == '{') {
		if (len < 2 || b[len - 1] != '}')
			return fail(err, len, "expected '}'");
		i = 1;
		end = len - 1;
		b[end] = '\0';
	}
	if (b[i] == '$')
		i++;
	p->n = 0;
	char *cut[MODEL_JSONPATH_MAX_SEGMENTS];
	while (i < end) {
		if (p->n == MODEL_JSONPATH_MAX_SEGMENTS)
			return fail(err, i + 1, "too many segments");
		struct segment *s = &p->seg[p->n];
		int r;
		if (b[i] == '.') {
			r = dotted(p, &i, s, err);
			cut[p->n] = b + i;
		} else if (b[i] == '[') {
			r = bracket(p, &i, s, err);
			cut[p->n] = NULL;
		} else {
			r = fail(err, i + 1, "expected '.' or '['");
		}
		if (r < 0)
			return r;
		p->n++;
	}
	/* Names end where the next segment begins: cut them now (a dotted
	 * name is followed by '.', '[' or the end, never by a byte a key of
	 * a later segment needs). */
	for (size_t k = 0; k < p->n; k++)
		if (!p->seg[k].is_index && cut[k])
			*cut[k] = '\0';
	return 0;
}

int model_jsonpath_check(const char *path, char err[static MODEL_JSONPATH_ERROR_LEN])
{
	struct parsed *p = malloc(sizeof(*p));
	if (!p)
		return -ENOMEM;
	int r = parse(path, p, err);
	free(p);
	return r;
}

static const json_t *walk(const json_t *doc, const struct parsed *p)
{
	for (size_t k = 0; doc && k < p->n; k++) {
		const struct segment *s = &p->seg[k];
		if (!s->is_index) {
			doc = json_is_object(doc) ? json_object_get(doc, s->key) : NULL;
			continue;
		}
		if (!json_is_array(doc))
			return NULL;
		long long n = (long long)json_array_size(doc);
		long long at = s->index < 0 ? n + s->index : s->index;
		doc = at >= 0 && at < n ? json_array_get(doc, (size_t)at) : NULL;
	}
	return doc;
}

/* An array whose every element is a number. */
static bool numbers(const json_t *a)
{
	size_t i;
	const json_t *x;
	json_array_foreach(a, i, x)
	{
		if (!json_is_number(x))
			return false;
	}
	return true;
}

/* The found JSON as a result into out (zeroed). 0 or -ENOMEM. */
static int to_value(const json_t *x, struct model_value *out)
{
	if (json_is_number(x)) {
		*out = (struct model_value){.kind = MODEL_VALUE_NUMBER,
		                            .number = json_number_value(x)};
		return 0;
	}
	if (json_is_boolean(x)) {
		*out = (struct model_value){.kind = MODEL_VALUE_BOOL, .boolean = json_is_true(x)};
		return 0;
	}
	if (json_is_string(x))
		return model_value_set_string(out, json_string_value(x), json_string_length(x));
	if (json_is_array(x) && numbers(x)) {
		*out = (struct model_value){.kind = MODEL_VALUE_VECTOR};
		size_t i;
		const json_t *e;
		json_array_foreach(x, i, e)
		{
			if (model_value_append(out, json_number_value(e), NULL) < 0) {
				model_value_clear(out);
				return -ENOMEM;
			}
		}
		return 0;
	}
	char *text = json_dumps(x, JSON_COMPACT | JSON_ENCODE_ANY | JSON_SORT_KEYS);
	if (!text)
		return -ENOMEM;
	int r = model_value_set_string(out, text, strlen(text));
	free(text);
	return r;
}

/* The whole body: its JSON, or its text. */
static int whole(const char *body, size_t len, struct model_value *out)
{
	json_t *doc = json_loadb(body, len, JSON_DECODE_ANY, NULL);
	int r;
	if (!doc)
		return model_value_set_string(out, body, len);
	r = json_is_null(doc) ? -ENODATA : to_value(doc, out);
	json_decref(doc);
	return r;
}

int model_jsonpath_eval(const char *path, const char *body, size_t len, struct model_value *ret,
                        char err[static MODEL_JSONPATH_ERROR_LEN])
{
	struct model_value v = {0};
	int r;
	if (!path) {
		r = whole(body, len, &v);
	} else {
		struct parsed *p = malloc(sizeof(*p));
		if (!p)
			return -ENOMEM;
		r = parse(path, p, err);
		json_t *doc = r == 0 ? json_loadb(body, len, JSON_DECODE_ANY, NULL) : NULL;
		if (r == 0 && !doc) {
			snprintf(err, MODEL_JSONPATH_ERROR_LEN, "the response is not JSON");
			r = -EPROTO;
		}
		const json_t *x = r == 0 ? walk(doc, p) : NULL;
		if (r == 0)
			r = !x || json_is_null(x) ? -ENODATA : to_value(x, &v);
		json_decref(doc);
		free(p);
	}
	if (r == -ENODATA)
		snprintf(err, MODEL_JSONPATH_ERROR_LEN, "%s: no value there",
		         path ? path : "the body");
	if (r == -ENOMEM)
		snprintf(err, MODEL_JSONPATH_ERROR_LEN, "out of memory");
	if (r < 0)
		return r;
	model_value_clear(ret);
	*ret = v;
	return 0;
}
