#include "kubeclient/client.h"

#include <assert.h>
#include <curl/curl.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kubeclient/apierror.h"
#include "kubeclient/config-internal.h"
#include "kubeclient/http.h"
#include "kubeclient/list-split.h"
#include "kubeclient/path.h"
#include "kubeclient/ratelimit.h"
#include "slipway-version.h"

#define DEFAULT_QPS         50.0
#define DEFAULT_BURST       100.0
#define DEFAULT_TIMEOUT     30.0
#define DEFAULT_DEADLINE    60.0 /* as kubeclient/http.c: the API server's own limit */
#define DEFAULT_MAX_RETRIES 5
#define DEFAULT_MAX_BODY    (256u * 1024 * 1024)
/* A non-2xx answer to a watch is a Status; anything bigger is not one. */
#define STREAM_ERROR_BODY_MAX (1024u * 1024)
/* Pages one kc_list_all may follow: 10,000 pages of 500 is 5 million objects. */
#define MAX_PAGES 10000

struct kc_client {
	struct ev_loop *loop;
	struct kc_config *cfg;
	struct kc_http *http; /* the transport: our own, or borrowed */
	bool owns_http;
	struct kc_ratelimit rl;
	double timeout;
	double deadline;
	unsigned max_retries;
	bool no_retries;
	size_t max_body;
	struct kc_backoff backoff;
	char *user_agent;
	kc_metrics_fn *metrics;
	void *metrics_userdata;
	kc_retry_fn *on_retry;
	char *url_base;              /* server URL, host replaced by tls_server_name if set */
	char *connect_to;            /* tls_server_name:port:real host:port, or NULL */
	struct kc_request *requests; /* every live request */
	unsigned in_done;            /* > 0 while an on_done callback runs */
	struct kc_client_stats stats;
	struct kc_request_count counts[KC_REQUEST_COUNTS_MAX + 6]; /* + one overflow row per verb */
	size_t n_counts;
};

/* A request of the API: one kc_http request per page (a plain request has
 * one page), so retries and rate-limit tokens are counted per page. */
struct kc_request {
	struct kc_client *c;
	struct kc_request *prev, *next;
	struct kc_http_request *http;     /* the page in flight; NULL while completing */
	struct kc__cred_waiter cred_wait; /* parked until an exec plugin run ends */
	unsigned long cred_gen;           /* the credential the last attempt carried */
	bool done;                        /* on_done running */
	enum kc_method method;
	char *path;      /* current path (a later page's carries its continue token) */
	char *base_path; /* all_pages: the path without a continue token */
	char *body;
	size_t body_len;
	enum kc_content_type content_type;
	double timeout;
	double deadline;
	bool idempotent;
	bool all_pages;
	kc_data_fn *on_data;
	kc_item_fn *on_item;
	double idle_timeout;
	kc_response_fn *on_done;
	void *userdata;
	json_t *pages; /* all_pages: the first page, items of later pages appended */
	unsigned page_count;
	/* the answer being completed, borrowed from the transport */
	const char *resp;
	size_t resp_len;
	long status;
};

static int start_page(struct kc_request *r, struct kc_error *err);

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

/* ---- request bookkeeping ---- */

static void request_free(struct kc_request *r)
{
	struct kc_client *c = r->c;

	kc__credential_unwait(c->cfg, &r->cred_wait);
	kc_error_clear(&r->cred_wait.err);
	kc_http_cancel(r->http);
	if (r->prev)
		r->prev->next = r->next;
	else if (c->requests == r)
		c->requests = r->next;
	if (r->next)
		r->next->prev = r->prev;
	json_decref(r->pages);
	free(r->body);
	free(r->path);
	free(r->base_path);
	free(r);
}

static void finish(struct kc_request *r, long status, json_t *body, const struct kc_error *err)
{
	struct kc_client *c = r->c;

	r->done = true;
	c->in_done++;
	r->on_done(status, body, err, r->userdata);
	c->in_done--;
	request_free(r);
}

/* Completes r with a failure of our own making (no usable response). */
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

/* ---- transport hooks ---- */

static void credential_ready(void *userdata)
{
	struct kc_request *r = userdata;
	kc_http_resume(r->http);
}

/* Before every attempt: the kubeconfig's credential, so a rotated token file
 * or a re-run exec plugin is picked up; after a 401, a fresh one. An exec
 * plugin runs on the loop: meanwhile the attempt is parked (-EINPROGRESS)
 * and resumed by credential_ready. */
static int credential(bool stale, struct kc_http_auth *ret, struct kc_error *err, void *userdata)
{
	struct kc_request *r = userdata;
	const struct kc_credential *cred = NULL;

	if (stale)
		kc__credential_rejected(r->c->cfg, r->cred_gen);
	r->cred_wait.ready = credential_ready;
	r->cred_wait.userdata = r;
	int rc = kc__credential_get(r->c->cfg, r->c->loop, time(NULL), &r->cred_wait, &cred,
	                            &r->cred_gen, err);
	if (rc < 0)
		return rc;
	if (cred) {
		ret->bearer_token = cred->token;
		ret->client_cert_pem = cred->client_cert_pem;
		ret->client_key_pem = cred->client_key_pem;
	}
	return 0;
}

static const char *verb_of(const struct kc_request *r)
{
	return r->on_data ? "WATCH" : kc_method_name(r->method);
}

static void count_attempt(struct kc_client *c, const char *verb, long code);

static void attempt_seen(const struct kc_http_attempt *a, void *userdata)
{
	struct kc_request *r = userdata;
	struct kc_client *c = r->c;

	c->stats.attempts++;
	c->stats.connections += (unsigned long)a->new_connections;
	if (a->http2)
		c->stats.http2++;
	if (a->waited_for_token)
		c->stats.rate_limited++;
	/* A request cut off after its status line is counted as failed (0);
	 * a stream is counted by the status it ran under, like client-go. */
	const char *verb = verb_of(r);
	long code = (a->error && !r->on_data) ? 0 : a->status;
	count_attempt(c, verb, code);
	if (c->metrics)
		c->metrics(verb, code, a->seconds, c->metrics_userdata);
}

static void retry_seen(long status, const char *error, double delay, void *userdata)
{
	struct kc_request *r = userdata;
	struct kc_client *c = r->c;

	c->stats.retries++;
	if (c->on_retry)
		c->on_retry(verb_of(r), r->path, status, error, delay, c->metrics_userdata);
}

static void complete_success(struct kc_request *r);

static int data_seen(const char *data, size_t len, void *userdata)
{
	struct kc_request *r = userdata;

	/* r may be gone when this returns: the callback may cancel it. */
	return r->on_data(data, len, r->userdata);
}

/* The server's Retry-After goes into err, and into its message: a retry
 * the transport did not make is the caller's to schedule. */
static void note_retry_after(struct kc_error *err, double seconds)
{
	if (!(seconds > 0))
		return;
	err->retry_after = seconds;
	size_t len = strlen(err->message);
	snprintf(err->message + len, sizeof(err->message) - len,
	         " (the server asks to retry after %g s)", seconds);
}

static void page_done(const struct kc_http_response *resp, const struct kc_error *herr,
                      void *userdata)
{
	struct kc_request *r = userdata;

	r->http = NULL; /* freed by the transport once we return */
	kc__credential_unwait(r->c->cfg, &r->cred_wait);
	if (herr) {
		finish(r, resp->status, NULL, herr);
		return;
	}
	if (resp->status / 100 != 2) {
		struct kc_error err = {0};
		kc_error_from_response(&err, kc_method_name(r->method), r->path, resp->status,
		                       resp->body, resp->body_len);
		note_retry_after(&err, resp->retry_after);
		finish(r, resp->status, err.status, &err);
		kc_error_clear(&err);
		return;
	}
	r->status = resp->status;
	r->resp = resp->body;
	r->resp_len = resp->body_len;
	complete_success(r);
}

/* Hands the current page (r->path) to the transport. */
static int start_page(struct kc_request *r, struct kc_error *err)
{
	struct kc_client *c = r->c;
	const struct kc_config *cfg = c->cfg;
	const char *m = kc_method_name(r->method);
	char url[KC_PATH_MAX + 1024], name[KC_PATH_MAX + 16];

	int n = snprintf(url, sizeof(url), "%s%s", c->url_base, r->path);
	if (n < 0 || (size_t)n >= sizeof(url))
		return kc_error_set(err, -E2BIG, "%s %s: URL too long", m, r->path);
	snprintf(name, sizeof(name), "%s %s", m, r->path);
	struct kc_http_header headers[] = {
	    {.name = "Accept", .value = "application/json"},
	    {.name = "Content-Type", .value = kc_content_type_name(r->content_type)},
	};
	struct kc_http_request_options o = {
	    .method = m,
	    .url = url,
	    .body = r->body,
	    .body_len = r->body_len,
	    .headers = headers,
	    .n_headers = r->body ? 2 : 1,
	    .tls = {.ca_pem = cfg->ca_pem,
	            .ca_name = cfg->source ? cfg->source : "the kubeconfig",
	            .insecure_skip_verify = cfg->insecure_skip_tls_verify},
	    .credential = credential,
	    .proxy = cfg->proxy_url,
	    .connect_to = c->connect_to,
	    .user_agent = c->user_agent,
	    .name = name,
	    .peer = cfg->server,
	    .timeout = r->timeout,
	    .deadline = r->deadline,
	    .max_body = r->on_data ? STREAM_ERROR_BODY_MAX : c->max_body,
	    .idempotent = r->idempotent,
	    .retry = {.max_retries = c->max_retries, .none = c->no_retries, .backoff = c->backoff},
	    .ratelimit = &c->rl,
	    .on_data = r->on_data ? data_seen : NULL,
	    .idle_timeout = r->idle_timeout,
	    .on_attempt = attempt_seen,
	    .on_retry = retry_seen,
	    .on_done = page_done,
	    .userdata = r,
	};
	return kc_http_start(c->http, &o, &r->http, err);
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
			/* A new transfer, so each page gets the full retry budget again. */
			struct kc_error err = {0};
			rc = start_page(r, &err);
			if (rc < 0)
				finish(r, r->status, NULL, &err);
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

/* ---- public API ---- */

/* 0, or a negative errno with err filled for options kc_request_start refuses. */
static int check_request(const struct kc_request_options *o, struct kc_error *err)
{
	const char *m = kc_method_name(o->method);

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
	return 0;
}

int kc_request_start(struct kc_client *c, const struct kc_request_options *o,
                     struct kc_request **ret, struct kc_error *err)
{
	const char *m = kc_method_name(o->method);
	int rc = check_request(o, err);
	if (rc < 0)
		return rc;

	struct kc_request *r = calloc(1, sizeof(*r));
	if (!r)
		return kc_error_set(err, -ENOMEM, "%s %s: out of memory", m, o->path);
	r->c = c;
	r->method = o->method;
	r->content_type = o->content_type;
	r->timeout = o->timeout == 0 ? c->timeout : o->timeout;
	r->deadline = o->deadline == 0 ? c->deadline : o->deadline;
	r->idempotent = o->idempotent || o->method == KC_GET;
	r->all_pages = o->all_pages;
	r->on_data = o->on_data;
	r->on_item = o->on_item;
	r->idle_timeout = o->idle_timeout;
	r->on_done = o->on_done;
	r->userdata = o->userdata;
	r->path = strdup(o->path);
	r->base_path = strdup(o->path);
	if (!r->path || !r->base_path) {
		rc = kc_error_set(err, -ENOMEM, "%s %s: out of memory", m, o->path);
		goto fail;
	}
	if (o->body) {
		r->body = json_dumps(o->body, JSON_COMPACT);
		if (!r->body) {
			rc = kc_error_set(err, -EINVAL, "%s %s: body does not serialise to JSON", m,
			                  o->path);
			goto fail;
		}
		r->body_len = strlen(r->body);
	}
	r->next = c->requests;
	if (c->requests)
		c->requests->prev = r;
	c->requests = r;
	rc = start_page(r, err);
	if (rc < 0)
		goto fail;
	if (ret)
		*ret = r;
	return 0;

fail:
	request_free(r);
	return rc;
}

struct kc_request *kc_request_cancel(struct kc_request *r)
{
	if (!r || r->done)
		return NULL;
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
	c->connect_to = strdup(line);
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
	c = calloc(1, sizeof(*c));
	if (!c)
		return kc_error_set(err, -ENOMEM, "out of memory");
	c->loop = loop;
	c->cfg = cfg;
	c->timeout = opts->timeout > 0 ? opts->timeout : DEFAULT_TIMEOUT;
	c->deadline = opts->deadline == 0 ? DEFAULT_DEADLINE : opts->deadline;
	c->max_retries = opts->max_retries ? opts->max_retries : DEFAULT_MAX_RETRIES;
	c->no_retries = opts->no_retries;
	c->max_body = opts->max_body ? opts->max_body : DEFAULT_MAX_BODY;
	c->backoff = opts->backoff;
	c->metrics = opts->metrics;
	c->metrics_userdata = opts->metrics_userdata;
	c->on_retry = opts->on_retry;
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
	if (opts->http) {
		c->http = opts->http;
	} else {
		struct kc_http_options ho = {.max_host_connections = opts->max_host_connections};
		rc = kc_http_new(loop, &ho, &c->http, err);
		if (rc < 0)
			goto fail;
		c->owns_http = true;
	}
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
	 * callback belongs to. */
	assert(c->in_done == 0);
	while (c->requests)
		request_free(c->requests);
	if (c->owns_http)
		kc_http_free(c->http);
	free(c->connect_to);
	free(c->url_base);
	free(c->user_agent);
	free(c);
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
