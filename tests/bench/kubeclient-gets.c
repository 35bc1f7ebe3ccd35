/*
 * 1,000 concurrent GETs through one kc_client against the cluster in
 * $KUBECONFIG: throughput, latency and how many connections carried them.
 * Run on demand (meson test --benchmark, or the binary directly); it prints
 * one line of results and fails only when requests fail.
 *
 *   kubeclient-gets [N] [max-host-connections]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kubeclient/client.h"
#include "kubeclient/rest.h"

static int done, failed;
static double worst;
static struct ev_loop *loop;
static double t0;

static void got(long status, json_t *body, const struct kc_error *err, void *userdata)
{
	double took = ev_time() - t0;
	if (took > worst)
		worst = took;
	if (err) {
		if (failed++ == 0)
			fprintf(stderr, "first failure: %s\n", err->message);
	}
	done++;
}

static int run_sync(struct kc_client *c, int rc, struct kc_sync *s, struct kc_error *err)
{
	if (rc < 0)
		return rc;
	return kc_sync_wait(c, s, NULL, err);
}

int main(int argc, char **argv)
{
	const char *kubeconfig = getenv("KUBECONFIG");
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 1000;
	long conns = argc > 2 ? strtol(argv[2], NULL, 10) : 0;
	if (!kubeconfig || !*kubeconfig) {
		printf("skipped: KUBECONFIG is unset\n");
		return 0;
	}
	if (n <= 0 || n > 100000) {
		fprintf(stderr, "N must be 1..100000\n");
		return 2;
	}
	loop = ev_default_loop(0);
	struct kc_load_options lo = {.kubeconfig = kubeconfig};
	struct kc_config *cfg = NULL;
	struct kc_client *c = NULL;
	struct kc_error err = {0};
	/* No client-side limit: this measures the transport, not the bucket. */
	struct kc_client_options o = {.qps = -1, .max_host_connections = conns};
	if (kc_config_load(&lo, &cfg, &err) < 0 || kc_client_new(loop, cfg, &o, &c, &err) < 0) {
		fprintf(stderr, "%s\n", err.message);
		return 1;
	}

	char ns[64];
	snprintf(ns, sizeof(ns), "bench-kc-%d", (int)getpid());
	struct kc_ref nss = {.version = "v1", .resource = "namespaces"};
	struct kc_ref cms = {.version = "v1", .resource = "configmaps", .ns = ns};
	struct kc_sync s = {0};
	json_t *nso = json_pack("{s:s,s:s,s:{s:s}}", "apiVersion", "v1", "kind", "Namespace",
	                        "metadata", "name", ns);
	json_t *cm = json_pack("{s:s,s:s,s:{s:s},s:{s:s}}", "apiVersion", "v1", "kind", "ConfigMap",
	                       "metadata", "name", "x", "data", "k", "v");
	int rc = run_sync(c, kc_create(c, &nss, NULL, nso, kc_sync_done, &s, NULL, &err), &s, &err);
	if (rc == 0)
		rc = run_sync(c, kc_create(c, &cms, NULL, cm, kc_sync_done, &s, NULL, &err), &s,
		              &err);
	json_decref(nso);
	json_decref(cm);
	if (rc < 0) {
		fprintf(stderr, "setup: %s\n", err.message);
		return 1;
	}

	struct kc_client_stats before, after;
	kc_client_stats(c, &before);
	struct kc_ref x = cms;
	x.name = "x";
	t0 = ev_time();
	for (long i = 0; i < n; i++) {
		if (kc_get(c, &x, NULL, got, NULL, NULL, &err) < 0) {
			fprintf(stderr, "start: %s\n", err.message);
			return 1;
		}
	}
	while (done < n)
		ev_run(loop, EVRUN_ONCE);
	double took = ev_time() - t0;
	kc_client_stats(c, &after);

	printf("%ld GETs in %.3f s: %.0f req/s, slowest %.3f s, %d failed, %lu new connections "
	       "(%lu in all), "
	       "%lu/%lu over HTTP/2, "
	       "%lu retries\n",
	       n, took, (double)n / took, worst, failed, after.connections - before.connections,
	       after.connections, after.http2 - before.http2, after.attempts - before.attempts,
	       after.retries - before.retries);

	nss.name = ns;
	run_sync(c, kc_delete(c, &nss, NULL, NULL, kc_sync_done, &s, NULL, &err), &s, &err);
	kc_client_free(c);
	kc_config_free(cfg);
	return failed ? 1 : 0;
}
