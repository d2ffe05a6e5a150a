/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hooks.h - which attach type each hook group uses on this kernel.
 *
 * Owns the probes (tiny programs loaded and attached, tracefs lookups), the
 * order of preference per hook group, the host syscall numbering, and the
 * mapping from BPF program names to (hook, attach type). The loader asks it
 * which programs to load; doctor shows what it found.
 * Must not: load the real programs (loader.c does).
 */
#ifndef LS_HOOKS_H
#define LS_HOOKS_H

#include <limits.h>
#include <stdbool.h>
#include "leakscope/abi.h"

struct ls_hooks {
	enum ls_attach chosen[LS_HOOK_MAX];
	bool avail[LS_HOOK_MAX][LS_ATTACH_MAX];
	char why[LS_HOOK_MAX][160]; /* when nothing works, why */
	bool sys_tp[LS_SYS_MAX];    /* syscalls:sys_exit_<name> exists */
	long sys_nr[LS_SYS_MAX];    /* host syscall number, -1 if none */
	char tracefs[PATH_MAX];	    /* "" if unavailable */
	bool tracefs_mounted;	    /* we mounted it */
	char tracefs_err[160];
	unsigned int disabled; /* attach types switched off (1 << type) */
};

/*
 * Probe the hook groups and choose each one's attach type: the first in the
 * order of preference that works; with @all (doctor), also the others, to
 * say what is available. Groups that @level does
 * not need are LS_ATTACH_NONE. Attach types named in the environment
 * variable LEAKSCOPE_DISABLE_ATTACH (comma-separated: fentry, tp_btf,
 * raw_tp, tracepoint, generic) are skipped, to test fallbacks.
 * Returns 0, or -EOPNOTSUPP if a group the level needs has no attach type
 * (ls_hooks.why says why).
 */
int ls_hooks_probe(struct ls_hooks *h, enum ls_level level, bool all);

/* Should the BPF program named @prog be loaded under these choices? */
bool ls_hooks_want_prog(const struct ls_hooks *h, const char *prog);

/* Name of a syscall (enum ls_sys), e.g. "openat". */
const char *ls_sys_name(enum ls_sys sys);
/* Hook group of a syscall. */
enum ls_hook ls_sys_hook(enum ls_sys sys);

const char *ls_hook_name(enum ls_hook hook);
const char *ls_attach_name(enum ls_attach type);

/* Can this process load BPF programs at all? 0, or -EPERM etc. */
int ls_probe_bpf_allowed(void);
/* Does the kernel offer BPF ring buffers / task iterators? */
bool ls_probe_ringbuf(void);
bool ls_probe_iter(void);

#endif
