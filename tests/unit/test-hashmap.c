/* The open-addressing table: agreement with a trivially correct reference
 * under random churn (backward-shift deletion is where such tables break). */
#include "tap.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller/hashmap.h"

#define N 2000

static uint64_t rng = 88172645463325252ULL;
static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* Names an object author could pick against a table that slotted keys by
 * the fixed ctl_hash_string: all share its low 12 bits, so in any table of
 * up to 4096 slots they would all start probing at one slot. Keyed slots
 * must spread them like any other names. */
#define COLLIDING 200
static void test_chosen_collisions(void)
{
	struct ctl_hashmap *m = ctl_hashmap_new();
	static char names[COLLIDING][48];
	int found = 0;
	uint64_t target = ctl_hash_string("ns/web") & 0xfff;
	for (unsigned long i = 0; found < COLLIDING && i < 100000000UL; i++) {
		char name[48];
		snprintf(name, sizeof(name), "ns/web-%lx", i);
		if ((ctl_hash_string(name) & 0xfff) != target)
			continue;
		memcpy(names[found], name, sizeof(name));
		ctl_hashmap_put(m, names[found], (void *)names[found], NULL);
		found++;
	}
	is_int(found, COLLIDING, "found %d names sharing ctl_hash_string's low 12 bits", COLLIDING);
	bool all = true;
	for (int i = 0; i < found; i++)
		all = all && ctl_hashmap_get(m, names[i]) == names[i];
	ok(all, "every colliding name is found");
	size_t longest = ctl_hashmap_longest_probe(m);
	ok(longest <= 24, "the longest probe is %zu slots, not the ~%d of one shared home slot",
	   longest, COLLIDING);
	ctl_hashmap_free(m);
}

int main(void)
{
	test_chosen_collisions();

	struct ctl_hashmap *m = ctl_hashmap_new();
	is_int(ctl_hashmap_size(m), 0, "empty");
	ok(ctl_hashmap_get(m, "x") == NULL, "lookup in an empty table");
	is_int(ctl_hashmap_remove(m, "x", NULL), -ENOENT, "remove from an empty table");
	is_int(ctl_hashmap_put(m, "x", NULL, NULL), -EINVAL, "NULL value refused");

	/* Reference: present[i] says whether key i is in, with value i+1. */
	static bool present[N];
	char key[32];
	bool agree = true;
	for (int step = 0; step < 50000; step++) {
		int i = (int)(next_rand() % N);
		snprintf(key, sizeof(key), "ns-%d/name-%d", i % 7, i);
		if (next_rand() % 3 == 0) {
			void *v = NULL;
			int r = ctl_hashmap_remove(m, key, &v);
			if (present[i] ? (r != 0 || v != (void *)(uintptr_t)(i + 1)) : r != -ENOENT)
				agree = false;
			present[i] = false;
		} else {
			int r = ctl_hashmap_put(m, key, (void *)(uintptr_t)(i + 1), NULL);
			if (r != (present[i] ? 1 : 0))
				agree = false;
			present[i] = true;
		}
	}
	size_t count = 0;
	for (int i = 0; i < N; i++) {
		snprintf(key, sizeof(key), "ns-%d/name-%d", i % 7, i);
		void *v = ctl_hashmap_get(m, key);
		if (present[i]) {
			count++;
			if (v != (void *)(uintptr_t)(i + 1))
				agree = false;
		} else if (v) {
			agree = false;
		}
	}
	ok(agree, "50000 random puts and removes agree with the reference");
	is_int(ctl_hashmap_size(m), count, "size matches the reference");

	size_t pos = 0, seen = 0;
	const char *k;
	void *v;
	while (ctl_hashmap_next(m, &pos, &k, &v)) {
		if (ctl_hashmap_get(m, k) == v)
			seen++;
	}
	is_int(seen, count, "iteration visits every entry once");

	void *old = NULL;
	ctl_hashmap_put(m, "replace/me", (void *)1, NULL);
	is_int(ctl_hashmap_put(m, "replace/me", (void *)2, &old), 1, "replace reports 1");
	ok(old == (void *)1, "replace returns the old value");
	ok(ctl_hashmap_bytes(m) > count * 16, "bytes accounts for slots and keys");
	ctl_hashmap_free(m);

	/* Borrowed keys: the table keeps the caller's pointer. */
	struct ctl_hashmap *b = ctl_hashmap_new_borrowed();
	static const char owned[] = "ns/borrowed";
	ctl_hashmap_put(b, owned, (void *)1, NULL);
	ok(ctl_hashmap_key(b, "ns/borrowed") == owned, "borrowed table stores the caller's key");
	ctl_hashmap_free(b);
	ok(ctl_hashmap_free(NULL) == NULL, "free accepts NULL");
	return tap_done();
}
