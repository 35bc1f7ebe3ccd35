/* Shared helpers of the C end-to-end tests; e2e-lib.h says how to use them. */
#include "e2e-lib.h"
#include "tap.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

const char *e2e_kubeconfig_or_skip(void)
{
	const char *kubeconfig = getenv("KUBECONFIG");
	if (!kubeconfig || !*kubeconfig || access(kubeconfig, R_OK) != 0) {
		printf("1..0 # SKIP no cluster: KUBECONFIG is unset (run through ./check)\n");
		return NULL;
	}
	return kubeconfig;
}

int e2e_client_new(struct ev_loop *loop, const char *kubeconfig, const struct kc_client_options *o,
                   struct kc_config **cfg, struct kc_client **client, struct kc_error *err)
{
	struct kc_load_options lo = {.kubeconfig = kubeconfig};
	struct kc_config *c = NULL;
	struct kc_client *k = NULL;
	int rc = kc_config_load(&lo, &c, err);
	if (rc < 0)
		return rc;
	rc = kc_client_new(loop, c, o, &k, err);
	if (rc < 0) {
		kc_config_free(c);
		return rc;
	}
	*cfg = c;
	*client = k;
	return 0;
}

int e2e_start(struct ev_loop *loop, const char *kubeconfig, const struct kc_client_options *o,
              const char *prefix, char *ns, size_t cap, struct kc_config **cfg,
              struct kc_client **client)
{
	struct kc_error err = {0};
	int rc = e2e_client_new(loop, kubeconfig, o, cfg, client, &err);
	if (rc < 0) {
		tap_diag("%s", err.message);
		ok(false, "load %s and create a client", kubeconfig ? kubeconfig : "$KUBECONFIG");
		kc_error_clear(&err);
		return rc;
	}
	rc = e2e_namespace_create(*client, prefix, ns, cap, &err);
	is_int(rc, 0, "create namespace %s: %s", ns, err.message);
	kc_error_clear(&err);
	return rc;
}

int e2e_sync(struct kc_client *client, int rc, struct kc_sync *s, json_t **body,
             struct kc_error *err)
{
	if (rc < 0)
		return rc;
	return kc_sync_wait(client, s, body, err);
}

int e2e_namespace_create(struct kc_client *client, const char *prefix, char *ns, size_t cap,
                         struct kc_error *err)
{
	snprintf(ns, cap, "%s-%ld", prefix, (long)getpid());
	json_t *obj = json_pack("{s:s, s:s, s:{s:s}}", "apiVersion", "v1", "kind", "Namespace",
	                        "metadata", "name", ns);
	if (!obj)
		return kc_error_set(err, -ENOMEM, "namespace %s: out of memory", ns);
	const struct kc_ref coll = {.version = "v1", .resource = "namespaces"};
	struct kc_sync s = {0};
	int rc = kc_create(client, &coll, NULL, obj, kc_sync_done, &s, NULL, err);
	json_decref(obj);
	return e2e_sync(client, rc, &s, NULL, err);
}

int e2e_namespace_delete(struct kc_client *client, const char *ns, struct kc_error *err)
{
	const struct kc_ref ref = {.version = "v1", .resource = "namespaces", .name = ns};
	struct kc_sync s = {0};
	int rc = kc_delete(client, &ref, NULL, NULL, kc_sync_done, &s, NULL, err);
	return e2e_sync(client, rc, &s, NULL, err);
}

static void tick(struct ev_loop *loop, ev_timer *t, int revents)
{
	/* Only wakes the loop, so that the condition and the deadline are
	 * looked at even when nothing else happens. */
	(void)loop;
	(void)t;
	(void)revents;
}

bool e2e_run_until(struct ev_loop *loop, bool (*cond)(void *), void *arg, double seconds)
{
	ev_timer t;
	ev_timer_init(&t, tick, 0.05, 0.05);
	ev_timer_start(loop, &t);
	ev_now_update(loop);
	double deadline = ev_now(loop) + seconds;
	bool done = cond(arg);
	while (!done && ev_now(loop) < deadline) {
		ev_run(loop, EVRUN_ONCE);
		done = cond(arg);
	}
	ev_timer_stop(loop, &t);
	return done;
}

static bool flag_set(void *arg)
{
	return *(const bool *)arg;
}

bool e2e_run_until_flag(struct ev_loop *loop, const bool *flag, double seconds)
{
	return e2e_run_until(loop, flag_set, (void *)flag, seconds);
}

static void child_exited(struct ev_loop *loop, ev_child *w, int revents)
{
	(void)revents;
	struct e2e_child *c = (struct e2e_child *)((char *)w - offsetof(struct e2e_child, watcher));
	c->done = true;
	c->status = w->rstatus;
	ev_child_stop(loop, w);
}

int e2e_restart_apiserver_start(struct ev_loop *loop, int down_seconds, struct e2e_child *child)
{
	const char *src = getenv("SLIPWAY_SOURCE_ROOT");
	const char *kubeconfig = getenv("KUBECONFIG");
	char script[4096], dir[4096], pids[4200], secs[16];
	if (!src || !kubeconfig)
		return -ENOENT;
	snprintf(script, sizeof(script), "%s/tests/cluster/restart-apiserver", src);
	snprintf(dir, sizeof(dir), "%s", kubeconfig);
	/* The cluster's files live next to its kubeconfig (tests/cluster/up DIR). */
	char *d = dirname(dir);
	snprintf(pids, sizeof(pids), "%s/pids", d);
	if (access(script, R_OK) != 0 || access(pids, R_OK) != 0)
		return -ENOENT;
	snprintf(secs, sizeof(secs), "%d", down_seconds);

	memset(child, 0, sizeof(*child));
	/* Our stdout is TAP: the script's chatter goes to /dev/null, its
	 * complaints to stderr where the test log keeps them. */
	posix_spawn_file_actions_t fa;
	int rc = posix_spawn_file_actions_init(&fa);
	if (rc != 0)
		return -rc;
	rc = posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	pid_t pid;
	char *argv[] = {(char *)"bash", script, d, secs, NULL};
	if (rc == 0)
		rc = posix_spawn(&pid, "/bin/bash", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0)
		return -rc;
	ev_child_init(&child->watcher, child_exited, pid, 0);
	ev_child_start(loop, &child->watcher);
	return 0;
}
