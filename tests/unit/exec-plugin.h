/*
 * Exec credential plugins for tests: shell scripts written as plugin.sh into
 * a temporary directory of the test's own, which also holds what a plugin
 * leaves for the test to read (by convention: count, pid, child), and the
 * kubeconfig whose user runs that plugin. One directory per test program.
 */
#ifndef SLIPWAY_TESTS_EXEC_PLUGIN_H
#define SLIPWAY_TESTS_EXEC_PLUGIN_H

#include <stddef.h>

#include "kubeclient/config.h"

/* Seconds on the monotonic clock. */
double ep_mono(void);

/* Makes the directory, $TMPDIR/PREFIX-XXXXXX (/tmp without TMPDIR). 0, or
 * -1 (with a failed TAP test) when it cannot. */
int ep_dir_make(const char *prefix);

/* Removes plugin.sh, count, pid and child from the directory, then the
 * directory itself. */
void ep_dir_remove(void);

/* DIR/NAME into out (cap bytes, truncated). */
void ep_path(char *out, size_t cap, const char *name);

/* The number at the start of DIR/NAME, 0 when there is none. */
int ep_read_int(const char *name);

/* Removes DIR/NAME (nothing when it is not there). */
void ep_remove(const char *name);

/* Writes `script` as DIR/plugin.sh (mode 0700), removes the count, pid and
 * child an earlier run left, and loads a kubeconfig of one cluster at
 * `server` whose user runs the plugin: `exec_fields` is YAML flow-mapping
 * entries that follow `command` in the exec block (each starting with ", ",
 * e.g. ", env: [...]"). A nonzero timeout_ms replaces the exec timeout.
 * Caller owns the result (kc_config_free); NULL (with a TAP diagnostic)
 * when it does not load. */
struct kc_config *ep_config(const char *script, const char *server, const char *exec_fields,
                            unsigned timeout_ms);

#endif
