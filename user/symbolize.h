/* SPDX-License-Identifier: GPL-2.0 */
/*
 * symbolize.h - turn the user stacks the BPF side captures (arrays of
 * addresses from bpf_get_stackid / bpf_get_stack with BPF_F_USER_STACK) into
 * "binary, function, offset" frames, for a process that is still alive.
 *
 * Owns: reading /proc/PID/maps, the load-bias math (address -> file offset
 * -> ELF virtual address), symbol lookup in .symtab / .dynsym with libelf,
 * and a bounded cache of parsed symbol tables shared by every process.
 * Must not: print, run other programs (no addr2line), use libdw / libbfd,
 * keep files open between calls, trust anything inside an ELF file, or
 * demangle (C++ names are returned as they are in the file).
 *
 * Not thread-safe: one symbolizer per thread.
 */
#ifndef LS_SYMBOLIZE_H
#define LS_SYMBOLIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * One resolved address.
 *
 * binary: the path /proc/PID/maps shows for the mapping that holds the
 *	address ("/usr/lib/x.so", "/tmp/x (deleted)", "[vdso]", "[heap]"), or
 *	NULL when no named mapping holds it (unmapped, anonymous memory, JIT).
 * function: the name of the FUNC / IFUNC symbol that holds the address, or
 *	NULL (stripped, unreadable or deleted file, malformed ELF, no symbol).
 * offset: with a function, addr - function start. Without one, the
 *	file-relative address: the ELF virtual address the byte has in
 *	@binary, as `addr2line -e BINARY` and objdump take it (for a PIE or
 *	shared library, addr - load bias; for a non-PIE executable, addr
 *	itself). For a deleted or unreadable file, or one that is not usable
 *	ELF: the file offset; for a pseudo mapping ([heap], [stack], an
 *	unreadable [vdso]): addr - mapping start.
 *	0 when binary is NULL.
 */
struct ls_frame {
	uint64_t addr;
	const char *binary;
	const char *function;
	uint64_t offset;
};

struct ls_symbolizer;

/* Counters, for tests and --verbose. */
struct ls_sym_stats {
	unsigned long elf_opens;  /* ELF files (and vdso images) parsed */
	unsigned long cache_hits; /* lookups served by the symbol cache */
	unsigned long evictions;  /* symbol tables dropped by the LRU */
	unsigned long maps_reads; /* /proc/PID/maps reads */
	size_t cached_files;	  /* symbol tables held now */
	size_t cached_bytes;	  /* their memory, approximately */
};

/* NULL when out of memory. */
struct ls_symbolizer *ls_sym_new(void);
void ls_sym_free(struct ls_symbolizer *s);

/*
 * Resolve @n addresses of process @pid into @out[0..n-1]. The strings in
 * @out are owned by @s and stay valid until ls_sym_free() or
 * ls_sym_forget_pid(@pid), whatever the cache evicts meanwhile.
 *
 * @return_addrs: the stack holds return addresses, which point after the
 * call instruction (for a call that ends a function, at the start of the
 * next one). With it, every frame but the first (the instruction pointer)
 * is looked up at addr - 1; the offsets reported still count from addr.
 *
 * The maps of @pid are read on first use and cached; they are read again
 * once per call when an address falls in none of them (a dlopen since),
 * unless that address is in page 0 (the zeros that pad a stack).
 * Returns 0, -EINVAL (nothing written), -ESRCH (no such process), -ENOMEM
 * or another -errno from reading /proc/PID/maps. After an error but
 * -EINVAL, @out still holds every address, with binary and function NULL,
 * or as much as was resolved before memory ran out (-ENOMEM).
 */
int ls_sym_resolve(struct ls_symbolizer *s, pid_t pid, const uint64_t *addrs,
		   size_t n, bool return_addrs, struct ls_frame *out);

/*
 * Drop what is cached for @pid (its maps and the strings of its frames):
 * call it when the process execs or exits. Symbol tables stay cached.
 */
void ls_sym_forget_pid(struct ls_symbolizer *s, pid_t pid);

/*
 * Bound the symbol cache (default 64 files, 256 MiB). The table in use is
 * always kept, so at least one stays whatever the bounds.
 */
void ls_sym_set_cache_limits(struct ls_symbolizer *s, size_t max_files,
			     size_t max_bytes);

void ls_sym_get_stats(const struct ls_symbolizer *s, struct ls_sym_stats *st);

/*
 * "func+0x1a (/usr/lib/x.so)", "0x7f0012345678 (/usr/lib/x.so+0x1234)" or
 * "0x7f0012345678" into @buf, NUL-terminated and truncated to @len.
 */
void ls_frame_format(const struct ls_frame *f, char *buf, size_t len);

#endif
