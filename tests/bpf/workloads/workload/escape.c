// SPDX-License-Identifier: GPL-2.0
/*
 * escape.c - processes that move out of the watched cgroup into another
 * (ARG: a cgroup v2 directory): one with a thread, an fd and a mapping
 * that exits out there (followed to its exit: everything released), and a
 * daemon that stays there (an orphan the watch still names).
 */
#include <fcntl.h>
#include <pthread.h>
#include <sys/mman.h>
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
