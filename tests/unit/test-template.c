/* template: undo's recovery of a revision's exact template from its
 * ReplicaSet, on ReplicaSets recorded from a live cluster (the API server
 * filled in Pod defaults) and on templates that spell some defaults out. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/template.h"
#include "model/revision.h"
#include "tap.h"

static void test_recorded(void)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/view/rolling-replicasets.json", TEST_DATA_DIR);
	json_t *list = json_load_file(path, 0, NULL);
	ok(list != NULL, "recorded ReplicaSets load");
	size_t i, checked = 0;
	json_t *rs;
	json_array_foreach(json_object_get(list, "items"), i, rs)
	{
		const char *rev = json_string_value(
		    json_object_get(json_object_get(json_object_get(rs, "metadata"), "labels"),
		                    MODEL_LABEL_REVISION));
		if (!json_object_get(json_object_get(rs, "metadata"), "ownerReferences"))
			continue; /* the hand-made one */
		json_t *tmpl = json_object_get(json_object_get(rs, "spec"), "template");
		ok(json_object_get(json_object_get(tmpl, "spec"), "dnsPolicy") != NULL,
		   "%s: the API server filled in defaults", rev);
		json_t *got = NULL;
		is_int(cli_template_recover(tmpl, rev, &got), 0, "%s: recovered exactly", rev);
		char h[MODEL_REVISION_LEN + 1] = "";
		if (got)
			model_revision_hash(got, h);
		is_str(h, rev, "%s: the result hashes to the revision", rev);
		ok(got && !json_object_get(json_object_get(got, "spec"), "dnsPolicy"),
		   "%s: without the defaults", rev);
		json_decref(got);
		checked++;
	}
	ok(checked >= 3, "checked %zu ReplicaSets", checked);
	json_decref(list);
}

static void test_spelt_out(void)
{
	/* The user wrote dnsPolicy and one imagePullPolicy themselves. */
	json_t *user = json_loads(
	    "{\"metadata\":{\"labels\":{\"app\":\"x\"}},\"spec\":{\"dnsPolicy\":\"ClusterFirst\","
	    "\"containers\":[{\"name\":\"a\",\"image\":\"a:1\",\"imagePullPolicy\":\"Always\"},"
	    "{\"name\":\"b\",\"image\":\"b:1\",\"readinessProbe\":{\"httpGet\":{\"port\":80},"
	    "\"periodSeconds\":10}}]}}",
	    0, NULL);
	char rev[MODEL_REVISION_LEN + 1];
	model_revision_hash(user, rev);
	json_t *rs = json_deep_copy(user);
	json_t *spec = json_object_get(rs, "spec");
	json_object_set_new(json_object_get(json_object_get(rs, "metadata"), "labels"),
	                    MODEL_LABEL_REVISION, json_string(rev));
	json_object_set_new(spec, "restartPolicy", json_string("Always"));
	json_object_set_new(spec, "schedulerName", json_string("default-scheduler"));
	json_object_set_new(spec, "securityContext", json_object());
	json_object_set_new(spec, "terminationGracePeriodSeconds", json_integer(30));
	size_t i;
	json_t *c;
	json_array_foreach(json_object_get(spec, "containers"), i, c)
	{
		json_object_set_new(c, "terminationMessagePath",
		                    json_string("/dev/termination-log"));
		json_object_set_new(c, "terminationMessagePolicy", json_string("File"));
		json_object_set_new(c, "resources", json_object());
		if (!json_object_get(c, "imagePullPolicy"))
			json_object_set_new(c, "imagePullPolicy", json_string("IfNotPresent"));
	}
	json_t *probe = json_object_get(json_array_get(json_object_get(spec, "containers"), 1),
	                                "readinessProbe");
	json_object_set_new(probe, "timeoutSeconds", json_integer(1));
	json_object_set_new(probe, "successThreshold", json_integer(1));
	json_object_set_new(probe, "failureThreshold", json_integer(3));
	json_object_set_new(json_object_get(probe, "httpGet"), "scheme", json_string("HTTP"));

	json_t *got = NULL;
	is_int(cli_template_recover(rs, rev, &got), 0, "defaults the user spelt out are kept");
	ok(got && json_equal(got, user), "the result is exactly the user's template");
	json_decref(got);

	got = NULL;
	is_int(cli_template_recover(rs, "bbbbbbbbbb", &got), -ESRCH,
	       "no combination hashes to another revision");
	ok(got && !json_object_get(json_object_get(json_object_get(got, "metadata"), "labels"),
	                           MODEL_LABEL_REVISION),
	   "the best guess has no revision label");
	ok(got && !json_object_get(json_object_get(got, "spec"), "dnsPolicy"), "and no defaults");
	ok(json_object_get(json_object_get(rs, "spec"), "dnsPolicy") != NULL,
	   "the input is not modified");
	json_decref(got);
	got = NULL;
	is_int(
	    cli_template_recover(json_array_get(json_object_get(spec, "containers"), 5), rev, &got),
	    -EINVAL, "a non-object is refused");
	json_decref(rs);
	json_decref(user);
}

int main(void)
{
	test_recorded();
	test_spelt_out();
	return tap_done();
}
