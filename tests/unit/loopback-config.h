/*
 * The kubeconfig every client test needs: one cluster at `server` (a
 * loopback URL of a scripted or fake API server), one user with a bearer
 * token, the context's namespace `ns` (NULL: none).
 */
#ifndef SLIPWAY_TESTS_LOOPBACK_CONFIG_H
#define SLIPWAY_TESTS_LOOPBACK_CONFIG_H

#include "kubeclient/config.h"

/* Caller owns the result (kc_config_free); NULL (with a TAP diagnostic)
 * when it does not load. */
struct kc_config *test_loopback_config(const char *server, const char *token, const char *ns);

/* The same for http://127.0.0.1:PORT. */
struct kc_config *test_loopback_port_config(int port, const char *token, const char *ns);

#endif
