/*
 * The plumbing of tests that run controllers against the fake API server
 * (fake-apiserver.h) on libev's default loop: the server, a client of it,
 * starting a manager until it leads, running the loop until a condition
 * holds, and tearing a manager down for the next case. What the controllers
 * are and what the server answers stay in each test.
 *
 * One harness per test program (the state is global): ch_begin first,
 * ch_end last.
 */
#ifndef SLIPWAY_TESTS_CONTROLLER_HARNESS_H
#define SLIPWAY_TESTS_CONTROLLER_HARNESS_H

#include <stdbool.h>

#include <ev.h>
#include <jansson.h>

#include "controller/manager.h"
#include "fake-apiserver.h"
#include "kubeclient/client.h"

/* The loop everything runs on, and the server of the current case
 * (replaced by ch_stop and ch_server_renew). */
extern struct ev_loop *ch_loop;
extern struct fa_server *ch_srv;

/* Called, when set, by ch_bail before it bails out: a test prints what it
 * captured (say, the controller's log) to say why. */
extern void (*ch_before_bail)(void);

/* The test cannot go on: prints "Bail out! ..." (TAP) and exits 1. */
__attribute__((format(printf, 1, 2), noreturn)) void ch_bail(const char *fmt, ...);

/* The default loop and a first server; bails when there is none. */
void ch_begin(void);
/* Frees the server and the last client's config. */
void ch_end(void);

/* The server of the next case: a fresh one, nothing routed, nothing seen. */
void ch_server_renew(void);

/* A client of the server (bearer token "t", 16 connections) whose request
 * deadline is `deadline` seconds (0: the client's default); bails when it
 * cannot. Caller owns it (kc_client_free); its config lives until the next
 * ch_client_new or ch_end. */
struct kc_client *ch_client_new(double deadline);

/* Starts mgr, runs the loop until its caches sync (at most 5 s), and makes
 * it lead; bails when any of that fails. */
void ch_manager_lead(struct ctl_manager *mgr);

/* Frees *mgr and *client (each set to NULL) and renews the server. */
void ch_stop(struct ctl_manager **mgr, struct kc_client **client);

/* Runs the loop until done(arg) or max seconds; returns done(arg). The loop
 * turns at least every 10 ms, so done is polled even when nothing happens. */
bool ch_run_until(bool (*done)(void *), void *arg, double max);
/* Runs the loop for that many seconds. */
void ch_run_for(double seconds);
/* A condition that never holds (ch_run_until(ch_never, ...) runs it out). */
bool ch_never(void *arg);

/* Answers every GET of path with a List (resourceVersion 10) of the items,
 * JSON text separated by commas. */
void ch_route_list(const char *path, const char *items);

/* The test's JSON text parsed (any value); bails when it does not parse.
 * Caller owns the result (json_decref). */
json_t *ch_parse(const char *text);

#endif
