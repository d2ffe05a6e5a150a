// SPDX-License-Identifier: GPL-2.0
/*
 * test_json.c - unit tests for user/json.c: the exact bytes of every escape
 * and UTF-8 class, compact and pretty layout, numbers (also under a comma
 * locale), misuse, write errors, and a random round trip checked by a strict
 * JSON + UTF-8 parser written here, independently of json.c.
 *
 * Must not: depend on the host's locales being installed (the de_DE check
 * skips without one), or leave the process locale changed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json.h"

#define FFFD   "\xef\xbf\xbd"
#define PYTHON "/usr/bin/python3"

/* ---- rendering helpers: free before asserting, so failures do not leak */

typedef void (*build_fn)(struct ls_json *j);

static bool same_bytes(const char *got, size_t len, const char *want,
		       size_t want_len)
{
	if (len == want_len && !memcmp(got, want, len))
		return true;
	print_error("got  [%.*s]\nwant [%.*s]\n", (int)len, got, (int)want_len,
		    want);
	return false;
}

/* Runs @build on a fresh writer; returns the bytes (malloc'd) and rc. */
static char *render(build_fn build, bool pretty, size_t *len, int *rc)
{
	struct ls_json j;
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	assert_non_null(f);
	ls_json_init(&j, f, pretty);
	build(&j);
	*rc = ls_json_finish(&j);
	if (fclose(f))
		*rc = -999;
	return buf;
}

static void check_doc(build_fn build, bool pretty, int want_rc,
		      const char *want)
{
	size_t len;
	int rc;
	char *buf = render(build, pretty, &len, &rc);
	bool same = same_bytes(buf, len, want, strlen(want));

	free(buf);
	assert_int_equal(rc, want_rc);
	assert_true(same);
}

static void check_escape_n(const char *in, size_t n, const char *want)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int rc;
	bool same;

	assert_non_null(f);
	rc = ls_json_escape(f, in, n);
	if (fclose(f))
		rc = -999;
	same = same_bytes(buf, len, want, strlen(want));
	free(buf);
	assert_int_equal(rc, 0);
	assert_true(same);
}

/* sizeof, not strlen: the inputs may hold NUL bytes. */
#define CHECK_ESCAPE(lit, want) check_escape_n(lit, sizeof(lit) - 1, want)
#define CHECK_SAME(lit)		CHECK_ESCAPE(lit, lit)

/* ---- an independent UTF-8 oracle and a strict RFC 8259 parser ---- */

/*
 * Deliberately unlike json.c: decode the code point from the bit pattern,
 * then judge it (overlong, surrogate, too large). Length or 0 if invalid.
 */
static size_t oracle_utf8_len(const unsigned char *p, size_t n)
{
	static const unsigned long min_cp[5] = { 0, 0, 0x80, 0x800, 0x10000 };
	unsigned long cp;
	size_t len, k;

	if (p[0] < 0x80)
		return 1;
	if ((p[0] & 0xe0) == 0xc0)
		len = 2;
	else if ((p[0] & 0xf0) == 0xe0)
		len = 3;
	else if ((p[0] & 0xf8) == 0xf0)
		len = 4;
	else
		return 0;
	if (len > n)
		return 0;
	cp = p[0] & (0x7f >> len);
	for (k = 1; k < len; k++) {
		if ((p[k] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[k] & 0x3f);
	}
	if (cp < min_cp[len] || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

/* What a decoded string must equal: each invalid byte became U+FFFD. */
static size_t oracle_sanitize(const unsigned char *in, size_t n, char *out)
{
	size_t i = 0, o = 0, len;

	while (i < n) {
		len = oracle_utf8_len(in + i, n - i);
		if (!len) {
			memcpy(out + o, FFFD, 3);
			o += 3;
			i++;
			continue;
		}
		memcpy(out + o, in + i, len);
		o += len;
		i += len;
	}
	return o;
}

#define PARSER_MAX_DEPTH 64

struct parser {
	const unsigned char *p, *end;
	int depth;
	/* Called with each decoded string value (keys are not reported). */
	void (*on_string)(void *ctx, const char *s, size_t n);
	void *ctx;
	char str[1024];
	size_t str_len;
};

static int peek(const struct parser *ps)
{
	return ps->p < ps->end ? *ps->p : -1;
}

static bool is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static void skip_ws(struct parser *ps)
{
	while (peek(ps) == ' ' || peek(ps) == '\t' || peek(ps) == '\n' ||
	       peek(ps) == '\r')
		ps->p++;
}

static bool expect_char(struct parser *ps, int c)
{
	if (peek(ps) != c)
		return false;
	ps->p++;
	return true;
}

static bool append(struct parser *ps, const void *s, size_t n)
{
	if (ps->str_len + n > sizeof(ps->str))
		return false;
	memcpy(ps->str + ps->str_len, s, n);
	ps->str_len += n;
	return true;
}

static int hex_val(int c)
{
	if (is_digit(c))
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* \uXXXX; surrogates are rejected: the writer never needs them. */
static bool parse_u_escape(struct parser *ps)
{
	unsigned int cp = 0;
	unsigned char out[3];
	int k, v;

	for (k = 0; k < 4; k++) {
		v = hex_val(peek(ps));
		if (v < 0)
			return false;
		cp = cp << 4 | v;
		ps->p++;
	}
	if (cp >= 0xd800 && cp <= 0xdfff)
		return false;
	if (cp < 0x80) {
		out[0] = cp;
		return append(ps, out, 1);
	}
	if (cp < 0x800) {
		out[0] = 0xc0 | cp >> 6;
		out[1] = 0x80 | (cp & 0x3f);
		return append(ps, out, 2);
	}
	out[0] = 0xe0 | cp >> 12;
	out[1] = 0x80 | (cp >> 6 & 0x3f);
	out[2] = 0x80 | (cp & 0x3f);
	return append(ps, out, 3);
}

static bool parse_escape(struct parser *ps)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	int c = peek(ps);
	const char *hit;

	if (c < 0)
		return false;
	ps->p++;
	if (c == 'u')
		return parse_u_escape(ps);
	hit = c ? strchr(from, c) : NULL;
	return hit && append(ps, &to[hit - from], 1);
}

static bool parse_string(struct parser *ps, bool report)
{
	size_t len;
	int c;

	if (!expect_char(ps, '"'))
		return false;
	ps->str_len = 0;
	while ((c = peek(ps)) != '"') {
		if (c < 0x20) /* also the end of input */
			return false;
		if (expect_char(ps, '\\')) {
			if (!parse_escape(ps))
				return false;
			continue;
		}
		len = oracle_utf8_len(ps->p, ps->end - ps->p);
		if (!len || !append(ps, ps->p, len))
			return false;
		ps->p += len;
	}
	ps->p++;
	if (report && ps->on_string)
		ps->on_string(ps->ctx, ps->str, ps->str_len);
	return true;
}

static bool skip_digits(struct parser *ps)
{
	if (!is_digit(peek(ps)))
		return false;
	while (is_digit(peek(ps)))
		ps->p++;
	return true;
}

static bool parse_number(struct parser *ps)
{
	expect_char(ps, '-');
	if (!expect_char(ps, '0') && !skip_digits(ps))
		return false;
	if (expect_char(ps, '.') && !skip_digits(ps))
		return false;
	if (expect_char(ps, 'e') || expect_char(ps, 'E')) {
		if (!expect_char(ps, '+'))
			expect_char(ps, '-');
		return skip_digits(ps);
	}
	return true;
}

static bool parse_literal(struct parser *ps, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n))
		return false;
	ps->p += n;
	return true;
}

static bool parse_value(struct parser *ps);

/* Members of an object or elements of an array, after the opening. */
static bool parse_items(struct parser *ps, bool object, int close)
{
	skip_ws(ps);
	if (expect_char(ps, close))
		return true;
	do {
		skip_ws(ps);
		if (object) {
			if (!parse_string(ps, false))
				return false;
			skip_ws(ps);
			if (!expect_char(ps, ':'))
				return false;
		}
		if (!parse_value(ps))
			return false;
		skip_ws(ps);
	} while (expect_char(ps, ','));
	return expect_char(ps, close);
}

static bool parse_container(struct parser *ps, bool object)
{
	bool ok;

	if (++ps->depth > PARSER_MAX_DEPTH)
		return false;
	ps->p++;
	ok = parse_items(ps, object, object ? '}' : ']');
	ps->depth--;
	return ok;
}

static bool parse_value(struct parser *ps)
{
	int c;

	skip_ws(ps);
	c = peek(ps);
	if (c == '{' || c == '[')
		return parse_container(ps, c == '{');
	if (c == '"')
		return parse_string(ps, true);
	if (c == '-' || is_digit(c))
		return parse_number(ps);
	return parse_literal(ps, "true") || parse_literal(ps, "false") ||
	       parse_literal(ps, "null");
}

/* Exactly one JSON text, valid UTF-8 throughout. */
static bool json_valid(const char *buf, size_t len,
		       void (*on_string)(void *, const char *, size_t),
		       void *ctx)
{
	struct parser ps = {
		.p = (const unsigned char *)buf,
		.end = (const unsigned char *)buf + len,
		.on_string = on_string,
		.ctx = ctx,
	};

	if (!parse_value(&ps))
		return false;
	skip_ws(&ps);
	return ps.p == ps.end;
}

#define VALID(lit) json_valid(lit, sizeof(lit) - 1, NULL, NULL)

/* The round trip is only as good as its checker: make sure it rejects. */
static void test_validator_self_check(void **state)
{
	(void)state;
	assert_true(VALID("{}"));
	assert_true(VALID("[]"));
	assert_true(VALID("0"));
	assert_true(VALID(" [ 1 , -0.5 , 2E+10 , 3e-2 ] \n"));
	assert_true(VALID("{\"a\":{\"b\":[null,true,false]},\"c\":\"\"}"));
	assert_true(VALID("\"\\u0000\\u00e9\\/\xc3\xa9\xf0\x9f\x98\x80\x7f\""));
	assert_false(VALID(""));
	assert_false(VALID("[1,]"));
	assert_false(VALID("{\"a\"}"));
	assert_false(VALID("{\"a\":1,}"));
	assert_false(VALID("{1:1}"));
	assert_false(VALID("01"));
	assert_false(VALID("-"));
	assert_false(VALID("1."));
	assert_false(VALID(".5"));
	assert_false(VALID("1,5"));
	assert_false(VALID("NaN"));
	assert_false(VALID("nul"));
	assert_false(VALID("[1] [2]"));
	assert_false(VALID("["));
	assert_false(VALID("\"abc"));
	assert_false(VALID("\"\x01\""));
	assert_false(VALID("\"\n\""));
	assert_false(VALID("\"\0\""));
	assert_false(VALID("\"\\x\""));
	assert_false(VALID("\"\\u12\""));
	assert_false(VALID("\"\\ud800\""));
	assert_false(VALID("\"\xc0\xaf\""));
	assert_false(VALID("\"\xed\xa0\x80\""));
	assert_false(VALID("\"\xf4\x90\x80\x80\""));
	assert_false(VALID("\"\xe2\x82\""));
	assert_false(VALID("\"\x80\""));
	assert_false(VALID("\"\xff\""));
	assert_false(VALID("[1]\xff"));
}

/* ---- escaping ---- */

static void test_escape_short(void **state)
{
	(void)state;
	CHECK_ESCAPE("\"", "\\\"");
	CHECK_ESCAPE("\\", "\\\\");
	CHECK_ESCAPE("\b\f\n\r\t", "\\b\\f\\n\\r\\t");
	CHECK_ESCAPE("C:\\dir\\\"x\"\n", "C:\\\\dir\\\\\\\"x\\\"\\n");
	CHECK_SAME("/usr/lib/x.so");
	CHECK_SAME("");
	CHECK_SAME(" !#$%&'()*+,-.:;<=>?@[]^_`{|}~azAZ09");
}

static void test_escape_control(void **state)
{
	char in, want[8];

	(void)state;
	CHECK_ESCAPE("\x01", "\\u0001");
	CHECK_ESCAPE("\x0b", "\\u000b");
	CHECK_ESCAPE("\x1f", "\\u001f");
	CHECK_ESCAPE("\x7f", "\\u007f");
	CHECK_ESCAPE("\x1b[31mred\x1b[0m", "\\u001b[31mred\\u001b[0m");
	CHECK_ESCAPE("a\x7f\x1ez", "a\\u007f\\u001ez");
	/* Every byte below 0x20 without a short form, lowercase hex. */
	for (in = 1; in < 0x20; in++) {
		if (strchr("\b\f\n\r\t", in))
			continue;
		snprintf(want, sizeof(want), "\\u%04x", in);
		check_escape_n(&in, 1, want);
	}
}

static void test_escape_printable_ascii_unchanged(void **state)
{
	char c, s[2] = { 0 };

	(void)state;
	for (c = 0x20; c < 0x7f; c++) {
		if (c == '"' || c == '\\')
			continue;
		s[0] = c;
		check_escape_n(s, 1, s);
	}
}

static void build_nul_strings(struct ls_json *j)
{
	ls_json_begin_array(j);
	ls_json_string_n(j, "a\0b", 3);
	ls_json_string_n(j, "\0", 1);
	ls_json_string_n(j, "\0\0\n", 3);
	ls_json_string_n(j, "abc", 0);
	ls_json_string(j, "a\0b"); /* a C string ends at the NUL */
	ls_json_end_array(j);
}

static void test_string_n_nul(void **state)
{
	(void)state;
	CHECK_ESCAPE("\0", "\\u0000");
	CHECK_ESCAPE("x\0y", "x\\u0000y");
	check_doc(build_nul_strings, false, 0,
		  "[\"a\\u0000b\",\"\\u0000\",\"\\u0000\\u0000\\n\",\"\","
		  "\"a\"]");
}

static void test_utf8_valid(void **state)
{
	(void)state;
	CHECK_SAME("\xc2\x80");		 /* U+0080, smallest 2-byte */
	CHECK_SAME("\xc3\xa9t\xc3\xa9"); /* "été" */
	CHECK_SAME("\xdf\xbf");		 /* U+07FF */
	CHECK_SAME("\xe0\xa0\x80");	 /* U+0800, smallest 3-byte */
	CHECK_SAME("\xe2\x82\xac");	 /* U+20AC euro */
	CHECK_SAME("\xed\x9f\xbf");	 /* U+D7FF, just below surrogates */
	CHECK_SAME("\xee\x80\x80");	 /* U+E000, just above them */
	CHECK_SAME("\xef\xbf\xbd");	 /* U+FFFD itself */
	CHECK_SAME("\xef\xbf\xbf");	 /* U+FFFF */
	CHECK_SAME("\xf0\x90\x80\x80");	 /* U+10000, smallest 4-byte */
	CHECK_SAME("\xf0\x9f\x98\x80");	 /* U+1F600 */
	CHECK_SAME("\xf4\x8f\xbf\xbf");	 /* U+10FFFF, the last one */
	CHECK_ESCAPE("/tmp/\xe6\x97\xa5\xe6\x9c\xac\n",
		     "/tmp/\xe6\x97\xa5\xe6\x9c\xac\\n");
}

static void test_utf8_invalid(void **state)
{
	(void)state;
	/* lone continuation bytes */
	CHECK_ESCAPE("\x80", FFFD);
	CHECK_ESCAPE("a\xbfz", "a" FFFD "z");
	CHECK_ESCAPE("\x80\x80", FFFD FFFD);
	/* overlong 2-, 3- and 4-byte forms ('/' and U+07FF, U+FFFF) */
	CHECK_ESCAPE("\xc0\xaf", FFFD FFFD);
	CHECK_ESCAPE("\xc1\xbf", FFFD FFFD);
	CHECK_ESCAPE("\xe0\x80\xaf", FFFD FFFD FFFD);
	CHECK_ESCAPE("\xe0\x9f\xbf", FFFD FFFD FFFD);
	CHECK_ESCAPE("\xf0\x80\x80\xaf", FFFD FFFD FFFD FFFD);
	CHECK_ESCAPE("\xf0\x8f\xbf\xbf", FFFD FFFD FFFD FFFD);
	/* UTF-16 surrogates, high and low, alone and paired */
	CHECK_ESCAPE("\xed\xa0\x80", FFFD FFFD FFFD);
	CHECK_ESCAPE("\xed\xbf\xbf", FFFD FFFD FFFD);
	CHECK_ESCAPE("\xed\xa0\xbd\xed\xb8\x80", FFFD FFFD FFFD FFFD FFFD FFFD);
	/* above U+10FFFF */
	CHECK_ESCAPE("\xf4\x90\x80\x80", FFFD FFFD FFFD FFFD);
	CHECK_ESCAPE("\xf5\x80\x80\x80", FFFD FFFD FFFD FFFD);
	CHECK_ESCAPE("\xf7\xbf\xbf\xbf", FFFD FFFD FFFD FFFD);
	/* truncated at the end of the string, then in the middle */
	CHECK_ESCAPE("a\xc3", "a" FFFD);
	CHECK_ESCAPE("a\xe2\x82", "a" FFFD FFFD);
	CHECK_ESCAPE("a\xf0\x9f\x98", "a" FFFD FFFD FFFD);
	CHECK_ESCAPE("\xe2\x82z\xc3\xa9", FFFD FFFD "z\xc3\xa9");
	CHECK_ESCAPE("\xf0\x9f\x98\"", FFFD FFFD FFFD "\\\"");
	/* bytes that never appear in UTF-8 */
	CHECK_ESCAPE("\xfe", FFFD);
	CHECK_ESCAPE("\xff", FFFD);
	CHECK_ESCAPE("\xfe\xff\xf8\x88\x80\x80\x80",
		     FFFD FFFD FFFD FFFD FFFD FFFD FFFD);
	/* resynchronises on the next byte */
	CHECK_ESCAPE("\xff\xc3\xa9\xff", FFFD "\xc3\xa9" FFFD);
}

static void build_hostile_key(struct ls_json *j)
{
	ls_json_begin_object(j);
	ls_json_kv_int(j, "a\"b\x01\xff/", 1);
	ls_json_end_object(j);
}

static void build_nulls(struct ls_json *j)
{
	ls_json_begin_object(j);
	ls_json_kv_string(j, "s", NULL);
	ls_json_key(j, "n");
	ls_json_string_n(j, NULL, 5);
	ls_json_kv_null(j, "z");
	ls_json_kv_bool(j, "t", true);
	ls_json_kv_bool(j, "f", false);
	ls_json_end_object(j);
}

static void test_keys_and_literals(void **state)
{
	(void)state;
	check_doc(build_hostile_key, false, 0,
		  "{\"a\\\"b\\u0001" FFFD "/\":1}");
	check_doc(build_nulls, false, 0,
		  "{\"s\":null,\"n\":null,\"z\":null,\"t\":true,\"f\":false}");
}

/* ---- layout ---- */

static void build_nested(struct ls_json *j)
{
	ls_json_begin_object(j);
	ls_json_kv_string(j, "tool", "leakscope");
	ls_json_key(j, "findings");
	ls_json_begin_array(j);
	ls_json_begin_object(j);
	ls_json_kv_string(j, "kind", "fd");
	ls_json_kv_int(j, "fd", 3);
	ls_json_key(j, "argv");
	ls_json_begin_array(j);
	ls_json_string(j, "cat");
	ls_json_string(j, "/tmp/x");
	ls_json_end_array(j);
	ls_json_end_object(j);
	ls_json_begin_object(j);
	ls_json_kv_string(j, "kind", "socket");
	ls_json_key(j, "peer");
	ls_json_begin_object(j);
	ls_json_kv_uint(j, "port", 80);
	ls_json_end_object(j);
	ls_json_end_object(j);
	ls_json_end_array(j);
	ls_json_kv_bool(j, "ok", false);
	ls_json_kv_double(j, "secs", 1.5, 2);
	ls_json_kv_null(j, "note");
	ls_json_end_object(j);
}

static void test_nested_compact(void **state)
{
	(void)state;
	check_doc(build_nested, false, 0,
		  "{\"tool\":\"leakscope\",\"findings\":[{\"kind\":\"fd\","
		  "\"fd\":3,\"argv\":[\"cat\",\"/tmp/x\"]},{\"kind\":"
		  "\"socket\",\"peer\":{\"port\":80}}],\"ok\":false,"
		  "\"secs\":1.50,\"note\":null}");
}

static void test_nested_pretty(void **state)
{
	(void)state;
	check_doc(build_nested, true, 0,
		  "{\n"
		  "  \"tool\": \"leakscope\",\n"
		  "  \"findings\": [\n"
		  "    {\n"
		  "      \"kind\": \"fd\",\n"
		  "      \"fd\": 3,\n"
		  "      \"argv\": [\n"
		  "        \"cat\",\n"
		  "        \"/tmp/x\"\n"
		  "      ]\n"
		  "    },\n"
		  "    {\n"
		  "      \"kind\": \"socket\",\n"
		  "      \"peer\": {\n"
		  "        \"port\": 80\n"
		  "      }\n"
		  "    }\n"
		  "  ],\n"
		  "  \"ok\": false,\n"
		  "  \"secs\": 1.50,\n"
		  "  \"note\": null\n"
		  "}\n");
}

static void build_arrays(struct ls_json *j)
{
	ls_json_begin_array(j);
	ls_json_begin_array(j);
	ls_json_int(j, 1);
	ls_json_int(j, 2);
	ls_json_end_array(j);
	ls_json_begin_array(j);
	ls_json_end_array(j);
	ls_json_begin_array(j);
	ls_json_begin_array(j);
	ls_json_int(j, 3);
	ls_json_end_array(j);
	ls_json_end_array(j);
	ls_json_end_array(j);
}

static void test_arrays_of_arrays(void **state)
{
	(void)state;
	check_doc(build_arrays, false, 0, "[[1,2],[],[[3]]]");
	check_doc(build_arrays, true, 0,
		  "[\n  [\n    1,\n    2\n  ],\n  [],\n  [\n    [\n      3\n"
		  "    ]\n  ]\n]\n");
}

static void build_empty_object(struct ls_json *j)
{
	ls_json_begin_object(j);
	ls_json_end_object(j);
}

static void build_empty_array(struct ls_json *j)
{
	ls_json_begin_array(j);
	ls_json_end_array(j);
}

static void build_empty_members(struct ls_json *j)
{
	ls_json_begin_object(j);
	ls_json_key(j, "a");
	build_empty_object(j);
	ls_json_key(j, "b");
	build_empty_array(j);
	ls_json_end_object(j);
}

static void build_scalar(struct ls_json *j)
{
	ls_json_int(j, 42);
}

static void test_empty_and_scalar(void **state)
{
	(void)state;
	check_doc(build_empty_object, false, 0, "{}");
	check_doc(build_empty_object, true, 0, "{}\n");
	check_doc(build_empty_array, false, 0, "[]");
	check_doc(build_empty_array, true, 0, "[]\n");
	check_doc(build_empty_members, false, 0, "{\"a\":{},\"b\":[]}");
	check_doc(build_empty_members, true, 0,
		  "{\n  \"a\": {},\n  \"b\": []\n}\n");
	check_doc(build_scalar, false, 0, "42");
	check_doc(build_scalar, true, 0, "42\n");
}

/* ---- numbers ---- */

static void build_integers(struct ls_json *j)
{
	ls_json_begin_array(j);
	ls_json_int(j, INT64_MIN);
	ls_json_int(j, INT64_MAX);
	ls_json_int(j, 0);
	ls_json_int(j, -1);
	ls_json_uint(j, UINT64_MAX);
	ls_json_uint(j, 0);
	ls_json_end_array(j);
}

static void test_integers(void **state)
{
	(void)state;
	check_doc(build_integers, false, 0,
		  "[-9223372036854775808,9223372036854775807,0,-1,"
		  "18446744073709551615,0]");
}

static void build_doubles(struct ls_json *j)
{
	ls_json_begin_array(j);
	ls_json_double(j, 0.0, 3);
	ls_json_double(j, -1.5, 2);
	ls_json_double(j, 1.23456, 3);
	ls_json_double(j, 2.0 / 3.0, 3);
	ls_json_double(j, 1.99999, 0);
	ls_json_double(j, -3.4, 0);
	ls_json_double(j, -0.0, 2);
	ls_json_double(j, -0.001, 2);
	ls_json_double(j, 1e20, 1);
	ls_json_double(j, 3.7, -1);
	ls_json_double(j, 0.5, 100);
	ls_json_double(j, NAN, 3);
	ls_json_double(j, INFINITY, 3);
	ls_json_double(j, -INFINITY, 3);
	ls_json_end_array(j);
}

#define DOUBLES                                                              \
	"[0.000,-1.50,1.235,0.667,2,-3,0.00,0.00,100000000000000000000.0,4," \
	"0.50000000000000000,null,null,null]"

static void test_doubles(void **state)
{
	(void)state;
	check_doc(build_doubles, false, 0, DOUBLES);
}

/* A locale compiled by comma_locale(), removed after the test. */
static char locale_dir[] = "/tmp/ls-locale-XXXXXX";
static bool locale_made;

static int restore_c_locale(void **state)
{
	char cmd[64];

	(void)state;
	setlocale(LC_NUMERIC, "C");
	if (locale_made) {
		snprintf(cmd, sizeof(cmd), "rm -rf %s", locale_dir);
		if (system(cmd) != 0)
			return -1;
	}
	return 0;
}

/* printf would write "1,5" here; the writer must not. */
/*
 * A locale whose decimal point is ',': the installed de_DE.UTF-8, else one
 * compiled here with localedef (package locales, which make deps installs)
 * into a private LOCPATH. Skips only where neither is possible.
 */
static bool comma_locale(void)
{
	char cmd[256];

	if (setlocale(LC_NUMERIC, "de_DE.UTF-8"))
		return true;
	if (!mkdtemp(locale_dir))
		return false;
	locale_made = true;
	snprintf(cmd, sizeof(cmd),
		 "localedef -i de_DE -f UTF-8 %s/de_DE.UTF-8 "
		 ">/dev/null 2>&1",
		 locale_dir);
	if (system(cmd) != 0)
		return false;
	setenv("LOCPATH", locale_dir, 1);
	return setlocale(LC_NUMERIC, "de_DE.UTF-8") != NULL;
}

static void test_doubles_comma_locale(void **state)
{
	char probe[16];

	(void)state;
	if (!comma_locale())
		skip();
	snprintf(probe, sizeof(probe), "%.1f", 1.5);
	if (strcmp(probe, "1,5"))
		skip();
	check_doc(build_doubles, false, 0, DOUBLES);
	check_doc(build_nested, false, 0,
		  "{\"tool\":\"leakscope\",\"findings\":[{\"kind\":\"fd\","
		  "\"fd\":3,\"argv\":[\"cat\",\"/tmp/x\"]},{\"kind\":"
		  "\"socket\",\"peer\":{\"port\":80}}],\"ok\":false,"
		  "\"secs\":1.50,\"note\":null}");
}

/* ---- misuse: -EINVAL, no crash, and still a parseable document ---- */

static void build_end_at_top(struct ls_json *j)
{
	ls_json_end_object(j);
	build_nested(j); /* ignored after the error */
}

static void build_end_array_at_top(struct ls_json *j)
{
	ls_json_end_array(j);
}

static void build_value_without_key(struct ls_json *j)
{
	ls_json_begin_object(j);
	ls_json_kv_int(j, "a", 1);
	ls_json_int(j, 2);
	ls_json_kv_int(j, "b", 3);
	ls_json_end_object(j);
}

static void build_container_without_key(struct ls_json *j)
{
	ls_json_begin_object(j);
	ls_json_begin_array(j);
	ls_json_end_array(j);
	ls_json_end_object(j);
}

static void build_key_in_array(struct ls_json *j)
{
	ls_json_begin_array(j);
	ls_json_int(j, 1);
	ls_json_kv_int(j, "k", 2);
	ls_json_end_array(j);
}

static void build_key_at_top(struct ls_json *j)
{
	ls_json_key(j, "k");
}

static void build_key_after_key(struct ls_json *j)
{
	ls_json_begin_object(j);
	ls_json_key(j, "a");
	ls_json_key(j, "b");
	ls_json_int(j, 1);
	ls_json_end_object(j);
}

static void build_null_key(struct ls_json *j)
{
	ls_json_begin_object(j);
	ls_json_kv_int(j, NULL, 1);
	ls_json_end_object(j);
}

static void build_mismatched_end(struct ls_json *j)
{
	ls_json_begin_object(j);
	ls_json_end_array(j);
}

static void build_end_after_key(struct ls_json *j)
{
	ls_json_begin_object(j);
	ls_json_key(j, "a");
	ls_json_end_object(j);
}

static void build_two_top_values(struct ls_json *j)
{
	ls_json_int(j, 1);
	ls_json_int(j, 2);
}

static void build_unclosed(struct ls_json *j)
{
	ls_json_begin_object(j);
	ls_json_key(j, "a");
	ls_json_begin_array(j);
	ls_json_int(j, 2);
}

static void build_dangling_key(struct ls_json *j)
{
	ls_json_begin_object(j);
	ls_json_key(j, "a");
}

static void build_nothing(struct ls_json *j)
{
	(void)j;
}

static void build_depth(struct ls_json *j, int depth)
{
	int i;

	for (i = 0; i < depth; i++)
		ls_json_begin_array(j);
	for (i = 0; i < depth; i++)
		ls_json_end_array(j);
}

static void build_max_depth(struct ls_json *j)
{
	build_depth(j, LS_JSON_MAX_DEPTH);
}

static void build_too_deep(struct ls_json *j)
{
	build_depth(j, LS_JSON_MAX_DEPTH + 1);
}

static void build_too_deep_in_object(struct ls_json *j)
{
	int i;

	for (i = 0; i < LS_JSON_MAX_DEPTH; i++) {
		ls_json_begin_object(j);
		ls_json_key(j, "k");
	}
	ls_json_begin_object(j);
	ls_json_int(j, 1);
}

static const struct misuse {
	const char *name;
	build_fn build;
	const char *want; /* compact output, closed by finish() */
} misuses[] = {
	{ "end_object at depth 0", build_end_at_top, "null" },
	{ "end_array at depth 0", build_end_array_at_top, "null" },
	{ "value without key", build_value_without_key, "{\"a\":1}" },
	{ "container without key", build_container_without_key, "{}" },
	{ "key in array", build_key_in_array, "[1]" },
	{ "key at top level", build_key_at_top, "null" },
	{ "key after key", build_key_after_key, "{\"a\":null}" },
	{ "NULL key", build_null_key, "{}" },
	{ "end_array closes object", build_mismatched_end, "{}" },
	{ "end_object after key", build_end_after_key, "{\"a\":null}" },
	{ "two top-level values", build_two_top_values, "1" },
	{ "unclosed containers", build_unclosed, "{\"a\":[2]}" },
	{ "dangling key", build_dangling_key, "{\"a\":null}" },
	{ "empty document", build_nothing, "null" },
	{ "too deep", build_too_deep, NULL },
	{ "too deep in objects", build_too_deep_in_object, NULL },
};

/* Renders @build; true if finish() said @want_rc and the result parses. */
static bool parses(build_fn build, bool pretty, int want_rc)
{
	size_t len;
	int rc;
	char *buf = render(build, pretty, &len, &rc);
	bool ok = rc == want_rc && json_valid(buf, len, NULL, NULL);

	if (!ok)
		print_error("rc %d, output [%.*s]\n", rc, (int)len, buf);
	free(buf);
	return ok;
}

static void test_misuse(void **state)
{
	const struct misuse *m;
	bool ok;

	(void)state;
	for (m = misuses; m < misuses + sizeof(misuses) / sizeof(*m); m++) {
		ok = parses(m->build, false, -EINVAL) &&
		     parses(m->build, true, -EINVAL);
		if (!ok)
			print_error("misuse: %s\n", m->name);
		assert_true(ok);
		if (m->want)
			check_doc(m->build, false, -EINVAL, m->want);
	}
}

static void test_depth_limit(void **state)
{
	char want[2 * LS_JSON_MAX_DEPTH + 1];

	(void)state;
	memset(want, '[', LS_JSON_MAX_DEPTH);
	memset(want + LS_JSON_MAX_DEPTH, ']', LS_JSON_MAX_DEPTH);
	want[2 * LS_JSON_MAX_DEPTH] = '\0';
	check_doc(build_max_depth, false, 0, want);
	/* One more: the extra level is dropped, the rest is closed. */
	check_doc(build_too_deep, false, -EINVAL, want);
	assert_true(parses(build_max_depth, true, 0));
}

static void test_null_stream(void **state)
{
	struct ls_json j;

	(void)state;
	ls_json_init(&j, NULL, true);
	build_nested(&j);
	assert_int_equal(ls_json_finish(&j), -EINVAL);
}

/* ---- write errors ---- */

static FILE *open_full(bool unbuffered)
{
	FILE *f = fopen("/dev/full", "w");

	if (f && unbuffered)
		setvbuf(f, NULL, _IONBF, 0);
	return f;
}

/* @build on /dev/full: what finish() says. */
static int finish_on_full(build_fn build, bool unbuffered)
{
	struct ls_json j;
	FILE *f = open_full(unbuffered);
	int rc;

	if (!f)
		skip();
	ls_json_init(&j, f, true);
	build(&j);
	rc = ls_json_finish(&j);
	fclose(f);
	return rc;
}

static void build_then_misuse(struct ls_json *j)
{
	build_nested(j);
	ls_json_end_object(j);
}

static void test_write_error(void **state)
{
	(void)state;
	/* Fails on the first byte... */
	assert_int_equal(finish_on_full(build_nested, true), -EIO);
	assert_int_equal(finish_on_full(build_scalar, true), -EIO);
	/* ...or only when finish() flushes. */
	assert_int_equal(finish_on_full(build_nested, false), -EIO);
	/* The first error wins, whichever it is. */
	assert_int_equal(finish_on_full(build_then_misuse, true), -EIO);
	assert_int_equal(finish_on_full(build_end_at_top, true), -EINVAL);
}

static int escape_on_full(const char *s)
{
	FILE *f = open_full(true);
	int rc;

	if (!f)
		skip();
	rc = ls_json_escape(f, s, strlen(s));
	fclose(f);
	return rc;
}

static void test_escape_write_error(void **state)
{
	(void)state;
	assert_int_equal(escape_on_full("plain"), -EIO);
	assert_int_equal(escape_on_full("\n"), -EIO);
	assert_int_equal(escape_on_full("\xff"), -EIO);
	assert_int_equal(escape_on_full(""), 0);
}

/* A stream that takes @budget bytes, then fails every write. */
static ssize_t budget_write(void *cookie, const char *buf, size_t size)
{
	size_t *budget = cookie;

	(void)buf;
	if (size > *budget)
		return -1;
	*budget -= size;
	return size;
}

static int finish_with_budget(build_fn build, bool pretty, size_t budget)
{
	cookie_io_functions_t io = { .write = budget_write };
	struct ls_json j;
	FILE *f = fopencookie(&budget, "w", io);
	int rc;

	assert_non_null(f);
	setvbuf(f, NULL, _IONBF, 0);
	ls_json_init(&j, f, pretty);
	build(&j);
	rc = ls_json_finish(&j);
	fclose(f);
	return rc;
}

static void build_hostile_strings(struct ls_json *j)
{
	ls_json_begin_array(j);
	ls_json_string(j, "a long path with no escapes at all /tmp/xyz");
	ls_json_string(j, "q\"\\\n\x01\xff\xe2\x82\xac tail");
	ls_json_string_n(j, "\0", 1);
	ls_json_end_array(j);
}

/* Whichever write fails, finish() must not claim success. */
static void test_write_error_at_every_offset(void **state)
{
	static const build_fn builds[] = { build_nested,
					   build_hostile_strings };
	size_t len, n, b;
	int rc, bad = 0, p;
	char *buf;

	(void)state;
	for (b = 0; b < sizeof(builds) / sizeof(*builds); b++) {
		for (p = 0; p < 2; p++) {
			buf = render(builds[b], p, &len, &rc);
			free(buf);
			assert_int_equal(rc, 0);
			for (n = 0; n < len; n++)
				if (finish_with_budget(builds[b], p, n) != -EIO)
					bad++;
			assert_int_equal(finish_with_budget(builds[b], p, len),
					 0);
		}
	}
	assert_int_equal(bad, 0);
}

/* ---- random round trip ---- */

#define ROUNDS	2000
#define MAX_LEN 64

/* xorshift64*: the same strings on every libc. */
static uint64_t next_rand(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dULL;
}

/* Appends the UTF-8 form of a random code point, surrogates included. */
static size_t encode_random(uint64_t *s, unsigned char *out)
{
	static const uint32_t top[] = { 0x7f, 0x7ff, 0xffff, 0x10ffff };
	uint64_t r = next_rand(s);
	int len = r % 4 + 1;
	uint32_t cp = (r >> 8) % (top[len - 1] + 1);

	if (len == 1) {
		out[0] = cp;
		return 1;
	}
	out[len - 1] = 0x80 | (cp & 0x3f);
	if (len > 2)
		out[len - 2] = 0x80 | (cp >> 6 & 0x3f);
	if (len > 3)
		out[1] = 0x80 | (cp >> 12 & 0x3f);
	out[0] = (unsigned char)(0xf00 >> len) | cp >> (6 * (len - 1));
	return len;
}

/*
 * Length 0..64. Every byte value appears; encoded code points (often
 * overlong or surrogates, as len is picked before cp) make multi-byte
 * sequences common, and the length cap truncates some of them.
 */
static size_t random_string(uint64_t *s, unsigned char *out)
{
	size_t want = next_rand(s) % (MAX_LEN + 1), n = 0;
	unsigned char tmp[4];
	size_t k, len;

	while (n < want) {
		if (next_rand(s) % 2) {
			out[n++] = next_rand(s) & 0xff;
			continue;
		}
		len = encode_random(s, tmp);
		for (k = 0; k < len && n < want; k++)
			out[n++] = tmp[k];
	}
	return n;
}

struct round_trip {
	uint64_t seed;
	int seen;
	int mismatches;
};

/* Regenerates the inputs in order instead of storing them. */
static void compare_decoded(void *ctx, const char *s, size_t n)
{
	struct round_trip *rt = ctx;
	unsigned char in[MAX_LEN];
	char want[3 * MAX_LEN];
	size_t len = random_string(&rt->seed, in);
	size_t want_len = oracle_sanitize(in, len, want);

	rt->seen++;
	if (n != want_len || memcmp(s, want, n)) {
		if (!rt->mismatches)
			print_error("string %d: got [%.*s] want [%.*s]\n",
				    rt->seen - 1, (int)n, s, (int)want_len,
				    want);
		rt->mismatches++;
	}
}

#define SEED 0x6c65616b73636f70ULL

static void build_random(struct ls_json *j)
{
	uint64_t seed = SEED;
	unsigned char in[MAX_LEN];
	int i;

	ls_json_begin_array(j);
	for (i = 0; i < ROUNDS; i++)
		ls_json_string_n(j, (char *)in, random_string(&seed, in));
	ls_json_end_array(j);
}

/* A second opinion when python3 exists: strict UTF-8, then json.loads. */
static int python_check(const char *buf, size_t len)
{
	static const char script[] =
		"import json, sys\n"
		"v = json.loads(sys.stdin.buffer.read().decode(\"utf-8\"))\n"
		"ok = len(v) == int(sys.argv[1])\n"
		"sys.exit(0 if ok and all(isinstance(s, str) for s in v) else "
		"1)";
	void (*old_pipe)(int);
	char cmd[512];
	FILE *p;
	size_t put = 0;
	int status = -1;

	if (access(PYTHON, X_OK))
		return 0;
	snprintf(cmd, sizeof(cmd), "%s -c '%s' %d", PYTHON, script, ROUNDS);
	/* A python that dies early must fail the test, not kill it. */
	old_pipe = signal(SIGPIPE, SIG_IGN);
	p = popen(cmd, "w");
	if (p) {
		put = fwrite(buf, 1, len, p);
		status = pclose(p);
	}
	signal(SIGPIPE, old_pipe);
	return status == 0 && put == len ? 0 : -1;
}

static void round_trip(bool pretty)
{
	struct round_trip rt = { .seed = SEED };
	size_t len;
	int rc, py = 0;
	char *buf = render(build_random, pretty, &len, &rc);
	bool valid = json_valid(buf, len, compare_decoded, &rt);

	if (!pretty)
		py = python_check(buf, len);
	free(buf);
	assert_int_equal(rc, 0);
	assert_true(valid);
	assert_int_equal(rt.seen, ROUNDS);
	assert_int_equal(rt.mismatches, 0);
	assert_int_equal(py, 0);
}

static void test_random_round_trip(void **state)
{
	(void)state;
	round_trip(false);
	round_trip(true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_validator_self_check),
		cmocka_unit_test(test_escape_short),
		cmocka_unit_test(test_escape_control),
		cmocka_unit_test(test_escape_printable_ascii_unchanged),
		cmocka_unit_test(test_string_n_nul),
		cmocka_unit_test(test_utf8_valid),
		cmocka_unit_test(test_utf8_invalid),
		cmocka_unit_test(test_keys_and_literals),
		cmocka_unit_test(test_nested_compact),
		cmocka_unit_test(test_nested_pretty),
		cmocka_unit_test(test_arrays_of_arrays),
		cmocka_unit_test(test_empty_and_scalar),
		cmocka_unit_test(test_integers),
		cmocka_unit_test(test_doubles),
		cmocka_unit_test_teardown(test_doubles_comma_locale,
					  restore_c_locale),
		cmocka_unit_test(test_misuse),
		cmocka_unit_test(test_depth_limit),
		cmocka_unit_test(test_null_stream),
		cmocka_unit_test(test_write_error),
		cmocka_unit_test(test_escape_write_error),
		cmocka_unit_test(test_write_error_at_every_offset),
		cmocka_unit_test(test_random_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
