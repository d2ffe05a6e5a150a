/* SPDX-License-Identifier: GPL-2.0 */
/*
 * symbolize_fx.h - the fixture of the user/symbolize.c tests
 * (test_symbolize_*.c), which run against live processes.
 *
 * The group setup compiles tests/unit/symtarget.c with gcc into a mkdtemp
 * directory: PIE and -no-pie executables, each also stripped (-s), and the
 * shared library they dlopen, also stripped. A test starts one as a child,
 * which prints the addresses of its functions (see symtarget.c), and
 * checks what ls_sym_resolve makes of them (check_sym, check_frame).
 *
 * Must not: write outside its mkdtemp directory, or leave a child behind.
 * Skips when gcc is not installed; symtarget.c is found next to this file
 * (as compiled from the repo root), next to the binary's source tree, or at
 * $LS_SYMTARGET_SRC. Included by one test file each.
 */
#ifndef LS_TESTS_SYMBOLIZE_FX_H
#define LS_TESTS_SYMBOLIZE_FX_H

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

static inline bool readable(const char *path)
{
	return access(path, R_OK) == 0;
}

static inline bool find_src(char *out, size_t len)
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
	/* BUILD/tests/unit/test_symbolize_* -> tests/unit/symtarget.c */
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return false;
	exe[n] = 0;
	snprintf(out, len, "%s/../../../tests/unit/symtarget.c", dirname(exe));
	return readable(out);
}

static inline bool build(const char *flags, char *out, const char *name)
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

static inline int group_setup(void **state)
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

static inline int group_teardown(void **state)
{
	(void)state;
	if (fx.dir[0])
		nftw(fx.dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

static inline void need_targets(void)
{
	if (!fx.have_gcc)
		skip();
}

/* ---- the child ---- */

static inline bool child_line(struct child *c)
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
static inline bool drop_privileges(void)
{
	return !setgroups(0, NULL) && !setresgid(NOBODY, NOBODY, NOBODY) &&
	       !setresuid(NOBODY, NOBODY, NOBODY);
}

static inline void child_exec(const char *exe, const char *lib,
			      const char **files, int in[2], int out[2],
			      bool drop)
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
static inline void child_start_as(struct child *c, const char *exe,
				  const char *lib, const char **files,
				  bool drop)
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

static inline void child_start(struct child *c, const char *exe,
			       const char *lib, const char **files)
{
	child_start_as(c, exe, lib, files, false);
}

/* EOF on its stdin ends it; reap it. */
static inline void child_stop(struct child *c)
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
static inline void child_kill(struct child *c)
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

static inline int setup(void **state)
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

static inline int teardown(void **state)
{
	struct t *t = *state;

	child_kill(&t->c);
	ls_sym_free(t->s);
	free(t);
	return 0;
}

static inline uint64_t val(const struct child *c, const char *name)
{
	size_t i;

	for (i = c->n; i-- > 0;)
		if (!strcmp(c->v[i].name, name))
			return c->v[i].addr;
	print_error("the child printed no \"%s\"\n", name);
	fail();
	return 0;
}

/* ---- checking frames ---- */

static inline void check_frame(const struct ls_frame *f, const char *bin,
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
static inline void resolve2(struct ls_symbolizer *s, pid_t pid, uint64_t addr,
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
static inline void check_sym(struct ls_symbolizer *s, const struct child *c,
			     const char *name, bool ret, const char *bin,
			     const char *fn, uint64_t off, const char *file,
			     int line)
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

/* ---- the vdso, and what the symbolizer counts ---- */

/* Where our own vdso's PT_LOAD at file offset 0 is linked. */
static inline uint64_t vdso_link_base(const unsigned char *base)
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
static inline bool own_vdso_clock_gettime(uint64_t *delta)
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

static inline unsigned long maps_reads(const struct ls_symbolizer *s)
{
	struct ls_sym_stats st;

	ls_sym_get_stats(s, &st);
	return st.maps_reads;
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

#endif
