#include "kubeclient/exec-credential.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kubeclient/config-internal.h"

extern char **environ;

/* Only the first line of stderr goes into the error; the rest is drained and dropped. */
#define STDERR_KEEP 1024

/* Our environment beyond this many variables is refused rather than copied. */
#define ENV_MAX 4096

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

int kc__exec_credential_parse(const char *json, size_t len, const char *api_version,
                              const char *who, struct kc_credential *ret, struct kc_error *err)
{
	json_error_t jerr;
	json_t *root = json_loadb(json, len, 0, &jerr);
	if (!root)
		return kc_error_set(err, -EBADMSG,
		                    "exec plugin %s: output is not JSON: %s (line %d)", who,
		                    jerr.text, jerr.line);
	int r = 0;
	struct kc_credential c = {0};
	const char *api = json_string_value(json_object_get(root, "apiVersion"));
	const char *kind = json_string_value(json_object_get(root, "kind"));
	json_t *status = json_object_get(root, "status");
	if (!json_is_object(root) || !kind || strcmp(kind, "ExecCredential") != 0) {
		r = kc_error_set(err, -EBADMSG, "exec plugin %s: output is not an ExecCredential",
		                 who);
		goto out;
	}
	if (!api || strcmp(api, api_version) != 0) {
		r = kc_error_set(
		    err, -EBADMSG,
		    "exec plugin %s: returned apiVersion %s, but the kubeconfig asks for %s", who,
		    api ? api : "(none)", api_version);
		goto out;
	}
	if (!json_is_object(status)) {
		r = kc_error_set(err, -EBADMSG, "exec plugin %s: ExecCredential has no status",
		                 who);
		goto out;
	}
	json_t *token = json_object_get(status, "token");
	json_t *cert = json_object_get(status, "clientCertificateData");
	json_t *key = json_object_get(status, "clientKeyData");
	json_t *expiry = json_object_get(status, "expirationTimestamp");
	if ((token && !json_is_string(token)) || (cert && !json_is_string(cert)) ||
	    (key && !json_is_string(key)) ||
	    (expiry && !json_is_string(expiry) && !json_is_null(expiry))) {
		r = kc_error_set(err, -EBADMSG, "exec plugin %s: status fields must be strings",
		                 who);
		goto out;
	}
	const char *tok = json_string_value(token), *crt = json_string_value(cert),
	           *k = json_string_value(key), *exp = json_string_value(expiry);
	if (tok && !tok[0])
		tok = NULL;
	if (crt && !crt[0])
		crt = NULL;
	if (k && !k[0])
		k = NULL;
	if (!crt != !k) {
		r = kc_error_set(err, -EBADMSG,
		                 "exec plugin %s: status has only one of clientCertificateData and "
		                 "clientKeyData",
		                 who);
		goto out;
	}
	if (!tok && !crt) {
		r = kc_error_set(
		    err, -EBADMSG,
		    "exec plugin %s: status has neither a token nor a client certificate", who);
		goto out;
	}
	if (tok && !kc__token_valid(tok)) {
		r = kc_error_set(err, -EBADMSG,
		                 "exec plugin %s: status.token holds control characters", who);
		goto out;
	}
	if (exp && kc__parse_rfc3339(exp, &c.expires) < 0) {
		r = kc_error_set(
		    err, -EBADMSG,
		    "exec plugin %s: status.expirationTimestamp \"%.64s\" is not RFC 3339", who,
		    exp);
		goto out;
	}
	c.token = tok ? strdup(tok) : NULL;
	c.client_cert_pem = crt ? strdup(crt) : NULL;
	c.client_key_pem = k ? strdup(k) : NULL;
	if ((tok && !c.token) || (crt && !c.client_cert_pem) || (k && !c.client_key_pem)) {
		r = kc_error_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	*ret = c;
	memset(&c, 0, sizeof(c));
out:
	kc__credential_clear(&c);
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

static long elapsed_ms(const struct timespec *start)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - start->tv_sec) * 1000L + (now.tv_nsec - start->tv_nsec) / 1000000L;
}

struct run {
	pid_t pid;
	int out_fd, err_fd;
	char *out;
	size_t out_len, out_cap;
	char errbuf[STDERR_KEEP + 1];
	size_t err_len;
	int status;
};

static void kill_and_reap(struct run *run)
{
	/* The plugin leads its own process group: take its children down too. */
	kill(-run->pid, SIGKILL);
	kill(run->pid, SIGKILL);
	while (waitpid(run->pid, &run->status, 0) < 0 && errno == EINTR)
		;
}

/* Reads both pipes until EOF and waits for the exit, within timeout_ms.
 * Returns 0, -ETIMEDOUT, -EMSGSIZE or -errno; on error the plugin has been killed. */
static int collect(struct run *run, unsigned timeout_ms)
{
	struct timespec start;
	clock_gettime(CLOCK_MONOTONIC, &start);
	while (run->out_fd >= 0 || run->err_fd >= 0) {
		long left = (long)timeout_ms - elapsed_ms(&start);
		if (left <= 0)
			return -ETIMEDOUT;
		struct pollfd pfd[2];
		int nfds = 0;
		if (run->out_fd >= 0)
			pfd[nfds++] = (struct pollfd){.fd = run->out_fd, .events = POLLIN};
		if (run->err_fd >= 0)
			pfd[nfds++] = (struct pollfd){.fd = run->err_fd, .events = POLLIN};
		int pr = poll(pfd, (nfds_t)nfds, (int)left);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr < 0)
			return -errno;
		for (int i = 0; i < nfds; i++) {
			if (!(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			char scratch[4096];
			bool is_out = pfd[i].fd == run->out_fd;
			char *dst = scratch;
			size_t room = sizeof(scratch);
			if (is_out) {
				if (run->out_cap - run->out_len < sizeof(scratch)) {
					size_t ncap = run->out_cap ? run->out_cap * 2 : 16384;
					if (ncap > KC_EXEC_OUTPUT_MAX + sizeof(scratch))
						ncap = KC_EXEC_OUTPUT_MAX + sizeof(scratch);
					char *n = realloc(run->out, ncap + 1);
					if (!n)
						return -ENOMEM;
					run->out = n;
					run->out_cap = ncap;
				}
				dst = run->out + run->out_len;
				room = run->out_cap - run->out_len;
			}
			ssize_t got = read(pfd[i].fd, dst, room);
			if (got < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (got <= 0) {
				close(pfd[i].fd);
				if (is_out)
					run->out_fd = -1;
				else
					run->err_fd = -1;
				continue;
			}
			if (is_out) {
				run->out_len += (size_t)got;
				if (run->out_len > KC_EXEC_OUTPUT_MAX)
					return -EMSGSIZE;
			} else if (run->err_len < STDERR_KEEP) {
				size_t take = (size_t)got < STDERR_KEEP - run->err_len
				                  ? (size_t)got
				                  : STDERR_KEEP - run->err_len;
				memcpy(run->errbuf + run->err_len, scratch, take);
				run->err_len += take;
			}
		}
	}
	/* Both pipes closed; the plugin may still be exiting. */
	for (;;) {
		pid_t w = waitpid(run->pid, &run->status, WNOHANG);
		if (w == run->pid) {
			run->pid = 0;
			return 0;
		}
		if (w < 0 && errno == ECHILD) {
			/* Someone else reaped it (a SIGCHLD handler): the pid may
			 * already belong to another process, so forget it. */
			run->pid = 0;
			return -ECHILD;
		}
		if (w < 0 && errno != EINTR)
			return -errno;
		if ((long)timeout_ms - elapsed_ms(&start) <= 0)
			return -ETIMEDOUT;
		struct timespec nap = {.tv_sec = 0, .tv_nsec = 5 * 1000 * 1000};
		nanosleep(&nap, NULL);
	}
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

static int spawn(const struct kc_exec_config *exec, char **envp, struct run *run)
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

int kc__exec_credential(const struct kc_config *cfg, struct kc_credential *ret,
                        struct kc_error *err)
{
	const struct kc_exec_config *exec = cfg->exec;
	const char *hint = exec->install_hint;
	char *info = exec_info(cfg);
	char *info_entry = NULL;
	char **envp = NULL;
	struct run run = {.out_fd = -1, .err_fd = -1};
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
		r = spawn(exec, envp, &run);
	if (r == -ENOENT || r == -EACCES) {
		r = kc_error_set(err, r, "%s: exec plugin %s: %s%s%s", cfg->source, exec->command,
		                 r == -ENOENT ? "not found" : "not executable", hint ? "; " : "",
		                 hint ? hint : "");
		goto out;
	}
	if (r < 0) {
		r = kc_error_set(err, r, "%s: exec plugin %s: %s", cfg->source, exec->command,
		                 strerror(-r));
		goto out;
	}
	r = collect(&run, exec->timeout_ms);
	if (r < 0) {
		if (run.pid > 0)
			kill_and_reap(&run);
		if (r == -ETIMEDOUT)
			r = kc_error_set(err, r,
			                 "%s: exec plugin %s: no answer within %u ms, killed",
			                 cfg->source, exec->command, exec->timeout_ms);
		else if (r == -EMSGSIZE)
			r = kc_error_set(err, r,
			                 "%s: exec plugin %s: more than %zu bytes of output",
			                 cfg->source, exec->command, KC_EXEC_OUTPUT_MAX);
		else
			r = kc_error_set(err, r, "%s: exec plugin %s: %s", cfg->source,
			                 exec->command, strerror(-r));
		goto out;
	}
	if (!WIFEXITED(run.status) || WEXITSTATUS(run.status) != 0) {
		const char *line = first_line(run.errbuf, run.err_len);
		char how[48];
		if (WIFEXITED(run.status))
			snprintf(how, sizeof(how), "exited with status %d",
			         WEXITSTATUS(run.status));
		else
			snprintf(how, sizeof(how), "killed by signal %d", WTERMSIG(run.status));
		r = kc_error_set(err, -EIO, "%s: exec plugin %s %s%s%s%s%s", cfg->source,
		                 exec->command, how, line[0] ? ": " : "", line, hint ? "; " : "",
		                 hint ? hint : "");
		goto out;
	}
	r = kc__exec_credential_parse(run.out ? run.out : "", run.out_len, exec->api_version,
	                              exec->command, ret, err);
out:
	if (run.out_fd >= 0)
		close(run.out_fd);
	if (run.err_fd >= 0)
		close(run.err_fd);
	free(run.out);
	free(envp);
	free(info_entry);
	free(info);
	return r;
}
