/* `lint -f FILE...`: the controller's validation, offline (cli/lint.h). */
#include <string.h>

#include "cli/commands.h"
#include "cli/flags.h"
#include "cli/lint.h"

#define MAX_FILES 256

/* Takes every -f FILE, -fFILE, --filename FILE and --filename=FILE out of
 * argv (which keeps the rest, in order, in argv[0..*rest)) into
 * files[0..*nfiles). -f may repeat, which cli_parse_flags does not allow.
 * 0 or CLI_EXIT_USAGE (printed). */
static int take_files(struct cli *c, int argc, char **argv, const char **files, int *nfiles,
                      int *rest)
{
	int nf = 0, m = 0;
	for (int i = 0; i < argc; i++) {
		const char *v = NULL;
		if ((strcmp(argv[i], "-f") == 0 || strcmp(argv[i], "--filename") == 0) &&
		    i + 1 < argc) {
			v = argv[++i];
		} else if (strncmp(argv[i], "--filename=", 11) == 0) {
			v = argv[i] + 11;
		} else if (strncmp(argv[i], "-f", 2) == 0) {
			v = argv[i] + 2;
			if (*v == '=')
				v++;
		} else {
			argv[m++] = argv[i];
			continue;
		}
		if (!*v)
			return cli_usage_error(c, "-f needs a FILE");
		if (nf == MAX_FILES)
			return cli_usage_error(c, "at most %d files", MAX_FILES);
		files[nf++] = v;
	}
	*nfiles = nf;
	*rest = m;
	return 0;
}

int cmd_lint(struct cli *c, int argc, char **argv)
{
	char *pos[1];
	int n, nfiles = 0, rest = 0;
	const char *files[MAX_FILES];
	int r = take_files(c, argc, argv, files, &nfiles, &rest);
	if (r)
		return r;
	r = cli_parse_flags(c, rest, argv, NULL, pos, 0, &n);
	if (r)
		return r;
	if (nfiles == 0)
		return cli_usage_error(c, "expected -f FILE (repeatable; - is standard input)");
	struct cli_lint_result res = {0};
	for (int i = 0; i < nfiles; i++) {
		if (cli_lint_file(files[i], stdout, &res) < 0) {
			cli_errorf(c, "out of memory");
			return CLI_EXIT_FAIL;
		}
	}
	if (res.problems > 0) {
		fprintf(stderr, "%zu problem%s in %zu Release%s\n", res.problems,
		        res.problems == 1 ? "" : "s", res.releases, res.releases == 1 ? "" : "s");
		return CLI_EXIT_FAIL;
	}
	if (res.releases == 0)
		fprintf(stderr, "no Release found in the given files\n");
	return 0;
}
