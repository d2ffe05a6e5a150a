// SPDX-License-Identifier: GPL-2.0
/*
 * test_client.c - unit tests for user/client.c against a fake leakscope: a
 * thread that listens on a Unix socket in a mkdtemp directory and follows a
 * script (expect this exact request line, send these bytes, in one piece
 * or dripped, send a signal to the client while it waits, hang up). It
 * checks the bytes of every request (names with spaces and UTF-8), reply
 * parsing (OK/ERR, replies of 200 KiB and of exactly 16 MiB, replies split
 * over many reads, one over the cap, EOF with or without part of a line),
 * every ERR reason's errno, the client-side checks (nothing is sent for a
 * bad name, outcome, rule or pid), LEAKSCOPE_SOCK, connect failures, HELLO
 * and its protocol check, EINTR in recv (a real signal, SA_RESTART off) and
 * in send, partial writes, SIGPIPE, close-on-exec and use after fork.
 *
 * send() and recv() are wrapped (defined here, so they win over libc's) to
 * count the client's calls and, on demand, make its sends short or
 * interrupted; every other caller gets the plain system call.
 *
 * Must not: leave a thread, a socket or a directory behind, or wait forever
 * (every wait of the fake server has a timeout).
 */
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

static void srv_fail(struct server *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void srv_fail(struct server *s, const char *fmt, ...)
{
	va_list ap;

	if (s->err[0])
		return;
	va_start(ap, fmt);
	vsnprintf(s->err, sizeof(s->err), fmt, ap);
	va_end(ap);
}

/* @p (@n bytes) with control characters escaped, in @out. */
static const char *escaped(const char *p, size_t n, char *out, size_t size)
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

static int srv_accept(struct server *s)
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
static size_t srv_line(struct server *s, int fd)
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

static void srv_expect(struct server *s, int fd, const char *want, size_t i)
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

static bool srv_send(int fd, const char *p, size_t len, size_t chunk)
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
static char thread_state(pid_t tid)
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

static void srv_signal(struct server *s)
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

static bool srv_step(struct server *s, int fd, size_t i)
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
static void srv_drain(struct server *s, int fd)
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

static void *srv_main(void *arg)
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

static int setup(void **state)
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
static void stop_server(struct server *s, bool hurry)
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

static int teardown(void **state)
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

static int listen_at(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	strcpy(sa.sun_path, path);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

/* Start serving @n steps (a copy is kept). */
static void serve(struct server *s, const struct step *steps, size_t n)
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
static void finish(struct server *s)
{
	stop_server(s, false);
	if (s->err[0]) {
		print_error("fake leakscope: %s\n", s->err);
		fail();
	}
}

static struct ls_client *connect_to(struct server *s)
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
static int client_fd(const struct server *s)
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

/* ---- connecting ----------------------------------------------------- */

static void test_connect_env_unset(void **state)
{
	struct ls_client *c = (struct ls_client *)1;

	(void)state;
	unsetenv(LS_CLIENT_SOCK_ENV);
	assert_int_equal(ls_client_connect(NULL, &c), -ENOENT);
	assert_null(c);
	setenv(LS_CLIENT_SOCK_ENV, "", 1);
	c = (struct ls_client *)1;
	assert_int_equal(ls_client_connect(NULL, &c), -ENOENT);
	assert_null(c);
}

static void test_connect_env(void **state)
{
	struct server *s = *state;
	struct ls_client *c = NULL;

	SERVE(s, HELLO_STEPS);
	setenv(LS_CLIENT_SOCK_ENV, s->path, 1);
	assert_int_equal(ls_client_connect(NULL, &c), 0);
	assert_non_null(c);
	assert_string_equal(ls_client_last_reply(c),
			    "leakscope 9.8.7 protocol 1");
	ls_client_close(c);
	finish(s);
}

static void test_connect_bad_args(void **state)
{
	struct ls_client *c = (struct ls_client *)1;
	char longpath[200];

	(void)state;
	assert_int_equal(ls_client_connect("/tmp/x", NULL), -EINVAL);
	assert_int_equal(ls_client_connect("", &c), -EINVAL);
	assert_null(c);
	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = 0;
	assert_int_equal(ls_client_connect(longpath, &c), -ENAMETOOLONG);
}

static void test_connect_missing(void **state)
{
	struct server *s = *state;
	struct ls_client *c = (struct ls_client *)1;
	char path[200];

	assert_int_equal(ls_client_connect(s->path, &c), -ENOENT);
	assert_null(c);
	snprintf(path, sizeof(path), "%s/no/such/dir", s->dir);
	assert_int_equal(ls_client_connect(path, &c), -ENOENT);
	setenv(LS_CLIENT_SOCK_ENV, s->path, 1);
	assert_int_equal(ls_client_connect(NULL, &c), -ENOENT);
}

static void test_connect_refused(void **state)
{
	struct server *s = *state;
	struct ls_client *c = (struct ls_client *)1;
	int fd;

	/* Bound, not listening. */
	s->lfd = listen_at(s->path);
	assert_int_equal(ls_client_connect(s->path, &c), -ECONNREFUSED);
	assert_null(c);
	/* A stale socket file: the agent is gone. */
	close(s->lfd);
	s->lfd = -1;
	assert_int_equal(ls_client_connect(s->path, &c), -ECONNREFUSED);
	/* Not a socket at all. */
	unlink(s->path);
	fd = open(s->path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(ls_client_connect(s->path, &c), -ECONNREFUSED);
}

static void test_connect_forbidden(void **state)
{
	struct server *s = *state;
	struct ls_client *c = (struct ls_client *)1;

	/* leakscope says why and hangs up before it reads anything. */
	SERVE(s,
	      { SEND, "ERR forbidden: pid 42 is not in the watched cgroup\n" },
	      { HANGUP });
	assert_int_equal(ls_client_connect(s->path, &c), -EPERM);
	assert_null(c);
	finish(s);

	/* The same after HELLO arrived, unread (the peer sees a reset). */
	SERVE(s, { PEEK }, { SEND, "ERR forbidden: not in the cgroup\n" },
	      { HANGUP });
	assert_int_equal(ls_client_connect(s->path, &c), -EPERM);
	assert_null(c);
	finish(s);
}

static void test_connect_protocol(void **state)
{
	struct server *s = *state;
	struct ls_client *c = (struct ls_client *)1;

	SERVE(s, { EXPECT, HELLO_REQ },
	      { SEND, "OK leakscope 3.0 protocol 2\n" });
	assert_int_equal(ls_client_connect(s->path, &c), -EPROTONOSUPPORT);
	assert_null(c);
	finish(s);

	SERVE(s, { EXPECT, HELLO_REQ }, { SEND, "OK leakscope 3.0\n" });
	assert_int_equal(ls_client_connect(s->path, &c), -EBADMSG);
	assert_null(c);
	finish(s);

	SERVE(s, { EXPECT, HELLO_REQ }, { SEND, "ERR unknown request\n" });
	assert_int_equal(ls_client_connect(s->path, &c), -EOPNOTSUPP);
	finish(s);
}

static void test_cloexec(void **state)
{
	struct server *s = *state;
	struct ls_client *c;
	int fd;

	SERVE(s, HELLO_STEPS);
	c = connect_to(s);
	fd = client_fd(s);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	ls_client_close(c);
	/* Closed, not leaked. */
	assert_int_equal(fcntl(fd, F_GETFD), -1);
	finish(s);
}

/* ---- requests ------------------------------------------------------- */

static void test_request_bytes(void **state)
{
	struct server *s = *state;
	const char *pytest = "tests/test_db.py::test_query[a b-c d]";
	const char *utf8 = "t\xc3\xabst \xe2\x9c\x93 \xe5\x90\x8d "
			   "\xf0\x9f\x99\x82";
	struct ls_client *c;
	int leaks = -1;

	SERVE(s, HELLO_STEPS,
	      ASK("BEGIN tests/test_db.py::test_query[a b-c d]\n",
		  "OK test=7\n"),
	      ASK("END tests/test_db.py::test_query[a b-c d] passed\n",
		  "OK {\"test\":\"x\",\"leaks\":0}\n"),
	      ASK("BEGIN t\xc3\xabst \xe2\x9c\x93 \xe5\x90\x8d "
		  "\xf0\x9f\x99\x82\n",
		  "OK test=8\n"),
	      ASK("END t\xc3\xabst \xe2\x9c\x93 \xe5\x90\x8d "
		  "\xf0\x9f\x99\x82\n",
		  "OK {\"leaks\":2}\n"),
	      ASK("END a failed failed\n", "OK {\"leaks\":0}\n"),
	      ASK("END test_passed\n", "OK {\"leaks\":0}\n"),
	      ASK("END passed error\n", "OK {\"leaks\":0}\n"),
	      ASK("END  lead  skipped\n", "OK {\"leaks\":0}\n"),
	      ASK("END trailing \n", "OK {\"leaks\":0}\n"),
	      ASK("FOR 4242\n", "OK\n"), ASK("FOR 0\n", "OK\n"),
	      ASK("ALLOW socket addr=127.0.0.1:* comm=\"my server\"\n", "OK\n"),
	      ASK("PING\n", "OK pong\n"),
	      ASK("STATUS\n", "OK {\"tests_running\": 0, \"tests_done\": 3, "
			      "\"protocol\": 1}\n"),
	      ASK("HELLO my-harness 2.1\n", HELLO_OK));
	c = connect_to(s);

	assert_int_equal(ls_client_begin(c, pytest), 0);
	assert_string_equal(ls_client_last_reply(c), "test=7");
	assert_int_equal(ls_client_end(c, pytest, "passed", &leaks), 0);
	assert_int_equal(leaks, 0);
	assert_string_equal(ls_client_last_reply(c),
			    "{\"test\":\"x\",\"leaks\":0}");
	assert_int_equal(ls_client_begin(c, utf8), 0);
	assert_int_equal(ls_client_end(c, utf8, NULL, &leaks), 0);
	assert_int_equal(leaks, 2);
	assert_int_equal(ls_client_end(c, "a failed", "failed", NULL), 0);
	assert_int_equal(ls_client_end(c, "test_passed", NULL, NULL), 0);
	assert_int_equal(ls_client_end(c, "passed", "error", NULL), 0);
	/* Spaces are the name's own, kept as they are. */
	assert_int_equal(ls_client_end(c, " lead ", "skipped", NULL), 0);
	assert_int_equal(ls_client_end(c, "trailing ", NULL, NULL), 0);
	assert_int_equal(ls_client_act_for(c, 4242), 0);
	assert_string_equal(ls_client_last_reply(c), "");
	assert_int_equal(ls_client_act_for(c, 0), 0);
	assert_int_equal(
		ls_client_allow(c,
				"socket addr=127.0.0.1:* comm=\"my server\""),
		0);
	assert_int_equal(ls_client_ping(c), 0);
	assert_string_equal(ls_client_last_reply(c), "pong");
	assert_int_equal(ls_client_status(c), 0);
	assert_contains(ls_client_last_reply(c), "\"tests_done\": 3");
	assert_int_equal(ls_client_request(c, "HELLO my-harness 2.1"), 0);
	ls_client_close(c);
	finish(s);
}

/* The longest name, rule and raw request that fit are sent whole. */
static void test_request_limits(void **state)
{
	struct server *s = *state;
	char name[LS_CLIENT_NAME_MAX + 1], req_name[LS_CLIENT_NAME_MAX + 8];
	char rule[LS_CLIENT_LINE_MAX], req_rule[LS_CLIENT_LINE_MAX + 8];
	char raw[LS_CLIENT_LINE_MAX], req_raw[LS_CLIENT_LINE_MAX + 8];
	struct ls_client *c;

	memset(name, 'n', LS_CLIENT_NAME_MAX);
	name[LS_CLIENT_NAME_MAX] = 0;
	snprintf(req_name, sizeof(req_name), "BEGIN %s\n", name);
	/* "ALLOW " + rule + "\n" is exactly LS_CLIENT_LINE_MAX bytes. */
	memset(rule, 'r', LS_CLIENT_LINE_MAX - 7);
	memcpy(rule, "fd path=", 8);
	rule[LS_CLIENT_LINE_MAX - 7] = 0;
	snprintf(req_rule, sizeof(req_rule), "ALLOW %s\n", rule);
	memset(raw, 'q', LS_CLIENT_LINE_MAX - 1);
	memcpy(raw, "PING ", 5);
	raw[LS_CLIENT_LINE_MAX - 1] = 0;
	snprintf(req_raw, sizeof(req_raw), "%s\n", raw);
	assert_int_equal(strlen(req_rule), LS_CLIENT_LINE_MAX);
	assert_int_equal(strlen(req_raw), LS_CLIENT_LINE_MAX);

	SERVE(s, HELLO_STEPS, ASK(req_name, "OK test=1\n"),
	      ASK(req_rule, "OK\n"), ASK(req_raw, "OK pong\n"));
	c = connect_to(s);
	assert_int_equal(ls_client_begin(c, name), 0);
	assert_int_equal(ls_client_allow(c, rule), 0);
	assert_int_equal(ls_client_request(c, raw), 0);
	ls_client_close(c);
	finish(s);
}

/* Nothing reaches leakscope for what it would reject anyway. */
static void test_client_side_checks(void **state)
{
	static const char *const bad_names[] = {
		"",
		"a\tb",
		"a\nb",
		"a\rb",
		"tail\x7f",
		"\x1b[0m",
		"\x80",
		"\xc0\x80",
		"\xc1\xbf",
		"\xe0\x80\x80",
		"\xed\xa0\x80",
		"\xf0\x80\x80\x80",
		"\xf4\x90\x80\x80",
		"\xf5\x80\x80\x80",
		"\xe2\x82",
		"x\xe2\x82",
		"\xff",
		"\xfe",
	};
	struct server *s = *state;
	char big[LS_CLIENT_LINE_MAX + 2];
	struct ls_client *c;
	int leaks = -7;

	SERVE(s, HELLO_STEPS, ASK("PING\n", "OK pong\n"));
	c = connect_to(s);
	for (size_t i = 0; i < ARRAY_SIZE(bad_names); i++) {
		assert_int_equal(ls_client_check_name(bad_names[i]), -EINVAL);
		assert_int_equal(ls_client_begin(c, bad_names[i]), -EINVAL);
		assert_int_equal(ls_client_end(c, bad_names[i], "passed", NULL),
				 -EINVAL);
	}
	assert_string_equal(ls_client_last_reply(c), "bad name: invalid UTF-8");
	assert_int_equal(ls_client_begin(c, "a\tb"), -EINVAL);
	assert_string_equal(ls_client_last_reply(c),
			    "bad name: control character");
	assert_int_equal(ls_client_check_name(NULL), -EINVAL);
	assert_int_equal(ls_client_begin(c, NULL), -EINVAL);
	assert_int_equal(ls_client_end(c, NULL, NULL, NULL), -EINVAL);

	memset(big, 'a', LS_CLIENT_NAME_MAX + 1);
	big[LS_CLIENT_NAME_MAX + 1] = 0;
	assert_int_equal(ls_client_check_name(big), -EINVAL);
	assert_int_equal(ls_client_begin(c, big), -EINVAL);
	assert_string_equal(ls_client_last_reply(c),
			    "bad name: over 1024 bytes");
	big[LS_CLIENT_NAME_MAX] = 0;
	assert_int_equal(ls_client_check_name(big), 0);

	/* END without an outcome, when the name's last word looks like one. */
	assert_int_equal(ls_client_end(c, "passed", NULL, NULL), -EINVAL);
	assert_int_equal(ls_client_end(c, "x failed", NULL, NULL), -EINVAL);
	assert_int_equal(ls_client_end(c, "x skipped", NULL, NULL), -EINVAL);
	assert_int_equal(ls_client_end(c, "a b error", NULL, NULL), -EINVAL);
	/* Bad outcomes. */
	assert_int_equal(ls_client_end(c, "x", "ok", &leaks), -EINVAL);
	assert_string_equal(ls_client_last_reply(c), "bad outcome: ok");
	assert_int_equal(ls_client_end(c, "x", "PASSED", &leaks), -EINVAL);
	assert_int_equal(ls_client_end(c, "x", "", &leaks), -EINVAL);
	assert_int_equal(ls_client_end(c, "x", "passed ", &leaks), -EINVAL);
	assert_int_equal(leaks, -7);

	/* Rules, raw requests, pids. */
	assert_int_equal(ls_client_allow(c, NULL), -EINVAL);
	assert_int_equal(ls_client_allow(c, ""), -EINVAL);
	assert_int_equal(ls_client_allow(c, "fd path=a\nPING"), -EINVAL);
	assert_int_equal(ls_client_allow(c, "fd path=\xff"), -EINVAL);
	memset(big, 'r', LS_CLIENT_LINE_MAX - 6);
	big[LS_CLIENT_LINE_MAX - 6] = 0;
	assert_int_equal(ls_client_allow(c, big), -E2BIG);
	assert_string_equal(ls_client_last_reply(c), "line too long");
	assert_int_equal(ls_client_request(c, NULL), -EINVAL);
	assert_int_equal(ls_client_request(c, ""), -EINVAL);
	assert_int_equal(ls_client_request(c, "PING\n"), -EINVAL);
	memset(big, 'q', LS_CLIENT_LINE_MAX);
	big[LS_CLIENT_LINE_MAX] = 0;
	assert_int_equal(ls_client_request(c, big), -E2BIG);
	assert_int_equal(ls_client_act_for(c, -1), -EINVAL);
	assert_string_equal(ls_client_last_reply(c), "bad pid: -1");

	/* Still in step: the first thing sent is this. */
	assert_int_equal(ls_client_ping(c), 0);
	ls_client_close(c);
	finish(s);
}

static void test_null_client(void **state)
{
	(void)state;
	assert_int_equal(ls_client_act_for(NULL, 0), -EINVAL);
	assert_int_equal(ls_client_begin(NULL, "x"), -EINVAL);
	assert_int_equal(ls_client_end(NULL, "x", NULL, NULL), -EINVAL);
	assert_int_equal(ls_client_allow(NULL, "fd path=*"), -EINVAL);
	assert_int_equal(ls_client_ping(NULL), -EINVAL);
	assert_int_equal(ls_client_status(NULL), -EINVAL);
	assert_int_equal(ls_client_request(NULL, "PING"), -EINVAL);
	assert_string_equal(ls_client_last_reply(NULL), "");
	ls_client_close(NULL);
}

/* ---- replies -------------------------------------------------------- */

static const struct {
	const char *reply;
	int err;
	const char *last;
} err_cases[] = {
	{ "ERR line too long\n", -E2BIG, "line too long" },
	{ "ERR empty request\n", -EINVAL, "empty request" },
	{ "ERR unknown request: FROB\n", -EOPNOTSUPP, "unknown request: FROB" },
	{ "ERR bad name: control character\n", -EINVAL,
	  "bad name: control character" },
	{ "ERR bad outcome: maybe\n", -EINVAL, "bad outcome: maybe" },
	{ "ERR nested: test 3 (outer) is running\n", -EBUSY,
	  "nested: test 3 (outer) is running" },
	{ "ERR not running: inner\n", -ENOENT, "not running: inner" },
	{ "ERR no test\n", -ENOENT, "no test" },
	{ "ERR bad pid: 77\n", -ESRCH, "bad pid: 77" },
	{ "ERR forbidden: 77 is not an ancestor\n", -EPERM,
	  "forbidden: 77 is not an ancestor" },
	{ "ERR bad kind: sock\n", -EINVAL, "bad kind: sock" },
	{ "ERR bad glob: [a\n", -EINVAL, "bad glob: [a" },
	{ "ERR bad rule: unknown field 'pth'\n", -EINVAL,
	  "bad rule: unknown field 'pth'" },
	{ "ERR nested\n", -EBUSY, "nested" },
	{ "ERR something new\n", -EPROTO, "something new" },
	{ "ERR nestedness\n", -EPROTO, "nestedness" },
	{ "ERR bad names\n", -EPROTO, "bad names" },
	{ "ERR Nested\n", -EPROTO, "Nested" },
	{ "ERR\n", -EPROTO, "" },
	{ "ERR \n", -EPROTO, "" },
};

static void test_err_mapping(void **state)
{
	struct server *s = *state;
	struct step steps[MAX_STEPS] = { HELLO_STEPS };
	size_t n = 2;
	struct ls_client *c;

	for (size_t i = 0; i < ARRAY_SIZE(err_cases); i++) {
		steps[n++] = (struct step){ EXPECT, "PING\n" };
		steps[n++] = (struct step){ SEND, err_cases[i].reply };
	}
	steps[n++] = (struct step){ EXPECT, "PING\n" };
	steps[n++] = (struct step){ SEND, "OK pong\n" };
	serve(s, steps, n);
	c = connect_to(s);
	for (size_t i = 0; i < ARRAY_SIZE(err_cases); i++) {
		int rc = ls_client_ping(c);

		if (rc != err_cases[i].err) {
			print_error("reply \"%s\": %d, want %d\n",
				    err_cases[i].last, rc, err_cases[i].err);
			fail();
		}
		assert_string_equal(ls_client_last_reply(c), err_cases[i].last);
	}
	/* Every ERR left the connection usable. */
	assert_int_equal(ls_client_ping(c), 0);
	ls_client_close(c);
	finish(s);
}

/* The same replies through the calls that get them in real life. */
static void test_err_in_context(void **state)
{
	struct server *s = *state;
	struct ls_client *c;
	int leaks = -7;

	SERVE(s, HELLO_STEPS, ASK("BEGIN outer\n", "OK test=1\n"),
	      ASK("BEGIN inner\n", "ERR nested: outer is running\n"),
	      ASK("END inner failed\n", "ERR not running: inner\n"),
	      ASK("FOR 1\n",
		  "ERR forbidden: 1 is outside the watched cgroup\n"),
	      ASK("ALLOW sock path=*\n", "ERR bad kind: sock\n"));
	c = connect_to(s);
	assert_int_equal(ls_client_begin(c, "outer"), 0);
	assert_int_equal(ls_client_begin(c, "inner"), -EBUSY);
	assert_string_equal(ls_client_last_reply(c),
			    "nested: outer is running");
	assert_int_equal(ls_client_end(c, "inner", "failed", &leaks), -ENOENT);
	assert_int_equal(leaks, -7);
	assert_int_equal(ls_client_act_for(c, 1), -EPERM);
	assert_int_equal(ls_client_allow(c, "sock path=*"), -EINVAL);
	ls_client_close(c);
	finish(s);
}

static void test_malformed_replies(void **state)
{
	struct server *s = *state;
	struct ls_client *c;

	SERVE(s, HELLO_STEPS, ASK("PING\n", "pong\n"),
	      ASK("PING\n", "ok pong\n"), ASK("PING\n", "OKAY\n"),
	      ASK("PING\n", "ERROR x\n"), ASK("PING\n", "\n"),
	      { EXPECT, "PING\n" }, { SEND, "OK a\0b\n", 7 },
	      ASK("PING\n", "OK pong\n"));
	c = connect_to(s);
	assert_int_equal(ls_client_ping(c), -EBADMSG);
	assert_string_equal(ls_client_last_reply(c), "pong");
	assert_int_equal(ls_client_ping(c), -EBADMSG);
	assert_string_equal(ls_client_last_reply(c), "ok pong");
	assert_int_equal(ls_client_ping(c), -EBADMSG);
	assert_int_equal(ls_client_ping(c), -EBADMSG);
	assert_string_equal(ls_client_last_reply(c), "ERROR x");
	assert_int_equal(ls_client_ping(c), -EBADMSG);
	assert_string_equal(ls_client_last_reply(c), "");
	assert_int_equal(ls_client_ping(c), -EBADMSG);
	assert_string_equal(ls_client_last_reply(c), "reply with a NUL byte");
	/* Each was one whole line: still in step. */
	assert_int_equal(ls_client_ping(c), 0);
	assert_string_equal(ls_client_last_reply(c), "pong");
	ls_client_close(c);
	finish(s);
}

static void test_end_verdicts(void **state)
{
	struct server *s = *state;
	struct ls_client *c;
	int leaks = -7;

	SERVE(s, HELLO_STEPS, { EXPECT, "END t\n" },
	      /* "leaks" in strings and nested objects is not the count. */
	      { SEND, "OK {\"test\":\"a \\\"leaks\\\": 5\", \"id\" : 7,"
		      "\"nested\":{\"leaks\":9},\"arr\":[{\"leaks\":8},\"]\","
		      "[]],\"ok\":true,\"x\":null,\"d\":-1.5e3,"
		      "\"leaks\" : 3 ,\"findings\":[]}\n" },
	      ASK("END t\n", "OK { \"leaks\":99999999999999999999 }\n"),
	      ASK("END t\n", "OK {\"leaks\":1}\n"),
	      ASK("END t\n", "OK {\"test\":\"t\"}\n"),
	      ASK("END t\n", "OK {\"leaks\":-1}\n"),
	      ASK("END t\n", "OK {\"leaks\":1.5}\n"),
	      ASK("END t\n", "OK [{\"leaks\":1}]\n"),
	      ASK("END t\n", "OK {\"a\":\"\\\n"),
	      ASK("END t\n", "OK {\"a\":[\"leaks\"\n"), ASK("END t\n", "OK\n"));
	c = connect_to(s);
	assert_int_equal(ls_client_end(c, "t", NULL, &leaks), 0);
	assert_int_equal(leaks, 3);
	assert_int_equal(ls_client_end(c, "t", NULL, &leaks), 0);
	assert_int_equal(leaks, INT_MAX);
	assert_int_equal(ls_client_end(c, "t", NULL, NULL), 0);
	leaks = -7;
	for (int i = 0; i < 7; i++) {
		assert_int_equal(ls_client_end(c, "t", NULL, &leaks), -EBADMSG);
		assert_int_equal(leaks, -7);
	}
	ls_client_close(c);
	finish(s);
}

/* "OK " + a JSON verdict of @n bytes in all, "leaks" last. */
static char *big_verdict(size_t n)
{
	static const char head[] = "OK {\"test\":\"big\",\"findings\":[";
	static const char tail[] = "],\"leaks\":1234}\n";
	char *p = malloc(n + 1);
	size_t o = strlen(head);

	assert_non_null(p);
	memcpy(p, head, o);
	while (o + 64 < n - strlen(tail)) {
		o += snprintf(p + o, 64,
			      "{\"kind\":\"fd\",\"path\":\"/tmp/%08zu\"},", o);
	}
	o += snprintf(p + o, 64, "{\"pad\":\"");
	while (o < n - strlen(tail) - 2)
		p[o++] = 'p';
	p[o++] = '"';
	p[o++] = '}';
	memcpy(p + o, tail, strlen(tail) + 1);
	assert_int_equal(strlen(p), n);
	return p;
}

static void test_long_reply(void **state)
{
	struct server *s = *state;
	char *verdict = big_verdict(200 << 10);
	struct ls_client *c;
	int leaks = 0;

	SERVE(s, HELLO_STEPS, ASK("END big\n", verdict),
	      ASK("PING\n", "OK pong\n"), ASK("END big\n", verdict));
	c = connect_to(s);
	assert_int_equal(ls_client_end(c, "big", NULL, &leaks), 0);
	assert_int_equal(leaks, 1234);
	assert_int_equal(strlen(ls_client_last_reply(c)), (200 << 10) - 4);
	assert_memory_equal(ls_client_last_reply(c), verdict + 3,
			    (200 << 10) - 4);
	assert_int_equal(ls_client_ping(c), 0);
	assert_string_equal(ls_client_last_reply(c), "pong");
	leaks = 0;
	assert_int_equal(ls_client_end(c, "big", NULL, &leaks), 0);
	assert_int_equal(leaks, 1234);
	ls_client_close(c);
	finish(s);
	free(verdict);
}

static void test_split_reply(void **state)
{
	struct server *s = *state;
	struct ls_client *c;
	int leaks = 0;

	SERVE(s, HELLO_STEPS, { EXPECT, "END drip\n" },
	      { DRIP, "OK {\"test\":\"drip\",\"leaks\":2,\"findings\":[]}\n" },
	      { EXPECT, "PING\n" }, { DRIP, "OK pong\n" });
	c = connect_to(s);
	wrap_fd = client_fd(s);
	assert_int_equal(ls_client_end(c, "drip", NULL, &leaks), 0);
	assert_int_equal(leaks, 2);
	assert_true(wrap.recvs >= 8);
	assert_int_equal(ls_client_ping(c), 0);
	assert_string_equal(ls_client_last_reply(c), "pong");
	ls_client_close(c);
	finish(s);
}

/* Bytes after a reply line wait for the next call (not the protocol's
 * way, but nothing is lost or mixed up). */
static void test_reply_bytes_kept(void **state)
{
	struct server *s = *state;
	struct ls_client *c;

	SERVE(s, HELLO_STEPS, ASK("PING\n", "OK one\nOK two\nERR nes"),
	      { EXPECT, "PING\n" }, ASK("PING\n", "ted\n"));
	c = connect_to(s);
	assert_int_equal(ls_client_ping(c), 0);
	assert_string_equal(ls_client_last_reply(c), "one");
	assert_int_equal(ls_client_ping(c), 0);
	assert_string_equal(ls_client_last_reply(c), "two");
	assert_int_equal(ls_client_ping(c), -EBUSY);
	assert_string_equal(ls_client_last_reply(c), "nested");
	ls_client_close(c);
	finish(s);
}

static char *filled_reply(size_t n, bool newline)
{
	char *p = malloc(n + 1);

	assert_non_null(p);
	memcpy(p, "OK ", 3);
	memset(p + 3, 'x', n - 3);
	if (newline)
		p[n - 1] = '\n';
	p[n] = 0;
	return p;
}

static void test_reply_at_cap(void **state)
{
	struct server *s = *state;
	char *reply = filled_reply(LS_CLIENT_REPLY_MAX, true);
	struct ls_client *c;

	SERVE(s, HELLO_STEPS, ASK("STATUS\n", reply),
	      ASK("PING\n", "OK pong\n"));
	c = connect_to(s);
	assert_int_equal(ls_client_status(c), 0);
	assert_int_equal(strlen(ls_client_last_reply(c)),
			 LS_CLIENT_REPLY_MAX - 4);
	assert_int_equal(ls_client_ping(c), 0);
	ls_client_close(c);
	finish(s);
	free(reply);
}

static void test_reply_over_cap(void **state)
{
	struct server *s = *state;
	char *reply = filled_reply(LS_CLIENT_REPLY_MAX + 1, true);
	struct ls_client *c;

	SERVE(s, HELLO_STEPS, { EXPECT, "STATUS\n" }, { SEND_ANY, reply });
	c = connect_to(s);
	assert_int_equal(ls_client_status(c), -EMSGSIZE);
	assert_string_equal(ls_client_last_reply(c),
			    "reply over 16777216 bytes");
	assert_int_equal(ls_client_ping(c), -ENOTCONN);
	ls_client_close(c);
	finish(s);
	free(reply);
}

static void test_eof_mid_reply(void **state)
{
	struct server *s = *state;
	struct ls_client *c;
	int leaks = -7;

	SERVE(s, HELLO_STEPS, ASK("END t passed\n", "OK {\"leaks\""),
	      { HANGUP });
	c = connect_to(s);
	assert_int_equal(ls_client_end(c, "t", "passed", &leaks), -ECONNRESET);
	assert_int_equal(leaks, -7);
	assert_string_equal(ls_client_last_reply(c),
			    "connection closed by leakscope");
	assert_int_equal(ls_client_ping(c), -ENOTCONN);
	assert_int_equal(ls_client_begin(c, "t"), -ENOTCONN);
	ls_client_close(c);
	finish(s);
}

static void test_eof_before_reply(void **state)
{
	struct server *s = *state;
	struct ls_client *c;

	SERVE(s, HELLO_STEPS, { EXPECT, "BEGIN t\n" }, { HANGUP });
	c = connect_to(s);
	assert_int_equal(ls_client_begin(c, "t"), -ECONNRESET);
	assert_int_equal(ls_client_ping(c), -ENOTCONN);
	ls_client_close(c);
	finish(s);
}

/* leakscope said why and hung up before the request: the reason wins over
 * the broken pipe, and SIGPIPE is not raised. */
static void test_hangup_with_reason(void **state)
{
	struct server *s = *state;
	struct ls_client *c;
	sigset_t pipe, pending;

	SERVE(s, HELLO_STEPS, { SEND, "ERR forbidden: bye\n" }, { HANGUP });
	c = connect_to(s);
	finish(s); /* gone for sure */
	sigemptyset(&pipe);
	sigaddset(&pipe, SIGPIPE);
	assert_int_equal(pthread_sigmask(SIG_BLOCK, &pipe, NULL), 0);
	assert_int_equal(ls_client_ping(c), -EPERM);
	assert_string_equal(ls_client_last_reply(c), "forbidden: bye");
	assert_int_equal(ls_client_ping(c), -ENOTCONN);
	sigpending(&pending);
	assert_false(sigismember(&pending, SIGPIPE));
	assert_int_equal(pthread_sigmask(SIG_UNBLOCK, &pipe, NULL), 0);
	ls_client_close(c);
}

static void test_no_sigpipe(void **state)
{
	struct server *s = *state;
	struct ls_client *c;
	sigset_t pipe, pending;

	SERVE(s, HELLO_STEPS, { HANGUP });
	c = connect_to(s);
	finish(s);
	sigemptyset(&pipe);
	sigaddset(&pipe, SIGPIPE);
	assert_int_equal(pthread_sigmask(SIG_BLOCK, &pipe, NULL), 0);
	assert_int_equal(ls_client_ping(c), -ECONNRESET);
	sigpending(&pending);
	assert_false(sigismember(&pending, SIGPIPE));
	assert_int_equal(pthread_sigmask(SIG_UNBLOCK, &pipe, NULL), 0);
	ls_client_close(c);
}

/* ---- signals, short writes, fork ------------------------------------ */

static volatile sig_atomic_t got_usr1;

static void on_usr1(int sig)
{
	(void)sig;
	got_usr1++;
}

static void test_eintr_in_recv(void **state)
{
	struct server *s = *state;
	struct sigaction sa = { .sa_handler = on_usr1 }, old;
	struct ls_client *c;
	int leaks = 0;

	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0; /* no SA_RESTART: recv returns EINTR */
	assert_int_equal(sigaction(SIGUSR1, &sa, &old), 0);
	got_usr1 = 0;
	SERVE(s, HELLO_STEPS, { EXPECT, "END slow\n" }, { SIGNAL },
	      { SEND, "OK {\"leaks\":4}\n" });
	c = connect_to(s);
	wrap_fd = client_fd(s);
	assert_int_equal(ls_client_end(c, "slow", NULL, &leaks), 0);
	assert_int_equal(leaks, 4);
	assert_int_equal(got_usr1, 1);
	assert_true(wrap.recv_eintr >= 1);
	ls_client_close(c);
	finish(s);
	sigaction(SIGUSR1, &old, NULL);
}

static void test_short_and_interrupted_sends(void **state)
{
	struct server *s = *state;
	char name[600], req[620];
	struct ls_client *c;

	for (size_t i = 0; i < sizeof(name) - 1; i++)
		name[i] = "abc def/"[i % 8];
	name[sizeof(name) - 1] = 0;
	snprintf(req, sizeof(req), "BEGIN %s\n", name);
	SERVE(s, HELLO_STEPS, ASK(req, "OK test=1\n"));
	c = connect_to(s);
	wrap_fd = client_fd(s);
	wrap.chunk = 7;
	wrap.eintr = 3;
	assert_int_equal(ls_client_begin(c, name), 0);
	assert_true(wrap.sends >= 3 + (int)(strlen(req) / 7));
	assert_int_equal(wrap.without_nosignal, 0);
	ls_client_close(c);
	finish(s);
}

static void test_fork(void **state)
{
	struct server *s = *state;
	struct ls_client *c;
	pid_t pid;
	int status;

	SERVE(s, HELLO_STEPS, ASK("PING\n", "OK pong\n"));
	c = connect_to(s);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		int rc = ls_client_ping(c);
		bool ok = rc == -ECHILD &&
			  !strncmp(ls_client_last_reply(c),
				   "connection belongs to pid ", 26);

		ls_client_close(c); /* sends nothing */
		_exit(ok ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(ls_client_ping(c), 0);
	ls_client_close(c);
	finish(s);
}

#define T(t) cmocka_unit_test_setup_teardown(t, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_connect_env_unset),
		T(test_connect_env),
		T(test_connect_bad_args),
		T(test_connect_missing),
		T(test_connect_refused),
		T(test_connect_forbidden),
		T(test_connect_protocol),
		T(test_cloexec),
		T(test_request_bytes),
		T(test_request_limits),
		T(test_client_side_checks),
		T(test_null_client),
		T(test_err_mapping),
		T(test_err_in_context),
		T(test_malformed_replies),
		T(test_end_verdicts),
		T(test_long_reply),
		T(test_split_reply),
		T(test_reply_bytes_kept),
		T(test_reply_at_cap),
		T(test_reply_over_cap),
		T(test_eof_mid_reply),
		T(test_eof_before_reply),
		T(test_hangup_with_reason),
		T(test_no_sigpipe),
		T(test_eintr_in_recv),
		T(test_short_and_interrupted_sends),
		T(test_fork),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
