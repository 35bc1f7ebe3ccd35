/*
 * Where the API server is and who we are: kubeconfig files and in-cluster
 * service-account configuration, resolved the way kubectl resolves them.
 *
 * A struct kc_config is plain data once loaded: file references
 * (certificate-authority, client-certificate, client-key) are read into
 * memory at load time, relative paths resolved against the kubeconfig file
 * that named them. Credentials that change over time (a token file that
 * rotates, an exec plugin's expiring output) are resolved on demand by
 * kc_config_credential().
 */
#ifndef SLIPWAY_KUBECLIENT_CONFIG_H
#define SLIPWAY_KUBECLIENT_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "kubeclient/error.h"

/* users[].user.exec: a client.authentication.k8s.io/v1 (or v1beta1) credential plugin. */
struct kc_exec_config {
	char *command;
	char **args; /* NULL-terminated */
	char **env;  /* "NAME=value", NULL-terminated, added to our environment */
	char *api_version;
	bool provide_cluster_info;
	char *install_hint;
	unsigned timeout_ms; /* the plugin is killed after this long; 30000 after loading */
	/* With provide_cluster_info: the cluster's "client.authentication.k8s.io/exec"
	 * extension as JSON, passed as spec.cluster.config; or NULL. */
	char *cluster_config_json;
};

/* The credential to present now. Strings are NUL-terminated; PEM may hold several blocks. */
struct kc_credential {
	char *token;           /* bearer token, or NULL */
	char *client_cert_pem; /* or NULL */
	char *client_key_pem;  /* or NULL */
	time_t expires;        /* 0: does not expire */
};

struct kc_config {
	char *server; /* "https://host:port" without a trailing slash */
	char *ca_pem; /* CA bundle, or NULL to use the system trust store */
	bool insecure_skip_tls_verify;
	char *tls_server_name; /* or NULL */
	char *proxy_url;       /* or NULL */
	char *client_cert_pem; /* static client certificate, or NULL */
	char *client_key_pem;
	char *token;                 /* static bearer token, or NULL */
	char *token_file;            /* bearer token file, re-read when it changes, or NULL */
	struct kc_exec_config *exec; /* or NULL */
	char *namespace;             /* the context's namespace, "default" when unset */
	char *context;               /* the context name, or "in-cluster" */
	char *source; /* where this came from, for messages: file path(s) or "in-cluster" */

	/* private: cached credential for kc_config_credential() */
	struct kc_credential cached;
	bool cached_valid;
	time_t token_file_mtime; /* with nsec, size and inode: the token file as last read */
	long token_file_mtime_nsec;
	long long token_file_size;
	unsigned long long token_file_ino;
	char *exec_failure; /* the last plugin run's error message, or NULL */
	int exec_failed_code;
	time_t exec_failed_at;
	unsigned long cached_gen;     /* counts the credentials cached so far */
	struct kc__cred_async *async; /* a plugin run on a loop and its waiters, or NULL */
};

struct kc_load_options {
	const char *kubeconfig; /* --kubeconfig: one file; NULL: $KUBECONFIG, else ~/.kube/config */
	const char *context;    /* --context, or NULL for current-context */
	const char *namespace;  /* -n override, or NULL */
};

/* Loads kubeconfig as kubectl does: --kubeconfig, else $KUBECONFIG (colon-separated,
 * first file to define a map key wins), else ~/.kube/config. Caller owns *ret
 * (kc_config_free). Errors name the file and the key: -ENOENT when no kubeconfig
 * file (or a file it names) exists; -EINVAL for malformed YAML or values and for an
 * unknown context, cluster or user; -ENOTSUP for auth-provider, basic auth and
 * impersonation, which are refused rather than ignored. Files over 4 MiB, YAML
 * aliases and nesting deeper than 64 levels are refused. */
int kc_config_load(const struct kc_load_options *opts, struct kc_config **ret,
                   struct kc_error *err);

/* Same, from one YAML document in memory; `path` names it in messages and is the
 * base for relative file references. For tests and fuzzing. */
int kc_config_load_string(const char *yaml, size_t len, const char *path,
                          const struct kc_load_options *opts, struct kc_config **ret,
                          struct kc_error *err);

/* In-cluster: $KUBERNETES_SERVICE_HOST/PORT, the service-account token (as token_file, so
 * rotation is seen), ca.crt and namespace under `sa_dir` (NULL: the standard
 * /var/run/secrets/kubernetes.io/serviceaccount). -ENOENT when not in a cluster. */
int kc_config_in_cluster(const char *sa_dir, struct kc_config **ret, struct kc_error *err);

/* kubeconfig when one is given or found, else in-cluster: what the controller does at start. */
int kc_config_auto(const struct kc_load_options *opts, struct kc_config **ret,
                   struct kc_error *err);

/* The credential to use at `now`: the static token or certificate; the token file's
 * contents (re-read when its mtime changed); or the exec plugin's output, re-run when
 * there is none yet, it has expired, or kc_config_invalidate_credential() was called
 * (after a 401). Runs the plugin synchronously (on a private loop) with a timeout:
 * for code without a loop; a client on a loop never waits here, it uses the
 * asynchronous path of kubeclient/credential.c. The returned pointer is owned by
 * cfg and valid until the next call.
 * As in client-go, a static token, tokenFile or client certificate means the exec
 * plugin is not run, and token beats tokenFile. An exec credential is replaced 10 s
 * before its expirationTimestamp; after a failed plugin run, calls within 5 s get
 * the same error without running it again (a broken plugin does not run on every
 * request). A credential with no token and no certificate is anonymous access. */
int kc_config_credential(struct kc_config *cfg, time_t now, const struct kc_credential **ret,
                         struct kc_error *err);

/* Forgets the cached credential so the next kc_config_credential() re-resolves it. */
void kc_config_invalidate_credential(struct kc_config *cfg);

/* Frees everything; NULL is fine. Returns NULL. */
struct kc_config *kc_config_free(struct kc_config *cfg);

#endif
