#include "controller/release-gates.h"

#include <stdio.h>
#include <string.h>

#include "model/api.h"

/* A gate's object: canary steps[].approval, blueGreen.prePromotionApproval. */
bool ctl_release_has_gates(const json_t *release)
{
	const json_t *strategy = json_object_get(json_object_get(release, "spec"), "strategy");
	const json_t *bg = json_object_get(strategy, "blueGreen");
	if (json_is_object(json_object_get(bg, "prePromotionApproval")))
		return true;
	size_t i;
	const json_t *step;
	json_array_foreach(json_object_get(json_object_get(strategy, "canary"), "steps"), i, step)
	{
		if (json_is_object(json_object_get(step, "approval")))
			return true;
	}
	return false;
}

/* Index CTL_INDEX_GATED_RELEASE. */
size_t ctl_release_gated_self(const json_t *release, char (*values)[CTL_STORE_KEY_MAX], size_t max,
                              void *userdata)
{
	(void)userdata;
	if (max == 0 || !ctl_release_has_gates(release) ||
	    ctl_object_key(release, values[0], CTL_STORE_KEY_MAX) < 0)
		return 0;
	return 1;
}

/* Index CTL_INDEX_GATE_POLICY. */
size_t ctl_release_gate_policy(const json_t *release, char (*values)[CTL_STORE_KEY_MAX], size_t max,
                               void *userdata)
{
	(void)userdata;
	if (max == 0 || !ctl_release_has_gates(release))
		return 0;
	snprintf(values[0], CTL_STORE_KEY_MAX, "%s", MODEL_APPROVAL_IDENTITY_POLICY);
	return 1;
}

/* "ns/spec.release" of an Approval; false without both. */
static bool approval_release(const json_t *approval, char *buf, size_t len)
{
	const char *ns =
	    json_string_value(json_object_get(json_object_get(approval, "metadata"), "namespace"));
	const char *rel =
	    json_string_value(json_object_get(json_object_get(approval, "spec"), "release"));
	if (!ns || !rel || !*rel)
		return false;
	int n = snprintf(buf, len, "%s/%s", ns, rel);
	return n > 0 && (size_t)n < len;
}

/* spec.policyName of a binding; false without it. */
static bool binding_policy(const json_t *binding, char *buf, size_t len)
{
	const char *p =
	    json_string_value(json_object_get(json_object_get(binding, "spec"), "policyName"));
	if (!p || !*p || strlen(p) >= len)
		return false;
	memcpy(buf, p, strlen(p) + 1);
	return true;
}

static size_t approval_index(const json_t *approval, char (*values)[CTL_STORE_KEY_MAX], size_t max,
                             void *userdata)
{
	(void)userdata;
	return max > 0 && approval_release(approval, values[0], CTL_STORE_KEY_MAX) ? 1 : 0;
}

static size_t binding_index(const json_t *binding, char (*values)[CTL_STORE_KEY_MAX], size_t max,
                            void *userdata)
{
	(void)userdata;
	return max > 0 && binding_policy(binding, values[0], CTL_STORE_KEY_MAX) ? 1 : 0;
}

static const struct ctl_index approval_indexes[] = {
    {.name = CTL_INDEX_APPROVAL_RELEASE, .fn = approval_index},
};
static const struct ctl_index binding_indexes[] = {
    {.name = CTL_INDEX_BINDING_POLICY, .fn = binding_index},
};

void ctl_release_gate_watches(struct ctl_watch *approvals, struct ctl_watch *policies,
                              struct ctl_watch *bindings)
{
	*approvals = (struct ctl_watch){.role = CTL_WATCH_MAPPED,
	                                .kind = ctl_kind_of(&model_approval_gvk),
	                                .index = CTL_INDEX_GATED_RELEASE,
	                                .map_value = approval_release};
	approvals->kind.optional = true;
	approvals->kind.indexes = approval_indexes;
	approvals->kind.n_indexes = 1;
	*policies = (struct ctl_watch){.role = CTL_WATCH_MAPPED,
	                               .kind = ctl_kind_of(&model_vap_gvk),
	                               .index = CTL_INDEX_GATE_POLICY};
	policies->kind.optional = true;
	*bindings = (struct ctl_watch){.role = CTL_WATCH_MAPPED,
	                               .kind = ctl_kind_of(&model_vap_binding_gvk),
	                               .index = CTL_INDEX_GATE_POLICY,
	                               .map_value = binding_policy};
	bindings->kind.optional = true;
	bindings->kind.indexes = binding_indexes;
	bindings->kind.n_indexes = 1;
}
