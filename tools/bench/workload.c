// SPDX-License-Identifier: GPL-2.0
/*
 * workload.c - the benchmark's workloads: each one times its own loop and
 * prints "ns_per_op=<x> ops=<n>" on stdout, so start-up and teardown of
 * whatever wraps it (leakscope, strace, valgrind) are not in the number.
 *
 *   workload open N | socket N | pipe N | fork N | thread N | mmap N
 *   workload exec CMD [ARGS]     time a whole command (a realistic load)
 *   workload spawn CMD [ARGS]    run CMD from this small process and pass
 *                                on its exit status (bench.py starts
 *                                leakscope so: a process's peak RSS counts
 *                                the image it replaced at exec, and
 *                                Python's would hide the agent's own)
 *   workload roundtrip N FDS     BEGIN+END round trips, FDS fds held open
 *   workload tests N             N tests, every 100th leaking one fd: the
 *                                verdicts must name exactly those
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <leakscope/client.h>

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static void op_open(void)
{
	int fd = open("/dev/null", O_RDONLY);

	if (fd < 0)
		die("open");
	close(fd);
}

static void op_socket(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0)
		die("socket");
	close(fd);
}

static void op_pipe(void)
{
	int p[2];

	if (pipe2(p, O_CLOEXEC))
		die("pipe2");
	close(p[0]);
	close(p[1]);
}

static void op_fork(void)
{
	pid_t pid = fork();

	if (pid < 0)
		die("fork");
	if (pid == 0)
		_exit(0);
	waitpid(pid, NULL, 0);
}

static void *nothing(void *arg)
{
	return arg;
}

static void op_thread(void)
{
	pthread_t t;

	if (pthread_create(&t, NULL, nothing, NULL))
		die("pthread_create");
	pthread_join(t, NULL);
}

static void op_mmap(void)
{
	void *p = mmap(NULL, 64 << 10, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		die("mmap");
	munmap(p, 64 << 10);
}

static void loop(void (*op)(void), long n)
{
	long long t;

	for (long i = 0; i < n / 20; i++) /* warm up */
		op();
	t = now_ns();
	for (long i = 0; i < n; i++)
		op();
	printf("ns_per_op=%.1f ops=%ld\n", (double)(now_ns() - t) / n, n);
}

static int run_exec(char **argv)
{
	long long t = now_ns();
	pid_t pid = fork();
	int status;

	if (pid < 0)
		die("fork");
	if (pid == 0) {
		execvp(argv[0], argv);
		die(argv[0]);
	}
	waitpid(pid, &status, 0);
	printf("ns_per_op=%.1f ops=1\n", (double)(now_ns() - t));
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

static int run_spawn(char **argv)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
	pid_t pid;
	int status;

	/* Signals sent to the whole process group are for CMD: wait on. */
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		signal(sigs[i], SIG_IGN);
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
			signal(sigs[i], SIG_DFL);
		execvp(argv[0], argv);
		die(argv[0]);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			die("waitpid");
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

/* BEGIN+END with @fds descriptors held open by the harness. */
static int roundtrip(long n, long fds)
{
	long long *t = calloc(n, sizeof(*t));
	struct ls_client *c;
	char name[32];
	int leaks, err;

	for (long i = 0; i < fds; i++)
		if (open("/dev/null", O_RDONLY) < 0)
			die("open");
	err = ls_client_connect(NULL, &c);
	if (err || !t) {
		fprintf(stderr, "connect: %s\n", strerror(-err));
		return 1;
	}
	for (long i = 0; i < n; i++) {
		long long s = now_ns();

		snprintf(name, sizeof(name), "rt%ld", i);
		if (ls_client_begin(c, name) ||
		    ls_client_end(c, name, "passed", &leaks) || leaks) {
			fprintf(stderr, "%s: %s\n", name,
				ls_client_last_reply(c));
			return 1;
		}
		t[i] = now_ns() - s;
	}
	qsort(t, n, sizeof(*t), cmp_ll);
	printf("ns_per_op=%lld ops=%ld p90=%lld max=%lld\n", t[n / 2], n,
	       t[n * 9 / 10], t[n - 1]);
	return 0;
}

/* Every 100th test leaks an fd: exactly those must be reported. */
static int tests(long n)
{
	struct ls_client *c;
	long wrong = 0, leaked = 0;
	long long t0 = now_ns();
	char name[32];
	int leaks;

	if (ls_client_connect(NULL, &c))
		die("connect");
	for (long i = 0; i < n; i++) {
		bool leak = i % 100 == 99;

		snprintf(name, sizeof(name), "test%ld", i);
		if (ls_client_begin(c, name))
			die("begin");
		close(open("/dev/null", O_RDONLY));
		if (leak && open("/dev/null", O_RDONLY) < 0)
			die("open");
		if (ls_client_end(c, name, "passed", &leaks))
			die("end");
		leaked += leak;
		wrong += leaks != (int)leak;
	}
	printf("ns_per_op=%.1f ops=%ld leaks=%ld wrong_verdicts=%ld\n",
	       (double)(now_ns() - t0) / n, n, leaked, wrong);
	return wrong ? 1 : 0;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		void (*op)(void);
	} ops[] = {
		{ "open", op_open },	 { "socket", op_socket },
		{ "pipe", op_pipe },	 { "fork", op_fork },
		{ "thread", op_thread }, { "mmap", op_mmap },
	};

	if (argc >= 3 && !strcmp(argv[1], "exec"))
		return run_exec(argv + 2);
	if (argc >= 3 && !strcmp(argv[1], "spawn"))
		return run_spawn(argv + 2);
	if (argc == 4 && !strcmp(argv[1], "roundtrip"))
		return roundtrip(atol(argv[2]), atol(argv[3]));
	if (argc == 3 && !strcmp(argv[1], "tests"))
		return tests(atol(argv[2]));
	for (size_t i = 0; argc == 3 && i < sizeof(ops) / sizeof(ops[0]); i++)
		if (!strcmp(argv[1], ops[i].name)) {
			loop(ops[i].op, atol(argv[2]));
			return 0;
		}
	fprintf(stderr, "usage: workload open|socket|pipe|fork|thread|mmap N"
			" | exec CMD... | spawn CMD... | roundtrip N FDS"
			" | tests N\n");
	return 2;
}
