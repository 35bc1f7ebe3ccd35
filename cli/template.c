#include "cli/template.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "model/api.h"
#include "model/revision.h"

struct candidate {
	json_t *parent; /* borrowed from the working copy */
	const char *key;
	json_t *value; /* a reference of ours */
};

struct search {
	struct candidate c[64];
	size_t n;
	bool overflow;
};

static void add(struct search *s, json_t *parent, const char *key)
{
	json_t *v = json_object_get(parent, key);
	if (!v)
		return;
	if (s->n == sizeof(s->c) / sizeof(s->c[0])) {
		s->overflow = true;
		return;
	}
	s->c[s->n].parent = parent;
	s->c[s->n].key = key;
	s->c[s->n].value = json_incref(v);
	s->n++;
}

static bool str_is(const json_t *v, const char *s)
{
	return json_is_string(v) && strcmp(json_string_value(v), s) == 0;
}

static bool int_is(const json_t *v, json_int_t i)
{
	return json_is_integer(v) && json_integer_value(v) == i;
}

static bool empty_object(const json_t *v)
{
	return json_is_object(v) && json_object_size(v) == 0;
}

/* A field the API server sets when absent, holding the value it would set. */
static void maybe(struct search *s, json_t *parent, const char *key, bool is_default)
{
	if (json_object_get(parent, key) && is_default)
		add(s, parent, key);
}

static void probe(struct search *s, json_t *p)
{
	if (!json_is_object(p))
		return;
	maybe(s, p, "timeoutSeconds", int_is(json_object_get(p, "timeoutSeconds"), 1));
	maybe(s, p, "periodSeconds", int_is(json_object_get(p, "periodSeconds"), 10));
	maybe(s, p, "successThreshold", int_is(json_object_get(p, "successThreshold"), 1));
	maybe(s, p, "failureThreshold", int_is(json_object_get(p, "failureThreshold"), 3));
	json_t *http = json_object_get(p, "httpGet");
	if (json_is_object(http))
		maybe(s, http, "scheme", str_is(json_object_get(http, "scheme"), "HTTP"));
}

static void containers(struct search *s, json_t *list)
{
	size_t i;
	json_t *c;
	json_array_foreach(list, i, c)
	{
		if (!json_is_object(c))
			continue;
		maybe(s, c, "terminationMessagePath",
		      str_is(json_object_get(c, "terminationMessagePath"), "/dev/termination-log"));
		maybe(s, c, "terminationMessagePolicy",
		      str_is(json_object_get(c, "terminationMessagePolicy"), "File"));
		json_t *pp = json_object_get(c, "imagePullPolicy");
		maybe(s, c, "imagePullPolicy", str_is(pp, "IfNotPresent") || str_is(pp, "Always"));
		maybe(s, c, "resources", empty_object(json_object_get(c, "resources")));
		probe(s, json_object_get(c, "livenessProbe"));
		probe(s, json_object_get(c, "readinessProbe"));
		probe(s, json_object_get(c, "startupProbe"));
	}
}

static void candidates(struct search *s, json_t *tmpl)
{
	json_t *md = json_object_get(tmpl, "metadata");
	/* Old API servers write a null creationTimestamp into templates. */
	maybe(s, md, "creationTimestamp", json_is_null(json_object_get(md, "creationTimestamp")));
	json_t *spec = json_object_get(tmpl, "spec");
	if (!json_is_object(spec))
		return;
	maybe(s, spec, "dnsPolicy", str_is(json_object_get(spec, "dnsPolicy"), "ClusterFirst"));
	maybe(s, spec, "restartPolicy", str_is(json_object_get(spec, "restartPolicy"), "Always"));
	maybe(s, spec, "schedulerName",
	      str_is(json_object_get(spec, "schedulerName"), "default-scheduler"));
	maybe(s, spec, "securityContext", empty_object(json_object_get(spec, "securityContext")));
	maybe(s, spec, "terminationGracePeriodSeconds",
	      int_is(json_object_get(spec, "terminationGracePeriodSeconds"), 30));
	containers(s, json_object_get(spec, "containers"));
	containers(s, json_object_get(spec, "initContainers"));
	size_t i;
	json_t *vol;
	json_array_foreach(json_object_get(spec, "volumes"), i, vol)
	{
		static const char *const kinds[] = {"configMap", "secret", "projected",
		                                    "downwardAPI"};
		for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
			json_t *src = json_object_get(vol, kinds[k]);
			if (json_is_object(src))
				maybe(s, src, "defaultMode",
				      int_is(json_object_get(src, "defaultMode"), 420));
		}
	}
}

/* Candidates whose bit is set in mask are removed, the others present. */
static int apply_mask(struct search *s, unsigned long mask)
{
	for (size_t i = 0; i < s->n; i++) {
		bool remove = i >= CLI_TEMPLATE_MAX_CANDIDATES || (mask >> i) & 1;
		int r = remove ? (json_object_del(s->c[i].parent, s->c[i].key), 0)
		               : json_object_set(s->c[i].parent, s->c[i].key, s->c[i].value);
		if (r != 0)
			return -ENOMEM;
	}
	return 0;
}

int cli_template_recover(const json_t *rs_template, const char *revision, json_t **ret)
{
	if (!json_is_object(rs_template))
		return -EINVAL;
	json_t *t = json_deep_copy(rs_template);
	if (!t)
		return -ENOMEM;
	json_t *labels = json_object_get(json_object_get(t, "metadata"), "labels");
	if (json_is_object(labels))
		json_object_del(labels, MODEL_LABEL_REVISION);
	struct search s = {0};
	candidates(&s, t);
	size_t bits = s.n < CLI_TEMPLATE_MAX_CANDIDATES ? s.n : CLI_TEMPLATE_MAX_CANDIDATES;
	unsigned long all = (1UL << bits) - 1;
	int r = -ESRCH;
	/* From everything removed (what a user usually wrote) to nothing removed. */
	for (unsigned long m = all;; m--) {
		char rev[MODEL_REVISION_LEN + 1];
		if (apply_mask(&s, m) < 0 || model_revision_hash(t, rev) < 0) {
			r = -ENOMEM;
			break;
		}
		if (strcmp(rev, revision) == 0) {
			r = 0;
			break;
		}
		if (m == 0)
			break;
	}
	if (r == -ESRCH && apply_mask(&s, all) < 0)
		r = -ENOMEM;
	for (size_t i = 0; i < s.n; i++)
		json_decref(s.c[i].value);
	if (r == -ENOMEM) {
		json_decref(t);
		return r;
	}
	*ret = t;
	return r;
}
