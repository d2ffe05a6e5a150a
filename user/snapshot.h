/* SPDX-License-Identifier: GPL-2.0 */
/*
 * snapshot.h - what is alive in the watch at one moment, read through the
 * BPF iterators: tasks, open files, memory mappings.
 *
 * Owns the parsing and validation of iterator records and simple lookups
 * over them. A snapshot is the truth that leftover verdicts rest on.
 */
#ifndef LS_SNAPSHOT_H
#define LS_SNAPSHOT_H

#include <stddef.h>
#include <sys/types.h>
#include "leakscope/abi.h"

struct ls_bpf;

enum {
	LS_SNAP_TASKS = 1,
	LS_SNAP_FILES = 2,
	LS_SNAP_VMAS = 4,
};

#define LS_EXIT_ZOMBIE 32  /* task->exit_state */
#define LS_PF_EXITING  0x4 /* task->flags: getting out */

struct ls_snapshot {
	struct ls_iter_task *tasks;
	size_t n_tasks;
	struct ls_iter_file *files;
	size_t n_files;
	struct ls_iter_vma *vmas;
	size_t n_vmas;
};

/*
 * Take the parts in @what (LS_SNAP_*), of the whole watch (@pid 0) or of one
 * process; @unfiltered with a pid reads a process outside the watch.
 */
int ls_snapshot_take(struct ls_bpf *b, unsigned int what, pid_t pid,
		     bool unfiltered, struct ls_snapshot *s);
void ls_snapshot_free(struct ls_snapshot *s);

/* Append the memory mappings of process @pid to @s. */
int ls_snapshot_add_vmas(struct ls_bpf *b, struct ls_snapshot *s, pid_t pid);

/*
 * Validate an iterator's raw output as an array of records of @size with
 * @magic. Returns the number of records, or -EPROTO. Exposed for tests.
 */
long ls_snapshot_records(const void *buf, size_t len, size_t size,
			 unsigned int magic);

/* Thread-group leaders (pid == tgid) present in @s. */
size_t ls_snapshot_processes(const struct ls_snapshot *s);
/* Is there a live (not zombie, not exiting) task of @tgid in @s? */
bool ls_snapshot_has_live(const struct ls_snapshot *s, unsigned int tgid);

#endif
