#include "kubeclient/client.h"

#include <assert.h>
#include <curl/curl.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "kubeclient/apierror.h"
#include "kubeclient/list-split.h"
#include "kubeclient/path.h"
#include "kubeclient/ratelimit.h"
#include "kubeclient/retry.h"
#include "slipway-version.h"

#define DEFAULT_QPS         50.0
#define DEFAULT_BURST       100.0
#define DEFAULT_TIMEOUT     30.0
#define DEFAULT_MAX_RETRIES 5
#define DEFAULT_MAX_CONNS   4
#define DEFAULT_MAX_BODY    (256u * 1024 * 1024)
/* A non-2xx answer to a watch is a Status; anything bigger is not one. */
#define STREAM_ERROR_BODY_MAX (1024u * 1024)
/* Pages one kc_list_all may follow: 10,000 pages of 500 is 5 million objects. */
#define MAX_PAGES          10000
#define CONNECT_TIMEOUT_MS 30000L
/* Dead-peer detection: keepalive probes after 30 s idle, every 10 s, and
 * TCP_USER_TIMEOUT closing a connection whose data (or probes) stay
 * unacknowledged for 40 s. */
#define KEEPIDLE_S      30L
#define KEEPINTVL_S     10L
#define USER_TIMEOUT_MS 40000u

/* One per socket curl asks us to watch (evhiperfifo.c's SockInfo). */
struct sock_info {
	ev_io io;
	curl_socket_t fd;
	struct kc_client *c;
	struct sock_info *prev, *next;
};

struct kc_client {
	struct ev_loop *loop;
	struct kc_config *cfg;
	CURLM *multi;
	ev_timer timer; /* curl's single timeout */
	struct kc_ratelimit rl;
	double timeout;
	unsigned max_retries;
	bool no_retries;
	size_t max_body;
	struct kc_backoff backoff;
	char *user_agent;
	kc_metrics_fn *metrics;
	void *metrics_userdata;
	kc_retry_fn *on_retry;
	char *url_base;                /* server URL, host replaced by tls_server_name if set */
	struct curl_slist *connect_to; /* tls_server_name:port -> real host:port */
	struct kc_request *requests;   /* every live request */
	struct sock_info *socks;
	unsigned in_curl;    /* > 0 while curl may be calling back into us */
	unsigned in_done;    /* > 0 while an on_done callback runs */
	bool reap;           /* a request was cancelled while in_curl */
	uint64_t rand_state; /* jitter; quality does not matter */
	struct kc_client_stats stats;
	struct kc_request_count counts[KC_REQUEST_COUNTS_MAX + 6]; /* + one overflow row per verb */
	size_t n_counts;
};

enum phase {
	PHASE_BACKOFF, /* waiting out a retry delay */
	PHASE_TOKEN,   /* holding a rate-limit reservation, waiting for its time */
	PHASE_ACTIVE,  /* in the multi handle */
	PHASE_DONE,    /* on_done running */
};

struct kc_request {
	struct kc_client *c;
	struct kc_request *prev, *next;
	CURL *easy;
	enum phase phase;
	enum kc_method method;
	char *path;      /* current path (a later page's carries its continue token) */
	char *base_path; /* all_pages: the path without a continue token */
	char *body;
	size_t body_len;
	enum kc_content_type content_type;
	double timeout;
	bool idempotent;
	bool all_pages;
	kc_data_fn *on_data;
	kc_item_fn *on_item;
	double idle_timeout;
	kc_response_fn *on_done;
	void *userdata;

	ev_timer wait; /* backoff and rate-limit waits */
	ev_timer idle; /* streaming: no byte for idle_timeout */
	bool cancelled;
	unsigned retries;
	bool reauthed;
	json_t *pages; /* all_pages: the first page, items of later pages appended */
	unsigned page_count;

	/* per attempt */
	struct curl_slist *headers;
	char errbuf[CURL_ERROR_SIZE];
	char *resp;
	size_t resp_len, resp_cap;
	char retry_after[64];
	long status;
	bool status_known;
	bool data_delivered;
	int abort_code; /* set by on_data, the idle timer or a body over the limit */
	double attempt_start;
};

static void attempt_done(struct kc_request *r, CURLcode res);
static void start_attempt(struct kc_request *r);

const char *kc_method_name(enum kc_method m)
{
	switch (m) {
	case KC_GET:
		return "GET";
	case KC_POST:
		return "POST";
	case KC_PUT:
		return "PUT";
	case KC_PATCH:
		return "PATCH";
	case KC_DELETE:
		return "DELETE";
	}
	return "GET";
}

const char *kc_content_type_name(enum kc_content_type t)
{
	switch (t) {
	case KC_CONTENT_JSON:
		return "application/json";
	case KC_CONTENT_MERGE_PATCH:
		return "application/merge-patch+json";
	case KC_CONTENT_JSON_PATCH:
		return "application/json-patch+json";
	case KC_CONTENT_STRATEGIC_MERGE:
		return "application/strategic-merge-patch+json";
	case KC_CONTENT_APPLY_PATCH:
		return "application/apply-patch+yaml";
	}
	return "application/json";
}

static double rand01(struct kc_client *c)
{
	/* xorshift64: jitter only needs to differ between clients and retries. */
	uint64_t x = c->rand_state;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	c->rand_state = x;
	return (double)(x >> 11) / 9007199254740992.0;
}

/* ---- curl <-> libev glue, after curl's docs/examples/evhiperfifo.c ---- */

static void reap_cancelled(struct kc_client *c);

static void check_multi_info(struct kc_client *c)
{
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(c->multi, &left))) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		CURL *easy = msg->easy_handle;
		CURLcode res = msg->data.result;
		struct kc_request *r = NULL;
		curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&r);
		/* Removing the handle also drops any message still queued for it,
		 * so a callback below that cancels another request is safe. */
		curl_multi_remove_handle(c->multi, easy);
		attempt_done(r, res);
	}
}

static void drive(struct kc_client *c, curl_socket_t fd, int action)
{
	int running = 0;

	c->in_curl++;
	curl_multi_socket_action(c->multi, fd, action, &running);
	c->in_curl--;
	reap_cancelled(c);
	check_multi_info(c);
}

static void timer_fired(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct kc_client *c = w->data;
	drive(c, CURL_SOCKET_TIMEOUT, 0);
}

/* CURLMOPT_TIMERFUNCTION: (re)arm the one timer. Never drives curl itself: a
 * 0 ms timeout fires on the next loop iteration. */
static int timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	struct kc_client *c = userp;

	ev_timer_stop(c->loop, &c->timer);
	if (timeout_ms >= 0) {
		ev_timer_set(&c->timer, (double)timeout_ms / 1000.0, 0.);
		ev_timer_start(c->loop, &c->timer);
	}
	return 0;
}

static void io_fired(struct ev_loop *loop, ev_io *w, int revents)
{
	struct sock_info *si = w->data;
	int action = ((revents & EV_READ) ? CURL_CSELECT_IN : 0) |
	             ((revents & EV_WRITE) ? CURL_CSELECT_OUT : 0);
	drive(si->c, si->fd, action);
}

static void sock_free(struct kc_client *c, struct sock_info *si)
{
	ev_io_stop(c->loop, &si->io);
	if (si->prev)
		si->prev->next = si->next;
	else
		c->socks = si->next;
	if (si->next)
		si->next->prev = si->prev;
	free(si);
}

/* CURLMOPT_SOCKETFUNCTION: one ev_io per socket, state kept per socket. */
static int socket_cb(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
	struct kc_client *c = userp;
	struct sock_info *si = socketp;

	if (what == CURL_POLL_REMOVE) {
		if (si) {
			curl_multi_assign(c->multi, s, NULL);
			sock_free(c, si);
		}
		return 0;
	}
	int events =
	    ((what & CURL_POLL_IN) ? EV_READ : 0) | ((what & CURL_POLL_OUT) ? EV_WRITE : 0);
	if (!si) {
		si = calloc(1, sizeof(*si));
		if (!si)
			return -1;
		si->fd = s;
		si->c = c;
		si->next = c->socks;
		if (c->socks)
			c->socks->prev = si;
		c->socks = si;
		ev_io_init(&si->io, io_fired, s, events);
		si->io.data = si;
		curl_multi_assign(c->multi, s, si);
	} else {
		ev_io_stop(c->loop, &si->io);
		ev_io_set(&si->io, s, events);
	}
	ev_io_start(c->loop, &si->io);
	return 0;
}

static int sockopt_cb(void *clientp, curl_socket_t fd, curlsocktype purpose)
{
	unsigned int ms = USER_TIMEOUT_MS;

	/* Best effort: a socket that refuses the option still works, it only
	 * notices a vanished peer later. */
	if (purpose == CURLSOCKTYPE_IPCXN)
		(void)setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &ms, sizeof(ms));
	return CURL_SOCKOPT_OK;
}

/* ---- request bookkeeping ---- */

static void request_free(struct kc_request *r)
{
	struct kc_client *c = r->c;

	ev_timer_stop(c->loop, &r->wait);
	ev_timer_stop(c->loop, &r->idle);
	if (r->phase == PHASE_ACTIVE)
		curl_multi_remove_handle(c->multi, r->easy);
	if (r->phase == PHASE_TOKEN)
		kc_ratelimit_cancel(&c->rl, ev_now(c->loop));
	if (r->prev)
		r->prev->next = r->next;
	else if (c->requests == r)
		c->requests = r->next;
	if (r->next)
		r->next->prev = r->prev;
	curl_easy_cleanup(r->easy);
	curl_slist_free_all(r->headers);
	json_decref(r->pages);
	free(r->resp);
	free(r->body);
	free(r->path);
	free(r->base_path);
	free(r);
}

/* Requests cancelled from inside a curl callback leave the multi handle here,
 * once curl has returned. */
static void reap_cancelled(struct kc_client *c)
{
	if (!c->reap)
		return;
	c->reap = false;
	struct kc_request *r = c->requests;
	while (r) {
		struct kc_request *next = r->next;
		if (r->cancelled)
			request_free(r);
		r = next;
	}
}

static void finish(struct kc_request *r, long status, json_t *body, const struct kc_error *err)
{
	struct kc_client *c = r->c;

	r->phase = PHASE_DONE;
	c->in_done++;
	r->on_done(status, body, err, r->userdata);
	c->in_done--;
	request_free(r);
}

/* Completes r with a transport-level failure (no usable response). */
static void fail(struct kc_request *r, long status, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void fail(struct kc_request *r, long status, int code, const char *fmt, ...)
{
	struct kc_error err = {.code = code, .http_status = status};
	char text[sizeof(err.message)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	kc_error_set(&err, code, "%s", text);
	finish(r, status, NULL, &err);
	kc_error_clear(&err);
}

static void wait_fired(struct ev_loop *loop, ev_timer *w, int revents);

static void take_token(struct kc_request *r)
{
	struct kc_client *c = r->c;
	double wait = kc_ratelimit_reserve(&c->rl, ev_now(c->loop));
	if (wait > 0)
		c->stats.rate_limited++;

	/* Even with a token at hand the attempt starts from the loop, so no
	 * callback can run inside the call that started the request. */
	r->phase = PHASE_TOKEN;
	ev_timer_set(&r->wait, wait, 0.);
	ev_timer_start(c->loop, &r->wait);
}

static void schedule(struct kc_request *r, double delay)
{
	if (delay <= 0) {
		take_token(r);
		return;
	}
	r->phase = PHASE_BACKOFF;
	ev_timer_set(&r->wait, delay, 0.);
	ev_timer_start(r->c->loop, &r->wait);
}

static void wait_fired(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct kc_request *r = w->data;

	if (r->phase == PHASE_BACKOFF)
		take_token(r);
	else
		start_attempt(r);
}

static void idle_fired(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct kc_request *r = w->data;

	ev_timer_stop(loop, w);
	r->abort_code = -ETIMEDOUT;
	curl_multi_remove_handle(r->c->multi, r->easy);
	attempt_done(r, CURLE_OPERATION_TIMEDOUT);
}

/* ---- curl data callbacks (run inside curl: never touch the multi handle) ---- */

static size_t header_cb(char *buf, size_t size, size_t nitems, void *userdata)
{
	struct kc_request *r = userdata;
	size_t n = size * nitems;
	static const char name[] = "retry-after:";

	if (n > sizeof(name) && strncasecmp(buf, name, sizeof(name) - 1) == 0) {
		size_t v = sizeof(name) - 1;
		while (v < n && (buf[v] == ' ' || buf[v] == '\t'))
			v++;
		size_t end = n;
		while (end > v &&
		       (buf[end - 1] == '\r' || buf[end - 1] == '\n' || buf[end - 1] == ' '))
			end--;
		size_t len = end - v;
		if (len >= sizeof(r->retry_after))
			len = sizeof(r->retry_after) - 1;
		memcpy(r->retry_after, buf + v, len);
		r->retry_after[len] = '\0';
	}
	return n;
}

static size_t write_cb(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct kc_request *r = userdata;
	size_t n = size * nmemb;

	if (r->cancelled)
		return n; /* reaped once curl returns */
	if (!r->status_known) {
		curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &r->status);
		r->status_known = true;
	}
	if (r->on_data && r->status / 100 == 2) {
		if (r->idle_timeout > 0)
			ev_timer_again(r->c->loop, &r->idle);
		r->data_delivered = true;
		int rc = r->on_data(ptr, n, r->userdata);
		if (r->cancelled)
			return n;
		if (rc < 0) {
			r->abort_code = rc;
			return 0; /* CURLE_WRITE_ERROR: curl stops the transfer */
		}
		return n;
	}

	size_t limit = r->on_data ? STREAM_ERROR_BODY_MAX : r->c->max_body;
	if (n > limit - r->resp_len) {
		r->abort_code = -E2BIG;
		return 0;
	}
	if (r->resp_len + n + 1 > r->resp_cap) {
		size_t cap = r->resp_cap ? r->resp_cap : 16384;
		while (cap < r->resp_len + n + 1)
			cap *= 2;
		char *p = realloc(r->resp, cap);
		if (!p) {
			r->abort_code = -ENOMEM;
			return 0;
		}
		r->resp = p;
		r->resp_cap = cap;
	}
	memcpy(r->resp + r->resp_len, ptr, n);
	r->resp_len += n;
	r->resp[r->resp_len] = '\0';
	return n;
}

/* ---- attempts ---- */

static int add_header(struct curl_slist **list, const char *name, const char *value)
{
	char line[8192];
	int n = snprintf(line, sizeof(line), "%s%s", name, value);
	if (n < 0 || (size_t)n >= sizeof(line))
		return -E2BIG;
	struct curl_slist *l = curl_slist_append(*list, line);
	if (!l)
		return -ENOMEM;
	*list = l;
	return 0;
}

static void set_blob(CURL *easy, CURLoption opt, const char *pem)
{
	struct curl_blob blob = {
	    .data = (void *)pem, .len = pem ? strlen(pem) : 0, .flags = CURL_BLOB_COPY};
	curl_easy_setopt(easy, opt, pem ? &blob : NULL);
}

static void start_attempt(struct kc_request *r)
{
	struct kc_client *c = r->c;
	const struct kc_credential *cred = NULL;
	struct kc_error cerr = {0};
	char url[KC_PATH_MAX + 1024];
	int rc;

	r->resp_len = 0;
	r->retry_after[0] = '\0';
	r->status = 0;
	r->status_known = false;
	r->abort_code = 0;
	r->errbuf[0] = '\0';
	curl_slist_free_all(r->headers);
	r->headers = NULL;

	rc = kc_config_credential(c->cfg, time(NULL), &cred, &cerr);
	if (rc < 0) {
		struct kc_error err = {0};
		kc_error_set(&err, rc, "%s %s: no credential: %s", kc_method_name(r->method),
		             r->path, cerr.message);
		kc_error_clear(&cerr);
		finish(r, 0, NULL, &err);
		kc_error_clear(&err);
		return;
	}

	rc = add_header(&r->headers, "Accept: ", "application/json");
	if (rc == 0 && r->body)
		rc = add_header(&r->headers,
		                "Content-Type: ", kc_content_type_name(r->content_type));
	/* No "Expect: 100-continue" round trip on HTTP/1.1 fallbacks. */
	if (rc == 0)
		rc = add_header(&r->headers, "Expect:", "");
	if (rc == 0 && cred && cred->token && *cred->token)
		rc = add_header(&r->headers, "Authorization: Bearer ", cred->token);
	if (rc < 0) {
		fail(r, 0, rc, "%s %s: cannot build request headers", kc_method_name(r->method),
		     r->path);
		return;
	}

	int n = snprintf(url, sizeof(url), "%s%s", c->url_base, r->path);
	if (n < 0 || (size_t)n >= sizeof(url)) {
		fail(r, 0, -E2BIG, "%s %s: URL too long", kc_method_name(r->method), r->path);
		return;
	}
	CURL *e = r->easy;
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, r->headers);
	set_blob(e, CURLOPT_SSLCERT_BLOB, cred ? cred->client_cert_pem : NULL);
	set_blob(e, CURLOPT_SSLKEY_BLOB, cred ? cred->client_key_pem : NULL);

	r->phase = PHASE_ACTIVE;
	r->attempt_start = ev_time();
	CURLMcode mc = curl_multi_add_handle(c->multi, e);
	if (mc != CURLM_OK) {
		r->phase = PHASE_BACKOFF; /* not in the multi handle */
		fail(r, 0, -EIO, "%s %s: %s", kc_method_name(r->method), r->path,
		     curl_multi_strerror(mc));
		return;
	}
	if (r->on_data && r->idle_timeout > 0) {
		ev_timer_set(&r->idle, r->idle_timeout, r->idle_timeout);
		ev_timer_start(c->loop, &r->idle);
	}
}

/* What went wrong with an attempt that got no usable answer. */
static const char *attempt_error(const struct kc_request *r, CURLcode res)
{
	if (r->abort_code < 0)
		return strerror(-r->abort_code);
	return r->errbuf[0] ? r->errbuf : curl_easy_strerror(res);
}

/* One line naming the request, the server and what went wrong on the wire. */
static void fail_transport(struct kc_request *r, CURLcode res, int code)
{
	const struct kc_client *c = r->c;
	const char *m = kc_method_name(r->method);
	const char *detail = attempt_error(r, res);

	if (r->abort_code == -ETIMEDOUT && r->on_data) {
		fail(r, r->status, code, "%s %s: no data from %s for %g s", m, r->path,
		     c->cfg->server, r->idle_timeout);
	} else if (r->abort_code == -E2BIG) {
		fail(r, r->status, code, "%s %s: response body over the %zu byte limit", m, r->path,
		     r->on_data ? (size_t)STREAM_ERROR_BODY_MAX : c->max_body);
	} else if (r->abort_code < 0) {
		fail(r, r->status, code, "%s %s: stream stopped: %s", m, r->path, strerror(-code));
	} else if (res == CURLE_PEER_FAILED_VERIFICATION) {
		fail(r, 0, code,
		     "%s %s: TLS certificate verification failed for server %s (CA %s%s): %s", m,
		     r->path, c->cfg->server, c->cfg->ca_pem ? "from " : "from the system store",
		     c->cfg->ca_pem ? (c->cfg->source ? c->cfg->source : "the kubeconfig") : "",
		     detail);
	} else if (code == -EPROTO) {
		fail(r, 0, code, "%s %s: TLS handshake with %s failed: %s", m, r->path,
		     c->cfg->server, detail);
	} else if (res == CURLE_COULDNT_CONNECT) {
		fail(r, 0, code, "%s %s: cannot connect to %s: %s", m, r->path, c->cfg->server,
		     detail);
	} else if (res == CURLE_OPERATION_TIMEDOUT) {
		fail(r, r->status, code, "%s %s: timed out talking to %s: %s", m, r->path,
		     c->cfg->server, detail);
	} else {
		fail(r, r->status, code, "%s %s: %s: %s", m, r->path, c->cfg->server, detail);
	}
}

/* all_pages: folds a page into r->pages and, when another page follows,
 * points r->path at it and sets *more. Returns 0 or a negative errno. */
static int add_page(struct kc_request *r, json_t *page, bool *more)
{
	json_t *items = json_object_get(page, "items");
	const char *cont =
	    json_string_value(json_object_get(json_object_get(page, "metadata"), "continue"));

	if (!json_is_array(items) && !json_is_null(items) && items)
		return -EBADMSG;
	if (!r->pages) {
		r->pages = json_incref(page);
		/* An empty page may say "items": null; the result always has an array. */
		if (!json_is_array(items))
			json_object_set_new(page, "items", json_array());
	} else if (json_is_array(items) &&
	           json_array_extend(json_object_get(r->pages, "items"), items) < 0) {
		return -ENOMEM;
	}
	r->page_count++;
	*more = cont && *cont;
	if (!*more) {
		json_t *meta = json_object_get(r->pages, "metadata");
		json_object_del(meta, "continue");
		json_object_del(meta, "remainingItemCount");
		return 0;
	}
	if (r->page_count >= MAX_PAGES)
		return -E2BIG;

	char *p = NULL;
	int rc = kc_path_continue(r->base_path, cont, &p);
	if (rc < 0)
		return rc;
	free(r->path);
	r->path = p;
	return 0;
}

static int load_json(const char *text, size_t len, json_t **ret, json_error_t *jerr)
{
	*ret = json_loadb(text, len, 0, jerr);
	return *ret ? 0 : -EBADMSG;
}

/* all_pages with on_item: the page without its items goes into *ret, each
 * item is parsed on its own and handed to on_item. A page whose items cannot
 * be found in the text (no "items" member) is parsed whole. 0, -EBADMSG
 * (jerr says what), -ENOMEM, or what on_item returned. */
static int load_page_by_item(struct kc_request *r, json_t **ret, json_error_t *jerr)
{
	size_t start, end;
	int rc = kc_list_split_items(r->resp, r->resp_len, &start, &end);
	if (rc == -ENOENT) {
		/* No "items" as the scan reads keys: there must be none either as
		 * jansson reads them (a key spelt with escapes), or they would
		 * bypass on_item. */
		json_t *whole = NULL;
		rc = load_json(r->resp, r->resp_len, &whole, jerr);
		if (rc == 0 && json_array_size(json_object_get(whole, "items")) > 0) {
			snprintf(jerr->text, sizeof(jerr->text),
			         "list items not found by the scan");
			json_decref(whole);
			return -EBADMSG;
		}
		if (rc == 0)
			*ret = whole;
		return rc;
	}
	if (rc < 0) {
		snprintf(jerr->text, sizeof(jerr->text), "malformed list");
		return rc;
	}
	/* The page itself: the text with "[]" where the items were. */
	size_t rest = r->resp_len - (end - start);
	char *text = malloc(rest + 2);
	if (!text)
		return -ENOMEM;
	memcpy(text, r->resp, start);
	memcpy(text + start, "[]", 2);
	memcpy(text + start + 2, r->resp + end, r->resp_len - end);
	json_t *page = NULL;
	rc = load_json(text, rest + 2, &page, jerr);
	free(text);
	if (rc < 0)
		return rc;
	const char *items = r->resp + start;
	size_t len = end - start, pos = 0, item_start, item_end;
	if (len == 4 && memcmp(items, "null", 4) == 0)
		len = 0;
	while (len > 0) {
		rc = kc_list_split_next(items, len, &pos, &item_start, &item_end);
		if (rc <= 0) {
			if (rc < 0)
				snprintf(jerr->text, sizeof(jerr->text), "malformed items array");
			break;
		}
		json_t *item = NULL;
		rc = load_json(items + item_start, item_end - item_start, &item, jerr);
		if (rc == 0 && !json_is_object(item)) {
			snprintf(jerr->text, sizeof(jerr->text),
			         "list item at byte %zu is not an object", start + item_start);
			rc = -EBADMSG;
		}
		if (rc == 0)
			rc = r->on_item(page, item, r->userdata);
		json_decref(item);
		if (rc < 0)
			break;
	}
	if (rc < 0) {
		json_decref(page);
		return rc;
	}
	*ret = page;
	return 0;
}

static void complete_success(struct kc_request *r)
{
	json_t *body = NULL;
	json_error_t jerr = {0};
	const char *m = kc_method_name(r->method);

	if (r->on_data || r->resp_len == 0) {
		finish(r, r->status, NULL, NULL);
		return;
	}
	int rc = r->all_pages && r->on_item ? load_page_by_item(r, &body, &jerr)
	                                    : load_json(r->resp, r->resp_len, &body, &jerr);
	if (rc < 0) {
		if (rc == -EBADMSG)
			fail(r, r->status, rc, "%s %s: %ld response is not JSON: %s", m, r->path,
			     r->status, jerr.text);
		else
			fail(r, r->status, rc, "%s %s: list item refused: %s", m, r->path,
			     strerror(-rc));
		return;
	}
	if (r->all_pages) {
		bool more = false;
		rc = add_page(r, body, &more);
		json_decref(body);
		if (rc < 0) {
			fail(r, r->status, rc, "%s %s: cannot collect list pages: %s", m, r->path,
			     strerror(-rc));
			return;
		}
		if (more) {
			/* Each page gets the full retry budget again. */
			r->retries = 0;
			r->reauthed = false;
			schedule(r, 0);
			return;
		}
		body = json_incref(r->pages);
	}
	finish(r, r->status, body, NULL);
	json_decref(body);
}

/* A linear scan: there are a few dozen (verb, code) pairs at most. Verbs
 * are static strings, so pointers compare. */
static void count_attempt(struct kc_client *c, const char *verb, long code)
{
	const size_t cap = sizeof(c->counts) / sizeof(c->counts[0]);

	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < c->n_counts; i++) {
			if (c->counts[i].verb == verb && c->counts[i].code == code) {
				c->counts[i].count++;
				return;
			}
		}
		/* Full for ordinary pairs: fall back to the verb's overflow row. */
		if (c->n_counts < KC_REQUEST_COUNTS_MAX || (code == -1 && c->n_counts < cap))
			break;
		code = -1;
	}
	if (c->n_counts >= cap)
		return; /* cannot happen: one overflow row per verb is reserved */
	c->counts[c->n_counts++] =
	    (struct kc_request_count){.verb = verb, .code = code, .count = 1};
}

static void attempt_done(struct kc_request *r, CURLcode res)
{
	struct kc_client *c = r->c;
	long status = 0;
	int terr = 0;

	ev_timer_stop(c->loop, &r->idle);
	r->phase = PHASE_BACKOFF; /* out of the multi handle */
	if (r->cancelled) {
		request_free(r);
		return;
	}
	curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
	if (status > 0)
		r->status = status;
	long conns = 0, version = 0;
	curl_easy_getinfo(r->easy, CURLINFO_NUM_CONNECTS, &conns);
	curl_easy_getinfo(r->easy, CURLINFO_HTTP_VERSION, &version);
	c->stats.attempts++;
	c->stats.connections += (unsigned long)(conns > 0 ? conns : 0);
	if (version == CURL_HTTP_VERSION_2_0)
		c->stats.http2++;
	if (r->abort_code < 0)
		terr = r->abort_code;
	else if (res != CURLE_OK && r->status < 400)
		terr = kc_curl_errno(res);
	/* An error status whose body was cut short (HTTP/2 servers often reset
	 * the stream of a refused upload right after answering 401 or 429) is
	 * still that status: decide on it, not on the broken transfer. */

	/* A request cut off after its status line is counted as failed (0);
	 * a stream is counted by the status it ran under, like client-go. */
	const char *verb = r->on_data ? "WATCH" : kc_method_name(r->method);
	long code = (terr && !r->on_data) ? 0 : r->status;
	count_attempt(c, verb, code);
	if (c->metrics)
		c->metrics(verb, code, ev_time() - r->attempt_start, c->metrics_userdata);

	double after = 0;
	struct kc_retry_input in = {
	    .http_status = terr ? 0 : r->status,
	    .transport_error = terr,
	    .idempotent = r->idempotent,
	    .has_retry_after =
	        r->retry_after[0] && kc_retry_after_parse(r->retry_after, time(NULL), &after) == 0,
	    .reauthed = r->reauthed || c->no_retries,
	    .data_delivered = r->data_delivered || r->abort_code < 0,
	    .retries = r->retries,
	    .max_retries = c->no_retries ? 0 : c->max_retries,
	};
	enum kc_retry_action action = kc_retry_decide(&in);
	if (action != KC_RETRY_NONE) {
		double delay = 0;
		if (action == KC_RETRY_REAUTH) {
			kc_config_invalidate_credential(c->cfg);
			r->reauthed = true;
		} else {
			r->retries++;
			delay = action == KC_RETRY_AFTER
			            ? after
			            : kc_backoff_delay(&c->backoff, r->retries, rand01(c));
		}
		c->stats.retries++;
		if (c->on_retry)
			c->on_retry(verb, r->path, code, terr ? attempt_error(r, res) : NULL, delay,
			            c->metrics_userdata);
		schedule(r, delay);
		return;
	}

	if (terr) {
		fail_transport(r, res, terr);
		return;
	}
	if (r->status / 100 != 2) {
		struct kc_error err = {0};
		kc_error_from_response(&err, kc_method_name(r->method), r->path, r->status, r->resp,
		                       r->resp_len);
		finish(r, r->status, err.status, &err);
		kc_error_clear(&err);
		return;
	}
	complete_success(r);
}

/* ---- public API ---- */

int kc_request_start(struct kc_client *c, const struct kc_request_options *o,
                     struct kc_request **ret, struct kc_error *err)
{
	const char *m = kc_method_name(o->method);
	struct kc_request *r;

	if (!o->on_done || !o->path || o->path[0] != '/')
		return kc_error_set(err, -EINVAL,
		                    "%s %s: request needs a path starting with / and on_done", m,
		                    o->path ? o->path : "(null)");
	if (strlen(o->path) >= KC_PATH_MAX)
		return kc_error_set(err, -E2BIG, "%s: path over %d bytes", m, KC_PATH_MAX);
	if (o->all_pages && (o->method != KC_GET || o->on_data))
		return kc_error_set(err, -EINVAL, "%s %s: all_pages is for plain GET lists", m,
		                    o->path);
	if (o->body && o->method == KC_GET)
		return kc_error_set(err, -EINVAL, "GET %s: a GET has no body", o->path);

	r = calloc(1, sizeof(*r));
	if (!r)
		return kc_error_set(err, -ENOMEM, "%s %s: out of memory", m, o->path);
	r->c = c;
	r->method = o->method;
	r->content_type = o->content_type;
	r->timeout = o->timeout == 0 ? c->timeout : o->timeout;
	r->idempotent = o->idempotent || o->method == KC_GET;
	r->all_pages = o->all_pages;
	r->on_data = o->on_data;
	r->on_item = o->on_item;
	r->idle_timeout = o->idle_timeout;
	r->on_done = o->on_done;
	r->userdata = o->userdata;
	r->phase = PHASE_BACKOFF;
	ev_init(&r->wait, wait_fired);
	r->wait.data = r;
	ev_init(&r->idle, idle_fired);
	r->idle.data = r;
	r->path = strdup(o->path);
	r->base_path = strdup(o->path);
	r->easy = curl_easy_init();
	if (!r->path || !r->base_path || !r->easy)
		goto nomem;
	if (o->body) {
		r->body = json_dumps(o->body, JSON_COMPACT);
		if (!r->body) {
			free(r->path);
			free(r->base_path);
			curl_easy_cleanup(r->easy);
			free(r);
			return kc_error_set(err, -EINVAL, "%s %s: body does not serialise to JSON",
			                    m, o->path);
		}
		r->body_len = strlen(r->body);
	}

	CURL *e = r->easy;
	curl_easy_setopt(e, CURLOPT_PRIVATE, r);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, r->errbuf);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, header_cb);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(e, CURLOPT_USERAGENT, c->user_agent);
	curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPIDLE, KEEPIDLE_S);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPINTVL, KEEPINTVL_S);
	curl_easy_setopt(e, CURLOPT_SOCKOPTFUNCTION, sockopt_cb);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, CONNECT_TIMEOUT_MS);
	if (!r->on_data && r->timeout > 0)
		curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)(r->timeout * 1000));
	/* Lists compress well; watches are never compressed by the server. */
	if (!r->on_data)
		curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
	if (c->connect_to)
		curl_easy_setopt(e, CURLOPT_CONNECT_TO, c->connect_to);
	if (c->cfg->proxy_url)
		curl_easy_setopt(e, CURLOPT_PROXY, c->cfg->proxy_url);
	if (c->cfg->ca_pem)
		set_blob(e, CURLOPT_CAINFO_BLOB, c->cfg->ca_pem);
	if (c->cfg->insecure_skip_tls_verify) {
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
	} else {
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
	}
	curl_easy_setopt(e, CURLOPT_SSLCERTTYPE, "PEM");
	curl_easy_setopt(e, CURLOPT_SSLKEYTYPE, "PEM");
	switch (r->method) {
	case KC_GET:
		curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
		break;
	case KC_POST:
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->body_len);
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, r->body ? r->body : "");
		break;
	case KC_PUT:
	case KC_PATCH:
	case KC_DELETE:
		if (r->body) {
			curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->body_len);
			curl_easy_setopt(e, CURLOPT_POSTFIELDS, r->body);
		}
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, m);
		break;
	}

	r->next = c->requests;
	if (c->requests)
		c->requests->prev = r;
	c->requests = r;
	schedule(r, 0);
	if (ret)
		*ret = r;
	return 0;

nomem:
	free(r->path);
	free(r->base_path);
	curl_easy_cleanup(r->easy);
	free(r);
	return kc_error_set(err, -ENOMEM, "%s %s: out of memory", m, o->path);
}

struct kc_request *kc_request_cancel(struct kc_request *r)
{
	if (!r || r->phase == PHASE_DONE || r->cancelled)
		return NULL;
	struct kc_client *c = r->c;
	if (r->phase == PHASE_ACTIVE && c->in_curl > 0) {
		/* curl is on the stack: the handle leaves the multi once it returns. */
		r->cancelled = true;
		ev_timer_stop(c->loop, &r->idle);
		c->reap = true;
		return NULL;
	}
	request_free(r);
	return NULL;
}

static int split_server(struct kc_client *c, struct kc_error *err)
{
	const struct kc_config *cfg = c->cfg;
	int rc = 0;

	if (!cfg->tls_server_name || !*cfg->tls_server_name) {
		c->url_base = strdup(cfg->server);
		return c->url_base ? 0 : kc_error_set(err, -ENOMEM, "out of memory");
	}
	/* curl has no option to verify a name other than the URL's host, so
	 * the URL names tls_server_name (SNI and verification use it) and
	 * CONNECT_TO sends the connection to the real host. */
	CURLU *u = curl_url();
	char *host = NULL, *port = NULL, *url = NULL;
	if (!u)
		return kc_error_set(err, -ENOMEM, "out of memory");
	if (curl_url_set(u, CURLUPART_URL, cfg->server, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK ||
	    curl_url_set(u, CURLUPART_HOST, cfg->tls_server_name, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_URL, &url, 0) != CURLUE_OK) {
		rc = kc_error_set(
		    err, -EINVAL, "%s: server %s with tls-server-name %s is not a valid URL",
		    cfg->source ? cfg->source : "kubeconfig", cfg->server, cfg->tls_server_name);
		goto out;
	}
	size_t len = strlen(url);
	while (len > 0 && url[len - 1] == '/')
		url[--len] = '\0';
	char line[1024];
	int n = snprintf(line, sizeof(line), "%s:%s:%s:%s", cfg->tls_server_name, port, host, port);
	if (n < 0 || (size_t)n >= sizeof(line)) {
		rc = kc_error_set(err, -E2BIG, "tls-server-name too long");
		goto out;
	}
	c->connect_to = curl_slist_append(NULL, line);
	c->url_base = strdup(url);
	if (!c->connect_to || !c->url_base)
		rc = kc_error_set(err, -ENOMEM, "out of memory");
out:
	curl_free(host);
	curl_free(port);
	curl_free(url);
	curl_url_cleanup(u);
	return rc;
}

int kc_client_new(struct ev_loop *loop, struct kc_config *cfg, const struct kc_client_options *opts,
                  struct kc_client **ret, struct kc_error *err)
{
	static const struct kc_client_options defaults = {0};
	struct kc_client *c;
	int rc;

	if (!opts)
		opts = &defaults;
	if (!cfg || !cfg->server ||
	    (strncmp(cfg->server, "https://", 8) != 0 && strncmp(cfg->server, "http://", 7) != 0))
		return kc_error_set(err, -EINVAL, "%s: server %s is not an http(s) URL",
		                    cfg && cfg->source ? cfg->source : "kubeconfig",
		                    cfg && cfg->server ? cfg->server : "(none)");
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return kc_error_set(err, -EIO, "libcurl initialisation failed");

	c = calloc(1, sizeof(*c));
	if (!c) {
		curl_global_cleanup();
		return kc_error_set(err, -ENOMEM, "out of memory");
	}
	c->loop = loop;
	c->cfg = cfg;
	c->timeout = opts->timeout > 0 ? opts->timeout : DEFAULT_TIMEOUT;
	c->max_retries = opts->max_retries ? opts->max_retries : DEFAULT_MAX_RETRIES;
	c->no_retries = opts->no_retries;
	c->max_body = opts->max_body ? opts->max_body : DEFAULT_MAX_BODY;
	c->backoff = opts->backoff;
	if (c->backoff.initial <= 0)
		c->backoff =
		    (struct kc_backoff){.initial = 0.5, .max = 30, .factor = 2, .jitter = 0.5};
	c->metrics = opts->metrics;
	c->metrics_userdata = opts->metrics_userdata;
	c->on_retry = opts->on_retry;
	c->rand_state =
	    (uint64_t)time(NULL) ^ ((uint64_t)(uintptr_t)c << 16) ^ 0x9e3779b97f4a7c15ull;
	double qps = opts->qps == 0 ? DEFAULT_QPS : opts->qps;
	kc_ratelimit_init(&c->rl, qps, opts->burst > 0 ? opts->burst : DEFAULT_BURST, ev_now(loop));
	c->user_agent = strdup(opts->user_agent ? opts->user_agent : "slipway/" SLIPWAY_VERSION);
	if (!c->user_agent) {
		rc = kc_error_set(err, -ENOMEM, "out of memory");
		goto fail;
	}
	rc = split_server(c, err);
	if (rc < 0)
		goto fail;

	c->multi = curl_multi_init();
	if (!c->multi) {
		rc = kc_error_set(err, -ENOMEM, "curl_multi_init failed");
		goto fail;
	}
	ev_init(&c->timer, timer_fired);
	c->timer.data = c;
	curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
	curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
	curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
	curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
	curl_multi_setopt(c->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
	curl_multi_setopt(c->multi, CURLMOPT_MAX_HOST_CONNECTIONS,
	                  opts->max_host_connections > 0 ? opts->max_host_connections
	                                                 : (long)DEFAULT_MAX_CONNS);
	*ret = c;
	return 0;

fail:
	kc_client_free(c);
	return rc;
}

struct kc_client *kc_client_free(struct kc_client *c)
{
	if (!c)
		return NULL;
	/* Freeing the client under a callback would free the request the
	 * callback belongs to, and the curl state on the stack. */
	assert(c->in_curl == 0 && c->in_done == 0);
	while (c->requests)
		request_free(c->requests);
	if (c->multi)
		curl_multi_cleanup(c->multi);
	while (c->socks)
		sock_free(c, c->socks);
	ev_timer_stop(c->loop, &c->timer);
	curl_slist_free_all(c->connect_to);
	free(c->url_base);
	free(c->user_agent);
	free(c);
	curl_global_cleanup();
	return NULL;
}

struct ev_loop *kc_client_loop(const struct kc_client *c)
{
	return c->loop;
}

const struct kc_config *kc_client_config(const struct kc_client *c)
{
	return c->cfg;
}

void kc_client_stats(const struct kc_client *c, struct kc_client_stats *ret)
{
	*ret = c->stats;
}

size_t kc_client_request_counts(const struct kc_client *c, struct kc_request_count *out, size_t cap)
{
	for (size_t i = 0; i < c->n_counts && i < cap; i++)
		out[i] = c->counts[i];
	return c->n_counts;
}

/* ---- blocking use ---- */

void kc_sync_done(long status, json_t *body, const struct kc_error *err, void *userdata)
{
	struct kc_sync *s = userdata;

	s->done = true;
	s->status = status;
	s->body = json_incref(body);
	if (err) {
		s->err = *err;
		json_incref(s->err.status);
	}
}

int kc_sync_wait(struct kc_client *c, struct kc_sync *s, json_t **ret_body, struct kc_error *err)
{
	while (!s->done) {
		if (!ev_run(c->loop, EVRUN_ONCE) && !s->done) {
			/* Nothing left that could complete it: the request was never
			 * started, or was cancelled. */
			return kc_error_set(err, -EDEADLK,
			                    "waiting for a request that is not in flight");
		}
	}
	int rc = s->err.code;
	if (rc < 0) {
		if (err) {
			kc_error_clear(err);
			*err = s->err;
		} else {
			json_decref(s->err.status);
		}
		json_decref(s->body);
	} else if (ret_body) {
		*ret_body = s->body;
	} else {
		json_decref(s->body);
	}
	memset(s, 0, sizeof(*s));
	return rc;
}
