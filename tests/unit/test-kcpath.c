#include "tap.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kubeclient/path.h"

struct row {
	const char *what;
	struct kc_ref ref;
	struct kc_query q;
	int rc;
	const char *want;
};

int main(void)
{
	const struct row rows[] = {
	    {"core namespaced collection",
	     {.version = "v1", .resource = "configmaps", .ns = "default"},
	     {0},
	     0,
	     "/api/v1/namespaces/default/configmaps"},
	    {"core object",
	     {.group = "", .version = "v1", .resource = "configmaps", .ns = "ns", .name = "x"},
	     {0},
	     0,
	     "/api/v1/namespaces/ns/configmaps/x"},
	    {"cluster-scoped core",
	     {.version = "v1", .resource = "nodes", .name = "n1"},
	     {0},
	     0,
	     "/api/v1/nodes/n1"},
	    {"all namespaces", {.version = "v1", .resource = "pods"}, {0}, 0, "/api/v1/pods"},
	    {"group, status subresource",
	     {.group = "slipway.dev",
	      .version = "v1alpha1",
	      .resource = "releases",
	      .ns = "prod",
	      .name = "web",
	      .subresource = "status"},
	     {0},
	     0,
	     "/apis/slipway.dev/v1alpha1/namespaces/prod/releases/web/status"},
	    {"scale subresource",
	     {.group = "apps",
	      .version = "v1",
	      .resource = "deployments",
	      .ns = "a",
	      .name = "d",
	      .subresource = "scale"},
	     {0},
	     0,
	     "/apis/apps/v1/namespaces/a/deployments/d/scale"},
	    {"cluster-scoped custom",
	     {.group = "slipway.dev",
	      .version = "v1alpha1",
	      .resource = "clusteranalysistemplates",
	      .name = "t"},
	     {0},
	     0,
	     "/apis/slipway.dev/v1alpha1/clusteranalysistemplates/t"},
	    {"selectors are encoded",
	     {.version = "v1", .resource = "pods", .ns = "n"},
	     {.label_selector = "app=web,tier in (a,b)", .field_selector = "status.phase!=Running"},
	     0,
	     "/api/v1/namespaces/n/pods?labelSelector=app%3Dweb%2Ctier%20in%20%28a%2Cb%29"
	     "&fieldSelector=status.phase%21%3DRunning"},
	    {"pagination",
	     {.version = "v1", .resource = "configmaps", .ns = "n"},
	     {.limit = 20, .continue_token = "eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6MTIzfQ=="},
	     0,
	     "/api/v1/namespaces/n/"
	     "configmaps?limit=20&continue=eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6MTIzfQ%3D%3D"},
	    {"apply options",
	     {.group = "apps", .version = "v1", .resource = "replicasets", .ns = "n", .name = "r"},
	     {.field_manager = "slipway controller", .force = true, .dry_run = true},
	     0,
	     "/apis/apps/v1/namespaces/n/replicasets/"
	     "r?fieldManager=slipway%20controller&force=true&dryRun=All"},
	    {"watch",
	     {.version = "v1", .resource = "pods", .ns = "n"},
	     {.watch = true,
	      .allow_watch_bookmarks = true,
	      .resource_version = "12345",
	      .timeout_seconds = 300},
	     0,
	     "/api/v1/namespaces/n/"
	     "pods?resourceVersion=12345&watch=1&allowWatchBookmarks=true&timeoutSeconds=300"},
	    {"list from cache",
	     {.version = "v1", .resource = "pods"},
	     {.resource_version = "0", .resource_version_match = "NotOlderThan"},
	     0,
	     "/api/v1/pods?resourceVersion=0&resourceVersionMatch=NotOlderThan"},
	    {"propagation policy",
	     {.version = "v1", .resource = "configmaps", .ns = "n", .name = "x"},
	     {.propagation_policy = "Foreground"},
	     0,
	     "/api/v1/namespaces/n/configmaps/x?propagationPolicy=Foreground"},
	    {"name with odd bytes is escaped",
	     {.version = "v1", .resource = "configmaps", .ns = "n", .name = "a b%c?d"},
	     {0},
	     0,
	     "/api/v1/namespaces/n/configmaps/a%20b%25c%3Fd"},
	    {"UTF-8 is escaped byte by byte",
	     {.version = "v1", .resource = "configmaps", .ns = "n", .name = "\xc3\xa9"},
	     {0},
	     0,
	     "/api/v1/namespaces/n/configmaps/%C3%A9"},
	    {"empty selector left out",
	     {.version = "v1", .resource = "pods"},
	     {.label_selector = ""},
	     0,
	     "/api/v1/pods"},
	    {"name with a slash",
	     {.version = "v1", .resource = "configmaps", .ns = "n", .name = "a/b"},
	     {0},
	     -EINVAL,
	     NULL},
	    {"dot-dot name",
	     {.version = "v1", .resource = "configmaps", .ns = "n", .name = ".."},
	     {0},
	     -EINVAL,
	     NULL},
	    {"empty namespace",
	     {.version = "v1", .resource = "configmaps", .ns = ""},
	     {0},
	     -EINVAL,
	     NULL},
	    {"no version", {.resource = "configmaps"}, {0}, -EINVAL, NULL},
	    {"no resource", {.version = "v1"}, {0}, -EINVAL, NULL},
	    {"subresource without name",
	     {.version = "v1", .resource = "pods", .subresource = "status"},
	     {0},
	     -EINVAL,
	     NULL},
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char *got = NULL;
		int rc = kc_path_build(&rows[i].ref, &rows[i].q, &got);
		is_int(rc, rows[i].rc, "%s: return code", rows[i].what);
		if (rows[i].want)
			is_str(got, rows[i].want, "%s: path", rows[i].what);
		else
			ok(got == NULL, "%s: out-param untouched", rows[i].what);
		free(got);
	}

	/* Limits: a selector that would make the path too long is refused. */
	char *huge = malloc(KC_PATH_MAX);
	memset(huge, 'a', KC_PATH_MAX - 1);
	huge[KC_PATH_MAX - 1] = '\0';
	struct kc_ref ref = {.version = "v1", .resource = "pods"};
	struct kc_query q = {.label_selector = huge};
	char *got = NULL;
	is_int(kc_path_build(&ref, &q, &got), -E2BIG, "path over KC_PATH_MAX is -E2BIG");
	ok(got == NULL, "no path on -E2BIG");
	free(huge);

	/* The next page of a list: versions and an old token go, the rest stays. */
	const struct {
		const char *base, *token, *want;
		int rc;
	} cont[] = {
	    {"/api/v1/pods", "abc", "/api/v1/pods?continue=abc", 0},
	    {"/api/v1/pods?limit=20", "a=b/c", "/api/v1/pods?limit=20&continue=a%3Db%2Fc", 0},
	    {"/api/v1/"
	     "pods?resourceVersion=42&resourceVersionMatch=Exact&limit=20&labelSelector=a%3Db",
	     "t", "/api/v1/pods?limit=20&labelSelector=a%3Db&continue=t", 0},
	    {"/api/v1/pods?limit=5&continue=old", "new", "/api/v1/pods?limit=5&continue=new", 0},
	    {"/api/v1/pods?resourceVersionX=1&limit=5", "t",
	     "/api/v1/pods?resourceVersionX=1&limit=5&continue=t", 0},
	    {"/api/v1/pods?limit=5", "", NULL, -EINVAL},
	};
	for (size_t i = 0; i < sizeof(cont) / sizeof(cont[0]); i++) {
		char *p = NULL;
		is_int(kc_path_continue(cont[i].base, cont[i].token, &p), cont[i].rc,
		       "continue %zu: rc", i);
		is_str(p, cont[i].want, "continue from %s", cont[i].base);
		free(p);
	}

	/* kc_path_escape appends and reports overflow without writing past cap. */
	char buf[8] = "ab";
	is_int(kc_path_escape(buf, sizeof(buf), 2, "c d"), 7, "escape appends");
	is_str(buf, "abc%20d", "escaped text");
	char small[6] = "ab";
	is_int(kc_path_escape(small, sizeof(small), 2, "c d"), -E2BIG, "escape that does not fit");
	is_str(small, "ab", "buffer cut back to its old length");
	return tap_done();
}
