// SPDX-License-Identifier: GPL-2.0
/*
 * test_control_requests.c - unit tests for user/control.c: requests,
 * replies and the connections that carry them.
 *
 * One reply line per request, parse errors answered by the server, a
 * handler that fails or returns NULL, several requests in one write, a
 * request dripped byte by byte, lines of 4095 and 4096+ bytes, many
 * clients interleaved, clients that hang up mid-line or before their
 * reply, ls_control_close hanging up on everyone, and 1 MiB replies to a
 * client that reads them, to one that never does and to one that reads
 * too slowly (dropped at the reply's deadline).
 *
 * Must not: wait forever or leave a thread behind (control_fx.h).
 */
#include "control_fx.h"

/* ---- clients ---- */

/* Close @fd, also in the fixture's list. */
static void cli_close(int fd)
{
	for (size_t i = 0; i < fx.n_cli; i++)
		if (fx.cli[i] == fd)
			fx.cli[i] = -1;
	close(fd);
}

/* Nothing more arrives for @fd while the server runs a little. */
static void check_quiet(int fd, const char *file, int lno)
{
	char ch;

	for (int i = 0; i < 5; i++)
		serve(10);
	if (recv(fd, &ch, 1, MSG_DONTWAIT) >= 0 || errno != EAGAIN) {
		print_error("%s:%d: unexpected data or EOF\n", file, lno);
		fail();
	}
}

#define QUIET(fd) check_quiet((fd), __FILE__, __LINE__)

/* ---- requests and replies ---- */

static void test_one_reply_per_request(void **state)
{
	int fd;

	(void)state;
	start();
	fd = cli_new();
	SEND(fd, "HELLO unit 1\n");
	REPLY(fd, "OK verb=HELLO name=unit 1");
	QUIET(fd);
	SEND(fd, "BEGIN t::a b[é]\n");
	REPLY(fd, "OK verb=BEGIN name=t::a b[é]");
	QUIET(fd);
	SEND(fd, "END t::a b[é] failed\n");
	REPLY(fd, "OK verb=END name=t::a b[é] outcome=failed");
	QUIET(fd);
	SEND(fd, "FOR 12\n");
	REPLY(fd, "OK verb=FOR pid=12");
	SEND(fd, "ALLOW socket addr=*:6379\n");
	REPLY(fd, "OK verb=ALLOW name=socket addr=*:6379");
	SEND(fd, "STATUS\n");
	REPLY(fd, "OK verb=STATUS name=");
	QUIET(fd);
	assert_int_equal(fx.h.calls, 6);
	assert_int_equal(fx.c.served, 6);
}

/* Bad requests are answered by the server, not the handler. */
static void test_parse_errors(void **state)
{
	static const struct {
		const char *req;
		size_t len;
		const char *reply;
	} c[] = {
		{ "\n", 1, "ERR empty request" },
		{ "\r\n", 2, "ERR empty request" },
		{ "FOO\n", 4, "ERR unknown request" },
		{ "BEGIN \xff\n", 8, "ERR bad name" },
		{ "END\n", 4, "ERR bad name" },
		{ "FOR x\n", 6, "ERR bad pid" },
		{ "ALLOW\n", 6, "ERR bad rule" },
		{ "BEGIN a\0b\n", 10, "ERR NUL byte in request" },
	};
	int fd;

	(void)state;
	start();
	fd = cli_new();
	for (size_t i = 0; i < ARRAY_SIZE(c); i++) {
		cli_send(fd, c[i].req, c[i].len);
		REPLY_PREFIX(fd, c[i].reply);
		SEND(fd, "PING\n");
		REPLY(fd, "OK verb=PING name=");
	}
	QUIET(fd);
	assert_int_equal(fx.h.calls, ARRAY_SIZE(c));
}

static void test_handler_err(void **state)
{
	int fd;

	(void)state;
	start();
	fd = cli_new();
	SEND(fd, "BEGIN ask-err\n");
	REPLY(fd, "ERR nested: asked by the test");
	SEND(fd, "PING\n");
	REPLY(fd, "OK verb=PING name=");
	QUIET(fd);
}

static void test_handler_null(void **state)
{
	int fd;

	(void)state;
	start();
	fd = cli_new();
	SEND(fd, "BEGIN ask-null\n");
	REPLY(fd, "ERR out of memory");
	SEND(fd, "PING\n");
	REPLY(fd, "OK verb=PING name=");
	QUIET(fd);
}

static void test_several_in_one_write(void **state)
{
	int fd;

	(void)state;
	start();
	fd = cli_new();
	SEND(fd, "PING\nBEGIN x y\nEND x y passed\r\nSTATUS\nFOO\nFOR 0\n");
	REPLY(fd, "OK verb=PING name=");
	REPLY(fd, "OK verb=BEGIN name=x y");
	REPLY(fd, "OK verb=END name=x y outcome=passed");
	REPLY(fd, "OK verb=STATUS name=");
	REPLY_PREFIX(fd, "ERR unknown request");
	REPLY(fd, "OK verb=FOR pid=0");
	QUIET(fd);
}

static void test_byte_by_byte(void **state)
{
	static const char req[] = "BEGIN drip, drip: 日本\r\n";
	char ch;
	int fd;

	(void)state;
	start();
	fd = cli_new();
	for (size_t i = 0; i + 1 < sizeof(req) - 1; i++) {
		cli_send(fd, req + i, 1);
		serve(10);
		assert_true(recv(fd, &ch, 1, MSG_DONTWAIT) < 0);
	}
	assert_int_equal(fx.h.calls, 0);
	SEND(fd, "\n");
	REPLY(fd, "OK verb=BEGIN name=drip, drip: 日本");
	QUIET(fd);
	assert_int_equal(fx.h.calls, 1);
}

/* 4095 bytes and the newline: the longest request there is. */
static void test_line_4095(void **state)
{
	static char req[4096 + 1], want[4200];
	int fd;

	(void)state;
	memcpy(req, "ALLOW ", 6);
	memset(req + 6, 'a', 4089);
	req[4095] = '\n';
	snprintf(want, sizeof(want), "OK verb=ALLOW name=%.4089s", req + 6);
	start();
	fd = cli_new();
	cli_send(fd, req, 4096);
	REPLY(fd, want);
	/* The same in two writes, the newline last. */
	cli_send(fd, req, 4095);
	QUIET(fd);
	cli_send(fd, "\n", 1);
	REPLY(fd, want);
	QUIET(fd);
}

static void send_run(int fd, char ch, size_t n)
{
	char *buf = malloc(n);

	assert_non_null(buf);
	memset(buf, ch, n);
	cli_send(fd, buf, n);
	free(buf);
}

/* 4096 bytes and the newline: one ERR, then the next request works. */
static void test_line_4096(void **state)
{
	int fd;

	(void)state;
	start();
	fd = cli_new();
	send_run(fd, 'a', 4096);
	SEND(fd, "\nPING\n");
	REPLY_PREFIX(fd, "ERR line too long");
	REPLY(fd, "OK verb=PING name=");
	QUIET(fd);
	assert_int_equal(fx.h.calls, 1);
}

/* However long, one ERR; what follows up to the newline is dropped. */
static void test_line_too_long_tail_dropped(void **state)
{
	int fd;

	(void)state;
	start();
	fd = cli_new();
	SEND(fd, "BEGIN ");
	send_run(fd, 'n', 20000);
	SEND(fd, " PING\nBEGIN tail\n");
	send_run(fd, 'm', 5000);
	SEND(fd, "\nPING\n");
	REPLY_PREFIX(fd, "ERR line too long");
	REPLY(fd, "OK verb=BEGIN name=tail");
	REPLY_PREFIX(fd, "ERR line too long");
	REPLY(fd, "OK verb=PING name=");
	QUIET(fd);
	assert_int_equal(fx.h.calls, 2);
}

/* The ERR comes when the line is over the limit, not at its end. */
static void test_line_too_long_newline_later(void **state)
{
	int fd;

	(void)state;
	start();
	fd = cli_new();
	SEND(fd, "PING\n");
	send_run(fd, 'a', 5000);
	REPLY(fd, "OK verb=PING name=");
	REPLY_PREFIX(fd, "ERR line too long");
	send_run(fd, 'b', 9000);
	QUIET(fd);
	SEND(fd, "\nSTATUS\n");
	REPLY(fd, "OK verb=STATUS name=");
	QUIET(fd);
}

static void test_many_clients_interleaved(void **state)
{
	enum { N = 32 };
	int fd[N];
	char req[64], want[64];

	(void)state;
	start();
	for (int i = 0; i < N; i++)
		fd[i] = cli_new();
	/* First halves from everyone, then second halves backwards. */
	for (int i = 0; i < N; i++)
		SEND(fd[i], "BEGIN client ");
	serve(10);
	for (int i = N - 1; i >= 0; i--) {
		snprintf(req, sizeof(req), "%d\nPING\n", i);
		cli_send(fd[i], req, strlen(req));
	}
	for (int i = 0; i < N; i++) {
		snprintf(want, sizeof(want), "OK verb=BEGIN name=client %d", i);
		REPLY(fd[i], want);
		REPLY(fd[i], "OK verb=PING name=");
	}
	for (int i = 0; i < N; i++)
		QUIET(fd[i]);
	assert_int_equal(fx.h.calls, 2 * N);
	assert_int_equal(fx.c.n_conns, N);
}

static void wait_conns(size_t n)
{
	long end = now_ms() + DEADLINE_MS;

	while (fx.c.n_conns != n && now_ms() < end)
		serve(10);
	assert_int_equal(fx.c.n_conns, n);
}

/* Half a line, then gone: dropped unanswered; the others go on. */
static void test_disconnect_mid_line(void **state)
{
	int a, b;

	(void)state;
	start();
	a = cli_new();
	b = cli_new();
	SEND(a, "BEGIN half a li");
	serve(10);
	cli_close(a);
	wait_conns(1);
	assert_int_equal(fx.h.calls, 0);
	SEND(b, "PING\n");
	REPLY(b, "OK verb=PING name=");
}

/* A reply to a client that is gone: no SIGPIPE, the link is dropped. */
static void test_disconnect_before_reply(void **state)
{
	int a, b;

	(void)state;
	start();
	a = cli_new();
	b = cli_new();
	SEND(a, "PING\nPING\nPING\n");
	cli_close(a);
	wait_conns(1);
	SEND(b, "PING\n");
	REPLY(b, "OK verb=PING name=");
}

static void test_close_hangs_up(void **state)
{
	int fd[3];

	(void)state;
	start();
	for (int i = 0; i < 3; i++)
		fd[i] = cli_new();
	SEND(fd[1], "BEGIN unfinished");
	serve(10);
	ls_control_close(&fx.c);
	fx.open = false;
	assert_int_equal(fx.c.n_conns, 0);
	assert_true(gone(fx.path));
	for (int i = 0; i < 3; i++)
		EOF_(fd[i]);
	assert_true(cli_connect(fx.path) < 0);
	ls_control_close(&fx.c); /* twice: nothing left to do */
}

static void test_ready_other_fds(void **state)
{
	int p[2];

	(void)state;
	start();
	assert_int_equal(pipe(p), 0);
	assert_false(ls_control_ready(&fx.c, -1));
	assert_false(ls_control_ready(&fx.c, p[0]));
	assert_false(ls_control_ready(&fx.c, fx.epfd));
	close(p[0]);
	close(p[1]);
}

/* ---- big replies ---- */

struct reader {
	int fd;
	size_t got;
	bool newline;
};

static void *read_reply(void *arg)
{
	struct reader *r = arg;
	char buf[65536];
	ssize_t n;

	while (!r->newline && (n = recv(r->fd, buf, sizeof(buf), 0)) > 0) {
		r->got += n;
		r->newline = buf[n - 1] == '\n';
	}
	return NULL;
}

/* A reply longer than any socket buffer reaches a client that reads. */
static void test_big_reply(void **state)
{
	struct reader r = { 0 };
	struct timeval tv = { .tv_sec = DEADLINE_MS / 1000 };
	pthread_t t;

	(void)state;
	start();
	r.fd = cli_new();
	assert_int_equal(
		setsockopt(r.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	assert_int_equal(pthread_create(&t, NULL, read_reply, &r), 0);
	SEND(r.fd, "BEGIN ask-big\n");
	serve(DEADLINE_MS);
	pthread_join(t, NULL);
	assert_int_equal(r.got, BIG_REPLY + 1);
	assert_true(r.newline);
	assert_int_equal(fx.c.n_conns, 1);
}

/*
 * A client that never reads while 1 MiB replies pile up must not hold the
 * agent: the reply's deadline (2 s) passes, the client is dropped and
 * ls_control_ready returns. Bounds are generous: this is behaviour, not a
 * benchmark.
 */
static void test_reader_that_never_reads(void **state)
{
	struct epoll_event ev;
	size_t got = 0;
	long t0, took;
	char buf[65536];
	ssize_t n;
	int fd, b;

	(void)state;
	start();
	fd = cli_new();
	b = cli_new();
	SEND(fd, "BEGIN ask-big\nBEGIN ask-big\nBEGIN ask-big\n");
	assert_int_equal(epoll_wait(fx.epfd, &ev, 1, DEADLINE_MS), 1);
	t0 = now_ms();
	assert_true(ls_control_ready(&fx.c, ev.data.fd));
	took = now_ms() - t0;
	if (took > 3500) {
		print_error("a client that does not read held the agent for "
			    "%ld ms (the reply deadline is 2 s)\n",
			    took);
		fail();
	}
	assert_int_equal(fx.c.n_conns, 1);
	/* It got part of the first reply, then EOF. */
	while ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
		got += n;
	assert_true(n == 0 || errno == ECONNRESET);
	assert_true(got > 0 && got < BIG_REPLY + 1);
	/* And the agent serves the others. */
	SEND(b, "PING\n");
	REPLY(b, "OK verb=PING name=");
}

struct slow_reader {
	int fd;
	size_t got;
	int stop; /* atomic: the agent has given up */
};

/* 4 KiB every 20 ms: some progress all the time, 3 MiB in ~15 s. */
static void *read_slowly(void *arg)
{
	struct slow_reader *r = arg;
	char buf[4096];

	while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
		ssize_t n = recv(r->fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (n > 0)
			r->got += n;
		else if (n == 0 || errno != EAGAIN)
			break;
		usleep(20000);
	}
	return NULL;
}

/*
 * A client that reads, but too slowly, must not hold the agent either:
 * each reply has one deadline (2 s), however much goes out meanwhile.
 * Bounds are generous: this is behaviour, not a benchmark.
 */
static void test_reader_too_slow(void **state)
{
	struct slow_reader r = { 0 };
	struct epoll_event ev;
	char buf[65536];
	long t0, took;
	pthread_t t;
	ssize_t n;
	int b;

	(void)state;
	start();
	r.fd = cli_new();
	b = cli_new();
	assert_int_equal(pthread_create(&t, NULL, read_slowly, &r), 0);
	SEND(r.fd, "BEGIN ask-big\nBEGIN ask-big\nBEGIN ask-big\n");
	assert_int_equal(epoll_wait(fx.epfd, &ev, 1, DEADLINE_MS), 1);
	t0 = now_ms();
	assert_true(ls_control_ready(&fx.c, ev.data.fd));
	took = now_ms() - t0;
	__atomic_store_n(&r.stop, 1, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	if (took > 6000 || took < 1000) {
		print_error("a slow reader held the agent for %ld ms (the "
			    "reply deadline is 2 s)\n",
			    took);
		fail();
	}
	assert_int_equal(fx.c.n_conns, 1);
	assert_true(r.got > 0);
	while ((n = recv(r.fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
		r.got += n;
	assert_true(n == 0 || errno == ECONNRESET);
	assert_true(r.got < BIG_REPLY + 1);
	SEND(b, "PING\n");
	REPLY(b, "OK verb=PING name=");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_one_reply_per_request),
		T(test_parse_errors),
		T(test_handler_err),
		T(test_handler_null),
		T(test_several_in_one_write),
		T(test_byte_by_byte),
		T(test_line_4095),
		T(test_line_4096),
		T(test_line_too_long_tail_dropped),
		T(test_line_too_long_newline_later),
		T(test_many_clients_interleaved),
		T(test_disconnect_mid_line),
		T(test_disconnect_before_reply),
		T(test_close_hangs_up),
		T(test_ready_other_fds),
		T(test_big_reply),
		T(test_reader_that_never_reads),
		T(test_reader_too_slow),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
