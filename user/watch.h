/* SPDX-License-Identifier: GPL-2.0 */
/*
 * watch.h - one watch of one cgroup, from attach to report: the part that
 * `run` and `attach` share.
 *
 * Owns the BPF object's lifetime for the watch, the registries fed by the
 * ring buffer, the baseline, the event loop (ring buffer, signals, one
 * extra fd such as the child's pidfd, a deadline) and the final report.
 * Must not: create or kill anything (cmd_run.c does, for `run` only).
 */
#ifndef LS_WATCH_H
#define LS_WATCH_H

#include <limits.h>
#include <stdint.h>
#include <sys/signalfd.h>
#include "cli.h"
#include "control.h"
#include "events.h"
#include "ledger.h"
#include "suppress.h"
#include "symbolize.h"
#include "leftovers.h"
#include "loader.h"
#include "report.h"
#include "tempfiles.h"

struct ls_watch {
	const struct ls_opts *o;
	char cgroup[PATH_MAX];
	uint64_t cgid;
	uint64_t t0_ns;	    /* CLOCK_MONOTONIC before attaching: what starts
			     * later belongs to the watch */
	uint64_t origin_ns; /* "+0s" in reports: watch attached (attach) or
			     * CMD about to start (run) */
	struct ls_bpf bpf;
	bool bpf_up;
	struct ls_temps temps;
	struct ls_events events;
	struct ls_baseline base;
	struct ls_report report;
	int sigfd;
	int epfd;
	int report_fd; /* --report FILE if a FIFO or device, else -1 */
	char report_tmp[PATH_MAX]; /* where FILE is written before rename */
	struct ls_suppressions supp;
	struct ls_control ctl;
	bool ctl_up;
	struct ls_ledger ledger;
	struct ls_symbolizer *sym; /* level stacks */
};

/* Open the control socket (@path, or a private one named after @run_id)
 * and serve it with the ledger from the event loop. */
int ls_watch_serve(struct ls_watch *w, const char *path, const char *run_id);

/* Signals the agent takes through its signalfd (blocked from the start). */
int ls_watch_block_signals(sigset_t *old);

/*
 * Check the report path and temp roots (-EINVAL: bad input, with a message
 * already printed); nothing is loaded yet.
 */
int ls_watch_prepare(struct ls_watch *w, const struct ls_opts *o,
		     const char *mode);

/*
 * Load and attach for cgroup @cgroup. Returns 0 or a negative errno, having
 * told the user why (with the fix).
 */
int ls_watch_start(struct ls_watch *w, const char *cgroup);

enum ls_wake {
	LS_WAKE_DEADLINE = 0,
	LS_WAKE_SIGNAL,
	LS_WAKE_FD,
	LS_WAKE_ERROR,
};

/*
 * Serve the ring buffer until a signal arrives (*si filled), @fd (>= 0)
 * becomes readable, or @timeout_ms (< 0: none) passes.
 */
enum ls_wake ls_watch_wait(struct ls_watch *w, int fd, long timeout_ms,
			   struct signalfd_siginfo *si);

/* Take the final snapshot, drain, and fill the report's findings and
 * metrics. */
int ls_watch_conclude(struct ls_watch *w);

/* Text on stderr (unless --quiet) and --report FILE. 0 or -EIO. */
int ls_watch_write_reports(struct ls_watch *w);

struct ls_watchdog;

/*
 * Start @d (watchdog.h) to clean up after this watch if the agent dies:
 * the socket's directory, a half-written report, and with @own_cgroup (run)
 * what is left in the cgroup. Warns and goes on if it cannot.
 */
void ls_watch_arm_watchdog(struct ls_watch *w, struct ls_watchdog *d,
			   bool own_cgroup);

/* --report FILE: say there that the run has not finished (see watch.c). */
void ls_watch_report_placeholder(struct ls_watch *w);

/* Detach everything; free everything. */
void ls_watch_close(struct ls_watch *w);

uint64_t ls_now_ns(void);
/* When the agent started (set in main), for the startup time it reports. */
extern uint64_t ls_agent_start_ns;
/* CMD runs (run) or the watch is on (attach): the startup time is now. */
void ls_watch_started(struct ls_watch *w);
void ls_sleep_ms(unsigned int ms);

#endif
