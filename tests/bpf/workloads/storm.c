// SPDX-License-Identifier: GPL-2.0
/*
 * storm.c - accuracy under storms, for tests/bpf/test_storm.py: several
 * worker processes run their own sequences of tests at the same time (each
 * connects with ls_client_connect(NULL) and marks its tests with
 * ls_client_begin/ls_client_end), and every test churns fds, sockets,
 * threads and child processes as fast as the machine allows for a bounded
 * time, from several threads, with a known set of deliberate leaks
 * sprinkled in the middle of the churn.
 *
 *   storm [-w WORKERS] [-n TESTS] [-m MS] [-c CHURNERS] [-d DIR]
 *         [-k KIND,...] [-l N]
 *   storm -o [-b THREADS]
 *
 *   -w  worker processes (3), each running its own tests in parallel
 *   -n  tests per worker (8), named "storm-w<worker>-t<test>"
 *   -m  how long each test churns, in ms (150)
 *   -c  churning threads per worker besides its main thread (2)
 *   -d  directory holding the file "<test name>" for every test that leaks
 *       an fd (made by the caller, so that opening it creates no temp file)
 *   -k  the leak kinds to cycle through instead (none, fd, socket, thread,
 *       process): test j of worker i leaks kinds[(3 * i + j) % n]
 *   -l  objects each leaking test leaks (1), all of its kind, with a churn
 *       round between two
 *   -o  the overlap scenario instead (see run_overlap): -b THREADS alive at
 *       once in its burst test (48)
 *
 * Which test leaks what is fixed: test j of worker i leaks
 * LEAK_KINDS[(3 * i + j) % 5] (nothing, an fd, a listening TCP socket, a
 * thread that blocks forever, a child `sleep 60`), made by the worker's main
 * thread halfway through the churn. Lines on stdout, each written with one
 * write(2) (never buffered, so forks cannot duplicate them):
 *
 *   STORM_PID=<pid>
 *   WORKER <i> <pid>
 *   VERDICT <name> <json>              the END reply
 *   LEAKS <name> <n>                   ls_client_end's count
 *   LEAKED <name> fd <pid> <fd> <path>
 *   LEAKED <name> socket <pid> <fd> <port>
 *   LEAKED <name> thread <pid> <tid>
 *   LEAKED <name> process <child pid> <parent pid>
 *   OPS <name> <start ms> <ms> <fds> <sockets> <threads> <forks>
 *                                      what the test churned (fds without
 *                                      the sockets), from when (monotonic
 *                                      clock) and for how long
 *   WORKER_DONE <i> <ms> <fds> <sockets> <threads> <forks>
 *   STORM_DONE=1
 *
 * Everything churned is released before END; every fd is close-on-exec, so
 * a `sleep 60` leaked by one test never holds another's fd. Workers keep
 * their leaks (fds, sockets, threads) until every worker has ended its last
 * test, then exit without cleaning up: those stay "leak" in the final
 * report; the `sleep 60` children outlive the run ("orphan") and leakscope
 * ends them. The churning threads warm up (a first thread, fork, socket)
 * before the first test, so glibc's per-thread caches are not any test's.
 *
 * Outside leakscope (no $LEAKSCOPE_SOCK) the same storm runs unwatched,
 * without VERDICT lines: the untraced rate, for comparison.
 *
 * Exit 0 when everything went as planned; 1 with a message on stderr when a
 * syscall or a request failed; 2 for a bad command line.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <leakscope/client.h>
#include "common/wl.h"

#define MAX_WORKERS	 16
#define MAX_CHURNERS	 16
#define MAX_TESTS	 64
#define MAX_LEAK_THREADS (MAX_TESTS / 5 + 1)
#define LEAK_STACK	 (64 * 1024)
#define BURST_STACK	 (64 * 1024)
#define MAX_BURST	 256

enum leak { LEAK_NONE, LEAK_FD, LEAK_SOCKET, LEAK_THREAD, LEAK_PROCESS };
static const enum leak LEAK_KINDS[5] = { LEAK_NONE, LEAK_FD, LEAK_SOCKET,
					 LEAK_THREAD, LEAK_PROCESS };

static int n_workers = 3, n_tests = 8, churn_ms = 150, n_churners = 2;
static int burst_threads = 48;
static int leaks_per_test = 1;
static enum leak kinds[5];
static int n_kinds;
static const char *leak_dir;

/* ---- small helpers ---- */

static void wait_ok(pid_t pid, int want_code, const char *what)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			die(what);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != want_code)
		fail(what);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* One byte through a gate pipe; EOF (all writers closed) also opens it. */
static void wait_gate(int fd)
{
	char c;

	if (read_full(fd, &c, 1) < 0)
		die("gate");
}

/* ---- the churn ---- */

struct ops {
	unsigned long fds, sockets, threads, forks;
};

static void *short_thread(void *arg)
{
	return arg;
}

/* A TCP round on loopback: listener, client, accepted. The client closes
 * first with SO_LINGER 0 (a reset): no TIME_WAIT piles up. */
static void tcp_round(struct ops *o)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct linger lg = { 1, 0 };
	socklen_t len = sizeof(sa);
	int l = ok(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), "socket");
	int c, a;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ok(bind(l, (struct sockaddr *)&sa, sizeof(sa)), "bind");
	ok(listen(l, 4), "listen");
	ok(getsockname(l, (struct sockaddr *)&sa, &len), "getsockname");
	c = ok(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), "socket");
	ok(connect(c, (struct sockaddr *)&sa, sizeof(sa)), "connect");
	a = ok(accept4(l, NULL, NULL, SOCK_CLOEXEC), "accept4");
	write_all(c, "x", 1);
	ok(setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)), "linger");
	close_ok(c);
	close_ok(a);
	close_ok(l);
	o->sockets += 3;
}

/* One round: files, eventfds, pipes, UDP and unix sockets every time; a
 * TCP round and a thread every 8th, a child every 16th. Everything is
 * released before it returns. */
static void churn_round(unsigned long r, struct ops *o)
{
	int p[2], sp[2], fd;

	fd = ok(open("/etc/hostname", O_RDONLY | O_CLOEXEC), "open");
	close_ok(fd);
	fd = ok(eventfd(0, EFD_CLOEXEC), "eventfd");
	close_ok(fd);
	ok(pipe2(p, O_CLOEXEC), "pipe2");
	close_ok(p[0]);
	close_ok(p[1]);
	o->fds += 4;
	fd = ok(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), "udp socket");
	close_ok(fd);
	ok(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp),
	   "socketpair");
	close_ok(sp[0]);
	close_ok(sp[1]);
	o->sockets += 3;
	if (r % 8 == 0) {
		pthread_t t;

		tcp_round(o);
		ok_pt(pthread_create(&t, NULL, short_thread, NULL),
		      "pthread_create");
		ok_pt(pthread_join(t, NULL), "pthread_join");
		o->threads++;
	}
	if (r % 16 == 0) {
		pid_t pid = ok(fork(), "fork");

		if (pid == 0)
			_exit(0);
		wait_ok(pid, 0, "churn child");
		o->forks++;
	}
}

static void churn_until(uint64_t deadline, struct ops *o)
{
	for (unsigned long r = 0; r == 0 || now_ns() < deadline; r++)
		churn_round(r, o);
}

static void ops_add(struct ops *sum, const struct ops *o)
{
	sum->fds += o->fds;
	sum->sockets += o->sockets;
	sum->threads += o->threads;
	sum->forks += o->forks;
}

/* The churning threads of a worker: each waits for a new round (gen), churns
 * until the deadline, and says it is done. */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv_go = PTHREAD_COND_INITIALIZER;
static pthread_cond_t cv_done = PTHREAD_COND_INITIALIZER;
static unsigned int gen;
static uint64_t round_deadline;
static int n_done, quit;
static struct ops churner_ops[MAX_CHURNERS];

static void *churner(void *arg)
{
	int idx = (int)(long)arg;
	unsigned int seen = 0;

	pthread_setname_np(pthread_self(), "storm-churn");
	for (;;) {
		uint64_t deadline;

		pthread_mutex_lock(&mu);
		while (gen == seen && !quit)
			pthread_cond_wait(&cv_go, &mu);
		if (quit) {
			pthread_mutex_unlock(&mu);
			return NULL;
		}
		seen = gen;
		deadline = round_deadline;
		pthread_mutex_unlock(&mu);
		memset(&churner_ops[idx], 0, sizeof(churner_ops[idx]));
		churn_until(deadline, &churner_ops[idx]);
		pthread_mutex_lock(&mu);
		n_done++;
		pthread_cond_signal(&cv_done);
		pthread_mutex_unlock(&mu);
	}
}

static void start_round(uint64_t deadline)
{
	pthread_mutex_lock(&mu);
	round_deadline = deadline;
	n_done = 0;
	gen++;
	pthread_cond_broadcast(&cv_go);
	pthread_mutex_unlock(&mu);
}

static void wait_round(struct ops *sum)
{
	pthread_mutex_lock(&mu);
	while (n_done < n_churners)
		pthread_cond_wait(&cv_done, &mu);
	pthread_mutex_unlock(&mu);
	for (int i = 0; i < n_churners; i++)
		ops_add(sum, &churner_ops[i]);
}

/* ---- deliberate leaks ---- */

/* Leaked threads run on static stacks: no mapping of their own, so each
 * leak test leaks exactly one thing. */
static char leak_stacks[MAX_LEAK_THREADS][LEAK_STACK]
	__attribute__((aligned(4096)));
static int n_leak_threads;
static struct wl_blocker leak_blocker;

static void leak_thread(const char *name)
{
	pthread_attr_t a;
	pthread_t t;

	if (n_leak_threads == MAX_LEAK_THREADS)
		fail("too many thread leaks");
	wl_blocker_init(&leak_blocker, "storm-leak");
	ok_pt(pthread_attr_init(&a), "pthread_attr_init");
	ok_pt(pthread_attr_setstack(&a, leak_stacks[n_leak_threads++],
				    LEAK_STACK),
	      "pthread_attr_setstack");
	ok_pt(pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED),
	      "pthread_attr_setdetachstate");
	ok_pt(pthread_create(&t, &a, wl_blocked_thread, &leak_blocker),
	      "pthread_create");
	pthread_attr_destroy(&a);
	say("LEAKED %s thread %d %d", name, (int)getpid(),
	    (int)wl_blocker_wait(&leak_blocker));
}

static void leak_fd(const char *name)
{
	char path[PATH_MAX];
	int fd;

	if (!leak_dir)
		fail("an fd leak needs -d DIR");
	if (snprintf(path, sizeof(path), "%s/%s", leak_dir, name) >=
	    (int)sizeof(path))
		fail("leak path too long");
	fd = ok(open(path, O_RDONLY | O_CLOEXEC), path);
	say("LEAKED %s fd %d %d %s", name, (int)getpid(), fd, path);
}

static void leak_socket(const char *name)
{
	int fd = ok(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), "socket");

	say("LEAKED %s socket %d %d %d", name, (int)getpid(), fd,
	    wl_listen_loopback(fd));
}

static void leak_process(const char *name)
{
	say("LEAKED %s process %d %d", name, (int)wl_spawn_sleep("60", -1),
	    (int)getpid());
}

static void make_leak(enum leak kind, const char *name)
{
	switch (kind) {
	case LEAK_FD:
		leak_fd(name);
		break;
	case LEAK_SOCKET:
		leak_socket(name);
		break;
	case LEAK_THREAD:
		leak_thread(name);
		break;
	case LEAK_PROCESS:
		leak_process(name);
		break;
	case LEAK_NONE:
		break;
	}
}

/* ---- marking ---- */

static void begin_test(struct ls_client *c, const char *name)
{
	int rc = c ? ls_client_begin(c, name) : 0;

	if (rc) {
		dprintf(STDERR_FILENO, "%s: BEGIN %s: %d %s\n", wl_scenario,
			name, rc, ls_client_last_reply(c));
		_exit(1);
	}
}

static void end_test(struct ls_client *c, const char *name)
{
	int leaks = -1, rc;

	if (!c)
		return; /* not watched */
	rc = ls_client_end(c, name, "passed", &leaks);
	if (rc) {
		dprintf(STDERR_FILENO, "%s: END %s: %d %s\n", wl_scenario, name,
			rc, ls_client_last_reply(c));
		_exit(1);
	}
	say("VERDICT %s %s", name, ls_client_last_reply(c));
	say("LEAKS %s %d", name, leaks);
}

/* NULL when not run under leakscope: the tests run unwatched (to measure
 * the untraced rate). */
static struct ls_client *connect_ok(void)
{
	struct ls_client *c = NULL;
	int rc = ls_client_connect(NULL, &c);

	if (rc == -ENOENT)
		return NULL;
	if (rc) {
		errno = -rc;
		die("ls_client_connect");
	}
	return c;
}

/* ---- the storm ---- */

/* Before the first test: a thread, a child and a TCP round from every
 * thread of the worker, so that what glibc makes once per thread or per
 * process (malloc arenas, the dtv, the stack cache) belongs to no test. */
static void warm_up(void)
{
	struct ops o = { 0 };

	start_round(0);
	churn_round(0, &o);
	wait_round(&o);
}

static void __attribute__((noreturn)) worker(int i, int done_fd, int go_fd)
{
	static char wname[32];
	struct ls_client *c;
	pthread_t th[MAX_CHURNERS];
	struct ops total = { 0 };
	uint64_t t0;

	snprintf(wname, sizeof(wname), "storm worker %d", i);
	wl_scenario = wname;
	c = connect_ok();
	for (int k = 0; k < n_churners; k++)
		ok_pt(pthread_create(&th[k], NULL, churner, (void *)(long)k),
		      "pthread_create churner");
	warm_up();
	t0 = now_ns();
	for (int j = 0; j < n_tests; j++) {
		enum leak kind = kinds[(3 * i + j) % n_kinds];
		struct ops o = { 0 };
		char name[64];
		uint64_t start, half, end;

		snprintf(name, sizeof(name), "storm-w%d-t%02d", i, j);
		begin_test(c, name);
		start = now_ns();
		end = start + churn_ms * 1000000ULL;
		half = start + churn_ms * 500000ULL;
		start_round(end);
		churn_until(half, &o);
		for (int k = 0; k < leaks_per_test; k++) {
			if (k) /* between leaks, as between the others' fds */
				churn_round(1, &o);
			make_leak(kind, name);
		}
		churn_until(end, &o);
		wait_round(&o);
		say("OPS %s %.3f %.3f %lu %lu %lu %lu", name, start / 1e6,
		    (now_ns() - start) / 1e6, o.fds, o.sockets, o.threads,
		    o.forks);
		ops_add(&total, &o);
		end_test(c, name);
	}
	pthread_mutex_lock(&mu);
	quit = 1;
	pthread_cond_broadcast(&cv_go);
	pthread_mutex_unlock(&mu);
	for (int k = 0; k < n_churners; k++)
		ok_pt(pthread_join(th[k], NULL), "pthread_join churner");
	say("WORKER_DONE %d %.3f %lu %lu %lu %lu", i, (now_ns() - t0) / 1e6,
	    total.fds, total.sockets, total.threads, total.forks);
	ls_client_close(c);
	/* Keep the leaks until every worker has ended its last test. */
	write_all(done_fd, "d", 1);
	wait_gate(go_fd);
	_exit(0);
}

static void run_storm(void)
{
	int done[2], go[2];
	pid_t pids[MAX_WORKERS];
	char buf[MAX_WORKERS];

	ok(pipe2(done, O_CLOEXEC), "pipe");
	ok(pipe2(go, O_CLOEXEC), "pipe");
	for (int i = 0; i < n_workers; i++) {
		pids[i] = ok(fork(), "fork worker");
		if (pids[i] == 0) {
			close(done[0]);
			close(go[1]);
			worker(i, done[1], go[0]);
		}
		say("WORKER %d %d", i, (int)pids[i]);
	}
	close_ok(done[1]);
	close_ok(go[0]);
	if (read_full(done[0], buf, n_workers) != n_workers)
		fail("a worker died");
	close_ok(go[1]); /* every test is over: the workers exit */
	for (int i = 0; i < n_workers; i++)
		wait_ok(pids[i], 0, "worker");
	close_ok(done[0]);
}

/* ---- overlap: a loss while a test runs lowers its confidence ---- */

static pthread_barrier_t burst_alive, burst_release;
static char burst_stacks[MAX_BURST][BURST_STACK] __attribute__((aligned(4096)));

static void *burst_thread(void *arg)
{
	(void)arg;
	pthread_barrier_wait(&burst_alive);
	pthread_barrier_wait(&burst_release);
	return NULL;
}

/* THREADS threads alive at once (more than --max-threads: the thread
 * table overflows), then all joined: the test leaks nothing. */
static void burst(void)
{
	pthread_t t[MAX_BURST];

	ok_pt(pthread_barrier_init(&burst_alive, NULL, burst_threads + 1),
	      "barrier");
	ok_pt(pthread_barrier_init(&burst_release, NULL, burst_threads + 1),
	      "barrier");
	for (int k = 0; k < burst_threads; k++) {
		pthread_attr_t a;

		ok_pt(pthread_attr_init(&a), "pthread_attr_init");
		ok_pt(pthread_attr_setstack(&a, burst_stacks[k], BURST_STACK),
		      "pthread_attr_setstack");
		ok_pt(pthread_create(&t[k], &a, burst_thread, NULL),
		      "pthread_create burst");
		pthread_attr_destroy(&a);
	}
	pthread_barrier_wait(&burst_alive);
	pthread_barrier_wait(&burst_release);
	for (int k = 0; k < burst_threads; k++)
		ok_pt(pthread_join(t[k], NULL), "pthread_join burst");
	say("BURST_THREADS=%d", burst_threads);
}

/* A child process that connects on its own and runs one test. */
static void run_child_test(const char *name, void (*body)(void))
{
	pid_t pid = ok(fork(), "fork");

	if (pid == 0) {
		struct ls_client *c;

		wl_scenario = name;
		c = connect_ok();
		begin_test(c, name);
		if (body)
			body();
		end_test(c, name);
		ls_client_close(c);
		_exit(0);
	}
	wait_ok(pid, 0, name);
}

/*
 * overlap-long runs (in this process) while, one after the other,
 * overlap-before (nothing), overlap-burst (the loss) and overlap-after
 * (nothing) run in child processes, each from BEGIN to END. Every later
 * BEGIN comes after the loss: overlap-long must still say "reduced".
 */
static void run_overlap(void)
{
	struct ls_client *c = connect_ok();

	wl_scenario = "overlap-long";
	begin_test(c, "overlap-long");
	run_child_test("overlap-before", NULL);
	run_child_test("overlap-burst", burst);
	sleep_ms(50);
	run_child_test("overlap-after", NULL);
	end_test(c, "overlap-long");
	ls_client_close(c);
}

/* ---- main ---- */

static int usage(void)
{
	dprintf(STDERR_FILENO,
		"usage: storm [-w WORKERS] [-n TESTS] [-m MS] [-c CHURNERS] "
		"[-d DIR] [-k KIND,...] [-l N]\n"
		"       storm -o [-b THREADS]\n");
	return 2;
}

static int int_arg(const char *s, int lo, int hi, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (!*s || *end || errno || v < lo || v > hi)
		return -1;
	*out = (int)v;
	return 0;
}

/* -k none,fd,socket,thread,process: the kinds test j of worker i cycles
 * through, kinds[(3 * i + j) % n]. */
static int parse_kinds(char *list)
{
	static const char *const names[] = { "none", "fd", "socket", "thread",
					     "process" };

	n_kinds = 0;
	for (char *save = NULL, *w = strtok_r(list, ",", &save); w;
	     w = strtok_r(NULL, ",", &save)) {
		int k;

		for (k = 0; k < 5 && strcmp(w, names[k]); k++)
			;
		if (k == 5 || n_kinds == 5)
			return -1;
		kinds[n_kinds++] = (enum leak)k;
	}
	return n_kinds ? 0 : -1;
}

int main(int argc, char **argv)
{
	int opt, overlap = 0, bad = 0;

	wl_scenario = "storm";
	while ((opt = getopt(argc, argv, "w:n:m:c:d:ob:k:l:")) != -1) {
		switch (opt) {
		case 'w':
			bad |= int_arg(optarg, 1, MAX_WORKERS, &n_workers);
			break;
		case 'n':
			bad |= int_arg(optarg, 1, MAX_TESTS, &n_tests);
			break;
		case 'm':
			bad |= int_arg(optarg, 1, 60000, &churn_ms);
			break;
		case 'c':
			bad |= int_arg(optarg, 0, MAX_CHURNERS, &n_churners);
			break;
		case 'd':
			leak_dir = optarg;
			break;
		case 'o':
			overlap = 1;
			break;
		case 'b':
			bad |= int_arg(optarg, 1, MAX_BURST, &burst_threads);
			break;
		case 'k':
			bad |= parse_kinds(optarg);
			break;
		case 'l':
			bad |= int_arg(optarg, 1, 1000, &leaks_per_test);
			break;
		default:
			return usage();
		}
	}
	if (bad || optind != argc)
		return usage();
	if (!n_kinds) {
		memcpy(kinds, LEAK_KINDS, sizeof(kinds));
		n_kinds = 5;
	}
	if (leaks_per_test * n_tests > 800) /* fds: RLIMIT_NOFILE is 1024 */
		return usage();
	say("STORM_PID=%d", (int)getpid());
	if (overlap)
		run_overlap();
	else
		run_storm();
	say("STORM_DONE=1");
	return 0;
}
