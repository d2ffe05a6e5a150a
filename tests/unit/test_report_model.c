// SPDX-License-Identifier: GPL-2.0
/*
 * test_report_model.c - unit tests for user/report.c's model and
 * dispatcher, on reports built by hand: enum names, counting, lossiness,
 * comm copying, growth and notes; write errors of both writers, and
 * ls_report_write's choice of writer.
 *
 * Must not: leak (report_fx.h).
 */
#include "report_fx.h"

/* ---- the writers' errors and the dispatcher ---- */

static void test_write_error(void **state)
{
	struct fx *fx = *state;
	FILE *f = fopen("/dev/full", "w");

	if (!f)
		skip();
	add_fd(fx, 1, "x", 3, "file", "/x");
	assert_int_equal(ls_report_write_json(&fx->r, f), -EIO);
	clearerr(f);
	assert_int_equal(ls_report_write_text(&fx->r, f), -EIO);
	fclose(f);
}

static void test_write_dispatch(void **state)
{
	struct fx *fx = *state;
	struct capture c;
	char *s;

	assert_int_equal(ls_report_write(&fx->r, capture_open(&c), LS_FMT_JSON),
			 0);
	s = capture_close(&c);
	assert_true(!strncmp(s, "{\n", 2));
	free(s);
	assert_int_equal(ls_report_write(&fx->r, capture_open(&c), LS_FMT_TEXT),
			 0);
	s = capture_close(&c);
	assert_true(!strncmp(s, "leakscope: ", 11));
	free(s);
	assert_int_equal(ls_report_write(&fx->r, capture_open(&c), LS_FMT_AUTO),
			 0);
	s = capture_close(&c);
	assert_true(!strncmp(s, "leakscope: ", 11));
	free(s);
}

/* ---- the model ---- */

static void test_comm_copy(void **state)
{
	char src[LS_COMM_LEN], dst[LS_COMM_LEN + 4];

	(void)state;
	memcpy(src, "abcdefghijklmnop", LS_COMM_LEN); /* no NUL */
	memset(dst, 'X', sizeof(dst));
	ls_comm_copy(dst, src);
	assert_string_equal(dst, "abcdefghijklmno");
	assert_int_equal(dst[LS_COMM_LEN], 'X');
	memcpy(src, "bash\0garbage!!!", LS_COMM_LEN);
	ls_comm_copy(dst, src);
	assert_string_equal(dst, "bash");
	memset(src, 0, sizeof(src));
	ls_comm_copy(dst, src);
	assert_string_equal(dst, "");
}

static void test_names(void **state)
{
	static const char *const kinds[] = { "fd",     "socket",  "process",
					     "thread", "mapping", "tempfile",
					     "cgroup" };
	static const char *const classes[] = { "leak", "late", "orphan",
					       "zombie" };
	static const char *const losses[] = {
		"ringbuf_full",	     "object_table_full", "process_table_full",
		"cgroup_table_full", "path_truncated",	  "origin_table_full",
		"thread_table_full", "stack_table_full"
	};
	static const char *const events[] = {
		"?",	       "fork",	       "exec",	       "exit",
		"reap",	       "thread_new",   "thread_exit",  "fd_open",
		"fd_close",    "mmap",	       "munmap",       "temp_create",
		"temp_unlink", "temp_rename",  "cgroup_mkdir", "cgroup_rmdir",
		"tcp_state",   "leak_released"
	};

	(void)state;
	assert_int_equal(ARRAY_SIZE(kinds), LS_KIND_MAX);
	assert_int_equal(ARRAY_SIZE(classes), LS_CLASS_MAX);
	assert_int_equal(ARRAY_SIZE(losses), LS_LOSS_MAX);
	assert_int_equal(ARRAY_SIZE(events), LS_EV_MAX);
	for (int i = 0; i < LS_KIND_MAX; i++)
		assert_string_equal(ls_kind_name(i), kinds[i]);
	for (int i = 0; i < LS_CLASS_MAX; i++)
		assert_string_equal(ls_class_name(i), classes[i]);
	for (int i = 0; i < LS_LOSS_MAX; i++)
		assert_string_equal(ls_loss_name(i), losses[i]);
	for (int i = 0; i < LS_EV_MAX; i++)
		assert_string_equal(ls_event_name(i), events[i]);
	assert_string_equal(ls_kind_name(LS_KIND_MAX), "?");
	assert_string_equal(ls_kind_name((enum ls_kind)1000), "?");
	assert_string_equal(ls_kind_name((enum ls_kind) - 1), "?");
	assert_string_equal(ls_class_name(LS_CLASS_MAX), "?");
	assert_string_equal(ls_class_name((enum ls_class) - 1), "?");
	assert_string_equal(ls_loss_name(LS_LOSS_MAX), "?");
	assert_string_equal(ls_loss_name((enum ls_loss) - 1), "?");
	assert_string_equal(ls_event_name(LS_EV_MAX), "?");
	assert_string_equal(ls_event_name((enum ls_event_type) - 1), "?");
}

static void test_count_and_leftovers(void **state)
{
	struct fx *fx = *state;

	assert_false(ls_report_has_leftovers(&fx->r));
	assert_int_equal(ls_report_count(&fx->r, LS_KIND_FD, LS_CLASS_MAX), 0);
	add_fd(fx, 1, "a", 3, "file", "/a");
	add_fd(fx, 1, "a", 4, "file", "/b");
	add(fx, LS_KIND_FD, LS_CLASS_LEAK, 1, "a");
	add_process(fx, LS_CLASS_ZOMBIE, 2, "z");
	assert_true(ls_report_has_leftovers(&fx->r));
	assert_int_equal(ls_report_count(&fx->r, LS_KIND_FD, LS_CLASS_MAX), 3);
	assert_int_equal(ls_report_count(&fx->r, LS_KIND_FD, LS_CLASS_ORPHAN),
			 2);
	assert_int_equal(ls_report_count(&fx->r, LS_KIND_FD, LS_CLASS_LEAK), 1);
	assert_int_equal(ls_report_count(&fx->r, LS_KIND_FD, LS_CLASS_ZOMBIE),
			 0);
	assert_int_equal(
		ls_report_count(&fx->r, LS_KIND_PROCESS, LS_CLASS_ZOMBIE), 1);
	assert_int_equal(ls_report_count(&fx->r, LS_KIND_SOCKET, LS_CLASS_MAX),
			 0);
}

static void test_lossy(void **state)
{
	struct fx *fx = *state;

	assert_false(ls_report_lossy(&fx->r));
	for (int l = 0; l < LS_LOSS_MAX; l++) {
		fx->r.metrics.losses[l] = 1;
		assert_true(ls_report_lossy(&fx->r));
		fx->r.metrics.losses[l] = 0;
	}
	assert_false(ls_report_lossy(&fx->r));
	fx->r.metrics.malformed = 1;
	assert_true(ls_report_lossy(&fx->r));
	fx->r.metrics.malformed = 0;
	/* Received fewer than seen is not a loss by itself. */
	fx->r.metrics.events[LS_EV_FD_OPEN] = 10;
	assert_false(ls_report_lossy(&fx->r));
}

static void test_init_defaults(void **state)
{
	struct ls_report r;

	(void)state;
	memset(&r, 0xa5, sizeof(r));
	ls_report_init(&r, "attach");
	assert_string_equal(r.mode, "attach");
	assert_int_equal(r.exit_kind, LS_CHILD_NONE);
	assert_int_equal(r.n_findings, 0);
	assert_null(r.findings);
	assert_int_equal(r.n_notes, 0);
	assert_null(r.argv);
	assert_false(r.cleanup.attempted);
	ls_report_free(&r);
}

static void test_add_defaults_and_growth(void **state)
{
	struct fx *fx = *state;
	struct ls_finding *f;

	for (int i = 0; i < 1000; i++) {
		f = ls_report_add(&fx->r, i % LS_KIND_MAX, i % LS_CLASS_MAX);
		assert_non_null(f);
		assert_ptr_equal(f, &fx->r.findings[i]);
		assert_int_equal(f->kind, i % LS_KIND_MAX);
		assert_int_equal(f->cls, i % LS_CLASS_MAX);
		assert_int_equal(f->fd, -1);
		assert_int_equal(f->local_port, -1);
		assert_int_equal(f->peer_port, -1);
		assert_true(f->created_at < 0);
		assert_false(f->has_creator);
		assert_null(f->path);
		assert_null(f->argv);
		assert_null(f->test);
		f->path = malloc(8); /* freed by ls_report_free */
		assert_non_null(f->path);
	}
	assert_int_equal(fx->r.n_findings, 1000);
	assert_true(fx->r.cap_findings >= 1000);
	assert_int_equal(ls_report_count(&fx->r, LS_KIND_CGROUP, LS_CLASS_MAX),
			 142);
}

static void test_note_limit(void **state)
{
	struct fx *fx = *state;

	for (int i = 0; i < 20; i++)
		ls_report_note(&fx->r, "note %d", i);
	assert_int_equal(fx->r.n_notes, 16);
	assert_string_equal(fx->r.notes[0], "note 0");
	assert_string_equal(fx->r.notes[15], "note 15");
}

static void test_free_resets(void **state)
{
	struct fx *fx = *state;

	add_process(fx, LS_CLASS_ORPHAN, 1, "a")->argv = heap_argv("a", NULL);
	ls_report_note(&fx->r, "x");
	ls_report_free(&fx->r);
	assert_int_equal(fx->r.n_findings, 0);
	assert_null(fx->r.findings);
	assert_int_equal(fx->r.n_notes, 0);
	/* A freed report can be freed again (the teardown does). */
	ls_report_init(&fx->r, "run");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_write_error),
		T(test_write_dispatch),
		cmocka_unit_test(test_comm_copy),
		cmocka_unit_test(test_names),
		T(test_count_and_leftovers),
		T(test_lossy),
		cmocka_unit_test(test_init_defaults),
		T(test_add_defaults_and_growth),
		T(test_note_limit),
		T(test_free_resets),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
