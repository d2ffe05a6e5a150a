// SPDX-License-Identifier: GPL-2.0
/*
 * test_tempfiles.c - unit tests for user/tempfiles.c: lexical path
 * normalisation, the kernel dev_t encoding, resolving event paths against
 * the temp roots, the registry fed with hand-built struct ls_ev_temp records
 * (create, unlink, rename of files and directory trees, replaced inodes,
 * counters), root set-up (missing, duplicate, $TMPDIR, too many) and
 * ls_temps_dir_bytes.
 *
 * Every file these tests create lives in a private mkdtemp directory under
 * /tmp, registered as an extra root, and is removed by the teardown.
 * Must not: touch anything outside that directory, or depend on what else
 * is in /tmp.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "unit.h"
#include "tempfiles.h"

#define TGID 4242
#define TID  4243

struct fx {
	char dir[PATH_MAX]; /* canonical path of the private root */
	struct ls_temps t;
	int root; /* its index in t.roots */
};

/* ---- the private directory ---- */

static int rm_one(const char *path, const struct stat *st, int type,
		  struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	return remove(path);
}

static void rm_tree(const char *dir)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void make_private_dir(char *out)
{
	char tmpl[] = "/tmp/ls-unit-temps-XXXXXX";

	assert_non_null(mkdtemp(tmpl));
	assert_non_null(realpath(tmpl, out));
}

static int fx_setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	const char *extra[1];
	char why[256] = "";

	if (!fx)
		return -1;
	make_private_dir(fx->dir);
	extra[0] = fx->dir;
	if (ls_temps_init(&fx->t, extra, 1, why, sizeof(why))) {
		rm_tree(fx->dir);
		free(fx);
		return -1;
	}
	fx->root = fx->t.n_roots - 1;
	if (strcmp(fx->t.roots[fx->root].path, fx->dir)) {
		ls_temps_free(&fx->t);
		rm_tree(fx->dir);
		free(fx);
		return -1;
	}
	*state = fx;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *fx = *state;

	ls_temps_free(&fx->t);
	rm_tree(fx->dir);
	free(fx);
	return 0;
}

static void abs_path(const struct fx *fx, const char *rel, char *out)
{
	snprintf(out, PATH_MAX, "%s/%s", fx->dir, rel);
}

static void write_file(const char *path, size_t size)
{
	char buf[4096];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	assert_true(fd >= 0);
	memset(buf, 'x', sizeof(buf));
	while (size) {
		size_t n = size < sizeof(buf) ? size : sizeof(buf);

		assert_int_equal(write(fd, buf, n), (ssize_t)n);
		size -= n;
	}
	assert_int_equal(close(fd), 0);
}

/* ---- events ---- */

static struct ls_ev_temp mk_event(uint32_t type, int root, uint32_t flags,
				  const char *path)
{
	struct ls_ev_temp e;
	size_t n = strlen(path);

	memset(&e, 0, sizeof(e));
	e.h.type = type;
	e.h.size = sizeof(e);
	e.h.tgid = TGID;
	e.h.tid = TID;
	e.h.ts = 123456789;
	e.h.test = 7;
	memcpy(e.h.comm, "maker", 6);
	e.flags = flags;
	e.root_idx = root;
	e.root2_idx = -1;
	memcpy(e.path, path, n < sizeof(e.path) ? n : sizeof(e.path));
	return e;
}

/* Create the file for real, then tell the registry, with its inode. */
static void create_file(struct fx *fx, const char *rel, size_t size)
{
	char p[PATH_MAX];
	struct stat st;
	struct ls_ev_temp e;

	abs_path(fx, rel, p);
	write_file(p, size);
	assert_int_equal(lstat(p, &st), 0);
	e = mk_event(LS_EV_TEMP_CREATE, fx->root, LS_TEMP_HAS_INO, rel);
	e.dev = ls_kernel_dev(st.st_dev);
	e.ino = st.st_ino;
	ls_temps_event(&fx->t, &e);
}

/* mkdir for real; the event carries no inode, as the kernel's does not. */
static void create_dir(struct fx *fx, const char *rel)
{
	char p[PATH_MAX];
	struct ls_ev_temp e;

	abs_path(fx, rel, p);
	assert_int_equal(mkdir(p, 0700), 0);
	e = mk_event(LS_EV_TEMP_CREATE, fx->root, LS_TEMP_DIR, rel);
	ls_temps_event(&fx->t, &e);
}

static void remove_path(struct fx *fx, const char *rel, bool on_disk)
{
	char p[PATH_MAX];
	struct ls_ev_temp e;

	abs_path(fx, rel, p);
	if (on_disk)
		assert_int_equal(remove(p), 0);
	e = mk_event(LS_EV_TEMP_UNLINK, fx->root, 0, rel);
	ls_temps_event(&fx->t, &e);
}

static void rename_path(struct fx *fx, const char *from, const char *to,
			bool on_disk)
{
	char a[PATH_MAX], b[PATH_MAX];
	struct ls_ev_temp e;

	abs_path(fx, from, a);
	abs_path(fx, to, b);
	if (on_disk)
		assert_int_equal(rename(a, b), 0);
	e = mk_event(LS_EV_TEMP_RENAME, fx->root, 0, from);
	e.root2_idx = fx->root;
	memcpy(e.path2, to, strlen(to));
	ls_temps_event(&fx->t, &e);
}

/* ---- what each_leftover visits, as "rel rel/ rel" (dirs end in '/') ---- */

struct listing {
	const struct fx *fx;
	char text[8192];
	size_t len;
	unsigned int visits, stop_after;
	bool bad_stat;
};

static int list_one(const struct ls_temp_entry *e, const struct stat *st,
		    void *ctx)
{
	struct listing *l = ctx;
	size_t dl = strlen(l->fx->dir);
	const char *shown = e->path;
	struct stat now;

	if (!strncmp(e->path, l->fx->dir, dl) && e->path[dl] == '/')
		shown = e->path + dl + 1;
	/* The stat handed over is the object's, as lstat sees it now. */
	if (lstat(e->path, &now) || now.st_ino != st->st_ino ||
	    now.st_dev != st->st_dev)
		l->bad_stat = true;
	l->len += snprintf(l->text + l->len, sizeof(l->text) - l->len, "%s%s%s",
			   l->visits ? " " : "", shown, e->is_dir ? "/" : "");
	l->visits++;
	return l->stop_after && l->visits == l->stop_after ? 7 : 0;
}

static void assert_leftovers(struct fx *fx, const char *want)
{
	struct listing l = { .fx = fx };

	assert_int_equal(ls_temps_each_leftover(&fx->t, list_one, &l), 0);
	assert_string_equal(l.text, want);
	assert_false(l.bad_stat);
}

static void assert_counters(const struct ls_temps *t, uint64_t created,
			    uint64_t removed, uint64_t live, uint64_t peak)
{
	assert_int_equal(t->n_created, created);
	assert_int_equal(t->n_removed, removed);
	assert_int_equal(t->n_live, live);
	assert_int_equal(t->peak_live, peak);
}

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

/* ---- the registry ---- */

static void test_create_listed_in_path_order(void **state)
{
	struct fx *fx = *state;

	create_file(fx, "z", 1);
	create_dir(fx, "b");
	create_file(fx, "b/c", 2);
	create_file(fx, "b2", 3);
	create_file(fx, "a", 4);
	create_dir(fx, "b-x");
	/* strcmp order: '-' < '/' < '2'; directories shown with a '/'. */
	assert_leftovers(fx, "a b/ b-x/ b/c b2 z");
	assert_counters(&fx->t, 6, 0, 6, 6);
}

static int copy_entry(const struct ls_temp_entry *e, const struct stat *st,
		      void *ctx)
{
	struct ls_temp_entry *out = ctx;

	(void)st;
	*out = *e;
	out->path = NULL; /* not ours to keep */
	out->next = NULL;
	return 1;
}

static void test_entry_fields(void **state)
{
	struct fx *fx = *state;
	struct ls_temp_entry got;
	char p[PATH_MAX];
	struct stat st;

	create_file(fx, "f", 10);
	abs_path(fx, "f", p);
	assert_int_equal(lstat(p, &st), 0);
	memset(&got, 0, sizeof(got));
	assert_int_equal(ls_temps_each_leftover(&fx->t, copy_entry, &got), 1);
	assert_false(got.is_dir);
	assert_true(got.has_ino);
	assert_false(got.truncated);
	assert_true(got.dev == ls_kernel_dev(st.st_dev));
	assert_true(got.ino == st.st_ino);
	assert_int_equal(got.tgid, TGID);
	assert_int_equal(got.tid, TID);
	assert_string_equal(got.comm, "maker");
	assert_true(got.ts == 123456789);
	assert_true(got.test == 7);
}

/* mkdir's event has no inode: the registry takes it when it hears. */
/* mkdir events carry no inode; the directory that has the name at the end
 * is the one reported (mkdir D; mv D D.old; mkdir D reports both). */
static void test_dir_matched_by_path(void **state)
{
	struct fx *fx = *state;
	struct ls_temp_entry got;
	char p[PATH_MAX], q[PATH_MAX];

	(void)p;
	(void)q;
	create_dir(fx, "d");
	rename_path(fx, "d", "d.old", true);
	create_dir(fx, "d");
	assert_leftovers(fx, "d/ d.old/");
	memset(&got, 0, sizeof(got));
	assert_int_equal(ls_temps_each_leftover(&fx->t, copy_entry, &got), 1);
	assert_true(got.is_dir);
	assert_false(got.has_ino);
}

static void test_truncated_flag_kept(void **state)
{
	struct fx *fx = *state;
	struct ls_temp_entry got;
	struct ls_ev_temp e;
	char p[PATH_MAX];

	abs_path(fx, "t", p);
	write_file(p, 0);
	e = mk_event(LS_EV_TEMP_CREATE, fx->root, LS_TEMP_TRUNC, "t");
	ls_temps_event(&fx->t, &e);
	memset(&got, 0, sizeof(got));
	assert_int_equal(ls_temps_each_leftover(&fx->t, copy_entry, &got), 1);
	assert_true(got.truncated);
	assert_false(got.has_ino); /* no inode in the event: matched by path */
}

static void test_created_but_gone_not_listed(void **state)
{
	struct fx *fx = *state;
	struct ls_ev_temp e;
	char p[PATH_MAX];

	e = mk_event(LS_EV_TEMP_CREATE, fx->root, LS_TEMP_HAS_INO, "never");
	e.ino = 12345;
	ls_temps_event(&fx->t, &e);
	create_file(fx, "kept", 0);
	create_file(fx, "gone", 0);
	abs_path(fx, "gone", p);
	assert_int_equal(unlink(p), 0);
	assert_leftovers(fx, "kept");
	assert_counters(&fx->t, 3, 0, 3, 3);
}

static void test_unlink_removes(void **state)
{
	struct fx *fx = *state;

	create_file(fx, "a", 0);
	create_file(fx, "b", 0);
	create_dir(fx, "d");
	remove_path(fx, "a", true);
	remove_path(fx, "d", true);
	assert_leftovers(fx, "b");
	assert_counters(&fx->t, 3, 2, 1, 3);
}

static void create_in_test(struct fx *fx, const char *rel, uint64_t test)
{
	char p[PATH_MAX];
	struct stat st;
	struct ls_ev_temp e;

	abs_path(fx, rel, p);
	write_file(p, 0);
	assert_int_equal(lstat(p, &st), 0);
	e = mk_event(LS_EV_TEMP_CREATE, fx->root, LS_TEMP_HAS_INO, rel);
	e.h.test = test;
	e.dev = ls_kernel_dev(st.st_dev);
	e.ino = st.st_ino;
	ls_temps_event(&fx->t, &e);
}

/* The kernel's per-test counters do not see temp files: these do. */
static void test_counts_per_test(void **state)
{
	struct fx *fx = *state;
	struct ls_test_counts c;

	create_in_test(fx, "a", 1);
	create_in_test(fx, "b", 1);
	create_in_test(fx, "c", 2);
	remove_path(fx, "a", true);
	rename_path(fx, "b", "b2", true); /* a move is no release */
	create_in_test(fx, "d", 1);
	memset(&c, 0, sizeof(c));
	ls_temps_test_counts(&fx->t, 1, &c);
	assert_int_equal(c.created[LS_KIND_TEMPFILE], 3);
	assert_int_equal(c.released[LS_KIND_TEMPFILE], 1);
	assert_int_equal(c.cur[LS_KIND_TEMPFILE], 2);
	assert_int_equal(c.peak[LS_KIND_TEMPFILE], 2);
	assert_int_equal(ls_temps_live_of_test(&fx->t, 1), 2);
	memset(&c, 0, sizeof(c));
	ls_temps_test_counts(&fx->t, 2, &c);
	assert_int_equal(c.created[LS_KIND_TEMPFILE], 1);
	assert_int_equal(c.cur[LS_KIND_TEMPFILE], 1);
	/* A test that made none leaves the counts alone. */
	memset(&c, 0, sizeof(c));
	c.created[LS_KIND_TEMPFILE] = 99;
	ls_temps_test_counts(&fx->t, 3, &c);
	assert_int_equal(c.created[LS_KIND_TEMPFILE], 99);
	assert_int_equal(ls_temps_live_of_test(&fx->t, 3), 0);
}

/* The registry believes the event, whatever the disk says later. */
static void test_unlink_event_forgets_entry(void **state)
{
	struct fx *fx = *state;

	create_file(fx, "a", 0);
	remove_path(fx, "a", false);
	assert_leftovers(fx, "");
	assert_counters(&fx->t, 1, 1, 0, 1);
}

static void test_unlink_unknown_ignored(void **state)
{
	struct fx *fx = *state;

	create_file(fx, "a", 0);
	remove_path(fx, "nothing-here", false);
	remove_path(fx, "a/child", false);
	assert_leftovers(fx, "a");
	assert_counters(&fx->t, 1, 0, 1, 1);
}

static void test_rename_file(void **state)
{
	struct fx *fx = *state;
	struct ls_temp_entry got;

	create_file(fx, "a", 0);
	rename_path(fx, "a", "b", true);
	assert_leftovers(fx, "b");
	assert_counters(&fx->t, 1, 0, 1, 1);
	/* The creator is still who made it as "a". */
	memset(&got, 0, sizeof(got));
	assert_int_equal(ls_temps_each_leftover(&fx->t, copy_entry, &got), 1);
	assert_int_equal(got.tgid, TGID);
	assert_string_equal(got.comm, "maker");
	rename_path(fx, "b", "c", true);
	assert_leftovers(fx, "c");
	/* Renaming onto itself changes nothing. */
	rename_path(fx, "c", "c", false);
	assert_leftovers(fx, "c");
	assert_counters(&fx->t, 1, 0, 1, 1);
}

static void test_rename_dir_moves_subtree(void **state)
{
	struct fx *fx = *state;

	create_dir(fx, "d");
	create_dir(fx, "d/e");
	create_file(fx, "d/e/f", 1);
	create_file(fx, "d/g", 1);
	create_file(fx, "dx", 1);
	create_dir(fx, "d-y");
	rename_path(fx, "d", "n", true);
	assert_leftovers(fx, "d-y/ dx n/ n/e/ n/e/f n/g");
	assert_counters(&fx->t, 6, 0, 6, 6);
	/* And the moved entries answer to their new names. */
	remove_path(fx, "n/e/f", true);
	assert_leftovers(fx, "d-y/ dx n/ n/e/ n/g");
	assert_counters(&fx->t, 6, 1, 5, 6);
}

static void test_rename_over_existing(void **state)
{
	struct fx *fx = *state;
	struct ls_temp_entry got;
	char p[PATH_MAX];
	struct stat st_a;

	create_file(fx, "a", 1);
	create_file(fx, "b", 2);
	abs_path(fx, "a", p);
	assert_int_equal(lstat(p, &st_a), 0);
	rename_path(fx, "a", "b", true);
	assert_leftovers(fx, "b");
	assert_counters(&fx->t, 2, 1, 1, 2);
	memset(&got, 0, sizeof(got));
	assert_int_equal(ls_temps_each_leftover(&fx->t, copy_entry, &got), 1);
	assert_true(got.ino == st_a.st_ino);
}

/* Renaming an unregistered file over a registered one removes the latter. */
static void test_rename_unknown_over_registered(void **state)
{
	struct fx *fx = *state;
	char p[PATH_MAX];

	create_file(fx, "b", 2);
	abs_path(fx, "stranger", p);
	write_file(p, 1);
	rename_path(fx, "stranger", "b", true);
	assert_leftovers(fx, "");
	assert_counters(&fx->t, 1, 1, 0, 1);
}

static void test_rename_out_of_roots(void **state)
{
	struct fx *fx = *state;
	struct ls_ev_temp e;

	create_file(fx, "a", 0);
	create_file(fx, "b", 0);
	/* Out of the roots, name unknown: no longer ours to report. */
	e = mk_event(LS_EV_TEMP_RENAME, fx->root, 0, "a");
	e.root2_idx = -1;
	memcpy(e.path2, "elsewhere/a", 11);
	ls_temps_event(&fx->t, &e);
	assert_counters(&fx->t, 2, 1, 1, 2);
	/* Given absolutely: followed to its new name (absent here). */
	e = mk_event(LS_EV_TEMP_RENAME, fx->root, 0, "b");
	e.flags2 = LS_TEMP_ABS;
	memcpy(e.path2, "/nonexistent-ls-unit/b", 22);
	ls_temps_event(&fx->t, &e);
	assert_counters(&fx->t, 2, 1, 1, 2);
	assert_leftovers(fx, "");
}

static void test_events_outside_roots_ignored(void **state)
{
	struct fx *fx = *state;
	struct ls_ev_temp e;
	char p[PATH_MAX];

	e = mk_event(LS_EV_TEMP_CREATE, -1, 0, "a");
	ls_temps_event(&fx->t, &e);
	e = mk_event(LS_EV_TEMP_CREATE, -1, LS_TEMP_ABS, "/etc/passwd");
	ls_temps_event(&fx->t, &e);
	e = mk_event(LS_EV_TEMP_CREATE, fx->root, 0,
		     "../../../../../../../etc/passwd");
	ls_temps_event(&fx->t, &e);
	e = mk_event(LS_EV_TEMP_CREATE, fx->t.n_roots, 0, "a");
	ls_temps_event(&fx->t, &e);
	/* Moved in from outside: not created by the watch. */
	abs_path(fx, "in", p);
	write_file(p, 0);
	e = mk_event(LS_EV_TEMP_RENAME, -1, LS_TEMP_ABS, "/etc/x");
	e.root2_idx = fx->root;
	memcpy(e.path2, "in", 2);
	ls_temps_event(&fx->t, &e);
	assert_counters(&fx->t, 0, 0, 0, 0);
	assert_leftovers(fx, "");
}

static void test_absolute_create_under_root(void **state)
{
	struct fx *fx = *state;
	struct ls_ev_temp e;
	char p[PATH_MAX];

	abs_path(fx, "abs", p);
	write_file(p, 0);
	snprintf(p, sizeof(p), "%s/./sub/../abs", fx->dir);
	e = mk_event(LS_EV_TEMP_CREATE, -1, LS_TEMP_ABS, p);
	ls_temps_event(&fx->t, &e);
	assert_leftovers(fx, "abs");
	assert_counters(&fx->t, 1, 0, 1, 1);
}

/* Replaced by someone else (a new inode at the same path): not ours. */
static void test_recreated_other_inode_not_listed(void **state)
{
	struct fx *fx = *state;
	char a[PATH_MAX], tmp[PATH_MAX];

	create_file(fx, "a", 1);
	create_file(fx, "keep", 1);
	abs_path(fx, "a", a);
	abs_path(fx, "other", tmp);
	/* Both exist at once, so the inode numbers differ. */
	write_file(tmp, 1);
	assert_int_equal(rename(tmp, a), 0);
	assert_leftovers(fx, "keep");
	assert_counters(&fx->t, 2, 0, 2, 2);
}

static void test_dir_replaced_by_file_not_listed(void **state)
{
	struct fx *fx = *state;
	char p[PATH_MAX];

	create_dir(fx, "d");
	abs_path(fx, "d", p);
	assert_int_equal(rmdir(p), 0);
	write_file(p, 1);
	assert_leftovers(fx, "");
}

/* No inode known at all: existence of the right type is all there is. */
static void test_no_inode_matches_any(void **state)
{
	struct fx *fx = *state;
	struct ls_ev_temp e;
	char p[PATH_MAX];

	e = mk_event(LS_EV_TEMP_CREATE, fx->root, 0, "late");
	ls_temps_event(&fx->t, &e);
	abs_path(fx, "late", p);
	write_file(p, 1);
	assert_leftovers(fx, "late");
}

static void test_create_twice_same_path(void **state)
{
	struct fx *fx = *state;
	char p[PATH_MAX];

	create_file(fx, "a", 1);
	abs_path(fx, "a", p);
	assert_int_equal(unlink(p), 0);
	create_file(fx, "a", 1); /* unlink event was lost */
	assert_leftovers(fx, "a");
	assert_counters(&fx->t, 2, 0, 1, 1);
}

static void test_counters_peak(void **state)
{
	struct fx *fx = *state;
	char rel[16];

	for (int i = 0; i < 5; i++) {
		snprintf(rel, sizeof(rel), "f%d", i);
		create_file(fx, rel, 0);
	}
	for (int i = 0; i < 3; i++) {
		snprintf(rel, sizeof(rel), "f%d", i);
		remove_path(fx, rel, true);
	}
	create_file(fx, "g", 0);
	assert_counters(&fx->t, 6, 3, 3, 5);
	assert_leftovers(fx, "f3 f4 g");
}

static void test_many_entries(void **state)
{
	struct fx *fx = *state;
	struct listing l = { .fx = fx };
	char rel[16];

	for (int i = 0; i < 600; i++) {
		snprintf(rel, sizeof(rel), "m%04d", i);
		create_file(fx, rel, 0);
	}
	for (int i = 0; i < 600; i += 2) {
		snprintf(rel, sizeof(rel), "m%04d", i);
		remove_path(fx, rel, true);
	}
	assert_counters(&fx->t, 600, 300, 300, 600);
	assert_int_equal(ls_temps_each_leftover(&fx->t, list_one, &l), 0);
	assert_int_equal(l.visits, 300);
	assert_true(!strncmp(l.text, "m0001 m0003 m0005 ", 18));
	assert_true(strstr(l.text, " m0597 m0599") ==
		    l.text + strlen(l.text) - 12);
}

static void test_each_leftover_stops_early(void **state)
{
	struct fx *fx = *state;
	struct listing l = { .fx = fx, .stop_after = 2 };

	create_file(fx, "a", 0);
	create_file(fx, "b", 0);
	create_file(fx, "c", 0);
	assert_int_equal(ls_temps_each_leftover(&fx->t, list_one, &l), 7);
	assert_int_equal(l.visits, 2);
	assert_string_equal(l.text, "a b");
}

/* Paths filling the whole field, unterminated: read within bounds. */
static void test_unterminated_event_paths(void **state)
{
	struct fx *fx = *state;
	struct ls_ev_temp e;

	e = mk_event(LS_EV_TEMP_CREATE, fx->root, LS_TEMP_TRUNC, "");
	memset(e.path, 'p', sizeof(e.path));
	ls_temps_event(&fx->t, &e);
	assert_counters(&fx->t, 1, 0, 1, 1);
	e.h.type = LS_EV_TEMP_RENAME;
	e.root2_idx = fx->root;
	memset(e.path2, 'q', sizeof(e.path2));
	ls_temps_event(&fx->t, &e);
	assert_counters(&fx->t, 1, 0, 1, 1);
	e.h.type = LS_EV_TEMP_UNLINK;
	memcpy(e.path, e.path2, sizeof(e.path));
	ls_temps_event(&fx->t, &e);
	assert_counters(&fx->t, 1, 1, 0, 1);
	/* NAME_MAX is 255: none of it can exist. */
	assert_leftovers(fx, "");
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

#define FX(t) cmocka_unit_test_setup_teardown(t, fx_setup, fx_teardown)

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
		FX(test_create_listed_in_path_order),
		FX(test_entry_fields),
		FX(test_dir_matched_by_path),
		FX(test_truncated_flag_kept),
		FX(test_created_but_gone_not_listed),
		FX(test_unlink_removes),
		FX(test_counts_per_test),
		FX(test_unlink_event_forgets_entry),
		FX(test_unlink_unknown_ignored),
		FX(test_rename_file),
		FX(test_rename_dir_moves_subtree),
		FX(test_rename_over_existing),
		FX(test_rename_unknown_over_registered),
		FX(test_rename_out_of_roots),
		FX(test_events_outside_roots_ignored),
		FX(test_absolute_create_under_root),
		FX(test_recreated_other_inode_not_listed),
		FX(test_dir_replaced_by_file_not_listed),
		FX(test_no_inode_matches_any),
		FX(test_create_twice_same_path),
		FX(test_counters_peak),
		FX(test_many_entries),
		FX(test_each_leftover_stops_early),
		FX(test_unterminated_event_paths),
		cmocka_unit_test(test_init_missing_root),
		FX(test_init_file_as_root),
		FX(test_init_duplicate_roots),
		FX(test_init_tmpdir),
		FX(test_init_too_many_roots),
		FX(test_dir_bytes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
