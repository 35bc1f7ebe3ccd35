#include "kubeclient/list-split.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

static size_t skip_ws(const char *buf, size_t len, size_t i)
{
	while (i < len && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\n' || buf[i] == '\r'))
		i++;
	return i;
}

/* buf[i] is the opening quote: *out is just past the closing one. */
static int skip_string(const char *buf, size_t len, size_t i, size_t *out)
{
	for (i++; i < len; i++) {
		if (buf[i] == '\0')
			return -EBADMSG;
		if (buf[i] == '\\') {
			i++; /* whatever is escaped cannot end the string */
			continue;
		}
		if (buf[i] == '"') {
			*out = i + 1;
			return 0;
		}
	}
	return -EBADMSG;
}

static bool ends_scalar(char c)
{
	return c == ',' || c == '}' || c == ']' || c == ':' || c == ' ' || c == '\t' || c == '\n' ||
	       c == '\r';
}

/* The value starting at buf[i] (no leading space): *out is just past it. */
static int skip_value(const char *buf, size_t len, size_t i, size_t *out)
{
	if (i >= len)
		return -EBADMSG;
	if (buf[i] == '"')
		return skip_string(buf, len, i, out);
	if (buf[i] != '{' && buf[i] != '[') {
		size_t j = i;
		while (j < len && !ends_scalar(buf[j]) && buf[j] != '\0' && buf[j] != '"' &&
		       buf[j] != '{' && buf[j] != '[')
			j++;
		if (j == i)
			return -EBADMSG;
		*out = j;
		return 0;
	}
	/* Brackets are only counted, not matched: a mismatch makes a range
	 * that jansson then refuses. */
	size_t depth = 0;
	while (i < len) {
		char c = buf[i];
		if (c == '"') {
			if (skip_string(buf, len, i, &i) < 0)
				return -EBADMSG;
			continue;
		}
		if (c == '\0')
			return -EBADMSG;
		if (c == '{' || c == '[') {
			if (++depth > KC_LIST_SPLIT_MAX_DEPTH)
				return -EBADMSG;
		} else if (c == '}' || c == ']') {
			if (--depth == 0) {
				*out = i + 1;
				return 0;
			}
		}
		i++;
	}
	return -EBADMSG;
}

int kc_list_split_items(const char *buf, size_t len, size_t *start, size_t *end)
{
	static const char key[] = "\"items\"";
	size_t i = skip_ws(buf, len, 0);
	if (i >= len || buf[i] != '{')
		return -EBADMSG;
	i = skip_ws(buf, len, i + 1);
	if (i < len && buf[i] == '}')
		return -ENOENT;
	while (i < len) {
		size_t key_end, value_start, value_end;
		if (buf[i] != '"' || skip_string(buf, len, i, &key_end) < 0)
			return -EBADMSG;
		bool is_items =
		    key_end - i == sizeof(key) - 1 && memcmp(buf + i, key, key_end - i) == 0;
		i = skip_ws(buf, len, key_end);
		if (i >= len || buf[i] != ':')
			return -EBADMSG;
		value_start = skip_ws(buf, len, i + 1);
		if (skip_value(buf, len, value_start, &value_end) < 0)
			return -EBADMSG;
		if (is_items) {
			*start = value_start;
			*end = value_end;
			return 0;
		}
		i = skip_ws(buf, len, value_end);
		if (i < len && buf[i] == '}')
			return -ENOENT;
		if (i >= len || buf[i] != ',')
			return -EBADMSG;
		i = skip_ws(buf, len, i + 1);
	}
	return -EBADMSG;
}

int kc_list_split_next(const char *buf, size_t len, size_t *pos, size_t *start, size_t *end)
{
	size_t i = skip_ws(buf, len, *pos);
	if (*pos == 0) {
		if (i >= len || buf[i] != '[')
			return -EBADMSG;
		i = skip_ws(buf, len, i + 1);
		if (i < len && buf[i] == ']') {
			*pos = i;
			return 0;
		}
	} else {
		if (i < len && buf[i] == ']') {
			*pos = i;
			return 0;
		}
		if (i >= len || buf[i] != ',')
			return -EBADMSG;
		i = skip_ws(buf, len, i + 1);
	}
	size_t value_end;
	if (skip_value(buf, len, i, &value_end) < 0)
		return -EBADMSG;
	*start = i;
	*end = value_end;
	*pos = value_end;
	return 1;
}
