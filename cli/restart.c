/* The restart request and its answer (cli/restart.h). */
#include "cli/restart.h"

#include <errno.h>
#include <string.h>

/* Caller owns *ret. */
int cli_restart_request(time_t now, char at[static MODEL_TIME_LEN], json_t **ret)
{
	char buf[MODEL_TIME_LEN];
	if (model_time_format(now, buf) < 0)
		return -ERANGE;
	json_t *patch = json_pack("{s:{s:s}}", "spec", "restartAt", buf);
	if (!patch)
		return -ENOMEM;
	memcpy(at, buf, sizeof(buf));
	*ret = patch;
	return 0;
}

bool cli_restart_done(const json_t *release, const char *at)
{
	const char *done =
	    json_string_value(json_object_get(json_object_get(release, "status"), "restartedAt"));
	time_t want, got;
	if (!done || !at || model_time_parse(at, &want) < 0 || model_time_parse(done, &got) < 0)
		return false;
	return got >= want;
}
