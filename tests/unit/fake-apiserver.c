/* The fake API server; fake-apiserver.h says how to use it. */
#include "fake-apiserver.h"

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_CONNECTIONS 256
#define REQUEST_MAX     16384

#define NOT_FOUND                                                                                  \
	"{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\",\"reason\":"            \
	"\"NotFound\",\"code\":404,\"message\":\"not found\"}"

struct route {
	char method[16];
	char path[512];
	int left; /* answers left; < 0: unlimited */
	int status;
	char *body;
	char header[FA_MAX_HEADER]; /* one extra header line, "" when none */
};

struct conn {
	struct fa_server *s;
	int fd;
	pthread_t thread;
};

struct fa_server {
	int fd;
	int port;
	int stop[2]; /* a pipe: readable once the server stops */
	pthread_t acceptor;
	pthread_mutex_t lock; /* everything below */
	struct route routes[FA_MAX_ROUTES];
	int n_routes;
	struct fa_request reqs[FA_MAX_REQUESTS];
	int seen;
	struct conn *conns[MAX_CONNECTIONS];
	int n_conns;
};

static void write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

/* Reads headers and a Content-Length body into buf; false when the client
 * went away (or the server stops) first. */
static bool read_request(struct fa_server *s, int fd, char *buf, size_t cap, size_t *ret_head)
{
	size_t len = 0;
	while (len < cap - 1) {
		struct pollfd p[2] = {{.fd = fd, .events = POLLIN},
		                      {.fd = s->stop[0], .events = POLLIN}};
		if (poll(p, 2, -1) < 0 || p[1].revents)
			return false;
		ssize_t n = read(fd, buf + len, cap - 1 - len);
		if (n <= 0)
			return false;
		len += (size_t)n;
		buf[len] = '\0';
		char *end = strstr(buf, "\r\n\r\n");
		if (!end)
			continue;
		size_t head = (size_t)(end + 4 - buf);
		const char *cl = strcasestr(buf, "\r\nContent-Length:");
		size_t body = cl && cl < end ? strtoul(cl + 17, NULL, 10) : 0;
		if (len >= head + body) {
			*ret_head = head;
			return true;
		}
	}
	return false;
}

static bool is_watch(const char *target)
{
	const char *q = strchr(target, '?');
	return q && (strstr(q, "watch=1") || strstr(q, "watch=true"));
}

static void record(struct fa_server *s, const char *method, const char *target, const char *body)
{
	if (s->seen < FA_MAX_REQUESTS) {
		struct fa_request *r = &s->reqs[s->seen];
		snprintf(r->method, sizeof(r->method), "%s", method);
		snprintf(r->target, sizeof(r->target), "%s", target);
		snprintf(r->body, sizeof(r->body), "%s", body);
	}
	s->seen++;
}

/* Answers from the first matching route (or 404). Called with the lock
 * held; releases it before writing. */
static void answer(struct fa_server *s, int fd, const char *method, const char *target)
{
	size_t plen = strcspn(target, "?");
	int status = 404;
	char *body = strdup(NOT_FOUND);
	char extra[FA_MAX_HEADER + 2] = "";
	for (int i = 0; i < s->n_routes; i++) {
		struct route *r = &s->routes[i];
		if (r->left == 0 || strcmp(r->method, method) != 0 || strlen(r->path) != plen ||
		    strncmp(r->path, target, plen) != 0)
			continue;
		if (r->left > 0)
			r->left--;
		status = r->status;
		free(body);
		body = strdup(r->body);
		if (r->header[0])
			snprintf(extra, sizeof(extra), "%s\r\n", r->header);
		break;
	}
	pthread_mutex_unlock(&s->lock);
	if (!body)
		return;
	char head[256 + sizeof(extra)];
	int n = snprintf(head, sizeof(head),
	                 "HTTP/1.1 %d X\r\nContent-Type: application/json\r\n"
	                 "%sContent-Length: %zu\r\n\r\n",
	                 status, extra, strlen(body));
	write_all(fd, head, (size_t)n);
	write_all(fd, body, strlen(body));
	free(body);
}

/* A watch: headers, then silence until the client closes or we stop. */
static void hold(struct fa_server *s, int fd)
{
	static const char head[] = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
	                           "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
	write_all(fd, head, sizeof(head) - 1);
	for (;;) {
		struct pollfd p[2] = {{.fd = fd, .events = POLLIN},
		                      {.fd = s->stop[0], .events = POLLIN}};
		if (poll(p, 2, -1) < 0 || p[1].revents)
			return;
		char buf[512];
		if (p[0].revents && read(fd, buf, sizeof(buf)) <= 0)
			return;
	}
}

/* Keep-alive: requests follow each other on a connection until the client
 * closes it or asks for a watch, which keeps the connection to the end.
 * (libcurl, waiting to multiplex, opens a second connection only beside one
 * it knows to be HTTP/1.1 and busy; closing after every answer would keep
 * it from ever knowing.) */
static void *serve(void *arg)
{
	struct conn *c = arg;
	struct fa_server *s = c->s;
	char *buf = malloc(REQUEST_MAX);
	size_t head = 0;
	while (buf && read_request(s, c->fd, buf, REQUEST_MAX, &head)) {
		char method[16] = "", target[512] = "";
		sscanf(buf, "%15s %511s", method, target);
		pthread_mutex_lock(&s->lock);
		if (is_watch(target)) {
			record(s, "WATCH", target, "");
			pthread_mutex_unlock(&s->lock);
			hold(s, c->fd);
			break;
		}
		record(s, method, target, buf + head);
		answer(s, c->fd, method, target); /* unlocks */
	}
	free(buf);
	shutdown(c->fd, SHUT_RDWR);
	return NULL;
}

static void *accept_loop(void *arg)
{
	struct fa_server *s = arg;
	for (;;) {
		struct pollfd p[2] = {{.fd = s->fd, .events = POLLIN},
		                      {.fd = s->stop[0], .events = POLLIN}};
		if (poll(p, 2, -1) < 0 || p[1].revents)
			return NULL;
		int fd = accept(s->fd, NULL, NULL);
		if (fd < 0)
			continue;
		struct conn *c = calloc(1, sizeof(*c));
		pthread_mutex_lock(&s->lock);
		bool room = c && s->n_conns < MAX_CONNECTIONS;
		if (room) {
			c->s = s;
			c->fd = fd;
			s->conns[s->n_conns++] = c;
		}
		pthread_mutex_unlock(&s->lock);
		if (!room || pthread_create(&c->thread, NULL, serve, c) != 0) {
			/* Not served: the client sees the connection close. */
			close(fd);
			if (c)
				c->fd = -1;
			if (!room)
				free(c);
		}
	}
}

int fa_new(struct fa_server **ret)
{
	struct fa_server *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->stop[0] = s->stop[1] = -1;
	pthread_mutex_init(&s->lock, NULL);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t alen = sizeof(a);
	s->fd = socket(AF_INET, SOCK_STREAM, 0);
	if (s->fd < 0 || bind(s->fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    listen(s->fd, 64) < 0 || getsockname(s->fd, (struct sockaddr *)&a, &alen) < 0 ||
	    pipe(s->stop) < 0 || pthread_create(&s->acceptor, NULL, accept_loop, s) != 0) {
		int r = -errno;
		if (s->fd >= 0)
			close(s->fd);
		if (s->stop[0] >= 0) {
			close(s->stop[0]);
			close(s->stop[1]);
		}
		pthread_mutex_destroy(&s->lock);
		free(s);
		return r;
	}
	s->port = ntohs(a.sin_port);
	*ret = s;
	return 0;
}

struct fa_server *fa_free(struct fa_server *s)
{
	if (!s)
		return NULL;
	if (write(s->stop[1], "x", 1) != 1)
		abort(); /* the threads would never stop */
	pthread_join(s->acceptor, NULL);
	for (int i = 0; i < s->n_conns; i++) {
		struct conn *c = s->conns[i];
		if (c->fd >= 0) {
			pthread_join(c->thread, NULL);
			close(c->fd);
		}
		free(c);
	}
	for (int i = 0; i < s->n_routes; i++)
		free(s->routes[i].body);
	close(s->fd);
	close(s->stop[0]);
	close(s->stop[1]);
	pthread_mutex_destroy(&s->lock);
	free(s);
	return NULL;
}

int fa_port(const struct fa_server *s)
{
	return s->port;
}

void fa_route(struct fa_server *s, const char *method, const char *path, int times, int status,
              const char *body)
{
	pthread_mutex_lock(&s->lock);
	if (s->n_routes < FA_MAX_ROUTES) {
		struct route *r = &s->routes[s->n_routes++];
		snprintf(r->method, sizeof(r->method), "%s", method);
		snprintf(r->path, sizeof(r->path), "%s", path);
		r->left = times > 0 ? times : -1;
		r->status = status;
		r->body = strdup(body);
	}
	pthread_mutex_unlock(&s->lock);
}

void fa_route_header(struct fa_server *s, const char *header)
{
	pthread_mutex_lock(&s->lock);
	if (s->n_routes > 0)
		snprintf(s->routes[s->n_routes - 1].header, FA_MAX_HEADER, "%s", header);
	pthread_mutex_unlock(&s->lock);
}

int fa_count(struct fa_server *s, const char *method, const char *prefix)
{
	int n = 0;
	pthread_mutex_lock(&s->lock);
	for (int i = 0; i < s->seen && i < FA_MAX_REQUESTS; i++) {
		const struct fa_request *r = &s->reqs[i];
		if ((!method || strcmp(r->method, method) == 0) &&
		    (!prefix || strncmp(r->target, prefix, strlen(prefix)) == 0))
			n++;
	}
	pthread_mutex_unlock(&s->lock);
	return n;
}

int fa_request(struct fa_server *s, int i, struct fa_request *ret)
{
	int r = -ENOENT;
	pthread_mutex_lock(&s->lock);
	if (i >= 0 && i < s->seen && i < FA_MAX_REQUESTS) {
		*ret = s->reqs[i];
		r = 0;
	}
	pthread_mutex_unlock(&s->lock);
	return r;
}
