/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cli_fx.h - helpers of the user/cli.c tests (test_cli_*.c): parsing a
 * command line given as words, and checking that it is accepted or
 * rejected (-EINVAL, with the offending word in the message).
 *
 * Must not: touch the system; the parser is pure and so are these
 * helpers. Included by one test file each.
 */
#ifndef LS_TESTS_CLI_FX_H
#define LS_TESTS_CLI_FX_H

#include <errno.h>
#include <limits.h>
#include <math.h>

#include "unit.h"
#include "cli.h"

#define ERRLEN 256

/* The words of one command line; argv[0] is added, NULL ends the list. */
#define WORDS(...) ((char *[]){ "leakscope", __VA_ARGS__, NULL })

static inline int count_words(char **argv)
{
	int n = 0;

	while (argv[n])
		n++;
	return n;
}

/* ls_cli_parse on @argv; err is cleared to junk first to see it written. */
static inline int parse(char **argv, struct ls_opts *o, char *err)
{
	memset(err, 'J', ERRLEN);
	err[ERRLEN - 1] = 0;
	return ls_cli_parse(count_words(argv), argv, o, err, ERRLEN);
}

static inline void check_ok(char **argv, struct ls_opts *o, const char *file,
			    int line)
{
	char err[ERRLEN];
	int rc = parse(argv, o, err);

	if (rc != 0) {
		print_error("%s:%d: rejected (%d): %s\n", file, line, rc, err);
		fail();
	}
}

/* Parsing must succeed; @o holds the result. */
#define PARSE_OK(o, ...) check_ok(WORDS(__VA_ARGS__), (o), __FILE__, __LINE__)

static inline void check_reject(char **argv, const char *needle,
				const char *file, int line)
{
	char err[ERRLEN];
	struct ls_opts o;
	int rc = parse(argv, &o, err);

	if (rc != -EINVAL) {
		print_error("%s:%d: rc %d, want -EINVAL (err \"%s\")\n", file,
			    line, rc, rc ? err : "");
		fail();
	}
	if (!strstr(err, needle)) {
		print_error("%s:%d: message \"%s\" does not name \"%s\"\n",
			    file, line, err, needle);
		fail();
	}
}

/* Parsing must fail with -EINVAL and a message that contains @needle. */
#define REJECT(needle, ...) \
	check_reject(WORDS(__VA_ARGS__), (needle), __FILE__, __LINE__)

static inline void assert_argv(char **got, const char *const *want)
{
	size_t i;

	assert_non_null(got);
	for (i = 0; want[i]; i++) {
		assert_non_null(got[i]);
		assert_string_equal(got[i], want[i]);
	}
	assert_null(got[i]);
}

#endif
