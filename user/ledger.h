/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ledger.h - the tests of a watch: who runs which, and what each left
 * behind.
 *
 * Owns BEGIN/END (the kernel's per-process test, set through the ctl
 * program before the reply), each test's verdict (fast path on the kernel's
 * per-test counters; else snapshots re-checked with a doubling backoff
 * within --grace), suppressions and ALLOW rules, the "leaked" marks that
 * let the kernel report a late release, and at the end of the run the
 * final class of every per-test finding (leak, late, orphan, zombie).
 * Must not: own the socket (control.c) or the BPF object (loader.c).
 */
#ifndef LS_LEDGER_H
#define LS_LEDGER_H

#include <stdbool.h>
#include <stdint.h>
#include "control.h"
#include "report.h"
#include "u64map.h"

struct ls_watch;
struct ls_suppressions;

struct ls_test {
	uint64_t id;
	char *name;
	uint32_t tgid; /* the process that runs it */
	uint64_t begin_ns, end_ns;
	enum ls_outcome outcome;
	bool ended;
	bool lossy;		  /* events were lost while it ran */
	uint64_t losses_at_begin; /* the kernel's loss total at BEGIN */
	unsigned int suppressed, allowed;
	struct ls_test_counts counts;  /* the kernel's, read at END */
	struct ls_suppressions *allow; /* its ALLOW rules, or NULL */
	/* Its process's open files at BEGIN, taken only once the kernel's
	 * object table has overflowed (see ls_verdict_begin), else NULL. */
	struct ls_baseline *fds_at_begin;
};

struct ls_baseline;

struct ls_ledger {
	struct ls_watch *w;
	struct ls_test **tests;
	size_t n_tests, cap_tests;
	struct ls_u64map running;  /* tgid -> index + 1 */
	struct ls_u64map by_id;	   /* test id -> index + 1 */
	struct ls_report leaks;	   /* every test's findings, in order */
	struct ls_u64map released; /* leaked objects released later */
	struct ls_u64map exited;   /* processes that exited */
	struct ls_u64map reaped;   /* reported zombies: pid -> reap seen */
	struct ls_zombie {	   /* reported zombies not yet reaped */
		int pid, pidfd;
	} * zombies;
	size_t n_zombies, cap_zombies;
	struct ls_suppressions *supp; /* file rules, or NULL */
	const char *sock_path;	      /* our socket: clients' links to it
				       * are not leaks */
	unsigned long verdicts_fast, verdicts_slow;
	bool uncounted_said; /* the tests table was full: warned once */
	/* --test-per-exec: tests the kernel began, by runner tgid, and
	 * those whose runner exited, to end outside the ring-buffer
	 * callback (a verdict drains the ring itself) */
	struct ls_u64map auto_running;
	uint64_t *pending;
	size_t n_pending, cap_pending;
};

/* End the tests whose runner exited (--test-per-exec). */
void ls_ledger_run_pending(struct ls_ledger *l);

void ls_ledger_init(struct ls_ledger *l, struct ls_watch *w,
		    struct ls_suppressions *supp, const char *sock_path);
void ls_ledger_free(struct ls_ledger *l);

/* The control socket's request handler (ls_request_fn). */
char *ls_ledger_request(void *ctx, struct ls_conn *c,
			const struct ls_request *req);

/* Events the ledger cares about (exits, late releases). */
void ls_ledger_event(void *ctx, const struct ls_event_hdr *h);

/* Tests still running when the run ends are ended ("error"): their
 * processes are gone or going. */
void ls_ledger_end_all(struct ls_ledger *l);

/*
 * Merge the tests' findings into the final report @r, which already holds
 * the whole run's leftovers: a per-test finding still alive there becomes
 * that leftover (orphan, zombie); one released before the end becomes late;
 * the rest stay leaks. Fills r->tests.
 */
int ls_ledger_conclude(struct ls_ledger *l, struct ls_report *r);

/* ls_test_name_fn for leftovers.c. */
const char *ls_ledger_test_name(void *ctx, uint64_t id);

#endif
