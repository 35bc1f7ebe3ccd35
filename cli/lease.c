/* Reading a leader-election Lease (cli/lease.h). */
#include "cli/lease.h"

#include "model/api.h"
#include "model/timefmt.h"

struct cli_lease_info cli_lease_read(const json_t *lease, time_t now)
{
	struct cli_lease_info info = {.state = CLI_LEASE_MISSING};
	if (!json_is_object(lease))
		return info;
	const json_t *spec = json_object_get(lease, "spec");
	const char *holder = json_string_value(json_object_get(spec, "holderIdentity"));
	if (!holder || !*holder) {
		info.state = CLI_LEASE_RELEASED;
		return info;
	}
	info.holder = holder;
	info.version = json_string_value(
	    json_object_get(json_object_get(json_object_get(lease, "metadata"), "annotations"),
	                    MODEL_ANNOTATION_CONTROLLER_VERSION));
	const char *renew = json_string_value(json_object_get(spec, "renewTime"));
	const json_t *duration = json_object_get(spec, "leaseDurationSeconds");
	time_t renewed;
	info.state = CLI_LEASE_EXPIRED;
	if (!renew || model_time_parse(renew, &renewed) < 0 || !json_is_integer(duration))
		return info;
	info.expires = renewed + (time_t)json_integer_value(duration);
	if (info.expires >= now)
		info.state = CLI_LEASE_HELD;
	return info;
}
