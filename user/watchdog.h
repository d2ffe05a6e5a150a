/* SPDX-License-Identifier: GPL-2.0 */
/*
 * watchdog.h - what is left to do when the agent dies without its
 * teardown (SIGKILL, the OOM killer, a crash).
 *
 * Owns a small process forked at start, outside the watch, that waits on
 * a pipe from the agent. When the agent ends normally it says so and the
 * watchdog exits. When the pipe closes without that word the agent is
 * gone: the watchdog kills everything in the run's cgroup (the command's
 * own children, which PR_SET_PDEATHSIG does not reach, would otherwise run
 * on unwatched), removes the cgroup, the control socket's directory and a
 * half-written report, and says so on stderr.
 * Must not: hold any of the agent's files (a BPF link it kept open would
 * keep the programs attached); touch anything of a run that ended well.
 */
#ifndef LS_WATCHDOG_H
#define LS_WATCHDOG_H

#include <stdbool.h>
#include <limits.h>
#include <sys/types.h>

struct ls_watchdog {
	pid_t pid;		   /* 0: not running */
	int fd;			   /* the agent's end of the pipe */
	char cgroup[PATH_MAX];	   /* kill and remove (run) */
	char sock_dir[PATH_MAX];   /* remove if not empty string */
	char sock_path[PATH_MAX];  /* its socket */
	char report_tmp[PATH_MAX]; /* a half-written report */
	bool keep_processes;	   /* --keep-orphans: kill nothing */
};

/* Fork the watchdog for the paths set in @d. 0 or -errno. */
int ls_watchdog_start(struct ls_watchdog *d);

/* The agent ends normally: release the watchdog and reap it. */
void ls_watchdog_stop(struct ls_watchdog *d);

#endif
