// SPDX-License-Identifier: GPL-2.0
/* wl.c - see wl.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "wl.h"

const char *wl_prog;
const char *wl_scenario = "";

static void say_error(const char *what, int err)
{
	dprintf(STDERR_FILENO, "%s%s%s: %s%s%s\n", wl_prog ? wl_prog : "",
		wl_prog ? " " : "", wl_scenario, what, err ? ": " : "",
		err ? strerror(err) : "");
}

void die(const char *what)
{
	say_error(what, errno);
	_exit(1);
}

void fail(const char *what)
{
	say_error(what, 0);
	_exit(1);
}

long ok(long ret, const char *what)
{
	if (ret < 0)
		die(what);
	return ret;
}

void ok_pt(int err, const char *what)
{
	if (err) {
		errno = err;
		die(what);
	}
}

/* One line on stdout with one write(2); no malloc, any length. */
void say(const char *fmt, ...)
{
	char small[PATH_MAX + 256], *line = small;
	size_t map_len = 0;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		fail("vsnprintf");
	if (n >= (int)sizeof(small) - 1) {
		/* A long line (a verdict): its own buffer, off the stack. */
		map_len = n + 2;
		line = mmap(NULL, map_len, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (line == MAP_FAILED)
			die("mmap line");
		va_start(ap, fmt);
		vsnprintf(line, n + 1, fmt, ap);
		va_end(ap);
	}
	line[n++] = '\n';
	if (write(STDOUT_FILENO, line, n) != n)
		die("write stdout");
	if (map_len)
		munmap(line, map_len);
}

void close_ok(int fd)
{
	if (close(fd))
		die("close");
}

void write_all(int fd, const void *buf, size_t len)
{
	if (write(fd, buf, len) != (ssize_t)len)
		die("write");
}

void wl_move_to_cgroup(const char *dir)
{
	char path[PATH_MAX + 16];
	int fd;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	fd = ok(open(path, O_WRONLY | O_CLOEXEC), "open cgroup.procs");
	write_all(fd, "0", 1); /* "0": the writer's own process */
	close_ok(fd);
}

ssize_t read_full(int fd, void *buf, size_t len)
{
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		n = read(fd, (char *)buf + got, len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? n : (ssize_t)got;
		got += n;
	}
	return got;
}

pid_t wl_gettid(void)
{
	return (pid_t)syscall(SYS_gettid);
}

void wl_blocker_init(struct wl_blocker *b, const char *name)
{
	b->name = name;
	b->tid = 0;
	sem_init(&b->started, 0, 0);
}

void *wl_blocked_thread(void *blocker)
{
	struct wl_blocker *b = blocker;
	sem_t never;

	pthread_setname_np(pthread_self(), b->name);
	b->tid = wl_gettid();
	sem_init(&never, 0, 0);
	sem_post(&b->started);
	for (;;)
		sem_wait(&never);
	return NULL;
}

pid_t wl_blocker_wait(struct wl_blocker *b)
{
	while (sem_wait(&b->started))
		;
	return b->tid;
}

pid_t wl_spawn_sleep(const char *seconds, int stdio)
{
	int p[2];
	pid_t pid;
	char c;

	/* The close-on-exec pipe reads EOF once the child has exec'd. */
	ok(pipe2(p, O_CLOEXEC), "pipe2");
	pid = ok(fork(), "fork");
	if (pid == 0) {
		close(p[0]);
		if (stdio >= 0 && (dup2(stdio, 0) < 0 || dup2(stdio, 1) < 0 ||
				   dup2(stdio, 2) < 0))
			_exit(126);
		execl("/bin/sleep", "sleep", seconds, (char *)NULL);
		_exit(127);
	}
	close_ok(p[1]);
	if (read_full(p[0], &c, 1) != 0)
		fail("sleep child did not exec");
	close_ok(p[0]);
	return pid;
}

int wl_listen_loopback(int fd)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ok(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), "bind");
	ok(listen(fd, 4), "listen");
	ok(getsockname(fd, (struct sockaddr *)&sa, &len), "getsockname");
	return ntohs(sa.sin_port);
}
