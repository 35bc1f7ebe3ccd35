/*
 * kubeclient across an API server restart: GETs issued while the server is
 * down, starting up, or draining its connections are retried with backoff
 * and succeed once it is back, without the caller seeing an error; a POST
 * made while it is down fails at once with a transport error (it is not
 * idempotent, so it is not retried). Restarts the cluster's kube-apiserver
 * with tests/cluster/restart-apiserver.
 */
#include "e2e-lib.h"
#include "tap.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kubeclient/apierror.h"
#include "kubeclient/client.h"
#include "kubeclient/config.h"
#include "kubeclient/rest.h"
#include "kubeclient/retry.h"

static struct ev_loop *loop;
static struct kc_client *C;
static int in_flight, succeeded, failed;
static char first_failure[512];

static void got(long status, json_t *body, const struct kc_error *err, void *userdata)
{
	in_flight--;
	if (err) {
		if (failed++ == 0)
			snprintf(first_failure, sizeof(first_failure), "%s", err->message);
	} else {
		succeeded++;
	}
}

static void tick(struct ev_loop *l, ev_timer *w, int revents)
{
	/* Only wakes the loop up so the test issues its next GET on time. */
}

struct post {
	bool done;
	int code;
	char message[512];
};

static void posted(long status, json_t *body, const struct kc_error *err, void *userdata)
{
	struct post *p = userdata;
	p->done = true;
	p->code = err ? err->code : 0;
	snprintf(p->message, sizeof(p->message), "%s", err ? err->message : "");
}

int main(void)
{
	const char *kubeconfig = e2e_kubeconfig_or_skip();
	if (!kubeconfig)
		return 0;
	if (!getenv("SLIPWAY_SOURCE_ROOT")) {
		printf("1..0 # SKIP SLIPWAY_SOURCE_ROOT is unset (run through meson test)\n");
		return 0;
	}

	loop = ev_default_loop(0);
	struct kc_config *cfg = NULL;
	struct kc_error err = {0};
	/* Enough retries to outlast the restart: 0.2 s doubling to 2 s, 30 times. */
	struct kc_client_options o = {
	    .max_retries = 30,
	    .backoff = {.initial = 0.2, .max = 2, .factor = 2, .jitter = 0.2},
	};
	if (e2e_client_new(loop, kubeconfig, &o, &cfg, &C, &err) < 0) {
		ok(false, "client: %s", err.message);
		return tap_done();
	}
	struct kc_ref ns = {.version = "v1", .resource = "namespaces", .name = "default"};
	struct kc_sync s = {0};
	int rc = e2e_sync(C, kc_get(C, &ns, NULL, kc_sync_done, &s, NULL, &err), &s, NULL, &err);
	is_int(rc, 0, "GET before the restart: %s", err.message);

	struct e2e_child restart;
	rc = e2e_restart_apiserver_start(loop, 3, &restart);
	if (rc < 0) {
		ok(false, "start tests/cluster/restart-apiserver: %s", strerror(-rc));
		return tap_done();
	}
	ev_timer ticker;
	ev_timer_init(&ticker, tick, 0.1, 0.1);
	ev_timer_start(loop, &ticker);

	/* A GET every 100 ms until the restart script returns, plus one POST
	 * as soon as a GET has had to retry (the server is down then). */
	struct kc_client_stats st0, st;
	kc_client_stats(C, &st0);
	struct post post = {0};
	bool posted_once = false;
	int started = 0;
	double deadline = ev_time() + 120;
	while (ev_time() < deadline) {
		if (restart.done)
			break;
		if (kc_get(C, &ns, NULL, got, NULL, NULL, &err) == 0) {
			in_flight++;
			started++;
		}
		kc_client_stats(C, &st);
		if (!posted_once && st.retries > st0.retries) {
			struct kc_ref nss = {.version = "v1", .resource = "namespaces"};
			json_t *obj =
			    json_pack("{s:s,s:s,s:{s:s}}", "apiVersion", "v1", "kind", "Namespace",
			              "metadata", "generateName", "kcrestart-");
			if (kc_create(C, &nss, NULL, obj, posted, &post, NULL, &err) == 0)
				posted_once = true;
			json_decref(obj);
		}
		double until = ev_time() + 0.1;
		while (ev_time() < until)
			ev_run(loop, EVRUN_ONCE);
	}
	ev_timer_stop(loop, &ticker);
	ok(restart.done && WIFEXITED(restart.status) && WEXITSTATUS(restart.status) == 0,
	   "restart-apiserver succeeded (status %d)", restart.done ? restart.status : -1);
	while ((in_flight > 0 || (posted_once && !post.done)) && ev_time() < deadline)
		ev_run(loop, EVRUN_ONCE);
	kc_client_stats(C, &st);
	tap_diag("%d GETs, %d ok, %d failed, %lu retries, %lu connections", started, succeeded,
	         failed, st.retries - st0.retries, st.connections);
	ok(started > 10, "GETs were issued throughout the restart (%d)", started);
	is_int(failed, 0, "no GET failed: %s", first_failure);
	ok(st.retries > st0.retries, "some GETs had to retry (%lu)", st.retries - st0.retries);
	ok(st.connections > st0.connections, "a new connection was opened after the restart");
	ok(posted_once, "a POST was made while GETs were retrying");
	if (posted_once) {
		/* A retried POST would have gone through once the server was
		 * back; this one must report the outage instead. */
		ok(kc_errno_is_transient(post.code),
		   "POST during the outage fails, not retried: %s",
		   post.message[0] ? post.message : "it succeeded");
	}

	memset(&s, 0, sizeof(s));
	rc = e2e_sync(C, kc_get(C, &ns, NULL, kc_sync_done, &s, NULL, &err), &s, NULL, &err);
	is_int(rc, 0, "GET after the restart: %s", err.message);
	C = kc_client_free(C);
	kc_config_free(cfg);
	return tap_done();
}
