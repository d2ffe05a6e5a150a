// SPDX-License-Identifier: GPL-2.0
/*
 * syscalls.bpf.c - the entry points for traced syscall exits, in two
 * flavours that feed the same per-concern handlers:
 *
 *  - one tracepoint program that the agent attaches to the
 *    syscalls:sys_exit_<name> tracepoint of every traced syscall: the kernel
 *    runs it only for those syscalls, so processes outside the watch pay the
 *    syscall slow path and nothing more; one program, verified once;
 *  - one generic sys_exit program (tp_btf, else raw_tp) that sees every
 *    syscall: the fallback where tracefs or syscall tracepoints are missing.
 *
 * Both map the syscall number through cfg_sys_table (filled by the agent
 * from the host's numbering) onto enum ls_sys. Arguments are read from the
 * task's saved user registers at exit, so no sys_enter program (and no
 * per-thread map) is needed.
 */
#include "common.bpf.h"

/* Hook group of each syscall, from the one list in abi.h. */
static const __u8 sys_group[LS_SYS_MAX] = {
#define GROUP_OF(name, group) [LS_SYS_##name] = LS_HOOK_##group,
	LS_SYSCALL_LIST(GROUP_OF)
#undef GROUP_OF
};

static __always_inline int dispatch(struct ls_sysctx *c, __u32 group)
{
	switch (group) {
	case LS_HOOK_FD_NEW:
	case LS_HOOK_FD_CLOSE:
		return ls_fd_syscall(c);
	case LS_HOOK_MM:
		return ls_mm_syscall(c);
	case LS_HOOK_TEMP:
		return ls_temp_syscall(c);
	}
	return 0;
}

static __always_inline void read_args(struct ls_sysctx *c, struct pt_regs *regs)
{
	struct pt_regs r;

	/* One copy of the saved user registers instead of six reads. */
	if (bpf_core_read(&r, sizeof(r), regs)) {
		__builtin_memset(c->arg, 0, sizeof(c->arg));
		c->sp = 0;
		return;
	}
	c->arg[0] = PT_REGS_PARM1_SYSCALL(&r);
	c->arg[1] = PT_REGS_PARM2_SYSCALL(&r);
	c->arg[2] = PT_REGS_PARM3_SYSCALL(&r);
	c->arg[3] = PT_REGS_PARM4_SYSCALL(&r);
	c->arg[4] = PT_REGS_PARM5_SYSCALL(&r);
	c->arg[5] = 0; /* no handler needs the sixth */
	c->sp = PT_REGS_SP(&r);
}

/*
 * @regs is a BTF pointer (from bpf_task_pt_regs, or tp_btf's argument):
 * plain loads, no helper call. This runs for every traced syscall.
 */
static __always_inline void read_args_btf(struct ls_sysctx *c,
					  struct pt_regs *regs)
{
#if defined(__TARGET_ARCH_x86)
	c->arg[0] = regs->di;
	c->arg[1] = regs->si;
	c->arg[2] = regs->dx;
	c->arg[3] = regs->r10;
	c->arg[4] = regs->r8;
	c->arg[5] = 0; /* no handler needs the sixth */
	c->sp = regs->sp;
#else
	read_args(c, regs);
#endif
}

/*
 * Syscalls whose handler needs no argument, only the result (the new fd):
 * their exit skips finding and reading the user registers, which was a
 * tenth of the program's time on an open/close loop.
 */
static __always_inline bool result_only(__u32 sys)
{
	if (sys_group[sys] != LS_HOOK_FD_NEW)
		return false;
	switch (sys) {
	case LS_SYS_dup:
	case LS_SYS_fcntl:
	case LS_SYS_signalfd:
	case LS_SYS_signalfd4:
	case LS_SYS_pipe:
	case LS_SYS_pipe2:
	case LS_SYS_socketpair:
		return false;
	}
	return true;
}

/* Syscalls that make an fd or a mapping: where a stack is worth taking. */
static __always_inline bool creates(__u32 sys)
{
	return sys_group[sys] == LS_HOOK_FD_NEW || sys == LS_SYS_mmap ||
	       sys == LS_SYS_dup2 || sys == LS_SYS_dup3;
}

/* @regs: the user registers; NULL: the current task's, found here. @typed:
 * @regs is a BTF pointer (not raw_tp's untyped argument). */
static __always_inline int sys_exit(void *ctx, __u32 sys, long ret,
				    struct pt_regs *regs, bool typed)
{
	struct ls_sysctx c;
	__u64 id;

	if (!sys || sys >= LS_SYS_MAX || !current_watched())
		return 0;
	id = bpf_get_current_pid_tgid();
	c.ret = ret;
	c.sys = sys;
	c.tgid = id >> 32;
	c.tid = (__u32)id;
	c.stack_id = -1;
	if (cfg_level < LS_LEVEL_STACKS && result_only(sys)) {
		__builtin_memset(c.arg, 0, sizeof(c.arg));
		c.sp = 0;
		return dispatch(&c, sys_group[sys]);
	}
	if (!regs)
		regs = (struct pt_regs *)bpf_task_pt_regs(
			bpf_get_current_task_btf());
	if (typed)
		read_args_btf(&c, regs);
	else
		read_args(&c, regs);
	if (cfg_level >= LS_LEVEL_STACKS && ret >= 0 && creates(sys))
		c.stack_id = ls_user_stack(ctx, c.sp);
	return dispatch(&c, sys_group[sys]);
}

static __always_inline __u32 sys_of(long nr)
{
	if (nr < 0 || nr >= LS_SYS_TABLE_LEN)
		return LS_SYS_NONE;
	return cfg_sys_table[nr];
}

/* Attached by the agent to each chosen syscalls:sys_exit_* tracepoint. */
SEC("tracepoint")
int sys_exit_tp(struct trace_event_raw_sys_exit *ctx)
{
	return sys_exit(ctx, sys_of((int)ctx->id), ctx->ret, 0, true);
}

static __always_inline long syscall_nr(struct pt_regs *regs)
{
#if defined(__TARGET_ARCH_x86)
	return BPF_CORE_READ(regs, orig_ax);
#elif defined(__TARGET_ARCH_arm64)
	return BPF_CORE_READ(regs, syscallno);
#else
	return -1;
#endif
}

/* tp_btf's @regs is a BTF pointer: a plain load, no helper call. */
static __always_inline long syscall_nr_typed(struct pt_regs *regs)
{
#if defined(__TARGET_ARCH_x86)
	return regs->orig_ax;
#else
	return syscall_nr(regs);
#endif
}

/* The fallback: every syscall of the machine passes here; stay tiny. */
static __always_inline int generic_exit(void *ctx, struct pt_regs *regs,
					long ret, bool typed)
{
	__u32 sys = sys_of(typed ? syscall_nr_typed(regs) : syscall_nr(regs)),
	      attach;

	if (!sys || sys >= LS_SYS_MAX)
		return 0;
	attach = cfg_hook_attach[sys_group[sys]];
	if (attach != LS_ATTACH_GENERIC_TP_BTF &&
	    attach != LS_ATTACH_GENERIC_RAW_TP)
		return 0;
	return sys_exit(ctx, sys, ret, regs, typed);
}

SEC("tp_btf/sys_exit")
int BPF_PROG(sys_exit_btf, struct pt_regs *regs, long ret)
{
	return generic_exit(ctx, regs, ret, true);
}

SEC("raw_tp/sys_exit")
int BPF_PROG(sys_exit_raw, struct pt_regs *regs, long ret)
{
	return generic_exit(ctx, regs, ret, false);
}
