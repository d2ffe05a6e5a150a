// SPDX-License-Identifier: GPL-2.0
/*
 * proc.bpf.c - lifecycles of processes and threads in the watch: fork, exec
 * (with argv), exit, reap, and migration into the watched cgroup.
 *
 * Owns the process table (`procs`) and the PROCESS/THREAD counters. At exec
 * and exit it asks fd.bpf.c to sweep the process's fds and releases its
 * tracked mappings, since no syscall tells us about those releases.
 * Every hook has a tp_btf and a raw_tp variant; the agent loads the best one
 * that this kernel attaches (see user/hooks.c).
 */
#include "common.bpf.h"

#define EXIT_ZOMBIE 32

/*
 * Fields of a task the tracepoint hands us. tp_btf's arguments are BTF
 * pointers: plain loads. raw_tp's are untyped: a probe read each, which
 * cost a third of a thread's fork program. @typed is a constant in each
 * program, so each compiles one branch only.
 */
#define TASK_READ(typed, t, field) \
	((typed) ? (t)->field : BPF_CORE_READ((t), field))

static __always_inline bool task_watched_by(struct task_struct *t, bool typed)
{
	return typed ? task_watched_btf(t) : task_watched(t);
}

/* Has @t's process moved out of the watch (see tgid_escaped)? The flag
 * first: until an escape, raw_tp pays no probe read for the tgid. */
static __always_inline bool task_escaped(struct task_struct *t, bool typed)
{
	return watch.escaped && tgid_escaped(TASK_READ(typed, t, tgid));
}

static __always_inline void task_comm(char dst[LS_COMM_LEN],
				      struct task_struct *t, bool typed)
{
	if (typed)
		__builtin_memcpy(dst, t->comm, LS_COMM_LEN);
	else
		BPF_CORE_READ_STR_INTO((char(*)[LS_COMM_LEN])dst, t, comm);
}

static __always_inline void emit_proc(__u32 type, __u64 test, __u32 pid,
				      __u32 ppid, __s32 code, __u32 flags)
{
	struct ls_ev_proc *e = emit_reserve(sizeof(*e), type, test);

	if (!e)
		return;
	e->pid = pid;
	e->ppid = ppid;
	e->code = code;
	e->flags = flags;
	emit_submit(e);
}

/* Threads are remembered one by one, so that only threads the watch saw
 * created are counted released, and a leaked one names its creator. */
static __always_inline void on_thread_new(struct task_struct *parent, __u32 pid,
					  __u32 tgid, __u64 start_ns,
					  bool typed)
{
	struct ls_proc *p = bpf_map_lookup_elem(&procs, &tgid);
	struct ls_thread th = {};

	th.created_ns = start_ns;
	th.test = p ? p->test : 0;
	th.flags = 0;
	th.tid = pid;
	th.tgid = tgid;
	th.creator_tid = TASK_READ(typed, parent, pid);
	task_comm(th.creator_comm, parent, typed);
	if (thread_record(&th)) {
		loss(LS_LOSS_THREAD_TABLE);
		return;
	}
	kind_created(LS_KIND_THREAD, 0, th.test);
	if (stream_all())
		emit_proc(LS_EV_THREAD_NEW, th.test, pid, tgid, 0, 0);
}

/* @explicit: the thread ended while its process lives on. */
static __always_inline void on_thread_gone(struct ls_proc *p, __u32 pid,
					   __u32 tgid, bool explicit)
{
	struct ls_thread *th = thread_lookup(pid);
	__u64 test;

	if (!th)
		return; /* not one the watch saw created */
	if (th->tgid != tgid) {
		/* Not one the watch saw created either: a stale record of
		 * another process's thread of that number, dropped here. */
		thread_forget(pid);
		return;
	}
	test = th->test;
	if (explicit && (th->flags & LS_OBJ_LEAKED))
		emit_released(LS_RELEASED_THREAD, tgid, pid, test);
	thread_forget(pid);
	kind_released(LS_KIND_THREAD, 0, test);
	if (stream_all())
		emit_proc(LS_EV_THREAD_EXIT, p ? p->test : 0, pid, tgid, 0, 0);
}

static __always_inline int on_fork(struct task_struct *parent,
				   struct task_struct *child, bool typed)
{
	__u32 tgid, pid, ptgid;
	__u64 start_ns;
	struct ls_proc np = {}, *pp;
	bool watched = task_watched_by(child, typed);

	/* A child of a process that left the watch is followed with it. */
	if (!watched && !task_escaped(parent, typed))
		return 0;
	tgid = TASK_READ(typed, child, tgid);
	pid = TASK_READ(typed, child, pid);
	ptgid = TASK_READ(typed, parent, tgid);
	/* CLOCK_MONOTONIC, set by copy_process just before this tracepoint:
	 * the child's creation time, with a load instead of a clock helper. */
	start_ns = TASK_READ(typed, child, start_time);

	if (pid != tgid) {
		on_thread_new(parent, pid, tgid, start_ns, typed);
		return 0;
	}

	/* A test follows the process: children inherit their parent's, and
	 * belong to it. */
	pp = bpf_map_lookup_elem(&procs, &ptgid);
	np.test = np.created_test = pp ? pp->test : 0;
	np.start_ns = np.forked_ns = start_ns;
	np.ppid = ptgid;
	np.creator_tid = TASK_READ(typed, parent, pid);
	np.flags = LS_PROC_COUNTED | (watched ? 0 : LS_PROC_ESCAPED);
	task_comm(np.comm, child, typed);
	if (bpf_map_update_elem(&procs, &tgid, &np, BPF_ANY)) {
		loss(LS_LOSS_PROC_TABLE);
		return 0;
	}
	kind_created(LS_KIND_PROCESS, 0, np.created_test);
	emit_proc(LS_EV_PROC_FORK, np.test, tgid, ptgid, 0, 0);
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(proc_fork_btf, struct task_struct *parent,
	     struct task_struct *child)
{
	return on_fork(parent, child, true);
}

SEC("raw_tp/sched_process_fork")
int BPF_PROG(proc_fork_raw, struct task_struct *parent,
	     struct task_struct *child)
{
	return on_fork(parent, child, false);
}

/* Mappings die with the old mm at exec and with the process at exit. */
static __always_inline void release_mappings(struct ls_proc *p)
{
	struct ls_kind_stats *s = kind_stats(LS_KIND_MAPPING);
	__u64 heap = p->brk_cur > p->brk_start ? p->brk_cur - p->brk_start : 0;

	/* Not per test: the mappings' tests are in entries we cannot list
	 * here; per-test mapping leaks are checked on the live VMAs. */
	kind_released_n(LS_KIND_MAPPING, p->live_maps, p->mapped_bytes, 0);
	if (p->live_maps)
		__sync_fetch_and_add(&orphaned_map_records, p->live_maps);
	if (s && heap)
		__sync_fetch_and_sub(&s->heap_cur, heap);
	p->live_maps = 0;
	p->mapped_bytes = 0;
	p->brk_start = 0;
	p->brk_cur = 0;
	p->mm_gen++;
}

static __always_inline void emit_exec(__u64 test)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct ls_ev_exec *e = emit_reserve(sizeof(*e), LS_EV_PROC_EXEC, test);
	unsigned long start, end;
	__u32 len, n;

	if (!e)
		return;
	start = BPF_CORE_READ(t, mm, arg_start);
	end = BPF_CORE_READ(t, mm, arg_end);
	len = end > start ? end - start : 0;
	/* n in [1, LS_ARGV_LEN] in a form the verifier can bound. */
	n = ((len - 1) & (LS_ARGV_LEN - 1)) + 1;
	if (len > LS_ARGV_LEN)
		n = LS_ARGV_LEN;
	e->argv_len = len ? n : 0;
	e->pad = 0;
	if (!len || bpf_probe_read_user(e->argv, n, (void *)start))
		e->argv_len = 0;
	emit_submit(e);
}

/*
 * --test-per-exec: a program that the harness (the process leakscope
 * started) runs in a child is one test, from its exec to its exit. The id
 * is given here, before the program's first instruction, so nothing it
 * does can escape its test.
 */
static __always_inline void auto_test(struct ls_proc *p)
{
	struct ls_test_counts zero = {};
	struct ls_proc *harness;
	__u32 ppid = p->ppid;
	__u64 id;

	if (!(cfg_flags & LS_CFG_TEST_PER_EXEC) || p->test)
		return;
	harness = bpf_map_lookup_elem(&procs, &ppid);
	if (!harness || harness->ppid != cfg_agent_tgid)
		return;
	id = LS_AUTO_TEST | __sync_add_and_fetch(&auto_test_seq, 1);
	bpf_map_update_elem(&tstats, &id, &zero, BPF_NOEXIST);
	p->test = id;
}

static __always_inline int on_exec(__u32 old_pid)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct ls_proc *p;

	if (!current_followed(tgid))
		return 0;
	p = current_proc(tgid);
	if (!p)
		return 0;
	/* A thread that execs becomes the leader: it is no thread anymore. */
	if (old_pid != tgid)
		on_thread_gone(p, old_pid, tgid, false);
	p->flags |= LS_PROC_EXECED;
	auto_test(p);
	current_comm(p->comm);
	release_mappings(p);
	if (cfg_level >= LS_LEVEL_FULL)
		ls_fd_sweep(tgid, 0, p->max_fd, LS_SWEEP_EXEC);
	emit_exec(p->test);
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(proc_exec_btf, struct task_struct *t, pid_t old_pid)
{
	return on_exec(old_pid);
}

SEC("raw_tp/sched_process_exec")
int BPF_PROG(proc_exec_raw, struct task_struct *t, pid_t old_pid)
{
	return on_exec(old_pid);
}

#define SIGNAL_GROUP_EXIT 0x00000004

/* Is the whole thread group on its way out (exit_group, fatal signal)? */
static __always_inline bool group_exiting(struct task_struct *t, bool typed)
{
	return (typed ? t->signal->flags : BPF_CORE_READ(t, signal, flags)) &
	       SIGNAL_GROUP_EXIT;
}

/* signal->live is decremented before the tracepoint fires. */
static __always_inline bool group_dead(struct task_struct *t, bool typed)
{
	return (typed ? t->signal->live.counter
		      : BPF_CORE_READ(t, signal, live.counter)) == 0;
}

/*
 * Every task on the machine passes here. @t is the current task: with
 * tp_btf, its fields are plain loads, without a helper call (~20-40 ns
 * each in these VMs, with their return thunks).
 */
static __always_inline bool exiting_followed(struct task_struct *t, bool typed)
{
	if (typed ? task_watched_btf(t) : current_watched())
		return true;
	return task_escaped(t, typed);
}

static __always_inline int on_exit(struct task_struct *t, bool typed)
{
	__u32 tgid, pid;
	struct ls_proc *p;
	bool last;

	if (!exiting_followed(t, typed))
		return 0;
	tgid = TASK_READ(typed, t, tgid);
	pid = TASK_READ(typed, t, pid);
	p = bpf_map_lookup_elem(&procs, &tgid);
	/* Read first: the later another thread's exit is seen here, the more
	 * likely two threads both take themselves for the last. */
	last = group_dead(t, typed);
	if (pid != tgid)
		on_thread_gone(p, pid, tgid, !group_exiting(t, typed));
	if (!last || !p)
		return 0;
	/*
	 * A process counts as released when it exits, not when it is reaped:
	 * the task is freed in an RCU callback that lazy RCU may run seconds
	 * later. A zombie is a finding of its own, from the iterator.
	 */
	release_mappings(p);
	if (cfg_level >= LS_LEVEL_FULL)
		ls_fd_sweep(tgid, 0, p->max_fd, LS_SWEEP_EXIT);
	if (p->flags & LS_PROC_COUNTED)
		kind_released(LS_KIND_PROCESS, 0, p->created_test);
	emit_proc(LS_EV_PROC_EXIT, p->test, tgid, p->ppid,
		  TASK_READ(typed, t, exit_code), 1);
	/* One followed out of the watch keeps its entry to its reap: that
	 * is all that marks it then (see on_free). */
	if (!(p->flags & LS_PROC_ESCAPED))
		bpf_map_delete_elem(&procs, &tgid);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(proc_exit_btf, struct task_struct *t)
{
	return on_exit(t, true);
}

SEC("raw_tp/sched_process_exit")
int BPF_PROG(proc_exit_raw, struct task_struct *t)
{
	return on_exit(t, false);
}

/* The task struct is freed after the parent reaped it: the end of a process
 * (and of a zombie). Runs for every task on the machine, an RCU grace
 * period after its exit, when the task is out of the cache: the cgroup is
 * read first, so that a task outside the watch costs one cold line. */
static __always_inline int on_free(struct task_struct *t, bool typed)
{
	__u32 pid, tgid;
	struct ls_proc *p;

	/* The task keeps its css_set until now: the cgroup still tells. */
	if (task_watched_by(t, typed)) {
		pid = TASK_READ(typed, t, pid);
		tgid = TASK_READ(typed, t, tgid);
		if (pid == tgid)
			emit_proc(LS_EV_PROC_REAP, 0, tgid, 0, 0, 0);
		return 0;
	}
	if (!watch.escaped)
		return 0;
	pid = TASK_READ(typed, t, pid);
	tgid = TASK_READ(typed, t, tgid);
	if (pid != tgid)
		return 0;
	/* Its number may be another process's by now: check the start. */
	p = bpf_map_lookup_elem(&procs, &tgid);
	if (p && (p->flags & LS_PROC_ESCAPED) &&
	    p->start_ns == TASK_READ(typed, t, start_time)) {
		bpf_map_delete_elem(&procs, &tgid);
		emit_proc(LS_EV_PROC_REAP, 0, tgid, 0, 0, 0);
	}
	return 0;
}

SEC("tp_btf/sched_process_free")
int BPF_PROG(proc_free_btf, struct task_struct *t)
{
	return on_free(t, true);
}

SEC("raw_tp/sched_process_free")
int BPF_PROG(proc_free_raw, struct task_struct *t)
{
	return on_free(t, false);
}

/*
 * A process that moves out of the watch is marked so and followed to its
 * exit (see tgid_escaped): one left running is a finding, not a process
 * that vanished. Moved back in, it is watched again.
 */
static __always_inline void on_move(struct ls_proc *p, bool into_watch)
{
	if (!into_watch && !(p->flags & LS_PROC_ESCAPED)) {
		__sync_fetch_and_or(&p->flags, LS_PROC_ESCAPED);
		watch.escaped = 1;
	} else if (into_watch && (p->flags & LS_PROC_ESCAPED)) {
		__sync_fetch_and_and(&p->flags, ~LS_PROC_ESCAPED);
	}
}

/*
 * A task moved into a watched cgroup (cgroup.procs write, systemd, or our own
 * fallback when clone3(CLONE_INTO_CGROUP) is missing) joins the watch here.
 * The tracepoint fires once per move, with the leader when the whole
 * process moves.
 */
static __always_inline int on_migrate(struct cgroup *dst, struct task_struct *t)
{
	__u32 tgid = BPF_CORE_READ(t, tgid);
	bool into_watch = cgroup_watched(dst);
	struct ls_proc np = {}, *p = bpf_map_lookup_elem(&procs, &tgid);

	if (p)
		on_move(p, into_watch);
	if (!into_watch || p)
		return 0;
	np.start_ns = group_start_ns(t);
	np.forked_ns = bpf_ktime_get_ns();
	np.ppid = BPF_CORE_READ(t, real_parent, tgid);
	np.flags = LS_PROC_MIGRATED | LS_PROC_COUNTED;
	BPF_CORE_READ_STR_INTO(&np.comm, t, comm);
	if (bpf_map_update_elem(&procs, &tgid, &np, BPF_NOEXIST) == 0) {
		kind_created(LS_KIND_PROCESS, 0, 0);
		/* Read, not cast: a global function takes no task pointer,
		 * and the leader shares the thread's fd table. */
		if (cfg_level >= LS_LEVEL_FULL)
			ls_fd_brought_in((__u64)BPF_CORE_READ(t, group_leader),
					 tgid);
	}
	return 0;
}

SEC("tp_btf/cgroup_attach_task")
int BPF_PROG(proc_migrate_btf, struct cgroup *dst, const char *path,
	     struct task_struct *t)
{
	return on_migrate(dst, t);
}

SEC("raw_tp/cgroup_attach_task")
int BPF_PROG(proc_migrate_raw, struct cgroup *dst, const char *path,
	     struct task_struct *t)
{
	return on_migrate(dst, t);
}
