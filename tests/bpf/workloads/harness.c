// SPDX-License-Identifier: GPL-2.0
/*
 * harness.c - a C test harness that marks its tests with the client library
 * (include/leakscope/client.h), for tests/bpf/test_tests_*.py.
 *
 * `harness SCENARIO...` connects with ls_client_connect(NULL) and runs each
 * SCENARIO as one test of the same name (BEGIN, the body, END "passed"), in
 * the order given, in this one process, so that a later scenario can release
 * what an earlier one leaked ("late"). For each test it prints the END reply
 * as
 *
 *   VERDICT <name> <json>
 *
 * and the facts the test needs to check the verdict exactly (pids, fds,
 * paths, ports) as KEY=VALUE lines. Every line is written with one write(2),
 * never buffered, so forks cannot duplicate it. Exit 0 when every scenario
 * did what it should, 1 with a message on stderr when a syscall or a
 * request failed unexpectedly, 2 for a bad command line.
 *
 * Special forms:
 *   parallel N   fork N workers that each connect on their own and run
 *                test "parallel-<i>" at the same time (see run_parallel)
 *   errors       marks on its own: BEGIN/END errors, prints ERR_* facts
 *   ping         no test: PING and STATUS, prints PING= and STATUS=
 * When the connection is refused, harness prints CONNECT=<errno> <reason>
 * and exits 1.
 *
 * Everything a test leaks on purpose is named so that it cannot be mistaken
 * for anything else: temp files /tmp/lsh-<harness pid>-<n>, the cgroup
 * lsh-<pid>-cg<n>, threads "lsh-blocked", "lsh-late", "lsh-slow". Leaked
 * fds are close-on-exec, so the programs later tests run do not inherit
 * them; leaked threads run on static stacks (no mapping of their own, so
 * each leak test leaks exactly one thing). Children sleep at most 60 s.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <leakscope/client.h>
#include "common/wl.h"

#define MIB	      (1024 * 1024)
#define THREAD_STACK  (256 * 1024)
#define CHURN_FDS     3000
#define CHURN_SOCKETS 500
#define CHURN_THREADS 100
#define CHURN_MAPS    1000
#define CHURN_FORKS   100
#define AFTER_END_MS  50
#define SLOW_EXIT_MS  2000
#define MAX_WORKERS   32

static struct ls_client *ls;
static pid_t self;
static int temp_n;
static char cgroup_dir[PATH_MAX]; /* our own cgroup's directory */

/* What a test leaves for a later one to release. */
static int late_fd = -1;
static pid_t late_pid, zombie_pid;
static pthread_t slow_thread;

/* ---- small helpers ---- */

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static void wait_ok(pid_t pid, int want_code, const char *what)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			die(what);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != want_code)
		fail(what);
}

static pid_t gettid_(void)
{
	return (pid_t)syscall(SYS_gettid);
}

/* "/tmp/lsh-<harness pid>-<n>" */
static void temp_path(char *out, size_t len)
{
	if (snprintf(out, len, "/tmp/lsh-%d-%d", (int)self, temp_n++) >=
	    (int)len)
		fail("temp path too long");
}

static int make_temp(char *path, size_t len, const char *data)
{
	int fd;

	temp_path(path, len);
	fd = ok(open(path, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600),
		"create temp file");
	write_all(fd, data, strlen(data));
	return fd;
}

/* Our cgroup's directory: the cgroup2 mount (/proc/self/mountinfo) plus
 * our path in it (/proc/self/cgroup, line "0::PATH"). */
static void find_cgroup_dir(void)
{
	char line[4096], mnt[PATH_MAX] = "", own[PATH_MAX] = "";
	FILE *f = fopen("/proc/self/mountinfo", "re");

	if (!f)
		die("open /proc/self/mountinfo");
	while (!mnt[0] && fgets(line, sizeof(line), f)) {
		char *sep = strstr(line, " - "), point[PATH_MAX], type[64];

		if (sep && sscanf(sep, " - %63s", type) == 1 &&
		    !strcmp(type, "cgroup2") &&
		    sscanf(line, "%*s %*s %*s %*s %4095s", point) == 1)
			snprintf(mnt, sizeof(mnt), "%s", point);
	}
	fclose(f);
	f = fopen("/proc/self/cgroup", "re");
	if (!f)
		die("open /proc/self/cgroup");
	while (!own[0] && fgets(line, sizeof(line), f))
		if (!strncmp(line, "0::", 3)) {
			line[strcspn(line, "\n")] = 0;
			snprintf(own, sizeof(own), "%s", line + 3);
		}
	fclose(f);
	if (!mnt[0] || !own[0])
		fail("no cgroup2 mount or no cgroup2 path");
	if (snprintf(cgroup_dir, sizeof(cgroup_dir), "%s%s", mnt,
		     strcmp(own, "/") ? own : "") >= (int)sizeof(cgroup_dir))
		fail("cgroup path too long");
}

static void cgroup_child(char *out, size_t len)
{
	if (snprintf(out, len, "%s/lsh-%d-cg%d", cgroup_dir, (int)self,
		     temp_n++) >= (int)len)
		fail("cgroup path too long");
}

/* Fork a child that execs `sleep SECONDS`; return once it has exec'd (the
 * close-on-exec pipe reads EOF), so that its argv is sleep's. */
static pid_t spawn_sleep(const char *seconds)
{
	int p[2];
	pid_t pid;
	char c;

	ok(pipe2(p, O_CLOEXEC), "pipe2");
	pid = ok(fork(), "fork");
	if (pid == 0) {
		close(p[0]);
		execl("/bin/sleep", "sleep", seconds, (char *)NULL);
		_exit(127);
	}
	close_ok(p[1]);
	if (read_full(p[0], &c, 1) != 0)
		fail("sleep child");
	close_ok(p[0]);
	return pid;
}

/* A thread on a static stack (no mapping of its own). */
static void start_thread(pthread_t *t, void *stack, void *(*fn)(void *),
			 void *arg, int detached)
{
	pthread_attr_t a;

	ok_pt(pthread_attr_init(&a), "pthread_attr_init");
	ok_pt(pthread_attr_setstack(&a, stack, THREAD_STACK),
	      "pthread_attr_setstack");
	if (detached)
		ok_pt(pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED),
		      "pthread_attr_setdetachstate");
	ok_pt(pthread_create(t, &a, fn, arg), "pthread_create");
	pthread_attr_destroy(&a);
}

/* ---- marking ---- */

static void begin_test(const char *name)
{
	int rc = ls_client_begin(ls, name);

	if (rc) {
		dprintf(STDERR_FILENO, "harness: BEGIN %s: %d %s\n", name, rc,
			ls_client_last_reply(ls));
		_exit(1);
	}
}

static void end_test(const char *name)
{
	int leaks = -1, rc = ls_client_end(ls, name, "passed", &leaks);

	if (rc) {
		dprintf(STDERR_FILENO, "harness: END %s: %d %s\n", name, rc,
			ls_client_last_reply(ls));
		_exit(1);
	}
	say("VERDICT %s %s", name, ls_client_last_reply(ls));
	say("LEAKS %s %d", name, leaks); /* ls_client_end's count */
}

/* ---- leaks: one thing each ---- */

static void t_fd_leak(void)
{
	int fd = ok(open("/etc/hostname", O_RDONLY | O_CLOEXEC), "open");

	say("FD_LEAK_FD=%d", fd);
}

static void t_socket_leak(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	int fd = ok(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), "socket");

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ok(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), "bind");
	ok(listen(fd, 4), "listen");
	ok(getsockname(fd, (struct sockaddr *)&sa, &len), "getsockname");
	say("SOCKET_LEAK_FD=%d", fd);
	say("SOCKET_LEAK_PORT=%d", ntohs(sa.sin_port));
}

static void t_process_leak(void)
{
	say("PROCESS_LEAK_PID=%d", (int)spawn_sleep("60"));
}

/*
 * What posix_spawn file actions and Python's subprocess (stdin=DEVNULL...)
 * do: the parent opens /dev/null, the child dup2()s it onto 0, 1 and 2 and
 * execs; the parent closes its fd. The child's three fds are dups of a file
 * the test opened.
 */
static void t_spawn_devnull(void)
{
	int p[2], null = ok(open("/dev/null", O_RDWR | O_CLOEXEC), "open");
	pid_t pid;
	char c;

	ok(pipe2(p, O_CLOEXEC), "pipe2");
	pid = ok(fork(), "fork");
	if (pid == 0) {
		close(p[0]);
		if (dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(null, 2) < 0)
			_exit(126);
		execl("/bin/sleep", "sleep", "60", (char *)NULL);
		_exit(127);
	}
	close_ok(null);
	close_ok(p[1]);
	if (read_full(p[0], &c, 1) != 0)
		fail("sleep child");
	close_ok(p[0]);
	say("SPAWN_DEVNULL_PID=%d", (int)pid);
}

static void t_zombie(void)
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
static void t_zombie_reap(void)
{
	if (zombie_pid <= 0)
		fail("zombie-reap needs zombie before it");
	wait_ok(zombie_pid, 5, "reap zombie");
	zombie_pid = 0;
}

static char blocked_stack[THREAD_STACK] __attribute__((aligned(4096)));
static sem_t blocked_started;
static pid_t blocked_tid;

static void *blocked_thread(void *arg)
{
	sem_t never;

	(void)arg;
	pthread_setname_np(pthread_self(), "lsh-blocked");
	blocked_tid = gettid_();
	sem_init(&never, 0, 0);
	sem_post(&blocked_started);
	for (;;)
		sem_wait(&never);
	return NULL;
}

static void t_thread_leak(void)
{
	pthread_t t;

	sem_init(&blocked_started, 0, 0);
	start_thread(&t, blocked_stack, blocked_thread, NULL, 1);
	while (sem_wait(&blocked_started))
		;
	say("THREAD_LEAK_TID=%d", (int)blocked_tid);
}

static void t_mapping_leak(void)
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
static void t_mapping_small(void)
{
	char *p = mmap(NULL, 60 * 1024, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		die("mmap");
	memset(p, 1, 4096);
	say("MAPPING_SMALL_ADDR=%lu", (unsigned long)p);
}

static void t_tempfile_leak(void)
{
	char path[64];

	close_ok(make_temp(path, sizeof(path), "leak\n"));
	say("TEMPFILE_LEAK_PATH=%s", path);
}

static void t_cgroup_leak(void)
{
	char path[PATH_MAX];

	cgroup_child(path, sizeof(path));
	ok(mkdir(path, 0755), "mkdir cgroup");
	say("CGROUP_LEAK_PATH=%s", path);
}

/* ---- clean: each kind made and released inside the test ---- */

static void t_fd_clean(void)
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

static void t_socket_clean(void)
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

static void t_process_clean(void)
{
	for (int i = 0; i < 10; i++) {
		pid_t pid = ok(fork(), "fork");

		if (pid == 0)
			_exit(0);
		wait_ok(pid, 0, "child");
	}
	/* A child that runs a program, and a grandchild. */
	wait_ok(spawn_sleep("0"), 0, "sleep 0");
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
static void t_thread_clean(void)
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
static void t_thread_malloc_clean(void)
{
	for (int i = 0; i < 4; i++) {
		pthread_t t;

		ok_pt(pthread_create(&t, NULL, malloc_thread, NULL),
		      "pthread_create");
		ok_pt(pthread_join(t, NULL), "pthread_join");
	}
}

static void t_mapping_clean(void)
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

static void t_tempfile_clean(void)
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

static void t_cgroup_clean(void)
{
	char path[PATH_MAX];

	cgroup_child(path, sizeof(path));
	ok(mkdir(path, 0755), "mkdir cgroup");
	ok(rmdir(path), "rmdir cgroup");
}

/* Thousands of objects of every kind, each released again. */
static void t_churn(void)
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

/* ---- what ends just after END (the verdict's backoff), or long after ---- */

static char late_stack[THREAD_STACK] __attribute__((aligned(4096)));
static char reaper_stack[THREAD_STACK] __attribute__((aligned(4096)));
static char slow_stack[THREAD_STACK] __attribute__((aligned(4096)));
static sem_t go_late, late_started;
static pid_t late_tid;

/* Blocks until the test is about to send END, then lives @arg ms more. */
static void *ending_thread(void *arg)
{
	pthread_setname_np(pthread_self(), (const char *)arg);
	late_tid = gettid_();
	sem_post(&late_started);
	while (sem_wait(&go_late))
		;
	sleep_ms(strcmp(arg, "lsh-slow") ? AFTER_END_MS : SLOW_EXIT_MS);
	return NULL;
}

static void start_ending_thread(pthread_t *t, void *stack, const char *name,
				int detached)
{
	sem_init(&go_late, 0, 0);
	sem_init(&late_started, 0, 0);
	start_thread(t, stack, ending_thread, (void *)name, detached);
	while (sem_wait(&late_started))
		;
}

static void t_thread_after_end(void)
{
	pthread_t t;

	start_ending_thread(&t, late_stack, "lsh-late", 1);
	say("THREAD_AFTER_END_TID=%d", (int)late_tid);
	sem_post(&go_late); /* it exits AFTER_END_MS from now */
}

static void *reaper(void *arg)
{
	wait_ok((pid_t)(long)arg, 0, "child after end");
	return NULL;
}

/* A child that exits AFTER_END_MS after END is sent, reaped by a thread of
 * ours that exits right after. */
static void t_child_after_end(void)
{
	int p[2];
	pthread_t t;
	pid_t pid;
	char c;

	ok(pipe2(p, O_CLOEXEC), "pipe2");
	pid = ok(fork(), "fork");
	if (pid == 0) {
		close(p[1]);
		if (read_full(p[0], &c, 1) != 0)
			_exit(1);
		sleep_ms(AFTER_END_MS);
		_exit(0);
	}
	close_ok(p[0]);
	start_thread(&t, reaper_stack, reaper, (void *)(long)pid, 1);
	say("CHILD_AFTER_END_PID=%d", (int)pid);
	close_ok(p[1]); /* EOF: it exits AFTER_END_MS from now */
}

static void t_thread_slow_exit(void)
{
	start_ending_thread(&slow_thread, slow_stack, "lsh-slow", 0);
	say("THREAD_SLOW_EXIT_TID=%d", (int)late_tid);
	sem_post(&go_late); /* it exits SLOW_EXIT_MS from now */
}

static void after_thread_slow_exit(void)
{
	ok_pt(pthread_join(slow_thread, NULL), "pthread_join slow");
	say("THREAD_SLOW_EXIT_JOINED=1");
}

/* ---- late: leaked by one test, released by a later one ---- */

static void t_fd_late_open(void)
{
	late_fd = ok(open("/etc/hostname", O_RDONLY | O_CLOEXEC), "open");
	say("FD_LATE_OPEN_FD=%d", late_fd);
}

static void t_fd_late_close(void)
{
	if (late_fd < 0)
		fail("fd-late-close needs fd-late-open before it");
	close_ok(late_fd);
	late_fd = -1;
}

static void t_process_late_start(void)
{
	late_pid = spawn_sleep("60");
	say("PROCESS_LATE_START_PID=%d", (int)late_pid);
}

static void t_process_late_kill(void)
{
	int status;

	if (late_pid <= 0)
		fail("process-late-kill needs process-late-start before it");
	ok(kill(late_pid, SIGKILL), "kill");
	ok(waitpid(late_pid, &status, 0), "waitpid");
	late_pid = 0;
}

/* ---- dup semantics ---- */

/* Save stdout, redirect it, restore it: fds of a file opened before the
 * test move around, nothing is left. */
static void t_dup_stdout(void)
{
	int saved = ok(dup(STDOUT_FILENO), "dup stdout");
	int null = ok(open("/dev/null", O_WRONLY), "open /dev/null");

	ok(dup2(null, STDOUT_FILENO), "dup2 /dev/null");
	close_ok(null);
	write_all(STDOUT_FILENO, "into /dev/null\n", 15);
	ok(dup2(saved, STDOUT_FILENO), "dup2 restore");
	close_ok(saved);
}

static void t_dup_own(void)
{
	int fd = ok(open("/etc/hostname", O_RDONLY | O_CLOEXEC), "open");
	int d = ok(dup(fd), "dup");

	ok(fcntl(d, F_SETFD, FD_CLOEXEC), "FD_CLOEXEC");
	close_ok(fd);
	say("DUP_OWN_FD=%d", d);
}

/* ---- allow, suppressions ---- */

static void t_allow(void)
{
	int rc = ls_client_allow(ls, "fd path=/etc/hostname"), fd;

	say("ALLOW_RC=%d %s", rc, ls_client_last_reply(ls));
	fd = ok(open("/etc/hostname", O_RDONLY | O_CLOEXEC), "open");
	say("ALLOW_FD=%d", fd);
}

static void t_two_fds(void)
{
	int a = ok(open("/etc/hostname", O_RDONLY | O_CLOEXEC), "open");
	int b = ok(open("/etc/passwd", O_RDONLY | O_CLOEXEC), "open");

	say("TWO_FDS_HOSTNAME=%d", a);
	say("TWO_FDS_PASSWD=%d", b);
}

/* ---- errors: marks on its own ---- */

static void result(const char *key, int rc)
{
	say("%s=%d %s", key, rc, ls_client_last_reply(ls));
}

static void t_errors(void)
{
	char long_name[LS_CLIENT_NAME_MAX + 2];
	int leaks = -1;

	memset(long_name, 'n', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = 0;
	/* No test runs yet. */
	result("ERR_END_IDLE", ls_client_end(ls, "errors", "passed", NULL));
	result("ERR_ALLOW_IDLE", ls_client_allow(ls, "fd path=/x"));
	/* Refused client-side, nothing sent. */
	result("ERR_NAME_NEWLINE", ls_client_begin(ls, "bad\nname"));
	result("ERR_NAME_EMPTY", ls_client_begin(ls, ""));
	result("ERR_NAME_UTF8", ls_client_begin(ls, "bad \xff name"));
	result("ERR_NAME_DEL", ls_client_begin(ls, "bad\x7fname"));
	result("ERR_NAME_LONG", ls_client_begin(ls, long_name));
	result("ERR_NAME_CHECK_MAX",
	       ls_client_check_name(long_name + 1)); /* 1024 bytes */
	result("BEGIN_ERRORS", ls_client_begin(ls, "errors"));
	result("ERR_NESTED", ls_client_begin(ls, "errors inner"));
	result("ERR_NESTED_SAME", ls_client_begin(ls, "errors"));
	result("ERR_END_OTHER", ls_client_end(ls, "ghost", "passed", NULL));
	result("ERR_END_NO_OUTCOME",
	       ls_client_end(ls, "it passed", NULL, NULL));
	result("ERR_ALLOW_BAD", ls_client_allow(ls, "nokind path=x"));
	result("ERR_RAW_UNKNOWN", ls_client_request(ls, "FROB x"));
	result("END_ERRORS", ls_client_end(ls, "errors", "passed", &leaks));
	say("VERDICT errors %s", ls_client_last_reply(ls));
	say("LEAKS errors %d", leaks);
	result("ERR_END_AGAIN", ls_client_end(ls, "errors", "passed", NULL));
}

/* ---- no test: the link alone ---- */

static void t_ping(void)
{
	result("PING", ls_client_ping(ls));
	result("STATUS", ls_client_status(ls));
}

/* ---- parallel workers ---- */

struct gates {
	int ready[2], go[2], made[2], go2[2], ended[2], go3[2];
};

static void wait_gate(int fd)
{
	char c;

	if (read_full(fd, &c, 1) != 0)
		fail("gate");
}

static void __attribute__((noreturn)) worker(int i, struct gates *g)
{
	struct ls_client *mine = NULL;
	char name[32], path[64];
	int fd, rc, leaks = -1;

	close(g->ready[0]);
	close(g->go[1]);
	close(g->made[0]);
	close(g->go2[1]);
	close(g->ended[0]);
	close(g->go3[1]);
	ls_client_close(ls); /* the parent's: closes our copy only */
	rc = ls_client_connect(NULL, &mine);
	if (rc) {
		errno = -rc;
		die("worker connect");
	}
	snprintf(name, sizeof(name), "parallel-%d", i);
	rc = ls_client_begin(mine, name);
	if (rc)
		fail(ls_client_last_reply(mine));
	write_all(g->ready[1], "r", 1);
	wait_gate(g->go[0]); /* every worker runs its test now */
	snprintf(path, sizeof(path), "/tmp/lsh-%d-par%d", (int)self, i);
	fd = ok(open(path, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600),
		"create worker temp");
	write_all(fd, "w", 1);
	say("PARALLEL_%d_PID=%d", i, (int)getpid());
	say("PARALLEL_%d_FD=%d", i, fd);
	say("PARALLEL_%d_PATH=%s", i, path);
	write_all(g->made[1], "m", 1);
	wait_gate(g->go2[0]); /* every worker made its leak */
	rc = ls_client_end(mine, name, "passed", &leaks);
	if (rc)
		fail(ls_client_last_reply(mine));
	say("VERDICT %s %s", name, ls_client_last_reply(mine));
	say("LEAKS %s %d", name, leaks);
	write_all(g->ended[1], "e", 1);
	wait_gate(g->go3[0]); /* keep the fd until every test is over */
	ls_client_close(mine);
	_exit(0);
}

static void collect_gate(int fd, int n)
{
	char buf[MAX_WORKERS];

	if (read_full(fd, buf, n) != n)
		fail("a worker died");
}

static void run_parallel(int n)
{
	struct gates g;
	pid_t pids[MAX_WORKERS];

	wl_scenario = "parallel";
	if (n < 1 || n > MAX_WORKERS)
		fail("parallel: 1 to 32 workers");
	ok(pipe2(g.ready, O_CLOEXEC), "pipe");
	ok(pipe2(g.go, O_CLOEXEC), "pipe");
	ok(pipe2(g.made, O_CLOEXEC), "pipe");
	ok(pipe2(g.go2, O_CLOEXEC), "pipe");
	ok(pipe2(g.ended, O_CLOEXEC), "pipe");
	ok(pipe2(g.go3, O_CLOEXEC), "pipe");
	for (int i = 0; i < n; i++) {
		pids[i] = ok(fork(), "fork worker");
		if (pids[i] == 0)
			worker(i, &g);
	}
	close_ok(g.ready[1]);
	close_ok(g.made[1]);
	close_ok(g.ended[1]);
	collect_gate(g.ready[0], n); /* every test has begun */
	close_ok(g.go[1]);
	collect_gate(g.made[0], n); /* every test has made its leak */
	close_ok(g.go2[1]);
	collect_gate(g.ended[0], n); /* every test has ended */
	close_ok(g.go3[1]);
	for (int i = 0; i < n; i++)
		wait_ok(pids[i], 0, "worker");
	close_ok(g.ready[0]);
	close_ok(g.go[0]);
	close_ok(g.made[0]);
	close_ok(g.go2[0]);
	close_ok(g.ended[0]);
	close_ok(g.go3[0]);
	say("PARALLEL_DONE=%d", n);
}

/* ---- main ---- */

static const struct {
	const char *name;
	void (*fn)(void);
	void (*after)(void); /* after END, outside any test */
} scenarios[] = {
	{ "fd-leak", t_fd_leak, NULL },
	{ "socket-leak", t_socket_leak, NULL },
	{ "process-leak", t_process_leak, NULL },
	{ "spawn-devnull", t_spawn_devnull, NULL },
	{ "zombie", t_zombie, NULL },
	{ "zombie-reap", t_zombie_reap, NULL },
	{ "thread-leak", t_thread_leak, NULL },
	{ "mapping-leak", t_mapping_leak, NULL },
	{ "mapping-small", t_mapping_small, NULL },
	{ "tempfile-leak", t_tempfile_leak, NULL },
	{ "cgroup-leak", t_cgroup_leak, NULL },
	{ "fd-clean", t_fd_clean, NULL },
	{ "socket-clean", t_socket_clean, NULL },
	{ "process-clean", t_process_clean, NULL },
	{ "thread-clean", t_thread_clean, NULL },
	{ "thread-malloc-clean", t_thread_malloc_clean, NULL },
	{ "mapping-clean", t_mapping_clean, NULL },
	{ "tempfile-clean", t_tempfile_clean, NULL },
	{ "cgroup-clean", t_cgroup_clean, NULL },
	{ "churn", t_churn, NULL },
	{ "thread-after-end", t_thread_after_end, NULL },
	{ "child-after-end", t_child_after_end, NULL },
	{ "thread-slow-exit", t_thread_slow_exit, after_thread_slow_exit },
	{ "fd-late-open", t_fd_late_open, NULL },
	{ "fd-late-close", t_fd_late_close, NULL },
	{ "process-late-start", t_process_late_start, NULL },
	{ "process-late-kill", t_process_late_kill, NULL },
	{ "dup-stdout", t_dup_stdout, NULL },
	{ "dup-own", t_dup_own, NULL },
	{ "allow", t_allow, NULL },
	{ "two-fds", t_two_fds, NULL },
	{ "errors", NULL, t_errors },
	{ "ping", NULL, t_ping },
};

#define N_SCENARIOS (sizeof(scenarios) / sizeof(scenarios[0]))

static int usage(void)
{
	dprintf(STDERR_FILENO, "usage: harness SCENARIO... (parallel N)\n");
	for (size_t i = 0; i < N_SCENARIOS; i++)
		dprintf(STDERR_FILENO, "  %s\n", scenarios[i].name);
	return 2;
}

int main(int argc, char **argv)
{
	int rc;

	wl_prog = wl_scenario = "harness";
	if (argc < 2)
		return usage();
	self = getpid();
	find_cgroup_dir();
	rc = ls_client_connect(NULL, &ls);
	if (rc) {
		/* Reported on stdout: the tests check the refusals. */
		say("CONNECT=%d %s", rc, ls_client_last_reply(ls));
		return 1;
	}
	say("HARNESS_PID=%d", (int)self);
	say("CGROUP_DIR=%s", cgroup_dir);
	for (int a = 1; a < argc; a++) {
		size_t i;

		if (!strcmp(argv[a], "parallel") && a + 1 < argc) {
			run_parallel(atoi(argv[++a]));
			continue;
		}
		for (i = 0; i < N_SCENARIOS; i++)
			if (!strcmp(argv[a], scenarios[i].name))
				break;
		if (i == N_SCENARIOS)
			return usage();
		wl_scenario = scenarios[i].name;
		if (scenarios[i].fn) {
			begin_test(wl_scenario);
			scenarios[i].fn();
			end_test(wl_scenario);
		}
		if (scenarios[i].after)
			scenarios[i].after();
	}
	ls_client_close(ls);
	say("HARNESS_DONE=1");
	return 0;
}
