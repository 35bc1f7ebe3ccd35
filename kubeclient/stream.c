#include "kubeclient/stream.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Above this, an idle buffer is given back after the event that needed it, so
 * one huge object does not pin megabytes in every watch for its lifetime. */
#define KEEP_BUFFER_BYTES  (256u * 1024)
#define FIRST_BUFFER_BYTES 4096u

struct kc_stream {
	char *buf; /* the unfinished line carried over between chunks */
	size_t len;
	size_t cap;
	size_t max_event;
	unsigned long events;
	unsigned long long offset; /* body bytes consumed before buf[0], for messages */
	int failed;                /* sticky: 0, or the error/stop code returned */
	char failure[400];         /* the message of a sticky error */
};

static int fail(struct kc_stream *s, struct kc_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Records a sticky error and copies it into err. Fills the struct directly:
 * the stream is pure and links without the rest of kubeclient. */
static int fail(struct kc_stream *s, struct kc_error *err, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s->failure, sizeof(s->failure), fmt, ap);
	va_end(ap);
	s->failed = code;
	if (err) {
		err->code = code;
		snprintf(err->message, sizeof(err->message), "%s", s->failure);
	}
	return code;
}

static int refail(const struct kc_stream *s, struct kc_error *err)
{
	if (err && s->failed < 0) {
		err->code = s->failed;
		snprintf(err->message, sizeof(err->message), "%s", s->failure);
	}
	return s->failed;
}

struct kc_stream *kc_stream_new(size_t max_event_bytes)
{
	struct kc_stream *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->max_event = max_event_bytes ? max_event_bytes : KC_STREAM_DEFAULT_MAX_EVENT;
	return s;
}

struct kc_stream *kc_stream_free(struct kc_stream *s)
{
	if (s) {
		free(s->buf);
		free(s);
	}
	return NULL;
}

static void shrink_if_big(struct kc_stream *s)
{
	if (s->len == 0 && s->cap > KEEP_BUFFER_BYTES) {
		free(s->buf);
		s->buf = NULL;
		s->cap = 0;
	}
}

void kc_stream_reset(struct kc_stream *s)
{
	s->len = 0;
	s->events = 0;
	s->offset = 0;
	s->failed = 0;
	s->failure[0] = '\0';
	shrink_if_big(s);
}

unsigned long kc_stream_events(const struct kc_stream *s)
{
	return s->events;
}

bool kc_status_is_gone(long code, const char *reason)
{
	if (code == 410)
		return true;
	return reason && (strcmp(reason, "Expired") == 0 || strcmp(reason, "Gone") == 0);
}

const char *kc_event_type_name(enum kc_event_type type)
{
	switch (type) {
	case KC_EVENT_ADDED:
		return "ADDED";
	case KC_EVENT_MODIFIED:
		return "MODIFIED";
	case KC_EVENT_DELETED:
		return "DELETED";
	case KC_EVENT_BOOKMARK:
		return "BOOKMARK";
	case KC_EVENT_ERROR:
		return "ERROR";
	}
	return "?";
}

static bool parse_type(const char *name, enum kc_event_type *ret)
{
	static const enum kc_event_type all[] = {
	    KC_EVENT_ADDED, KC_EVENT_MODIFIED, KC_EVENT_DELETED, KC_EVENT_BOOKMARK, KC_EVENT_ERROR};
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		if (strcmp(name, kc_event_type_name(all[i])) == 0) {
			*ret = all[i];
			return true;
		}
	}
	return false;
}

static bool only_whitespace(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
			return false;
	}
	return true;
}

/* Decodes one line (without its '\n') and hands the event to cb. `at` is the
 * line's offset in the body. Messages never quote the line: it may be a
 * Secret. */
static int emit(struct kc_stream *s, const char *line, size_t n, unsigned long long at,
                kc_stream_event_fn cb, void *userdata, struct kc_error *err)
{
	if (only_whitespace(line, n))
		return 0;
	unsigned long nr = s->events + 1;
	json_error_t jerr;
	json_t *root = json_loadb(line, n, 0, &jerr);
	if (!root)
		return fail(
		    s, err, -EBADMSG,
		    "watch event %lu (body offset %llu, %zu bytes): invalid JSON at byte %d: %s",
		    nr, at, n, jerr.position, jerr.text);

	int rc;
	struct kc_event ev = {0};
	json_t *type = json_object_get(root, "type");
	ev.object = json_object_get(root, "object");
	if (!json_is_object(root)) {
		rc = fail(s, err, -EBADMSG, "watch event %lu (body offset %llu): not a JSON object",
		          nr, at);
		goto out;
	}
	if (!json_is_string(type)) {
		rc = fail(s, err, -EBADMSG,
		          "watch event %lu (body offset %llu): \"type\" missing or not a string",
		          nr, at);
		goto out;
	}
	if (!parse_type(json_string_value(type), &ev.type)) {
		/* The name is an API constant, not user data: safe to quote, bounded. */
		rc = fail(s, err, -EBADMSG,
		          "watch event %lu (body offset %llu): unknown type \"%.40s\"", nr, at,
		          json_string_value(type));
		goto out;
	}
	if (!json_is_object(ev.object)) {
		rc = fail(s, err, -EBADMSG,
		          "watch event %lu (body offset %llu): %s without an \"object\" object", nr,
		          at, kc_event_type_name(ev.type));
		goto out;
	}
	if (ev.type == KC_EVENT_ERROR) {
		json_t *code = json_object_get(ev.object, "code");
		ev.status_code = json_is_integer(code) ? (long)json_integer_value(code) : 0;
		ev.reason = json_string_value(json_object_get(ev.object, "reason"));
		ev.message = json_string_value(json_object_get(ev.object, "message"));
	} else {
		json_t *meta = json_object_get(ev.object, "metadata");
		ev.resource_version = json_string_value(json_object_get(meta, "resourceVersion"));
		if (!ev.resource_version || !ev.resource_version[0]) {
			/* Without it the watch could not resume after this event. */
			rc = fail(s, err, -EBADMSG,
			          "watch event %lu (body offset %llu): %s object has no "
			          "metadata.resourceVersion",
			          nr, at, kc_event_type_name(ev.type));
			goto out;
		}
	}
	s->events = nr;
	rc = cb(userdata, &ev);
	if (rc != 0)
		s->failed = rc;
out:
	json_decref(root);
	return rc;
}

/* Appends to the carry-over buffer, growing by doubling but never past the
 * limit (the caller has checked len + n <= max_event). */
static int append(struct kc_stream *s, const char *p, size_t n, struct kc_error *err)
{
	size_t need = s->len + n;
	if (need > s->cap) {
		size_t cap = s->cap ? s->cap : FIRST_BUFFER_BYTES;
		while (cap < need)
			cap *= 2;
		if (cap > s->max_event)
			cap = s->max_event;
		char *nb = realloc(s->buf, cap);
		if (!nb)
			return fail(s, err, -ENOMEM,
			            "watch stream: out of memory buffering %zu bytes", need);
		s->buf = nb;
		s->cap = cap;
	}
	memcpy(s->buf + s->len, p, n);
	s->len = need;
	return 0;
}

static int too_big(struct kc_stream *s, struct kc_error *err)
{
	return fail(s, err, -EMSGSIZE,
	            "watch event %lu (body offset %llu) is longer than the %zu-byte limit",
	            s->events + 1, s->offset, s->max_event);
}

int kc_stream_feed(struct kc_stream *s, const char *data, size_t len, kc_stream_event_fn cb,
                   void *userdata, struct kc_error *err)
{
	if (s->failed)
		return refail(s, err);
	const char *p = data;
	const char *end = data + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (n > s->max_event - s->len)
			return too_big(s, err);
		if (!nl)
			return append(s, p, n, err);

		int rc;
		unsigned long long at = s->offset;
		size_t line_len = s->len + n;
		if (s->len == 0) {
			/* The common case: the whole line is in this chunk, parse it in place. */
			rc = emit(s, p, n, at, cb, userdata, err);
		} else {
			rc = append(s, p, n, err);
			if (rc == 0)
				rc = emit(s, s->buf, s->len, at, cb, userdata, err);
			s->len = 0;
			shrink_if_big(s);
		}
		s->offset = at + line_len + 1;
		if (rc != 0)
			return rc;
		p = nl + 1;
	}
	return 0;
}

int kc_stream_finish(struct kc_stream *s, kc_stream_event_fn cb, void *userdata,
                     struct kc_error *err)
{
	if (s->failed)
		return refail(s, err);
	if (s->len > 0 && !only_whitespace(s->buf, s->len)) {
		/* A last line without "\n" is fine if it is a whole event; a cut-off
		 * object never parses, so this cannot mistake a truncation for one. */
		int rc = emit(s, s->buf, s->len, s->offset, cb, userdata, err);
		if (rc == -EBADMSG) {
			char why[sizeof(s->failure)];
			snprintf(why, sizeof(why), "%s", s->failure);
			return fail(s, err, -EBADMSG,
			            "watch stream ended with an unterminated line: %s", why);
		}
		if (rc != 0)
			return rc;
	}
	kc_stream_reset(s);
	return 0;
}
