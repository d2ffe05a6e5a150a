/* SPDX-License-Identifier: GPL-2.0 */
/*
 * verdict.h - what one test left behind, decided at its END.
 *
 * Owns the fast path (the kernel's per-test counters say nothing of the
 * test is alive), the re-checks on snapshots with a doubling backoff within
 * --grace (goleak's idea: a thread or child winding down is not a leak),
 * suppressions and ALLOW rules, and the "leaked" marks in the kernel.
 */
#ifndef LS_VERDICT_H
#define LS_VERDICT_H

#include "ledger.h"

/*
 * Before test @t of process @tgid ends: release the fd records closed
 * since (see ls_bpf_fd_sync) of @tgid, if the test made fds, and of each
 * holder of a reported fd leak not yet released, so that the counts read
 * next are exact and a leak closed during this test is "late".
 */
void ls_verdict_sync_fds(struct ls_ledger *l, struct ls_test *t, uint32_t tgid);

/*
 * At BEGIN of test @t: once the kernel's object table has overflowed, fds
 * may go unrecorded; note the open files of the test's process, so that
 * its verdict can still charge it with the unrecorded ones it opened.
 */
void ls_verdict_begin(struct ls_ledger *l, struct ls_test *t);

/* Free what ls_verdict_begin took (after the verdict; idempotent). */
void ls_verdict_end(struct ls_test *t);

/* Decide test @t's findings and append them to l->leaks. @exclude: a pid
 * that is never a finding (0: none). */
void ls_verdict(struct ls_ledger *l, struct ls_test *t, int exclude);

/* Note which reported zombies have been reaped by @now (each END: a
 * zombie reaped while tests still ran is "late"). */
void ls_verdict_check_reaped(struct ls_ledger *l, uint64_t now);

/* When the kernel reported the release of this leaked object (0: not). */
uint64_t ls_ledger_released_at(struct ls_ledger *l, uint32_t what,
			       uint32_t holder, uint64_t handle);

#endif
