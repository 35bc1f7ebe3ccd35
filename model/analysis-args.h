/*
 * Arguments of an analysis, from templates to a measurement, pure:
 *
 *   1. model_analysis_merge: the templates a Release step names become one
 *      spec (metrics concatenated, a metric name in two templates is an
 *      error; arguments of the same name merged, conflicting values an
 *      error).
 *   2. model_analysis_resolve_args: the Release's args fill in the
 *      templates' (the Release's value wins, as in Argo Rollouts), and
 *      valueFrom.podTemplateHashValue becomes the stable or latest revision
 *      passed in. What comes out is a run's args: each a value or a
 *      secretKeyRef (a Secret's value is never stored in a run's spec).
 *   3. model_arg_values_bind: at measurement time, the values of the
 *      secretKeyRefs, read by the I/O shell, join the plain values, marked
 *      secret.
 *   4. model_subst: "{{args.NAME}}" (spaces inside the braces allowed) in a
 *      query, URL, header or body is replaced. The result says whether a
 *      secret went into it.
 *
 * Functions taking `errs` accept NULL when only the verdict matters.
 *
 * Secrets. A string that may hold a secret is a `struct model_subst` and
 * can be sent to a provider, nothing else. What status, Events, logs and
 * metrics show is a `struct model_public`, which only three functions make:
 * model_public_from_subst (refuses a string with a secret in it),
 * model_public_redact (replaces every secret value of a binding with
 * "<redacted>", for provider responses and error messages, which may echo
 * a request) and model_public_literal (text from the spec, never
 * substituted: metric names, conditions). The measurement and status
 * builders in reconcilers/analysis.h take only model_public.
 */
#ifndef SLIPWAY_MODEL_ANALYSIS_ARGS_H
#define SLIPWAY_MODEL_ANALYSIS_ARGS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "model/analysis.h"
#include "model/errors.h"
#include "model/release.h"

/* What a redacted secret reads as. */
#define MODEL_REDACTED "<redacted>"

/* Merges templates[0..n) (n >= 1, at most REL_ANALYSIS_TEMPLATES_MAX) into
 * *out (zeroed by the caller; cleared with model_analysis_spec_clear), each
 * metric remembering its template's name. Returns 0, -EINVAL with the
 * problems in errs (out left empty), or -ENOMEM. */
int model_analysis_merge(const struct model_analysis_template *const *templates, size_t n,
                         struct model_analysis_spec *out, struct model_errors *errs);

/* The revisions podTemplateHashValue names. NULL = not known (an argument
 * that needs it is then an error). */
struct model_revisions {
	const char *stable;
	const char *latest;
};

/* The args of a run: `tmpl` (merged templates' args) overridden by `given`
 * (a Release step's args; NULL = none), podTemplateHashValue resolved from
 * `rev`. Into *ret_args / *ret_n (caller frees with model_analysis_args_free).
 * An argument left without value, or a given argument no template declares,
 * is an error naming it. Returns 0, -EINVAL (errs), -ENOMEM. */
int model_analysis_resolve_args(const struct model_analysis_spec *tmpl,
                                const struct rel_analysis *given, const struct model_revisions *rev,
                                struct model_analysis_arg **ret_args, size_t *ret_n,
                                struct model_errors *errs);

/* Frees n args and the array; accepts NULL. */
void model_analysis_args_free(struct model_analysis_arg *args, size_t n);

/* A Secret's value as the I/O shell read it: the Secret's name, the key and
 * the value (decoded). Borrowed by model_arg_values_bind, which copies. */
struct model_secret_value {
	const char *name;
	const char *key;
	const char *value;
};

/* One argument ready for substitution. */
struct model_arg_value {
	char *name;
	char *value;
	bool secret; /* from a Secret: never shown */
};

struct model_arg_values {
	size_t n;
	struct model_arg_value *v;
};

/* Binds a run's args to values: plain values as they are, secretKeyRefs
 * from `secrets` (the caller read them). A secretKeyRef with no value in
 * `secrets` is an error naming the argument, Secret and key (not a value).
 * *out is the caller's (model_arg_values_clear). 0, -EINVAL, -ENOMEM. */
int model_arg_values_bind(const struct model_analysis_arg *args, size_t n_args,
                          const struct model_secret_value *secrets, size_t n_secrets,
                          struct model_arg_values *out, struct model_errors *errs);

/* Frees the values and zeroes vals; accepts NULL. */
void model_arg_values_clear(struct model_arg_values *vals);

/* A string after substitution; may hold a secret. Send it, do not show it. */
struct model_subst {
	char *text;
	bool secret; /* a secret value went into text */
};

/* Text that may be shown: status, Events, logs, metrics. */
struct model_public {
	char *text;
};

/* Replaces every {{args.NAME}} in `in` with its value from vals. An unknown
 * NAME, or a "{{" without "}}", is an error at `path` (the field
 * substituted, e.g. "spec.metrics[0].provider.prometheus.query") saying
 * which. *out is the caller's (model_subst_clear). 0, -EINVAL, -ENOMEM;
 * out untouched on failure. */
int model_subst(const char *in, const struct model_arg_values *vals, const char *path,
                struct model_subst *out, struct model_errors *errs);

/* Frees s->text and zeroes s; accepts NULL. */
void model_subst_clear(struct model_subst *s);

/* A copy of `in` (a Job's metadata or spec) with model_subst applied to
 * every string value (not to keys). *secret tells whether a Secret went in:
 * the Job then carries it, as the template asked, and the JSON must not be
 * logged or shown. Errors name `path`. Caller owns *out (json_decref).
 * 0, -EINVAL, -ENOMEM; out and secret untouched on failure. */
int model_subst_json(const json_t *in, const struct model_arg_values *vals, const char *path,
                     json_t **out, bool *secret, struct model_errors *errs);

/* A copy of s as public text: -EPERM when s holds a secret, -ENOMEM. */
int model_public_from_subst(const struct model_subst *s, struct model_public *out);

/* A copy of `text` with every secret value of vals replaced by
 * MODEL_REDACTED, control characters and invalid UTF-8 as '?', cut to
 * MODEL_ANALYSIS_TEXT_MAX bytes: a provider's response or error message
 * made fit for status. vals may be NULL (no secrets). 0 or -ENOMEM. */
int model_public_redact(const char *text, const struct model_arg_values *vals,
                        struct model_public *out);

/* A copy of text from the spec that is never substituted (a metric name, a
 * condition). 0 or -ENOMEM. */
int model_public_literal(const char *text, struct model_public *out);

/* Frees p->text and zeroes p; accepts NULL. */
void model_public_clear(struct model_public *p);

#endif
