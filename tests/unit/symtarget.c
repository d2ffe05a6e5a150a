// SPDX-License-Identifier: GPL-2.0
/*
 * symtarget.c - the live process the test_symbolize_*.c tests symbolize.
 * Compiled by their group setup (symbolize_fx.h) at run time (the Makefile
 * only builds test_*.c), in several ways: PIE and -no-pie, with symbols and
 * stripped, and with -DSYMLIB as the shared library the executable dlopens.
 *
 * usage: symtarget LIBRARY [FILE...]
 * Prints "NAME 0xADDR" lines on stdout: addresses of its functions, of the
 * library's, of libc's write, return addresses taken in nested calls, load
 * biases (from dl_iterate_phdr, for the expected file-relative offsets),
 * the vdso, a hole in the address space, anonymous memory, the stack, and
 * each FILE mapped read-only. Then "ready", and it serves commands on
 * stdin until EOF: "map PATH" maps PATH and answers "mapped 0xADDR".
 *
 * Must not: exit before EOF on stdin (the test reads /proc/PID/maps), or
 * inline or reorder the functions whose addresses it prints.
 */
#ifdef SYMLIB

#define NOINLINE __attribute__((noinline))

NOINLINE static void *lib_inner(void)
{
	return __builtin_return_address(0);
}

NOINLINE void *lib_outer(void)
{
	void *r = lib_inner();

	return r;
}

NOINLINE int lib_func(int x)
{
	return x * 3 + 1;
}

NOINLINE static int lib_hidden(int x)
{
	return x ^ 0x5a;
}

void *lib_hidden_addr(void)
{
	return (void *)lib_hidden;
}

#else

#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <link.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))

static jmp_buf env;
static void *noret_ret;

NOINLINE int tgt_leaf(int x)
{
	return x + 1;
}

NOINLINE static void *tgt_inner(void)
{
	return __builtin_return_address(0);
}

NOINLINE void *tgt_outer(void)
{
	void *r = tgt_inner();

	return r;
}

NOINLINE __attribute__((noreturn)) void tgt_noret(void)
{
	noret_ret = __builtin_return_address(0);
	longjmp(env, 1);
}

/* Ends with the call: its return address is where tgt_after starts. */
NOINLINE void tgt_dies(int x)
{
	if (x)
		puts("x");
	tgt_noret();
}

NOINLINE void tgt_after(void)
{
	puts("after");
}

static void put(const char *name, const void *p)
{
	printf("%s 0x%lx\n", name, (unsigned long)(uintptr_t)p);
}

struct biases {
	const char *lib;
	uintptr_t exe, so;
};

static int bias_cb(struct dl_phdr_info *info, size_t size, void *ctx)
{
	struct biases *b = ctx;

	(void)size;
	if (!info->dlpi_name[0] && !b->exe)
		b->exe = info->dlpi_addr + 1; /* +1: 0 is a valid bias */
	else if (!strcmp(info->dlpi_name, b->lib))
		b->so = info->dlpi_addr;
	return 0;
}

static void *map_file(const char *path)
{
	struct stat st;
	void *p = MAP_FAILED;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return NULL;
	if (!fstat(fd, &st) && st.st_size > 0)
		p = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	return p == MAP_FAILED ? NULL : p;
}

static void put_lib(void *lib)
{
	void *(*outer)(void) = (void *(*)(void))dlsym(lib, "lib_outer");
	void *(*hidden)(void) = (void *(*)(void))dlsym(lib, "lib_hidden_addr");
	void *libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);

	put("lib_func", dlsym(lib, "lib_func"));
	put("lib_outer", (void *)outer);
	put("lib_ret", outer ? outer() : NULL);
	put("lib_hidden", hidden ? hidden() : NULL);
	put("write", libc ? dlsym(libc, "write") : NULL);
}

static void put_exe(void)
{
	put("tgt_leaf", (void *)tgt_leaf);
	put("tgt_outer", (void *)tgt_outer);
	put("tgt_ret", tgt_outer());
	put("tgt_dies", (void *)tgt_dies);
	put("tgt_after", (void *)tgt_after);
	if (!setjmp(env))
		tgt_dies(0);
	put("noret_ret", noret_ret);
}

/* Three pages, the middle one unmapped again. */
static void put_memory(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	char *p = mmap(NULL, 3 * pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1,
		       0);
	int local = 0;

	put("anon", p == MAP_FAILED ? NULL : p);
	if (p != MAP_FAILED)
		munmap(p + pg, pg);
	put("hole", p == MAP_FAILED ? NULL : p + pg);
	put("stack", &local);
	put("vdso", (void *)getauxval(AT_SYSINFO_EHDR));
}

static void serve(void)
{
	char line[4096];
	size_t n;

	while (fgets(line, sizeof(line), stdin)) {
		n = strlen(line);
		if (n && line[n - 1] == '\n')
			line[n - 1] = 0;
		if (!strncmp(line, "map ", 4))
			put("mapped", map_file(line + 4));
		fflush(stdout);
	}
}

int main(int argc, char **argv)
{
	struct biases b = { 0 };
	char name[32];
	void *lib;
	int i;

	if (argc < 2)
		return 2;
	lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
	if (!lib) {
		fprintf(stderr, "symtarget: %s\n", dlerror());
		return 3;
	}
	put("main", (void *)main);
	put_exe();
	put_lib(lib);
	b.lib = argv[1];
	dl_iterate_phdr(bias_cb, &b);
	put("exe_bias", (void *)(b.exe - 1));
	put("lib_bias", (void *)b.so);
	for (i = 2; i < argc; i++) {
		snprintf(name, sizeof(name), "file%d", i - 2);
		put(name, map_file(argv[i]));
	}
	put_memory();
	puts("ready");
	fflush(stdout);
	serve();
	return 0;
}

#endif
