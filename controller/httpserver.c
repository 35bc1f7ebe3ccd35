#include "controller/httpserver.h"

#include <errno.h>
#include <ev.h>
#include <linux/sockios.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "controller/metrics.h"

/* How long a finished connection may keep sending before we close anyway,
 * and how much of it we are willing to read and drop. */
#define LINGER_SECONDS 2.0
#define LINGER_BYTES   (64 * 1024)
/* Connections accepted per loop turn, so a flood cannot starve the loop. */
#define ACCEPT_BATCH 16
/* Wait before accepting again after running out of descriptors. */
#define ACCEPT_RETRY_SECONDS 0.5

enum conn_state {
	READING,
	WRITING,
	LINGERING,
};

struct conn {
	struct ctl_httpserver *srv;
	struct conn *prev;
	struct conn *next;
	int fd;
	enum conn_state state;
	bool probes_only; /* accepted into a probe slot (see httpserver.h) */
	ev_io io;
	ev_timer timer;
	char *out; /* the whole response, head and body */
	size_t out_len;
	size_t out_off;
	size_t discarded;
	size_t delivered; /* at the last timer expiry, see conn_timer_cb */
	size_t in_len;
	char in[CTL_HTTP_REQUEST_MAX];
};

struct ctl_httpserver {
	struct ev_loop *loop;
	int fd;
	uint16_t port;
	ev_io accept_io;
	ev_timer accept_retry;
	struct ctl_metrics *metrics;
	ctl_http_ready_fn ready;
	void *ready_userdata;
	double timeout;
	size_t max_connections;
	size_t nconns;
	struct conn *conns;
};

/* ---- parsing ---- */

int ctl_http_parse_address(const char *address, char *host, size_t host_size, uint16_t *ret_port)
{
	if (!address)
		return -EINVAL;
	const char *h = address;
	size_t hlen = 0;
	const char *colon = NULL;
	if (address[0] == '[') {
		const char *close = strchr(address, ']');
		if (!close || close[1] != ':')
			return -EINVAL;
		h = address + 1;
		hlen = (size_t)(close - h);
		if (hlen == 0)
			return -EINVAL;
		colon = close + 1;
	} else {
		colon = strrchr(address, ':');
		if (!colon)
			return -EINVAL;
		hlen = (size_t)(colon - address);
		/* An IPv6 literal needs brackets, or its last group would
		 * read as the port. */
		if (memchr(address, ':', hlen))
			return -EINVAL;
	}
	if (hlen > CTL_HTTP_HOST_MAX || hlen >= host_size)
		return -EINVAL;
	const char *p = colon + 1;
	size_t digits = strlen(p);
	if (digits == 0 || digits > 5)
		return -EINVAL;
	unsigned long port = 0;
	for (size_t i = 0; i < digits; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -EINVAL;
		port = port * 10 + (unsigned long)(p[i] - '0');
	}
	if (port > 65535)
		return -EINVAL;
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	*ret_port = (uint16_t)port;
	return 0;
}

static bool is_tchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* Expects the literal lit at buf[*i]; -EAGAIN when buf ends first. */
static int expect(const char *buf, size_t len, size_t *i, const char *lit)
{
	for (; *lit; lit++, (*i)++) {
		if (*i == len)
			return -EAGAIN;
		if (buf[*i] != *lit)
			return -EBADMSG;
	}
	return 0;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* The line ending at buf[*i]: "\r\n" or "\n". */
static int expect_eol(const char *buf, size_t len, size_t *i)
{
	if (*i < len && buf[*i] == '\r')
		(*i)++;
	return expect(buf, len, i, "\n");
}

/* One header field line from buf[*i]; on 0, *i is past its end. */
static int scan_field(const char *buf, size_t len, size_t *i)
{
	size_t start = *i;
	while (*i < len && is_tchar((unsigned char)buf[*i]))
		(*i)++;
	if (*i == len)
		return -EAGAIN;
	/* An empty name or a continuation line (obsolete folding). */
	if (*i == start || buf[*i] != ':')
		return -EBADMSG;
	(*i)++;
	for (; *i < len; (*i)++) {
		unsigned char c = (unsigned char)buf[*i];
		if (c == '\r' || c == '\n')
			return expect_eol(buf, len, i);
		/* Field values: visible ASCII, SP, HTAB and obs-text. */
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return -EBADMSG;
	}
	return -EAGAIN;
}

int ctl_http_parse_request(const char *buf, size_t len, struct ctl_http_request *ret)
{
	struct ctl_http_request req = {0};
	size_t i = 0;
	int r;

	/* method SP */
	while (i < len && is_tchar((unsigned char)buf[i]) && i < sizeof(req.method))
		i++;
	if (i == len && i < sizeof(req.method))
		return -EAGAIN;
	if (i == 0 || i >= sizeof(req.method) || buf[i] != ' ')
		return -EBADMSG;
	memcpy(req.method, buf, i);
	i++;

	/* request-target SP: origin-form only ("/path?query"). */
	size_t t0 = i;
	size_t path_len = 0;
	bool in_query = false;
	for (; i < len && buf[i] != ' '; i++) {
		unsigned char c = (unsigned char)buf[i];
		if (c <= 0x20 || c >= 0x7f || (i == t0 && c != '/'))
			return -EBADMSG;
		if (i - t0 >= CTL_HTTP_PATH_MAX)
			return -E2BIG;
		if (c == '?')
			in_query = true;
		if (!in_query)
			req.path[path_len++] = (char)c;
	}
	if (i == len)
		return -EAGAIN;
	if (i == t0)
		return -EBADMSG;
	i++;

	/* HTTP-version CRLF */
	r = expect(buf, len, &i, "HTTP/");
	if (r < 0)
		return r;
	if (i + 3 > len)
		return (i < len && !is_digit(buf[i])) ? -EBADMSG : -EAGAIN;
	if (!is_digit(buf[i]) || buf[i + 1] != '.' || !is_digit(buf[i + 2]))
		return -EBADMSG;
	int major = buf[i] - '0';
	req.minor_version = buf[i + 2] - '0';
	i += 3;
	r = expect_eol(buf, len, &i);
	if (r < 0)
		return r;
	/* A whole, well-formed line with a version we do not speak. */
	if (major != 1)
		return -EPROTONOSUPPORT;

	/* *(field-line CRLF) CRLF */
	for (;;) {
		if (i == len)
			return -EAGAIN;
		if (buf[i] == '\r' || buf[i] == '\n') {
			r = expect_eol(buf, len, &i);
			if (r < 0)
				return r;
			break;
		}
		r = scan_field(buf, len, &i);
		if (r < 0)
			return r;
	}
	*ret = req;
	return 0;
}

/* ---- connections ---- */

static bool slot_free(const struct ctl_httpserver *s)
{
	return s->nconns < s->max_connections + CTL_HTTP_PROBE_SLOTS;
}

static void conn_close(struct conn *c)
{
	struct ctl_httpserver *s = c->srv;
	ev_io_stop(s->loop, &c->io);
	ev_timer_stop(s->loop, &c->timer);
	close(c->fd);
	if (c->prev)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	s->nconns--;
	free(c->out);
	free(c);
	/* A slot is free: accept again unless we are backing off after
	 * running out of descriptors. */
	if (!ev_is_active(&s->accept_io) && !ev_is_active(&s->accept_retry))
		ev_io_start(s->loop, &s->accept_io);
}

static const char *status_text(int code)
{
	switch (code) {
	case 200:
		return "OK";
	case 400:
		return "Bad Request";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 431:
		return "Request Header Fields Too Large";
	case 500:
		return "Internal Server Error";
	case 503:
		return "Service Unavailable";
	case 505:
		return "HTTP Version Not Supported";
	default:
		return "Unknown";
	}
}

/* Builds the response into c->out. The body is borrowed. 0 or -ENOMEM. */
static int set_response(struct conn *c, int code, const char *content_type, const char *body,
                        size_t body_len, bool with_body)
{
	char head[512];
	int n = snprintf(head, sizeof(head),
	                 "HTTP/1.1 %d %s\r\n"
	                 "Content-Type: %s\r\n"
	                 "Content-Length: %zu\r\n"
	                 "%s"
	                 "Cache-Control: no-store\r\n"
	                 "Connection: close\r\n"
	                 "\r\n",
	                 code, status_text(code), content_type, body_len,
	                 code == 405 ? "Allow: GET, HEAD\r\n" : "");
	if (n < 0 || (size_t)n >= sizeof(head))
		return -EINVAL;
	size_t total = (size_t)n + (with_body ? body_len : 0);
	char *out = malloc(total);
	if (!out)
		return -ENOMEM;
	memcpy(out, head, (size_t)n);
	if (with_body)
		memcpy(out + n, body, body_len);
	free(c->out);
	c->out = out;
	c->out_len = total;
	c->out_off = 0;
	return 0;
}

static int set_text(struct conn *c, int code, const char *text, bool with_body)
{
	return set_response(c, code, "text/plain; charset=utf-8", text, strlen(text), with_body);
}

/* Decides the response to a complete request. */
static int route(struct conn *c, const struct ctl_http_request *req)
{
	struct ctl_httpserver *s = c->srv;
	bool head = strcmp(req->method, "HEAD") == 0;
	bool probe = strcmp(req->path, "/healthz") == 0 || strcmp(req->path, "/readyz") == 0;
	if (c->probes_only && !probe)
		return set_text(c, 503, "busy: every connection slot is in use\n", !head);
	bool known = probe || (strcmp(req->path, "/metrics") == 0 && s->metrics);
	if (!known)
		return set_text(c, 404, "not found\n", !head);
	if (!head && strcmp(req->method, "GET") != 0)
		return set_text(c, 405, "method not allowed\n", true);
	if (strcmp(req->path, "/healthz") == 0)
		return set_text(c, 200, "ok\n", !head);
	if (strcmp(req->path, "/readyz") == 0) {
		char reason[CTL_HTTP_REASON_MAX] = "";
		if (!s->ready || s->ready(s->ready_userdata, reason, sizeof(reason)))
			return set_text(c, 200, "ok\n", !head);
		char body[CTL_HTTP_REASON_MAX + 32];
		reason[sizeof(reason) - 1] = '\0';
		/* The reason goes into a text body; keep it one line. */
		for (char *p = reason; *p; p++) {
			if (*p == '\n' || *p == '\r')
				*p = ' ';
		}
		snprintf(body, sizeof(body), "not ready: %s\n", reason[0] ? reason : "unknown");
		return set_text(c, 503, body, !head);
	}
	char *text = NULL;
	size_t len = 0;
	int r = ctl_metrics_render(s->metrics, &text, &len);
	if (r < 0)
		return set_text(c, 500, "cannot render metrics\n", !head);
	r = set_response(c, 200, CTL_METRICS_CONTENT_TYPE, text, len, !head);
	free(text);
	return r;
}

static void start_lingering(struct conn *c)
{
	struct ctl_httpserver *s = c->srv;
	shutdown(c->fd, SHUT_WR);
	c->state = LINGERING;
	ev_io_stop(s->loop, &c->io);
	ev_io_set(&c->io, c->fd, EV_READ);
	ev_io_start(s->loop, &c->io);
	ev_timer_stop(s->loop, &c->timer);
	ev_timer_set(&c->timer, LINGER_SECONDS < s->timeout ? LINGER_SECONDS : s->timeout, 0);
	ev_timer_start(s->loop, &c->timer);
}

/* Writes what the socket takes; returns false when c was closed. */
static bool conn_write(struct conn *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return true;
			/* EPIPE, ECONNRESET: the client went away. */
			conn_close(c);
			return false;
		}
		c->out_off += (size_t)n;
	}
	start_lingering(c);
	return true;
}

static void begin_response(struct conn *c, int code_on_error, const struct ctl_http_request *req)
{
	struct ctl_httpserver *s = c->srv;
	int r;
	if (req)
		r = route(c, req);
	else if (code_on_error == 505)
		r = set_text(c, 505, "HTTP version not supported\n", true);
	else if (code_on_error == 431)
		r = set_text(c, 431, "request too large\n", true);
	else
		r = set_text(c, 400, "bad request\n", true);
	if (r < 0) {
		conn_close(c);
		return;
	}
	c->state = WRITING;
	/* The write deadline starts now, not at accept: rendering a large
	 * registry is our time, not the client's. */
	ev_timer_again(s->loop, &c->timer);
	ev_io_stop(s->loop, &c->io);
	ev_io_set(&c->io, c->fd, EV_WRITE);
	ev_io_start(s->loop, &c->io);
	conn_write(c);
}

static void conn_read(struct conn *c)
{
	for (;;) {
		if (c->state == LINGERING) {
			char sink[4096];
			ssize_t n = recv(c->fd, sink, sizeof(sink), 0);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
				return;
			if (n > 0)
				c->discarded += (size_t)n;
			if (n <= 0 || c->discarded > LINGER_BYTES) {
				conn_close(c);
				return;
			}
			continue;
		}
		if (c->in_len == sizeof(c->in)) {
			begin_response(c, 431, NULL);
			return;
		}
		ssize_t n = recv(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			conn_close(c);
			return;
		}
		if (n == 0) {
			/* Gone before a whole request: nobody to answer. */
			conn_close(c);
			return;
		}
		c->in_len += (size_t)n;
		struct ctl_http_request req;
		int r = ctl_http_parse_request(c->in, c->in_len, &req);
		if (r == -EAGAIN)
			continue;
		if (r == 0)
			begin_response(c, 0, &req);
		else if (r == -EPROTONOSUPPORT)
			begin_response(c, 505, NULL);
		else if (r == -E2BIG)
			begin_response(c, 431, NULL);
		else
			begin_response(c, 400, NULL);
		return;
	}
}

static void conn_io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct conn *c = w->data;
	if (c->state == WRITING)
		conn_write(c);
	else
		conn_read(c);
}

/* Bytes of the response the client has taken: written by us, minus what
 * still sits in the kernel's send queue (unsent or unacknowledged). */
static size_t delivered(const struct conn *c)
{
	int queued = 0;
	if (ioctl(c->fd, SIOCOUTQ, &queued) < 0 || queued < 0)
		queued = 0;
	return (size_t)queued < c->out_off ? c->out_off - (size_t)queued : 0;
}

static void conn_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct conn *c = w->data;
	/* While writing, the deadline is per timeout of no progress. Progress
	 * is what the client took, not what we wrote: the kernel only wakes a
	 * writer when much of a (possibly megabytes large) send buffer is
	 * free, so a slow but steady reader can go a while without us
	 * writing anything. The timer repeats; each expiry checks. */
	if (c->state == WRITING) {
		size_t d = delivered(c);
		if (d > c->delivered) {
			c->delivered = d;
			return;
		}
	}
	conn_close(c);
}

static void accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct ctl_httpserver *s = w->data;
	for (int i = 0; i < ACCEPT_BATCH; i++) {
		if (!slot_free(s)) {
			/* Let the backlog hold the rest until a slot frees. */
			ev_io_stop(loop, &s->accept_io);
			return;
		}
		int fd = accept4(s->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM) {
				/* Level-triggered: retrying now would spin. */
				ev_io_stop(loop, &s->accept_io);
				ev_timer_start(loop, &s->accept_retry);
			}
			return;
		}
		struct conn *c = calloc(1, sizeof(*c));
		if (!c) {
			close(fd);
			return;
		}
		c->srv = s;
		c->fd = fd;
		c->state = READING;
		c->probes_only = s->nconns >= s->max_connections;
		ev_io_init(&c->io, conn_io_cb, fd, EV_READ);
		c->io.data = c;
		ev_timer_init(&c->timer, conn_timer_cb, s->timeout, s->timeout);
		c->timer.data = c;
		c->next = s->conns;
		if (s->conns)
			s->conns->prev = c;
		s->conns = c;
		s->nconns++;
		ev_io_start(loop, &c->io);
		ev_timer_start(loop, &c->timer);
	}
}

static void accept_retry_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct ctl_httpserver *s = w->data;
	if (slot_free(s))
		ev_io_start(loop, &s->accept_io);
}

/* ---- listening ---- */

static int listen_on(const char *host, uint16_t port, int *ret_fd)
{
	char service[8];
	snprintf(service, sizeof(service), "%u", (unsigned)port);
	struct addrinfo hints = {
	    .ai_family = AF_UNSPEC,
	    .ai_socktype = SOCK_STREAM,
	    .ai_flags = AI_PASSIVE | AI_NUMERICSERV,
	};
	bool wildcard = host[0] == '\0';
	struct addrinfo *res = NULL;
	int g = getaddrinfo(wildcard ? NULL : host, service, &hints, &res);
	if (g == EAI_MEMORY)
		return -ENOMEM;
	if (g != 0)
		return -EADDRNOTAVAIL;
	int err = -EADDRNOTAVAIL;
	int fd = -1;
	/* For ":port" try IPv6 first: one dual-stack socket serves both
	 * families, as Go's ":8080" does; IPv4 alone if IPv6 is missing. */
	for (int pass = 0; pass < 2 && fd < 0; pass++) {
		for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
			if (wildcard && (pass == 0) != (ai->ai_family == AF_INET6))
				continue;
			if (!wildcard && pass == 1)
				break;
			int s =
			    socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
			           ai->ai_protocol);
			if (s < 0) {
				err = -errno;
				continue;
			}
			int one = 1, zero = 0;
			(void)setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
			if (wildcard && ai->ai_family == AF_INET6)
				(void)setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
			if (bind(s, ai->ai_addr, ai->ai_addrlen) < 0 || listen(s, 128) < 0) {
				err = -errno;
				close(s);
				continue;
			}
			fd = s;
		}
	}
	freeaddrinfo(res);
	if (fd < 0)
		return err;
	*ret_fd = fd;
	return 0;
}

static int bound_port(int fd, uint16_t *ret)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return -errno;
	if (ss.ss_family == AF_INET6)
		*ret = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	else if (ss.ss_family == AF_INET)
		*ret = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	else
		return -EAFNOSUPPORT;
	return 0;
}

int ctl_httpserver_start(struct ev_loop *loop, const struct ctl_httpserver_config *cfg,
                         struct ctl_httpserver **ret)
{
	char host[CTL_HTTP_HOST_MAX + 1];
	uint16_t port = 0;
	if (!loop || !cfg)
		return -EINVAL;
	int r = ctl_http_parse_address(cfg->address, host, sizeof(host), &port);
	if (r < 0)
		return r;
	struct ctl_httpserver *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->loop = loop;
	s->metrics = cfg->metrics;
	s->ready = cfg->ready;
	s->ready_userdata = cfg->ready_userdata;
	s->timeout = cfg->timeout > 0 ? cfg->timeout : CTL_HTTP_TIMEOUT_DEFAULT;
	s->max_connections =
	    cfg->max_connections ? cfg->max_connections : CTL_HTTP_CONNECTIONS_DEFAULT;
	r = listen_on(host, port, &s->fd);
	if (r < 0) {
		free(s);
		return r;
	}
	r = bound_port(s->fd, &s->port);
	if (r < 0) {
		close(s->fd);
		free(s);
		return r;
	}
	ev_io_init(&s->accept_io, accept_cb, s->fd, EV_READ);
	s->accept_io.data = s;
	ev_timer_init(&s->accept_retry, accept_retry_cb, ACCEPT_RETRY_SECONDS, 0);
	s->accept_retry.data = s;
	ev_io_start(loop, &s->accept_io);
	*ret = s;
	return 0;
}

uint16_t ctl_httpserver_port(const struct ctl_httpserver *s)
{
	return s->port;
}

size_t ctl_httpserver_connections(const struct ctl_httpserver *s)
{
	return s->nconns;
}

struct ctl_httpserver *ctl_httpserver_free(struct ctl_httpserver *s)
{
	if (!s)
		return NULL;
	ev_io_stop(s->loop, &s->accept_io);
	ev_timer_stop(s->loop, &s->accept_retry);
	/* conn_close() would restart the listener; it is closed first. */
	close(s->fd);
	while (s->conns) {
		struct conn *c = s->conns;
		s->conns = c->next;
		ev_io_stop(s->loop, &c->io);
		ev_timer_stop(s->loop, &c->timer);
		close(c->fd);
		free(c->out);
		free(c);
	}
	free(s);
	return NULL;
}
