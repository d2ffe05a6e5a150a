/* SPDX-License-Identifier: GPL-2.0 */
/*
 * leftovers.h - verdicts: from a snapshot of the live system, decide what
 * the whole watch, or one test, left behind, and describe each thing (what
 * it is, who made it and when).
 *
 * Owns the rules. For the whole watch: a process is the watch's own if it
 * started (or moved into the watch) after the watch began; an fd if its
 * open file was not in the baseline or has a creation record; temp files and
 * child cgroups if made during the watch and still there. For a test: what
 * the kernel recorded as made while that test ran and is still alive.
 * Must not: kill or remove anything.
 */
#ifndef LS_LEFTOVERS_H
#define LS_LEFTOVERS_H

#include <stdint.h>
#include "events.h"
#include "report.h"
#include "snapshot.h"
#include "tempfiles.h"
#include "u64map.h"
#include "describe.h"

struct ls_bpf;

/* What existed when the watch began. */
struct ls_baseline {
	struct ls_u64map files;	  /* struct file address -> ino + 1 */
	struct ls_u64map cgroups; /* cgroup id -> non-NULL */
};

void ls_baseline_init(struct ls_baseline *b);
void ls_baseline_free(struct ls_baseline *b);
/* Add the open files of snapshot @s to the baseline. */
int ls_baseline_add_files(struct ls_baseline *b, const struct ls_snapshot *s);

/* Name of test @id (NULL if unknown), for findings' "test". */
typedef const char *(*ls_test_name_fn)(void *ctx, uint64_t id);

struct ls_leftover_ctx {
	struct ls_bpf *bpf;
	struct ls_events *events;
	struct ls_temps *temps; /* NULL at level snapshot */
	const struct ls_baseline *base;
	const char *cgroup; /* the watched cgroup's directory */
	uint64_t t0_ns;	    /* what started after this is the watch's */
	uint64_t origin_ns; /* "+0s" for created_at offsets */
	ls_test_name_fn test_name;
	void *names_ctx;

	/* One test's verdict instead of the whole watch's: */
	uint64_t test;	    /* 0: the whole watch */
	uint32_t test_tgid; /* the process that runs it */
	uint64_t test_begin_ns;
	const struct ls_baseline
		*test_fds;    /* its process's at BEGIN, or NULL */
	int exclude_pid;      /* not a finding: the process that sent END */
	const char *own_sock; /* connections to this unix path are ours */
};

/* Add every leftover in @s (and on disk) to @r as findings. */
int ls_leftovers_collect(const struct ls_leftover_ctx *c,
			 const struct ls_snapshot *s, struct ls_report *r);

/* Mappings smaller than this, read-only file mappings and reservations
 * without access are not reported as a test's leaks (caches, libraries,
 * malloc arenas). */
#define LS_MAPPING_MIN_BYTES (64 << 10)

#endif
