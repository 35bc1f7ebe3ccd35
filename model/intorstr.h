/*
 * Int-or-percent values (Kubernetes IntOrString as used by maxSurge and
 * maxUnavailable): a JSON integer (an absolute count) or a string of decimal
 * digits followed by "%" (a share of the desired replicas).
 *
 * Same rules as Kubernetes (apimachinery intstr, apps validation): a string
 * must end in "%" ("3" is rejected, "3%" is not), no sign, no spaces, no
 * fraction; values are non-negative and fit in int32. Whether a percentage may
 * exceed 100% depends on the field (maxUnavailable may not, maxSurge may), so
 * that check is the caller's.
 */
#ifndef SLIPWAY_MODEL_INTORSTR_H
#define SLIPWAY_MODEL_INTORSTR_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct model_intorstr {
	bool is_percent; /* value is a percentage ("25%") rather than a count */
	int32_t value;   /* >= 0 */
};

/* Longest formatted value: "2147483647%" and its NUL. */
#define MODEL_INTORSTR_LEN 12

/* Parses a percentage string such as "25%". Returns 0, -EINVAL when the
 * text is not digits followed by "%", -ERANGE when above INT32_MAX
 * (ret untouched on error). */
int model_intorstr_parse_string(const char *s, struct model_intorstr *ret);

/* Parses a JSON value: an integer or a percentage string. Returns 0,
 * -EINVAL when it is neither (also for reals, "3" and "-5%"), -ERANGE when
 * the integer is negative, -EOVERFLOW when it exceeds INT32_MAX. */
int model_intorstr_from_json(const json_t *v, struct model_intorstr *ret);

/* New JSON value (integer or "N%"); caller owns it. NULL on ENOMEM. */
json_t *model_intorstr_to_json(const struct model_intorstr *v);

/* "N" or "N%". */
void model_intorstr_format(const struct model_intorstr *v, char buf[static MODEL_INTORSTR_LEN]);

/* The absolute value for `total` replicas, like intstr
 * GetScaledValueFromIntOrPercent: a count is returned as is, a percentage
 * is value*total/100 rounded up or down. Returns 0, -EINVAL for a negative
 * total, -ERANGE if the result does not fit in int32. */
int model_intorstr_scaled(const struct model_intorstr *v, int32_t total, bool round_up,
                          int32_t *ret);

/* The Deployment controller's ResolveFenceposts: maxSurge rounds up,
 * maxUnavailable rounds down, and when both come out 0 maxUnavailable
 * becomes 1 so a rollout can always make progress. The result is not clamped
 * to `desired` (Kubernetes does not either; an absolute maxUnavailable of 50
 * with 10 replicas stays 50). Returns 0 or an error of
 * model_intorstr_scaled (outputs untouched). */
int model_resolve_fenceposts(const struct model_intorstr *max_surge,
                             const struct model_intorstr *max_unavailable, int32_t desired,
                             int32_t *ret_surge, int32_t *ret_unavailable);

#endif
