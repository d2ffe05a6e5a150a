/* SPDX-License-Identifier: GPL-2.0 */
/*
 * unit.h - small helpers shared by the cmocka unit tests: capturing what a
 * writer prints into a memory buffer, substring / whole-line assertions
 * that show the text they searched when they fail, removing a directory
 * tree (an nftw callback) and building a heap-allocated argv.
 *
 * Must not: depend on any leakscope module (each test links what it needs).
 */
#ifndef LS_TESTS_UNIT_H
#define LS_TESTS_UNIT_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <ftw.h>
#include <sys/stat.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* An open_memstream FILE and the buffer it fills. */
struct capture {
	char *buf;
	size_t len;
	FILE *f;
};

static inline FILE *capture_open(struct capture *c)
{
	c->buf = NULL;
	c->len = 0;
	c->f = open_memstream(&c->buf, &c->len);
	assert_non_null(c->f);
	return c->f;
}

/* Closes the stream; the caller frees the returned (NUL-terminated) text. */
static inline char *capture_close(struct capture *c)
{
	assert_int_equal(fclose(c->f), 0);
	c->f = NULL;
	return c->buf;
}

static inline void check_contains(const char *hay, const char *needle,
				  bool want, const char *file, int line)
{
	bool found = hay && strstr(hay, needle);

	if (found != want) {
		print_error("%s:%d: %s \"%s\" in:\n----\n%s\n----\n", file,
			    line, want ? "missing" : "unexpected", needle,
			    hay ? hay : "(null)");
		fail();
	}
}

/* @needle occurs in @hay (or, for the _not variant, does not). */
#define assert_contains(hay, needle) \
	check_contains((hay), (needle), true, __FILE__, __LINE__)
#define assert_not_contains(hay, needle) \
	check_contains((hay), (needle), false, __FILE__, __LINE__)

/* @text has a line that is exactly @line (no newline in @line). */
static inline void check_line(const char *text, const char *line,
			      const char *file, int lno)
{
	size_t n = strlen(line);

	for (const char *p = text; p && *p;) {
		const char *nl = strchr(p, '\n');
		size_t l = nl ? (size_t)(nl - p) : strlen(p);

		if (l == n && !memcmp(p, line, n))
			return;
		p = nl ? nl + 1 : p + l;
	}
	print_error("%s:%d: no line \"%s\" in:\n----\n%s\n----\n", file, lno,
		    line, text ? text : "(null)");
	fail();
}

#define assert_line(text, line) check_line((text), (line), __FILE__, __LINE__)

/* Removes what nftw visits: nftw(DIR, rm_one, N, FTW_DEPTH | FTW_PHYS). */
static inline int rm_one(const char *path, const struct stat *st, int flag,
			 struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* A malloc'd NULL-terminated copy of the words up to NULL (at most 32). */
static inline char **heap_argv(const char *first, ...)
{
	const char *words[32];
	char **argv;
	size_t n = 0;
	va_list ap;

	va_start(ap, first);
	for (const char *w = first; w && n < ARRAY_SIZE(words);
	     w = va_arg(ap, const char *))
		words[n++] = w;
	va_end(ap);
	argv = calloc(n + 1, sizeof(*argv));
	assert_non_null(argv);
	for (size_t i = 0; i < n; i++) {
		argv[i] = strdup(words[i]);
		assert_non_null(argv[i]);
	}
	return argv;
}

#endif
