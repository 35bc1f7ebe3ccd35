/*
 * kubeconfig files: finding them, merging them as kubectl does, and resolving
 * one context into a struct kc_config.
 *
 * Merging follows client-go's loading rules: files are read in order, the
 * first file that sets current-context wins, and a cluster, user or context
 * name is taken from the first file that defines it. File references inside
 * an entry are relative to the file the entry came from.
 */
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kubeclient/config-internal.h"
#include "kubeclient/config.h"
#include "kubeclient/yaml-tree.h"

/* $KUBECONFIG entries beyond this are an error, not a slow start. */
#define MAX_FILES 32

/* Exec plugins get this long unless the caller shortens it. */
#define EXEC_TIMEOUT_MS 30000

/* Exec args and env entries beyond this are refused. */
#define MAX_EXEC_ITEMS 256

struct kfile {
	char *path;
	struct kc_ynode *root; /* a map, or NULL for an empty file */
};

struct loader {
	struct kfile files[MAX_FILES];
	size_t n;
	char *source; /* the paths joined with ':', for messages */
};

/* Where a value sits, for messages: "FILE: PREFIX.KEY: ...". */
struct at {
	const char *file;
	const char *prefix;
};

/* Key paths for messages ("users[2].user.exec"); built only from our own key names
 * and indices, so the buffers below never truncate in practice, and if they did
 * only a message would be cut short. */
static void __attribute__((format(printf, 3, 4)))
key_path(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, size, fmt, ap);
	va_end(ap);
}

static void loader_clear(struct loader *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->files[i].path);
		kc_yaml_free(l->files[i].root);
	}
	free(l->source);
	memset(l, 0, sizeof(*l));
}

static const char *display_name(const char *path)
{
	return path ? path : "<string>";
}

/* Takes ownership of nothing; copies `path`. */
static int add_document(struct loader *l, const char *path, const char *buf, size_t len,
                        struct kc_error *err)
{
	const char *name = display_name(path);
	if (l->n == MAX_FILES)
		return kc_error_set(err, -E2BIG, "%s: more than %d kubeconfig files", name,
		                    MAX_FILES);
	if (len > KC_KUBECONFIG_MAX)
		return kc_error_set(err, -EFBIG, "%s: larger than %zu bytes", name,
		                    KC_KUBECONFIG_MAX);
	struct kc_ynode *root = NULL;
	int r = kc_yaml_parse(buf, len, name, &root, err);
	if (r < 0)
		return r;
	if (root && kc_yaml_is_null(root)) {
		root = kc_yaml_free(root);
	} else if (root && root->kind != KC_YNODE_MAP) {
		kc_yaml_free(root);
		return kc_error_set(err, -EINVAL,
		                    "%s: not a kubeconfig (the top level is not a mapping)", name);
	}
	char *copy = NULL;
	if (path) {
		copy = strdup(path);
		if (!copy) {
			kc_yaml_free(root);
			return kc_error_set(err, -ENOMEM, "out of memory");
		}
	}
	l->files[l->n].path = copy;
	l->files[l->n].root = root;
	l->n++;
	return 0;
}

/* A missing file is skipped unless `required`; any other read error fails. */
static int add_file(struct loader *l, const char *path, bool required, struct kc_error *err)
{
	char *buf = NULL;
	size_t len = 0;
	int r = kc__read_file(path, KC_KUBECONFIG_MAX, &buf, &len);
	if (r == -ENOENT && !required)
		return 0;
	if (r == -EFBIG)
		return kc_error_set(err, r, "%s: larger than %zu bytes", path, KC_KUBECONFIG_MAX);
	if (r == -ENOENT)
		return kc_error_set(err, r, "kubeconfig %s does not exist", path);
	if (r == -EINVAL)
		return kc_error_set(err, r, "kubeconfig %s is not a regular file", path);
	if (r < 0)
		return kc_error_set(err, r, "%s: %s", path, strerror(-r));
	r = add_document(l, path, buf, len, err);
	free(buf);
	return r;
}

static int make_source(struct loader *l, struct kc_error *err)
{
	size_t total = 1;
	for (size_t i = 0; i < l->n; i++)
		total += strlen(display_name(l->files[i].path)) + 1;
	l->source = malloc(total);
	if (!l->source)
		return kc_error_set(err, -ENOMEM, "out of memory");
	size_t pos = 0;
	for (size_t i = 0; i < l->n; i++) {
		const char *name = display_name(l->files[i].path);
		size_t n = strlen(name);
		if (i > 0)
			l->source[pos++] = ':';
		memcpy(l->source + pos, name, n);
		pos += n;
	}
	l->source[pos] = '\0';
	return 0;
}

static int type_error(const struct at *at, const char *key, const char *what, struct kc_error *err)
{
	return kc_error_set(err, -EINVAL, "%s: %s%s%s: %s", display_name(at->file), at->prefix,
	                    at->prefix[0] ? "." : "", key, what);
}

/* *out is NULL when the key is absent or null; the string is borrowed from the tree. */
static int get_str(const struct kc_ynode *map, const char *key, const struct at *at,
                   const char **out, struct kc_error *err)
{
	const struct kc_ynode *n = kc_yaml_get(map, key);
	if (kc_yaml_is_null(n)) {
		*out = NULL;
		return 0;
	}
	if (n->kind != KC_YNODE_SCALAR)
		return type_error(at, key, "expected a string", err);
	if (strlen(n->value) != n->len)
		return type_error(at, key, "holds a NUL character", err);
	*out = n->value;
	return 0;
}

/* Booleans as YAML 1.1 (kubectl's decoder) spells them; absent or null is false. */
static int get_bool(const struct kc_ynode *map, const char *key, const struct at *at, bool *out,
                    struct kc_error *err)
{
	static const char *const yes[] = {"true", "True", "TRUE", "yes", "Yes",
	                                  "YES",  "on",   "On",   "ON"};
	static const char *const no[] = {"false", "False", "FALSE", "no", "No",
	                                 "NO",    "off",   "Off",   "OFF"};
	const struct kc_ynode *n = kc_yaml_get(map, key);
	if (kc_yaml_is_null(n)) {
		*out = false;
		return 0;
	}
	if (n->kind == KC_YNODE_SCALAR && n->plain) {
		for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
			if (strcmp(n->value, yes[i]) == 0) {
				*out = true;
				return 0;
			}
			if (strcmp(n->value, no[i]) == 0) {
				*out = false;
				return 0;
			}
		}
	}
	return type_error(at, key, "expected true or false", err);
}

static int dup_str(const char *s, char **out, struct kc_error *err)
{
	if (!s) {
		*out = NULL;
		return 0;
	}
	*out = strdup(s);
	if (!*out)
		return kc_error_set(err, -ENOMEM, "out of memory");
	return 0;
}

/* Reads a file named by `key` (relative to the kubeconfig) into *out. */
static int read_ref(const struct at *at, const char *key, const char *rel, size_t max, char **out,
                    struct kc_error *err)
{
	char *path = kc__path_relative_to(at->file, rel);
	if (!path)
		return kc_error_set(err, -ENOMEM, "out of memory");
	char *buf = NULL;
	size_t len = 0;
	int r = kc__read_file(path, max, &buf, &len);
	if (r == -EFBIG)
		r = kc_error_set(err, r, "%s: %s.%s: %s: larger than %zu bytes",
		                 display_name(at->file), at->prefix, key, path, max);
	else if (r < 0)
		r = kc_error_set(err, r, "%s: %s.%s: %s: %s", display_name(at->file), at->prefix,
		                 key, path, strerror(-r));
	else if (strlen(buf) != len)
		r = kc_error_set(err, -EINVAL, "%s: %s.%s: %s: not PEM text (holds a NUL byte)",
		                 display_name(at->file), at->prefix, key, path);
	free(path);
	if (r < 0) {
		free(buf);
		return r;
	}
	*out = buf;
	return 0;
}

/* PEM from KEY-data (base64, wins) or KEY (a file); *out stays NULL when neither is set. */
static int get_pem(const struct kc_ynode *map, const char *key, const struct at *at, char **out,
                   struct kc_error *err)
{
	char data_key[64];
	key_path(data_key, sizeof(data_key), "%s-data", key);
	const char *data = NULL, *file = NULL;
	int r = get_str(map, data_key, at, &data, err);
	if (r < 0)
		return r;
	r = get_str(map, key, at, &file, err);
	if (r < 0)
		return r;
	*out = NULL;
	if (data && data[0]) {
		char *pem = NULL;
		size_t len = 0;
		r = kc__base64_decode(data, strlen(data), &pem, &len);
		if (r == -ENOMEM)
			return kc_error_set(err, r, "out of memory");
		if (r < 0)
			return type_error(at, data_key, "not valid base64", err);
		if (strlen(pem) != len || len == 0) {
			free(pem);
			return type_error(at, data_key, "does not decode to PEM text", err);
		}
		*out = pem;
		return 0;
	}
	if (file && file[0])
		return read_ref(at, key, file, KC_PEM_FILE_MAX, out, err);
	return 0;
}

/* Finds the entry called `name` in the list `list` ("clusters", ...) of the first file that has
 * one, and its `field` ("cluster", ...). Returns 1 when found, 0 when not, or an error. */
static int find_entry(const struct loader *l, const char *list, const char *field, const char *name,
                      size_t *ret_file, size_t *ret_index, const struct kc_ynode **ret_body,
                      struct kc_error *err)
{
	for (size_t f = 0; f < l->n; f++) {
		const char *path = display_name(l->files[f].path);
		const struct kc_ynode *seq = kc_yaml_get(l->files[f].root, list);
		if (kc_yaml_is_null(seq))
			continue;
		if (seq->kind != KC_YNODE_SEQ)
			return kc_error_set(err, -EINVAL, "%s: %s: expected a list", path, list);
		for (size_t i = 0; i < seq->n_items; i++) {
			const struct kc_ynode *item = seq->items[i];
			if (item->kind != KC_YNODE_MAP)
				return kc_error_set(err, -EINVAL, "%s: %s[%zu]: expected a mapping",
				                    path, list, i);
			const struct kc_ynode *nm = kc_yaml_get(item, "name");
			if (!nm || nm->kind != KC_YNODE_SCALAR)
				return kc_error_set(err, -EINVAL,
				                    "%s: %s[%zu].name: expected a string", path,
				                    list, i);
			if (strcmp(nm->value, name) != 0 || strlen(name) != nm->len)
				continue;
			const struct kc_ynode *body = kc_yaml_get(item, field);
			if (!kc_yaml_is_null(body) && body->kind != KC_YNODE_MAP)
				return kc_error_set(err, -EINVAL,
				                    "%s: %s[%zu].%s: expected a mapping", path,
				                    list, i, field);
			*ret_file = f;
			*ret_index = i;
			*ret_body = body;
			return 1;
		}
	}
	return 0;
}

/* Whether a URL's authority (after "scheme://", or from the start for a
 * bare host:port, up to the first '/', '?' or '#') holds an '@'. */
static bool has_user_info(const char *url)
{
	const char *scheme_end = strstr(url, "://");
	const char *authority = scheme_end ? scheme_end + 3 : url;
	size_t len = strcspn(authority, "/?#");
	return memchr(authority, '@', len) != NULL;
}

static int load_cluster(const struct at *at, const struct kc_ynode *c, struct kc_config *cfg,
                        struct kc_error *err)
{
	const char *server = NULL, *sni = NULL, *proxy = NULL;
	int r = get_str(c, "server", at, &server, err);
	if (r < 0)
		return r;
	if (!server || !server[0])
		return type_error(at, "server", "not set", err);
	r = get_str(c, "tls-server-name", at, &sni, err);
	if (r < 0)
		return r;
	r = get_str(c, "proxy-url", at, &proxy, err);
	if (r < 0)
		return r;
	r = get_bool(c, "insecure-skip-tls-verify", at, &cfg->insecure_skip_tls_verify, err);
	if (r < 0)
		return r;
	r = get_pem(c, "certificate-authority", at, &cfg->ca_pem, err);
	if (r < 0)
		return r;
	if (cfg->ca_pem && cfg->insecure_skip_tls_verify)
		/* client-go refuses this too: the two contradict each other. */
		return type_error(at, "insecure-skip-tls-verify",
		                  "cannot be combined with a certificate authority", err);

	/* user:password@ in the URL would be sent to the server and end up in
	 * every log line that names it; client-go's users keep credentials in
	 * the user entry. The message names the field, never the value. */
	if (has_user_info(server))
		return type_error(at, "server",
		                  "holds user-info (user:password@); credentials belong in the "
		                  "user entry",
		                  err);
	/* A bare host:port means https, as kubectl assumes. */
	bool has_scheme = strstr(server, "://") != NULL;
	size_t len = strlen(server);
	while (len > 0 && server[len - 1] == '/')
		len--;
	if (len == 0)
		return type_error(at, "server", "not a URL", err);
	const char *prefix = has_scheme ? "" : "https://";
	size_t plen = strlen(prefix);
	cfg->server = malloc(plen + len + 1);
	if (!cfg->server)
		return kc_error_set(err, -ENOMEM, "out of memory");
	memcpy(cfg->server, prefix, plen);
	memcpy(cfg->server + plen, server, len);
	cfg->server[plen + len] = '\0';

	r = dup_str(sni && sni[0] ? sni : NULL, &cfg->tls_server_name, err);
	if (r < 0)
		return r;
	return dup_str(proxy && proxy[0] ? proxy : NULL, &cfg->proxy_url, err);
}

/* A list of scalars into a NULL-terminated vector. */
static int get_strv(const struct kc_ynode *map, const char *key, const struct at *at, char ***out,
                    struct kc_error *err)
{
	const struct kc_ynode *n = kc_yaml_get(map, key);
	size_t count = 0;
	if (!kc_yaml_is_null(n)) {
		if (n->kind != KC_YNODE_SEQ)
			return type_error(at, key, "expected a list", err);
		count = n->n_items;
	}
	if (count > MAX_EXEC_ITEMS)
		return type_error(at, key, "too many items", err);
	char **v = calloc(count + 1, sizeof(*v));
	if (!v)
		return kc_error_set(err, -ENOMEM, "out of memory");
	*out = v; /* filled in place so the caller frees a partial vector */
	for (size_t i = 0; i < count; i++) {
		const struct kc_ynode *item = n->items[i];
		char idx[48];
		key_path(idx, sizeof(idx), "%s[%zu]", key, i);
		if (item->kind != KC_YNODE_SCALAR || strlen(item->value) != item->len)
			return type_error(at, idx, "expected a string", err);
		v[i] = strdup(item->value);
		if (!v[i])
			return kc_error_set(err, -ENOMEM, "out of memory");
	}
	return 0;
}

/* env: [{name, value}] into "NAME=value" strings. */
static int get_env(const struct kc_ynode *map, const struct at *at, char ***out,
                   struct kc_error *err)
{
	const struct kc_ynode *n = kc_yaml_get(map, "env");
	size_t count = 0;
	if (!kc_yaml_is_null(n)) {
		if (n->kind != KC_YNODE_SEQ)
			return type_error(at, "env", "expected a list", err);
		count = n->n_items;
	}
	if (count > MAX_EXEC_ITEMS)
		return type_error(at, "env", "too many items", err);
	char **v = calloc(count + 1, sizeof(*v));
	if (!v)
		return kc_error_set(err, -ENOMEM, "out of memory");
	*out = v;
	for (size_t i = 0; i < count; i++) {
		char prefix[160];
		key_path(prefix, sizeof(prefix), "%s.env[%zu]", at->prefix, i);
		struct at item_at = {at->file, prefix};
		const struct kc_ynode *item = n->items[i];
		if (item->kind != KC_YNODE_MAP)
			return kc_error_set(err, -EINVAL, "%s: %s: expected a mapping",
			                    display_name(at->file), prefix);
		const char *name = NULL, *value = NULL;
		int r = get_str(item, "name", &item_at, &name, err);
		if (r < 0)
			return r;
		r = get_str(item, "value", &item_at, &value, err);
		if (r < 0)
			return r;
		if (!name || !name[0] || strchr(name, '='))
			return type_error(&item_at, "name", "not a valid variable name", err);
		if (!value)
			value = "";
		size_t len = strlen(name) + 1 + strlen(value) + 1;
		v[i] = malloc(len);
		if (!v[i])
			return kc_error_set(err, -ENOMEM, "out of memory");
		snprintf(v[i], len, "%s=%s", name, value);
	}
	return 0;
}

static int load_exec(const struct at *at, const struct kc_ynode *e, struct kc_exec_config **ret,
                     struct kc_error *err)
{
	if (e->kind != KC_YNODE_MAP)
		return kc_error_set(err, -EINVAL, "%s: %s: expected a mapping",
		                    display_name(at->file), at->prefix);
	struct kc_exec_config *exec = calloc(1, sizeof(*exec));
	if (!exec)
		return kc_error_set(err, -ENOMEM, "out of memory");
	exec->timeout_ms = EXEC_TIMEOUT_MS;
	const char *api = NULL, *command = NULL, *hint = NULL, *mode = NULL;
	int r = get_str(e, "apiVersion", at, &api, err);
	if (r < 0)
		goto fail;
	if (!api || !api[0]) {
		r = type_error(at, "apiVersion", "not set", err);
		goto fail;
	}
	if (strcmp(api, "client.authentication.k8s.io/v1") != 0 &&
	    strcmp(api, "client.authentication.k8s.io/v1beta1") != 0) {
		r = type_error(at, "apiVersion",
		               "must be client.authentication.k8s.io/v1 or "
		               "client.authentication.k8s.io/v1beta1",
		               err);
		goto fail;
	}
	r = get_str(e, "command", at, &command, err);
	if (r < 0)
		goto fail;
	if (!command || !command[0]) {
		r = type_error(at, "command", "not set", err);
		goto fail;
	}
	r = get_str(e, "installHint", at, &hint, err);
	if (r < 0)
		goto fail;
	r = get_str(e, "interactiveMode", at, &mode, err);
	if (r < 0)
		goto fail;
	if (mode && strcmp(mode, "Always") == 0) {
		/* We never have a terminal to lend the plugin. */
		r = kc_error_set(err, -ENOTSUP,
		                 "%s: %s.interactiveMode: Always is not supported: plugins run "
		                 "without a terminal",
		                 display_name(at->file), at->prefix);
		goto fail;
	}
	r = get_bool(e, "provideClusterInfo", at, &exec->provide_cluster_info, err);
	if (r < 0)
		goto fail;
	r = get_strv(e, "args", at, &exec->args, err);
	if (r < 0)
		goto fail;
	r = get_env(e, at, &exec->env, err);
	if (r < 0)
		goto fail;
	/* As client-go does: a command with a slash is a path relative to the
	 * kubeconfig; a bare name is looked up in PATH. */
	exec->command =
	    strchr(command, '/') ? kc__path_relative_to(at->file, command) : strdup(command);
	exec->api_version = strdup(api);
	exec->install_hint = hint ? strdup(hint) : NULL;
	if (!exec->command || !exec->api_version || (hint && !exec->install_hint)) {
		r = kc_error_set(err, -ENOMEM, "out of memory");
		goto fail;
	}
	*ret = exec;
	return 0;
fail:
	kc__exec_config_free(exec);
	return r;
}

static int unsupported(const struct at *at, const char *key, const char *what, struct kc_error *err)
{
	return kc_error_set(err, -ENOTSUP, "%s: %s.%s: %s", display_name(at->file), at->prefix, key,
	                    what);
}

static int load_user(const struct at *at, const struct kc_ynode *u, struct kc_config *cfg,
                     struct kc_error *err)
{
	/* Refuse what we cannot honour rather than silently connecting as someone else. */
	if (!kc_yaml_is_null(kc_yaml_get(u, "auth-provider")))
		return unsupported(
		    at, "auth-provider",
		    "auth providers are not supported; use an exec credential plugin", err);
	if (!kc_yaml_is_null(kc_yaml_get(u, "username")) ||
	    !kc_yaml_is_null(kc_yaml_get(u, "password")))
		return unsupported(at, "username", "basic authentication is not supported", err);
	static const char *const impersonation[] = {"as", "as-uid", "as-groups", "as-user-extra"};
	for (size_t i = 0; i < sizeof(impersonation) / sizeof(impersonation[0]); i++) {
		if (!kc_yaml_is_null(kc_yaml_get(u, impersonation[i])))
			return unsupported(at, impersonation[i], "impersonation is not supported",
			                   err);
	}

	const char *token = NULL, *token_file = NULL;
	int r = get_str(u, "token", at, &token, err);
	if (r < 0)
		return r;
	if (token && token[0]) {
		if (!kc__token_valid(token))
			return type_error(at, "token", "holds control characters", err);
		r = dup_str(token, &cfg->token, err);
		if (r < 0)
			return r;
	}
	r = get_str(u, "tokenFile", at, &token_file, err);
	if (r < 0)
		return r;
	if (token_file && token_file[0]) {
		cfg->token_file = kc__path_relative_to(at->file, token_file);
		if (!cfg->token_file)
			return kc_error_set(err, -ENOMEM, "out of memory");
	}
	r = get_pem(u, "client-certificate", at, &cfg->client_cert_pem, err);
	if (r < 0)
		return r;
	r = get_pem(u, "client-key", at, &cfg->client_key_pem, err);
	if (r < 0)
		return r;
	if (cfg->client_cert_pem && !cfg->client_key_pem)
		return type_error(at, "client-key", "not set, but a client certificate is", err);
	if (cfg->client_key_pem && !cfg->client_cert_pem)
		return type_error(at, "client-certificate", "not set, but a client key is", err);

	const struct kc_ynode *exec = kc_yaml_get(u, "exec");
	if (!kc_yaml_is_null(exec)) {
		char prefix[160];
		key_path(prefix, sizeof(prefix), "%s.exec", at->prefix);
		struct at exec_at = {at->file, prefix};
		r = load_exec(&exec_at, exec, &cfg->exec, err);
		if (r < 0)
			return r;
	}
	return 0;
}

/* A YAML node as JSON, typing plain scalars the way YAML 1.1 does. Depth is
 * bounded by the parser's limit. Caller owns the result; NULL when out of memory. */
static json_t *yaml_to_json(const struct kc_ynode *n)
{
	if (n->kind == KC_YNODE_MAP || n->kind == KC_YNODE_SEQ) {
		bool map = n->kind == KC_YNODE_MAP;
		json_t *out = map ? json_object() : json_array();
		for (size_t i = 0; out && i < n->n_items; i += map ? 2 : 1) {
			json_t *v = yaml_to_json(n->items[map ? i + 1 : i]);
			int r = !v    ? -1
			        : map ? json_object_set_new(out, n->items[i]->value, v)
			              : json_array_append_new(out, v);
			if (r < 0) {
				json_decref(out);
				return NULL;
			}
		}
		return out;
	}
	if (n->plain) {
		static const char *const yes[] = {"true", "True", "TRUE", "yes", "Yes",
		                                  "YES",  "on",   "On",   "ON"};
		static const char *const no[] = {"false", "False", "FALSE", "no", "No",
		                                 "NO",    "off",   "Off",   "OFF"};
		if (kc_yaml_is_null(n))
			return json_null();
		for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
			if (strcmp(n->value, yes[i]) == 0)
				return json_true();
			if (strcmp(n->value, no[i]) == 0)
				return json_false();
		}
		char *end = NULL;
		errno = 0;
		long long v = strtoll(n->value, &end, 10);
		if (errno == 0 && end != n->value && *end == '\0')
			return json_integer(v);
		errno = 0;
		double d = strtod(n->value, &end);
		bool numeric = strspn(n->value, "+-.0123456789eE") == n->len;
		if (errno == 0 && numeric && end != n->value && *end == '\0')
			return json_real(d);
	}
	return json_stringn(n->value, n->len);
}

/* clusters[].cluster.extensions[name=client.authentication.k8s.io/exec].extension, which
 * client-go hands to exec plugins as spec.cluster.config. */
static int exec_cluster_config(const struct at *at, const struct kc_ynode *cluster, char **ret,
                               struct kc_error *err)
{
	const struct kc_ynode *exts = kc_yaml_get(cluster, "extensions");
	if (kc_yaml_is_null(exts))
		return 0;
	if (exts->kind != KC_YNODE_SEQ)
		return type_error(at, "extensions", "expected a list", err);
	for (size_t i = 0; i < exts->n_items; i++) {
		const struct kc_ynode *nm = kc_yaml_get(exts->items[i], "name");
		if (!nm || nm->kind != KC_YNODE_SCALAR ||
		    strcmp(nm->value, "client.authentication.k8s.io/exec") != 0)
			continue;
		const struct kc_ynode *ext = kc_yaml_get(exts->items[i], "extension");
		if (kc_yaml_is_null(ext))
			return 0;
		json_t *j = yaml_to_json(ext);
		*ret = j ? json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
		json_decref(j);
		if (!*ret)
			return kc_error_set(err, -ENOMEM, "out of memory");
		return 0;
	}
	return 0;
}

/* The context to use: the caller's choice, else the first non-empty current-context in
 * KUBECONFIG order, because kubectl lets the first file that sets a key win. *ret is borrowed
 * from opts or from the loader's trees; untouched on failure. */
static int context_name(const struct loader *l, const struct kc_load_options *opts,
                        const char **ret, struct kc_error *err)
{
	const char *name = opts && opts->context && opts->context[0] ? opts->context : NULL;
	for (size_t f = 0; f < l->n && !name; f++) {
		struct at at = {l->files[f].path, ""};
		int r = get_str(l->files[f].root, "current-context", &at, &name, err);
		if (r < 0)
			return r;
		if (name && !name[0])
			name = NULL;
	}
	if (!name)
		return kc_error_set(err, -EINVAL,
		                    "%s: current-context is not set; choose a context", l->source);
	*ret = name;
	return 0;
}

/* What a context names; every string is borrowed from opts or the loader's trees. */
struct context_refs {
	const char *name;
	const char *cluster;   /* never NULL or empty */
	const char *user;      /* NULL or empty: anonymous */
	const char *namespace; /* NULL when the context does not set one */
};

/* Finds context `name` and reads its references. They are all read before any cluster or
 * user is looked at, so a malformed context is reported as such, not as a missing cluster.
 * *ret is untouched on failure. */
static int read_context(const struct loader *l, const char *name, struct context_refs *ret,
                        struct kc_error *err)
{
	size_t f = 0, i = 0;
	const struct kc_ynode *ctx = NULL;
	int r = find_entry(l, "contexts", "context", name, &f, &i, &ctx, err);
	if (r < 0)
		return r;
	if (r == 0)
		return kc_error_set(err, -EINVAL, "context \"%s\" not found in %s", name,
		                    l->source);

	char prefix[160];
	key_path(prefix, sizeof(prefix), "contexts[%zu].context", i);
	struct at at = {l->files[f].path, prefix};
	struct context_refs refs = {.name = name};
	r = get_str(ctx, "cluster", &at, &refs.cluster, err);
	if (r < 0)
		return r;
	if (!refs.cluster || !refs.cluster[0])
		return type_error(&at, "cluster", "not set", err);
	r = get_str(ctx, "user", &at, &refs.user, err);
	if (r < 0)
		return r;
	r = get_str(ctx, "namespace", &at, &refs.namespace, err);
	if (r < 0)
		return r;
	*ret = refs;
	return 0;
}

/* A list entry a context refers to, and where it sits for messages. at.prefix points into
 * prefix, so an entry is filled in place and never copied. body is borrowed from the loader
 * and may be NULL (the entry has no body; the loaders report what is then missing). */
struct entry {
	const struct kc_ynode *body;
	struct at at;
	char prefix[160];
};

/* Finds the `field` ("cluster", "user") called `name` in `list` for the context refs->name.
 * Cluster and user share this so that their not-found messages cannot drift apart. */
static int find_referenced(const struct loader *l, const char *list, const char *field,
                           const char *name, const struct context_refs *refs, struct entry *ret,
                           struct kc_error *err)
{
	size_t f = 0, i = 0;
	const struct kc_ynode *body = NULL;
	int r = find_entry(l, list, field, name, &f, &i, &body, err);
	if (r == 0)
		r = kc_error_set(err, -EINVAL, "%s \"%s\" of context \"%s\" not found in %s", field,
		                 name, refs->name, l->source);
	if (r < 0)
		return r;
	ret->body = body;
	key_path(ret->prefix, sizeof(ret->prefix), "%s[%zu].%s", list, i, field);
	ret->at = (struct at){l->files[f].path, ret->prefix};
	return 0;
}

/* The context's cluster into cfg. *ret_cluster is kept for the exec plugin's cluster
 * info, which can only be read once the user is known (the user's exec block asks for it).
 * cfg stays owned by the caller and may be half filled on failure. */
static int load_context_cluster(const struct loader *l, const struct context_refs *refs,
                                struct kc_config *cfg, struct entry *ret_cluster,
                                struct kc_error *err)
{
	int r = find_referenced(l, "clusters", "cluster", refs->cluster, refs, ret_cluster, err);
	if (r < 0)
		return r;
	return load_cluster(&ret_cluster->at, ret_cluster->body, cfg, err);
}

/* The context's user into cfg. A context without a user is anonymous access, which kubectl
 * allows too. cfg stays owned by the caller and may be half filled on failure. */
static int load_context_user(const struct loader *l, const struct context_refs *refs,
                             struct kc_config *cfg, struct kc_error *err)
{
	if (!refs->user || !refs->user[0])
		return 0;
	struct entry user = {0};
	int r = find_referenced(l, "users", "user", refs->user, refs, &user, err);
	if (r < 0)
		return r;
	return load_user(&user.at, user.body, cfg, err);
}

/* The names a config carries for messages and defaults: the namespace (the caller's, the
 * context's, else "default", as kubectl picks it), the context and the files. cfg owns the
 * copies; on failure the caller frees cfg with whatever was copied. */
static int name_config(struct kc_config *cfg, const struct loader *l,
                       const struct context_refs *refs, const struct kc_load_options *opts,
                       struct kc_error *err)
{
	const char *ns = refs->namespace;
	if (opts && opts->namespace && opts->namespace[0])
		ns = opts->namespace;
	if (!ns || !ns[0])
		ns = "default";
	cfg->namespace = strdup(ns);
	cfg->context = strdup(refs->name);
	cfg->source = strdup(l->source);
	if (!cfg->namespace || !cfg->context || !cfg->source)
		return kc_error_set(err, -ENOMEM, "out of memory");
	return 0;
}

/* The config of the chosen context from the loaded files. Caller owns *ret (kc_config_free)
 * on success; *ret is untouched on failure. */
static int resolve(struct loader *l, const struct kc_load_options *opts, struct kc_config **ret,
                   struct kc_error *err)
{
	int r = make_source(l, err);
	if (r < 0)
		return r;
	const char *ctx_name = NULL;
	r = context_name(l, opts, &ctx_name, err);
	if (r < 0)
		return r;
	struct context_refs refs = {0};
	r = read_context(l, ctx_name, &refs, err);
	if (r < 0)
		return r;

	struct kc_config *cfg = calloc(1, sizeof(*cfg));
	if (!cfg)
		return kc_error_set(err, -ENOMEM, "out of memory");
	struct entry cluster = {0};
	r = load_context_cluster(l, &refs, cfg, &cluster, err);
	if (r < 0)
		goto fail;
	r = load_context_user(l, &refs, cfg, err);
	if (r < 0)
		goto fail;
	if (cfg->exec && cfg->exec->provide_cluster_info) {
		r = exec_cluster_config(&cluster.at, cluster.body, &cfg->exec->cluster_config_json,
		                        err);
		if (r < 0)
			goto fail;
	}
	r = name_config(cfg, l, &refs, opts, err);
	if (r < 0)
		goto fail;
	*ret = cfg;
	return 0;
fail:
	kc_config_free(cfg);
	return r;
}

static int load_env_list(struct loader *l, const char *env, struct kc_error *err)
{
	const char *p = env;
	while (*p) {
		const char *colon = strchr(p, ':');
		size_t n = colon ? (size_t)(colon - p) : strlen(p);
		if (n >= PATH_MAX)
			return kc_error_set(err, -ENAMETOOLONG, "KUBECONFIG: a path is too long");
		if (n > 0) {
			char path[PATH_MAX];
			memcpy(path, p, n);
			path[n] = '\0';
			bool seen = false;
			for (size_t i = 0; i < l->n && !seen; i++)
				seen = strcmp(l->files[i].path, path) == 0;
			if (!seen) {
				int r = add_file(l, path, false, err);
				if (r < 0)
					return r;
			}
		}
		p += n;
		if (*p == ':')
			p++;
	}
	if (l->n == 0)
		return kc_error_set(err, -ENOENT, "none of the files in KUBECONFIG exist (%s)",
		                    env);
	return 0;
}

int kc_config_load(const struct kc_load_options *opts, struct kc_config **ret, struct kc_error *err)
{
	struct loader l = {0};
	int r;
	const char *env = getenv("KUBECONFIG");
	if (opts && opts->kubeconfig && opts->kubeconfig[0]) {
		r = add_file(&l, opts->kubeconfig, true, err);
	} else if (env && env[0]) {
		r = load_env_list(&l, env, err);
	} else {
		const char *home = getenv("HOME");
		char path[PATH_MAX];
		int n =
		    home && home[0] ? snprintf(path, sizeof(path), "%s/.kube/config", home) : -1;
		if (n < 0 || (size_t)n >= sizeof(path))
			r = kc_error_set(
			    err, -ENOENT,
			    "no kubeconfig: HOME is not set and neither is KUBECONFIG");
		else
			r = add_file(&l, path, true, err);
	}
	if (r >= 0)
		r = resolve(&l, opts, ret, err);
	loader_clear(&l);
	return r;
}

int kc_config_load_string(const char *yaml, size_t len, const char *path,
                          const struct kc_load_options *opts, struct kc_config **ret,
                          struct kc_error *err)
{
	struct loader l = {0};
	int r = add_document(&l, path, yaml, len, err);
	if (r >= 0)
		r = resolve(&l, opts, ret, err);
	loader_clear(&l);
	return r;
}
