// SPDX-License-Identifier: GPL-2.0
/*
 * test_symbolize_elf.c - unit tests for user/symbolize.c: ELF files broken
 * in every header field the parser reads, mapped by a live process; the
 * text of a frame, and misuse.
 *
 * Must not: write outside the fixture's mkdtemp directory, or leave a
 * child behind (symbolize_fx.h).
 */
#include "symbolize_fx.h"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_malformed_elf),
		T(test_format),
		T(test_misuse),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
