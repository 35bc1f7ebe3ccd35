#include "controller/hashmap.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

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

static struct ctl_hashmap *create(bool borrowed)
{
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
	size_t i = find(m, key, ctl_hash_string(key));
	return m->slots[i].key ? m->slots[i].value : NULL;
}

const char *ctl_hashmap_key(const struct ctl_hashmap *m, const char *key)
{
	if (m->size == 0)
		return NULL;
	return m->slots[find(m, key, ctl_hash_string(key))].key;
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
	uint64_t hash = ctl_hash_string(key);
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
	size_t i = find(m, key, ctl_hash_string(key));
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

size_t ctl_hashmap_bytes(const struct ctl_hashmap *m)
{
	return sizeof(*m) + m->cap * sizeof(struct slot) + m->key_bytes;
}
