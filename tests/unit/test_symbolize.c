// SPDX-License-Identifier: GPL-2.0
/*
 * test_symbolize.c - unit tests for user/symbolize.c against live processes.
 *
 * The group setup compiles tests/unit/symtarget.c with gcc into a mkdtemp
 * directory: PIE and -no-pie executables, each also stripped (-s), and the
 * shared library they dlopen, also stripped. Each test starts one as a
 * child, which prints the addresses of its functions (see symtarget.c), and
 * checks what ls_sym_resolve makes of them: names and offsets exactly,
 * return addresses (one at the very end of a function), stripped files
 * (file-relative offsets, checked against dl_iterate_phdr's load bias),
 * libc's write, the vdso, addresses in no mapping, deleted files, maps that
 * grow after the first read, the cache (10k resolves, LRU bounds), files
 * the symbolizer may not read (as root: target and resolver run in children
 * that drop to uid 65534), and ELF files broken in every header field the
 * parser reads.
 *
 * Must not: write outside its mkdtemp directory, or leave a child behind.
 * Skips when gcc is not installed; symtarget.c is found next to this file
 * (as compiled from the repo root), next to the binary's source tree, or at
 * $LS_SYMTARGET_SRC.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "unit.h"
#include "symbolize.h"

#define MAX_VALS  192
#define MAX_FILES 96
#define NOBODY	  65534 /* the uid and gid unprivileged children run as */

/* What the group setup built, shared by every test. */
static struct {
	bool have_gcc;
	char dir[1024]; /* short enough for any name under it */
	char src[PATH_MAX];
	char lib[PATH_MAX], lib_s[PATH_MAX];
	char pie[PATH_MAX], pie_s[PATH_MAX], nopie[PATH_MAX], nopie_s[PATH_MAX];
} fx;

struct child {
	pid_t pid;
	FILE *in, *out;
	size_t n;
	struct {
		char name[32];
		uint64_t addr;
	} v[MAX_VALS];
};

/* ---- building the targets ---- */

static bool readable(const char *path)
{
	return access(path, R_OK) == 0;
}

static bool find_src(char *out, size_t len)
{
	char exe[PATH_MAX], tmp[PATH_MAX];
	const char *env = getenv("LS_SYMTARGET_SRC");
	ssize_t n;

	if (env && readable(env))
		return snprintf(out, len, "%s", env) > 0;
	snprintf(tmp, sizeof(tmp), "%s", __FILE__);
	snprintf(out, len, "%s/symtarget.c", dirname(tmp));
	if (readable(out))
		return true;
	/* BUILD/tests/unit/test_symbolize -> tests/unit/symtarget.c */
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return false;
	exe[n] = 0;
	snprintf(out, len, "%s/../../../tests/unit/symtarget.c", dirname(exe));
	return readable(out);
}

static bool build(const char *flags, char *out, const char *name)
{
	char cmd[4 * PATH_MAX];
	int rc;

	snprintf(out, PATH_MAX, "%s/%s", fx.dir, name);
	snprintf(cmd, sizeof(cmd),
		 "gcc -O0 -g -Wall %s -o '%s' '%s' -ldl >'%s/cc.log' 2>&1",
		 flags, out, fx.src, fx.dir);
	rc = system(cmd);
	if (rc != 0)
		print_error("build of %s failed (%d), see %s/cc.log\n", name,
			    rc, fx.dir);
	return rc == 0;
}

static int group_setup(void **state)
{
	char tmpl[PATH_MAX], real[PATH_MAX];
	const char *tmp = getenv("TMPDIR");

	(void)state;
	fx.have_gcc = system("gcc --version >/dev/null 2>&1") == 0;
	if (!fx.have_gcc)
		return 0;
	snprintf(tmpl, sizeof(tmpl), "%s/ls-sym-XXXXXX", tmp ? tmp : "/tmp");
	if (!find_src(fx.src, sizeof(fx.src))) {
		print_error("symtarget.c not found (set LS_SYMTARGET_SRC)\n");
		return -1;
	}
	if (!mkdtemp(tmpl) || !realpath(tmpl, real) ||
	    strlen(real) >= sizeof(fx.dir))
		return -1;
	strcpy(fx.dir, real);
	if (!build("-fPIC -shared -DSYMLIB", fx.lib, "libsymt.so") ||
	    !build("-fPIC -shared -DSYMLIB -s", fx.lib_s, "libsymt-s.so") ||
	    !build("-fPIE -pie", fx.pie, "t-pie") ||
	    !build("-fPIE -pie -s", fx.pie_s, "t-pie-s") ||
	    !build("-fno-pie -no-pie", fx.nopie, "t-nopie") ||
	    !build("-fno-pie -no-pie -s", fx.nopie_s, "t-nopie-s"))
		return -1;
	return 0;
}

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int group_teardown(void **state)
{
	(void)state;
	if (fx.dir[0])
		nftw(fx.dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

static void need_targets(void)
{
	if (!fx.have_gcc)
		skip();
}

/* ---- the child ---- */

static bool child_line(struct child *c)
{
	char line[PATH_MAX + 64], name[32];
	unsigned long long addr;

	if (!fgets(line, sizeof(line), c->out))
		return false;
	if (sscanf(line, "%31s %llx", name, &addr) == 2 && c->n < MAX_VALS) {
		snprintf(c->v[c->n].name, sizeof(c->v[c->n].name), "%s", name);
		c->v[c->n++].addr = addr;
	}
	return strcmp(line, "ready\n") != 0;
}

/* No groups, uid and gid NOBODY, no capabilities left. */
static bool drop_privileges(void)
{
	return !setgroups(0, NULL) && !setresgid(NOBODY, NOBODY, NOBODY) &&
	       !setresuid(NOBODY, NOBODY, NOBODY);
}

static void child_exec(const char *exe, const char *lib, const char **files,
		       int in[2], int out[2], bool drop)
{
	const char *argv[MAX_FILES + 3];
	int i = 0;

	if (drop && !drop_privileges())
		_exit(126);
	dup2(in[0], 0);
	dup2(out[1], 1);
	close(in[0]);
	close(in[1]);
	close(out[0]);
	close(out[1]);
	argv[i++] = exe;
	argv[i++] = lib;
	while (files && *files && i < MAX_FILES + 2)
		argv[i++] = *files++;
	argv[i] = NULL;
	execv(exe, (char **)argv);
	_exit(127);
}

/*
 * Start @exe with @lib and @files mapped, as uid NOBODY if @drop; read its
 * lines up to "ready".
 */
static void child_start_as(struct child *c, const char *exe, const char *lib,
			   const char **files, bool drop)
{
	int in[2], out[2];

	memset(c, 0, sizeof(*c));
	assert_int_equal(pipe(in), 0);
	assert_int_equal(pipe(out), 0);
	fflush(NULL);
	c->pid = fork();
	assert_true(c->pid >= 0);
	if (c->pid == 0)
		child_exec(exe, lib, files, in, out, drop);
	close(in[0]);
	close(out[1]);
	c->in = fdopen(in[1], "w");
	c->out = fdopen(out[0], "r");
	assert_non_null(c->in);
	assert_non_null(c->out);
	while (child_line(c))
		;
	if (!c->n || strcmp(c->v[c->n - 1].name, "vdso")) {
		print_error("%s did not get ready\n", exe);
		fail();
	}
}

static void child_start(struct child *c, const char *exe, const char *lib,
			const char **files)
{
	child_start_as(c, exe, lib, files, false);
}

/* EOF on its stdin ends it; reap it. */
static void child_stop(struct child *c)
{
	int status;

	if (c->pid <= 0)
		return;
	fclose(c->in);
	fclose(c->out);
	assert_int_equal(waitpid(c->pid, &status, 0), c->pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	c->pid = 0;
}

/* Test failed half-way: end the child without asking. */
static void child_kill(struct child *c)
{
	if (c->pid <= 0)
		return;
	kill(c->pid, SIGKILL);
	fclose(c->in);
	fclose(c->out);
	waitpid(c->pid, NULL, 0);
	c->pid = 0;
}

/* Per test: a symbolizer and a child slot, freed even when a check fails. */
struct t {
	struct ls_symbolizer *s;
	struct child c;
};

static int setup(void **state)
{
	struct t *t = calloc(1, sizeof(*t));

	if (!t)
		return -1;
	t->s = ls_sym_new();
	if (!t->s) {
		free(t);
		return -1;
	}
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct t *t = *state;

	child_kill(&t->c);
	ls_sym_free(t->s);
	free(t);
	return 0;
}

static uint64_t val(const struct child *c, const char *name)
{
	size_t i;

	for (i = c->n; i-- > 0;)
		if (!strcmp(c->v[i].name, name))
			return c->v[i].addr;
	print_error("the child printed no \"%s\"\n", name);
	fail();
	return 0;
}

/* Ask the child to map @path; its address. */
static uint64_t child_map(struct child *c, const char *path)
{
	fprintf(c->in, "map %s\n", path);
	fflush(c->in);
	assert_true(child_line(c));
	assert_string_equal(c->v[c->n - 1].name, "mapped");
	assert_true(c->v[c->n - 1].addr != 0);
	return c->v[c->n - 1].addr;
}

/* ---- checking frames ---- */

static void check_frame(const struct ls_frame *f, const char *bin,
			const char *fn, uint64_t off, const char *file,
			int line)
{
	char got[PATH_MAX + 128];
	bool ok = true;

	if (!bin || !f->binary)
		ok = !bin && !f->binary;
	else
		ok = !strcmp(bin, f->binary);
	if (!fn || !f->function)
		ok = ok && !fn && !f->function;
	else
		ok = ok && !strcmp(fn, f->function);
	ok = ok && f->offset == off;
	if (!ok) {
		ls_frame_format(f, got, sizeof(got));
		print_error("%s:%d: got %s\n  want %s+0x%" PRIx64 " (%s)\n",
			    file, line, got, fn ? fn : "(none)", off,
			    bin ? bin : "(none)");
		fail();
	}
}

#define CHECK_FRAME(f, bin, fn, off) \
	check_frame((f), (bin), (fn), (off), __FILE__, __LINE__)

/*
 * @addr resolved as the first frame ([0], exact) and as a later one of a
 * stack of return addresses ([1], looked up at addr - 1).
 */
static void resolve2(struct ls_symbolizer *s, pid_t pid, uint64_t addr,
		     struct ls_frame out[2])
{
	uint64_t addrs[2] = { addr, addr };

	assert_int_equal(ls_sym_resolve(s, pid, addrs, 2, true, out), 0);
	assert_true(out[0].addr == addr && out[1].addr == addr);
}

/*
 * The address @name the child printed resolves to @fn + @off in @bin as the
 * first frame of a stack. @ret: it is a return address; it then resolves
 * the same as a later frame too (a function's own address would not: as a
 * return address it belongs to the function before).
 */
static void check_sym(struct ls_symbolizer *s, const struct child *c,
		      const char *name, bool ret, const char *bin,
		      const char *fn, uint64_t off, const char *file, int line)
{
	struct ls_frame f[2];

	resolve2(s, c->pid, val(c, name), f);
	check_frame(&f[0], bin, fn, off, file, line);
	if (ret)
		check_frame(&f[1], bin, fn, off, file, line);
}

#define CHECK_SYM(s, c, name, bin, fn, off)                              \
	check_sym((s), (c), (name), false, (bin), (fn), (off), __FILE__, \
		  __LINE__)
#define CHECK_RET(s, c, name, bin, fn, off)                             \
	check_sym((s), (c), (name), true, (bin), (fn), (off), __FILE__, \
		  __LINE__)

/* ---- executables and libraries with symbols ---- */

static void check_unstripped(struct t *t, const char *exe)
{
	struct ls_symbolizer *s = t->s;
	struct child *c = &t->c;
	uint64_t ret, off;

	assert_non_null(s);
	child_start(c, exe, fx.lib, NULL);
	CHECK_SYM(s, c, "main", exe, "main", 0);
	CHECK_SYM(s, c, "tgt_leaf", exe, "tgt_leaf", 0);
	CHECK_SYM(s, c, "tgt_outer", exe, "tgt_outer", 0);
	CHECK_SYM(s, c, "tgt_dies", exe, "tgt_dies", 0);
	CHECK_SYM(s, c, "lib_func", fx.lib, "lib_func", 0);
	CHECK_SYM(s, c, "lib_outer", fx.lib, "lib_outer", 0);
	/* static: only in .symtab */
	CHECK_SYM(s, c, "lib_hidden", fx.lib, "lib_hidden", 0);

	/* Return addresses inside the caller, after the call. */
	ret = val(c, "tgt_ret");
	off = ret - val(c, "tgt_outer");
	assert_true(off > 0 && off < 64);
	CHECK_RET(s, c, "tgt_ret", exe, "tgt_outer", off);
	ret = val(c, "lib_ret");
	off = ret - val(c, "lib_outer");
	assert_true(off > 0 && off < 64);
	CHECK_RET(s, c, "lib_ret", fx.lib, "lib_outer", off);

	child_stop(c);
}

static void test_pie(void **state)
{
	need_targets();
	check_unstripped(*state, fx.pie);
}

static void test_no_pie(void **state)
{
	need_targets();
	check_unstripped(*state, fx.nopie);
}

/*
 * tgt_dies ends with a call to a noreturn function: the return address is
 * one past its last byte, where tgt_after starts. Only the return-address
 * lookup (at addr - 1) gets the caller right.
 */
static void test_return_address_at_function_end(void **state)
{
	struct t *t = *state;
	struct ls_symbolizer *s = t->s;
	struct ls_frame f[2];
	uint64_t ret, dies;
	struct child *c = &t->c;

	need_targets();
	child_start(c, fx.pie, fx.lib, NULL);
	ret = val(c, "noret_ret");
	dies = val(c, "tgt_dies");
	resolve2(s, c->pid, ret, f);
	CHECK_FRAME(&f[1], fx.pie, "tgt_dies", ret - dies);
	if (ret == val(c, "tgt_after"))
		CHECK_FRAME(&f[0], fx.pie, "tgt_after", 0);
	else
		assert_true(!f[0].function ||
			    strcmp(f[0].function, "tgt_dies"));

	/* Without the flag every frame is exact. */
	assert_int_equal(ls_sym_resolve(s, c->pid, (uint64_t[]){ ret, ret }, 2,
					false, f),
			 0);
	assert_true(f[1].function == f[0].function);
	assert_true(f[1].offset == f[0].offset);
	child_stop(c);
}

/* ---- stripped files ---- */

static void check_stripped(struct t *t, const char *exe)
{
	struct ls_symbolizer *s = t->s;
	uint64_t bias, lbias;
	struct child *c = &t->c;

	assert_non_null(s);
	child_start(c, exe, fx.lib_s, NULL);
	bias = val(c, "exe_bias");
	lbias = val(c, "lib_bias");
	CHECK_SYM(s, c, "main", exe, NULL, val(c, "main") - bias);
	CHECK_SYM(s, c, "tgt_leaf", exe, NULL, val(c, "tgt_leaf") - bias);
	/* The offset counts from the address, not from addr - 1. */
	CHECK_RET(s, c, "tgt_ret", exe, NULL, val(c, "tgt_ret") - bias);
	/* Exported: still in .dynsym. */
	CHECK_SYM(s, c, "lib_func", fx.lib_s, "lib_func", 0);
	CHECK_RET(s, c, "lib_ret", fx.lib_s, "lib_outer",
		  val(c, "lib_ret") - val(c, "lib_outer"));
	CHECK_SYM(s, c, "lib_hidden", fx.lib_s, NULL,
		  val(c, "lib_hidden") - lbias);
	child_stop(c);
}

static void test_stripped_pie(void **state)
{
	need_targets();
	check_stripped(*state, fx.pie_s);
}

/* Non-PIE: the file-relative address is the address itself (bias 0). */
static void test_stripped_no_pie(void **state)
{
	need_targets();
	check_stripped(*state, fx.nopie_s);
}

/* ---- libc, the vdso, and addresses outside any file ---- */

static void test_libc_write(void **state)
{
	struct t *t = *state;
	struct ls_symbolizer *s = t->s;
	struct ls_frame f[2];
	struct child *c = &t->c;
	char buf[PATH_MAX + 64];

	need_targets();
	child_start(c, fx.nopie, fx.lib, NULL);
	resolve2(s, c->pid, val(c, "write"), f);
	assert_non_null(f[0].binary);
	assert_contains(f[0].binary, "libc.so");
	assert_non_null(f[0].function);
	assert_contains(f[0].function, "write");
	assert_true(f[0].offset == 0);
	ls_frame_format(&f[0], buf, sizeof(buf));
	assert_contains(buf, "write+0x0 (/");
	child_stop(c);
}

/* Where our own vdso's PT_LOAD at file offset 0 is linked. */
static uint64_t vdso_link_base(const unsigned char *base)
{
	const Elf64_Ehdr *eh = (const void *)base;
	const Elf64_Phdr *ph = (const void *)(base + eh->e_phoff);
	int i;

	for (i = 0; i < eh->e_phnum; i++)
		if (ph[i].p_type == PT_LOAD && ph[i].p_offset == 0)
			return ph[i].p_vaddr;
	return 0;
}

/* Offset of clock_gettime from the start of our own vdso. */
static bool own_vdso_clock_gettime(uint64_t *delta)
{
	const unsigned char *base = (void *)getauxval(AT_SYSINFO_EHDR);
	const Elf64_Ehdr *eh = (const void *)base;
	const Elf64_Shdr *sh, *str;
	const Elf64_Sym *sym;
	size_t i, j;

	if (!base || eh->e_ident[EI_CLASS] != ELFCLASS64 || !eh->e_shoff)
		return false;
	sh = (const void *)(base + eh->e_shoff);
	for (i = 0; i < eh->e_shnum; i++) {
		if (sh[i].sh_type != SHT_DYNSYM)
			continue;
		str = &sh[sh[i].sh_link];
		sym = (const void *)(base + sh[i].sh_offset);
		for (j = 0; j < sh[i].sh_size / sizeof(*sym); j++) {
			const char *n = (const char *)base + str->sh_offset +
					sym[j].st_name;

			if (strstr(n, "clock_gettime") && sym[j].st_value) {
				*delta = sym[j].st_value - vdso_link_base(base);
				return true;
			}
		}
	}
	return false;
}

static void test_vdso(void **state)
{
	struct t *t = *state;
	struct ls_symbolizer *s = t->s;
	struct ls_frame f[2];
	uint64_t vdso, delta;
	struct child *c = &t->c;

	need_targets();
	child_start(c, fx.pie, fx.lib, NULL);
	vdso = val(c, "vdso");
	resolve2(s, c->pid, vdso, f);
	assert_non_null(f[0].binary);
	assert_string_equal(f[0].binary, "[vdso]");
	assert_null(f[0].function); /* the ELF header */
	/* The child's vdso is ours: same kernel, same ABI. */
	if (own_vdso_clock_gettime(&delta)) {
		resolve2(s, c->pid, vdso + delta, f);
		assert_string_equal(f[0].binary, "[vdso]");
		assert_non_null(f[0].function);
		assert_contains(f[0].function, "clock_gettime");
		assert_true(f[0].offset == 0);
	}
	child_stop(c);
}

static unsigned long maps_reads(const struct ls_symbolizer *s)
{
	struct ls_sym_stats st;

	ls_sym_get_stats(s, &st);
	return st.maps_reads;
}

static void test_outside_files(void **state)
{
	struct t *t = *state;
	struct ls_symbolizer *s = t->s;
	struct ls_frame f[2];
	struct child *c = &t->c;
	unsigned long reads;
	char buf[64];

	need_targets();
	child_start(c, fx.pie, fx.lib, NULL);
	CHECK_RET(s, c, "hole", NULL, NULL, 0);
	CHECK_SYM(s, c, "anon", NULL, NULL, 0); /* anonymous: no binary */
	reads = maps_reads(s);
	resolve2(s, c->pid, 0x10, f);
	CHECK_FRAME(&f[0], NULL, NULL, 0);
	CHECK_FRAME(&f[1], NULL, NULL, 0);
	/* Page 0 (stack padding) does not make the maps be read again. */
	assert_int_equal(maps_reads(s), reads);
	ls_frame_format(&f[0], buf, sizeof(buf));
	assert_string_equal(buf, "0x10");
	resolve2(s, c->pid, UINT64_MAX, f);
	CHECK_FRAME(&f[0], NULL, NULL, 0);

	resolve2(s, c->pid, val(c, "stack"), f);
	assert_string_equal(f[0].binary, "[stack]");
	assert_null(f[0].function);
	assert_true(f[0].offset < ((uint64_t)1 << 30));
	child_stop(c);
}

/* Our own process: the test binary has symbols. */
static void test_self(void **state)
{
	struct t *t = *state;
	struct ls_symbolizer *s = t->s;
	uint64_t a = (uint64_t)(uintptr_t)test_self;
	struct ls_frame f;

	assert_int_equal(ls_sym_resolve(s, getpid(), &a, 1, true, &f), 0);
	assert_non_null(f.function);
	assert_string_equal(f.function, "test_self");
	assert_true(f.offset == 0);
}

/* ---- caching ---- */

/* Function addresses in the executable, the library, libc and the vdso. */
static void cache_addrs(const struct child *c, uint64_t *addrs)
{
	static const char *const names[] = { "main", "tgt_leaf", "lib_func",
					     "lib_hidden", "write" };
	uint64_t delta = 0;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(names); i++)
		addrs[i] = val(c, names[i]);
	own_vdso_clock_gettime(&delta);
	addrs[i] = val(c, "vdso") + delta;
}

#define NR_CACHE_ADDRS 6

static void test_cache_10k(void **state)
{
	struct t *t = *state;
	struct ls_symbolizer *s = t->s;
	struct ls_frame first[NR_CACHE_ADDRS], f[NR_CACHE_ADDRS];
	uint64_t addrs[NR_CACHE_ADDRS];
	struct ls_sym_stats a, b;
	struct child *c = &t->c;
	size_t i;
	int k;

	need_targets();
	child_start(c, fx.pie, fx.lib, NULL);
	cache_addrs(c, addrs);
	assert_int_equal(
		ls_sym_resolve(s, c->pid, addrs, NR_CACHE_ADDRS, false, first),
		0);
	for (i = 0; i < NR_CACHE_ADDRS - 1; i++)
		assert_non_null(first[i].function);
	ls_sym_get_stats(s, &a);
	assert_true(a.elf_opens >= 3 && a.elf_opens <= 4); /* + the vdso */
	assert_true(a.maps_reads == 1);
	for (k = 0; k < 10000; k++) {
		assert_int_equal(ls_sym_resolve(s, c->pid, addrs,
						NR_CACHE_ADDRS, false, f),
				 0);
		/* Same interned strings: nothing grows per call. */
		for (i = 0; i < NR_CACHE_ADDRS; i++)
			assert_true(f[i].function == first[i].function &&
				    f[i].binary == first[i].binary &&
				    f[i].offset == first[i].offset);
	}
	ls_sym_get_stats(s, &b);
	assert_true(b.elf_opens == a.elf_opens);
	assert_true(b.maps_reads == 1);
	assert_true(b.cache_hits >= a.cache_hits + 10000 * 5);
	assert_true(b.cached_files == a.elf_opens && b.evictions == 0);
	assert_true(b.cached_bytes > 0);

	/* A second process shares the parsed tables. */
	child_stop(c);
	child_start(c, fx.pie, fx.lib, NULL);
	cache_addrs(c, addrs);
	assert_int_equal(
		ls_sym_resolve(s, c->pid, addrs, NR_CACHE_ADDRS, false, f), 0);
	assert_string_equal(f[0].function, "main");
	ls_sym_get_stats(s, &b);
	assert_true(b.elf_opens == a.elf_opens && b.maps_reads == 2);
	child_stop(c);
}

static unsigned long opens(const struct ls_symbolizer *s)
{
	struct ls_sym_stats st;

	ls_sym_get_stats(s, &st);
	return st.elf_opens;
}

/* Frames stay valid when the LRU evicts the tables they came from. */
static void test_cache_lru(void **state)
{
	struct t *t = *state;
	struct ls_symbolizer *s = t->s;
	struct ls_frame keep[3], f[3];
	struct ls_sym_stats st;
	uint64_t addrs[3];
	struct child *c = &t->c;
	int k;

	need_targets();
	child_start(c, fx.pie, fx.lib, NULL);
	addrs[0] = val(c, "main");
	addrs[1] = val(c, "lib_func");
	addrs[2] = val(c, "write");
	ls_sym_set_cache_limits(s, 2, SIZE_MAX);
	assert_int_equal(ls_sym_resolve(s, c->pid, addrs, 3, false, keep), 0);
	assert_int_equal(opens(s), 3);
	ls_sym_get_stats(s, &st);
	assert_true(st.cached_files == 2 && st.evictions == 1);
	/* Round robin over 3 files in a 2-file LRU: every lookup misses. */
	assert_int_equal(ls_sym_resolve(s, c->pid, addrs, 3, false, f), 0);
	assert_int_equal(opens(s), 6);
	ls_sym_set_cache_limits(s, 64, SIZE_MAX);
	for (k = 0; k < 10; k++)
		assert_int_equal(ls_sym_resolve(s, c->pid, addrs, 3, false, f),
				 0);
	assert_int_equal(opens(s), 7);
	assert_string_equal(keep[0].function, "main");
	assert_string_equal(keep[1].function, "lib_func");
	assert_contains(keep[2].function, "write");
	assert_string_equal(keep[0].binary, fx.pie);

	/* A byte bound keeps the newest table only. */
	ls_sym_set_cache_limits(s, 64, 1);
	ls_sym_get_stats(s, &st);
	assert_true(st.cached_files == 1);
	assert_int_equal(ls_sym_resolve(s, c->pid, addrs, 3, false, f), 0);
	assert_string_equal(f[1].function, "lib_func");
	ls_sym_get_stats(s, &st);
	assert_true(st.cached_files == 1);
	child_stop(c);
}

/* ---- maps that change, processes that go ---- */

/* File offset of virtual address @va in the ELF file @path. */
static uint64_t vaddr_to_off(const char *path, uint64_t va)
{
	unsigned char buf[4096];
	const Elf64_Ehdr *eh = (const void *)buf;
	const Elf64_Phdr *ph;
	int fd = open(path, O_RDONLY), i;

	assert_true(fd >= 0);
	assert_true(read(fd, buf, sizeof(buf)) == (ssize_t)sizeof(buf));
	close(fd);
	assert_true(eh->e_phoff + eh->e_phnum * sizeof(*ph) <= sizeof(buf));
	ph = (const void *)(buf + eh->e_phoff);
	for (i = 0; i < eh->e_phnum; i++)
		if (ph[i].p_type == PT_LOAD && va >= ph[i].p_vaddr &&
		    va < ph[i].p_vaddr + ph[i].p_filesz)
			return va - ph[i].p_vaddr + ph[i].p_offset;
	fail();
	return 0;
}

static void copy_file(const char *from, const char *to)
{
	char cmd[3 * PATH_MAX];

	snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", from, to);
	assert_int_equal(system(cmd), 0);
}

static void test_maps_refresh_and_forget(void **state)
{
	struct t *t = *state;
	struct ls_symbolizer *s = t->s;
	char copy[PATH_MAX];
	uint64_t at, va;
	struct ls_frame f[2];
	struct child *c = &t->c;
	pid_t pid;

	need_targets();
	child_start(c, fx.pie, fx.lib, NULL);
	CHECK_SYM(s, c, "main", fx.pie, "main", 0);
	CHECK_SYM(s, c, "main", fx.pie, "main", 0);
	assert_int_equal(maps_reads(s), 1);

	/*
	 * Mapped after the first read: found by reading the maps again. The
	 * whole file is one read-only mapping at offset 0, so the lookup goes
	 * file offset -> PT_LOAD -> virtual address.
	 */
	snprintf(copy, sizeof(copy), "%s/libcopy.so", fx.dir);
	copy_file(fx.lib, copy);
	at = child_map(c, copy);
	va = val(c, "lib_func") - val(c, "lib_bias");
	resolve2(s, c->pid, at + vaddr_to_off(copy, va), f);
	CHECK_FRAME(&f[0], copy, "lib_func", 0);
	assert_int_equal(maps_reads(s), 2);

	ls_sym_forget_pid(s, c->pid);
	ls_sym_forget_pid(s, c->pid); /* twice: nothing to drop */
	CHECK_SYM(s, c, "main", fx.pie, "main", 0);
	assert_int_equal(maps_reads(s), 3);

	/* Gone: nothing to read, the addresses come back bare. */
	pid = c->pid;
	child_stop(c);
	ls_sym_forget_pid(s, pid);
	f[0].binary = "junk";
	assert_int_equal(ls_sym_resolve(s, pid, &at, 1, true, f), -ESRCH);
	CHECK_FRAME(&f[0], NULL, NULL, 0);
	assert_true(f[0].addr == at);
	unlink(copy);
}

/* A deleted file is not opened: its name from the maps, no function. */
static void test_deleted_file(void **state)
{
	struct t *t = *state;
	struct ls_symbolizer *s = t->s;
	char copy[PATH_MAX], want[PATH_MAX + 16];
	struct ls_frame f[2];
	struct child *c = &t->c;
	uint64_t at;

	need_targets();
	child_start(c, fx.pie, fx.lib, NULL);
	snprintf(copy, sizeof(copy), "%s/t-deleted", fx.dir);
	copy_file(fx.pie, copy);
	at = child_map(c, copy);
	assert_int_equal(unlink(copy), 0);
	resolve2(s, c->pid, at + 0x1000 + 0x10, f);
	snprintf(want, sizeof(want), "%s (deleted)", copy);
	CHECK_FRAME(&f[0], want, NULL, 0x1010); /* the file offset */
	CHECK_FRAME(&f[1], want, NULL, 0x1010);
	assert_int_equal(opens(s), 0);
	child_stop(c);
}

/* ---- a file the symbolizer may not read ---- */

/* What a resolver child found, sent back through a pipe. */
struct remote {
	int rc, rc_main;
	bool readable; /* the child could open the file: nothing to test */
	struct {
		uint64_t addr, offset;
		bool has_bin, has_fn;
		char bin[PATH_MAX], fn[128];
	} f[3];
};

static void remote_put(struct remote *r, int i, const struct ls_frame *f)
{
	r->f[i].addr = f->addr;
	r->f[i].offset = f->offset;
	r->f[i].has_bin = f->binary;
	r->f[i].has_fn = f->function;
	snprintf(r->f[i].bin, sizeof(r->f[i].bin), "%s",
		 f->binary ? f->binary : "");
	snprintf(r->f[i].fn, sizeof(r->f[i].fn), "%s",
		 f->function ? f->function : "");
}

static struct ls_frame remote_get(const struct remote *r, int i)
{
	return (struct ls_frame){
		.addr = r->f[i].addr,
		.binary = r->f[i].has_bin ? r->f[i].bin : NULL,
		.function = r->f[i].has_fn ? r->f[i].fn : NULL,
		.offset = r->f[i].offset,
	};
}

/*
 * In a child that has dropped to NOBODY: can it open @path; @addr resolved
 * as resolve2 does ([0], [1]) and @main exactly ([2]), with its own copy
 * of @s. Writes a struct remote to @fd; exit 77 if it cannot drop.
 */
static void resolver_child(struct ls_symbolizer *s, pid_t pid, const char *path,
			   uint64_t addr, uint64_t main, int fd)
{
	static struct remote r;
	uint64_t addrs[2] = { addr, addr };
	struct ls_frame f[2];
	const char *p = (const char *)&r;
	size_t off = 0;
	int rfd;

	if (!drop_privileges())
		_exit(77);
	rfd = open(path, O_RDONLY | O_CLOEXEC);
	r.readable = rfd >= 0;
	if (rfd >= 0)
		close(rfd);
	r.rc = ls_sym_resolve(s, pid, addrs, 2, true, f);
	remote_put(&r, 0, &f[0]);
	remote_put(&r, 1, &f[1]);
	r.rc_main = ls_sym_resolve(s, pid, &main, 1, false, f);
	remote_put(&r, 2, &f[0]);
	while (off < sizeof(r)) {
		ssize_t w = write(fd, p + off, sizeof(r) - off);

		if (w <= 0)
			_exit(1);
		off += w;
	}
	_exit(0);
}

/* Run resolver_child; false if it could not drop its privileges. */
static bool resolve_as_nobody(struct ls_symbolizer *s, pid_t pid,
			      const char *path, uint64_t addr, uint64_t main,
			      struct remote *r)
{
	size_t got = 0;
	ssize_t n;
	int p[2], status;
	pid_t k;

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	fflush(NULL);
	k = fork();
	assert_true(k >= 0);
	if (k == 0) {
		close(p[0]);
		resolver_child(s, pid, path, addr, main, p[1]);
	}
	close(p[1]);
	while ((n = read(p[0], (char *)r + got, sizeof(*r) - got)) > 0)
		got += n;
	close(p[0]);
	assert_int_equal(waitpid(k, &status, 0), k);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == 77)
		return false;
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(got, sizeof(*r));
	return true;
}

/* Can a child give up root here (not in a user namespace without 65534)? */
static bool can_drop(void)
{
	int status;
	pid_t k;

	fflush(NULL);
	k = fork();
	if (k == 0)
		_exit(drop_privileges() ? 0 : 1);
	return k > 0 && waitpid(k, &status, 0) == k && WIFEXITED(status) &&
	       WEXITSTATUS(status) == 0;
}

/* Let NOBODY reach the targets: through fx.dir, and read and run them. */
static void open_up_targets(mode_t dir_mode)
{
	assert_int_equal(chmod(fx.dir, dir_mode), 0);
	assert_int_equal(chmod(fx.pie, 0755), 0);
	assert_int_equal(chmod(fx.lib, 0755), 0);
}

/*
 * Unreadable: the name, no function, the file offset. Root reads mode 000
 * files, so as root the target and the resolver run in children that drop
 * to NOBODY (the resolver reports back through a pipe); a control address
 * in a readable file proves the resolver could read the maps and ELF.
 */
static void test_unreadable_file(void **state)
{
	struct t *t = *state;
	struct ls_symbolizer *s = t->s;
	struct child *c = &t->c;
	bool root = geteuid() == 0;
	static struct remote r;
	char copy[PATH_MAX];
	struct ls_frame f[3];
	uint64_t at;

	need_targets();
	if (root && !can_drop()) {
		print_message("skipped: root cannot drop to uid %d here\n",
			      NOBODY);
		skip();
	}
	if (root)
		open_up_targets(0711);
	child_start_as(c, fx.pie, fx.lib, NULL, root);
	snprintf(copy, sizeof(copy), "%s/t-unreadable", fx.dir);
	copy_file(fx.pie, copy);
	assert_int_equal(chmod(copy, 0644), 0);
	at = child_map(c, copy);
	assert_int_equal(chmod(copy, 0), 0);
	if (root) {
		assert_true(resolve_as_nobody(s, c->pid, copy, at + 0x1010,
					      val(c, "main"), &r));
		for (int i = 0; i < 3; i++)
			f[i] = remote_get(&r, i);
		assert_int_equal(r.rc, 0);
		assert_int_equal(r.rc_main, 0);
		CHECK_FRAME(&f[2], fx.pie, "main", 0);
	} else {
		r.readable = readable(copy);
		resolve2(s, c->pid, at + 0x1010, f);
	}
	if (r.readable) {
		print_message("skipped: uid %d reads a mode 000 file here "
			      "(capabilities?)\n",
			      (int)(root ? NOBODY : geteuid()));
		skip();
	}
	CHECK_FRAME(&f[0], copy, NULL, 0x1010);
	CHECK_FRAME(&f[1], copy, NULL, 0x1010);
	child_stop(c);
	unlink(copy);
	if (root)
		open_up_targets(0700);
}

/* ---- malformed ELF files, mapped ---- */

struct blob {
	unsigned char *p;
	size_t len;
};

static uint32_t rnd(uint32_t *st)
{
	*st ^= *st << 13;
	*st ^= *st >> 17;
	*st ^= *st << 5;
	return *st;
}

static struct blob slurp(const char *path)
{
	struct blob b = { 0 };
	struct stat st;
	int fd = open(path, O_RDONLY);

	assert_true(fd >= 0 && !fstat(fd, &st));
	b.len = st.st_size;
	b.p = malloc(b.len);
	assert_non_null(b.p);
	assert_true(read(fd, b.p, b.len) == (ssize_t)b.len);
	close(fd);
	return b;
}

static Elf64_Shdr *shdr(struct blob *b, size_t i)
{
	Elf64_Ehdr *eh = (void *)b->p;

	return (Elf64_Shdr *)(b->p + eh->e_shoff) + i;
}

static Elf64_Shdr *find_section(struct blob *b, uint32_t type)
{
	Elf64_Ehdr *eh = (void *)b->p;
	size_t i;

	for (i = 1; i < eh->e_shnum; i++)
		if (shdr(b, i)->sh_type == type)
			return shdr(b, i);
	fail();
	return NULL;
}

/* Every symbol of .symtab with @field at @off (0: st_name) set to @v. */
static void set_syms(struct blob *b, size_t off, uint64_t v, size_t width)
{
	Elf64_Shdr *sh = find_section(b, SHT_SYMTAB);
	size_t i;

	for (i = 0; i < sh->sh_size / sizeof(Elf64_Sym); i++)
		memcpy(b->p + sh->sh_offset + i * sizeof(Elf64_Sym) + off, &v,
		       width);
}

/* 1 to 8 random bytes, mostly in the ELF header and section headers. */
static void mutate(struct blob *b, uint32_t *seed)
{
	Elf64_Ehdr *eh = (void *)b->p;
	size_t shoff = eh->e_shoff, shlen = eh->e_shnum * sizeof(Elf64_Shdr);
	size_t i, n = 1 + rnd(seed) % 8, at;

	for (i = 0; i < n; i++) {
		switch (rnd(seed) % 3) {
		case 0:
			at = rnd(seed) % sizeof(*eh);
			break;
		case 1:
			at = shoff + rnd(seed) % shlen;
			break;
		default:
			at = rnd(seed) % b->len;
		}
		if (at < b->len)
			b->p[at] = rnd(seed);
	}
}

/*
 * Break copy @k of the executable @b (a fresh copy each time). Cases below
 * NULL_CASES leave no function to find; the others may or may not.
 */
enum { NULL_CASES = 17, NAMED_CASES = 23 };

static void corrupt(struct blob *b, int k, uint32_t *seed)
{
	Elf64_Ehdr *eh = (void *)b->p;
	Elf64_Shdr *sym = find_section(b, SHT_SYMTAB);
	Elf64_Shdr *str = shdr(b, sym->sh_link);
	size_t i;

	switch (k) {
	case 0: /* garbage */
		for (i = 0; i < b->len; i++)
			b->p[i] = rnd(seed);
		break;
	case 1: /* only the ELF header */
		b->len = 64;
		break;
	case 2: /* the first half */
		b->len /= 2;
		break;
	case 3:
		eh->e_shoff = UINT64_MAX - 100;
		break;
	case 4:
		eh->e_shoff = b->len - 10;
		break;
	case 5:
		eh->e_shnum = 0xfffe;
		break;
	case 6: /* extended section count, out of the file */
		eh->e_shnum = 0;
		shdr(b, 0)->sh_size = 0xfffffff0;
		break;
	case 7:
		eh->e_phoff = b->len + 4096;
		break;
	case 8: /* extended segment count */
		eh->e_phnum = PN_XNUM;
		shdr(b, 0)->sh_info = 0x7fffffff;
		break;
	case 9:
		eh->e_shentsize = 13;
		break;
	case 10:
		sym->sh_offset = (uint64_t)1 << 40;
		break;
	case 11:
		sym->sh_size = (uint64_t)1 << 40;
		break;
	case 12:
		sym->sh_link = 0xffff;
		break;
	case 13:
		str->sh_offset = b->len;
		break;
	case 14:
		str->sh_type = SHT_PROGBITS;
		break;
	case 15: /* names out of the string table */
		set_syms(b, offsetof(Elf64_Sym, st_name), 0xfffffff0, 4);
		break;
	case 16: /* symbols in no section */
		set_syms(b, offsetof(Elf64_Sym, st_shndx), SHN_UNDEF, 2);
		break;
	/* From here on, functions may be found. */
	case 17:
		eh->e_ident[EI_CLASS] = ELFCLASS32;
		break;
	case 18:
		eh->e_ident[EI_DATA] = ELFDATA2MSB;
		break;
	case 19: /* the last strings not terminated */
		memset(b->p + str->sh_offset + str->sh_size - 16, 'A', 16);
		break;
	case 20: /* huge sizes */
		set_syms(b, offsetof(Elf64_Sym, st_size), UINT64_MAX, 8);
		break;
	case 21: /* zero sizes, bogus sections */
		set_syms(b, offsetof(Elf64_Sym, st_size), 0, 8);
		set_syms(b, offsetof(Elf64_Sym, st_shndx), 0xfff0, 2);
		break;
	case 22: /* symbols at the top of the address space */
		set_syms(b, offsetof(Elf64_Sym, st_value), UINT64_MAX - 3, 8);
		break;
	default: /* a few random bytes in the headers and tables */
		mutate(b, seed);
	}
}

static void write_blob(const char *path, const struct blob *b)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	assert_true(fd >= 0);
	assert_true(write(fd, b->p, b->len) == (ssize_t)b->len);
	close(fd);
}

/* Resolve every 32nd byte of the mapping of @path (@len bytes at @at). */
static void sweep(struct ls_symbolizer *s, pid_t pid, const char *path,
		  uint64_t at, size_t len, bool want_null)
{
	static uint64_t addrs[1024];
	static struct ls_frame f[1024];
	size_t n = 0, off, i;

	for (off = 0; off < len && n < ARRAY_SIZE(addrs); off += 32)
		addrs[n++] = at + off;
	addrs[n - 1] = at + len - 1;
	assert_int_equal(ls_sym_resolve(s, pid, addrs, n, true, f), 0);
	for (i = 0; i < n; i++) {
		assert_non_null(f[i].binary);
		assert_string_equal(f[i].binary, path);
		if (want_null && f[i].function) {
			print_error("%s+0x%" PRIx64 ": found %s\n", path,
				    addrs[i] - at, f[i].function);
			fail();
		}
	}
}

static void test_malformed_elf(void **state)
{
	static char paths[MAX_FILES][PATH_MAX];
	const char *files[MAX_FILES + 1];
	struct t *t = *state;
	struct ls_symbolizer *s = t->s;
	struct blob orig, b;
	size_t lens[MAX_FILES];
	uint32_t seed = 0x5eed;
	char name[16];
	struct child *c = &t->c;
	int k, n = NAMED_CASES + 48;

	need_targets();
	orig = slurp(fx.pie);
	for (k = 0; k < n; k++) {
		b = (struct blob){ malloc(orig.len), orig.len };
		assert_non_null(b.p);
		memcpy(b.p, orig.p, orig.len);
		corrupt(&b, k, &seed);
		snprintf(paths[k], PATH_MAX, "%s/bad%d", fx.dir, k);
		write_blob(paths[k], &b);
		lens[k] = b.len;
		files[k] = paths[k];
		free(b.p);
	}
	files[n] = NULL;
	free(orig.p);
	child_start(c, fx.pie, fx.lib, files);
	for (k = 0; k < n; k++) {
		snprintf(name, sizeof(name), "file%d", k);
		sweep(s, c->pid, paths[k], val(c, name), lens[k],
		      k < NULL_CASES);
	}
	/* And the good files still resolve. */
	CHECK_SYM(s, c, "main", fx.pie, "main", 0);
	child_stop(c);
	for (k = 0; k < n; k++)
		unlink(paths[k]);
}

/* ---- formatting and misuse ---- */

static void test_format(void **state)
{
	struct ls_frame f = { .addr = 0x7f0012345678,
			      .binary = "/usr/lib/x.so",
			      .function = "func",
			      .offset = 0x1a };
	char buf[128];

	(void)state;
	ls_frame_format(&f, buf, sizeof(buf));
	assert_string_equal(buf, "func+0x1a (/usr/lib/x.so)");
	f.function = NULL;
	f.offset = 0x1234;
	ls_frame_format(&f, buf, sizeof(buf));
	assert_string_equal(buf, "0x7f0012345678 (/usr/lib/x.so+0x1234)");
	f.binary = NULL;
	ls_frame_format(&f, buf, sizeof(buf));
	assert_string_equal(buf, "0x7f0012345678");
	f.function = "lone";
	f.offset = 0;
	ls_frame_format(&f, buf, sizeof(buf));
	assert_string_equal(buf, "lone+0x0");

	ls_frame_format(&f, buf, 5);
	assert_string_equal(buf, "lone");
	memset(buf, 'J', sizeof(buf));
	ls_frame_format(&f, buf, 0);
	assert_true(buf[0] == 'J');
	ls_frame_format(NULL, buf, sizeof(buf));
	assert_string_equal(buf, "");
	ls_frame_format(&f, NULL, 10);
}

static void test_misuse(void **state)
{
	struct t *t = *state;
	struct ls_symbolizer *s = t->s;
	uint64_t a = 0x1000;
	struct ls_frame f;
	struct ls_sym_stats st;

	assert_int_equal(ls_sym_resolve(NULL, getpid(), &a, 1, false, &f),
			 -EINVAL);
	assert_int_equal(ls_sym_resolve(s, 0, &a, 1, false, &f), -EINVAL);
	assert_int_equal(ls_sym_resolve(s, -5, &a, 1, false, &f), -EINVAL);
	assert_int_equal(ls_sym_resolve(s, getpid(), NULL, 1, false, &f),
			 -EINVAL);
	assert_int_equal(ls_sym_resolve(s, getpid(), &a, 1, false, NULL),
			 -EINVAL);
	assert_int_equal(ls_sym_resolve(s, getpid(), NULL, 0, false, NULL), 0);
	ls_sym_get_stats(s, &st);
	assert_true(st.maps_reads == 0);
	ls_sym_forget_pid(s, 12345);
	ls_sym_forget_pid(NULL, 1);
	ls_sym_set_cache_limits(NULL, 1, 1);
	ls_sym_get_stats(NULL, &st);
	assert_true(st.elf_opens == 0);
	ls_sym_free(NULL);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_pie),
		T(test_no_pie),
		T(test_return_address_at_function_end),
		T(test_stripped_pie),
		T(test_stripped_no_pie),
		T(test_libc_write),
		T(test_vdso),
		T(test_outside_files),
		T(test_self),
		T(test_cache_10k),
		T(test_cache_lru),
		T(test_maps_refresh_and_forget),
		T(test_deleted_file),
		T(test_unreadable_file),
		T(test_malformed_elf),
		T(test_format),
		T(test_misuse),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
