/*
 * The manager: everything one controller process has once, for any number
 * of controllers (controller/runtime.h) — the shared informers
 * (controller/informers.h), the readiness they give, and the switch that
 * starts and stops every controller together when leadership comes and goes.
 * Leader election itself (controller/leader.h), /healthz /readyz and
 * /metrics (controller/httpserver.h, controller/observability.h) are wired
 * by main.c around one manager.
 *
 * Use: ctl_manager_new, then ctl_manager_add once per controller (each with
 * its own queue, workers and reconcile function), then ctl_manager_start
 * (the informers list and watch, leader or not), and
 * ctl_manager_start_leading / ctl_manager_stop_leading from the leader
 * callbacks. Ready (ctl_manager_synced) means every cache synced.
 *
 * Everything runs on the client's loop.
 */
#ifndef SLIPWAY_CONTROLLER_MANAGER_H
#define SLIPWAY_CONTROLLER_MANAGER_H

#include <stdbool.h>
#include <stddef.h>

#include "controller/events.h"
#include "controller/informers.h"
#include "controller/runtime.h"
#include "kubeclient/client.h"

struct ctl_manager;

struct ctl_manager_options {
	struct kc_client *client;      /* borrowed */
	const char *const *namespaces; /* NULL-terminated; NULL: all. Borrowed */
	/* Defaults for every controller added; a controller's own option
	 * (non-NULL) wins. */
	struct ctl_events *events; /* borrowed */
	const char *field_manager;
	bool (*may_write)(void *userdata);
	void *may_write_userdata;
};

/* Caller owns *ret (ctl_manager_free). 0 or a negative errno (err says). */
int ctl_manager_new(const struct ctl_manager_options *opts, struct ctl_manager **ret,
                    struct kc_error *err);

/* Adds a controller. opts->client and opts->informers are the manager's
 * (whatever opts says); events, field_manager and may_write default to the
 * manager's when NULL. Only before ctl_manager_start. *ret (may be NULL) is
 * borrowed: the manager owns the controller. 0, or ctl_runtime_new's
 * errors. */
int ctl_manager_add(struct ctl_manager *m, const struct ctl_runtime_options *opts,
                    struct ctl_runtime **ret, struct kc_error *err);

/* The shared informers, for bindings that read kinds no watch names. */
struct ctl_informers *ctl_manager_informers(const struct ctl_manager *m);

/* Starts every informer. */
int ctl_manager_start(struct ctl_manager *m);

/* Every cache synced (the /readyz answer). */
bool ctl_manager_synced(const struct ctl_manager *m);

/* Every controller starts (or stops) reconciling; see
 * ctl_runtime_start_leading. 0 or -ENOMEM (the controllers started so far
 * keep running). */
int ctl_manager_start_leading(struct ctl_manager *m);
void ctl_manager_stop_leading(struct ctl_manager *m);

/* Graceful shutdown: no controller takes a new key; then wait for
 * ctl_manager_in_flight() == 0 and stop leading. */
void ctl_manager_drain(struct ctl_manager *m);
size_t ctl_manager_in_flight(const struct ctl_manager *m);

/* The controllers in the order they were added (borrowed). */
size_t ctl_manager_len(const struct ctl_manager *m);
struct ctl_runtime *ctl_manager_at(const struct ctl_manager *m, size_t i);

/* Stops watching, then frees every controller. NULL is fine; returns NULL. */
struct ctl_manager *ctl_manager_free(struct ctl_manager *m);

#endif
