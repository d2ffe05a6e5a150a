// SPDX-License-Identifier: GPL-2.0
/*
 * escape.c - processes that move out of the watched cgroup into another
 * (ARG: a cgroup v2 directory): one with a thread, an fd and a mapping
 * that exits out there (followed to its exit: everything released), and a
 * daemon that stays there (an orphan the watch still names), and one that
 * exits out there and stays a zombie until the test lets its parent reap
 * it (the kernel keeps its table entry to the reap, and drops it there).
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "../common/wl.h"
#include "workload.h"

static const char *escape_to;

static void *wait_for_word(void *fd)
{
	char c;

	if (read(*(int *)fd, &c, 1) != 1)
		die("read go");
	return NULL;
}

/* A thread, an fd and a mapping made in the watch, then the move; the
 * thread ends out there, and the process exits holding the rest. */
static void __attribute__((noreturn)) escape_and_exit(void)
{
	int go[2];
	pthread_t t;

	ok(pipe2(go, O_CLOEXEC), "pipe2");
	ok_pt(pthread_create(&t, NULL, wait_for_word, &go[0]),
	      "pthread_create");
	ok(open("/dev/null", O_RDONLY | O_CLOEXEC), "open /dev/null");
	if (mmap(NULL, 4 * 4096, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED)
		die("mmap");
	wl_move_to_cgroup(escape_to);
	write_all(go[1], "g", 1);
	ok_pt(pthread_join(t, NULL), "pthread_join");
	_exit(0);
}

int run_escape_exit(int argc, char **argv)
{
	pid_t pid;

	if (argc < 3)
		fail("escape-exit needs a cgroup directory");
	escape_to = argv[2];
	pid = ok(fork(), "fork");
	if (pid == 0)
		escape_and_exit();
	say("ESCAPED=%d", (int)pid);
	wait_ok(pid, "the process that moved out");
	return 0;
}

static void escaped_daemon(void)
{
	wl_move_to_cgroup(escape_to);
	ok(open("/dev/null", O_RDONLY | O_CLOEXEC), "open /dev/null");
	daemon_ready();
	linger();
}

int run_escape_stay(int argc, char **argv)
{
	if (argc < 3)
		fail("escape-stay needs a cgroup directory");
	escape_to = argv[2];
	spawn_daemon(escaped_daemon); /* says DAEMON= */
	return 0;
}

/* Wait (at most a minute) until the test makes file @name in @dir. */
static void await_file(const char *dir, const char *name)
{
	struct timespec tick = { 0, 10 * 1000 * 1000 };
	char path[4096];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	for (int i = 0; i < 6000; i++) {
		if (stat(path, &st) == 0)
			return;
		nanosleep(&tick, NULL);
	}
	fail("the test never said go");
}

/* Write "ZOMBIE WORKLOAD" pids to @dir/zombie, whole (made, then renamed). */
static void tell_test(const char *dir, pid_t zombie)
{
	char tmp[4096], path[4096], line[64];
	int fd, n;

	snprintf(tmp, sizeof(tmp), "%s/zombie.tmp", dir);
	snprintf(path, sizeof(path), "%s/zombie", dir);
	n = snprintf(line, sizeof(line), "%d %d\n", (int)zombie, (int)getpid());
	fd = ok(open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644),
		"open the sync file");
	write_all(fd, line, n);
	close_ok(fd);
	ok(rename(tmp, path), "rename the sync file");
}

static int unlink_sync(const char *dir)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/zombie", dir);
	return unlink(path);
}

/* A child moves out and exits: a zombie until the test says "reap"; then
 * reaped, and the workload exits once the test says "done". */
int run_escape_reap(int argc, char **argv)
{
	pid_t pid;

	if (argc < 4)
		fail("escape-reap needs a cgroup directory and a sync "
		     "directory");
	escape_to = argv[2];
	pid = ok(fork(), "fork");
	if (pid == 0) {
		wl_move_to_cgroup(escape_to);
		_exit(0);
	}
	wait_zombie(pid);
	say("ZOMBIE=%d", (int)pid);
	tell_test(argv[3], pid);
	await_file(argv[3], "reap");
	ok(unlink_sync(argv[3]), "unlink the sync file");
	wait_ok(pid, "the zombie that moved out");
	say("REAPED=%d", (int)pid);
	await_file(argv[3], "done");
	return 0;
}
