// SPDX-License-Identifier: GPL-2.0
/*
 * test_control_peer.c - unit tests for user/control.c: who may connect.
 *
 * The peer check: the credentials the handler sees, root (allowed even
 * from outside the cgroup), a process in the cgroup and one outside it (a
 * child that drops to uid 65534 when the test runs as root).
 *
 * Must not: wait forever or leave a child behind (control_fx.h).
 */
#include "control_fx.h"

/* ---- who may connect ---- */

/* The test process itself: its credentials, as the handler sees them. */
static void test_peer_credentials(void **state)
{
	int fd;

	(void)state;
	start();
	fd = cli_new();
	SEND(fd, "PING\n");
	REPLY(fd, "OK verb=PING name=");
	assert_int_equal(fx.h.peer, getpid());
	assert_int_equal(fx.h.acting, getpid());
	assert_int_equal(fx.h.uid, geteuid());
}

/* Root passes even from outside the cgroup. */
static void test_peer_root_outside_cgroup(void **state)
{
	int fd;

	(void)state;
	if (geteuid() != 0) {
		print_message("skipped: needs root (the peer must be root)\n");
		skip();
	}
	start_as("/nonexistent/leakscope-cgroup", 0, 0, false);
	fd = cli_new();
	SEND(fd, "PING\n");
	REPLY(fd, "OK verb=PING name=");
}

static void read_reply_line(int fd, char *out, size_t cap)
{
	size_t n = strlen(out);
	ssize_t r;
	char ch;

	while ((r = read(fd, &ch, 1)) == 1 && n + 2 < cap) {
		out[n++] = ch;
		if (ch == '\n')
			break;
	}
	if (r <= 0)
		n += snprintf(out + n, cap - n, "<EOF>");
	out[n] = 0;
}

/*
 * The child: not root (uid 65534 when the test runs as root), sends two
 * PINGs and writes what came back (or <EOF>) to @report.
 */
static void peer_child(int report, bool drop)
{
	struct timeval tv = { .tv_sec = 5 };
	char out[1024] = "";
	int fd;

	if (drop && !drop_to_nobody())
		_exit(77);
	fd = cli_connect(fx.path);
	if (fd < 0) {
		dprintf(report, "connect: %s", strerror(-fd));
		_exit(1);
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	send(fd, "PING\n", 5, MSG_NOSIGNAL);
	read_reply_line(fd, out, sizeof(out));
	if (!strstr(out, "<EOF>")) {
		send(fd, "PING\n", 5, MSG_NOSIGNAL);
		read_reply_line(fd, out, sizeof(out));
	}
	if (write(report, out, strlen(out)) < 0)
		_exit(1);
	_exit(0);
}

/* Run peer_child against a server checking @cgroup; its report, its pid. */
static pid_t run_peer(const char *cgroup, char *out, size_t cap)
{
	bool root = geteuid() == 0;
	long end = now_ms() + DEADLINE_MS;
	struct pollfd pfd = { .events = POLLIN };
	size_t n = 0;
	int p[2], status;
	pid_t pid;

	/* The child must reach the socket: its directory and its owner. */
	start_as(cgroup, root ? NOBODY : geteuid(), root ? NOBODY : getegid(),
		 false);
	assert_int_equal(chmod(fx.dir, 0711), 0);
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		peer_child(p[1], root);
	}
	close(p[1]);
	pfd.fd = p[0];
	for (;;) {
		ssize_t r = 0;

		serve(10);
		if (poll(&pfd, 1, 0) == 1) {
			r = read(p[0], out + n, cap - 1 - n);
			if (r <= 0)
				break;
			n += r;
		}
		if (now_ms() > end) {
			kill(pid, SIGKILL);
			break;
		}
	}
	out[n] = 0;
	close(p[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 77) {
		print_message("skipped: cannot drop to uid %d here\n", NOBODY);
		skip();
	}
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	return pid;
}

static void test_peer_nonroot_in_cgroup(void **state)
{
	char out[1024];
	pid_t pid;

	(void)state;
	if (!own_cg[0]) {
		print_message("skipped: no cgroup v2 mount, so no cgroup to "
			      "be in\n");
		skip();
	}
	pid = run_peer(own_cg, out, sizeof(out));
	assert_string_equal(out, "OK verb=PING name=\nOK verb=PING name=\n");
	assert_int_equal(fx.h.calls, 2);
	assert_true(fx.h.uid != 0);
	assert_int_equal(fx.h.peer, pid);
}

static void test_peer_nonroot_outside_cgroup(void **state)
{
	char out[1024];

	(void)state;
	run_peer("/nonexistent/leakscope-cgroup", out, sizeof(out));
	if (strncmp(out, "ERR forbidden", 13) || !strstr(out, "\n<EOF>")) {
		print_error("the peer got \"%s\"\n", out);
		fail();
	}
	assert_int_equal(fx.h.calls, 0);
	assert_int_equal(fx.c.n_conns, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_peer_credentials),
		T(test_peer_root_outside_cgroup),
		T(test_peer_nonroot_in_cgroup),
		T(test_peer_nonroot_outside_cgroup),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
