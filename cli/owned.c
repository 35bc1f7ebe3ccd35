/* A Release's ReplicaSets and pods: references, selector, one fetch
 * (cli/owned.h). */
#include "cli/owned.h"

#include <stdio.h>
#include <stdlib.h>

#include "cli/analysis-view.h"
#include "model/api.h"
#include "model/labels.h"

static struct kc_ref ref_of(const struct model_gvk *gvk, const char *ns, const char *name)
{
	return (struct kc_ref){.group = gvk->group,
	                       .version = gvk->version,
	                       .resource = gvk->resource,
	                       .ns = ns,
	                       .name = name};
}

struct kc_ref cli_replicaset_ref(const char *ns, const char *name)
{
	return ref_of(&model_replicaset_gvk, ns, name);
}

struct kc_ref cli_pod_ref(const char *ns, const char *name)
{
	return ref_of(&model_pod_gvk, ns, name);
}

struct kc_ref cli_analysis_run_ref(const char *ns, const char *name)
{
	return ref_of(&model_analysis_run_gvk, ns, name);
}

/* Caller owns *list on success. */
int cli_fetch_runs(struct cli *c, const char *name, json_t **list, int *refused)
{
	char *sel = cli_analysis_selector(name);
	if (!sel) {
		cli_errorf(c, "out of memory");
		return -1;
	}
	struct kc_ref ref = cli_analysis_run_ref(c->ns, NULL);
	int r = cli_api_list_or_refused(c, &ref, sel, list, refused);
	free(sel);
	return r < 0 ? -1 : 0;
}

/* Caller frees the result; NULL on error. */
char *cli_owned_selector(const json_t *release, const char *revision)
{
	struct model_labels l = {0};
	const json_t *ml = json_object_get(
	    json_object_get(json_object_get(release, "spec"), "selector"), "matchLabels");
	if (model_labels_from_json(ml, "spec.selector.matchLabels", &l, NULL) < 0)
		return NULL;
	char *sel = model_labels_selector_string(&l);
	model_labels_clear(&l);
	if (!sel)
		return NULL;
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	if (!f) {
		free(sel);
		return NULL;
	}
	fprintf(f, "%s,%s%s%s", sel, MODEL_LABEL_REVISION, revision ? "=" : "",
	        revision ? revision : "");
	free(sel);
	fclose(f);
	return out;
}

json_t *cli_items_of(json_t *list)
{
	json_t *items = json_object_get(list, "items");
	if (!json_is_array(items)) {
		json_object_set_new(list, "items", json_array());
		items = json_object_get(list, "items");
	}
	return items;
}

/* Caller owns *rel, *rs_list and *pod_list on success. */
int cli_fetch_release(struct cli *c, const char *name, json_t **rel, json_t **rs_list,
                      json_t **pod_list)
{
	struct kc_ref ref = cli_release_ref(c->ns, name);
	json_t *r = NULL, *rs = NULL, *pods = NULL;
	if (cli_api_get(c, &ref, &r) < 0)
		return -1;
	char *sel = rs_list || pod_list ? cli_owned_selector(r, NULL) : NULL;
	struct kc_ref rr = cli_replicaset_ref(c->ns, NULL), pr = cli_pod_ref(c->ns, NULL);
	if ((rs_list || pod_list) && !sel) {
		cli_errorf(c, "release \"%s\" has an invalid spec.selector (see '%s lint')", name,
		           c->prog);
		goto fail;
	}
	if (rs_list && cli_api_list(c, &rr, sel, &rs) < 0)
		goto fail;
	if (pod_list && cli_api_list(c, &pr, sel, &pods) < 0)
		goto fail;
	free(sel);
	*rel = r;
	if (rs_list)
		*rs_list = rs;
	if (pod_list)
		*pod_list = pods;
	return 0;
fail:
	free(sel);
	json_decref(pods);
	json_decref(rs);
	json_decref(r);
	return -1;
}
