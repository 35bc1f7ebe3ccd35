/*
 * What all configuration sources share: freeing, choosing between kubeconfig
 * and in-cluster, and small file and encoding helpers.
 */
#include "kubeclient/config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kubeclient/config-internal.h"

int kc__read_file(const char *path, size_t max, char **ret, size_t *ret_len)
{
	/* O_NONBLOCK: opening a FIFO named by a kubeconfig must not wait for a
	 * writer; it is refused below as not a regular file. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	int r = 0;
	char *buf = NULL;
	struct stat st;
	if (fstat(fd, &st) < 0) {
		r = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		r = -EINVAL;
		goto out;
	}
	if ((uintmax_t)st.st_size > max) {
		r = -EFBIG;
		goto out;
	}
	/* Read up to max + 1 whatever stat said: the file may grow meanwhile. */
	size_t cap = (size_t)st.st_size + 1, len = 0;
	buf = malloc(cap + 1);
	if (!buf) {
		r = -ENOMEM;
		goto out;
	}
	for (;;) {
		if (len == cap) {
			if (cap > max) {
				r = -EFBIG;
				goto out;
			}
			size_t ncap = cap * 2 > max + 1 ? max + 1 : cap * 2;
			char *n = realloc(buf, ncap + 1);
			if (!n) {
				r = -ENOMEM;
				goto out;
			}
			buf = n;
			cap = ncap;
		}
		ssize_t got = read(fd, buf + len, cap - len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			r = -errno;
			goto out;
		}
		if (got == 0)
			break;
		len += (size_t)got;
	}
	if (len > max) {
		r = -EFBIG;
		goto out;
	}
	buf[len] = '\0';
	*ret = buf;
	buf = NULL;
	if (ret_len)
		*ret_len = len;
out:
	free(buf);
	close(fd);
	return r;
}

char *kc__path_relative_to(const char *base_file, const char *rel)
{
	if (rel[0] == '/' || !base_file)
		return strdup(rel);
	while (rel[0] == '.' && rel[1] == '/')
		rel += 2;
	const char *slash = strrchr(base_file, '/');
	if (!slash)
		return strdup(rel);
	size_t dlen = (size_t)(slash - base_file) + 1;
	size_t rlen = strlen(rel);
	char *out = malloc(dlen + rlen + 1);
	if (!out)
		return NULL;
	memcpy(out, base_file, dlen);
	memcpy(out + dlen, rel, rlen + 1);
	return out;
}

int kc__base64_decode(const char *in, size_t len, char **ret, size_t *ret_len)
{
	/* EVP_DecodeBlock would accept a truncated final quantum and count padding
	 * as output; the streaming decoder checks both and skips line breaks. */
	if (len > INT_MAX / 2)
		return -EFBIG;
	/* The decoder silently stops at '-' (a PEM armour line); refuse it and
	 * anything else outside the alphabet up front. */
	for (size_t i = 0; i < len; i++) {
		char c = in[i];
		bool alpha = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		             (c >= '0' && c <= '9') || c == '+' || c == '/' || c == '=';
		if (!alpha && c != '\n' && c != '\r' && c != ' ' && c != '\t')
			return -EINVAL;
	}
	unsigned char *out = malloc(len / 4 * 3 + 4);
	if (!out)
		return -ENOMEM;
	EVP_ENCODE_CTX *ctx = EVP_ENCODE_CTX_new();
	if (!ctx) {
		free(out);
		return -ENOMEM;
	}
	int n = 0, m = 0;
	EVP_DecodeInit(ctx);
	int ok = EVP_DecodeUpdate(ctx, out, &n, (const unsigned char *)in, (int)len) >= 0 &&
	         EVP_DecodeFinal(ctx, out + n, &m) >= 0;
	EVP_ENCODE_CTX_free(ctx);
	if (!ok) {
		free(out);
		return -EINVAL;
	}
	out[n + m] = '\0';
	*ret = (char *)out;
	if (ret_len)
		*ret_len = (size_t)(n + m);
	return 0;
}

char *kc__base64_encode(const char *in, size_t len)
{
	if (len > INT_MAX / 2)
		return NULL;
	char *out = malloc((len + 2) / 3 * 4 + 1);
	if (!out)
		return NULL;
	EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)in, (int)len);
	return out;
}

char *kc__trim(char *s)
{
	size_t len = strlen(s);
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\n' ||
	                   s[len - 1] == '\r'))
		s[--len] = '\0';
	size_t start = 0;
	while (s[start] == ' ' || s[start] == '\t' || s[start] == '\n' || s[start] == '\r')
		start++;
	if (start > 0)
		memmove(s, s + start, len - start + 1);
	return s;
}

bool kc__token_valid(const char *token)
{
	if (!token || !token[0])
		return false;
	for (const unsigned char *p = (const unsigned char *)token; *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			return false;
	}
	return true;
}

static char **strv_free(char **v)
{
	if (!v)
		return NULL;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
	return NULL;
}

struct kc_exec_config *kc__exec_config_free(struct kc_exec_config *exec)
{
	if (!exec)
		return NULL;
	free(exec->command);
	strv_free(exec->args);
	strv_free(exec->env);
	free(exec->api_version);
	free(exec->install_hint);
	free(exec->cluster_config_json);
	free(exec);
	return NULL;
}

void kc__credential_clear(struct kc_credential *cred)
{
	free(cred->token);
	free(cred->client_cert_pem);
	free(cred->client_key_pem);
	memset(cred, 0, sizeof(*cred));
}

struct kc_config *kc_config_free(struct kc_config *cfg)
{
	if (!cfg)
		return NULL;
	free(cfg->server);
	free(cfg->ca_pem);
	free(cfg->tls_server_name);
	free(cfg->proxy_url);
	free(cfg->client_cert_pem);
	free(cfg->client_key_pem);
	free(cfg->token);
	free(cfg->token_file);
	kc__exec_config_free(cfg->exec);
	free(cfg->namespace);
	free(cfg->context);
	free(cfg->source);
	kc__credential_async_free(cfg);
	kc__credential_clear(&cfg->cached);
	free(cfg->exec_failure);
	free(cfg);
	return NULL;
}

static bool file_exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

/* True when kc_config_load() would find at least one file to read. */
static bool kubeconfig_present(const struct kc_load_options *opts)
{
	if (opts && opts->kubeconfig && opts->kubeconfig[0])
		return true;
	const char *env = getenv("KUBECONFIG");
	if (env && env[0]) {
		/* Any listed file that exists means kubeconfig, as kubectl decides. */
		char path[PATH_MAX];
		const char *p = env;
		while (*p) {
			const char *colon = strchr(p, ':');
			size_t n = colon ? (size_t)(colon - p) : strlen(p);
			if (n > 0 && n < sizeof(path)) {
				memcpy(path, p, n);
				path[n] = '\0';
				if (file_exists(path))
					return true;
			}
			p += n;
			if (*p == ':')
				p++;
		}
		return false;
	}
	const char *home = getenv("HOME");
	if (!home || !home[0])
		return false;
	char path[PATH_MAX];
	int n = snprintf(path, sizeof(path), "%s/.kube/config", home);
	return n > 0 && (size_t)n < sizeof(path) && file_exists(path);
}

int kc_config_auto(const struct kc_load_options *opts, struct kc_config **ret, struct kc_error *err)
{
	if (kubeconfig_present(opts))
		return kc_config_load(opts, ret, err);
	struct kc_config *cfg = NULL;
	int r = kc_config_in_cluster(NULL, &cfg, err);
	if (r == -ENOENT) {
		/* Copy first: the message is both an argument and the destination. */
		char why[sizeof(err->message)] = "";
		if (err)
			memcpy(why, err->message, sizeof(why));
		return kc_error_set(err, r, "no kubeconfig ($KUBECONFIG, ~/.kube/config) and %s",
		                    why);
	}
	if (r < 0)
		return r;
	if (opts && opts->namespace && opts->namespace[0]) {
		char *ns = strdup(opts->namespace);
		if (!ns) {
			kc_config_free(cfg);
			return kc_error_set(err, -ENOMEM, "out of memory");
		}
		free(cfg->namespace);
		cfg->namespace = ns;
	}
	*ret = cfg;
	return 0;
}
