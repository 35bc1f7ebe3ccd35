/*
 * Helpers shared by the kubeconfig, in-cluster and credential code. Internal to
 * kubeclient: not part of the API other modules see.
 */
#ifndef SLIPWAY_KUBECLIENT_CONFIG_INTERNAL_H
#define SLIPWAY_KUBECLIENT_CONFIG_INTERNAL_H

#include <ev.h>
#include <stdbool.h>
#include <stddef.h>

#include "kubeclient/config.h"

/* Limits on what we read: a kubeconfig, a PEM file, a bearer token. */
#define KC_KUBECONFIG_MAX ((size_t)4 << 20)
#define KC_PEM_FILE_MAX   ((size_t)1 << 20)
#define KC_TOKEN_MAX      ((size_t)64 << 10)

/* Reads a regular file of at most `max` bytes, NUL-terminated. Returns 0, or
 * -errno (-EFBIG when larger than max, -EINVAL when not a regular file).
 * Caller owns *ret (free). */
int kc__read_file(const char *path, size_t max, char **ret, size_t *ret_len);

/* `rel` resolved against the directory holding `base_file`; absolute `rel` is
 * returned as is. Caller owns the result (free); NULL when out of memory. */
char *kc__path_relative_to(const char *base_file, const char *rel);

/* Standard base64 with padding; line breaks and spaces are ignored, anything
 * else invalid fails with -EINVAL. *ret is NUL-terminated. Caller owns *ret (free). */
int kc__base64_decode(const char *in, size_t len, char **ret, size_t *ret_len);

/* Caller owns the result (free); NULL when out of memory. */
char *kc__base64_encode(const char *in, size_t len);

/* Strips leading and trailing whitespace in place; returns s. */
char *kc__trim(char *s);

/* A bearer token goes into an HTTP header: it must be non-empty and hold no
 * control characters (a newline would inject a header). */
bool kc__token_valid(const char *token);

/* ---- Credentials for code on a loop (kubeclient/credential.c) ----
 *
 * An exec plugin never runs inside these calls: one run per config at a
 * time goes on the caller's loop, and requests that need its credential
 * wait for it in a list of waiters, embedded in the requests themselves. */

typedef void kc__credential_ready_fn(void *userdata);

/* Zero it before first use; owned by the caller, who must take it off the
 * list (kc__credential_unwait) before freeing it. */
struct kc__cred_waiter {
	struct kc__cred_waiter *prev, *next;
	struct kc__cred_waiter **list; /* the list it is on, or NULL */
	kc__credential_ready_fn *ready;
	void *userdata;
	bool failed; /* the run it waited for failed: err says how */
	struct kc_error err;
};

/* kc_config_credential() without blocking. 0: *ret (owned by cfg, valid
 * until the next call or loop iteration) and *ret_gen (its generation, for
 * kc__credential_rejected) are set. -EINPROGRESS: a plugin run is needed;
 * w is queued and w->ready(w->userdata) runs from the loop when the run
 * ends (never inside this call): call again then, and a failed run is
 * returned (its error, once) to every request that waited for it. Any other
 * negative errno: err says why. See credential.c for when a run starts. */
int kc__credential_get(struct kc_config *cfg, struct ev_loop *loop, time_t now,
                       struct kc__cred_waiter *w, const struct kc_credential **ret,
                       unsigned long *ret_gen, struct kc_error *err);

/* A 401 answered a request sent with the credential of generation gen: it
 * is dropped (the next call runs the plugin again), unless a newer one has
 * replaced it already, so that a burst of 401s makes one run, not many. */
void kc__credential_rejected(struct kc_config *cfg, unsigned long gen);

/* Takes w off its list; a no-op when it is on none. */
void kc__credential_unwait(struct kc_config *cfg, struct kc__cred_waiter *w);

/* Whether a plugin run of cfg is in flight. */
bool kc__credential_running(const struct kc_config *cfg);

/* Kills a run in flight and frees the state; for kc_config_free(). */
void kc__credential_async_free(struct kc_config *cfg);

struct kc_exec_config *kc__exec_config_free(struct kc_exec_config *exec);
void kc__credential_clear(struct kc_credential *cred);

#endif
