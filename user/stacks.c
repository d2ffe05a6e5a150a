// SPDX-License-Identifier: GPL-2.0
/*
 * stacks.c - see stacks.h.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "loader.h"
#include "stacks.h"
#include "symbolize.h"

#define MAX_FRAMES  32
#define MAX_SCANNED 8 /* callers taken from the scan where the walk failed */
#define CALL_MAX    7 /* the longest call instruction we recognise */

bool ls_call_precedes(const uint8_t *b, size_t n)
{
	/* b[n - 1] is the byte just before the return address. */
	if (n >= 5 && b[n - 5] == 0xe8)
		return true; /* call rel32 */
	if (n >= 6 && b[n - 6] == 0xff &&
	    (b[n - 5] == 0x15 || (b[n - 5] & 0xf8) == 0x90))
		return true; /* call *disp32(%rip), call *disp32(%reg) */
	if (n >= 2 && b[n - 2] == 0xff &&
	    ((b[n - 1] & 0xf8) == 0xd0 ||
	     ((b[n - 1] & 0xf8) == 0x10 && (b[n - 1] & 7) < 4)))
		return true; /* call *%reg, call *(%reg) */
	if (n >= 3 && b[n - 3] >= 0x40 && b[n - 3] <= 0x4f &&
	    b[n - 2] == 0xff && (b[n - 1] & 0xf8) == 0xd0)
		return true; /* call *%r8..%r15 */
	if (n >= 3 && b[n - 3] == 0xff && (b[n - 2] & 0xf8) == 0x50 &&
	    (b[n - 2] & 7) != 4)
		return true; /* call *disp8(%reg) */
	if (n >= 4 && b[n - 4] == 0xff && b[n - 3] == 0x54 && b[n - 2] == 0x24)
		return true; /* call *disp8(%rsp) */
	return false;
}

/* Is @addr, in process @mem's memory, right after a call instruction? */
static bool is_return_address(int mem, uint64_t addr)
{
	uint8_t code[CALL_MAX];

	if (mem < 0 || addr < CALL_MAX ||
	    pread(mem, code, sizeof(code), (off_t)(addr - CALL_MAX)) !=
		    (ssize_t)sizeof(code))
		return false;
	return ls_call_precedes(code, sizeof(code));
}

/*
 * The frames of @u: the instruction pointer, then the scanned words that
 * are return addresses up to where the frame-pointer walk resumes (the
 * callers the walk skipped), then the rest of the walk.
 */
static int assemble(const struct ls_ustack *u, int mem, uint64_t *out)
{
	uint64_t resume = u->n_fp > 1 ? u->fp[1] : 0;
	int n = 0, scanned = 0;

	if (!u->n_fp)
		return 0;
	out[n++] = u->fp[0];
	for (uint32_t i = 0; i < u->n_scan && scanned < MAX_SCANNED; i++) {
		uint64_t w = u->scan[i];

		if (w == resume)
			break;
		if (w == out[n - 1] || !is_return_address(mem, w))
			continue;
		out[n++] = w;
		scanned++;
	}
	for (uint32_t i = 1; i < u->n_fp && n < MAX_FRAMES; i++)
		out[n++] = u->fp[i];
	return n;
}

static char **format_frames(const struct ls_frame *frames, int n)
{
	char **out = calloc(n + 1, sizeof(*out)), buf[512];

	if (!out)
		return NULL;
	for (int i = 0; i < n; i++) {
		ls_frame_format(&frames[i], buf, sizeof(buf));
		out[i] = strdup(buf);
	}
	return out;
}

static int open_mem(int pid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/mem", pid);
	return open(path, O_RDONLY | O_CLOEXEC);
}

static void attach_one(struct ls_symbolizer *sym, struct ls_bpf *b,
		       struct ls_finding *f)
{
	uint64_t addrs[MAX_FRAMES];
	struct ls_frame frames[MAX_FRAMES];
	struct ls_ustack u;
	int n, mem;

	/* The stack is in the creator's address space. */
	if (!f->has_creator || f->stack || ls_bpf_ustack(b, f->stack_id, &u))
		return;
	mem = open_mem(f->creator_pid);
	n = assemble(&u, mem, addrs);
	if (mem >= 0)
		close(mem);
	if (n <= 0)
		return;
	if (ls_sym_resolve(sym, f->creator_pid, addrs, n, true, frames) &&
	    !frames[0].binary)
		return; /* the creator is gone: its addresses mean nothing */
	/* Frame-pointer walks through code built without them end in
	 * garbage: stop at the first address that is in no mapping. */
	for (int i = 1; i < n; i++)
		if (!frames[i].binary) {
			n = i;
			break;
		}
	f->stack = format_frames(frames, n);
}

void ls_stacks_attach(struct ls_symbolizer *sym, struct ls_bpf *b,
		      struct ls_report *r, size_t from)
{
	if (!sym)
		return;
	for (size_t i = from; i < r->n_findings; i++)
		if (r->findings[i].stack_id >= 0)
			attach_one(sym, b, &r->findings[i]);
}
