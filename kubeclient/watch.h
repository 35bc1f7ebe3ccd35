/*
 * List-then-watch of one resource collection, kept alive for as long as the
 * caller wants it: the machinery under every informer.
 *
 * A watch lists the collection, hands the consumer the complete set
 * (REPLACE), then watches from the list's resourceVersion with bookmarks on
 * and a randomised server-side timeout, so the many watches of a controller
 * do not all end together. When a watch ends or breaks it is resumed from the
 * last resourceVersion seen (events and bookmarks advance it), after a capped
 * exponential backoff when it was not healthy. When that resourceVersion is
 * gone (410 as an HTTP status, or an ERROR event with 410 / Expired inside a
 * 200 stream), or the stream carries an event that cannot be trusted
 * (oversized, malformed), it lists again and sends a new REPLACE: the
 * consumer then drops whatever vanished while it was not watching.
 *
 * The decisions live in a pure state machine, kc_watch_step(), tested from a
 * table; struct kc_watch is the I/O around it (kubeclient/client.h on libev).
 * docs/internals/watch.md explains the states and why.
 *
 * Threading: everything runs on the client's loop. Callbacks never fire
 * inside the call that registers or starts the watch.
 */
#ifndef SLIPWAY_KUBECLIENT_WATCH_H
#define SLIPWAY_KUBECLIENT_WATCH_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "kubeclient/backoff.h"
#include "kubeclient/client.h"
#include "kubeclient/error.h"

/* ---- The pure state machine ------------------------------------------- */

enum kc_watch_state {
	KC_WATCH_IDLE,          /* created, not started */
	KC_WATCH_LISTING,       /* a list (all pages) is in flight */
	KC_WATCH_LIST_BACKOFF,  /* waiting before listing again */
	KC_WATCH_WATCHING,      /* a watch request is in flight */
	KC_WATCH_WATCH_BACKOFF, /* waiting before watching again from the last resourceVersion */
	KC_WATCH_STOPPED,       /* final */
};

enum kc_watch_input {
	KC_WATCH_IN_START,        /* begin with a list */
	KC_WATCH_IN_RESUME,       /* begin by watching from a known resourceVersion */
	KC_WATCH_IN_LISTED,       /* the list completed (every page) */
	KC_WATCH_IN_LIST_FAILED,  /* transport error or non-410 HTTP error on the list */
	KC_WATCH_IN_EVENT,        /* ADDED / MODIFIED / DELETED */
	KC_WATCH_IN_BOOKMARK,     /* resourceVersion advanced, nothing changed */
	KC_WATCH_IN_GONE,         /* 410 / Expired: status of a request, or an ERROR event */
	KC_WATCH_IN_BAD_EVENT,    /* oversized or malformed event: the stream cannot be trusted */
	KC_WATCH_IN_WATCH_FAILED, /* transport error, non-410 HTTP error, other ERROR event */
	KC_WATCH_IN_WATCH_ENDED,  /* the server closed the stream cleanly (its timeout) */
	KC_WATCH_IN_TIMER,        /* the backoff wait is over */
	KC_WATCH_IN_STOP,         /* the consumer stops the watch */
};

enum kc_watch_action {
	KC_WATCH_DO_NOTHING,
	KC_WATCH_DO_LIST,              /* cancel what runs, list from scratch */
	KC_WATCH_DO_REPLACE_AND_WATCH, /* hand over the listed set, watch from its resourceVersion
	                                */
	KC_WATCH_DO_DELIVER,           /* hand the event to the consumer */
	KC_WATCH_DO_WATCH,             /* cancel what runs, watch from the last resourceVersion */
	KC_WATCH_DO_WAIT,              /* cancel what runs, arm the backoff timer */
	KC_WATCH_DO_CANCEL,            /* cancel what runs, for good */
};

/* Seconds a watch must have lived for its end not to count as a failure; it
 * also resets the backoff. */
#define KC_WATCH_HEALTHY_SECONDS 60.0

/* The machine's whole state. Zero-initialised is IDLE with no history. */
struct kc_watch_fsm {
	enum kc_watch_state state;
	unsigned failures;     /* consecutive failures since the last healthy watch */
	double watch_since;    /* when the current watch request started (monotonic seconds) */
	double healthy_after;  /* 0: KC_WATCH_HEALTHY_SECONDS */
	bool synced;           /* a list has completed at least once */
	unsigned long lists;   /* lists started, the first included */
	unsigned long watches; /* watch requests started */
	unsigned long relists; /* lists not asked for by START: Gone, bad events, list retries */
	unsigned long
	    restarts; /* watches resumed from the last resourceVersion (not after a list) */
};

struct kc_watch_step {
	enum kc_watch_action action;
	/* DO_WAIT: the failure count to pass to kc_backoff_delay (>= 1). */
	unsigned backoff_failures;
};

/* Pure: advances fsm by one input observed at monotonic time `now` and says
 * what to do. Inputs that make no sense in the current state (an event while
 * listing, a timer while watching) change nothing and return DO_NOTHING. */
struct kc_watch_step kc_watch_step(struct kc_watch_fsm *fsm, enum kc_watch_input in, double now);

const char *kc_watch_state_name(enum kc_watch_state s);
const char *kc_watch_input_name(enum kc_watch_input in);
const char *kc_watch_action_name(enum kc_watch_action a);

/* ---- The watch -------------------------------------------------------- */

struct kc_watch;

enum kc_watch_change {
	KC_WATCH_ADDED,
	KC_WATCH_MODIFIED,
	KC_WATCH_DELETED, /* obj is the last state of the object */
	/* A list completed. obj is a JSON array: every object that exists now;
	 * with list_items, obj is NULL and those objects are the ones handed
	 * over as LIST_ITEM since the last LIST_BEGIN. */
	KC_WATCH_REPLACE,
	KC_WATCH_LIST_BEGIN, /* list_items only: a list's first page arrived; obj is NULL */
	KC_WATCH_LIST_ITEM,  /* list_items only: one object of the list in progress */
};

/* A change for the consumer. obj is borrowed for the call (json_incref to
 * keep it). The callback may call kc_watch_stop() or kc_watch_free() on this
 * watch, and start or free others. */
typedef void kc_watch_fn(struct kc_watch *w, enum kc_watch_change change, json_t *obj,
                         void *userdata);

/* Optional: every failure the watch recovers from (for logs), with the input
 * it became. err is borrowed for the call. Same rules as kc_watch_fn. */
typedef void kc_watch_error_fn(struct kc_watch *w, enum kc_watch_input what,
                               const struct kc_error *err, void *userdata);

struct kc_watch_options {
	/* What to watch. Strings are copied. ns NULL: all namespaces, or a
	 * cluster-scoped resource. */
	const char *group; /* NULL or "": core */
	const char *version;
	const char *resource; /* plural: "configmaps" */
	const char *ns;
	const char *label_selector; /* or NULL */
	const char *field_selector; /* or NULL */
	/* Start by watching from here instead of listing (a resourceVersion
	 * kept from before); a Gone falls back to a list. NULL: list first. */
	const char *resume_from;

	size_t max_event_bytes;   /* 0: KC_STREAM_DEFAULT_MAX_EVENT */
	long list_page_size;      /* items per list page; 0: 500. Halved after a page over the
	                           * client's max_body, down to 1, so huge objects cannot keep
	                           * a list from ever completing. */
	long min_timeout_seconds; /* server timeout of each watch, drawn uniformly */
	long max_timeout_seconds; /*   from [min, max]; 0, 0: 300 .. 600 */
	/* Fail a watch that receives no byte for this long (bookmarks arrive
	 * about once a minute on a healthy stream); 0: 180 s; < 0: never. */
	double idle_timeout;
	double healthy_after;      /* 0: KC_WATCH_HEALTHY_SECONDS */
	struct kc_backoff backoff; /* all zero: 0.8 s doubling to 30 s, jitter 0.2 */
	/* Random numbers in [0, 1) for the timeout and the jitter; NULL: an
	 * internal generator. For tests. */
	double (*rand01)(void *userdata);

	/* Optional: applied to every object as it arrives, each list page as it
	 * comes and each event before delivery, before anything else sees it (like
	 * client-go's SetTransform). A consumer that keeps only part of each
	 * object strips it here, so a long first list never holds every object
	 * whole at once. Modifies obj in place; must not touch the watch. */
	void (*transform)(json_t *obj, void *userdata);
	/* Hand every listed object to on_change as LIST_ITEM while its page is
	 * at hand (after LIST_BEGIN, before the REPLACE that ends the list),
	 * instead of collecting them all for REPLACE. A consumer that keeps
	 * objects in a smaller form of its own (the informer's compact store)
	 * then never holds more than one page of parsed objects, and its heap is
	 * not left fragmented by a whole list of them freed at once. A list cut
	 * short by a failure is followed by a new LIST_BEGIN when it is retried.
	 * LIST_BEGIN and LIST_ITEM callbacks must not stop or free the watch. */
	bool list_items;
	kc_watch_fn *on_change;      /* required */
	kc_watch_error_fn *on_error; /* or NULL */
	void *userdata;
};

/* Creates a watch on client c (borrowed; must outlive the watch). It does
 * nothing until kc_watch_start(). Caller owns *ret (kc_watch_free).
 * -EINVAL (err says which) when version, resource or on_change is missing. */
int kc_watch_new(struct kc_client *c, const struct kc_watch_options *opts, struct kc_watch **ret,
                 struct kc_error *err);

/* Starts listing (or watching, with resume_from). The first callback comes
 * later from the loop. A request that cannot even be started is retried with
 * backoff like any failure, so this only fails when already started or
 * stopped (-EALREADY). */
int kc_watch_start(struct kc_watch *w);

/* Cancels the request or timer in flight; no callback runs afterwards. Safe
 * from inside this watch's callbacks. A stopped watch stays stopped. */
void kc_watch_stop(struct kc_watch *w);

/* Stops and frees. From inside one of this watch's callbacks the memory is
 * released when the callback returns. NULL is fine. Returns NULL. */
struct kc_watch *kc_watch_free(struct kc_watch *w);

enum kc_watch_state kc_watch_state(const struct kc_watch *w);

/* True once the first list has been delivered (REPLACE). */
bool kc_watch_synced(const struct kc_watch *w);

/* Metrics: watches resumed from a resourceVersion, and lists after the first. */
unsigned long kc_watch_restarts(const struct kc_watch *w);
unsigned long kc_watch_relists(const struct kc_watch *w);

/* The resourceVersion the watch would resume from ("" before the first list);
 * owned by the watch, valid until its next callback or free. */
const char *kc_watch_resource_version(const struct kc_watch *w);

#endif
