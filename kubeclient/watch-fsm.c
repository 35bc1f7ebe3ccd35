/* The pure half of kubeclient/watch.h: the state machine. No I/O, no clock.
 * A file of its own so the table test links without the HTTP client. */
#include "kubeclient/watch.h"

static struct kc_watch_step act(enum kc_watch_action a)
{
	return (struct kc_watch_step){.action = a, .backoff_failures = 0};
}

/* A relist is any list but the one a START asks for: after a Gone, a bad
 * event, a failed list, or the Gone that ends a resumed watch. */
static struct kc_watch_step start_list(struct kc_watch_fsm *fsm, bool is_relist)
{
	fsm->state = KC_WATCH_LISTING;
	if (is_relist)
		fsm->relists++;
	fsm->lists++;
	return act(KC_WATCH_DO_LIST);
}

static struct kc_watch_step start_watch(struct kc_watch_fsm *fsm, double now, bool after_list)
{
	fsm->state = KC_WATCH_WATCHING;
	fsm->watch_since = now;
	if (!after_list)
		fsm->restarts++;
	fsm->watches++;
	return act(after_list ? KC_WATCH_DO_REPLACE_AND_WATCH : KC_WATCH_DO_WATCH);
}

static struct kc_watch_step wait(struct kc_watch_fsm *fsm, enum kc_watch_state then,
                                 unsigned failures)
{
	fsm->state = then;
	return (struct kc_watch_step){.action = KC_WATCH_DO_WAIT, .backoff_failures = failures};
}

/* The resourceVersion is gone or the stream untrustworthy: list again. The
 * first time after a healthy spell it lists at once (a compaction while we
 * were away is routine); when that keeps happening it backs off like any
 * failure, so a server that answers every watch with 410 is not hammered
 * with full lists. */
static struct kc_watch_step relist(struct kc_watch_fsm *fsm)
{
	unsigned before = fsm->failures;
	fsm->failures++;
	if (before == 0)
		return start_list(fsm, true);
	return wait(fsm, KC_WATCH_LIST_BACKOFF, before);
}

/* A watch request is over. A watch that lived past the healthy period wipes
 * the failure history: what happens now is a new, first failure. */
static bool watch_over(struct kc_watch_fsm *fsm, double now)
{
	double healthy = fsm->healthy_after > 0 ? fsm->healthy_after : KC_WATCH_HEALTHY_SECONDS;
	if (now - fsm->watch_since < healthy)
		return false;
	fsm->failures = 0;
	return true;
}

struct kc_watch_step kc_watch_step(struct kc_watch_fsm *fsm, enum kc_watch_input in, double now)
{
	if (in == KC_WATCH_IN_STOP) {
		if (fsm->state == KC_WATCH_STOPPED)
			return act(KC_WATCH_DO_NOTHING);
		fsm->state = KC_WATCH_STOPPED;
		return act(KC_WATCH_DO_CANCEL);
	}

	switch (fsm->state) {
	case KC_WATCH_IDLE:
		if (in == KC_WATCH_IN_START)
			return start_list(fsm, false);
		if (in == KC_WATCH_IN_RESUME)
			return start_watch(fsm, now, false);
		break;

	case KC_WATCH_LISTING:
		if (in == KC_WATCH_IN_LISTED) {
			fsm->synced = true;
			return start_watch(fsm, now, true);
		}
		if (in == KC_WATCH_IN_LIST_FAILED) {
			fsm->failures++;
			return wait(fsm, KC_WATCH_LIST_BACKOFF, fsm->failures);
		}
		/* A list's 410 is its continue token expiring between pages. */
		if (in == KC_WATCH_IN_GONE)
			return relist(fsm);
		break;

	case KC_WATCH_LIST_BACKOFF:
		if (in == KC_WATCH_IN_TIMER)
			return start_list(fsm, true);
		break;

	case KC_WATCH_WATCHING:
		switch (in) {
		case KC_WATCH_IN_EVENT:
			return act(KC_WATCH_DO_DELIVER);
		case KC_WATCH_IN_BOOKMARK:
			return act(KC_WATCH_DO_NOTHING);
		case KC_WATCH_IN_GONE:
		case KC_WATCH_IN_BAD_EVENT:
			(void)watch_over(fsm, now);
			return relist(fsm);
		case KC_WATCH_IN_WATCH_ENDED:
			/* The server's timeout after a healthy spell: the normal case,
			 * resume at once. A stream that ends early (an API server shutting
			 * down, a proxy cutting it) is a failure, so a server that closes
			 * every watch at once is not hammered. */
			if (watch_over(fsm, now))
				return start_watch(fsm, now, false);
			fsm->failures++;
			return wait(fsm, KC_WATCH_WATCH_BACKOFF, fsm->failures);
		case KC_WATCH_IN_WATCH_FAILED:
			(void)watch_over(fsm, now);
			fsm->failures++;
			return wait(fsm, KC_WATCH_WATCH_BACKOFF, fsm->failures);
		default:
			break;
		}
		break;

	case KC_WATCH_WATCH_BACKOFF:
		if (in == KC_WATCH_IN_TIMER)
			return start_watch(fsm, now, false);
		break;

	case KC_WATCH_STOPPED:
		break;
	}
	return act(KC_WATCH_DO_NOTHING);
}

const char *kc_watch_state_name(enum kc_watch_state s)
{
	switch (s) {
	case KC_WATCH_IDLE:
		return "Idle";
	case KC_WATCH_LISTING:
		return "Listing";
	case KC_WATCH_LIST_BACKOFF:
		return "ListBackoff";
	case KC_WATCH_WATCHING:
		return "Watching";
	case KC_WATCH_WATCH_BACKOFF:
		return "WatchBackoff";
	case KC_WATCH_STOPPED:
		return "Stopped";
	}
	return "?";
}

const char *kc_watch_input_name(enum kc_watch_input in)
{
	switch (in) {
	case KC_WATCH_IN_START:
		return "Start";
	case KC_WATCH_IN_RESUME:
		return "Resume";
	case KC_WATCH_IN_LISTED:
		return "Listed";
	case KC_WATCH_IN_LIST_FAILED:
		return "ListFailed";
	case KC_WATCH_IN_EVENT:
		return "Event";
	case KC_WATCH_IN_BOOKMARK:
		return "Bookmark";
	case KC_WATCH_IN_GONE:
		return "Gone";
	case KC_WATCH_IN_BAD_EVENT:
		return "BadEvent";
	case KC_WATCH_IN_WATCH_FAILED:
		return "WatchFailed";
	case KC_WATCH_IN_WATCH_ENDED:
		return "WatchEnded";
	case KC_WATCH_IN_TIMER:
		return "Timer";
	case KC_WATCH_IN_STOP:
		return "Stop";
	}
	return "?";
}

const char *kc_watch_action_name(enum kc_watch_action a)
{
	switch (a) {
	case KC_WATCH_DO_NOTHING:
		return "Nothing";
	case KC_WATCH_DO_LIST:
		return "List";
	case KC_WATCH_DO_REPLACE_AND_WATCH:
		return "ReplaceAndWatch";
	case KC_WATCH_DO_DELIVER:
		return "Deliver";
	case KC_WATCH_DO_WATCH:
		return "Watch";
	case KC_WATCH_DO_WAIT:
		return "Wait";
	case KC_WATCH_DO_CANCEL:
		return "Cancel";
	}
	return "?";
}
