/*
 * Running kubectl-slipway's commands inside a unit test: what a command
 * prints to stdout and stderr captured (through temporary files dup2'ed over
 * the descriptors), a kubeconfig pointing at a local scripted server, and an
 * independent check that text is safe for a terminal.
 */
#ifndef SLIPWAY_TESTS_CLI_CAPTURE_H
#define SLIPWAY_TESTS_CLI_CAPTURE_H

#include <stdbool.h>
#include <stdio.h>

struct capture {
	int saved_out, saved_err;
	FILE *out, *err;
};

/* From here on stdout and stderr go to temporary files. */
void capture_start(struct capture *c);

/* Puts stdout and stderr back; *out and *err get what was printed (at most
 * 64 KiB each, NUL-terminated; caller frees both). */
void capture_end(struct capture *c, char **out, char **err);

/* Writes a kubeconfig for http://127.0.0.1:port with a token user and
 * namespace dev to a new file /tmp/PREFIX-XXXXXX, named into path (room for
 * 64 bytes). 0 or -1. */
int write_test_kubeconfig(int port, const char *prefix, char *path);

/* Whether text could go to a terminal as is: valid UTF-8 (RFC 3629, no
 * overlongs or surrogates) without a C0 control other than '\n', DEL or a
 * C1 control. Written here, not taken from cli/escape.c, so the check does
 * not share the code it checks. */
bool terminal_safe(const char *text);

#endif
