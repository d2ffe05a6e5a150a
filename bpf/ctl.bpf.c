// SPDX-License-Identifier: GPL-2.0
/*
 * ctl.bpf.c - changes the agent makes to the live tables while programs
 * run: the current test of a process (BEGIN/END), the "reported as leaked"
 * mark on an object, the sweep of mapping records that exits and execs
 * left; and, before they run, the tick clock's calibration.
 *
 * A BPF_PROG_TYPE_SYSCALL program run with BPF_PROG_RUN: each change is one
 * store in the kernel. A read-modify-write of a whole map value from
 * userspace would race the tracing programs updating other fields of the
 * same entry, and could resurrect an entry they had just replaced.
 */
#include "common.bpf.h"

#define ENOENT 2
#define EINVAL 22

/* procs[tgid].test = test; creates the entry (LAZY) for a process seen for
 * the first time; its start time (identity) comes with the request. */
static __always_inline int set_test(struct ls_ctl *c)
{
	__u32 tgid = c->tgid; /* keys must live on the stack */
	struct ls_proc *p = bpf_map_lookup_elem(&procs, &tgid);
	struct ls_proc np = {};

	if (!p) {
		np.start_ns = c->cookie;
		np.forked_ns = bpf_ktime_get_ns();
		np.flags = LS_PROC_LAZY;
		bpf_map_update_elem(&procs, &tgid, &np, BPF_NOEXIST);
		p = bpf_map_lookup_elem(&procs, &tgid);
		if (!p)
			return -ENOENT;
	}
	p->test = c->test;
	return 0;
}

static __always_inline int mark_leaked(struct ls_ctl *c)
{
	struct ls_obj_key key = c->key;
	struct ls_obj *o = bpf_map_lookup_elem(&objs, &key);

	/* The fd may have been closed and reused since the verdict; a
	 * mapping (cookie 0) is known by its address. */
	if (!o || (c->cookie && o->cookie != c->cookie))
		return -ENOENT;
	__sync_fetch_and_or(&o->flags, LS_OBJ_LEAKED);
	return 0;
}

static __always_inline int mark_thread(struct ls_ctl *c)
{
	struct ls_thread *th = thread_find(c->tgid, c->key.tgid);

	if (!th)
		return -ENOENT;
	__sync_fetch_and_or(&th->flags, LS_OBJ_LEAKED);
	return 0;
}

/* A mapping's record whose process has exited (no entry, or another
 * process's of that number) or exec'd (an older image) is dropped. */
static long drop_orphan_map(struct bpf_map *map, struct ls_obj_key *k,
			    struct ls_obj *o, __u64 *dropped)
{
	__u32 tgid = k->tgid;
	struct ls_proc *p;

	if (k->cls != LS_OBJ_MAP)
		return 0;
	p = bpf_map_lookup_elem(&procs, &tgid);
	if (p && p->start_ns == o->proc_start && p->mm_gen == o->gen)
		return 0;
	if (!bpf_map_delete_elem(map, k))
		(*dropped)++;
	return 0;
}

/* Nothing unmaps what a process holds when it exits or execs, and a scan
 * of objs on that path would cost every exit; the agent runs this instead
 * once enough such records have piled up (orphaned_map_records). */
static __always_inline int sweep_maps(struct ls_ctl *c)
{
	__u64 dropped = 0;

	bpf_for_each_map_elem(&objs, drop_orphan_map, &dropped, 0);
	c->cookie = dropped;
	return 0;
}

extern unsigned int CONFIG_HZ __kconfig __weak;

#define CLOCK_SLACK_NS (60ull * 1000000000) /* boot before the first tick */

/*
 * Calibrate the tick clock (common.bpf.h); the agent calls this a few
 * times, a fraction of a tick apart, before attaching (no program reads
 * the clock yet). Each sample's now - jiffies * tick lies between the
 * start of the current tick and a tick (plus the tick interrupt's delay)
 * later; the smallest of them, plus half a tick, puts each time within
 * half a tick of the truth. The base is wrapped arithmetic (jiffies start
 * near 2^32). c->cookie gets the tick in ns, or 0 where there is no HZ
 * (no kernel config for libbpf) or the one found does not fit jiffies'
 * count since boot: the clock then stays precise.
 */
static __always_inline int calibrate_tick_clock(struct ls_ctl *c)
{
	__u32 hz = CONFIG_HZ, t;
	__u64 j, now, base, since_boot;

	c->cookie = 0;
	if (hz < 24 || hz > 10000)
		return 0;
	t = (1000000000u + hz / 2) / hz; /* the kernel's TICK_NSEC */
	j = bpf_jiffies64();
	now = bpf_ktime_get_ns();
	/* jiffies start at INITIAL_JIFFIES, 300 s of ticks below 2^32. */
	since_boot = (j - (__u64)(__u32)(-300 * (int)hz)) * t;
	if (since_boot > now + CLOCK_SLACK_NS ||
	    now > since_boot + CLOCK_SLACK_NS)
		return 0;
	/* The smallest sample so far is tick_base_ns - t / 2. */
	base = now - j * t + t / 2;
	if (!tick_ns || (__s64)(base - tick_base_ns) < 0)
		tick_base_ns = base;
	tick_ns = t;
	c->cookie = t;
	return 0;
}

SEC("syscall")
int ctl(struct ls_ctl *c)
{
	switch (c->op) {
	case LS_CTL_SET_TEST:
		c->ret = set_test(c);
		break;
	case LS_CTL_MARK_LEAKED:
		c->ret = mark_leaked(c);
		break;
	case LS_CTL_MARK_THREAD:
		c->ret = mark_thread(c);
		break;
	case LS_CTL_CLOCK:
		c->ret = calibrate_tick_clock(c);
		break;
	case LS_CTL_SWEEP_MAPS:
		c->ret = sweep_maps(c);
		break;
	default:
		c->ret = -EINVAL;
	}
	return 0;
}
