/*
 * Internal to model/: the pieces of rel_release_parse that release.c and
 * canary.c share. Not for other modules (they use model/release.h).
 * Conventions of model/fields.h: errors go to c->errs with full paths, an
 * allocation failure sets c->oom, partly filled structs are freed by the
 * matching clear function.
 */
#ifndef SLIPWAY_MODEL_RELEASE_PARSE_H
#define SLIPWAY_MODEL_RELEASE_PARSE_H

#include <jansson.h>

#include "model/fields.h"
#include "model/release.h"

/* maxSurge / maxUnavailable of `o` (NULL = both absent), defaulted to 25%,
 * not both 0. The rolling strategy and the canary's pace use it alike. */
void rel_parse_rolling(struct model_fields *c, const json_t *o, const char *base,
                       struct rel_rolling *r);

/* {templates, args} of an analysis step or blueGreen analysis. */
void rel_parse_analysis(struct model_fields *c, const json_t *o, const char *base,
                        struct rel_analysis *a);

/* Frees what rel_parse_analysis allocated and zeroes a. */
void rel_analysis_clear(struct rel_analysis *a);

/* spec.strategy.canary `o` into k. `release_name` (NULL when invalid) bounds
 * the names of objects the controller derives from it. */
void rel_parse_canary(struct model_fields *c, const json_t *o, const char *base,
                      const char *release_name, struct rel_canary *k);

/* Frees what rel_parse_canary allocated and zeroes k. */
void rel_canary_clear(struct rel_canary *k);

/* spec.strategy.blueGreen `o` into b; `selector` is spec.selector's
 * matchLabels (parsed before), whose keys pod metadata may not set. */
void rel_parse_blue_green(struct model_fields *c, const json_t *o, const char *base,
                          const struct model_labels *selector, struct rel_blue_green *b);

/* Frees what rel_parse_blue_green allocated and zeroes b. */
void rel_blue_green_clear(struct rel_blue_green *b);

#endif
