#include "controller/event-sender.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kubeclient/apierror.h"
#include "kubeclient/rest.h"

struct pending {
	struct kc_client *client;
	unsigned long *failures;
	char *field_manager;
	json_t *fallback; /* POSTed when the PATCH finds no Event (it expired) */
	char ns[64];
};

static void pending_free(struct pending *p)
{
	json_decref(p->fallback);
	free(p->field_manager);
	free(p);
}

static void count_failure(unsigned long *failures)
{
	if (failures)
		(*failures)++;
}

static struct kc_ref events_ref(const char *ns, const char *name)
{
	return (struct kc_ref){.group = "events.k8s.io",
	                       .version = "v1",
	                       .resource = "events",
	                       .ns = ns,
	                       .name = name};
}

static void created(long status, json_t *body, const struct kc_error *err, void *userdata)
{
	struct pending *p = userdata;
	if (err)
		count_failure(p->failures);
	pending_free(p);
}

static void patched(long status, json_t *body, const struct kc_error *err, void *userdata)
{
	struct pending *p = userdata;
	if (err && kc_is_not_found(err) && p->fallback) {
		struct kc_ref ref = events_ref(p->ns, NULL);
		struct kc_query q = {.field_manager = p->field_manager};
		if (kc_create(p->client, &ref, &q, p->fallback, created, p, NULL, NULL) == 0)
			return;
	}
	if (err)
		count_failure(p->failures);
	pending_free(p);
}

void ctl_event_send(struct kc_client *c, const char *field_manager, const struct ctl_event_write *w,
                    unsigned long *failures)
{
	if (w->decision != CTL_EVENT_CREATE && w->decision != CTL_EVENT_PATCH)
		return;
	struct pending *p = calloc(1, sizeof(*p));
	if (!p) {
		count_failure(failures);
		return;
	}
	p->client = c;
	p->failures = failures;
	p->field_manager = field_manager ? strdup(field_manager) : NULL;
	snprintf(p->ns, sizeof(p->ns), "%s", w->namespace_);
	struct kc_query q = {.field_manager = p->field_manager};
	int rc;
	if (w->decision == CTL_EVENT_CREATE) {
		struct kc_ref ref = events_ref(p->ns, NULL);
		rc = kc_create(c, &ref, &q, w->body, created, p, NULL, NULL);
	} else {
		p->fallback = json_incref(w->fallback);
		struct kc_ref ref = events_ref(p->ns, w->name);
		rc = kc_patch(c, &ref, &q, KC_PATCH_MERGE, w->body, patched, p, NULL, NULL);
	}
	if (rc < 0) {
		count_failure(failures);
		pending_free(p);
	}
}
