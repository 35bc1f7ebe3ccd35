/*
 * The credential presented with each request, and when to fetch it again.
 *
 * Precedence follows client-go: a static token or client certificate in the
 * kubeconfig is used as is and an exec plugin is then not run; a static token
 * beats tokenFile.
 *
 * Exec plugins on a loop (kc__credential_get), the rules:
 *  - At most one run per config at a time. A request that needs a credential
 *    while none is usable waits for that run (it is parked, its deadline
 *    still running) and is resumed when the run ends.
 *  - A cached credential within REFRESH_EARLY seconds of its expiry is still
 *    used, and a background run replaces it: requests do not wait unless it
 *    really expires first. Background runs start at most once every
 *    EXEC_RETRY_AFTER seconds, so a plugin whose tokens are short-lived does
 *    not run on every request.
 *  - A 401 drops the credential it was sent with (once per credential) and
 *    so forces one run.
 *  - A failed run fails every request that waited for it, with the plugin's
 *    error. For EXEC_RETRY_AFTER seconds after it, requests that need a run
 *    fail at once with the same error instead of starting another (a broken
 *    plugin does not spin), while a still-valid cached credential goes on
 *    being used; after that the next request runs the plugin again. Nothing
 *    blocks the loop, so the pause no longer needs to be long.
 * kc_config_credential() keeps the synchronous behaviour for code without a
 * loop: it runs the plugin on a private loop and waits.
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
 * without running it again: a broken plugin must not run on every request
 * (and, synchronously, a hung one would block the caller for its whole
 * timeout each time). Also the least time between background refreshes. */
#define EXEC_RETRY_AFTER 5

static bool use_exec(const struct kc_config *cfg)
{
	return cfg->exec && !cfg->token && !cfg->token_file && !cfg->client_cert_pem;
}

/* fresh becomes the cached credential (its strings moved). */
static void install(struct kc_config *cfg, struct kc_credential *fresh)
{
	kc__credential_clear(&cfg->cached);
	cfg->cached = *fresh;
	memset(fresh, 0, sizeof(*fresh));
	cfg->cached_valid = true;
	cfg->cached_gen++;
}

static bool failed_recently(const struct kc_config *cfg, time_t now)
{
	return cfg->exec_failure && now >= cfg->exec_failed_at &&
	       now < cfg->exec_failed_at + EXEC_RETRY_AFTER;
}

static void remember_failure(struct kc_config *cfg, time_t now, int code, const char *message)
{
	free(cfg->exec_failure);
	/* Without memory for the message the next call simply runs again. */
	cfg->exec_failure = strdup(message);
	cfg->exec_failed_code = code;
	cfg->exec_failed_at = now;
}

/* The error of a call that comes within EXEC_RETRY_AFTER of a failed run:
 * that run's, saying it is not retried yet. Returns its code. */
static int recent_failure(const struct kc_config *cfg, struct kc_error *err)
{
	return kc_error_set(err, cfg->exec_failed_code, "%s (not retried for %d s)",
	                    cfg->exec_failure, EXEC_RETRY_AFTER);
}

/* A run that failed with code r and the error `local` (cleared here): the
 * failure is remembered for the next calls and copied into err (NULL: not
 * copied). Returns r. */
static int record_failure(struct kc_config *cfg, time_t now, int r, struct kc_error *local,
                          struct kc_error *err)
{
	remember_failure(cfg, now, r, local->message);
	kc_error_set(err, r, "%s", local->message);
	kc_error_clear(local);
	return r;
}

static int run_exec(struct kc_config *cfg, time_t now, struct kc_credential *fresh,
                    struct kc_error *err)
{
	if (failed_recently(cfg, now))
		return recent_failure(cfg, err);
	struct kc_error local = {0};
	int r = kc__exec_credential(cfg, fresh, &local);
	free(cfg->exec_failure);
	cfg->exec_failure = NULL;
	if (r < 0)
		return record_failure(cfg, now, r, &local, err);
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
	if (use_exec(cfg)) {
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
	install(cfg, &fresh);
	*ret = &cfg->cached;
	return 0;
}

void kc_config_invalidate_credential(struct kc_config *cfg)
{
	/* The strings stay until the next kc_config_credential(): a caller may
	 * still hold the pointer it was given. */
	cfg->cached_valid = false;
}

/* ---- exec plugins on a loop ---- */

struct kc__cred_async {
	struct kc__exec_run *run;       /* in flight, or NULL */
	struct kc__cred_waiter *queue;  /* waiting for run */
	struct kc__cred_waiter *waking; /* being resumed after the last run */
	time_t started_at;              /* when the last run started */
	bool started;
};

static void push(struct kc__cred_waiter **list, struct kc__cred_waiter *w)
{
	w->prev = NULL;
	w->next = *list;
	if (*list)
		(*list)->prev = w;
	*list = w;
	w->list = list;
}

void kc__credential_unwait(struct kc_config *cfg, struct kc__cred_waiter *w)
{
	if (!w->list)
		return;
	if (w->prev)
		w->prev->next = w->next;
	else
		*w->list = w->next;
	if (w->next)
		w->next->prev = w->prev;
	w->prev = w->next = NULL;
	w->list = NULL;
}

/* Every waiter of the run that ended is resumed; one that a callback takes
 * off the list (its request cancelled) is skipped. A waiter that queues
 * again goes on the queue of the next run, not on this list. */
static void wake_all(struct kc_config *cfg, int result, const struct kc_error *err)
{
	struct kc__cred_async *st = cfg->async;
	st->waking = st->queue;
	st->queue = NULL;
	for (struct kc__cred_waiter *w = st->waking; w; w = w->next)
		w->list = &st->waking;
	while (st->waking) {
		struct kc__cred_waiter *w = st->waking;
		kc__credential_unwait(cfg, w);
		w->failed = result < 0;
		if (result < 0)
			kc_error_set(&w->err, result, "%s", err->message);
		w->ready(w->userdata);
	}
}

static void run_done(int result, struct kc_credential *cred, const struct kc_error *err,
                     void *userdata)
{
	struct kc_config *cfg = userdata;
	cfg->async->run = NULL;
	if (result == 0) {
		install(cfg, cred);
		free(cfg->exec_failure);
		cfg->exec_failure = NULL;
	} else {
		remember_failure(cfg, time(NULL), result, err->message);
	}
	wake_all(cfg, result, err);
}

/* Starts the one run; a failure to start counts as a failed run. */
static int start_run(struct kc_config *cfg, struct ev_loop *loop, time_t now, struct kc_error *err)
{
	struct kc__cred_async *st = cfg->async;
	struct kc_error local = {0};
	int r = kc__exec_start(loop, cfg, run_done, cfg, &st->run, &local);
	st->started = true;
	st->started_at = now;
	if (r < 0)
		return record_failure(cfg, now, r, &local, err);
	return r;
}

/* The cached credential is near its expiry: replace it in the background,
 * unless a run is going, one started or failed less than EXEC_RETRY_AFTER
 * ago. A run that cannot start is remembered as a failure; the cached
 * credential is used meanwhile either way. */
static void refresh_early(struct kc_config *cfg, struct ev_loop *loop, time_t now)
{
	struct kc__cred_async *st = cfg->async;
	if (st->run || failed_recently(cfg, now))
		return;
	if (st->started && now >= st->started_at && now < st->started_at + EXEC_RETRY_AFTER)
		return;
	start_run(cfg, loop, now, NULL);
}

static int exec_get(struct kc_config *cfg, struct ev_loop *loop, time_t now,
                    struct kc__cred_waiter *w, struct kc_error *err)
{
	struct kc__cred_async *st = cfg->async;
	const struct kc_credential *c = &cfg->cached;
	if (cfg->cached_valid && (c->expires == 0 || now < c->expires - REFRESH_EARLY))
		return 0;
	if (cfg->cached_valid && now < c->expires) {
		refresh_early(cfg, loop, now);
		return 0;
	}
	if (!st->run) {
		if (failed_recently(cfg, now))
			return recent_failure(cfg, err);
		int r = start_run(cfg, loop, now, err);
		if (r < 0)
			return r;
	}
	kc__credential_unwait(cfg, w);
	push(&st->queue, w);
	return -EINPROGRESS;
}

int kc__credential_get(struct kc_config *cfg, struct ev_loop *loop, time_t now,
                       struct kc__cred_waiter *w, const struct kc_credential **ret,
                       unsigned long *ret_gen, struct kc_error *err)
{
	if (!use_exec(cfg)) {
		int r = kc_config_credential(cfg, now, ret, err);
		if (r == 0)
			*ret_gen = cfg->cached_gen;
		return r;
	}
	if (w->failed) {
		/* The run this request waited for failed: it fails with that. */
		w->failed = false;
		int code = w->err.code;
		kc_error_set(err, code, "%s", w->err.message);
		kc_error_clear(&w->err);
		return code;
	}
	if (!cfg->async) {
		cfg->async = calloc(1, sizeof(*cfg->async));
		if (!cfg->async)
			return kc_error_set(err, -ENOMEM, "out of memory");
	}
	int r = exec_get(cfg, loop, now, w, err);
	if (r < 0)
		return r;
	*ret = &cfg->cached;
	*ret_gen = cfg->cached_gen;
	return 0;
}

void kc__credential_rejected(struct kc_config *cfg, unsigned long gen)
{
	if (gen == cfg->cached_gen)
		kc_config_invalidate_credential(cfg);
}

bool kc__credential_running(const struct kc_config *cfg)
{
	return cfg->async && cfg->async->run;
}

void kc__credential_async_free(struct kc_config *cfg)
{
	if (!cfg->async)
		return;
	/* A config outlives the clients that use it: nobody waits any more. */
	kc__exec_cancel(cfg->async->run);
	free(cfg->async);
	cfg->async = NULL;
}
