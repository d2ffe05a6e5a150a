// SPDX-License-Identifier: GPL-2.0
/*
 * test_report_text.c - unit tests for user/report_text.c, on reports built
 * by hand: the headline, grouping, wording and counts line by line.
 *
 * Must not: leak (report_fx.h).
 */
#include "report_fx.h"

/* ---- text ---- */

static const char *text_of(struct fx *fx)
{
	struct capture c;
	int rc;

	free(fx->text);
	rc = ls_report_write_text(&fx->r, capture_open(&c));
	fx->text = capture_close(&c);
	assert_int_equal(rc, 0);
	return fx->text;
}

static const char *first_line(struct fx *fx)
{
	static char line[1024];
	const char *t = text_of(fx);

	snprintf(line, sizeof(line), "%.*s", (int)strcspn(t, "\n"), t);
	return line;
}

static void test_text_nothing_left(void **state)
{
	struct fx *fx = *state;
	char *argv[] = { "true", NULL };
	const char *t;

	fx->r.argv = argv;
	fx->r.exit_kind = LS_CHILD_EXITED;
	fx->r.duration_s = 1.234;
	assert_string_equal(first_line(fx),
			    "leakscope: `true` exited with status 0 after "
			    "1.23s: nothing left "
			    "behind.");
	t = fx->text;
	assert_line(t, "  nothing lost: every event was counted");
	assert_line(
		t,
		"  activity        created   released       peak      alive");
	assert_not_contains(t, "cleanup");
	assert_not_contains(t, "LOST");
	assert_not_contains(t, "note:");
}

static void test_text_attach_headline(void **state)
{
	struct fx *fx = *state;

	fx->r.mode = "attach";
	fx->r.duration_s = 2;
	assert_string_equal(first_line(fx),
			    "leakscope: watched /sys/fs/cgroup/ls/run-1 after "
			    "2.00s: nothing left behind.");
	fx->r.interrupted = true;
	assert_string_equal(first_line(fx),
			    "leakscope: watched /sys/fs/cgroup/ls/run-1 after "
			    "2.00s (interrupted): nothing left behind.");
}

static void test_text_exit_wording(void **state)
{
	struct fx *fx = *state;
	char *argv[] = { "sleep", "100", NULL };

	fx->r.argv = argv;
	fx->r.duration_s = 0.5;
	fx->r.exit_kind = LS_CHILD_SIGNALED;
	fx->r.exit_code = 9;
	assert_string_equal(first_line(fx),
			    "leakscope: `sleep 100` was killed by signal 9 "
			    "after 0.50s: nothing left behind.");
	fx->r.exit_kind = LS_CHILD_NOT_STARTED;
	snprintf(fx->r.start_error, sizeof(fx->r.start_error),
		 "No such file or directory");
	assert_string_equal(first_line(fx),
			    "leakscope: `sleep 100` could not be started (No "
			    "such file or directory) after 0.50s: nothing left "
			    "behind.");
	fx->r.exit_kind = LS_CHILD_EXITED;
	fx->r.exit_code = 2;
	assert_string_equal(first_line(fx),
			    "leakscope: `sleep 100` exited with status 2 after "
			    "0.50s: nothing left behind.");
}

static void test_text_long_command_cut(void **state)
{
	struct fx *fx = *state;
	char *argv[21];

	for (int i = 0; i < 20; i++)
		argv[i] = "abcd";
	argv[20] = NULL;
	fx->r.argv = argv;
	fx->r.exit_kind = LS_CHILD_EXITED;
	assert_string_equal(
		first_line(fx),
		"leakscope: `abcd abcd abcd abcd abcd abcd abcd abcd abcd abcd "
		"abcd "
		"abcd abcd ...` exited with status 0 after 1.50s: nothing left "
		"behind.");
}

static void test_text_headline_counts(void **state)
{
	struct fx *fx = *state;

	fx->r.mode = "attach";
	add_process(fx, LS_CLASS_ORPHAN, 100, "srv");
	add_fd(fx, 100, "srv", 3, "file", "/a");
	add_fd(fx, 100, "srv", 4, "file", "/b");
	assert_string_equal(first_line(fx),
			    "leakscope: watched /sys/fs/cgroup/ls/run-1 after "
			    "1.50s: left behind 1 process, 2 fds.");
}

static void test_text_headline_every_kind(void **state)
{
	struct fx *fx = *state;
	struct ls_finding *f;

	fx->r.mode = "attach";
	/* Added out of order: the headline has its own. */
	for (int i = 0; i < 3; i++) {
		f = add(fx, LS_KIND_CGROUP, LS_CLASS_ORPHAN, 0, "");
		f->path = strdup("/cg");
	}
	f = add(fx, LS_KIND_TEMPFILE, LS_CLASS_ORPHAN, 1, "x");
	f->type = "file";
	add(fx, LS_KIND_MAPPING, LS_CLASS_ORPHAN, 1, "x");
	add(fx, LS_KIND_SOCKET, LS_CLASS_ORPHAN, 1, "x");
	add(fx, LS_KIND_SOCKET, LS_CLASS_ORPHAN, 1, "x");
	add_fd(fx, 1, "x", 3, "file", "/f");
	add(fx, LS_KIND_THREAD, LS_CLASS_ORPHAN, 1, "x");
	add_process(fx, LS_CLASS_ORPHAN, 1, "x");
	add_process(fx, LS_CLASS_ZOMBIE, 2, "y");
	assert_string_equal(
		first_line(fx),
		"leakscope: watched /sys/fs/cgroup/ls/run-1 after 1.50s: left "
		"behind 2 processes, 1 thread, 1 fd, 2 sockets, 1 mapping, 1 "
		"temporary file, 3 cgroups.");
}

/* fds, sockets and threads are listed under the process that holds them. */
static void test_text_groups_under_process(void **state)
{
	struct fx *fx = *state;
	struct ls_finding *f;
	const char *t, *p100, *fd3, *fd4, *th, *p200, *fd5;

	f = add_process(fx, LS_CLASS_ORPHAN, 100, "server");
	f->argv = heap_argv("server", "--port", "80", NULL);
	f->threads = 2;
	f->rss_bytes = 4096;
	creator(f, 99, 99, "sh", 0.25);
	f = add_process(fx, LS_CLASS_ORPHAN, 200, "helper");
	f->rss_bytes = 20 << 20;
	add_fd(fx, 200, "helper", 5, "pipe", "pipe:[9]");
	add_fd(fx, 100, "server", 3, "file", "/tmp/log");
	f = add(fx, LS_KIND_SOCKET, LS_CLASS_ORPHAN, 100, "server");
	f->fd = 4;
	f->type = "socket";
	f->family = "inet";
	f->protocol = "tcp";
	f->state = "ESTABLISHED";
	snprintf(f->local_addr, sizeof(f->local_addr), "127.0.0.1");
	f->local_port = 8080;
	snprintf(f->peer_addr, sizeof(f->peer_addr), "127.0.0.1");
	f->peer_port = 5432;
	f->database = "postgresql";
	creator(f, 100, 100, "server", 1.5);
	f = add(fx, LS_KIND_THREAD, LS_CLASS_ORPHAN, 100, "worker");
	f->tid = 101;
	t = text_of(fx);
	assert_line(t, "  processes still running (orphans)");
	assert_line(t, "    pid 100 (server) `server --port 80`, 2 threads, "
		       "4096 bytes resident, started by pid 99 (sh) at "
		       "+0.250s");
	assert_line(t, "      fd 3   file     /tmp/log");
	assert_line(t, "      fd 4   socket   tcp 127.0.0.1:8080 -> "
		       "127.0.0.1:5432 ESTABLISHED  [postgresql database "
		       "connection]  opened by pid 100 (server) at +1.500s");
	assert_line(t, "      thread 101 (worker)");
	assert_line(t, "    pid 200 (helper), 1 thread, 20.0 MiB resident");
	assert_line(t, "      fd 5   pipe     pipe:[9]");
	assert_not_contains(t, "processes that were there before it");
	/* In that order: each holder, then what it holds. */
	p100 = strstr(t, "    pid 100 ");
	fd3 = strstr(t, "      fd 3 ");
	fd4 = strstr(t, "      fd 4 ");
	th = strstr(t, "      thread 101");
	p200 = strstr(t, "    pid 200 ");
	fd5 = strstr(t, "      fd 5 ");
	assert_true(p100 < fd3 && fd3 < fd4 && fd4 < th && th < p200 &&
		    p200 < fd5);
}

static void test_text_zombie(void **state)
{
	struct fx *fx = *state;
	struct ls_finding *f = add_process(fx, LS_CLASS_ZOMBIE, 300, "defunct");
	const char *t;

	f->ppid = 100;
	f->exit_status = 256;
	t = text_of(fx);
	assert_line(t, "  zombies (exited, not reaped)");
	assert_line(t, "    pid 300 (defunct), exit status 256, parent pid 100 "
		       "never reaped it");
	assert_not_contains(t, "orphans");
	assert_not_contains(t, "resident");
}

static void test_text_inherited_fds(void **state)
{
	struct fx *fx = *state;
	struct ls_finding *f = add_process(fx, LS_CLASS_ORPHAN, 100, "srv");
	const char *t;

	snprintf(f->inherited_fds, sizeof(f->inherited_fds), "0,1,2");
	t = text_of(fx);
	assert_line(t, "      (fds 0,1,2 came from outside the watch)");
	f->inherited_fds[0] = 0;
	t = text_of(fx);
	assert_not_contains(t, "came from outside");
}

static void test_text_loose_fds(void **state)
{
	struct fx *fx = *state;
	struct ls_finding *f;
	const char *t;

	add_fd(fx, 7, "bash", 5, "pipe", "pipe:[99]");
	f = add(fx, LS_KIND_THREAD, LS_CLASS_ORPHAN, 7, "bash");
	f->tid = 8;
	t = text_of(fx);
	assert_line(t, "  created during the watch, still open in processes "
		       "that were there before it");
	assert_line(t, "    pid 7 (bash): fd 5   pipe     pipe:[99]");
	assert_line(t, "    pid 7 (bash): thread 8 (bash)");
	assert_not_contains(t, "orphans");
}

static void test_text_tempfiles(void **state)
{
	struct fx *fx = *state;
	struct ls_finding *f;
	const char *t;

	f = add(fx, LS_KIND_TEMPFILE, LS_CLASS_ORPHAN, 5, "touch");
	f->path = strdup("/tmp/x");
	f->type = "file";
	f->bytes = 123;
	creator(f, 5, 5, "touch", 0.1);
	f = add(fx, LS_KIND_TEMPFILE, LS_CLASS_ORPHAN, 5, "mkdir");
	f->path = strdup("/tmp/d");
	f->type = "dir";
	f->is_dir = true;
	f->bytes = 20480;
	f = add(fx, LS_KIND_TEMPFILE, LS_CLASS_ORPHAN, 5, "dd");
	f->path = strdup("/tmp/big");
	f->type = "file";
	f->bytes = 50ULL << 20;
	t = text_of(fx);
	assert_line(t, "  temporary files and directories");
	assert_line(t, "    /tmp/x  (file, 123 bytes)  created by pid 5 "
		       "(touch) at +0.100s");
	assert_line(t, "    /tmp/d  (dir, 20.0 KiB)");
	assert_line(t, "    /tmp/big  (file, 50.0 MiB)");
}

static void test_text_cgroups(void **state)
{
	struct fx *fx = *state;
	struct ls_finding *f = add(fx, LS_KIND_CGROUP, LS_CLASS_ORPHAN, 0, "");
	const char *t;

	f->path = strdup("/sys/fs/cgroup/ls/run-1/child");
	t = text_of(fx);
	assert_line(t, "  cgroups");
	assert_line(t, "    /sys/fs/cgroup/ls/run-1/child");
}

static void test_text_lost_line(void **state)
{
	struct fx *fx = *state;
	const char *t;

	fx->r.metrics.losses[LS_LOSS_RINGBUF] = 3;
	fx->r.metrics.losses[LS_LOSS_PATH_TRUNC] = 1;
	fx->r.metrics.malformed = 2;
	t = text_of(fx);
	assert_line(t, "  LOST: 3 ringbuf_full, 1 path_truncated, 2 malformed "
		       "records -- confidence reduced: details may be missing; "
		       "leftovers were still checked on the live system");
	assert_not_contains(t, "nothing lost");
	assert_line(t, "  to lose less, raise: --ring-size");
	fx->r.metrics = (struct ls_metrics){ .malformed = 1 };
	t = text_of(fx);
	assert_contains(t, "  LOST: 1 malformed records -- confidence reduced");
	assert_not_contains(t, "to lose less");
}

/* Every table loss names its option, in the order of the losses. */
static void test_text_lost_remedies(void **state)
{
	struct fx *fx = *state;
	const char *t;

	for (int l = 0; l < LS_LOSS_MAX; l++)
		fx->r.metrics.losses[l] = 1;
	t = text_of(fx);
	assert_line(t, "  to lose less, raise: --ring-size, --max-objects, "
		       "--max-processes, --max-threads, --max-stacks");
	fx->r.metrics = (struct ls_metrics){ 0 };
	fx->r.metrics.losses[LS_LOSS_PATH_TRUNC] = 4;
	fx->r.metrics.losses[LS_LOSS_CGROUP_TABLE] = 1;
	t = text_of(fx);
	assert_contains(t, "  LOST: 1 cgroup_table_full, 4 path_truncated");
	assert_not_contains(t, "to lose less");
}

static void test_text_cleanup(void **state)
{
	struct fx *fx = *state;
	const char *t;

	fx->r.cleanup.attempted = true;
	fx->r.cleanup.terminated = 1;
	fx->r.cleanup.killed = true;
	fx->r.cleanup.cgroup_removed = true;
	t = text_of(fx);
	assert_line(t, "  cleanup: SIGTERM to 1 process; cgroup.kill for what "
		       "ignored it; cgroup removed");
	assert_not_contains(t, "cleanup problem");
	fx->r.cleanup.terminated = 3;
	fx->r.cleanup.killed = false;
	fx->r.cleanup.cgroup_removed = false;
	snprintf(fx->r.cleanup.error, sizeof(fx->r.cleanup.error), "EBUSY");
	t = text_of(fx);
	assert_line(t, "  cleanup: SIGTERM to 3 processes; cgroup NOT removed");
	assert_line(t, "  cleanup problem: EBUSY");
	fx->r.cleanup = (typeof(fx->r.cleanup)){ .kept = true };
	t = text_of(fx);
	assert_line(t, "  cleanup: --keep-orphans: leftovers left running in "
		       "/sys/fs/cgroup/ls/run-1");
}

static void test_text_metrics(void **state)
{
	struct fx *fx = *state;
	struct ls_metrics *m = &fx->r.metrics;
	const char *t;

	m->kinds[LS_KIND_FD] = (struct ls_kind_stats){
		.created = 5, .released = 3, .cur = 2, .peak = 4
	};
	m->kinds[LS_KIND_MAPPING] =
		(struct ls_kind_stats){ .created = 9,
					.released = 1,
					.cur = 8,
					.peak = 8,
					.bytes_peak = 20 << 20 };
	t = text_of(fx);
	assert_line(
		t,
		"    fd                  5          3          4          2");
	assert_line(t,
		    "    mapping             9          1          8          "
		    "8  (peak 20.0 MiB mapped)");
	assert_not_contains(t, "level snapshot");
	fx->r.level = LS_LEVEL_SNAPSHOT;
	t = text_of(fx);
	assert_line(t, "    (level snapshot: fd, socket, mapping and tempfile "
		       "activity is not traced)");
}

static void test_text_notes(void **state)
{
	struct fx *fx = *state;
	const char *t;

	ls_report_note(&fx->r, "hello %d", 1);
	ls_report_note(&fx->r, "world");
	t = text_of(fx);
	assert_line(t, "  note: hello 1");
	assert_line(t, "  note: world");
}

/* Every class of process finding the headline counts is also listed. */
static void test_text_lists_leak_class_process(void **state)
{
	struct fx *fx = *state;
	const char *t;

	add_process(fx, LS_CLASS_LEAK, 100, "leaker");
	add_fd(fx, 100, "leaker", 3, "file", "/tmp/leaked-log");
	t = text_of(fx);
	assert_contains(t, "left behind 1 process, 1 fd.");
	assert_contains(t, "pid 100 (leaker)");
	assert_contains(t, "/tmp/leaked-log");
}

/* The headline counts mappings; the body must say which they are. */
static void test_text_lists_mappings(void **state)
{
	struct fx *fx = *state;
	struct ls_finding *f =
		add(fx, LS_KIND_MAPPING, LS_CLASS_ORPHAN, 100, "srv");
	const char *t;

	f->path = strdup("/dev/shm/segment");
	f->bytes = 1 << 20;
	t = text_of(fx);
	assert_contains(t, "left behind 1 mapping.");
	assert_contains(t, "/dev/shm/segment");
}

/*
 * The text report is "grep-able per line" and read in terminals: a hostile
 * name (a temp file's path is chosen by the test) must not add lines of its
 * own or send terminal escape sequences.
 */
static void test_text_hostile_path_contained(void **state)
{
	struct fx *fx = *state;
	struct ls_finding *f;
	const char *t;

	f = add(fx, LS_KIND_TEMPFILE, LS_CLASS_ORPHAN, 5, "evil");
	f->path = strdup("/tmp/evil\n  cleanup: cgroup removed\x1b[2J\r");
	f->type = "file";
	t = text_of(fx);
	assert_contains(t, "/tmp/evil");
	assert_null(strchr(t, '\x1b'));
	assert_null(strchr(t, '\r'));
	assert_not_contains(t, "\n  cleanup: cgroup removed");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_text_nothing_left),
		T(test_text_attach_headline),
		T(test_text_exit_wording),
		T(test_text_long_command_cut),
		T(test_text_headline_counts),
		T(test_text_headline_every_kind),
		T(test_text_groups_under_process),
		T(test_text_zombie),
		T(test_text_inherited_fds),
		T(test_text_loose_fds),
		T(test_text_tempfiles),
		T(test_text_cgroups),
		T(test_text_lost_remedies),
		T(test_text_lost_line),
		T(test_text_cleanup),
		T(test_text_metrics),
		T(test_text_notes),
		T(test_text_lists_leak_class_process),
		T(test_text_lists_mappings),
		T(test_text_hostile_path_contained),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
