// SPDX-License-Identifier: GPL-2.0
/*
 * test_leftovers.c - unit tests for the pure helpers of user/leftovers.c:
 * the name of each fd type (refined by the path the kernel gives: anon
 * inodes, memfd, pipes vs FIFOs, pidfds), well-known database ports and
 * unix socket paths, socket family / type / TCP state names including
 * values they do not know, and the baseline of open files.
 *
 * Must not: need BPF; ls_leftovers_collect is covered by the BPF tests.
 */
#include <errno.h>
#include <limits.h>

#include "unit.h"
#include "leftovers.h"

/* ---- fd types ---- */

static void test_fd_type_plain(void **state)
{
	(void)state;
	assert_string_equal(ls_fd_type_name(LS_FD_FILE, "/etc/passwd"), "file");
	assert_string_equal(ls_fd_type_name(LS_FD_DIR, "/tmp"), "dir");
	assert_string_equal(ls_fd_type_name(LS_FD_SOCKET, "socket:[123]"),
			    "socket");
	assert_string_equal(ls_fd_type_name(LS_FD_CHAR, "/dev/null"),
			    "chardev");
	assert_string_equal(ls_fd_type_name(LS_FD_BLOCK, "/dev/sda"),
			    "blockdev");
	assert_string_equal(ls_fd_type_name(LS_FD_LINK, "/tmp/l"), "symlink");
	assert_string_equal(ls_fd_type_name(LS_FD_UNKNOWN, "/x"), "unknown");
	assert_string_equal(ls_fd_type_name(LS_FD_UNKNOWN, ""), "unknown");
	assert_string_equal(ls_fd_type_name(99, "/x"), "unknown");
	assert_string_equal(ls_fd_type_name(UINT_MAX, ""), "unknown");
}

static void test_fd_type_pipe_vs_fifo(void **state)
{
	(void)state;
	assert_string_equal(ls_fd_type_name(LS_FD_PIPE, "pipe:[123]"), "pipe");
	assert_string_equal(ls_fd_type_name(LS_FD_PIPE, "/tmp/my.fifo"),
			    "fifo");
	/* A FIFO whose name looks like a pipe's, but is a path. */
	assert_string_equal(ls_fd_type_name(LS_FD_PIPE, "/tmp/pipe:[1]"),
			    "fifo");
	assert_string_equal(ls_fd_type_name(LS_FD_PIPE, ""), "fifo");
}

static void test_fd_type_memfd(void **state)
{
	(void)state;
	assert_string_equal(ls_fd_type_name(LS_FD_FILE, "/memfd:x (deleted)"),
			    "memfd");
	assert_string_equal(
		ls_fd_type_name(LS_FD_FILE, "/memfd:pytest-shm (deleted)"),
		"memfd");
	assert_string_equal(ls_fd_type_name(LS_FD_FILE, "/tmp/memfd:x"),
			    "file");
	assert_string_equal(ls_fd_type_name(LS_FD_FILE, "/memfd"), "file");
}

static void test_fd_type_anon_inodes(void **state)
{
	static const struct {
		const char *path, *want;
	} cases[] = {
		{ "anon_inode:[eventfd]", "eventfd" },
		{ "anon_inode:[eventpoll]", "epoll" },
		{ "anon_inode:[timerfd]", "timerfd" },
		{ "anon_inode:[signalfd]", "signalfd" },
		{ "anon_inode:inotify", "inotify" },
		{ "anon_inode:[fanotify]", "fanotify" },
		{ "anon_inode:[pidfd]", "pidfd" },
		{ "anon_inode:[io_uring]", "io_uring" },
		{ "anon_inode:[userfaultfd]", "userfaultfd" },
		{ "anon_inode:bpf-map", "bpf" },
		{ "anon_inode:bpf-prog", "bpf" },
		{ "anon_inode:[perf_event]", "perf_event" },
		{ "anon_inode:[something-new]", "anon_inode" },
		{ "anon_inode:", "anon_inode" },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		/* Whatever type the inode gave, the path decides. */
		assert_string_equal(ls_fd_type_name(LS_FD_ANON, cases[i].path),
				    cases[i].want);
		assert_string_equal(
			ls_fd_type_name(LS_FD_UNKNOWN, cases[i].path),
			cases[i].want);
		assert_string_equal(ls_fd_type_name(LS_FD_FILE, cases[i].path),
				    cases[i].want);
	}
	/* An anon inode the kernel gave no readable path for. */
	assert_string_equal(ls_fd_type_name(LS_FD_ANON, ""), "anon_inode");
	assert_string_equal(ls_fd_type_name(LS_FD_ANON, "eventfd"),
			    "anon_inode");
}

/* Every BPF object fd is "bpf": links and iterators are named with '_'. */
static void test_fd_type_bpf_links(void **state)
{
	(void)state;
	assert_string_equal(ls_fd_type_name(LS_FD_ANON, "anon_inode:bpf_link"),
			    "bpf");
	assert_string_equal(ls_fd_type_name(LS_FD_ANON, "anon_inode:bpf_iter"),
			    "bpf");
}

static void test_fd_type_pidfd(void **state)
{
	(void)state;
	/* Both spellings the module knows: "pidfd:..." and the anon inode. */
	assert_string_equal(ls_fd_type_name(LS_FD_FILE, "pidfd:[4242]"),
			    "pidfd");
	assert_string_equal(ls_fd_type_name(LS_FD_UNKNOWN, "pidfd:[1]"),
			    "pidfd");
	assert_string_equal(ls_fd_type_name(LS_FD_ANON, "anon_inode:[pidfd]"),
			    "pidfd");
	assert_string_equal(ls_fd_type_name(LS_FD_FILE, "/tmp/pidfd:[1]"),
			    "file");
}

/* ---- databases ---- */

static void test_database_ports(void **state)
{
	static const struct {
		int port;
		const char *name;
	} known[] = {
		{ 5432, "postgresql" },	  { 3306, "mysql" },
		{ 6379, "redis" },	  { 27017, "mongodb" },
		{ 11211, "memcached" },	  { 9042, "cassandra" },
		{ 5672, "rabbitmq" },	  { 9200, "elasticsearch" },
		{ 1433, "mssql" },	  { 1521, "oracle" },
		{ 26257, "cockroachdb" }, { 2379, "etcd" },
		{ 8086, "influxdb" },
	};
	static const int unknown[] = { 0,     -1,    22,      80,
				       443,   5433,  6380,    27018,
				       65535, 65536, INT_MAX, INT_MIN };

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(known); i++)
		assert_string_equal(ls_database_for_port(known[i].port),
				    known[i].name);
	for (size_t i = 0; i < ARRAY_SIZE(unknown); i++)
		assert_null(ls_database_for_port(unknown[i]));
}

static void test_database_unix_paths(void **state)
{
	(void)state;
	assert_string_equal(
		ls_database_for_unix_path("/var/run/postgresql/.s.PGSQL.5432"),
		"postgresql");
	assert_string_equal(ls_database_for_unix_path("/tmp/.s.PGSQL.5433"),
			    "postgresql");
	assert_string_equal(
		ls_database_for_unix_path("/run/mysqld/mysqld.sock"), "mysql");
	assert_string_equal(
		ls_database_for_unix_path("/var/lib/mysql/mysql.sock"),
		"mysql");
	assert_string_equal(
		ls_database_for_unix_path("/run/redis/redis-server.sock"),
		"redis");
	assert_string_equal(
		ls_database_for_unix_path("/tmp/mongodb-27017.sock"),
		"mongodb");
	assert_null(ls_database_for_unix_path(""));
	assert_null(ls_database_for_unix_path("/tmp/app.sock"));
	assert_null(ls_database_for_unix_path("/run/mysqld/mysqld.pid"));
	assert_null(ls_database_for_unix_path("/run/redis/redis.conf"));
	assert_null(ls_database_for_unix_path("@abstract-name"));
	assert_null(ls_database_for_unix_path("/run/systemd/notify"));
}

/* ---- socket names ---- */

static void test_family_names(void **state)
{
	static const int other[] = { 0, 3, 4, 9, 11, 38, 44, 255, -1, INT_MAX };

	(void)state;
	assert_string_equal(ls_family_name(1), "unix");
	assert_string_equal(ls_family_name(2), "inet");
	assert_string_equal(ls_family_name(10), "inet6");
	assert_string_equal(ls_family_name(16), "netlink");
	assert_string_equal(ls_family_name(17), "packet");
	assert_string_equal(ls_family_name(40), "vsock");
	for (size_t i = 0; i < ARRAY_SIZE(other); i++)
		assert_string_equal(ls_family_name(other[i]), "other");
}

static void test_sock_type_names(void **state)
{
	static const int other[] = { 0, 4, 6, 10, 0x80801, -1, INT_MIN };

	(void)state;
	assert_string_equal(ls_sock_type_name(1), "stream");
	assert_string_equal(ls_sock_type_name(2), "dgram");
	assert_string_equal(ls_sock_type_name(3), "raw");
	assert_string_equal(ls_sock_type_name(5), "seqpacket");
	for (size_t i = 0; i < ARRAY_SIZE(other); i++)
		assert_string_equal(ls_sock_type_name(other[i]), "other");
}

static void test_tcp_state_names(void **state)
{
	static const char *const names[] = {
		NULL,		"ESTABLISHED", "SYN_SENT",  "SYN_RECV",
		"FIN_WAIT1",	"FIN_WAIT2",   "TIME_WAIT", "CLOSE",
		"CLOSE_WAIT",	"LAST_ACK",    "LISTEN",    "CLOSING",
		"NEW_SYN_RECV",
	};
	static const int unknown[] = { 0, 13, 14, 255, -1, INT_MAX, INT_MIN };

	(void)state;
	for (int s = 1; s < (int)ARRAY_SIZE(names); s++)
		assert_string_equal(ls_tcp_state_name(s), names[s]);
	for (size_t i = 0; i < ARRAY_SIZE(unknown); i++)
		assert_string_equal(ls_tcp_state_name(unknown[i]), "UNKNOWN");
}

/* ---- baseline ---- */

static void test_baseline_empty(void **state)
{
	struct ls_baseline b;
	struct ls_snapshot s = { 0 };

	(void)state;
	ls_baseline_init(&b);
	assert_int_equal(ls_baseline_add_files(&b, &s), 0);
	assert_int_equal(b.files.used, 0);
	assert_int_equal(b.cgroups.used, 0);
	ls_baseline_free(&b);
	ls_baseline_free(&b);
}

static void test_baseline_add_files(void **state)
{
	struct ls_iter_file files[4];
	struct ls_snapshot s = { .files = files, .n_files = 4 };
	struct ls_baseline b;

	(void)state;
	memset(files, 0, sizeof(files));
	for (int i = 0; i < 4; i++) {
		files[i].magic = LS_ITER_FILE_MAGIC;
		files[i].tgid = 10;
		files[i].fd = i;
		files[i].file = 0xffff888000001000ULL + 0x100 * i;
		files[i].ino = 500 + i;
	}
	files[2].ino = 0; /* anon inodes can have ino 0 */
	ls_baseline_init(&b);
	assert_int_equal(ls_baseline_add_files(&b, &s), 0);
	assert_int_equal(b.files.used, 4);
	/* Each file address is known, an ino of 0 included. */
	for (int i = 0; i < 4; i++)
		assert_non_null(ls_u64map_get(&b.files, files[i].file));
	assert_null(ls_u64map_get(&b.files, 0xffff888000001000ULL + 0x80));
	/* The same open file shared by two fds (dup, fork) is one entry. */
	files[3].file = files[0].file;
	files[3].ino = files[0].ino;
	assert_int_equal(ls_baseline_add_files(&b, &s), 0);
	assert_int_equal(b.files.used, 4);
	assert_int_equal(b.cgroups.used, 0);
	ls_baseline_free(&b);
}

static void test_baseline_many_files(void **state)
{
	struct ls_snapshot s = { 0 };
	struct ls_baseline b;

	(void)state;
	s.n_files = 5000;
	s.files = calloc(s.n_files, sizeof(*s.files));
	assert_non_null(s.files);
	for (size_t i = 0; i < s.n_files; i++) {
		s.files[i].file = 0xffff888000000000ULL + (i << 8);
		s.files[i].ino = i;
	}
	ls_baseline_init(&b);
	assert_int_equal(ls_baseline_add_files(&b, &s), 0);
	assert_int_equal(b.files.used, 5000);
	ls_baseline_free(&b);
	free(s.files);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fd_type_plain),
		cmocka_unit_test(test_fd_type_pipe_vs_fifo),
		cmocka_unit_test(test_fd_type_memfd),
		cmocka_unit_test(test_fd_type_anon_inodes),
		cmocka_unit_test(test_fd_type_bpf_links),
		cmocka_unit_test(test_fd_type_pidfd),
		cmocka_unit_test(test_database_ports),
		cmocka_unit_test(test_database_unix_paths),
		cmocka_unit_test(test_family_names),
		cmocka_unit_test(test_sock_type_names),
		cmocka_unit_test(test_tcp_state_names),
		cmocka_unit_test(test_baseline_empty),
		cmocka_unit_test(test_baseline_add_files),
		cmocka_unit_test(test_baseline_many_files),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
