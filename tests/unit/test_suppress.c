// SPDX-License-Identifier: GPL-2.0
/*
 * test_suppress.c - unit tests for user/suppress.c: every kind and "*",
 * every field (with sockets of each family and a finding that lacks the
 * field), conditions that must all match, quoting, escapes and comments,
 * every rejection with its exact message (and file line), lines at and past
 * the length limit, NUL bytes and random bytes (a fixed-seed fuzz loop),
 * first-rule-wins and hit counting.
 *
 * Must not: depend on the system beyond a private temporary directory for
 * the files it loads.
 */
#include <errno.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"
#include "suppress.h"

#define ERRLEN 512

#define KINDS_HELP "fd, socket, process, thread, mapping, tempfile, cgroup or *"
#define FIELDS_HELP \
	"path, comm, test, addr, argv, type, class, database or creator"

/* ---- helpers ---- */

static char tmpdir[64];

static int setup_dir(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/ls-supp-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown_dir(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Write @len bytes of @data to a new file in tmpdir; returns its path. */
static char *write_file(const char *name, const void *data, size_t len)
{
	char *path;
	FILE *f;

	assert_true(asprintf(&path, "%s/%s", tmpdir, name) > 0);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	return path;
}

static void check_add(struct ls_suppressions *s, const char *line, int want,
		      const char *file, int lno)
{
	char err[ERRLEN];
	int rc;

	memset(err, 'J', sizeof(err));
	err[sizeof(err) - 1] = 0;
	rc = ls_supp_add_line(s, line, "T", err, sizeof(err));
	if (rc != want) {
		print_error("%s:%d: \"%s\": rc %d, want %d (err \"%s\")\n",
			    file, lno, line, rc, want, err);
		fail();
	}
	assert_string_equal(err, "");
}

/* @line parses to a rule (ADD_OK) or to nothing (ADD_NOTHING). */
#define ADD_OK(s, line)	     check_add((s), (line), 0, __FILE__, __LINE__)
#define ADD_NOTHING(s, line) check_add((s), (line), 1, __FILE__, __LINE__)

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

/* The only rule of @line. */
static struct ls_suppressions one_rule(const char *line)
{
	struct ls_suppressions s;

	ls_supp_init(&s);
	ADD_OK(&s, line);
	assert_int_equal(s.n, 1);
	return s;
}

static bool line_matches(const char *line, const struct ls_finding *f)
{
	struct ls_suppressions s = one_rule(line);
	bool m = ls_supp_rule_matches(&s.rules[0], f);

	ls_supp_free(&s);
	return m;
}

#define MATCH(line, f)	  assert_true(line_matches((line), (f)))
#define NO_MATCH(line, f) assert_false(line_matches((line), (f)))

static char **heap_argv(const char *first, ...)
{
	const char *words[16];
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

static void free_argv(char **argv)
{
	for (char **a = argv; a && *a; a++)
		free(*a);
	free(argv);
}

/* A finding with nothing set but its kind and class. */
static struct ls_finding bare(enum ls_kind kind, enum ls_class cls)
{
	struct ls_finding f;

	memset(&f, 0, sizeof(f));
	f.kind = kind;
	f.cls = cls;
	f.local_port = -1;
	f.peer_port = -1;
	f.created_at = -1;
	return f;
}

static struct ls_finding fd_finding(const char *path, const char *type)
{
	struct ls_finding f = bare(LS_KIND_FD, LS_CLASS_LEAK);

	f.pid = 42;
	f.fd = 7;
	ls_comm_copy(f.comm, "python3");
	f.path = (char *)path;
	f.type = type;
	f.test = (char *)"tests/test_db.py::test_query[a b]";
	return f;
}

static struct ls_finding inet_socket(const char *family, const char *local,
				     int lport, const char *peer, int pport)
{
	struct ls_finding f = bare(LS_KIND_SOCKET, LS_CLASS_LEAK);

	ls_comm_copy(f.comm, "worker");
	f.family = family;
	f.type = "socket";
	f.path = (char *)"socket:[456]";
	snprintf(f.local_addr, sizeof(f.local_addr), "%s", local);
	f.local_port = lport;
	if (peer) {
		snprintf(f.peer_addr, sizeof(f.peer_addr), "%s", peer);
		f.peer_port = pport;
	}
	return f;
}

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

/* ---- files ---- */

static void test_load_file(void **state)
{
	static const char text[] =
		"# known leftovers\n"
		"\n"
		"socket addr=127.0.0.1:5432   # the test database\r\n"
		"  process argv=\"*redis-server *\" class=orphan\n"
		"\t# indented comment\n"
		"tempfile path=/tmp/pytest-of-*"; /* no final newline */
	char *path = write_file("ok", text, sizeof(text) - 1);
	struct ls_suppressions s;
	char err[ERRLEN], want[256];

	(void)state;
	ls_supp_init(&s);
	ADD_OK(&s, "fd");
	memset(err, 'J', sizeof(err));
	err[sizeof(err) - 1] = 0;
	assert_int_equal(ls_supp_load(&s, path, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(s.n, 4);
	assert_int_equal(s.rules[1].kind, LS_KIND_SOCKET);
	assert_string_equal(s.rules[1].conds[0].glob, "127.0.0.1:5432");
	snprintf(want, sizeof(want), "%s:3", path);
	assert_string_equal(s.rules[1].source, want);
	assert_int_equal(s.rules[2].kind, LS_KIND_PROCESS);
	assert_int_equal(s.rules[2].n_conds, 2);
	assert_string_equal(s.rules[2].conds[0].glob, "*redis-server *");
	snprintf(want, sizeof(want), "%s:4", path);
	assert_string_equal(s.rules[2].source, want);
	assert_int_equal(s.rules[3].kind, LS_KIND_TEMPFILE);
	snprintf(want, sizeof(want), "%s:6", path);
	assert_string_equal(s.rules[3].source, want);
	ls_supp_free(&s);
	free(path);
}

static void check_load_error(const char *data, size_t len, int want_rc,
			     const char *want, const char *file, int lno)
{
	char *path = write_file("bad", data, len), expect[ERRLEN];
	struct ls_suppressions s;
	char err[ERRLEN];
	int rc;

	ls_supp_init(&s);
	ADD_OK(&s, "cgroup");
	rc = ls_supp_load(&s, path, err, sizeof(err));
	snprintf(expect, sizeof(expect), "%s%s", path, want);
	if (rc != want_rc || strcmp(err, expect)) {
		print_error("%s:%d: rc %d, err\n  \"%s\", want %d and\n  "
			    "\"%s\"\n",
			    file, lno, rc, err, want_rc, expect);
		fail();
	}
	/* All or nothing: only what was there before is left. */
	assert_int_equal(s.n, 1);
	assert_int_equal(s.rules[0].kind, LS_KIND_CGROUP);
	ls_supp_free(&s);
	unlink(path);
	free(path);
}

/* Loading @data fails with -EINVAL and err is "PATH" @want. */
#define LOAD_ERROR(data, want)                                                \
	check_load_error((data), sizeof(data) - 1, -EINVAL, (want), __FILE__, \
			 __LINE__)

static void test_load_errors_name_the_line(void **state)
{
	(void)state;
	LOAD_ERROR("fd\nsocket\n\n# c\nfd nope=1\nfd\n",
		   ":5: unknown field 'nope' (expected " FIELDS_HELP ")");
	LOAD_ERROR("bogus",
		   ":1: unknown kind 'bogus' (expected " KINDS_HELP ")");
	LOAD_ERROR("fd\r\nfd path\r\n",
		   ":2: missing '=' in condition 'path' (expected FIELD=GLOB)");
	LOAD_ERROR("\n\n\nfd path=\n", ":4: empty glob for field 'path'");
	LOAD_ERROR("fd path=\"a\nb\"\n",
		   ":1: unterminated quote in value of field 'path'");
	LOAD_ERROR("fd\nfd path=[x\n",
		   ":2: invalid glob '[x' for field 'path': unterminated '['");
	LOAD_ERROR("fd\nfd\x00path=x\n", ":2: NUL byte in line");
	LOAD_ERROR("\x00", ":1: NUL byte in line");
	LOAD_ERROR("# \x00 in a comment\n", ":1: NUL byte in line");
	/* A '\r' inside a line is no blank. */
	LOAD_ERROR("fd\nfd\r path=x\n",
		   ":2: unknown kind 'fd?' (expected " KINDS_HELP ")");
}

static void check_load_long(const char *data, size_t len, int want_rc,
			    const char *want)
{
	char *path = write_file("long", data, len);
	char err[ERRLEN], expect[ERRLEN];
	struct ls_suppressions s;

	ls_supp_init(&s);
	if (ls_supp_load(&s, path, err, sizeof(err)) != want_rc)
		fail_msg("want %d: %s", want_rc, err);
	snprintf(expect, sizeof(expect), "%s%s", path, want);
	assert_string_equal(err, want_rc ? expect : "");
	assert_int_equal(s.n, want_rc ? 0 : 1);
	ls_supp_free(&s);
	unlink(path);
	free(path);
}

static void test_load_long_lines(void **state)
{
	size_t max = LS_SUPP_LINE_MAX, n = 0;
	char *data = malloc(4 * max);

	(void)state;
	assert_non_null(data);
	/* Line 1: a 4096-byte comment and "\r\n"; line 2: a 4096-byte rule. */
	memset(data, '#', max);
	n = max;
	memcpy(data + n, "\r\n", 2);
	n += 2;
	memcpy(data + n, "fd path=", 8);
	memset(data + n + 8, 'x', max - 8);
	n += max;
	check_load_long(data, n, 0, "");
	data[n++] = '\n';
	check_load_long(data, n, 0, "");
	/* Line 3: 4097 bytes, then the end of the file or a newline. */
	memset(data + n, '#', max + 1);
	n += max + 1;
	check_load_long(data, n, -EINVAL,
			":3: line too long (over 4096 bytes)");
	data[n] = '\n';
	check_load_long(data, n + 1, -EINVAL,
			":3: line too long (over 4096 bytes)");
	/* 4096 bytes and a '\r': fine; and a second '\r': too long. */
	data[n - 1] = '\r';
	check_load_long(data, n, 0, "");
	data[n] = '\n';
	check_load_long(data, n + 1, 0, "");
	memcpy(data + n, "\r\n", 2);
	check_load_long(data, n + 2, -EINVAL,
			":3: line too long (over 4096 bytes)");
	/* Much longer, no newline at all. */
	memset(data, 'f', 4 * max);
	check_load_long(data, 4 * max, -EINVAL,
			":1: line too long (over 4096 bytes)");
	free(data);
}

static void test_load_missing_and_unreadable(void **state)
{
	struct ls_suppressions s;
	char err[ERRLEN], want[ERRLEN], *path;

	(void)state;
	ls_supp_init(&s);
	assert_true(asprintf(&path, "%s/none", tmpdir) > 0);
	assert_int_equal(ls_supp_load(&s, path, err, sizeof(err)), -ENOENT);
	snprintf(want, sizeof(want), "%s: No such file or directory", path);
	assert_string_equal(err, want);
	free(path);

	assert_int_equal(ls_supp_load(&s, tmpdir, err, sizeof(err)), -EIO);
	snprintf(want, sizeof(want), "%s: read error: Is a directory", tmpdir);
	assert_string_equal(err, want);
	assert_int_equal(s.n, 0);

	/* An empty file is no rules, and fine. */
	path = write_file("empty", "", 0);
	assert_int_equal(ls_supp_load(&s, path, err, sizeof(err)), 0);
	assert_int_equal(s.n, 0);
	free(path);
	ls_supp_free(&s);
}

static void test_load_stream(void **state)
{
	static const char text[] = "fd\n\nsocket bad\n";
	struct ls_suppressions s;
	char err[ERRLEN];
	FILE *f = fmemopen((void *)text, sizeof(text) - 1, "r");

	(void)state;
	assert_non_null(f);
	ls_supp_init(&s);
	assert_int_equal(ls_supp_load_stream(&s, f, "<mem>", err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "<mem>:3: missing '=' in condition 'bad' "
				 "(expected FIELD=GLOB)");
	assert_int_equal(s.n, 0);
	fclose(f);
	ls_supp_free(&s);
}

/* ---- hostile input ---- */

static uint64_t rng_state;

static uint32_t rng(void)
{
	/* xorshift64*, fixed seed per test: failures reproduce. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 0x2545F4914F6CDD1DULL) >> 32);
}

/* Bytes that the grammar cares about, to reach deep paths often. */
static char interesting_byte(void)
{
	static const char set[] = "fd *=\"\\#[]!^:.-? \tpathcomm=argv\x01\xff";

	return set[rng() % (sizeof(set) - 1)];
}

/* A valid rule with a few bytes changed: near misses of the grammar. */
static size_t mutated_rule(char *buf, size_t cap)
{
	static const char *const rules[] = {
		"fd path=/tmp/* comm=py*",
		"socket addr=\"[[]::1[]]:*\" database=postgres*   # db",
		"* argv=\"a \\\"b\\\" \\\\c\" class=orphan",
		"process argv=*[[:digit:]]* creator=sh",
		"tempfile type=dir path=/tmp/[!.]*",
		"cgroup test=t?st\\*",
		"thread comm=worker-[0-9]",
		"mapping path=*.so*",
		"  # comment",
	};
	const char *r = rules[rng() % ARRAY_SIZE(rules)];
	size_t n = strlen(r), muts = rng() % 3;

	if (n >= cap)
		n = cap - 1;
	memcpy(buf, r, n);
	for (size_t i = 0; i < muts && n; i++) {
		size_t at = rng() % n;

		if (rng() % 4 == 0)
			n = at; /* cut */
		else
			buf[at] = interesting_byte();
	}
	return n;
}

/* A NUL-terminated line of random bytes (no NUL inside), < @cap bytes. */
static void random_line(char *buf, size_t cap)
{
	size_t n = 0, len = rng() % (cap - 1);

	switch (rng() % 3) {
	case 0:
		n = mutated_rule(buf, cap);
		len = n;
		break;
	case 1:
		n = mutated_rule(buf, cap);
		len = n + (len - n) / 8 > cap - 1 ? n : n + len / 8;
		break;
	default:
		break;
	}
	for (; n < len; n++) {
		char c = rng() % 3 ? interesting_byte() : (char)(rng() % 256);

		buf[n] = c ? c : 'x';
	}
	buf[n] = 0;
}

static void test_fuzz_lines(void **state)
{
	struct ls_finding f[4];
	struct ls_suppressions s;
	char line[600], err[ERRLEN];
	int counts[3] = { 0 };

	(void)state;
	f[0] = fd_finding("/tmp/x", "file");
	f[1] = inet_socket("inet6", "::1", 1, "::2", 2);
	f[2] = bare(LS_KIND_PROCESS, LS_CLASS_ZOMBIE);
	f[2].argv = heap_argv("a", "b c", NULL);
	f[3] = bare(LS_KIND_CGROUP, LS_CLASS_ORPHAN);
	rng_state = 0x5eed5eed5eedULL;
	ls_supp_init(&s);
	for (int i = 0; i < 5000; i++) {
		int rc;

		random_line(line, sizeof(line));
		err[0] = 'J';
		rc = ls_supp_add_line(&s, line, "F", err, sizeof(err));
		if (rc == 0)
			counts[0]++;
		else if (rc == 1)
			counts[1]++;
		else if (rc == -EINVAL)
			counts[2]++;
		else
			fail_msg("line %d: rc %d", i, rc);
		if (rc == -EINVAL) {
			assert_true(err[0] != 0);
			assert_null(strchr(err, '\n'));
		} else {
			assert_string_equal(err, "");
		}
		for (size_t k = 0; k < ARRAY_SIZE(f); k++)
			ls_supp_match(&s, &f[k]);
	}
	/* The generator must reach every outcome, or it tests little. */
	assert_true(counts[0] > 500);
	assert_true(counts[1] > 50);
	assert_true(counts[2] > 1000);
	assert_int_equal(s.n, (size_t)counts[0]);
	ls_supp_free(&s);
	free_argv(f[2].argv);
}

static void test_fuzz_files(void **state)
{
	char data[2048], err[ERRLEN];
	struct ls_suppressions s;

	(void)state;
	rng_state = 0xf11e5ULL;
	ls_supp_init(&s);
	for (int i = 0; i < 300; i++) {
		size_t len = rng() % sizeof(data);
		FILE *f;
		int rc;

		for (size_t n = 0; n < len; n++)
			data[n] = rng() % 4   ? interesting_byte()
				  : rng() % 5 ? '\n'
					      : (char)(rng() % 256);
		f = fmemopen(data, len ? len : 1, "r");
		assert_non_null(f);
		rc = ls_supp_load_stream(&s, f, "fuzz", err, sizeof(err));
		fclose(f);
		assert_true(rc == 0 || rc == -EINVAL);
		if (rc)
			assert_int_equal(strncmp(err, "fuzz:", 5), 0);
		ls_supp_free(&s);
	}
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
		cmocka_unit_test(test_load_file),
		cmocka_unit_test(test_load_errors_name_the_line),
		cmocka_unit_test(test_load_long_lines),
		cmocka_unit_test(test_load_missing_and_unreadable),
		cmocka_unit_test(test_load_stream),
		cmocka_unit_test(test_fuzz_lines),
		cmocka_unit_test(test_fuzz_files),
	};

	return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
