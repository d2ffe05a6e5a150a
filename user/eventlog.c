// SPDX-License-Identifier: GPL-2.0
/*
 * eventlog.c - see eventlog.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include "eventlog.h"
#include "json.h"
#include "leakscope/abi.h"
#include "leftovers.h"
#include "report.h"

static void proc_fields(struct ls_json *j, const struct ls_ev_proc *e)
{
	ls_json_kv_uint(j, "target", e->pid);
	if (e->h.type == LS_EV_PROC_FORK)
		ls_json_kv_uint(j, "ppid", e->ppid);
	if (e->h.type == LS_EV_PROC_EXIT)
		ls_json_kv_int(j, "exit_status", e->code);
}

static void exec_fields(struct ls_json *j, const struct ls_ev_exec *e)
{
	size_t n = e->argv_len < LS_ARGV_LEN ? e->argv_len : LS_ARGV_LEN;

	ls_json_key(j, "argv");
	ls_json_begin_array(j);
	for (size_t i = 0; i < n;) {
		size_t l = strnlen(e->argv + i, n - i);

		ls_json_string_n(j, e->argv + i, l);
		i += l + 1;
	}
	ls_json_end_array(j);
}

static void temp_fields(struct ls_json *j, const struct ls_ev_temp *e)
{
	ls_json_kv_int(j, "root", e->root_idx);
	ls_json_key(j, "path");
	ls_json_string_n(j, e->path, strnlen(e->path, LS_TEMP_PATH_LEN));
	ls_json_kv_bool(j, "dir", e->flags & LS_TEMP_DIR);
	if (e->h.type == LS_EV_TEMP_RENAME) {
		ls_json_kv_int(j, "root2", e->root2_idx);
		ls_json_key(j, "path2");
		ls_json_string_n(j, e->path2,
				 strnlen(e->path2, LS_TEMP_PATH_LEN));
	}
}

static void sock_fields(struct ls_json *j, const struct ls_ev_sock *e)
{
	char a[64], b[64];
	int af = e->family == 10 ? AF_INET6 : AF_INET;

	inet_ntop(af, e->saddr, a, sizeof(a));
	inet_ntop(af, e->daddr, b, sizeof(b));
	ls_json_kv_string(j, "local", a);
	ls_json_kv_uint(j, "local_port", e->sport);
	ls_json_kv_string(j, "peer", b);
	ls_json_kv_uint(j, "peer_port", e->dport);
	ls_json_kv_string(j, "from", ls_tcp_state_name(e->oldstate));
	ls_json_kv_string(j, "to", ls_tcp_state_name(e->newstate));
}

static void type_fields(struct ls_json *j, const struct ls_event_hdr *h)
{
	const struct ls_ev_fd *fd = (const void *)h;
	const struct ls_ev_mmap *m = (const void *)h;
	const struct ls_ev_cgroup *cg = (const void *)h;

	switch (h->type) {
	case LS_EV_PROC_FORK:
	case LS_EV_PROC_EXIT:
	case LS_EV_PROC_REAP:
	case LS_EV_THREAD_NEW:
	case LS_EV_THREAD_EXIT:
		proc_fields(j, (const void *)h);
		break;
	case LS_EV_PROC_EXEC:
		exec_fields(j, (const void *)h);
		break;
	case LS_EV_FD_OPEN:
	case LS_EV_FD_CLOSE:
		ls_json_kv_int(j, "fd", fd->fd);
		ls_json_kv_string(j, "type", ls_fd_type_name(fd->fd_type, ""));
		break;
	case LS_EV_MMAP:
	case LS_EV_MUNMAP:
		ls_json_kv_uint(j, "addr", m->addr);
		ls_json_kv_uint(j, "bytes", m->len);
		break;
	case LS_EV_TEMP_CREATE:
	case LS_EV_TEMP_UNLINK:
	case LS_EV_TEMP_RENAME:
		temp_fields(j, (const void *)h);
		break;
	case LS_EV_CGROUP_MKDIR:
	case LS_EV_CGROUP_RMDIR:
		ls_json_kv_uint(j, "cgroup_id", cg->cgid);
		ls_json_key(j, "path");
		ls_json_string_n(j, cg->path,
				 strnlen(cg->path, LS_CGROUP_PATH_LEN));
		break;
	case LS_EV_SOCK_STATE:
		sock_fields(j, (const void *)h);
		break;
	}
}

int ls_eventlog_write(FILE *f, const void *rec, uint64_t origin_ns)
{
	const struct ls_event_hdr *h = rec;
	char comm[LS_COMM_LEN];
	struct ls_json j;

	ls_json_init(&j, f, false);
	ls_json_begin_object(&j);
	ls_json_kv_double(
		&j, "t", h->ts >= origin_ns ? (h->ts - origin_ns) / 1e9 : 0, 6);
	ls_json_kv_string(&j, "event", ls_event_name(h->type));
	ls_json_kv_uint(&j, "pid", h->tgid);
	ls_json_kv_uint(&j, "tid", h->tid);
	ls_comm_copy(comm, h->comm);
	ls_json_kv_string(&j, "comm", comm);
	if (h->test)
		ls_json_kv_uint(&j, "test", h->test);
	else
		ls_json_kv_null(&j, "test");
	type_fields(&j, h);
	ls_json_end_object(&j);
	if (ls_json_finish(&j) || fputc('\n', f) == EOF)
		return -EIO;
	return 0;
}
