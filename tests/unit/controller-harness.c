#include "controller-harness.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "loopback-config.h"

struct ev_loop *ch_loop;
struct fa_server *ch_srv;
void (*ch_before_bail)(void);

/* The config of the last client: a client keeps a pointer to it. */
static struct kc_config *cfg;

void ch_bail(const char *fmt, ...)
{
	if (ch_before_bail)
		ch_before_bail();
	va_list ap;
	va_start(ap, fmt);
	printf("Bail out! ");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	exit(1);
}

void ch_begin(void)
{
	ch_loop = ev_default_loop(0);
	if (fa_new(&ch_srv) < 0)
		ch_bail("fake API server");
}

void ch_end(void)
{
	ch_srv = fa_free(ch_srv);
	cfg = kc_config_free(cfg);
}

void ch_server_renew(void)
{
	fa_free(ch_srv);
	if (fa_new(&ch_srv) < 0)
		ch_bail("fake API server");
}

struct kc_client *ch_client_new(double deadline)
{
	struct kc_error err = {0};
	kc_config_free(cfg);
	cfg = test_loopback_port_config(fa_port(ch_srv), "t", NULL);
	struct kc_client *c = NULL;
	if (!cfg || kc_client_new(ch_loop, cfg,
	                          &(struct kc_client_options){.max_host_connections = 16,
	                                                      .deadline = deadline},
	                          &c, &err) < 0)
		ch_bail("client: %s", err.message);
	return c;
}

static bool synced(void *mgr)
{
	return ctl_manager_synced(mgr);
}

void ch_manager_lead(struct ctl_manager *mgr)
{
	if (ctl_manager_start(mgr) < 0)
		ch_bail("start");
	if (!ch_run_until(synced, mgr, 5))
		ch_bail("the caches did not sync");
	if (ctl_manager_start_leading(mgr) < 0)
		ch_bail("start leading");
}

void ch_stop(struct ctl_manager **mgr, struct kc_client **client)
{
	*mgr = ctl_manager_free(*mgr);
	*client = kc_client_free(*client);
	ch_server_renew();
}

static void tick(struct ev_loop *l, ev_timer *t, int revents)
{
}

bool ch_run_until(bool (*done)(void *), void *arg, double max)
{
	double end = ev_time() + max;
	while (!done(arg) && ev_time() < end) {
		ev_timer t;
		ev_timer_init(&t, tick, 0.01, 0);
		ev_timer_start(ch_loop, &t);
		ev_run(ch_loop, EVRUN_ONCE);
		ev_timer_stop(ch_loop, &t);
	}
	return done(arg);
}

bool ch_never(void *arg)
{
	return false;
}

void ch_run_for(double seconds)
{
	ch_run_until(ch_never, NULL, seconds);
}

void ch_route_list(const char *path, const char *items)
{
	char *body = NULL;
	if (asprintf(&body,
	             "{\"kind\":\"List\",\"metadata\":{\"resourceVersion\":\"10\"},\"items\":[%s]}",
	             items) < 0)
		ch_bail("out of memory");
	fa_route(ch_srv, "GET", path, 0, 200, body);
	free(body);
}

json_t *ch_parse(const char *text)
{
	json_t *j = json_loads(text, JSON_DECODE_ANY, NULL);
	if (!j)
		ch_bail("unparsable test JSON: %s", text);
	return j;
}
