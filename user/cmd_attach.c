// SPDX-License-Identifier: GPL-2.0
/*
 * cmd_attach.c - `leakscope attach`: watch a cgroup that already exists
 * until SIGINT/SIGTERM or --duration, with what was there at the start as
 * the baseline. Never kills or removes anything.
 *
 * Owns the baseline taken at start: the processes (entered in the kernel's
 * process table so per-process state is right), their open files, and the
 * cgroups already below the watched one.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include "cgroup.h"
#include "commands.h"
#include "log.h"
#include "watch.h"
#include "watchdog.h"

static int baseline_cgroup(const char *path, void *ctx)
{
	struct ls_watch *w = ctx;
	uint64_t id;

	if (ls_cgroup_id(path, &id))
		return 0;
	ls_u64map_put(&w->base.cgroups, id, (void *)1);
	return ls_bpf_add_baseline_cgroup(&w->bpf, id);
}

static int take_baseline(struct ls_watch *w)
{
	struct ls_snapshot s;
	int err;

	err = ls_cgroup_for_each_child(w->cgroup, baseline_cgroup, w);
	if (err)
		return err;
	err = ls_snapshot_take(&w->bpf, LS_SNAP_TASKS | LS_SNAP_FILES, 0, false,
			       &s);
	if (err)
		return err;
	err = ls_baseline_add_files(&w->base, &s);
	for (size_t i = 0; !err && i < s.n_tasks; i++) {
		const struct ls_iter_task *t = &s.tasks[i];
		struct ls_proc p = {
			.start_ns = t->start_ns,
			.ppid = t->ppid,
			.flags = LS_PROC_BASELINE,
		};

		if (t->pid != t->tgid || t->start_ns >= w->t0_ns)
			continue;
		memcpy(p.comm, t->comm, sizeof(p.comm));
		err = ls_bpf_add_baseline_proc(&w->bpf, t->tgid, &p);
	}
	ls_info("baseline: %zu processes, %zu open files",
		ls_snapshot_processes(&s), s.n_files);
	ls_snapshot_free(&s);
	return err;
}

int ls_cmd_attach(const struct ls_opts *o)
{
	char real[PATH_MAX], why[PATH_MAX * 2 + 128];
	struct signalfd_siginfo si;
	struct ls_watch w;
	struct ls_watchdog dog = { 0 };
	long timeout = o->duration_s > 0 ? (long)(o->duration_s * 1000) : -1;
	int err, rc = LS_EXIT_OK;

	if (ls_watch_block_signals(NULL) || ls_watch_prepare(&w, o, "attach")) {
		ls_watch_close(&w);
		return LS_EXIT_USAGE;
	}
	err = ls_cgroup_check_watchable(o->cgroup, real, sizeof(real), why,
					sizeof(why));
	if (err) {
		ls_err("%s", why);
		ls_watch_close(&w);
		return LS_EXIT_USAGE;
	}
	err = ls_watch_start(&w, real);
	if (!err && (err = take_baseline(&w)))
		ls_err("cannot take the baseline of %s: %s", real,
		       strerror(-err));
	if (!err && o->socket_path)
		err = ls_watch_serve(&w, o->socket_path, NULL);
	if (err) {
		ls_watch_close(&w);
		return err == -ENOMEM ? LS_EXIT_INTERNAL : LS_EXIT_CANNOT_WATCH;
	}
	ls_watch_arm_watchdog(&w, &dog, false);
	ls_watch_report_placeholder(&w);
	ls_watch_started(&w);
	ls_info("watching %s until %s", real,
		timeout >= 0 ? "--duration ends" : "SIGINT or SIGTERM");
	/* A signal is how attach is meant to end: not an interruption. */
	if (ls_watch_wait(&w, -1, timeout, &si) == LS_WAKE_SIGNAL)
		ls_report_note(&w.report, "watch ended by %s",
			       strsignal(si.ssi_signo));
	if (ls_watch_conclude(&w))
		rc = LS_EXIT_INTERNAL;
	ls_bpf_stop(&w.bpf);
	w.bpf_up = false;
	if (ls_watch_write_reports(&w))
		rc = LS_EXIT_INTERNAL;
	if (rc == LS_EXIT_OK && o->fail_on_leak &&
	    ls_report_has_leftovers(&w.report))
		rc = o->leak_exit_code;
	ls_watch_close(&w);
	ls_watchdog_stop(&dog);
	return rc;
}
