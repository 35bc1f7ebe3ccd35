/* slipway-controller: the long-running release controller. */
#include <stdio.h>
#include <string.h>

#include "slipway-version.h"

static const char usage[] =
	"Usage: slipway-controller [OPTIONS]\n"
	"\n"
	"Slipway's release controller: watches Release resources through the Kubernetes\n"
	"API and drives each one towards its declared state.\n"
	"\n"
	"Options:\n"
	"  -h, --help       show this help and exit\n"
	"      --version    print the version and exit\n";

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			fputs(usage, stdout);
			return 0;
		}
		if (strcmp(argv[i], "--version") == 0) {
			printf("slipway-controller %s\n", SLIPWAY_VERSION);
			return 0;
		}
		fprintf(stderr, "slipway-controller: unknown option '%s' (see --help)\n", argv[i]);
		return 2;
	}
	fputs(usage, stderr);
	return 2;
}
