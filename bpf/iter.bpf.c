// SPDX-License-Identifier: GPL-2.0
/*
 * iter.bpf.c - snapshots of what is alive in the watch, read by the agent at
 * boundaries: tasks (processes, threads, zombies), open files (with path and
 * socket endpoints) and memory mappings.
 *
 * These are the truth that verdicts rest on: they read the kernel's own
 * structures, so nothing lost on the ring buffer can hide or invent a leak.
 * Each record is a fixed-size struct from abi.h written with bpf_seq_write.
 */
#include "common.bpf.h"

#define AF_UNIX	 1
#define AF_INET	 2
#define AF_INET6 10

/* The agent sets iter_unfiltered (and restricts the iterator to one pid)
 * to read its own fds, which the wrapped command inherits. */
static __always_inline bool iter_wants(struct task_struct *t)
{
	return iter_unfiltered || task_watched(t) || tgid_escaped(t->tgid);
}

/* Who made the process (leader) or thread @t, from the live tables. */
static __always_inline void task_origin(struct task_struct *t,
					struct ls_iter_task *r)
{
	struct ls_proc *p;
	struct ls_thread *th;

	if (r->pid != r->tgid) {
		th = thread_find(r->pid, r->tgid);
		if (!th)
			return;
		r->origin.test = th->test;
		r->origin.created_ns = th->created_ns;
		r->origin.tgid = th->tgid;
		r->origin.tid = th->creator_tid;
		r->origin.flags =
			LS_ORIGIN_KNOWN |
			(th->flags & LS_OBJ_LEAKED ? LS_ORIGIN_LEAKED : 0);
		__builtin_memcpy(r->origin.comm, th->creator_comm, LS_COMM_LEN);
		/* The thread may have exited and its slot been taken while
		 * we copied: then the copy is not its. */
		asm volatile("" ::: "memory");
		if (*(volatile __u32 *)&th->tid != r->pid)
			__builtin_memset(&r->origin, 0, sizeof(r->origin));
		return;
	}
	p = bpf_map_lookup_elem(&procs, &r->tgid);
	if (!p || p->start_ns != r->start_ns)
		return;
	r->test = p->test;
	if (!(p->flags & (LS_PROC_COUNTED | LS_PROC_MIGRATED)))
		return; /* baseline or first seen late: no creation known */
	r->origin.test = p->created_test;
	r->origin.created_ns = p->forked_ns;
	r->origin.tgid = p->ppid;
	r->origin.tid = p->creator_tid;
	r->origin.flags = LS_ORIGIN_KNOWN;
}

/* Who made the object in @o, if the record is for this very object. */
static __always_inline void obj_origin(const struct ls_obj *o,
				       struct ls_origin *r, __u32 flags)
{
	r->test = o->test;
	r->created_ns = o->created_ns;
	r->tgid = o->tgid;
	r->tid = o->tid;
	r->stack_id = o->stack_id;
	r->flags = flags | LS_ORIGIN_KNOWN |
		   (o->flags & LS_OBJ_LEAKED ? LS_ORIGIN_LEAKED : 0) |
		   (o->flags & LS_OBJ_BROUGHT ? LS_ORIGIN_BROUGHT : 0);
	__builtin_memcpy(r->comm, o->comm, LS_COMM_LEN);
}

static __always_inline void file_origin(struct ls_iter_file *r)
{
	struct ls_obj_key k = { .tgid = r->tgid,
				.cls = LS_OBJ_FD,
				.handle = (__u32)r->fd };
	struct ls_obj *o = bpf_map_lookup_elem(&objs, &k);

	if (o && o->cookie == r->file) {
		obj_origin(o, &r->origin, 0);
		return;
	}
	/* Inherited from a creator that has exited (a daemon's socket). */
	o = bpf_map_lookup_elem(&departed, &r->file);
	if (o && o->ino == r->ino)
		obj_origin(o, &r->origin, LS_ORIGIN_DEPARTED);
}

static __always_inline void vma_origin(struct ls_iter_vma *r, __u64 start_ns)
{
	struct ls_obj_key k = { .tgid = r->tgid,
				.cls = LS_OBJ_MAP,
				.handle = r->start };
	struct ls_obj *o = bpf_map_lookup_elem(&objs, &k);
	struct ls_proc *p = bpf_map_lookup_elem(&procs, &r->tgid);

	/* Same process and same mm (no exec since): the same mapping. */
	if (o && p && o->proc_start == start_ns && o->gen == p->mm_gen) {
		obj_origin(o, &r->origin, 0);
		r->tracked_len = o->cookie;
		r->created_prot = (__u32)o->ino;
	}
}

SEC("iter/task")
int iter_task(struct bpf_iter__task *ctx)
{
	struct task_struct *t = ctx->task;
	struct ls_iter_task r = {};
	bool watched;

	if (!t)
		return 0;
	/* iter_wants, keeping which of its answers it was. */
	watched = iter_unfiltered || task_watched(t);
	if (!watched && !tgid_escaped(t->tgid))
		return 0;
	r.magic = LS_ITER_TASK_MAGIC;
	r.pid = t->pid;
	r.tgid = t->tgid;
	r.ppid = BPF_CORE_READ(t, real_parent, tgid);
	r.start_ns = t->start_time;
	r.cgid = cgroup_id_of(BPF_CORE_READ(t, cgroups, dfl_cgrp));
	r.state = BPF_CORE_READ(t, __state);
	r.exit_state = t->exit_state;
	r.flags = t->flags;
	r.nr_threads = BPF_CORE_READ(t, signal, nr_threads);
	r.vm_pages = BPF_CORE_READ(t, mm, total_vm);
	BPF_CORE_READ_STR_INTO(&r.comm, t, comm);
	r.origin.stack_id = -1;
	task_origin(t, &r);
	if (!watched)
		r.origin.flags |= LS_ORIGIN_ESCAPED;
	bpf_seq_write(ctx->meta->seq, &r, sizeof(r));
	return 0;
}

/*
 * Release the fd records of each watched process (its leader) whose fd
 * was closed since: close(2) is not traced (see fd.bpf.c). Writes nothing;
 * the agent runs it before it reads counts, at END and at the end.
 */
SEC("iter/task")
int iter_fd_sync(struct bpf_iter__task *ctx)
{
	struct task_struct *t = ctx->task;
	struct ls_proc *p;
	__u32 tgid;

	if (!t || t->pid != t->tgid || !iter_wants(t))
		return 0;
	tgid = t->tgid;
	p = bpf_map_lookup_elem(&procs, &tgid);
	/* The leader's own address, as the scalar a global function takes. */
	if (p)
		ls_fd_sync((__u64)BPF_CORE_READ(t, group_leader), tgid,
			   p->max_fd);
	return 0;
}

/* The bound address of unix socket @sk into @dst; false if unbound. */
static __always_inline bool unix_addr(struct sock *sk, char *dst)
{
	struct unix_address *a = BPF_CORE_READ((struct unix_sock *)sk, addr);
	int len;

	dst[0] = 0;
	if (!a)
		return false;
	len = BPF_CORE_READ(a, len) - (int)sizeof(short);
	if (len <= 0)
		return false;
	if (len > 108)
		len = 108;
	/* Abstract names start with NUL; show them as '@' like ss(8). */
	bpf_probe_read_kernel(dst, len & 127, a->name[0].sun_path);
	if (dst[0] == 0)
		dst[0] = '@';
	dst[len & 127] = 0;
	return true;
}

static __always_inline void sock_info(struct file *f, struct ls_iter_file *r)
{
	struct socket *sock = BPF_CORE_READ(f, private_data);
	struct sock *sk = BPF_CORE_READ(sock, sk), *peer;

	if (!sk)
		return;
	r->sk_flags = LS_SK_VALID;
	r->family = BPF_CORE_READ(sk, __sk_common.skc_family);
	r->sk_type = BPF_CORE_READ(sk, sk_type);
	r->protocol = BPF_CORE_READ(sk, sk_protocol);
	r->state = BPF_CORE_READ(sk, __sk_common.skc_state);
	if (r->family == AF_UNIX) {
		if (unix_addr(sk, r->path))
			r->sk_flags |= LS_SK_UNIX_ADDR;
		peer = BPF_CORE_READ((struct unix_sock *)sk, peer);
		if (peer && unix_addr(peer, r->path2))
			r->sk_flags |= LS_SK_UNIX_PEER;
		return;
	}
	if (r->family != AF_INET && r->family != AF_INET6)
		return;
	r->sport = BPF_CORE_READ(sk, __sk_common.skc_num);
	r->dport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (r->family == AF_INET6) {
		BPF_CORE_READ_INTO(&r->saddr, sk, __sk_common.skc_v6_rcv_saddr);
		BPF_CORE_READ_INTO(&r->daddr, sk, __sk_common.skc_v6_daddr);
	} else {
		BPF_CORE_READ_INTO((__u32 *)r->saddr, sk,
				   __sk_common.skc_rcv_saddr);
		BPF_CORE_READ_INTO((__u32 *)r->daddr, sk,
				   __sk_common.skc_daddr);
	}
}

/* The per-CPU scratch buffer is too small for a record; use a map. */
struct file_rec_map {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ls_iter_file);
} file_rec SEC(".maps");

SEC("iter/task_file")
int iter_task_file(struct bpf_iter__task_file *ctx)
{
	struct task_struct *t = ctx->task;
	struct file *f = ctx->file;
	struct ls_iter_file *r;
	struct inode *ino;
	__u32 zero = 0;

	if (!t || !f || !iter_wants(t))
		return 0;
	r = bpf_map_lookup_elem(&file_rec, &zero);
	if (!r)
		return 0;
	__builtin_memset(r, 0, sizeof(*r));
	ino = f->f_inode;
	r->magic = LS_ITER_FILE_MAGIC;
	r->tgid = t->tgid;
	r->fd = ctx->fd;
	r->file = (__u64)f;
	r->ino = BPF_CORE_READ(ino, i_ino);
	r->dev = BPF_CORE_READ(ino, i_sb, s_dev);
	r->mode = BPF_CORE_READ(ino, i_mode);
	r->f_flags = f->f_flags;
	r->fd_type = fd_type_of_mode(r->mode);
	r->origin.stack_id = -1;
	file_origin(r);
	if (r->fd_type == LS_FD_SOCKET)
		sock_info(f, r);
	if (!r->path[0] &&
	    bpf_d_path((struct path *)&f->f_path, r->path, sizeof(r->path)) < 0)
		r->path[0] = 0;
	bpf_seq_write(ctx->meta->seq, r, sizeof(*r));
	return 0;
}

SEC("iter/task_vma")
int iter_task_vma(struct bpf_iter__task_vma *ctx)
{
	struct task_struct *t = ctx->task;
	struct vm_area_struct *vma = ctx->vma;
	struct ls_iter_vma r = {};
	struct file *f;

	if (!t || !vma || !iter_wants(t))
		return 0;
	r.magic = LS_ITER_VMA_MAGIC;
	r.tgid = t->tgid;
	r.start = vma->vm_start;
	r.end = vma->vm_end;
	r.flags = vma->vm_flags;
	r.pgoff = vma->vm_pgoff;
	r.origin.stack_id = -1;
	vma_origin(&r, BPF_CORE_READ(t, group_leader, start_time));
	f = vma->vm_file;
	if (f) {
		r.ino = BPF_CORE_READ(f, f_inode, i_ino);
		if (bpf_d_path((struct path *)&f->f_path, r.path,
			       sizeof(r.path)) < 0)
			r.path[0] = 0;
	}
	bpf_seq_write(ctx->meta->seq, &r, sizeof(r));
	return 0;
}
