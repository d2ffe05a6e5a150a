// SPDX-License-Identifier: GPL-2.0
/*
 * workload.c - the benchmark's workloads: each one times its own loop and
 * prints "ns_per_op=<x> ops=<n> ..." on stdout, so start-up and teardown of
 * whatever wraps it (leakscope, strace, valgrind) are not in the number.
 * For the syscall loops x is the median of ~10 ms blocks (see loop()).
 *
 *   workload open N | socket N | pipe N | fork N | thread N | mmap N
 *   workload parts CMD [ARGS] -- PART...
 *                                time "CMD ARGS PART" for each PART in turn
 *                                (the realistic load: one test module each)
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

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

#define BLOCK_NS     10000000LL	 /* ~10 ms of work per timed block */
#define PROBE_BYTES  (512 << 10) /* half the L2 of a core here */
#define PROBE_PASSES 4		 /* the last one is timed */

/*
 * How much of its core this thread has right now: the time to read every
 * cache line of @buf once more after a first read has brought it into the
 * L2. These VMs switch between two speeds for 0.1-4 s at a time. In the
 * slow one every syscall takes 20-30% longer, traced or not, and this
 * read ~8-9 us instead of ~4.6, while a loop of ALU work slows by 2%: the
 * core's caches are shared with something else then (it comes and goes
 * with activity on the other virtual CPU: a busy loop there puts the
 * machine in it ~70% of the time, against ~30% with it idle). The times
 * fall in two clear groups (4-5 us, 7-10 us). Nothing a tracer does in
 * the block before moves them: the first read refills @buf from wherever
 * the block left it, untimed. ~50 us per 10 ms block, outside the timed
 * work.
 */
static long long probe_core(const volatile unsigned char *buf)
{
	long long t = 0;
	unsigned sum = 0;

	for (int pass = 0; pass < PROBE_PASSES; pass++) {
		t = now_ns();
		for (long i = 0; i < PROBE_BYTES; i += 64)
			sum += buf[i];
		t = now_ns() - t;
	}
	(void)sum;
	return t;
}

/* The probe's buffer, left out of the children that op() may fork: each
 * fork would copy its page table entries, a cost no tool causes. */
static unsigned char *probe_buffer(void)
{
	unsigned char *buf = mmap(NULL, PROBE_BYTES, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (buf == MAP_FAILED)
		die("mmap");
	if (madvise(buf, PROBE_BYTES, MADV_DONTFORK))
		die("madvise");
	memset(buf, 1, PROBE_BYTES);
	return buf;
}

static void print_list(const char *key, const double *v, long n)
{
	printf(" %s=", key);
	for (long i = 0; i < n; i++)
		printf(i ? ",%.1f" : "%.1f", v[i]);
}

/*
 * Time @n calls of @op in blocks of ~10 ms. ns_per_op is the median
 * block's time per op; mean_ns the whole loop's. block_ns lists each
 * block's time per op in the order run, and probe_ns the core probe
 * taken after it (probe_core()), so the bench can compare blocks run at
 * the same machine speed (tools/bench/analysis.py).
 */
static void loop(void (*op)(void), long n)
{
	long long t, work = 0;
	double *blk, *probe, *sorted;
	long per, nblk = 0, done = 0, warm = n / 20 > 0 ? n / 20 : 1;
	unsigned char *buf = probe_buffer();

	t = now_ns();
	for (long i = 0; i < warm; i++)
		op();
	per = BLOCK_NS / ((now_ns() - t) / warm + 1);
	per = per < 1 ? 1 : per > n ? n : per;
	blk = calloc(n / per + 1, sizeof(*blk));
	probe = calloc(n / per + 1, sizeof(*probe));
	sorted = calloc(n / per + 1, sizeof(*sorted));
	if (!blk || !probe || !sorted)
		die("calloc");
	while (done < n) {
		long k = n - done < per ? n - done : per;

		t = now_ns();
		for (long i = 0; i < k; i++)
			op();
		t = now_ns() - t;
		work += t;
		/* A short last block is left to the mean. */
		if (k == per || !nblk) {
			blk[nblk] = (double)t / k;
			probe[nblk++] = (double)probe_core(buf);
		}
		done += k;
	}
	memcpy(sorted, blk, nblk * sizeof(*blk));
	qsort(sorted, nblk, sizeof(*sorted), cmp_double);
	printf("ns_per_op=%.1f ops=%ld mean_ns=%.1f blocks=%ld "
	       "block_min_ns=%.1f block_max_ns=%.1f",
	       sorted[nblk / 2], n, (double)work / n, nblk, sorted[0],
	       sorted[nblk - 1]);
	print_list("block_ns", blk, nblk);
	print_list("probe_ns", probe, nblk);
	putchar('\n');
	free(sorted);
	free(probe);
	free(blk);
	munmap(buf, PROBE_BYTES);
}

/* Run and time the command without printing; its exit code, or 1. */
static int timed_run(char **argv, long long *ns)
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
	*ns = now_ns() - t;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

/*
 * parts CMD [ARGS] -- PART...: run "CMD ARGS PART" for each PART in turn
 * and time each (part_<PART>=ns); ns_per_op is their sum. The bench sums
 * each part's median over repetitions: a host slow spell then has to
 * cover most of one part's runs to move the total.
 */
static int run_parts(int argc, char **argv)
{
	int sep = 0, nparts, rc = 0;
	long long total = 0, *ns;
	char **cmd;

	while (sep < argc && strcmp(argv[sep], "--"))
		sep++;
	nparts = argc - sep - 1;
	if (!sep || nparts < 1) {
		fprintf(stderr,
			"usage: workload parts CMD [ARGS] -- PART...\n");
		return 2;
	}
	cmd = calloc(sep + 2, sizeof(*cmd));
	ns = calloc(nparts, sizeof(*ns));
	if (!cmd || !ns)
		die("calloc");
	memcpy(cmd, argv, sep * sizeof(*cmd));
	for (int i = 0; i < nparts; i++) {
		int code;

		cmd[sep] = argv[sep + 1 + i];
		code = timed_run(cmd, &ns[i]);
		if (code && !rc)
			rc = code;
		total += ns[i];
	}
	printf("ns_per_op=%lld ops=%d", total, nparts);
	for (int i = 0; i < nparts; i++)
		printf(" part_%s=%lld", argv[sep + 1 + i], ns[i]);
	printf("\n");
	free(ns);
	free(cmd);
	return rc;
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

	if (argc >= 3 && !strcmp(argv[1], "parts"))
		return run_parts(argc - 2, argv + 2);
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
			" | parts CMD... -- PART..."
			" | spawn CMD... | roundtrip N FDS"
			" | tests N\n");
	return 2;
}
