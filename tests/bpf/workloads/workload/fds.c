// SPDX-License-Identifier: GPL-2.0
/*
 * fds.c - the fd scenarios of tests/bpf/workloads/workload.c (fd-clean,
 * fd-leak, fd-types, anon-leak, fd-inherit, pipe-layouts): every syscall that
 * makes an fd, dups and close_range, each made and closed, or left to a daemon.
 * Helpers: workload.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <linux/openat2.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <unistd.h>
#include "../common/wl.h"
#include "workload.h"

static long fds_made; /* fds this process created (FD_CREATED=) */

static int made(long fd, const char *what)
{
	ok(fd, what);
	fds_made++;
	return (int)fd;
}

static void fd_round_files(void)
{
	int f = made(open("/etc/passwd", O_RDONLY), "open /etc/passwd");
	int d = made(open("/", O_RDONLY | O_DIRECTORY), "open /");
	int p[2];

	ok(pipe(p), "pipe");
	fds_made += 2;
	close_ok(p[0]);
	close_ok(p[1]);
	ok(pipe2(p, O_CLOEXEC | O_NONBLOCK), "pipe2");
	fds_made += 2;
	close_ok(p[1]);
	close_ok(p[0]);
	close_ok(d);
	close_ok(f);
}

static void fd_round_anon(void)
{
	sigset_t mask;
	int fds[7], n = 0;

	sigemptyset(&mask);
	sigaddset(&mask, SIGUSR1);
	fds[n++] = made(eventfd(0, EFD_CLOEXEC), "eventfd");
	fds[n++] = made(epoll_create1(EPOLL_CLOEXEC), "epoll_create1");
	fds[n++] = made(timerfd_create(CLOCK_MONOTONIC, 0), "timerfd_create");
	fds[n++] = made(signalfd(-1, &mask, 0), "signalfd");
	fds[n++] = made(inotify_init1(IN_CLOEXEC), "inotify_init1");
	fds[n++] = made(memfd_create("lsw-memfd", 0), "memfd_create");
	fds[n++] = made(syscall(SYS_pidfd_open, getpid(), 0), "pidfd_open");
	/* Updating an existing signalfd creates nothing. */
	ok(signalfd(fds[3], &mask, 0), "signalfd update");
	while (n--)
		close_ok(fds[n]);
}

static void fd_round_dups(void)
{
	int a = made(open("/dev/null", O_RDONLY), "open /dev/null");
	int b = made(open("/etc/passwd", O_RDONLY), "open /etc/passwd");
	int c = made(dup(a), "dup");
	int e, g;

	made(dup2(a, b), "dup2 over an open fd"); /* b now /dev/null */
	made(dup3(a, c, O_CLOEXEC), "dup3 over an open fd");
	e = made(fcntl(a, F_DUPFD, 100), "fcntl F_DUPFD");
	g = made(fcntl(a, F_DUPFD_CLOEXEC, 0), "fcntl F_DUPFD_CLOEXEC");
	close_ok(g);
	close_ok(e);
	close_ok(c);
	close_ok(b);
	close_ok(a);
}

/* The older syscalls glibc no longer uses, where this arch has them. */
static void fd_round_legacy(void)
{
	struct open_how how = { .flags = O_RDONLY };
	int fds[8], n = 0;

	fds[n++] = made(syscall(SYS_openat2, AT_FDCWD, "/etc/passwd", &how,
				sizeof(how)),
			"openat2");
#ifdef SYS_open
	fds[n++] = made(syscall(SYS_open, "/etc/passwd", O_RDONLY), "open(2)");
#endif
#ifdef SYS_eventfd
	fds[n++] = made(syscall(SYS_eventfd, 0), "eventfd(2)");
#endif
#ifdef SYS_epoll_create
	fds[n++] = made(syscall(SYS_epoll_create, 1), "epoll_create");
#endif
#ifdef SYS_inotify_init
	fds[n++] = made(syscall(SYS_inotify_init), "inotify_init");
#endif
#ifdef SYS_signalfd
	{
		sigset_t mask;

		sigemptyset(&mask);
		fds[n++] = made(syscall(SYS_signalfd, -1, &mask, 8),
				"signalfd(2)");
	}
#endif
#ifdef SYS_pipe
	ok(syscall(SYS_pipe, &fds[n]), "pipe(2)");
	fds_made += 2;
	n += 2;
#endif
	while (n--)
		close_ok(fds[n]);
}

/* Three fds at 300.. closed by one close_range(300, ~0U). */
static void fd_round_range(void)
{
	int a = made(open("/dev/null", O_RDONLY), "open /dev/null");

	for (int i = 0; i < 3; i++)
		if (made(fcntl(a, F_DUPFD, 300), "fcntl F_DUPFD 300") !=
		    300 + i)
			fail("fd 300.. were not free");
	close_ok(a);
	ok(syscall(SYS_close_range, 300, ~0U, 0), "close_range");
}

int run_fd_clean(int argc, char **argv)
{
	int n = count_arg(argc, argv, 2, 200);

	for (int i = 0; i < n; i++) {
		fd_round_files();
		fd_round_anon();
		fd_round_dups();
		fd_round_legacy();
		fd_round_range();
	}
	/* Left open on purpose: exec closes it (O_CLOEXEC). */
	made(open("/etc/passwd", O_RDONLY | O_CLOEXEC), "open O_CLOEXEC");
	say("FD_CREATED=%ld", fds_made);
	exec_self("noop", NULL);
}

static void fd_leak_body(void)
{
	int f, p[2], ev, ep, mem;

	f = ok(open("/etc/hostname", O_RDONLY), "open /etc/hostname");
	ok(pipe(p), "pipe");
	ev = ok(eventfd(0, 0), "eventfd");
	ep = ok(epoll_create1(0), "epoll_create1");
	mem = ok(memfd_create("lsw-memfd", 0), "memfd_create");
	say("FD_FILE=%d", f);
	say("FD_PIPE_R=%d", p[0]);
	say("FD_PIPE_W=%d", p[1]);
	say("FD_EVENTFD=%d", ev);
	say("FD_EPOLL=%d", ep);
	say("FD_MEMFD=%d", mem);
	daemon_ready();
	linger();
}

int run_fd_leak(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	spawn_daemon(fd_leak_body);
	return 0;
}

/*
 * A pipe whose ends are @gap fds apart, kept, and facts TAG_R, TAG_W and
 * TAG_TID: @gap fds are opened just above the lowest free number (and
 * kept, leaving no hole), so the pipe gets that number and the one past
 * them.
 */
static void pipe_with_gap(const char *tag, int gap)
{
	int first = ok(open("/dev/null", O_RDONLY), "open /dev/null");
	int p[2];
	for (int i = 0; i < gap; i++)
		if (ok(open("/dev/null", O_RDONLY), "open") != first + 1 + i)
			fail("the fds above the lowest free one were not free");
	close_ok(first);
	ok(pipe(p), "pipe");
	if (p[0] != first || p[1] != first + gap + 1)
		fail("the pipe's ends are not where the layout put them");
	say("%s_R=%d", tag, p[0]);
	say("%s_W=%d", tag, p[1]);
	say("%s_TID=%d", tag, (int)wl_gettid());
}

/* Fill the holes below the highest open fd (the daemon's ready pipe sits
 * above one), so that every fd made next goes to the end. */
static void fill_fd_holes(void)
{
	int top = 0;

	for (int fd = 0; fd < 64; fd++)
		if (fcntl(fd, F_GETFD) >= 0)
			top = fd;
	for (int fd = 0; fd < top; fd++)
		if (fcntl(fd, F_GETFD) < 0 &&
		    ok(open("/dev/null", O_RDONLY), "open") != fd)
			fail("open did not take the lowest free fd");
}

/* A pipe whose ends enclose another pipe's two ends (facts TAG_R, TAG_W,
 * TAG_TID): the scan down from its write end meets the other pipe first. */
static void pipe_around_pipe(const char *tag)
{
	int first = ok(open("/dev/null", O_RDONLY), "open /dev/null");
	int inner[2], p[2];

	ok(pipe(inner), "pipe");
	close_ok(first);
	ok(pipe(p), "pipe");
	if (inner[0] != first + 1 || inner[1] != first + 2 || p[0] != first ||
	    p[1] != first + 3)
		fail("the pipes' ends are not where the layout put them");
	say("%s_R=%d", tag, p[0]);
	say("%s_W=%d", tag, p[1]);
	say("%s_TID=%d", tag, (int)wl_gettid());
}

static void *pipe_in_thread(void *arg)
{
	pipe_with_gap("THREAD", 0);
	*(int *)arg = 1;
	for (;;)
		pause();
	return NULL;
}

/* Pipes a daemon keeps, their ends adjacent or apart, made where it has
 * its fd table to itself and where a second thread shares it (fd.bpf.c
 * finds a pipe's fds in the table in the first case, reads them from the
 * caller in the other). */
static void pipe_layouts_body(void)
{
	volatile int made = 0;
	pthread_t t;

	fill_fd_holes();
	pipe_with_gap("ADJACENT", 0);
	pipe_with_gap("GAP3", 3);
	pipe_with_gap("GAP12", 12);
	pipe_around_pipe("AROUND");
	if ((errno = pthread_create(&t, NULL, pipe_in_thread, (void *)&made)))
		fail("pthread_create");
	while (!made)
		usleep(1000);
	daemon_ready();
	linger();
}

int run_pipe_layouts(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	spawn_daemon(pipe_layouts_body);
	return 0;
}

/* One fd of each remaining type, kept by a daemon. */
static void fd_types_body(void)
{
	char fifo[PATH_MAX];
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGUSR2);
	lsw_path(fifo, sizeof(fifo), "/tmp", "fifo");
	ok(mkfifo(fifo, 0600), "mkfifo");
	say("FIFO=%s", fifo);
	say("FD_DIR=%ld", ok(open("/", O_RDONLY | O_DIRECTORY), "open /"));
	say("FD_CHARDEV=%ld", ok(open("/dev/null", O_RDWR), "open /dev/null"));
	say("FD_FIFO=%ld", ok(open(fifo, O_RDWR), "open fifo"));
	say("FD_TIMERFD=%ld",
	    ok(timerfd_create(CLOCK_MONOTONIC, 0), "timerfd_create"));
	say("FD_SIGNALFD=%ld", ok(signalfd(-1, &mask, 0), "signalfd"));
	say("FD_INOTIFY=%ld", ok(inotify_init1(0), "inotify_init1"));
	say("FD_PIDFD=%ld",
	    ok(syscall(SYS_pidfd_open, getpid(), 0), "pidfd_open"));
	daemon_ready();
	linger();
}

int run_fd_types(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	spawn_daemon(fd_types_body);
	return 0;
}

/* Many anonymous-inode fds (eventfds), kept by a daemon. */
static int anon_count;

static void anon_leak_body(void)
{
	char list[8192];
	size_t n = 0;

	for (int i = 0; i < anon_count; i++) {
		int fd = ok(eventfd(0, 0), "eventfd");

		n += snprintf(list + n, sizeof(list) - n, "%s%d", i ? "," : "",
			      fd);
		if (n >= sizeof(list))
			fail("too many eventfds to list");
	}
	say("FDS=%s", list);
	daemon_ready();
	linger();
}

int run_anon_leak(int argc, char **argv)
{
	anon_count = count_arg(argc, argv, 2, 64);
	if (anon_count < 1 || anon_count > 1000)
		fail("anon-leak: N must be 1..1000");
	spawn_daemon(anon_leak_body);
	return 0;
}

static void idle_body(void)
{
	daemon_ready();
	linger();
}

/* The command opens a file and a socket; the daemon it forks keeps them. */
int run_fd_inherit(int argc, char **argv)
{
	int f = ok(open("/etc/hostname", O_RDONLY), "open /etc/hostname");
	int l = tcp_listener(AF_INET, "127.0.0.1", 0);

	(void)argc;
	(void)argv;
	say("FD_FILE=%d", f);
	say("FD_LISTEN=%d", l);
	say("TCP_PORT=%d", local_port(l));
	spawn_daemon(idle_body);
	return 0;
}

/* ---- stacks-many: as many distinct creation stacks as asked ---- */

static __attribute__((noinline)) void open_at_leaf(void)
{
	/* glibc's eventfd keeps %rbp: the frame-pointer walk goes on up. */
	close_ok(ok(eventfd(0, EFD_CLOEXEC), "eventfd"));
}

static int step_left(int depth, unsigned int path);
static int step_right(int depth, unsigned int path);

/* Each bit of @path picks the frame of one level: 2^depth stacks. */
static int descend(int depth, unsigned int path)
{
	if (!depth) {
		open_at_leaf();
		return 0;
	}
	return path & 1 ? step_left(depth - 1, path >> 1)
			: step_right(depth - 1, path >> 1);
}

/* Not tail calls, not folded together: each keeps its own frame. */
static __attribute__((noinline)) int step_left(int depth, unsigned int path)
{
	int r = descend(depth, path);

	__asm__ volatile("" ::: "memory");
	return r + 1;
}

static __attribute__((noinline)) int step_right(int depth, unsigned int path)
{
	int r = descend(depth, path);

	__asm__ volatile("" ::: "memory");
	return r + 2;
}

int run_stacks_many(int argc, char **argv)
{
	int depth = argc > 2 ? atoi(argv[2]) : 0;

	if (depth < 1 || depth > 20)
		fail("stacks-many needs a depth from 1 to 20");
	for (unsigned int path = 0; path < 1u << depth; path++)
		descend(depth, path);
	say("STACKS=%u", 1u << depth);
	return 0;
}
