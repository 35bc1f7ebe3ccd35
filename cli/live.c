/* Watches kept as maps of uid -> object, and the loop around them
 * (cli/live.h). */
#include "cli/live.h"

#include <signal.h>
#include <stdio.h>

#include "cli/owned.h"

static const char *uid_of(const json_t *o)
{
	return json_string_value(json_object_get(json_object_get(o, "metadata"), "uid"));
}

static enum cli_live_store store_of(const struct cli_live *l, const struct kc_watch *w)
{
	for (int i = 0; i < CLI_LIVE_N; i++)
		if (l->w[i] == w)
			return (enum cli_live_store)i;
	return CLI_LIVE_RELEASE;
}

static struct kc_ref ref_of(const struct cli_live *l, enum cli_live_store i)
{
	switch (i) {
	case CLI_LIVE_REPLICASETS:
		return cli_replicaset_ref(l->c->ns, NULL);
	case CLI_LIVE_PODS:
		return cli_pod_ref(l->c->ns, NULL);
	case CLI_LIVE_RUNS:
		return cli_analysis_run_ref(l->c->ns, NULL);
	default:
		return cli_release_ref(l->c->ns, NULL);
	}
}

void cli_live_stop(struct cli_live *l, int code)
{
	l->exit_code = code;
	l->done = true;
	ev_break(l->c->loop, EVBREAK_ALL);
}

/* Applies one change to a store: a full list replaces it. */
static void apply_change(json_t *store, enum kc_watch_change change, json_t *obj)
{
	if (change == KC_WATCH_REPLACE) {
		json_object_clear(store);
		size_t j;
		json_t *o;
		json_array_foreach(obj, j, o)
		{
			if (uid_of(o))
				json_object_set(store, uid_of(o), o);
		}
	} else if (uid_of(obj)) {
		if (change == KC_WATCH_DELETED)
			json_object_del(store, uid_of(obj));
		else
			json_object_set(store, uid_of(obj), obj);
	}
}

static void on_change(struct kc_watch *w, enum kc_watch_change change, json_t *obj, void *userdata)
{
	struct cli_live *l = userdata;
	enum cli_live_store i = store_of(l, w);
	apply_change(l->objs[i], change, obj);
	if (change == KC_WATCH_REPLACE)
		l->synced[i] = true;
	if (l->on_change && !l->done)
		l->on_change(l, l->userdata);
}

static void on_watch_error(struct kc_watch *w, enum kc_watch_input what, const struct kc_error *err,
                           void *userdata)
{
	struct cli_live *l = userdata;
	(void)what;
	bool for_good = cli_api_refused(err);
	/* The runs are extra: the view says they cannot be read and goes on. */
	if (for_good && store_of(l, w) == CLI_LIVE_RUNS) {
		kc_watch_stop(w);
		l->runs_refused = (int)err->http_status;
		l->synced[CLI_LIVE_RUNS] = true;
		if (l->on_change && !l->done)
			l->on_change(l, l->userdata);
		return;
	}
	/* Forbidden or a gone CRD will not heal: say so and stop. Other errors
	 * (a dropped connection) the watch retries by itself. */
	if (for_good) {
		struct kc_ref ref = ref_of(l, store_of(l, w));
		cli_report_api_error(l->c, "watch", &ref, err);
		cli_live_stop(l, l->fatal_code);
	}
}

static void on_sigint(struct ev_loop *loop, ev_signal *s, int revents)
{
	struct cli_live *l = s->data;
	(void)loop;
	(void)revents;
	cli_live_stop(l, l->exit_code);
}

static void on_deadline(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct cli_live *l = t->data;
	(void)loop;
	(void)revents;
	if (l->on_deadline && !l->done)
		l->on_deadline(l, l->userdata);
}

void cli_live_init(struct cli_live *l, struct cli *c, int fatal_code, cli_live_fn *change,
                   void *userdata)
{
	*l = (struct cli_live){
	    .c = c,
	    .on_change = change,
	    .userdata = userdata,
	    .fatal_code = fatal_code,
	    .exit_code = fatal_code,
	};
	for (int i = 0; i < CLI_LIVE_N; i++)
		l->objs[i] = json_object();
	ev_signal_init(&l->sigint, on_sigint, SIGINT);
	l->sigint.data = l;
	ev_signal_start(c->loop, &l->sigint);
	ev_timer_init(&l->deadline, on_deadline, 0., 0.);
	l->deadline.data = l;
}

void cli_live_set_deadline(struct cli_live *l, double seconds, cli_live_fn *fn)
{
	l->on_deadline = fn;
	ev_timer_set(&l->deadline, seconds, 0.);
	ev_timer_start(l->c->loop, &l->deadline);
}

static int start_watch(struct cli_live *l, enum cli_live_store i, const char *label,
                       const char *field)
{
	struct kc_ref ref = ref_of(l, i);
	struct kc_error err = {0};
	struct kc_watch_options wo = {
	    .group = ref.group,
	    .version = ref.version,
	    .resource = ref.resource,
	    .ns = ref.ns,
	    .label_selector = label,
	    .field_selector = field,
	    .on_change = on_change,
	    .on_error = on_watch_error,
	    .userdata = l,
	};
	if (kc_watch_new(l->c->client, &wo, &l->w[i], &err) < 0) {
		cli_errorf(l->c, "cannot watch %s: %s", ref.resource, err.message);
		kc_error_clear(&err);
		return -1;
	}
	return kc_watch_start(l->w[i]) < 0 ? -1 : 0;
}

int cli_live_watch_release(struct cli_live *l, const char *name)
{
	char field[300];
	snprintf(field, sizeof(field), "metadata.name=%s", name);
	return start_watch(l, CLI_LIVE_RELEASE, NULL, field);
}

int cli_live_watch_owned(struct cli_live *l, const char *selector)
{
	if (start_watch(l, CLI_LIVE_REPLICASETS, selector, NULL) < 0)
		return -1;
	return start_watch(l, CLI_LIVE_PODS, selector, NULL);
}

int cli_live_watch_runs(struct cli_live *l, const char *selector)
{
	return start_watch(l, CLI_LIVE_RUNS, selector, NULL);
}

/* Borrowed from l. */
json_t *cli_live_release(struct cli_live *l)
{
	if (!l->synced[CLI_LIVE_RELEASE])
		return NULL;
	const char *k;
	json_t *rel = NULL, *v;
	json_object_foreach(l->objs[CLI_LIVE_RELEASE], k, v)
	{
		rel = v;
	}
	if (!rel) {
		cli_errorf(l->c, "release was deleted");
		cli_live_stop(l, l->fatal_code);
	}
	return rel;
}

/* Caller owns the returned array. */
json_t *cli_live_values(const struct cli_live *l, enum cli_live_store i)
{
	json_t *a = json_array();
	const char *k;
	json_t *v;
	json_object_foreach(l->objs[i], k, v)
	{
		json_array_append(a, v);
	}
	return a;
}

bool cli_live_synced(const struct cli_live *l)
{
	for (int i = 0; i < CLI_LIVE_N; i++)
		if (l->w[i] && !l->synced[i])
			return false;
	return true;
}

void cli_live_free(struct cli_live *l)
{
	for (int i = 0; i < CLI_LIVE_N; i++) {
		l->w[i] = kc_watch_free(l->w[i]);
		json_decref(l->objs[i]);
		l->objs[i] = NULL;
	}
	ev_timer_stop(l->c->loop, &l->deadline);
	ev_signal_stop(l->c->loop, &l->sigint);
}

int cli_live_run(struct cli_live *l)
{
	while (!l->done)
		ev_run(l->c->loop, EVRUN_ONCE);
	cli_live_free(l);
	return l->exit_code;
}
