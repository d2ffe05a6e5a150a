// SPDX-License-Identifier: GPL-2.0
/*
 * test_events.c - unit tests for user/events.c: ls_events_handle fed with
 * hand-built ring-buffer records. Checks the process registry (fork, exec
 * with its argv rules, exit, reap, reused pids), the cgroup registry, the
 * per-type received[] counts, temp events forwarded to a ls_temps, and that
 * malformed records (short, mis-sized, unknown type, truncated payload) are
 * counted and otherwise ignored.
 *
 * Malformed records are passed in heap buffers of exactly their claimed
 * size, so that valgrind or ASan sees any read past them.
 * Must not: depend on the machine (the temp-file part uses a root under a
 * private mkdtemp directory only).
 */
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <unistd.h>

#include "unit.h"
#include "events.h"

/* Copies up to @len bytes of @s into @dst, which the caller zeroed: a
 * string of exactly @len bytes is left unterminated, as the kernel may. */
static void copy_field(char *dst, const char *s, size_t len)
{
	size_t n = strlen(s);

	memcpy(dst, s, n < len ? n : len);
}

static void hdr(struct ls_event_hdr *h, uint32_t type, uint32_t size,
		uint32_t tgid, uint32_t tid, const char *comm)
{
	h->type = type;
	h->size = size;
	h->tgid = tgid;
	h->tid = tid;
	h->ts = 1000000ULL * tgid + tid;
	h->test = 77;
	copy_field(h->comm, comm, sizeof(h->comm));
}

/* A copy of @rec in a heap buffer of exactly @size bytes, handled. */
static int handle_n(struct ls_events *e, const void *rec, size_t size)
{
	void *buf = malloc(size ? size : 1);
	int rc;

	assert_non_null(buf);
	memcpy(buf, rec, size);
	rc = ls_events_handle(e, buf, size);
	free(buf);
	return rc;
}

static void send_proc(struct ls_events *e, uint32_t type, uint32_t pid,
		      uint32_t ppid, uint32_t actor, const char *comm,
		      int32_t code)
{
	struct ls_ev_proc r;

	memset(&r, 0, sizeof(r));
	hdr(&r.h, type, sizeof(r), actor, actor + 1, comm);
	r.pid = pid;
	r.ppid = ppid;
	r.code = code;
	r.flags = 1;
	assert_int_equal(handle_n(e, &r, sizeof(r)), 0);
}

static void send_exec(struct ls_events *e, uint32_t tgid, const char *comm,
		      const void *argv, size_t n, uint32_t argv_len)
{
	struct ls_ev_exec r;

	memset(&r, 0, sizeof(r));
	hdr(&r.h, LS_EV_PROC_EXEC, sizeof(r), tgid, tgid, comm);
	memcpy(r.argv, argv, n);
	r.argv_len = argv_len;
	assert_int_equal(handle_n(e, &r, sizeof(r)), 0);
}

static void send_cgroup(struct ls_events *e, uint32_t type, uint64_t cgid,
			const char *path)
{
	struct ls_ev_cgroup r;

	memset(&r, 0, sizeof(r));
	hdr(&r.h, type, sizeof(r), 300, 301, "mkdirer");
	r.cgid = cgid;
	r.level = 3;
	copy_field(r.path, path, sizeof(r.path));
	assert_int_equal(handle_n(e, &r, sizeof(r)), 0);
}

static struct ls_proc_info *proc(struct ls_events *e, uint32_t tgid)
{
	return ls_u64map_get(&e->procs, tgid);
}

static uint64_t total_received(const struct ls_events *e)
{
	uint64_t n = 0;

	for (int i = 0; i < LS_EV_MAX; i++)
		n += e->received[i];
	return n;
}

static int setup(void **state)
{
	struct ls_events *e = malloc(sizeof(*e));

	if (!e)
		return -1;
	ls_events_init(e, NULL);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	ls_events_free(*state);
	free(*state);
	return 0;
}

/* ---- processes ---- */

static void test_init_empty(void **state)
{
	struct ls_events *e = *state;

	assert_int_equal(e->procs.used, 0);
	assert_int_equal(e->cgroups.used, 0);
	assert_null(e->temps);
	assert_int_equal(total_received(e), 0);
	assert_int_equal(e->malformed, 0);
}

static void test_fork_registers(void **state)
{
	struct ls_events *e = *state;
	struct ls_proc_info *p;

	send_proc(e, LS_EV_PROC_FORK, 100, 50, 50, "bash", 0);
	p = proc(e, 100);
	assert_non_null(p);
	assert_int_equal(p->tgid, 100);
	assert_int_equal(p->ppid, 50);
	assert_int_equal(p->creator_tid, 51);
	assert_string_equal(p->creator_comm, "bash");
	assert_string_equal(p->comm, "bash");
	assert_true(p->fork_ns == 50000051);
	assert_true(p->exit_ns == 0);
	assert_false(p->exited);
	assert_null(p->argv);
	assert_int_equal(p->argv_len, 0);
	assert_true(p->test == 77);
	assert_null(proc(e, 50)); /* the parent is not entered */
	assert_int_equal(e->received[LS_EV_PROC_FORK], 1);
	assert_int_equal(total_received(e), 1);
	assert_int_equal(e->malformed, 0);
}

static void test_exec_argv(void **state)
{
	struct ls_events *e = *state;
	static const char argv[] = "ls\0-l\0/tmp";
	struct ls_proc_info *p;

	send_proc(e, LS_EV_PROC_FORK, 100, 50, 50, "bash", 0);
	send_exec(e, 100, "ls", argv, sizeof(argv), sizeof(argv));
	p = proc(e, 100);
	assert_non_null(p);
	assert_int_equal(p->argv_len, sizeof(argv));
	assert_memory_equal(p->argv, argv, sizeof(argv));
	assert_int_equal(p->argv[p->argv_len], 0);
	/* comm follows the exec; the creator's stays. */
	assert_string_equal(p->comm, "ls");
	assert_string_equal(p->creator_comm, "bash");
	assert_int_equal(p->ppid, 50);
	/* A second exec replaces the argv (and frees the first). */
	send_exec(e, 100, "true", "true", 5, 5);
	assert_int_equal(p->argv_len, 5);
	assert_string_equal(p->argv, "true");
	assert_string_equal(p->comm, "true");
	assert_int_equal(e->received[LS_EV_PROC_EXEC], 2);
}

static void test_exec_without_fork(void **state)
{
	struct ls_events *e = *state;
	struct ls_proc_info *p;

	send_exec(e, 700, "sh", "sh\0-c", 6, 6);
	p = proc(e, 700);
	assert_non_null(p);
	assert_int_equal(p->tgid, 700);
	assert_int_equal(p->ppid, 0);
	assert_true(p->fork_ns == 0);
	assert_int_equal(p->creator_tid, 0);
	assert_string_equal(p->comm, "sh");
	assert_memory_equal(p->argv, "sh\0-c", 6);
}

static void test_exec_argv_len_too_long(void **state)
{
	struct ls_events *e = *state;
	char argv[LS_ARGV_LEN];
	struct ls_proc_info *p;

	for (size_t i = 0; i < sizeof(argv); i++)
		argv[i] = i % 10 == 9 ? 0 : 'a' + i % 10;
	send_exec(e, 100, "x", argv, sizeof(argv), 100000);
	p = proc(e, 100);
	assert_non_null(p);
	assert_int_equal(p->argv_len, LS_ARGV_LEN);
	assert_memory_equal(p->argv, argv, LS_ARGV_LEN);
	assert_int_equal(p->argv[LS_ARGV_LEN], 0);
	send_exec(e, 100, "x", argv, sizeof(argv), UINT32_MAX);
	assert_int_equal(p->argv_len, LS_ARGV_LEN);
}

static void test_exec_argv_unterminated(void **state)
{
	struct ls_events *e = *state;
	char argv[LS_ARGV_LEN];
	struct ls_proc_info *p;

	memset(argv, 'z', sizeof(argv));
	send_exec(e, 100, "x", argv, sizeof(argv), LS_ARGV_LEN);
	p = proc(e, 100);
	assert_non_null(p);
	assert_int_equal(strlen(p->argv), LS_ARGV_LEN);
	/* Shorter than the buffer and cut mid-word: still ends. */
	send_exec(e, 100, "x", argv, sizeof(argv), 10);
	assert_int_equal(p->argv_len, 10);
	assert_string_equal(p->argv, "zzzzzzzzzz");
}

static void test_exec_argv_empty(void **state)
{
	struct ls_events *e = *state;
	struct ls_proc_info *p;

	send_exec(e, 100, "x", "junk", 4, 0);
	p = proc(e, 100);
	assert_non_null(p);
	assert_non_null(p->argv);
	assert_int_equal(p->argv_len, 0);
	assert_string_equal(p->argv, "");
}

static void test_exit(void **state)
{
	struct ls_events *e = *state;
	struct ls_proc_info *p;

	send_proc(e, LS_EV_PROC_FORK, 100, 50, 50, "bash", 0);
	send_proc(e, LS_EV_PROC_EXIT, 100, 50, 100, "bash", 0x100);
	p = proc(e, 100);
	assert_non_null(p);
	assert_true(p->exited);
	assert_int_equal(p->exit_code, 0x100);
	assert_true(p->exit_ns == 100000101);
	assert_int_equal(p->ppid, 50); /* kept from the fork */
	assert_int_equal(e->received[LS_EV_PROC_EXIT], 1);
}

static void test_exit_unknown_process(void **state)
{
	struct ls_events *e = *state;
	struct ls_proc_info *p;

	send_proc(e, LS_EV_PROC_EXIT, 555, 1, 555, "old", 9);
	p = proc(e, 555);
	assert_non_null(p);
	assert_true(p->exited);
	assert_int_equal(p->exit_code, 9);
	assert_true(p->fork_ns == 0);
}

static void test_reap_deletes(void **state)
{
	struct ls_events *e = *state;

	send_proc(e, LS_EV_PROC_FORK, 100, 50, 50, "bash", 0);
	send_exec(e, 100, "ls", "ls", 3, 3);
	send_proc(e, LS_EV_PROC_FORK, 101, 50, 50, "bash", 0);
	send_proc(e, LS_EV_PROC_EXIT, 100, 50, 100, "ls", 0);
	send_proc(e, LS_EV_PROC_REAP, 100, 50, 50, "bash", 0);
	assert_null(proc(e, 100));
	assert_non_null(proc(e, 101));
	assert_int_equal(e->procs.used, 1);
	/* Reaping what was never seen is harmless. */
	send_proc(e, LS_EV_PROC_REAP, 9999, 1, 1, "init", 0);
	assert_int_equal(e->procs.used, 1);
	assert_int_equal(e->received[LS_EV_PROC_REAP], 2);
	assert_int_equal(e->malformed, 0);
}

static void test_fork_of_reused_pid_resets(void **state)
{
	struct ls_events *e = *state;
	struct ls_proc_info *p;

	send_proc(e, LS_EV_PROC_FORK, 100, 50, 50, "bash", 0);
	send_exec(e, 100, "ls", "ls", 3, 3);
	send_proc(e, LS_EV_PROC_EXIT, 100, 50, 100, "ls", 0x200);
	/* The reap was lost; the pid comes back for someone else. */
	send_proc(e, LS_EV_PROC_FORK, 100, 60, 60, "make", 0);
	p = proc(e, 100);
	assert_non_null(p);
	assert_int_equal(p->ppid, 60);
	assert_int_equal(p->creator_tid, 61);
	assert_string_equal(p->creator_comm, "make");
	assert_string_equal(p->comm, "make");
	assert_null(p->argv);
	assert_int_equal(p->argv_len, 0);
	assert_false(p->exited);
	assert_int_equal(p->exit_code, 0);
	assert_true(p->exit_ns == 0);
	assert_int_equal(e->procs.used, 1);
}

static void test_comm_unterminated(void **state)
{
	struct ls_events *e = *state;
	struct ls_ev_proc r;
	struct ls_proc_info *p;

	memset(&r, 0, sizeof(r));
	hdr(&r.h, LS_EV_PROC_FORK, sizeof(r), 1, 1, "");
	memset(r.h.comm, 'c', sizeof(r.h.comm));
	r.pid = 2;
	assert_int_equal(handle_n(e, &r, sizeof(r)), 0);
	p = proc(e, 2);
	assert_non_null(p);
	/* Kept as the kernel's 16 bytes; readers bound it (ls_comm_copy). */
	assert_memory_equal(p->comm, r.h.comm, LS_COMM_LEN);
}

static void test_many_processes(void **state)
{
	struct ls_events *e = *state;

	for (uint32_t pid = 1000; pid < 4000; pid++)
		send_proc(e, LS_EV_PROC_FORK, pid, 1, 1, "init", 0);
	for (uint32_t pid = 1000; pid < 4000; pid += 2)
		send_proc(e, LS_EV_PROC_REAP, pid, 1, 1, "init", 0);
	assert_int_equal(e->procs.used, 1500);
	assert_null(proc(e, 1000));
	assert_non_null(proc(e, 1001));
	assert_int_equal(proc(e, 3999)->tgid, 3999);
	assert_int_equal(e->received[LS_EV_PROC_FORK], 3000);
	assert_int_equal(e->received[LS_EV_PROC_REAP], 1500);
}

/* ---- cgroups ---- */

static void test_cgroup_mkdir_rmdir(void **state)
{
	struct ls_events *e = *state;
	struct ls_cgroup_info *c;

	send_cgroup(e, LS_EV_CGROUP_MKDIR, 5000, "/leakscope/run/a");
	c = ls_u64map_get(&e->cgroups, 5000);
	assert_non_null(c);
	assert_true(c->cgid == 5000);
	assert_string_equal(c->path, "/leakscope/run/a");
	assert_int_equal(c->tgid, 300);
	assert_int_equal(c->tid, 301);
	assert_string_equal(c->comm, "mkdirer");
	assert_true(c->ts == 300000301);
	assert_true(c->test == 77);
	send_cgroup(e, LS_EV_CGROUP_MKDIR, 5001, "/leakscope/run/b");
	send_cgroup(e, LS_EV_CGROUP_RMDIR, 5000, "/leakscope/run/a");
	assert_null(ls_u64map_get(&e->cgroups, 5000));
	assert_non_null(ls_u64map_get(&e->cgroups, 5001));
	/* rmdir of an unknown id: nothing to do. */
	send_cgroup(e, LS_EV_CGROUP_RMDIR, 42, "/x");
	assert_int_equal(e->cgroups.used, 1);
	assert_int_equal(e->received[LS_EV_CGROUP_MKDIR], 2);
	assert_int_equal(e->received[LS_EV_CGROUP_RMDIR], 2);
}

static void test_cgroup_same_id_replaced(void **state)
{
	struct ls_events *e = *state;
	struct ls_cgroup_info *c;

	send_cgroup(e, LS_EV_CGROUP_MKDIR, 7, "/first");
	send_cgroup(e, LS_EV_CGROUP_MKDIR, 7, "/second");
	c = ls_u64map_get(&e->cgroups, 7);
	assert_non_null(c);
	assert_string_equal(c->path, "/second");
	assert_int_equal(e->cgroups.used, 1);
}

static void test_cgroup_path_unterminated(void **state)
{
	struct ls_events *e = *state;
	struct ls_ev_cgroup r;
	struct ls_cgroup_info *c;

	memset(&r, 0, sizeof(r));
	hdr(&r.h, LS_EV_CGROUP_MKDIR, sizeof(r), 1, 1, "x");
	r.cgid = 9;
	memset(r.path, 'p', sizeof(r.path));
	assert_int_equal(handle_n(e, &r, sizeof(r)), 0);
	c = ls_u64map_get(&e->cgroups, 9);
	assert_non_null(c);
	assert_int_equal(strlen(c->path), LS_CGROUP_PATH_LEN - 1);
}

/* ---- other types, and temp events ---- */

static void test_other_types_counted_only(void **state)
{
	struct ls_events *e = *state;
	struct ls_ev_fd fd;
	struct ls_ev_mmap mm;
	struct ls_ev_sock sk;
	struct ls_ev_proc th;

	memset(&fd, 0, sizeof(fd));
	hdr(&fd.h, LS_EV_FD_OPEN, sizeof(fd), 10, 10, "a");
	assert_int_equal(handle_n(e, &fd, sizeof(fd)), 0);
	fd.h.type = LS_EV_FD_CLOSE;
	assert_int_equal(handle_n(e, &fd, sizeof(fd)), 0);
	memset(&mm, 0, sizeof(mm));
	hdr(&mm.h, LS_EV_MMAP, sizeof(mm), 10, 10, "a");
	assert_int_equal(handle_n(e, &mm, sizeof(mm)), 0);
	mm.h.type = LS_EV_MUNMAP;
	assert_int_equal(handle_n(e, &mm, sizeof(mm)), 0);
	memset(&sk, 0, sizeof(sk));
	hdr(&sk.h, LS_EV_SOCK_STATE, sizeof(sk), 10, 10, "a");
	assert_int_equal(handle_n(e, &sk, sizeof(sk)), 0);
	memset(&th, 0, sizeof(th));
	hdr(&th.h, LS_EV_THREAD_NEW, sizeof(th), 10, 11, "a");
	th.pid = 11;
	assert_int_equal(handle_n(e, &th, sizeof(th)), 0);
	th.h.type = LS_EV_THREAD_EXIT;
	assert_int_equal(handle_n(e, &th, sizeof(th)), 0);
	for (int t = LS_EV_THREAD_NEW; t <= LS_EV_MUNMAP; t++)
		assert_int_equal(e->received[t], 1);
	assert_int_equal(e->received[LS_EV_SOCK_STATE], 1);
	assert_int_equal(total_received(e), 7);
	/* Threads are not processes. */
	assert_int_equal(e->procs.used, 0);
	assert_int_equal(e->malformed, 0);
}

static void test_temp_without_registry(void **state)
{
	struct ls_events *e = *state;
	struct ls_ev_temp t;

	memset(&t, 0, sizeof(t));
	hdr(&t.h, LS_EV_TEMP_CREATE, sizeof(t), 1, 1, "x");
	t.root_idx = 0;
	memcpy(t.path, "f", 1);
	assert_int_equal(handle_n(e, &t, sizeof(t)), 0);
	assert_int_equal(e->received[LS_EV_TEMP_CREATE], 1);
	assert_int_equal(e->malformed, 0);
}

static void test_temp_forwarded(void **state)
{
	struct ls_events *e = *state;
	char tmpl[] = "/tmp/ls-unit-events-XXXXXX", why[256] = "";
	const char *extra[1] = { tmpl };
	struct ls_temps *temps = malloc(sizeof(*temps));
	struct ls_ev_temp t;
	uint64_t created, removed, live;
	int rc;

	assert_non_null(temps);
	assert_non_null(mkdtemp(tmpl));
	rc = ls_temps_init(temps, extra, 1, why, sizeof(why));
	e->temps = temps;
	memset(&t, 0, sizeof(t));
	hdr(&t.h, LS_EV_TEMP_CREATE, sizeof(t), 1, 1, "x");
	t.root_idx = temps->n_roots - 1;
	t.root2_idx = temps->n_roots - 1;
	memcpy(t.path, "f", 1);
	assert_int_equal(handle_n(e, &t, sizeof(t)), 0);
	t.h.type = LS_EV_TEMP_RENAME;
	memcpy(t.path2, "g", 1);
	assert_int_equal(handle_n(e, &t, sizeof(t)), 0);
	t.h.type = LS_EV_TEMP_UNLINK;
	memcpy(t.path, "g", 1);
	assert_int_equal(handle_n(e, &t, sizeof(t)), 0);
	e->temps = NULL;
	created = temps->n_created;
	removed = temps->n_removed;
	live = temps->n_live;
	ls_temps_free(temps);
	free(temps);
	nftw(tmpl, rm_one, 4, FTW_DEPTH | FTW_PHYS);
	assert_int_equal(rc, 0);
	assert_int_equal(created, 1);
	assert_int_equal(removed, 1);
	assert_int_equal(live, 0);
	assert_int_equal(e->received[LS_EV_TEMP_CREATE], 1);
	assert_int_equal(e->received[LS_EV_TEMP_RENAME], 1);
	assert_int_equal(e->received[LS_EV_TEMP_UNLINK], 1);
}

/* ---- malformed records ---- */

static void assert_untouched(const struct ls_events *e, uint64_t malformed)
{
	assert_int_equal(e->malformed, malformed);
	assert_int_equal(total_received(e), 0);
	assert_int_equal(e->procs.used, 0);
	assert_int_equal(e->cgroups.used, 0);
}

static void test_shorter_than_header(void **state)
{
	struct ls_events *e = *state;
	struct ls_ev_proc r;
	uint64_t n = 0;

	memset(&r, 0, sizeof(r));
	hdr(&r.h, LS_EV_PROC_FORK, sizeof(r), 1, 1, "x");
	r.pid = 2;
	for (size_t size = 0; size < sizeof(struct ls_event_hdr); size++) {
		assert_int_equal(handle_n(e, &r, size), 0);
		assert_untouched(e, ++n);
	}
	assert_int_equal(ls_events_handle(e, NULL, 0), 0);
	assert_untouched(e, ++n);
}

static void test_unknown_types(void **state)
{
	static const uint32_t types[] = { 0, LS_EV_MAX, LS_EV_MAX + 1, 1000,
					  UINT32_MAX };
	struct ls_events *e = *state;
	struct ls_ev_exec r; /* the largest record: no size is too small */

	memset(&r, 0, sizeof(r));
	for (size_t i = 0; i < ARRAY_SIZE(types); i++) {
		hdr(&r.h, types[i], sizeof(r), 1, 1, "x");
		assert_int_equal(handle_n(e, &r, sizeof(r)), 0);
		r.h.size = sizeof(r.h);
		assert_int_equal(handle_n(e, &r, sizeof(r.h)), 0);
	}
	assert_untouched(e, 2 * ARRAY_SIZE(types));
}

static void test_declared_size_mismatch(void **state)
{
	struct ls_events *e = *state;
	struct ls_ev_proc r;

	memset(&r, 0, sizeof(r));
	hdr(&r.h, LS_EV_PROC_FORK, sizeof(r) + 8, 1, 1, "x");
	r.pid = 2;
	/* Declares more than a fork record is. */
	assert_int_equal(handle_n(e, &r, sizeof(r)), 0);
	/* Declares less, and the buffer is that long too. */
	r.h.size = sizeof(r) - 4;
	assert_int_equal(handle_n(e, &r, sizeof(r) - 4), 0);
	r.h.size = 0;
	assert_int_equal(handle_n(e, &r, sizeof(r)), 0);
	/* A fork record claiming to be an exec. */
	r.h.type = LS_EV_PROC_EXEC;
	r.h.size = sizeof(r);
	assert_int_equal(handle_n(e, &r, sizeof(r)), 0);
	assert_untouched(e, 4);
}

static void test_truncated_payload(void **state)
{
	static const struct {
		uint32_t type;
		size_t size;
	} recs[] = {
		{ LS_EV_PROC_FORK, sizeof(struct ls_ev_proc) },
		{ LS_EV_PROC_EXIT, sizeof(struct ls_ev_proc) },
		{ LS_EV_PROC_REAP, sizeof(struct ls_ev_proc) },
		{ LS_EV_PROC_EXEC, sizeof(struct ls_ev_exec) },
		{ LS_EV_FD_OPEN, sizeof(struct ls_ev_fd) },
		{ LS_EV_MMAP, sizeof(struct ls_ev_mmap) },
		{ LS_EV_TEMP_CREATE, sizeof(struct ls_ev_temp) },
		{ LS_EV_TEMP_RENAME, sizeof(struct ls_ev_temp) },
		{ LS_EV_CGROUP_MKDIR, sizeof(struct ls_ev_cgroup) },
		{ LS_EV_SOCK_STATE, sizeof(struct ls_ev_sock) },
	};
	struct ls_events *e = *state;
	struct ls_ev_temp big; /* as large as any record */
	uint64_t n = 0;

	assert_true(sizeof(big) >= sizeof(struct ls_ev_exec));
	memset(&big, 0, sizeof(big));
	for (size_t i = 0; i < ARRAY_SIZE(recs); i++) {
		hdr(&big.h, recs[i].type, recs[i].size, 1, 1, "x");
		/* Header says full size; the buffer is shorter. */
		for (size_t cut = 1; cut <= 8; cut *= 2) {
			assert_int_equal(handle_n(e, &big, recs[i].size - cut),
					 0);
			assert_untouched(e, ++n);
		}
		assert_int_equal(handle_n(e, &big, sizeof(struct ls_event_hdr)),
				 0);
		assert_untouched(e, ++n);
	}
}

/* After any amount of garbage, good records still work. */
static void test_garbage_then_good(void **state)
{
	struct ls_events *e = *state;
	unsigned char junk[600];
	uint64_t seed = 12345;

	for (int round = 0; round < 2000; round++) {
		size_t len = seed % sizeof(junk);

		for (size_t i = 0; i < sizeof(junk); i++) {
			seed = seed * 6364136223846793005ULL +
			       1442695040888963407ULL;
			junk[i] = seed >> 56;
		}
		/* Mostly wrong types and sizes; keep them malformed. */
		((struct ls_event_hdr *)junk)->size = len + 1;
		assert_int_equal(handle_n(e, junk, len), 0);
	}
	assert_int_equal(e->malformed, 2000);
	assert_int_equal(total_received(e), 0);
	send_proc(e, LS_EV_PROC_FORK, 100, 1, 1, "ok", 0);
	assert_non_null(proc(e, 100));
	assert_int_equal(e->malformed, 2000);
}

#define T(t) cmocka_unit_test_setup_teardown(t, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_init_empty),
		T(test_fork_registers),
		T(test_exec_argv),
		T(test_exec_without_fork),
		T(test_exec_argv_len_too_long),
		T(test_exec_argv_unterminated),
		T(test_exec_argv_empty),
		T(test_exit),
		T(test_exit_unknown_process),
		T(test_reap_deletes),
		T(test_fork_of_reused_pid_resets),
		T(test_comm_unterminated),
		T(test_many_processes),
		T(test_cgroup_mkdir_rmdir),
		T(test_cgroup_same_id_replaced),
		T(test_cgroup_path_unterminated),
		T(test_other_types_counted_only),
		T(test_temp_without_registry),
		T(test_temp_forwarded),
		T(test_shorter_than_header),
		T(test_unknown_types),
		T(test_declared_size_mismatch),
		T(test_truncated_payload),
		T(test_garbage_then_good),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
