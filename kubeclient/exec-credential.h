/*
 * client.authentication.k8s.io exec credential plugins: running one and
 * reading its ExecCredential. Internal to kubeclient; kc_config_credential()
 * decides when to call it.
 */
#ifndef SLIPWAY_KUBECLIENT_EXEC_CREDENTIAL_H
#define SLIPWAY_KUBECLIENT_EXEC_CREDENTIAL_H

#include <stddef.h>
#include <time.h>

#include "kubeclient/config.h"

/* The plugin's stdout beyond this is an error (an ExecCredential is a few KiB). */
#define KC_EXEC_OUTPUT_MAX ((size_t)1 << 20)

/* Runs cfg->exec synchronously: stdin is /dev/null, the environment is ours plus
 * the exec env plus KUBERNETES_EXEC_INFO, and the plugin (with its process group)
 * is killed after cfg->exec->timeout_ms. Errors: -ENOENT (command not found),
 * -ETIMEDOUT, -EMSGSIZE (too much output), -EIO (non-zero exit, message holds the
 * first stderr line and the install hint), -EBADMSG (bad ExecCredential).
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
