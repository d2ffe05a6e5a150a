// SPDX-License-Identifier: GPL-2.0
/*
 * hooks.c - see hooks.h.
 *
 * Preference per group, best first. fentry is cheapest where the kernel
 * allows it (no syscall slow path for anyone). For syscall groups, the
 * per-syscall tracepoints come next: a generic sys_exit program (tp_btf or
 * raw_tp) would run for every syscall of every task on the machine, so it is
 * the last resort, used where tracefs is missing.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "hooks.h"
#include "mountinfo.h"

static const char *const sys_names[LS_SYS_MAX] = {
#define NAME_OF(name, group) [LS_SYS_##name] = #name,
	LS_SYSCALL_LIST(NAME_OF)
#undef NAME_OF
};

static const unsigned char sys_hooks[LS_SYS_MAX] = {
#define HOOK_OF(name, group) [LS_SYS_##name] = LS_HOOK_##group,
	LS_SYSCALL_LIST(HOOK_OF)
#undef HOOK_OF
};

/* The host's numbers; a syscall this architecture lacks stays 0. */
static const long host_nr[LS_SYS_MAX] = {
#ifdef SYS_open
	[LS_SYS_open] = SYS_open,
#endif
#ifdef SYS_openat
	[LS_SYS_openat] = SYS_openat,
#endif
#ifdef SYS_openat2
	[LS_SYS_openat2] = SYS_openat2,
#endif
#ifdef SYS_creat
	[LS_SYS_creat] = SYS_creat,
#endif
#ifdef SYS_open_by_handle_at
	[LS_SYS_open_by_handle_at] = SYS_open_by_handle_at,
#endif
#ifdef SYS_dup
	[LS_SYS_dup] = SYS_dup,
#endif
#ifdef SYS_fcntl
	[LS_SYS_fcntl] = SYS_fcntl,
#endif
#ifdef SYS_eventfd
	[LS_SYS_eventfd] = SYS_eventfd,
#endif
#ifdef SYS_eventfd2
	[LS_SYS_eventfd2] = SYS_eventfd2,
#endif
#ifdef SYS_memfd_create
	[LS_SYS_memfd_create] = SYS_memfd_create,
#endif
#ifdef SYS_memfd_secret
	[LS_SYS_memfd_secret] = SYS_memfd_secret,
#endif
#ifdef SYS_epoll_create
	[LS_SYS_epoll_create] = SYS_epoll_create,
#endif
#ifdef SYS_epoll_create1
	[LS_SYS_epoll_create1] = SYS_epoll_create1,
#endif
#ifdef SYS_timerfd_create
	[LS_SYS_timerfd_create] = SYS_timerfd_create,
#endif
#ifdef SYS_signalfd
	[LS_SYS_signalfd] = SYS_signalfd,
#endif
#ifdef SYS_signalfd4
	[LS_SYS_signalfd4] = SYS_signalfd4,
#endif
#ifdef SYS_inotify_init
	[LS_SYS_inotify_init] = SYS_inotify_init,
#endif
#ifdef SYS_inotify_init1
	[LS_SYS_inotify_init1] = SYS_inotify_init1,
#endif
#ifdef SYS_fanotify_init
	[LS_SYS_fanotify_init] = SYS_fanotify_init,
#endif
#ifdef SYS_pidfd_open
	[LS_SYS_pidfd_open] = SYS_pidfd_open,
#endif
#ifdef SYS_pidfd_getfd
	[LS_SYS_pidfd_getfd] = SYS_pidfd_getfd,
#endif
#ifdef SYS_userfaultfd
	[LS_SYS_userfaultfd] = SYS_userfaultfd,
#endif
#ifdef SYS_perf_event_open
	[LS_SYS_perf_event_open] = SYS_perf_event_open,
#endif
#ifdef SYS_io_uring_setup
	[LS_SYS_io_uring_setup] = SYS_io_uring_setup,
#endif
#ifdef SYS_socket
	[LS_SYS_socket] = SYS_socket,
#endif
#ifdef SYS_accept
	[LS_SYS_accept] = SYS_accept,
#endif
#ifdef SYS_accept4
	[LS_SYS_accept4] = SYS_accept4,
#endif
#ifdef SYS_open_tree
	[LS_SYS_open_tree] = SYS_open_tree,
#endif
#ifdef SYS_fsopen
	[LS_SYS_fsopen] = SYS_fsopen,
#endif
#ifdef SYS_fsmount
	[LS_SYS_fsmount] = SYS_fsmount,
#endif
#ifdef SYS_fspick
	[LS_SYS_fspick] = SYS_fspick,
#endif
#ifdef SYS_mq_open
	[LS_SYS_mq_open] = SYS_mq_open,
#endif
#ifdef SYS_pipe
	[LS_SYS_pipe] = SYS_pipe,
#endif
#ifdef SYS_pipe2
	[LS_SYS_pipe2] = SYS_pipe2,
#endif
#ifdef SYS_socketpair
	[LS_SYS_socketpair] = SYS_socketpair,
#endif
#ifdef SYS_close_range
	[LS_SYS_close_range] = SYS_close_range,
#endif
#ifdef SYS_dup2
	[LS_SYS_dup2] = SYS_dup2,
#endif
#ifdef SYS_dup3
	[LS_SYS_dup3] = SYS_dup3,
#endif
#ifdef SYS_mmap
	[LS_SYS_mmap] = SYS_mmap,
#endif
#ifdef SYS_munmap
	[LS_SYS_munmap] = SYS_munmap,
#endif
#ifdef SYS_mremap
	[LS_SYS_mremap] = SYS_mremap,
#endif
#ifdef SYS_brk
	[LS_SYS_brk] = SYS_brk,
#endif
#ifdef SYS_mkdir
	[LS_SYS_mkdir] = SYS_mkdir,
#endif
#ifdef SYS_mkdirat
	[LS_SYS_mkdirat] = SYS_mkdirat,
#endif
#ifdef SYS_unlink
	[LS_SYS_unlink] = SYS_unlink,
#endif
#ifdef SYS_unlinkat
	[LS_SYS_unlinkat] = SYS_unlinkat,
#endif
#ifdef SYS_rmdir
	[LS_SYS_rmdir] = SYS_rmdir,
#endif
#ifdef SYS_rename
	[LS_SYS_rename] = SYS_rename,
#endif
#ifdef SYS_renameat
	[LS_SYS_renameat] = SYS_renameat,
#endif
#ifdef SYS_renameat2
	[LS_SYS_renameat2] = SYS_renameat2,
#endif
};

static const char *const hook_names[LS_HOOK_MAX] = {
	[LS_HOOK_PROC] = "proc",
	[LS_HOOK_CGROUP] = "cgroup",
	[LS_HOOK_SOCK_STATE] = "sock_state",
	[LS_HOOK_FD_NEW] = "fd_new",
	[LS_HOOK_FD_CLOSE] = "fd_close",
	[LS_HOOK_MM] = "mm",
	[LS_HOOK_TEMP] = "temp",
};

static const char *const attach_names[LS_ATTACH_MAX] = {
	[LS_ATTACH_NONE] = "none",
	[LS_ATTACH_FENTRY] = "fentry",
	[LS_ATTACH_TP_BTF] = "tp_btf",
	[LS_ATTACH_RAW_TP] = "raw_tp",
	[LS_ATTACH_TRACEPOINT] = "tracepoint",
	[LS_ATTACH_GENERIC_TP_BTF] = "tp_btf(sys_exit)",
	[LS_ATTACH_GENERIC_RAW_TP] = "raw_tp(sys_exit)",
};

#define PREF_MAX 4
static const enum ls_attach prefs[LS_HOOK_MAX][PREF_MAX] = {
	[LS_HOOK_PROC] = { LS_ATTACH_TP_BTF, LS_ATTACH_RAW_TP },
	[LS_HOOK_CGROUP] = { LS_ATTACH_TP_BTF, LS_ATTACH_RAW_TP },
	[LS_HOOK_SOCK_STATE] = { LS_ATTACH_TP_BTF, LS_ATTACH_RAW_TP,
				 LS_ATTACH_TRACEPOINT },
	[LS_HOOK_FD_NEW] = { LS_ATTACH_FENTRY, LS_ATTACH_TRACEPOINT,
			     LS_ATTACH_GENERIC_TP_BTF,
			     LS_ATTACH_GENERIC_RAW_TP },
	[LS_HOOK_FD_CLOSE] = { LS_ATTACH_TRACEPOINT, LS_ATTACH_GENERIC_TP_BTF,
			       LS_ATTACH_GENERIC_RAW_TP },
	[LS_HOOK_MM] = { LS_ATTACH_TRACEPOINT, LS_ATTACH_GENERIC_TP_BTF,
			 LS_ATTACH_GENERIC_RAW_TP },
	[LS_HOOK_TEMP] = { LS_ATTACH_TRACEPOINT, LS_ATTACH_GENERIC_TP_BTF,
			   LS_ATTACH_GENERIC_RAW_TP },
};

/* The kernel hook each group is probed with (tracepoint or function). */
static const char *const probe_target[LS_HOOK_MAX] = {
	[LS_HOOK_PROC] = "sched_process_fork",
	[LS_HOOK_CGROUP] = "cgroup_mkdir",
	[LS_HOOK_SOCK_STATE] = "inet_sock_set_state",
};

const char *ls_sys_name(enum ls_sys sys)
{
	return sys > LS_SYS_NONE && sys < LS_SYS_MAX ? sys_names[sys] : "?";
}

enum ls_hook ls_sys_hook(enum ls_sys sys)
{
	return sys_hooks[sys];
}

const char *ls_hook_name(enum ls_hook hook)
{
	return hook < LS_HOOK_MAX ? hook_names[hook] : "?";
}

const char *ls_attach_name(enum ls_attach type)
{
	return type < LS_ATTACH_MAX ? attach_names[type] : "?";
}

static bool is_syscall_hook(enum ls_hook hook)
{
	return hook == LS_HOOK_FD_NEW || hook == LS_HOOK_FD_CLOSE ||
	       hook == LS_HOOK_MM || hook == LS_HOOK_TEMP;
}

/* r0 = 0; exit: the smallest program every type accepts. */
static int load_tiny(enum bpf_prog_type type, enum bpf_attach_type eat,
		     __u32 btf_id)
{
	const struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = eat,
		    .attach_btf_id = btf_id);
	int fd = bpf_prog_load(type, NULL, "GPL", insns, 2, &opts);

	return fd < 0 ? -errno : fd;
}

/* Load and attach a tracing program (fentry or tp_btf) to BTF type @name. */
static bool probe_tracing(const struct btf *vmlinux, const char *name,
			  __u32 kind, enum bpf_attach_type eat)
{
	int id, prog, link;

	if (!vmlinux)
		return false;
	id = btf__find_by_name_kind(vmlinux, name, kind);
	if (id <= 0)
		return false;
	prog = load_tiny(BPF_PROG_TYPE_TRACING, eat, id);
	if (prog < 0)
		return false;
	link = bpf_raw_tracepoint_open(NULL, prog);
	close(prog);
	if (link < 0)
		return false;
	close(link);
	return true;
}

static bool probe_tp_btf(const struct btf *vmlinux, const char *tp)
{
	char name[128];

	snprintf(name, sizeof(name), "btf_trace_%s", tp);
	return probe_tracing(vmlinux, name, BTF_KIND_TYPEDEF, BPF_TRACE_RAW_TP);
}

static bool probe_raw_tp(const char *tp)
{
	int prog = load_tiny(BPF_PROG_TYPE_RAW_TRACEPOINT, 0, 0), link;

	if (prog < 0)
		return false;
	link = bpf_raw_tracepoint_open(tp, prog);
	close(prog);
	if (link < 0)
		return false;
	close(link);
	return true;
}

static bool tracepoint_exists(const struct ls_hooks *h, const char *cat,
			      const char *name)
{
	char path[PATH_MAX + 128];

	if (!h->tracefs[0])
		return false;
	snprintf(path, sizeof(path), "%s/events/%s/%s/id", h->tracefs, cat,
		 name);
	return access(path, R_OK) == 0;
}

/*
 * Find tracefs, mounting it at /sys/kernel/tracing if nobody has: libbpf
 * looks for tracepoints there (or under debugfs) when attaching.
 */
static void find_tracefs(struct ls_hooks *h)
{
	const char *dflt = "/sys/kernel/tracing";
	char probe[PATH_MAX + 32];

	if (!ls_mount_point("tracefs", h->tracefs, sizeof(h->tracefs)))
		return;
	h->tracefs[0] = 0;
	if (mount("tracefs", dflt, "tracefs", 0, NULL)) {
		snprintf(h->tracefs_err, sizeof(h->tracefs_err),
			 "tracefs is not mounted and mounting it at %s failed: "
			 "%s",
			 dflt, strerror(errno));
		return;
	}
	snprintf(probe, sizeof(probe), "%s/events", dflt);
	if (access(probe, F_OK) == 0) {
		snprintf(h->tracefs, sizeof(h->tracefs), "%s", dflt);
		h->tracefs_mounted = true;
	}
}

static unsigned int disabled_from_env(void)
{
	const char *env = getenv("LEAKSCOPE_DISABLE_ATTACH");
	unsigned int mask = 0;

	if (!env)
		return 0;
	if (strstr(env, "fentry"))
		mask |= 1u << LS_ATTACH_FENTRY;
	if (strstr(env, "tp_btf"))
		mask |= 1u << LS_ATTACH_TP_BTF | 1u << LS_ATTACH_GENERIC_TP_BTF;
	if (strstr(env, "raw_tp"))
		mask |= 1u << LS_ATTACH_RAW_TP | 1u << LS_ATTACH_GENERIC_RAW_TP;
	if (strstr(env, "tracepoint"))
		mask |= 1u << LS_ATTACH_TRACEPOINT;
	if (strstr(env, "generic"))
		mask |= 1u << LS_ATTACH_GENERIC_TP_BTF |
			1u << LS_ATTACH_GENERIC_RAW_TP;
	return mask;
}

static bool any_sys_tracepoint(const struct ls_hooks *h, enum ls_hook hook)
{
	for (int s = 1; s < LS_SYS_MAX; s++)
		if (sys_hooks[s] == hook && h->sys_tp[s])
			return true;
	return false;
}

/* The generic sys_exit probes serve four groups: probe each once. */
struct probe_memo {
	signed char generic[LS_ATTACH_MAX]; /* -1 unknown, 0 no, 1 yes */
};

static bool probe_generic(struct probe_memo *m, const struct btf *vmlinux,
			  enum ls_attach type)
{
	if (m->generic[type] < 0)
		m->generic[type] = type == LS_ATTACH_GENERIC_TP_BTF
					   ? probe_tp_btf(vmlinux, "sys_exit")
					   : probe_raw_tp("sys_exit");
	return m->generic[type];
}

static bool probe_one(struct ls_hooks *h, const struct btf *vmlinux,
		      struct probe_memo *memo, enum ls_hook hook,
		      enum ls_attach type)
{
	const char *tp = probe_target[hook];

	switch (type) {
	case LS_ATTACH_FENTRY:
		return hook == LS_HOOK_FD_NEW &&
		       probe_tracing(vmlinux, "fd_install", BTF_KIND_FUNC,
				     BPF_TRACE_FENTRY);
	case LS_ATTACH_TP_BTF:
		return tp && probe_tp_btf(vmlinux, tp);
	case LS_ATTACH_RAW_TP:
		return tp && probe_raw_tp(tp);
	case LS_ATTACH_TRACEPOINT:
		if (hook == LS_HOOK_SOCK_STATE)
			return tracepoint_exists(h, "sock", tp);
		return is_syscall_hook(hook) && any_sys_tracepoint(h, hook);
	case LS_ATTACH_GENERIC_TP_BTF:
	case LS_ATTACH_GENERIC_RAW_TP:
		return is_syscall_hook(hook) &&
		       probe_generic(memo, vmlinux, type);
	default:
		return false;
	}
}

static bool hook_needed(enum ls_hook hook, enum ls_level level)
{
	return !is_syscall_hook(hook) || level >= LS_LEVEL_FULL;
}

int ls_hooks_probe(struct ls_hooks *h, enum ls_level level, bool all)
{
	struct btf *vmlinux = btf__load_vmlinux_btf();
	struct probe_memo memo;
	int err = 0;

	memset(&memo, -1, sizeof(memo));
	memset(h, 0, sizeof(*h));
	if (libbpf_get_error(vmlinux))
		vmlinux = NULL;
	h->disabled = disabled_from_env();
	find_tracefs(h);
	for (int s = 1; s < LS_SYS_MAX; s++) {
		char tp[64];

		h->sys_nr[s] = host_nr[s] ? host_nr[s] : -1;
		snprintf(tp, sizeof(tp), "sys_exit_%s", sys_names[s]);
		h->sys_tp[s] = h->sys_nr[s] >= 0 &&
			       tracepoint_exists(h, "syscalls", tp);
	}
	for (int k = 0; k < LS_HOOK_MAX; k++) {
		for (int i = 0; i < PREF_MAX && prefs[k][i]; i++) {
			enum ls_attach t = prefs[k][i];

			if (t >= LS_ATTACH_MAX || (h->disabled & (1u << t)))
				continue;
			/* A watch needs the best that works, doctor all. */
			if (!all && (h->chosen[k] || !hook_needed(k, level)))
				break;
			h->avail[k][t] = probe_one(h, vmlinux, &memo, k, t);
			if (h->avail[k][t] && !h->chosen[k] &&
			    hook_needed(k, level))
				h->chosen[k] = t;
		}
		if (!h->chosen[k] && hook_needed(k, level)) {
			snprintf(h->why[k], sizeof(h->why[k]),
				 "no attach type works for the %s hooks%s%s",
				 hook_names[k], h->tracefs_err[0] ? "; " : "",
				 h->tracefs_err);
			err = -EOPNOTSUPP;
		}
	}
	btf__free(vmlinux);
	return err;
}

/* Program names: <group>_<what>_<btf|raw|tp|fentry>, sys_exit_<...>, iter_*. */
bool ls_hooks_want_prog(const struct ls_hooks *h, const char *prog)
{
	static const struct {
		const char *prefix;
		enum ls_hook hook;
	} groups[] = {
		{ "proc_", LS_HOOK_PROC },
		{ "cg_", LS_HOOK_CGROUP },
		{ "sock_state_", LS_HOOK_SOCK_STATE },
		{ "fd_install_", LS_HOOK_FD_NEW },
	};
	static const struct {
		const char *suffix;
		enum ls_attach type;
	} types[] = {
		{ "_btf", LS_ATTACH_TP_BTF },
		{ "_raw", LS_ATTACH_RAW_TP },
		{ "_tp", LS_ATTACH_TRACEPOINT },
		{ "_fentry", LS_ATTACH_FENTRY },
	};
	size_t len = strlen(prog);
	enum ls_attach type = LS_ATTACH_NONE;

	if (!strncmp(prog, "iter_", 5) || !strcmp(prog, "ctl"))
		return true;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		size_t sl = strlen(types[i].suffix);

		if (len > sl && !strcmp(prog + len - sl, types[i].suffix))
			type = types[i].type;
	}
	if (!strncmp(prog, "sys_exit_", 9)) {
		/* One program serves every syscall group using its type. */
		if (type == LS_ATTACH_TP_BTF)
			type = LS_ATTACH_GENERIC_TP_BTF;
		else if (type == LS_ATTACH_RAW_TP)
			type = LS_ATTACH_GENERIC_RAW_TP;
		for (int k = 0; k < LS_HOOK_MAX; k++)
			if (is_syscall_hook(k) && h->chosen[k] == type)
				return true;
		return false;
	}
	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
		if (!strncmp(prog, groups[i].prefix, strlen(groups[i].prefix)))
			return type && h->chosen[groups[i].hook] == type;
	return false;
}

int ls_probe_bpf_allowed(void)
{
	int fd = load_tiny(BPF_PROG_TYPE_SOCKET_FILTER, 0, 0);

	if (fd < 0)
		return fd;
	close(fd);
	return 0;
}

bool ls_probe_ringbuf(void)
{
	return libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL) > 0;
}

bool ls_probe_iter(void)
{
	struct btf *vmlinux = btf__load_vmlinux_btf();
	bool ok;
	int id, fd;

	if (libbpf_get_error(vmlinux))
		return false;
	id = btf__find_by_name_kind(vmlinux, "bpf_iter_task", BTF_KIND_FUNC);
	fd = id > 0 ? load_tiny(BPF_PROG_TYPE_TRACING, BPF_TRACE_ITER, id) : -1;
	ok = fd >= 0;
	if (ok)
		close(fd);
	btf__free(vmlinux);
	return ok;
}
