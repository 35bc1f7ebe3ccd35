#include "kubeclient/rest.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Builds the path and starts the request; every verb ends here. */
static int start(struct kc_client *c, enum kc_method method, const struct kc_ref *ref,
                 const struct kc_query *q, json_t *body, enum kc_content_type ct, bool idempotent,
                 bool all_pages, kc_item_fn *on_item, kc_response_fn *cb, void *userdata,
                 struct kc_request **ret, struct kc_error *err)
{
	char *path = NULL;
	int rc = kc_path_build(ref, q, &path);
	if (rc < 0)
		return kc_error_set(err, rc, "%s %s/%s %s%s%s: invalid resource reference",
		                    kc_method_name(method),
		                    ref->group && *ref->group ? ref->group : "core",
		                    ref->resource ? ref->resource : "?", ref->ns ? ref->ns : "",
		                    ref->ns ? "/" : "", ref->name ? ref->name : "");
	struct kc_request_options o = {
	    .method = method,
	    .path = path,
	    .body = body,
	    .content_type = ct,
	    .idempotent = idempotent,
	    .all_pages = all_pages,
	    .on_item = on_item,
	    .on_done = cb,
	    .userdata = userdata,
	};
	rc = kc_request_start(c, &o, ret, err);
	free(path);
	return rc;
}

static int need_name(const struct kc_ref *ref, const char *verb, struct kc_error *err)
{
	if (!ref->name)
		return kc_error_set(err, -EINVAL, "%s %s: needs an object name", verb,
		                    ref->resource ? ref->resource : "?");
	return 0;
}

static int need_no_name(const struct kc_ref *ref, const char *verb, struct kc_error *err)
{
	if (ref->name)
		return kc_error_set(err, -EINVAL, "%s %s: takes a collection, not the name %s",
		                    verb, ref->resource ? ref->resource : "?", ref->name);
	return 0;
}

int kc_get(struct kc_client *c, const struct kc_ref *ref, const struct kc_query *q,
           kc_response_fn *cb, void *userdata, struct kc_request **ret, struct kc_error *err)
{
	int rc = need_name(ref, "get", err);
	if (rc < 0)
		return rc;
	return start(c, KC_GET, ref, q, NULL, KC_CONTENT_JSON, true, false, NULL, cb, userdata, ret,
	             err);
}

int kc_list(struct kc_client *c, const struct kc_ref *ref, const struct kc_query *q,
            kc_response_fn *cb, void *userdata, struct kc_request **ret, struct kc_error *err)
{
	int rc = need_no_name(ref, "list", err);
	if (rc < 0)
		return rc;
	return start(c, KC_GET, ref, q, NULL, KC_CONTENT_JSON, true, false, NULL, cb, userdata, ret,
	             err);
}

int kc_list_all(struct kc_client *c, const struct kc_ref *ref, const struct kc_query *q,
                kc_response_fn *cb, void *userdata, struct kc_request **ret, struct kc_error *err)
{
	return kc_list_all_each(c, ref, q, NULL, cb, userdata, ret, err);
}

int kc_list_all_each(struct kc_client *c, const struct kc_ref *ref, const struct kc_query *q,
                     kc_item_fn *on_item, kc_response_fn *cb, void *userdata,
                     struct kc_request **ret, struct kc_error *err)
{
	struct kc_query page = {0};
	int rc = need_no_name(ref, "list", err);
	if (rc < 0)
		return rc;
	if (q)
		page = *q;
	if (page.continue_token)
		return kc_error_set(err, -EINVAL, "list %s: kc_list_all starts from the first page",
		                    ref->resource);
	if (page.limit <= 0)
		page.limit = 500;
	return start(c, KC_GET, ref, &page, NULL, KC_CONTENT_JSON, true, true, on_item, cb,
	             userdata, ret, err);
}

int kc_create(struct kc_client *c, const struct kc_ref *ref, const struct kc_query *q, json_t *obj,
              kc_response_fn *cb, void *userdata, struct kc_request **ret, struct kc_error *err)
{
	/* A POST to a subresource (pods/NAME/eviction) names its object. */
	int rc =
	    ref->subresource ? need_name(ref, "create", err) : need_no_name(ref, "create", err);
	if (rc < 0)
		return rc;
	if (!json_is_object(obj))
		return kc_error_set(err, -EINVAL, "create %s: the object must be a JSON object",
		                    ref->resource);
	return start(c, KC_POST, ref, q, obj, KC_CONTENT_JSON, false, false, NULL, cb, userdata,
	             ret, err);
}

int kc_update(struct kc_client *c, const struct kc_ref *ref, const struct kc_query *q, json_t *obj,
              kc_response_fn *cb, void *userdata, struct kc_request **ret, struct kc_error *err)
{
	int rc = need_name(ref, "update", err);
	if (rc < 0)
		return rc;
	if (!json_is_object(obj))
		return kc_error_set(err, -EINVAL, "update %s: the object must be a JSON object",
		                    ref->resource);
	return start(c, KC_PUT, ref, q, obj, KC_CONTENT_JSON, false, false, NULL, cb, userdata, ret,
	             err);
}

int kc_patch(struct kc_client *c, const struct kc_ref *ref, const struct kc_query *q,
             enum kc_patch_type type, json_t *patch, kc_response_fn *cb, void *userdata,
             struct kc_request **ret, struct kc_error *err)
{
	enum kc_content_type ct;
	int rc = need_name(ref, "patch", err);
	if (rc < 0)
		return rc;
	switch (type) {
	case KC_PATCH_JSON:
		if (!json_is_array(patch))
			return kc_error_set(err, -EINVAL, "patch %s: a JSON patch is an array",
			                    ref->name);
		ct = KC_CONTENT_JSON_PATCH;
		break;
	case KC_PATCH_STRATEGIC:
		ct = KC_CONTENT_STRATEGIC_MERGE;
		break;
	case KC_PATCH_MERGE:
	default:
		ct = KC_CONTENT_MERGE_PATCH;
		break;
	}
	if (ct != KC_CONTENT_JSON_PATCH && !json_is_object(patch))
		return kc_error_set(err, -EINVAL, "patch %s: a merge patch is an object",
		                    ref->name);
	return start(c, KC_PATCH, ref, q, patch, ct, false, false, NULL, cb, userdata, ret, err);
}

int kc_apply(struct kc_client *c, const struct kc_ref *ref, const struct kc_query *q, json_t *obj,
             kc_response_fn *cb, void *userdata, struct kc_request **ret, struct kc_error *err)
{
	struct kc_ref named;
	if (!json_is_object(obj))
		return kc_error_set(err, -EINVAL, "apply %s: the object must be a JSON object",
		                    ref->resource);
	if (!q || !q->field_manager || !*q->field_manager)
		return kc_error_set(err, -EINVAL,
		                    "apply %s: server-side apply needs a field manager",
		                    ref->resource);
	named = *ref;
	if (!named.name)
		named.name =
		    json_string_value(json_object_get(json_object_get(obj, "metadata"), "name"));
	if (!named.name)
		return kc_error_set(err, -EINVAL, "apply %s: the object has no metadata.name",
		                    ref->resource);
	return start(c, KC_PATCH, &named, q, obj, KC_CONTENT_APPLY_PATCH, true, false, NULL, cb,
	             userdata, ret, err);
}

int kc_delete(struct kc_client *c, const struct kc_ref *ref, const struct kc_query *q,
              const struct kc_preconditions *pre, kc_response_fn *cb, void *userdata,
              struct kc_request **ret, struct kc_error *err)
{
	struct kc_query rest = {0};
	int rc = need_name(ref, "delete", err);
	if (rc < 0)
		return rc;
	json_t *opts = json_pack("{s:s, s:s}", "kind", "DeleteOptions", "apiVersion", "v1");
	if (!opts)
		return kc_error_set(err, -ENOMEM, "out of memory");
	/* Everything DeleteOptions carries goes in the body, where the server
	 * reads it for every resource; the query keeps only selectors. */
	if (q) {
		if (q->propagation_policy && *q->propagation_policy)
			json_object_set_new(opts, "propagationPolicy",
			                    json_string(q->propagation_policy));
		if (q->dry_run)
			json_object_set_new(opts, "dryRun", json_pack("[s]", "All"));
		rest.label_selector = q->label_selector;
		rest.field_selector = q->field_selector;
	}
	if (pre && (pre->uid || pre->resource_version)) {
		json_t *p = json_object();
		if (pre->uid)
			json_object_set_new(p, "uid", json_string(pre->uid));
		if (pre->resource_version)
			json_object_set_new(p, "resourceVersion",
			                    json_string(pre->resource_version));
		json_object_set_new(opts, "preconditions", p);
	}
	rc = start(c, KC_DELETE, ref, &rest, opts, KC_CONTENT_JSON, false, false, NULL, cb,
	           userdata, ret, err);
	json_decref(opts);
	return rc;
}
