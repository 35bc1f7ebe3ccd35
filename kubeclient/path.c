#include "kubeclient/path.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool unreserved(unsigned char ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
	       ch == '-' || ch == '.' || ch == '_' || ch == '~';
}

int kc_path_escape(char *buf, size_t cap, size_t len, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = len;

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		size_t need = unreserved(*p) ? 1 : 3;
		if (n + need >= cap) {
			if (len < cap)
				buf[len] = '\0';
			return -E2BIG;
		}
		if (need == 1) {
			buf[n++] = (char)*p;
		} else {
			buf[n++] = '%';
			buf[n++] = hex[*p >> 4];
			buf[n++] = hex[*p & 15];
		}
	}
	buf[n] = '\0';
	return (int)n;
}

/* A path segment we accept: non-empty, not "." or "..", no '/'. Escaping
 * would make a '/' harmless to the URL, but no Kubernetes name holds one, so
 * it is a caller's bug worth reporting. */
static bool segment_ok(const char *s)
{
	return s && *s && strcmp(s, ".") != 0 && strcmp(s, "..") != 0 && !strchr(s, '/');
}

struct pbuf {
	char *buf;
	size_t len;
	int err;
};

static void put_raw(struct pbuf *b, const char *s)
{
	size_t n = strlen(s);
	if (b->err)
		return;
	if (b->len + n >= KC_PATH_MAX) {
		b->err = -E2BIG;
		return;
	}
	memcpy(b->buf + b->len, s, n + 1);
	b->len += n;
}

static void put_escaped(struct pbuf *b, const char *s)
{
	if (b->err)
		return;
	int r = kc_path_escape(b->buf, KC_PATH_MAX, b->len, s);
	if (r < 0)
		b->err = r;
	else
		b->len = (size_t)r;
}

static void put_segment(struct pbuf *b, const char *s)
{
	put_raw(b, "/");
	put_escaped(b, s);
}

static void put_param(struct pbuf *b, bool *first, const char *key, const char *value)
{
	put_raw(b, *first ? "?" : "&");
	*first = false;
	put_raw(b, key);
	put_raw(b, "=");
	put_escaped(b, value);
}

static void put_query(struct pbuf *b, const struct kc_query *q)
{
	bool first = true;
	char num[32];

	if (!q)
		return;
	if (q->label_selector && *q->label_selector)
		put_param(b, &first, "labelSelector", q->label_selector);
	if (q->field_selector && *q->field_selector)
		put_param(b, &first, "fieldSelector", q->field_selector);
	if (q->limit > 0) {
		snprintf(num, sizeof(num), "%ld", q->limit);
		put_param(b, &first, "limit", num);
	}
	if (q->continue_token && *q->continue_token)
		put_param(b, &first, "continue", q->continue_token);
	if (q->resource_version && *q->resource_version)
		put_param(b, &first, "resourceVersion", q->resource_version);
	if (q->resource_version_match && *q->resource_version_match)
		put_param(b, &first, "resourceVersionMatch", q->resource_version_match);
	if (q->field_manager && *q->field_manager)
		put_param(b, &first, "fieldManager", q->field_manager);
	if (q->force)
		put_param(b, &first, "force", "true");
	if (q->dry_run)
		put_param(b, &first, "dryRun", "All");
	if (q->propagation_policy && *q->propagation_policy)
		put_param(b, &first, "propagationPolicy", q->propagation_policy);
	if (q->watch)
		put_param(b, &first, "watch", "1");
	if (q->allow_watch_bookmarks)
		put_param(b, &first, "allowWatchBookmarks", "true");
	if (q->timeout_seconds > 0) {
		snprintf(num, sizeof(num), "%ld", q->timeout_seconds);
		put_param(b, &first, "timeoutSeconds", num);
	}
}

int kc_path_build(const struct kc_ref *ref, const struct kc_query *q, char **ret)
{
	if (!segment_ok(ref->version) || !segment_ok(ref->resource))
		return -EINVAL;
	if (ref->group && *ref->group && !segment_ok(ref->group))
		return -EINVAL;
	if (ref->ns && !segment_ok(ref->ns))
		return -EINVAL;
	if (ref->name && !segment_ok(ref->name))
		return -EINVAL;
	if (ref->subresource && (!ref->name || !segment_ok(ref->subresource)))
		return -EINVAL;

	struct pbuf b = {.buf = malloc(KC_PATH_MAX)};
	if (!b.buf)
		return -ENOMEM;
	b.buf[0] = '\0';
	if (ref->group && *ref->group) {
		put_raw(&b, "/apis");
		put_segment(&b, ref->group);
	} else {
		put_raw(&b, "/api");
	}
	put_segment(&b, ref->version);
	if (ref->ns) {
		put_raw(&b, "/namespaces");
		put_segment(&b, ref->ns);
	}
	put_segment(&b, ref->resource);
	if (ref->name)
		put_segment(&b, ref->name);
	if (ref->subresource)
		put_segment(&b, ref->subresource);
	put_query(&b, q);
	if (b.err) {
		free(b.buf);
		return b.err;
	}
	char *out = realloc(b.buf, b.len + 1);
	*ret = out ? out : b.buf;
	return 0;
}

static bool param_dropped(const char *p, size_t len)
{
	static const char *const drop[] = {"resourceVersion", "resourceVersionMatch", "continue"};
	size_t key = 0;
	while (key < len && p[key] != '=')
		key++;
	for (size_t i = 0; i < sizeof(drop) / sizeof(drop[0]); i++)
		if (strlen(drop[i]) == key && strncmp(p, drop[i], key) == 0)
			return true;
	return false;
}

int kc_path_continue(const char *base, const char *token, char **ret)
{
	if (!token || !*token)
		return -EINVAL;
	struct pbuf b = {.buf = malloc(KC_PATH_MAX)};
	if (!b.buf)
		return -ENOMEM;
	b.buf[0] = '\0';

	const char *q = strchr(base, '?');
	size_t path_len = q ? (size_t)(q - base) : strlen(base);
	if (path_len >= KC_PATH_MAX) {
		free(b.buf);
		return -E2BIG;
	}
	memcpy(b.buf, base, path_len);
	b.buf[path_len] = '\0';
	b.len = path_len;

	bool first = true;
	for (const char *p = q ? q + 1 : NULL; p && *p;) {
		const char *end = strchr(p, '&');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len > 0 && !param_dropped(p, len)) {
			if (b.len + 1 + len >= KC_PATH_MAX) {
				b.err = -E2BIG;
				break;
			}
			b.buf[b.len++] = first ? '?' : '&';
			memcpy(b.buf + b.len, p, len);
			b.len += len;
			b.buf[b.len] = '\0';
			first = false;
		}
		p = end ? end + 1 : NULL;
	}
	put_param(&b, &first, "continue", token);
	if (b.err) {
		free(b.buf);
		return b.err;
	}
	char *out = realloc(b.buf, b.len + 1);
	*ret = out ? out : b.buf;
	return 0;
}
