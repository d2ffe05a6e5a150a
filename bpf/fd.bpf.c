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

/*
 * bpf_rdonly_cast (6.2) makes a kernel address a read-only, untrusted BTF
 * pointer: the verifier replaces the call with a move, and loads through
 * the result are plain loads that fault safely. On the fd hot paths this
 * replaces bpf_probe_read_kernel, which costs a helper call and an address
 * check per read (a third of the programs' own time on open/close churn,
 * by perf). Declared here only: bpftool 7.1's static linker cannot merge a
 * kfunc extern that several objects reference.
 */
extern void *bpf_rdonly_cast(const void *obj__ign, __u32 btf_id) __ksym;

#define ls_cast(type, addr)                                           \
	((type *)bpf_rdonly_cast((const void *)(unsigned long)(addr), \
				 bpf_core_type_id_kernel(type)))

/* @f (an address) as a BTF pointer, for plain loads. */
static __always_inline struct file *file_btf(struct file *f)
{
	return ls_cast(struct file, f);
}

/*
 * The file at @fd in @t's table, or NULL, read without a helper call: the
 * slot is read as the one-word struct fd (6.12+: `word`, the file's
 * address, with flag bits that are 0 in a table).
 */
static __always_inline struct file *task_fd_file(struct task_struct *t,
						 __u32 fd)
{
	struct file **addr = fd_slot(t, fd);
	struct fd *slot = ls_cast(struct fd, addr);

	if (!addr)
		return 0;
	if (bpf_core_field_exists(slot->word))
		return (struct file *)slot->word;
	return fd_file(t, fd);
}

static __always_inline struct file *current_fd_file(__u32 fd)
{
	return task_fd_file(bpf_get_current_task_btf(), fd);
}

/* Kernels before 6.13 count file references in f_count. */
struct file___old {
	atomic_long_t f_count;
} __attribute__((preserve_access_index));

/*
 * True if someone besides this fd table holds @f (a child that inherited
 * it). @ours: our own reference is still counted (exit sweeps run before
 * the table is dropped; a close is seen after it).
 */
static __always_inline bool file_shared(struct file *f, bool ours)
{
	struct file *fb = file_btf(f);
	long others;

	if (bpf_core_field_exists(fb->f_ref))
		/* file_ref_t stores references - 1; a dead file is < 0. */
		others = (long)fb->f_ref.refcnt.counter + 1;
	else
		others = BPF_CORE_READ((struct file___old *)f, f_count.counter);
	return others - ours > 0;
}

static __always_inline void emit_fd(__u32 type, const struct ls_obj *o,
				    __u32 holder, __s32 fd)
{
	struct ls_ev_fd *e = emit_reserve(sizeof(*e), type, o->test);

	if (!e)
		return;
	/* A close may be found by the agent's sync: the event is the
	 * holder's, named by the record, not the finder's. */
	if (type == LS_EV_FD_CLOSE) {
		e->h.tgid = holder;
		e->h.tid = holder;
		__builtin_memcpy(e->h.comm, o->comm, LS_COMM_LEN);
	}
	e->fd = fd;
	e->fd_type = o->sub;
	e->ino = o->ino;
	emit_submit(e);
}

/*
 * The origin of a file that someone else still holds (a child inherited it)
 * goes to `departed`, so the holder's fd still names its creator. @cookie:
 * the file (the record's own cookie is 0 once released).
 */
static __always_inline void remember_if_shared(const struct ls_obj *o,
					       __u64 cookie, bool ours)
{
	struct file *f = (struct file *)cookie;
	struct ls_obj copy;

	/* After a close, the address may already hold another file: the
	 * inode must match too. */
	if (!f || file_btf(f)->f_inode->i_ino != o->ino ||
	    !file_shared(f, ours))
		return;
	copy = *o;
	copy.cookie = cookie;
	if (bpf_map_update_elem(&departed, &cookie, &copy, BPF_ANY))
		loss(LS_LOSS_DEPARTED_TABLE);
}

/*
 * An fd record stays in the table when its fd is closed, released
 * (cookie 0) rather than deleted: the next fd with that number, in a
 * process that churns fds, rewrites it in place, and neither pays for a
 * hash-table delete and insert. The record goes with its process.
 *
 * close(2) is not traced: a syscall tracepoint on it cost a quarter of
 * the time leakscope added to an open/close loop. A record whose fd no
 * longer holds its file is found stale instead, and released then: when
 * the process gets the number again (the kernel hands out the lowest free
 * number, so a churning process reuses it at once), at exec and exit, and
 * when the agent syncs a process at a test's END and at the end of the
 * run (iter_fd_sync). So counts and "late" releases are exact at every
 * boundary, which is where they are read.
 *
 * Whoever turns the cookie from the file to 0 releases the record's
 * counts: exactly one of the racers (an opener replacing a stale record,
 * a sync, a sweep) wins.
 */
static __always_inline bool claim(struct ls_obj *o, __u64 cookie)
{
	return cookie &&
	       __sync_val_compare_and_swap(&o->cookie, cookie, 0) == cookie;
}

/* How a record is released (fd_release's @how). */
enum {
	REL_DIED = 0,	       /* with its process */
	REL_CLOSED = 1,	       /* closed: a reported leak comes back "late" */
	REL_REMEMBER = 2,      /* the file may live on in a child: keep who
				* made it (departed) */
	REL_CLOSED_SHARED = 3, /* both */
	REL_UNCOUNTED = 4,     /* the caller counts it (kind_replaced) */
};

/* The record's cookie, loaded once: callers decide on it, then claim it. */
static __always_inline __u64 cookie_of(struct ls_obj *o)
{
	return *(volatile __u64 *)&o->cookie;
}

/*
 * Release the record @o of fd @k->handle if it still holds @cookie, the
 * file its caller judged (a sweep that found the fd closed must not
 * release the record an opener has written since); 1 if this call did.
 * What is counted is read after @cookie and before the claim: once the
 * cookie is 0, an opener that got the fd's number in another thread may
 * rewrite the record at once (its own claim fails), and a sweep reading
 * the kind after the claim counted the release of a socket as an fd's
 * (the storm caught it: fd released > created). The story (emit_fd) and
 * `departed` read the record after the claim: a racing rewrite can make
 * them name the newer file, never change a count. Global: verified once,
 * not at each of its callers (which kept the syscall program's load
 * slow).
 */
__noinline int fd_release(struct ls_obj_key *k, struct ls_obj *o, __u32 how,
			  __u64 cookie)
{
	bool closed = how & REL_CLOSED;
	__u64 test;
	__u32 kind, flags;

	if (!k || !o)
		return 0;
	asm volatile("" ::: "memory"); /* the fields after the cookie */
	kind = o->kind;
	test = o->test;
	flags = o->flags;
	if (!claim(o, cookie))
		return 0;
	if (how & REL_REMEMBER)
		remember_if_shared(o, cookie, false);
	if (!(how & REL_UNCOUNTED))
		kind_released(kind, 0, test);
	if (closed && (flags & LS_OBJ_LEAKED))
		emit_released(LS_RELEASED_FD, k->tgid, k->handle, test);
	if (stream_all())
		emit_fd(LS_EV_FD_CLOSE, o, k->tgid, (__s32)k->handle);
	return 1;
}

/*
 * Rewrite @old, the record of fd @k->handle, with @o: the cookie last, so
 * that a reader never takes a half-written record for the new file. True
 * if it released a live record of the same kind and test, whose release
 * the caller then counts with the creation (kind_replaced: in a churning
 * process the current count stays as it is, and is not touched).
 */
static __always_inline bool rewrite(struct ls_obj_key *k, struct ls_obj *old,
				    struct ls_obj *o)
{
	__u64 cookie = o->cookie, stale = cookie_of(old);
	bool same;
	int released;

	asm volatile("" ::: "memory"); /* judge the record @stale names */
	same = old->kind == o->kind && old->test == o->test;
	/* A stale record: the number was reused, so its fd was closed. A
	 * new file at the old one's address means the old one is freed:
	 * nobody else holds it. */
	released =
		fd_release(k, old,
			   (stale == cookie ? REL_CLOSED : REL_CLOSED_SHARED) |
				   (same ? REL_UNCOUNTED : 0),
			   stale);
	o->cookie = 0;
	*old = *o;
	o->cookie = cookie;
	/* An atomic exchange orders the stores before it (BPF has no bare
	 * fence). */
	__sync_lock_test_and_set(&old->cookie, cookie);
	return released && same;
}

/* Process @p now has fd @fd: sweeps look as far as its highest. */
static __always_inline void note_fd(struct ls_proc *p, __u32 fd)
{
	if (p && fd > p->max_fd)
		p->max_fd = fd;
}

/* Enter @o as the record of fd @k->handle (see note_fd). Global:
 * verified once, not in each syscall's case. */
__noinline int fd_store(struct ls_obj_key *k, struct ls_obj *o)
{
	struct ls_obj *old;
	bool replaced = false;

	if (!k || !o)
		return 0;
	old = bpf_map_lookup_elem(&objs, k);
	if (old) {
		replaced = rewrite(k, old, o);
	} else if (bpf_map_update_elem(&objs, k, o, BPF_NOEXIST)) {
		/* Another thread entered the number meanwhile. */
		old = bpf_map_lookup_elem(&objs, k);
		if (!old) {
			loss(LS_LOSS_OBJ_TABLE);
			return 0;
		}
		replaced = rewrite(k, old, o);
	}
	if (replaced)
		kind_replaced(o->kind, o->test);
	else
		kind_created(o->kind, 0, o->test);
	if (stream_all())
		emit_fd(LS_EV_FD_OPEN, o, k->tgid, (__s32)k->handle);
	return 0;
}

/* What the records of the fds one syscall makes share: the creator,
 * when, the test. The process's record, or NULL, goes to *@p. */
static __always_inline void record_begin(struct ls_obj *o, struct ls_proc **p,
					 __s32 stack_id)
{
	__u64 id = bpf_get_current_pid_tgid();

	o->tgid = id >> 32;
	o->tid = (__u32)id;
	*p = current_proc(o->tgid);
	o->created_ns = ls_tick_ns();
	o->test = *p ? (*p)->test : 0;
	o->proc_start = *p ? (*p)->start_ns : 0;
	o->stack_id = stack_id;
	current_comm(o->comm);
}

/* Record the file at address @f, just installed at @fd, with the shared
 * part of @o. Global: verified once for every syscall that makes fds. */
__noinline int record_file(struct ls_obj *o, __u32 fd, __u64 f,
			   __u32 may_create)
{
	struct ls_obj_key k = { .cls = LS_OBJ_FD, .handle = fd };
	struct file *fb = file_btf((struct file *)f);
	struct inode *inode = fb->f_inode;

	if (!o)
		return 0;
	k.tgid = o->tgid;
	o->cookie = f;
	o->ino = inode->i_ino;
	o->sub = fd_type_of_mode(inode->i_mode);
	o->kind = o->sub == LS_FD_SOCKET ? LS_KIND_SOCKET : LS_KIND_FD;
	fd_store(&k, o);
	if (may_create && (fb->f_mode & FMODE_CREATED))
		ls_temp_file_created(f, o->test);
	return 0;
}

/*
 * Record the file at address @f, just installed at @fd, as created now by
 * the current thread, inside the process's current test. Global (all
 * scalars): verified once, not at each syscall that makes fds.
 */
__noinline int fd_record(__u32 fd, __u64 f, __u32 may_create, __s32 stack_id)
{
	struct ls_proc *p;
	struct ls_obj o = {};

	record_begin(&o, &p, stack_id);
	record_file(&o, fd, f, may_create);
	note_fd(p, fd);
	return 0;
}

/* Two fds of one pipe/socketpair: the shared part is read once. */
__noinline int fd_record_pair(__u32 fd0, __u64 f0, __u32 fd1, __u64 f1,
			      __s32 stack_id)
{
	struct ls_proc *p;
	struct ls_obj o = {};

	record_begin(&o, &p, stack_id);
	record_file(&o, fd0, f0, false);
	record_file(&o, fd1, f1, false);
	note_fd(p, fd0 > fd1 ? fd0 : fd1);
	return 0;
}

static __always_inline void fd_new(struct ls_sysctx *c, __u32 fd,
				   bool may_create)
{
	struct file *f = current_fd_file(fd);

	/* NULL: another thread closed it before we looked; the close
	 * found no entry either, so the two cancel out. */
	if (f)
		fd_record(fd, (__u64)f, may_create, c->stack_id);
}

/* The record of @f as fd @fd of process @tgid, if it is one. */
static __always_inline struct ls_obj *record_of(__u32 tgid, __u32 fd,
						struct file *f)
{
	struct ls_obj_key k = { .tgid = tgid, .cls = LS_OBJ_FD, .handle = fd };
	struct ls_obj *o = bpf_map_lookup_elem(&objs, &k);

	return o && o->cookie == (__u64)f ? o : 0;
}

/*
 * Who opened the file behind @src: this process, else its parent (a child
 * that inherited the fd and dups it onto 0-2 before exec, as posix_spawn
 * and subprocess do), else a closer that left it to others (departed).
 */
static __always_inline struct ls_obj *
source_record(__u32 tgid, __u32 src, struct file *f, struct ls_proc *p)
{
	struct ls_obj *o = record_of(tgid, src, f);

	if (!o && p && p->ppid)
		o = record_of(p->ppid, src, f);
	if (!o) {
		__u64 key = (__u64)f;

		o = bpf_map_lookup_elem(&departed, &key);
		if (o && o->ino != file_btf(f)->f_inode->i_ino)
			o = 0;
	}
	return o;
}

/*
 * A duplicate refers to a file that already existed: it carries the
 * record of whoever opened that file (creator, time, test), so a test's
 * file dup'ed by its child is still the test's, and a shell saving and
 * restoring stdout around a redirect makes nothing new. A dup of a file
 * with no record (inherited, or opened before the watch) stays
 * unrecorded: the end-of-run baseline knows it for what it is.
 */
static __always_inline void fd_dup(struct ls_sysctx *c, __u32 fd, __u32 src)
{
	struct ls_obj_key k = { .tgid = c->tgid,
				.cls = LS_OBJ_FD,
				.handle = fd };
	struct file *f = current_fd_file(fd);
	struct ls_proc *p = current_proc(c->tgid);
	struct ls_obj o, *from;

	if (!f)
		return;
	from = source_record(c->tgid, src, f, p);
	if (!from)
		return;
	o = *from;
	o.flags &= ~LS_OBJ_LEAKED;
	o.proc_start = p ? p->start_ns : 0;
	fd_store(&k, &o);
	note_fd(p, fd);
}

/*
 * fd @fd was closed. By the time its syscall exits another thread may have
 * got the same number for a new file and recorded it: a record of the
 * file the fd holds now is that one, not ours to drop (and if it is a
 * stale one after all, fd_store replaces it when the opener exits).
 */
static __always_inline void fd_closed(__u32 tgid, __u32 fd)
{
	struct ls_obj_key k = { .tgid = tgid, .cls = LS_OBJ_FD, .handle = fd };
	struct ls_obj *o = bpf_map_lookup_elem(&objs, &k);
	__u64 cookie;

	if (!o)
		return;
	cookie = cookie_of(o);
	if ((__u64)current_fd_file(fd) != cookie)
		fd_release(&k, o, REL_CLOSED_SHARED, cookie);
}

#define PIPE_SCAN 8 /* fds between a new pipe's two ends, at most */

/*
 * The two fds the pipe(2)/pipe2(2) that is exiting made, found in the fd
 * table instead of the caller's array: bpf_probe_read_user costs ~120 ns
 * of hardened-usercopy checks, a tenth of what a pipe costs at `full`.
 * Only where no other task shares the table: then nothing else took or
 * freed a number since the syscall's two allocations, each the lowest
 * free number, so the write end is at files->next_fd - 1 (alloc_fd leaves
 * the hint one past what it gave) and the read end is the nearest fd
 * below it with the same pipe inode (every fd in between was open, and
 * none of them can be this pipe's yet). False where that does not hold
 * up (a shared table, no pipe there, the read end further down): the
 * caller reads the array. The table is seen shared or not at the exit
 * only: a thread that closed a number meanwhile and left (or a seccomp
 * filter that answered 0 for a pipe that never ran) leaves next_fd on an
 * older file, which has its record already: then the array is read too.
 */
static __always_inline bool pipe_from_table(__u32 tgid, int fds[2],
					    struct file **f0, struct file **f1)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct files_struct *files = t->files;
	struct ls_obj *old;
	struct inode *ino;
	__u32 w;

	if (!files || files->count.counter != 1 || !files->next_fd)
		return false;
	w = files->next_fd - 1;
	*f1 = task_fd_file(t, w);
	if (!*f1)
		return false;
	ino = file_btf(*f1)->f_inode;
	if (!ino || (ino->i_mode & S_IFMT) != S_IFIFO)
		return false;
	/* The file's address alone does not tell: a pipe closed and made
	 * again in a loop gets its freed file back. The inode number does. */
	old = record_of(tgid, w, *f1);
	if (old && old->ino == ino->i_ino)
		return false;
	for (__u32 i = 1; i <= PIPE_SCAN && i <= w; i++) {
		*f0 = task_fd_file(t, w - i);
		if (*f0 && file_btf(*f0)->f_inode == ino) {
			fds[0] = w - i;
			fds[1] = w;
			return true;
		}
	}
	return false;
}

static __always_inline void fd_pair(struct ls_sysctx *c, __u64 uptr)
{
	struct file *f0 = 0, *f1 = 0;
	int fds[2];

	if (c->ret != 0)
		return;
	if (c->sys == LS_SYS_socketpair ||
	    !pipe_from_table(c->tgid, fds, &f0, &f1)) {
		if (bpf_probe_read_user(fds, sizeof(fds), (void *)uptr))
			return;
		f0 = current_fd_file(fds[0]);
		f1 = current_fd_file(fds[1]);
	}
	if (f0 && f1) {
		fd_record_pair(fds[0], (__u64)f0, fds[1], (__u64)f1,
			       c->stack_id);
		return;
	}
	fd_new(c, fds[0], false);
	fd_new(c, fds[1], false);
}

struct sweep_ctx {
	struct task_struct *task; /* whose fd table (a BTF pointer) */
	__u32 tgid;
	__u32 first;
	__u32 mode;
};

static long sweep_one(__u32 i, void *arg)
{
	struct sweep_ctx *s = arg;
	struct ls_obj_key k = { .tgid = s->tgid, .cls = LS_OBJ_FD };
	struct ls_obj *o;
	__u64 cookie;
	bool open;

	k.handle = s->first + i;
	o = bpf_map_lookup_elem(&objs, &k);
	if (!o)
		return 0;
	/* Survived exec (no O_CLOEXEC), or reopened by another thread: the
	 * record is of a live fd. */
	cookie = cookie_of(o);
	open = (__u64)task_fd_file(s->task, k.handle) == cookie;
	if (s->mode != LS_SWEEP_EXIT) {
		if (!open)
			fd_release(&k, o, REL_CLOSED_SHARED, cookie);
		return 0;
	}
	if (open)
		remember_if_shared(o, cookie, true);
	/* Not open at exit: it was closed before, and is released as such. */
	fd_release(&k, o, open ? REL_DIED : REL_CLOSED_SHARED, cookie);
	bpf_map_delete_elem(&objs, &k);
	return 0;
}

static __always_inline void sweep(struct task_struct *task, __u32 tgid,
				  __u32 first, __u32 last, __u32 mode)
{
	struct sweep_ctx s = {
		.task = task, .tgid = tgid, .first = first, .mode = mode
	};
	__u32 n;

	if (last < first)
		return;
	n = last - first + 1;
	if (n > SWEEP_MAX)
		n = SWEEP_MAX;
	bpf_loop(n, sweep_one, &s, 0);
}

/*
 * Release the records of fds [first, last] of the current process whose fd
 * no longer holds the file (exec, close_range); at exit, drop them all.
 * Runs in the context of the process concerned. Global: verified once,
 * called from proc.bpf.c.
 */
__noinline int ls_fd_sweep(__u32 tgid, __u32 first, __u32 last, __u32 mode)
{
	sweep(bpf_get_current_task_btf(), tgid, first, last, mode);
	return 0;
}

/*
 * Release the records of process @tgid whose fd was closed since; @task
 * (an address) is its leader, alive. Called by iter_fd_sync at the
 * boundaries where counts are read.
 */
__noinline int ls_fd_sync(__u64 task, __u32 tgid, __u32 max_fd)
{
	struct task_struct *t = ls_cast(struct task_struct, task);

	/* A leader that exited before its threads has no table to read:
	 * every record would look closed. */
	if (!t || !t->files)
		return 0;
	sweep(t, tgid, 0, max_fd, LS_SWEEP_SYNC);
	return 0;
}

#define BROUGHT_MAX 4096

struct brought_ctx {
	struct file **fds;
	__u32 tgid;
};

static long bring_one(__u32 i, void *arg)
{
	struct brought_ctx *b = arg;
	struct ls_obj o = {};
	struct file *f = 0;
	__u64 key;

	if (bpf_probe_read_kernel(&f, sizeof(f), &b->fds[i]) || !f)
		return 0;
	key = (__u64)f;
	o.cookie = key;
	o.ino = BPF_CORE_READ(f, f_inode, i_ino);
	o.created_ns = bpf_ktime_get_ns();
	o.tgid = o.tid = b->tgid;
	o.stack_id = -1;
	o.flags = LS_OBJ_BROUGHT;
	o.sub = fd_type_of_mode(BPF_CORE_READ(f, f_inode, i_mode));
	o.kind = o.sub == LS_FD_SOCKET ? LS_KIND_SOCKET : LS_KIND_FD;
	/* A record of the file's making in the watch says more: keep it. */
	bpf_map_update_elem(&departed, &key, &o, BPF_NOEXIST);
	return 0;
}

/*
 * Process @task (an address) moved into the watch with its fds open: they
 * were made outside, like the stdio a run's command inherits. Note them
 * in `departed` so that the children it forks, which hold them without a
 * record, are not reported for them (the run's baseline does this for the
 * command). Global: verified once, called from proc.bpf.c.
 */
__noinline int ls_fd_brought_in(__u64 task, __u32 tgid)
{
	struct fdtable *fdt =
		BPF_CORE_READ((struct task_struct *)task, files, fdt);
	struct brought_ctx b = { .tgid = tgid };
	__u32 n;

	if (!fdt)
		return 0;
	n = BPF_CORE_READ(fdt, max_fds);
	b.fds = BPF_CORE_READ(fdt, fd);
	bpf_loop(n < BROUGHT_MAX ? n : BROUGHT_MAX, bring_one, &b, 0);
	return 0;
}

static __always_inline bool opens_by_path(__u32 sys)
{
	return sys == LS_SYS_open || sys == LS_SYS_openat ||
	       sys == LS_SYS_openat2 || sys == LS_SYS_creat;
}

/* Exit of a syscall of the FD_NEW or FD_CLOSE hook groups. A case that
 * reads c->arg must not be in syscalls.bpf.c's result_only(), which
 * leaves the arguments 0. */
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
		fd_dup(c, (__u32)c->ret, (__u32)c->arg[0]);
		return 0;
	case LS_SYS_dup:
		if (c->ret >= 0)
			fd_dup(c, (__u32)c->ret, (__u32)c->arg[0]);
		return 0;
	case LS_SYS_fcntl:
		if ((c->arg[1] == F_DUPFD || c->arg[1] == F_DUPFD_CLOEXEC) &&
		    c->ret >= 0)
			fd_dup(c, (__u32)c->ret, (__u32)c->arg[0]);
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
	__s32 stack_id = -1;
	__u64 addr = 0;

	if (!current_watched())
		return 0;
	if (cfg_level >= LS_LEVEL_STACKS)
		stack_id = ls_user_stack(
			ctx, PT_REGS_SP_CORE((struct pt_regs *)bpf_task_pt_regs(
				     bpf_get_current_task_btf())));
	/* The global function takes the address as a scalar. */
	bpf_probe_read_kernel(&addr, sizeof(addr), &file);
	fd_record(fd, addr, true, stack_id);
	return 0;
}
