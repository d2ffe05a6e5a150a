// SPDX-License-Identifier: GPL-2.0
/*
 * test_symbolize_files.c - unit tests for user/symbolize.c against live
 * processes: what the files they map resolve to.
 *
 * Names and offsets exactly, in PIE and -no-pie executables and their
 * shared library, return addresses (one at the very end of a function),
 * stripped files (file-relative offsets, checked against dl_iterate_phdr's
 * load bias), libc's write, the vdso, addresses in no mapping, and the
 * test process itself.
 *
 * Must not: leave a child behind (symbolize_fx.h).
 */
#include "symbolize_fx.h"

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
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
