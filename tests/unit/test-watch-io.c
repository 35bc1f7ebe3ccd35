/*
 * The watch's I/O half (kubeclient/watch.c) against a scripted HTTP/1.1
 * server on loopback: one script walks it through list, watch, clean end,
 * resume from a bookmark, an oversized event, relist, an ERROR event, a 410
 * status, and free from inside a callback; the test checks what the consumer
 * saw and which requests the server received, in order.
 */
#include "loopback-config.h"
#include "scripted-server.h"
#include "tap.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kubeclient/client.h"
#include "kubeclient/watch.h"

/* ---- responses ---- */

static struct ss_server *srv;

#define CM(name, rv) "{\"metadata\":{\"name\":\"" name "\",\"resourceVersion\":\"" rv "\"}}"
#define LIST(rv, items)                                                                            \
	"{\"kind\":\"ConfigMapList\",\"apiVersion\":\"v1\",\"metadata\":{\"resourceVersion\":"     \
	"\"" rv "\"},\"items\":[" items "]}"
#define EV(type, obj) "{\"type\":\"" type "\",\"object\":" obj "}\n"

/* ---- the consumer ---- */

struct log {
	int n;
	char entries[32][96]; /* "ADDED b", "REPLACE a,b" */
	int errors;
	char error_inputs[160];
	bool free_on_deleted;
	bool stop_on_replace;
	struct kc_watch *w;
	bool done;
	unsigned long restarts, relists; /* read just before the free */
};

static void on_change(struct kc_watch *w, enum kc_watch_change change, json_t *obj, void *ud)
{
	static const char *names[] = {"ADDED",   "MODIFIED",   "DELETED",
	                              "REPLACE", "LIST_BEGIN", "LIST_ITEM"};
	struct log *l = ud;
	if (l->n >= 32)
		return;
	char *e = l->entries[l->n++];
	size_t len = (size_t)snprintf(e, 96, "%s ", names[change]);
	if (change == KC_WATCH_REPLACE) {
		size_t i;
		json_t *item;
		json_array_foreach(obj, i, item)
		{
			const char *name = json_string_value(
			    json_object_get(json_object_get(item, "metadata"), "name"));
			const char *kind = json_string_value(json_object_get(item, "kind"));
			len += (size_t)snprintf(e + len, 96 - len, "%s%s/%s", i ? "," : "",
			                        kind ? kind : "?", name ? name : "?");
			if (len >= 96)
				break;
		}
	} else if (obj) {
		const char *name =
		    json_string_value(json_object_get(json_object_get(obj, "metadata"), "name"));
		const char *kind = json_string_value(json_object_get(obj, "kind"));
		snprintf(e + len, 96 - len, "%s%s%s",
		         change == KC_WATCH_LIST_ITEM && kind ? kind : "",
		         change == KC_WATCH_LIST_ITEM && kind ? "/" : "", name ? name : "?");
	}
	if (change == KC_WATCH_REPLACE && l->stop_on_replace) {
		kc_watch_stop(w);
		l->done = true;
	}
	if (change == KC_WATCH_DELETED && l->free_on_deleted) {
		l->restarts = kc_watch_restarts(w);
		l->relists = kc_watch_relists(w);
		l->w = kc_watch_free(w);
		l->done = true;
	}
}

static void on_error(struct kc_watch *w, enum kc_watch_input what, const struct kc_error *err,
                     void *ud)
{
	(void)w;
	struct log *l = ud;
	l->errors++;
	size_t len = strlen(l->error_inputs);
	snprintf(l->error_inputs + len, sizeof(l->error_inputs) - len, "%s%s", len ? "," : "",
	         kc_watch_input_name(what));
	tap_diag("on_error %s: %s", kc_watch_input_name(what), err->message);
}

static double half(void *ud)
{
	(void)ud;
	return 0.5;
}

static struct ev_loop *loop;

/* The client's response limit (kc_client_options.max_body); 0: the default. */
static size_t client_max_body;

static struct kc_client *new_client(struct kc_config **cfg)
{
	struct kc_error err = {0};
	*cfg = test_loopback_port_config(ss_port(srv), "t", NULL);
	if (!*cfg)
		return NULL;
	/* No client-side retries: every failure must reach the watch. */
	struct kc_client_options o = {
	    .qps = -1, .no_retries = true, .timeout = 5, .max_body = client_max_body};
	struct kc_client *c = NULL;
	if (kc_client_new(loop, *cfg, &o, &c, &err) < 0)
		tap_diag("client: %s", err.message);
	return c;
}

static struct kc_watch *new_watch(struct kc_client *c, struct log *l)
{
	struct kc_watch_options o = {
	    .version = "v1",
	    .resource = "configmaps",
	    .ns = "ns",
	    .label_selector = "app=web",
	    .max_event_bytes = 512,
	    .backoff = {.initial = 0.01, .max = 0.05, .factor = 2, .jitter = 0},
	    .rand01 = half,
	    .on_change = on_change,
	    .on_error = on_error,
	    .userdata = l,
	};
	struct kc_watch *w = NULL;
	struct kc_error err = {0};
	if (kc_watch_new(c, &o, &w, &err) < 0)
		tap_diag("kc_watch_new: %s", err.message);
	return w;
}

static void run_until(const bool *flag, double seconds)
{
	double end = ev_time() + seconds;
	while (!*flag && ev_time() < end)
		ev_run(loop, EVRUN_ONCE);
}

static char big_event[700];

static void test_script(void)
{
	/* An event over the 512-byte limit, with no newline in sight. */
	size_t off = (size_t)snprintf(big_event, sizeof(big_event),
	                              "{\"type\":\"ADDED\",\"object\":{\"data\":{\"x\":\"");
	memset(big_event + off, 'x', sizeof(big_event) - off - 1);
	big_event[sizeof(big_event) - 1] = '\0';

	const struct ss_action script[] = {
	    /* 0 */ {SS_SEND, ss_response(srv, 200, "", LIST("10", CM("a", "9"))), {NULL}},
	    /* 1: an event split across chunks, a bookmark, then a clean early end */
	    {SS_STREAM_END,
	     SS_CHUNKED_HEAD,
	     {"{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"b\",",
	      "\"resourceVersion\":\"11\"}}}\n",
	      EV("BOOKMARK", "{\"metadata\":{\"resourceVersion\":\"15\"}}"), NULL}},
	    /* 2: resumes from the bookmark; then an oversized event */
	    {SS_STREAM_HOLD, SS_CHUNKED_HEAD, {EV("MODIFIED", CM("b", "16")), big_event, NULL}},
	    /* 3 */
	    {SS_SEND,
	     ss_response(srv, 200, "", LIST("20", CM("b", "16") "," CM("c", "17"))),
	     {NULL}},
	    /* 4: an ERROR event that is not Gone */
	    {SS_STREAM_HOLD,
	     SS_CHUNKED_HEAD,
	     {EV("ERROR", "{\"kind\":\"Status\",\"code\":500,\"reason\":\"InternalError\","
	                  "\"message\":\"etcd hiccup\"}"),
	      NULL}},
	    /* 5: 410 as an HTTP status */
	    {SS_SEND,
	     ss_response(srv, 410, "",
	                 "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\","
	                 "\"reason\":\"Expired\",\"code\":410,\"message\":\"too old\"}"),
	     {NULL}},
	    /* 6 */ {SS_SEND, ss_response(srv, 200, "", LIST("30", CM("c", "17"))), {NULL}},
	    /* 7: the consumer frees the watch from inside DELETED */
	    {SS_STREAM_HOLD, SS_CHUNKED_HEAD, {EV("DELETED", CM("c", "31")), NULL}},
	};
	int n = (int)(sizeof(script) / sizeof(script[0]));
	struct kc_config *cfg = NULL;
	struct kc_client *c = new_client(&cfg);
	struct log l = {.free_on_deleted = true};
	l.w = new_watch(c, &l);
	if (!c || !l.w) {
		ok(false, "client and watch created");
		return;
	}
	ss_start(srv, script, n);
	is_int(kc_watch_start(l.w), 0, "start");
	is_int(kc_watch_start(l.w), -EALREADY, "a second start is refused");
	is_int(l.n, 0, "no callback inside start");
	run_until(&l.done, 10);
	ss_join(srv);

	static const char *want[] = {
	    "REPLACE ConfigMap/a", "ADDED b",   "MODIFIED b", "REPLACE ConfigMap/b,ConfigMap/c",
	    "REPLACE ConfigMap/c", "DELETED c",
	};
	int nwant = (int)(sizeof(want) / sizeof(want[0]));
	is_int(l.n, nwant, "six deliveries");
	for (int i = 0; i < nwant && i < l.n; i++)
		is_str(l.entries[i], want[i], "delivery %d", i + 1);
	is_str(l.error_inputs, "BadEvent,WatchFailed,Gone",
	       "oversized event, ERROR 500 and HTTP 410 reported as such");
	ok(l.w == NULL, "freed from inside the DELETED callback");
	is_int(l.restarts, 2, "restarts: after the early end and after the ERROR event");
	is_int(l.relists, 2, "relists: after the oversized event and after the 410");

	/* What the server was asked, in order. */
	is_int(ss_seen(srv), n, "every scripted request was made, no more");
	static const struct {
		const char *has;
		const char *lacks;
	} req[] = {
	    {"GET /api/v1/namespaces/ns/configmaps?labelSelector=app%3Dweb&limit=500 ", "watch"},
	    {"resourceVersion=10&watch=1&allowWatchBookmarks=true&timeoutSeconds=450", NULL},
	    {"resourceVersion=15&watch=1", NULL},
	    {"labelSelector=app%3Dweb&limit=500 ", "resourceVersion"},
	    {"resourceVersion=20&watch=1", NULL},
	    {"resourceVersion=20&watch=1", NULL},
	    {"limit=500 ", "resourceVersion"},
	    {"resourceVersion=30&watch=1", NULL},
	};
	for (int i = 0; i < n && i < ss_seen(srv); i++) {
		bool pass = strstr(ss_request(srv, i)->line, req[i].has) &&
		            (!req[i].lacks || !strstr(ss_request(srv, i)->line, req[i].lacks));
		ok(pass, "request %d: %s", i + 1, ss_request(srv, i)->line);
	}
	kc_client_free(c);
	kc_config_free(cfg);
}

static void test_counters_and_stop(void)
{
	const struct ss_action script[] = {
	    {SS_SEND, ss_response(srv, 200, "", LIST("5", "")), {NULL}},
	};
	struct kc_config *cfg = NULL;
	struct kc_client *c = new_client(&cfg);
	struct log l = {.stop_on_replace = true};
	l.w = new_watch(c, &l);
	if (!c || !l.w) {
		ok(false, "client and watch created");
		return;
	}
	ss_start(srv, script, 1);
	kc_watch_start(l.w);
	ok(!kc_watch_synced(l.w), "not synced before the list");
	run_until(&l.done, 5);
	bool never = false;
	run_until(&never, 0.2); /* a watch request would show up at the server now */
	is_str(l.entries[0], "REPLACE ", "an empty list is an empty REPLACE");
	ok(kc_watch_synced(l.w), "synced");
	is_int(kc_watch_state(l.w), KC_WATCH_STOPPED, "stopped from inside REPLACE");
	is_int(ss_seen(srv), 1, "stopping inside REPLACE starts no watch");
	is_str(kc_watch_resource_version(l.w), "5", "resourceVersion from the list");
	is_int(kc_watch_restarts(l.w) + kc_watch_relists(l.w), 0, "no restarts or relists");
	ss_join(srv);
	kc_watch_free(l.w);
	kc_client_free(c);
	kc_config_free(cfg);

	/* Free before the loop ever ran: nothing happens, nothing leaks. */
	struct kc_config *cfg2 = NULL;
	struct kc_client *c2 = new_client(&cfg2);
	struct log l2 = {0};
	struct kc_watch *w = new_watch(c2, &l2);
	kc_watch_start(w);
	kc_watch_free(w);
	run_until(&never, 0.1);
	is_int(l2.n + l2.errors, 0, "a watch freed before the loop turned calls nothing");

	struct kc_watch_options bad = {.version = "v1", .resource = "configmaps"};
	struct kc_error err = {0};
	struct kc_watch *none = NULL;
	is_int(kc_watch_new(c2, &bad, &none, &err), -EINVAL, "on_change is required");
	ok(strstr(err.message, "on_change") != NULL, "message: %s", err.message);
	ok(none == NULL, "no watch on failure");
	kc_error_clear(&err);
	kc_client_free(c2);
	kc_config_free(cfg2);
}

/* For the list tests: a watch on configmaps in ns with o's extras, run
 * against script until it stops itself at the REPLACE. NULL (after a failed
 * check) when the client or the watch cannot be made. */
static struct kc_client *run_listing_watch(struct kc_watch_options *o, struct log *l,
                                           const struct ss_action *script, int n,
                                           struct kc_config **cfg)
{
	struct kc_client *c = new_client(cfg);
	o->version = "v1";
	o->resource = "configmaps";
	o->ns = "ns";
	o->rand01 = half;
	o->on_change = on_change;
	o->on_error = on_error;
	o->userdata = l;
	struct kc_error err = {0};
	if (!c || kc_watch_new(c, o, &l->w, &err) < 0) {
		ok(false, "client and watch created: %s", err.message);
		kc_error_clear(&err);
		kc_client_free(c);
		kc_config_free(*cfg);
		return NULL;
	}
	ss_start(srv, script, n);
	kc_watch_start(l->w);
	run_until(&l->done, 10);
	return c;
}

static void end_watch(struct log *l, struct kc_client *c, struct kc_config *cfg)
{
	ss_join(srv);
	kc_watch_free(l->w);
	kc_client_free(c);
	kc_config_free(cfg);
}

/* The transform sees every listed object, page by page, before the REPLACE. */
struct transformed {
	int calls;
	int pages_seen_at_first_call; /* requests the server had answered then */
};

static struct transformed *transform_log;

static void mark(json_t *obj, void *ud)
{
	(void)ud;
	if (transform_log->calls++ == 0)
		transform_log->pages_seen_at_first_call = ss_seen(srv);
	json_object_set_new(obj, "marked", json_true());
	json_object_del(obj, "data"); /* what a consumer would strip */
}

static void test_transform(void)
{
	const struct ss_action script[] = {
	    {SS_SEND,
	     ss_response(
	         srv, 200, "",
	         "{\"kind\":\"ConfigMapList\",\"apiVersion\":\"v1\",\"metadata\":{"
	         "\"resourceVersion\":\"7\",\"continue\":\"next\"},\"items\":["
	         "{\"metadata\":{\"name\":\"a\",\"resourceVersion\":\"6\"},\"data\":{\"k\":\"v\"}},"
	         "{\"metadata\":{\"name\":\"b\",\"resourceVersion\":\"7\"},\"data\":{\"k\":\"v\"}}]"
	         "}"),
	     {NULL}},
	    {SS_SEND, ss_response(srv, 200, "", LIST("7", CM("c", "7"))), {NULL}},
	};
	struct transformed t = {0};
	transform_log = &t;
	struct log l = {.stop_on_replace = true};
	struct kc_watch_options o = {.transform = mark};
	struct kc_config *cfg = NULL;
	struct kc_client *c = run_listing_watch(&o, &l, script, 2, &cfg);
	if (!c)
		return;
	is_str(l.entries[0], "REPLACE ConfigMap/a,ConfigMap/b,ConfigMap/c", "both pages listed");
	is_int(t.calls, 3, "the transform saw each listed object once");
	is_int(t.pages_seen_at_first_call, 1,
	       "the first page was transformed before the second was fetched");
	end_watch(&l, c, cfg);
}

/* A page over the client's response limit (one tenant's huge objects) does
 * not stop the list for good: the next try asks for half as many items. */
static void test_oversized_page(void)
{
	const struct ss_action script[] = {
	    {SS_SEND,
	     ss_response(srv, 200, "",
	                 LIST("9", CM("a-much-longer-name-than-the-others",
	                              "6") "," CM("b-much-longer-name-than-the-others",
	                                          "7") "," CM("c", "8") "," CM("d", "9"))),
	     {NULL}},
	    {SS_SEND,
	     ss_response(srv, 200, "",
	                 "{\"kind\":\"ConfigMapList\",\"apiVersion\":\"v1\",\"metadata\":{"
	                 "\"resourceVersion\":\"9\",\"continue\":\"next\"},\"items\":[" CM(
	                     "a", "6") "," CM("b", "7") "]}"),
	     {NULL}},
	    {SS_SEND, ss_response(srv, 200, "", LIST("9", CM("c", "8") "," CM("d", "9"))), {NULL}},
	};
	client_max_body = 240;
	struct log l = {.stop_on_replace = true};
	struct kc_watch_options o = {.list_page_size = 4,
	                             .backoff = {.initial = 0.01, .max = 0.05, .factor = 2}};
	struct kc_config *cfg = NULL;
	struct kc_client *c = run_listing_watch(&o, &l, script, 3, &cfg);
	client_max_body = 0;
	if (!c)
		return;
	ok(strstr(ss_request(srv, 0)->line, "limit=4") != NULL, "first page asked for 4 items: %s",
	   ss_request(srv, 0)->line);
	ok(strstr(ss_request(srv, 1)->line, "limit=2") != NULL,
	   "after the oversized page, 2 items: %s", ss_request(srv, 1)->line);
	is_str(l.entries[0], "REPLACE ConfigMap/a,ConfigMap/b,ConfigMap/c,ConfigMap/d",
	       "the list completed with smaller pages");
	end_watch(&l, c, cfg);
}

/* list_items: each listed object goes to the consumer with its page, and a
 * list cut short and retried starts over with a new LIST_BEGIN. */
static void test_list_items(void)
{
	const struct ss_action script[] = {
	    {SS_SEND,
	     ss_response(srv, 200, "",
	                 "{\"kind\":\"ConfigMapList\",\"apiVersion\":\"v1\",\"metadata\":{"
	                 "\"resourceVersion\":\"7\",\"continue\":\"next\"},\"items\":[" CM(
	                     "a", "6") "," CM("b", "7") "]}"),
	     {NULL}},
	    /* The continue token expired: the whole list starts again. */
	    {SS_SEND,
	     ss_response(srv, 410, "",
	                 "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\","
	                 "\"reason\":\"Expired\",\"code\":410}"),
	     {NULL}},
	    {SS_SEND, ss_response(srv, 200, "", LIST("9", CM("b", "7") "," CM("c", "9"))), {NULL}},
	};
	struct log l = {.stop_on_replace = true};
	struct kc_watch_options o = {.list_items = true};
	struct kc_config *cfg = NULL;
	struct kc_client *c = run_listing_watch(&o, &l, script, 3, &cfg);
	if (!c)
		return;
	static const char *const want[] = {
	    "LIST_BEGIN ", "LIST_ITEM ConfigMap/a", "LIST_ITEM ConfigMap/b",
	    "LIST_BEGIN ", "LIST_ITEM ConfigMap/b", "LIST_ITEM ConfigMap/c",
	    "REPLACE "};
	is_int(l.n, 7, "seven deliveries");
	for (int i = 0; i < 7 && i < l.n; i++)
		is_str(l.entries[i], want[i], "delivery %d", i);
	is_str(kc_watch_resource_version(l.w), "9",
	       "resumes from the completed list's resourceVersion");
	end_watch(&l, c, cfg);
}

/* list_items with an empty list: no item, but still a LIST_BEGIN, so the
 * REPLACE never sweeps against an older list's. */
static void test_list_items_empty(void)
{
	const struct ss_action script[] = {
	    {SS_SEND, ss_response(srv, 200, "", LIST("3", "")), {NULL}},
	};
	struct log l = {.stop_on_replace = true};
	struct kc_watch_options o = {.list_items = true};
	struct kc_config *cfg = NULL;
	struct kc_client *c = run_listing_watch(&o, &l, script, 1, &cfg);
	if (!c)
		return;
	is_int(l.n, 2, "two deliveries");
	is_str(l.entries[0], "LIST_BEGIN ", "an empty list begins");
	is_str(l.entries[1], "REPLACE ", "and ends");
	end_watch(&l, c, cfg);
}

int main(void)
{
	loop = ev_default_loop(0);
	if (ss_new(&srv) < 0) {
		printf("Bail out! cannot listen on loopback\n");
		return 1;
	}
	test_script();
	test_counters_and_stop();
	test_transform();
	test_list_items();
	test_list_items_empty();
	test_oversized_page();
	srv = ss_free(srv);
	return tap_done();
}
