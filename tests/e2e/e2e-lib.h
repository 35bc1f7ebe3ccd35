/*
 * What the C end-to-end tests (kubeclient-rest, kubeclient-watch,
 * kubeclient-restart, leader-election) all do around their checks: find the
 * cluster's kubeconfig or skip, make a client, wait for a synchronous call,
 * make and remove a namespace of their own, turn the loop until something
 * happened, and restart the cluster's kube-apiserver while the loop turns.
 *
 * Except e2e_start, these helpers make no TAP checks of their own: each test
 * keeps saying, in its own words, what failed. Failures come back as a
 * negative errno with a kc_error (when there is one) and out-parameters
 * untouched.
 *
 * Threading: everything runs on the caller's thread and loop; nothing here
 * keeps state between calls except the struct e2e_child the caller owns.
 */
#ifndef SLIPWAY_TESTS_E2E_LIB_H
#define SLIPWAY_TESTS_E2E_LIB_H

#include <ev.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "kubeclient/client.h"
#include "kubeclient/config.h"
#include "kubeclient/rest.h"

/*
 * $KUBECONFIG when it names a readable file. Otherwise prints the TAP plan
 * that skips the whole test ("1..0 # SKIP no cluster ...") and returns NULL:
 * the caller then exits 0 at once. The string is the environment's.
 */
const char *e2e_kubeconfig_or_skip(void);

/*
 * Loads `kubeconfig` (NULL: the usual search, $KUBECONFIG first) and makes a
 * client on `loop` with options `o` (NULL: the defaults). Returns 0 with *cfg
 * and *client set, both the caller's to free (kc_client_free before
 * kc_config_free); or a negative errno with err filled in and both outs
 * untouched.
 */
int e2e_client_new(struct ev_loop *loop, const char *kubeconfig, const struct kc_client_options *o,
                   struct kc_config **cfg, struct kc_client **client, struct kc_error *err);

/*
 * The usual start of a test, with its two checks: a client on `loop` from
 * `kubeconfig` (options `o`, NULL for the defaults), then a namespace
 * "PREFIX-PID" of the test's own (name in ns, cap bytes). When the client
 * cannot be made, reports "not ok - load KUBECONFIG and create a client" and
 * returns its negative errno with *cfg and *client untouched: the caller ends
 * with tap_done(). Otherwise sets both (the caller's to free) and returns
 * what creating the namespace returned, checked as "create namespace NS".
 */
int e2e_start(struct ev_loop *loop, const char *kubeconfig, const struct kc_client_options *o,
              const char *prefix, char *ns, size_t cap, struct kc_config **cfg,
              struct kc_client **client);

/*
 * Finishes a synchronous call: `rc` is what the kc_ verb returned when it was
 * started with (kc_sync_done, s). When rc < 0 returns it unchanged (the call
 * never started and err says why); otherwise waits for the call and returns
 * kc_sync_wait's result, the body in *body when body is not NULL.
 */
int e2e_sync(struct kc_client *client, int rc, struct kc_sync *s, json_t **body,
             struct kc_error *err);

/*
 * Creates the namespace "PREFIX-PID" (a name no other run uses at the same
 * time) and writes its name to ns (cap bytes; the name is written even when
 * the create fails, so the caller can say which). Returns 0 or a negative
 * errno with err filled in.
 */
int e2e_namespace_create(struct kc_client *client, const char *prefix, char *ns, size_t cap,
                         struct kc_error *err);

/* Deletes namespace `ns` and waits for the API server's answer (not for the
 * namespace to be gone). Returns 0 or a negative errno with err filled in. */
int e2e_namespace_delete(struct kc_client *client, const char *ns, struct kc_error *err);

/*
 * Turns `loop` until cond(arg) holds or `seconds` have passed; cond is asked
 * before the first turn and after each. A 50 ms timer keeps the loop turning
 * when nothing else happens, so the deadline is kept. Returns cond's last
 * answer.
 */
bool e2e_run_until(struct ev_loop *loop, bool (*cond)(void *), void *arg, double seconds);

/* e2e_run_until for the common case: until *flag is true. */
bool e2e_run_until_flag(struct ev_loop *loop, const bool *flag, double seconds);

/* A child process watched from the loop. The default libev loop reaps
 * children itself, so a test cannot waitpid() for them: ev_child it is. */
struct e2e_child {
	ev_child watcher;
	bool done;  /* the child has exited */
	int status; /* its wait status once done */
};

/*
 * Starts tests/cluster/restart-apiserver (found through $SLIPWAY_SOURCE_ROOT)
 * on the cluster whose kubeconfig is $KUBECONFIG, keeping kube-apiserver down
 * for `down_seconds`, and watches it through `child` on `loop` (the default
 * loop): the caller turns the loop until child->done. The script's stdout
 * goes to /dev/null (ours is TAP), its stderr to ours. Returns 0, -ENOENT when
 * there is no such script or cluster directory (the caller skips), or another
 * negative errno when the script cannot be started. `child` must stay in
 * place until done; the watcher stops itself then.
 */
int e2e_restart_apiserver_start(struct ev_loop *loop, int down_seconds, struct e2e_child *child);

#endif
