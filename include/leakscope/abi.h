/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * abi.h - the one contract between leakscope's BPF programs and its agent.
 *
 * Owns: every struct that crosses the kernel/user boundary (map keys and
 * values, ring-buffer events, iterator records), the enums that name resource
 * kinds, event types and loss counters, and the list of traced syscalls.
 * Must not: contain logic, or depend on anything but fixed-width types, so
 * that BPF (vmlinux.h) and userspace (<linux/types.h>) read it alike.
 *
 * Layout rules: every struct is padded by hand to a multiple of 8 bytes and
 * never reordered; a change here is a change of both sides in one commit.
 */
#ifndef LEAKSCOPE_ABI_H
#define LEAKSCOPE_ABI_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define LS_COMM_LEN	   16
#define LS_PATH_LEN	   256	/* paths in iterator records (bpf_d_path) */
#define LS_TEMP_PATH_LEN   1024 /* temp-file paths, relative to their root */
#define LS_ARGV_LEN	   256	/* exec argv, NUL-separated, truncated */
#define LS_CGROUP_PATH_LEN 256
#define LS_MAX_TEMP_ROOTS  16
#define LS_SYS_TABLE_LEN   512 /* syscall numbers the dispatcher knows */

/* What a finding or a counter is about. Order is ABI. */
enum ls_kind {
	LS_KIND_FD = 0,	  /* any fd that is not a socket */
	LS_KIND_SOCKET,	  /* an fd whose file is a socket */
	LS_KIND_PROCESS,  /* a thread group */
	LS_KIND_THREAD,	  /* a thread that is not a group leader */
	LS_KIND_MAPPING,  /* an mmap'd region (bytes also count brk growth) */
	LS_KIND_TEMPFILE, /* a file or directory under a temp root */
	LS_KIND_CGROUP,	  /* a cgroup below the watched one */
	LS_KIND_MAX,
};

/* fd types, from the inode at creation (refined by path in userspace). */
enum ls_fd_type {
	LS_FD_UNKNOWN = 0,
	LS_FD_FILE,
	LS_FD_DIR,
	LS_FD_PIPE, /* pipe(2) or FIFO */
	LS_FD_SOCKET,
	LS_FD_CHAR,
	LS_FD_BLOCK,
	LS_FD_LINK, /* O_PATH to a symlink */
	LS_FD_ANON, /* anon inode: eventfd, epoll, timerfd, signalfd, ... */
};

/* Object classes in the live-object table key. */
enum ls_obj_class {
	LS_OBJ_FD = 1,	/* handle = fd number */
	LS_OBJ_MAP = 2, /* handle = start address */
};

/* ls_obj.flags */
#define LS_OBJ_LEAKED (1u << 0) /* reported as a leak: tell when released */
#define LS_OBJ_BROUGHT                                                    \
	(1u << 1) /* open when its process moved into the watch: not made \
		   * in it (departed entries only) */

/* Key of the live-object table: one entry per object created in the watch. */
struct ls_obj_key {
	__u32 tgid;
	__u32 cls; /* enum ls_obj_class */
	__u64 handle;
};

/* Value of the live-object table: who created the object, and when. */
struct ls_obj {
	__u64 created_ns; /* CLOCK_MONOTONIC (to the tick: ls_tick_ns) */
	__u64 test;	  /* test id active in the creator (0: none) */
	__u64 cookie;	  /* fd: struct file address; map: length */
	__u64 proc_start; /* creator's group start time: tgid identity */
	__u64 ino;	  /* fd: inode number; map: prot | flags << 32 */
	__u32 tid;	  /* creating thread */
	__u16 kind;	  /* enum ls_kind */
	__u16 sub;	  /* fd: enum ls_fd_type */
	__u32 gen;	  /* map: the process's mm generation (exec bumps it) */
	__s32 stack_id;	  /* creation stack (not captured yet): -1 */
	__u32 tgid;	  /* creating process */
	__u32 flags;	  /* LS_OBJ_* */
	char comm[LS_COMM_LEN]; /* creating thread's comm */
};

/*
 * What every hook asks first, for every task on the machine, in one cache
 * line of .bss (`watch`): the watched cgroup (set by the agent before
 * load), whether it has child cgroups, whether a process moved out of it.
 */
struct ls_watch_vars {
	__u64 cgid;
	__u32 nested;
	__u32 escaped;
} __attribute__((aligned(64)));

/* ls_proc.flags */
#define LS_PROC_BASELINE (1u << 0) /* existed before the watch began */
#define LS_PROC_EXECED	 (1u << 1) /* has exec'd since it was forked */
#define LS_PROC_MIGRATED (1u << 3) /* moved into the watch during it */
#define LS_PROC_COUNTED	 (1u << 4) /* counted in PROCESS created */
#define LS_PROC_LAZY	 (1u << 5) /* entered on first sight, origin unknown */
#define LS_PROC_ESCAPED	 (1u << 6) /* moved out: followed to its exit */

/* Value of the process table, keyed by tgid. */
struct ls_proc {
	__u64 start_ns;	    /* group leader's start_time: tgid identity */
	__u64 test;	    /* current test of this process (0: none) */
	__u64 created_test; /* test running in its parent when it was forked */
	__u64 forked_ns;    /* when it entered the watch */
	__u64 mapped_bytes; /* tracked mmap bytes alive */
	__u64 brk_start;    /* heap start (mm->start_brk) */
	__u64 brk_cur;	    /* last brk seen */
	__u32 ppid;
	__u32 flags;	 /* LS_PROC_* */
	__u32 max_fd;	 /* highest fd entered in the object table */
	__u32 live_maps; /* tracked mappings alive */
	__u32 mm_gen;	 /* bumped at exec: old mapping entries are stale */
	__u32 creator_tid;
	char comm[LS_COMM_LEN];
};

/* A thread created in the watch: a slot of thread_slots (at tid modulo
 * their number) or, where that slot is taken, an entry of threads (keyed
 * by tid). */
struct ls_thread {
	__u64 created_ns;
	__u64 test;
	__u32 tgid;
	__u32 creator_tid;
	__u32 flags; /* LS_OBJ_LEAKED */
	__u32 tid;   /* the thread's own; in a slot, 0 when free */
	char creator_comm[LS_COMM_LEN];
};

/* Per-test counters (map tstats, keyed by test id), per kind. */
struct ls_test_counts {
	__u64 created[LS_KIND_MAX];
	__u64 released[LS_KIND_MAX];
	__u64 cur[LS_KIND_MAX];
	__u64 peak[LS_KIND_MAX];
};

/* Value of the watched-cgroup set. */
struct ls_cgroup_val {
	__u32 state; /* LS_CG_CREATED or LS_CG_BASELINE */
	__u32 pad;
	__u64 test; /* test that made it */
};

/*
 * Input of the "ctl" syscall program, run by the agent with BPF_PROG_RUN so
 * that a field is changed by one store in the kernel, never by a
 * read-modify-write from userspace racing the programs.
 */
enum ls_ctl_op {
	LS_CTL_SET_TEST = 1,	/* procs[tgid].test = test */
	LS_CTL_MARK_LEAKED = 2, /* objs[key] |= LEAKED if cookie matches */
	LS_CTL_MARK_THREAD = 3, /* thread tgid of process key.tgid: its
				 * record's flags |= LEAKED */
	LS_CTL_CLOCK = 4,	/* calibrate the tick clock; out: cookie = its
				 * resolution in ns (0: not here) */
	LS_CTL_SWEEP_MAPS = 5,	/* drop the mapping records that an exit or
				 * exec left; out: cookie = how many */
};

struct ls_ctl {
	__u32 op;
	__u32 tgid; /* or tid for MARK_THREAD */
	__u64 test;
	struct ls_obj_key key;
	__u64 cookie;
	__s32 ret; /* out: 0, or -ENOENT */
	__u32 pad;
};

/* Per-kind counters, shared by all CPUs (updated atomically). */
struct ls_kind_stats {
	__u64 created;
	__u64 released;
	__u64 cur;
	__u64 peak;
	__u64 bytes_cur; /* mappings: mmap bytes; tempfile: unused */
	__u64 bytes_peak;
	__u64 heap_cur; /* mappings only: brk growth */
	__u64 heap_peak;
};

/* Per-CPU loss counters: everything that lowers confidence in a verdict. */
enum ls_loss {
	LS_LOSS_RINGBUF = 0,	/* ring-buffer reservation failed */
	LS_LOSS_OBJ_TABLE,	/* live-object table full */
	LS_LOSS_PROC_TABLE,	/* process table full */
	LS_LOSS_CGROUP_TABLE,	/* watched-cgroup set full */
	LS_LOSS_PATH_TRUNC,	/* a temp path was deeper/longer than we copy */
	LS_LOSS_DEPARTED_TABLE, /* origin of an fd that outlived its creator */
	LS_LOSS_THREAD_TABLE,	/* thread table full */
	LS_LOSS_STACK_TABLE,	/* a creation stack found no room (stacks) */
	LS_LOSS_MAX,
};

/* Ring-buffer event types. */
enum ls_event_type {
	LS_EV_PROC_FORK = 1,
	LS_EV_PROC_EXEC,
	LS_EV_PROC_EXIT,
	LS_EV_PROC_REAP,
	LS_EV_THREAD_NEW,
	LS_EV_THREAD_EXIT,
	LS_EV_FD_OPEN,
	LS_EV_FD_CLOSE,
	LS_EV_MMAP,
	LS_EV_MUNMAP,
	LS_EV_TEMP_CREATE,
	LS_EV_TEMP_UNLINK,
	LS_EV_TEMP_RENAME,
	LS_EV_CGROUP_MKDIR,
	LS_EV_CGROUP_RMDIR,
	LS_EV_SOCK_STATE,
	LS_EV_LEAK_RELEASED, /* an object reported as leaked is released */
	LS_EV_MAX,
};

/* Header of every ring-buffer record. */
struct ls_event_hdr {
	__u64 ts;   /* bpf_ktime_get_ns */
	__u64 test; /* test of the acting process */
	__u32 type; /* enum ls_event_type */
	__u32 tgid;
	__u32 tid;
	__u32 size; /* bytes of the whole record, header included */
	char comm[LS_COMM_LEN];
};

struct ls_ev_proc {
	struct ls_event_hdr h;
	__u32 pid;   /* the process or thread concerned */
	__u32 ppid;  /* parent (fork), or 0 */
	__s32 code;  /* exit: wait status */
	__u32 flags; /* exit: 1 = whole group died */
};

struct ls_ev_exec {
	struct ls_event_hdr h;
	__u32 argv_len; /* bytes used in argv */
	__u32 pad;
	char argv[LS_ARGV_LEN]; /* NUL-separated */
};

struct ls_ev_fd {
	struct ls_event_hdr h;
	__s32 fd;
	__u32 fd_type; /* enum ls_fd_type */
	__u64 ino;
};

struct ls_ev_mmap {
	struct ls_event_hdr h;
	__u64 addr;
	__u64 len;
	__u32 prot;
	__u32 flags;
};

/* ls_ev_temp.flags */
#define LS_TEMP_DIR	 (1u << 0) /* a directory */
#define LS_TEMP_ABS	 (1u << 1) /* path is an absolute user string */
#define LS_TEMP_TRUNC	 (1u << 2) /* path was cut short */
#define LS_TEMP_HAS_INO	 (1u << 3) /* dev/ino are the created inode */
#define LS_TEMP_EXCHANGE (1u << 4) /* rename: RENAME_EXCHANGE (in flags2) */

/*
 * A temp object created, unlinked or renamed. path is relative to temp root
 * root_idx unless LS_TEMP_ABS (then absolute, as the process wrote it); for
 * rename, path2 is the new name in the same form with root2_idx/flags2.
 */
struct ls_ev_temp {
	struct ls_event_hdr h;
	__u64 dev;
	__u64 ino;
	__u32 flags;
	__s32 root_idx; /* -1: no root (absolute path) */
	__u32 flags2;
	__s32 root2_idx;
	char path[LS_TEMP_PATH_LEN];
	char path2[LS_TEMP_PATH_LEN];
};

struct ls_ev_cgroup {
	struct ls_event_hdr h;
	__u64 cgid;
	__u32 level;
	__u32 pad;
	char path[LS_CGROUP_PATH_LEN]; /* as the tracepoint gives it */
};

/* ls_ev_released.what */
#define LS_RELEASED_FD	   1
#define LS_RELEASED_MAP	   2
#define LS_RELEASED_THREAD 3

struct ls_ev_released {
	struct ls_event_hdr h;
	__u32 what;   /* LS_RELEASED_* */
	__u32 holder; /* tgid holding it */
	__u64 handle; /* fd, start address, or tid */
	__u64 test;   /* the test that leaked it */
};

struct ls_ev_sock {
	struct ls_event_hdr h;
	__u16 family;
	__u16 protocol;
	__u16 sport;
	__u16 dport;
	__s32 oldstate;
	__s32 newstate;
	__u8 saddr[16];
	__u8 daddr[16];
};

/* Values of the watched-cgroup set. */
#define LS_CG_CREATED  1 /* made during the watch: counted */
#define LS_CG_BASELINE 2 /* existed when the watch began */

/* A temp root, keyed by (dev, ino) of the root directory. */
struct ls_temp_root_key {
	__u64 dev; /* kernel dev_t (MAJOR << 20 | MINOR) */
	__u64 ino;
};

/* Creation record attached to iterator records (from the live tables). */
#define LS_ORIGIN_KNOWN	   (1u << 0) /* a record exists for this object */
#define LS_ORIGIN_LEAKED   (1u << 1) /* already reported as a leak */
#define LS_ORIGIN_DEPARTED (1u << 2) /* its creator exited (departed map) */
#define LS_ORIGIN_BROUGHT  (1u << 3) /* brought in by a process moving in */
#define LS_ORIGIN_ESCAPED  (1u << 4) /* task: outside, followed (ESCAPED) */

struct ls_origin {
	__u64 test;
	__u64 created_ns;
	__u32 tgid;
	__u32 tid;
	__s32 stack_id;
	__u32 flags; /* LS_ORIGIN_* */
	char comm[LS_COMM_LEN];
};

/*
 * A creation stack (level stacks), value of the ustacks map. @fp: the
 * kernel's frame-pointer walk (fp[0] is the instruction pointer). glibc
 * keeps no frame pointers, so the walk skips or loses the callers of a
 * libc wrapper; @scan: the words on top of the user stack that point into
 * executable code, in stack order, for the agent to check as call sites.
 */
#define LS_STACK_DEPTH 32
#define LS_SCAN_WORDS  32
struct ls_ustack {
	__u32 n_fp;
	__u32 n_scan;
	__u64 fp[LS_STACK_DEPTH];
	__u64 scan[LS_SCAN_WORDS];
};

/* Iterator records: fixed size, written with bpf_seq_write. */
#define LS_ITER_TASK_MAGIC 0x4c535431u /* "LST1" */
#define LS_ITER_FILE_MAGIC 0x4c534631u /* "LSF1" */
#define LS_ITER_VMA_MAGIC  0x4c535631u /* "LSV1" */

struct ls_iter_task {
	__u32 magic;
	__u32 pid;
	__u32 tgid;
	__u32 ppid;	  /* real parent's tgid */
	__u64 start_ns;	  /* task start time */
	__u64 cgid;	  /* cgroup v2 id */
	__u32 state;	  /* __state */
	__u32 exit_state; /* EXIT_ZOMBIE = 32, EXIT_DEAD = 16 */
	__u32 flags;	  /* task->flags (PF_*) */
	__u32 nr_threads; /* signal->nr_threads */
	__u64 vm_pages;	  /* mm->total_vm (RSS comes from /proc) */
	char comm[LS_COMM_LEN];
	__u64 test;		 /* process's current test (leaders) */
	struct ls_origin origin; /* process (leader) or thread creation */
};

/* ls_iter_file.sk_flags */
#define LS_SK_VALID	(1u << 0)
#define LS_SK_UNIX_PEER (1u << 1) /* path2 is the peer's address */
#define LS_SK_UNIX_ADDR (1u << 2) /* path is the socket's own address */

struct ls_iter_file {
	__u32 magic;
	__u32 tgid;
	__s32 fd;
	__u32 fd_type; /* enum ls_fd_type */
	__u64 file;    /* struct file address: object identity */
	__u64 ino;
	__u64 dev;
	__u32 mode;    /* i_mode */
	__u32 f_flags; /* O_* */
	/* sockets */
	__u16 family;
	__u16 sk_type;
	__u16 protocol;
	__u16 state;
	__u16 sport; /* host order */
	__u16 dport; /* host order */
	__u32 sk_flags;
	__u8 saddr[16];
	__u8 daddr[16];
	struct ls_origin origin;
	char path[LS_PATH_LEN];	 /* bpf_d_path, or the unix address */
	char path2[LS_PATH_LEN]; /* unix peer address */
};

struct ls_iter_vma {
	__u32 magic;
	__u32 tgid;
	__u64 start;
	__u64 end;
	__u64 flags; /* vm_flags */
	__u64 pgoff;
	__u64 ino;
	/* The tracked mapping that starts here (origin known): its length
	 * and protection when made. The kernel merges neighbours into one
	 * VMA, so end - start can be more than any one mmap asked for. */
	__u64 tracked_len;
	__u32 created_prot;
	__u32 pad;
	struct ls_origin origin;
	char path[LS_PATH_LEN];
};

/*
 * Hook groups: each is attached with the best attach type this kernel allows
 * (userspace probes and sets autoload). Order is ABI (indexes rodata).
 */
enum ls_hook {
	LS_HOOK_PROC = 0,   /* fork, exec, exit, free, cgroup migration */
	LS_HOOK_CGROUP,	    /* cgroup mkdir / rmdir */
	LS_HOOK_SOCK_STATE, /* TCP state changes */
	LS_HOOK_FD_NEW,	    /* every syscall that installs an fd */
	LS_HOOK_FD_CLOSE,   /* close, close_range, dup2/dup3 over an fd */
	LS_HOOK_MM,	    /* mmap, munmap, mremap, brk */
	LS_HOOK_TEMP,	    /* mkdir, unlink, rmdir, rename (creat via open) */
	LS_HOOK_MAX,
};

enum ls_attach {
	LS_ATTACH_NONE = 0, /* not loaded (level, or nothing works) */
	LS_ATTACH_FENTRY,
	LS_ATTACH_TP_BTF,
	LS_ATTACH_RAW_TP,
	LS_ATTACH_TRACEPOINT,
	LS_ATTACH_GENERIC_TP_BTF, /* one tp_btf/sys_exit program, dispatching */
	LS_ATTACH_GENERIC_RAW_TP, /* one raw_tp/sys_exit program, dispatching */
	LS_ATTACH_MAX,
};

/*
 * The syscalls traced at their exit, with their hook group. The agent maps
 * the host's syscall numbers onto LS_SYS_<name> (cfg_sys_table) and attaches
 * to syscalls:sys_exit_<name> where tracepoints are used.
 */
#define LS_SYSCALL_LIST(X)           \
	X(open, FD_NEW)              \
	X(openat, FD_NEW)            \
	X(openat2, FD_NEW)           \
	X(creat, FD_NEW)             \
	X(open_by_handle_at, FD_NEW) \
	X(dup, FD_NEW)               \
	X(fcntl, FD_NEW)             \
	X(eventfd, FD_NEW)           \
	X(eventfd2, FD_NEW)          \
	X(memfd_create, FD_NEW)      \
	X(memfd_secret, FD_NEW)      \
	X(epoll_create, FD_NEW)      \
	X(epoll_create1, FD_NEW)     \
	X(timerfd_create, FD_NEW)    \
	X(signalfd, FD_NEW)          \
	X(signalfd4, FD_NEW)         \
	X(inotify_init, FD_NEW)      \
	X(inotify_init1, FD_NEW)     \
	X(fanotify_init, FD_NEW)     \
	X(pidfd_open, FD_NEW)        \
	X(pidfd_getfd, FD_NEW)       \
	X(userfaultfd, FD_NEW)       \
	X(perf_event_open, FD_NEW)   \
	X(io_uring_setup, FD_NEW)    \
	X(socket, FD_NEW)            \
	X(accept, FD_NEW)            \
	X(accept4, FD_NEW)           \
	X(open_tree, FD_NEW)         \
	X(fsopen, FD_NEW)            \
	X(fsmount, FD_NEW)           \
	X(fspick, FD_NEW)            \
	X(mq_open, FD_NEW)           \
	X(pipe, FD_NEW)              \
	X(pipe2, FD_NEW)             \
	X(socketpair, FD_NEW)        \
	X(close_range, FD_CLOSE)     \
	X(dup2, FD_CLOSE)            \
	X(dup3, FD_CLOSE)            \
	X(mmap, MM)                  \
	X(munmap, MM)                \
	X(mremap, MM)                \
	X(brk, MM)                   \
	X(mkdir, TEMP)               \
	X(mkdirat, TEMP)             \
	X(unlink, TEMP)              \
	X(unlinkat, TEMP)            \
	X(rmdir, TEMP)               \
	X(rename, TEMP)              \
	X(renameat, TEMP)            \
	X(renameat2, TEMP)

enum ls_sys {
	LS_SYS_NONE = 0,
#define LS_SYS_ENUM(name, group) LS_SYS_##name,
	LS_SYSCALL_LIST(LS_SYS_ENUM)
#undef LS_SYS_ENUM
		LS_SYS_MAX,
};

/* Tracing levels (rodata cfg_level). */
enum ls_level {
	LS_LEVEL_SNAPSHOT = 0, /* sched/cgroup hooks + iterators; no syscalls */
	LS_LEVEL_FULL = 1,     /* + syscall lifecycles of fds, mm, temp files */
	LS_LEVEL_STACKS = 2,   /* + the user stack where each fd/map is made */
};

/* rodata cfg_flags */
#define LS_CFG_STREAM_ALL (1u << 0) /* also stream fd/mmap/thread events */
#define LS_CFG_TEST_PER_EXEC                            \
	(1u << 1) /* each program the harness runs is a \
		   * test (run --test-per-exec) */

/* Test ids the kernel gives out (--test-per-exec) have this bit set; the
 * agent's own (BEGIN) never do. */
#define LS_AUTO_TEST (1ULL << 63)

#endif /* LEAKSCOPE_ABI_H */
