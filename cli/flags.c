/* Parsing one command's flags and arguments (cli/flags.h). */
#include "cli/flags.h"

#include <stdint.h>
#include <string.h>

#include "model/duration.h"

/* The flag a in flags, and its inline value ("--name=value", "-xvalue"). */
static const struct cli_flag *find_flag(const struct cli_flag *flags, const char *a,
                                        const char **inline_value)
{
	const struct cli_flag *f = NULL;
	*inline_value = NULL;
	if (a[1] == '-') {
		const char *eq = strchr(a + 2, '=');
		size_t nlen = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
		*inline_value = eq ? eq + 1 : NULL;
		for (const struct cli_flag *g = flags; g && g->name; g++)
			if (strlen(g->name) == nlen && strncmp(g->name, a + 2, nlen) == 0)
				f = g;
		return f;
	}
	for (const struct cli_flag *g = flags; g && g->name; g++)
		if (g->short_name && g->short_name == a[1])
			f = g;
	if (f && a[2])
		*inline_value = a + 2;
	return f;
}

int cli_parse_flags(struct cli *c, int argc, char **argv, const struct cli_flag *flags, char **pos,
                    int cap, int *npos)
{
	int n = 0;
	bool only_pos = false;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		if (only_pos || a[0] != '-' || strcmp(a, "-") == 0) {
			if (n >= cap)
				return cli_usage_error(c, "unexpected argument '%s'", a);
			pos[n++] = argv[i];
			continue;
		}
		if (strcmp(a, "--") == 0) {
			only_pos = true;
			continue;
		}
		const char *inline_value;
		const struct cli_flag *f = find_flag(flags, a, &inline_value);
		if (!f)
			return cli_usage_error(c, "unknown flag '%s'", a);
		if (f->takes_value) {
			if (!inline_value) {
				if (i + 1 >= argc)
					return cli_usage_error(c, "flag '%s' needs a value", a);
				inline_value = argv[++i];
			}
			*f->value = inline_value;
		} else if (!inline_value || strcmp(inline_value, "true") == 0) {
			*f->on = true;
		} else if (strcmp(inline_value, "false") == 0) {
			*f->on = false;
		} else {
			return cli_usage_error(c, "flag '--%s' takes true or false", f->name);
		}
	}
	*npos = n;
	return 0;
}

int cli_one_name(struct cli *c, int argc, char **argv, const struct cli_flag *flags,
                 const char **name)
{
	char *pos[1];
	int n;
	int r = cli_parse_flags(c, argc, argv, flags, pos, 1, &n);
	if (r)
		return r;
	if (n != 1)
		return cli_usage_error(c, "expected one Release NAME");
	*name = pos[0];
	return 0;
}

int cli_parse_timeout(struct cli *c, const char *text, bool allow_zero, double *seconds)
{
	int64_t ns;
	if (model_duration_parse(text, &ns) < 0 || ns < 0 || (ns == 0 && !allow_zero))
		return cli_usage_error(c, "--timeout: \"%s\" is not a duration such as 90s or 5m",
		                       text);
	*seconds = (double)ns / 1e9;
	return 0;
}
