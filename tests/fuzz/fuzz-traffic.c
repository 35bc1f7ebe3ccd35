/* libFuzzer: any JSON as the router objects a canary sees, and a want.
 * The input is {"route": HTTPRoute, "ingress": stable Ingress, "owned":
 * [Ingress...], "services": [stable, canary], "weight": n, "last": n,
 * "routes": n (bit 0 header, bit 1 mirror), "nginx": bool}; anything
 * missing is absent. rec_traffic_plan must not crash or leak, and what it
 * plans must be sane: every JSON patch is non-empty and starts with a
 * `test`, every weight written is in 0..100, every apply names an Ingress,
 * every DELETE has a uid precondition. */
#include <errno.h>
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model/release.h"
#include "reconcilers/traffic.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define STEPS                                                                                      \
	"\"steps\":[{\"setWeight\":10},{\"setHeaderRoute\":{\"name\":\"beta\",\"match\":[{"        \
	"\"headerName\":\"X-Beta\",\"headerValue\":{\"exact\":\"yes\"}}]}},"                       \
	"{\"setMirrorRoute\":{\"name\":\"shadow\",\"percentage\":20}}]"
#define RELEASE(routing, steps)                                                                    \
	"{\"apiVersion\":\"slipway.dev/v1alpha1\",\"kind\":\"Release\",\"metadata\":{\"name\":"    \
	"\"web\",\"namespace\":\"shop\",\"uid\":\"u-1\"},\"spec\":{\"selector\":{\"matchLabels\":" \
	"{\"app\":\"web\"}},\"template\":{\"metadata\":{\"labels\":{\"app\":\"web\"}},\"spec\":"   \
	"{\"containers\":[{\"name\":\"web\",\"image\":\"x\"}]}},\"strategy\":{\"canary\":{"        \
	"\"stableService\":\"web\",\"canaryService\":\"web-canary\",\"trafficRouting\":" routing   \
	"," steps "}}}}"

static struct rel_release *parse(const char *text)
{
	json_t *j = json_loads(text, 0, NULL);
	struct rel_release *rel = NULL;
	if (!j || rel_release_parse(j, &rel, NULL) < 0)
		abort();
	json_decref(j);
	return rel;
}

static void check_patch(const json_t *ops)
{
	size_t i;
	json_t *op;
	const char *first = json_string_value(json_object_get(json_array_get(ops, 0), "op"));
	if (!first || strcmp(first, "test") != 0)
		abort();
	json_array_foreach(ops, i, op)
	{
		const char *path = json_string_value(json_object_get(op, "path"));
		size_t n = path ? strlen(path) : 0;
		if (!path)
			abort();
		if (strcmp(json_string_value(json_object_get(op, "op")), "test") != 0 && n > 7 &&
		    strcmp(path + n - 7, "/weight") == 0) {
			json_t *w = json_object_get(op, "value");
			if (!json_is_integer(w) || json_integer_value(w) < 0 ||
			    json_integer_value(w) > 100)
				abort();
		}
	}
}

static void check_plan(const struct rec_plan *plan)
{
	for (size_t i = 0; i < plan->n_actions; i++) {
		const struct rec_action *a = &plan->actions[i];
		if (!a->ref.name || !a->ref.resource)
			abort();
		if (a->kind == REC_JSON_PATCH)
			check_patch(a->body);
		else if (a->kind == REC_APPLY)
			if (strcmp(a->ref.resource, "ingresses") != 0)
				abort();
		if (a->kind == REC_DELETE && !a->ref.uid)
			abort();
	}
}

static void run(const struct rel_release *rel, const json_t *in)
{
	json_int_t w = json_integer_value(json_object_get(in, "weight"));
	json_int_t routes = json_integer_value(json_object_get(in, "routes"));
	struct rec_traffic_want want = {.stable_revision = "s",
	                                .canary_revision = "c",
	                                .canary_weight = (int32_t)((w % 101 + 101) % 101),
	                                .canary_ingress =
	                                    json_is_true(json_object_get(in, "nginx"))};
	if (routes & 1)
		want.header_routes[want.n_header_routes++] = &rel->canary.steps[1].header_route;
	if ((routes & 2) && rel->canary.n_steps > 2)
		want.mirror_routes[want.n_mirror_routes++] = &rel->canary.steps[2].mirror_route;
	const json_t *route = json_object_get(in, "route");
	json_t *owned = json_object_get(in, "owned");
	json_t *svcs = json_object_get(in, "services");
	const json_t *owned_v[8];
	size_t n_owned = 0;
	for (size_t i = 0; i < json_array_size(owned) && n_owned < 8; i++)
		owned_v[n_owned++] = json_array_get(owned, i);
	struct rec_traffic_observed obs = {.stable_service = json_array_get(svcs, 0),
	                                   .canary_service = json_array_get(svcs, 1),
	                                   .http_routes = &route,
	                                   .n_http_routes = route ? 1 : 0,
	                                   .stable_ingress = json_object_get(in, "ingress"),
	                                   .owned_ingresses = owned_v,
	                                   .n_owned_ingresses = n_owned};
	struct rec_plan plan;
	rec_plan_init(&plan);
	struct rec_traffic_report rep;
	json_int_t last = json_integer_value(json_object_get(in, "last"));
	int r = rec_traffic_plan(rel, NULL, &want, &obs, (int32_t)(last % 102 - 1), &plan, &rep);
	if (r != 0 && r != -ENOMEM)
		abort();
	if (r == 0) {
		check_plan(&plan);
		if (rep.in_effect && plan.n_actions > 0)
			abort();
	}
	rec_plan_clear(&plan);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct rel_release *gw, *nginx;
	if (!gw) {
		gw =
		    parse(RELEASE("{\"gatewayAPI\":{\"httpRoutes\":[{\"name\":\"web\"}]}}", STEPS));
		nginx =
		    parse(RELEASE("{\"nginx\":{\"stableIngress\":\"web\"}}",
		                  "\"steps\":[{\"setWeight\":10},{\"setHeaderRoute\":{\"name\":"
		                  "\"beta\",\"match\":[{\"headerName\":\"X-Beta\",\"headerValue\":"
		                  "{\"regex\":\"y.*\"}}]}}]"));
	}
	json_t *in = json_loadb((const char *)data, size, 0, NULL);
	if (!in)
		return 0;
	run(gw, in);
	run(nginx, in);
	json_decref(in);
	return 0;
}
