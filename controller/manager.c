#include "controller/manager.h"

#include <errno.h>
#include <stdlib.h>

struct ctl_manager {
	struct ctl_manager_options opts;
	struct ctl_informers *informers;
	struct ctl_runtime **controllers;
	size_t n;
};

int ctl_manager_new(const struct ctl_manager_options *opts, struct ctl_manager **ret,
                    struct kc_error *err)
{
	if (!opts->client)
		return kc_error_set(err, -EINVAL, "manager: a client is required");
	struct ctl_manager *m = calloc(1, sizeof(*m));
	if (!m)
		return kc_error_set(err, -ENOMEM, "manager: out of memory");
	m->opts = *opts;
	int r = ctl_informers_new(opts->client, opts->namespaces, &m->informers);
	if (r < 0) {
		free(m);
		return kc_error_set(err, r, "manager: out of memory");
	}
	*ret = m;
	return 0;
}

int ctl_manager_add(struct ctl_manager *m, const struct ctl_runtime_options *opts,
                    struct ctl_runtime **ret, struct kc_error *err)
{
	struct ctl_runtime **items = realloc(m->controllers, (m->n + 1) * sizeof(*items));
	if (!items)
		return kc_error_set(err, -ENOMEM, "manager: out of memory");
	m->controllers = items;
	struct ctl_runtime_options o = *opts;
	o.client = m->opts.client;
	o.informers = m->informers;
	if (!o.events)
		o.events = m->opts.events;
	if (!o.field_manager)
		o.field_manager = m->opts.field_manager;
	if (!o.may_write) {
		o.may_write = m->opts.may_write;
		o.may_write_userdata = m->opts.may_write_userdata;
	}
	struct ctl_runtime *rt;
	int r = ctl_runtime_new(&o, &rt, err);
	if (r < 0)
		return r;
	m->controllers[m->n++] = rt;
	if (ret)
		*ret = rt;
	return 0;
}

struct ctl_informers *ctl_manager_informers(const struct ctl_manager *m)
{
	return m->informers;
}

int ctl_manager_start(struct ctl_manager *m)
{
	return ctl_informers_start(m->informers);
}

bool ctl_manager_synced(const struct ctl_manager *m)
{
	return ctl_informers_synced(m->informers);
}

int ctl_manager_start_leading(struct ctl_manager *m)
{
	for (size_t i = 0; i < m->n; i++) {
		int r = ctl_runtime_start_leading(m->controllers[i]);
		if (r < 0)
			return r;
	}
	return 0;
}

void ctl_manager_stop_leading(struct ctl_manager *m)
{
	for (size_t i = 0; i < m->n; i++)
		ctl_runtime_stop_leading(m->controllers[i]);
}

void ctl_manager_drain(struct ctl_manager *m)
{
	for (size_t i = 0; i < m->n; i++)
		ctl_runtime_drain(m->controllers[i]);
}

size_t ctl_manager_in_flight(const struct ctl_manager *m)
{
	size_t n = 0;
	for (size_t i = 0; i < m->n; i++)
		n += ctl_runtime_in_flight(m->controllers[i]);
	return n;
}

size_t ctl_manager_len(const struct ctl_manager *m)
{
	return m->n;
}

struct ctl_runtime *ctl_manager_at(const struct ctl_manager *m, size_t i)
{
	return i < m->n ? m->controllers[i] : NULL;
}

struct ctl_manager *ctl_manager_free(struct ctl_manager *m)
{
	if (!m)
		return NULL;
	/* Watches first: no handler may run into a freed controller. */
	m->informers = ctl_informers_free(m->informers);
	for (size_t i = 0; i < m->n; i++)
		ctl_runtime_free(m->controllers[i]);
	free(m->controllers);
	free(m);
	return NULL;
}
