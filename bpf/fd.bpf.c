// SPDX-License-Identifier: GPL-2.0
/*
 * fd.bpf.c - lifecycles of file descriptors (sockets included) in watched
 * processes: every syscall that installs an fd, close, close_range, dup2/dup3
 * over an open fd, and the sweeps at exec (close-on-exec) and exit.
 *
 * Owns the LS_OBJ_FD entries of the live-object table and the FD/SOCKET
 * counters. An entry records who created the fd and when; whether an fd is
 * still open is decided at boundaries by the task_file iterator, so an entry
 * that outlives its fd through a path we do not trace is corrected there.
 * Must not: keep state that the iterator cannot re-derive.
 */
#include "common.bpf.h"

#define F_DUPFD		    0
#define F_DUPFD_CLOEXEC	    1030
#define CLOSE_RANGE_CLOEXEC (1u << 2)
#define FMODE_CREATED	    (1u << 20) /* stable since v4.19 */
#define SWEEP_MAX	    (1u << 20)

/* Kernels before 6.13 count file references in f_count. */
struct file___old {
	atomic_long_t f_count;
} __attribute__((preserve_access_index));

/* True if someone besides this fd table holds @f (a child that inherited). */
static __always_inline bool file_shared(struct file *f)
{
	if (bpf_core_field_exists(f->f_ref))
		/* file_ref_t stores references - 1. */
		return (long)BPF_CORE_READ(f, f_ref.refcnt.counter) > 0;
	return BPF_CORE_READ((struct file___old *)f, f_count.counter) > 1;
}

static __always_inline void emit_fd(__u32 type, const struct ls_obj *o,
				    __s32 fd)
{
	struct ls_ev_fd *e = emit_reserve(sizeof(*e), type, o->test);

	if (!e)
		return;
	e->fd = fd;
	e->fd_type = o->sub;
	e->ino = o->ino;
	emit_submit(e);
}

/*
 * The fd in @k is gone. @explicit: the process closed it and lives on
 * (close, dup2, close_range, close-on-exec), as opposed to dying with it:
 * only then is a reported leak "released late".
 */
/*
 * The origin of a file that someone else still holds (a child inherited it)
 * goes to `departed`, so the holder's fd still names its creator.
 */
static __always_inline void remember_if_shared(struct ls_obj *o, struct file *f)
{
	/* After a close, the address may already hold another file: the
	 * inode must match too. */
	if (!f || BPF_CORE_READ(f, f_inode, i_ino) != o->ino || !file_shared(f))
		return;
	if (bpf_map_update_elem(&departed, &o->cookie, o, BPF_ANY))
		loss(LS_LOSS_DEPARTED_TABLE);
}

static __always_inline void fd_forget(struct ls_obj_key *k, struct ls_obj *o,
				      bool explicit)
{
	if (explicit)
		remember_if_shared(o, (struct file *)o->cookie);
	kind_released(o->kind, 0, o->test);
	if (explicit && (o->flags & LS_OBJ_LEAKED))
		emit_released(LS_RELEASED_FD, k->tgid, k->handle, o->test);
	if (stream_all())
		emit_fd(LS_EV_FD_CLOSE, o, (__s32)k->handle);
	bpf_map_delete_elem(&objs, k);
}

/* Record @f, just installed at @fd, as created now by the current thread. */
#define TEST_OF_PROCESS (~0ULL)

/*
 * Record @f, just installed at @fd, as created now by the current thread,
 * inside @test (TEST_OF_PROCESS: the process's current test).
 */
static __always_inline void fd_record(__u32 tgid, __u32 tid, __u32 fd,
				      struct file *f, struct ls_proc *p,
				      bool may_create, __s32 stack_id,
				      __u64 test)
{
	struct ls_obj_key k = { .tgid = tgid, .cls = LS_OBJ_FD, .handle = fd };
	struct ls_obj o = {}, *old;

	o.created_ns = bpf_ktime_get_ns();
	o.test = test != TEST_OF_PROCESS ? test : p ? p->test : 0;
	o.cookie = (__u64)f;
	o.proc_start = p ? p->start_ns : 0;
	o.ino = BPF_CORE_READ(f, f_inode, i_ino);
	o.tid = tid;
	o.tgid = tgid;
	o.sub = fd_type_of_mode(BPF_CORE_READ(f, f_inode, i_mode));
	o.kind = o.sub == LS_FD_SOCKET ? LS_KIND_SOCKET : LS_KIND_FD;
	o.stack_id = stack_id;
	bpf_get_current_comm(o.comm, sizeof(o.comm));

	if (bpf_map_update_elem(&objs, &k, &o, BPF_NOEXIST)) {
		old = bpf_map_lookup_elem(&objs, &k);
		if (!old) {
			loss(LS_LOSS_OBJ_TABLE);
			return;
		}
		/* The fd was reused through a release we do not trace. */
		kind_released(old->kind, 0, old->test);
		bpf_map_update_elem(&objs, &k, &o, BPF_EXIST);
	}
	if (p && fd > p->max_fd)
		p->max_fd = fd;
	kind_created(o.kind, 0, o.test);
	if (may_create && (BPF_CORE_READ(f, f_mode) & FMODE_CREATED))
		ls_temp_file_created((__u64)f, o.test);
	if (stream_all())
		emit_fd(LS_EV_FD_OPEN, &o, fd);
}

static __always_inline void fd_new_in(struct ls_sysctx *c, __u32 fd,
				      bool may_create, __u64 test)
{
	struct file *f = fd_file(bpf_get_current_task_btf(), fd);

	/* NULL: another thread closed it before we looked; the close
	 * found no entry either, so the two cancel out. */
	if (f)
		fd_record(c->tgid, c->tid, fd, f, current_proc(c->tgid),
			  may_create, c->stack_id, test);
}

static __always_inline void fd_new(struct ls_sysctx *c, __u32 fd,
				   bool may_create)
{
	fd_new_in(c, fd, may_create, TEST_OF_PROCESS);
}

/*
 * A duplicate refers to an open file that already existed: it belongs to
 * the test that opened that file, if any (a shell saving and restoring
 * stdout around a redirect makes no leak of the test that runs it).
 */
static __always_inline __u64 test_of_source(__u32 tgid, __u32 src)
{
	struct ls_obj_key k = { .tgid = tgid, .cls = LS_OBJ_FD, .handle = src };
	struct ls_obj *o = bpf_map_lookup_elem(&objs, &k);

	return o ? o->test : 0;
}

static __always_inline void fd_closed(__u32 tgid, __u32 fd)
{
	struct ls_obj_key k = { .tgid = tgid, .cls = LS_OBJ_FD, .handle = fd };
	struct ls_obj *o = bpf_map_lookup_elem(&objs, &k);

	if (o)
		fd_forget(&k, o, true);
}

static __always_inline void fd_pair(struct ls_sysctx *c, __u64 uptr)
{
	int fds[2];

	if (c->ret != 0 || bpf_probe_read_user(fds, sizeof(fds), (void *)uptr))
		return;
	fd_new(c, fds[0], false);
	fd_new(c, fds[1], false);
}

struct sweep_ctx {
	__u32 tgid;
	__u32 first;
	__u32 mode;
};

static long sweep_one(__u32 i, void *arg)
{
	struct sweep_ctx *s = arg;
	struct ls_obj_key k = { .tgid = s->tgid, .cls = LS_OBJ_FD };
	struct task_struct *t = bpf_get_current_task_btf();
	struct ls_obj *o;
	struct file *f;

	k.handle = s->first + i;
	o = bpf_map_lookup_elem(&objs, &k);
	if (!o)
		return 0;
	f = fd_file(t, k.handle);
	if (s->mode == LS_SWEEP_EXEC && (__u64)f == o->cookie)
		return 0; /* survived exec: no O_CLOEXEC */
	if (s->mode == LS_SWEEP_EXIT && f && (__u64)f == o->cookie)
		remember_if_shared(o, f);
	fd_forget(&k, o, s->mode != LS_SWEEP_EXIT);
	return 0;
}

/*
 * Drop the table entries of fds [first, last] of the current process that
 * are gone (exec), all of them (exit, close_range). Runs in the context of
 * the process concerned. Global: verified once, called from proc.bpf.c.
 */
__noinline int ls_fd_sweep(__u32 tgid, __u32 first, __u32 last, __u32 mode)
{
	struct sweep_ctx s = { .tgid = tgid, .first = first, .mode = mode };
	__u32 n;

	if (last < first)
		return 0;
	n = last - first + 1;
	if (n > SWEEP_MAX)
		n = SWEEP_MAX;
	bpf_loop(n, sweep_one, &s, 0);
	return 0;
}

static __always_inline bool opens_by_path(__u32 sys)
{
	return sys == LS_SYS_open || sys == LS_SYS_openat ||
	       sys == LS_SYS_openat2 || sys == LS_SYS_creat;
}

/* Exit of a syscall of the FD_NEW or FD_CLOSE hook groups. */
__noinline int ls_fd_syscall(struct ls_sysctx *c)
{
	struct ls_proc *p;

	if (!c)
		return 0;
	switch (c->sys) {
	case LS_SYS_pipe:
	case LS_SYS_pipe2:
		fd_pair(c, c->arg[0]);
		return 0;
	case LS_SYS_socketpair:
		fd_pair(c, c->arg[3]);
		return 0;
	case LS_SYS_close:
		/* Any result but EBADF released the fd (EINTR/EIO too). */
		if (c->ret != -EBADF)
			fd_closed(c->tgid, (__u32)c->arg[0]);
		return 0;
	case LS_SYS_close_range:
		if (c->ret != 0 || (c->arg[2] & CLOSE_RANGE_CLOEXEC))
			return 0;
		p = bpf_map_lookup_elem(&procs, &c->tgid);
		if (p)
			ls_fd_sweep(c->tgid, (__u32)c->arg[0],
				    c->arg[1] < p->max_fd ? (__u32)c->arg[1]
							  : p->max_fd,
				    LS_SWEEP_RANGE);
		return 0;
	case LS_SYS_dup2:
	case LS_SYS_dup3:
		if (c->ret < 0 || c->arg[0] == c->arg[1])
			return 0;
		fd_closed(c->tgid, (__u32)c->ret); /* the fd it replaced */
		fd_new_in(c, (__u32)c->ret, false,
			  test_of_source(c->tgid, (__u32)c->arg[0]));
		return 0;
	case LS_SYS_dup:
		if (c->ret >= 0)
			fd_new_in(c, (__u32)c->ret, false,
				  test_of_source(c->tgid, (__u32)c->arg[0]));
		return 0;
	case LS_SYS_fcntl:
		if ((c->arg[1] == F_DUPFD || c->arg[1] == F_DUPFD_CLOEXEC) &&
		    c->ret >= 0)
			fd_new_in(c, (__u32)c->ret, false,
				  test_of_source(c->tgid, (__u32)c->arg[0]));
		return 0;
	case LS_SYS_signalfd:
	case LS_SYS_signalfd4:
		if ((int)c->arg[0] != -1)
			return 0; /* updated an existing signalfd */
		break;
	}
	if (c->ret < 0)
		return 0;
	fd_new(c, (__u32)c->ret, opens_by_path(c->sys));
	return 0;
}

/*
 * Where fentry works, one hook on fd_install sees every fd a syscall
 * installs (SCM_RIGHTS included) without putting all syscalls of the machine
 * on the tracepoint slow path. dup2/dup3 do not pass here: FD_CLOSE has them.
 */
SEC("fentry/fd_install")
int BPF_PROG(fd_install_fentry, unsigned int fd, struct file *file)
{
	__u64 id;

	if (!current_watched())
		return 0;
	id = bpf_get_current_pid_tgid();
	fd_record(id >> 32, (__u32)id, fd, file, current_proc(id >> 32), true,
		  cfg_level >= LS_LEVEL_STACKS
			  ? bpf_get_stackid(ctx, &stacks, BPF_F_USER_STACK)
			  : -1,
		  TEST_OF_PROCESS);
	return 0;
}
