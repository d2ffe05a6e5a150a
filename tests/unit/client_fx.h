/* SPDX-License-Identifier: GPL-2.0 */
/*
 * client_fx.h - the fixture of the user/client.c tests (test_client_*.c):
 * a fake leakscope, a thread that listens on a Unix socket in a mkdtemp
 * directory and follows a script (expect this exact request line, send
 * these bytes, in one piece or dripped, send a signal to the client while
 * it waits, hang up), and the helpers that start it and connect to it.
 *
 * send() and recv() are wrapped (defined here, so they win over libc's) to
 * count the client's calls and, on demand, make its sends short or
 * interrupted; every other caller gets the plain system call. So each test
 * program includes this file once, first.
 *
 * Must not: leave a thread, a socket or a directory behind, or wait forever
 * (every wait of the fake server has a timeout).
 */
#ifndef LS_TESTS_CLIENT_FX_H
#define LS_TESTS_CLIENT_FX_H

#undef _FORTIFY_SOURCE /* recv() is defined here */
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <sys/time.h>
#include <unistd.h>

#include "unit.h"
#include "leakscope/client.h"

/* Steps leave .len (and HANGUP .data) out, as the Makefile allows. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#define TIMEOUT_MS 10000

/* ---- send()/recv() wrappers ----------------------------------------- */

static atomic_int wrap_fd = -1; /* the client's socket, or -1 */
static struct {
	size_t chunk;	      /* send at most this many bytes a call (0: all) */
	int eintr;	      /* fail this many sends with EINTR first */
	int sends, recvs;     /* calls on wrap_fd */
	int recv_eintr;	      /* recvs on wrap_fd that returned EINTR */
	int without_nosignal; /* sends on wrap_fd without MSG_NOSIGNAL */
} wrap;

ssize_t send(int fd, const void *buf, size_t len, int flags)
{
	if (fd == wrap_fd) {
		wrap.sends++;
		if (!(flags & MSG_NOSIGNAL))
			wrap.without_nosignal++;
		if (wrap.eintr > 0) {
			wrap.eintr--;
			errno = EINTR;
			return -1;
		}
		if (wrap.chunk && len > wrap.chunk)
			len = wrap.chunk;
	}
	return syscall(SYS_sendto, fd, buf, len, flags, NULL, 0);
}

ssize_t recv(int fd, void *buf, size_t len, int flags)
{
	ssize_t n = syscall(SYS_recvfrom, fd, buf, len, flags, NULL, NULL);

	if (fd == wrap_fd) {
		wrap.recvs++;
		if (n < 0 && errno == EINTR)
			wrap.recv_eintr++;
	}
	return n;
}

/* ---- the fake leakscope --------------------------------------------- */

enum op {
	EXPECT,	  /* read one request line; it must be exactly .data */
	SEND,	  /* send .data (.len bytes; strlen when 0) */
	SEND_ANY, /* the same, but the client may hang up meanwhile */
	DRIP,	  /* send .data 3 bytes at a time, 1 ms apart */
	PEEK,	  /* wait until a request arrives; leave it unread */
	SIGNAL,	  /* once the client thread sleeps, send it SIGUSR1 */
	HANGUP,	  /* close the connection; the script ends */
};

struct step {
	enum op op;
	const char *data;
	size_t len;
};

#define MAX_STEPS 80

struct server {
	char dir[64];
	char path[128];
	int lfd;
	atomic_int cfd;
	pthread_t thread;
	bool running;
	pthread_t client; /* the test's thread */
	pid_t client_tid;
	struct step steps[MAX_STEPS];
	size_t n;
	char rbuf[2 * LS_CLIENT_LINE_MAX];
	size_t rlen;
	char err[1024]; /* the first thing that went wrong */
};

/* What connecting says first, and what the fake leakscope answers. */
#define HELLO_REQ "HELLO libleakscope\n"
#define HELLO_OK  "OK leakscope 9.8.7 protocol 1\n"

static inline void srv_fail(struct server *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static inline void srv_fail(struct server *s, const char *fmt, ...)
{
	va_list ap;

	if (s->err[0])
		return;
	va_start(ap, fmt);
	vsnprintf(s->err, sizeof(s->err), fmt, ap);
	va_end(ap);
}

/* @p (@n bytes) with control characters escaped, in @out. */
static inline const char *escaped(const char *p, size_t n, char *out,
				  size_t size)
{
	size_t o = 0;

	for (size_t i = 0; i < n && o + 5 < size; i++) {
		unsigned char ch = p[i];

		if (ch < 0x20 || ch == 0x7f)
			o += snprintf(out + o, size - o, "\\x%02x", ch);
		else
			out[o++] = ch;
	}
	out[o] = 0;
	return out;
}

static inline int srv_accept(struct server *s)
{
	struct pollfd p = { .fd = s->lfd, .events = POLLIN };
	struct timeval tv = { .tv_sec = TIMEOUT_MS / 1000 };
	int fd;

	if (poll(&p, 1, TIMEOUT_MS) != 1) {
		srv_fail(s, "nobody connected");
		return -1;
	}
	fd = accept4(s->lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0) {
		srv_fail(s, "accept: %s", strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	s->cfd = fd;
	return fd;
}

/* Read up to and including the next '\n' into s->rbuf; its length. */
static inline size_t srv_line(struct server *s, int fd)
{
	for (;;) {
		char *nl = memchr(s->rbuf, '\n', s->rlen);
		ssize_t n;

		if (nl)
			return nl - s->rbuf + 1;
		if (s->rlen == sizeof(s->rbuf))
			return 0;
		n = recv(fd, s->rbuf + s->rlen, sizeof(s->rbuf) - s->rlen, 0);
		if (n <= 0)
			return 0;
		s->rlen += n;
	}
}

static inline void srv_expect(struct server *s, int fd, const char *want,
			      size_t i)
{
	size_t n = srv_line(s, fd);
	char a[256], b[256];

	if (!n) {
		srv_fail(s, "step %zu: no request line (want \"%s\")", i,
			 escaped(want, strlen(want), a, sizeof(a)));
		return;
	}
	if (n != strlen(want) || memcmp(s->rbuf, want, n))
		srv_fail(s, "step %zu: got \"%s\" (%zu bytes), want \"%s\"", i,
			 escaped(s->rbuf, n, a, sizeof(a)), n,
			 escaped(want, strlen(want), b, sizeof(b)));
	s->rlen -= n;
	memmove(s->rbuf, s->rbuf + n, s->rlen);
}

static inline bool srv_send(int fd, const char *p, size_t len, size_t chunk)
{
	while (len) {
		size_t k = chunk && chunk < len ? chunk : len;
		ssize_t n = send(fd, p, k, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		len -= n;
		if (chunk)
			usleep(1000);
	}
	return true;
}

/* The client thread's state letter in /proc ('S': sleeping). */
static inline char thread_state(pid_t tid)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", (int)tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return '?';
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = 0;
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : '?';
}

static inline void srv_signal(struct server *s)
{
	for (int i = 0; i < TIMEOUT_MS; i++) {
		if (thread_state(s->client_tid) == 'S') {
			usleep(10000);
			if (thread_state(s->client_tid) == 'S')
				break;
		}
		usleep(1000);
	}
	pthread_kill(s->client, SIGUSR1);
	usleep(20000); /* the client is back in recv */
}

static inline bool srv_step(struct server *s, int fd, size_t i)
{
	const struct step *st = &s->steps[i];
	size_t len = st->len ? st->len : st->data ? strlen(st->data) : 0;

	switch (st->op) {
	case EXPECT:
		srv_expect(s, fd, st->data, i);
		return !s->err[0];
	case SEND:
	case DRIP:
		if (!srv_send(fd, st->data, len, st->op == DRIP ? 3 : 0))
			srv_fail(s, "step %zu: send: %s", i, strerror(errno));
		return !s->err[0];
	case SEND_ANY:
		srv_send(fd, st->data, len, 0);
		return true;
	case PEEK: {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (poll(&p, 1, TIMEOUT_MS) != 1)
			srv_fail(s, "step %zu: no request", i);
		return !s->err[0];
	}
	case SIGNAL:
		srv_signal(s);
		return true;
	case HANGUP:
		return false;
	}
	return false;
}

/* After the script: the client must send nothing more, then hang up. */
static inline void srv_drain(struct server *s, int fd)
{
	char a[256], buf[256];
	ssize_t n;

	if (s->rlen) {
		srv_fail(s, "unexpected request bytes \"%s\"",
			 escaped(s->rbuf, s->rlen, a, sizeof(a)));
		return;
	}
	n = recv(fd, buf, sizeof(buf), 0);
	if (n > 0)
		srv_fail(s, "unexpected request bytes \"%s\"",
			 escaped(buf, n, a, sizeof(a)));
	else if (n < 0 && errno != ECONNRESET)
		srv_fail(s, "client did not hang up: %s", strerror(errno));
}

static inline void *srv_main(void *arg)
{
	struct server *s = arg;
	int fd = srv_accept(s);
	size_t i;

	if (fd < 0)
		return NULL;
	for (i = 0; i < s->n; i++)
		if (!srv_step(s, fd, i))
			break;
	if (i == s->n && !s->err[0])
		srv_drain(s, fd);
	s->cfd = -1;
	close(fd);
	return NULL;
}

static inline int setup(void **state)
{
	struct server *s = calloc(1, sizeof(*s));

	assert_non_null(s);
	strcpy(s->dir, "/tmp/ls-client-XXXXXX");
	assert_non_null(mkdtemp(s->dir));
	snprintf(s->path, sizeof(s->path), "%s/sock", s->dir);
	s->lfd = -1;
	s->cfd = -1;
	memset(&wrap, 0, sizeof(wrap));
	wrap_fd = -1;
	*state = s;
	return 0;
}

/* Wait for the script's end (@hurry: after a failure, cut it short). */
static inline void stop_server(struct server *s, bool hurry)
{
	if (s->running) {
		int fd = s->cfd;

		if (hurry && fd >= 0)
			shutdown(fd, SHUT_RDWR);
		if (hurry)
			shutdown(s->lfd, SHUT_RDWR);
		pthread_join(s->thread, NULL);
		s->running = false;
	}
	if (s->lfd >= 0)
		close(s->lfd);
	s->lfd = -1;
}

static inline int teardown(void **state)
{
	struct server *s = *state;

	stop_server(s, true);
	unlink(s->path);
	rmdir(s->dir);
	free(s);
	wrap_fd = -1;
	unsetenv(LS_CLIENT_SOCK_ENV);
	return 0;
}

static inline int listen_at(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	strcpy(sa.sun_path, path);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

/* Start serving @n steps (a copy is kept). */
static inline void serve(struct server *s, const struct step *steps, size_t n)
{
	assert_true(n <= MAX_STEPS);
	assert_false(s->running);
	memcpy(s->steps, steps, n * sizeof(*steps));
	s->n = n;
	s->rlen = 0;
	s->err[0] = 0;
	s->cfd = -1;
	unlink(s->path);
	s->lfd = listen_at(s->path);
	assert_int_equal(listen(s->lfd, 4), 0);
	s->client = pthread_self();
	s->client_tid = gettid();
	assert_int_equal(pthread_create(&s->thread, NULL, srv_main, s), 0);
	s->running = true;
}

#define SERVE(s, ...)                                         \
	do {                                                  \
		const struct step steps_[] = { __VA_ARGS__ }; \
		serve((s), steps_, ARRAY_SIZE(steps_));       \
	} while (0)

/* One exchange: the request the client must send, the reply it gets. */
// clang-format off
#define ASK(req, reply) { EXPECT, (req) }, { SEND, (reply) }
// clang-format on
#define HELLO_STEPS ASK(HELLO_REQ, HELLO_OK)

/* The script ran to its end, without a mismatch. */
static inline void finish(struct server *s)
{
	stop_server(s, false);
	if (s->err[0]) {
		print_error("fake leakscope: %s\n", s->err);
		fail();
	}
}

static inline struct ls_client *connect_to(struct server *s)
{
	struct ls_client *c = NULL;
	int rc = ls_client_connect(s->path, &c);

	if (rc) {
		print_error("connect: %d (%s); server: %s\n", rc, strerror(-rc),
			    s->err);
		fail();
	}
	assert_non_null(c);
	return c;
}

/* The client's fd: the socket whose peer is the fake server. */
static inline int client_fd(const struct server *s)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int found = -1;

	assert_non_null(d);
	while ((e = readdir(d))) {
		struct sockaddr_un sa;
		socklen_t len = sizeof(sa);
		int fd = atoi(e->d_name);

		memset(&sa, 0, sizeof(sa));
		if (e->d_name[0] == '.' || fd == dirfd(d))
			continue;
		if (getpeername(fd, (struct sockaddr *)&sa, &len) == 0 &&
		    sa.sun_family == AF_UNIX && !strcmp(sa.sun_path, s->path))
			found = fd;
	}
	closedir(d);
	assert_true(found >= 0);
	return found;
}

#define T(t) cmocka_unit_test_setup_teardown(t, setup, teardown)

#endif
