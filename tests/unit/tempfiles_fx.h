/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tempfiles_fx.h - the fixture of the user/tempfiles.c tests
 * (test_tempfiles_*.c): a private mkdtemp directory under /tmp, registered
 * as an extra temp root of a fresh struct ls_temps and removed by the
 * teardown, and helpers that name and write files in it.
 *
 * Must not: touch anything outside that directory, or depend on what else
 * is in /tmp. Included by one test file each.
 */
#ifndef LS_TESTS_TEMPFILES_FX_H
#define LS_TESTS_TEMPFILES_FX_H

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "unit.h"
#include "tempfiles.h"

struct fx {
	char dir[PATH_MAX]; /* canonical path of the private root */
	struct ls_temps t;
	int root; /* its index in t.roots */
};

/* ---- the private directory ---- */

static inline void rm_tree(const char *dir)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static inline void make_private_dir(char *out)
{
	char tmpl[] = "/tmp/ls-unit-temps-XXXXXX";

	assert_non_null(mkdtemp(tmpl));
	assert_non_null(realpath(tmpl, out));
}

static inline int fx_setup(void **state)
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

static inline int fx_teardown(void **state)
{
	struct fx *fx = *state;

	ls_temps_free(&fx->t);
	rm_tree(fx->dir);
	free(fx);
	return 0;
}

static inline void abs_path(const struct fx *fx, const char *rel, char *out)
{
	snprintf(out, PATH_MAX, "%s/%s", fx->dir, rel);
}

static inline void write_file(const char *path, size_t size)
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

#define FX(t) cmocka_unit_test_setup_teardown(t, fx_setup, fx_teardown)

#endif
