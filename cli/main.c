/* kubectl-slipway: the kubectl plugin, run as `kubectl slipway COMMAND`. */
#include <stdio.h>
#include <string.h>

#include "slipway-version.h"

static const char usage[] =
	"Usage: kubectl slipway COMMAND [OPTIONS]\n"
	"\n"
	"Inspect and steer Slipway Releases.\n"
	"\n"
	"Commands:\n"
	"  version          print the client version\n"
	"\n"
	"Options:\n"
	"  -h, --help       show this help and exit\n"
	"      --version    print the version and exit\n";

int main(int argc, char **argv)
{
	if (argc < 2) {
		fputs(usage, stderr);
		return 2;
	}
	const char *cmd = argv[1];
	if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
		fputs(usage, stdout);
		return 0;
	}
	if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
		printf("kubectl-slipway %s\n", SLIPWAY_VERSION);
		return 0;
	}
	fprintf(stderr, "kubectl-slipway: unknown command '%s' (see --help)\n", cmd);
	return 2;
}
