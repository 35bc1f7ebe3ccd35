/*
 * client.authentication.k8s.io exec credential plugins: running one and
 * reading its ExecCredential. Internal to kubeclient; kc_config_credential()
 * decides when to call it.
 */
#ifndef SLIPWAY_KUBECLIENT_EXEC_CREDENTIAL_H
#define SLIPWAY_KUBECLIENT_EXEC_CREDENTIAL_H

#include <ev.h>
#include <stddef.h>
#include <time.h>

#include "kubeclient/config.h"

/* The plugin's stdout beyond this is an error (an ExecCredential is a few KiB). */
#define KC_EXEC_OUTPUT_MAX ((size_t)1 << 20)

/* One plugin run in flight on a loop. */
struct kc__exec_run;

/* The end of a run: result 0 and *cred filled (the callback owns its strings:
 * kc__credential_clear), or a negative errno with err filled (borrowed for
 * the call; cred NULL). The run is already freed: the callback may start the
 * next one. */
typedef void kc__exec_done_fn(int result, struct kc_credential *cred, const struct kc_error *err,
                              void *userdata);

/* Starts cfg->exec on `loop` and returns at once: stdin is /dev/null, the
 * environment is ours plus the exec env plus KUBERNETES_EXEC_INFO, the plugin
 * leads its own process group, its stdout and stderr are read as they come
 * (ev_io, non-blocking), and it is killed with its group after
 * cfg->exec->timeout_ms. Its exit is seen with an ev_child on libev's default
 * loop (which reaps every child itself), else with a pidfd (Linux >= 5.3),
 * else by polling waitpid(WNOHANG); the loop never blocks. `done` runs
 * exactly once from the loop, never inside this call, unless the run is
 * cancelled. Errors, in err of the call or of done: -ENOENT (command not
 * found), -ETIMEDOUT, -EMSGSIZE (more than KC_EXEC_OUTPUT_MAX on stdout), -EIO
 * (non-zero exit: the message holds the first stderr line and the install
 * hint), -EBADMSG (bad ExecCredential). Those found before the plugin runs
 * (not found, no memory) are returned here, and done is not called.
 * cfg is borrowed and must outlive the run. *ret is valid until done is
 * called or the run is cancelled. */
int kc__exec_start(struct ev_loop *loop, const struct kc_config *cfg, kc__exec_done_fn *done,
                   void *userdata, struct kc__exec_run **ret, struct kc_error *err);

/* Kills the plugin's process group and frees the run; done is not called.
 * Off the default loop it waits up to 100 ms for the killed plugin to exit,
 * so no zombie is left behind. NULL is fine; returns NULL. */
struct kc__exec_run *kc__exec_cancel(struct kc__exec_run *run);

/* The same, synchronously (for code with no loop to spare, and the CLI's
 * kc_config_credential()): kc__exec_start on a private loop run until done.
 * On success *ret is filled; its strings are owned by the caller. */
int kc__exec_credential(const struct kc_config *cfg, struct kc_credential *ret,
                        struct kc_error *err);

/* Parses an ExecCredential written by plugin `who` for `api_version`. */
int kc__exec_credential_parse(const char *json, size_t len, const char *api_version,
                              const char *who, struct kc_credential *ret, struct kc_error *err);

/* RFC 3339 ("2006-01-02T15:04:05Z", fractions and offsets allowed) to seconds
 * since the epoch, fractions dropped. -EINVAL when malformed. */
int kc__parse_rfc3339(const char *s, time_t *ret);

#endif
