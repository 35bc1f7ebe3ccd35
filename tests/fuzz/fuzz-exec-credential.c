/* libFuzzer: arbitrary bytes as an exec plugin's stdout. A plugin is another
 * program; what it prints must never crash us or reach a header unchecked. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "kubeclient/config-internal.h"
#include "kubeclient/exec-credential.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kc_credential c = {0};
	struct kc_error err = {0};
	int r = kc__exec_credential_parse((const char *)data, size,
	                                  "client.authentication.k8s.io/v1", "fuzz", &c, &err);
	if (r == 0) {
		/* What we accept goes into an Authorization header or to TLS. */
		if (!c.token && !c.client_cert_pem)
			__builtin_trap();
		if (c.token && !kc__token_valid(c.token))
			__builtin_trap();
		if (!c.client_cert_pem != !c.client_key_pem)
			__builtin_trap();
	}
	kc__credential_clear(&c);
	kc_error_clear(&err);
	return 0;
}
