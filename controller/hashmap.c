#include "controller/hashmap.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

struct slot {
	const char *key; /* NULL: empty */
	void *value;
	uint64_t hash;
};

struct ctl_hashmap {
	struct slot *slots;
	size_t cap; /* a power of two, or 0 before the first insertion */
	size_t size;
	size_t key_bytes;
	bool borrowed;
};

uint64_t ctl_hash_string(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		h ^= *p;
		h *= 0x100000001b3ULL;
	}
	/* FNV's low bits mix poorly for short keys that differ in their last
	 * byte; a final avalanche (from MurmurHash3's fmix64) fixes the
	 * clustering linear probing would otherwise suffer. */
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h;
}

/* ---- The table's keyed hash ------------------------------------------------
 *
 * Object names come from the cluster, so anyone who may create objects
 * chooses the keys. With a fixed hash they could pick names that share a home
 * slot and turn every lookup into a walk of one long probe sequence
 * (quadratic work over a list). The table therefore hashes with SipHash-1-3
 * under a key drawn at random once per process; ctl_hash_string, which must
 * stay the same across processes (sharding), is not used for slots. */

static uint64_t sip_key[2];
static bool sip_keyed;

static uint64_t rotl(uint64_t x, int b)
{
	return (x << b) | (x >> (64 - b));
}

static void sip_round(uint64_t v[4])
{
	v[0] += v[1];
	v[1] = rotl(v[1], 13);
	v[1] ^= v[0];
	v[0] = rotl(v[0], 32);
	v[2] += v[3];
	v[3] = rotl(v[3], 16);
	v[3] ^= v[2];
	v[0] += v[3];
	v[3] = rotl(v[3], 21);
	v[3] ^= v[0];
	v[2] += v[1];
	v[1] = rotl(v[1], 17);
	v[1] ^= v[2];
	v[2] = rotl(v[2], 32);
}

static void sip_absorb(uint64_t v[4], uint64_t m)
{
	v[3] ^= m;
	sip_round(v);
	v[0] ^= m;
}

/* SipHash-1-3 of the NUL-terminated s under the process's key (one
 * compression round, three finalisation rounds: the variant Rust and Python
 * use for their tables). */
static uint64_t slot_hash(const char *s)
{
	uint64_t v[4] = {sip_key[0] ^ 0x736f6d6570736575ULL, sip_key[1] ^ 0x646f72616e646f6dULL,
	                 sip_key[0] ^ 0x6c7967656e657261ULL, sip_key[1] ^ 0x7465646279746573ULL};
	const unsigned char *p = (const unsigned char *)s;
	size_t len = 0;
	uint64_t word = 0;
	for (; *p; p++, len++) {
		word |= (uint64_t)*p << (8 * (len % 8));
		if (len % 8 == 7) {
			sip_absorb(v, word);
			word = 0;
		}
	}
	sip_absorb(v, word | ((uint64_t)(len & 0xff) << 56));
	v[2] ^= 0xff;
	for (int i = 0; i < 3; i++)
		sip_round(v);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}

/* The process's key, drawn on first use. getrandom() without blocking; a
 * machine whose entropy pool is not ready yet falls back to the clock and
 * pid, still unknown to a remote object author. */
static void sip_init(void)
{
	if (sip_keyed)
		return;
	if (getrandom(sip_key, sizeof(sip_key), GRND_NONBLOCK) != (ssize_t)sizeof(sip_key)) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		sip_key[0] = ((uint64_t)ts.tv_sec << 32) ^ (uint64_t)ts.tv_nsec;
		sip_key[1] = ctl_hash_string("slipway") ^ (uint64_t)getpid();
	}
	sip_keyed = true;
}

static struct ctl_hashmap *create(bool borrowed)
{
	sip_init();
	struct ctl_hashmap *m = calloc(1, sizeof(*m));
	if (m)
		m->borrowed = borrowed;
	return m;
}

struct ctl_hashmap *ctl_hashmap_new(void)
{
	return create(false);
}

struct ctl_hashmap *ctl_hashmap_new_borrowed(void)
{
	return create(true);
}

struct ctl_hashmap *ctl_hashmap_free(struct ctl_hashmap *m)
{
	if (!m)
		return NULL;
	if (!m->borrowed) {
		for (size_t i = 0; i < m->cap; i++)
			free((char *)m->slots[i].key);
	}
	free(m->slots);
	free(m);
	return NULL;
}

size_t ctl_hashmap_size(const struct ctl_hashmap *m)
{
	return m->size;
}

/* Index of key's slot, or of the empty slot where it would go. */
static size_t find(const struct ctl_hashmap *m, const char *key, uint64_t hash)
{
	size_t mask = m->cap - 1;
	size_t i = (size_t)hash & mask;
	while (m->slots[i].key) {
		if (m->slots[i].hash == hash && strcmp(m->slots[i].key, key) == 0)
			return i;
		i = (i + 1) & mask;
	}
	return i;
}

void *ctl_hashmap_get(const struct ctl_hashmap *m, const char *key)
{
	if (m->size == 0)
		return NULL;
	size_t i = find(m, key, slot_hash(key));
	return m->slots[i].key ? m->slots[i].value : NULL;
}

const char *ctl_hashmap_key(const struct ctl_hashmap *m, const char *key)
{
	if (m->size == 0)
		return NULL;
	return m->slots[find(m, key, slot_hash(key))].key;
}

static int grow(struct ctl_hashmap *m)
{
	size_t ncap = m->cap ? m->cap * 2 : 8;
	if (ncap > SIZE_MAX / sizeof(struct slot) / 2)
		return -ENOMEM;
	struct slot *ns = calloc(ncap, sizeof(*ns));
	if (!ns)
		return -ENOMEM;
	struct slot *old = m->slots;
	size_t ocap = m->cap;
	m->slots = ns;
	m->cap = ncap;
	for (size_t i = 0; i < ocap; i++) {
		if (old[i].key)
			m->slots[find(m, old[i].key, old[i].hash)] = old[i];
	}
	free(old);
	return 0;
}

int ctl_hashmap_put(struct ctl_hashmap *m, const char *key, void *value, void **ret_old)
{
	if (!key || !value)
		return -EINVAL;
	/* Keep the load at most 3/4 so probe sequences stay short. */
	if ((m->size + 1) * 4 > m->cap * 3) {
		int r = grow(m);
		if (r < 0)
			return r;
	}
	uint64_t hash = slot_hash(key);
	size_t i = find(m, key, hash);
	struct slot *s = &m->slots[i];
	if (s->key) {
		if (ret_old)
			*ret_old = s->value;
		s->value = value;
		return 1;
	}
	const char *stored = key;
	if (!m->borrowed) {
		char *copy = strdup(key);
		if (!copy)
			return -ENOMEM;
		stored = copy;
		m->key_bytes += strlen(key) + 1;
	}
	s->key = stored;
	s->value = value;
	s->hash = hash;
	m->size++;
	return 0;
}

int ctl_hashmap_remove(struct ctl_hashmap *m, const char *key, void **ret_value)
{
	if (m->size == 0)
		return -ENOENT;
	size_t mask = m->cap - 1;
	size_t i = find(m, key, slot_hash(key));
	if (!m->slots[i].key)
		return -ENOENT;
	if (ret_value)
		*ret_value = m->slots[i].value;
	if (!m->borrowed) {
		m->key_bytes -= strlen(m->slots[i].key) + 1;
		free((char *)m->slots[i].key);
	}
	/* Backward shift: pull later members of the probe run into the hole
	 * when their home slot does not lie cyclically in (hole, j]. */
	size_t hole = i;
	size_t j = i;
	for (;;) {
		j = (j + 1) & mask;
		if (!m->slots[j].key)
			break;
		size_t home = (size_t)m->slots[j].hash & mask;
		bool stays = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
		if (stays)
			continue;
		m->slots[hole] = m->slots[j];
		hole = j;
	}
	m->slots[hole].key = NULL;
	m->slots[hole].value = NULL;
	m->size--;
	return 0;
}

bool ctl_hashmap_next(const struct ctl_hashmap *m, size_t *pos, const char **ret_key,
                      void **ret_value)
{
	for (size_t i = *pos; i < m->cap; i++) {
		if (m->slots[i].key) {
			if (ret_key)
				*ret_key = m->slots[i].key;
			if (ret_value)
				*ret_value = m->slots[i].value;
			*pos = i + 1;
			return true;
		}
	}
	*pos = m->cap;
	return false;
}

size_t ctl_hashmap_longest_probe(const struct ctl_hashmap *m)
{
	size_t longest = 0;
	size_t mask = m->cap - 1;
	for (size_t i = 0; i < m->cap; i++) {
		if (!m->slots[i].key)
			continue;
		size_t home = (size_t)m->slots[i].hash & mask;
		size_t distance = (i - home) & mask;
		if (distance + 1 > longest)
			longest = distance + 1;
	}
	return longest;
}

size_t ctl_hashmap_bytes(const struct ctl_hashmap *m)
{
	return sizeof(*m) + m->cap * sizeof(struct slot) + m->key_bytes;
}
