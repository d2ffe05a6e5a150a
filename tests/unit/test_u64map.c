// SPDX-License-Identifier: GPL-2.0
/*
 * test_u64map.c - unit tests for user/u64map.c: put/get/del/replace, the
 * extreme keys, growth to many thousands of keys, tombstones (reuse, and a
 * 100k-operation churn against a plain array model driven by a fixed-seed
 * PRNG), each() visiting every entry once and stopping early, and the
 * FNV-1a string hash against published vectors.
 *
 * Must not: depend on the table's probing order; only the load-factor
 * bounds that u64map.c documents are asserted about its internals.
 */
#include <errno.h>

#include "unit.h"
#include "u64map.h"

#define VAL(x) ((void *)(uintptr_t)(x))

/* xorshift64*: deterministic, so a failure replays exactly. */
static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dULL;
}

/* The documented invariants: power-of-two capacity, <= 70% occupied. */
static void check_shape(const struct ls_u64map *m)
{
	if (!m->cap)
		return;
	assert_int_equal(m->cap & (m->cap - 1), 0);
	assert_true((m->used + m->tomb) * 10 <= m->cap * 7);
}

struct visit {
	uint64_t keys[64];
	void *vals[64];
	size_t n;
	size_t stop_after; /* 0: never stop */
};

static int record(uint64_t key, void *val, void *ctx)
{
	struct visit *v = ctx;

	if (v->n < ARRAY_SIZE(v->keys)) {
		v->keys[v->n] = key;
		v->vals[v->n] = val;
	}
	v->n++;
	return v->stop_after && v->n == v->stop_after ? 42 : 0;
}

static void test_empty(void **state)
{
	struct ls_u64map m;
	struct visit v = { 0 };

	(void)state;
	ls_u64map_init(&m);
	assert_int_equal(m.cap, 0);
	assert_int_equal(m.used, 0);
	assert_null(ls_u64map_get(&m, 0));
	assert_null(ls_u64map_get(&m, 12345));
	assert_null(ls_u64map_del(&m, 0));
	assert_int_equal(ls_u64map_each(&m, record, &v), 0);
	assert_int_equal(v.n, 0);
	ls_u64map_free(&m);
	assert_int_equal(m.cap, 0);
	assert_null(m.keys);
	/* A freed map is an empty map again: usable and freeable. */
	ls_u64map_free(&m);
	assert_null(ls_u64map_get(&m, 1));
}

static void test_put_get_del(void **state)
{
	struct ls_u64map m;

	(void)state;
	ls_u64map_init(&m);
	assert_int_equal(ls_u64map_put(&m, 1, VAL(10)), 0);
	assert_int_equal(ls_u64map_put(&m, 2, VAL(20)), 0);
	assert_int_equal(ls_u64map_put(&m, 1000003, VAL(30)), 0);
	assert_int_equal(m.used, 3);
	assert_ptr_equal(ls_u64map_get(&m, 1), VAL(10));
	assert_ptr_equal(ls_u64map_get(&m, 2), VAL(20));
	assert_ptr_equal(ls_u64map_get(&m, 1000003), VAL(30));
	assert_null(ls_u64map_get(&m, 3));
	assert_ptr_equal(ls_u64map_del(&m, 2), VAL(20));
	assert_int_equal(m.used, 2);
	assert_null(ls_u64map_get(&m, 2));
	assert_null(ls_u64map_del(&m, 2));
	assert_ptr_equal(ls_u64map_get(&m, 1), VAL(10));
	assert_ptr_equal(ls_u64map_get(&m, 1000003), VAL(30));
	check_shape(&m);
	ls_u64map_free(&m);
}

static void test_replace(void **state)
{
	struct ls_u64map m;

	(void)state;
	ls_u64map_init(&m);
	assert_int_equal(ls_u64map_put(&m, 7, VAL(1)), 0);
	assert_int_equal(ls_u64map_put(&m, 7, VAL(2)), 0);
	assert_int_equal(m.used, 1);
	assert_ptr_equal(ls_u64map_get(&m, 7), VAL(2));
	assert_ptr_equal(ls_u64map_del(&m, 7), VAL(2));
	assert_int_equal(m.used, 0);
	assert_null(ls_u64map_get(&m, 7));
	ls_u64map_free(&m);
}

static void test_extreme_keys(void **state)
{
	struct ls_u64map m;
	struct visit v = { 0 };

	(void)state;
	ls_u64map_init(&m);
	assert_null(ls_u64map_get(&m, 0));
	assert_int_equal(ls_u64map_put(&m, 0, VAL(100)), 0);
	assert_int_equal(ls_u64map_put(&m, UINT64_MAX, VAL(200)), 0);
	assert_int_equal(ls_u64map_put(&m, UINT64_MAX - 1, VAL(300)), 0);
	assert_int_equal(ls_u64map_put(&m, 1ULL << 63, VAL(400)), 0);
	assert_ptr_equal(ls_u64map_get(&m, 0), VAL(100));
	assert_ptr_equal(ls_u64map_get(&m, UINT64_MAX), VAL(200));
	assert_ptr_equal(ls_u64map_get(&m, UINT64_MAX - 1), VAL(300));
	assert_ptr_equal(ls_u64map_get(&m, 1ULL << 63), VAL(400));
	assert_int_equal(ls_u64map_each(&m, record, &v), 0);
	assert_int_equal(v.n, 4);
	assert_ptr_equal(ls_u64map_del(&m, 0), VAL(100));
	assert_null(ls_u64map_get(&m, 0));
	assert_ptr_equal(ls_u64map_get(&m, UINT64_MAX), VAL(200));
	assert_ptr_equal(ls_u64map_del(&m, UINT64_MAX), VAL(200));
	assert_null(ls_u64map_get(&m, UINT64_MAX));
	assert_int_equal(m.used, 2);
	ls_u64map_free(&m);
}

static void test_null_value_is_an_entry(void **state)
{
	struct ls_u64map m;
	struct visit v = { 0 };

	(void)state;
	ls_u64map_init(&m);
	assert_int_equal(ls_u64map_put(&m, 5, NULL), 0);
	assert_int_equal(m.used, 1);
	assert_int_equal(ls_u64map_each(&m, record, &v), 0);
	assert_int_equal(v.n, 1);
	assert_int_equal(v.keys[0], 5);
	assert_null(v.vals[0]);
	ls_u64map_free(&m);
}

static void test_growth(void **state)
{
	const uint64_t n = 20000;
	struct ls_u64map m;

	(void)state;
	ls_u64map_init(&m);
	for (uint64_t i = 0; i < n; i++) {
		/* pids, then page-aligned addresses: not random keys */
		uint64_t k = i < n / 2 ? i : 0x7f0000000000ULL + (i << 12);

		assert_int_equal(ls_u64map_put(&m, k, VAL(i + 1)), 0);
		check_shape(&m);
	}
	assert_int_equal(m.used, n);
	assert_int_equal(m.tomb, 0);
	/* Grown by doubling from 16: the smallest power of two that fits. */
	assert_int_equal(m.cap, 32768);
	for (uint64_t i = 0; i < n; i++) {
		uint64_t k = i < n / 2 ? i : 0x7f0000000000ULL + (i << 12);

		assert_ptr_equal(ls_u64map_get(&m, k), VAL(i + 1));
	}
	assert_null(ls_u64map_get(&m, n));
	assert_null(ls_u64map_get(&m, 0x7f0000000000ULL + 1));
	ls_u64map_free(&m);
}

static void test_tombstone_reused_by_same_key(void **state)
{
	struct ls_u64map m;

	(void)state;
	ls_u64map_init(&m);
	assert_int_equal(ls_u64map_put(&m, 99, VAL(1)), 0);
	assert_ptr_equal(ls_u64map_del(&m, 99), VAL(1));
	assert_int_equal(m.used, 0);
	assert_int_equal(m.tomb, 1);
	assert_int_equal(ls_u64map_put(&m, 99, VAL(2)), 0);
	assert_int_equal(m.used, 1);
	assert_int_equal(m.tomb, 0);
	assert_ptr_equal(ls_u64map_get(&m, 99), VAL(2));
	ls_u64map_free(&m);
}

/* Lookups must walk over tombstones to keys inserted after them. */
static void test_lookup_past_tombstones(void **state)
{
	struct ls_u64map m;

	(void)state;
	ls_u64map_init(&m);
	for (uint64_t k = 1; k <= 10; k++)
		assert_int_equal(ls_u64map_put(&m, k, VAL(k)), 0);
	for (uint64_t k = 1; k <= 10; k += 2)
		assert_ptr_equal(ls_u64map_del(&m, k), VAL(k));
	for (uint64_t k = 2; k <= 10; k += 2)
		assert_ptr_equal(ls_u64map_get(&m, k), VAL(k));
	for (uint64_t k = 1; k <= 10; k += 2)
		assert_null(ls_u64map_get(&m, k));
	/* Re-adding a deleted key must not create a second copy of it. */
	assert_int_equal(ls_u64map_put(&m, 4, VAL(44)), 0);
	assert_int_equal(m.used, 5);
	assert_ptr_equal(ls_u64map_get(&m, 4), VAL(44));
	assert_ptr_equal(ls_u64map_del(&m, 4), VAL(44));
	assert_null(ls_u64map_get(&m, 4));
	ls_u64map_free(&m);
}

/* Endless put/del of fresh keys must not grow the table. */
static void test_tombstones_do_not_grow(void **state)
{
	struct ls_u64map m;

	(void)state;
	ls_u64map_init(&m);
	for (uint64_t k = 0; k < 100000; k++) {
		assert_int_equal(ls_u64map_put(&m, k * 7919, VAL(k + 1)), 0);
		assert_ptr_equal(ls_u64map_del(&m, k * 7919), VAL(k + 1));
		check_shape(&m);
	}
	assert_int_equal(m.used, 0);
	assert_int_equal(m.cap, 16);
	assert_null(ls_u64map_get(&m, 0));
	ls_u64map_free(&m);
}

#define MODEL_KEYS 3000

/* Model key i: a spread of values including 0 and UINT64_MAX. */
static uint64_t model_key(size_t i)
{
	if (i == 0)
		return 0;
	if (i == 1)
		return UINT64_MAX;
	if (i % 3 == 0)
		return i; /* small and dense, like pids */
	return i * 0x9e3779b97f4a7c15ULL;
}

static void verify_model(const struct ls_u64map *m, void *const *model,
			 size_t live)
{
	assert_int_equal(m->used, live);
	for (size_t i = 0; i < MODEL_KEYS; i++)
		assert_ptr_equal(ls_u64map_get(m, model_key(i)), model[i]);
}

static void test_churn_against_model(void **state)
{
	static void *model[MODEL_KEYS];
	struct ls_u64map m;
	uint64_t seed = 0x1eac5c09e5eed;
	size_t live = 0, max_cap = 0;

	(void)state;
	memset(model, 0, sizeof(model));
	ls_u64map_init(&m);
	for (unsigned long op = 0; op < 100000; op++) {
		uint64_t r = rng_next(&seed);
		size_t i = r % MODEL_KEYS;
		/* Phases: fill up, churn, drain, churn. */
		unsigned int put_pct = op < 25000   ? 80
				       : op < 50000 ? 50
				       : op < 75000 ? 20
						    : 50;
		void *v = VAL((r >> 20) | 1);

		if ((r >> 8) % 100 < put_pct) {
			assert_int_equal(ls_u64map_put(&m, model_key(i), v), 0);
			live += !model[i];
			model[i] = v;
		} else {
			assert_ptr_equal(ls_u64map_del(&m, model_key(i)),
					 model[i]);
			live -= !!model[i];
			model[i] = NULL;
		}
		assert_int_equal(m.used, live);
		check_shape(&m);
		if (m.cap > max_cap)
			max_cap = m.cap;
		if (op % 5000 == 0)
			verify_model(&m, model, live);
	}
	verify_model(&m, model, live);
	/*
	 * 3000 keys at most: 8192 slots hold them under 70%; tombstones may
	 * force one doubling more (grow() doubles when >= 25% are live), but
	 * never a third.
	 */
	assert_true(max_cap <= 16384);
	ls_u64map_free(&m);
}

static int mark_seen(uint64_t key, void *val, void *ctx)
{
	unsigned char *seen = ctx;

	assert_true(key < 5000);
	assert_ptr_equal(val, VAL(key * 2 + 1));
	seen[key]++;
	return 0;
}

static void test_each_visits_every_entry_once(void **state)
{
	static unsigned char seen[5000];
	struct ls_u64map m;

	(void)state;
	memset(seen, 0, sizeof(seen));
	ls_u64map_init(&m);
	for (uint64_t k = 0; k < 5000; k++)
		assert_int_equal(ls_u64map_put(&m, k, VAL(k * 2 + 1)), 0);
	for (uint64_t k = 0; k < 5000; k += 5)
		ls_u64map_del(&m, k);
	for (uint64_t k = 0; k < 5000; k += 10)
		assert_int_equal(ls_u64map_put(&m, k, VAL(k * 2 + 1)), 0);
	assert_int_equal(ls_u64map_each(&m, mark_seen, seen), 0);
	for (uint64_t k = 0; k < 5000; k++)
		assert_int_equal(seen[k], k % 5 == 0 && k % 10 != 0 ? 0 : 1);
	ls_u64map_free(&m);
}

static void test_each_stops_early(void **state)
{
	struct ls_u64map m;
	struct visit v = { .stop_after = 3 };

	(void)state;
	ls_u64map_init(&m);
	for (uint64_t k = 100; k < 110; k++)
		assert_int_equal(ls_u64map_put(&m, k, VAL(k)), 0);
	assert_int_equal(ls_u64map_each(&m, record, &v), 42);
	assert_int_equal(v.n, 3);
	for (size_t i = 0; i < 3; i++)
		assert_ptr_equal(ls_u64map_get(&m, v.keys[i]), v.vals[i]);
	ls_u64map_free(&m);
}

static void test_hash_str_vectors(void **state)
{
	(void)state;
	assert_true(ls_hash_str("") == 0xcbf29ce484222325ULL);
	assert_true(ls_hash_str("a") == 0xaf63dc4c8601ec8cULL);
	assert_true(ls_hash_str("foobar") == 0x85944171f73967e8ULL);
	/* Bytes are unsigned: a high byte must not sign-extend. */
	assert_true(ls_hash_str("\xff") == 0xaf64724c8602eb6eULL);
	assert_true(ls_hash_str("/tmp/x") == 0x6cc122ddf274426cULL);
	assert_true(ls_hash_str("/tmp/x") != ls_hash_str("/tmp/y"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_put_get_del),
		cmocka_unit_test(test_replace),
		cmocka_unit_test(test_extreme_keys),
		cmocka_unit_test(test_null_value_is_an_entry),
		cmocka_unit_test(test_growth),
		cmocka_unit_test(test_tombstone_reused_by_same_key),
		cmocka_unit_test(test_lookup_past_tombstones),
		cmocka_unit_test(test_tombstones_do_not_grow),
		cmocka_unit_test(test_churn_against_model),
		cmocka_unit_test(test_each_visits_every_entry_once),
		cmocka_unit_test(test_each_stops_early),
		cmocka_unit_test(test_hash_str_vectors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
