#include "controller/queue.h"

#include <errno.h>
#include <ev.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "controller/hashmap.h"
#include "kubeclient/backoff.h"
#include "kubeclient/ratelimit.h"

#define NOT_IN_HEAP SIZE_MAX

/* One per key that is dirty, processing or waiting; freed when it is none. */
struct item {
	char *key;
	bool dirty;      /* needs processing; in the ready ring unless processing */
	bool processing; /* between get and done */
	size_t heap_idx; /* NOT_IN_HEAP unless waiting for a delay */
	double due;      /* valid while in the heap */
	double ready_at; /* when it last became dirty, for the latency metric */
	double started;  /* when get() handed it out */
	struct item *proc_prev, *proc_next; /* processing list, oldest first */
};

struct ctl_queue {
	struct ctl_queue_config cfg;
	struct kc_backoff backoff;
	struct ctl_hashmap *items;    /* key -> struct item */
	struct ctl_hashmap *failures; /* key -> (uintptr_t) failure count, >= 1 */

	struct item **ring; /* ready keys, FIFO */
	size_t ring_cap, ring_head, ring_len;

	struct item **heap; /* waiting keys, min-heap on due */
	size_t heap_len, heap_cap;

	struct item *proc_head, *proc_tail;

	struct kc_ratelimit bucket; /* overall, shared by all keys */

	bool shutting_down;
	bool notify; /* keys became ready since the ready callback last ran */

	struct ev_loop *loop;
	ev_timer timer;
	ctl_queue_ready_fn ready;
	void *userdata;

	struct ctl_queue_metrics m;
};

void ctl_queue_config_default(struct ctl_queue_config *cfg)
{
	cfg->backoff_initial = 0.005;
	cfg->backoff_max = 1000;
	cfg->qps = 10;
	cfg->burst = 100;
}

struct ctl_queue *ctl_queue_new(const struct ctl_queue_config *cfg, double now)
{
	struct ctl_queue_config c;
	ctl_queue_config_default(&c);
	if (cfg)
		c = *cfg;
	if (!(c.qps > 0) || !(c.burst >= 1) || !(c.backoff_initial > 0) ||
	    c.backoff_max < c.backoff_initial)
		return NULL;
	struct ctl_queue *q = calloc(1, sizeof(*q));
	if (!q)
		return NULL;
	q->cfg = c;
	q->backoff = (struct kc_backoff){
	    .initial = c.backoff_initial, .max = c.backoff_max, .factor = 2, .jitter = 0};
	q->items = ctl_hashmap_new();
	q->failures = ctl_hashmap_new();
	if (!q->items || !q->failures)
		return ctl_queue_free(q);
	kc_ratelimit_init(&q->bucket, c.qps, c.burst, now);
	return q;
}

struct ctl_queue *ctl_queue_free(struct ctl_queue *q)
{
	if (!q)
		return NULL;
	if (q->loop)
		ev_timer_stop(q->loop, &q->timer);
	if (q->items) {
		size_t pos = 0;
		void *v;
		while (ctl_hashmap_next(q->items, &pos, NULL, &v)) {
			struct item *it = v;
			free(it->key);
			free(it);
		}
	}
	ctl_hashmap_free(q->items);
	ctl_hashmap_free(q->failures);
	free(q->ring);
	free(q->heap);
	free(q);
	return NULL;
}

/* ---- the ready ring ---- */

static int ring_push(struct ctl_queue *q, struct item *it)
{
	if (q->ring_len == q->ring_cap) {
		size_t ncap = q->ring_cap ? q->ring_cap * 2 : 16;
		struct item **nr = calloc(ncap, sizeof(*nr));
		if (!nr)
			return -ENOMEM;
		for (size_t i = 0; i < q->ring_len; i++)
			nr[i] = q->ring[(q->ring_head + i) % q->ring_cap];
		free(q->ring);
		q->ring = nr;
		q->ring_cap = ncap;
		q->ring_head = 0;
	}
	q->ring[(q->ring_head + q->ring_len) % q->ring_cap] = it;
	q->ring_len++;
	return 0;
}

static struct item *ring_pop(struct ctl_queue *q)
{
	if (q->ring_len == 0)
		return NULL;
	struct item *it = q->ring[q->ring_head];
	q->ring_head = (q->ring_head + 1) % q->ring_cap;
	q->ring_len--;
	return it;
}

/* ---- the delay heap ---- */

static void heap_set(struct ctl_queue *q, size_t i, struct item *it)
{
	q->heap[i] = it;
	it->heap_idx = i;
}

static void sift_up(struct ctl_queue *q, size_t i)
{
	struct item *it = q->heap[i];
	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (q->heap[parent]->due <= it->due)
			break;
		heap_set(q, i, q->heap[parent]);
		i = parent;
	}
	heap_set(q, i, it);
}

static void sift_down(struct ctl_queue *q, size_t i)
{
	struct item *it = q->heap[i];
	for (;;) {
		size_t child = 2 * i + 1;
		if (child >= q->heap_len)
			break;
		if (child + 1 < q->heap_len && q->heap[child + 1]->due < q->heap[child]->due)
			child++;
		if (it->due <= q->heap[child]->due)
			break;
		heap_set(q, i, q->heap[child]);
		i = child;
	}
	heap_set(q, i, it);
}

static int heap_push(struct ctl_queue *q, struct item *it)
{
	if (q->heap_len == q->heap_cap) {
		size_t ncap = q->heap_cap ? q->heap_cap * 2 : 16;
		struct item **nh = realloc(q->heap, ncap * sizeof(*nh));
		if (!nh)
			return -ENOMEM;
		q->heap = nh;
		q->heap_cap = ncap;
	}
	heap_set(q, q->heap_len++, it);
	sift_up(q, it->heap_idx);
	return 0;
}

static struct item *heap_pop(struct ctl_queue *q)
{
	struct item *top = q->heap[0];
	q->heap_len--;
	if (q->heap_len > 0) {
		heap_set(q, 0, q->heap[q->heap_len]);
		sift_down(q, 0);
	}
	top->heap_idx = NOT_IN_HEAP;
	return top;
}

/* ---- items ---- */

static int check_key(const char *key)
{
	if (!key || !key[0] || strnlen(key, CTL_QUEUE_KEY_MAX + 1) > CTL_QUEUE_KEY_MAX)
		return -EINVAL;
	return 0;
}

static struct item *item_get_or_new(struct ctl_queue *q, const char *key)
{
	struct item *it = ctl_hashmap_get(q->items, key);
	if (it)
		return it;
	it = calloc(1, sizeof(*it));
	if (!it)
		return NULL;
	it->key = strdup(key);
	it->heap_idx = NOT_IN_HEAP;
	if (!it->key || ctl_hashmap_put(q->items, key, it, NULL) < 0) {
		free(it->key);
		free(it);
		return NULL;
	}
	return it;
}

/* Frees an item that is neither dirty, processing nor waiting. */
static void item_release_if_idle(struct ctl_queue *q, struct item *it)
{
	if (it->dirty || it->processing || it->heap_idx != NOT_IN_HEAP)
		return;
	ctl_hashmap_remove(q->items, it->key, NULL);
	free(it->key);
	free(it);
}

/* What every Add checks first: a valid key, on a queue not shutting down. */
static int check_add(const struct ctl_queue *q, const char *key)
{
	int r = check_key(key);
	if (r < 0)
		return r;
	return q->shutting_down ? -ESHUTDOWN : 0;
}

/* check_add, then the key's item, made when new. */
static int item_for_add(struct ctl_queue *q, const char *key, struct item **ret)
{
	int r = check_add(q, key);
	if (r < 0)
		return r;
	struct item *it = item_get_or_new(q, key);
	if (!it)
		return -ENOMEM;
	*ret = it;
	return 0;
}

static void rearm(struct ctl_queue *q);

/* The core of Add, for an existing item. */
static int mark_dirty(struct ctl_queue *q, struct item *it, double now)
{
	if (it->dirty)
		return 0;
	if (!it->processing) {
		int r = ring_push(q, it);
		if (r < 0)
			return r;
		q->notify = true;
	}
	it->dirty = true;
	it->ready_at = now;
	return 0;
}

int ctl_queue_add(struct ctl_queue *q, const char *key, double now)
{
	struct item *it = NULL;
	int r = item_for_add(q, key, &it);
	if (r < 0)
		return r;
	r = mark_dirty(q, it, now);
	if (r < 0) {
		item_release_if_idle(q, it);
		return r;
	}
	q->m.adds++;
	rearm(q);
	return 0;
}

int ctl_queue_add_after(struct ctl_queue *q, const char *key, double delay, double now)
{
	if (!(delay > 0))
		return ctl_queue_add(q, key, now);
	struct item *it = NULL;
	int r = item_for_add(q, key, &it);
	if (r < 0)
		return r;
	double due = now + delay;
	if (it->heap_idx != NOT_IN_HEAP) {
		if (due < it->due) {
			it->due = due;
			sift_up(q, it->heap_idx);
		}
	} else {
		it->due = due;
		r = heap_push(q, it);
		if (r < 0) {
			item_release_if_idle(q, it);
			return r;
		}
	}
	rearm(q);
	return 0;
}

int ctl_queue_add_rate_limited(struct ctl_queue *q, const char *key, double now, double *ret_delay)
{
	int r = check_add(q, key);
	if (r < 0)
		return r;
	uintptr_t failures = (uintptr_t)ctl_hashmap_get(q->failures, key);
	if (failures < UINT32_MAX)
		failures++;
	r = ctl_hashmap_put(q->failures, key, (void *)failures, NULL);
	if (r < 0)
		return r;
	double delay = kc_backoff_delay(&q->backoff, (unsigned)failures, 0);
	double bucket = kc_ratelimit_reserve(&q->bucket, now);
	if (bucket > delay)
		delay = bucket;
	q->m.retries++;
	r = ctl_queue_add_after(q, key, delay, now);
	if (r < 0)
		return r;
	if (ret_delay)
		*ret_delay = delay;
	return 0;
}

void ctl_queue_forget(struct ctl_queue *q, const char *key)
{
	ctl_hashmap_remove(q->failures, key, NULL);
}

unsigned ctl_queue_num_requeues(const struct ctl_queue *q, const char *key)
{
	return (unsigned)(uintptr_t)ctl_hashmap_get(q->failures, key);
}

void ctl_queue_advance(struct ctl_queue *q, double now)
{
	while (q->heap_len > 0 && q->heap[0]->due <= now) {
		struct item *it = heap_pop(q);
		/* The key was ready at its due time, not when we noticed. */
		if (mark_dirty(q, it, it->due) < 0) {
			/* Out of memory growing the ring: put it back and try
			 * again at the next turn rather than lose the key. */
			heap_push(q, it);
			break;
		}
		q->m.adds++;
	}
}

double ctl_queue_next_due(const struct ctl_queue *q)
{
	return q->heap_len > 0 ? q->heap[0]->due : -1;
}

int ctl_queue_get(struct ctl_queue *q, double now, const char **ret_key)
{
	if (q->shutting_down)
		return -ESHUTDOWN;
	ctl_queue_advance(q, now);
	struct item *it = ring_pop(q);
	if (!it)
		return -EAGAIN;
	it->dirty = false;
	it->processing = true;
	it->started = now;
	it->proc_prev = q->proc_tail;
	it->proc_next = NULL;
	if (q->proc_tail)
		q->proc_tail->proc_next = it;
	else
		q->proc_head = it;
	q->proc_tail = it;
	q->m.processing++;
	ctl_histogram_observe(&q->m.latency, now - it->ready_at);
	*ret_key = it->key;
	return 0;
}

int ctl_queue_done(struct ctl_queue *q, const char *key, double now)
{
	struct item *it = ctl_hashmap_get(q->items, key);
	if (!it || !it->processing)
		return -ENOENT;
	it->processing = false;
	if (it->proc_prev)
		it->proc_prev->proc_next = it->proc_next;
	else
		q->proc_head = it->proc_next;
	if (it->proc_next)
		it->proc_next->proc_prev = it->proc_prev;
	else
		q->proc_tail = it->proc_prev;
	q->m.processing--;
	ctl_histogram_observe(&q->m.duration, now - it->started);
	if (it->dirty && !q->shutting_down) {
		if (ring_push(q, it) == 0) {
			q->notify = true;
		} else {
			/* Keep the wake-up: retry through the heap, which
			 * may have room where the ring did not. */
			it->dirty = false;
			it->due = now;
			if (it->heap_idx == NOT_IN_HEAP && heap_push(q, it) < 0) {
				item_release_if_idle(q, it);
				return -ENOMEM;
			}
		}
		rearm(q);
		return 0;
	}
	if (q->shutting_down)
		it->dirty = false;
	item_release_if_idle(q, it);
	return 0;
}

void ctl_queue_shutdown(struct ctl_queue *q)
{
	q->shutting_down = true;
	if (q->loop)
		ev_timer_stop(q->loop, &q->timer);
}

int ctl_queue_is_shutdown(const struct ctl_queue *q)
{
	return q->shutting_down;
}

size_t ctl_queue_len(const struct ctl_queue *q)
{
	return q->ring_len;
}

void ctl_queue_metrics(const struct ctl_queue *q, double now, struct ctl_queue_metrics *ret)
{
	*ret = q->m;
	ret->depth = q->ring_len;
	ret->waiting = q->heap_len;
	ret->oldest_processing = q->proc_head ? now - q->proc_head->started : 0;
}

/* ---- libev glue ---- */

static void timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct ctl_queue *q = w->data;
	if (q->shutting_down)
		return;
	ctl_queue_advance(q, ev_now(loop));
	bool notify = q->notify && q->ring_len > 0;
	q->notify = false;
	rearm(q);
	if (notify && q->ready)
		q->ready(q, q->userdata);
}

/* Points the one timer at the next thing to do: now when keys became ready
 * (so the ready callback runs from the loop, never inside the add), else
 * the earliest due time. Keys that stay ready because every worker is busy
 * do not re-arm it: that would spin; the caller takes them when a worker
 * frees up. */
static void rearm(struct ctl_queue *q)
{
	if (!q->loop || q->shutting_down)
		return;
	double after;
	if (q->notify && q->ring_len > 0)
		after = 0;
	else if (q->heap_len > 0)
		after = q->heap[0]->due - ev_now(q->loop);
	else {
		ev_timer_stop(q->loop, &q->timer);
		return;
	}
	if (after < 0)
		after = 0;
	/* Re-arming with the same deadline is common (many adds per loop
	 * turn); skip the heap churn inside libev when nothing changes. */
	if (ev_is_active(&q->timer) && ev_timer_remaining(q->loop, &q->timer) <= after)
		return;
	ev_timer_stop(q->loop, &q->timer);
	ev_timer_set(&q->timer, after, 0);
	ev_timer_start(q->loop, &q->timer);
}

int ctl_queue_attach(struct ctl_queue *q, struct ev_loop *loop, ctl_queue_ready_fn ready,
                     void *userdata)
{
	if (q->loop)
		return -EBUSY;
	q->loop = loop;
	q->ready = ready;
	q->userdata = userdata;
	ev_timer_init(&q->timer, timer_cb, 0, 0);
	q->timer.data = q;
	rearm(q);
	return 0;
}
