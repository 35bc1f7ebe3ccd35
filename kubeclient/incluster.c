/*
 * In-cluster configuration: the API server from the service environment
 * variables, identity from the mounted service-account files, as client-go's
 * rest.InClusterConfig does.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kubeclient/config-internal.h"
#include "kubeclient/config.h"

#define DEFAULT_SA_DIR "/var/run/secrets/kubernetes.io/serviceaccount"

/* Namespaces are DNS labels; anything longer is not one. */
#define NAMESPACE_MAX 253

static bool valid_port(const char *port)
{
	char *end = NULL;
	errno = 0;
	long v = strtol(port, &end, 10);
	return errno == 0 && end != port && *end == '\0' && v > 0 && v <= 65535;
}

static bool valid_host(const char *host)
{
	if (!host[0] || strlen(host) > 255)
		return false;
	for (const char *p = host; *p; p++) {
		/* Hostnames, IPv4 and IPv6 literals only: nothing that changes the URL's shape. */
		bool okc = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		           (*p >= '0' && *p <= '9') || *p == '.' || *p == '-' || *p == ':' ||
		           *p == '%' || *p == '_';
		if (!okc)
			return false;
	}
	return true;
}

/* The API server's address from the service variables: 0, or an error that
 * says which variable is wrong. */
static int service_env(const char **ret_host, const char **ret_port, struct kc_error *err)
{
	const char *host = getenv("KUBERNETES_SERVICE_HOST");
	const char *port = getenv("KUBERNETES_SERVICE_PORT");
	if (!host || !host[0] || !port || !port[0])
		return kc_error_set(
		    err, -ENOENT,
		    "not in a cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT "
		    "are not set");
	/* Never echo a user-info: it is a credential, and this message is logged. */
	if (strchr(host, '@'))
		return kc_error_set(err, -EINVAL,
		                    "KUBERNETES_SERVICE_HOST: holds user-info (user:password@), "
		                    "not a host");
	if (!valid_host(host))
		return kc_error_set(err, -EINVAL, "KUBERNETES_SERVICE_HOST: \"%s\" is not a host",
		                    host);
	if (!valid_port(port))
		return kc_error_set(err, -EINVAL, "KUBERNETES_SERVICE_PORT: \"%s\" is not a port",
		                    port);
	*ret_host = host;
	*ret_port = port;
	return 0;
}

int kc_config_in_cluster(const char *sa_dir, struct kc_config **ret, struct kc_error *err)
{
	const char *host = NULL, *port = NULL;
	int env = service_env(&host, &port, err);
	if (env < 0)
		return env;
	if (!sa_dir)
		sa_dir = DEFAULT_SA_DIR;
	if (strlen(sa_dir) > PATH_MAX - 32)
		return kc_error_set(err, -ENAMETOOLONG, "%s: path too long", sa_dir);

	char path[PATH_MAX];
	struct kc_config *cfg = calloc(1, sizeof(*cfg));
	if (!cfg)
		return kc_error_set(err, -ENOMEM, "out of memory");
	int r;
	char *buf = NULL;

	char server[300];
	/* An IPv6 literal needs brackets in a URL. */
	if (strchr(host, ':'))
		snprintf(server, sizeof(server), "https://[%s]:%s", host, port);
	else
		snprintf(server, sizeof(server), "https://%s:%s", host, port);
	cfg->server = strdup(server);

	/* The token is read now only to fail early, as client-go does; requests
	 * read it through token_file so that rotation is seen. */
	snprintf(path, sizeof(path), "%s/token", sa_dir);
	cfg->token_file = strdup(path);
	r = kc__read_file(path, KC_TOKEN_MAX, &buf, NULL);
	if (r < 0) {
		r = kc_error_set(err, r, "in-cluster service account token %s: %s", path,
		                 r == -EFBIG ? "too large" : strerror(-r));
		goto fail;
	}
	free(buf);
	buf = NULL;

	snprintf(path, sizeof(path), "%s/ca.crt", sa_dir);
	r = kc__read_file(path, KC_PEM_FILE_MAX, &cfg->ca_pem, NULL);
	if (r < 0 && r != -ENOENT) {
		r = kc_error_set(err, r, "in-cluster CA %s: %s", path,
		                 r == -EFBIG ? "too large" : strerror(-r));
		goto fail;
	}
	/* Without ca.crt the system trust store is used, as client-go does. */

	const char *ns = getenv("POD_NAMESPACE");
	if (ns && ns[0]) {
		cfg->namespace = strdup(ns);
	} else {
		snprintf(path, sizeof(path), "%s/namespace", sa_dir);
		r = kc__read_file(path, NAMESPACE_MAX + 2, &buf, NULL);
		if (r == 0 && kc__trim(buf)[0]) {
			cfg->namespace = buf;
			buf = NULL;
		} else {
			cfg->namespace = strdup("default");
		}
	}
	cfg->context = strdup("in-cluster");
	cfg->source = strdup("in-cluster");
	if (!cfg->server || !cfg->token_file || !cfg->namespace || !cfg->context || !cfg->source) {
		r = kc_error_set(err, -ENOMEM, "out of memory");
		goto fail;
	}
	free(buf);
	*ret = cfg;
	return 0;
fail:
	free(buf);
	kc_config_free(cfg);
	return r;
}
