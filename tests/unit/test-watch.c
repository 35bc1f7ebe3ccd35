#include "tap.h"

#include <string.h>

#include "kubeclient/watch.h"

#define IDLE  KC_WATCH_IDLE
#define LIST  KC_WATCH_LISTING
#define LBACK KC_WATCH_LIST_BACKOFF
#define WATCH KC_WATCH_WATCHING
#define WBACK KC_WATCH_WATCH_BACKOFF
#define STOP  KC_WATCH_STOPPED

/* One situation: the machine before (state, failures, when the watch began,
 * lists so far), the input at `now`, and everything expected after. */
struct row {
	const char *why;
	enum kc_watch_state state;
	unsigned failures;
	double since;
	unsigned long lists;
	enum kc_watch_input in;
	double now;
	enum kc_watch_state want_state;
	enum kc_watch_action want_action;
	unsigned want_backoff; /* for DO_WAIT */
	unsigned want_failures;
	unsigned long want_relists; /* relists/restarts start at 0 in every row */
	unsigned long want_restarts;
};

static const struct row rows[] = {
    /* Starting. */
    {"start lists", IDLE, 0, 0, 0, KC_WATCH_IN_START, 0, LIST, KC_WATCH_DO_LIST, 0, 0, 0, 0},
    {"resume from a kept resourceVersion watches without listing", IDLE, 0, 0, 0,
     KC_WATCH_IN_RESUME, 5, WATCH, KC_WATCH_DO_WATCH, 0, 0, 0, 1},
    {"a resumed watch whose resourceVersion is gone lists: a relist", WATCH, 0, 5, 0,
     KC_WATCH_IN_GONE, 6, LIST, KC_WATCH_DO_LIST, 0, 1, 1, 0},
    {"an event before start is ignored", IDLE, 0, 0, 0, KC_WATCH_IN_EVENT, 0, IDLE,
     KC_WATCH_DO_NOTHING, 0, 0, 0, 0},

    /* Listing. */
    {"list done: replace, then watch from its resourceVersion", LIST, 0, 0, 1, KC_WATCH_IN_LISTED,
     10, WATCH, KC_WATCH_DO_REPLACE_AND_WATCH, 0, 0, 0, 0},
    {"list done after failures: the failures are kept (no reset before a healthy watch)", LIST, 3,
     0, 4, KC_WATCH_IN_LISTED, 10, WATCH, KC_WATCH_DO_REPLACE_AND_WATCH, 0, 3, 0, 0},
    {"list failed: back off 800 ms", LIST, 0, 0, 1, KC_WATCH_IN_LIST_FAILED, 1, LBACK,
     KC_WATCH_DO_WAIT, 1, 1, 0, 0},
    {"list failed again: the backoff grows", LIST, 4, 0, 5, KC_WATCH_IN_LIST_FAILED, 1, LBACK,
     KC_WATCH_DO_WAIT, 5, 5, 0, 0},
    {"continue token expired (410) mid-list: list again at once", LIST, 0, 0, 1, KC_WATCH_IN_GONE,
     1, LIST, KC_WATCH_DO_LIST, 0, 1, 1, 0},
    {"continue token expired while failing: list again after a backoff", LIST, 2, 0, 3,
     KC_WATCH_IN_GONE, 1, LBACK, KC_WATCH_DO_WAIT, 2, 3, 0, 0},
    {"a watch end while listing is stale and ignored", LIST, 0, 0, 1, KC_WATCH_IN_WATCH_ENDED, 1,
     LIST, KC_WATCH_DO_NOTHING, 0, 0, 0, 0},
    {"list backoff over: list again, counted as a relist", LBACK, 1, 0, 1, KC_WATCH_IN_TIMER, 2,
     LIST, KC_WATCH_DO_LIST, 0, 1, 1, 0},
    {"an event while waiting to list is ignored", LBACK, 1, 0, 1, KC_WATCH_IN_EVENT, 2, LBACK,
     KC_WATCH_DO_NOTHING, 0, 1, 0, 0},

    /* Watching: events. */
    {"event: deliver", WATCH, 0, 0, 1, KC_WATCH_IN_EVENT, 3, WATCH, KC_WATCH_DO_DELIVER, 0, 0, 0,
     0},
    {"bookmark: nothing to deliver", WATCH, 0, 0, 1, KC_WATCH_IN_BOOKMARK, 3, WATCH,
     KC_WATCH_DO_NOTHING, 0, 0, 0, 0},
    {"a timer while watching is stale and ignored", WATCH, 0, 0, 1, KC_WATCH_IN_TIMER, 3, WATCH,
     KC_WATCH_DO_NOTHING, 0, 0, 0, 0},

    /* Watching: clean ends. */
    {"server timeout after a healthy spell: re-watch at once", WATCH, 0, 100, 1,
     KC_WATCH_IN_WATCH_ENDED, 400, WATCH, KC_WATCH_DO_WATCH, 0, 0, 0, 1},
    {"healthy spell wipes old failures: re-watch at once", WATCH, 6, 100, 1,
     KC_WATCH_IN_WATCH_ENDED, 160, WATCH, KC_WATCH_DO_WATCH, 0, 0, 0, 1},
    {"stream ended after 10 s (server shutting down): back off 800 ms", WATCH, 0, 100, 1,
     KC_WATCH_IN_WATCH_ENDED, 110, WBACK, KC_WATCH_DO_WAIT, 1, 1, 0, 0},
    {"stream ends early again: back off longer", WATCH, 2, 100, 1, KC_WATCH_IN_WATCH_ENDED, 101,
     WBACK, KC_WATCH_DO_WAIT, 3, 3, 0, 0},

    /* Watching: failures. */
    {"transport error: re-watch from the last resourceVersion after 800 ms", WATCH, 0, 100, 1,
     KC_WATCH_IN_WATCH_FAILED, 105, WBACK, KC_WATCH_DO_WAIT, 1, 1, 0, 0},
    {"transport error while failing: longer backoff", WATCH, 5, 100, 1, KC_WATCH_IN_WATCH_FAILED,
     105, WBACK, KC_WATCH_DO_WAIT, 6, 6, 0, 0},
    {"transport error after 60 s healthy: backoff starts over at 800 ms", WATCH, 5, 100, 1,
     KC_WATCH_IN_WATCH_FAILED, 160, WBACK, KC_WATCH_DO_WAIT, 1, 1, 0, 0},
    {"59 s is not yet healthy", WATCH, 5, 100, 1, KC_WATCH_IN_WATCH_FAILED, 159, WBACK,
     KC_WATCH_DO_WAIT, 6, 6, 0, 0},
    {"watch backoff over: watch again, counted as a restart", WBACK, 1, 100, 1, KC_WATCH_IN_TIMER,
     106, WATCH, KC_WATCH_DO_WATCH, 0, 1, 0, 1},

    /* Watching: Gone and untrustworthy streams. */
    {"410 Gone: relist at once", WATCH, 0, 100, 1, KC_WATCH_IN_GONE, 105, LIST, KC_WATCH_DO_LIST, 0,
     1, 1, 0},
    {"410 Gone after a healthy spell with old failures: relist at once", WATCH, 4, 100, 1,
     KC_WATCH_IN_GONE, 500, LIST, KC_WATCH_DO_LIST, 0, 1, 1, 0},
    {"410 again right after relisting: back off before the next list", WATCH, 1, 100, 2,
     KC_WATCH_IN_GONE, 101, LBACK, KC_WATCH_DO_WAIT, 1, 2, 0, 0},
    {"oversized or malformed event: relist", WATCH, 0, 100, 1, KC_WATCH_IN_BAD_EVENT, 105, LIST,
     KC_WATCH_DO_LIST, 0, 1, 1, 0},
    {"bad events that keep coming: backoff", WATCH, 3, 100, 4, KC_WATCH_IN_BAD_EVENT, 105, LBACK,
     KC_WATCH_DO_WAIT, 3, 4, 0, 0},
    {"Gone while waiting to re-watch is stale and ignored", WBACK, 1, 100, 1, KC_WATCH_IN_GONE, 105,
     WBACK, KC_WATCH_DO_NOTHING, 0, 1, 0, 0},

    /* Stopping, from every state. */
    {"stop while idle", IDLE, 0, 0, 0, KC_WATCH_IN_STOP, 1, STOP, KC_WATCH_DO_CANCEL, 0, 0, 0, 0},
    {"stop while listing", LIST, 0, 0, 1, KC_WATCH_IN_STOP, 1, STOP, KC_WATCH_DO_CANCEL, 0, 0, 0,
     0},
    {"stop while waiting to list", LBACK, 2, 0, 1, KC_WATCH_IN_STOP, 1, STOP, KC_WATCH_DO_CANCEL, 0,
     2, 0, 0},
    {"stop while watching", WATCH, 0, 0, 1, KC_WATCH_IN_STOP, 1, STOP, KC_WATCH_DO_CANCEL, 0, 0, 0,
     0},
    {"stop while waiting to watch", WBACK, 1, 0, 1, KC_WATCH_IN_STOP, 1, STOP, KC_WATCH_DO_CANCEL,
     0, 1, 0, 0},
    {"stop twice: nothing more to cancel", STOP, 0, 0, 1, KC_WATCH_IN_STOP, 1, STOP,
     KC_WATCH_DO_NOTHING, 0, 0, 0, 0},
    {"stopped is final: a timer does nothing", STOP, 0, 0, 1, KC_WATCH_IN_TIMER, 1, STOP,
     KC_WATCH_DO_NOTHING, 0, 0, 0, 0},
    {"stopped is final: start does nothing", STOP, 0, 0, 1, KC_WATCH_IN_START, 1, STOP,
     KC_WATCH_DO_NOTHING, 0, 0, 0, 0},
};

static void test_table(void)
{
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];
		struct kc_watch_fsm fsm = {
		    .state = r->state,
		    .failures = r->failures,
		    .watch_since = r->since,
		    .lists = r->lists,
		};
		struct kc_watch_step step = kc_watch_step(&fsm, r->in, r->now);
		bool pass =
		    fsm.state == r->want_state && step.action == r->want_action &&
		    (step.action != KC_WATCH_DO_WAIT || step.backoff_failures == r->want_backoff) &&
		    fsm.failures == r->want_failures && fsm.relists == r->want_relists &&
		    fsm.restarts == r->want_restarts;
		ok(pass, "%s", r->why);
		if (!pass)
			tap_diag(
			    "%s + %s: got %s/%s backoff %u failures %u relists %lu restarts %lu",
			    kc_watch_state_name(r->state), kc_watch_input_name(r->in),
			    kc_watch_state_name(fsm.state), kc_watch_action_name(step.action),
			    step.backoff_failures, fsm.failures, fsm.relists, fsm.restarts);
	}
}

/* Whole histories: what a watch does across an API server outage. */
static void test_outage(void)
{
	struct kc_backoff b = {.initial = 0.8, .max = 30, .factor = 2, .jitter = 0};
	struct kc_watch_fsm fsm = {0};
	double t = 0;
	is_int(kc_watch_step(&fsm, KC_WATCH_IN_START, t).action, KC_WATCH_DO_LIST, "start: list");
	ok(!fsm.synced, "not synced before the list completes");
	is_int(kc_watch_step(&fsm, KC_WATCH_IN_LISTED, t += 1).action,
	       KC_WATCH_DO_REPLACE_AND_WATCH, "listed: replace and watch");
	ok(fsm.synced, "synced after the first list");
	/* Healthy for ten minutes, then the server goes away. */
	t += 600;
	struct kc_watch_step s = kc_watch_step(&fsm, KC_WATCH_IN_WATCH_FAILED, t);
	is_int(s.action, KC_WATCH_DO_WAIT, "outage: wait");
	is_int(kc_backoff_delay(&b, s.backoff_failures, 0) * 1000, 800, "first wait 800 ms");
	/* Every retry is refused while it is down: 0.8, 1.6, 3.2, ... capped at 30 s. */
	static const int want_ms[] = {1600, 3200, 6400, 12800, 25600, 30000, 30000};
	int bad = -1;
	for (size_t i = 0; i < sizeof(want_ms) / sizeof(want_ms[0]); i++) {
		t += kc_backoff_delay(&b, s.backoff_failures, 0);
		if (kc_watch_step(&fsm, KC_WATCH_IN_TIMER, t).action != KC_WATCH_DO_WATCH)
			bad = (int)i;
		s = kc_watch_step(&fsm, KC_WATCH_IN_WATCH_FAILED, t += 0.01);
		if (s.action != KC_WATCH_DO_WAIT ||
		    (int)(kc_backoff_delay(&b, s.backoff_failures, 0) * 1000 + 0.5) != want_ms[i])
			bad = (int)i;
	}
	is_int(bad, -1, "backoff doubles from 800 ms to the 30 s cap while the server is down");
	is_int(fsm.restarts, 7, "each re-watch counted as a restart");
	/* It comes back; resourceVersion compacted meanwhile: 410, relist at once? No:
	 * failures are pending, so the relist waits its turn. */
	is_int(kc_watch_step(&fsm, KC_WATCH_IN_TIMER, t += 30).action, KC_WATCH_DO_WATCH,
	       "server back: watch again");
	s = kc_watch_step(&fsm, KC_WATCH_IN_GONE, t += 0.1);
	is_int(s.action, KC_WATCH_DO_WAIT, "410 while still failing: back off before listing");
	is_int(kc_watch_step(&fsm, KC_WATCH_IN_TIMER, t += 30).action, KC_WATCH_DO_LIST, "relist");
	is_int(fsm.relists, 1, "one relist counted");
	is_int(kc_watch_step(&fsm, KC_WATCH_IN_LISTED, t += 1).action,
	       KC_WATCH_DO_REPLACE_AND_WATCH, "relisted: replace and watch");
	/* A minute of health later the server times the watch out: clean, no backoff. */
	is_int(kc_watch_step(&fsm, KC_WATCH_IN_WATCH_ENDED, t += 61).action, KC_WATCH_DO_WATCH,
	       "after a healthy minute a clean end re-watches at once");
	is_int(fsm.failures, 0, "and the failure count is reset");
	s = kc_watch_step(&fsm, KC_WATCH_IN_WATCH_FAILED, t += 1);
	is_int(kc_backoff_delay(&b, s.backoff_failures, 0) * 1000, 800,
	       "the next failure starts at 800 ms again");
}

/* A server that answers every watch with 410 gets lists at a falling rate,
 * not a tight loop of full lists. */
static void test_gone_loop(void)
{
	struct kc_watch_fsm fsm = {0};
	double t = 0;
	unsigned immediate = 0;
	kc_watch_step(&fsm, KC_WATCH_IN_START, t);
	for (int i = 0; i < 10; i++) {
		kc_watch_step(&fsm, KC_WATCH_IN_LISTED, t += 0.1);
		struct kc_watch_step s = kc_watch_step(&fsm, KC_WATCH_IN_GONE, t += 0.1);
		if (s.action == KC_WATCH_DO_LIST)
			immediate++;
		else
			kc_watch_step(&fsm, KC_WATCH_IN_TIMER, t += 1);
	}
	is_int(immediate, 1, "only the first 410 relists at once");
	is_int(fsm.failures, 10, "each 410 right after a list counts as a failure");
	is_int(fsm.relists, 10, "ten relists counted");
}

static void test_names(void)
{
	is_str(kc_watch_state_name(KC_WATCH_WATCH_BACKOFF), "WatchBackoff", "state name");
	is_str(kc_watch_input_name(KC_WATCH_IN_GONE), "Gone", "input name");
	is_str(kc_watch_action_name(KC_WATCH_DO_REPLACE_AND_WATCH), "ReplaceAndWatch",
	       "action name");
}

int main(void)
{
	test_table();
	test_outage();
	test_gone_loop();
	test_names();
	return tap_done();
}
