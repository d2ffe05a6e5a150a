// SPDX-License-Identifier: GPL-2.0
/*
 * harness.c - a C test harness that marks its tests with the client library
 * (include/leakscope/client.h), for tests/bpf/test_tests_*.py.
 *
 * `harness SCENARIO...` connects with ls_client_connect(NULL) and runs each
 * SCENARIO as one test of the same name (BEGIN, the body, END "passed"), in
 * the order given, in this one process, so that a later scenario can release
 * what an earlier one leaked ("late"). For each test it prints the END reply
 * as
 *
 *   VERDICT <name> <json>
 *
 * and the facts the test needs to check the verdict exactly (pids, fds,
 * paths, ports) as KEY=VALUE lines. Every line is written with one write(2),
 * never buffered, so forks cannot duplicate it. Exit 0 when every scenario
 * did what it should, 1 with a message on stderr when a syscall or a
 * request failed unexpectedly, 2 for a bad command line.
 *
 * SCENARIO@TAG runs SCENARIO as a test named SCENARIO@TAG: one scenario
 * as many tests.
 *
 * Special forms:
 *   parallel N   fork N workers that each connect on their own and run
 *                test "parallel-<i>" at the same time (see run_parallel)
 *   errors       marks on its own: BEGIN/END errors, prints ERR_* facts
 *   ping         no test: PING and STATUS, prints PING= and STATUS=
 * When the connection is refused, harness prints CONNECT=<errno> <reason>
 * and exits 1.
 *
 * Everything a test leaks on purpose is named so that it cannot be mistaken
 * for anything else: temp files /tmp/lsh-<harness pid>-<n>, the cgroup
 * lsh-<pid>-cg<n>, threads "lsh-blocked", "lsh-late", "lsh-slow". Leaked
 * fds are close-on-exec, so the programs later tests run do not inherit
 * them; leaked threads run on static stacks (no mapping of their own, so
 * each leak test leaks exactly one thing). Children sleep at most 60 s.
 *
 * This file keeps the connection, the helpers, the marking (begin_test,
 * end_test) and the scenario table; the scenarios live beside it in
 * harness/: leaks.c (one kind each, leaked or clean; churn), timing.c
 * (what ends just after END, or in a later test), attribution.c (dups,
 * allow, suppressions) and modes.c (errors, ping, parallel), with what they
 * share declared in harness/harness.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <leakscope/client.h>
#include "common/wl.h"
#include "harness/harness.h"

struct ls_client *ls;
pid_t self;
static int temp_n;
static char cgroup_dir[PATH_MAX]; /* our own cgroup's directory */

/* ---- small helpers ---- */

void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

void wait_ok(pid_t pid, int want_code, const char *what)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			die(what);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != want_code)
		fail(what);
}

/* "/tmp/lsh-<harness pid>-<n>" */
void temp_path(char *out, size_t len)
{
	if (snprintf(out, len, "/tmp/lsh-%d-%d", (int)self, temp_n++) >=
	    (int)len)
		fail("temp path too long");
}

int make_temp(char *path, size_t len, const char *data)
{
	int fd;

	temp_path(path, len);
	fd = ok(open(path, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600),
		"create temp file");
	write_all(fd, data, strlen(data));
	return fd;
}

/* Our cgroup's directory: the cgroup2 mount (/proc/self/mountinfo) plus
 * our path in it (/proc/self/cgroup, line "0::PATH"). */
static void find_cgroup_dir(void)
{
	char line[4096], mnt[PATH_MAX] = "", own[PATH_MAX] = "";
	FILE *f = fopen("/proc/self/mountinfo", "re");

	if (!f)
		die("open /proc/self/mountinfo");
	while (!mnt[0] && fgets(line, sizeof(line), f)) {
		char *sep = strstr(line, " - "), point[PATH_MAX], type[64];

		if (sep && sscanf(sep, " - %63s", type) == 1 &&
		    !strcmp(type, "cgroup2") &&
		    sscanf(line, "%*s %*s %*s %*s %4095s", point) == 1)
			snprintf(mnt, sizeof(mnt), "%s", point);
	}
	fclose(f);
	f = fopen("/proc/self/cgroup", "re");
	if (!f)
		die("open /proc/self/cgroup");
	while (!own[0] && fgets(line, sizeof(line), f))
		if (!strncmp(line, "0::", 3)) {
			line[strcspn(line, "\n")] = 0;
			snprintf(own, sizeof(own), "%s", line + 3);
		}
	fclose(f);
	if (!mnt[0] || !own[0])
		fail("no cgroup2 mount or no cgroup2 path");
	if (snprintf(cgroup_dir, sizeof(cgroup_dir), "%s%s", mnt,
		     strcmp(own, "/") ? own : "") >= (int)sizeof(cgroup_dir))
		fail("cgroup path too long");
}

void cgroup_child(char *out, size_t len)
{
	if (snprintf(out, len, "%s/lsh-%d-cg%d", cgroup_dir, (int)self,
		     temp_n++) >= (int)len)
		fail("cgroup path too long");
}

/* A thread on a static stack (no mapping of its own). */
void start_thread(pthread_t *t, void *stack, void *(*fn)(void *), void *arg,
		  int detached)
{
	pthread_attr_t a;

	ok_pt(pthread_attr_init(&a), "pthread_attr_init");
	ok_pt(pthread_attr_setstack(&a, stack, THREAD_STACK),
	      "pthread_attr_setstack");
	if (detached)
		ok_pt(pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED),
		      "pthread_attr_setdetachstate");
	ok_pt(pthread_create(t, &a, fn, arg), "pthread_create");
	pthread_attr_destroy(&a);
}

/* ---- marking ---- */

static void begin_test(const char *name)
{
	int rc = ls_client_begin(ls, name);

	if (rc) {
		dprintf(STDERR_FILENO, "harness: BEGIN %s: %d %s\n", name, rc,
			ls_client_last_reply(ls));
		_exit(1);
	}
}

static void end_test(const char *name)
{
	int leaks = -1, rc = ls_client_end(ls, name, "passed", &leaks);

	if (rc) {
		dprintf(STDERR_FILENO, "harness: END %s: %d %s\n", name, rc,
			ls_client_last_reply(ls));
		_exit(1);
	}
	say("VERDICT %s %s", name, ls_client_last_reply(ls));
	say("LEAKS %s %d", name, leaks); /* ls_client_end's count */
}

/* ---- main ---- */

static const struct {
	const char *name;
	void (*fn)(void);
	void (*after)(void); /* after END, outside any test */
} scenarios[] = {
	{ "fd-leak", t_fd_leak, NULL },
	{ "socket-leak", t_socket_leak, NULL },
	{ "process-leak", t_process_leak, NULL },
	{ "process-escape", t_process_escape, NULL },
	{ "spawn-devnull", t_spawn_devnull, NULL },
	{ "zombie", t_zombie, NULL },
	{ "zombie-reap", t_zombie_reap, NULL },
	{ "thread-leak", t_thread_leak, NULL },
	{ "mapping-leak", t_mapping_leak, NULL },
	{ "mapping-small", t_mapping_small, NULL },
	{ "tempfile-leak", t_tempfile_leak, NULL },
	{ "cgroup-leak", t_cgroup_leak, NULL },
	{ "fd-clean", t_fd_clean, NULL },
	{ "socket-clean", t_socket_clean, NULL },
	{ "process-clean", t_process_clean, NULL },
	{ "thread-clean", t_thread_clean, NULL },
	{ "thread-malloc-clean", t_thread_malloc_clean, NULL },
	{ "mapping-clean", t_mapping_clean, NULL },
	{ "tempfile-clean", t_tempfile_clean, NULL },
	{ "cgroup-clean", t_cgroup_clean, NULL },
	{ "churn", t_churn, NULL },
	{ "thread-after-end", t_thread_after_end, NULL },
	{ "child-after-end", t_child_after_end, NULL },
	{ "thread-slow-exit", t_thread_slow_exit, after_thread_slow_exit },
	{ "fd-late-open", t_fd_late_open, NULL },
	{ "fd-late-close", t_fd_late_close, NULL },
	{ "process-late-start", t_process_late_start, NULL },
	{ "process-late-kill", t_process_late_kill, NULL },
	{ "dup-stdout", t_dup_stdout, NULL },
	{ "dup-own", t_dup_own, NULL },
	{ "allow", t_allow, NULL },
	{ "two-fds", t_two_fds, NULL },
	{ "errors", NULL, t_errors },
	{ "ping", NULL, t_ping },
};

#define N_SCENARIOS (sizeof(scenarios) / sizeof(scenarios[0]))

/* SCENARIO, or SCENARIO@TAG: the same body as a test of another name. */
static size_t scenario_of(const char *arg)
{
	size_t len = strcspn(arg, "@"), i;

	for (i = 0; i < N_SCENARIOS; i++)
		if (strlen(scenarios[i].name) == len &&
		    !strncmp(arg, scenarios[i].name, len))
			break;
	return i;
}

static int usage(void)
{
	dprintf(STDERR_FILENO, "usage: harness SCENARIO... (parallel N)\n");
	for (size_t i = 0; i < N_SCENARIOS; i++)
		dprintf(STDERR_FILENO, "  %s\n", scenarios[i].name);
	return 2;
}

int main(int argc, char **argv)
{
	int rc;

	wl_prog = wl_scenario = "harness";
	if (argc < 2)
		return usage();
	self = getpid();
	find_cgroup_dir();
	rc = ls_client_connect(NULL, &ls);
	if (rc) {
		/* Reported on stdout: the tests check the refusals. */
		say("CONNECT=%d %s", rc, ls_client_last_reply(ls));
		return 1;
	}
	say("HARNESS_PID=%d", (int)self);
	say("CGROUP_DIR=%s", cgroup_dir);
	for (int a = 1; a < argc; a++) {
		size_t i;

		if (!strcmp(argv[a], "parallel") && a + 1 < argc) {
			run_parallel(atoi(argv[++a]));
			continue;
		}
		i = scenario_of(argv[a]);
		if (i == N_SCENARIOS)
			return usage();
		wl_scenario = argv[a];
		if (scenarios[i].fn) {
			begin_test(wl_scenario);
			scenarios[i].fn();
			end_test(wl_scenario);
		}
		if (scenarios[i].after)
			scenarios[i].after();
	}
	ls_client_close(ls);
	say("HARNESS_DONE=1");
	return 0;
}
