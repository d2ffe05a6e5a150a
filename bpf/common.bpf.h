/* SPDX-License-Identifier: GPL-2.0 */
/*
 * common.bpf.h - what every leakscope BPF program shares: the maps and
 * globals (defined once in maps.bpf.c), the "is this task watched?" filter,
 * the per-kind counters, loss accounting and the ring-buffer emitter.
 *
 * Hot-path rules: the cgroup filter runs first and costs one helper call for
 * tasks outside the watch; nothing here wakes the consumer per record; every
 * failure to record is counted in `losses`, never dropped silently.
 */
#ifndef LEAKSCOPE_COMMON_BPF_H
#define LEAKSCOPE_COMMON_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "leakscope/abi.h"

#define S_IFMT	 00170000
#define S_IFSOCK 0140000
#define S_IFLNK	 0120000
#define S_IFREG	 0100000
#define S_IFBLK	 0060000
#define S_IFDIR	 0040000
#define S_IFCHR	 0020000
#define S_IFIFO	 0010000

#define EBADF		9
#define AT_FDCWD	-100
#define MAX_ERRNO	4095
#define IS_ERR_VALUE(x) ((unsigned long)(x) >= (unsigned long)-MAX_ERRNO)

/* ---- configuration, set by the agent before load (rodata) ---- */
extern const volatile __u32 cfg_level;
extern const volatile __u32 cfg_flags;
extern const volatile __u32 cfg_page_size;
extern const volatile __u32 cfg_agent_tgid;
extern const volatile __u64 cfg_wakeup_bytes;
extern const volatile __u32 cfg_thread_slot_mask; /* thread_slots' size - 1 */
extern const volatile __u8 cfg_hook_attach[LS_HOOK_MAX];
extern const volatile __u8 cfg_sys_table[LS_SYS_TABLE_LEN];

/* ---- mutable state (bss) ---- */
extern struct ls_watch_vars watch; /* see abi.h: one cache line */
/* Mapping records left in objs by exits and execs: nothing unmaps them.
 * The agent sweeps them (LS_CTL_SWEEP_MAPS) as this grows. */
extern __u64 orphaned_map_records;
extern __u32 iter_unfiltered; /* iterators: report tasks outside the watch */
extern __u64 auto_test_seq;   /* --test-per-exec: the last id given out */
extern struct ls_kind_stats kstats[LS_KIND_MAX];
/* Losses, by enum ls_loss: rare, and read by the agent at every BEGIN and
 * END, so in .bss (mmap'd, no syscall) rather than a per-CPU map. */
extern __u64 loss_count[LS_LOSS_MAX];
/* The tick clock (see ls_tick_ns): 0 until the agent starts it. */
extern __u64 tick_base_ns;
extern __u32 tick_ns;

/* ---- maps ---- */
struct procs_map {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct ls_proc);
};
extern struct procs_map procs SEC(".maps");

struct objs_map {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, struct ls_obj_key);
	__type(value, struct ls_obj);
};
extern struct objs_map objs SEC(".maps");

/* Origins of fds whose creating process exited while others still hold
 * them (a daemon inherits its parent's socket): keyed by struct file. */
struct departed_map {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, struct ls_obj);
};
extern struct departed_map departed SEC(".maps");

/*
 * Threads are recorded in a slot of thread_slots, at tid modulo their
 * number (a power of two). Numbers are handed out in turn, so live threads
 * rarely share a slot; the one that finds its slot taken goes to threads,
 * a hash table. A slot costs a thread's fork and exit ~600 ns less than a
 * hash entry: no bucket lock, no free list shared between the CPUs.
 */
struct thread_slots_map {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 32768);
	__type(key, __u32);
	__type(value, struct ls_thread);
};
extern struct thread_slots_map thread_slots SEC(".maps");

struct threads_map {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 32768);
	__type(key, __u32);
	__type(value, struct ls_thread);
};
extern struct threads_map threads SEC(".maps");

/* Per-test counters; the agent creates an entry at BEGIN. */
struct tstats_map {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct ls_test_counts);
};
extern struct tstats_map tstats SEC(".maps");

/* User stacks where fds and mappings were made (level stacks), keyed by
 * a hash of their content (see stacks.bpf.c). */
struct ustacks_map {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct ls_ustack);
};
extern struct ustacks_map ustacks SEC(".maps");

/* Where a stack is put together (too big for the BPF stack). */
struct ustack_work {
	struct ls_ustack u;
	__u64 words[LS_SCAN_WORDS]; /* the top of the user stack */
};

struct ustack_scratch_map {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ustack_work);
};
extern struct ustack_scratch_map ustack_scratch SEC(".maps");

struct cgroups_map {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, struct ls_cgroup_val);
};
extern struct cgroups_map watched_cgroups SEC(".maps");

struct temp_roots_map {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LS_MAX_TEMP_ROOTS);
	__type(key, struct ls_temp_root_key);
	__type(value, __u32);
};
extern struct temp_roots_map temp_roots SEC(".maps");

/* Directories above a temp root ("/", "/var"): a relative path from one of
 * them may lead into a root, so its syscalls are worth an event. */
struct temp_ancestors_map {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4 * LS_MAX_TEMP_ROOTS);
	__type(key, struct ls_temp_root_key);
	__type(value, __u32);
};
extern struct temp_ancestors_map temp_ancestors SEC(".maps");

struct events_map {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 << 20);
};
extern struct events_map events SEC(".maps");

struct counters_map {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, LS_EV_MAX);
	__type(key, __u32);
	__type(value, __u64);
};
extern struct counters_map evcounts SEC(".maps");

/* Scratch space for building temp paths (too big for the stack). */
struct scratch {
	char buf[2048]; /* paths are built in the middle; see temp.bpf.c */
};
struct scratch_map {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scratch);
};
extern struct scratch_map scratch SEC(".maps");

/* ---- counting ---- */

static __always_inline void percpu_inc(void *map, __u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(map, &idx);

	if (v)
		*v += 1;
}

static __always_inline void loss(enum ls_loss what)
{
	if (what < LS_LOSS_MAX)
		__sync_fetch_and_add(&loss_count[what], 1);
}

static __always_inline void raise_peak(__u64 *peak, __u64 v)
{
	__u64 old = *(volatile __u64 *)peak;

	/* Bounded CAS loop: two CPUs racing can only lose to a higher value. */
	for (int i = 0; i < 4 && v > old; i++) {
		__u64 prev = __sync_val_compare_and_swap(peak, old, v);

		if (prev == old)
			break;
		old = prev;
	}
}

static __always_inline struct ls_kind_stats *kind_stats(__u32 kind)
{
	if (kind >= LS_KIND_MAX)
		return 0;
	return &kstats[kind];
}

/* Per-test counts: only for objects made inside a test (NULL else). */
static __always_inline struct ls_test_counts *test_counts(__u64 test,
							  __u32 kind)
{
	if (!test || kind >= LS_KIND_MAX)
		return 0;
	return bpf_map_lookup_elem(&tstats, &test);
}

static __always_inline void test_created(__u64 test, __u32 kind)
{
	struct ls_test_counts *t = test_counts(test, kind);

	if (!t)
		return;
	__sync_fetch_and_add(&t->created[kind], 1);
	raise_peak(&t->peak[kind], __sync_add_and_fetch(&t->cur[kind], 1));
}

static __always_inline void test_released(__u64 test, __u32 kind, __u64 n)
{
	struct ls_test_counts *t = n ? test_counts(test, kind) : 0;

	if (!t)
		return;
	__sync_fetch_and_add(&t->released[kind], n);
	__sync_fetch_and_sub(&t->cur[kind], n);
}

static __always_inline void kind_created(__u32 kind, __u64 bytes, __u64 test)
{
	struct ls_kind_stats *s = kind_stats(kind);

	test_created(test, kind);
	if (!s)
		return;
	__sync_fetch_and_add(&s->created, 1);
	raise_peak(&s->peak, __sync_add_and_fetch(&s->cur, 1));
	if (bytes)
		raise_peak(&s->bytes_peak,
			   __sync_add_and_fetch(&s->bytes_cur, bytes));
}

/* One object of @kind released and another made in its place, in the same
 * test: created and released both count, the current count stays. */
static __always_inline void kind_replaced(__u32 kind, __u64 test)
{
	struct ls_kind_stats *s = kind_stats(kind);
	struct ls_test_counts *t = test_counts(test, kind);

	if (s) {
		__sync_fetch_and_add(&s->created, 1);
		__sync_fetch_and_add(&s->released, 1);
	}
	if (t) {
		__sync_fetch_and_add(&t->created[kind], 1);
		__sync_fetch_and_add(&t->released[kind], 1);
	}
}

static __always_inline void kind_released_n(__u32 kind, __u64 n, __u64 bytes,
					    __u64 test)
{
	struct ls_kind_stats *s = kind_stats(kind);

	test_released(test, kind, n);
	if (!s || !n)
		return;
	__sync_fetch_and_add(&s->released, n);
	__sync_fetch_and_sub(&s->cur, n);
	if (bytes)
		__sync_fetch_and_sub(&s->bytes_cur, bytes);
}

static __always_inline void kind_released(__u32 kind, __u64 bytes, __u64 test)
{
	kind_released_n(kind, 1, bytes, test);
}

/*
 * The current thread's comm, as two plain loads from the task (a BTF
 * pointer) instead of a helper call; a rename racing with it can tear the
 * copy, which the agent reads as at most LS_COMM_LEN bytes.
 */
static __always_inline void current_comm(char dst[LS_COMM_LEN])
{
	struct task_struct *t = bpf_get_current_task_btf();

	__builtin_memcpy(dst, t->comm, LS_COMM_LEN);
}

/* ---- time ---- */

/*
 * CLOCK_MONOTONIC to the kernel's tick (1/CONFIG_HZ), for the creation
 * times of fds and mappings. bpf_ktime_get_ns reads the TSC,
 * which costs ~60 ns in these VMs: a sixth of what leakscope added to an
 * open/close loop. jiffies advance by exactly one tick of CLOCK_MONOTONIC
 * each (tick_do_update_jiffies64), so a calibration at start-up
 * (ctl.bpf.c) maps them for the whole run. Precise time until then, or
 * where HZ is unknown.
 */
static __always_inline __u64 ls_tick_ns(void)
{
	__u32 t = tick_ns;

	if (!t)
		return bpf_ktime_get_ns();
	return tick_base_ns + bpf_jiffies64() * t;
}

/* ---- who is watched ---- */

/* A subprogram: its key goes on a stack of its own, so that the common
 * path (no child cgroups) stores nothing. */
static __noinline bool nested_watched(__u64 id)
{
	return bpf_map_lookup_elem(&watched_cgroups, &id) != 0;
}

static __always_inline bool cgid_watched(__u64 id)
{
	if (id == watch.cgid)
		return true;
	if (!watch.nested)
		return false;
	return nested_watched(id);
}

/* @t is a BTF pointer: plain loads down to its cgroup's id. */
static __always_inline bool task_watched_btf(struct task_struct *t)
{
	return cgid_watched(t->cgroups->dfl_cgrp->kn->id);
}

/* Every traced syscall of every task on the machine asks this: what the
 * helper bpf_get_current_cgroup_id reads, without the helper's call. */
static __always_inline bool current_watched(void)
{
	return task_watched_btf(bpf_get_current_task_btf());
}

static __always_inline __u64 cgroup_id_of(struct cgroup *cg)
{
	return BPF_CORE_READ(cg, kn, id);
}

/* cgroup v1 hierarchies (hybrid mode) number their cgroups on their own. */
static __always_inline bool cgroup_watched(struct cgroup *cg)
{
	return BPF_CORE_READ(cg, root, hierarchy_id) == 0 &&
	       cgid_watched(cgroup_id_of(cg));
}

static __always_inline bool task_watched(struct task_struct *t)
{
	return cgid_watched(cgroup_id_of(BPF_CORE_READ(t, cgroups, dfl_cgrp)));
}

/*
 * A process that moved out of the watch (LS_PROC_ESCAPED, set at the
 * migration) is followed to its exit: its children, threads, exec, exit,
 * and what it holds when the iterators look. Not its syscalls: those are
 * filtered on the cgroup, and every task on the machine asks that. The
 * table is not searched until some process has escaped.
 */
static __always_inline bool tgid_escaped(__u32 tgid)
{
	struct ls_proc *p;

	if (!watch.escaped)
		return false;
	p = bpf_map_lookup_elem(&procs, &tgid);
	return p && (p->flags & LS_PROC_ESCAPED);
}

/* Is the current process, @tgid, watched or followed out of the watch? */
static __always_inline bool current_followed(__u32 tgid)
{
	return current_watched() || tgid_escaped(tgid);
}

/* ---- processes ---- */

static __always_inline __u64 group_start_ns(struct task_struct *t)
{
	return BPF_CORE_READ(t, group_leader, start_time);
}

/*
 * The process-table entry of the current process, created on the spot for a
 * watched process we did not see enter (table was full, or a race with
 * migration). Returns NULL only if the table is full.
 */
static __always_inline struct ls_proc *current_proc(__u32 tgid)
{
	struct ls_proc *p = bpf_map_lookup_elem(&procs, &tgid);
	struct task_struct *t;
	struct ls_proc np = {};

	if (p)
		return p;
	t = bpf_get_current_task_btf();
	np.start_ns = group_start_ns(t);
	np.forked_ns = bpf_ktime_get_ns();
	np.ppid = BPF_CORE_READ(t, real_parent, tgid);
	np.flags = LS_PROC_LAZY;
	current_comm(np.comm);
	if (bpf_map_update_elem(&procs, &tgid, &np, BPF_NOEXIST) &&
	    !bpf_map_lookup_elem(&procs, &tgid)) {
		loss(LS_LOSS_PROC_TABLE);
		return 0;
	}
	return bpf_map_lookup_elem(&procs, &tgid);
}

/* ---- threads ---- */

/* A slot being filled: no lookup matches it. Thread ids stay below 2^22. */
#define LS_THREAD_FILLING 0x80000000u

static __always_inline struct ls_thread *thread_slot(__u32 tid)
{
	__u32 i = tid & cfg_thread_slot_mask;

	return bpf_map_lookup_elem(&thread_slots, &i);
}

/* The record kept under thread number @tid, or NULL: maybe a stale one
 * (see thread_find). */
static __always_inline struct ls_thread *thread_lookup(__u32 tid)
{
	struct ls_thread *th = thread_slot(tid);

	if (th && th->tid == tid)
		return th;
	return bpf_map_lookup_elem(&threads, &tid);
}

/* The record of thread @tid of process @tgid, or NULL. A record of
 * another process's thread of that number is stale: its exit went unseen
 * (the process left the watch first). */
static __always_inline struct ls_thread *thread_find(__u32 tid, __u32 tgid)
{
	struct ls_thread *th = thread_lookup(tid);

	return th && th->tgid == tgid ? th : 0;
}

/*
 * Record thread @th->tid: in its slot if that is free, or holds a dead
 * thread of the same number (an exit we did not see); else in threads.
 * The slot is claimed first and marked filling, so that a reader never
 * takes half a record for the thread's. Returns 0, or <0 when full.
 */
static __always_inline int thread_record(struct ls_thread *th)
{
	__u32 tid = th->tid, busy = tid | LS_THREAD_FILLING, old;
	struct ls_thread *slot = thread_slot(tid);

	if (!slot)
		return bpf_map_update_elem(&threads, &tid, th, BPF_ANY);
	old = __sync_val_compare_and_swap(&slot->tid, 0, busy);
	/* A claim of a stale record holds only if it was still there. */
	if (old == tid &&
	    __sync_val_compare_and_swap(&slot->tid, tid, busy) == tid)
		old = 0;
	if (old != 0)
		return bpf_map_update_elem(&threads, &tid, th, BPF_ANY);
	th->tid = busy;
	__builtin_memcpy(slot, th, sizeof(*th));
	/* An atomic exchange, not a store: the fields must be seen first. */
	__sync_lock_test_and_set(&slot->tid, tid);
	th->tid = tid;
	return 0;
}

/* Drop any record of thread @tid: it is exiting, or has become its
 * process's leader by exec. */
static __always_inline void thread_forget(__u32 tid)
{
	struct ls_thread *slot = thread_slot(tid);

	if (!slot || __sync_val_compare_and_swap(&slot->tid, tid, 0) != tid)
		bpf_map_delete_elem(&threads, &tid);
}

/* ---- ring buffer ---- */

/*
 * Reserve a record and fill its header. Consumers drain on a timer; only a
 * ring more than cfg_wakeup_bytes full forces a wakeup (see emit_submit).
 */
static __always_inline void *emit_reserve(__u32 size, __u32 type, __u64 test)
{
	struct ls_event_hdr *h;
	__u64 id;

	percpu_inc(&evcounts, type);
	h = bpf_ringbuf_reserve(&events, size, 0);
	if (!h) {
		loss(LS_LOSS_RINGBUF);
		return 0;
	}
	id = bpf_get_current_pid_tgid();
	h->ts = bpf_ktime_get_ns();
	h->test = test;
	h->type = type;
	h->tgid = id >> 32;
	h->tid = (__u32)id;
	h->size = size;
	current_comm(h->comm);
	return h;
}

static __always_inline void emit_submit(void *rec)
{
	__u64 avail = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);

	bpf_ringbuf_submit(rec, avail > cfg_wakeup_bytes ? BPF_RB_FORCE_WAKEUP
							 : BPF_RB_NO_WAKEUP);
}

static __always_inline bool stream_all(void)
{
	return cfg_flags & LS_CFG_STREAM_ALL;
}

/* ---- syscalls ---- */

/* One traced syscall exit, as the per-concern handlers see it. */
struct ls_sysctx {
	long ret;
	__u64 arg[6];
	__u32 sys; /* enum ls_sys */
	__u32 tgid;
	__u32 tid;
	__s32 stack_id; /* creation stack (level stacks), else -1 */
	__u64 sp;	/* the user stack pointer */
};

/* Tell the agent that an object it reported as leaked was released while
 * its holder lived on: the leak becomes "late". */
static __always_inline void emit_released(__u32 what, __u32 holder,
					  __u64 handle, __u64 test)
{
	struct ls_ev_released *e =
		emit_reserve(sizeof(*e), LS_EV_LEAK_RELEASED, test);

	if (!e)
		return;
	e->what = what;
	e->holder = holder;
	e->handle = handle;
	e->test = test;
	emit_submit(e);
}

/* Handlers, one per concern (fd.bpf.c, mm.bpf.c, temp.bpf.c). */
extern int ls_fd_syscall(struct ls_sysctx *c);
extern int ls_mm_syscall(struct ls_sysctx *c);
extern int ls_temp_syscall(struct ls_sysctx *c);
/* Called from proc.bpf.c at exec and exit; from fd.bpf.c for close_range. */
extern int ls_fd_sweep(__u32 tgid, __u32 first, __u32 last, __u32 mode);
extern int ls_fd_brought_in(__u64 task, __u32 tgid);
extern int ls_fd_sync(__u64 task, __u32 tgid, __u32 max_fd);
/* From stacks.bpf.c: store the stack in the scratch (its fp part filled
 * by the caller, who has the context); its id or -1. */
extern __s32 ls_stack_finish(__u64 sp);

/* The current thread's user stack, stored; its id in ustacks or -1. */
static __always_inline __s32 ls_user_stack(void *ctx, __u64 sp)
{
	__u32 zero = 0;
	struct ustack_work *w = bpf_map_lookup_elem(&ustack_scratch, &zero);
	long n;

	if (!w)
		return -1;
	n = bpf_get_stack(ctx, w->u.fp, sizeof(w->u.fp), BPF_F_USER_STACK);
	w->u.n_fp = n > 0 ? n / sizeof(__u64) : 0;
	return ls_stack_finish(sp);
}

/* Called from fd.bpf.c for files that open(O_CREAT) created. */
extern int ls_temp_file_created(__u64 file, __u64 test);

enum ls_sweep_mode {
	LS_SWEEP_EXEC = 0,  /* drop entries whose fd no longer holds the file */
	LS_SWEEP_EXIT = 1,  /* drop all; remember still-shared files' origin */
	LS_SWEEP_RANGE = 2, /* as EXEC, in [first, last] (close_range) */
	LS_SWEEP_SYNC = 3,  /* as EXEC, of another process (at a boundary) */
};

/* Address of the slot of @fd in @t's table, or 0. @t is a BTF pointer
 * (bpf_get_current_task_btf): the walk to the table is plain loads. */
static __always_inline struct file **fd_slot(struct task_struct *t, __u32 fd)
{
	struct files_struct *files = t->files;
	struct fdtable *fdt;

	if (!files)
		return 0;
	fdt = files->fdt;
	if (!fdt || fd >= fdt->max_fds)
		return 0;
	return &fdt->fd[fd];
}

/* The file installed at @fd in @t's table, or NULL (fd.bpf.c reads it
 * without a helper call on its hot paths). */
static __always_inline struct file *fd_file(struct task_struct *t, __u32 fd)
{
	struct file **slot = fd_slot(t, fd);
	struct file *f = 0;

	if (slot)
		bpf_probe_read_kernel(&f, sizeof(f), slot);
	return f;
}

static __always_inline __u32 fd_type_of_mode(__u32 mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG:
		return LS_FD_FILE;
	case S_IFDIR:
		return LS_FD_DIR;
	case S_IFIFO:
		return LS_FD_PIPE;
	case S_IFSOCK:
		return LS_FD_SOCKET;
	case S_IFCHR:
		return LS_FD_CHAR;
	case S_IFBLK:
		return LS_FD_BLOCK;
	case S_IFLNK:
		return LS_FD_LINK;
	case 0:
		return LS_FD_ANON;
	}
	return LS_FD_UNKNOWN;
}

#endif /* LEAKSCOPE_COMMON_BPF_H */
