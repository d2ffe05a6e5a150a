// SPDX-License-Identifier: GPL-2.0
/*
 * u64map.c - see u64map.h. Linear probing over a power-of-two table, grown
 * at 70% occupancy (tombstones included) so probes stay short.
 */
#include <errno.h>
#include <stdlib.h>
#include "u64map.h"

enum { SLOT_EMPTY = 0, SLOT_USED = 1, SLOT_DELETED = 2 };

static size_t slot_of(uint64_t key, size_t cap)
{
	/* splitmix64 finalizer: pids and addresses are not random. */
	key ^= key >> 30;
	key *= 0xbf58476d1ce4e5b9ULL;
	key ^= key >> 27;
	key *= 0x94d049bb133111ebULL;
	key ^= key >> 31;
	return key & (cap - 1);
}

void ls_u64map_init(struct ls_u64map *m)
{
	*m = (struct ls_u64map){ 0 };
}

void ls_u64map_free(struct ls_u64map *m)
{
	free(m->keys);
	free(m->vals);
	free(m->state);
	ls_u64map_init(m);
}

static int grow(struct ls_u64map *m)
{
	struct ls_u64map n = { 0 };
	size_t i;

	n.cap = m->cap ? m->cap * 2 : 16;
	if (m->used * 4 < m->cap)
		n.cap = m->cap; /* mostly tombstones: rehash in place size */
	n.keys = calloc(n.cap, sizeof(*n.keys));
	n.vals = calloc(n.cap, sizeof(*n.vals));
	n.state = calloc(n.cap, 1);
	if (!n.keys || !n.vals || !n.state) {
		ls_u64map_free(&n);
		return -ENOMEM;
	}
	for (i = 0; i < m->cap; i++)
		if (m->state[i] == SLOT_USED)
			ls_u64map_put(&n, m->keys[i], m->vals[i]);
	ls_u64map_free(m);
	*m = n;
	return 0;
}

int ls_u64map_put(struct ls_u64map *m, uint64_t key, void *val)
{
	size_t i, free_slot = (size_t)-1;

	if ((m->used + m->tomb + 1) * 10 > m->cap * 7) {
		int err = grow(m);

		if (err)
			return err;
	}
	for (i = slot_of(key, m->cap);; i = (i + 1) & (m->cap - 1)) {
		if (m->state[i] == SLOT_USED && m->keys[i] == key) {
			m->vals[i] = val;
			return 0;
		}
		if (m->state[i] == SLOT_DELETED && free_slot == (size_t)-1)
			free_slot = i;
		if (m->state[i] == SLOT_EMPTY)
			break;
	}
	if (free_slot != (size_t)-1) {
		i = free_slot;
		m->tomb--;
	}
	m->state[i] = SLOT_USED;
	m->keys[i] = key;
	m->vals[i] = val;
	m->used++;
	return 0;
}

static size_t find(const struct ls_u64map *m, uint64_t key)
{
	size_t i;

	if (!m->cap)
		return (size_t)-1;
	for (i = slot_of(key, m->cap); m->state[i] != SLOT_EMPTY;
	     i = (i + 1) & (m->cap - 1))
		if (m->state[i] == SLOT_USED && m->keys[i] == key)
			return i;
	return (size_t)-1;
}

void *ls_u64map_get(const struct ls_u64map *m, uint64_t key)
{
	size_t i = find(m, key);

	return i == (size_t)-1 ? NULL : m->vals[i];
}

void *ls_u64map_del(struct ls_u64map *m, uint64_t key)
{
	size_t i = find(m, key);

	if (i == (size_t)-1)
		return NULL;
	m->state[i] = SLOT_DELETED;
	m->used--;
	m->tomb++;
	return m->vals[i];
}

int ls_u64map_each(const struct ls_u64map *m,
		   int (*fn)(uint64_t key, void *val, void *ctx), void *ctx)
{
	size_t i;
	int r;

	for (i = 0; i < m->cap; i++) {
		if (m->state[i] != SLOT_USED)
			continue;
		r = fn(m->keys[i], m->vals[i], ctx);
		if (r)
			return r;
	}
	return 0;
}

uint64_t ls_hash_str(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	while (*s) {
		h ^= (unsigned char)*s++;
		h *= 0x100000001b3ULL;
	}
	return h;
}
