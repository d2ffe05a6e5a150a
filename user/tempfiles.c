// SPDX-License-Identifier: GPL-2.0
/*
 * tempfiles.c - see tempfiles.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "tempfiles.h"

uint64_t ls_kernel_dev(dev_t dev)
{
	return ((uint64_t)major(dev) << 20) | minor(dev);
}

static int add_root(struct ls_temps *t, const char *path, bool must_exist,
		    char *why, size_t whylen)
{
	char real[PATH_MAX];
	struct stat st;
	struct ls_temp_root *r;

	if (!realpath(path, real) || stat(real, &st) || !S_ISDIR(st.st_mode)) {
		if (!must_exist)
			return 0;
		snprintf(why, whylen,
			 "--temp-root %s: not an existing "
			 "directory",
			 path);
		return -ENOENT;
	}
	for (int i = 0; i < t->n_roots; i++)
		if (t->roots[i].key.ino == st.st_ino &&
		    t->roots[i].key.dev == ls_kernel_dev(st.st_dev))
			return 0;
	if (t->n_roots >= LS_MAX_TEMP_ROOTS) {
		snprintf(why, whylen, "--temp-root %s: at most %d temp roots",
			 path, LS_MAX_TEMP_ROOTS);
		return -E2BIG;
	}
	r = &t->roots[t->n_roots++];
	snprintf(r->path, sizeof(r->path), "%s", real);
	r->key.dev = ls_kernel_dev(st.st_dev);
	r->key.ino = st.st_ino;
	return 0;
}

static void add_ancestor(struct ls_temps *t, const struct stat *st)
{
	struct ls_temp_root_key k = { ls_kernel_dev(st->st_dev), st->st_ino };

	for (int i = 0; i < t->n_ancestors; i++)
		if (t->ancestors[i].dev == k.dev &&
		    t->ancestors[i].ino == k.ino)
			return;
	if (t->n_ancestors < LS_MAX_TEMP_ANCESTORS)
		t->ancestors[t->n_ancestors++] = k;
}

/* Every directory above each root, up to "/". */
static void find_ancestors(struct ls_temps *t)
{
	char dir[PATH_MAX];
	struct stat st;

	for (int i = 0; i < t->n_roots; i++) {
		snprintf(dir, sizeof(dir), "%s", t->roots[i].path);
		while (strcmp(dir, "/")) {
			char *slash = strrchr(dir, '/');

			if (!slash)
				break;
			slash[slash == dir] = 0; /* "/tmp" -> "/" */
			if (!stat(dir, &st))
				add_ancestor(t, &st);
		}
	}
}

int ls_temps_init(struct ls_temps *t, const char *const *extra, int n_extra,
		  char *why, size_t whylen)
{
	const char *defaults[] = { "/tmp", "/var/tmp", "/dev/shm",
				   getenv("TMPDIR") };
	int err;

	memset(t, 0, sizeof(*t));
	ls_u64map_init(&t->by_path);
	ls_u64map_init(&t->by_test);
	ls_u64map_init(&t->removed_at);
	for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++)
		if (defaults[i] && defaults[i][0] == '/' &&
		    (err = add_root(t, defaults[i], false, why, whylen)))
			return err;
	for (int i = 0; i < n_extra; i++)
		if ((err = add_root(t, extra[i], true, why, whylen)))
			return err;
	find_ancestors(t);
	return 0;
}

static void free_chain(struct ls_temp_entry *e)
{
	while (e) {
		struct ls_temp_entry *next = e->next;

		free(e->path);
		free(e);
		e = next;
	}
}

static int free_one(uint64_t key, void *val, void *ctx)
{
	(void)key;
	(void)ctx;
	free_chain(val);
	return 0;
}

static int free_counts(uint64_t key, void *val, void *ctx)
{
	(void)key;
	(void)ctx;
	free(val);
	return 0;
}

void ls_temps_free(struct ls_temps *t)
{
	ls_u64map_each(&t->by_path, free_one, NULL);
	ls_u64map_free(&t->by_path);
	ls_u64map_each(&t->by_test, free_counts, NULL);
	ls_u64map_free(&t->by_test);
	ls_u64map_free(&t->removed_at);
}

int ls_path_normalize(const char *in, char *out, size_t len)
{
	size_t n = 0;
	const char *p = in;

	if (in[0] != '/')
		return -EINVAL;
	if (len < 2)
		return -ENAMETOOLONG;
	out[n++] = '/';
	while (*p) {
		const char *seg;
		size_t sl;

		while (*p == '/')
			p++;
		seg = p;
		while (*p && *p != '/')
			p++;
		sl = p - seg;
		if (sl == 0 || (sl == 1 && seg[0] == '.'))
			continue;
		if (sl == 2 && seg[0] == '.' && seg[1] == '.') {
			/* Back up one component; "/.." stays "/". */
			while (n > 1 && out[n - 1] != '/')
				n--;
			if (n > 1)
				n--;
			continue;
		}
		if (n + (n > 1) + sl + 1 > len)
			return -ENAMETOOLONG;
		if (n > 1)
			out[n++] = '/';
		memcpy(out + n, seg, sl);
		n += sl;
	}
	out[n] = 0;
	return 0;
}

static bool under(const char *path, const char *root)
{
	size_t n = strlen(root);

	if (!strcmp(root, "/"))
		return true;
	return !strncmp(path, root, n) && path[n] == '/';
}

int ls_temps_resolve(const struct ls_temps *t, int root_idx, uint32_t flags,
		     const char *path, char *out, size_t len)
{
	char joined[PATH_MAX * 2];
	int err;

	if (flags & LS_TEMP_ABS) {
		snprintf(joined, sizeof(joined), "%s", path);
	} else {
		if (root_idx < 0 || root_idx >= t->n_roots)
			return -ENOENT;
		snprintf(joined, sizeof(joined), "%s/%s",
			 t->roots[root_idx].path, path);
	}
	err = ls_path_normalize(joined, out, len);
	if (err)
		return err;
	/* ".." may have walked out of the root; ABS paths start anywhere. */
	for (int i = 0; i < t->n_roots; i++)
		if (under(out, t->roots[i].path))
			return 0;
	return -ENOENT;
}

static struct ls_temp_entry *find(struct ls_temps *t, const char *path)
{
	struct ls_temp_entry *e = ls_u64map_get(&t->by_path, ls_hash_str(path));

	while (e && strcmp(e->path, path))
		e = e->next;
	return e;
}

/* Per-test counts: the kernel's per-test counters do not see temp files. */
struct test_temps {
	uint64_t created, removed, live, peak;
};

static struct test_temps *test_temps(struct ls_temps *t, uint64_t test)
{
	struct test_temps *c;

	if (!test)
		return NULL;
	c = ls_u64map_get(&t->by_test, test);
	if (c)
		return c;
	c = calloc(1, sizeof(*c));
	if (c && ls_u64map_put(&t->by_test, test, c)) {
		free(c);
		c = NULL;
	}
	return c;
}

static void count_test(struct ls_temps *t, uint64_t test, int delta)
{
	struct test_temps *c = test_temps(t, test);

	if (!c)
		return;
	c->live += delta;
	if (c->live > c->peak)
		c->peak = c->live;
}

uint64_t ls_temps_live_of_test(const struct ls_temps *t, uint64_t test)
{
	const struct test_temps *c = ls_u64map_get(&t->by_test, test);

	return c ? c->live : 0;
}

void ls_temps_test_counts(const struct ls_temps *t, uint64_t test,
			  struct ls_test_counts *out)
{
	const struct test_temps *c = ls_u64map_get(&t->by_test, test);

	if (!c)
		return;
	out->created[LS_KIND_TEMPFILE] = c->created;
	out->released[LS_KIND_TEMPFILE] = c->removed;
	out->cur[LS_KIND_TEMPFILE] = c->live;
	out->peak[LS_KIND_TEMPFILE] = c->peak;
}

static void unlink_entry(struct ls_temps *t, struct ls_temp_entry *e)
{
	uint64_t h = ls_hash_str(e->path);
	struct ls_temp_entry *head = ls_u64map_get(&t->by_path, h), **pp;

	for (pp = &head; *pp && *pp != e; pp = &(*pp)->next)
		;
	if (!*pp)
		return;
	*pp = e->next;
	if (head)
		ls_u64map_put(&t->by_path, h, head);
	else
		ls_u64map_del(&t->by_path, h);
	e->next = NULL;
	t->n_live--;
	count_test(t, e->test, -1);
}

static int insert_entry(struct ls_temps *t, struct ls_temp_entry *e)
{
	uint64_t h = ls_hash_str(e->path);

	e->next = ls_u64map_get(&t->by_path, h);
	if (ls_u64map_put(&t->by_path, h, e))
		return -ENOMEM;
	if (++t->n_live > t->peak_live)
		t->peak_live = t->n_live;
	count_test(t, e->test, 1);
	return 0;
}

static void on_create(struct ls_temps *t, const struct ls_ev_temp *ev,
		      const char *path)
{
	struct ls_temp_entry *e = find(t, path);
	struct test_temps *c;

	if (e) { /* replaced (O_CREAT after unlink we missed): start over */
		unlink_entry(t, e);
		free_chain(e);
	}
	e = calloc(1, sizeof(*e));
	if (!e || !(e->path = strdup(path))) {
		free(e);
		return;
	}
	e->is_dir = ev->flags & LS_TEMP_DIR;
	e->truncated = ev->flags & LS_TEMP_TRUNC;
	e->tgid = ev->h.tgid;
	e->tid = ev->h.tid;
	memcpy(e->comm, ev->h.comm, sizeof(e->comm));
	e->ts = ev->h.ts;
	e->test = ev->h.test;
	/* mkdir gives no inode, and reading it now could catch a newer
	 * directory of the same name (mkdir D; mv D D.old; mkdir D): such
	 * entries are matched by path and type only. */
	if (ev->flags & LS_TEMP_HAS_INO) {
		e->has_ino = true;
		e->dev = ev->dev;
		e->ino = ev->ino;
	}
	if (insert_entry(t, e)) {
		free(e->path);
		free(e);
		return;
	}
	t->n_created++;
	if (e->test && (c = test_temps(t, e->test)))
		c->created++;
}

uint64_t ls_temps_removed_at(const struct ls_temps *t, const char *path)
{
	return (uintptr_t)ls_u64map_get(&t->removed_at, ls_hash_str(path));
}

static void on_remove(struct ls_temps *t, const char *path, uint64_t ts)
{
	struct ls_temp_entry *e = find(t, path);

	struct test_temps *c;

	if (!e)
		return;
	if (e->test) /* only a test's objects are asked about later */
		ls_u64map_put(&t->removed_at, ls_hash_str(path),
			      (void *)(uintptr_t)(ts ? ts : 1));
	if (e->test && (c = test_temps(t, e->test)))
		c->removed++;
	unlink_entry(t, e);
	free_chain(e);
	t->n_removed++;
}

struct rename_walk {
	const char *from;
	size_t from_len;
	struct ls_temp_entry **moved;
	size_t n, cap;
};

static int collect_below(uint64_t key, void *val, void *ctx)
{
	struct rename_walk *w = ctx;
	struct ls_temp_entry *e;

	(void)key;
	for (e = val; e; e = e->next) {
		if (strncmp(e->path, w->from, w->from_len) ||
		    (e->path[w->from_len] && e->path[w->from_len] != '/'))
			continue;
		if (w->n == w->cap) {
			size_t cap = w->cap ? w->cap * 2 : 8;
			void *g = realloc(w->moved, cap * sizeof(*w->moved));

			if (!g)
				return -ENOMEM;
			w->moved = g;
			w->cap = cap;
		}
		w->moved[w->n++] = e;
	}
	return 0;
}

/* Entries at or below @from, taken out of the registry. */
static struct rename_walk take_below(struct ls_temps *t, const char *from)
{
	struct rename_walk w = { .from = from, .from_len = strlen(from) };

	ls_u64map_each(&t->by_path, collect_below, &w);
	for (size_t i = 0; i < w.n; i++)
		unlink_entry(t, w.moved[i]);
	return w;
}

/* Put taken entries back with @to in place of their @from prefix. */
static void put_below(struct ls_temps *t, struct rename_walk *w, const char *to)
{
	char path[PATH_MAX * 2];

	for (size_t i = 0; i < w->n; i++) {
		struct ls_temp_entry *e = w->moved[i];
		char *renamed;

		snprintf(path, sizeof(path), "%s%s", to, e->path + w->from_len);
		renamed = strdup(path);
		if (renamed) {
			free(e->path);
			e->path = renamed;
		}
		if (insert_entry(t, e))
			free_chain(e);
	}
	free(w->moved);
}

/* A rename moves the object and everything registered below it; with
 * RENAME_EXCHANGE the two names swap what they hold. */
static void on_rename(struct ls_temps *t, const char *from, const char *to,
		      bool exchange, uint64_t ts)
{
	struct rename_walk a, b;

	if (!strcmp(from, to))
		return;
	if (!exchange)
		on_remove(t, to, ts); /* rename(2) replaces what was there */
	a = take_below(t, from);
	b = take_below(t, to);
	put_below(t, &a, to);
	put_below(t, &b, from);
}

void ls_temps_event(struct ls_temps *t, const struct ls_ev_temp *e)
{
	char a[PATH_MAX], b[PATH_MAX], p1[LS_TEMP_PATH_LEN + 1],
		p2[LS_TEMP_PATH_LEN + 1];
	bool ra, rb;

	/* The kernel NUL-terminates; do not rely on it. */
	memcpy(p1, e->path, LS_TEMP_PATH_LEN);
	p1[LS_TEMP_PATH_LEN] = 0;
	memcpy(p2, e->path2, LS_TEMP_PATH_LEN);
	p2[LS_TEMP_PATH_LEN] = 0;
	ra = !ls_temps_resolve(t, e->root_idx, e->flags, p1, a, sizeof(a));
	switch (e->h.type) {
	case LS_EV_TEMP_CREATE:
		if (ra)
			on_create(t, e, a);
		break;
	case LS_EV_TEMP_UNLINK:
		if (ra)
			on_remove(t, a, e->h.ts);
		break;
	case LS_EV_TEMP_RENAME:
		rb = !ls_temps_resolve(t, e->root2_idx, e->flags2, p2, b,
				       sizeof(b));
		/* Moved out of the temp roots: still ours, under its new
		 * name, if the process gave it absolutely. */
		if (!rb && (e->flags2 & LS_TEMP_ABS))
			rb = !ls_path_normalize(p2, b, sizeof(b));
		if (ra && rb)
			on_rename(t, a, b, e->flags2 & LS_TEMP_EXCHANGE,
				  e->h.ts);
		else if (ra)
			on_remove(t, a, e->h.ts);
		break;
	}
}

struct leftover_walk {
	struct ls_temp_entry **list;
	size_t n, cap;
};

static int collect_all(uint64_t key, void *val, void *ctx)
{
	struct leftover_walk *w = ctx;

	(void)key;
	for (struct ls_temp_entry *e = val; e; e = e->next) {
		if (w->n == w->cap) {
			size_t cap = w->cap ? w->cap * 2 : 16;
			void *g = realloc(w->list, cap * sizeof(*w->list));

			if (!g)
				return -ENOMEM;
			w->list = g;
			w->cap = cap;
		}
		w->list[w->n++] = e;
	}
	return 0;
}

static int by_path(const void *a, const void *b)
{
	const struct ls_temp_entry *x = *(void *const *)a,
				   *y = *(void *const *)b;

	return strcmp(x->path, y->path);
}

static bool still_ours(const struct ls_temp_entry *e, const struct stat *st)
{
	if (S_ISDIR(st->st_mode) != e->is_dir)
		return false;
	return !e->has_ino ||
	       (e->ino == st->st_ino && e->dev == ls_kernel_dev(st->st_dev));
}

int ls_temps_each_leftover(struct ls_temps *t,
			   int (*fn)(const struct ls_temp_entry *e,
				     const struct stat *st, void *ctx),
			   void *ctx)
{
	struct leftover_walk w = { 0 };
	struct stat st;
	int err = ls_u64map_each(&t->by_path, collect_all, &w);

	if (!err && w.n)
		qsort(w.list, w.n, sizeof(*w.list), by_path);
	for (size_t i = 0; !err && i < w.n; i++)
		if (!lstat(w.list[i]->path, &st) && still_ours(w.list[i], &st))
			err = fn(w.list[i], &st, ctx);
	free(w.list);
	return err;
}

/* nftw takes no context pointer; the agent is single-threaded. */
static uint64_t walk_bytes;
static unsigned long walk_entries;

static int add_bytes(const char *path, const struct stat *st, int type,
		     struct FTW *ftw)
{
	(void)path;
	(void)ftw;
	if (type == FTW_F && S_ISREG(st->st_mode))
		walk_bytes += st->st_size;
	/* A runaway tree must not stall the report. */
	return ++walk_entries > 100000;
}

uint64_t ls_temps_dir_bytes(const char *dir)
{
	walk_bytes = 0;
	walk_entries = 0;
	nftw(dir, add_bytes, 16, FTW_PHYS | FTW_MOUNT);
	return walk_bytes;
}
