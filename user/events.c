// SPDX-License-Identifier: GPL-2.0
/*
 * events.c - see events.h. Every record is checked against its declared and
 * expected size before it is read: the kernel side is ours, but a version
 * skew must not become a crash.
 */
#include <stdlib.h>
#include <string.h>
#include "eventlog.h"
#include "events.h"

void ls_events_init(struct ls_events *e, struct ls_temps *temps)
{
	memset(e, 0, sizeof(*e));
	ls_u64map_init(&e->procs);
	ls_u64map_init(&e->cgroups);
	ls_u64map_init(&e->rmdir_at);
	e->temps = temps;
}

static void free_proc(struct ls_proc_info *p)
{
	if (p) {
		free(p->argv);
		free(p);
	}
}

static int free_proc_cb(uint64_t key, void *val, void *ctx)
{
	(void)key;
	(void)ctx;
	free_proc(val);
	return 0;
}

static int free_cb(uint64_t key, void *val, void *ctx)
{
	(void)key;
	(void)ctx;
	free(val);
	return 0;
}

void ls_events_free(struct ls_events *e)
{
	ls_u64map_each(&e->procs, free_proc_cb, NULL);
	ls_u64map_free(&e->procs);
	ls_u64map_each(&e->cgroups, free_cb, NULL);
	ls_u64map_free(&e->cgroups);
	ls_u64map_free(&e->rmdir_at);
}

static struct ls_proc_info *proc_info(struct ls_events *e, uint32_t tgid)
{
	struct ls_proc_info *p = ls_u64map_get(&e->procs, tgid);

	if (p)
		return p;
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->tgid = tgid;
	if (ls_u64map_put(&e->procs, tgid, p)) {
		free(p);
		return NULL;
	}
	return p;
}

static void on_proc(struct ls_events *e, const struct ls_ev_proc *r)
{
	struct ls_proc_info *p;

	switch (r->h.type) {
	case LS_EV_PROC_FORK:
		free_proc(ls_u64map_del(&e->procs, r->pid)); /* PID reused */
		p = proc_info(e, r->pid);
		if (!p)
			return;
		p->ppid = r->ppid;
		p->creator_tid = r->h.tid;
		memcpy(p->creator_comm, r->h.comm, LS_COMM_LEN);
		memcpy(p->comm, r->h.comm, LS_COMM_LEN);
		p->fork_ns = r->h.ts;
		p->test = r->h.test;
		break;
	case LS_EV_PROC_EXIT:
		p = proc_info(e, r->pid);
		if (!p)
			return;
		p->exited = true;
		p->exit_ns = r->h.ts;
		p->exit_code = r->code;
		break;
	case LS_EV_PROC_REAP:
		free_proc(ls_u64map_del(&e->procs, r->pid));
		break;
	}
}

static void on_exec(struct ls_events *e, const struct ls_ev_exec *r)
{
	struct ls_proc_info *p = proc_info(e, r->h.tgid);
	size_t n = r->argv_len < LS_ARGV_LEN ? r->argv_len : LS_ARGV_LEN;
	char *argv;

	if (!p)
		return;
	memcpy(p->comm, r->h.comm, LS_COMM_LEN);
	argv = malloc(n + 1);
	if (!argv)
		return;
	memcpy(argv, r->argv, n);
	argv[n] = 0; /* a truncated last argument still ends */
	free(p->argv);
	p->argv = argv;
	p->argv_len = n;
}

static void on_cgroup(struct ls_events *e, const struct ls_ev_cgroup *r)
{
	struct ls_cgroup_info *c;

	if (r->h.type == LS_EV_CGROUP_RMDIR) {
		c = ls_u64map_del(&e->cgroups, r->cgid);
		if (c && c->test)
			ls_u64map_put(&e->rmdir_at, r->cgid,
				      (void *)(uintptr_t)r->h.ts);
		free(c);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return;
	c->cgid = r->cgid;
	memcpy(c->path, r->path, sizeof(c->path));
	c->path[sizeof(c->path) - 1] = 0;
	c->tgid = r->h.tgid;
	c->tid = r->h.tid;
	memcpy(c->comm, r->h.comm, LS_COMM_LEN);
	c->ts = r->h.ts;
	c->test = r->h.test;
	free(ls_u64map_del(&e->cgroups, r->cgid));
	if (ls_u64map_put(&e->cgroups, r->cgid, c))
		free(c);
}

static size_t expected_size(uint32_t type)
{
	switch (type) {
	case LS_EV_PROC_FORK:
	case LS_EV_PROC_EXIT:
	case LS_EV_PROC_REAP:
	case LS_EV_THREAD_NEW:
	case LS_EV_THREAD_EXIT:
		return sizeof(struct ls_ev_proc);
	case LS_EV_PROC_EXEC:
		return sizeof(struct ls_ev_exec);
	case LS_EV_FD_OPEN:
	case LS_EV_FD_CLOSE:
		return sizeof(struct ls_ev_fd);
	case LS_EV_MMAP:
	case LS_EV_MUNMAP:
		return sizeof(struct ls_ev_mmap);
	case LS_EV_TEMP_CREATE:
	case LS_EV_TEMP_UNLINK:
	case LS_EV_TEMP_RENAME:
		return sizeof(struct ls_ev_temp);
	case LS_EV_CGROUP_MKDIR:
	case LS_EV_CGROUP_RMDIR:
		return sizeof(struct ls_ev_cgroup);
	case LS_EV_SOCK_STATE:
		return sizeof(struct ls_ev_sock);
	case LS_EV_LEAK_RELEASED:
		return sizeof(struct ls_ev_released);
	}
	return 0;
}

int ls_events_handle(void *ctx, void *data, size_t size)
{
	struct ls_events *e = ctx;
	const struct ls_event_hdr *h = data;
	size_t want;

	if (size < sizeof(*h) || h->type >= LS_EV_MAX) {
		e->malformed++;
		return 0;
	}
	want = expected_size(h->type);
	if (!want || size < want || h->size != want) {
		e->malformed++;
		return 0;
	}
	e->received[h->type]++;
	if (e->log && !e->log_err)
		e->log_err = ls_eventlog_write(e->log, data, e->log_origin_ns);
	switch (h->type) {
	case LS_EV_PROC_FORK:
	case LS_EV_PROC_EXIT:
	case LS_EV_PROC_REAP:
		on_proc(e, data);
		break;
	case LS_EV_PROC_EXEC:
		on_exec(e, data);
		break;
	case LS_EV_TEMP_CREATE:
	case LS_EV_TEMP_UNLINK:
	case LS_EV_TEMP_RENAME:
		if (e->temps)
			ls_temps_event(e->temps, data);
		break;
	case LS_EV_CGROUP_MKDIR:
	case LS_EV_CGROUP_RMDIR:
		on_cgroup(e, data);
		break;
	}
	if (e->hook)
		e->hook(e->hook_ctx, h);
	return 0;
}
