// SPDX-License-Identifier: GPL-2.0
/*
 * test_client_signals.c - unit tests for user/client.c against a fake
 * leakscope (client_fx.h): EINTR in recv (a real signal, SA_RESTART off)
 * and in send, partial writes, and use after fork.
 *
 * Must not: leave a thread, a socket, a directory or a child behind
 * (client_fx.h).
 */
#include "client_fx.h"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_eintr_in_recv),
		T(test_short_and_interrupted_sends),
		T(test_fork),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
