#include "tap.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "kubeclient/config-internal.h"
#include "kubeclient/config.h"
#include "kubeclient/exec-credential.h"
#include "kubeclient/yaml-tree.h"

#ifndef TEST_DATA_DIR
#error "TEST_DATA_DIR must name tests/unit/data"
#endif
#define KCDIR TEST_DATA_DIR "/kubeconfig"

static char tmpdir[256];

static const char *tmp_path(const char *name)
{
	static char buf[4][PATH_MAX];
	static int next;
	char *p = buf[next++ % 4];
	snprintf(p, PATH_MAX, "%s/%s", tmpdir, name);
	return p;
}

static char *slurp(const char *path)
{
	char *buf = NULL;
	if (kc__read_file(path, 1 << 20, &buf, NULL) < 0)
		return NULL;
	return buf;
}

static void spit(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (!f) {
		tap_diag("cannot write %s", path);
		return;
	}
	fputs(text, f);
	fclose(f);
}

static bool contains(const char *haystack, const char *needle)
{
	return haystack && strstr(haystack, needle);
}

static struct kc_config *load_file(const char *path, const char *context, int *r,
                                   struct kc_error *err)
{
	struct kc_load_options opts = {.kubeconfig = path, .context = context};
	struct kc_config *cfg = NULL;
	kc_error_clear(err);
	*r = kc_config_load(&opts, &cfg, err);
	return cfg;
}

static void test_full(void)
{
	const char *full = KCDIR "/full.yaml";
	struct kc_error err = {0};
	int r;
	char *ca = slurp(KCDIR "/ca.pem"), *crt = slurp(KCDIR "/client.crt"),
	     *key = slurp(KCDIR "/client.key");
	ok(ca && crt && key, "fixture PEM files readable");

	struct kc_config *cfg = load_file(full, NULL, &r, &err);
	is_int(r, 0, "full.yaml loads with its current-context: %s", err.message);
	if (cfg) {
		is_str(cfg->context, "files", "current-context is used");
		is_str(cfg->server, "https://api.example.com:6443", "trailing slash dropped");
		is_str(cfg->ca_pem, ca, "certificate-authority read relative to the kubeconfig");
		is_str(cfg->client_cert_pem, crt, "client-certificate read");
		is_str(cfg->client_key_pem, key, "client-key ./ path read");
		is_str(cfg->namespace, "team-a", "context namespace");
		is_str(cfg->source, full, "source names the file");
		ok(!cfg->insecure_skip_tls_verify, "verification on by default");
		ok(!cfg->token && !cfg->token_file && !cfg->exec, "no other credentials");
		ok(!cfg->tls_server_name && !cfg->proxy_url, "no SNI override or proxy");
	}
	cfg = kc_config_free(cfg);

	cfg = load_file(full, "data", &r, &err);
	is_int(r, 0, "--context data: %s", err.message);
	if (cfg) {
		is_str(cfg->server, "https://data.example.com", "quoted server");
		is_str(cfg->ca_pem, ca, "certificate-authority-data decoded");
		is_str(cfg->client_cert_pem, crt, "client-certificate-data decoded");
		is_str(cfg->client_key_pem, key, "client-key-data decoded");
		is_str(cfg->token, "static-token-abc", "token");
		is_str(cfg->tls_server_name, "kubernetes.internal", "tls-server-name");
		is_str(cfg->proxy_url, "http://proxy.example.com:3128", "proxy-url");
		is_str(cfg->namespace, "default", "no namespace means default");
		is_str(cfg->context, "data", "context name recorded");
	}
	cfg = kc_config_free(cfg);

	cfg = load_file(full, "insecure", &r, &err);
	is_int(r, 0, "--context insecure: %s", err.message);
	if (cfg) {
		is_str(cfg->server, "https://10.0.0.1:6443", "host:port gets https://");
		ok(cfg->insecure_skip_tls_verify, "insecure-skip-tls-verify: true");
		ok(!cfg->ca_pem, "no CA");
		is_str(cfg->token_file, KCDIR "/token",
		       "tokenFile resolved relative to the kubeconfig");
		ok(!cfg->token, "tokenFile is not read at load");
		is_str(cfg->namespace, "default", "empty namespace means default");
	}
	cfg = kc_config_free(cfg);

	cfg = load_file(full, "exec", &r, &err);
	is_int(r, 0, "--context exec: %s", err.message);
	if (cfg && cfg->exec) {
		struct kc_exec_config *e = cfg->exec;
		is_str(e->command, KCDIR "/exec-token.sh", "command with a slash resolved");
		is_str(e->api_version, "client.authentication.k8s.io/v1beta1", "apiVersion");
		is_str(e->args[0], "--region", "args[0]");
		is_str(e->args[1], "eu-west-1", "args[1]");
		ok(e->args[2] == NULL, "args NULL-terminated");
		is_str(e->env[0], "PLUGIN_MODE=test", "env as NAME=value");
		is_str(e->env[1], "EMPTY_VALUE=", "env without a value");
		ok(e->env[2] == NULL, "env NULL-terminated");
		ok(e->provide_cluster_info, "provideClusterInfo");
		is_str(e->install_hint, "install it with apt-get install example-plugin",
		       "installHint");
		is_int(e->timeout_ms, 30000, "default timeout 30 s");
	} else {
		ok(false, "exec config present");
	}
	cfg = kc_config_free(cfg);

	cfg = load_file(full, "anonymous", &r, &err);
	is_int(r, 0, "a context without a user loads");
	ok(cfg && !cfg->token && !cfg->token_file && !cfg->client_cert_pem && !cfg->exec,
	   "and has no credentials");
	cfg = kc_config_free(cfg);

	struct kc_load_options opts = {
	    .kubeconfig = full, .context = "data", .namespace = "override"};
	r = kc_config_load(&opts, &cfg, &err);
	is_int(r, 0, "namespace override loads");
	is_str(cfg ? cfg->namespace : NULL, "override", "-n wins over the context's namespace");
	cfg = kc_config_free(cfg);
	opts.context = "files";
	r = kc_config_load(&opts, &cfg, &err);
	is_str(cfg ? cfg->namespace : NULL, "override", "-n wins over a set namespace too");
	cfg = kc_config_free(cfg);

	struct kc_config *sentinel = (struct kc_config *)&err;
	cfg = sentinel;
	opts = (struct kc_load_options){.kubeconfig = full, .context = "nope"};
	r = kc_config_load(&opts, &cfg, &err);
	is_int(r, -EINVAL, "unknown context fails");
	is_int(err.code, -EINVAL, "error code recorded");
	char want[PATH_MAX + 64];
	snprintf(want, sizeof(want), "context \"nope\" not found in %s", full);
	is_str(err.message, want, "message names the context and the file");
	ok(cfg == sentinel, "out-param untouched on failure");

	cfg = load_file(full, "missing-user", &r, &err);
	is_int(r, -EINVAL, "context naming an unknown user fails");
	ok(contains(err.message, "user \"nobody\""), "message names the user: %s", err.message);

	free(ca);
	free(crt);
	free(key);
	kc_error_clear(&err);
}

static void test_merge(void)
{
	struct kc_error err = {0};
	struct kc_config *cfg = NULL;
	const char *list = KCDIR "/merge-a.yaml:" KCDIR "/does-not-exist.yaml::" KCDIR
	                         "/sub/merge-b.yaml:" KCDIR "/merge-c.yaml:" KCDIR "/merge-a.yaml";
	setenv("KUBECONFIG", list, 1);
	int r = kc_config_load(NULL, &cfg, &err);
	is_int(r, 0, "merged KUBECONFIG loads: %s", err.message);
	if (cfg) {
		is_str(cfg->context, "b-ctx", "current-context from the first file that sets it");
		is_str(cfg->server, "https://a.example.com", "cluster: first file wins by name");
		is_str(cfg->token, "token-from-a", "user: first file wins by name");
		is_str(cfg->source,
		       KCDIR "/merge-a.yaml:" KCDIR "/sub/merge-b.yaml:" KCDIR "/merge-c.yaml",
		       "source lists the files read, missing and repeated ones dropped");
	}
	cfg = kc_config_free(cfg);

	struct kc_load_options opts = {.context = "a-ctx"};
	r = kc_config_load(&opts, &cfg, &err);
	is_int(r, 0, "--context a-ctx");
	is_str(cfg ? cfg->namespace : NULL, "from-a", "context: first file wins by name");
	cfg = kc_config_free(cfg);

	opts.context = "b-own";
	r = kc_config_load(&opts, &cfg, &err);
	is_int(r, 0, "--context b-own: %s", err.message);
	char *sub_ca = slurp(KCDIR "/sub/sub-ca.pem");
	is_str(cfg ? cfg->ca_pem : NULL, sub_ca,
	       "relative path resolved against the file that names it");
	free(sub_ca);
	cfg = kc_config_free(cfg);

	opts.context = "c-ctx";
	r = kc_config_load(&opts, &cfg, &err);
	is_int(r, 0, "a context only the third file defines");
	is_str(cfg ? cfg->server : NULL, "https://c.example.com", "its cluster found");
	cfg = kc_config_free(cfg);

	opts.context = "zzz";
	r = kc_config_load(&opts, &cfg, &err);
	is_int(r, -EINVAL, "unknown context across files");
	is_str(err.message,
	       "context \"zzz\" not found in " KCDIR "/merge-a.yaml:" KCDIR
	       "/sub/merge-b.yaml:" KCDIR "/merge-c.yaml",
	       "message lists every file");

	opts = (struct kc_load_options){.kubeconfig = KCDIR "/merge-c.yaml"};
	r = kc_config_load(&opts, &cfg, &err);
	is_int(r, 0, "--kubeconfig beats KUBECONFIG");
	is_str(cfg ? cfg->context : NULL, "c-ctx", "and reads exactly that file");
	cfg = kc_config_free(cfg);

	setenv("KUBECONFIG", KCDIR "/nope-1.yaml:" KCDIR "/nope-2.yaml", 1);
	kc_error_clear(&err);
	r = kc_config_load(NULL, &cfg, &err);
	is_int(r, -ENOENT, "KUBECONFIG with only missing files: -ENOENT");
	ok(contains(err.message, "nope-1.yaml"), "message shows KUBECONFIG: %s", err.message);

	unsetenv("KUBECONFIG");
	setenv("HOME", tmpdir, 1);
	r = kc_config_load(NULL, &cfg, &err);
	is_int(r, -ENOENT, "no ~/.kube/config: -ENOENT");
	ok(contains(err.message, "/.kube/config"), "message names ~/.kube/config: %s", err.message);

	mkdir(tmp_path(".kube"), 0700);
	char *a = slurp(KCDIR "/merge-c.yaml");
	spit(tmp_path(".kube/config"), a ? a : "");
	free(a);
	r = kc_config_load(NULL, &cfg, &err);
	is_int(r, 0, "~/.kube/config is the default");
	is_str(cfg ? cfg->source : NULL, tmp_path(".kube/config"), "read from HOME");
	cfg = kc_config_free(cfg);
	unlink(tmp_path(".kube/config"));
	rmdir(tmp_path(".kube"));

	mkfifo(tmp_path("fifo"), 0600);
	opts = (struct kc_load_options){.kubeconfig = tmp_path("fifo")};
	r = kc_config_load(&opts, &cfg, &err);
	is_int(r, -EINVAL, "a FIFO as --kubeconfig is refused without waiting for a writer");
	unlink(tmp_path("fifo"));

	opts = (struct kc_load_options){.kubeconfig = KCDIR};
	r = kc_config_load(&opts, &cfg, &err);
	is_int(r, -EINVAL, "a directory as --kubeconfig: -EINVAL");
	is_str(err.message, "kubeconfig " KCDIR " is not a regular file", "message says so");

	opts = (struct kc_load_options){.kubeconfig = KCDIR "/no-such-file.yaml"};
	r = kc_config_load(&opts, &cfg, &err);
	is_int(r, -ENOENT, "missing --kubeconfig: -ENOENT");
	ok(contains(err.message, KCDIR "/no-such-file.yaml"), "message names it: %s", err.message);
	kc_error_clear(&err);
}

static void test_file_errors(void)
{
	struct kc_error err = {0};
	int r;
	struct kc_config *cfg = load_file(KCDIR "/bad-base64.yaml", NULL, &r, &err);
	is_int(r, -EINVAL, "bad base64 fails");
	is_str(err.message,
	       KCDIR "/bad-base64.yaml: users[0].user.client-key-data: not valid base64",
	       "message names file and key");
	ok(!cfg, "no config");

	cfg = load_file(KCDIR "/malformed.yaml", NULL, &r, &err);
	is_int(r, -EINVAL, "malformed YAML fails");
	ok(contains(err.message, KCDIR "/malformed.yaml:5:"), "message names file and line: %s",
	   err.message);
	kc_config_free(cfg);
	kc_error_clear(&err);
}

/* Documents that must fail, and how. Each is complete apart from its flaw. */
static void test_string_errors(void)
{
	static const char ok_cluster[] = "clusters: [{name: c, cluster: {server: https://x}}]\n";
	static const struct {
		const char *yaml;
		int code;
		const char *message;
	} rows[] = {
	    {"", -EINVAL, "t.yaml: current-context is not set"},
	    {"- a\n- b\n", -EINVAL, "t.yaml: not a kubeconfig"},
	    {"current-context: x\ncontexts: [{name: x, context: {cluster: nope}}]\n", -EINVAL,
	     "cluster \"nope\" of context \"x\" not found in t.yaml"},
	    {"current-context: x\ncontexts: [{name: x, context: {user: u}}]\n", -EINVAL,
	     "t.yaml: contexts[0].context.cluster: not set"},
	    {"current-context: x\ncontexts: {x: y}\n", -EINVAL,
	     "t.yaml: contexts: expected a list"},
	    {"current-context: x\ncontexts: [[1]]\n", -EINVAL,
	     "t.yaml: contexts[0]: expected a mapping"},
	    {"current-context: [x]\n", -EINVAL, "t.yaml: current-context: expected a string"},
	    {"current-context: x\ncontexts: [{name: x, context: {cluster: c}}]\n"
	     "clusters: [{name: c, cluster: {insecure-skip-tls-verify: true}}]\n",
	     -EINVAL, "t.yaml: clusters[0].cluster.server: not set"},
	    /* Credentials in the URL: refused, and the message never repeats them. */
	    {"current-context: x\ncontexts: [{name: x, context: {cluster: c}}]\n"
	     "clusters: [{name: c, cluster: {server: \"https://admin:s3cret@x:6443/api\"}}]\n",
	     -EINVAL,
	     "t.yaml: clusters[0].cluster.server: holds user-info (user:password@); "
	     "credentials belong in the user entry"},
	    {"current-context: x\ncontexts: [{name: x, context: {cluster: c}}]\n"
	     "clusters: [{name: c, cluster: {server: \"token@x\"}}]\n",
	     -EINVAL, "t.yaml: clusters[0].cluster.server: holds user-info"},
	    {"current-context: x\ncontexts: [{name: x, context: {cluster: c}}]\n"
	     "clusters: [{name: c, cluster: {server: https://x, insecure-skip-tls-verify: "
	     "maybe}}]\n",
	     -EINVAL,
	     "t.yaml: clusters[0].cluster.insecure-skip-tls-verify: expected true or false"},
	    {"current-context: x\ncontexts: [{name: x, context: {cluster: c}}]\n"
	     "clusters: [{name: c, cluster: {server: https://x, insecure-skip-tls-verify: "
	     "\"true\"}}]\n",
	     -EINVAL,
	     "t.yaml: clusters[0].cluster.insecure-skip-tls-verify: expected true or false"},
	    {"current-context: x\ncontexts: [{name: x, context: {cluster: c}}]\n"
	     "clusters: [{name: c, cluster: {server: https://x, insecure-skip-tls-verify: true, "
	     "certificate-authority-data: TUlJ}}]\n",
	     -EINVAL, "insecure-skip-tls-verify: cannot be combined with a certificate authority"},
	    {"current-context: x\ncontexts: [{name: x, context: {cluster: c}}]\n"
	     "clusters: [{name: c, cluster: {server: https://x, certificate-authority-data: "
	     "TUlJ=x}}]\n",
	     -EINVAL, "t.yaml: clusters[0].cluster.certificate-authority-data: not valid base64"},
	    {"current-context: x\ncontexts: [{name: x, context: {cluster: c}}]\n"
	     "clusters: [{name: c, cluster: {server: https://x, certificate-authority: "
	     "nope.pem}}]\n",
	     -ENOENT, "t.yaml: clusters[0].cluster.certificate-authority: nope.pem: No such file"},
	    {"current-context: x\ncontexts: [{name: x, context: {cluster: c, user: u}}]\n"
	     "users: [{name: u, user: {client-certificate-data: TUlJ}}]\n",
	     -EINVAL, "t.yaml: users[0].user.client-key: not set, but a client certificate is"},
	    {"current-context: x\ncontexts: [{name: x, context: {cluster: c, user: u}}]\n"
	     "users: [{name: u, user: {auth-provider: {name: gcp}}}]\n",
	     -ENOTSUP, "t.yaml: users[0].user.auth-provider: auth providers are not supported"},
	    {"current-context: x\ncontexts: [{name: x, context: {cluster: c, user: u}}]\n"
	     "users: [{name: u, user: {username: admin, password: secret}}]\n",
	     -ENOTSUP, "basic authentication is not supported"},
	    {"current-context: x\ncontexts: [{name: x, context: {cluster: c, user: u}}]\n"
	     "users: [{name: u, user: {as: system:admin}}]\n",
	     -ENOTSUP, "t.yaml: users[0].user.as: impersonation is not supported"},
	    {"current-context: x\ncontexts: [{name: x, context: {cluster: c, user: u}}]\n"
	     "users: [{name: u, user: {token: \"a\\nb\"}}]\n",
	     -EINVAL, "t.yaml: users[0].user.token: holds control characters"},
	    {"current-context: x\ncontexts: [{name: x, context: {cluster: c, user: u}}]\n"
	     "users: [{name: u, user: {exec: {command: aws}}}]\n",
	     -EINVAL, "t.yaml: users[0].user.exec.apiVersion: not set"},
	    {"current-context: x\ncontexts: [{name: x, context: {cluster: c, user: u}}]\n"
	     "users: [{name: u, user: {exec: {command: aws, "
	     "apiVersion: client.authentication.k8s.io/v1alpha1}}}]\n",
	     -EINVAL, "t.yaml: users[0].user.exec.apiVersion: must be"},
	    {"current-context: x\ncontexts: [{name: x, context: {cluster: c, user: u}}]\n"
	     "users: [{name: u, user: {exec: {apiVersion: client.authentication.k8s.io/v1}}}]\n",
	     -EINVAL, "t.yaml: users[0].user.exec.command: not set"},
	    {"current-context: x\ncontexts: [{name: x, context: {cluster: c, user: u}}]\n"
	     "users: [{name: u, user: {exec: {apiVersion: client.authentication.k8s.io/v1, "
	     "command: aws, env: [{value: x}]}}}]\n",
	     -EINVAL, "t.yaml: users[0].user.exec.env[0].name: not a valid variable name"},
	    {"current-context: x\ncontexts: [{name: x, context: {cluster: c, user: u}}]\n"
	     "users: [{name: u, user: {exec: {apiVersion: client.authentication.k8s.io/v1, "
	     "command: aws, args: [a, [b]]}}}]\n",
	     -EINVAL, "t.yaml: users[0].user.exec.args[1]: expected a string"},
	    {"current-context: x\ncontexts: [{name: x, context: {cluster: c, user: u}}]\n"
	     "users: [{name: u, user: {exec: {apiVersion: client.authentication.k8s.io/v1, "
	     "command: aws, interactiveMode: Always}}}]\n",
	     -ENOTSUP, "t.yaml: users[0].user.exec.interactiveMode: Always is not supported"},
	    {"current-context: &a x\ncontexts: *a\n", -EINVAL,
	     "t.yaml:2: YAML aliases are not supported"},
	    {"current-context: x\n? [a]\n: b\n", -EINVAL, "t.yaml:2: mapping keys must be scalars"},
	    {"current-context: x\nclusters: "
	     "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
	     "[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"
	     "]]]]]]]\n",
	     -EINVAL, "t.yaml:2: nested deeper than 64 levels"},
	};
	struct kc_error err = {0};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char doc[1024];
		/* Rows that need a cluster get one unless they define their own. */
		snprintf(doc, sizeof(doc), "%s%s", rows[i].yaml,
		         strstr(rows[i].yaml, "clusters") || !strstr(rows[i].yaml, "cluster: c")
		             ? ""
		             : ok_cluster);
		struct kc_config *cfg = NULL;
		kc_error_clear(&err);
		int r = kc_config_load_string(doc, strlen(doc), "t.yaml", NULL, &cfg, &err);
		is_int(r, rows[i].code, "row %zu fails with the right code", i);
		ok(strncmp(err.message, rows[i].message, strlen(rows[i].message)) == 0 ||
		       strstr(err.message, rows[i].message),
		   "row %zu message: %s", i, err.message);
		ok(!cfg, "row %zu: no config", i);
		ok(!strstr(err.message, "s3cret"), "row %zu: no credential in the message", i);
		kc_config_free(cfg);
	}

	/* A flat list of many tiny items is refused by node count, not by memory. */
	size_t n_items = KC_YAML_MAX_NODES + 10, big_len = 16 + n_items * 2;
	char *big = malloc(big_len);
	if (big) {
		memcpy(big, "x: [", 4);
		size_t pos = 4;
		for (size_t i = 0; i < n_items; i++) {
			big[pos++] = '1';
			big[pos++] = ',';
		}
		big[pos++] = ']';
		struct kc_config *cfg = NULL;
		int r = kc_config_load_string(big, pos, "big.yaml", NULL, &cfg, &err);
		is_int(r, -E2BIG, "too many nodes: -E2BIG");
		ok(contains(err.message, "big.yaml:1: more than"), "message: %s", err.message);
		kc_config_free(cfg);
		free(big);
	}

	/* Values in YAML's other spellings. */
	static const char yes_doc[] =
	    "current-context: x\ncontexts: [{name: x, context: {cluster: c}}]\n"
	    "clusters: [{name: c, cluster: {server: https://x/api/, "
	    "insecure-skip-tls-verify: yes}}]\n"
	    "---\nnot: [read\n";
	struct kc_config *cfg = NULL;
	int r = kc_config_load_string(yes_doc, strlen(yes_doc), NULL, NULL, &cfg, &err);
	is_int(r, 0, "YAML 1.1 yes is true; only the first document is read: %s", err.message);
	ok(cfg && cfg->insecure_skip_tls_verify, "insecure");
	is_str(cfg ? cfg->server : NULL, "https://x/api",
	       "server path kept, trailing slash dropped");
	is_str(cfg ? cfg->source : NULL, "<string>", "unnamed documents are <string>");
	kc_config_free(cfg);
	kc_error_clear(&err);
}

static void test_in_cluster(void)
{
	struct kc_error err = {0};
	struct kc_config *cfg = NULL;
	char sa[PATH_MAX];
	snprintf(sa, sizeof(sa), "%s/sa", tmpdir);
	mkdir(sa, 0700);

	unsetenv("KUBERNETES_SERVICE_HOST");
	unsetenv("KUBERNETES_SERVICE_PORT");
	unsetenv("POD_NAMESPACE");
	int r = kc_config_in_cluster(sa, &cfg, &err);
	is_int(r, -ENOENT, "not in a cluster without the service variables");
	ok(contains(err.message, "KUBERNETES_SERVICE_HOST"), "message says why: %s", err.message);

	setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
	setenv("KUBERNETES_SERVICE_PORT", "443", 1);
	r = kc_config_in_cluster(sa, &cfg, &err);
	is_int(r, -ENOENT, "no token file: -ENOENT");
	ok(contains(err.message, "/sa/token"), "message names the token file: %s", err.message);

	spit(tmp_path("sa/token"), "sa-token-1\n");
	spit(tmp_path("sa/ca.crt"), "CA PEM\n");
	spit(tmp_path("sa/namespace"), "payments\n");
	kc_error_clear(&err); /* else a success would print the last failure's message */
	r = kc_config_in_cluster(sa, &cfg, &err);
	is_int(r, 0, "in-cluster loads: %s", err.message);
	if (cfg) {
		is_str(cfg->server, "https://10.96.0.1:443", "server from the environment");
		is_str(cfg->token_file, tmp_path("sa/token"), "token kept as a file");
		ok(!cfg->token, "not as a static token");
		is_str(cfg->ca_pem, "CA PEM\n", "ca.crt");
		is_str(cfg->namespace, "payments", "namespace file, trimmed");
		is_str(cfg->context, "in-cluster", "context");
		const struct kc_credential *cred = NULL;
		r = kc_config_credential(cfg, 1000, &cred, &err);
		is_int(r, 0, "credential");
		is_str(cred ? cred->token : NULL, "sa-token-1",
		       "token read from the file, trimmed");
	}
	cfg = kc_config_free(cfg);

	setenv("KUBERNETES_SERVICE_HOST", "fd00:10:96::1", 1);
	setenv("POD_NAMESPACE", "from-env", 1);
	unlink(tmp_path("sa/ca.crt"));
	r = kc_config_in_cluster(sa, &cfg, &err);
	is_int(r, 0, "IPv6 in-cluster loads");
	is_str(cfg ? cfg->server : NULL, "https://[fd00:10:96::1]:443", "IPv6 host bracketed");
	is_str(cfg ? cfg->namespace : NULL, "from-env", "POD_NAMESPACE wins");
	ok(cfg && !cfg->ca_pem, "missing ca.crt: system trust store");
	cfg = kc_config_free(cfg);
	unsetenv("POD_NAMESPACE");

	setenv("KUBERNETES_SERVICE_PORT", "443/evil", 1);
	r = kc_config_in_cluster(sa, &cfg, &err);
	is_int(r, -EINVAL, "a port that is not a number is refused");
	setenv("KUBERNETES_SERVICE_PORT", "443", 1);
	setenv("KUBERNETES_SERVICE_HOST", "evil.com/x?", 1);
	r = kc_config_in_cluster(sa, &cfg, &err);
	is_int(r, -EINVAL, "a host that would change the URL is refused");
	setenv("KUBERNETES_SERVICE_HOST", "admin:s3cret@10.96.0.1", 1);
	r = kc_config_in_cluster(sa, &cfg, &err);
	is_int(r, -EINVAL, "a host with user-info is refused");
	ok(!contains(err.message, "s3cret") && contains(err.message, "user-info"),
	   "and the message names the problem without the credentials: %s", err.message);
	setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);

	/* kc_config_auto: in-cluster only when no kubeconfig is found. */
	unsetenv("KUBECONFIG");
	setenv("HOME", tmpdir, 1);
	/* The standard service-account directory does not exist here, so the
	 * in-cluster attempt fails, and its message shows that it was made. */
	r = kc_config_auto(NULL, &cfg, &err);
	is_int(r, -ENOENT, "auto without kubeconfig tries in-cluster");
	ok(contains(err.message, "/var/run/secrets/kubernetes.io/serviceaccount/token"),
	   "in-cluster was tried: %s", err.message);

	setenv("KUBECONFIG", KCDIR "/merge-c.yaml", 1);
	r = kc_config_auto(NULL, &cfg, &err);
	is_int(r, 0, "auto with KUBECONFIG");
	is_str(cfg ? cfg->context : NULL, "c-ctx", "auto chose the kubeconfig");
	cfg = kc_config_free(cfg);
	unsetenv("KUBECONFIG");

	struct kc_load_options opts = {.kubeconfig = KCDIR "/no-such.yaml"};
	r = kc_config_auto(&opts, &cfg, &err);
	is_int(r, -ENOENT, "auto with a missing --kubeconfig fails, no fallback");

	unsetenv("KUBERNETES_SERVICE_HOST");
	r = kc_config_auto(NULL, &cfg, &err);
	is_int(r, -ENOENT, "auto with nothing: -ENOENT");
	ok(contains(err.message, "not in a cluster"), "message says both: %s", err.message);
	unsetenv("KUBERNETES_SERVICE_PORT");

	unlink(tmp_path("sa/token"));
	unlink(tmp_path("sa/namespace"));
	rmdir(sa);
	kc_error_clear(&err);
}

static void test_static_and_token_file(void)
{
	struct kc_error err = {0};
	int r;
	struct kc_config *cfg = load_file(KCDIR "/full.yaml", "data", &r, &err);
	const struct kc_credential *cred = NULL;
	r = cfg ? kc_config_credential(cfg, 100, &cred, &err) : -1;
	is_int(r, 0, "static credential");
	if (cred) {
		is_str(cred->token, "static-token-abc", "static token");
		is_str(cred->client_cert_pem, cfg->client_cert_pem, "static certificate");
		is_str(cred->client_key_pem, cfg->client_key_pem, "static key");
		is_int(cred->expires, 0, "does not expire");
	}
	kc_config_free(cfg);

	/* A token file that rotates: written in place, then swapped by rename as
	 * kubelet does for projected tokens. */
	char doc[PATH_MAX + 256];
	snprintf(doc, sizeof(doc),
	         "current-context: x\ncontexts: [{name: x, context: {cluster: c, user: u}}]\n"
	         "clusters: [{name: c, cluster: {server: https://x}}]\n"
	         "users: [{name: u, user: {tokenFile: %s}}]\n",
	         tmp_path("tok"));
	spit(tmp_path("tok"), "first-token\n");
	r = kc_config_load_string(doc, strlen(doc), "t.yaml", NULL, &cfg, &err);
	is_int(r, 0, "tokenFile config");
	if (r < 0)
		return;
	r = kc_config_credential(cfg, 100, &cred, &err);
	is_int(r, 0, "token file read");
	is_str(cred->token, "first-token", "first token");
	spit(tmp_path("tok"), "second-token-longer\n");
	r = kc_config_credential(cfg, 101, &cred, &err);
	is_str(cred->token, "second-token-longer", "rewritten file seen on the next call");
	spit(tmp_path("tok.new"), "third-token-samelen\n");
	rename(tmp_path("tok.new"), tmp_path("tok"));
	r = kc_config_credential(cfg, 102, &cred, &err);
	is_str(cred->token, "third-token-samelen", "file swapped by rename seen");
	const struct kc_credential *again = NULL;
	kc_config_credential(cfg, 103, &again, &err);
	ok(again == cred && again->token == cred->token,
	   "unchanged file: cached credential reused");

	/* invalidate re-reads even when stat shows no change. */
	kc_config_invalidate_credential(cfg);
	r = kc_config_credential(cfg, 104, &cred, &err);
	is_int(r, 0, "after invalidate");
	is_str(cred->token, "third-token-samelen", "re-read gives the file's token");

	spit(tmp_path("tok"), "\n \n");
	r = kc_config_credential(cfg, 105, &cred, &err);
	is_int(r, -EINVAL, "an empty token file is an error");
	unlink(tmp_path("tok"));
	r = kc_config_credential(cfg, 106, &cred, &err);
	is_int(r, -ENOENT, "a vanished token file is an error");
	ok(contains(err.message, tmp_path("tok")), "message names the file: %s", err.message);
	kc_config_free(cfg);
	kc_error_clear(&err);
}

static int counter(void)
{
	char *s = slurp(tmp_path("counter"));
	int n = s ? (int)strtol(s, NULL, 10) : 0;
	free(s);
	return n;
}

/* A config whose user runs `command` with the given extra exec keys. */
static struct kc_config *exec_config(const char *command, const char *api, const char *env_extra,
                                     const char *more, struct kc_error *err)
{
	char doc[4096];
	snprintf(doc, sizeof(doc),
	         "current-context: x\n"
	         "contexts: [{name: x, context: {cluster: c, user: u}}]\n"
	         "clusters: [{name: c, cluster: {server: https://api.test:6443, "
	         "certificate-authority-data: %s, extensions: [{name: other, extension: 1}, "
	         "{name: client.authentication.k8s.io/exec, extension: {audience: api, retries: 3, "
	         "verbose: yes, ratio: 0.5, quoted: '7', none: ~, tags: [a, 1e3]}}]}}]\n"
	         "users:\n"
	         "- name: u\n"
	         "  user:\n"
	         "    exec:\n"
	         "      apiVersion: %s\n"
	         "      command: %s\n"
	         "      args: [arg1]\n"
	         "      installHint: 'see https://example.com/install'\n"
	         "      env:\n"
	         "      - {name: COUNTER_FILE, value: '%s'}\n"
	         "%s"
	         "%s",
	         "Q0EgUEVNCg==", api, command, tmp_path("counter"), env_extra, more);
	struct kc_config *cfg = NULL;
	/* Named inside the data dir so that ./exec-*.sh resolves there. */
	int r = kc_config_load_string(doc, strlen(doc), KCDIR "/generated.yaml", NULL, &cfg, err);
	if (r < 0)
		tap_diag("exec config: %s", err->message);
	return cfg;
}

static void test_exec(void)
{
	struct kc_error err = {0};
	const char *v1 = "client.authentication.k8s.io/v1";
	const struct kc_credential *cred = NULL;
	int r;
	unlink(tmp_path("counter"));

	char env_info[PATH_MAX + 64];
	snprintf(env_info, sizeof(env_info), "      - {name: INFO_OUT, value: '%s'}\n",
	         tmp_path("info"));
	struct kc_config *cfg =
	    exec_config("./exec-token.sh", v1, env_info, "      provideClusterInfo: true\n", &err);
	ok(cfg != NULL, "exec config loads");
	if (!cfg)
		return;
	r = kc_config_credential(cfg, 1000, &cred, &err);
	is_int(r, 0, "plugin runs: %s", err.message);
	is_str(cred ? cred->token : NULL, "exec-token-1-arg1",
	       "token from the plugin, args passed");
	is_int(cred ? cred->expires : -1, 0, "no expiry");
	r = kc_config_credential(cfg, 999999, &cred, &err);
	is_str(cred ? cred->token : NULL, "exec-token-1-arg1", "no expiry: cached however late");
	is_int(counter(), 1, "plugin ran once");
	kc_config_invalidate_credential(cfg);
	r = kc_config_credential(cfg, 1000000, &cred, &err);
	is_str(cred ? cred->token : NULL, "exec-token-2-arg1", "invalidate: plugin runs again");

	char *info_s = slurp(tmp_path("info"));
	json_t *info = info_s ? json_loads(info_s, 0, NULL) : NULL;
	ok(info != NULL, "KUBERNETES_EXEC_INFO is JSON: %s", info_s ? info_s : "(none)");
	json_t *spec = json_object_get(info, "spec");
	json_t *cluster = json_object_get(spec, "cluster");
	is_str(json_string_value(json_object_get(info, "apiVersion")), v1, "exec info apiVersion");
	is_str(json_string_value(json_object_get(info, "kind")), "ExecCredential",
	       "exec info kind");
	ok(json_is_false(json_object_get(spec, "interactive")), "spec.interactive is false");
	is_str(json_string_value(json_object_get(cluster, "server")), "https://api.test:6443",
	       "spec.cluster.server");
	is_str(json_string_value(json_object_get(cluster, "certificate-authority-data")),
	       "Q0EgUEVNCg==", "spec.cluster.certificate-authority-data re-encoded");
	char *config =
	    json_dumps(json_object_get(cluster, "config"), JSON_COMPACT | JSON_SORT_KEYS);
	is_str(config,
	       "{\"audience\":\"api\",\"none\":null,\"quoted\":\"7\",\"ratio\":0.5,"
	       "\"retries\":3,\"tags\":[\"a\",1000.0],\"verbose\":true}",
	       "spec.cluster.config from the cluster's exec extension, YAML typed as JSON");
	free(config);
	json_decref(info);
	free(info_s);
	kc_config_free(cfg);

	/* Without provideClusterInfo there is no spec.cluster. */
	cfg = exec_config("./exec-token.sh", v1, env_info, "", &err);
	r = cfg ? kc_config_credential(cfg, 1000, &cred, &err) : -1;
	is_int(r, 0, "plugin without cluster info");
	info_s = slurp(tmp_path("info"));
	info = info_s ? json_loads(info_s, 0, NULL) : NULL;
	ok(info && !json_object_get(json_object_get(info, "spec"), "cluster"), "no spec.cluster");
	json_decref(info);
	free(info_s);
	kc_config_free(cfg);

	/* Expiry: 2030-01-01T00:00:00Z is 1893456000; refreshed 10 s early. */
	unlink(tmp_path("counter"));
	cfg = exec_config("./exec-token.sh", v1,
	                  "      - {name: EXPIRY, value: '2030-01-01T00:00:00Z'}\n", "", &err);
	r = cfg ? kc_config_credential(cfg, 1893455000, &cred, &err) : -1;
	is_int(r, 0, "plugin with expiry");
	is_int(cred ? cred->expires : 0, 1893456000, "expirationTimestamp parsed");
	is_str(cred ? cred->token : NULL, "exec-token-1-arg1", "first token");
	r = kc_config_credential(cfg, 1893455989, &cred, &err);
	is_str(cred ? cred->token : NULL, "exec-token-1-arg1", "11 s before expiry: cached");
	r = kc_config_credential(cfg, 1893455991, &cred, &err);
	is_str(cred ? cred->token : NULL, "exec-token-2-arg1", "9 s before expiry: refreshed");
	r = kc_config_credential(cfg, 1893456100, &cred, &err);
	is_str(cred ? cred->token : NULL, "exec-token-3-arg1", "past expiry: refreshed");
	is_int(counter(), 3, "three runs");
	kc_config_free(cfg);

	/* Client certificates from the plugin. */
	cfg = exec_config("./exec-token.sh", v1, "      - {name: MODE, value: cert}\n", "", &err);
	r = cfg ? kc_config_credential(cfg, 1000, &cred, &err) : -1;
	is_int(r, 0, "certificate plugin");
	is_str(cred ? cred->client_cert_pem : NULL, "CERT-4", "clientCertificateData");
	is_str(cred ? cred->client_key_pem : NULL, "KEY-4", "clientKeyData");
	ok(cred && !cred->token, "no token");
	kc_config_free(cfg);

	/* The plugin's apiVersion must match the kubeconfig's. */
	cfg = exec_config("./exec-token.sh", "client.authentication.k8s.io/v1beta1", "", "", &err);
	r = cfg ? kc_config_credential(cfg, 1000, &cred, &err) : -1;
	is_int(r, -EBADMSG, "apiVersion mismatch is an error");
	ok(contains(err.message, "client.authentication.k8s.io/v1beta1"), "message: %s",
	   err.message);
	kc_config_free(cfg);

	/* A static token in the same user wins; the plugin is not run. */
	int before = counter();
	cfg = exec_config("./exec-token.sh", v1, "", "    token: static-wins\n", &err);
	r = cfg ? kc_config_credential(cfg, 1000, &cred, &err) : -1;
	is_str(cred ? cred->token : NULL, "static-wins", "static token beats exec");
	is_int(counter(), before, "plugin not run");
	kc_config_free(cfg);

	cfg = exec_config("./exec-fail.sh", v1, "", "", &err);
	r = cfg ? kc_config_credential(cfg, 1000, &cred, &err) : -1;
	is_int(r, -EIO, "failing plugin: -EIO");
	ok(contains(err.message, "exited with status 1: error: you are not logged in; see "
	                         "https://example.com/install"),
	   "first stderr line and install hint: %s", err.message);
	ok(!contains(err.message, "login' first"), "only the first line");
	int runs = counter();
	r = cfg ? kc_config_credential(cfg, 1004, &cred, &err) : -1;
	is_int(r, -EIO, "4 s later: the same error");
	ok(contains(err.message, "you are not logged in") && contains(err.message, "not retried"),
	   "the same message, saying it was not retried: %s", err.message);
	is_int(counter(), runs, "without running the plugin");
	r = cfg ? kc_config_credential(cfg, 1005, &cred, &err) : -1;
	is_int(counter(), runs + 1, "5 s later the plugin runs again");
	r = cfg ? kc_config_credential(cfg, 900, &cred, &err) : -1;
	is_int(counter(), runs + 2, "a clock that went back does not extend the pause");
	kc_config_free(cfg);

	cfg = exec_config("./exec-slow.sh", v1, "", "", &err);
	if (cfg) {
		cfg->exec->timeout_ms = 300;
		struct timespec t0, t1;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		r = kc_config_credential(cfg, 1000, &cred, &err);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		double took =
		    (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
		is_int(r, -ETIMEDOUT, "slow plugin times out");
		ok(took < 5, "and is killed promptly (%.2f s)", took);
		ok(contains(err.message, "300 ms"), "message gives the timeout: %s", err.message);
	}
	kc_config_free(cfg);

	cfg = exec_config("slipway-no-such-plugin", v1, "", "", &err);
	r = cfg ? kc_config_credential(cfg, 1000, &cred, &err) : -1;
	is_int(r, -ENOENT, "missing plugin: -ENOENT");
	ok(contains(err.message, "not found; see https://example.com/install"), "with the hint: %s",
	   err.message);
	kc_config_free(cfg);
	unlink(tmp_path("counter"));
	unlink(tmp_path("info"));
	kc_error_clear(&err);
}

static void test_exec_parse(void)
{
	static const char *const v1 = "client.authentication.k8s.io/v1";
	static const struct {
		const char *json;
		int code;
		const char *token;
		long long expires;
	} rows[] = {
	    {"{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\","
	     "\"status\":{\"token\":\"t\",\"expirationTimestamp\":\"2018-03-05T17:30:20-08:00\"}}",
	     0, "t", 1520299820},
	    {"{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\","
	     "\"status\":{\"token\":\"t\",\"expirationTimestamp\":null}}",
	     0, "t", 0},
	    {"not json", -EBADMSG, NULL, 0},
	    {"[]", -EBADMSG, NULL, 0},
	    {"{\"apiVersion\":\"client.authentication.k8s.io/"
	     "v1\",\"kind\":\"Other\",\"status\":{\"token\":\"t\"}}",
	     -EBADMSG, NULL, 0},
	    {"{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\"}",
	     -EBADMSG, NULL, 0},
	    {"{\"apiVersion\":\"client.authentication.k8s.io/"
	     "v1\",\"kind\":\"ExecCredential\",\"status\":{}}",
	     -EBADMSG, NULL, 0},
	    {"{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\","
	     "\"status\":{\"clientCertificateData\":\"c\"}}",
	     -EBADMSG, NULL, 0},
	    {"{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\","
	     "\"status\":{\"token\":\"a\\r\\nX-Evil: 1\"}}",
	     -EBADMSG, NULL, 0},
	    {"{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\","
	     "\"status\":{\"token\":\"t\",\"expirationTimestamp\":\"tomorrow\"}}",
	     -EBADMSG, NULL, 0},
	    {"{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\","
	     "\"status\":{\"token\":7}}",
	     -EBADMSG, NULL, 0},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct kc_credential c = {.token = (char *)"untouched"};
		struct kc_error err = {0};
		int r = kc__exec_credential_parse(rows[i].json, strlen(rows[i].json), v1, "p", &c,
		                                  &err);
		is_int(r, rows[i].code, "parse row %zu: %s", i, err.message);
		if (r == 0) {
			is_str(c.token, rows[i].token, "parse row %zu token", i);
			is_int(c.expires, rows[i].expires, "parse row %zu expiry", i);
			kc__credential_clear(&c);
		} else {
			is_str(c.token, "untouched", "parse row %zu: out-param untouched", i);
		}
	}
}

static void test_rfc3339(void)
{
	static const struct {
		const char *s;
		int code;
		long long t;
	} rows[] = {
	    {"1970-01-01T00:00:00Z", 0, 0},
	    {"2030-01-01T00:00:00Z", 0, 1893456000},
	    {"2018-03-05T17:30:20-08:00", 0, 1520299820},
	    {"2018-03-06T03:00:20+01:30", 0, 1520299820},
	    {"2024-02-29T12:00:00.123456789Z", 0, 1709208000},
	    {"2024-01-01T00:00:00+01:00", 0, 1704063600},
	    {"2023-02-29T12:00:00Z", -EINVAL, 0},
	    {"2024-13-01T00:00:00Z", -EINVAL, 0},
	    {"2024-01-01T24:00:00Z", -EINVAL, 0},
	    {"2024-01-01T00:00:60Z", -EINVAL, 0},
	    {"2024-01-01 00:00:00Z", -EINVAL, 0},
	    {"2024-01-01T00:00:00", -EINVAL, 0},
	    {"2024-01-01T00:00:00.Z", -EINVAL, 0},
	    {"2024-01-01T00:00:00+0100", -EINVAL, 0},
	    {"2024-01-01T00:00:00Zjunk", -EINVAL, 0},
	    {"", -EINVAL, 0},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		time_t t = 42;
		int r = kc__parse_rfc3339(rows[i].s, &t);
		is_int(r, rows[i].code, "rfc3339 \"%s\"", rows[i].s);
		is_int(t, r == 0 ? rows[i].t : 42, "rfc3339 \"%s\" value", rows[i].s);
	}
}

static void test_error(void)
{
	struct kc_error err = {.http_status = 404};
	is_int(kc_error_set(&err, -ENOENT, "%s: %d", "first\nline", 1), -ENOENT,
	       "returns the code");
	is_str(err.message, "first line: 1", "one line");
	is_int(err.http_status, 404, "http_status kept");
	kc_error_set(&err, -EIO, "outer: %s", err.message);
	is_str(err.message, "outer: first line: 1", "its own message as an argument");
	is_int(err.code, -EIO, "code replaced");
	is_int(kc_error_set(NULL, -EINVAL, "x"), -EINVAL, "NULL error: just the code");
	err.status = json_object();
	kc_error_clear(&err);
	ok(!err.status && err.code == 0 && err.message[0] == '\0' && err.http_status == 0,
	   "clear releases and zeroes");
	kc_error_clear(NULL);
}

static void test_base64(void)
{
	static const struct {
		const char *in;
		int code;
		const char *out;
	} rows[] = {
	    {"aGVsbG8=", 0, "hello"},        {"aGVs\nbG8=\n", 0, "hello"},
	    {"aGVsbG8", -EINVAL, NULL},      {"aGVs-bG8=", -EINVAL, NULL},
	    {"aGVsbG8=aGVs", -EINVAL, NULL}, {"", 0, ""},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char *out = NULL;
		int r = kc__base64_decode(rows[i].in, strlen(rows[i].in), &out, NULL);
		is_int(r, rows[i].code, "base64 row %zu", i);
		is_str(out, rows[i].out, "base64 row %zu output", i);
		free(out);
	}
}

int main(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "%s/kc-test-XXXXXX",
	         getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	unsetenv("KUBECONFIG");
	test_full();
	test_merge();
	test_file_errors();
	test_string_errors();
	test_in_cluster();
	test_static_and_token_file();
	test_exec();
	test_exec_parse();
	test_rfc3339();
	test_base64();
	test_error();
	rmdir(tmpdir);
	return tap_done();
}
