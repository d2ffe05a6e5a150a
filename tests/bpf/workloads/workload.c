// SPDX-License-Identifier: GPL-2.0
/*
 * workload.c - the real programs that tests/bpf runs under `leakscope run`.
 *
 * `workload SCENARIO [ARGS]`: each scenario makes real syscalls (no shell)
 * that create one kind of resource and either release all of it ("-clean")
 * or leave some behind ("-leak", "zombie"); it exits 0 when it did what it
 * should, 1 with a message on stderr when a syscall unexpectedly failed.
 * Facts the test needs are printed on stdout as KEY=VALUE lines (written
 * with one write(2) each, never buffered, so forks cannot duplicate them).
 *
 * Leaks that must outlive the command live in a fully detached daemon (fork,
 * setsid, fork). The daemon tells the command through a pipe that it is
 * ready only once every resource exists, so the report is deterministic,
 * and it sleeps at most DAEMON_SECONDS so nothing lingers if cleanup broke.
 * Names are distinctive: /tmp/lsw-<pid>-..., threads "lsw-worker", cgroup
 * "lsw-child", memfds "lsw-memfd".
 *
 * Scenarios (table at the end; `workload` alone lists them):
 *   fd-clean, fd-leak, fd-types, anon-leak, fd-inherit,
 *   pipe-layouts, stacks-many DEPTH                       file descriptors
 *   socket-clean, socket-leak                             sockets
 *   proc-clean, proc-leak, zombie, stubborn, brief-daemon processes
 *   thread-clean, thread-leak, thread-exec, leader-exit   threads
 *   mmap-clean                                            memory mappings
 *   temp-clean, temp-leak, temp-exchange, temp-dir-swap,
 *   temp-from-root, temp-in                               temporary files
 *   cgroup-clean, cgroup-leak, cgroup-daemon              child cgroups
 *   escape-exit DIR, escape-stay DIR,
 *   escape-reap DIR SYNC_DIR                              moves out of it
 *   noop, sleeper, exit, signal                           helpers
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stddef.h>
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
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "common/wl.h"
#include "workload/workload.h"

#define PAGE 4096

extern char **environ;

static char self_exe[PATH_MAX];
pid_t cmd_pid;		  /* the pid of the command (names its files) */
static int ready_fd = -1; /* daemon: its end of the readiness pipe */

/* ---- small helpers ---- */

static void sleep_s(unsigned int seconds)
{
	struct timespec ts = { seconds, 0 };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

int count_arg(int argc, char **argv, int i, int dflt)
{
	char *end;
	long v;

	if (i >= argc)
		return dflt;
	v = strtol(argv[i], &end, 10);
	if (*end || v < 0 || v > 100000)
		fail("bad count argument");
	return (int)v;
}

/* "%s/lsw-<cmd pid>-<name>" */
void lsw_path(char *out, size_t len, const char *dir, const char *name)
{
	if (snprintf(out, len, "%s/lsw-%d-%s", dir, (int)cmd_pid, name) >=
	    (int)len)
		fail("path too long");
}

void wait_ok(pid_t pid, const char *what)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			die(what);
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		fail(what);
}

/* Wait until child @pid has exited, without reaping it: a zombie. */
void wait_zombie(pid_t pid)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	while (waitid(P_PID, pid, &si, WEXITED | WNOWAIT))
		if (errno != EINTR)
			die("waitid WNOWAIT");
}

/* ---- daemons ---- */

/* In the daemon: every resource exists; tell the command our pid. */
void daemon_ready(void)
{
	pid_t pid = getpid();

	write_all(ready_fd, &pid, sizeof(pid));
	close_ok(ready_fd);
	ready_fd = -1;
}

/* In the daemon, after it wrote its pid but before it closed the pipe. */
static void __attribute__((noreturn)) daemon_failed(const char *what)
{
	int err = errno;

	if (ready_fd >= 0 && write(ready_fd, "x", 1) < 0)
		_exit(1);
	errno = err;
	die(what);
}

void __attribute__((noreturn)) linger(void)
{
	sleep_s(DAEMON_SECONDS);
	_exit(0);
}

/* In the middle process: new session, fork the daemon, leave. */
static void __attribute__((noreturn)) middle(int fd, void (*body)(void))
{
	pid_t pid;

	if (setsid() < 0)
		die("setsid");
	pid = fork();
	if (pid < 0)
		die("fork daemon");
	if (pid > 0)
		_exit(0);
	ready_fd = fd;
	body();
	_exit(0);
}

/*
 * Run @body in a detached daemon; return its pid once it is ready. The pipe
 * is O_CLOEXEC: a daemon that execs after daemon_ready() ends the wait.
 */
pid_t spawn_daemon(void (*body)(void))
{
	pid_t mid, pid = 0;
	int p[2];
	char extra;

	say("PID=%d", (int)getpid());
	ok(pipe2(p, O_CLOEXEC), "pipe2 ready");
	mid = ok(fork(), "fork middle");
	if (mid == 0) {
		close_ok(p[0]);
		middle(p[1], body);
	}
	close_ok(p[1]);
	say("MIDDLE=%d", (int)mid);
	wait_ok(mid, "middle process");
	if (read_full(p[0], &pid, sizeof(pid)) != sizeof(pid))
		fail("the daemon died before it was ready");
	if (read_full(p[0], &extra, 1) != 0)
		fail("the daemon failed after it was ready");
	close_ok(p[0]);
	say("DAEMON=%d", (int)pid);
	return pid;
}

/* ---- helpers: noop, sleeper ---- */

static int run_noop(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

static int run_sleeper(int argc, char **argv)
{
	int s = count_arg(argc, argv, 2, 1);

	sleep_s(s > DAEMON_SECONDS ? DAEMON_SECONDS : s);
	return 0;
}

void __attribute__((noreturn)) exec_self(const char *a1, const char *a2)
{
	execl(self_exe, self_exe, a1, a2, (char *)NULL);
	die("exec self");
}

/* ---- fds: workload/fds.c ---- */

/* ---- sockets: workload/sockets.c ---- */

/* ---- processes ---- */

static int run_proc_clean(int argc, char **argv)
{
	int n = count_arg(argc, argv, 2, 50);
	char *noop[] = { self_exe, "noop", NULL };
	pid_t pid;

	for (int i = 0; i < n; i++) {
		pid = ok(fork(), "fork");
		if (pid == 0)
			_exit(0);
		wait_ok(pid, "forked child");
	}
	errno = posix_spawn(&pid, self_exe, NULL, NULL, noop, environ);
	if (errno)
		die("posix_spawn");
	wait_ok(pid, "posix_spawn child");
	pid = ok(vfork(), "vfork");
	if (pid == 0) {
		execv(self_exe, noop);
		_exit(127);
	}
	wait_ok(pid, "vfork child");
	say("PROCS=%d", n + 2);
	return 0;
}

/*
 * Opens an O_CLOEXEC file that the exec must release, says its pid and
 * becomes `workload sleeper 120`: the exec closes the O_CLOEXEC readiness
 * pipe, which ends the command's wait.
 */
static void sleeper_body(void)
{
	pid_t pid = getpid();

	ok(open("/etc/hostname", O_RDONLY | O_CLOEXEC), "open O_CLOEXEC");
	write_all(ready_fd, &pid, sizeof(pid));
	execl(self_exe, self_exe, "sleeper", DAEMON_SECONDS_STR, (char *)NULL);
	daemon_failed("exec sleeper");
}

static int run_proc_leak(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	spawn_daemon(sleeper_body);
	return 0;
}

static void zombie_body(void)
{
	pid_t child = fork();

	if (child < 0)
		die("fork");
	if (child == 0)
		_exit(7);
	wait_zombie(child);
	say("ZOMBIE=%d", (int)child);
	daemon_ready();
	linger();
}

static int run_zombie(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	spawn_daemon(zombie_body);
	return 0;
}

/* A daemon that winds down MS milliseconds after the command exits. */
static int brief_ms;

static void brief_body(void)
{
	struct timespec ts = { brief_ms / 1000, (brief_ms % 1000) * 1000000L };

	daemon_ready();
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
	_exit(0);
}

static int run_brief_daemon(int argc, char **argv)
{
	brief_ms = count_arg(argc, argv, 2, 100);
	spawn_daemon(brief_body);
	return 0;
}

/* A daemon that ignores SIGTERM: only cgroup.kill ends it. */
static void stubborn_body(void)
{
	if (signal(SIGTERM, SIG_IGN) == SIG_ERR)
		die("signal");
	daemon_ready();
	linger();
}

static int run_stubborn(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	spawn_daemon(stubborn_body);
	return 0;
}

static int run_exit(int argc, char **argv)
{
	return count_arg(argc, argv, 2, 0) & 255;
}

static int run_signal(int argc, char **argv)
{
	int sig = count_arg(argc, argv, 2, SIGKILL);

	if (signal(sig, SIG_DFL) == SIG_ERR)
		die("signal");
	kill(getpid(), sig);
	fail("still alive after the signal");
}

/* ---- threads ---- */

static pthread_barrier_t batch_alive;

/* Returns once the whole batch is alive. */
static void *batch_member(void *arg)
{
	pthread_barrier_wait(&batch_alive);
	return arg;
}

/* Until the kernel has released every thread but this one: a join
 * returns at the thread's exit_mm, before its exit tracepoint. */
static void wait_threads_released(void)
{
	for (int tries = 0; tries < 5000; tries++) {
		char buf[4096];
		int fd = ok(open("/proc/self/status", O_RDONLY | O_CLOEXEC),
			    "open status");
		ssize_t n = read(fd, buf, sizeof(buf) - 1);
		char *line;

		close_ok(fd);
		buf[n > 0 ? n : 0] = 0;
		line = strstr(buf, "\nThreads:");
		if (line && atoi(line + 9) == 1)
			return;
		usleep(1000);
	}
	fail("threads not released after 5 s");
}

/* N threads in batches of 20, each batch alive at once, then joined and
 * gone before the next. */
static int run_thread_clean(int argc, char **argv)
{
	int n = count_arg(argc, argv, 2, 100);
	pthread_t t[20];

	for (int done = 0; done < n;) {
		int batch = n - done < 20 ? n - done : 20;

		if ((errno = pthread_barrier_init(&batch_alive, NULL,
						  batch + 1)))
			die("pthread_barrier_init");
		for (int i = 0; i < batch; i++)
			if ((errno = pthread_create(&t[i], NULL, batch_member,
						    NULL)))
				die("pthread_create");
		pthread_barrier_wait(&batch_alive);
		for (int i = 0; i < batch; i++)
			if ((errno = pthread_join(t[i], NULL)))
				die("pthread_join");
		pthread_barrier_destroy(&batch_alive);
		wait_threads_released();
		done += batch;
	}
	say("THREADS=%d", n);
	return 0;
}

static pthread_barrier_t workers_named;

static void *idle_worker(void *arg)
{
	(void)arg;
	if ((errno = pthread_setname_np(pthread_self(), "lsw-worker")))
		die("pthread_setname_np");
	say("TID=%d", (int)gettid());
	pthread_barrier_wait(&workers_named);
	sleep_s(DAEMON_SECONDS);
	return NULL;
}

static void *exec_noop(void *arg)
{
	(void)arg;
	exec_self("noop", NULL);
}

/* A thread other than the main one execs: it becomes the leader of the
 * new program, and stops being a thread. */
static int run_thread_exec(int argc, char **argv)
{
	pthread_t t;

	(void)argc;
	(void)argv;
	if ((errno = pthread_create(&t, NULL, exec_noop, NULL)))
		die("pthread_create");
	pthread_join(t, NULL);
	fail("the exec did not replace the process");
}

static int leak_threads = 2;

static void thread_leak_body(void)
{
	pthread_t t;

	if ((errno = pthread_barrier_init(&workers_named, NULL,
					  leak_threads + 1)))
		die("pthread_barrier_init");
	for (int i = 0; i < leak_threads; i++)
		if ((errno = pthread_create(&t, NULL, idle_worker, NULL)))
			die("pthread_create");
	pthread_barrier_wait(&workers_named);
	daemon_ready();
	linger();
}

static int run_thread_leak(int argc, char **argv)
{
	leak_threads = count_arg(argc, argv, 2, 2);
	spawn_daemon(thread_leak_body);
	return 0;
}

/* The worker: wait until the main thread has exited, then say ready. */
static void *orphaned_worker(void *arg)
{
	pid_t leader = (pid_t)(long)arg;
	char path[64], buf[512], *state;

	if ((errno = pthread_setname_np(pthread_self(), "lsw-worker")))
		die("pthread_setname_np");
	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", (int)leader);
	for (int tries = 0; tries < 5000; tries++) {
		int fd = ok(open(path, O_RDONLY | O_CLOEXEC), "open task stat");
		ssize_t n = read(fd, buf, sizeof(buf) - 1);

		close_ok(fd);
		buf[n > 0 ? n : 0] = 0;
		state = strrchr(buf, ')');
		if (state && (state[2] == 'Z' || state[2] == 'X')) {
			say("TID=%d", (int)gettid());
			daemon_ready();
			sleep_s(DAEMON_SECONDS);
			_exit(0);
		}
		usleep(1000);
	}
	fail("the main thread did not exit");
}

/* A daemon whose main thread calls pthread_exit: the process lives on in
 * its other thread. */
static void leader_exit_body(void)
{
	pthread_t t;

	if ((errno = pthread_create(&t, NULL, orphaned_worker,
				    (void *)(long)getpid())))
		die("pthread_create");
	pthread_exit(NULL);
}

static int run_leader_exit(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	spawn_daemon(leader_exit_body);
	return 0;
}

/* ---- memory mappings ---- */

static long maps_made; /* mmap/mremap results (MAPS=) */

static void *map_anon(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		die("mmap");
	maps_made++;
	memset(p, 1, len);
	return p;
}

static void unmap(void *p, size_t len)
{
	if (munmap(p, len))
		die("munmap");
}

static void map_file(void)
{
	int fd = ok(open("/etc/passwd", O_RDONLY), "open /etc/passwd");
	void *p = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, fd, 0);

	if (p == MAP_FAILED)
		die("mmap file");
	maps_made++;
	close_ok(fd);
	unmap(p, PAGE);
}

static void map_grow(void)
{
	void *p = map_anon(PAGE), *q;

	q = mremap(p, PAGE, 64 * PAGE, MREMAP_MAYMOVE);
	if (q == MAP_FAILED)
		die("mremap");
	maps_made++;
	unmap(q, 64 * PAGE);
}

/* munmap of the first page, then of the rest at its new start. */
static void map_front(void)
{
	char *p = map_anon(4 * PAGE);

	unmap(p, PAGE);
	unmap(p + PAGE, 3 * PAGE);
}

static void heap_grow(void)
{
	char *p = sbrk(16 * PAGE);

	if (p == (void *)-1)
		die("sbrk");
	memset(p, 1, 16 * PAGE);
	if (sbrk(-16 * PAGE) == (void *)-1)
		die("sbrk shrink");
}

static int run_mmap_clean(int argc, char **argv)
{
	int n = count_arg(argc, argv, 2, 200);

	for (int i = 0; i < n; i++) {
		size_t len = (size_t)(1 + i % 7) * PAGE + (i % 3) * 100;

		unmap(map_anon(len), len);
	}
	map_file();
	map_grow();
	map_front();
	heap_grow();
	say("MAPS=%ld", maps_made);
	return 0;
}

/* ---- temporary files: workload/temps.c ---- */

/* ---- cgroups ---- */

/* The cgroup2 mount point, from /proc/self/mountinfo. */
static void cgroup2_mount(char *out, size_t len)
{
	char line[4096], mnt[PATH_MAX], type[64];
	FILE *f = fopen("/proc/self/mountinfo", "re");

	if (!f)
		die("open /proc/self/mountinfo");
	while (fgets(line, sizeof(line), f)) {
		char *sep = strstr(line, " - ");

		if (!sep || sscanf(sep + 3, "%63s", type) != 1 ||
		    strcmp(type, "cgroup2"))
			continue;
		if (sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1)
			continue;
		fclose(f);
		if (snprintf(out, len, "%s", mnt) >= (int)len)
			fail("mount point too long");
		return;
	}
	fclose(f);
	fail("no cgroup2 mount in /proc/self/mountinfo");
}

/* This process's cgroup v2 directory ("0::/path" in /proc/self/cgroup). */
static void own_cgroup(char *out, size_t len)
{
	char line[4096], mnt[PATH_MAX];
	FILE *f = fopen("/proc/self/cgroup", "re");

	if (!f)
		die("open /proc/self/cgroup");
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "0::", 3))
			continue;
		fclose(f);
		line[strcspn(line, "\n")] = 0;
		cgroup2_mount(mnt, sizeof(mnt));
		if (snprintf(out, len, "%s%s", mnt,
			     strcmp(line + 3, "/") ? line + 3 : "") >= (int)len)
			fail("cgroup path too long");
		return;
	}
	fclose(f);
	fail("no cgroup v2 line in /proc/self/cgroup");
}

static void make_child_cgroup(char *path, size_t len)
{
	char own[PATH_MAX];
	struct stat st;

	own_cgroup(own, sizeof(own));
	if (snprintf(path, len, "%s/lsw-child", own) >= (int)len)
		fail("cgroup path too long");
	ok(mkdir(path, 0755), "mkdir child cgroup");
	ok(stat(path, &st), "stat child cgroup");
	say("CGROUP=%s", path);
	say("CREATOR=%d", (int)getpid());
	say("CGROUP_ID=%llu", (unsigned long long)st.st_ino);
}

static int run_cgroup_clean(int argc, char **argv)
{
	char path[PATH_MAX];

	(void)argc;
	(void)argv;
	make_child_cgroup(path, sizeof(path));
	ok(rmdir(path), "rmdir child cgroup");
	return 0;
}

static int run_cgroup_leak(int argc, char **argv)
{
	char path[PATH_MAX];

	(void)argc;
	(void)argv;
	make_child_cgroup(path, sizeof(path));
	return 0;
}

/* A daemon that moves itself into a child cgroup of its own. */
static void cgroup_daemon_body(void)
{
	char path[PATH_MAX];

	make_child_cgroup(path, sizeof(path));
	wl_move_to_cgroup(path);
	daemon_ready();
	linger();
}

static int run_cgroup_daemon(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	spawn_daemon(cgroup_daemon_body);
	return 0;
}

/* ---- main ---- */

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *args;
} scenarios[] = {
	{ "noop", run_noop, "" },
	{ "sleeper", run_sleeper, "SECONDS" },
	{ "fd-clean", run_fd_clean, "[N]" },
	{ "fd-leak", run_fd_leak, "" },
	{ "fd-types", run_fd_types, "" },
	{ "anon-leak", run_anon_leak, "[N]" },
	{ "fd-inherit", run_fd_inherit, "" },
	{ "pipe-layouts", run_pipe_layouts, "" },
	{ "stacks-many", run_stacks_many, "DEPTH" },
	{ "socket-clean", run_socket_clean, "" },
	{ "socket-leak", run_socket_leak, "" },
	{ "proc-clean", run_proc_clean, "[N]" },
	{ "proc-leak", run_proc_leak, "" },
	{ "zombie", run_zombie, "" },
	{ "stubborn", run_stubborn, "" },
	{ "brief-daemon", run_brief_daemon, "[MS]" },
	{ "exit", run_exit, "CODE" },
	{ "signal", run_signal, "SIGNO" },
	{ "thread-clean", run_thread_clean, "[N]" },
	{ "thread-leak", run_thread_leak, "[N]" },
	{ "thread-exec", run_thread_exec, "" },
	{ "leader-exit", run_leader_exit, "" },
	{ "mmap-clean", run_mmap_clean, "[N]" },
	{ "temp-clean", run_temp_clean, "" },
	{ "temp-leak", run_temp_leak, "[EXISTING-FILE]" },
	{ "temp-exchange", run_temp_exchange, "" },
	{ "temp-dir-swap", run_temp_dir_swap, "" },
	{ "temp-from-root", run_temp_from_root, "" },
	{ "temp-in", run_temp_in, "DIR" },
	{ "cgroup-clean", run_cgroup_clean, "" },
	{ "cgroup-leak", run_cgroup_leak, "" },
	{ "cgroup-daemon", run_cgroup_daemon, "" },
	{ "escape-exit", run_escape_exit, "CGROUP_DIR" },
	{ "escape-stay", run_escape_stay, "CGROUP_DIR" },
	{ "escape-reap", run_escape_reap, "CGROUP_DIR SYNC_DIR" },
};

static int usage(void)
{
	dprintf(STDERR_FILENO, "usage: workload SCENARIO [ARGS]\n");
	for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++)
		dprintf(STDERR_FILENO, "  %s %s\n", scenarios[i].name,
			scenarios[i].args);
	return 2;
}

int main(int argc, char **argv)
{
	ssize_t n;

	wl_prog = wl_scenario = "workload";
	if (argc < 2)
		return usage();
	n = readlink("/proc/self/exe", self_exe, sizeof(self_exe) - 1);
	if (n < 0)
		die("readlink /proc/self/exe");
	self_exe[n] = 0;
	cmd_pid = getpid();
	for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++) {
		if (strcmp(argv[1], scenarios[i].name))
			continue;
		wl_scenario = scenarios[i].name;
		return scenarios[i].run(argc, argv);
	}
	return usage();
}
