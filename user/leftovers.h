/* SPDX-License-Identifier: GPL-2.0 */
/*
 * leftovers.h - whole-watch verdicts: from the final snapshot, the baseline
 * taken at the start and what the events told, decide what the watch left
 * behind and describe each thing (who, what, created by whom and when).
 *
 * Owns the rules: a process is the watch's own if it started (or moved into
 * the watch) after the watch began; an fd is if its open file was not in
 * the baseline; temp files and child cgroups if they were created during
 * the watch and still exist. Must not: kill or remove anything.
 */
#ifndef LS_LEFTOVERS_H
#define LS_LEFTOVERS_H

#include <stdint.h>
#include "events.h"
#include "report.h"
#include "snapshot.h"
#include "tempfiles.h"
#include "u64map.h"

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

struct ls_leftover_ctx {
	struct ls_bpf *bpf;
	struct ls_events *events;
	struct ls_temps *temps; /* NULL at level snapshot */
	const struct ls_baseline *base;
	const char *cgroup; /* the watched cgroup's directory */
	uint64_t t0_ns;	    /* what started after this is the watch's */
	uint64_t origin_ns; /* "+0s" for created_at offsets */
};

/* Add every leftover in @s (and on disk) to @r as findings. */
int ls_leftovers_collect(const struct ls_leftover_ctx *c,
			 const struct ls_snapshot *s, struct ls_report *r);

/* Pure helpers, exposed for tests. */
const char *ls_fd_type_name(unsigned int fd_type, const char *path);
const char *ls_database_for_port(int port);
const char *ls_database_for_unix_path(const char *path);
const char *ls_family_name(int family);
const char *ls_sock_type_name(int type);
const char *ls_tcp_state_name(int state);

#endif
