// SPDX-License-Identifier: GPL-2.0
/*
 * test_client_requests.c - unit tests for user/client.c against a fake
 * leakscope (client_fx.h): connecting (LEAKSCOPE_SOCK, connect failures,
 * HELLO and its protocol check, close-on-exec) and requests (the bytes of
 * every request, names with spaces and UTF-8, limits, and the client-side
 * checks: nothing is sent for a bad name, outcome, rule or pid).
 *
 * Must not: leave a thread, a socket or a directory behind (client_fx.h).
 */
#include "client_fx.h"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_connect_env_unset),  T(test_connect_env),
		T(test_connect_bad_args),   T(test_connect_missing),
		T(test_connect_refused),    T(test_connect_forbidden),
		T(test_connect_protocol),   T(test_cloexec),
		T(test_request_bytes),	    T(test_request_limits),
		T(test_client_side_checks), T(test_null_client),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
