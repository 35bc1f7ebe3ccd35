/*
 * Reading the fields of an API object under validation (a Release today;
 * AnalysisTemplates, Approvals and policies next): one helper per field
 * type, each checking type and range and, on a problem, adding
 * "PATH: message" to a model_errors list, where PATH is the field's full
 * dotted path ("spec.strategy.rolling.maxSurge", "spec.steps[2].pause"), so
 * every error names the field a user must fix.
 *
 * Conventions shared by every helper:
 *   - `obj` is the object holding the field (NULL reads as "absent"), `key`
 *     the member name, `base` the path of obj ("" at the top level);
 *   - an absent optional field is no error: the out-parameter gets the given
 *     default (or NULL / false), the helper returns true;
 *   - the helper returns false exactly when it added an error, so a caller
 *     can skip the checks that depend on the value;
 *   - an allocation failure adds no error but sets f->oom: validation goes on
 *     (so the errors stay complete) and the caller returns -ENOMEM at the end,
 *     freeing the half-built object in one place.
 * Strings returned through `char **` are the caller's (free).
 */
#ifndef SLIPWAY_MODEL_FIELDS_H
#define SLIPWAY_MODEL_FIELDS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/errors.h"
#include "model/intorstr.h"

/* Field paths are short; a longer one is cut, which only shortens a message. */
#define MODEL_PATH_LEN 256

/* One validation in progress. */
struct model_fields {
	struct model_errors *errs; /* where errors go; never NULL */
	bool oom;                  /* an allocation failed */
};

/* out = base "." key (just key when base is empty), cut to MODEL_PATH_LEN - 1. */
void model_path_key(char out[static MODEL_PATH_LEN], const char *base, const char *key);

/* out = base "[" i "]", cut to MODEL_PATH_LEN - 1. */
void model_path_index(char out[static MODEL_PATH_LEN], const char *base, size_t i);

/* strdup that records a failure in f->oom. Caller frees; NULL on ENOMEM. */
char *model_fields_strdup(struct model_fields *f, const char *s);

/* An integer in [min, INT32_MAX]; `dflt` when absent. */
bool model_field_int32(struct model_fields *f, const json_t *obj, const char *key, const char *base,
                       int32_t min, int32_t dflt, int32_t *out);

/* A boolean; `dflt` when absent. */
bool model_field_bool(struct model_fields *f, const json_t *obj, const char *key, const char *base,
                      bool dflt, bool *out);

/* The member when it is an object, else NULL: with "required" when
 * `required` and absent, with "must be an object" when of another type.
 * Borrowed from obj. (Returns the member, not a verdict: absent and wrong
 * are both "nothing to descend into".) */
json_t *model_field_object(struct model_fields *f, const json_t *obj, const char *key,
                           const char *base, bool required);

/* A list of at most `max` items (`noun` names them in the error: "must have
 * at most 16 templates"). `required` means present and non-empty. *out is
 * the array (borrowed; possibly empty when not required) or NULL when
 * absent. */
bool model_field_array(struct model_fields *f, const json_t *obj, const char *key, const char *base,
                       bool required, size_t max, const char *noun, json_t **out);

/* A string without NUL bytes, copied into *out; NULL when absent. An empty
 * string is an error ("required") only when `required`. */
bool model_field_string(struct model_fields *f, const json_t *obj, const char *key,
                        const char *base, bool required, char **out);

/* Names of objects a spec refers to. */
enum model_name_kind {
	MODEL_NAME_DNS_LABEL,     /* Services: RFC 1035 label, [a-z]([-a-z0-9]*[a-z0-9])?, <= 63 */
	MODEL_NAME_DNS_SUBDOMAIN, /* most objects: RFC 1123 subdomain, <= 253 */
};

/* A string naming an object (model_field_string, then a check of the name's
 * syntax for `kind`). */
bool model_field_name(struct model_fields *f, const json_t *obj, const char *key, const char *base,
                      enum model_name_kind kind, bool required, char **out);

/* An int-or-percent (model/intorstr.h): a count or "N%"; with `max100` a
 * percentage above 100% is an error. *out is left alone when absent, so the
 * caller puts the default there first. */
bool model_field_intorstr(struct model_fields *f, const json_t *obj, const char *key,
                          const char *base, bool max100, struct model_intorstr *out);

/* A non-negative duration, as Argo Rollouts writes them: an integer, or a
 * string of digits, is seconds; any other string is a Go duration ("5m",
 * "1h30m", model/duration.h). *has tells whether one was given and valid;
 * *ns is set only then. */
bool model_field_duration(struct model_fields *f, const json_t *obj, const char *key,
                          const char *base, bool *has, int64_t *ns);

/* Whether obj's keys are all in `allowed` (NULL-terminated); otherwise adds
 * "BASE: unknown field \"x\": EXPECT" for the first stranger. For objects
 * whose key selects a variant, where an ignored key would silently run
 * something else than the user wrote. */
bool model_fields_only(struct model_fields *f, const json_t *obj, const char *base,
                       const char *const allowed[], const char *expect);

#endif
