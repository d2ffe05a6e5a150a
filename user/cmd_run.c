// SPDX-License-Identifier: GPL-2.0
/*
 * cmd_run.c - `leakscope run`: a fresh cgroup, CMD started inside it (so its
 * first instruction is watched), signals passed on, the report of what CMD
 * left behind, then the leftovers ended and the cgroup removed.
 *
 * Owns the child's start (clone3 into the cgroup, fork + cgroup.procs where
 * clone3 is missing), its exit status, and the cleanup of the run's cgroup.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "cgroup.h"
#include "commands.h"
#include "log.h"
#include "watch.h"
#include "watchdog.h"

#define SETTLE_MAX_SLEEP_MS 100
#define KILL_WAIT_MS	    5000

/*
 * With a terminal on stdin, CMD shares our process group so that it can
 * read the terminal and take job control: Ctrl-C reaches it from the
 * terminal, and we only pass on signals sent to us by a process. Without
 * one (CI, scripts), CMD gets a process group of its own, so every signal
 * reaches it exactly once: through us.
 */
struct child {
	pid_t pid;
	int pidfd;
	bool own_group;
	sigset_t mask; /* the agent's original mask, for the child */
	int status;
	bool reaped;
};

/* In the child: become CMD, or tell the parent why not through @errfd. */
static void __attribute__((noreturn))
child_exec(const char *cgroup, char **argv, const struct child *c, int errfd,
	   pid_t parent, bool join_cgroup)
{
	int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE };
	char procs[PATH_MAX];
	int err, fd;

	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		signal(sigs[i], SIG_DFL);
	sigprocmask(SIG_SETMASK, &c->mask, NULL);
	if (c->own_group)
		setpgid(0, 0);
	if (join_cgroup) {
		snprintf(procs, sizeof(procs), "%s/cgroup.procs", cgroup);
		fd = open(procs, O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, "0", 1) != 1)
			goto fail;
		close(fd);
	}
	/* If the agent dies, CMD must not run on unwatched. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(LS_EXIT_NOT_STARTED);
	execvp(argv[0], argv);
fail:
	err = errno;
	if (write(errfd, &err, sizeof(err)) < 0)
		_exit(LS_EXIT_NOT_STARTED);
	_exit(LS_EXIT_NOT_STARTED);
}

static pid_t clone_into(int cgfd, int *pidfd)
{
	struct clone_args args = {
		.flags = CLONE_INTO_CGROUP | CLONE_PIDFD,
		.pidfd = (uint64_t)(uintptr_t)pidfd,
		.exit_signal = SIGCHLD,
		.cgroup = (uint64_t)cgfd,
	};

	return syscall(SYS_clone3, &args, sizeof(args));
}

/* Start CMD. 0 with c filled; -errno (and the reason in @why) if not. */
static int spawn(const char *cgroup, char **argv, struct child *c, char *why,
		 size_t whylen)
{
	pid_t parent = getpid();
	int pipefd[2], cgfd, err = 0, got;
	bool fallback = false;

	c->pidfd = -1;
	if (pipe2(pipefd, O_CLOEXEC))
		return -errno;
	cgfd = open(cgroup, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	c->pid = cgfd >= 0 ? clone_into(cgfd, &c->pidfd) : -1;
	if (c->pid < 0) { /* kernels before 5.7 */
		fallback = true;
		c->pid = fork();
	}
	if (c->pid == 0)
		child_exec(cgroup, argv, c, pipefd[1], parent, fallback);
	if (cgfd >= 0)
		close(cgfd);
	close(pipefd[1]);
	if (c->pid < 0) {
		err = -errno;
		snprintf(why, whylen, "fork failed: %s", strerror(errno));
	} else {
		if (c->pidfd < 0)
			c->pidfd = syscall(SYS_pidfd_open, c->pid, 0);
		while ((got = read(pipefd[0], &err, sizeof(err))) < 0 &&
		       errno == EINTR)
			;
		if (got == sizeof(err)) {
			snprintf(why, whylen, "%s: %s", argv[0], strerror(err));
			err = -err;
		} else {
			err = 0;
		}
	}
	close(pipefd[0]);
	return err;
}

static void reap(struct child *c)
{
	if (c->reaped || c->pid <= 0)
		return;
	while (waitpid(c->pid, &c->status, 0) < 0 && errno == EINTR)
		;
	c->reaped = true;
}

/*
 * A signal for the agent: pass it on (see struct child for when CMD already
 * has it from the terminal). A second one ends the run at once.
 */
static void on_signal(struct ls_watch *w, struct child *c,
		      const struct signalfd_siginfo *si, int *count)
{
	bool from_terminal = si->ssi_code == SI_KERNEL && !c->own_group;

	w->report.interrupted = true;
	w->report.interrupt_reason = strsignal(si->ssi_signo);
	if (++*count > 1) {
		ls_warn("second signal: killing everything in %s", w->cgroup);
		ls_cgroup_kill(w->cgroup);
		return;
	}
	if (from_terminal || (pid_t)si->ssi_pid == c->pid)
		return;
	if (c->own_group)
		kill(-c->pid, si->ssi_signo); /* all of CMD's job, like a tty */
	else if (c->pidfd >= 0)
		syscall(SYS_pidfd_send_signal, c->pidfd, si->ssi_signo, NULL,
			0);
	ls_info("%s: passed to the command; send it again to stop at once",
		strsignal(si->ssi_signo));
}

static void wait_child(struct ls_watch *w, struct child *c)
{
	struct signalfd_siginfo si;
	int signals = 0;

	for (;;) {
		enum ls_wake wake = ls_watch_wait(w, c->pidfd, -1, &si);

		if (wake == LS_WAKE_SIGNAL)
			on_signal(w, c, &si, &signals);
		else
			break; /* exited (or the loop broke: reap anyway) */
	}
	reap(c);
}

/* goleak's idea: what is still winding down after CMD is not left over. */
static void settle(struct ls_watch *w)
{
	uint64_t end = ls_now_ns() + w->o->grace_ms * 1000000ULL;
	unsigned int nap = 1;

	while (ls_cgroup_populated(w->cgroup) > 0 && ls_now_ns() < end) {
		ls_bpf_drain(&w->bpf);
		ls_sleep_ms(nap);
		if (nap < SETTLE_MAX_SLEEP_MS)
			nap *= 2;
	}
}

static void cleanup(struct ls_watch *w)
{
	struct ls_report *r = &w->report;
	int err;

	if (w->o->keep_orphans && ls_cgroup_populated(w->cgroup) > 0) {
		r->cleanup.kept = true;
		return;
	}
	r->cleanup.attempted = true;
	if (ls_cgroup_populated(w->cgroup) > 0) {
		ls_cgroup_signal(w->cgroup, SIGTERM, &r->cleanup.terminated);
		if (ls_cgroup_wait_empty(w->cgroup, w->o->kill_grace_ms)) {
			r->cleanup.killed = true;
			ls_cgroup_kill(w->cgroup);
			if (ls_cgroup_wait_empty(w->cgroup, KILL_WAIT_MS))
				snprintf(r->cleanup.error,
					 sizeof(r->cleanup.error),
					 "processes survived cgroup.kill");
		}
	}
	err = ls_cgroup_remove_tree(w->cgroup);
	r->cleanup.cgroup_removed = !err;
	if (err && !r->cleanup.error[0])
		snprintf(r->cleanup.error, sizeof(r->cleanup.error),
			 "cannot remove %s: %s", w->cgroup, strerror(-err));
}

static int exit_code(const struct ls_watch *w, const struct child *c,
		     bool started, bool concluded)
{
	const struct ls_report *r = &w->report;

	if (!started)
		return LS_EXIT_NOT_STARTED;
	if (WIFSIGNALED(c->status))
		return LS_EXIT_SIGNAL_BASE + WTERMSIG(c->status);
	if (WEXITSTATUS(c->status))
		return WEXITSTATUS(c->status);
	if (!concluded)
		return LS_EXIT_INTERNAL;
	if (w->o->fail_on_leak && ls_report_has_leftovers(r))
		return w->o->leak_exit_code;
	return LS_EXIT_OK;
}

static void record_exit(struct ls_report *r, const struct child *c,
			bool started, const char *why)
{
	if (!started) {
		r->exit_kind = LS_CHILD_NOT_STARTED;
		snprintf(r->start_error, sizeof(r->start_error), "%s", why);
	} else if (WIFSIGNALED(c->status)) {
		r->exit_kind = LS_CHILD_SIGNALED;
		r->exit_code = WTERMSIG(c->status);
	} else {
		r->exit_kind = LS_CHILD_EXITED;
		r->exit_code = WEXITSTATUS(c->status);
	}
}

/* Is @pid a live leakscope agent (so its run cgroup is in use)? */
static bool agent_alive(pid_t pid)
{
	char file[64], comm[32] = "";
	FILE *f;

	snprintf(file, sizeof(file), "/proc/%d/comm", (int)pid);
	f = fopen(file, "re");
	if (!f)
		return false;
	if (!fgets(comm, sizeof(comm), f))
		comm[0] = 0;
	fclose(f);
	return !strncmp(comm, "leakscope", 9);
}

/*
 * A run cgroup whose agent is gone (SIGKILLed with its watchdog, crashed,
 * machine rebooted into the same hierarchy) is stale: end what still runs
 * there unwatched and remove it, and its socket's directory. Names end in
 * the agent's pid: run-<date>-<time>-<pid>.
 */
static bool remove_if_stale(const char *path)
{
	const char *dash = strrchr(path, '-');

	if (!dash || agent_alive(atoi(dash + 1)))
		return false;
	if (ls_cgroup_populated(path) > 0) {
		ls_cgroup_kill(path);
		ls_cgroup_wait_empty(path, 2000);
	}
	/* .../run-<run id>: its socket's directory is leakscope-<run id> */
	ls_control_remove_stale(strrchr(path, '/') + 5);
	return ls_cgroup_remove_tree(path) == 0;
}

static void remove_stale_runs(const char *parent)
{
	char sub[PATH_MAX];
	struct dirent *de;
	unsigned int n = 0;
	DIR *d = opendir(parent);

	if (!d)
		return;
	while ((de = readdir(d)))
		if (de->d_type == DT_DIR && !strncmp(de->d_name, "run-", 4)) {
			snprintf(sub, sizeof(sub), "%s/%s", parent, de->d_name);
			n += remove_if_stale(sub);
		}
	closedir(d);
	if (n)
		ls_warn("removed %u stale run cgroup%s left in %s by a "
			"leakscope that did not exit normally",
			n, n == 1 ? "" : "s", parent);
}

static int make_run_cgroup(struct ls_watch *w, char *path, size_t len)
{
	char parent[PATH_MAX], name[96];
	struct tm tm;
	time_t now = time(NULL);
	int err;

	if (w->o->parent_cgroup) {
		snprintf(parent, sizeof(parent), "%s", w->o->parent_cgroup);
	} else if (ls_cgroup_mount(parent, sizeof(parent)) == 0) {
		strncat(parent, "/leakscope",
			sizeof(parent) - strlen(parent) - 1);
	} else {
		ls_err("no cgroup v2 mount found in /proc/self/mountinfo: "
		       "mount one (mount -t cgroup2 none /sys/fs/cgroup) and "
		       "retry; see leakscope doctor");
		return LS_EXIT_CANNOT_WATCH;
	}
	remove_stale_runs(parent);
	localtime_r(&now, &tm);
	strftime(name, sizeof(name), "%Y%m%d-%H%M%S", &tm);
	snprintf(w->report.run_id, sizeof(w->report.run_id), "%s-%d", name,
		 (int)getpid());
	snprintf(name, sizeof(name), "run-%s", w->report.run_id);
	err = ls_cgroup_make(parent, name, path, len);
	if (!err)
		return 0;
	if (err == -EXDEV) {
		ls_err("--parent-cgroup %s is not on cgroup v2: give a "
		       "directory under the cgroup2 mount",
		       parent);
		return LS_EXIT_USAGE;
	}
	ls_err("cannot create cgroup %s/%s: %s%s", parent, name, strerror(-err),
	       err == -EACCES || err == -EPERM
		       ? " (leakscope needs root; try sudo)"
		       : " (is --parent-cgroup a cgroup v2 directory?)");
	return err == -EACCES || err == -EPERM ? LS_EXIT_CANNOT_WATCH
					       : LS_EXIT_USAGE;
}

/*
 * CMD inherits the agent's open files without O_CLOEXEC (stdio, and what
 * the agent was given): they came from outside the watch. Only those: a
 * close-on-exec fd (the snapshot's own) is closed soon, and a file that
 * reuses its address must not pass for inherited.
 */
static int own_files_baseline(struct ls_watch *w)
{
	struct ls_snapshot s;
	size_t keep = 0;
	int err = ls_snapshot_take(&w->bpf, LS_SNAP_FILES, getpid(), true, &s);

	if (err)
		return err;
	for (size_t i = 0; i < s.n_files; i++) {
		int flags = fcntl(s.files[i].fd, F_GETFD);

		if (flags >= 0 && !(flags & FD_CLOEXEC))
			s.files[keep++] = s.files[i];
	}
	s.n_files = keep;
	err = ls_baseline_add_files(&w->base, &s);
	ls_snapshot_free(&s);
	return err;
}

static int start_watch_exit(int err)
{
	return err == -EINVAL	? LS_EXIT_USAGE
	       : err == -ENOMEM ? LS_EXIT_INTERNAL
				: LS_EXIT_CANNOT_WATCH;
}

int ls_cmd_run(const struct ls_opts *o)
{
	struct ls_watch w;
	struct ls_watchdog dog = { 0 };
	struct child c = { 0 };
	char cgroup[PATH_MAX], why[PATH_MAX + 64] = "";
	bool started, concluded;
	int rc, err;

	if (ls_watch_block_signals(&c.mask) || ls_watch_prepare(&w, o, "run")) {
		ls_watch_close(&w);
		return LS_EXIT_USAGE;
	}
	w.report.argv = o->argv;
	rc = make_run_cgroup(&w, cgroup, sizeof(cgroup));
	if (rc) {
		ls_watch_close(&w);
		return rc;
	}
	err = ls_watch_start(&w, cgroup);
	if (!err && (err = own_files_baseline(&w)))
		ls_err("cannot read leakscope's own open files: %s",
		       strerror(-err));
	if (!err &&
	    !(err = ls_watch_serve(&w, o->socket_path, w.report.run_id)))
		setenv("LEAKSCOPE_SOCK", w.ctl.path, 1);
	if (err) {
		ls_cgroup_remove_tree(cgroup);
		ls_watch_close(&w);
		return start_watch_exit(err);
	}
	ls_watch_arm_watchdog(&w, &dog, true);
	ls_watch_report_placeholder(&w);
	c.own_group = !isatty(STDIN_FILENO);
	w.origin_ns = w.events.log_origin_ns = ls_now_ns();
	started = spawn(cgroup, o->argv, &c, why, sizeof(why)) == 0;
	ls_watch_started(&w);
	if (started)
		wait_child(&w, &c);
	else
		reap(&c);
	record_exit(&w.report, &c, started, why);
	settle(&w);
	concluded = ls_watch_conclude(&w) == 0;
	cleanup(&w);
	ls_bpf_stop(&w.bpf);
	w.bpf_up = false;
	if (ls_watch_write_reports(&w))
		concluded = false;
	rc = exit_code(&w, &c, started, concluded);
	if (c.pidfd >= 0)
		close(c.pidfd);
	ls_watch_close(&w);
	ls_watchdog_stop(&dog);
	return rc;
}
