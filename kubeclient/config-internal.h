/*
 * Helpers shared by the kubeconfig, in-cluster and credential code. Internal to
 * kubeclient: not part of the API other modules see.
 */
#ifndef SLIPWAY_KUBECLIENT_CONFIG_INTERNAL_H
#define SLIPWAY_KUBECLIENT_CONFIG_INTERNAL_H

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

struct kc_exec_config *kc__exec_config_free(struct kc_exec_config *exec);
void kc__credential_clear(struct kc_credential *cred);

#endif
