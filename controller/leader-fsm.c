/*
 * The decisions of leader election (controller/leader.h): a pure state
 * machine, plus the pure helpers that build the Lease we write and judge the
 * Lease we read. No I/O, no clock: time arrives in every event.
 */
#include "controller/leader.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "model/api.h"

int ctl_leader_check_durations(double lease_duration, double renew_deadline, double retry_period)
{
	if (!(retry_period > 0) || !(renew_deadline > CTL_LEADER_JITTER * retry_period) ||
	    !(lease_duration > renew_deadline) || !isfinite(lease_duration) ||
	    lease_duration > 86400.0)
		return -EINVAL;
	return 0;
}

bool ctl_leader_fsm_leading(const struct ctl_leader_fsm *f, double now)
{
	return f->state == CTL_LEADER_LEADING && now < f->renewed_at + f->renew_deadline;
}

/* Records an observation of the Lease. Only a change of spec moves the
 * observation time: the holder's own clock (renewTime) is never read. */
static void observe(struct ctl_leader_fsm *f, const struct ctl_lease_view *v, double now)
{
	if (!f->observed || v->changed)
		f->observed_time = now;
	f->observed = true;
	f->observed_ours = v->ours;
	f->observed_empty = v->empty;
	f->observed_duration = v->duration > 0 ? v->duration : f->lease_duration;
	f->maybe_ours = v->ours;
}

static bool held_by_other(const struct ctl_leader_fsm *f, double now)
{
	return f->observed && !f->observed_empty && !f->observed_ours &&
	       now < f->observed_time + f->observed_duration;
}

/* A candidate's pause before its next read: the jittered retry period, or
 * less when the lease we wait for expires sooner, so the takeover happens
 * when the lease expires rather than up to a retry period later. */
static struct ctl_leader_step candidate_wait(const struct ctl_leader_fsm *f,
                                             const struct ctl_leader_event *ev)
{
	struct ctl_leader_step s = {.action = CTL_LEADER_DO_WAIT};
	s.wait = f->retry_period * (1.0 + CTL_LEADER_JITTER * ev->rand01);
	if (held_by_other(f, ev->now)) {
		double left = f->observed_time + f->observed_duration - ev->now;
		if (left < s.wait)
			s.wait = left;
	}
	return s;
}

static struct ctl_leader_step write_step(struct ctl_leader_fsm *f, enum ctl_leader_action a,
                                         double now, double timeout)
{
	f->attempt_at = now;
	/* From the moment a write is sent it may land, whatever we hear back. */
	if (a != CTL_LEADER_DO_RELEASE)
		f->maybe_ours = true;
	return (struct ctl_leader_step){.action = a, .timeout = timeout};
}

static struct ctl_leader_step candidate_got(struct ctl_leader_fsm *f,
                                            const struct ctl_leader_event *ev)
{
	observe(f, &ev->lease, ev->now);
	if (held_by_other(f, ev->now))
		return candidate_wait(f, ev);
	/* Free, expired, or still ours (a renewal that landed after we gave up):
	 * take it, with the resourceVersion just read as the precondition. */
	return write_step(f, CTL_LEADER_DO_ACQUIRE, ev->now, f->renew_deadline);
}

static struct ctl_leader_step candidate(struct ctl_leader_fsm *f, const struct ctl_leader_event *ev)
{
	struct ctl_leader_step s = {0};
	switch (ev->in) {
	case CTL_LEADER_IN_TICK:
		s.action = CTL_LEADER_DO_GET;
		s.timeout = f->renew_deadline;
		return s;
	case CTL_LEADER_IN_GOT:
		return candidate_got(f, ev);
	case CTL_LEADER_IN_NOT_FOUND:
		f->observed = false;
		f->maybe_ours = false;
		return write_step(f, CTL_LEADER_DO_CREATE, ev->now, f->renew_deadline);
	case CTL_LEADER_IN_GET_FAILED:
	case CTL_LEADER_IN_WRITE_FAILED:
		return candidate_wait(f, ev);
	case CTL_LEADER_IN_CONFLICT:
		/* Somebody wrote first: read what they wrote before deciding again. */
		s.action = CTL_LEADER_DO_GET;
		s.timeout = f->renew_deadline;
		return s;
	case CTL_LEADER_IN_WRITTEN:
		observe(f, &ev->lease, ev->now);
		f->state = CTL_LEADER_LEADING;
		f->renewed_at = f->attempt_at;
		f->slow = false;
		if (!ctl_leader_fsm_leading(f, ev->now)) {
			/* The answer came so late that the lease may already look
			 * expired to others: do not start leading on it. */
			f->state = CTL_LEADER_CANDIDATE;
			return candidate_wait(f, ev);
		}
		s.action = CTL_LEADER_DO_WAIT;
		s.wait = f->retry_period;
		s.started_leading = true;
		return s;
	case CTL_LEADER_IN_RELEASE:
		if (f->maybe_ours) {
			/* A write of ours may have landed: read, and give it up if so. */
			f->state = CTL_LEADER_RELEASING;
			s.action = CTL_LEADER_DO_GET;
			s.timeout = f->renew_deadline;
			return s;
		}
		f->state = CTL_LEADER_STOPPED;
		s.action = CTL_LEADER_DO_FINISH;
		return s;
	default:
		return s;
	}
}

/* Stops leading and handles ev as a candidate would. */
static struct ctl_leader_step lose(struct ctl_leader_fsm *f, const struct ctl_leader_event *ev)
{
	f->state = CTL_LEADER_CANDIDATE;
	struct ctl_leader_step s;
	if (ev->in == CTL_LEADER_IN_GOT || ev->in == CTL_LEADER_IN_NOT_FOUND)
		s = candidate(f, ev);
	else
		s = candidate_wait(f, ev);
	s.stopped_leading = true;
	return s;
}

static struct ctl_leader_step leading(struct ctl_leader_fsm *f, const struct ctl_leader_event *ev)
{
	struct ctl_leader_step s = {0};
	double deadline = f->renewed_at + f->renew_deadline;

	if (ev->in == CTL_LEADER_IN_RELEASE) {
		f->state = CTL_LEADER_RELEASING;
		s = write_step(f, CTL_LEADER_DO_RELEASE, ev->now, f->renew_deadline);
		s.stopped_leading = true;
		return s;
	}
	if (ev->in == CTL_LEADER_IN_WRITTEN) {
		/* The write started at attempt_at; the server committed it later. */
		f->renewed_at = f->attempt_at;
		f->slow = false;
		observe(f, &ev->lease, ev->now);
		if (!ctl_leader_fsm_leading(f, ev->now))
			return lose(f, ev);
		s.action = CTL_LEADER_DO_WAIT;
		s.wait = f->retry_period;
		return s;
	}
	/* Whatever else happened, past the deadline we no longer lead. (A
	 * deadline timer that fires early changes nothing: the glue re-arms it.) */
	if (ev->now >= deadline)
		return lose(f, ev);

	switch (ev->in) {
	case CTL_LEADER_IN_TICK:
		f->slow = false;
		return write_step(f, CTL_LEADER_DO_RENEW, ev->now, deadline - ev->now);
	case CTL_LEADER_IN_CONFLICT:
	case CTL_LEADER_IN_WRITE_FAILED:
		if (f->slow) {
			s.action = CTL_LEADER_DO_WAIT;
			s.wait = f->retry_period;
			return s;
		}
		/* The fast path failed: read the Lease and renew from that. */
		f->slow = true;
		s.action = CTL_LEADER_DO_GET;
		s.timeout = deadline - ev->now;
		return s;
	case CTL_LEADER_IN_GOT:
		if (!ev->lease.ours)
			return lose(f, ev); /* taken over, or released by somebody */
		observe(f, &ev->lease, ev->now);
		f->slow = true;
		return write_step(f, CTL_LEADER_DO_ACQUIRE, ev->now, deadline - ev->now);
	case CTL_LEADER_IN_NOT_FOUND:
		return lose(f, ev); /* deleted under us: campaign afresh */
	case CTL_LEADER_IN_GET_FAILED:
		s.action = CTL_LEADER_DO_WAIT;
		s.wait = f->retry_period;
		return s;
	default:
		return s;
	}
}

static struct ctl_leader_step releasing(struct ctl_leader_fsm *f, const struct ctl_leader_event *ev)
{
	struct ctl_leader_step s = {0};
	switch (ev->in) {
	case CTL_LEADER_IN_CONFLICT:
		/* Our last write landed after all (or someone else wrote): re-read. */
		s.action = CTL_LEADER_DO_GET;
		s.timeout = f->renew_deadline;
		return s;
	case CTL_LEADER_IN_GOT:
		observe(f, &ev->lease, ev->now);
		if (ev->lease.ours)
			return write_step(f, CTL_LEADER_DO_RELEASE, ev->now, f->renew_deadline);
		break;
	case CTL_LEADER_IN_WRITTEN:
		f->maybe_ours = false;
		break;
	case CTL_LEADER_IN_NOT_FOUND:
	case CTL_LEADER_IN_GET_FAILED:
	case CTL_LEADER_IN_WRITE_FAILED:
	case CTL_LEADER_IN_STOP:
		break;
	default:
		return s;
	}
	f->state = CTL_LEADER_STOPPED;
	s.action = CTL_LEADER_DO_FINISH;
	return s;
}

struct ctl_leader_step ctl_leader_step(struct ctl_leader_fsm *f, const struct ctl_leader_event *ev)
{
	struct ctl_leader_step s = {0};

	if (ev->in == CTL_LEADER_IN_STOP && f->state != CTL_LEADER_STOPPED &&
	    f->state != CTL_LEADER_RELEASING) {
		f->state = CTL_LEADER_STOPPED;
		s.action = CTL_LEADER_DO_FINISH;
		return s;
	}
	switch (f->state) {
	case CTL_LEADER_IDLE:
		if (ev->in == CTL_LEADER_IN_START) {
			f->state = CTL_LEADER_CANDIDATE;
			s.action = CTL_LEADER_DO_GET;
			s.timeout = f->renew_deadline;
		} else if (ev->in == CTL_LEADER_IN_RELEASE) {
			f->state = CTL_LEADER_STOPPED;
			s.action = CTL_LEADER_DO_FINISH;
		}
		return s;
	case CTL_LEADER_CANDIDATE:
		return candidate(f, ev);
	case CTL_LEADER_LEADING:
		return leading(f, ev);
	case CTL_LEADER_RELEASING:
		return releasing(f, ev);
	case CTL_LEADER_STOPPED:
		return s;
	}
	return s;
}

/* ---- Lease bodies ------------------------------------------------------ */

static const char *holder_of(const json_t *lease)
{
	const char *h =
	    json_string_value(json_object_get(json_object_get(lease, "spec"), "holderIdentity"));
	return h ? h : "";
}

/* Makes obj's MODEL_ANNOTATION_CONTROLLER_VERSION say `version`, or removes
 * it when version is NULL: the annotation describes the holder, so a holder
 * that publishes none (or no holder) must not inherit the last one's. */
static int set_version_annotation(json_t *obj, const char *version)
{
	json_t *meta = json_object_get(obj, "metadata");
	json_t *ann = json_object_get(meta, "annotations");
	if (!version) {
		json_object_del(ann, MODEL_ANNOTATION_CONTROLLER_VERSION);
		return 0;
	}
	if (!json_is_object(ann)) {
		ann = json_object();
		if (json_object_set_new(meta, "annotations", ann) != 0)
			return -ENOMEM;
	}
	if (json_object_set_new(ann, MODEL_ANNOTATION_CONTROLLER_VERSION, json_string(version)) !=
	    0)
		return -ENOMEM;
	return 0;
}

int ctl_leader_lease_body(enum ctl_leader_action action, const char *ns, const char *name,
                          const char *identity, const char *version, int lease_seconds,
                          const char *wall, const json_t *base, json_t **ret)
{
	bool create = action == CTL_LEADER_DO_CREATE;
	bool release = action == CTL_LEADER_DO_RELEASE;
	if (!create && !release && action != CTL_LEADER_DO_ACQUIRE && action != CTL_LEADER_DO_RENEW)
		return -EINVAL;
	if ((!create && !json_is_object(base)) || !ns || !name || !identity || !wall)
		return -EINVAL;

	json_t *obj;
	if (create)
		obj = json_pack("{s:s++, s:s, s:{s:s, s:s}}", "apiVersion", model_lease_gvk.group,
		                "/", model_lease_gvk.version, "kind", model_lease_gvk.kind,
		                "metadata", "name", name, "namespace", ns);
	else
		obj = json_deep_copy(base);
	json_t *spec = json_object();
	if (!obj || !spec)
		goto nomem;

	const json_t *old = create ? NULL : json_object_get(base, "spec");
	const char *old_holder = create ? "" : holder_of(base);
	const char *new_holder = release ? "" : identity;
	json_int_t transitions = json_integer_value(json_object_get(old, "leaseTransitions"));
	bool same = strcmp(old_holder, new_holder) == 0;
	/* Counted when a new holder takes the lease; giving it up is not a
	 * transition (client-go's release keeps the count). */
	if (!create && !same && !release)
		transitions++;
	json_t *acquired = json_object_get(old, "acquireTime");

	bool keep_acquired = same && json_is_string(acquired) && !release;
	bool built =
	    json_object_set_new(spec, "holderIdentity", json_string(new_holder)) == 0 &&
	    json_object_set_new(spec, "leaseDurationSeconds",
	                        json_integer(release ? 1 : lease_seconds)) == 0 &&
	    (keep_acquired ? json_object_set(spec, "acquireTime", acquired)
	                   : json_object_set_new(spec, "acquireTime", json_string(wall))) == 0 &&
	    json_object_set_new(spec, "renewTime", json_string(wall)) == 0 &&
	    json_object_set_new(spec, "leaseTransitions", json_integer(transitions)) == 0;
	if (!built || json_object_set_new(obj, "spec", spec) != 0) {
		spec = NULL;
		goto nomem;
	}
	spec = NULL;
	if (set_version_annotation(obj, release ? NULL : version) < 0)
		goto nomem;
	*ret = obj;
	return 0;
nomem:
	json_decref(spec);
	json_decref(obj);
	return -ENOMEM;
}

struct ctl_lease_view ctl_leader_view(const json_t *lease, const char *identity,
                                      const json_t *prev_spec)
{
	struct ctl_lease_view v = {0};
	const json_t *spec = json_object_get(lease, "spec");
	const char *h = holder_of(lease);
	v.empty = h[0] == '\0';
	v.ours = !v.empty && strcmp(h, identity) == 0;
	v.changed = !prev_spec || !json_equal((json_t *)spec, (json_t *)prev_spec);
	json_t *d = json_object_get(spec, "leaseDurationSeconds");
	v.duration = json_is_integer(d) ? (double)json_integer_value(d) : 0;
	return v;
}

int ctl_leader_format_time(const struct timespec *ts, char *buf, size_t cap)
{
	struct tm tm;
	if (!ts || ts->tv_nsec < 0 || ts->tv_nsec >= 1000000000L || !gmtime_r(&ts->tv_sec, &tm))
		return -EINVAL;
	int n = snprintf(buf, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", tm.tm_year + 1900,
	                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
	                 ts->tv_nsec / 1000);
	if (n < 0 || (size_t)n >= cap || tm.tm_year + 1900 > 9999 || tm.tm_year + 1900 < 0)
		return -EINVAL;
	return 0;
}

const char *ctl_leader_state_name(enum ctl_leader_state s)
{
	switch (s) {
	case CTL_LEADER_IDLE:
		return "idle";
	case CTL_LEADER_CANDIDATE:
		return "candidate";
	case CTL_LEADER_LEADING:
		return "leading";
	case CTL_LEADER_RELEASING:
		return "releasing";
	case CTL_LEADER_STOPPED:
		return "stopped";
	}
	return "?";
}

const char *ctl_leader_input_name(enum ctl_leader_input in)
{
	static const char *const names[] = {
	    [CTL_LEADER_IN_START] = "start",
	    [CTL_LEADER_IN_TICK] = "tick",
	    [CTL_LEADER_IN_GOT] = "got",
	    [CTL_LEADER_IN_NOT_FOUND] = "not-found",
	    [CTL_LEADER_IN_GET_FAILED] = "get-failed",
	    [CTL_LEADER_IN_WRITTEN] = "written",
	    [CTL_LEADER_IN_CONFLICT] = "conflict",
	    [CTL_LEADER_IN_WRITE_FAILED] = "write-failed",
	    [CTL_LEADER_IN_DEADLINE] = "deadline",
	    [CTL_LEADER_IN_RELEASE] = "release",
	    [CTL_LEADER_IN_STOP] = "stop",
	};
	if ((unsigned)in < sizeof(names) / sizeof(names[0]) && names[in])
		return names[in];
	return "?";
}

const char *ctl_leader_action_name(enum ctl_leader_action a)
{
	static const char *const names[] = {
	    [CTL_LEADER_DO_NOTHING] = "nothing", [CTL_LEADER_DO_WAIT] = "wait",
	    [CTL_LEADER_DO_GET] = "get",         [CTL_LEADER_DO_CREATE] = "create",
	    [CTL_LEADER_DO_ACQUIRE] = "acquire", [CTL_LEADER_DO_RENEW] = "renew",
	    [CTL_LEADER_DO_RELEASE] = "release", [CTL_LEADER_DO_FINISH] = "finish",
	};
	if ((unsigned)a < sizeof(names) / sizeof(names[0]) && names[a])
		return names[a];
	return "?";
}
