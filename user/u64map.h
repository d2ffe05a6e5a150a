/* SPDX-License-Identifier: GPL-2.0 */
/*
 * u64map.h - a hash map from 64-bit keys to pointers (open addressing).
 *
 * Owns only its table, never the values it points to. Used for every
 * "look this up by pid / cgroup id / file / path hash" need of the agent, so
 * the agent has one hash table, tested once.
 */
#ifndef LS_U64MAP_H
#define LS_U64MAP_H

#include <stddef.h>
#include <stdint.h>

struct ls_u64map {
	uint64_t *keys;
	void **vals;
	unsigned char *state; /* 0 empty, 1 used, 2 deleted */
	size_t cap;	      /* power of two, or 0 */
	size_t used;	      /* live entries */
	size_t tomb;	      /* deleted slots */
};

void ls_u64map_init(struct ls_u64map *m);
void ls_u64map_free(struct ls_u64map *m);
/* Insert or replace. Returns 0 or -ENOMEM. */
int ls_u64map_put(struct ls_u64map *m, uint64_t key, void *val);
/* The value, or NULL. */
void *ls_u64map_get(const struct ls_u64map *m, uint64_t key);
/* Remove and return the value, or NULL if absent. */
void *ls_u64map_del(struct ls_u64map *m, uint64_t key);
/* Visit every entry; stops early if @fn returns non-zero (and returns it). */
int ls_u64map_each(const struct ls_u64map *m,
		   int (*fn)(uint64_t key, void *val, void *ctx), void *ctx);

/* FNV-1a of a string: the key for path-indexed maps (values keep the string
 * so that a collision is detected, see tempfiles.c). */
uint64_t ls_hash_str(const char *s);

#endif
