// SPDX-License-Identifier: GPL-2.0
/*
 * test_suppress_reject.c - unit tests for user/suppress.c: every rejection
 * with its exact message (unknown kinds, fields and values, bad globs, too
 * many conditions), lines at and past the length limit, NUL arguments and
 * short error buffers; then first-rule-wins, hit counting and sources.
 *
 * Must not: depend on the system (suppress_fx.h).
 */
#include "suppress_fx.h"

/* ---- helpers ---- */

static void check_reject(const char *line, const char *want, const char *file,
			 int lno)
{
	struct ls_suppressions s;
	char err[ERRLEN];
	int rc;

	ls_supp_init(&s);
	ADD_OK(&s, "fd");
	rc = ls_supp_add_line(&s, line, "T", err, sizeof(err));
	if (rc != -EINVAL || strcmp(err, want)) {
		print_error("%s:%d: \"%s\": rc %d, err\n  \"%s\", want -EINVAL"
			    " and\n  \"%s\"\n",
			    file, lno, line, rc, rc ? err : "", want);
		fail();
	}
	/* Nothing was added, what was there stays. */
	assert_int_equal(s.n, 1);
	assert_int_equal(s.rules[0].kind, LS_KIND_FD);
	ls_supp_free(&s);
}

/* @line is rejected with -EINVAL and exactly the message @want. */
#define REJECT(line, want) check_reject((line), (want), __FILE__, __LINE__)

/* ---- rejections ---- */

static void test_reject_kind(void **state)
{
	(void)state;
	REJECT("FD", "unknown kind 'FD' (expected " KINDS_HELP ")");
	REJECT("sockets addr=*",
	       "unknown kind 'sockets' (expected " KINDS_HELP ")");
	REJECT("** path=x", "unknown kind '**' (expected " KINDS_HELP ")");
	REJECT("\"fd\"", "unknown kind '\"fd\"' (expected " KINDS_HELP ")");
	REJECT("path=/tmp/x", "missing kind before 'path=/tmp/x' (a rule "
			      "starts with " KINDS_HELP ")");
	/* Control bytes are shown as '?', long words cut. */
	REJECT("f\x01\x7f\xff", "unknown kind 'f??"
				"?' (expected " KINDS_HELP ")");
	REJECT("abcdefghijabcdefghijabcdefghijabcdefghijabcdefghij",
	       "unknown kind 'abcdefghijabcdefghijabcdefghijabcdefghij...' "
	       "(expected " KINDS_HELP ")");
}

static void test_reject_field(void **state)
{
	(void)state;
	REJECT("fd name=x", "unknown field 'name' (expected " FIELDS_HELP ")");
	REJECT("fd PATH=x", "unknown field 'PATH' (expected " FIELDS_HELP ")");
	REJECT("fd =x", "unknown field '' (expected " FIELDS_HELP ")");
	REJECT("fd path=x comm", "missing '=' in condition 'comm' (expected "
				 "FIELD=GLOB)");
	REJECT("fd /tmp/x", "missing '=' in condition '/tmp/x' (expected "
			    "FIELD=GLOB)");
	REJECT("fd path#=x", "missing '=' in condition 'path' (expected "
			     "FIELD=GLOB)");
	REJECT("fd path =x", "missing '=' in condition 'path' (expected "
			     "FIELD=GLOB)");
}

static void test_reject_value(void **state)
{
	(void)state;
	REJECT("fd path=", "empty glob for field 'path'");
	REJECT("fd path= comm=x", "empty glob for field 'path'");
	REJECT("fd path=#x", "empty glob for field 'path'");
	REJECT("fd comm=\"\"", "empty glob for field 'comm'");
	REJECT("fd path=\"/tmp/x", "unterminated quote in value of field "
				   "'path'");
	REJECT("fd path=\"/tmp/x\\\"", "unterminated quote in value of field "
				       "'path'");
	REJECT("fd path=\"", "unterminated quote in value of field 'path'");
	REJECT("fd argv=\"a\"b", "text after the closing quote of field "
				 "'argv'");
	REJECT("fd argv=\"a\"\"b\"", "text after the closing quote of field "
				     "'argv'");
	REJECT("fd path=a\"b\"", "unexpected '\"' in value of field 'path' "
				 "(quote the whole value)");
}

static void test_reject_glob(void **state)
{
	(void)state;
	REJECT("fd path=[abc",
	       "invalid glob '[abc' for field 'path': unterminated '['");
	REJECT("fd path=/tmp/[", "invalid glob '/tmp/[' for field 'path': "
				 "unterminated '['");
	REJECT("fd path=[]", "invalid glob '[]' for field 'path': "
			     "unterminated '['");
	REJECT("fd path=[!]", "invalid glob '[!]' for field 'path': "
			      "unterminated '['");
	REJECT("fd path=[a\\]", "invalid glob '[a\\]' for field 'path': "
				"unterminated '['");
	REJECT("fd path=x\\", "invalid glob 'x\\' for field 'path': ends with "
			      "a lone '\\'");
	/* fd path=x\#c: the '#' starts a comment, leaving "x\". */
	REJECT("fd path=x\\#c", "invalid glob 'x\\' for field 'path': ends "
				"with a lone '\\'");
	REJECT("fd path=[[:foo:]]", "invalid glob '[[:foo:]]' for field "
				    "'path': unknown character class");
	REJECT("fd path=[[:alpha:]", "invalid glob '[[:alpha:]' for field "
				     "'path': unterminated '['");
	REJECT("fd path=[[:alpha]]", "invalid glob '[[:alpha]]' for field "
				     "'path': unterminated '[:'");
	REJECT("fd path=[[=a]", "invalid glob '[[=a]' for field 'path': "
				"unterminated '[='");
	REJECT("fd path=[[.a]", "invalid glob '[[.a]' for field 'path': "
				"unterminated '[.'");
	REJECT("fd path=[[==]]", "invalid glob '[[==]]' for field 'path': "
				 "empty collating element");
	REJECT("fd comm=\"a [b\"", "invalid glob 'a [b' for field 'comm': "
				   "unterminated '['");
}

static void test_valid_globs(void **state)
{
	static const char *const ok[] = {
		"fd path=[]]",
		"fd path=[!]]",
		"fd path=[^a]",
		"fd path=[[:alpha:]]",
		"fd path=[[:xdigit:]x]",
		"fd path=\\[",
		"fd path=[\\]]",
		"fd path=[[.a.]]",
		"fd path=[[=a=]]",
		"fd path=[a-z]*",
		"fd path=[[]",
		"fd path=\\\\",
		"fd path=a]",
	};
	struct ls_finding f = fd_finding("]", "file");
	struct ls_suppressions s;

	(void)state;
	ls_supp_init(&s);
	for (size_t i = 0; i < ARRAY_SIZE(ok); i++)
		ADD_OK(&s, ok[i]);
	assert_int_equal(s.n, ARRAY_SIZE(ok));
	ls_supp_free(&s);
	MATCH("fd path=[]]", &f);
	MATCH("fd path=[\\]]", &f);
	NO_MATCH("fd path=[!]]", &f);
	f.path = (char *)"[";
	MATCH("fd path=\\[", &f);
	MATCH("fd path=[[]", &f);
	f.path = (char *)"7";
	MATCH("fd path=[[:digit:]]", &f);
	NO_MATCH("fd path=[[:alpha:]]", &f);
}

static void test_too_many_conditions(void **state)
{
	char line[512];
	size_t n = 0;
	struct ls_suppressions s;

	(void)state;
	n += (size_t)snprintf(line + n, sizeof(line) - n, "fd");
	for (int i = 0; i < LS_SUPP_MAX_CONDS; i++)
		n += (size_t)snprintf(line + n, sizeof(line) - n, " path=%d*",
				      i % 2);
	s = one_rule(line);
	assert_int_equal(s.rules[0].n_conds, 16);
	assert_string_equal(s.rules[0].conds[15].glob, "1*");
	ls_supp_free(&s);

	/* A comment after the 16th is fine. */
	snprintf(line + n, sizeof(line) - n, " # path=x");
	s = one_rule(line);
	ls_supp_free(&s);

	snprintf(line + n, sizeof(line) - n, " comm=x");
	REJECT(line, "too many conditions (at most 16 per rule)");
}

static void test_line_length(void **state)
{
	char *line = malloc(LS_SUPP_LINE_MAX + 8);
	struct ls_suppressions s;
	size_t n;

	(void)state;
	assert_non_null(line);
	/* "fd path=" and a glob up to exactly 4096 bytes. */
	memcpy(line, "fd path=", 8);
	memset(line + 8, 'a', LS_SUPP_LINE_MAX - 9);
	line[LS_SUPP_LINE_MAX - 1] = '*';
	line[LS_SUPP_LINE_MAX] = 0;
	s = one_rule(line);
	n = strlen(s.rules[0].conds[0].glob);
	assert_int_equal(n, LS_SUPP_LINE_MAX - 8);
	ls_supp_free(&s);
	/* The line terminator does not count. */
	memcpy(line + LS_SUPP_LINE_MAX, "\r\n", 3);
	s = one_rule(line);
	ls_supp_free(&s);
	memcpy(line + LS_SUPP_LINE_MAX, "\n", 2);
	s = one_rule(line);
	ls_supp_free(&s);
	/* A '\r' at the end is ignored, with or without the '\n'. */
	memcpy(line + LS_SUPP_LINE_MAX, "\r", 2);
	s = one_rule(line);
	ls_supp_free(&s);
	/* One more byte is too many, whatever it is. */
	memcpy(line + LS_SUPP_LINE_MAX, "x", 2);
	REJECT(line, "line too long (over 4096 bytes)");
	memcpy(line + LS_SUPP_LINE_MAX, "\r\r", 3);
	REJECT(line, "line too long (over 4096 bytes)");
	memcpy(line + LS_SUPP_LINE_MAX, " \r\n", 4);
	REJECT(line, "line too long (over 4096 bytes)");
	/* A comment counts too. */
	memset(line, '#', LS_SUPP_LINE_MAX + 1);
	line[LS_SUPP_LINE_MAX + 1] = 0;
	REJECT(line, "line too long (over 4096 bytes)");
	free(line);
}

static void test_line_break_inside(void **state)
{
	(void)state;
	REJECT("fd\npath=x", "line break inside the rule");
	REJECT("fd\n\n", "line break inside the rule");
	REJECT("\nfd", "line break inside the rule");
}

static void test_null_arguments(void **state)
{
	struct ls_suppressions s;
	struct ls_finding f = fd_finding("/x", "file");
	char err[ERRLEN];

	(void)state;
	ls_supp_init(&s);
	assert_int_equal(ls_supp_add_line(&s, NULL, "T", err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "no rule");
	/* No err buffer: still parsed, still rejected. */
	assert_int_equal(ls_supp_add_line(&s, "fd", NULL, NULL, 0), 0);
	assert_int_equal(ls_supp_add_line(&s, "fd x", NULL, NULL, 0), -EINVAL);
	assert_int_equal(ls_supp_add_line(&s, "fd x", NULL, err, 0), -EINVAL);
	assert_int_equal(s.n, 1);
	/* A NULL source is "". */
	assert_string_equal(s.rules[0].source, "");
	assert_null(ls_supp_match(NULL, &f));
	assert_null(ls_supp_match(&s, NULL));
	assert_false(ls_supp_rule_matches(NULL, &f));
	assert_false(ls_supp_rule_matches(&s.rules[0], NULL));
	ls_supp_free(&s);
	ls_supp_free(NULL);
}

static void test_err_truncated(void **state)
{
	struct ls_suppressions s;
	char err[8];

	(void)state;
	ls_supp_init(&s);
	memset(err, 'J', sizeof(err));
	assert_int_equal(ls_supp_add_line(&s, "nope", "T", err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "unknown");
	ls_supp_free(&s);
}

/* ---- matching: order, hits ---- */

static void test_first_rule_wins(void **state)
{
	struct ls_suppressions s;
	struct ls_finding a = fd_finding("/tmp/a", "file");
	struct ls_finding b = fd_finding("/tmp/b", "file");
	struct ls_finding p = fd_finding("/dev/pts/0", "chardev");
	struct ls_supp_rule *r;

	(void)state;
	ls_supp_init(&s);
	ADD_OK(&s, "fd path=/tmp/a");
	ADD_OK(&s, "fd path=/tmp/*");
	ADD_OK(&s, "* comm=python3");
	assert_int_equal(s.n, 3);

	r = ls_supp_match(&s, &a);
	assert_ptr_equal(r, &s.rules[0]);
	r = ls_supp_match(&s, &b);
	assert_ptr_equal(r, &s.rules[1]);
	r = ls_supp_match(&s, &a);
	assert_ptr_equal(r, &s.rules[0]);
	r = ls_supp_match(&s, &p);
	assert_ptr_equal(r, &s.rules[2]);
	ls_comm_copy(p.comm, "bash");
	assert_null(ls_supp_match(&s, &p));

	assert_int_equal(s.rules[0].hits, 2);
	assert_int_equal(s.rules[1].hits, 1);
	assert_int_equal(s.rules[2].hits, 1);
	/* rule_matches does not count. */
	assert_true(ls_supp_rule_matches(&s.rules[1], &a));
	assert_int_equal(s.rules[1].hits, 1);
	ls_supp_free(&s);

	/* An empty list matches nothing. */
	assert_int_equal(s.n, 0);
	assert_null(ls_supp_match(&s, &a));
}

static void test_many_rules(void **state)
{
	struct ls_suppressions s;
	struct ls_finding f = fd_finding("/tmp/999", "file");
	char line[64];

	(void)state;
	ls_supp_init(&s);
	for (int i = 0; i < 1000; i++) {
		snprintf(line, sizeof(line), "fd path=/tmp/%d", i);
		ADD_OK(&s, line);
	}
	assert_int_equal(s.n, 1000);
	assert_true(s.cap >= 1000);
	assert_ptr_equal(ls_supp_match(&s, &f), &s.rules[999]);
	assert_int_equal(s.rules[999].hits, 1);
	ls_supp_free(&s);
	assert_null(s.rules);
	assert_int_equal(s.cap, 0);
	/* Usable after free. */
	ADD_OK(&s, "fd");
	ls_supp_free(&s);
}

static void test_sources(void **state)
{
	struct ls_suppressions s;
	char err[ERRLEN];

	(void)state;
	ls_supp_init(&s);
	assert_int_equal(ls_supp_add_line(&s, "process comm=redis*", "ALLOW",
					  err, sizeof(err)),
			 0);
	assert_string_equal(s.rules[0].source, "ALLOW");
	ls_supp_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reject_kind),
		cmocka_unit_test(test_reject_field),
		cmocka_unit_test(test_reject_value),
		cmocka_unit_test(test_reject_glob),
		cmocka_unit_test(test_valid_globs),
		cmocka_unit_test(test_too_many_conditions),
		cmocka_unit_test(test_line_length),
		cmocka_unit_test(test_line_break_inside),
		cmocka_unit_test(test_null_arguments),
		cmocka_unit_test(test_err_truncated),
		cmocka_unit_test(test_first_rule_wins),
		cmocka_unit_test(test_many_rules),
		cmocka_unit_test(test_sources),
	};

	return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
