/* SPDX-License-Identifier: GPL-2.0 */
/*
 * loader.h - the life of leakscope's BPF object in the agent: probe, open,
 * configure, load the chosen programs, attach, read counters and tables,
 * poll the ring buffer, detach.
 *
 * Owns the skeleton and every link. All links are fd-based and none is
 * pinned, so nothing stays attached once the agent is gone, even if it is
 * SIGKILLed. Must not: interpret events or decide verdicts.
 */
#ifndef LS_LOADER_H
#define LS_LOADER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "leakscope/abi.h"
#include "hooks.h"
#include "report.h"

/* The kernel tables whose size the user may choose (--max-*). */
enum ls_table {
	LS_TABLE_OBJECTS = 0, /* live fds and mappings */
	LS_TABLE_PROCESSES,
	LS_TABLE_THREADS,
	LS_TABLE_TESTS,
	LS_TABLE_STACKS, /* distinct creation stacks (level stacks) */
	LS_TABLE_MAX,
};

#define LS_DEFAULT_THREADS 65536 /* --max-threads */

struct leakscope_bpf;
struct ring_buffer;
struct bpf_link;

typedef int (*ls_event_fn)(void *ctx, void *data, size_t size);

struct ls_bpf_config {
	uint64_t cgid; /* the watched cgroup */
	enum ls_level level;
	uint32_t flags;	     /* LS_CFG_* */
	uint32_t agent_tgid; /* --test-per-exec: children of its child */
	bool probe_all;	     /* doctor: every attach type, not the first */
	unsigned long ring_bytes;
	unsigned long table_size[LS_TABLE_MAX];	   /* 0: the built-in size */
	const struct ls_temp_root_key *temp_roots; /* index = root number */
	int n_temp_roots;
	const struct ls_temp_root_key *temp_ancestors;
	int n_temp_ancestors;
	ls_event_fn on_event;
	void *event_ctx;
};

struct ls_bpf {
	struct leakscope_bpf *skel;
	struct ring_buffer *rb;
	struct bpf_link **links;
	size_t n_links;
	struct ls_hooks hooks;
	int ncpus;
	unsigned int n_programs;     /* loaded */
	unsigned int n_sys_attached; /* syscall tracepoints attached */
	char missing_sys[256];	     /* syscalls without a tracepoint here */
	char err[320];		     /* why ls_bpf_start failed */
	int stats_fd;		     /* bpf_enable_stats, or -1 */
	unsigned int tick_ns;	     /* creation times' resolution; 0: ns */
	uint64_t sweep_every;	     /* orphaned mapping records per sweep */
	uint64_t orphans_at_sweep;   /* their count at the last sweep */
	uint64_t swept;		     /* mapping records swept so far */
};

/*
 * Probe, load and attach. On failure returns a negative errno (-EPERM: no
 * privileges; -EOPNOTSUPP: a needed hook cannot attach; others: load or
 * attach errors) with the reason and fix in b->err, and leaves nothing
 * attached.
 */
int ls_bpf_start(struct ls_bpf *b, const struct ls_bpf_config *c);
void ls_bpf_stop(struct ls_bpf *b);

/* Ring buffer: the fd to poll on, and draining what is there. */
int ls_bpf_ring_fd(struct ls_bpf *b);
int ls_bpf_drain(struct ls_bpf *b);

void ls_bpf_kind_stats(struct ls_bpf *b, struct ls_kind_stats out[LS_KIND_MAX]);
int ls_bpf_losses(struct ls_bpf *b, uint64_t out[LS_LOSS_MAX]);
int ls_bpf_event_counts(struct ls_bpf *b, uint64_t out[LS_EV_MAX]);

/*
 * Drop the mapping records that exits and execs left in the object table,
 * once they amount to an eighth of it (else a run of a few thousand short
 * programs fills it: ld.so maps ~8 each). Cheap when there is nothing to
 * do; call it whenever the agent wakes. 0 or -errno.
 */
int ls_bpf_sweep_orphans(struct ls_bpf *b);
/* Run the ctl program (ctl.bpf.c) with @c; returns c->ret or -errno. */
int ls_bpf_ctl(struct ls_bpf *b, struct ls_ctl *c);
/* Per-test counters: create (zeroed), read, drop. */
int ls_bpf_test_create(struct ls_bpf *b, uint64_t test);
int ls_bpf_test_counts(struct ls_bpf *b, uint64_t test,
		       struct ls_test_counts *out);
void ls_bpf_test_forget(struct ls_bpf *b, uint64_t test);
/* Sum of every loss counter: a change means something was lost. */
uint64_t ls_bpf_losses_total(struct ls_bpf *b);
/* The creation stack @id into @out: 0 or -errno. */
int ls_bpf_ustack(struct ls_bpf *b, int id, struct ls_ustack *out);

/* BPF run-time statistics (--bpf-stats): start counting, then read one
 * entry per loaded program into a malloc'd array. */
int ls_bpf_enable_stats(struct ls_bpf *b);
int ls_bpf_prog_stats(struct ls_bpf *b, struct ls_prog_stat **out, size_t *n);

/* Seed the tables with what existed before the watch began. */
int ls_bpf_add_baseline_proc(struct ls_bpf *b, uint32_t tgid,
			     const struct ls_proc *p);
int ls_bpf_add_baseline_cgroup(struct ls_bpf *b, uint64_t cgid);

/* Creation record of an fd (tgid, fd); 0 or -ENOENT. */
int ls_bpf_fd_origin(struct ls_bpf *b, uint32_t tgid, int fd,
		     struct ls_obj *out);
/* Creation record of a file whose creator has exited; 0 or -ENOENT. */
int ls_bpf_departed_origin(struct ls_bpf *b, uint64_t file, struct ls_obj *out);
/* Process-table entry; 0 or -ENOENT. */
int ls_bpf_proc(struct ls_bpf *b, uint32_t tgid, struct ls_proc *out);

/*
 * Run iterator program @which ("iter_task", "iter_task_file",
 * "iter_task_vma"), restricted to process @pid if non-zero, and return its
 * whole output in a malloc'd buffer (*buf, *len). @unfiltered reports
 * tasks outside the watch too (only with a pid).
 */
int ls_bpf_iterate(struct ls_bpf *b, const char *which, pid_t pid,
		   bool unfiltered, void **buf, size_t *len);

/*
 * Release the fd records of watched process @pid (0: of every watched
 * process) whose fd was closed since: close(2) is not traced, so counts
 * and late releases are brought up to date here, before they are read.
 */
int ls_bpf_fd_sync(struct ls_bpf *b, pid_t pid);

#endif
