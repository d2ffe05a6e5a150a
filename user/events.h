/* SPDX-License-Identifier: GPL-2.0 */
/*
 * events.h - the agent's reading of the ring buffer: what each lifecycle
 * event tells, kept as long as it can matter for a report.
 *
 * Owns the registries built from events: processes (argv at exec, who forked
 * them, exit status) until they are reaped, child cgroups with their
 * creator, and per-type counts of what was received. Temp-file events are
 * passed to tempfiles.c. Must not: decide what is a leftover (the
 * iterators' snapshot does); a lost event may only cost detail.
 */
#ifndef LS_EVENTS_H
#define LS_EVENTS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "leakscope/abi.h"
#include "tempfiles.h"
#include "u64map.h"

struct ls_proc_info {
	uint32_t tgid, ppid;
	uint32_t creator_tid;
	char creator_comm[LS_COMM_LEN];
	char comm[LS_COMM_LEN];
	uint64_t fork_ns, exit_ns; /* 0 if not seen */
	int exit_code;
	bool exited;
	char *argv; /* NUL-separated, from the last exec */
	size_t argv_len;
	uint64_t test;
};

struct ls_cgroup_info {
	uint64_t cgid;
	char path[LS_CGROUP_PATH_LEN];
	uint32_t tgid, tid;
	char comm[LS_COMM_LEN];
	uint64_t ts;
	uint64_t test;
};

struct ls_events {
	struct ls_u64map procs;	   /* tgid -> ls_proc_info */
	struct ls_u64map cgroups;  /* cgid -> ls_cgroup_info */
	struct ls_u64map rmdir_at; /* cgid -> when it was removed */
	struct ls_temps *temps;
	uint64_t received[LS_EV_MAX];
	uint64_t malformed; /* records we could not read */
	/* Called for every valid record, after the registries (ledger). */
	void (*hook)(void *ctx, const struct ls_event_hdr *h);
	void *hook_ctx;
	FILE *log; /* --events FILE, or NULL */
	uint64_t log_origin_ns;
	int log_err; /* first write error of the log */
};

void ls_events_init(struct ls_events *e, struct ls_temps *temps);
void ls_events_free(struct ls_events *e);

/* Ring-buffer callback (ls_event_fn); @ctx is the ls_events. */
int ls_events_handle(void *ctx, void *data, size_t size);

#endif
