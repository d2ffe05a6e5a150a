// SPDX-License-Identifier: GPL-2.0
/*
 * watchdog.c - see watchdog.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "cgroup.h"
#include "watchdog.h"

#define ALL_DONE 'D'

/* Keep only @keep (as fd 3) and stderr: no link, map or socket of ours. */
static void drop_files(int keep)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (keep != 3 && dup2(keep, 3) < 0)
		_exit(1);
	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
	}
	if (syscall(SYS_close_range, 4, ~0U, 0))
		for (int fd = 4; fd < 1024; fd++)
			close(fd);
}

static void clean_up(const struct ls_watchdog *d)
{
	int err = 0;

	if (d->report_tmp[0])
		unlink(d->report_tmp);
	if (d->sock_dir[0]) {
		unlink(d->sock_path);
		rmdir(d->sock_dir);
	}
	if (!d->cgroup[0])
		return;
	if (!d->keep_processes) {
		ls_cgroup_kill(d->cgroup);
		ls_cgroup_wait_empty(d->cgroup, 5000);
		err = ls_cgroup_remove_tree(d->cgroup);
	}
	fprintf(stderr,
		"leakscope: the agent died without finishing: %s %s%s%s\n",
		d->keep_processes ? "left the processes in" : "killed",
		d->keep_processes ? "" : "what was left in ", d->cgroup,
		err ? " (could not remove it: the next run will)" : "");
}

/* The watchdog's life: wait for the word or for the agent's end. */
static void __attribute__((noreturn)) watch(const struct ls_watchdog *d)
{
	char c = 0;
	ssize_t n;

	/* Out of the agent's session: a Ctrl-C meant for the run must not
	 * end the watchdog before it sees how the agent ended. */
	setsid();
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	prctl(PR_SET_NAME, "leakscope-wd");
	while ((n = read(3, &c, 1)) < 0 && errno == EINTR)
		;
	if (n == 1 && c == ALL_DONE)
		_exit(0);
	clean_up(d);
	_exit(0);
}

int ls_watchdog_start(struct ls_watchdog *d)
{
	int p[2];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return -errno;
	}
	if (pid == 0) {
		close(p[1]);
		drop_files(p[0]);
		watch(d);
	}
	close(p[0]);
	d->pid = pid;
	d->fd = p[1];
	return 0;
}

void ls_watchdog_stop(struct ls_watchdog *d)
{
	char c = ALL_DONE;

	if (d->pid <= 0)
		return;
	if (write(d->fd, &c, 1) != 1)
		kill(d->pid, SIGKILL); /* cannot tell it: it must not act */
	close(d->fd);
	while (waitpid(d->pid, NULL, 0) < 0 && errno == EINTR)
		;
	d->pid = 0;
	d->fd = -1;
}
