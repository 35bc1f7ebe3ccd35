/* The scripted loopback HTTP/1.1 server; scripted-server.h says how to use it. */
#include "scripted-server.h"

#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "tap.h"

/* One ss_response() string; they live in a list until ss_free. */
struct owned {
	struct owned *next;
	char text[];
};

struct ss_server {
	int fd;
	int port;
	pthread_t thread;
	const struct ss_action *script; /* the caller's, while a script runs */
	int n_actions;
	pthread_mutex_t lock; /* guards seen and reqs against the server thread */
	int seen;
	int tls_failures;
	struct ss_request reqs[SS_MAX_REQUESTS];
	struct owned *responses; /* the test thread's only */
	SSL_CTX *tls;            /* NULL: plain HTTP */
};

/* One accepted connection, plain or TLS. */
struct conn {
	int fd;
	SSL *ssl;
};

static ssize_t conn_read(struct conn *c, char *buf, size_t n)
{
	if (!c->ssl)
		return read(c->fd, buf, n);
	int r = SSL_read(c->ssl, buf, n > INT_MAX ? INT_MAX : (int)n);
	return r > 0 ? r : -1;
}

static const struct ss_request empty_request;

/* Copies the value of header `name` ("\r\nName:") of `req` into out, or "". */
static void header_value(const char *req, const char *name, char *out, size_t cap)
{
	out[0] = '\0';
	const char *p = strcasestr(req, name);
	if (!p)
		return;
	p += strlen(name);
	while (*p == ' ')
		p++;
	size_t n = strcspn(p, "\r\n");
	if (n >= cap)
		n = cap - 1;
	memcpy(out, p, n);
	out[n] = '\0';
}

/* Reads one request (headers and a Content-Length body) and records it. */
static void read_request(struct ss_server *s, struct conn *c)
{
	char buf[SS_MAX_REQUEST_BYTES];
	size_t len = 0;
	char *end = NULL;

	buf[0] = '\0';
	while (len < sizeof(buf) - 1) {
		ssize_t n = conn_read(c, buf + len, sizeof(buf) - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
		buf[len] = '\0';
		end = strstr(buf, "\r\n\r\n");
		if (end) {
			char cl[32];
			header_value(buf, "\r\nContent-Length:", cl, sizeof(cl));
			size_t want = (size_t)(end + 4 - buf) + strtoul(cl, NULL, 10);
			if (len >= want)
				break;
		}
	}
	pthread_mutex_lock(&s->lock);
	if (s->seen < SS_MAX_REQUESTS) {
		struct ss_request *r = &s->reqs[s->seen];
		snprintf(r->line, sizeof(r->line), "%.*s", (int)strcspn(buf, "\r\n"), buf);
		header_value(buf, "\r\nAuthorization:", r->authorization, sizeof(r->authorization));
		header_value(buf, "\r\nContent-Type:", r->content_type, sizeof(r->content_type));
		snprintf(r->head, sizeof(r->head), "%.*s", end ? (int)(end + 4 - buf) : (int)len,
		         buf);
		if (end)
			snprintf(r->body, sizeof(r->body), "%s", end + 4);
	}
	s->seen++;
	pthread_mutex_unlock(&s->lock);
}

static void write_all(struct conn *c, const char *p, size_t n)
{
	while (n > 0) {
		/* MSG_NOSIGNAL: a client that has gone away (a cancelled stream)
		 * must not kill the test with SIGPIPE; its checks say what happened.
		 * (TLS writes cannot pass it: ss_use_tls ignores SIGPIPE.) */
		ssize_t w = c->ssl ? SSL_write(c->ssl, p, n > INT_MAX ? INT_MAX : (int)n)
		                   : send(c->fd, p, n, MSG_NOSIGNAL);
		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

static void wait_for_close(struct conn *c)
{
	char buf[256];
	while (conn_read(c, buf, sizeof(buf)) > 0)
		;
}

static void send_chunks(struct conn *c, const struct ss_action *a)
{
	for (int p = 0; p < SS_MAX_PARTS && a->parts[p]; p++) {
		struct timespec ts = {0, SS_CHUNK_GAP_MS * 1000 * 1000};
		nanosleep(&ts, NULL);
		char head[32];
		int h = snprintf(head, sizeof(head), "%zx\r\n", strlen(a->parts[p]));
		write_all(c, head, (size_t)h);
		write_all(c, a->parts[p], strlen(a->parts[p]));
		write_all(c, "\r\n", 2);
	}
}

/* TLS on an accepted connection; a client that refuses the certificate
 * fails here, and its connection counts as no request. */
static int handshake(struct ss_server *s, struct conn *c)
{
	c->ssl = SSL_new(s->tls);
	if (c->ssl && SSL_set_fd(c->ssl, c->fd) == 1 && SSL_accept(c->ssl) == 1)
		return 0;
	pthread_mutex_lock(&s->lock);
	s->tls_failures++;
	pthread_mutex_unlock(&s->lock);
	SSL_free(c->ssl);
	c->ssl = NULL;
	ERR_clear_error();
	return -EPROTO;
}

static void act(struct ss_server *s, struct conn *c, const struct ss_action *a)
{
	read_request(s, c);
	if (a->text)
		write_all(c, a->text, strlen(a->text));
	switch (a->act) {
	case SS_SEND:
		break;
	case SS_HANG:
		wait_for_close(c);
		break;
	case SS_STREAM_END:
		send_chunks(c, a);
		write_all(c, "0\r\n\r\n", 5);
		break;
	case SS_STREAM_HOLD:
		send_chunks(c, a);
		wait_for_close(c);
		break;
	}
}

static void *serve(void *arg)
{
	struct ss_server *s = arg;

	for (int i = 0; i < s->n_actions; i++) {
		struct pollfd pfd = {.fd = s->fd, .events = POLLIN};
		if (poll(&pfd, 1, SS_ACCEPT_TIMEOUT_MS) != 1) {
			tap_diag("server: no connection for action %d of %d", i + 1, s->n_actions);
			return NULL;
		}
		struct conn c = {.fd = accept(s->fd, NULL, NULL)};
		if (c.fd < 0)
			return NULL;
		struct timeval tv = {.tv_sec = SS_READ_TIMEOUT_S};
		setsockopt(c.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		if (s->tls && handshake(s, &c) < 0) {
			close(c.fd);
			continue;
		}
		act(s, &c, &s->script[i]);
		if (c.ssl) {
			SSL_shutdown(c.ssl);
			SSL_free(c.ssl);
		}
		close(c.fd);
	}
	return NULL;
}

int ss_new(struct ss_server **out)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t alen = sizeof(a);
	int one = 1;
	struct ss_server *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->fd = socket(AF_INET, SOCK_STREAM, 0);
	if (s->fd < 0)
		goto fail;
	setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(s->fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(s->fd, 16) < 0 ||
	    getsockname(s->fd, (struct sockaddr *)&a, &alen) < 0)
		goto fail;
	s->port = ntohs(a.sin_port);
	pthread_mutex_init(&s->lock, NULL);
	*out = s;
	return 0;
fail:;
	int e = errno;
	if (s->fd >= 0)
		close(s->fd);
	free(s);
	return -e;
}

struct ss_server *ss_free(struct ss_server *s)
{
	if (!s)
		return NULL;
	close(s->fd);
	SSL_CTX_free(s->tls);
	pthread_mutex_destroy(&s->lock);
	while (s->responses) {
		struct owned *next = s->responses->next;
		free(s->responses);
		s->responses = next;
	}
	free(s);
	return NULL;
}

int ss_port(const struct ss_server *s)
{
	return s->port;
}

int ss_start(struct ss_server *s, const struct ss_action *script, int n)
{
	s->script = script;
	s->n_actions = n;
	s->seen = 0;
	s->tls_failures = 0;
	memset(s->reqs, 0, sizeof(s->reqs));
	int e = pthread_create(&s->thread, NULL, serve, s);
	return e ? -e : 0;
}

void ss_join(struct ss_server *s)
{
	pthread_join(s->thread, NULL);
}

int ss_seen(struct ss_server *s)
{
	pthread_mutex_lock(&s->lock);
	int n = s->seen;
	pthread_mutex_unlock(&s->lock);
	return n;
}

const struct ss_request *ss_request(struct ss_server *s, int i)
{
	/* A record is written once, under the lock, before seen counts it. */
	if (i < 0 || i >= SS_MAX_REQUESTS || i >= ss_seen(s))
		return &empty_request;
	return &s->reqs[i];
}

const char *ss_response(struct ss_server *s, int status, const char *extra_headers,
                        const char *body)
{
#define RESPONSE_FMT                                                                               \
	"HTTP/1.1 %d X\r\nContent-Type: application/json\r\nConnection: close\r\n%s"               \
	"Content-Length: %zu\r\n\r\n%s"
	int n = snprintf(NULL, 0, RESPONSE_FMT, status, extra_headers, strlen(body), body);
	struct owned *o = n < 0 ? NULL : malloc(sizeof(*o) + (size_t)n + 1);
	if (!o)
		abort();
	snprintf(o->text, (size_t)n + 1, RESPONSE_FMT, status, extra_headers, strlen(body), body);
	o->next = s->responses;
	s->responses = o;
	return o->text;
#undef RESPONSE_FMT
}

/* A PEM object from text: the certificate or the key of ss_use_tls. */
static BIO *pem_bio(const char *pem)
{
	return BIO_new_mem_buf(pem, -1);
}

int ss_use_tls(struct ss_server *s, const char *cert_pem, const char *key_pem)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	BIO *cb = pem_bio(cert_pem), *kb = pem_bio(key_pem);
	X509 *cert = cb ? PEM_read_bio_X509(cb, NULL, NULL, NULL) : NULL;
	EVP_PKEY *key = kb ? PEM_read_bio_PrivateKey(kb, NULL, NULL, NULL) : NULL;
	int rc = ctx && cert && key && SSL_CTX_use_certificate(ctx, cert) == 1 &&
	                 SSL_CTX_use_PrivateKey(ctx, key) == 1
	             ? 0
	             : -EINVAL;
	X509_free(cert);
	EVP_PKEY_free(key);
	BIO_free(cb);
	BIO_free(kb);
	if (rc < 0) {
		SSL_CTX_free(ctx);
		return rc;
	}
	signal(SIGPIPE, SIG_IGN);
	SSL_CTX_free(s->tls);
	s->tls = ctx;
	return 0;
}

int ss_tls_failures(struct ss_server *s)
{
	pthread_mutex_lock(&s->lock);
	int n = s->tls_failures;
	pthread_mutex_unlock(&s->lock);
	return n;
}
