// SPDX-License-Identifier: GPL-2.0
/*
 * test_client_replies.c - unit tests for user/client.c against a fake
 * leakscope (client_fx.h): reply parsing (OK/ERR, every ERR reason's
 * errno, END verdicts, replies of 200 KiB and of exactly 16 MiB, replies
 * split over many reads, one over the cap, EOF with or without part of a
 * line, a hang-up with a reason) and SIGPIPE.
 *
 * Must not: leave a thread, a socket or a directory behind (client_fx.h).
 */
#include "client_fx.h"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_err_mapping),	   T(test_err_in_context),
		T(test_malformed_replies), T(test_end_verdicts),
		T(test_long_reply),	   T(test_split_reply),
		T(test_reply_bytes_kept),  T(test_reply_at_cap),
		T(test_reply_over_cap),	   T(test_eof_mid_reply),
		T(test_eof_before_reply),  T(test_hangup_with_reason),
		T(test_no_sigpipe),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
