/*
 * The credential presented with each request, and when to fetch it again.
 *
 * Precedence follows client-go: a static token or client certificate in the
 * kubeconfig is used as is and an exec plugin is then not run; a static token
 * beats tokenFile.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "kubeclient/config-internal.h"
#include "kubeclient/config.h"
#include "kubeclient/exec-credential.h"

/* An exec credential is replaced this many seconds before it expires, so a
 * request in flight does not carry a token that dies on the way. */
#define REFRESH_EARLY 10

/* After a plugin run fails, calls within this many seconds get the same error
 * without running it again: a hung plugin would otherwise block the caller
 * for its whole timeout on every request. */
#define EXEC_RETRY_AFTER 5

static int run_exec(struct kc_config *cfg, time_t now, struct kc_credential *fresh,
                    struct kc_error *err)
{
	if (cfg->exec_failure && now >= cfg->exec_failed_at &&
	    now < cfg->exec_failed_at + EXEC_RETRY_AFTER)
		return kc_error_set(err, cfg->exec_failed_code, "%s (not retried for %d s)",
		                    cfg->exec_failure, EXEC_RETRY_AFTER);
	struct kc_error local = {0};
	int r = kc__exec_credential(cfg, fresh, &local);
	free(cfg->exec_failure);
	cfg->exec_failure = NULL;
	if (r < 0) {
		/* Without memory for the message the next call simply runs again. */
		cfg->exec_failure = strdup(local.message);
		cfg->exec_failed_code = r;
		cfg->exec_failed_at = now;
		kc_error_set(err, r, "%s", local.message);
	}
	kc_error_clear(&local);
	return r;
}

static int copy_static(const struct kc_config *cfg, const char *token, struct kc_credential *c,
                       struct kc_error *err)
{
	c->token = token ? strdup(token) : NULL;
	c->client_cert_pem = cfg->client_cert_pem ? strdup(cfg->client_cert_pem) : NULL;
	c->client_key_pem = cfg->client_key_pem ? strdup(cfg->client_key_pem) : NULL;
	if ((token && !c->token) || (cfg->client_cert_pem && !c->client_cert_pem) ||
	    (cfg->client_key_pem && !c->client_key_pem)) {
		kc__credential_clear(c);
		return kc_error_set(err, -ENOMEM, "out of memory");
	}
	return 0;
}

/* Reads the token file when it changed since the last read (or nothing was cached).
 * Returns 1 when *c was filled, 0 when the cache is still good. */
static int token_file_credential(struct kc_config *cfg, struct kc_credential *c,
                                 struct kc_error *err)
{
	struct stat st;
	if (stat(cfg->token_file, &st) < 0)
		return kc_error_set(err, -errno, "%s: token file %s: %s", cfg->source,
		                    cfg->token_file, strerror(errno));
	/* Kubernetes rotates projected tokens by swapping a symlink, which changes
	 * the inode; an editor may keep the inode and change mtime or size. */
	bool same = st.st_mtim.tv_sec == cfg->token_file_mtime &&
	            st.st_mtim.tv_nsec == cfg->token_file_mtime_nsec &&
	            (long long)st.st_size == cfg->token_file_size &&
	            (unsigned long long)st.st_ino == cfg->token_file_ino;
	if (cfg->cached_valid && same)
		return 0;
	char *buf = NULL;
	int r = kc__read_file(cfg->token_file, KC_TOKEN_MAX, &buf, NULL);
	if (r < 0)
		return kc_error_set(err, r, "%s: token file %s: %s", cfg->source, cfg->token_file,
		                    r == -EFBIG ? "too large" : strerror(-r));
	if (!kc__token_valid(kc__trim(buf))) {
		free(buf);
		return kc_error_set(err, -EINVAL,
		                    "%s: token file %s: empty or holds control characters",
		                    cfg->source, cfg->token_file);
	}
	r = copy_static(cfg, NULL, c, err);
	if (r < 0) {
		free(buf);
		return r;
	}
	c->token = buf;
	/* The stat from before the read: if the file changed in between, the next
	 * call sees a difference and reads it again. */
	cfg->token_file_mtime = st.st_mtim.tv_sec;
	cfg->token_file_mtime_nsec = st.st_mtim.tv_nsec;
	cfg->token_file_size = (long long)st.st_size;
	cfg->token_file_ino = (unsigned long long)st.st_ino;
	return 1;
}

int kc_config_credential(struct kc_config *cfg, time_t now, const struct kc_credential **ret,
                         struct kc_error *err)
{
	struct kc_credential fresh = {0};
	int r;
	bool use_exec = cfg->exec && !cfg->token && !cfg->token_file && !cfg->client_cert_pem;
	if (use_exec) {
		if (cfg->cached_valid &&
		    (cfg->cached.expires == 0 || now < cfg->cached.expires - REFRESH_EARLY)) {
			*ret = &cfg->cached;
			return 0;
		}
		r = run_exec(cfg, now, &fresh, err);
		if (r < 0)
			return r;
	} else if (cfg->token_file && !cfg->token) {
		r = token_file_credential(cfg, &fresh, err);
		if (r < 0)
			return r;
		if (r == 0) {
			*ret = &cfg->cached;
			return 0;
		}
	} else {
		if (cfg->cached_valid) {
			*ret = &cfg->cached;
			return 0;
		}
		r = copy_static(cfg, cfg->token, &fresh, err);
		if (r < 0)
			return r;
	}
	kc__credential_clear(&cfg->cached);
	cfg->cached = fresh;
	cfg->cached_valid = true;
	*ret = &cfg->cached;
	return 0;
}

void kc_config_invalidate_credential(struct kc_config *cfg)
{
	/* The strings stay until the next kc_config_credential(): a caller may
	 * still hold the pointer it was given. */
	cfg->cached_valid = false;
}
