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
 *   fd-clean, fd-leak, fd-types, anon-leak, fd-inherit    file descriptors
 *   socket-clean, socket-leak                             sockets
 *   proc-clean, proc-leak, zombie, stubborn, brief-daemon processes
 *   thread-clean, thread-leak, leader-exit                threads
 *   mmap-clean                                            memory mappings
 *   temp-clean, temp-leak, temp-exchange, temp-dir-swap,
 *   temp-from-root, temp-in                               temporary files
 *   cgroup-clean, cgroup-leak, cgroup-daemon              child cgroups
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

#define DAEMON_SECONDS	   120
#define DAEMON_SECONDS_STR "120"
#define PAGE		   4096

extern char **environ;

static char self_exe[PATH_MAX];
static pid_t cmd_pid;	  /* the pid of the command (names its files) */
static int ready_fd = -1; /* daemon: its end of the readiness pipe */

/* ---- small helpers ---- */

static void sleep_s(unsigned int seconds)
{
	struct timespec ts = { seconds, 0 };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static int count_arg(int argc, char **argv, int i, int dflt)
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
static void lsw_path(char *out, size_t len, const char *dir, const char *name)
{
	if (snprintf(out, len, "%s/lsw-%d-%s", dir, (int)cmd_pid, name) >=
	    (int)len)
		fail("path too long");
}

static void wait_ok(pid_t pid, const char *what)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			die(what);
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		fail(what);
}

/* ---- daemons ---- */

/* In the daemon: every resource exists; tell the command our pid. */
static void daemon_ready(void)
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

static void __attribute__((noreturn)) linger(void)
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
static pid_t spawn_daemon(void (*body)(void))
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

static void __attribute__((noreturn)) exec_self(const char *a1, const char *a2)
{
	execl(self_exe, self_exe, a1, a2, (char *)NULL);
	die("exec self");
}

/* ---- fds ---- */

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

static int run_fd_clean(int argc, char **argv)
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

static int run_fd_leak(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	spawn_daemon(fd_leak_body);
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

static int run_fd_types(int argc, char **argv)
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

static int run_anon_leak(int argc, char **argv)
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

static int tcp_listener(int family, const char *ip, int port);
static int local_port(int fd);

/* The command opens a file and a socket; the daemon it forks keeps them. */
static int run_fd_inherit(int argc, char **argv)
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

/* ---- sockets ---- */

static long socks_made; /* sockets this process created (SOCKETS=) */

static int sock_made(long fd, const char *what)
{
	ok(fd, what);
	socks_made++;
	return (int)fd;
}

static socklen_t inet_sa(int family, const char *ip, int port,
			 struct sockaddr_storage *ss)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET6) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		if (inet_pton(AF_INET6, ip, &s6->sin6_addr) != 1)
			fail("bad IPv6 address");
		return sizeof(*s6);
	}
	s4->sin_family = AF_INET;
	s4->sin_port = htons(port);
	if (inet_pton(AF_INET, ip, &s4->sin_addr) != 1)
		fail("bad IPv4 address");
	return sizeof(*s4);
}

static int local_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	ok(getsockname(fd, (struct sockaddr *)&ss, &len), "getsockname");
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

/* A socket of @type bound to ip:port (0: any port); -errno on bind error. */
static int inet_bound(int family, int type, const char *ip, int port)
{
	struct sockaddr_storage ss;
	socklen_t len = inet_sa(family, ip, port, &ss);
	int fd = sock_made(socket(family, type, 0), "socket");
	int one = 1, err;

	ok(setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)),
	   "SO_REUSEADDR");
	if (bind(fd, (struct sockaddr *)&ss, len) == 0)
		return fd;
	err = errno;
	close_ok(fd);
	return -err;
}

static int tcp_listener(int family, const char *ip, int port)
{
	int fd = inet_bound(family, SOCK_STREAM, ip, port);

	if (fd < 0) {
		errno = -fd;
		die("bind TCP listener");
	}
	ok(listen(fd, 8), "listen");
	return fd;
}

static int tcp_connect(int family, const char *ip, int port)
{
	struct sockaddr_storage ss;
	socklen_t len = inet_sa(family, ip, port, &ss);
	int fd = sock_made(socket(family, SOCK_STREAM, 0), "socket");

	ok(connect(fd, (struct sockaddr *)&ss, len), "connect TCP");
	return fd;
}

static socklen_t unix_sa(const char *path, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path))
		fail("unix path too long");
	strcpy(sa->sun_path, path);
	return sizeof(*sa);
}

static int unix_listener(const char *path)
{
	struct sockaddr_un sa;
	socklen_t len = unix_sa(path, &sa);
	int fd = sock_made(socket(AF_UNIX, SOCK_STREAM, 0), "socket unix");

	ok(bind(fd, (struct sockaddr *)&sa, len), "bind unix");
	ok(listen(fd, 8), "listen unix");
	return fd;
}

static int unix_connect(const char *path)
{
	struct sockaddr_un sa;
	socklen_t len = unix_sa(path, &sa);
	int fd = sock_made(socket(AF_UNIX, SOCK_STREAM, 0), "socket unix");

	ok(connect(fd, (struct sockaddr *)&sa, len), "connect unix");
	return fd;
}

/* Send a few bytes from @a to @b and read them back. */
static void ping(int a, int b)
{
	char buf[8];

	write_all(a, "ping", 4);
	if (read_full(b, buf, 4) != 4 || memcmp(buf, "ping", 4))
		fail("ping lost");
}

static void close3(int a, int b, int c)
{
	close_ok(a);
	close_ok(b);
	close_ok(c);
}

static void tcp_roundtrip(int family, const char *ip)
{
	int l = tcp_listener(family, ip, 0);
	int c = tcp_connect(family, ip, local_port(l));
	int s = sock_made(accept4(l, NULL, NULL, SOCK_CLOEXEC), "accept4");

	ping(c, s);
	ping(s, c);
	close3(c, s, l);
}

/* IPv6 on ::1 if this machine has it; says so either way. */
static void tcp6_roundtrip(void)
{
	int fd = socket(AF_INET6, SOCK_STREAM, 0);

	if (fd < 0) {
		say("IPV6=0");
		return;
	}
	socks_made++;
	close_ok(fd);
	fd = inet_bound(AF_INET6, SOCK_STREAM, "::1", 0);
	if (fd < 0) {
		say("IPV6=0");
		return;
	}
	close_ok(fd);
	tcp_roundtrip(AF_INET6, "::1");
	say("IPV6=1");
}

static void udp_roundtrip(void)
{
	int r = inet_bound(AF_INET, SOCK_DGRAM, "127.0.0.1", 0);
	int s = sock_made(socket(AF_INET, SOCK_DGRAM, 0), "socket UDP");
	struct sockaddr_storage ss;
	socklen_t len;
	char buf[8];

	if (r < 0)
		fail("cannot bind UDP on 127.0.0.1");
	len = inet_sa(AF_INET, "127.0.0.1", local_port(r), &ss);
	ok(sendto(s, "ping", 4, 0, (struct sockaddr *)&ss, len), "sendto");
	if (recv(r, buf, sizeof(buf), 0) != 4)
		fail("UDP datagram lost");
	close_ok(s);
	close_ok(r);
}

static void pair_roundtrip(void)
{
	int sv[2];

	ok(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), "socketpair");
	socks_made += 2;
	ping(sv[0], sv[1]);
	close_ok(sv[0]);
	close_ok(sv[1]);
}

static void unix_roundtrip(void)
{
	char dir[PATH_MAX], path[PATH_MAX + 8];
	int l, c, s;

	lsw_path(dir, sizeof(dir), "/tmp", "sock");
	ok(mkdir(dir, 0700), "mkdir socket dir");
	snprintf(path, sizeof(path), "%s/s", dir);
	l = unix_listener(path);
	c = unix_connect(path);
	s = sock_made(accept(l, NULL, NULL), "accept unix");
	ping(c, s);
	close3(s, c, l);
	ok(unlink(path), "unlink socket");
	ok(rmdir(dir), "rmdir socket dir");
	say("UNIX_DIR=%s", dir);
}

static int run_socket_clean(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	tcp_roundtrip(AF_INET, "127.0.0.1");
	tcp6_roundtrip();
	udp_roundtrip();
	pair_roundtrip();
	unix_roundtrip();
	say("SOCKETS=%ld", socks_made);
	return 0;
}

/* A TCP listener, a client connected to it and the accepted end. */
static void tcp_trio(const char *tag, const char *ip, int port)
{
	int l, c, s;

	l = inet_bound(AF_INET, SOCK_STREAM, ip, port);
	if (l == -EADDRINUSE) {
		say("%s=0", tag);
		return;
	}
	if (l < 0) {
		errno = -l;
		die("bind TCP listener");
	}
	ok(listen(l, 8), "listen");
	c = tcp_connect(AF_INET, ip, local_port(l));
	s = ok(accept(l, NULL, NULL), "accept");
	say("%s=1", tag);
	say("%s_PORT=%d", tag, local_port(l));
	say("%s_CLIENT_PORT=%d", tag, local_port(c));
	say("%s_FD_LISTEN=%d", tag, l);
	say("%s_FD_CLIENT=%d", tag, c);
	say("%s_FD_ACCEPTED=%d", tag, s);
}

static void unix_trio(void)
{
	char dir[PATH_MAX], path[PATH_MAX + 16];
	int l, c, s;

	lsw_path(dir, sizeof(dir), "/tmp", "pg");
	ok(mkdir(dir, 0700), "mkdir socket dir");
	snprintf(path, sizeof(path), "%s/.s.PGSQL.5432", dir);
	l = unix_listener(path);
	c = unix_connect(path);
	s = ok(accept(l, NULL, NULL), "accept unix");
	say("UNIX_DIR=%s", dir);
	say("UNIX_PATH=%s", path);
	say("UNIX_FD_LISTEN=%d", l);
	say("UNIX_FD_CLIENT=%d", c);
	say("UNIX_FD_ACCEPTED=%d", s);
}

/* A client whose server end was closed: CLOSE_WAIT once EOF is read. */
static void tcp_close_wait(void)
{
	int l = tcp_listener(AF_INET, "127.0.0.1", 0);
	int c = tcp_connect(AF_INET, "127.0.0.1", local_port(l));
	int s = ok(accept(l, NULL, NULL), "accept");
	int port = local_port(l);
	char buf[4];

	close_ok(s);
	close_ok(l);
	if (read(c, buf, sizeof(buf)) != 0)
		fail("no EOF after the server closed");
	say("CW_FD=%d", c);
	say("CW_PORT=%d", local_port(c));
	say("CW_PEER_PORT=%d", port);
}

static void tcp6_listener(void)
{
	int l = inet_bound(AF_INET6, SOCK_STREAM, "::1", 0);

	if (l < 0) {
		say("IPV6=0");
		return;
	}
	ok(listen(l, 8), "listen IPv6");
	say("IPV6=1");
	say("IPV6_FD=%d", l);
	say("IPV6_PORT=%d", local_port(l));
}

/* An abstract-namespace unix datagram socket: "@lsw-<pid>-abstract". */
static void unix_abstract(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = ok(socket(AF_UNIX, SOCK_DGRAM, 0), "socket unix dgram");
	int n = snprintf(sa.sun_path + 1, sizeof(sa.sun_path) - 1,
			 "lsw-%d-abstract", (int)cmd_pid);

	ok(bind(fd, (struct sockaddr *)&sa,
		offsetof(struct sockaddr_un, sun_path) + 1 + n),
	   "bind abstract");
	say("ABSTRACT_FD=%d", fd);
	say("ABSTRACT_NAME=@%s", sa.sun_path + 1);
}

static void socket_leak_body(void)
{
	int u = inet_bound(AF_INET, SOCK_DGRAM, "127.0.0.1", 0);

	if (u < 0)
		fail("cannot bind UDP on 127.0.0.1");
	tcp_trio("TCP", "127.0.0.1", 0);
	/* Port 6379 on an unusual loopback address: a "redis" peer. */
	tcp_trio("REDIS", "127.77.0.1", 6379);
	unix_trio();
	tcp_close_wait();
	tcp6_listener();
	unix_abstract();
	say("UDP_PORT=%d", local_port(u));
	say("UDP_FD=%d", u);
	daemon_ready();
	linger();
}

static int run_socket_leak(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	spawn_daemon(socket_leak_body);
	return 0;
}

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
	siginfo_t si;
	pid_t child = fork();

	if (child < 0)
		die("fork");
	if (child == 0)
		_exit(7);
	/* Wait until it is a zombie, without reaping it. */
	memset(&si, 0, sizeof(si));
	while (waitid(P_PID, child, &si, WEXITED | WNOWAIT))
		if (errno != EINTR)
			die("waitid");
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

static void *thread_add(void *arg)
{
	return (char *)arg + 1;
}

static int run_thread_clean(int argc, char **argv)
{
	int n = count_arg(argc, argv, 2, 100);
	pthread_t t[20];

	for (int done = 0; done < n;) {
		int batch = n - done < 20 ? n - done : 20;

		for (int i = 0; i < batch; i++)
			if ((errno = pthread_create(&t[i], NULL, thread_add,
						    NULL)))
				die("pthread_create");
		for (int i = 0; i < batch; i++)
			if ((errno = pthread_join(t[i], NULL)))
				die("pthread_join");
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

static void thread_leak_body(void)
{
	pthread_t t;

	if ((errno = pthread_barrier_init(&workers_named, NULL, 3)))
		die("pthread_barrier_init");
	for (int i = 0; i < 2; i++)
		if ((errno = pthread_create(&t, NULL, idle_worker, NULL)))
			die("pthread_create");
	pthread_barrier_wait(&workers_named);
	daemon_ready();
	linger();
}

static int run_thread_leak(int argc, char **argv)
{
	(void)argc;
	(void)argv;
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

/* ---- temporary files ---- */

static long temps_made; /* temp objects this process created */

static int create_file(const char *path, const char *data)
{
	int fd = ok(open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600),
		    path);

	temps_made++;
	if (data)
		write_all(fd, data, strlen(data));
	close_ok(fd);
	return 0;
}

static void make_dir(const char *path)
{
	ok(mkdir(path, 0700), path);
	temps_made++;
}

static void temp_excl(const char *root)
{
	char path[PATH_MAX];

	lsw_path(path, sizeof(path), root, "excl");
	create_file(path, "x");
	ok(unlink(path), "unlink");
}

static void temp_mkstemp(const char *root)
{
	char path[PATH_MAX];

	lsw_path(path, sizeof(path), root, "XXXXXX");
	close_ok(ok(mkstemp(path), "mkstemp"));
	temps_made++;
	ok(unlink(path), "unlink mkstemp");
}

static void temp_mkdtemp(const char *root)
{
	char dir[PATH_MAX], path[PATH_MAX + 16];

	lsw_path(dir, sizeof(dir), root, "dXXXXXX");
	if (!mkdtemp(dir))
		die("mkdtemp");
	temps_made++;
	for (int i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/f%d", dir, i);
		create_file(path, "data");
	}
	for (int i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/f%d", dir, i);
		ok(unlink(path), "unlink in mkdtemp dir");
	}
	ok(rmdir(dir), "rmdir mkdtemp dir");
}

/* chdir into a temp dir; create and remove by relative path. */
static void temp_relative(const char *root)
{
	char dir[PATH_MAX];

	lsw_path(dir, sizeof(dir), root, "cwd");
	make_dir(dir);
	ok(chdir(dir), "chdir");
	create_file("rel-file", "r");
	make_dir("rel-dir");
	ok(rmdir("rel-dir"), "rmdir relative");
	ok(unlink("rel-file"), "unlink relative");
	ok(chdir("/"), "chdir /");
	ok(rmdir(dir), "rmdir cwd dir");
}

static void temp_dirfd(const char *root)
{
	char dir[PATH_MAX];
	int dfd, fd;

	lsw_path(dir, sizeof(dir), root, "at");
	make_dir(dir);
	dfd = ok(open(dir, O_RDONLY | O_DIRECTORY), "open dir");
	fd = ok(openat(dfd, "f", O_CREAT | O_EXCL | O_WRONLY, 0600), "openat");
	temps_made++;
	close_ok(fd);
	ok(mkdirat(dfd, "sub", 0700), "mkdirat");
	temps_made++;
	ok(unlinkat(dfd, "sub", AT_REMOVEDIR), "unlinkat dir");
	ok(unlinkat(dfd, "f", 0), "unlinkat file");
	close_ok(dfd);
	ok(rmdir(dir), "rmdir at dir");
}

static void temp_renames(const char *root)
{
	char a[PATH_MAX], b[PATH_MAX], d1[PATH_MAX], d2[PATH_MAX],
		in[PATH_MAX + 8];

	lsw_path(a, sizeof(a), root, "ren-a");
	lsw_path(b, sizeof(b), root, "ren-b");
	create_file(a, "a");
	ok(rename(a, b), "rename file");
	ok(unlink(b), "unlink renamed");
	lsw_path(d1, sizeof(d1), root, "ren-d1");
	lsw_path(d2, sizeof(d2), root, "ren-d2");
	make_dir(d1);
	snprintf(in, sizeof(in), "%s/x", d1);
	create_file(in, "x");
	ok(rename(d1, d2), "rename dir");
	snprintf(in, sizeof(in), "%s/x", d2);
	ok(unlink(in), "unlink in renamed dir");
	ok(rmdir(d2), "rmdir renamed dir");
}

/* Creation, rename and removal through the raw syscalls, old and new. */
static void temp_syscalls(const char *root)
{
	struct open_how how = { .flags = O_CREAT | O_EXCL | O_WRONLY,
				.mode = 0600 };
	char a[PATH_MAX], b[PATH_MAX], c[PATH_MAX];

	lsw_path(a, sizeof(a), root, "sys-a");
	lsw_path(b, sizeof(b), root, "sys-b");
	lsw_path(c, sizeof(c), root, "sys-c");
	close_ok(ok(syscall(SYS_openat2, AT_FDCWD, a, &how, sizeof(how)),
		    "openat2 O_CREAT"));
	temps_made++;
	ok(syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b, RENAME_NOREPLACE),
	   "renameat2");
	ok(syscall(SYS_renameat, AT_FDCWD, b, AT_FDCWD, c), "renameat");
	ok(syscall(SYS_unlinkat, AT_FDCWD, c, 0), "unlinkat");
#ifdef SYS_creat
	close_ok(ok(syscall(SYS_creat, a, 0600), "creat"));
	temps_made++;
	ok(syscall(SYS_rename, a, b), "rename(2)");
	ok(syscall(SYS_unlink, b), "unlink(2)");
#endif
#ifdef SYS_open
	close_ok(ok(syscall(SYS_open, a, O_CREAT | O_EXCL | O_WRONLY, 0600),
		    "open(2) O_CREAT"));
	temps_made++;
	ok(syscall(SYS_unlink, a), "unlink(2)");
#endif
#ifdef SYS_mkdir
	ok(syscall(SYS_mkdir, a, 0700), "mkdir(2)");
	temps_made++;
	ok(syscall(SYS_rmdir, a), "rmdir(2)");
#endif
	ok(syscall(SYS_mkdirat, AT_FDCWD, a, 0700), "mkdirat(2)");
	temps_made++;
	ok(syscall(SYS_unlinkat, AT_FDCWD, a, AT_REMOVEDIR), "unlinkat dir");
}

static int run_temp_clean(int argc, char **argv)
{
	const char *roots[] = { "/tmp", "/dev/shm" };

	(void)argc;
	(void)argv;
	for (size_t i = 0; i < sizeof(roots) / sizeof(roots[0]); i++) {
		temp_excl(roots[i]);
		temp_mkstemp(roots[i]);
		temp_mkdtemp(roots[i]);
		temp_relative(roots[i]);
		temp_dirfd(roots[i]);
		temp_renames(roots[i]);
		temp_syscalls(roots[i]);
	}
	say("TEMP_CREATED=%ld", temps_made);
	return 0;
}

/* Left through openat2, renameat2, and a directory moved with its file. */
static void temp_leak_more(void)
{
	struct open_how how = { .flags = O_CREAT | O_EXCL | O_WRONLY,
				.mode = 0600 };
	char a[PATH_MAX], b[PATH_MAX], in[PATH_MAX + 8];

	lsw_path(a, sizeof(a), "/tmp", "openat2");
	close_ok(ok(syscall(SYS_openat2, AT_FDCWD, a, &how, sizeof(how)),
		    "openat2 O_CREAT"));
	temps_made++;
	say("LEFT_OPENAT2=%s", a);
	lsw_path(a, sizeof(a), "/tmp", "r2-from");
	lsw_path(b, sizeof(b), "/tmp", "r2-to");
	create_file(a, "r2");
	ok(syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b, RENAME_NOREPLACE),
	   "renameat2");
	say("LEFT_RENAMEAT2=%s", b);
	lsw_path(a, sizeof(a), "/tmp", "dmove");
	lsw_path(b, sizeof(b), "/tmp", "dmoved");
	make_dir(a);
	snprintf(in, sizeof(in), "%s/f", a);
	create_file(in, "moved");
	ok(rename(a, b), "rename dir");
	say("LEFT_MOVED_DIR=%s", b);
	snprintf(in, sizeof(in), "%s/f", b);
	say("LEFT_MOVED_FILE=%s", in);
}

/* Two files swapped by renameat2(RENAME_EXCHANGE): both still exist. */
static int run_temp_exchange(int argc, char **argv)
{
	char a[PATH_MAX], b[PATH_MAX];

	(void)argc;
	(void)argv;
	lsw_path(a, sizeof(a), "/tmp", "x1");
	lsw_path(b, sizeof(b), "/tmp", "x2");
	create_file(a, "one");
	create_file(b, "two!");
	ok(syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE),
	   "renameat2 RENAME_EXCHANGE");
	say("LEFT_X1=%s", a); /* now holds "two!" */
	say("LEFT_X2=%s", b); /* now holds "one" */
	return 0;
}

/* mkdir d, rename d to d.old, mkdir d again: two directories left. */
static int run_temp_dir_swap(int argc, char **argv)
{
	char d[PATH_MAX], old[PATH_MAX];

	(void)argc;
	(void)argv;
	lsw_path(d, sizeof(d), "/tmp", "swap");
	lsw_path(old, sizeof(old), "/tmp", "swap.old");
	make_dir(d);
	ok(rename(d, old), "rename dir");
	make_dir(d);
	say("LEFT_DIR=%s", d);
	say("LEFT_OLD=%s", old);
	return 0;
}

/* From cwd "/", relative paths into /tmp: "tmp/lsw-<pid>-...". */
static int run_temp_from_root(int argc, char **argv)
{
	char path[PATH_MAX];

	(void)argc;
	(void)argv;
	ok(chdir("/"), "chdir /");
	lsw_path(path, sizeof(path), "tmp", "fromroot-dir");
	make_dir(path);
	say("LEFT_DIR=/%s", path);
	lsw_path(path, sizeof(path), "tmp", "fromroot-file");
	create_file(path, "abc");
	say("LEFT_FILE=/%s", path);
	return 0;
}

/* A file and a directory in DIR (a temp root or not, as the test says). */
static int run_temp_in(int argc, char **argv)
{
	char path[PATH_MAX];

	if (argc < 3)
		fail("usage: temp-in DIR");
	lsw_path(path, sizeof(path), argv[2], "file");
	create_file(path, "data");
	say("LEFT_FILE=%s", path);
	lsw_path(path, sizeof(path), argv[2], "dir");
	make_dir(path);
	say("LEFT_DIR=%s", path);
	return 0;
}

/* Not temp objects: an unnamed O_TMPFILE, and O_CREAT of an existing file. */
static void temp_not_created(const char *existing)
{
	int fd = open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);

	if (fd >= 0) {
		write_all(fd, "tmpfile", 7);
		close_ok(fd);
		say("TMPFILE=1");
	} else if (errno == EOPNOTSUPP || errno == EISDIR) {
		say("TMPFILE=0");
	} else {
		die("open O_TMPFILE");
	}
	if (!existing)
		return;
	fd = ok(open(existing, O_CREAT | O_WRONLY | O_APPEND | O_CLOEXEC, 0600),
		"open existing with O_CREAT");
	write_all(fd, "more", 4);
	close_ok(fd);
}

static int run_temp_leak(int argc, char **argv)
{
	char path[PATH_MAX], in[PATH_MAX + 8], b[PATH_MAX];

	lsw_path(path, sizeof(path), "/tmp", "file");
	create_file(path, "hello world\n"); /* 12 bytes */
	say("LEFT_FILE=%s", path);
	lsw_path(path, sizeof(path), "/tmp", "dir");
	make_dir(path);
	snprintf(in, sizeof(in), "%s/inner", path);
	create_file(in, "12345");
	say("LEFT_DIR=%s", path);
	say("LEFT_INNER=%s", in);
	lsw_path(path, sizeof(path), "/tmp", "a");
	lsw_path(b, sizeof(b), "/tmp", "b");
	create_file(path, NULL);
	ok(rename(path, b), "rename");
	say("RENAMED_FROM=%s", path);
	say("LEFT_RENAMED=%s", b);
	ok(chdir("/tmp"), "chdir /tmp");
	lsw_path(path, sizeof(path), ".", "rel");
	make_dir(path + 2);
	ok(chdir("/"), "chdir /");
	say("LEFT_REL=/tmp/%s", path + 2);
	lsw_path(path, sizeof(path), "/dev/shm", "shm");
	create_file(path, "shm");
	say("LEFT_SHM=%s", path);
	lsw_path(path, sizeof(path), "/tmp", "gone");
	create_file(path, "gone");
	ok(unlink(path), "unlink");
	say("GONE=%s", path);
	temp_leak_more();
	temp_not_created(argc > 2 ? argv[2] : NULL);
	say("TEMP_CREATED=%ld", temps_made);
	return 0;
}

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
	char path[PATH_MAX], procs[PATH_MAX + 16];
	int fd;

	make_child_cgroup(path, sizeof(path));
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", path);
	fd = ok(open(procs, O_WRONLY | O_CLOEXEC), "open cgroup.procs");
	write_all(fd, "0", 1);
	close_ok(fd);
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
	{ "thread-leak", run_thread_leak, "" },
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
