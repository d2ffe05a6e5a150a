// SPDX-License-Identifier: GPL-2.0
/*
 * test_protocol.c - unit tests for user/protocol.c: the request grammar of
 * docs/protocol.md as ls_proto_parse sees one line (without its '\n').
 *
 * Covers every verb (HELLO with and without a client, PING, STATUS, BEGIN,
 * END, ALLOW, FOR), END's outcome splitting (the last word is the outcome
 * only when it is one of the four; "END passed" ends a test named "passed"),
 * the exactly-one-space rule, the trailing '\r', pids (signs, overflow,
 * letters, blanks, empty; a bad one is echoed as clean ASCII), empty
 * lines, NUL bytes, lines of 4095 and 4096 bytes, unknown verbs and verbs
 * as prefixes, names of 1024 and 1025 bytes, every class of invalid UTF-8
 * and every control character with the byte offset in the reason, that the
 * request's pointers point into the line, ls_proto_check_name and
 * ls_outcome_name directly, and a fixed-seed fuzz loop (random bytes and
 * mutations of valid lines, 100k iterations; every reason printable ASCII).
 *
 * Every line is parsed from a heap copy of exactly its length, so that
 * ASan (SANITIZE=1) or valgrind catch any read past its end.
 *
 * Must not: depend on any module but protocol.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>

#include "unit.h"
#include "protocol.h"

#define ERRLEN 256

/* The exact-length heap copy of the line under test; freed by teardown
 * too, so that a failed check leaks nothing. */
static struct {
	char *line;
	size_t len;
	int rc;
	struct ls_request req;
	char err[ERRLEN];
} cur;

static void drop_cur(void)
{
	free(cur.line);
	cur.line = NULL;
}

static int teardown(void **state)
{
	(void)state;
	drop_cur();
	return 0;
}

static void parse(const char *line, size_t len)
{
	drop_cur();
	cur.line = malloc(len ? len : 1);
	assert_non_null(cur.line);
	memcpy(cur.line, line, len);
	cur.len = len;
	memset(cur.err, 0, sizeof(cur.err));
	cur.rc = ls_proto_parse(cur.line, len, &cur.req, cur.err,
				sizeof(cur.err));
}

static const char *shown(const char *s, size_t n)
{
	static char buf[160];
	size_t o = 0;

	for (size_t i = 0; i < n && o + 5 < sizeof(buf); i++) {
		unsigned char ch = s[i];

		if (ch >= 0x20 && ch < 0x7f)
			buf[o++] = ch;
		else
			o += snprintf(buf + o, sizeof(buf) - o, "\\x%02x", ch);
	}
	buf[o] = 0;
	return buf;
}

/* @line (@len bytes) parses as @verb. */
static void check_ok(const char *line, size_t len, enum ls_verb verb,
		     const char *file, int lno)
{
	parse(line, len);
	if (cur.rc != 0 || cur.req.verb != verb) {
		print_error("%s:%d: \"%s\": rc %d verb %d (want %d): %s\n",
			    file, lno, shown(line, len), cur.rc, cur.req.verb,
			    verb, cur.err);
		fail();
	}
}

/* @line is refused with a reason that starts with @reason. */
static void check_err(const char *line, size_t len, const char *reason,
		      const char *file, int lno)
{
	parse(line, len);
	if (cur.rc != -EINVAL || strncmp(cur.err, reason, strlen(reason))) {
		print_error("%s:%d: \"%s\": rc %d, \"%s\" (want \"%s...\"), "
			    "verb %d pid %ld\n",
			    file, lno, shown(line, len), cur.rc, cur.err,
			    reason, cur.req.verb, cur.req.pid);
		fail();
	}
}

/* The request's name is @len bytes at @off in the line. */
static void check_name(size_t off, size_t len, const char *file, int lno)
{
	const char *n = cur.req.name;

	if (!n || n < cur.line || n > cur.line + cur.len ||
	    (size_t)(n - cur.line) != off || cur.req.name_len != len) {
		print_error("%s:%d: name at %td, %zu bytes (want %zu, %zu)\n",
			    file, lno, n ? n - cur.line : (ptrdiff_t)-1,
			    cur.req.name_len, off, len);
		fail();
	}
}

#define S(lit)		  (lit), sizeof(lit) - 1
#define OK(lit, verb)	  check_ok(S(lit), (verb), __FILE__, __LINE__)
#define ERR(lit, reason)  check_err(S(lit), (reason), __FILE__, __LINE__)
#define OKN(s, n, verb)	  check_ok((s), (n), (verb), __FILE__, __LINE__)
#define ERRN(s, n, r)	  check_err((s), (n), (r), __FILE__, __LINE__)
#define NAME_AT(off, len) check_name((off), (len), __FILE__, __LINE__)

/* The reason names byte @at ("... at byte 12", not 123). */
static void check_offset(size_t at, const char *file, int lno)
{
	char want[32];
	const char *p;
	int n = snprintf(want, sizeof(want), "at byte %zu", at);

	p = strstr(cur.err, want);
	if (!p || (p[n] >= '0' && p[n] <= '9')) {
		print_error("%s:%d: \"%s\" does not say \"%s\"\n", file, lno,
			    cur.err, want);
		fail();
	}
}

#define AT_BYTE(n) check_offset((n), __FILE__, __LINE__)

/* ---- the verbs ---- */

static void test_hello_without_client(void **state)
{
	(void)state;
	OK("HELLO", LS_REQ_HELLO);
	NAME_AT(5, 0);
	OK("HELLO\r", LS_REQ_HELLO);
	assert_int_equal(cur.req.name_len, 0);
}

static void test_hello_with_client(void **state)
{
	(void)state;
	OK("HELLO pytest-leakscope 1.2", LS_REQ_HELLO);
	NAME_AT(6, 20);
	OK("HELLO cliënt ✓", LS_REQ_HELLO);
	NAME_AT(6, cur.len - 6);
	assert_int_equal(cur.req.outcome, LS_OUTCOME_NONE);
	/* HELLO does not split an outcome off. */
	OK("HELLO x passed", LS_REQ_HELLO);
	NAME_AT(6, 8);
}

static void test_hello_bad_client(void **state)
{
	(void)state;
	ERR("HELLO a\tb", "bad name");
	AT_BYTE(1);
	ERR("HELLO \xff", "bad name");
	AT_BYTE(0);
}

static void test_ping_status(void **state)
{
	(void)state;
	OK("PING", LS_REQ_PING);
	OK("PING\r", LS_REQ_PING);
	OK("STATUS", LS_REQ_STATUS);
	OK("STATUS\r", LS_REQ_STATUS);
}

static void test_begin(void **state)
{
	(void)state;
	OK("BEGIN demo", LS_REQ_BEGIN);
	NAME_AT(6, 4);
	assert_int_equal(cur.req.outcome, LS_OUTCOME_NONE);
	OK("BEGIN x", LS_REQ_BEGIN);
	NAME_AT(6, 1);
}

static void test_begin_spaces_and_utf8(void **state)
{
	static const char l[] = "BEGIN tests/test_db.py::test_q[a b-c] "
				"Grüße 日本語 🎉 end";

	(void)state;
	OK(l, LS_REQ_BEGIN);
	NAME_AT(6, sizeof(l) - 1 - 6);
	/* BEGIN never splits an outcome off. */
	OK("BEGIN it passed", LS_REQ_BEGIN);
	NAME_AT(6, 9);
	assert_int_equal(cur.req.outcome, LS_OUTCOME_NONE);
}

/* ---- END and its outcome ---- */

static void test_end_outcomes(void **state)
{
	static const struct {
		const char *line;
		enum ls_outcome o;
	} c[] = {
		{ "END t::x passed", LS_OUTCOME_PASSED },
		{ "END t::x failed", LS_OUTCOME_FAILED },
		{ "END t::x skipped", LS_OUTCOME_SKIPPED },
		{ "END t::x error", LS_OUTCOME_ERROR },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(c); i++) {
		OKN(c[i].line, strlen(c[i].line), LS_REQ_END);
		NAME_AT(4, 4);
		assert_int_equal(cur.req.outcome, c[i].o);
		assert_string_equal(ls_outcome_name(c[i].o), c[i].line + 9);
	}
}

static void test_end_without_outcome(void **state)
{
	(void)state;
	OK("END t::x", LS_REQ_END);
	NAME_AT(4, 4);
	assert_int_equal(cur.req.outcome, LS_OUTCOME_NONE);
	OK("END a b c", LS_REQ_END);
	NAME_AT(4, 5);
	assert_int_equal(cur.req.outcome, LS_OUTCOME_NONE);
}

static void test_end_spaces_and_utf8(void **state)
{
	(void)state;
	OK("END Grüße 日本 🎉 failed", LS_REQ_END);
	NAME_AT(4, strlen("Grüße 日本 🎉"));
	assert_int_equal(cur.req.outcome, LS_OUTCOME_FAILED);
	OK("END Grüße 日本 🎉", LS_REQ_END);
	NAME_AT(4, strlen("Grüße 日本 🎉"));
	assert_int_equal(cur.req.outcome, LS_OUTCOME_NONE);
}

/* "END passed" ends a test named "passed". */
static void test_end_outcome_word_alone(void **state)
{
	static const char *const w[] = { "passed", "failed", "skipped",
					 "error" };
	char line[32];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(w); i++) {
		snprintf(line, sizeof(line), "END %s", w[i]);
		OKN(line, strlen(line), LS_REQ_END);
		NAME_AT(4, strlen(w[i]));
		assert_int_equal(cur.req.outcome, LS_OUTCOME_NONE);
	}
}

/* A name that ends in an outcome word needs its outcome. */
static void test_end_name_ending_in_outcome(void **state)
{
	(void)state;
	OK("END test passed passed", LS_REQ_END);
	NAME_AT(4, 11);
	assert_int_equal(cur.req.outcome, LS_OUTCOME_PASSED);
	/* Without it, the last word is taken as the outcome. */
	OK("END test passed", LS_REQ_END);
	NAME_AT(4, 4);
	assert_int_equal(cur.req.outcome, LS_OUTCOME_PASSED);
	OK("END it error failed", LS_REQ_END);
	NAME_AT(4, 8);
	assert_int_equal(cur.req.outcome, LS_OUTCOME_FAILED);
}

/* Only the four words, exactly, and only after a space. */
static void test_end_not_outcomes(void **state)
{
	static const char *const l[] = {
		"END x Passed",	 "END x PASSED", "END x passedx", "END x pass",
		"END x xpassed", "END x-passed", "END x errors",  "END x fail",
		"END x skip",	 "END x ok",
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(l); i++) {
		OKN(l[i], strlen(l[i]), LS_REQ_END);
		NAME_AT(4, strlen(l[i]) - 4);
		assert_int_equal(cur.req.outcome, LS_OUTCOME_NONE);
	}
	/* A tab is no separator but a control character. */
	ERR("END x\tpassed", "bad name");
	AT_BYTE(1);
}

/* ---- spaces and line ends ---- */

/* Exactly one space after the verb: a second one is part of the name. */
static void test_one_space_rule(void **state)
{
	(void)state;
	OK("BEGIN  x", LS_REQ_BEGIN);
	NAME_AT(6, 2);
	OK("BEGIN x ", LS_REQ_BEGIN);
	NAME_AT(6, 2);
	OK("BEGIN   ", LS_REQ_BEGIN);
	NAME_AT(6, 2);
	OK("END  x", LS_REQ_END);
	NAME_AT(4, 2);
	/* The space before the outcome separates; one more is the name's. */
	OK("END x  passed", LS_REQ_END);
	NAME_AT(4, 2);
	assert_int_equal(cur.req.outcome, LS_OUTCOME_PASSED);
	OK("END x passed ", LS_REQ_END);
	NAME_AT(4, 9);
	assert_int_equal(cur.req.outcome, LS_OUTCOME_NONE);
	ERR("END  passed", "bad name: empty");
	OK("HELLO  x", LS_REQ_HELLO);
	NAME_AT(6, 2);
}

static void test_trailing_cr(void **state)
{
	(void)state;
	OK("BEGIN x\r", LS_REQ_BEGIN);
	NAME_AT(6, 1);
	OK("END x passed\r", LS_REQ_END);
	NAME_AT(4, 1);
	assert_int_equal(cur.req.outcome, LS_OUTCOME_PASSED);
	OK("FOR 12\r", LS_REQ_FOR);
	assert_int_equal(cur.req.pid, 12);
	/* Only one, and only at the end. */
	ERR("BEGIN x\r\r", "bad name: control character");
	AT_BYTE(1);
	ERR("BEGIN a\rb", "bad name: control character");
	AT_BYTE(1);
	ERR("PING\r\r", "unknown request");
}

/* ---- FOR ---- */

static void test_for_valid(void **state)
{
	static const struct {
		const char *line;
		long pid;
	} c[] = {
		{ "FOR 0", 0 },
		{ "FOR 1", 1 },
		{ "FOR 4242", 4242 },
		{ "FOR 4194304", 4194304 }, /* PID_MAX_LIMIT */
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(c); i++) {
		OKN(c[i].line, strlen(c[i].line), LS_REQ_FOR);
		assert_int_equal(cur.req.pid, c[i].pid);
	}
}

static void test_for_signs_and_letters(void **state)
{
	static const char *const l[] = {
		"FOR -1", "FOR +1",  "FOR -0",	 "FOR 1a",
		"FOR a1", "FOR abc", "FOR 0x1f", "FOR 1.5",
		"FOR 1 ", "FOR 1 2", "FOR 1\t",	 "FOR ١٢",
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(l); i++)
		ERRN(l[i], strlen(l[i]), "bad pid");
}

static void test_for_overflow(void **state)
{
	static const char *const l[] = {
		"FOR 2147483648", /* INT_MAX + 1: no pid_t */
		"FOR 4294967296", /* UINT_MAX + 1 */
		"FOR 99999999999",
		"FOR 9223372036854775807",
		"FOR 9223372036854775808",
		"FOR 18446744073709551617",
		"FOR 123456789012345678901234567890",
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(l); i++)
		ERRN(l[i], strlen(l[i]), "bad pid");
}

static void test_for_empty(void **state)
{
	(void)state;
	ERR("FOR", "bad pid");
	ERR("FOR ", "bad pid");
	ERR("FOR \r", "bad pid");
}

/*
 * What follows the one space is taken as it is: " 12" is not a number, so
 * blanks before the digits (strtol would skip them) make a bad pid, and
 * " -1" must not come out as pid -1.
 */
static void test_for_leading_blanks(void **state)
{
	static const char *const l[] = {
		"FOR  -1", "FOR  12", "FOR \t12", "FOR \v12", "FOR \f12",
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(l); i++)
		ERRN(l[i], strlen(l[i]), "bad pid");
}

/* Every byte of @s is printable ASCII: a reply stays one clean line. */
static void check_clean(const char *s, const char *file, int lno)
{
	for (const char *p = s; *p; p++)
		if (*p < 0x20 || *p >= 0x7f) {
			print_error("%s:%d: \"%s\": byte %td is 0x%02x\n", file,
				    lno, shown(s, strlen(s)), p - s,
				    (unsigned char)*p);
			fail();
		}
}

#define CLEAN(s) check_clean((s), __FILE__, __LINE__)

/* A bad pid comes back as printable ASCII ('?' for the rest), cut short. */
static void test_for_bad_pid_echo(void **state)
{
	static char l[4 + 3000];

	(void)state;
	ERR("FOR 1\x1b[2J\xff\x7f\t\xc3\xa9", "bad pid");
	CLEAN(cur.err);
	assert_contains(cur.err, "'1?[2J?????\x27"); /* \x27: no trigraph */
	ERR("FOR 1\r2", "bad pid");
	assert_contains(cur.err, "'1?2'");
	/* However long, a short reason. */
	memcpy(l, "FOR ", 4);
	memset(l + 4, '\n', sizeof(l) - 4);
	ERRN(l, sizeof(l), "bad pid");
	CLEAN(cur.err);
	assert_true(strlen(cur.err) < 64);
	memset(l + 4, '9', sizeof(l) - 4);
	ERRN(l, sizeof(l), "bad pid");
	CLEAN(cur.err);
	assert_true(strlen(cur.err) < 64);
	assert_contains(cur.err, "...");
	/* Leading zeros are still digits. */
	OK("FOR 0000000000000000000042", LS_REQ_FOR);
	assert_int_equal(cur.req.pid, 42);
}

/* ---- ALLOW ---- */

static void test_allow(void **state)
{
	(void)state;
	OK("ALLOW socket addr=*:6379", LS_REQ_ALLOW);
	assert_ptr_equal(cur.req.rule, cur.line + 6);
	assert_int_equal(cur.req.name_len, 18);
	OK("ALLOW fd", LS_REQ_ALLOW);
	assert_ptr_equal(cur.req.rule, cur.line + 6);
	assert_int_equal(cur.req.name_len, 2);
	OK("ALLOW file path=/tmp/a b*\r", LS_REQ_ALLOW);
	assert_int_equal(cur.req.name_len, 19);
}

static void test_allow_without_rule(void **state)
{
	(void)state;
	ERR("ALLOW", "bad rule");
	ERR("ALLOW ", "bad rule");
	ERR("ALLOW\r", "bad rule");
}

/* ---- whole lines ---- */

static void test_empty_line(void **state)
{
	(void)state;
	ERR("", "empty request");
	ERR("\r", "empty request");
}

static void test_nul_byte(void **state)
{
	(void)state;
	ERR("\0", "NUL byte in request");
	ERR("PING\0", "NUL byte in request");
	ERR("\0PING", "NUL byte in request");
	ERR("BEGIN a\0b", "NUL byte in request");
	ERR("END a\0 passed", "NUL byte in request");
	ERR("FOR 1\0", "NUL byte in request");
	ERR("ALLOW fd\0", "NUL byte in request");
	ERR("BEGIN x\0\r", "NUL byte in request");
}

/* At most 4096 bytes with the '\n': 4095 without it. */
static void test_line_length(void **state)
{
	static char l[4200];

	(void)state;
	memcpy(l, "ALLOW ", 6);
	memset(l + 6, 'a', sizeof(l) - 6);
	OKN(l, 4095, LS_REQ_ALLOW);
	assert_int_equal(cur.req.name_len, 4089);
	ERRN(l, 4096, "line too long");
	ERRN(l, 4097, "line too long");
	ERRN(l, sizeof(l), "line too long");
	/* Too long is said before anything else is looked at. */
	memset(l, 0, 4096);
	ERRN(l, 4096, "line too long");
	memset(l, 'X', 4096);
	ERRN(l, 4096, "line too long");
}

static void test_unknown_verbs(void **state)
{
	static const char *const l[] = {
		"FOO",	"begin x",	  "Ping",   " PING",
		"HELO", "GET / HTTP/1.1", "{}",	    "\xff",
		"é",	"BEGIN\tx",	  "END\tx", "ABORT x",
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(l); i++)
		ERRN(l[i], strlen(l[i]), "unknown request");
}

static void test_verb_prefixes(void **state)
{
	static const char *const l[] = {
		"BEGINX", "BEGINX y", "PINGX",	 "PINGPING", "ENDX",
		"ENDX y", "STATUSX",  "HELLOX",	 "HELLOX y", "FORX 1",
		"FOR1",	  "ALLOWX",   "ALLOWfd", "BEGI",     "EN",
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(l); i++)
		ERRN(l[i], strlen(l[i]), "unknown request");
	/* The verb alone: the name is missing. */
	ERR("END", "bad name: empty");
	ERR("BEGIN", "bad name: empty");
	ERR("BEGIN ", "bad name: empty");
	ERR("END ", "bad name: empty");
	ERR("END\r", "bad name: empty");
}

/* ---- names ---- */

static void test_name_length(void **state)
{
	static char l[1100 + 16];

	(void)state;
	memcpy(l, "BEGIN ", 6);
	memset(l + 6, 'n', sizeof(l) - 6);
	OKN(l, 6 + 1024, LS_REQ_BEGIN);
	NAME_AT(6, 1024);
	ERRN(l, 6 + 1025, "bad name");
	assert_contains(cur.err, "1025");

	/* END: the limit is on the name, the outcome not counted. */
	memcpy(l, "END ", 4);
	memset(l + 4, 'n', 1024);
	memcpy(l + 4 + 1024, " passed", 7);
	OKN(l, 4 + 1024 + 7, LS_REQ_END);
	NAME_AT(4, 1024);
	assert_int_equal(cur.req.outcome, LS_OUTCOME_PASSED);
	memset(l + 4, 'n', 1025);
	memcpy(l + 4 + 1025, " passed", 7);
	ERRN(l, 4 + 1025 + 7, "bad name");

	memcpy(l, "HELLO ", 6);
	memset(l + 6, 'n', 1025);
	OKN(l, 6 + 1024, LS_REQ_HELLO);
	ERRN(l, 6 + 1025, "bad name");
}

/* 1024 bytes of multi-byte characters are fine; one more byte is not. */
static void test_name_length_multibyte(void **state)
{
	static char l[6 + 1100];
	size_t n = 6;

	(void)state;
	memcpy(l, "BEGIN ", 6);
	while (n + 3 <= 6 + 1023) {
		memcpy(l + n, "日", 3);
		n += 3;
	}
	l[n++] = 'x'; /* 341 * 3 + 1 = 1024 */
	OKN(l, n, LS_REQ_BEGIN);
	NAME_AT(6, 1024);
	memcpy(l + n - 1, "é", 2);
	ERRN(l, n + 1, "bad name");
}

/* Each class of invalid UTF-8, after "ab": the reason says byte 2. */
static void test_invalid_utf8(void **state)
{
	static const char *const bad[] = {
		/* a continuation byte with no lead */
		"\x80",
		"\xbf",
		"\x80\x80",
		/* overlong: 2, 3 and 4 bytes */
		"\xc0\x80",
		"\xc1\xbf",
		"\xe0\x80\x80",
		"\xe0\x9f\xbf",
		"\xf0\x80\x80\x80",
		"\xf0\x8f\xbf\xbf",
		/* UTF-16 surrogates */
		"\xed\xa0\x80",
		"\xed\xbf\xbf",
		/* beyond U+10FFFF, and 5- and 6-byte forms */
		"\xf4\x90\x80\x80",
		"\xf5\x80\x80\x80",
		"\xf7\xbf\xbf\xbf",
		"\xf8\x88\x80\x80\x80",
		"\xfc\x84\x80\x80\x80\x80",
		"\xfe",
		"\xff",
		/* truncated at the end of the name */
		"\xc3",
		"\xe2\x82",
		"\xf0\x9f\x98",
		/* a bad continuation byte */
		"\xc3(",
		"\xe2(\xa1",
		"\xe2\x82(",
		"\xf0(\x8c\xbc",
		"\xf0\x90(\xbc",
		"\xf0\x90\x8c(",
		"\xc3\xc3\xa9",
		"\xe2\x82\xe2\x82\xac",
		"\xc3 ",
	};

	char line[64];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		int n = snprintf(line, sizeof(line), "BEGIN ab%s", bad[i]);

		ERRN(line, n, "bad name: invalid UTF-8");
		AT_BYTE(2);
		n = snprintf(line, sizeof(line), "END ab%s passed", bad[i]);
		ERRN(line, n, "bad name: invalid UTF-8");
		AT_BYTE(2);
		n = snprintf(line, sizeof(line), "ab%sz", bad[i]);
		assert_int_equal(ls_proto_check_name(line, n, cur.err, ERRLEN),
				 -EINVAL);
		assert_contains(cur.err, "invalid UTF-8");
		AT_BYTE(2);
	}
}

/* The boundaries of every sequence length are valid. */
static void test_valid_utf8_edges(void **state)
{
	/* U+007E, U+0080, U+0085 (NEL: not excluded), U+07FF, U+0800,
	 * U+D7FF, U+E000, U+FFFF, U+FEFF, U+10000, U+10FFFF */
	static const char *const good[] = {
		"\x7e",
		"\xc2\x80",
		"\xc2\x85",
		"\xdf\xbf",
		"\xe0\xa0\x80",
		"\xed\x9f\xbf",
		"\xee\x80\x80",
		"\xef\xbf\xbf",
		"\xef\xbb\xbf",
		"\xf0\x90\x80\x80",
		"\xf4\x8f\xbf\xbf",
	};

	char line[64];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		int n = snprintf(line, sizeof(line), "BEGIN a%sb", good[i]);

		OKN(line, n, LS_REQ_BEGIN);
		NAME_AT(6, n - 6);
		assert_int_equal(ls_proto_check_name(good[i], strlen(good[i]),
						     cur.err, ERRLEN),
				 0);
	}
}

/* Bytes 0x01-0x1f and 0x7f, after "abc" or after "é€" (offset 5). */
static void test_control_characters(void **state)
{
	char line[32];

	(void)state;
	for (int ch = 1; ch <= 0x7f; ch++) {
		int n;

		if (ch >= 0x20 && ch < 0x7f)
			continue;
		n = snprintf(line, sizeof(line), "BEGIN abc%cdef", ch);
		ERRN(line, n, "bad name: control character");
		AT_BYTE(3);
		n = snprintf(line, sizeof(line), "END é€%c passed", ch);
		ERRN(line, n, "bad name: control character");
		AT_BYTE(5);
		n = snprintf(line, sizeof(line), "HELLO x%c", ch);
		if (ch != '\r') {
			ERRN(line, n, "bad name: control character");
			AT_BYTE(1);
		}
	}
	/* NUL is one too, for check_name (parse says NUL byte first). */
	assert_int_equal(ls_proto_check_name("ab\0", 3, cur.err, ERRLEN),
			 -EINVAL);
	assert_contains(cur.err, "control character");
	AT_BYTE(2);
	/* Space and the top of ASCII are fine. */
	assert_int_equal(ls_proto_check_name(" ~", 2, cur.err, ERRLEN), 0);
}

/* The first offending byte counts, whatever its class. */
static void test_first_offence_reported(void **state)
{
	(void)state;
	ERR("BEGIN ab\x01\xff", "bad name: control character");
	AT_BYTE(2);
	ERR("BEGIN ab\xff\x01", "bad name: invalid UTF-8");
	AT_BYTE(2);
	ERR("BEGIN ab\x7f", "bad name: control character");
	AT_BYTE(2);
}

static void test_check_name(void **state)
{
	static char big[1025];
	char err[ERRLEN];

	(void)state;
	assert_int_equal(ls_proto_check_name("", 0, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "bad name: empty");
	assert_int_equal(ls_proto_check_name("x", 1, err, sizeof(err)), 0);
	memset(big, 'b', sizeof(big));
	assert_int_equal(ls_proto_check_name(big, 1024, err, sizeof(err)), 0);
	assert_int_equal(ls_proto_check_name(big, 1025, err, sizeof(err)),
			 -EINVAL);
	assert_contains(err, "bad name");
	/* Only @len bytes are looked at. */
	assert_int_equal(ls_proto_check_name("ok\xff", 2, err, sizeof(err)), 0);
}

/* A short error buffer gets a truncated, terminated reason. */
static void test_short_error_buffer(void **state)
{
	char err[8];
	struct ls_request req;

	(void)state;
	memset(err, 'Z', sizeof(err));
	assert_int_equal(ls_proto_parse("FOO", 3, &req, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "unknown");
	memset(err, 'Z', sizeof(err));
	assert_int_equal(ls_proto_check_name("", 0, err, 4), -EINVAL);
	assert_string_equal(err, "bad");
	assert_true(err[4] == 'Z');
}

/* Nothing of an earlier request is left in @req. */
static void test_request_reset(void **state)
{
	struct ls_request req;
	char err[ERRLEN];

	(void)state;
	memset(&req, 0x5a, sizeof(req));
	assert_int_equal(ls_proto_parse("PING", 4, &req, err, sizeof(err)), 0);
	assert_int_equal(req.verb, LS_REQ_PING);
	assert_null(req.name);
	assert_null(req.rule);
	assert_int_equal(req.name_len, 0);
	assert_int_equal(req.outcome, LS_OUTCOME_NONE);
	assert_int_equal(req.pid, 0);
	assert_int_equal(
		ls_proto_parse("END x failed", 12, &req, err, sizeof(err)), 0);
	assert_int_equal(ls_proto_parse("BEGIN y", 7, &req, err, sizeof(err)),
			 0);
	assert_int_equal(req.outcome, LS_OUTCOME_NONE);
	assert_int_equal(ls_proto_parse("FOR 9", 5, &req, err, sizeof(err)), 0);
	assert_int_equal(ls_proto_parse("STATUS", 6, &req, err, sizeof(err)),
			 0);
	assert_int_equal(req.pid, 0);
}

static void test_outcome_name(void **state)
{
	(void)state;
	assert_string_equal(ls_outcome_name(LS_OUTCOME_PASSED), "passed");
	assert_string_equal(ls_outcome_name(LS_OUTCOME_FAILED), "failed");
	assert_string_equal(ls_outcome_name(LS_OUTCOME_SKIPPED), "skipped");
	assert_string_equal(ls_outcome_name(LS_OUTCOME_ERROR), "error");
	assert_null(ls_outcome_name(LS_OUTCOME_NONE));
	assert_null(ls_outcome_name((enum ls_outcome)(LS_OUTCOME_ERROR + 1)));
	assert_null(ls_outcome_name((enum ls_outcome)99));
	assert_null(ls_outcome_name((enum ls_outcome) - 1));
}

/* ---- fuzzing ---- */

#define FUZZ_ITERATIONS 100000

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static const char *const seeds[] = {
	"HELLO",      "HELLO c 1",	    "PING",
	"STATUS",     "BEGIN t::a b",	    "END t::a b passed",
	"END passed", "END x failed\r",	    "ALLOW socket addr=*:6379",
	"FOR 123",    "BEGIN Grüße 日本 🎉",
};

static const char *const pieces[] = {
	" ",	  "  ",	    "\r",   "\0", "\x80", "\xc3",     "\xf4\x90",
	"passed", " error", "-",    "+",  "9999", "BEGIN ",   "END ",
	"FOR ",	  "\xff",   "\x7f", "\t", "日",	  "\xed\xa0", "0",
};

/* Random bytes: mostly short, now and then around the line limit. */
static size_t fuzz_random(uint64_t *s, char *buf, size_t cap)
{
	size_t len = rnd(s) % 8 == 0 ? rnd(s) % cap : rnd(s) % 64;

	for (size_t i = 0; i < len; i++)
		buf[i] = (char)rnd(s);
	return len;
}

/* A valid line with one to four mutations. */
static size_t fuzz_mutate(uint64_t *s, char *buf, size_t cap)
{
	const char *seed = seeds[rnd(s) % ARRAY_SIZE(seeds)];
	size_t len = strlen(seed), k = 1 + rnd(s) % 4;

	memcpy(buf, seed, len);
	while (k--) {
		size_t at = len ? rnd(s) % (len + 1) : 0;
		const char *p = pieces[rnd(s) % ARRAY_SIZE(pieces)];
		size_t pl = p[0] ? strlen(p) : 1;

		switch (rnd(s) % 5) {
		case 0: /* flip a byte */
			if (len)
				buf[rnd(s) % len] ^= (char)(1u << (rnd(s) % 8));
			break;
		case 1: /* cut */
			len = at;
			break;
		case 2: /* insert a piece */
			if (len + pl <= cap) {
				memmove(buf + at + pl, buf + at, len - at);
				memcpy(buf + at, p, pl);
				len += pl;
			}
			break;
		case 3: /* a long run of one byte */
			while (len < cap && rnd(s) % 512)
				buf[len++] = p[0] ? p[0] : 'n';
			break;
		default: /* a random byte somewhere */
			if (len)
				buf[rnd(s) % len] = (char)rnd(s);
		}
	}
	return len;
}

static bool within(const char *p, size_t n)
{
	return p >= cur.line && p <= cur.line + cur.len &&
	       n <= (size_t)(cur.line + cur.len - p);
}

static const char *const reasons[] = {
	"line too long",   "empty request", "NUL byte in request",
	"unknown request", "bad name",	    "bad pid",
	"bad rule",
};

static void fuzz_check(uint64_t iter)
{
	const struct ls_request *r = &cur.req;
	bool known = false;

	if (cur.rc) {
		for (size_t i = 0; i < ARRAY_SIZE(reasons); i++)
			known |= !strncmp(cur.err, reasons[i],
					  strlen(reasons[i]));
		if (cur.rc != -EINVAL || !known) {
			print_error("iteration %" PRIu64 ": rc %d \"%s\"\n",
				    iter, cur.rc, cur.err);
			fail();
		}
		CLEAN(cur.err);
		return;
	}
	assert_true(r->verb >= LS_REQ_HELLO && r->verb <= LS_REQ_STATUS);
	assert_true(r->outcome <= LS_OUTCOME_ERROR);
	assert_true(r->name_len <= cur.len);
	assert_true(cur.len < LS_PROTO_MAX_LINE + 1);
	assert_null(memchr(cur.line, 0, cur.len));
	if (r->name)
		assert_true(within(r->name, r->name_len));
	if (r->rule)
		assert_true(within(r->rule, r->name_len));
	if (r->verb == LS_REQ_BEGIN || r->verb == LS_REQ_END ||
	    (r->verb == LS_REQ_HELLO && r->name_len)) {
		assert_non_null(r->name);
		assert_int_equal(ls_proto_check_name(r->name, r->name_len,
						     cur.err, ERRLEN),
				 0);
	}
	if (r->outcome)
		assert_int_equal(r->verb, LS_REQ_END);
}

static void test_fuzz(void **state)
{
	static char buf[LS_PROTO_MAX_LINE + 128];
	uint64_t s = 0x6c65616b73636f70ULL; /* fixed: reproducible */

	(void)state;
	for (uint64_t i = 0; i < FUZZ_ITERATIONS; i++) {
		size_t len = i % 2 ? fuzz_random(&s, buf, sizeof(buf))
				   : fuzz_mutate(&s, buf, sizeof(buf));

		parse(buf, len);
		fuzz_check(i);
	}
}

#define T(f) cmocka_unit_test_teardown(f, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_hello_without_client),
		T(test_hello_with_client),
		T(test_hello_bad_client),
		T(test_ping_status),
		T(test_begin),
		T(test_begin_spaces_and_utf8),
		T(test_end_outcomes),
		T(test_end_without_outcome),
		T(test_end_spaces_and_utf8),
		T(test_end_outcome_word_alone),
		T(test_end_name_ending_in_outcome),
		T(test_end_not_outcomes),
		T(test_one_space_rule),
		T(test_trailing_cr),
		T(test_for_valid),
		T(test_for_signs_and_letters),
		T(test_for_overflow),
		T(test_for_empty),
		T(test_for_leading_blanks),
		T(test_for_bad_pid_echo),
		T(test_allow),
		T(test_allow_without_rule),
		T(test_empty_line),
		T(test_nul_byte),
		T(test_line_length),
		T(test_unknown_verbs),
		T(test_verb_prefixes),
		T(test_name_length),
		T(test_name_length_multibyte),
		T(test_invalid_utf8),
		T(test_valid_utf8_edges),
		T(test_control_characters),
		T(test_first_offence_reported),
		T(test_check_name),
		T(test_short_error_buffer),
		T(test_request_reset),
		T(test_outcome_name),
		T(test_fuzz),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
