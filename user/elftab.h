/* SPDX-License-Identifier: GPL-2.0 */
/*
 * elftab.h - one ELF file's symbol table, as address lookups need it.
 *
 * Owns reading an ELF file (or an in-memory image such as the vdso) with
 * libelf after checking that every table lies inside it, keeping only the
 * PT_LOAD segments and the FUNC/IFUNC symbols (sorted, one per address,
 * with extents), and the lookups on the result. Must not: keep an fd or an
 * Elf handle, mmap the file (a file truncated under us would SIGBUS), or
 * read a byte before checking it lies inside the file.
 */
#ifndef LS_ELFTAB_H
#define LS_ELFTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ELF input: a file (pread) or a memory image (the vdso). */
struct ls_elf_src {
	int fd;		    /* -1 for a memory image */
	unsigned char *mem; /* the image, or NULL */
	uint64_t size;
};

struct sym {
	uint64_t addr;
	uint32_t len;  /* extent: size, or up to the next symbol */
	uint32_t name; /* offset in names */
};

struct load {
	uint64_t off, filesz, vaddr;
};

/* The symbol table of one file, as lookups need it. */
struct elfent {
	struct elfent *prev, *next; /* LRU, most recent first */
	uint64_t key, dev, ino;
	char *path;
	struct load *loads;
	size_t nloads;
	struct sym *syms;
	size_t nsyms;
	char *names;
	size_t bytes;
};

/* Parse @in into @e (loads, symbols). 0, -ENOMEM, or another error for a
 * file that is not usable ELF (then @e stays empty: still cacheable). */
int ls_elftab_read(struct elfent *e, const struct ls_elf_src *in);
/* Memory @e holds, for the cache's byte limit. */
size_t ls_elftab_bytes(const struct elfent *e);
void ls_elftab_free(struct elfent *e);
/* File offset -> ELF virtual address, through the PT_LOAD holding it. */
bool ls_elftab_to_vaddr(const struct elfent *e, uint64_t foff, uint64_t page,
			uint64_t *va);
/* The nearest symbol at or below @va whose extent holds @va. */
const struct sym *ls_elftab_find(const struct elfent *e, uint64_t va);

#endif
