/*
 * `kubectl slipway lint`: offline validation of Release manifests with the
 * model code the controller runs (rel_release_parse), each problem printed
 * as "FILE:LINE:COLUMN: FIELD: MESSAGE" with libyaml's positions.
 *
 * A file may hold several YAML documents. Documents whose kind is not
 * Release are skipped (a manifest usually carries Services and the like
 * beside it); a Release with another apiVersion, a document without kind or
 * one that is not a mapping, YAML syntax errors, duplicate keys and
 * aliases are problems. A field the model finds missing is reported at its
 * parent's position; a field whose value is a mapping or list at its key.
 */
#ifndef SLIPWAY_CLI_LINT_H
#define SLIPWAY_CLI_LINT_H

#include <stddef.h>
#include <stdio.h>

/* Largest manifest read, so a wrong file (a disk image) fails fast. */
#define CLI_LINT_MAX_FILE (16u * 1024 * 1024)

struct cli_lint_result {
	size_t problems; /* lines printed */
	size_t releases; /* Release documents checked */
};

/* Lints buf (named `name` in messages) and prints each problem on `out`.
 * Adds to *res. Returns 0 or -ENOMEM. */
int cli_lint_buffer(const char *name, const char *buf, size_t len, FILE *out,
                    struct cli_lint_result *res);

/* Reads `path` ("-" is standard input) and lints it. A file that cannot be
 * read is one problem, printed as "PATH: MESSAGE". Returns 0 or -ENOMEM. */
int cli_lint_file(const char *path, FILE *out, struct cli_lint_result *res);

#endif
