// SPDX-License-Identifier: GPL-2.0
/*
 * test_suppress_rules.c - unit tests for user/suppress.c: what a rule
 * matches. Blank lines and comments, every kind and "*", the layout of a
 * rule, every field (with sockets of each family and a finding that lacks
 * the field), conditions that must all match, quoting and escapes.
 *
 * Must not: depend on the system (suppress_fx.h).
 */
#include "suppress_fx.h"

/* ---- blank lines, comments, kinds ---- */

static void test_blank_and_comment_lines(void **state)
{
	static const char *const lines[] = {
		"",	 "   ",	 "\t \t",   "\n",     "\r\n",
		"#",	 "# fd", "   # fd", "\t#x\n", "#\"unterminated",
		" \r\n",
	};
	struct ls_suppressions s;

	(void)state;
	ls_supp_init(&s);
	for (size_t i = 0; i < ARRAY_SIZE(lines); i++)
		ADD_NOTHING(&s, lines[i]);
	assert_int_equal(s.n, 0);
	assert_null(s.rules);
	ls_supp_free(&s);
}

static void test_every_kind(void **state)
{
	static const char *const names[] = {
		"fd",	   "socket",   "process", "thread",
		"mapping", "tempfile", "cgroup",
	};

	(void)state;
	assert_int_equal(ARRAY_SIZE(names), LS_KIND_MAX);
	for (int k = 0; k < LS_KIND_MAX; k++) {
		struct ls_suppressions s = one_rule(names[k]);

		assert_int_equal(s.rules[0].kind, k);
		assert_int_equal(s.rules[0].n_conds, 0);
		assert_string_equal(s.rules[0].source, "T");
		assert_int_equal(s.rules[0].hits, 0);
		/* A rule without conditions takes every finding of its kind,
		 * and only those. */
		for (int other = 0; other < LS_KIND_MAX; other++) {
			struct ls_finding f = bare(other, LS_CLASS_ORPHAN);

			assert_int_equal(ls_supp_rule_matches(&s.rules[0], &f),
					 other == k);
		}
		ls_supp_free(&s);
	}
}

static void test_any_kind(void **state)
{
	struct ls_suppressions s = one_rule("* comm=python*");

	(void)state;
	assert_int_equal(s.rules[0].kind, -1);
	for (int k = 0; k < LS_KIND_MAX; k++) {
		struct ls_finding f = bare(k, LS_CLASS_LEAK);

		ls_comm_copy(f.comm, "python3");
		assert_true(ls_supp_rule_matches(&s.rules[0], &f));
		ls_comm_copy(f.comm, "perl");
		assert_false(ls_supp_rule_matches(&s.rules[0], &f));
	}
	ls_supp_free(&s);

	s = one_rule("*");
	for (int k = 0; k < LS_KIND_MAX; k++) {
		struct ls_finding f = bare(k, LS_CLASS_ZOMBIE);

		assert_true(ls_supp_rule_matches(&s.rules[0], &f));
	}
	ls_supp_free(&s);
}

static void test_layout_of_a_rule(void **state)
{
	struct ls_suppressions s;

	(void)state;
	/* Blanks and tabs around words, a trailing comment. */
	s = one_rule("\t socket \t addr=127.0.0.1:*   comm=pg*\t# ours\r\n");
	assert_int_equal(s.rules[0].kind, LS_KIND_SOCKET);
	assert_int_equal(s.rules[0].n_conds, 2);
	assert_int_equal(s.rules[0].conds[0].field, LS_SUPP_ADDR);
	assert_string_equal(s.rules[0].conds[0].glob, "127.0.0.1:*");
	assert_int_equal(s.rules[0].conds[1].field, LS_SUPP_COMM);
	assert_string_equal(s.rules[0].conds[1].glob, "pg*");
	ls_supp_free(&s);

	/* '#' ends a bare word: it starts the comment right there. */
	s = one_rule("fd#comment");
	assert_int_equal(s.rules[0].kind, LS_KIND_FD);
	assert_int_equal(s.rules[0].n_conds, 0);
	ls_supp_free(&s);
	s = one_rule("fd path=/tmp/x#y z=");
	assert_int_equal(s.rules[0].n_conds, 1);
	assert_string_equal(s.rules[0].conds[0].glob, "/tmp/x");
	ls_supp_free(&s);
}

static void test_field_names(void **state)
{
	static const char *const names[] = {
		"path", "comm",	 "test",     "addr",	"argv",
		"type", "class", "database", "creator",
	};

	(void)state;
	assert_int_equal(ARRAY_SIZE(names), LS_SUPP_FIELD_MAX);
	for (int i = 0; i < LS_SUPP_FIELD_MAX; i++) {
		char line[64];
		struct ls_suppressions s;

		assert_string_equal(ls_supp_field_name(i), names[i]);
		snprintf(line, sizeof(line), "* %s=x", names[i]);
		s = one_rule(line);
		assert_int_equal(s.rules[0].conds[0].field, i);
		ls_supp_free(&s);
	}
	assert_string_equal(ls_supp_field_name(-1), "?");
	assert_string_equal(ls_supp_field_name(LS_SUPP_FIELD_MAX), "?");
}

/* ---- fields ---- */

static void test_field_path(void **state)
{
	struct ls_finding f = fd_finding("/var/lib/app/db.sqlite", "file");
	struct ls_finding t = bare(LS_KIND_TEMPFILE, LS_CLASS_ORPHAN);
	struct ls_finding c = bare(LS_KIND_CGROUP, LS_CLASS_ORPHAN);
	struct ls_finding m = bare(LS_KIND_MAPPING, LS_CLASS_LEAK);

	(void)state;
	MATCH("fd path=/var/lib/app/db.sqlite", &f);
	/* flags 0: '*' crosses '/' */
	MATCH("fd path=/var/*", &f);
	MATCH("fd path=*.sqlite", &f);
	MATCH("fd path=/var/lib/app/db.sqlit?", &f);
	MATCH("fd path=/var/lib/app/db.[st]qlite", &f);
	NO_MATCH("fd path=/var/lib", &f);
	NO_MATCH("fd path=*.SQLITE", &f);
	NO_MATCH("fd path=/var/lib/app/db.[!s]qlite", &f);

	t.path = (char *)"/tmp/pytest-of-me/.hidden";
	t.type = "dir";
	MATCH("tempfile path=/tmp/pytest-of-*", &t);
	MATCH("tempfile path=*/.hidden", &t);

	c.path = (char *)"/sys/fs/cgroup/ls/run-1/child";
	MATCH("cgroup path=*/child", &c);
	NO_MATCH("cgroup path=*/other", &c);

	m.path = (char *)"/usr/lib/libfoo.so.1";
	MATCH("mapping path=*/libfoo.so*", &m);
}

static void test_field_comm(void **state)
{
	struct ls_finding f = fd_finding("/x", "file");

	(void)state;
	MATCH("fd comm=python3", &f);
	MATCH("fd comm=py*", &f);
	NO_MATCH("fd comm=python", &f);
	/* A full 16-byte comm, unterminated, is read to its 16th byte. */
	memcpy(f.comm, "0123456789abcdef", LS_COMM_LEN);
	MATCH("fd comm=0123456789abcdef", &f);
	NO_MATCH("fd comm=0123456789abcde", &f);
}

static void test_field_test(void **state)
{
	struct ls_finding f = fd_finding("/x", "file");

	(void)state;
	MATCH("fd test=tests/test_db.py::*", &f);
	MATCH("fd test=\"tests/test_db.py::test_query\\[a b\\]\"", &f);
}

static void test_field_addr_inet(void **state)
{
	struct ls_finding f =
		inet_socket("inet", "10.0.0.2", 40000, "10.0.0.9", 5432);
	struct ls_finding l = inet_socket("inet", "0.0.0.0", 8080, NULL, 0);

	(void)state;
	/* Either end matches. */
	MATCH("socket addr=10.0.0.2:40000", &f);
	MATCH("socket addr=10.0.0.9:5432", &f);
	MATCH("socket addr=*:5432", &f);
	MATCH("socket addr=10.0.0.2:*", &f);
	NO_MATCH("socket addr=10.0.0.2", &f);
	NO_MATCH("socket addr=10.0.0.2:5432", &f);
	/* A listener: no peer. */
	MATCH("socket addr=0.0.0.0:8080", &l);
	NO_MATCH("socket addr=*:0", &l);
}

static void test_field_addr_inet6(void **state)
{
	struct ls_finding f = inet_socket("inet6", "::1", 6379, "::1", 51000);
	struct ls_finding u = inet_socket("inet6", "fe80::1", -1, NULL, 0);

	(void)state;
	MATCH("socket addr=\\[::1\\]:6379", &f);
	MATCH("socket addr=\"[[]::1[]]:51000\"", &f);
	MATCH("socket addr=*:6379", &f);
	NO_MATCH("socket addr=::1:6379", &f);
	NO_MATCH("socket addr=::1", &f);
	/* No port known: the address alone, still in brackets. */
	MATCH("socket addr=\\[fe80::1\\]", &u);
	NO_MATCH("socket addr=*:*:*]:*", &u);
}

static void test_field_addr_unix(void **state)
{
	struct ls_finding f =
		inet_socket("unix", "/run/app.sock", -1,
			    "/var/run/postgresql/.s.PGSQL.5432", -1);
	struct ls_finding a =
		inet_socket("unix", "@abstract-name", -1, NULL, 0);
	struct ls_finding n = inet_socket("unix", "", -1, NULL, 0);

	(void)state;
	MATCH("socket addr=/run/app.sock", &f);
	MATCH("socket addr=*/.s.PGSQL.*", &f);
	NO_MATCH("socket addr=/run/app.sock:*", &f);
	MATCH("socket addr=@abstract-*", &a);
	/* An unnamed socket has no address at all. */
	NO_MATCH("socket addr=*", &n);
	MATCH("socket", &n);
	/* A port given for a unix socket is not shown (there is none). */
	f.local_port = 0;
	MATCH("socket addr=/run/app.sock", &f);
}

static void test_field_argv(void **state)
{
	struct ls_finding p = bare(LS_KIND_PROCESS, LS_CLASS_ORPHAN);

	(void)state;
	p.argv = heap_argv("/usr/bin/redis-server", "--port", "6380", NULL);
	MATCH("process argv=\"/usr/bin/redis-server --port 6380\"", &p);
	MATCH("process argv=\"*redis-server --port *\"", &p);
	MATCH("process argv=*redis-server*", &p);
	NO_MATCH("process argv=redis-server*", &p);
	NO_MATCH("process argv=\"*--port  6380\"", &p);
	free_argv(p.argv);

	/* One word: no trailing space. */
	p.argv = heap_argv("sleep", NULL);
	MATCH("process argv=sleep", &p);
	free_argv(p.argv);

	/* Empty words keep their separators. */
	p.argv = heap_argv("sh", "", "x", NULL);
	MATCH("process argv=\"sh  x\"", &p);
	free_argv(p.argv);

	/* An empty argv is no argv. */
	p.argv = heap_argv(NULL);
	NO_MATCH("process argv=*", &p);
	free_argv(p.argv);
}

static void test_field_type(void **state)
{
	struct ls_finding f = fd_finding("anon_inode:[eventfd]", "eventfd");
	struct ls_finding t = bare(LS_KIND_TEMPFILE, LS_CLASS_LEAK);

	(void)state;
	MATCH("fd type=eventfd", &f);
	MATCH("fd type=*fd", &f);
	NO_MATCH("fd type=pipe", &f);
	t.path = (char *)"/tmp/x";
	t.type = "dir";
	MATCH("tempfile type=dir", &t);
	NO_MATCH("tempfile type=file", &t);
}

static void test_field_class(void **state)
{
	static const char *const names[] = { "leak", "late", "orphan",
					     "zombie" };

	(void)state;
	for (int c = 0; c < LS_CLASS_MAX; c++) {
		struct ls_finding f = bare(LS_KIND_PROCESS, c);

		for (int w = 0; w < LS_CLASS_MAX; w++) {
			char line[64];

			snprintf(line, sizeof(line), "process class=%s",
				 names[w]);
			assert_int_equal(line_matches(line, &f), c == w);
		}
		MATCH("process class=*", &f);
	}
}

static void test_field_database(void **state)
{
	struct ls_finding f =
		inet_socket("inet", "127.0.0.1", 41000, "127.0.0.1", 5432);
	struct ls_finding o = inet_socket("inet", "127.0.0.1", 80, NULL, 0);

	(void)state;
	f.database = "postgresql";
	MATCH("socket database=postgresql", &f);
	MATCH("socket database=postgres*", &f);
	NO_MATCH("socket database=mysql", &f);
	NO_MATCH("socket database=*", &o);
}

static void test_field_creator(void **state)
{
	struct ls_finding f = fd_finding("/x", "file");

	(void)state;
	ls_comm_copy(f.creator_comm, "pytest");
	/* Without has_creator the creator is unknown, whatever the bytes. */
	NO_MATCH("fd creator=pytest", &f);
	NO_MATCH("fd creator=*", &f);
	f.has_creator = true;
	MATCH("fd creator=pytest", &f);
	MATCH("fd creator=py*", &f);
	NO_MATCH("fd creator=python3", &f);
	/* The holder's comm is another field. */
	NO_MATCH("fd comm=pytest", &f);
}

static void test_missing_fields_never_match(void **state)
{
	static const char *const lines[] = {
		"* path=*",  "* comm=*",   "* test=*",	   "* addr=*",
		"* argv=*",  "* type=*",   "* database=*", "* creator=*",
		"* path=?*", "* argv=\\*",
	};
	struct ls_finding f = bare(LS_KIND_PROCESS, LS_CLASS_ORPHAN);
	struct ls_finding e = bare(LS_KIND_FD, LS_CLASS_LEAK);

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(lines); i++)
		NO_MATCH(lines[i], &f);
	/* Empty strings are as absent as NULL. */
	e.path = (char *)"";
	e.test = (char *)"";
	e.type = "";
	e.database = "";
	e.has_creator = true;
	for (size_t i = 0; i < ARRAY_SIZE(lines); i++)
		NO_MATCH(lines[i], &e);
	/* class is always known; no condition, no field needed. */
	MATCH("* class=*", &f);
	MATCH("process", &f);
	MATCH("*", &f);
}

static void test_all_conditions_must_match(void **state)
{
	struct ls_finding f = fd_finding("/tmp/cache.db", "file");

	(void)state;
	MATCH("fd path=/tmp/* comm=python3 type=file class=leak", &f);
	NO_MATCH("fd path=/tmp/* comm=python3 type=file class=late", &f);
	NO_MATCH("fd path=/tmp/* comm=perl type=file class=leak", &f);
	NO_MATCH("fd path=/var/* comm=python3 type=file class=leak", &f);
	/* The kind too. */
	NO_MATCH("socket path=/tmp/* comm=python3", &f);
	/* The same field twice: both. */
	MATCH("fd path=/tmp/* path=*.db", &f);
	NO_MATCH("fd path=/tmp/* path=*.txt", &f);
}

/* ---- quoting ---- */

static void test_quoting(void **state)
{
	struct ls_suppressions s;
	struct ls_finding f = fd_finding("/tmp/my dir/#1", "file");

	(void)state;
	s = one_rule("fd path=\"/tmp/my dir/#1\" # a comment");
	assert_int_equal(s.rules[0].n_conds, 1);
	assert_string_equal(s.rules[0].conds[0].glob, "/tmp/my dir/#1");
	assert_true(ls_supp_rule_matches(&s.rules[0], &f));
	ls_supp_free(&s);

	/* \" and \\ are escapes; other backslashes reach fnmatch. */
	s = one_rule("* path=\"a\\\"b\\\\c\\*d\"");
	assert_string_equal(s.rules[0].conds[0].glob, "a\"b\\c\\*d");
	ls_supp_free(&s);

	f.path = (char *)"say \"hi\"";
	MATCH("fd path=\"say \\\"hi\\\"\"", &f);
	MATCH("fd path=\"*\\\"hi\\\"\"", &f);
	f.path = (char *)"back\\slash";
	/* "\\\\" unquotes to \\, which fnmatch takes as one backslash. */
	MATCH("fd path=\"back\\\\\\\\slash\"", &f);
	MATCH("fd path=back\\\\slash", &f);
	NO_MATCH("fd path=\"back\\\\slash\"", &f);
	f.path = (char *)"star*";
	MATCH("fd path=\"star\\*\"", &f);
	MATCH("fd path=star\\*", &f);
	f.path = (char *)"starry";
	NO_MATCH("fd path=star\\*", &f);

	/* A quoted value may be followed by a blank, a '#' or the end. */
	s = one_rule("fd path=\"a\"#c");
	assert_string_equal(s.rules[0].conds[0].glob, "a");
	ls_supp_free(&s);
	s = one_rule("fd path=\"a\"\tcomm=\"b c\"");
	assert_int_equal(s.rules[0].n_conds, 2);
	assert_string_equal(s.rules[0].conds[1].glob, "b c");
	ls_supp_free(&s);
	/* Blanks at the edges of a quoted value are kept. */
	s = one_rule("fd path=\" x \"");
	assert_string_equal(s.rules[0].conds[0].glob, " x ");
	ls_supp_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_blank_and_comment_lines),
		cmocka_unit_test(test_every_kind),
		cmocka_unit_test(test_any_kind),
		cmocka_unit_test(test_layout_of_a_rule),
		cmocka_unit_test(test_field_names),
		cmocka_unit_test(test_field_path),
		cmocka_unit_test(test_field_comm),
		cmocka_unit_test(test_field_test),
		cmocka_unit_test(test_field_addr_inet),
		cmocka_unit_test(test_field_addr_inet6),
		cmocka_unit_test(test_field_addr_unix),
		cmocka_unit_test(test_field_argv),
		cmocka_unit_test(test_field_type),
		cmocka_unit_test(test_field_class),
		cmocka_unit_test(test_field_database),
		cmocka_unit_test(test_field_creator),
		cmocka_unit_test(test_missing_fields_never_match),
		cmocka_unit_test(test_all_conditions_must_match),
		cmocka_unit_test(test_quoting),
	};

	return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
