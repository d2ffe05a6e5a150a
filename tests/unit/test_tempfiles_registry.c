// SPDX-License-Identifier: GPL-2.0
/*
 * test_tempfiles_registry.c - unit tests for user/tempfiles.c: the registry
 * fed with hand-built struct ls_ev_temp records: create, unlink, rename of
 * files and directory trees, events outside the roots, replaced inodes,
 * counters per test and their peaks, many entries, and each_leftover.
 *
 * Every file these tests create lives in the private directory of
 * tempfiles_fx.h. Must not: touch anything outside that directory, or
 * depend on what else is in /tmp.
 */
#include "tempfiles_fx.h"

#define TGID 4242
#define TID  4243

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

int main(void)
{
	const struct CMUnitTest tests[] = {
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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
