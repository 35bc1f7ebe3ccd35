/*
 * Decoding speed and allocation cost of the watch stream parser
 * (kubeclient/stream.h), on a recorded stream: a Pod's life as
 * kube-apiserver v1.36 sent it (ADDED, four MODIFIED, DELETED; 2.4-4 KiB
 * each), replayed until it makes N events, fed in chunks the size libcurl
 * hands over. No cluster needed.
 *
 *   bench-watch-stream [EVENTS [CHUNK_BYTES [FILE]]]   (10000, 16384, the recording)
 *
 * Prints one line: events per second, MB/s, and per event the number of
 * allocations and bytes jansson allocated (counted through
 * json_set_alloc_funcs; the parser's own line buffer is reused, so it adds
 * nothing per event). Fails when an event is lost or memory is left behind.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kubeclient/stream.h"

#ifndef BENCH_RECORDING
#define BENCH_RECORDING "tests/bench/data/pod-lifecycle.jsonl"
#endif

static struct {
	unsigned long long allocs;
	unsigned long long bytes;
	long long live;
	long long peak;
} mem;

/* A size header in front of each block, so free() knows what it releases. */
#define HDR 16

static void *count_malloc(size_t n)
{
	unsigned char *p = malloc(n + HDR);
	if (!p)
		return NULL;
	memcpy(p, &n, sizeof(n));
	mem.allocs++;
	mem.bytes += n;
	mem.live += (long long)n;
	if (mem.live > mem.peak)
		mem.peak = mem.live;
	return p + HDR;
}

static void count_free(void *q)
{
	if (!q)
		return;
	unsigned char *p = (unsigned char *)q - HDR;
	size_t n;
	memcpy(&n, p, sizeof(n));
	mem.live -= (long long)n;
	free(p);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct tally {
	unsigned long events;
	size_t name_bytes; /* touch each object, as a consumer would */
};

static int on_event(void *userdata, const struct kc_event *ev)
{
	struct tally *t = userdata;
	t->events++;
	const char *name =
	    json_string_value(json_object_get(json_object_get(ev->object, "metadata"), "name"));
	t->name_bytes += name ? strlen(name) : 0;
	return 0;
}

/* Reads the recording and repeats its lines until `events` lines. Caller frees. */
static char *build_stream(const char *path, unsigned long events, size_t *ret_len)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "bench-watch-stream: cannot open %s\n", path);
		return NULL;
	}
	char *rec = NULL;
	size_t rec_len = 0;
	char chunk[65536];
	for (;;) {
		size_t n = fread(chunk, 1, sizeof(chunk), f);
		if (n == 0)
			break;
		char *p = realloc(rec, rec_len + n);
		if (!p) {
			free(rec);
			fclose(f);
			return NULL;
		}
		rec = p;
		memcpy(rec + rec_len, chunk, n);
		rec_len += n;
	}
	fclose(f);
	unsigned long lines = 0;
	for (size_t i = 0; i < rec_len; i++)
		lines += rec[i] == '\n';
	if (lines == 0 || rec[rec_len - 1] != '\n') {
		fprintf(stderr, "bench-watch-stream: %s: not newline-terminated JSON lines\n",
		        path);
		free(rec);
		return NULL;
	}
	size_t cap = (size_t)(events / lines + 1) * rec_len;
	char *out = malloc(cap);
	size_t len = 0;
	unsigned long done = 0;
	size_t pos = 0;
	while (out && done < events) {
		const char *nl = memchr(rec + pos, '\n', rec_len - pos);
		size_t line = (size_t)(nl - (rec + pos)) + 1;
		memcpy(out + len, rec + pos, line);
		len += line;
		done++;
		pos = (pos + line) % rec_len;
	}
	free(rec);
	*ret_len = len;
	return out;
}

int main(int argc, char **argv)
{
	unsigned long events = argc > 1 ? strtoul(argv[1], NULL, 10) : 10000;
	size_t chunk = argc > 2 ? strtoul(argv[2], NULL, 10) : 16384;
	const char *path = argc > 3 ? argv[3] : BENCH_RECORDING;
	if (events == 0 || chunk == 0) {
		fprintf(stderr, "usage: bench-watch-stream [EVENTS [CHUNK_BYTES [FILE]]]\n");
		return 2;
	}
	json_set_alloc_funcs(count_malloc, count_free);
	size_t len = 0;
	char *data = build_stream(path, events, &len);
	if (!data)
		return 1;

	double best = 1e9;
	struct tally t = {0};
	unsigned long long allocs = 0, bytes = 0;
	for (int round = 0; round < 5; round++) {
		struct kc_stream *s = kc_stream_new(0);
		struct kc_error err = {0};
		memset(&t, 0, sizeof(t));
		memset(&mem, 0, sizeof(mem));
		double t0 = now();
		int rc = 0;
		for (size_t off = 0; off < len && rc == 0; off += chunk) {
			size_t n = len - off < chunk ? len - off : chunk;
			rc = kc_stream_feed(s, data + off, n, on_event, &t, &err);
		}
		if (rc == 0)
			rc = kc_stream_finish(s, on_event, &t, &err);
		double took = now() - t0;
		kc_stream_free(s);
		if (rc != 0 || t.events != events) {
			fprintf(stderr, "bench-watch-stream: decoded %lu of %lu events: %s\n",
			        t.events, events, err.message);
			free(data);
			return 1;
		}
		if (mem.live != 0) {
			fprintf(stderr, "bench-watch-stream: %lld bytes left allocated\n",
			        mem.live);
			free(data);
			return 1;
		}
		if (took < best)
			best = took;
		allocs = mem.allocs;
		bytes = mem.bytes;
	}
	printf("watch-stream: %lu events, %.1f MiB in %zu-byte chunks: %.0f events/s, %.0f MB/s; "
	       "per event %.0f allocations, %.0f bytes allocated (jansson), peak live %.0f KiB\n",
	       events, (double)len / (1024 * 1024), chunk, (double)events / best,
	       (double)len / best / 1e6, (double)allocs / (double)events,
	       (double)bytes / (double)events, (double)mem.peak / 1024);
	free(data);
	return 0;
}
