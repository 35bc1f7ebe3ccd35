#include "exec-plugin.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "kubeclient/config-internal.h"
#include "tap.h"

static char dir[256];

double ep_mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int ep_dir_make(const char *prefix)
{
	snprintf(dir, sizeof(dir), "%s/%s-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp",
	         prefix);
	if (!mkdtemp(dir)) {
		ok(false, "mkdtemp");
		return -1;
	}
	return 0;
}

void ep_dir_remove(void)
{
	const char *files[] = {"plugin.sh", "count", "pid", "child"};
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		ep_remove(files[i]);
	rmdir(dir);
}

void ep_path(char *out, size_t cap, const char *name)
{
	snprintf(out, cap, "%s/%s", dir, name);
}

int ep_read_int(const char *name)
{
	char p[300];
	ep_path(p, sizeof(p), name);
	FILE *f = fopen(p, "r");
	int n = 0;
	if (f) {
		if (fscanf(f, "%d", &n) != 1)
			n = 0;
		fclose(f);
	}
	return n;
}

void ep_remove(const char *name)
{
	char p[300];
	ep_path(p, sizeof(p), name);
	unlink(p);
}

/* 0, or -1 (with a TAP diagnostic). */
static int write_script(const char *script, const char *path)
{
	FILE *f = fopen(path, "w");
	if (!f || fputs(script, f) < 0) {
		tap_diag("cannot write %s", path);
		if (f)
			fclose(f);
		return -1;
	}
	fclose(f);
	chmod(path, 0700);
	return 0;
}

struct kc_config *ep_config(const char *script, const char *server, const char *exec_fields,
                            unsigned timeout_ms)
{
	char path[300], yaml[2048];
	ep_path(path, sizeof(path), "plugin.sh");
	if (write_script(script, path) < 0)
		return NULL;
	ep_remove("count");
	ep_remove("pid");
	ep_remove("child");
	int n = snprintf(yaml, sizeof(yaml),
	                 "apiVersion: v1\nkind: Config\n"
	                 "clusters: [{name: c, cluster: {server: '%s'}}]\n"
	                 "users: [{name: u, user: {exec: {apiVersion: "
	                 "client.authentication.k8s.io/v1, command: '%s'%s}}}]\n"
	                 "contexts: [{name: x, context: {cluster: c, user: u}}]\n"
	                 "current-context: x\n",
	                 server, path, exec_fields);
	struct kc_config *cfg = NULL;
	struct kc_error err = {0};
	if (n < 0 || (size_t)n >= sizeof(yaml) ||
	    kc_config_load_string(yaml, (size_t)n, "test-kubeconfig", NULL, &cfg, &err) < 0)
		tap_diag("kubeconfig: %s", err.message);
	kc_error_clear(&err);
	if (cfg && timeout_ms)
		cfg->exec->timeout_ms = timeout_ms;
	return cfg;
}
