// SPDX-License-Identifier: GPL-2.0
/*
 * stacks.bpf.c - creation stacks (level stacks) that survive code built
 * without frame pointers.
 *
 * The kernel walks user stacks by frame pointer only. glibc is built
 * without them: a libc wrapper that makes no frame hides its caller (the
 * walk starts from the caller's caller), and one that uses %rbp as a
 * scratch register (open) ends the walk at once. So next to the walk the
 * stack keeps the words on top of the user stack that point into
 * executable mappings; the agent keeps those that follow a call
 * instruction (real return addresses) and fills the gap with them.
 *
 * Owns the ustacks map (deduplicated by content: a hash as the key, the
 * whole stack compared on a clash) and its per-CPU scratch.
 * Must not: run below level stacks (callers check).
 */
#include "common.bpf.h"

_Static_assert(LS_STACK_DEPTH == LS_SCAN_WORDS &&
		       !(LS_STACK_DEPTH & (LS_STACK_DEPTH - 1)),
	       "the loops below index both arrays with one power-of-two mask");

#define VM_EXEC	   0x4
#define USER_TOP   (1ULL << 47)
#define STACK_NEAR (1ULL << 20) /* our own stack: not code */
#define HASH_MUL   0x100000001b3ULL

struct scan_ctx {
	struct ustack_work *w;
	struct task_struct *task;
	__u64 sp;
};

static long vma_is_exec(struct task_struct *t, struct vm_area_struct *vma,
			void *data)
{
	*(bool *)data = BPF_CORE_READ(vma, vm_flags) & VM_EXEC;
	return 0;
}

/* Keep word @i if it points into executable memory (cheap tests first). */
static long scan_one(__u32 i, void *arg)
{
	struct scan_ctx *s = arg;
	bool exec = false;
	__u64 w;
	__u32 n;

	w = s->w->words[i & (LS_SCAN_WORDS - 1)];
	if (w < 0x10000 || w >= USER_TOP ||
	    (w > s->sp - STACK_NEAR && w < s->sp + STACK_NEAR))
		return 0;
	if (bpf_find_vma(s->task, w, vma_is_exec, &exec, 0) || !exec)
		return 0;
	n = s->w->u.n_scan;
	if (n < LS_SCAN_WORDS) {
		s->w->u.scan[n & (LS_SCAN_WORDS - 1)] = w;
		s->w->u.n_scan = n + 1;
	}
	return 0;
}

struct tail_ctx {
	struct ls_ustack *u;
};

static long zero_tail(__u32 i, void *arg)
{
	struct ls_ustack *u = ((struct tail_ctx *)arg)->u;

	/* The masks are for the verifier: both sizes are powers of two. */
	if (i >= u->n_fp)
		u->fp[i & (LS_STACK_DEPTH - 1)] = 0;
	if (i >= u->n_scan)
		u->scan[i & (LS_SCAN_WORDS - 1)] = 0;
	return 0;
}

struct hash_ctx {
	const struct ls_ustack *u;
	__u64 h;
};

static long hash_one(__u32 i, void *arg)
{
	struct hash_ctx *c = arg;

	i &= LS_STACK_DEPTH - 1;
	c->h = (c->h ^ c->u->fp[i]) * HASH_MUL;
	c->h = (c->h ^ c->u->scan[i]) * HASH_MUL;
	return 0;
}

struct cmp_ctx {
	const struct ls_ustack *a, *b;
	bool differ;
};

static long cmp_one(__u32 i, void *arg)
{
	struct cmp_ctx *c = arg;

	i &= LS_STACK_DEPTH - 1;
	if (c->a->fp[i] != c->b->fp[i] || c->a->scan[i] != c->b->scan[i]) {
		c->differ = true;
		return 1;
	}
	return 0;
}

/* The key for the stack in @u, or -1 if another stack holds its slot. */
static __always_inline __s32 store(struct ls_ustack *u)
{
	struct hash_ctx h = { .u = u, .h = 0xcbf29ce484222325ULL };
	struct cmp_ctx c = { .a = u };
	__u32 key;

	h.h ^= u->n_fp | (__u64)u->n_scan << 32;
	bpf_loop(LS_STACK_DEPTH, hash_one, &h, 0);
	key = (__u32)(h.h ^ h.h >> 32) & 0x7fffffff;
	if (!bpf_map_update_elem(&ustacks, &key, u, BPF_NOEXIST))
		return key;
	c.b = bpf_map_lookup_elem(&ustacks, &key);
	if (c.b && c.b->n_fp == u->n_fp && c.b->n_scan == u->n_scan) {
		bpf_loop(LS_STACK_DEPTH, cmp_one, &c, 0);
		if (!c.differ)
			return key;
	}
	/* The table is full, or another stack holds the slot. */
	loss(LS_LOSS_STACK_TABLE);
	return -1;
}

__noinline __s32 ls_stack_finish(__u64 sp)
{
	__u32 zero = 0;
	struct ustack_work *w = bpf_map_lookup_elem(&ustack_scratch, &zero);
	struct scan_ctx s = { .sp = sp };
	struct tail_ctx t;

	if (!w)
		return -1;
	w->u.n_scan = 0;
	if (sp &&
	    !bpf_probe_read_user(w->words, sizeof(w->words), (void *)sp)) {
		s.w = w;
		s.task = bpf_get_current_task_btf();
		bpf_loop(LS_SCAN_WORDS, scan_one, &s, 0);
	}
	if (w->u.n_fp > LS_STACK_DEPTH)
		w->u.n_fp = LS_STACK_DEPTH;
	t.u = &w->u;
	bpf_loop(LS_STACK_DEPTH, zero_tail, &t, 0);
	if (!w->u.n_fp && !w->u.n_scan)
		return -1;
	return store(&w->u);
}
