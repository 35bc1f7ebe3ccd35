#include "model/intorstr.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int model_intorstr_parse_string(const char *s, struct model_intorstr *ret)
{
	int64_t v = 0;
	const char *p = s;
	if (*p < '0' || *p > '9')
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		v = v * 10 + (*p - '0');
		/* Stop early so a long run of digits cannot overflow v. */
		if (v > INT32_MAX) {
			while (*p >= '0' && *p <= '9')
				p++;
			if (p[0] == '%' && p[1] == '\0')
				return -ERANGE;
			return -EINVAL;
		}
	}
	if (p[0] != '%' || p[1] != '\0')
		return -EINVAL;
	ret->is_percent = true;
	ret->value = (int32_t)v;
	return 0;
}

int model_intorstr_from_json(const json_t *v, struct model_intorstr *ret)
{
	if (json_is_integer(v)) {
		json_int_t i = json_integer_value(v);
		if (i < 0)
			return -ERANGE;
		if (i > INT32_MAX)
			return -EOVERFLOW;
		ret->is_percent = false;
		ret->value = (int32_t)i;
		return 0;
	}
	if (json_is_string(v)) {
		/* An embedded NUL would hide trailing text from the parser. */
		if (json_string_length(v) != strlen(json_string_value(v)))
			return -EINVAL;
		int r = model_intorstr_parse_string(json_string_value(v), ret);
		return r == -ERANGE ? -EOVERFLOW : r;
	}
	return -EINVAL;
}

void model_intorstr_format(const struct model_intorstr *v, char buf[static MODEL_INTORSTR_LEN])
{
	snprintf(buf, MODEL_INTORSTR_LEN, "%d%s", (int)v->value, v->is_percent ? "%" : "");
}

json_t *model_intorstr_to_json(const struct model_intorstr *v)
{
	if (!v->is_percent)
		return json_integer(v->value);
	char buf[MODEL_INTORSTR_LEN];
	model_intorstr_format(v, buf);
	return json_string(buf);
}

int model_intorstr_scaled(const struct model_intorstr *v, int32_t total, bool round_up,
                          int32_t *ret)
{
	if (total < 0 || v->value < 0)
		return -EINVAL;
	if (!v->is_percent) {
		*ret = v->value;
		return 0;
	}
	/* Integer arithmetic: both factors fit in int32, the product in int64,
	 * and unlike Kubernetes' float64 there is no rounding error to argue about. */
	int64_t prod = (int64_t)v->value * total;
	int64_t r = round_up ? (prod + 99) / 100 : prod / 100;
	if (r > INT32_MAX)
		return -ERANGE;
	*ret = (int32_t)r;
	return 0;
}

int model_resolve_fenceposts(const struct model_intorstr *max_surge,
                             const struct model_intorstr *max_unavailable, int32_t desired,
                             int32_t *ret_surge, int32_t *ret_unavailable)
{
	int32_t surge, unavailable;
	int r = model_intorstr_scaled(max_surge, desired, true, &surge);
	if (r < 0)
		return r;
	r = model_intorstr_scaled(max_unavailable, desired, false, &unavailable);
	if (r < 0)
		return r;
	if (surge == 0 && unavailable == 0)
		unavailable = 1;
	*ret_surge = surge;
	*ret_unavailable = unavailable;
	return 0;
}
