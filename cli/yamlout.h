/*
 * JSON values written as YAML (for `-o yaml`), with libyaml's emitter.
 * A string that a YAML reader would take for something else (true, null,
 * 1.5, yes, an empty string, ...) is quoted, so the output reads back as the
 * same JSON.
 */
#ifndef SLIPWAY_CLI_YAMLOUT_H
#define SLIPWAY_CLI_YAMLOUT_H

#include <jansson.h>
#include <stdio.h>

/* Writes v as one YAML document to f. 0, -ENOMEM or -EIO. Keys are sorted,
 * as kubectl prints them. */
int cli_yaml_write(FILE *f, const json_t *v);

#endif
