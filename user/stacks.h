/* SPDX-License-Identifier: GPL-2.0 */
/*
 * stacks.h - creation sites: the user stack the kernel captured when an fd
 * or a mapping was made (--level stacks), as "function+offset (binary)"
 * frames on the finding.
 *
 * Owns the symbolizer's lifetime for a watch and when its per-process maps
 * go stale (exec, exit). Must not: capture anything (the BPF side does).
 */
#ifndef LS_STACKS_H
#define LS_STACKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "report.h"

struct ls_bpf;
struct ls_symbolizer;

/*
 * Symbolize the stacks of findings @from..end of @r that have one. Callers
 * the kernel's frame-pointer walk skipped (glibc keeps no frame pointers)
 * come from the words the BPF side found on top of the stack, kept only
 * if a call instruction precedes them in the creator's memory.
 */
void ls_stacks_attach(struct ls_symbolizer *sym, struct ls_bpf *b,
		      struct ls_report *r, size_t from);

/* Do the @n bytes before a return address (@b[n-1] is the last) end in an
 * x86-64 call instruction? Exposed for tests. */
bool ls_call_precedes(const uint8_t *b, size_t n);

#endif
