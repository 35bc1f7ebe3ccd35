/*
 * Trust (issue 20): a CA that the caller, a kubeconfig or the in-cluster
 * ca.crt names is the ONLY trust anchor, as with client-go. A server whose
 * certificate chains to a CA in the system store, with an unrelated CA
 * given, is refused.
 *
 * The "system store" here is libcurl's own: the CA bundle (CURLOPT_CAINFO)
 * and CA directory (CURLOPT_CAPATH) compiled into it, on Debian
 * /etc/ssl/certs/ca-certificates.crt and /etc/ssl/certs. The test enters a
 * private mount namespace (unshare; a user namespace of its own when not
 * root) and bind-mounts a directory over the CA directory, holding a
 * throwaway CA that signed the test server's certificate: once only in the
 * bundle, once only as a hashed entry (HASH.0) of the directory. The host's
 * store is never touched: the mounts live and die with this process.
 *
 * In each case a control request with no CA given must succeed (the CA
 * really is in the store as libcurl sees it), and every way of naming an
 * unrelated CA must fail TLS verification. When no namespace can be made,
 * the whole test is skipped with the reason, never passed.
 */
#include "scripted-server.h"
#include "tap.h"
#include "throwaway-pki.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kubeclient/client.h"
#include "kubeclient/config.h"
#include "kubeclient/http.h"

/* A handshake and a GET, under valgrind too; the stores here are tiny. */
#define REQUEST_TIMEOUT_S 30

static struct ev_loop *loop;

/* ---- a private mount namespace ---- */

static int write_text(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	size_t len = strlen(text);
	ssize_t n = write(fd, text, len);
	int rc = n == (ssize_t)len ? 0 : -(n < 0 ? errno : EIO);
	close(fd);
	return rc;
}

/* Says in why that `what` failed, with errno's reason; returns -errno. */
static int failed(char *why, size_t cap, const char *what)
{
	int e = errno;
	snprintf(why, cap, "%s: %s", what, strerror(e));
	return -e;
}

/* Without root: a user namespace in which we are root, mapped to ourselves,
 * so that we may mount in the mount namespace that comes with it. Must run
 * before any thread starts (unshare refuses CLONE_NEWUSER otherwise). */
static int enter_user_namespace(char *why, size_t cap)
{
	uid_t uid = geteuid();
	gid_t gid = getegid();
	if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0)
		return failed(why, cap,
		              "not allowed a mount namespace, and cannot unshare a user and "
		              "mount namespace");
	char map[64];
	snprintf(map, sizeof(map), "0 %u 1", (unsigned)uid);
	int rc = write_text("/proc/self/setgroups", "deny");
	if (rc == 0)
		rc = write_text("/proc/self/uid_map", map);
	snprintf(map, sizeof(map), "0 %u 1", (unsigned)gid);
	if (rc == 0)
		rc = write_text("/proc/self/gid_map", map);
	if (rc < 0)
		snprintf(why, cap, "cannot map our ids in a user namespace: %s", strerror(-rc));
	return rc;
}

/* Moves this process into a mount namespace of its own whose mounts do not
 * propagate back to the host. Returns 0, or a negative errno with why
 * saying what failed. */
static int enter_private_mounts(char *why, size_t cap)
{
	if (unshare(CLONE_NEWNS) < 0) {
		if (errno != EPERM)
			return failed(why, cap, "cannot unshare a mount namespace");
		int rc = enter_user_namespace(why, cap);
		if (rc < 0)
			return rc;
	}
	/* The copied mounts may be shared with the host's (systemd makes / shared):
	 * a bind mount over them would then show on the host as well. The kernel
	 * ignores source and type here; "none" rather than NULL, as mount(8)
	 * passes, because valgrind takes a NULL type for a bad pointer. */
	if (mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) < 0)
		return failed(why, cap, "cannot make our mounts private");
	return 0;
}

/* ---- the fixture: CAs, stores, files ---- */

struct fixture {
	const char *capath;    /* libcurl's compiled-in CA directory */
	const char *bundle;    /* the bundle's name in it ("ca-certificates.crt") */
	char dir[64];          /* made here; everything below lives in it */
	char with_bundle[128]; /* bundle = the system CA; no hashed entry */
	char with_hashed[128]; /* bundle = a filler CA; HASH.0 = the system CA */
	char other_file[128];  /* the unrelated CA, as a file */
	char sa_dir[128];      /* in-cluster: token, ca.crt (unrelated), namespace */
	char hashed[16];       /* HASH.0 of the system CA */
	struct tp_pki system;  /* in the store; signed the server's certificate */
	struct tp_pki other;   /* unrelated: what the configs name */
	struct tp_pki filler;  /* unrelated too: keeps the bundle non-empty */
};

/* libcurl's compiled-in CA bundle and directory; the bundle must lie in the
 * directory, so that one bind mount covers both. */
static int find_system_store(struct fixture *f, char *why, size_t cap)
{
	const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);
	const char *cainfo = v->cainfo, *capath = v->capath;
	size_t n = capath ? strlen(capath) : 0;
	if (!cainfo || !capath || strncmp(cainfo, capath, n) != 0 || cainfo[n] != '/' ||
	    strchr(cainfo + n + 1, '/')) {
		snprintf(
		    why, cap,
		    "libcurl's CA bundle (%s) is not a file of its CA directory (%s): this test "
		    "needs both, one inside the other",
		    cainfo ? cainfo : "none", capath ? capath : "none");
		return -ENOTSUP;
	}
	struct stat st;
	if (stat(capath, &st) < 0 || !S_ISDIR(st.st_mode)) {
		snprintf(why, cap, "libcurl's CA directory %s is not a directory here", capath);
		return -ENOTDIR;
	}
	f->capath = capath;
	f->bundle = cainfo + n + 1;
	return 0;
}

static int write_file(const char *dir, const char *name, const char *text)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *fp = fopen(path, "w");
	if (!fp)
		return -errno;
	bool good = fputs(text, fp) >= 0;
	good = fclose(fp) == 0 && good;
	return good ? 0 : -EIO;
}

static int make_dirs(struct fixture *f)
{
	snprintf(f->dir, sizeof(f->dir), "/tmp/test-ca-trust-XXXXXX");
	if (!mkdtemp(f->dir))
		return -errno;
	snprintf(f->with_bundle, sizeof(f->with_bundle), "%s/bundle", f->dir);
	snprintf(f->with_hashed, sizeof(f->with_hashed), "%s/hashed", f->dir);
	snprintf(f->sa_dir, sizeof(f->sa_dir), "%s/serviceaccount", f->dir);
	snprintf(f->other_file, sizeof(f->other_file), "%s/other.pem", f->dir);
	const char *dirs[] = {f->with_bundle, f->with_hashed, f->sa_dir};
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		if (mkdir(dirs[i], 0755) < 0)
			return -errno;
	return 0;
}

/* The CAs and every file the test needs. Returns 0 or a negative errno. */
static int fixture_setup(struct fixture *f)
{
	if (!tp_make(&f->system, "slipway test: system store CA", true) ||
	    !tp_make(&f->other, "slipway test: unrelated CA", false) ||
	    !tp_make(&f->filler, "slipway test: filler CA", false))
		return -ENOMEM;
	int rc = tp_hashed_name(f->system.ca_pem, f->hashed, sizeof(f->hashed));
	if (rc == 0)
		rc = make_dirs(f);
	/* Without its bundle file libcurl fails every request it verifies, so
	 * the directory case keeps one, of a CA nothing here uses. */
	const struct {
		const char *dir, *name, *text;
	} files[] = {
	    {f->with_bundle, f->bundle, f->system.ca_pem},
	    {f->with_hashed, f->bundle, f->filler.ca_pem},
	    {f->with_hashed, f->hashed, f->system.ca_pem},
	    {f->dir, "other.pem", f->other.ca_pem},
	    {f->sa_dir, "ca.crt", f->other.ca_pem},
	    {f->sa_dir, "token", "in-cluster-token"},
	    {f->sa_dir, "namespace", "default"},
	};
	for (size_t i = 0; rc == 0 && i < sizeof(files) / sizeof(files[0]); i++)
		rc = write_file(files[i].dir, files[i].name, files[i].text);
	return rc;
}

static void remove_file(const char *dir, const char *name)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
}

static void fixture_free(struct fixture *f)
{
	if (f->dir[0] && f->bundle) {
		remove_file(f->with_bundle, f->bundle);
		remove_file(f->with_hashed, f->bundle);
		remove_file(f->with_hashed, f->hashed);
		remove_file(f->dir, "other.pem");
		remove_file(f->sa_dir, "ca.crt");
		remove_file(f->sa_dir, "token");
		remove_file(f->sa_dir, "namespace");
		rmdir(f->with_bundle);
		rmdir(f->with_hashed);
		rmdir(f->sa_dir);
		rmdir(f->dir);
	}
	tp_free(&f->system);
	tp_free(&f->other);
	tp_free(&f->filler);
}

/* ---- one request, through the transport or the client ---- */

struct outcome {
	bool done;
	long status;
	int code;
	char message[512];
	int seen;         /* requests the server read */
	int tls_failures; /* handshakes that failed */
};

static void http_done(const struct kc_http_response *resp, const struct kc_error *err,
                      void *userdata)
{
	struct outcome *o = userdata;
	o->done = true;
	o->status = resp->status;
	o->code = err ? err->code : 0;
	snprintf(o->message, sizeof(o->message), "%s", err ? err->message : "");
}

static void serve_one(struct ss_server *s)
{
	static struct ss_action script[1];
	script[0] = (struct ss_action){.act = SS_SEND,
	                               .text = ss_response(s, 200, "", "{\"trusted\":true}")};
	ss_start(s, script, 1);
}

static void served(struct ss_server *s, struct outcome *o)
{
	ss_join(s);
	o->seen = ss_seen(s);
	o->tls_failures = ss_tls_failures(s);
}

/* A GET through kc_http with trust `tls`, on a transport of its own (so
 * nothing is cached from one request to the next). */
static void http_get(struct ss_server *s, const struct kc_http_tls *tls, struct outcome *o)
{
	char url[64];
	snprintf(url, sizeof(url), "https://127.0.0.1:%d/trust", ss_port(s));
	struct kc_http_request_options opts = {
	    .method = "GET",
	    .url = url,
	    .tls = *tls,
	    .timeout = REQUEST_TIMEOUT_S,
	    .retry = {.none = true},
	    .on_done = http_done,
	    .userdata = o,
	};
	struct kc_http *h = NULL;
	struct kc_error err = {0};
	serve_one(s);
	if (kc_http_new(loop, NULL, &h, &err) < 0 || kc_http_start(h, &opts, NULL, &err) < 0) {
		o->code = err.code ? err.code : -EIO;
		snprintf(o->message, sizeof(o->message), "%s", err.message);
	} else {
		double end = ev_time() + REQUEST_TIMEOUT_S + 10;
		while (!o->done && ev_time() < end)
			ev_run(loop, EVRUN_ONCE);
	}
	kc_http_free(h);
	served(s, o);
}

/* A GET through a kc_client made from cfg (taken: freed here). */
static void client_get(struct ss_server *s, struct kc_config *cfg, struct outcome *o)
{
	struct kc_client *c = NULL;
	struct kc_error err = {0};
	struct kc_sync sync = {0};
	const struct kc_client_options copts = {.no_retries = true, .timeout = REQUEST_TIMEOUT_S};
	serve_one(s);
	int rc = cfg ? kc_client_new(loop, cfg, &copts, &c, &err) : -EINVAL;
	if (rc == 0) {
		const struct kc_request_options r = {.method = KC_GET,
		                                     .path = "/version",
		                                     .on_done = kc_sync_done,
		                                     .userdata = &sync};
		rc = kc_request_start(c, &r, NULL, &err);
	}
	if (rc == 0)
		rc = kc_sync_wait(c, &sync, NULL, &err);
	o->code = rc;
	o->status = rc == 0 ? 200 : err.http_status;
	snprintf(o->message, sizeof(o->message), "%s", rc == 0 ? "" : err.message);
	kc_error_clear(&err);
	kc_client_free(c);
	kc_config_free(cfg);
	served(s, o);
}

/* ---- configs naming a CA ---- */

enum ca_from { NO_CA, DATA_SYSTEM, DATA_OTHER, FILE_OTHER, IN_CLUSTER_OTHER };

/* Base64 of text; caller frees. */
static char *base64(const char *text)
{
	size_t len = strlen(text);
	char *out = malloc(4 * ((len + 2) / 3) + 1);
	if (out)
		EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)text, (int)len);
	return out;
}

/* The cluster entry's trust lines for `from`; caller frees. */
static char *ca_lines(const struct fixture *f, enum ca_from from)
{
	char *b64 = from == DATA_SYSTEM  ? base64(f->system.ca_pem)
	            : from == DATA_OTHER ? base64(f->other.ca_pem)
	                                 : NULL;
	char *out = NULL;
	size_t cap = (b64 ? strlen(b64) : 0) + sizeof(f->other_file) + 64;
	out = malloc(cap);
	if (out && b64)
		snprintf(out, cap, "    certificate-authority-data: %s\n", b64);
	else if (out && from == FILE_OTHER)
		snprintf(out, cap, "    certificate-authority: %s\n", f->other_file);
	else if (out)
		out[0] = '\0';
	free(b64);
	return out;
}

/* A kubeconfig for the server on `port` trusting `from`, or the in-cluster
 * config; caller owns it (kc_config_free), NULL when it does not load. */
static struct kc_config *config_for(const struct fixture *f, int port, enum ca_from from)
{
	struct kc_config *cfg = NULL;
	struct kc_error err = {0};
	if (from == IN_CLUSTER_OTHER) {
		char p[16];
		snprintf(p, sizeof(p), "%d", port);
		setenv("KUBERNETES_SERVICE_HOST", "127.0.0.1", 1);
		setenv("KUBERNETES_SERVICE_PORT", p, 1);
		if (kc_config_in_cluster(f->sa_dir, &cfg, &err) < 0)
			tap_diag("in-cluster config: %s", err.message);
		unsetenv("KUBERNETES_SERVICE_HOST");
		unsetenv("KUBERNETES_SERVICE_PORT");
		return cfg;
	}
	char *ca = ca_lines(f, from);
	char yaml[4096];
	int n = snprintf(yaml, sizeof(yaml),
	                 "apiVersion: v1\nkind: Config\n"
	                 "clusters:\n- name: c\n  cluster:\n    server: https://127.0.0.1:%d\n%s"
	                 "users: [{name: u, user: {token: kubeconfig-token}}]\n"
	                 "contexts: [{name: x, context: {cluster: c, user: u}}]\n"
	                 "current-context: x\n",
	                 port, ca ? ca : "");
	free(ca);
	if (n < 0 || (size_t)n >= sizeof(yaml) ||
	    kc_config_load_string(yaml, (size_t)n, "test-kubeconfig", NULL, &cfg, &err) < 0)
		tap_diag("kubeconfig: %s", err.message);
	kc_error_clear(&err);
	return cfg;
}

/* ---- the checks ---- */

static void trusted(const struct outcome *o, const char *store, const char *what)
{
	is_int(o->status, 200, "%s: %s: trusted (%s)", store, what, o->message);
}

static void refused(const struct outcome *o, const char *store, const char *what)
{
	is_int(o->code, -EPROTO, "%s: %s: refused (%s)", store, what, o->message);
	ok(strstr(o->message, "certificate verification failed") != NULL,
	   "%s: %s: for its certificate", store, what);
	ok(o->seen == 0 && o->tls_failures == 1, "%s: %s: no request got through the handshake",
	   store, what);
}

static void transport_checks(const struct fixture *f, struct ss_server *s, const char *store)
{
	struct outcome none = {0}, pem = {0}, file = {0};
	http_get(s, &(struct kc_http_tls){0}, &none);
	trusted(&none, store, "kc_http without a CA (control: the CA is in the system store)");
	http_get(s, &(struct kc_http_tls){.ca_pem = f->other.ca_pem, .ca_name = "other.pem"}, &pem);
	refused(&pem, store, "kc_http ca_pem of an unrelated CA");
	http_get(s, &(struct kc_http_tls){.ca_file = f->other_file}, &file);
	refused(&file, store, "kc_http ca_file of an unrelated CA");
}

static void config_checks(const struct fixture *f, struct ss_server *s, const char *store)
{
	static const struct {
		enum ca_from from;
		bool trusted;
		const char *what;
	} rows[] = {
	    {NO_CA, true, "kubeconfig without a CA (control)"},
	    {DATA_SYSTEM, true, "kubeconfig with the server's CA (control)"},
	    {DATA_OTHER, false, "kubeconfig certificate-authority-data of an unrelated CA"},
	    {FILE_OTHER, false, "kubeconfig certificate-authority file of an unrelated CA"},
	    {IN_CLUSTER_OTHER, false, "in-cluster ca.crt of an unrelated CA"},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct outcome o = {0};
		client_get(s, config_for(f, ss_port(s), rows[i].from), &o);
		if (rows[i].trusted)
			trusted(&o, store, rows[i].what);
		else
			refused(&o, store, rows[i].what);
	}
}

/* Every check with `dir` mounted over libcurl's CA directory. */
static void with_store(const struct fixture *f, const char *dir, const char *store)
{
	if (mount(dir, f->capath, "none", MS_BIND, NULL) < 0) {
		ok(false, "%s: cannot bind-mount %s over %s: %s", store, dir, f->capath,
		   strerror(errno));
		return;
	}
	struct ss_server *s = NULL;
	if (ss_new(&s) < 0 || ss_use_tls(s, f->system.cert_pem, f->system.key_pem) < 0)
		ok(false, "%s: cannot start the TLS server", store);
	else {
		transport_checks(f, s, store);
		config_checks(f, s, store);
	}
	ss_free(s);
	if (umount2(f->capath, 0) < 0)
		ok(false, "%s: cannot unmount %s: %s", store, f->capath, strerror(errno));
}

int main(void)
{
	char why[256] = "";
	struct fixture f = {0};
	/* First, while this process has one thread only. */
	if (find_system_store(&f, why, sizeof(why)) < 0 ||
	    enter_private_mounts(why, sizeof(why)) < 0) {
		printf("1..0 # SKIP %s\n", why);
		return 0;
	}
	int rc = fixture_setup(&f);
	if (rc < 0) {
		ok(false, "cannot set up the CAs and files: %s", strerror(-rc));
		fixture_free(&f);
		return tap_done();
	}
	/* A namespace may not let us mount over the CA directory (a mount that a
	 * container locked, say): a limit of the place, like no namespace. */
	if (mount(f.with_bundle, f.capath, "none", MS_BIND, NULL) < 0 || umount2(f.capath, 0) < 0) {
		failed(why, sizeof(why), "cannot bind-mount over libcurl's CA directory");
		printf("1..0 # SKIP %s\n", why);
		fixture_free(&f);
		return 0;
	}
	loop = ev_default_loop(0);
	tap_diag("system store: %s/%s and %s/%s", f.capath, f.bundle, f.capath, f.hashed);
	with_store(&f, f.with_bundle, "CA bundle");
	with_store(&f, f.with_hashed, "CA directory");
	fixture_free(&f);
	ev_loop_destroy(loop);
	return tap_done();
}
