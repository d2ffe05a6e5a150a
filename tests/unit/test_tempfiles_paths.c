// SPDX-License-Identifier: GPL-2.0
/*
 * test_tempfiles_paths.c - unit tests for user/tempfiles.c: lexical path
 * normalisation, the kernel dev_t encoding, resolving event paths against
 * the temp roots, root set-up (missing, a file, duplicate, $TMPDIR, too
 * many) and ls_temps_dir_bytes.
 *
 * Every file these tests create lives in the private directory of
 * tempfiles_fx.h. Must not: touch anything outside that directory, or
 * depend on what else is in /tmp.
 */
#include "tempfiles_fx.h"

/* ---- ls_path_normalize ---- */

static void test_normalize(void **state)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "/", "/" },
		{ "//", "/" },
		{ "/a", "/a" },
		{ "/a/", "/a" },
		{ "//a//b///", "/a/b" },
		{ "/a/./b/.", "/a/b" },
		{ "/./.", "/" },
		{ "/a/b/../c", "/a/c" },
		{ "/a/b/c/../../d", "/a/d" },
		{ "/a/..", "/" },
		{ "/..", "/" },
		{ "/../../a", "/a" },
		{ "/a/b/../../..", "/" },
		{ "/a/../../b/./c/..", "/b" },
		{ "/...", "/..." },
		{ "/a/..b/.c", "/a/..b/.c" },
		{ "/a/b..", "/a/b.." },
		{ "/tmp/x y/\xc3\xa9", "/tmp/x y/\xc3\xa9" },
	};
	char out[PATH_MAX];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		memset(out, 'J', sizeof(out));
		assert_int_equal(
			ls_path_normalize(cases[i].in, out, sizeof(out)), 0);
		assert_string_equal(out, cases[i].want);
	}
}

static void test_normalize_errors(void **state)
{
	char out[PATH_MAX], *big;

	(void)state;
	assert_int_equal(ls_path_normalize("", out, sizeof(out)), -EINVAL);
	assert_int_equal(ls_path_normalize("a/b", out, sizeof(out)), -EINVAL);
	assert_int_equal(ls_path_normalize("./a", out, sizeof(out)), -EINVAL);
	assert_int_equal(ls_path_normalize("../a", out, sizeof(out)), -EINVAL);
	/* "/abc" needs 5 bytes with its NUL. */
	assert_int_equal(ls_path_normalize("/abc", out, 5), 0);
	assert_string_equal(out, "/abc");
	assert_int_equal(ls_path_normalize("/abc", out, 4), -ENAMETOOLONG);
	assert_int_equal(ls_path_normalize("/a/b", out, 5), 0);
	assert_int_equal(ls_path_normalize("/a/bc", out, 5), -ENAMETOOLONG);
	/* What is dropped does not count: "/a/./b/" fits in 5. */
	assert_int_equal(ls_path_normalize("/a/./b/", out, 5), 0);
	assert_string_equal(out, "/a/b");
	big = malloc(2 * PATH_MAX);
	assert_non_null(big);
	for (size_t i = 0; i < 2 * PATH_MAX - 1; i++)
		big[i] = i % 8 ? 'd' : '/';
	big[2 * PATH_MAX - 1] = 0;
	assert_int_equal(ls_path_normalize(big, out, sizeof(out)),
			 -ENAMETOOLONG);
	free(big);
}

static void test_kernel_dev(void **state)
{
	(void)state;
	assert_true(ls_kernel_dev(makedev(8, 1)) == ((8ULL << 20) | 1));
	assert_true(ls_kernel_dev(makedev(0, 0)) == 0);
	assert_true(ls_kernel_dev(makedev(0, 45)) == 45);
	assert_true(ls_kernel_dev(makedev(253, 300)) == ((253ULL << 20) | 300));
	assert_true(ls_kernel_dev(makedev(4095, 1048575)) ==
		    ((4095ULL << 20) | 1048575));
}

/* ---- ls_temps_resolve ---- */

static void test_resolve_relative(void **state)
{
	struct fx *fx = *state;
	char out[PATH_MAX], want[PATH_MAX];

	abs_path(fx, "a/b", want);
	assert_int_equal(
		ls_temps_resolve(&fx->t, fx->root, 0, "a/b", out, sizeof(out)),
		0);
	assert_string_equal(out, want);
	abs_path(fx, "b", want);
	assert_int_equal(ls_temps_resolve(&fx->t, fx->root, 0, "a/../b", out,
					  sizeof(out)),
			 0);
	assert_string_equal(out, want);
	assert_int_equal(ls_temps_resolve(&fx->t, fx->root, 0, "./b//", out,
					  sizeof(out)),
			 0);
	assert_string_equal(out, want);
}

static void test_resolve_absolute(void **state)
{
	struct fx *fx = *state;
	char out[PATH_MAX], in[PATH_MAX], want[PATH_MAX];

	abs_path(fx, "x/y", want);
	snprintf(in, sizeof(in), "%s//x/./z/../y", fx->dir);
	/* An absolute path ignores root_idx, even an invalid one. */
	assert_int_equal(
		ls_temps_resolve(&fx->t, -1, LS_TEMP_ABS, in, out, sizeof(out)),
		0);
	assert_string_equal(out, want);
	assert_int_equal(ls_temps_resolve(&fx->t, 999, LS_TEMP_ABS, in, out,
					  sizeof(out)),
			 0);
	assert_string_equal(out, want);
	assert_int_equal(ls_temps_resolve(&fx->t, -1, LS_TEMP_ABS,
					  "/etc/passwd", out, sizeof(out)),
			 -ENOENT);
}

static int tmp_root(const struct fx *fx)
{
	for (int i = 0; i < fx->t.n_roots; i++)
		if (!strcmp(fx->t.roots[i].path, "/tmp"))
			return i;
	return -1;
}

static void test_resolve_escapes_root(void **state)
{
	struct fx *fx = *state;
	char out[PATH_MAX];

	/* Out of every root: /etc. */
	assert_int_equal(ls_temps_resolve(&fx->t, fx->root, 0,
					  "../../../../../../../../etc/x", out,
					  sizeof(out)),
			 -ENOENT);
	/* Up to /tmp, which is a root but not under one. */
	assert_int_equal(ls_temps_resolve(&fx->t, fx->root, 0, "a/../..", out,
					  sizeof(out)),
			 -ENOENT);
}

/* A root itself is not under the root (nor is anything that names it). */
static void test_resolve_root_itself(void **state)
{
	struct fx *fx = *state;
	int tmp = tmp_root(fx);
	char out[PATH_MAX];

	if (tmp < 0)
		skip();
	assert_int_equal(ls_temps_resolve(&fx->t, tmp, 0, "", out, sizeof(out)),
			 -ENOENT);
	assert_int_equal(
		ls_temps_resolve(&fx->t, tmp, 0, ".", out, sizeof(out)),
		-ENOENT);
	assert_int_equal(
		ls_temps_resolve(&fx->t, tmp, 0, "x/..", out, sizeof(out)),
		-ENOENT);
	assert_int_equal(
		ls_temps_resolve(&fx->t, tmp, 0, "../tmp/x", out, sizeof(out)),
		0);
	assert_string_equal(out, "/tmp/x");
}

/* A root is a directory, not a string prefix: /tmpfoo is not under /tmp. */
static void test_resolve_prefix_is_not_under(void **state)
{
	struct fx *fx = *state;
	char out[PATH_MAX], in[PATH_MAX];

	if (tmp_root(fx) < 0)
		skip();
	assert_int_equal(ls_temps_resolve(&fx->t, -1, LS_TEMP_ABS, "/tmpfoo/x",
					  out, sizeof(out)),
			 -ENOENT);
	assert_int_equal(ls_temps_resolve(&fx->t, -1, LS_TEMP_ABS, "/tmp", out,
					  sizeof(out)),
			 -ENOENT);
	snprintf(in, sizeof(in), "%sx/y", fx->dir);
	/* /tmp/ls-unit-temps-XXXXXXx/y: under /tmp, not under our root. */
	assert_int_equal(
		ls_temps_resolve(&fx->t, -1, LS_TEMP_ABS, in, out, sizeof(out)),
		0);
	assert_string_equal(out, in);
}

static void test_resolve_bad_root(void **state)
{
	struct fx *fx = *state;
	char out[PATH_MAX];

	assert_int_equal(ls_temps_resolve(&fx->t, -1, 0, "a", out, sizeof(out)),
			 -ENOENT);
	assert_int_equal(ls_temps_resolve(&fx->t, fx->t.n_roots, 0, "a", out,
					  sizeof(out)),
			 -ENOENT);
	assert_int_equal(ls_temps_resolve(&fx->t, LS_MAX_TEMP_ROOTS, 0, "a",
					  out, sizeof(out)),
			 -ENOENT);
	assert_int_equal(
		ls_temps_resolve(&fx->t, INT32_MIN, 0, "a", out, sizeof(out)),
		-ENOENT);
}

static void test_resolve_too_long(void **state)
{
	struct fx *fx = *state;
	char out[PATH_MAX];

	assert_int_equal(ls_temps_resolve(&fx->t, fx->root, 0, "abc", out, 8),
			 -ENAMETOOLONG);
}

/* A relative path flagged absolute names nothing under a root. */
static void test_resolve_abs_flag_relative_path(void **state)
{
	struct fx *fx = *state;
	char out[PATH_MAX];

	assert_true(ls_temps_resolve(&fx->t, fx->root, LS_TEMP_ABS, "a/b", out,
				     sizeof(out)) < 0);
}

/* ---- ls_temps_init ---- */

static void test_init_missing_root(void **state)
{
	const char *extra[] = { "/nonexistent/leakscope-unit-root" };
	struct ls_temps t;
	char why[256] = "";

	(void)state;
	assert_int_equal(ls_temps_init(&t, extra, 1, why, sizeof(why)),
			 -ENOENT);
	assert_contains(why, "/nonexistent/leakscope-unit-root");
	assert_contains(why, "--temp-root");
	ls_temps_free(&t);
}

static void test_init_file_as_root(void **state)
{
	struct fx *fx = *state;
	const char *extra[1];
	char p[PATH_MAX], why[256] = "";
	struct ls_temps t;

	abs_path(fx, "plain", p);
	write_file(p, 1);
	extra[0] = p;
	assert_int_equal(ls_temps_init(&t, extra, 1, why, sizeof(why)),
			 -ENOENT);
	assert_contains(why, p);
	ls_temps_free(&t);
}

static void test_init_duplicate_roots(void **state)
{
	struct fx *fx = *state;
	char dot[PATH_MAX], up[PATH_MAX], link[PATH_MAX], why[256] = "";
	const char *extra[6];
	struct ls_temps base, t;
	struct stat st;

	assert_int_equal(ls_temps_init(&base, NULL, 0, why, sizeof(why)), 0);
	snprintf(dot, sizeof(dot), "%s/.", fx->dir);
	snprintf(up, sizeof(up), "%s/../%s", fx->dir,
		 strrchr(fx->dir, '/') + 1);
	extra[0] = fx->dir;
	extra[1] = dot;
	extra[2] = up;
	extra[3] = "/tmp";
	extra[4] = fx->dir;
	/* A symlink to the root is the root (canonical path kept). */
	abs_path(fx, "link-to-root", link);
	assert_int_equal(symlink(fx->dir, link), 0);
	extra[5] = link;
	assert_int_equal(ls_temps_init(&t, extra, 6, why, sizeof(why)), 0);
	assert_int_equal(t.n_roots, base.n_roots + 1);
	assert_string_equal(t.roots[t.n_roots - 1].path, fx->dir);
	assert_int_equal(stat(fx->dir, &st), 0);
	assert_true(t.roots[t.n_roots - 1].key.ino == st.st_ino);
	assert_true(t.roots[t.n_roots - 1].key.dev == ls_kernel_dev(st.st_dev));
	ls_temps_free(&base);
	ls_temps_free(&t);
}

static void test_init_tmpdir(void **state)
{
	struct fx *fx = *state;
	char *old = getenv("TMPDIR"), *saved = old ? strdup(old) : NULL;
	const char *extra[1] = { fx->dir };
	char why[256] = "";
	struct ls_temps t, t2;
	int found = 0, n_plain;

	setenv("TMPDIR", "relative/dir", 1);
	assert_int_equal(ls_temps_init(&t, NULL, 0, why, sizeof(why)), 0);
	n_plain = t.n_roots;
	ls_temps_free(&t);
	setenv("TMPDIR", fx->dir, 1);
	assert_int_equal(ls_temps_init(&t, NULL, 0, why, sizeof(why)), 0);
	assert_int_equal(ls_temps_init(&t2, extra, 1, why, sizeof(why)), 0);
	if (saved)
		setenv("TMPDIR", saved, 1);
	else
		unsetenv("TMPDIR");
	free(saved);
	for (int i = 0; i < t.n_roots; i++)
		found += !strcmp(t.roots[i].path, fx->dir);
	assert_int_equal(found, 1);
	/* A relative $TMPDIR is ignored; an absolute one is one more root. */
	assert_int_equal(t.n_roots, n_plain + 1);
	/* $TMPDIR and --temp-root naming the same directory: one root. */
	assert_int_equal(t2.n_roots, t.n_roots);
	ls_temps_free(&t);
	ls_temps_free(&t2);
}

static void test_init_too_many_roots(void **state)
{
	struct fx *fx = *state;
	char names[LS_MAX_TEMP_ROOTS + 1][PATH_MAX / 8], why[256] = "";
	const char *extra[LS_MAX_TEMP_ROOTS + 1];
	struct ls_temps base, t;
	int room;

	assert_int_equal(ls_temps_init(&base, NULL, 0, why, sizeof(why)), 0);
	room = LS_MAX_TEMP_ROOTS - base.n_roots;
	ls_temps_free(&base);
	for (int i = 0; i <= room; i++) {
		snprintf(names[i], sizeof(names[i]), "%s/r%d", fx->dir, i);
		assert_int_equal(mkdir(names[i], 0700), 0);
		extra[i] = names[i];
	}
	assert_int_equal(ls_temps_init(&t, extra, room, why, sizeof(why)), 0);
	assert_int_equal(t.n_roots, LS_MAX_TEMP_ROOTS);
	ls_temps_free(&t);
	assert_int_equal(ls_temps_init(&t, extra, room + 1, why, sizeof(why)),
			 -E2BIG);
	ls_temps_free(&t);
}

/* ---- ls_temps_dir_bytes ---- */

static void test_dir_bytes(void **state)
{
	struct fx *fx = *state;
	char p[PATH_MAX], big[PATH_MAX];

	abs_path(fx, "tree", p);
	assert_int_equal(mkdir(p, 0700), 0);
	abs_path(fx, "tree/sub", p);
	assert_int_equal(mkdir(p, 0700), 0);
	abs_path(fx, "tree/sub/deep", p);
	assert_int_equal(mkdir(p, 0700), 0);
	abs_path(fx, "tree/empty", p);
	assert_int_equal(mkdir(p, 0700), 0);
	abs_path(fx, "tree/f1", p);
	write_file(p, 10);
	abs_path(fx, "tree/sub/f2", p);
	write_file(p, 100);
	abs_path(fx, "tree/sub/deep/f3", p);
	write_file(p, 1000);
	abs_path(fx, "tree/fifo", p);
	assert_int_equal(mkfifo(p, 0600), 0);
	/* Symlinks are not followed: neither to a big file nor to a dir. */
	abs_path(fx, "big", big);
	write_file(big, 50000);
	abs_path(fx, "tree/link-file", p);
	assert_int_equal(symlink(big, p), 0);
	abs_path(fx, "tree/link-dir", p);
	assert_int_equal(symlink(fx->dir, p), 0);
	abs_path(fx, "tree", p);
	assert_true(ls_temps_dir_bytes(p) == 1110);
	/* Twice: no state left over from the first walk. */
	assert_true(ls_temps_dir_bytes(p) == 1110);
	abs_path(fx, "tree/empty", p);
	assert_true(ls_temps_dir_bytes(p) == 0);
	abs_path(fx, "no-such-dir", p);
	assert_true(ls_temps_dir_bytes(p) == 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_normalize),
		cmocka_unit_test(test_normalize_errors),
		cmocka_unit_test(test_kernel_dev),
		FX(test_resolve_relative),
		FX(test_resolve_absolute),
		FX(test_resolve_escapes_root),
		FX(test_resolve_root_itself),
		FX(test_resolve_prefix_is_not_under),
		FX(test_resolve_bad_root),
		FX(test_resolve_too_long),
		FX(test_resolve_abs_flag_relative_path),
		cmocka_unit_test(test_init_missing_root),
		FX(test_init_file_as_root),
		FX(test_init_duplicate_roots),
		FX(test_init_tmpdir),
		FX(test_init_too_many_roots),
		FX(test_dir_bytes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
