/* libFuzzer: the watch stream parser must never crash, never buffer past its
 * limit, and give the same events and the same verdict however the bytes are
 * chunked: all at once, or cut at points derived from the input itself. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kubeclient/stream.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Small, so inputs of a few KiB reach the limit path too. */
#define FUZZ_MAX_EVENT 1024
#define MAX_EVENTS     256

struct trace {
	size_t n;
	unsigned char type[MAX_EVENTS];
	uint32_t hash[MAX_EVENTS]; /* of the resourceVersion, or of code+reason for ERROR */
};

static uint32_t fnv(const char *s, uint32_t h)
{
	for (; s && *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static int record(void *userdata, const struct kc_event *ev)
{
	struct trace *t = userdata;
	if (!json_is_object(ev->object))
		abort();
	if (ev->type != KC_EVENT_ERROR && (!ev->resource_version || !ev->resource_version[0]))
		abort();
	if (t->n < MAX_EVENTS) {
		t->type[t->n] = (unsigned char)ev->type;
		t->hash[t->n] = ev->type == KC_EVENT_ERROR
		                    ? fnv(ev->reason, 2166136261u ^ (uint32_t)ev->status_code)
		                    : fnv(ev->resource_version, 2166136261u);
	}
	t->n++;
	return 0;
}

static int run(const uint8_t *data, size_t size, size_t seed, struct trace *t)
{
	struct kc_stream *s = kc_stream_new(FUZZ_MAX_EVENT);
	if (!s)
		abort();
	struct kc_error err = {0};
	int rc = 0;
	size_t off = 0;
	while (off < size && rc == 0) {
		size_t n = size - off;
		if (seed) {
			/* Chunk sizes 1..64 from the data itself: reproducible, and the
			 * fuzzer can steer where the cuts fall. */
			n = (size_t)((data[off] ^ seed) % 64) + 1;
			if (n > size - off)
				n = size - off;
		}
		rc = kc_stream_feed(s, (const char *)data + off, n, record, t, &err);
		off += n;
	}
	if (rc == 0)
		rc = kc_stream_finish(s, record, t, &err);
	if (rc < 0 && (err.code != rc || err.message[0] == '\0'))
		abort(); /* every error explains itself */
	kc_stream_free(s);
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct trace whole = {0}, chunked = {0};
	int rc_whole = run(data, size, 0, &whole);
	int rc_chunked = run(data, size, size ? data[0] | 1u : 1, &chunked);
	if (rc_whole != rc_chunked || whole.n != chunked.n)
		abort();
	size_t n = whole.n < MAX_EVENTS ? whole.n : MAX_EVENTS;
	if (memcmp(whole.type, chunked.type, n) != 0 ||
	    memcmp(whole.hash, chunked.hash, n * sizeof(whole.hash[0])) != 0)
		abort();
	return 0;
}
