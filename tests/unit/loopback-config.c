#include "loopback-config.h"

#include <stdio.h>

#include "tap.h"

struct kc_config *test_loopback_config(const char *server, const char *token, const char *ns)
{
	char yaml[1024], context_ns[128] = "";
	if (ns)
		snprintf(context_ns, sizeof(context_ns), ", namespace: %s", ns);
	int n = snprintf(yaml, sizeof(yaml),
	                 "apiVersion: v1\nkind: Config\n"
	                 "clusters: [{name: c, cluster: {server: '%s'}}]\n"
	                 "users: [{name: u, user: {token: %s}}]\n"
	                 "contexts: [{name: x, context: {cluster: c, user: u%s}}]\n"
	                 "current-context: x\n",
	                 server, token, context_ns);
	struct kc_config *c = NULL;
	struct kc_error err = {0};
	if (n < 0 || (size_t)n >= sizeof(yaml) ||
	    kc_config_load_string(yaml, (size_t)n, "test-kubeconfig", NULL, &c, &err) < 0)
		tap_diag("test kubeconfig for %s: %s", server, err.message);
	kc_error_clear(&err);
	return c;
}

struct kc_config *test_loopback_port_config(int port, const char *token, const char *ns)
{
	char server[64];
	snprintf(server, sizeof(server), "http://127.0.0.1:%d", port);
	return test_loopback_config(server, token, ns);
}
