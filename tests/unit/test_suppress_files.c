// SPDX-License-Identifier: GPL-2.0
/*
 * test_suppress_files.c - unit tests for user/suppress.c: loading rules
 * from files and streams (every error names its file line, long lines,
 * missing and unreadable files), and hostile input: NUL bytes and random
 * bytes in lines and files (fixed-seed fuzz loops).
 *
 * Must not: depend on the system beyond the private temporary directory
 * of suppress_fx.h for the files it loads.
 */
#include "suppress_fx.h"

/* ---- helpers ---- */

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
