// SPDX-License-Identifier: GPL-2.0
/*
 * leftovers.c - see leftovers.h.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "cgroup.h"
#include "leftovers.h"

#define NS_PER_S 1e9
#define VM_READ	 0x1
#define VM_WRITE 0x2
#define VM_EXEC	 0x4

void ls_baseline_init(struct ls_baseline *b)
{
	ls_u64map_init(&b->files);
	ls_u64map_init(&b->cgroups);
}

void ls_baseline_free(struct ls_baseline *b)
{
	ls_u64map_free(&b->files);
	ls_u64map_free(&b->cgroups);
}

int ls_baseline_add_files(struct ls_baseline *b, const struct ls_snapshot *s)
{
	for (size_t i = 0; i < s->n_files; i++)
		if (ls_u64map_put(&b->files, s->files[i].file,
				  (void *)(uintptr_t)(s->files[i].ino + 1)))
			return -ENOMEM;
	return 0;
}

/* A file address is baseline only with the same inode: addresses of freed
 * files are reused by new ones. */
static bool file_in_baseline(const struct ls_baseline *b,
			     const struct ls_iter_file *f)
{
	uintptr_t v = (uintptr_t)ls_u64map_get(&b->files, f->file);

	return v && v - 1 == f->ino;
}

/* ---- shared description ---- */

static double offset_s(const struct ls_leftover_ctx *c, uint64_t ns)
{
	if (!ns)
		return -1;
	/* Created between attach and origin: show it at +0. */
	return ns >= c->origin_ns ? (ns - c->origin_ns) / NS_PER_S : 0;
}

static void set_creator(const struct ls_leftover_ctx *c, struct ls_finding *f,
			uint32_t tgid, uint32_t tid, const char *comm,
			uint64_t ts)
{
	f->has_creator = true;
	f->creator_pid = tgid;
	f->creator_tid = tid;
	ls_comm_copy(f->creator_comm, comm);
	f->created_at = offset_s(c, ts);
}

static void set_test(const struct ls_leftover_ctx *c, struct ls_finding *f,
		     uint64_t test)
{
	const char *name =
		test && c->test_name ? c->test_name(c->names_ctx, test) : NULL;

	f->test = name ? strdup(name) : NULL;
}

static void set_origin(const struct ls_leftover_ctx *c, struct ls_finding *f,
		       const struct ls_origin *o)
{
	if (!(o->flags & LS_ORIGIN_KNOWN))
		return;
	set_creator(c, f, o->tgid, o->tid, o->comm, o->created_ns);
	set_test(c, f, o->test);
	f->stack_id = o->stack_id;
}

/* In a test's verdict, only what that test made counts. */
static bool of_test(const struct ls_leftover_ctx *c, const struct ls_origin *o)
{
	return (o->flags & LS_ORIGIN_KNOWN) && o->test == c->test;
}

/*
 * A thread (@parent: its process) or a child process (@parent: its
 * parent) that has no record because a kernel table was full (counted in
 * the losses): started by the test's process since BEGIN, it is the
 * test's, as only one test runs in a process at a time. The creator and
 * the stack are unknown.
 */
static bool started_by_test(const struct ls_leftover_ctx *c,
			    const struct ls_iter_task *t, uint32_t parent)
{
	return !(t->origin.flags & LS_ORIGIN_KNOWN) && c->test_tgid &&
	       parent == c->test_tgid && t->start_ns >= c->test_begin_ns;
}

static enum ls_class alive_class(const struct ls_leftover_ctx *c)
{
	return c->test ? LS_CLASS_LEAK : LS_CLASS_ORPHAN;
}

/* ---- processes and threads ---- */

/*
 * Where process @t came from: the kernel's process table, or, once the
 * process has exited (its entry leaves at exit: a zombie), the fork event.
 */
static struct ls_origin task_origin(const struct ls_leftover_ctx *c,
				    const struct ls_iter_task *t)
{
	struct ls_proc_info *info = ls_u64map_get(&c->events->procs, t->tgid);
	struct ls_origin o = t->origin;

	if ((o.flags & LS_ORIGIN_KNOWN) || t->pid != t->tgid || !info ||
	    !info->fork_ns)
		return o;
	o.flags = LS_ORIGIN_KNOWN;
	o.test = info->test;
	o.created_ns = info->fork_ns;
	o.tgid = info->ppid;
	o.tid = info->creator_tid;
	o.stack_id = -1;
	memcpy(o.comm, info->creator_comm, LS_COMM_LEN);
	return o;
}

static bool task_is_new(const struct ls_leftover_ctx *c,
			const struct ls_iter_task *t)
{
	struct ls_origin o = task_origin(c, t);

	if (c->test)
		return of_test(c, &o) || (!(o.flags & LS_ORIGIN_KNOWN) &&
					  started_by_test(c, t, t->ppid));
	return t->start_ns >= c->t0_ns ||
	       ((o.flags & LS_ORIGIN_KNOWN) && o.created_ns >= c->t0_ns);
}

/* The cgroup a process that left the watch is in now; "" if it is gone. */
static char *moved_out_to(uint32_t tgid)
{
	char rel[PATH_MAX];

	return strdup(ls_cgroup_of(tgid, rel, sizeof(rel)) ? "" : rel);
}

static void describe_process(const struct ls_leftover_ctx *c,
			     const struct ls_iter_task *t, size_t threads,
			     struct ls_finding *f)
{
	struct ls_proc_info *info = ls_u64map_get(&c->events->procs, t->tgid);
	struct ls_origin o = task_origin(c, t);

	f->pid = f->tid = t->tgid;
	f->ppid = t->ppid;
	ls_comm_copy(f->comm, t->comm);
	f->threads = threads;
	f->argv = ls_proc_argv(t->tgid);
	if (!f->argv && info && info->argv)
		f->argv = ls_split_argv(info->argv, info->argv_len);
	if (f->cls != LS_CLASS_ZOMBIE)
		f->rss_bytes = ls_proc_rss(t->tgid);
	set_origin(c, f, &o);
	if (info && info->fork_ns && f->has_creator)
		ls_comm_copy(f->creator_comm, info->creator_comm);
	if (t->origin.flags & LS_ORIGIN_ESCAPED)
		f->path = moved_out_to(t->tgid);
	if (f->cls == LS_CLASS_ZOMBIE)
		f->exit_status = info && info->exited
					 ? info->exit_code
					 : ls_proc_exit_code(t->tgid);
}

static int add_threads(const struct ls_leftover_ctx *c,
		       const struct ls_iter_task *t, size_t n,
		       struct ls_report *r)
{
	for (size_t i = 0; i < n; i++) {
		struct ls_finding *f;

		if (t[i].pid == t[i].tgid || t[i].exit_state ||
		    t[i].tgid == (uint32_t)c->exclude_pid)
			continue;
		if (c->test ? !of_test(c, &t[i].origin) &&
				      !started_by_test(c, &t[i], t[i].tgid)
			    : t[i].start_ns < c->t0_ns)
			continue;
		f = ls_report_add(r, LS_KIND_THREAD, alive_class(c));
		if (!f)
			return -ENOMEM;
		f->pid = t[i].tgid;
		f->tid = t[i].pid;
		f->ppid = t[i].ppid;
		ls_comm_copy(f->comm, t[i].comm);
		f->created_at = offset_s(c, t[i].start_ns);
		set_origin(c, f, &t[i].origin);
	}
	return 0;
}

static size_t live_tasks(const struct ls_iter_task *t, size_t n)
{
	size_t live = 0;

	for (size_t i = 0; i < n; i++)
		live += !t[i].exit_state;
	return live;
}

/* A zombie is a finding while a live parent in the watch fails to reap
 * it; one whose parent is gone belongs to the reaper it was handed to. */
static bool unreaped_by_watch(const struct ls_iter_task *tasks, size_t n,
			      const struct ls_iter_task *z)
{
	for (size_t i = 0; i < n; i++)
		if (tasks[i].tgid == z->ppid && !tasks[i].exit_state)
			return true;
	return false;
}

static int by_tgid_pid(const void *a, const void *b)
{
	const struct ls_iter_task *x = a, *y = b;

	if (x->tgid != y->tgid)
		return x->tgid < y->tgid ? -1 : 1;
	if (x->pid == x->tgid || y->pid == y->tgid)
		return x->pid == x->tgid ? -1 : 1;
	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

static int add_process(const struct ls_leftover_ctx *c,
		       const struct ls_iter_task *tasks, size_t n,
		       const struct ls_iter_task *leader, size_t group,
		       struct ls_report *r)
{
	/* A process lives while any thread does (pthread_exit leaders). */
	size_t live = live_tasks(leader, group);
	struct ls_finding *f;

	if (leader->pid != leader->tgid || !task_is_new(c, leader) ||
	    leader->tgid == (uint32_t)c->exclude_pid)
		return 0;
	if (!live && !unreaped_by_watch(tasks, n, leader))
		return 0;
	f = ls_report_add(r, LS_KIND_PROCESS,
			  live ? alive_class(c) : LS_CLASS_ZOMBIE);
	if (!f)
		return -ENOMEM;
	describe_process(c, leader, live ? live : 1, f);
	return 0;
}

static int add_processes(const struct ls_leftover_ctx *c,
			 struct ls_iter_task *tasks, size_t n,
			 struct ls_report *r)
{
	int err = 0;

	if (n)
		qsort(tasks, n, sizeof(*tasks), by_tgid_pid);
	for (size_t i = 0, j; !err && i < n; i = j) {
		for (j = i; j < n && tasks[j].tgid == tasks[i].tgid; j++)
			;
		err = add_process(c, tasks, n, &tasks[i], j - i, r);
		/* New threads count in old processes too (attach, tests). */
		if (!err)
			err = add_threads(c, &tasks[i], j - i, r);
	}
	return err;
}

/* ---- fds and sockets ---- */

static struct ls_finding *find_process(struct ls_report *r, int pid)
{
	for (size_t i = 0; i < r->n_findings; i++)
		if (r->findings[i].kind == LS_KIND_PROCESS &&
		    r->findings[i].pid == pid)
			return &r->findings[i];
	return NULL;
}

/* The comm of process @tgid as the snapshot saw it. */
static const char *comm_of(const struct ls_snapshot *s, uint32_t tgid)
{
	for (size_t i = 0; i < s->n_tasks; i++)
		if (s->tasks[i].pid == tgid)
			return s->tasks[i].comm;
	return "";
}

static void note_inherited(struct ls_report *r, const struct ls_iter_file *s)
{
	struct ls_finding *p = find_process(r, s->tgid);
	size_t n;

	if (!p)
		return;
	n = strlen(p->inherited_fds);
	snprintf(p->inherited_fds + n, sizeof(p->inherited_fds) - n, "%s%d",
		 n ? "," : "", s->fd);
}

/* The client's own connection to the control socket is not its leak. */
static bool own_connection(const struct ls_leftover_ctx *c,
			   const struct ls_iter_file *x)
{
	return c->own_sock && x->family == 1 &&
	       (x->sk_flags & LS_SK_UNIX_PEER) &&
	       !strncmp(x->path2, c->own_sock, sizeof(x->path2));
}

/* An fd without a record (the object table was full) in the test's
 * process, not open at its BEGIN: the test opened it. */
static bool opened_in_test(const struct ls_leftover_ctx *c,
			   const struct ls_iter_file *x)
{
	return c->test_fds && !(x->origin.flags & LS_ORIGIN_KNOWN) &&
	       x->tgid == c->test_tgid && !file_in_baseline(c->test_fds, x);
}

/* Does @x count? The whole watch: anything not from the baseline or
 * brought in by a process that moved in (a creation record beats the
 * baseline: anon inodes share one inode, and a
 * new file may reuse a closed one's address). A test: what it made. */
static bool fd_counts(const struct ls_leftover_ctx *c,
		      const struct ls_iter_file *x, struct ls_report *r)
{
	if (x->tgid == (uint32_t)c->exclude_pid || own_connection(c, x))
		return false;
	if (c->test)
		return of_test(c, &x->origin) || opened_in_test(c, x);
	if ((x->origin.flags & LS_ORIGIN_BROUGHT) ||
	    (!(x->origin.flags & LS_ORIGIN_KNOWN) &&
	     file_in_baseline(c->base, x))) {
		note_inherited(r, x);
		return false;
	}
	return true;
}

static int add_fds(const struct ls_leftover_ctx *c, const struct ls_snapshot *s,
		   struct ls_report *r)
{
	for (size_t i = 0; i < s->n_files; i++) {
		const struct ls_iter_file *x = &s->files[i];
		bool sock = x->fd_type == LS_FD_SOCKET;
		struct ls_finding *f, *holder;

		if (!fd_counts(c, x, r))
			continue;
		f = ls_report_add(r, sock ? LS_KIND_SOCKET : LS_KIND_FD,
				  alive_class(c));
		if (!f)
			return -ENOMEM;
		f->pid = f->tid = x->tgid;
		f->fd = x->fd;
		f->type = ls_fd_type_name(x->fd_type, x->path);
		f->path = strndup(x->path, LS_PATH_LEN);
		f->cookie = x->file;
		holder = find_process(r, x->tgid);
		ls_comm_copy(f->comm,
			     holder ? holder->comm : comm_of(s, x->tgid));
		if (sock)
			ls_describe_socket(x, f);
		set_origin(c, f, &x->origin);
	}
	return 0;
}

/* ---- mappings (a test's only) ---- */

/* What of @v is the test's: the kernel may have merged neighbours in. */
static uint64_t mapping_bytes(const struct ls_iter_vma *v)
{
	uint64_t len = v->end - v->start;

	return v->tracked_len && v->tracked_len < len ? v->tracked_len : len;
}

static bool mapping_counts(const struct ls_leftover_ctx *c,
			   const struct ls_iter_vma *v)
{
	bool anon = !v->path[0] || v->path[0] != '/';

	if (!c->test || !of_test(c, &v->origin) ||
	    v->tgid == (uint32_t)c->exclude_pid)
		return false;
	if (!(v->flags & (VM_READ | VM_WRITE | VM_EXEC)))
		return false; /* a reservation, no memory */
	/* Made PROT_NONE, opened up later: an allocator's reservation
	 * (malloc arenas, thread stacks glibc caches for reuse), which the
	 * allocator, not the test, hands back. */
	if ((v->origin.flags & LS_ORIGIN_KNOWN) && v->tracked_len &&
	    !(v->created_prot & (PROT_READ | PROT_WRITE | PROT_EXEC)))
		return false;
	if (!anon && !(v->flags & VM_WRITE))
		return false; /* a library or a read-only file: a cache */
	return mapping_bytes(v) >= LS_MAPPING_MIN_BYTES;
}

static int add_mappings(const struct ls_leftover_ctx *c,
			const struct ls_snapshot *s, struct ls_report *r)
{
	for (size_t i = 0; i < s->n_vmas; i++) {
		const struct ls_iter_vma *v = &s->vmas[i];
		struct ls_finding *f, *holder;

		if (!mapping_counts(c, v))
			continue;
		f = ls_report_add(r, LS_KIND_MAPPING, alive_class(c));
		if (!f)
			return -ENOMEM;
		f->pid = f->tid = v->tgid;
		f->bytes = mapping_bytes(v);
		f->addr = v->start;
		f->prot = v->flags & (VM_READ | VM_WRITE | VM_EXEC);
		f->path = v->path[0] ? strndup(v->path, LS_PATH_LEN) : NULL;
		holder = find_process(r, v->tgid);
		ls_comm_copy(f->comm,
			     holder ? holder->comm : comm_of(s, v->tgid));
		set_origin(c, f, &v->origin);
	}
	return 0;
}

/* ---- temp files and cgroups ---- */

struct walk {
	const struct ls_leftover_ctx *c;
	struct ls_report *r;
};

static int add_temp(const struct ls_temp_entry *e, const struct stat *st,
		    void *ctx)
{
	struct walk *w = ctx;
	struct ls_finding *f;

	if (w->c->test && e->test != w->c->test)
		return 0;
	f = ls_report_add(w->r, LS_KIND_TEMPFILE, alive_class(w->c));
	if (!f)
		return -ENOMEM;
	f->path = strdup(e->path);
	f->is_dir = e->is_dir;
	f->type = e->is_dir ? "dir" : S_ISREG(st->st_mode) ? "file" : "other";
	f->bytes =
		e->is_dir ? ls_temps_dir_bytes(e->path) : (uint64_t)st->st_size;
	f->pid = e->tgid;
	ls_comm_copy(f->comm, e->comm);
	set_creator(w->c, f, e->tgid, e->tid, e->comm, e->ts);
	set_test(w->c, f, e->test);
	return 0;
}

static int add_cgroup(const char *path, void *ctx)
{
	struct walk *w = ctx;
	struct ls_cgroup_info *info;
	struct ls_finding *f;
	uint64_t id = 0;

	if (ls_cgroup_id(path, &id) || ls_u64map_get(&w->c->base->cgroups, id))
		return 0;
	info = ls_u64map_get(&w->c->events->cgroups, id);
	if (w->c->test && (!info || info->test != w->c->test))
		return 0;
	f = ls_report_add(w->r, LS_KIND_CGROUP, alive_class(w->c));
	if (!f)
		return -ENOMEM;
	f->path = strdup(path);
	f->cgid = id;
	if (info) {
		f->pid = info->tgid;
		ls_comm_copy(f->comm, info->comm);
		set_creator(w->c, f, info->tgid, info->tid, info->comm,
			    info->ts);
		set_test(w->c, f, info->test);
	}
	return 0;
}

int ls_leftovers_collect(const struct ls_leftover_ctx *c,
			 const struct ls_snapshot *s, struct ls_report *r)
{
	struct walk w = { c, r };
	int err;

	err = add_processes(c, s->tasks, s->n_tasks, r);
	if (!err)
		err = add_fds(c, s, r);
	if (!err)
		err = add_mappings(c, s, r);
	if (!err && c->temps)
		err = ls_temps_each_leftover(c->temps, add_temp, &w);
	if (!err)
		err = ls_cgroup_for_each_child(c->cgroup, add_cgroup, &w);
	return err;
}
