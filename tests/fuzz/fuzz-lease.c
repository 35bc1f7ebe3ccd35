/* libFuzzer: a JSON array [lease, previousSpec] as the elector sees a Lease
 * it read (ctl_leader_view) and builds its next write on it
 * (ctl_leader_lease_body). Neither may crash; a view is never both "ours"
 * and "empty"; a body built on any Lease names the holder we asked for. */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "controller/leader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_body(enum ctl_leader_action action, const json_t *base, const char *holder)
{
	json_t *body = NULL;
	if (ctl_leader_lease_body(action, "ns", "lease", "me", "0.1.0", 15,
	                          "2026-12-02T18:00:00.000000Z", base, &body) != 0)
		return;
	const char *got =
	    json_string_value(json_object_get(json_object_get(body, "spec"), "holderIdentity"));
	if (!got || strcmp(got, holder) != 0)
		abort();
	json_decref(body);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *v = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
	if (!v)
		return 0;
	json_t *lease = json_is_array(v) ? json_array_get(v, 0) : v;
	json_t *prev = json_is_array(v) ? json_array_get(v, 1) : NULL;
	struct ctl_lease_view view = ctl_leader_view(lease, "me", prev);
	if (view.ours && view.empty)
		abort();
	check_body(CTL_LEADER_DO_CREATE, NULL, "me");
	check_body(CTL_LEADER_DO_ACQUIRE, lease, "me");
	check_body(CTL_LEADER_DO_RENEW, lease, "me");
	check_body(CTL_LEADER_DO_RELEASE, lease, "");
	json_decref(v);
	return 0;
}
