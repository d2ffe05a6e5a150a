// SPDX-License-Identifier: GPL-2.0
/*
 * test_symbolize_cache.c - unit tests for user/symbolize.c against live
 * processes: what it keeps and what it may read.
 *
 * The cache (10k resolves, LRU bounds), maps that grow after the first
 * read, deleted files, and files the symbolizer may not read (as root:
 * target and resolver run in children that drop to uid 65534).
 *
 * Must not: write outside the fixture's mkdtemp directory, or leave a
 * child behind (symbolize_fx.h).
 */
#include "symbolize_fx.h"

/* ---- the child ---- */

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_cache_10k),
		T(test_cache_lru),
		T(test_maps_refresh_and_forget),
		T(test_deleted_file),
		T(test_unreadable_file),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
