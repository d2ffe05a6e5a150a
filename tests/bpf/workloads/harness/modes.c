// SPDX-License-Identifier: GPL-2.0
/*
 * modes.c - the special forms of tests/bpf/workloads/harness.c, which do
 * not run as one test marked by main: errors (marks on its own and prints
 * each refusal as ERR_*), ping (PING and STATUS, no test) and parallel N
 * (N forked workers, each with its own connection and test, in lockstep).
 * Helpers: harness.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <leakscope/client.h>
#include "../common/wl.h"
#include "harness.h"

#define MAX_WORKERS 32

/* ---- errors: marks on its own ---- */

static void result(const char *key, int rc)
{
	say("%s=%d %s", key, rc, ls_client_last_reply(ls));
}

void t_errors(void)
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

void t_ping(void)
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

void run_parallel(int n)
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
