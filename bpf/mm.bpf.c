// SPDX-License-Identifier: GPL-2.0
/*
 * mm.bpf.c - memory mappings that watched processes ask for: mmap, munmap,
 * mremap, and heap growth through brk.
 *
 * Owns the LS_OBJ_MAP entries of the live-object table (keyed by start
 * address) and the MAPPING counters (count, bytes, heap bytes). Only unmaps
 * that start where a tracked mapping starts are matched; the task_vma
 * iterator is the truth about what is mapped at a boundary.
 * Must not: walk the VMA tree on the hot path.
 */
#include "common.bpf.h"

static __always_inline __u64 page_align(__u64 len)
{
	__u64 ps = cfg_page_size ?: 4096;

	return (len + ps - 1) & ~(ps - 1);
}

static __always_inline void emit_map(__u32 type, __u64 test, __u64 addr,
				     __u64 len, __u32 prot, __u32 flags)
{
	struct ls_ev_mmap *e = emit_reserve(sizeof(*e), type, test);

	if (!e)
		return;
	e->addr = addr;
	e->len = len;
	e->prot = prot;
	e->flags = flags;
	emit_submit(e);
}

/* @explicit: unmapped (not moved by mremap, not cut from the front). */
static __always_inline void map_release(struct ls_obj_key *k, struct ls_obj *o,
					struct ls_proc *p, bool explicit)
{
	__u64 len = o->cookie;

	kind_released(LS_KIND_MAPPING, len, o->test);
	if (explicit && (o->flags & LS_OBJ_LEAKED))
		emit_released(LS_RELEASED_MAP, k->tgid, k->handle, o->test);
	if (p->live_maps)
		p->live_maps--;
	p->mapped_bytes = p->mapped_bytes > len ? p->mapped_bytes - len : 0;
	if (stream_all())
		emit_map(LS_EV_MUNMAP, o->test, k->handle, len, 0, 0);
	bpf_map_delete_elem(&objs, k);
}

/* The tracked mapping at @addr, if it belongs to the current mm. */
static __always_inline struct ls_obj *map_lookup(struct ls_obj_key *k,
						 struct ls_proc *p)
{
	struct ls_obj *o = bpf_map_lookup_elem(&objs, k);

	if (o && (o->proc_start != p->start_ns || o->gen != p->mm_gen)) {
		/* Left over from an earlier mm (exec) or process: drop. */
		bpf_map_delete_elem(&objs, k);
		return 0;
	}
	return o;
}

static __always_inline void map_insert(struct ls_sysctx *c, struct ls_proc *p,
				       __u64 addr, __u64 len, __u64 prot_flags,
				       const struct ls_obj *from)
{
	struct ls_obj_key k = { .tgid = c->tgid,
				.cls = LS_OBJ_MAP,
				.handle = addr };
	struct ls_obj o = {}, *old;

	if (from) {
		o = *from;
	} else {
		o.created_ns = ls_tick_ns();
		o.test = p->test;
		o.proc_start = p->start_ns;
		o.ino = prot_flags;
		o.tid = c->tid;
		o.tgid = c->tgid;
		o.kind = LS_KIND_MAPPING;
		o.stack_id = c->stack_id;
		current_comm(o.comm);
	}
	o.cookie = len;
	o.gen = p->mm_gen;
	/* Usually nothing is tracked at a new address: one insert, not a
	 * lookup first. */
	if (bpf_map_update_elem(&objs, &k, &o, BPF_NOEXIST)) {
		old = map_lookup(&k, p);
		if (old) /* MAP_FIXED over a mapping we track */
			map_release(&k, old, p, true);
		if (bpf_map_update_elem(&objs, &k, &o, BPF_ANY)) {
			loss(LS_LOSS_OBJ_TABLE);
			return;
		}
	}
	p->live_maps++;
	p->mapped_bytes += len;
	kind_created(LS_KIND_MAPPING, len, o.test);
	if (stream_all())
		emit_map(LS_EV_MMAP, o.test, addr, len, (__u32)prot_flags,
			 prot_flags >> 32);
}

static __always_inline void on_munmap(struct ls_sysctx *c, struct ls_proc *p)
{
	struct ls_obj_key k = { .tgid = c->tgid, .cls = LS_OBJ_MAP };
	__u64 len = page_align(c->arg[1]);
	struct ls_obj rest, *o;

	k.handle = c->arg[0];
	o = map_lookup(&k, p);
	if (!o)
		return;
	if (len >= o->cookie) {
		map_release(&k, o, p, true);
		return;
	}
	/* Unmapped from the front: the rest lives on at a new start. */
	rest = *o;
	map_release(&k, o, p, false);
	map_insert(c, p, k.handle + len, rest.cookie - len, 0, &rest);
}

static __always_inline void on_mremap(struct ls_sysctx *c, struct ls_proc *p)
{
	struct ls_obj_key k = { .tgid = c->tgid, .cls = LS_OBJ_MAP };
	struct ls_obj moved, *o;

	k.handle = c->arg[0];
	o = map_lookup(&k, p);
	if (!o)
		return;
	moved = *o;
	map_release(&k, o, p, false);
	map_insert(c, p, (__u64)c->ret, page_align(c->arg[2]), 0, &moved);
}

static __always_inline void on_brk(struct ls_sysctx *c, struct ls_proc *p)
{
	struct ls_kind_stats *s = kind_stats(LS_KIND_MAPPING);
	__u64 brk = (__u64)c->ret, old_heap, heap;

	if (!p->brk_start)
		p->brk_start = BPF_CORE_READ(bpf_get_current_task_btf(), mm,
					     start_brk);
	old_heap = p->brk_cur > p->brk_start ? p->brk_cur - p->brk_start : 0;
	heap = brk > p->brk_start ? brk - p->brk_start : 0;
	p->brk_cur = brk;
	if (!s || heap == old_heap)
		return;
	if (heap > old_heap)
		raise_peak(&s->heap_peak,
			   __sync_add_and_fetch(&s->heap_cur, heap - old_heap));
	else
		__sync_fetch_and_sub(&s->heap_cur, old_heap - heap);
}

/* Exit of a syscall of the MM hook group. */
__noinline int ls_mm_syscall(struct ls_sysctx *c)
{
	struct ls_proc *p;

	if (!c || IS_ERR_VALUE(c->ret))
		return 0;
	p = current_proc(c->tgid);
	if (!p)
		return 0;
	switch (c->sys) {
	case LS_SYS_mmap:
		map_insert(c, p, (__u64)c->ret, page_align(c->arg[1]),
			   (c->arg[2] & 0xffffffff) | (c->arg[3] << 32), 0);
		break;
	case LS_SYS_munmap:
		on_munmap(c, p);
		break;
	case LS_SYS_mremap:
		on_mremap(c, p);
		break;
	case LS_SYS_brk:
		on_brk(c, p);
		break;
	}
	return 0;
}
