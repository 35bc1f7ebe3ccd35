#include "tap.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "kubeclient/stream.h"

/* A watch on ConfigMaps as kube-apiserver v1.31 writes it (trimmed managedFields),
 * with a bookmark and the ERROR it sends when the resourceVersion was compacted. */
static const char recorded[] =
    "{\"type\":\"ADDED\",\"object\":{\"kind\":\"ConfigMap\",\"apiVersion\":\"v1\",\"metadata\":{"
    "\"name\":\"web\",\"namespace\":\"e2e\",\"uid\":\"5b0c3a5e-2f1e-4c4e-9d35-6f1c1b8f1a01\","
    "\"resourceVersion\":\"1201\",\"creationTimestamp\":\"2026-11-26T12:00:00Z\"},"
    "\"data\":{\"greeting\":\"hello\\nworld\",\"emoji\":\"\\u00e9t\\u00e9 \\ud83d\\ude80\"}}}\n"
    "{\"type\":\"MODIFIED\",\"object\":{\"kind\":\"ConfigMap\",\"apiVersion\":\"v1\",\"metadata\":{"
    "\"name\":\"web\",\"namespace\":\"e2e\",\"resourceVersion\":\"1202\",\"labels\":{\"app\":"
    "\"web\"}},\"data\":{\"greeting\":\"bonjour\"}}}\n"
    "{\"type\":\"BOOKMARK\",\"object\":{\"kind\":\"ConfigMap\",\"apiVersion\":\"v1\",\"metadata\":{"
    "\"resourceVersion\":\"1250\",\"annotations\":{\"k8s.io/initial-events-end\":\"true\"}}}}\n"
    "{\"type\":\"DELETED\",\"object\":{\"kind\":\"ConfigMap\",\"apiVersion\":\"v1\",\"metadata\":{"
    "\"name\":\"web\",\"namespace\":\"e2e\",\"resourceVersion\":\"1251\"},\"data\":{}}}\n"
    "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},"
    "\"status\":\"Failure\",\"message\":\"too old resource version: 1 (1190)\",\"reason\":"
    "\"Expired\",\"code\":410}}\n";

#define MAX_SEEN 16

/* What a callback saw, flattened to compare runs with each other. */
struct seen {
	int n;
	enum kc_event_type type[MAX_SEEN];
	char rv[MAX_SEEN][32];
	char name[MAX_SEEN][32];
	long code[MAX_SEEN];
	char reason[MAX_SEEN][32];
	json_t *kept;   /* the first object, json_incref'ed by the callback */
	int stop_after; /* return 1 after this many events; 0: never */
};

static int record(void *userdata, const struct kc_event *ev)
{
	struct seen *s = userdata;
	if (s->n < MAX_SEEN) {
		s->type[s->n] = ev->type;
		snprintf(s->rv[s->n], sizeof(s->rv[0]), "%s",
		         ev->resource_version ? ev->resource_version : "-");
		const char *name = json_string_value(
		    json_object_get(json_object_get(ev->object, "metadata"), "name"));
		snprintf(s->name[s->n], sizeof(s->name[0]), "%s", name ? name : "-");
		s->code[s->n] = ev->status_code;
		snprintf(s->reason[s->n], sizeof(s->reason[0]), "%s",
		         ev->reason ? ev->reason : "-");
	}
	if (s->n == 0 && !s->kept)
		s->kept = json_incref(ev->object);
	s->n++;
	if (s->stop_after && s->n == s->stop_after)
		return 1;
	return 0;
}

static bool same(const struct seen *a, const struct seen *b)
{
	if (a->n != b->n)
		return false;
	for (int i = 0; i < a->n && i < MAX_SEEN; i++) {
		if (a->type[i] != b->type[i] || strcmp(a->rv[i], b->rv[i]) != 0 ||
		    strcmp(a->name[i], b->name[i]) != 0 || a->code[i] != b->code[i] ||
		    strcmp(a->reason[i], b->reason[i]) != 0)
			return false;
	}
	return true;
}

/* Feeds `data` in chunks of the given sizes (the last repeats), then finishes. */
static int feed_chunked(const char *data, size_t len, const size_t *sizes, size_t nsizes,
                        size_t max, struct seen *out, struct kc_error *err)
{
	struct kc_stream *s = kc_stream_new(max);
	int rc = 0;
	size_t off = 0;
	for (size_t i = 0; off < len && rc == 0; i++) {
		size_t n = sizes[i < nsizes ? i : nsizes - 1];
		if (n > len - off)
			n = len - off;
		rc = kc_stream_feed(s, data + off, n, record, out, err);
		off += n;
	}
	if (rc == 0)
		rc = kc_stream_finish(s, record, out, err);
	kc_stream_free(s);
	return rc;
}

static void release(struct seen *s)
{
	json_decref(s->kept);
	s->kept = NULL;
}

static void test_recorded(void)
{
	struct seen whole = {0};
	struct kc_error err = {0};
	size_t len = strlen(recorded);
	size_t all = len;
	is_int(feed_chunked(recorded, len, &all, 1, 0, &whole, &err), 0, "recorded stream parses");
	is_int(whole.n, 5, "five events");
	is_int(whole.type[0], KC_EVENT_ADDED, "1: ADDED");
	is_str(whole.name[0], "web", "1: the object is the ConfigMap");
	is_str(whole.rv[0], "1201", "1: resourceVersion exposed");
	is_int(whole.type[1], KC_EVENT_MODIFIED, "2: MODIFIED");
	is_str(whole.rv[1], "1202", "2: resourceVersion");
	is_int(whole.type[2], KC_EVENT_BOOKMARK, "3: BOOKMARK");
	is_str(whole.rv[2], "1250", "3: a bookmark carries the resourceVersion to resume from");
	is_int(whole.type[3], KC_EVENT_DELETED, "4: DELETED");
	is_int(whole.type[4], KC_EVENT_ERROR, "5: ERROR");
	is_int(whole.code[4], 410, "5: Status.code exposed");
	is_str(whole.reason[4], "Expired", "5: Status.reason exposed");
	is_str(whole.rv[4], "-", "5: an ERROR has no resourceVersion");
	ok(kc_status_is_gone(whole.code[4], whole.reason[4]), "5: recognised as Gone: relist");
	/* The object stays valid after the feed because the callback took a reference. */
	is_str(json_string_value(json_object_get(json_object_get(whole.kept, "data"), "greeting")),
	       "hello\nworld", "a kept object outlives the callback, escapes decoded");
	release(&whole);

	/* Split in two at every byte offset: every split yields the same events. */
	int bad_split = -1;
	for (size_t cut = 0; cut <= len; cut++) {
		struct seen got = {0};
		size_t sizes[2] = {cut, len};
		if (cut == 0)
			sizes[0] = len; /* a zero first chunk would end the loop */
		int rc = feed_chunked(recorded, len, sizes, 2, 0, &got, &err);
		release(&got);
		if ((rc != 0 || !same(&got, &whole)) && bad_split < 0)
			bad_split = (int)cut;
	}
	is_int(bad_split, -1, "split at every offset 1..%zu: same 5 events (-1: no bad split)",
	       len);

	/* One byte at a time: no event is lost or duplicated and nothing leaks. */
	struct seen bytes = {0};
	size_t one = 1;
	is_int(feed_chunked(recorded, len, &one, 1, 0, &bytes, &err), 0, "byte-at-a-time parses");
	ok(same(&bytes, &whole), "byte-at-a-time: same events");
	release(&bytes);

	/* Uneven chunk sizes, as a network delivers them. */
	struct seen uneven = {0};
	size_t sizes[] = {3, 700, 1, 1, 57, 200, 13};
	is_int(
	    feed_chunked(recorded, len, sizes, sizeof(sizes) / sizeof(sizes[0]), 0, &uneven, &err),
	    0, "uneven chunks parse");
	ok(same(&uneven, &whole), "uneven chunks: same events");
	release(&uneven);

	/* CRLF line ends (a proxy rewriting them) and blank keep-alive lines. */
	char crlf[sizeof(recorded) * 2];
	size_t c = 0;
	crlf[c++] = '\n';
	for (size_t i = 0; i < len; i++) {
		if (recorded[i] == '\n') {
			crlf[c++] = '\r';
			crlf[c++] = '\n';
			crlf[c++] = ' ';
			crlf[c++] = '\r';
			crlf[c++] = '\n';
		} else {
			crlf[c++] = recorded[i];
		}
	}
	struct seen crlf_seen = {0};
	is_int(feed_chunked(crlf, c, &one, 1, 0, &crlf_seen, &err), 0,
	       "CRLF and blank lines parse");
	ok(same(&crlf_seen, &whole), "CRLF and blank lines: same events");
	release(&crlf_seen);

	/* The last line without its newline is still a whole event. */
	struct seen unterminated = {0};
	size_t most = len - 1;
	is_int(feed_chunked(recorded, len - 1, &most, 1, 0, &unterminated, &err), 0,
	       "final event without newline is accepted at the end of the body");
	ok(same(&unterminated, &whole), "final event without newline: same events");
	release(&unterminated);
}

static void test_limit(void)
{
	const char *line =
	    "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"resourceVersion\":\"7\"}}}";
	size_t n = strlen(line);
	char buf[512];
	int len = snprintf(buf, sizeof(buf), "%s\n%s\n", line, line);
	struct kc_error err = {0};
	struct seen seen = {0};
	size_t whole = (size_t)len, one = 1;

	is_int(feed_chunked(buf, (size_t)len, &whole, 1, n, &seen, &err), 0,
	       "an event of exactly the limit is accepted");
	is_int(seen.n, 2, "both events at the limit delivered");
	release(&seen);

	struct seen small = {0};
	is_int(feed_chunked(buf, (size_t)len, &whole, 1, n - 1, &small, &err), -EMSGSIZE,
	       "an event one byte over the limit is -EMSGSIZE (in one chunk)");
	is_int(small.n, 0, "nothing delivered from an oversized event");
	ok(strstr(err.message, "limit") != NULL, "message names the limit: %s", err.message);
	release(&small);

	struct seen split = {0};
	is_int(feed_chunked(buf, (size_t)len, &one, 1, n - 1, &split, &err), -EMSGSIZE,
	       "an event one byte over the limit is -EMSGSIZE (byte by byte)");
	release(&split);

	/* The error comes as soon as the line passes the limit, not at its newline:
	 * a server sending an endless line never makes us buffer more than the limit. */
	struct kc_stream *s = kc_stream_new(64);
	char junk[40];
	memset(junk, 'x', sizeof(junk));
	is_int(kc_stream_feed(s, junk, sizeof(junk), record, &split, &err), 0,
	       "40 bytes of an unfinished line are buffered");
	is_int(kc_stream_feed(s, junk, sizeof(junk), record, &split, &err), -EMSGSIZE,
	       "80 bytes without a newline: -EMSGSIZE before any newline");
	is_int(kc_stream_feed(s, "\n", 1, record, &split, &err), -EMSGSIZE, "the error is sticky");
	kc_stream_reset(s);
	is_int(kc_stream_feed(s, buf, (size_t)len, record, &split, &err), 0,
	       "after reset the stream parses again");
	is_int(split.n, 2, "both events delivered after reset");
	kc_stream_free(s);
	release(&split);
}

static void test_malformed(void)
{
	static const struct {
		const char *input;
		int rc;
		int delivered;
		const char *in_message;
	} rows[] = {
	    {"{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"resourceVersion\":\"1\"}}\n",
	     -EBADMSG, 0, "invalid JSON"},
	    {"not json at all\n", -EBADMSG, 0, "invalid JSON"},
	    {"[1,2]\n", -EBADMSG, 0, "not a JSON object"},
	    {"{\"object\":{}}\n", -EBADMSG, 0, "\"type\" missing"},
	    {"{\"type\":7,\"object\":{}}\n", -EBADMSG, 0, "\"type\" missing or not a string"},
	    {"{\"type\":\"RENAMED\",\"object\":{}}\n", -EBADMSG, 0, "unknown type \"RENAMED\""},
	    {"{\"type\":\"added\",\"object\":{}}\n", -EBADMSG, 0, "unknown type"},
	    {"{\"type\":\"ADDED\"}\n", -EBADMSG, 0, "ADDED without an \"object\""},
	    {"{\"type\":\"DELETED\",\"object\":\"gone\"}\n", -EBADMSG, 0, "without an \"object\""},
	    {"{\"type\":\"MODIFIED\",\"object\":{\"metadata\":{}}}\n", -EBADMSG, 0,
	     "no metadata.resourceVersion"},
	    {"{\"type\":\"BOOKMARK\",\"object\":{\"metadata\":{\"resourceVersion\":\"\"}}}\n",
	     -EBADMSG, 0, "no metadata.resourceVersion"},
	    {"{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"resourceVersion\":\"1\"}}} "
	     "trailing\n",
	     -EBADMSG, 0, "invalid JSON"},
	    {"{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"resourceVersion\":\"1\"}}}\n{"
	     "\"type\":\n",
	     -EBADMSG, 1, "watch event 2"},
	    {"{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\"}}\n", 0, 1, NULL},
	    {"{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"resourceVersion\":\"1\"}},\"x\":1}\n",
	     0, 1, NULL},
	    {"\n\r\n \t\n", 0, 0, NULL},
	    {"{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"resourceVersion\":\"1\"},\"s\":"
	     "\"\\u0000\"}}\n",
	     -EBADMSG, 0, "invalid JSON"},
	    {"{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"resourceVersion\":\"1\"},\"s\":"
	     "\"\xff\"}}\n",
	     -EBADMSG, 0, "invalid JSON"},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct seen seen = {0};
		struct kc_error err = {0};
		size_t len = strlen(rows[i].input), one = 1;
		int rc = feed_chunked(rows[i].input, len, &len, 1, 0, &seen, &err);
		is_int(rc, rows[i].rc, "row %zu: return code", i);
		is_int(seen.n, rows[i].delivered, "row %zu: events delivered before the error", i);
		if (rows[i].in_message)
			ok(strstr(err.message, rows[i].in_message) != NULL,
			   "row %zu: message \"%s\"", i, err.message);
		release(&seen);
		struct seen bytes = {0};
		is_int(feed_chunked(rows[i].input, len, &one, 1, 0, &bytes, &err), rows[i].rc,
		       "row %zu: same result byte by byte", i);
		release(&bytes);
	}

	/* A body cut inside an event is an error at the end, not a silent loss. */
	struct kc_stream *s = kc_stream_new(0);
	struct seen seen = {0};
	struct kc_error err = {0};
	is_int(kc_stream_feed(s, recorded, 100, record, &seen, &err), 0,
	       "a partial event is buffered");
	is_int(kc_stream_finish(s, record, &seen, &err), -EBADMSG,
	       "finish inside an event: -EBADMSG");
	ok(strstr(err.message, "ended with an unterminated line") != NULL, "message: %s",
	   err.message);
	kc_stream_reset(s);
	is_int(kc_stream_finish(s, record, &seen, &err), 0, "finish on an empty stream is clean");
	kc_stream_free(s);
	release(&seen);
}

static void test_stop(void)
{
	struct kc_stream *s = kc_stream_new(0);
	struct seen seen = {.stop_after = 2};
	struct kc_error err = {0};
	is_int(kc_stream_feed(s, recorded, strlen(recorded), record, &seen, &err), 1,
	       "a callback's non-zero return stops the feed and is returned");
	is_int(seen.n, 2, "no event after the stop is delivered");
	is_int(kc_stream_events(s), 2, "the stream counted two events");
	is_int(kc_stream_feed(s, "\n", 1, record, &seen, &err), 1,
	       "a stopped stream stays stopped");
	kc_stream_free(s);
	release(&seen);
}

static void test_gone(void)
{
	static const struct {
		long code;
		const char *reason;
		bool gone;
	} rows[] = {
	    {410, "Expired", true},        {410, NULL, true},
	    {0, "Expired", true},          {500, "Gone", true},
	    {500, "InternalError", false}, {0, NULL, false},
	    {404, "NotFound", false},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		is_int(kc_status_is_gone(rows[i].code, rows[i].reason), rows[i].gone,
		       "gone(%ld, %s)", rows[i].code, rows[i].reason ? rows[i].reason : "NULL");
}

int main(void)
{
	test_recorded();
	test_limit();
	test_malformed();
	test_stop();
	test_gone();
	kc_stream_free(NULL);
	return tap_done();
}
