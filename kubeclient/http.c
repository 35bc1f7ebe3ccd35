#include "kubeclient/http.h"

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
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include "kubeclient/retry.h"
#include "slipway-version.h"

#define DEFAULT_TIMEOUT     30.0
#define DEFAULT_DEADLINE    60.0 /* the kube-apiserver's default --request-timeout */
#define DEFAULT_MAX_RETRIES 5
#define DEFAULT_MAX_CONNS   4
#define DEFAULT_MAX_BODY    (16u * 1024 * 1024)
#define CONNECT_TIMEOUT_MS  30000L
/* Dead-peer detection: keepalive probes after 30 s idle, every 10 s, and
 * TCP_USER_TIMEOUT closing a connection whose data (or probes) stay
 * unacknowledged for 40 s. */
#define KEEPIDLE_S      30L
#define KEEPINTVL_S     10L
#define USER_TIMEOUT_MS 40000u
#define METHOD_MAX      16
#define HEADER_LINE_MAX 8192
#define REDACTED        "***"

/* One per socket curl asks us to watch (evhiperfifo.c's SockInfo). */
struct sock_info {
	ev_io io;
	curl_socket_t fd;
	struct kc_http *h;
	struct sock_info *prev, *next;
};

struct kc_http {
	struct ev_loop *loop;
	CURLM *multi;
	ev_timer timer; /* curl's single timeout */
	struct sock_info *socks;
	struct kc_http_request *requests; /* every live request */
	char *user_agent;
	unsigned in_curl;    /* > 0 while curl may be calling back into us */
	unsigned in_done;    /* > 0 while an on_done callback runs */
	bool reap;           /* a request was cancelled while in_curl */
	uint64_t rand_state; /* jitter; quality does not matter */
};

enum phase {
	PHASE_BACKOFF, /* waiting out a retry delay (or not started) */
	PHASE_TOKEN,   /* holding a rate-limit reservation, waiting for its time */
	PHASE_AUTH,    /* parked: the credential hook is waiting for its credential */
	PHASE_ACTIVE,  /* in the multi handle */
	PHASE_DONE,    /* on_done running */
};

/* Credentials as copied from the options. */
struct auth_copy {
	char *bearer_token, *username, *password, *client_cert_pem, *client_key_pem;
};

struct kc_http_request {
	struct kc_http *h;
	struct kc_http_request *prev, *next;
	CURL *easy;
	enum phase phase;
	char *method, *url, *name, *peer, *ca_name, *body;
	size_t body_len;
	bool has_ca;
	struct curl_slist *fixed_headers; /* the caller's, plus "Expect:" */
	struct curl_slist *connect_to;
	char **secrets; /* scrubbed from every message */
	size_t n_secrets;
	struct auth_copy auth;
	kc_http_credential_fn *credential;
	double timeout, idle_timeout;
	double deadline;    /* seconds, <= 0: none */
	double deadline_at; /* ev_now when it passes */
	ev_timer overall;   /* fires at deadline_at */
	size_t max_body;
	bool idempotent;
	unsigned max_retries;
	bool no_retries;
	struct kc_backoff backoff;
	struct kc_ratelimit *rl;
	kc_http_data_fn *on_data;
	kc_http_attempt_fn *on_attempt;
	kc_http_retry_fn *on_retry;
	kc_http_done_fn *on_done;
	void *userdata;

	ev_timer wait; /* backoff and rate-limit waits */
	ev_timer idle; /* streaming: no byte for idle_timeout */
	bool cancelled;
	unsigned retries;
	bool reauthed; /* the one 401 retry is spent */
	bool stale;    /* the next credential call follows a 401 */
	bool waited;   /* this attempt waited for a token */
	bool retrying; /* this attempt is a retry */

	/* per attempt */
	struct curl_slist *headers;
	char *attempt_token, *attempt_password; /* from the credential hook, for scrubbing */
	char errbuf[CURL_ERROR_SIZE];
	char *resp;
	size_t resp_len, resp_cap;
	char retry_after[64];
	double server_delay; /* retry_after parsed, seconds; < 0: none or unreadable */
	long status;
	bool status_known;
	bool data_delivered;
	int abort_code; /* set by on_data, the idle timer or a body over the limit */
	double attempt_start;
};

static void attempt_done(struct kc_http_request *r, CURLcode res);
static void start_attempt(struct kc_http_request *r);

/* ---- redaction (pure) ---- */

/* The authority of url: [*start, *end) after "scheme://", up to /?#. False
 * when url has no "://". */
static bool authority(const char *url, size_t *start, size_t *end)
{
	const char *p = strstr(url, "://");
	if (!p)
		return false;
	*start = (size_t)(p - url) + 3;
	*end = *start + strcspn(url + *start, "/?#");
	return true;
}

/* The length of the user-info in the authority [start, end), 0 when none. */
static size_t userinfo_len(const char *url, size_t start, size_t end)
{
	size_t at = 0;
	for (size_t i = start; i < end; i++)
		if (url[i] == '@')
			at = i - start + 1;
	return at ? at - 1 : 0;
}

void kc_http_url_redact(const char *url, char *out, size_t cap)
{
	size_t start, end, ui = 0;

	if (cap == 0)
		return;
	if (authority(url, &start, &end))
		ui = userinfo_len(url, start, end);
	if (ui == 0) {
		snprintf(out, cap, "%s", url);
		return;
	}
	snprintf(out, cap, "%.*s" REDACTED "%s", (int)start, url, url + start + ui);
}

/* The longest secret that matches text at i, or 0. */
static size_t secret_at(const char *text, size_t i, const char *const *secrets, size_t n)
{
	size_t best = 0;
	for (size_t k = 0; k < n; k++) {
		size_t len = secrets[k] ? strlen(secrets[k]) : 0;
		if (len > best && strncmp(text + i, secrets[k], len) == 0)
			best = len;
	}
	return best;
}

void kc_http_scrub(char *text, size_t cap, const char *const *secrets, size_t n)
{
	if (cap == 0)
		return;
	char *out = malloc(cap);
	if (!out) {
		/* Cannot rewrite: saying nothing is the safe failure. */
		snprintf(text, cap, "%s", "(message withheld: out of memory)");
		return;
	}
	size_t len = strlen(text), o = 0;
	for (size_t i = 0; i < len && o + 1 < cap;) {
		size_t m = secret_at(text, i, secrets, n);
		if (m == 0) {
			out[o++] = text[i++];
			continue;
		}
		size_t w = strlen(REDACTED);
		if (w > cap - 1 - o)
			w = cap - 1 - o;
		memcpy(out + o, REDACTED, w);
		o += w;
		i += m;
	}
	out[o] = '\0';
	memcpy(text, out, o + 1);
	free(out);
}

static bool header_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

bool kc_http_header_value(const char *line, size_t n, const char *name, char *out, size_t cap)
{
	size_t name_len = strlen(name);
	if (n <= name_len || line[name_len] != ':' || strncasecmp(line, name, name_len) != 0)
		return false;
	size_t v = name_len + 1;
	while (v < n && header_blank(line[v]))
		v++;
	const char *nul = memchr(line + v, '\0', n - v);
	size_t end = nul ? (size_t)(nul - line) : n;
	while (end > v && header_blank(line[end - 1]))
		end--;
	size_t len = end - v;
	if (len >= cap)
		len = cap - 1;
	memcpy(out, line + v, len);
	out[len] = '\0';
	return true;
}

static void scrub(const struct kc_http_request *r, char *text, size_t cap)
{
	const char *extra[2] = {r->attempt_token, r->attempt_password};
	size_t n = r->n_secrets;
	const char **all = malloc((n + 2) * sizeof(*all));
	if (!all) {
		snprintf(text, cap, "%s", "(message withheld: out of memory)");
		return;
	}
	for (size_t i = 0; i < n; i++)
		all[i] = r->secrets[i];
	all[n] = extra[0];
	all[n + 1] = extra[1];
	kc_http_scrub(text, cap, all, n + 2);
	free(all);
}

static double rand01(struct kc_http *h)
{
	/* xorshift64: jitter only needs to differ between transports and retries. */
	uint64_t x = h->rand_state;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	h->rand_state = x;
	return (double)(x >> 11) / 9007199254740992.0;
}

/* ---- curl <-> libev glue, after curl's docs/examples/evhiperfifo.c ---- */

static void reap_cancelled(struct kc_http *h);

static void check_multi_info(struct kc_http *h)
{
	int left;

	for (;;) {
		CURLMsg *msg = curl_multi_info_read(h->multi, &left);
		if (!msg)
			break;
		if (msg->msg != CURLMSG_DONE)
			continue;
		CURL *easy = msg->easy_handle;
		CURLcode res = msg->data.result;
		struct kc_http_request *r = NULL;
		curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&r);
		/* Removing the handle also drops any message still queued for it,
		 * so a callback below that cancels another request is safe. */
		curl_multi_remove_handle(h->multi, easy);
		attempt_done(r, res);
	}
}

static void drive(struct kc_http *h, curl_socket_t fd, int action)
{
	int running = 0;

	h->in_curl++;
	curl_multi_socket_action(h->multi, fd, action, &running);
	h->in_curl--;
	reap_cancelled(h);
	check_multi_info(h);
}

static void timer_fired(struct ev_loop *loop, ev_timer *w, int revents)
{
	drive(w->data, CURL_SOCKET_TIMEOUT, 0);
}

/* CURLMOPT_TIMERFUNCTION: (re)arm the one timer. Never drives curl itself: a
 * 0 ms timeout fires on the next loop iteration. */
static int timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	struct kc_http *h = userp;

	ev_timer_stop(h->loop, &h->timer);
	if (timeout_ms >= 0) {
		ev_timer_set(&h->timer, (double)timeout_ms / 1000.0, 0.);
		ev_timer_start(h->loop, &h->timer);
	}
	return 0;
}

static void io_fired(struct ev_loop *loop, ev_io *w, int revents)
{
	struct sock_info *si = w->data;
	int action = ((revents & EV_READ) ? CURL_CSELECT_IN : 0) |
	             ((revents & EV_WRITE) ? CURL_CSELECT_OUT : 0);
	drive(si->h, si->fd, action);
}

static void sock_free(struct kc_http *h, struct sock_info *si)
{
	ev_io_stop(h->loop, &si->io);
	if (si->prev)
		si->prev->next = si->next;
	else
		h->socks = si->next;
	if (si->next)
		si->next->prev = si->prev;
	free(si);
}

/* CURLMOPT_SOCKETFUNCTION: one ev_io per socket, state kept per socket. */
static int socket_cb(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
	struct kc_http *h = userp;
	struct sock_info *si = socketp;

	if (what == CURL_POLL_REMOVE) {
		if (si) {
			curl_multi_assign(h->multi, s, NULL);
			sock_free(h, si);
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
		si->h = h;
		si->next = h->socks;
		if (h->socks)
			h->socks->prev = si;
		h->socks = si;
		ev_io_init(&si->io, io_fired, s, events);
		si->io.data = si;
		curl_multi_assign(h->multi, s, si);
	} else {
		ev_io_stop(h->loop, &si->io);
		ev_io_set(&si->io, s, events);
	}
	ev_io_start(h->loop, &si->io);
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

static void auth_free(struct auth_copy *a)
{
	free(a->bearer_token);
	free(a->username);
	free(a->password);
	free(a->client_cert_pem);
	free(a->client_key_pem);
	memset(a, 0, sizeof(*a));
}

static void clear_attempt_secrets(struct kc_http_request *r)
{
	free(r->attempt_token);
	free(r->attempt_password);
	r->attempt_token = NULL;
	r->attempt_password = NULL;
}

static void request_free(struct kc_http_request *r)
{
	struct kc_http *h = r->h;

	ev_timer_stop(h->loop, &r->wait);
	ev_timer_stop(h->loop, &r->idle);
	ev_timer_stop(h->loop, &r->overall);
	if (r->phase == PHASE_ACTIVE)
		curl_multi_remove_handle(h->multi, r->easy);
	if (r->phase == PHASE_TOKEN && r->rl)
		kc_ratelimit_cancel(r->rl, ev_now(h->loop));
	if (r->prev)
		r->prev->next = r->next;
	else if (h->requests == r)
		h->requests = r->next;
	if (r->next)
		r->next->prev = r->prev;
	curl_easy_cleanup(r->easy);
	curl_slist_free_all(r->headers);
	curl_slist_free_all(r->fixed_headers);
	curl_slist_free_all(r->connect_to);
	for (size_t i = 0; i < r->n_secrets; i++)
		free(r->secrets[i]);
	free(r->secrets);
	auth_free(&r->auth);
	clear_attempt_secrets(r);
	free(r->resp);
	free(r->body);
	free(r->method);
	free(r->url);
	free(r->name);
	free(r->peer);
	free(r->ca_name);
	free(r);
}

/* Requests cancelled from inside a curl callback leave the multi handle here,
 * once curl has returned. */
static void reap_cancelled(struct kc_http *h)
{
	if (!h->reap)
		return;
	h->reap = false;
	struct kc_http_request *r = h->requests;
	while (r) {
		struct kc_http_request *next = r->next;
		if (r->cancelled)
			request_free(r);
		r = next;
	}
}

static void finish(struct kc_http_request *r, const struct kc_http_response *resp,
                   const struct kc_error *err)
{
	struct kc_http *h = r->h;

	r->phase = PHASE_DONE;
	h->in_done++;
	r->on_done(resp, err, r->userdata);
	h->in_done--;
	request_free(r);
}

/* Completes r with a failure: "NAME: what", scrubbed. */
static void fail(struct kc_http_request *r, long status, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void fail(struct kc_http_request *r, long status, int code, const char *fmt, ...)
{
	struct kc_error err = {.code = code, .http_status = status};
	struct kc_http_response resp = {.status = status};
	char text[sizeof(err.message)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	kc_error_set(&err, code, "%s: %s", r->name, text);
	scrub(r, err.message, sizeof(err.message));
	finish(r, &resp, &err);
	kc_error_clear(&err);
}

static void wait_fired(struct ev_loop *loop, ev_timer *w, int revents);

static void take_token(struct kc_http_request *r)
{
	struct kc_http *h = r->h;
	double wait = r->rl ? kc_ratelimit_reserve(r->rl, ev_now(h->loop)) : 0;

	r->waited = wait > 0;
	/* Even with a token at hand the attempt starts from the loop, so no
	 * callback can run inside the call that started the request. */
	r->phase = PHASE_TOKEN;
	ev_timer_set(&r->wait, wait, 0.);
	ev_timer_start(h->loop, &r->wait);
}

static void schedule(struct kc_http_request *r, double delay)
{
	if (delay <= 0) {
		take_token(r);
		return;
	}
	r->phase = PHASE_BACKOFF;
	ev_timer_set(&r->wait, delay, 0.);
	ev_timer_start(r->h->loop, &r->wait);
}

static void wait_fired(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct kc_http_request *r = w->data;

	if (r->phase == PHASE_BACKOFF)
		take_token(r);
	else
		start_attempt(r);
}

static void idle_fired(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct kc_http_request *r = w->data;

	ev_timer_stop(loop, w);
	r->abort_code = -ETIMEDOUT;
	curl_multi_remove_handle(r->h->multi, r->easy);
	attempt_done(r, CURLE_OPERATION_TIMEDOUT);
}

static int report_attempt(struct kc_http_request *r, CURLcode res);

/* The deadline passed: whatever the request was doing (an attempt in
 * flight, a rate-limit or retry wait) ends now. Never called inside curl: a
 * timer fires from the loop. */
static void deadline_fired(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct kc_http_request *r = w->data;

	if (r->phase == PHASE_ACTIVE) {
		curl_multi_remove_handle(r->h->multi, r->easy);
		r->phase = PHASE_BACKOFF; /* out of the multi handle */
		r->abort_code = -ETIMEDOUT;
		report_attempt(r, CURLE_OPERATION_TIMEDOUT);
	}
	if (r->phase == PHASE_AUTH)
		fail(r, 0, -ETIMEDOUT, "no credential within the request's %g s deadline",
		     r->deadline);
	else
		fail(r, 0, -ETIMEDOUT, "no answer from %s within the request's %g s deadline",
		     r->peer, r->deadline);
}

/* ---- curl data callbacks (run inside curl: never touch the multi handle) ---- */

static size_t header_cb(char *buf, size_t size, size_t nitems, void *userdata)
{
	struct kc_http_request *r = userdata;
	size_t n = size * nitems;

	kc_http_header_value(buf, n, "retry-after", r->retry_after, sizeof(r->retry_after));
	return n;
}

static size_t buffer_body(struct kc_http_request *r, const char *ptr, size_t n)
{
	if (n > r->max_body - r->resp_len) {
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

static size_t write_cb(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct kc_http_request *r = userdata;
	size_t n = size * nmemb;

	if (r->cancelled)
		return n; /* reaped once curl returns */
	if (!r->status_known) {
		curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &r->status);
		r->status_known = true;
	}
	if (!r->on_data || r->status / 100 != 2)
		return buffer_body(r, ptr, n);
	if (r->idle_timeout > 0)
		ev_timer_again(r->h->loop, &r->idle);
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

/* ---- attempts ---- */

/* A copy of "Name: value" (curl's "Name;" for an empty value) appended to *list.
 * -EINVAL for a name or value that would split the header. */
static int add_header(struct curl_slist **list, const char *name, const char *value)
{
	char line[HEADER_LINE_MAX];
	if (!*name || strpbrk(name, ":\r\n \t") || strpbrk(value, "\r\n"))
		return -EINVAL;
	int n = *value ? snprintf(line, sizeof(line), "%s: %s", name, value)
	               : snprintf(line, sizeof(line), "%s;", name);
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

static int check_auth(const struct kc_http_auth *a)
{
	bool basic = a->username || a->password;
	if (basic && a->bearer_token)
		return -EINVAL;
	if (!a->client_cert_pem != !a->client_key_pem)
		return -EINVAL;
	return 0;
}

/* This attempt's headers (the fixed ones plus Authorization) and basic or
 * TLS client credentials. Returns 0 or a negative errno. */
static int apply_auth(struct kc_http_request *r, const struct kc_http_auth *a)
{
	CURL *e = r->easy;

	for (const struct curl_slist *l = r->fixed_headers; l; l = l->next) {
		struct curl_slist *n = curl_slist_append(r->headers, l->data);
		if (!n)
			return -ENOMEM;
		r->headers = n;
	}
	if (a->bearer_token && *a->bearer_token) {
		char value[HEADER_LINE_MAX];
		int n = snprintf(value, sizeof(value), "Bearer %s", a->bearer_token);
		if (n < 0 || (size_t)n >= sizeof(value))
			return -E2BIG;
		int rc = add_header(&r->headers, "Authorization", value);
		if (rc < 0)
			return rc;
	}
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, r->headers);
	if (a->username || a->password) {
		curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(e, CURLOPT_USERNAME, a->username ? a->username : "");
		curl_easy_setopt(e, CURLOPT_PASSWORD, a->password ? a->password : "");
	}
	set_blob(e, CURLOPT_SSLCERT_BLOB, a->client_cert_pem);
	set_blob(e, CURLOPT_SSLKEY_BLOB, a->client_key_pem);
	return 0;
}

/* The credential of this attempt: the hook's, or the fixed one. Fails the
 * request and returns a negative errno when there is none; parks it and
 * returns -EINPROGRESS when the hook says the credential is on its way. */
static int attempt_auth(struct kc_http_request *r)
{
	struct kc_http_auth a = {
	    .bearer_token = r->auth.bearer_token,
	    .username = r->auth.username,
	    .password = r->auth.password,
	    .client_cert_pem = r->auth.client_cert_pem,
	    .client_key_pem = r->auth.client_key_pem,
	};
	int rc;

	if (r->credential) {
		struct kc_error cerr = {0};
		memset(&a, 0, sizeof(a));
		rc = r->credential(r->stale, &a, &cerr, r->userdata);
		r->stale = false;
		if (rc == -EINPROGRESS) {
			/* No attempt until kc_http_resume(); the deadline runs on. */
			r->phase = PHASE_AUTH;
			kc_error_clear(&cerr);
			return rc;
		}
		if (rc < 0) {
			fail(r, 0, rc, "no credential: %s", cerr.message);
			kc_error_clear(&cerr);
			return rc;
		}
		if (check_auth(&a) < 0) {
			fail(r, 0, -EINVAL,
			     "the credential mixes bearer and basic auth, or "
			     "has a client certificate without its key");
			return -EINVAL;
		}
		r->attempt_token = a.bearer_token ? strdup(a.bearer_token) : NULL;
		r->attempt_password = a.password ? strdup(a.password) : NULL;
		if ((a.bearer_token && !r->attempt_token) || (a.password && !r->attempt_password)) {
			fail(r, 0, -ENOMEM, "out of memory");
			return -ENOMEM;
		}
	}
	rc = apply_auth(r, &a);
	if (rc < 0)
		fail(r, 0, rc, "cannot build request headers");
	return rc;
}

static void start_attempt(struct kc_http_request *r)
{
	struct kc_http *h = r->h;

	r->resp_len = 0;
	r->retry_after[0] = '\0';
	r->status = 0;
	r->status_known = false;
	r->abort_code = 0;
	r->errbuf[0] = '\0';
	curl_slist_free_all(r->headers);
	r->headers = NULL;
	clear_attempt_secrets(r);
	if (attempt_auth(r) < 0)
		return;

	r->phase = PHASE_ACTIVE;
	r->attempt_start = ev_time();
	CURLMcode mc = curl_multi_add_handle(h->multi, r->easy);
	if (mc != CURLM_OK) {
		r->phase = PHASE_BACKOFF; /* not in the multi handle */
		fail(r, 0, -EIO, "%s", curl_multi_strerror(mc));
		return;
	}
	if (r->on_data && r->idle_timeout > 0) {
		ev_timer_set(&r->idle, r->idle_timeout, r->idle_timeout);
		ev_timer_start(h->loop, &r->idle);
	}
}

/* What went wrong with an attempt that got no usable answer. */
static const char *attempt_error(const struct kc_http_request *r, CURLcode res)
{
	if (r->abort_code < 0)
		return strerror(-r->abort_code);
	return r->errbuf[0] ? r->errbuf : curl_easy_strerror(res);
}

/* One line naming the server and what went wrong on the wire. */
static void fail_transport(struct kc_http_request *r, CURLcode res, int code)
{
	const char *detail = attempt_error(r, res);

	if (r->abort_code == -ETIMEDOUT && r->on_data) {
		fail(r, r->status, code, "no data from %s for %g s", r->peer, r->idle_timeout);
	} else if (r->abort_code == -E2BIG) {
		fail(r, r->status, code, "response body over the %zu byte limit", r->max_body);
	} else if (r->abort_code < 0) {
		fail(r, r->status, code, "stream stopped: %s", strerror(-code));
	} else if (res == CURLE_PEER_FAILED_VERIFICATION) {
		fail(r, 0, code,
		     "TLS certificate verification failed for server %s (CA from %s): %s", r->peer,
		     r->has_ca ? r->ca_name : "the system store", detail);
	} else if (code == -EPROTO) {
		fail(r, 0, code, "TLS handshake with %s failed: %s", r->peer, detail);
	} else if (res == CURLE_COULDNT_CONNECT) {
		fail(r, 0, code, "cannot connect to %s: %s", r->peer, detail);
	} else if (res == CURLE_OPERATION_TIMEDOUT) {
		fail(r, r->status, code, "timed out talking to %s: %s", r->peer, detail);
	} else {
		fail(r, r->status, code, "%s: %s", r->peer, detail);
	}
}

/* Reports the attempt to on_attempt; returns its transport error (0 when an
 * answer arrived). */
static int report_attempt(struct kc_http_request *r, CURLcode res)
{
	long status = 0, conns = 0, version = 0;
	int terr = 0;

	curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
	if (status > 0)
		r->status = status;
	if (r->abort_code < 0)
		terr = r->abort_code;
	else if (res != CURLE_OK && r->status < 400)
		terr = kc_curl_errno(res);
	/* An error status whose body was cut short (HTTP/2 servers often reset
	 * the stream of a refused upload right after answering 401 or 429) is
	 * still that status: decide on it, not on the broken transfer. */
	if (r->on_attempt) {
		curl_easy_getinfo(r->easy, CURLINFO_NUM_CONNECTS, &conns);
		curl_easy_getinfo(r->easy, CURLINFO_HTTP_VERSION, &version);
		struct kc_http_attempt a = {
		    .status = r->status,
		    .error = terr,
		    .seconds = ev_time() - r->attempt_start,
		    .new_connections = conns > 0 ? conns : 0,
		    .http2 = version == CURL_HTTP_VERSION_2_0,
		    .retry = r->retrying,
		    .waited_for_token = r->waited,
		};
		r->on_attempt(&a, r->userdata);
	}
	return terr;
}

/* The server's Retry-After on this attempt's answer, in seconds; < 0 when
 * it sent none (or none that parses). */
static double server_delay(const struct kc_http_request *r)
{
	double after = 0;
	if (!r->retry_after[0] || kc_retry_after_parse(r->retry_after, time(NULL), &after) < 0)
		return -1;
	return after;
}

/* Whether an attempt after `delay` seconds would still start before the
 * deadline. One that would not is not worth waiting for: the caller is
 * better served by the answer now (with the server's delay in it) than by
 * a wait that ends in -ETIMEDOUT anyway. */
static bool before_deadline(const struct kc_http_request *r, double delay)
{
	return r->deadline <= 0 || ev_now(r->h->loop) + delay < r->deadline_at;
}

/* Schedules the next attempt when kc_retry_decide says so and the deadline
 * leaves room for it; true if it did. */
static bool maybe_retry(struct kc_http_request *r, CURLcode res, int terr)
{
	struct kc_retry_input in = {
	    .http_status = terr ? 0 : r->status,
	    .transport_error = terr,
	    .idempotent = r->idempotent,
	    .has_retry_after = r->server_delay >= 0,
	    .reauthed = r->reauthed || r->no_retries || !r->credential,
	    .data_delivered = r->data_delivered || r->abort_code < 0,
	    .retries = r->retries,
	    .max_retries = r->no_retries ? 0 : r->max_retries,
	};
	enum kc_retry_action action = kc_retry_decide(&in);
	if (action == KC_RETRY_NONE)
		return false;

	double delay = 0;
	if (action == KC_RETRY_AFTER)
		delay = r->server_delay;
	else if (action == KC_RETRY_BACKOFF)
		delay = kc_backoff_delay(&r->backoff, r->retries + 1, rand01(r->h));
	if (!before_deadline(r, delay))
		return false;
	if (action == KC_RETRY_REAUTH) {
		r->stale = true;
		r->reauthed = true;
	} else {
		r->retries++;
	}
	r->retrying = true;
	if (r->on_retry) {
		char text[CURL_ERROR_SIZE + 64];
		if (terr) {
			snprintf(text, sizeof(text), "%s", attempt_error(r, res));
			scrub(r, text, sizeof(text));
		}
		r->on_retry(in.http_status, terr ? text : NULL, delay, r->userdata);
	}
	schedule(r, delay);
	return true;
}

static void attempt_done(struct kc_http_request *r, CURLcode res)
{
	ev_timer_stop(r->h->loop, &r->idle);
	r->phase = PHASE_BACKOFF; /* out of the multi handle */
	if (r->cancelled) {
		request_free(r);
		return;
	}
	int terr = report_attempt(r, res);
	r->server_delay = server_delay(r);
	if (maybe_retry(r, res, terr))
		return;
	if (terr) {
		fail_transport(r, res, terr);
		return;
	}
	struct kc_http_response resp = {
	    .status = r->status,
	    .retry_after = r->server_delay > 0 ? r->server_delay : 0,
	};
	if (!r->on_data || r->status / 100 != 2) {
		resp.body = r->resp_len ? r->resp : NULL;
		resp.body_len = r->resp_len;
	}
	finish(r, &resp, NULL);
}

/* ---- setting a request up ---- */

/* *ret becomes a copy of s (the caller frees it), untouched when s is NULL. */
static int dup_opt(const char *s, char **ret)
{
	if (!s)
		return 0;
	*ret = strdup(s);
	return *ret ? 0 : -ENOMEM;
}

/* r keeps a copy of the len bytes at s, to scrub them from messages. */
static int add_secret(struct kc_http_request *r, const char *s, size_t len)
{
	if (len == 0)
		return 0;
	char **p = realloc(r->secrets, (r->n_secrets + 1) * sizeof(*p));
	if (!p)
		return -ENOMEM;
	r->secrets = p;
	p[r->n_secrets] = strndup(s, len);
	if (!p[r->n_secrets])
		return -ENOMEM;
	r->n_secrets++;
	return 0;
}

/* The user-info of url, and its user and password parts, are secrets. */
static int url_secrets(struct kc_http_request *r, const char *url)
{
	size_t start, end;
	if (!authority(url, &start, &end))
		return 0;
	size_t ui = userinfo_len(url, start, end);
	if (ui == 0)
		return 0;
	const char *info = url + start;
	const char *colon = memchr(info, ':', ui);
	size_t user = colon ? (size_t)(colon - info) : ui;
	int rc = add_secret(r, info, ui);
	if (rc == 0)
		rc = add_secret(r, info, user);
	if (rc == 0 && colon)
		rc = add_secret(r, colon + 1, ui - user - 1);
	return rc;
}

static bool is_secret_header(const struct kc_http_header *hd)
{
	return hd->secret || strcasecmp(hd->name, "Authorization") == 0 ||
	       strcasecmp(hd->name, "Proxy-Authorization") == 0 ||
	       strcasecmp(hd->name, "Cookie") == 0;
}

/* Copies every string of o into r. Returns 0, -ENOMEM or -EINVAL (a header
 * that would split the request). */
static int copy_options(struct kc_http_request *r, const struct kc_http_request_options *o)
{
	int rc = 0;

	if (o->body) {
		r->body = malloc(o->body_len + 1);
		if (!r->body)
			return -ENOMEM;
		memcpy(r->body, o->body, o->body_len);
		r->body[o->body_len] = '\0';
		r->body_len = o->body_len;
	}
	for (size_t i = 0; rc == 0 && i < o->n_headers; i++) {
		rc = add_header(&r->fixed_headers, o->headers[i].name, o->headers[i].value);
		if (rc == 0 && is_secret_header(&o->headers[i]))
			rc = add_secret(r, o->headers[i].value, strlen(o->headers[i].value));
	}
	/* No "Expect: 100-continue" round trip on HTTP/1.1 uploads ("Name:"
	 * with nothing after it removes a header curl would add). */
	if (rc == 0) {
		struct curl_slist *l = curl_slist_append(r->fixed_headers, "Expect:");
		rc = l ? 0 : -ENOMEM;
		if (l)
			r->fixed_headers = l;
	}
	if (rc == 0 && o->connect_to) {
		r->connect_to = curl_slist_append(NULL, o->connect_to);
		rc = r->connect_to ? 0 : -ENOMEM;
	}
	const struct kc_http_auth *a = &o->auth;
	if (rc == 0)
		rc = dup_opt(a->bearer_token, &r->auth.bearer_token);
	if (rc == 0)
		rc = dup_opt(a->username, &r->auth.username);
	if (rc == 0)
		rc = dup_opt(a->password, &r->auth.password);
	if (rc == 0)
		rc = dup_opt(a->client_cert_pem, &r->auth.client_cert_pem);
	if (rc == 0)
		rc = dup_opt(a->client_key_pem, &r->auth.client_key_pem);
	if (rc == 0 && a->bearer_token)
		rc = add_secret(r, a->bearer_token, strlen(a->bearer_token));
	if (rc == 0 && a->password)
		rc = add_secret(r, a->password, strlen(a->password));
	if (rc == 0)
		rc = url_secrets(r, r->url);
	if (rc == 0 && o->proxy)
		rc = url_secrets(r, o->proxy);
	return rc;
}

/* "METHOD URL" and scheme://host:port, without user-info, unless given. */
static int names(struct kc_http_request *r, const struct kc_http_request_options *o)
{
	char shown[2048];
	kc_http_url_redact(r->url, shown, sizeof(shown));
	if (o->name) {
		r->name = strdup(o->name);
	} else {
		size_t len = strlen(r->method) + 1 + strlen(shown) + 1;
		r->name = malloc(len);
		if (r->name)
			snprintf(r->name, len, "%s %s", r->method, shown);
	}
	if (o->peer) {
		r->peer = strdup(o->peer);
	} else {
		size_t start, end;
		if (authority(shown, &start, &end))
			shown[end] = '\0';
		r->peer = strdup(shown);
	}
	r->ca_name = strdup(o->tls.ca_name ? o->tls.ca_name : "the given CA");
	return r->name && r->peer && r->ca_name ? 0 : -ENOMEM;
}

static void set_method(struct kc_http_request *r)
{
	CURL *e = r->easy;

	if (strcmp(r->method, "GET") == 0) {
		curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
		return;
	}
	if (strcmp(r->method, "HEAD") == 0) {
		curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
		return;
	}
	if (strcmp(r->method, "POST") == 0 || r->body) {
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->body_len);
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, r->body ? r->body : "");
	}
	if (strcmp(r->method, "POST") != 0)
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, r->method);
}

/* Trust: the given CA only, or the system store; verification on unless
 * explicitly turned off. */
static void set_tls(struct kc_http_request *r, const struct kc_http_tls *t)
{
	CURL *e = r->easy;

	if (t->ca_pem || t->ca_file) {
		/* A blob replaces libcurl's built-in bundle but not its built-in
		 * directory, and a file is used beside that directory: clear the
		 * directory and name the file (or none) so the given CA is the
		 * only anchor (tests/unit/test-ca-trust.c). */
		curl_easy_setopt(e, CURLOPT_CAPATH, NULL);
		curl_easy_setopt(e, CURLOPT_CAINFO, t->ca_file);
#if LIBCURL_VERSION_NUM >= 0x075700
		/* Since 7.87 the multi handle caches a file's store by name for a
		 * day: a rotated file must count from the next connection on. */
		if (t->ca_file)
			curl_easy_setopt(e, CURLOPT_CA_CACHE_TIMEOUT, 0L);
#endif
		if (t->ca_pem)
			set_blob(e, CURLOPT_CAINFO_BLOB, t->ca_pem);
		r->has_ca = true;
	}
	long verify = t->insecure_skip_verify ? 0L : 1L;
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, verify);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, verify ? 2L : 0L);
	curl_easy_setopt(e, CURLOPT_SSLCERTTYPE, "PEM");
	curl_easy_setopt(e, CURLOPT_SSLKEYTYPE, "PEM");
}

static void set_transfer(struct kc_http_request *r, const struct kc_http_request_options *o)
{
	CURL *e = r->easy;

	curl_easy_setopt(e, CURLOPT_PRIVATE, r);
	curl_easy_setopt(e, CURLOPT_URL, r->url);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, r->errbuf);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, header_cb);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(e, CURLOPT_USERAGENT, o->user_agent ? o->user_agent : r->h->user_agent);
	curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPIDLE, KEEPIDLE_S);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPINTVL, KEEPINTVL_S);
	curl_easy_setopt(e, CURLOPT_SOCKOPTFUNCTION, sockopt_cb);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, CONNECT_TIMEOUT_MS);
	if (!r->on_data && r->timeout > 0)
		curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)(r->timeout * 1000));
	/* Buffered answers may come compressed; streams are read as they come. */
	if (!r->on_data)
		curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
	if (r->connect_to)
		curl_easy_setopt(e, CURLOPT_CONNECT_TO, r->connect_to);
	if (o->proxy)
		curl_easy_setopt(e, CURLOPT_PROXY, o->proxy);
	set_tls(r, &o->tls);
	set_method(r);
}

/* Options that cannot work; "" when they can. */
static const char *bad_options(const struct kc_http_request_options *o)
{
	size_t mlen = o->method ? strlen(o->method) : 0;
	if (mlen == 0 || mlen > METHOD_MAX ||
	    strspn(o->method, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != mlen)
		return "the method must be upper-case letters";
	if (!o->on_done)
		return "on_done is required";
	if (!o->url || (strncmp(o->url, "https://", 8) != 0 && strncmp(o->url, "http://", 7) != 0))
		return "the URL must start with http:// or https://";
	if (strpbrk(o->url, " \t\r\n"))
		return "the URL has white space in it";
	if (o->body && (strcmp(o->method, "GET") == 0 || strcmp(o->method, "HEAD") == 0))
		return "a GET or HEAD has no body";
	if (o->tls.ca_pem && o->tls.ca_file)
		return "ca_pem and ca_file both given";
	if (check_auth(&o->auth) < 0)
		return "auth mixes bearer and basic, or has a client certificate without its key";
	return "";
}

static void init_request(struct kc_http_request *r, struct kc_http *h,
                         const struct kc_http_request_options *o)
{
	const struct kc_http_retry_options *ro = &o->retry;

	r->h = h;
	r->phase = PHASE_BACKOFF;
	r->credential = o->credential;
	r->timeout = o->timeout == 0 ? DEFAULT_TIMEOUT : o->timeout;
	r->deadline = o->on_data ? 0 : o->deadline == 0 ? DEFAULT_DEADLINE : o->deadline;
	r->idle_timeout = o->idle_timeout;
	r->max_body = o->max_body ? o->max_body : DEFAULT_MAX_BODY;
	r->idempotent =
	    o->idempotent || strcmp(o->method, "GET") == 0 || strcmp(o->method, "HEAD") == 0;
	r->max_retries = ro->max_retries ? ro->max_retries : DEFAULT_MAX_RETRIES;
	r->no_retries = ro->none;
	r->backoff = ro->backoff;
	if (r->backoff.initial <= 0)
		r->backoff =
		    (struct kc_backoff){.initial = 0.5, .max = 30, .factor = 2, .jitter = 0.5};
	r->rl = o->ratelimit;
	r->on_data = o->on_data;
	r->on_attempt = o->on_attempt;
	r->on_retry = o->on_retry;
	r->on_done = o->on_done;
	r->userdata = o->userdata;
	ev_init(&r->wait, wait_fired);
	r->wait.data = r;
	ev_init(&r->idle, idle_fired);
	r->idle.data = r;
	ev_init(&r->overall, deadline_fired);
	r->overall.data = r;
}

/* ---- public API ---- */

int kc_http_start(struct kc_http *h, const struct kc_http_request_options *o,
                  struct kc_http_request **ret, struct kc_error *err)
{
	char shown[1024];
	const char *why = bad_options(o);

	kc_http_url_redact(o->url ? o->url : "(no URL)", shown, sizeof(shown));
	if (*why)
		return kc_error_set(err, -EINVAL, "%s %s: %s",
		                    o->method ? o->method : "(no method)", shown, why);
	struct kc_http_request *r = calloc(1, sizeof(*r));
	if (!r)
		return kc_error_set(err, -ENOMEM, "%s %s: out of memory", o->method, shown);
	init_request(r, h, o);
	r->method = strdup(o->method);
	r->url = strdup(o->url);
	r->easy = curl_easy_init();
	int rc = r->method && r->url && r->easy ? 0 : -ENOMEM;
	if (rc == 0)
		rc = copy_options(r, o);
	if (rc == 0)
		rc = names(r, o);
	if (rc < 0) {
		request_free(r);
		return kc_error_set(err, rc, "%s %s: %s", o->method, shown,
		                    rc == -ENOMEM
		                        ? "out of memory"
		                        : "a header name or value would split the request");
	}
	set_transfer(r, o);

	r->next = h->requests;
	if (h->requests)
		h->requests->prev = r;
	h->requests = r;
	if (r->deadline > 0) {
		r->deadline_at = ev_now(h->loop) + r->deadline;
		ev_timer_set(&r->overall, r->deadline, 0.);
		ev_timer_start(h->loop, &r->overall);
	}
	schedule(r, 0);
	if (ret)
		*ret = r;
	return 0;
}

void kc_http_resume(struct kc_http_request *r)
{
	if (!r || r->phase != PHASE_AUTH || r->cancelled)
		return;
	/* From the loop, never inside this call; the rate-limit token of the
	 * parked attempt was spent already. */
	ev_timer_set(&r->wait, 0., 0.);
	ev_timer_start(r->h->loop, &r->wait);
}

struct kc_http_request *kc_http_cancel(struct kc_http_request *r)
{
	if (!r || r->phase == PHASE_DONE || r->cancelled)
		return NULL;
	struct kc_http *h = r->h;
	if (r->phase == PHASE_ACTIVE && h->in_curl > 0) {
		/* curl is on the stack: the handle leaves the multi once it returns. */
		r->cancelled = true;
		ev_timer_stop(h->loop, &r->idle);
		h->reap = true;
		return NULL;
	}
	request_free(r);
	return NULL;
}

int kc_http_new(struct ev_loop *loop, const struct kc_http_options *opts, struct kc_http **ret,
                struct kc_error *err)
{
	static const struct kc_http_options defaults = {0};
	struct kc_http *h;

	if (!opts)
		opts = &defaults;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return kc_error_set(err, -EIO, "libcurl initialisation failed");
	h = calloc(1, sizeof(*h));
	if (!h) {
		curl_global_cleanup();
		return kc_error_set(err, -ENOMEM, "out of memory");
	}
	h->loop = loop;
	h->rand_state =
	    (uint64_t)time(NULL) ^ ((uint64_t)(uintptr_t)h << 16) ^ 0x9e3779b97f4a7c15ull;
	h->user_agent = strdup(opts->user_agent ? opts->user_agent : "slipway/" SLIPWAY_VERSION);
	h->multi = curl_multi_init();
	if (!h->user_agent || !h->multi) {
		kc_http_free(h);
		return kc_error_set(err, -ENOMEM, "out of memory");
	}
	ev_init(&h->timer, timer_fired);
	h->timer.data = h;
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h);
	curl_multi_setopt(h->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
	curl_multi_setopt(h->multi, CURLMOPT_MAX_HOST_CONNECTIONS,
	                  opts->max_host_connections > 0 ? opts->max_host_connections
	                                                 : (long)DEFAULT_MAX_CONNS);
	*ret = h;
	return 0;
}

struct kc_http *kc_http_free(struct kc_http *h)
{
	if (!h)
		return NULL;
	/* Freeing the transport under a callback would free the request the
	 * callback belongs to, and the curl state on the stack. */
	assert(h->in_curl == 0 && h->in_done == 0);
	while (h->requests)
		request_free(h->requests);
	if (h->multi)
		curl_multi_cleanup(h->multi);
	while (h->socks)
		sock_free(h, h->socks);
	ev_timer_stop(h->loop, &h->timer);
	free(h->user_agent);
	free(h);
	curl_global_cleanup();
	return NULL;
}

struct ev_loop *kc_http_loop(const struct kc_http *h)
{
	return h->loop;
}
