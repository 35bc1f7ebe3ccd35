/*
 * bench-object-bytes FILE [RESOURCE]: the bytes the controller's store
 * retains per object for the objects of a Kubernetes list (the JSON of a
 * LIST response or of `kubectl get -o json`), in a plain store (jansson
 * trees) and in a compact store (compact JSON text), after the informer's
 * stripping: ctl_object_strip, and with RESOURCE ("services") also the
 * paths the Release controller strips from that kind
 * (ctl_release_controller_strip_paths). Counts jansson's own allocations (memcount.h), the
 * store's structures (ctl_store_bytes) and an 8-byte malloc header per
 * jansson block. tests/bench/scale runs it on the objects of its cluster:
 * it is the store's own accounting, next to the RSS the benchmark sees.
 *
 * Prints one JSON object: {"objects", "text_bytes", "plain_bytes",
 * "compact_bytes"}, each *_bytes per object. Exit 0, or 1 with a message.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "controller/memcount.h"
#include "controller/release-controller.h"
#include "controller/store.h"

/* The kind's strip paths (RESOURCE), none without one. */
static const char *const *strip_paths;
static size_t n_strip_paths;

/* A LIST of 10,000 Releases is ~35 MB; leave room, but not without bound. */
#define MAX_INPUT_BYTES (512u * 1024 * 1024)
#define MALLOC_HEADER   8

/* Loads FILE's items. NULL (and a message) on failure. */
static json_t *load_items(const char *path, json_t **ret_doc)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "bench-object-bytes: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	if (fseek(f, 0, SEEK_END) != 0 || ftell(f) < 0 ||
	    (unsigned long)ftell(f) > MAX_INPUT_BYTES) {
		fprintf(stderr, "bench-object-bytes: %s: unreadable or larger than %u bytes\n",
		        path, MAX_INPUT_BYTES);
		fclose(f);
		return NULL;
	}
	rewind(f);
	json_error_t jerr;
	json_t *doc = json_loadf(f, 0, &jerr);
	fclose(f);
	if (!doc) {
		fprintf(stderr, "bench-object-bytes: %s:%d: %s\n", path, jerr.line, jerr.text);
		return NULL;
	}
	json_t *items = json_object_get(doc, "items");
	if (!json_is_array(items) || json_array_size(items) == 0) {
		fprintf(stderr, "bench-object-bytes: %s: no items\n", path);
		json_decref(doc);
		return NULL;
	}
	*ret_doc = doc;
	return items;
}

/* Bytes retained per object by a store with these flags, or -1. Measured
 * from before the file is read to after it is freed, so only what the
 * store keeps counts. */
static long per_object(const char *path, unsigned flags, size_t *ret_n, size_t *ret_text)
{
	size_t bytes0 = ctl_memcount_bytes(), blocks0 = ctl_memcount_blocks();
	json_t *doc = NULL;
	json_t *items = load_items(path, &doc);
	if (!items)
		return -1;
	struct ctl_store *s = ctl_store_new(flags);
	if (!s) {
		json_decref(doc);
		return -1;
	}
	size_t n = json_array_size(items), text = 0, i;
	json_t *obj;
	json_array_foreach(items, i, obj)
	{
		ctl_object_strip_paths(obj, strip_paths, n_strip_paths);
		text += json_dumpb(obj, NULL, 0, JSON_COMPACT); /* the size, nothing allocated */
		if (ctl_store_upsert(s, obj, NULL) < 0) {
			fprintf(stderr, "bench-object-bytes: item %zu: no key or out of memory\n",
			        i);
			ctl_store_free(s);
			json_decref(doc);
			return -1;
		}
	}
	json_decref(doc);
	size_t bytes = ctl_memcount_bytes() - bytes0, blocks = ctl_memcount_blocks() - blocks0;
	long held = (long)(bytes + blocks * MALLOC_HEADER + ctl_store_bytes(s));
	ctl_store_free(s);
	*ret_n = n;
	*ret_text = text;
	return held / (long)n;
}

int main(int argc, char **argv)
{
	if (argc != 2 && argc != 3) {
		fprintf(stderr, "usage: bench-object-bytes LIST.json [RESOURCE]\n");
		return 2;
	}
	if (argc == 3 &&
	    ctl_release_controller_strip_paths(argv[2], &strip_paths, &n_strip_paths) < 0) {
		fprintf(stderr, "bench-object-bytes: the controller strips nothing of %s\n",
		        argv[2]);
		return 2;
	}
	if (ctl_memcount_install() < 0)
		return 1;
	size_t n = 0, text = 0;
	long plain = per_object(argv[1], 0, &n, &text);
	long compact = plain < 0 ? -1 : per_object(argv[1], CTL_STORE_COMPACT, &n, &text);
	if (plain < 0 || compact < 0)
		return 1;
	printf("{\"objects\": %zu, \"text_bytes\": %zu, \"plain_bytes\": %ld, \"compact_bytes\": "
	       "%ld}\n",
	       n, text / n, plain, compact);
	return 0;
}
