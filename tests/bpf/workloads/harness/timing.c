// SPDX-License-Identifier: GPL-2.0
/*
 * timing.c - the scenarios of tests/bpf/workloads/harness.c whose verdict
 * depends on when a resource goes away: threads and children that end just
 * after END (the verdict's backoff) or long after it (thread-slow-exit,
 * joined outside any test), and fds and processes leaked by one test and
 * released by a later one ("late"). Helpers: harness.h.
 */
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "../common/wl.h"
#include "harness.h"

#define AFTER_END_MS 50
#define SLOW_EXIT_MS 2000

/* What a test leaves for a later one to release. */
static int late_fd = -1;
static pid_t late_pid;
static pthread_t slow_thread;

/* ---- what ends just after END (the verdict's backoff), or long after ---- */

static char late_stack[THREAD_STACK] __attribute__((aligned(4096)));
static char reaper_stack[THREAD_STACK] __attribute__((aligned(4096)));
static char slow_stack[THREAD_STACK] __attribute__((aligned(4096)));
static sem_t go_late, late_started;
static pid_t late_tid;

/* Blocks until the test is about to send END, then lives @arg ms more. */
static void *ending_thread(void *arg)
{
	pthread_setname_np(pthread_self(), (const char *)arg);
	late_tid = wl_gettid();
	sem_post(&late_started);
	while (sem_wait(&go_late))
		;
	sleep_ms(strcmp(arg, "lsh-slow") ? AFTER_END_MS : SLOW_EXIT_MS);
	return NULL;
}

static void start_ending_thread(pthread_t *t, void *stack, const char *name,
				int detached)
{
	sem_init(&go_late, 0, 0);
	sem_init(&late_started, 0, 0);
	start_thread(t, stack, ending_thread, (void *)name, detached);
	while (sem_wait(&late_started))
		;
}

void t_thread_after_end(void)
{
	pthread_t t;

	start_ending_thread(&t, late_stack, "lsh-late", 1);
	say("THREAD_AFTER_END_TID=%d", (int)late_tid);
	sem_post(&go_late); /* it exits AFTER_END_MS from now */
}

static void *reaper(void *arg)
{
	wait_ok((pid_t)(long)arg, 0, "child after end");
	return NULL;
}

/* A child that exits AFTER_END_MS after END is sent, reaped by a thread of
 * ours that exits right after. */
void t_child_after_end(void)
{
	int p[2];
	pthread_t t;
	pid_t pid;
	char c;

	ok(pipe2(p, O_CLOEXEC), "pipe2");
	pid = ok(fork(), "fork");
	if (pid == 0) {
		close(p[1]);
		if (read_full(p[0], &c, 1) != 0)
			_exit(1);
		sleep_ms(AFTER_END_MS);
		_exit(0);
	}
	close_ok(p[0]);
	start_thread(&t, reaper_stack, reaper, (void *)(long)pid, 1);
	say("CHILD_AFTER_END_PID=%d", (int)pid);
	close_ok(p[1]); /* EOF: it exits AFTER_END_MS from now */
}

void t_thread_slow_exit(void)
{
	start_ending_thread(&slow_thread, slow_stack, "lsh-slow", 0);
	say("THREAD_SLOW_EXIT_TID=%d", (int)late_tid);
	sem_post(&go_late); /* it exits SLOW_EXIT_MS from now */
}

void after_thread_slow_exit(void)
{
	ok_pt(pthread_join(slow_thread, NULL), "pthread_join slow");
	say("THREAD_SLOW_EXIT_JOINED=1");
}

/* ---- late: leaked by one test, released by a later one ---- */

void t_fd_late_open(void)
{
	late_fd = ok(open("/etc/hostname", O_RDONLY | O_CLOEXEC), "open");
	say("FD_LATE_OPEN_FD=%d", late_fd);
}

void t_fd_late_close(void)
{
	if (late_fd < 0)
		fail("fd-late-close needs fd-late-open before it");
	close_ok(late_fd);
	late_fd = -1;
}

void t_process_late_start(void)
{
	late_pid = wl_spawn_sleep("60", -1);
	say("PROCESS_LATE_START_PID=%d", (int)late_pid);
}

void t_process_late_kill(void)
{
	int status;

	if (late_pid <= 0)
		fail("process-late-kill needs process-late-start before it");
	ok(kill(late_pid, SIGKILL), "kill");
	ok(waitpid(late_pid, &status, 0), "waitpid");
	late_pid = 0;
}
