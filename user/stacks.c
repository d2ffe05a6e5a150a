// SPDX-License-Identifier: GPL-2.0
/*
 * stacks.c - see stacks.h.
 */
#include <stdlib.h>
#include <string.h>
#include "loader.h"
#include "stacks.h"
#include "symbolize.h"

#define MAX_FRAMES 32

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

static void attach_one(struct ls_symbolizer *sym, struct ls_bpf *b,
		       struct ls_finding *f)
{
	uint64_t addrs[MAX_FRAMES];
	struct ls_frame frames[MAX_FRAMES];
	int n = ls_bpf_stack(b, f->stack_id, addrs, MAX_FRAMES);

	/* The stack is in the creator's address space. */
	if (n <= 0 || !f->has_creator || f->stack)
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
