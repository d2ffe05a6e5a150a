/* SPDX-License-Identifier: GPL-2.0 */
/*
 * json_fx.h - helpers of the user/json.c tests (test_json_*.c): rendering a
 * document into memory and comparing its exact bytes (freeing before
 * asserting, so failures do not leak), builders shared by several tests,
 * and an independent UTF-8 oracle and strict RFC 8259 + UTF-8 parser
 * written here, independently of json.c.
 *
 * Must not: depend on any module but json.c. Included by one test file
 * each.
 */
#ifndef LS_TESTS_JSON_FX_H
#define LS_TESTS_JSON_FX_H

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

/* ---- rendering helpers: free before asserting, so failures do not leak */

typedef void (*build_fn)(struct ls_json *j);

static inline bool same_bytes(const char *got, size_t len, const char *want,
			      size_t want_len)
{
	if (len == want_len && !memcmp(got, want, len))
		return true;
	print_error("got  [%.*s]\nwant [%.*s]\n", (int)len, got, (int)want_len,
		    want);
	return false;
}

/* Runs @build on a fresh writer; returns the bytes (malloc'd) and rc. */
static inline char *render(build_fn build, bool pretty, size_t *len, int *rc)
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

static inline void check_doc(build_fn build, bool pretty, int want_rc,
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

/* ---- an independent UTF-8 oracle and a strict RFC 8259 parser ---- */

/*
 * Deliberately unlike json.c: decode the code point from the bit pattern,
 * then judge it (overlong, surrogate, too large). Length or 0 if invalid.
 */
static inline size_t oracle_utf8_len(const unsigned char *p, size_t n)
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

static inline int peek(const struct parser *ps)
{
	return ps->p < ps->end ? *ps->p : -1;
}

static inline bool is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static inline void skip_ws(struct parser *ps)
{
	while (peek(ps) == ' ' || peek(ps) == '\t' || peek(ps) == '\n' ||
	       peek(ps) == '\r')
		ps->p++;
}

static inline bool expect_char(struct parser *ps, int c)
{
	if (peek(ps) != c)
		return false;
	ps->p++;
	return true;
}

static inline bool append(struct parser *ps, const void *s, size_t n)
{
	if (ps->str_len + n > sizeof(ps->str))
		return false;
	memcpy(ps->str + ps->str_len, s, n);
	ps->str_len += n;
	return true;
}

static inline int hex_val(int c)
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
static inline bool parse_u_escape(struct parser *ps)
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

static inline bool parse_escape(struct parser *ps)
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

static inline bool parse_string(struct parser *ps, bool report)
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

static inline bool skip_digits(struct parser *ps)
{
	if (!is_digit(peek(ps)))
		return false;
	while (is_digit(peek(ps)))
		ps->p++;
	return true;
}

static inline bool parse_number(struct parser *ps)
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

static inline bool parse_literal(struct parser *ps, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n))
		return false;
	ps->p += n;
	return true;
}

static inline bool parse_value(struct parser *ps);

/* Members of an object or elements of an array, after the opening. */
static inline bool parse_items(struct parser *ps, bool object, int close)
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

static inline bool parse_container(struct parser *ps, bool object)
{
	bool ok;

	if (++ps->depth > PARSER_MAX_DEPTH)
		return false;
	ps->p++;
	ok = parse_items(ps, object, object ? '}' : ']');
	ps->depth--;
	return ok;
}

static inline bool parse_value(struct parser *ps)
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
static inline bool json_valid(const char *buf, size_t len,
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

/* ---- layout ---- */

static inline void build_nested(struct ls_json *j)
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

static inline void build_scalar(struct ls_json *j)
{
	ls_json_int(j, 42);
}

#endif
