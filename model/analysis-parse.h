/*
 * Internal to model/: the pieces of the analysis parsers that analysis.c
 * and analysis-status.c share. Conventions of model/fields.h.
 */
#ifndef SLIPWAY_MODEL_ANALYSIS_PARSE_H
#define SLIPWAY_MODEL_ANALYSIS_PARSE_H

#include <jansson.h>
#include <stdbool.h>

#include "model/analysis.h"
#include "model/fields.h"

/* A metric or argument name: [A-Za-z0-9_.-], 1 to MODEL_ANALYSIS_NAME_MAX. */
bool model_analysis_name_valid(const char *s);

/* A string of at most `max` bytes (model_field_string otherwise). */
bool model_analysis_text(struct model_fields *f, const json_t *obj, const char *key,
                         const char *base, bool required, size_t max, char **out);

/* status `o` (NULL = absent: a run not started) into s. */
void model_analysis_parse_status(struct model_fields *c, const json_t *o,
                                 struct model_analysis_status *s);

#endif
