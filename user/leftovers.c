// SPDX-License-Identifier: GPL-2.0
/*
 * leftovers.c - see leftovers.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cgroup.h"
#include "leftovers.h"
#include "loader.h"

#define NS_PER_S 1e9

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

/* ---- names ---- */

const char *ls_fd_type_name(unsigned int fd_type, const char *path)
{
	static const struct {
		const char *needle, *name;
	} anon[] = {
		{ "[eventfd]", "eventfd" },
		{ "[eventpoll]", "epoll" },
		{ "[timerfd]", "timerfd" },
		{ "[signalfd]", "signalfd" },
		{ "inotify", "inotify" },
		{ "[fanotify]", "fanotify" },
		{ "[pidfd]", "pidfd" },
		{ "[io_uring]", "io_uring" },
		{ "[userfaultfd]", "userfaultfd" },
		{ "bpf-", "bpf" },
		{ "bpf_", "bpf" },
		{ "[perf_event]", "perf_event" },
	};

	if (!strncmp(path, "anon_inode:", 11) || fd_type == LS_FD_ANON) {
		for (size_t i = 0; i < sizeof(anon) / sizeof(anon[0]); i++)
			if (strstr(path, anon[i].needle))
				return anon[i].name;
		return "anon_inode";
	}
	if (!strncmp(path, "pidfd:", 6))
		return "pidfd";
	switch (fd_type) {
	case LS_FD_FILE:
		return !strncmp(path, "/memfd:", 7) ? "memfd" : "file";
	case LS_FD_DIR:
		return "dir";
	case LS_FD_PIPE:
		return !strncmp(path, "pipe:", 5) ? "pipe" : "fifo";
	case LS_FD_SOCKET:
		return "socket";
	case LS_FD_CHAR:
		return "chardev";
	case LS_FD_BLOCK:
		return "blockdev";
	case LS_FD_LINK:
		return "symlink";
	}
	return "unknown";
}

const char *ls_database_for_port(int port)
{
	switch (port) {
	case 5432:
		return "postgresql";
	case 3306:
		return "mysql";
	case 6379:
		return "redis";
	case 27017:
		return "mongodb";
	case 11211:
		return "memcached";
	case 9042:
		return "cassandra";
	case 5672:
		return "rabbitmq";
	case 9200:
		return "elasticsearch";
	case 1433:
		return "mssql";
	case 1521:
		return "oracle";
	case 26257:
		return "cockroachdb";
	case 2379:
		return "etcd";
	case 8086:
		return "influxdb";
	}
	return NULL;
}

const char *ls_database_for_unix_path(const char *path)
{
	if (strstr(path, ".s.PGSQL."))
		return "postgresql";
	if (strstr(path, "mysql") && strstr(path, ".sock"))
		return "mysql";
	if (strstr(path, "redis") && strstr(path, ".sock"))
		return "redis";
	if (strstr(path, "mongodb") && strstr(path, ".sock"))
		return "mongodb";
	return NULL;
}

const char *ls_family_name(int family)
{
	switch (family) {
	case 1:
		return "unix";
	case 2:
		return "inet";
	case 10:
		return "inet6";
	case 16:
		return "netlink";
	case 17:
		return "packet";
	case 40:
		return "vsock";
	}
	return "other";
}

const char *ls_sock_type_name(int type)
{
	switch (type) {
	case 1:
		return "stream";
	case 2:
		return "dgram";
	case 3:
		return "raw";
	case 5:
		return "seqpacket";
	}
	return "other";
}

const char *ls_tcp_state_name(int state)
{
	static const char *const names[] = {
		[1] = "ESTABLISHED", [2] = "SYN_SENT",	 [3] = "SYN_RECV",
		[4] = "FIN_WAIT1",   [5] = "FIN_WAIT2",	 [6] = "TIME_WAIT",
		[7] = "CLOSE",	     [8] = "CLOSE_WAIT", [9] = "LAST_ACK",
		[10] = "LISTEN",     [11] = "CLOSING",	 [12] = "NEW_SYN_RECV",
	};

	if (state > 0 && state < (int)(sizeof(names) / sizeof(names[0])))
		return names[state];
	return "UNKNOWN";
}

/* ---- procfs, for what the kernel records do not carry ---- */

static char **split_argv(const char *buf, size_t len)
{
	size_t n = 0, k = 0;
	char **argv;

	for (size_t i = 0; i < len; i++)
		n += buf[i] == 0 || i + 1 == len;
	argv = calloc(n + 1, sizeof(*argv));
	if (!argv)
		return NULL;
	for (size_t i = 0; i < len && k < n;) {
		size_t l = strnlen(buf + i, len - i);

		argv[k++] = strndup(buf + i, l);
		i += l + 1;
	}
	return argv;
}

static char **proc_argv(int pid)
{
	char file[64], buf[4096];
	ssize_t n;
	int fd;

	snprintf(file, sizeof(file), "/proc/%d/cmdline", pid);
	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	return n > 0 ? split_argv(buf, n) : NULL;
}

static uint64_t proc_rss(int pid)
{
	char file[64];
	unsigned long size, resident = 0;
	FILE *f;

	snprintf(file, sizeof(file), "/proc/%d/statm", pid);
	f = fopen(file, "re");
	if (!f)
		return 0;
	if (fscanf(f, "%lu %lu", &size, &resident) != 2)
		resident = 0;
	fclose(f);
	return (uint64_t)resident * sysconf(_SC_PAGESIZE);
}

/* A zombie's wait status: field 52 of /proc/PID/stat (Linux 3.5+). */
static int proc_exit_code(int pid)
{
	char file[64], buf[2048], *p;
	int field = 3, code = 0;
	ssize_t n;
	int fd;

	snprintf(file, sizeof(file), "/proc/%d/stat", pid);
	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	/* comm may hold spaces and parentheses: fields start after the last
	 * ')', with the state (field 3). */
	p = strrchr(buf, ')');
	for (p = p ? p + 2 : buf; p && *p && field < 52; field++)
		p = strchr(p, ' ') ? strchr(p, ' ') + 1 : NULL;
	if (p && field == 52)
		code = atoi(p);
	return code;
}

/* ---- processes and threads ---- */

static double offset_s(const struct ls_leftover_ctx *c, uint64_t ns)
{
	if (!ns)
		return -1;
	/* Created between attach and origin: show it at +0. */
	return ns >= c->origin_ns ? (ns - c->origin_ns) / NS_PER_S : 0;
}

static bool task_is_new(const struct ls_leftover_ctx *c,
			const struct ls_iter_task *t)
{
	struct ls_proc p;

	if (t->start_ns >= c->t0_ns)
		return true;
	return !ls_bpf_proc(c->bpf, t->tgid, &p) &&
	       (p.flags & LS_PROC_MIGRATED) && p.forked_ns >= c->t0_ns;
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

static void describe_process(const struct ls_leftover_ctx *c,
			     const struct ls_iter_task *t, size_t threads,
			     struct ls_finding *f)
{
	struct ls_proc_info *info = ls_u64map_get(&c->events->procs, t->tgid);
	struct ls_proc kp;

	f->pid = f->tid = t->tgid;
	f->ppid = t->ppid;
	ls_comm_copy(f->comm, t->comm);
	f->threads = threads;
	f->argv = proc_argv(t->tgid);
	if (!f->argv && info && info->argv)
		f->argv = split_argv(info->argv, info->argv_len);
	if (f->cls != LS_CLASS_ZOMBIE)
		f->rss_bytes = proc_rss(t->tgid);
	if (info && info->fork_ns) {
		set_creator(c, f, info->ppid, info->creator_tid,
			    info->creator_comm, info->fork_ns);
	} else if (!ls_bpf_proc(c->bpf, t->tgid, &kp) && kp.creator_tid) {
		set_creator(c, f, kp.ppid, kp.creator_tid, "", kp.forked_ns);
	}
	if (f->cls == LS_CLASS_ZOMBIE)
		f->exit_status = info && info->exited ? info->exit_code
						      : proc_exit_code(t->tgid);
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

static int add_threads(const struct ls_leftover_ctx *c,
		       const struct ls_iter_task *t, size_t n,
		       struct ls_report *r)
{
	for (size_t i = 0; i < n; i++) {
		struct ls_finding *f;
		struct ls_thread th;

		if (t[i].pid == t[i].tgid || t[i].start_ns < c->t0_ns ||
		    t[i].exit_state)
			continue;
		f = ls_report_add(r, LS_KIND_THREAD, LS_CLASS_ORPHAN);
		if (!f)
			return -ENOMEM;
		f->pid = t[i].tgid;
		f->tid = t[i].pid;
		f->ppid = t[i].ppid;
		ls_comm_copy(f->comm, t[i].comm);
		f->created_at = offset_s(c, t[i].start_ns);
		if (!ls_bpf_thread(c->bpf, t[i].pid, &th))
			set_creator(c, f, th.tgid, th.creator_tid,
				    th.creator_comm, th.created_ns);
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

static int add_processes(const struct ls_leftover_ctx *c,
			 struct ls_iter_task *tasks, size_t n,
			 struct ls_report *r)
{
	if (n)
		qsort(tasks, n, sizeof(*tasks), by_tgid_pid);
	for (size_t i = 0; i < n;) {
		size_t j = i, live;
		struct ls_finding *f;
		int err;

		while (j < n && tasks[j].tgid == tasks[i].tgid)
			j++;
		/* Sorted leader first; a process lives while any thread does
		 * (its leader may have called pthread_exit). */
		live = live_tasks(&tasks[i], j - i);
		if (tasks[i].pid == tasks[i].tgid &&
		    task_is_new(c, &tasks[i]) &&
		    (live || unreaped_by_watch(tasks, n, &tasks[i]))) {
			f = ls_report_add(r, LS_KIND_PROCESS,
					  live ? LS_CLASS_ORPHAN
					       : LS_CLASS_ZOMBIE);
			if (!f)
				return -ENOMEM;
			describe_process(c, &tasks[i], live ? live : 1, f);
		}
		/* New threads count in old processes too (attach). */
		if ((err = add_threads(c, &tasks[i], j - i, r)))
			return err;
		i = j;
	}
	return 0;
}

/* ---- fds and sockets ---- */

static void describe_inet(const struct ls_iter_file *s, struct ls_finding *f)
{
	int af = s->family == 10 ? AF_INET6 : AF_INET;

	inet_ntop(af, s->saddr, f->local_addr, sizeof(f->local_addr));
	f->local_port = s->sport;
	if (s->dport) {
		inet_ntop(af, s->daddr, f->peer_addr, sizeof(f->peer_addr));
		f->peer_port = s->dport;
		f->database = ls_database_for_port(s->dport);
	}
	if (s->protocol == 6) {
		f->protocol = "tcp";
		f->state = ls_tcp_state_name(s->state);
	} else if (s->protocol == 17) {
		f->protocol = "udp";
	} else if (s->protocol == 132) {
		f->protocol = "sctp";
	}
}

static void describe_socket(const struct ls_iter_file *s, struct ls_finding *f)
{
	if (!(s->sk_flags & LS_SK_VALID))
		return;
	f->family = ls_family_name(s->family);
	f->sock_type = ls_sock_type_name(s->sk_type);
	if (s->family == 2 || s->family == 10) {
		describe_inet(s, f);
		return;
	}
	if (s->family != 1)
		return;
	/* For unix sockets, path holds the bound address, if any. */
	if (s->sk_flags & LS_SK_UNIX_ADDR)
		snprintf(f->local_addr, sizeof(f->local_addr), "%s", s->path);
	if (s->sk_flags & LS_SK_UNIX_PEER) {
		snprintf(f->peer_addr, sizeof(f->peer_addr), "%s", s->path2);
		f->database = ls_database_for_unix_path(s->path2);
	}
}

/* Who opened @s: the live table, else the table of exited creators. */
static bool fd_origin(const struct ls_leftover_ctx *c,
		      const struct ls_iter_file *s, struct ls_obj *o)
{
	return (!ls_bpf_fd_origin(c->bpf, s->tgid, s->fd, o) &&
		o->cookie == s->file) ||
	       (!ls_bpf_departed_origin(c->bpf, s->file, o) &&
		o->ino == s->ino);
}

static struct ls_finding *find_process(struct ls_report *r, int pid)
{
	for (size_t i = 0; i < r->n_findings; i++)
		if (r->findings[i].kind == LS_KIND_PROCESS &&
		    r->findings[i].pid == pid)
			return &r->findings[i];
	return NULL;
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

static int add_fds(const struct ls_leftover_ctx *c, const struct ls_snapshot *s,
		   struct ls_report *r)
{
	for (size_t i = 0; i < s->n_files; i++) {
		const struct ls_iter_file *x = &s->files[i];
		struct ls_finding *f, *holder;
		bool sock = x->fd_type == LS_FD_SOCKET;
		struct ls_obj o;
		bool created = fd_origin(c, x, &o);

		/* A creation record beats the baseline: anon inodes share one
		 * inode, and a new file may reuse a closed one's address. */
		if (!created && file_in_baseline(c->base, x)) {
			note_inherited(r, x);
			continue;
		}
		f = ls_report_add(r, sock ? LS_KIND_SOCKET : LS_KIND_FD,
				  LS_CLASS_ORPHAN);
		if (!f)
			return -ENOMEM;
		f->pid = f->tid = x->tgid;
		f->fd = x->fd;
		f->type = ls_fd_type_name(x->fd_type, x->path);
		f->path = strndup(x->path, LS_PATH_LEN);
		holder = find_process(r, x->tgid);
		if (holder)
			ls_comm_copy(f->comm, holder->comm);
		if (sock)
			describe_socket(x, f);
		if (created)
			set_creator(c, f, o.tgid, o.tid, o.comm, o.created_ns);
	}
	return 0;
}

/* ---- temp files and cgroups ---- */

struct temp_walk {
	const struct ls_leftover_ctx *c;
	struct ls_report *r;
};

static int add_temp(const struct ls_temp_entry *e, const struct stat *st,
		    void *ctx)
{
	struct temp_walk *w = ctx;
	struct ls_finding *f =
		ls_report_add(w->r, LS_KIND_TEMPFILE, LS_CLASS_ORPHAN);

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
	return 0;
}

static int add_cgroup(const char *path, void *ctx)
{
	struct temp_walk *w = ctx;
	struct ls_cgroup_info *info;
	struct ls_finding *f;
	uint64_t id = 0;

	if (ls_cgroup_id(path, &id) || ls_u64map_get(&w->c->base->cgroups, id))
		return 0;
	f = ls_report_add(w->r, LS_KIND_CGROUP, LS_CLASS_ORPHAN);
	if (!f)
		return -ENOMEM;
	f->path = strdup(path);
	f->cgid = id;
	info = ls_u64map_get(&w->c->events->cgroups, id);
	if (info) {
		f->pid = info->tgid;
		ls_comm_copy(f->comm, info->comm);
		set_creator(w->c, f, info->tgid, info->tid, info->comm,
			    info->ts);
	}
	return 0;
}

int ls_leftovers_collect(const struct ls_leftover_ctx *c,
			 const struct ls_snapshot *s, struct ls_report *r)
{
	struct temp_walk w = { c, r };
	int err;

	err = add_processes(c, s->tasks, s->n_tasks, r);
	if (!err)
		err = add_fds(c, s, r);
	if (!err && c->temps)
		err = ls_temps_each_leftover(c->temps, add_temp, &w);
	if (!err)
		err = ls_cgroup_for_each_child(c->cgroup, add_cgroup, &w);
	return err;
}
