// SPDX-License-Identifier: GPL-2.0
/*
 * test_protocol_lines.c - unit tests for user/protocol.c: whole lines and
 * names, as ls_proto_parse sees one line.
 *
 * Covers empty lines, NUL bytes, lines of 4095 and 4096 bytes, unknown
 * verbs and verbs as prefixes, names of 1024 and 1025 bytes, every class
 * of invalid UTF-8 and every control character with the byte offset in the
 * reason, that the request's pointers point into the line,
 * ls_proto_check_name and ls_outcome_name directly, and a fixed-seed fuzz
 * loop (random bytes and mutations of valid lines, 100k iterations; every
 * reason printable ASCII).
 *
 * Must not: depend on any module but protocol.c.
 */
#include "protocol_fx.h"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
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
