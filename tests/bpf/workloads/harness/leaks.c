// SPDX-License-Identifier: GPL-2.0
/*
 * leaks.c - the scenarios of tests/bpf/workloads/harness.c that make one
 * kind of resource inside one test: "-leak" ones leave exactly one thing
 * behind (an fd, a listening socket, a process, a zombie, a thread, a
 * mapping, a temp file, a cgroup), "-clean" ones make each kind and
 * release it again before END, and churn does that thousands of times.
 * Helpers: harness.h.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "../common/wl.h"
#include "harness.h"

#define MIB	      (1024 * 1024)
#define CHURN_FDS     3000
#define CHURN_SOCKETS 500
#define CHURN_THREADS 100
#define CHURN_MAPS    1000
#define CHURN_FORKS   100

/* What zombie leaves for zombie-reap to release. */
static pid_t zombie_pid;

/* ---- leaks: one thing each ---- */

void t_fd_leak(void)
{
	int fd = ok(open("/etc/hostname", O_RDONLY | O_CLOEXEC), "open");

	say("FD_LEAK_FD=%d", fd);
}

void t_socket_leak(void)
{
	int fd = ok(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), "socket");

	say("SOCKET_LEAK_PORT=%d", wl_listen_loopback(fd));
	say("SOCKET_LEAK_FD=%d", fd);
}

void t_process_leak(void)
{
	say("PROCESS_LEAK_PID=%d", (int)wl_spawn_sleep("60", -1));
}

/* A child that moves itself out of the watched cgroup, into the cgroup
 * $LSH_ESCAPE_TO, and stays there: still this test's leak. */
void t_process_escape(void)
{
	const char *to = getenv("LSH_ESCAPE_TO");
	int go[2];
	pid_t child;
	char c;

	if (!to)
		fail("process-escape needs LSH_ESCAPE_TO");
	ok(pipe2(go, O_CLOEXEC), "pipe2");
	child = ok(fork(), "fork");
	if (child == 0) {
		wl_move_to_cgroup(to);
		write_all(go[1], "m", 1);
		sleep(60);
		_exit(0);
	}
	close_ok(go[1]);
	/* Moved before END: the verdict must find it out there. */
	if (read(go[0], &c, 1) != 1)
		fail("the child did not move");
	close_ok(go[0]);
	say("ESCAPED=%d", (int)child); /* not *_PID: it outlives the run */
}

/*
 * What posix_spawn file actions and Python's subprocess (stdin=DEVNULL...)
 * do: the parent opens /dev/null, the child dup2()s it onto 0, 1 and 2 and
 * execs; the parent closes its fd. The child's three fds are dups of a file
 * the test opened.
 */
void t_spawn_devnull(void)
{
	int null = ok(open("/dev/null", O_RDWR | O_CLOEXEC), "open");
	pid_t pid = wl_spawn_sleep("60", null);

	close_ok(null);
	say("SPAWN_DEVNULL_PID=%d", (int)pid);
}

void t_zombie(void)
{
	siginfo_t si;
	pid_t pid = ok(fork(), "fork");

	if (pid == 0)
		_exit(5);
	/* Wait until it has exited, without reaping it. */
	ok(waitid(P_PID, pid, &si, WEXITED | WNOWAIT), "waitid");
	say("ZOMBIE_PID=%d", (int)pid);
	zombie_pid = pid;
}

/* A later test reaps the zombie. */
void t_zombie_reap(void)
{
	if (zombie_pid <= 0)
		fail("zombie-reap needs zombie before it");
	wait_ok(zombie_pid, 5, "reap zombie");
	zombie_pid = 0;
}

static char blocked_stack[THREAD_STACK] __attribute__((aligned(4096)));
static struct wl_blocker blocked;

void t_thread_leak(void)
{
	pthread_t t;

	wl_blocker_init(&blocked, "lsh-blocked");
	start_thread(&t, blocked_stack, wl_blocked_thread, &blocked, 1);
	say("THREAD_LEAK_TID=%d", (int)wl_blocker_wait(&blocked));
}

void t_mapping_leak(void)
{
	char *p = mmap(NULL, MIB, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		die("mmap");
	memset(p, 1, 4096);
	say("MAPPING_LEAK_ADDR=%lu", (unsigned long)p);
	say("MAPPING_LEAK_BYTES=%d", MIB);
}

/* Below the 64 KiB a mapping needs to count: never a leak, wherever the
 * kernel places it. */
void t_mapping_small(void)
{
	char *p = mmap(NULL, 60 * 1024, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		die("mmap");
	memset(p, 1, 4096);
	say("MAPPING_SMALL_ADDR=%lu", (unsigned long)p);
}

void t_tempfile_leak(void)
{
	char path[64];

	close_ok(make_temp(path, sizeof(path), "leak\n"));
	say("TEMPFILE_LEAK_PATH=%s", path);
}

void t_cgroup_leak(void)
{
	char path[PATH_MAX];

	cgroup_child(path, sizeof(path));
	ok(mkdir(path, 0755), "mkdir cgroup");
	say("CGROUP_LEAK_PATH=%s", path);
}

/* ---- clean: each kind made and released inside the test ---- */

void t_fd_clean(void)
{
	for (int i = 0; i < 50; i++) {
		int p[2], fd = ok(open("/etc/hostname", O_RDONLY), "open");
		int e = ok(eventfd(0, 0), "eventfd");
		int d = ok(dup(fd), "dup");

		ok(pipe(p), "pipe");
		close_ok(p[0]);
		close_ok(p[1]);
		close_ok(d);
		close_ok(e);
		close_ok(fd);
	}
}

static void tcp_round(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	int l = ok(socket(AF_INET, SOCK_STREAM, 0), "socket"), c, a;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ok(bind(l, (struct sockaddr *)&sa, sizeof(sa)), "bind");
	ok(listen(l, 4), "listen");
	ok(getsockname(l, (struct sockaddr *)&sa, &len), "getsockname");
	c = ok(socket(AF_INET, SOCK_STREAM, 0), "socket");
	ok(connect(c, (struct sockaddr *)&sa, sizeof(sa)), "connect");
	a = ok(accept(l, NULL, NULL), "accept");
	write_all(c, "x", 1);
	close_ok(a);
	close_ok(c);
	close_ok(l);
}

void t_socket_clean(void)
{
	for (int i = 0; i < 20; i++) {
		int sp[2], u = ok(socket(AF_INET, SOCK_DGRAM, 0), "udp");

		tcp_round();
		ok(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), "socketpair");
		close_ok(sp[0]);
		close_ok(sp[1]);
		close_ok(u);
	}
}

void t_process_clean(void)
{
	for (int i = 0; i < 10; i++) {
		pid_t pid = ok(fork(), "fork");

		if (pid == 0)
			_exit(0);
		wait_ok(pid, 0, "child");
	}
	/* A child that runs a program, and a grandchild. */
	wait_ok(wl_spawn_sleep("0", -1), 0, "sleep 0");
}

static void *short_thread(void *arg)
{
	return arg;
}

/* A thread that uses malloc: glibc gives it an arena of its own. */
static void *malloc_thread(void *arg)
{
	char *p = malloc(1000);

	if (!p)
		return NULL;
	memset(p, 1, 1000);
	free(p);
	return arg;
}

/* Default pthread attributes: glibc maps the stack itself. */
void t_thread_clean(void)
{
	for (int i = 0; i < 10; i++) {
		pthread_t t;

		ok_pt(pthread_create(&t, NULL, short_thread, NULL),
		      "pthread_create");
		ok_pt(pthread_join(t, NULL), "pthread_join");
	}
}

/*
 * Threads that malloc, joined: nothing is left that the test could release.
 * (The first one makes glibc's per-thread malloc arena, a reservation of
 * 64 MiB whose first 132 KiB are read-write, which glibc keeps for the
 * next thread: a cache, not a leak.)
 */
void t_thread_malloc_clean(void)
{
	for (int i = 0; i < 4; i++) {
		pthread_t t;

		ok_pt(pthread_create(&t, NULL, malloc_thread, NULL),
		      "pthread_create");
		ok_pt(pthread_join(t, NULL), "pthread_join");
	}
}

void t_mapping_clean(void)
{
	int fd = ok(open("/etc/hostname", O_RDONLY | O_CLOEXEC), "open");

	for (int i = 0; i < 20; i++) {
		char *p = mmap(NULL, MIB, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		char *f = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);

		if (p == MAP_FAILED || f == MAP_FAILED)
			die("mmap");
		memset(p, 1, MIB);
		ok(munmap(f, 4096), "munmap file");
		ok(munmap(p, MIB), "munmap");
	}
	close_ok(fd);
}

void t_tempfile_clean(void)
{
	char path[64], dir[64], moved[80];

	close_ok(make_temp(path, sizeof(path), "clean\n"));
	ok(unlink(path), "unlink");
	temp_path(dir, sizeof(dir));
	ok(mkdir(dir, 0700), "mkdir");
	snprintf(moved, sizeof(moved), "%s/inner", dir);
	close_ok(make_temp(path, sizeof(path), "moved\n"));
	ok(rename(path, moved), "rename");
	ok(unlink(moved), "unlink moved");
	ok(rmdir(dir), "rmdir");
}

void t_cgroup_clean(void)
{
	char path[PATH_MAX];

	cgroup_child(path, sizeof(path));
	ok(mkdir(path, 0755), "mkdir cgroup");
	ok(rmdir(path), "rmdir cgroup");
}

/* Thousands of objects of every kind, each released again. */
void t_churn(void)
{
	for (int i = 0; i < CHURN_FDS; i++)
		close_ok(ok(open("/etc/hostname", O_RDONLY), "open"));
	for (int i = 0; i < CHURN_SOCKETS; i++)
		close_ok(ok(socket(AF_INET, SOCK_STREAM, 0), "socket"));
	for (int i = 0; i < CHURN_SOCKETS / 10; i++)
		tcp_round();
	for (int i = 0; i < CHURN_THREADS; i++) {
		pthread_t t;

		ok_pt(pthread_create(&t, NULL, short_thread, NULL),
		      "pthread_create");
		ok_pt(pthread_join(t, NULL), "pthread_join");
	}
	for (int i = 0; i < CHURN_MAPS; i++) {
		void *p = mmap(NULL, 256 * 1024, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED)
			die("mmap");
		ok(munmap(p, 256 * 1024), "munmap");
	}
	for (int i = 0; i < CHURN_FORKS; i++) {
		pid_t pid = ok(fork(), "fork");

		if (pid == 0)
			_exit(0);
		wait_ok(pid, 0, "child");
	}
	say("CHURN_FILES=%d", CHURN_FDS);
	say("CHURN_SOCKETS=%d", CHURN_SOCKETS + CHURN_SOCKETS / 10 * 3);
	say("CHURN_THREADS=%d", CHURN_THREADS);
	say("CHURN_FORKS=%d", CHURN_FORKS);
}
