// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_elftab.c - libFuzzer target: ELF files as the symbolizer reads them
 * (user/elftab.c): any file a watched process maps may be hostile or
 * truncated. Reads the input as an in-memory image, then looks up.
 */
#include <libelf.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "elftab.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ls_elf_src in = { .fd = -1, .size = size };
	struct elfent *e = calloc(1, sizeof(*e));
	uint64_t va;

	if (!e)
		return 0;
	elf_version(EV_CURRENT);
	in.mem = malloc(size ? size : 1);
	if (!in.mem) {
		free(e);
		return 0;
	}
	memcpy(in.mem, data, size);
	e->path = strdup("fuzz");
	ls_elftab_read(e, &in);
	ls_elftab_bytes(e);
	for (uint64_t off = 0; off < 0x4000; off += 0x123)
		if (ls_elftab_to_vaddr(e, off, 4096, &va))
			ls_elftab_find(e, va);
	ls_elftab_free(e);
	free(in.mem);
	return 0;
}
