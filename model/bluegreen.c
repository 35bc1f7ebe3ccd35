/* spec.strategy.blueGreen (model/release.h, struct rel_blue_green). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "model/fields.h"
#include "model/release-parse.h"

/* {templates, args} under `key`, when present. */
static void parse_analysis_at(struct model_fields *c, const json_t *o, const char *base,
                              const char *key, bool *has, struct rel_analysis *a)
{
	json_t *v = model_field_object(c, o, key, base, false);
	if (!v)
		return;
	char path[MODEL_PATH_LEN];
	model_path_key(path, base, key);
	*has = true;
	rel_parse_analysis(c, v, path, a);
}

/* {labels: {...}} under `key` into *ret. A key the ReplicaSets select on
 * (spec.selector's, slipway.dev/revision) is refused: changing it on a pod
 * would take the pod out of its ReplicaSet. */
static void parse_pod_metadata(struct model_fields *c, const json_t *o, const char *base,
                               const char *key, const struct model_labels *selector,
                               struct model_labels *ret)
{
	char path[MODEL_PATH_LEN], lpath[MODEL_PATH_LEN];
	json_t *md = model_field_object(c, o, key, base, false);
	model_path_key(path, base, key);
	json_t *labels = md ? model_field_object(c, md, "labels", path, false) : NULL;
	if (!labels)
		return;
	model_path_key(lpath, path, "labels");
	int r = model_labels_from_json(labels, lpath, ret, c->errs);
	if (r == -ENOMEM)
		c->oom = true;
	if (r < 0)
		return;
	for (size_t i = 0; i < ret->n; i++) {
		const char *k = ret->items[i].key;
		if (strcmp(k, MODEL_LABEL_REVISION) == 0 || model_labels_get(selector, k))
			model_errors_add(c->errs, lpath,
			                 "%s is a label the ReplicaSets select on; use another key",
			                 k);
	}
}

static void parse_services(struct model_fields *c, const json_t *o, const char *base,
                           struct rel_blue_green *b)
{
	model_field_name(c, o, "activeService", base, MODEL_NAME_DNS_LABEL, true,
	                 &b->active_service);
	model_field_name(c, o, "previewService", base, MODEL_NAME_DNS_LABEL, false,
	                 &b->preview_service);
	if (b->active_service && b->preview_service &&
	    strcmp(b->active_service, b->preview_service) == 0) {
		char path[MODEL_PATH_LEN];
		model_path_key(path, base, "previewService");
		model_errors_add(c->errs, path, "must differ from activeService");
	}
}

static void parse_counts(struct model_fields *c, const json_t *o, const char *base,
                         struct rel_blue_green *b)
{
	b->has_preview_replica_count = json_object_get(o, "previewReplicaCount") != NULL;
	model_field_int32(c, o, "previewReplicaCount", base, 0, 0, &b->preview_replica_count);
	model_field_bool(c, o, "autoPromotionEnabled", base, true, &b->auto_promotion_enabled);
	bool ok =
	    model_field_int32(c, o, "autoPromotionSeconds", base, 0, 0, &b->auto_promotion_seconds);
	if (ok && b->auto_promotion_seconds > 0 && !b->auto_promotion_enabled) {
		char path[MODEL_PATH_LEN];
		model_path_key(path, base, "autoPromotionSeconds");
		model_errors_add(c->errs, path,
		                 "has no effect with autoPromotionEnabled: false; remove one");
	}
	model_field_int32(c, o, "scaleDownDelaySeconds", base, 0,
	                  REL_DEFAULT_SCALE_DOWN_DELAY_SECONDS, &b->scale_down_delay_seconds);
	b->has_scale_down_delay_revision_limit =
	    json_object_get(o, "scaleDownDelayRevisionLimit") != NULL;
	model_field_int32(c, o, "scaleDownDelayRevisionLimit", base, 0, 0,
	                  &b->scale_down_delay_revision_limit);
	model_field_int32(c, o, "abortScaleDownDelaySeconds", base, 0,
	                  REL_DEFAULT_SCALE_DOWN_DELAY_SECONDS, &b->abort_scale_down_delay_seconds);
}

void rel_parse_blue_green(struct model_fields *c, const json_t *o, const char *base,
                          const struct model_labels *selector, struct rel_blue_green *b)
{
	parse_services(c, o, base, b);
	parse_counts(c, o, base, b);
	parse_analysis_at(c, o, base, "prePromotionAnalysis", &b->has_pre_promotion_analysis,
	                  &b->pre_promotion_analysis);
	parse_analysis_at(c, o, base, "postPromotionAnalysis", &b->has_post_promotion_analysis,
	                  &b->post_promotion_analysis);
	parse_pod_metadata(c, o, base, "activeMetadata", selector, &b->active_labels);
	parse_pod_metadata(c, o, base, "previewMetadata", selector, &b->preview_labels);
}

void rel_blue_green_clear(struct rel_blue_green *b)
{
	free(b->active_service);
	free(b->preview_service);
	rel_analysis_clear(&b->pre_promotion_analysis);
	rel_analysis_clear(&b->post_promotion_analysis);
	model_labels_clear(&b->active_labels);
	model_labels_clear(&b->preview_labels);
	memset(b, 0, sizeof(*b));
}

const char *rel_bg_stage_name(int32_t stage)
{
	static const char *const names[] = {"Preview", "PrePromotionAnalysis",  "Pause",
	                                    "ScaleUp", "PostPromotionAnalysis", "Done"};
	if (stage < 0 || stage > REL_BG_STAGE_DONE)
		return "unknown";
	return names[stage];
}
