/*
 * A stand-in for the controller's metrics endpoint, for metrics-scrape.sh:
 * serves a registry with known values (one of each type, labels that need
 * escaping, the process metrics) on the controller's HTTP server until
 * SIGTERM or SIGINT, then exits 0.
 *
 *   e2e-metrics-server ADDRESS PORTFILE   serve; write the bound port to PORTFILE
 *   e2e-metrics-server --free-port        print a port that was free just now
 */
#include <errno.h>
#include <ev.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "controller/httpserver.h"
#include "controller/metrics.h"

static int free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t len = sizeof(sa);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) < 0) {
		perror("free port");
		return 1;
	}
	printf("%u\n", (unsigned)ntohs(sa.sin_port));
	close(fd);
	return 0;
}

/* Counts its own reads: Prometheus sees it grow with every scrape. */
static int count_scrapes(void *userdata, double *ret)
{
	double *n = userdata;
	*n += 1;
	*ret = *n;
	return 0;
}

static void stop_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	ev_break(loop, EVBREAK_ALL);
}

/* Writes the port through a temporary file and a rename, so a reader
 * polling for PORTFILE never sees it half written. */
static int write_port(const char *path, unsigned port)
{
	char tmp[4096];
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	FILE *f = fopen(tmp, "w");
	if (!f)
		return -errno;
	fprintf(f, "%u\n", port);
	if (fclose(f) != 0 || rename(tmp, path) != 0)
		return -errno;
	return 0;
}

static int build_registry(struct ctl_metrics *r, double *scrapes)
{
	struct ctl_metric *req = NULL, *up = NULL, *dur = NULL, *lab = NULL, *scr = NULL;
	static const char *const verb_code[] = {"verb", "code", NULL};
	static const char *const kind[] = {"kind", NULL};
	static const char *const path[] = {"path", NULL};
	int e = ctl_metrics_counter(r, "slipway_e2e_requests_total", "Requests by verb and code.",
	                            verb_code, &req);
	if (e == 0)
		e = ctl_metrics_gauge(r, "slipway_e2e_leader", "1 when leading.", NULL, &up);
	if (e == 0)
		e = ctl_metrics_histogram(r, "slipway_e2e_duration_seconds",
		                          "Durations.\nSecond line with a \\ backslash.", kind,
		                          &dur);
	if (e == 0)
		e = ctl_metrics_gauge(r, "slipway_e2e_labelled",
		                      "A label value that needs escaping.", path, &lab);
	if (e == 0)
		e = ctl_metrics_counter(r, "slipway_e2e_scrapes_total", "Scrapes seen.", NULL,
		                        &scr);
	if (e == 0)
		e = ctl_metrics_register_process(r);
	if (e < 0)
		return e;
	ctl_metric_add(req, (const char *const[]){"GET", "200", NULL}, 42);
	ctl_metric_add(req, (const char *const[]){"PATCH", "409", NULL}, 3);
	ctl_metric_set(up, NULL, 1);
	ctl_metric_observe(dur, (const char *const[]){"Release", NULL}, 0.004);
	ctl_metric_observe(dur, (const char *const[]){"Release", NULL}, 0.2);
	ctl_metric_observe(dur, (const char *const[]){"Release", NULL}, 3);
	ctl_metric_set(lab, (const char *const[]){"a\"b\\c\nd", NULL}, 7);
	return ctl_metric_bind(scr, NULL, count_scrapes, scrapes);
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "--free-port") == 0)
		return free_port();
	if (argc != 3) {
		fprintf(stderr, "usage: %s ADDRESS PORTFILE | --free-port\n", argv[0]);
		return 2;
	}
	struct ev_loop *loop = EV_DEFAULT;
	struct ctl_metrics *r = ctl_metrics_new();
	double scrapes = 0;
	int e = r ? build_registry(r, &scrapes) : -ENOMEM;
	if (e < 0) {
		fprintf(stderr, "registry: %s\n", strerror(-e));
		return 1;
	}
	struct ctl_httpserver_config cfg = {.address = argv[1], .metrics = r};
	struct ctl_httpserver *srv = NULL;
	e = ctl_httpserver_start(loop, &cfg, &srv);
	if (e < 0) {
		fprintf(stderr, "listen on %s: %s\n", argv[1], strerror(-e));
		return 1;
	}
	e = write_port(argv[2], ctl_httpserver_port(srv));
	if (e < 0) {
		fprintf(stderr, "%s: %s\n", argv[2], strerror(-e));
		return 1;
	}
	ev_signal term, intr;
	ev_signal_init(&term, stop_cb, SIGTERM);
	ev_signal_init(&intr, stop_cb, SIGINT);
	ev_signal_start(loop, &term);
	ev_signal_start(loop, &intr);
	ev_run(loop, 0);
	ctl_httpserver_free(srv);
	ctl_metrics_free(r);
	return 0;
}
