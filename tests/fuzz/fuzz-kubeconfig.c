/* libFuzzer: arbitrary bytes as a kubeconfig. The loader must fail cleanly
 * (an error, never a crash, leak or hang) on anything that is not one. */
#include <stddef.h>
#include <stdint.h>

#include "kubeclient/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Once as found, once with an explicit context and namespace, which take
	 * the other branches of context selection. */
	static const struct kc_load_options with_context = {.context = "ctx", .namespace = "ns"};
	const struct kc_load_options *opts[] = {NULL, &with_context};
	for (size_t i = 0; i < 2; i++) {
		struct kc_config *cfg = NULL;
		struct kc_error err = {0};
		int r = kc_config_load_string((const char *)data, size, "fuzz.yaml", opts[i], &cfg,
		                              &err);
		if (r == 0 && (!cfg || !cfg->server || !cfg->namespace || !cfg->context))
			__builtin_trap();
		if (r < 0 && (cfg || err.code != r || !err.message[0]))
			__builtin_trap();
		kc_config_free(cfg);
		kc_error_clear(&err);
	}
	return 0;
}
