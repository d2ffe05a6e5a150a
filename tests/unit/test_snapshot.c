// SPDX-License-Identifier: GPL-2.0
/*
 * test_snapshot.c - unit tests for the pure parts of user/snapshot.c:
 * validating raw iterator output as whole records with the right magic,
 * counting thread-group leaders, and telling live tasks from zombies and
 * exiting ones.
 *
 * Must not: need BPF; ls_snapshot_take is covered by the BPF tests.
 */
#include <errno.h>

#include "unit.h"
#include "snapshot.h"

/* ---- ls_snapshot_records ---- */

static void fill_tasks(struct ls_iter_task *t, size_t n)
{
	memset(t, 0, n * sizeof(*t));
	for (size_t i = 0; i < n; i++) {
		t[i].magic = LS_ITER_TASK_MAGIC;
		t[i].pid = t[i].tgid = 100 + i;
	}
}

static void test_records_whole(void **state)
{
	struct ls_iter_task t[3];

	(void)state;
	fill_tasks(t, 3);
	assert_int_equal(ls_snapshot_records(t, sizeof(t), sizeof(t[0]),
					     LS_ITER_TASK_MAGIC),
			 3);
	assert_int_equal(ls_snapshot_records(t, sizeof(t[0]), sizeof(t[0]),
					     LS_ITER_TASK_MAGIC),
			 1);
}

static void test_records_empty(void **state)
{
	struct ls_iter_task t[1];

	(void)state;
	fill_tasks(t, 1);
	assert_int_equal(
		ls_snapshot_records(t, 0, sizeof(t[0]), LS_ITER_TASK_MAGIC), 0);
	assert_int_equal(
		ls_snapshot_records(NULL, 0, sizeof(t[0]), LS_ITER_TASK_MAGIC),
		0);
}

static void test_records_partial(void **state)
{
	struct ls_iter_task t[3];
	size_t sz = sizeof(t[0]);

	(void)state;
	fill_tasks(t, 3);
	assert_int_equal(
		ls_snapshot_records(t, 3 * sz - 1, sz, LS_ITER_TASK_MAGIC),
		-EPROTO);
	assert_int_equal(ls_snapshot_records(t, sz + 1, sz, LS_ITER_TASK_MAGIC),
			 -EPROTO);
	assert_int_equal(ls_snapshot_records(t, 1, sz, LS_ITER_TASK_MAGIC),
			 -EPROTO);
	assert_int_equal(ls_snapshot_records(t, 4, sz, LS_ITER_TASK_MAGIC),
			 -EPROTO);
}

static void test_records_wrong_magic(void **state)
{
	struct ls_iter_task t[4];
	size_t sz = sizeof(t[0]);

	(void)state;
	fill_tasks(t, 4);
	/* The magic of another iterator. */
	assert_int_equal(
		ls_snapshot_records(t, sizeof(t), sz, LS_ITER_FILE_MAGIC),
		-EPROTO);
	/* One bad record anywhere spoils the lot: first, middle, last. */
	for (size_t bad = 0; bad < 4; bad++) {
		fill_tasks(t, 4);
		t[bad].magic = LS_ITER_TASK_MAGIC ^ 1;
		assert_int_equal(ls_snapshot_records(t, sizeof(t), sz,
						     LS_ITER_TASK_MAGIC),
				 -EPROTO);
	}
	/* Byte-swapped magic: a record from a different endianness. */
	fill_tasks(t, 4);
	t[3].magic = __builtin_bswap32(LS_ITER_TASK_MAGIC);
	assert_int_equal(
		ls_snapshot_records(t, sizeof(t), sz, LS_ITER_TASK_MAGIC),
		-EPROTO);
	/* Records shifted by one field: the size is right, magic is not. */
	fill_tasks(t, 4);
	assert_int_equal(ls_snapshot_records((char *)t + 4, sizeof(t) - sz, sz,
					     LS_ITER_TASK_MAGIC),
			 -EPROTO);
}

static void test_records_other_kinds(void **state)
{
	struct ls_iter_file f[2];
	struct ls_iter_vma v[5];

	(void)state;
	memset(f, 0, sizeof(f));
	memset(v, 0, sizeof(v));
	for (size_t i = 0; i < 2; i++)
		f[i].magic = LS_ITER_FILE_MAGIC;
	for (size_t i = 0; i < 5; i++)
		v[i].magic = LS_ITER_VMA_MAGIC;
	assert_int_equal(ls_snapshot_records(f, sizeof(f), sizeof(f[0]),
					     LS_ITER_FILE_MAGIC),
			 2);
	assert_int_equal(ls_snapshot_records(v, sizeof(v), sizeof(v[0]),
					     LS_ITER_VMA_MAGIC),
			 5);
	/* VMA records read as file records: refused. */
	assert_int_equal(ls_snapshot_records(v, sizeof(v), sizeof(f[0]),
					     LS_ITER_VMA_MAGIC),
			 -EPROTO);
}

/* Iterator output is a byte stream: records need not be aligned. */
static void test_records_unaligned(void **state)
{
	struct ls_iter_task t[2];
	char *buf = malloc(sizeof(t) + 1);

	(void)state;
	assert_non_null(buf);
	fill_tasks(t, 2);
	memcpy(buf + 1, t, sizeof(t));
	assert_int_equal(ls_snapshot_records(buf + 1, sizeof(t), sizeof(t[0]),
					     LS_ITER_TASK_MAGIC),
			 2);
	free(buf);
}

/* The buffer is read within its bounds only (valgrind/ASan check this). */
static void test_records_exact_heap_buffer(void **state)
{
	size_t sz = sizeof(struct ls_iter_task);
	struct ls_iter_task *t = malloc(3 * sz);

	(void)state;
	assert_non_null(t);
	fill_tasks(t, 3);
	assert_int_equal(ls_snapshot_records(t, 3 * sz, sz, LS_ITER_TASK_MAGIC),
			 3);
	assert_int_equal(
		ls_snapshot_records(t, 3 * sz - 8, sz, LS_ITER_TASK_MAGIC),
		-EPROTO);
	free(t);
}

/* ---- processes and liveness ---- */

static struct ls_iter_task task(uint32_t pid, uint32_t tgid,
				uint32_t exit_state, uint32_t flags)
{
	struct ls_iter_task t;

	memset(&t, 0, sizeof(t));
	t.magic = LS_ITER_TASK_MAGIC;
	t.pid = pid;
	t.tgid = tgid;
	t.ppid = 1;
	t.exit_state = exit_state;
	t.flags = flags;
	return t;
}

static void test_processes(void **state)
{
	struct ls_iter_task t[] = {
		task(10, 10, 0, 0),
		task(11, 10, 0, 0),
		task(12, 10, 0, LS_PF_EXITING),
		task(20, 20, LS_EXIT_ZOMBIE, 0),
		task(31, 30, 0, 0), /* a thread whose leader is not listed */
		task(40, 40, 0, LS_PF_EXITING),
	};
	struct ls_snapshot s = { .tasks = t, .n_tasks = ARRAY_SIZE(t) };

	(void)state;
	/* Leaders count whatever their state: 10, 20 and 40. */
	assert_int_equal(ls_snapshot_processes(&s), 3);
	s.n_tasks = 0;
	assert_int_equal(ls_snapshot_processes(&s), 0);
	s.tasks = NULL;
	assert_int_equal(ls_snapshot_processes(&s), 0);
}

static void test_has_live(void **state)
{
	struct ls_iter_task t[] = {
		task(10, 10, 0, 0),
		task(20, 20, LS_EXIT_ZOMBIE, 0),
		task(30, 30, 0, LS_PF_EXITING),
		/* leader exiting, one thread still running */
		task(40, 40, 0, LS_PF_EXITING),
		task(41, 40, 0, 0),
		/* leader a zombie, its thread exiting */
		task(50, 50, LS_EXIT_ZOMBIE, 0),
		task(51, 50, 0, LS_PF_EXITING),
		task(60, 60, 16 /* EXIT_DEAD */, 0),
		/* other PF_ bits do not matter */
		task(70, 70, 0, 0x40 | 0x200000),
		task(80, 80, LS_EXIT_ZOMBIE | 16, LS_PF_EXITING),
	};
	struct ls_snapshot s = { .tasks = t, .n_tasks = ARRAY_SIZE(t) };

	(void)state;
	assert_true(ls_snapshot_has_live(&s, 10));
	assert_false(ls_snapshot_has_live(&s, 20));
	assert_false(ls_snapshot_has_live(&s, 30));
	assert_true(ls_snapshot_has_live(&s, 40));
	assert_false(ls_snapshot_has_live(&s, 50));
	assert_false(ls_snapshot_has_live(&s, 60));
	assert_true(ls_snapshot_has_live(&s, 70));
	assert_false(ls_snapshot_has_live(&s, 80));
	/* Not a tgid: thread ids do not answer, nor do absent ones. */
	assert_false(ls_snapshot_has_live(&s, 41));
	assert_false(ls_snapshot_has_live(&s, 99));
	assert_false(ls_snapshot_has_live(&s, 0));
	s.n_tasks = 0;
	assert_false(ls_snapshot_has_live(&s, 10));
}

static void test_free_empty(void **state)
{
	struct ls_snapshot s;

	(void)state;
	memset(&s, 0, sizeof(s));
	ls_snapshot_free(&s);
	s.tasks = malloc(sizeof(*s.tasks));
	s.n_tasks = 1;
	s.files = malloc(sizeof(*s.files));
	s.vmas = malloc(sizeof(*s.vmas));
	ls_snapshot_free(&s);
	assert_null(s.tasks);
	assert_null(s.files);
	assert_null(s.vmas);
	assert_int_equal(s.n_tasks, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_records_whole),
		cmocka_unit_test(test_records_empty),
		cmocka_unit_test(test_records_partial),
		cmocka_unit_test(test_records_wrong_magic),
		cmocka_unit_test(test_records_other_kinds),
		cmocka_unit_test(test_records_unaligned),
		cmocka_unit_test(test_records_exact_heap_buffer),
		cmocka_unit_test(test_processes),
		cmocka_unit_test(test_has_live),
		cmocka_unit_test(test_free_empty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
