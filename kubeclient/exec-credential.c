#include "kubeclient/exec-credential.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kubeclient/config-internal.h"

extern char **environ;

/* Only the first line of stderr goes into the error; the rest is drained and dropped. */
#define STDERR_KEEP 1024

/* Our environment beyond this many variables is refused rather than copied. */
#define ENV_MAX 4096

#define READ_CHUNK       4096
#define READS_PER_WAKEUP 16
/* Seconds we wait for the exit of a plugin we killed before giving up on it. */
#define KILL_GRACE 2.0
/* Seconds between waitpid(WNOHANG) polls where there is no pidfd. */
#define POLL_INTERVAL 0.02
/* Milliseconds kc__exec_cancel() waits for a killed plugin to exit. */
#define CANCEL_REAP_TRIES 100

static bool digits(const char *s, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

static int days_in_month(int year, int month)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
	return month == 2 && leap ? 29 : days[month - 1];
}

int kc__parse_rfc3339(const char *s, time_t *ret)
{
	int year, mon, day, hour, min, sec;
	if (strlen(s) < 20 || !digits(s, 4, &year) || s[4] != '-' || !digits(s + 5, 2, &mon) ||
	    s[7] != '-' || !digits(s + 8, 2, &day) || (s[10] != 'T' && s[10] != 't') ||
	    !digits(s + 11, 2, &hour) || s[13] != ':' || !digits(s + 14, 2, &min) || s[16] != ':' ||
	    !digits(s + 17, 2, &sec))
		return -EINVAL;
	if (mon < 1 || mon > 12 || day < 1 || day > days_in_month(year, mon) || hour > 23 ||
	    min > 59 || sec > 59)
		return -EINVAL;
	const char *p = s + 19;
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return -EINVAL;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	long offset = 0;
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int oh, om;
		if (!digits(p + 1, 2, &oh) || p[3] != ':' || !digits(p + 4, 2, &om) || oh > 23 ||
		    om > 59)
			return -EINVAL;
		offset = (oh * 60L + om) * 60L * (*p == '-' ? -1 : 1);
		p += 6;
	} else {
		return -EINVAL;
	}
	if (*p)
		return -EINVAL;
	struct tm tm = {
	    .tm_year = year - 1900,
	    .tm_mon = mon - 1,
	    .tm_mday = day,
	    .tm_hour = hour,
	    .tm_min = min,
	    .tm_sec = sec,
	};
	time_t t = timegm(&tm);
	if (t == (time_t)-1 && !(year == 1969 && mon == 12 && day == 31))
		return -EINVAL;
	*ret = t - offset;
	return 0;
}

/* The parts of an ExecCredential's status we use, borrowed from the parsed JSON. Empty
 * strings are NULL: in client-go an empty field and an absent one are both Go's zero value. */
struct status_fields {
	const char *token;
	const char *cert;
	const char *key;
	time_t expires; /* 0: does not expire */
};

/* Checks kind and apiVersion and finds status; a plugin that answers for another
 * apiVersion may mean something else by its fields, so it is refused, not guessed at.
 * *ret_status is borrowed from root; untouched on failure. */
static int check_envelope(json_t *root, const char *api_version, const char *who,
                          json_t **ret_status, struct kc_error *err)
{
	const char *api = json_string_value(json_object_get(root, "apiVersion"));
	const char *kind = json_string_value(json_object_get(root, "kind"));
	json_t *status = json_object_get(root, "status");
	if (!json_is_object(root) || !kind || strcmp(kind, "ExecCredential") != 0)
		return kc_error_set(err, -EBADMSG,
		                    "exec plugin %s: output is not an ExecCredential", who);
	if (!api || strcmp(api, api_version) != 0)
		return kc_error_set(
		    err, -EBADMSG,
		    "exec plugin %s: returned apiVersion %s, but the kubeconfig asks for %s", who,
		    api ? api : "(none)", api_version);
	if (!json_is_object(status))
		return kc_error_set(err, -EBADMSG, "exec plugin %s: ExecCredential has no status",
		                    who);
	*ret_status = status;
	return 0;
}

/* Reads status into *ret, refusing what would fail later and further from its cause: a
 * certificate without its key, no credential at all, a token that cannot go into a header,
 * an expiry we cannot read. The strings are borrowed from status; *ret is untouched on
 * failure. */
static int read_status(json_t *status, const char *who, struct status_fields *ret,
                       struct kc_error *err)
{
	json_t *token = json_object_get(status, "token");
	json_t *cert = json_object_get(status, "clientCertificateData");
	json_t *key = json_object_get(status, "clientKeyData");
	json_t *expiry = json_object_get(status, "expirationTimestamp");
	if ((token && !json_is_string(token)) || (cert && !json_is_string(cert)) ||
	    (key && !json_is_string(key)) ||
	    (expiry && !json_is_string(expiry) && !json_is_null(expiry)))
		return kc_error_set(err, -EBADMSG, "exec plugin %s: status fields must be strings",
		                    who);
	const char *tok = json_string_value(token), *crt = json_string_value(cert),
	           *k = json_string_value(key), *exp = json_string_value(expiry);
	if (tok && !tok[0])
		tok = NULL;
	if (crt && !crt[0])
		crt = NULL;
	if (k && !k[0])
		k = NULL;
	if (!crt != !k)
		return kc_error_set(err, -EBADMSG,
		                    "exec plugin %s: status has only one of clientCertificateData "
		                    "and clientKeyData",
		                    who);
	if (!tok && !crt)
		return kc_error_set(
		    err, -EBADMSG,
		    "exec plugin %s: status has neither a token nor a client certificate", who);
	if (tok && !kc__token_valid(tok))
		return kc_error_set(err, -EBADMSG,
		                    "exec plugin %s: status.token holds control characters", who);
	time_t expires = 0;
	if (exp && kc__parse_rfc3339(exp, &expires) < 0)
		return kc_error_set(
		    err, -EBADMSG,
		    "exec plugin %s: status.expirationTimestamp \"%.64s\" is not RFC 3339", who,
		    exp);
	*ret = (struct status_fields){tok, crt, k, expires};
	return 0;
}

/* Copies the fields out of the JSON, which is freed before the credential is used. On
 * success the caller owns *ret's strings (kc__credential_clear); on failure nothing is
 * left allocated and *ret is untouched. */
static int copy_credential(const struct status_fields *s, struct kc_credential *ret,
                           struct kc_error *err)
{
	struct kc_credential c = {.expires = s->expires};
	c.token = s->token ? strdup(s->token) : NULL;
	c.client_cert_pem = s->cert ? strdup(s->cert) : NULL;
	c.client_key_pem = s->key ? strdup(s->key) : NULL;
	if ((s->token && !c.token) || (s->cert && !c.client_cert_pem) ||
	    (s->key && !c.client_key_pem)) {
		kc__credential_clear(&c);
		return kc_error_set(err, -ENOMEM, "out of memory");
	}
	*ret = c;
	return 0;
}

/* On success the caller owns *ret's strings (kc__credential_clear); *ret is untouched on
 * failure. */
int kc__exec_credential_parse(const char *json, size_t len, const char *api_version,
                              const char *who, struct kc_credential *ret, struct kc_error *err)
{
	json_error_t jerr;
	json_t *root = json_loadb(json, len, 0, &jerr);
	if (!root)
		return kc_error_set(err, -EBADMSG,
		                    "exec plugin %s: output is not JSON: %s (line %d)", who,
		                    jerr.text, jerr.line);
	json_t *status = NULL;
	struct status_fields fields = {0};
	int r = check_envelope(root, api_version, who, &status, err);
	if (r >= 0)
		r = read_status(status, who, &fields, err);
	if (r >= 0)
		r = copy_credential(&fields, ret, err);
	json_decref(root);
	return r;
}

/* KUBERNETES_EXEC_INFO: what client-go passes, so plugins behave the same. */
static char *exec_info(const struct kc_config *cfg)
{
	json_t *spec = json_pack("{s:b}", "interactive", 0);
	json_t *root = json_pack("{s:s, s:s, s:o}", "apiVersion", cfg->exec->api_version, "kind",
	                         "ExecCredential", "spec", spec);
	if (!root)
		return NULL;
	if (cfg->exec->provide_cluster_info) {
		json_t *cluster = json_pack("{s:s}", "server", cfg->server ? cfg->server : "");
		if (!cluster) {
			json_decref(root);
			return NULL;
		}
		json_object_set_new(spec, "cluster", cluster);
		if (cfg->tls_server_name)
			json_object_set_new(cluster, "tls-server-name",
			                    json_string(cfg->tls_server_name));
		if (cfg->insecure_skip_tls_verify)
			json_object_set_new(cluster, "insecure-skip-tls-verify", json_true());
		if (cfg->proxy_url)
			json_object_set_new(cluster, "proxy-url", json_string(cfg->proxy_url));
		if (cfg->exec->cluster_config_json)
			json_object_set_new(
			    cluster, "config",
			    json_loads(cfg->exec->cluster_config_json, JSON_DECODE_ANY, NULL));
		if (cfg->ca_pem) {
			char *b64 = kc__base64_encode(cfg->ca_pem, strlen(cfg->ca_pem));
			if (!b64) {
				json_decref(root);
				return NULL;
			}
			json_object_set_new(cluster, "certificate-authority-data",
			                    json_string(b64));
			free(b64);
		}
	}
	char *s = json_dumps(root, JSON_COMPACT);
	json_decref(root);
	return s;
}

static bool env_overridden(const char *entry, char *const *exec_env)
{
	const char *eq = strchr(entry, '=');
	size_t n = eq ? (size_t)(eq - entry) : strlen(entry);
	if (n == strlen("KUBERNETES_EXEC_INFO") && memcmp(entry, "KUBERNETES_EXEC_INFO", n) == 0)
		return true;
	for (char *const *e = exec_env; e && *e; e++) {
		if (strncmp(*e, entry, n) == 0 && (*e)[n] == '=')
			return true;
	}
	return false;
}

/* Our environment, then the exec env, then KUBERNETES_EXEC_INFO. The strings are
 * borrowed; the caller frees only the array. */
static char **build_env(char *const *exec_env, char *info_entry)
{
	size_t ours = 0, theirs = 0;
	while (environ && environ[ours] && ours < ENV_MAX)
		ours++;
	while (exec_env && exec_env[theirs])
		theirs++;
	char **envp = calloc(ours + theirs + 2, sizeof(*envp));
	if (!envp)
		return NULL;
	size_t n = 0;
	for (size_t i = 0; i < ours; i++) {
		if (!env_overridden(environ[i], exec_env))
			envp[n++] = environ[i];
	}
	for (size_t i = 0; i < theirs; i++)
		envp[n++] = exec_env[i];
	envp[n++] = info_entry;
	envp[n] = NULL;
	return envp;
}

/* How the plugin's exit is noticed. libev's default loop reaps every child
 * itself (waitpid(-1) on SIGCHLD), so there only an ev_child sees the exit
 * status; another loop gets a pidfd (Linux >= 5.3) watched with ev_io, and
 * where pidfd_open() is refused, a timer polls waitpid(WNOHANG). */
enum exit_watch { WATCH_CHILD, WATCH_PIDFD, WATCH_POLL };

struct kc__exec_run {
	struct ev_loop *loop;
	const struct kc_config *cfg;
	kc__exec_done_fn *done;
	void *userdata;
	pid_t pid;
	bool exited; /* reaped, or given up on: never signalled again */
	int status;
	enum exit_watch how;
	ev_child child; /* WATCH_CHILD */
	ev_io pidfd_io; /* WATCH_PIDFD */
	int pidfd;
	ev_timer poll; /* WATCH_POLL */
	ev_io out_io, err_io;
	int out_fd, err_fd;
	ev_timer timer; /* the timeout; after a kill, the grace for the exit */
	int fail;       /* why we killed it (-ETIMEDOUT, -EMSGSIZE, -ENOMEM), or 0 */
	char *out;
	size_t out_len, out_cap;
	char errbuf[STDERR_KEEP + 1];
	size_t err_len;
};

static void close_pipe(struct kc__exec_run *run, bool is_out)
{
	int *fd = is_out ? &run->out_fd : &run->err_fd;
	if (*fd < 0)
		return;
	ev_io_stop(run->loop, is_out ? &run->out_io : &run->err_io);
	close(*fd);
	*fd = -1;
}

static void stop_exit_watch(struct kc__exec_run *run)
{
	ev_child_stop(run->loop, &run->child);
	ev_io_stop(run->loop, &run->pidfd_io);
	ev_timer_stop(run->loop, &run->poll);
	if (run->pidfd >= 0)
		close(run->pidfd);
	run->pidfd = -1;
}

/* Stops every watcher and frees run; the plugin must have exited or been
 * given up on. */
static void run_free(struct kc__exec_run *run)
{
	close_pipe(run, true);
	close_pipe(run, false);
	stop_exit_watch(run);
	ev_timer_stop(run->loop, &run->timer);
	free(run->out);
	free(run);
}

/* The plugin leads its own process group: take its children down too. Only
 * while it is unreaped, so its pid cannot belong to someone else yet. */
static void kill_group(struct kc__exec_run *run)
{
	if (run->exited)
		return;
	kill(-run->pid, SIGKILL);
	kill(run->pid, SIGKILL);
}

/* Gives up on the plugin for `code`: kills it, drops its pipes and waits
 * KILL_GRACE for the exit, so the status is collected without blocking. */
static void abandon(struct kc__exec_run *run, int code)
{
	if (run->fail)
		return;
	run->fail = code;
	close_pipe(run, true);
	close_pipe(run, false);
	kill_group(run);
	ev_timer_stop(run->loop, &run->timer);
	ev_timer_set(&run->timer, KILL_GRACE, 0.);
	ev_timer_start(run->loop, &run->timer);
}

/* Grows the stdout buffer so that a read of READ_CHUNK fits. */
static int out_room(struct kc__exec_run *run)
{
	if (run->out_cap - run->out_len >= READ_CHUNK)
		return 0;
	size_t ncap = run->out_cap ? run->out_cap * 2 : 16384;
	if (ncap > KC_EXEC_OUTPUT_MAX + READ_CHUNK)
		ncap = KC_EXEC_OUTPUT_MAX + READ_CHUNK;
	char *n = realloc(run->out, ncap + 1);
	if (!n)
		return -ENOMEM;
	run->out = n;
	run->out_cap = ncap;
	return 0;
}

/* One read from a pipe. 1 at EOF, 0 when more may come, -EAGAIN when
 * nothing is there now, or -EMSGSIZE, -ENOMEM, -errno. */
static int read_once(struct kc__exec_run *run, bool is_out)
{
	char scratch[READ_CHUNK];
	char *dst = scratch;
	size_t room = sizeof(scratch);
	if (is_out) {
		int r = out_room(run);
		if (r < 0)
			return r;
		dst = run->out + run->out_len;
		room = run->out_cap - run->out_len;
	}
	ssize_t got = read(is_out ? run->out_fd : run->err_fd, dst, room);
	if (got < 0)
		return errno == EINTR ? 0 : -errno;
	if (got == 0)
		return 1;
	if (is_out) {
		run->out_len += (size_t)got;
		return run->out_len > KC_EXEC_OUTPUT_MAX ? -EMSGSIZE : 0;
	}
	/* Only the first STDERR_KEEP bytes matter; the rest is drained. */
	size_t take = STDERR_KEEP - run->err_len;
	if ((size_t)got < take)
		take = (size_t)got;
	memcpy(run->errbuf + run->err_len, scratch, take);
	run->err_len += take;
	return 0;
}

static void finish(struct kc__exec_run *run);

/* Done once the plugin exited and both pipes are at EOF, or once it was
 * killed and its exit seen. */
static void maybe_finish(struct kc__exec_run *run)
{
	if (run->exited && (run->fail || (run->out_fd < 0 && run->err_fd < 0)))
		finish(run);
}

static void pipe_readable(struct ev_loop *loop, ev_io *w, int revents)
{
	struct kc__exec_run *run = w->data;
	bool is_out = w == &run->out_io;
	int r = 0;
	/* A bounded number of reads per wakeup: a plugin flooding stderr must
	 * not keep the loop to itself. */
	for (int i = 0; i < READS_PER_WAKEUP && r == 0; i++)
		r = read_once(run, is_out);
	if (r == 1)
		close_pipe(run, is_out);
	else if (r < 0 && r != -EAGAIN)
		abandon(run, r);
	maybe_finish(run);
}

static void exit_seen(struct kc__exec_run *run, int status)
{
	run->exited = true;
	run->status = status;
	stop_exit_watch(run);
	maybe_finish(run);
}

/* WATCH_PIDFD and WATCH_POLL: the exit, if it happened. */
static void try_reap(struct kc__exec_run *run)
{
	int status = 0;
	pid_t w = waitpid(run->pid, &status, WNOHANG);
	if (w == run->pid) {
		exit_seen(run, status);
	} else if (w < 0 && errno != EINTR) {
		/* Someone else reaped it (a SIGCHLD handler of the program): the
		 * status is lost and the pid may be another process's now. */
		run->exited = true;
		stop_exit_watch(run);
		abandon(run, -ECHILD);
		maybe_finish(run);
	}
}

static void child_exited(struct ev_loop *loop, ev_child *w, int revents)
{
	struct kc__exec_run *run = w->data;
	exit_seen(run, w->rstatus);
}

static void pidfd_readable(struct ev_loop *loop, ev_io *w, int revents)
{
	try_reap(w->data);
}

static void poll_fired(struct ev_loop *loop, ev_timer *w, int revents)
{
	try_reap(w->data);
}

/* The timeout; or, after a kill, the end of the grace: the plugin did not
 * die (stuck in the kernel), so we stop waiting and leave it unreaped. */
static void timer_fired(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct kc__exec_run *run = w->data;
	if (run->fail) {
		run->exited = true;
		finish(run);
		return;
	}
	abandon(run, -ETIMEDOUT);
	maybe_finish(run);
}

static void watch_exit(struct kc__exec_run *run)
{
	if (ev_is_default_loop(run->loop)) {
		run->how = WATCH_CHILD;
		ev_child_set(&run->child, run->pid, 0);
		ev_child_start(run->loop, &run->child);
		return;
	}
	/* Asked once: a kernel (or valgrind) without pidfd_open() will not
	 * grow one, and valgrind warns on every call. */
	static bool no_pidfd;
	if (!no_pidfd) {
		run->pidfd = (int)syscall(SYS_pidfd_open, run->pid, 0);
		no_pidfd = run->pidfd < 0 && errno == ENOSYS;
	}
	if (run->pidfd >= 0) {
		run->how = WATCH_PIDFD;
		ev_io_set(&run->pidfd_io, run->pidfd, EV_READ);
		ev_io_start(run->loop, &run->pidfd_io);
		return;
	}
	run->how = WATCH_POLL;
	ev_timer_set(&run->poll, POLL_INTERVAL, POLL_INTERVAL);
	ev_timer_start(run->loop, &run->poll);
}

static const char *first_line(char *buf, size_t len)
{
	buf[len] = '\0';
	char *p = buf;
	while (*p == '\n' || *p == '\r' || *p == ' ')
		p++;
	char *nl = strpbrk(p, "\r\n");
	if (nl)
		*nl = '\0';
	return p;
}

/* Whether posix_spawnp() will find the command. Checked up front because where
 * posix_spawn falls back to fork and exec (under valgrind, for one) a missing
 * command shows up only as exit status 127, which a plugin may also use. */
static int find_command(const char *command)
{
	if (strchr(command, '/'))
		return access(command, X_OK) == 0 ? 0 : -errno;
	const char *path = getenv("PATH");
	if (!path || !path[0])
		path = "/usr/local/bin:/usr/bin:/bin";
	int r = -ENOENT;
	while (*path) {
		const char *colon = strchr(path, ':');
		size_t n = colon ? (size_t)(colon - path) : strlen(path);
		char full[4096];
		int len =
		    snprintf(full, sizeof(full), "%.*s%s%s", (int)n, path, n ? "/" : "", command);
		if (len > 0 && (size_t)len < sizeof(full)) {
			if (access(full, X_OK) == 0)
				return 0;
			if (errno == EACCES)
				r = -EACCES;
		}
		path += n;
		if (*path == ':')
			path++;
	}
	return r;
}

static int spawn(const struct kc_exec_config *exec, char **envp, struct kc__exec_run *run)
{
	int out_pipe[2] = {-1, -1}, err_pipe[2] = {-1, -1};
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	int r;
	if (pipe2(out_pipe, O_CLOEXEC) < 0)
		return -errno;
	if (pipe2(err_pipe, O_CLOEXEC) < 0) {
		r = -errno;
		close(out_pipe[0]);
		close(out_pipe[1]);
		return r;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&attr);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, out_pipe[1], 1);
	posix_spawn_file_actions_adddup2(&fa, err_pipe[1], 2);
	/* Our sockets and files are none of the plugin's business. */
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	sigset_t none, dfl;
	sigemptyset(&none);
	sigemptyset(&dfl);
	sigaddset(&dfl, SIGPIPE);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &dfl);
	posix_spawnattr_setpgroup(&attr, 0);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
	                                    POSIX_SPAWN_SETSIGDEF);

	/* argv: the command, then args; the kubeconfig's strings are borrowed. */
	size_t nargs = 0;
	while (exec->args && exec->args[nargs])
		nargs++;
	char **argv = calloc(nargs + 2, sizeof(*argv));
	if (!argv) {
		r = -ENOMEM;
		goto out;
	}
	argv[0] = exec->command;
	for (size_t i = 0; i < nargs; i++)
		argv[i + 1] = exec->args[i];
	pid_t pid;
	r = -posix_spawnp(&pid, exec->command, &fa, &attr, argv, envp);
	free(argv);
	if (r == 0) {
		/* Only our ends: the plugin's writes stay blocking. */
		fcntl(out_pipe[0], F_SETFL, fcntl(out_pipe[0], F_GETFL) | O_NONBLOCK);
		fcntl(err_pipe[0], F_SETFL, fcntl(err_pipe[0], F_GETFL) | O_NONBLOCK);
		run->pid = pid;
		run->out_fd = out_pipe[0];
		run->err_fd = err_pipe[0];
		out_pipe[0] = err_pipe[0] = -1;
	}
out:
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	for (int i = 0; i < 2; i++) {
		if (out_pipe[i] >= 0)
			close(out_pipe[i]);
		if (err_pipe[i] >= 0)
			close(err_pipe[i]);
	}
	return r;
}

/* What the run came to: the credential, or the error a person can act on. */
static int outcome(struct kc__exec_run *run, struct kc_credential *ret, struct kc_error *err)
{
	const struct kc_config *cfg = run->cfg;
	const struct kc_exec_config *exec = cfg->exec;
	const char *hint = exec->install_hint;
	if (run->fail == -ETIMEDOUT)
		return kc_error_set(err, run->fail,
		                    "%s: exec plugin %s: no answer within %u ms, killed",
		                    cfg->source, exec->command, exec->timeout_ms);
	if (run->fail == -EMSGSIZE)
		return kc_error_set(err, run->fail,
		                    "%s: exec plugin %s: more than %zu bytes of output, killed",
		                    cfg->source, exec->command, KC_EXEC_OUTPUT_MAX);
	if (run->fail)
		return kc_error_set(err, run->fail, "%s: exec plugin %s: %s", cfg->source,
		                    exec->command, strerror(-run->fail));
	if (!WIFEXITED(run->status) || WEXITSTATUS(run->status) != 0) {
		const char *line = first_line(run->errbuf, run->err_len);
		char how[48];
		if (WIFEXITED(run->status))
			snprintf(how, sizeof(how), "exited with status %d",
			         WEXITSTATUS(run->status));
		else
			snprintf(how, sizeof(how), "killed by signal %d", WTERMSIG(run->status));
		return kc_error_set(err, -EIO, "%s: exec plugin %s %s%s%s%s%s", cfg->source,
		                    exec->command, how, line[0] ? ": " : "", line, hint ? "; " : "",
		                    hint ? hint : "");
	}
	return kc__exec_credential_parse(run->out ? run->out : "", run->out_len, exec->api_version,
	                                 exec->command, ret, err);
}

/* Frees run, then reports: the callback may start the next run. */
static void finish(struct kc__exec_run *run)
{
	struct kc_error err = {0};
	struct kc_credential cred = {0};
	int r = outcome(run, &cred, &err);
	kc__exec_done_fn *done = run->done;
	void *userdata = run->userdata;
	run_free(run);
	done(r, r == 0 ? &cred : NULL, &err, userdata);
	kc_error_clear(&err);
}

/* The environment and argv, and the process with its pipes. Fills err. */
static int launch(struct kc__exec_run *run, struct kc_error *err)
{
	const struct kc_config *cfg = run->cfg;
	const struct kc_exec_config *exec = cfg->exec;
	const char *hint = exec->install_hint;
	char *info = exec_info(cfg);
	char *info_entry = NULL;
	char **envp = NULL;
	int r;
	if (info) {
		size_t n = strlen("KUBERNETES_EXEC_INFO=") + strlen(info) + 1;
		info_entry = malloc(n);
		if (info_entry)
			snprintf(info_entry, n, "KUBERNETES_EXEC_INFO=%s", info);
	}
	if (info_entry)
		envp = build_env(exec->env, info_entry);
	if (!envp) {
		r = kc_error_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	r = find_command(exec->command);
	if (r == 0)
		r = spawn(exec, envp, run);
	if (r == -ENOENT || r == -EACCES)
		r = kc_error_set(err, r, "%s: exec plugin %s: %s%s%s", cfg->source, exec->command,
		                 r == -ENOENT ? "not found" : "not executable", hint ? "; " : "",
		                 hint ? hint : "");
	else if (r < 0)
		r = kc_error_set(err, r, "%s: exec plugin %s: %s", cfg->source, exec->command,
		                 strerror(-r));
out:
	free(envp);
	free(info_entry);
	free(info);
	return r;
}

int kc__exec_start(struct ev_loop *loop, const struct kc_config *cfg, kc__exec_done_fn *done,
                   void *userdata, struct kc__exec_run **ret, struct kc_error *err)
{
	struct kc__exec_run *run = calloc(1, sizeof(*run));
	if (!run)
		return kc_error_set(err, -ENOMEM, "out of memory");
	run->loop = loop;
	run->cfg = cfg;
	run->done = done;
	run->userdata = userdata;
	run->out_fd = run->err_fd = run->pidfd = -1;
	ev_init(&run->child, child_exited);
	ev_init(&run->pidfd_io, pidfd_readable);
	ev_init(&run->poll, poll_fired);
	ev_init(&run->out_io, pipe_readable);
	ev_init(&run->err_io, pipe_readable);
	ev_init(&run->timer, timer_fired);
	run->child.data = run->pidfd_io.data = run->poll.data = run;
	run->out_io.data = run->err_io.data = run->timer.data = run;
	int r = launch(run, err);
	if (r < 0) {
		free(run);
		return r;
	}
	watch_exit(run);
	ev_io_set(&run->out_io, run->out_fd, EV_READ);
	ev_io_start(loop, &run->out_io);
	ev_io_set(&run->err_io, run->err_fd, EV_READ);
	ev_io_start(loop, &run->err_io);
	ev_timer_set(&run->timer, (double)cfg->exec->timeout_ms / 1000.0, 0.);
	ev_timer_start(loop, &run->timer);
	*ret = run;
	return 0;
}

/* After a SIGKILL the exit is a matter of milliseconds; wait that long at
 * most (this runs when a config is freed, not on every request). */
static void reap_briefly(struct kc__exec_run *run)
{
	for (int i = 0; i < CANCEL_REAP_TRIES; i++) {
		int status;
		pid_t w = waitpid(run->pid, &status, WNOHANG);
		if (w != 0)
			return;
		struct timespec nap = {.tv_sec = 0, .tv_nsec = 1000 * 1000};
		nanosleep(&nap, NULL);
	}
}

struct kc__exec_run *kc__exec_cancel(struct kc__exec_run *run)
{
	if (!run)
		return NULL;
	kill_group(run);
	/* On the default loop libev reaps every child itself. */
	if (!run->exited && run->how != WATCH_CHILD)
		reap_briefly(run);
	run_free(run);
	return NULL;
}

struct sync_run {
	bool done;
	int result;
	struct kc_credential cred;
	struct kc_error *err;
};

static void sync_done(int result, struct kc_credential *cred, const struct kc_error *err,
                      void *userdata)
{
	struct sync_run *s = userdata;
	s->done = true;
	s->result = result;
	if (result == 0)
		s->cred = *cred;
	else
		kc_error_set(s->err, result, "%s", err->message);
}

/* The asynchronous run on a private loop: one implementation for both. */
int kc__exec_credential(const struct kc_config *cfg, struct kc_credential *ret,
                        struct kc_error *err)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	if (!loop)
		return kc_error_set(err, -ENOMEM, "%s: exec plugin %s: no event loop", cfg->source,
		                    cfg->exec->command);
	struct sync_run s = {.err = err};
	struct kc__exec_run *run = NULL;
	int r = kc__exec_start(loop, cfg, sync_done, &s, &run, err);
	while (r == 0 && !s.done)
		ev_run(loop, EVRUN_ONCE);
	ev_loop_destroy(loop);
	if (r < 0)
		return r;
	if (s.result == 0)
		*ret = s.cred;
	return s.result;
}
