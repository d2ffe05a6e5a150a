// SPDX-License-Identifier: GPL-2.0
/*
 * json.c - see json.h. Owns the byte-level JSON grammar and the UTF-8
 * validation; must not buffer a document, allocate or consult the locale.
 *
 * Every write goes through emit(), which turns a short write into -EIO and
 * then stops writing: one error, reported once by finish().
 */
#include <errno.h>
#include <math.h>
#include <string.h>
#include "json.h"

#define DOUBLE_MAX_DECIMALS 17

static void set_err(struct ls_json *j, int err)
{
	if (!j->err)
		j->err = err;
}

static void emit(struct ls_json *j, const char *buf, size_t len)
{
	/* After misuse, finish() still writes the closing brackets. */
	if (j->err == -EIO || !j->f || !len)
		return;
	if (fwrite(buf, 1, len, j->f) != len)
		set_err(j, -EIO);
}

static void emit_str(struct ls_json *j, const char *s)
{
	emit(j, s, strlen(s));
}

static void newline_indent(struct ls_json *j, int depth)
{
	char buf[1 + 2 * LS_JSON_MAX_DEPTH];

	buf[0] = '\n';
	memset(buf + 1, ' ', 2 * depth);
	emit(j, buf, 1 + 2 * depth);
}

/* The comma (and line break) before a key or an array element. */
static void separate(struct ls_json *j)
{
	if (!j->first[j->depth])
		emit(j, ",", 1);
	if (j->pretty)
		newline_indent(j, j->depth);
	j->first[j->depth] = false;
}

/* Writes what must precede a value; false if the value must be dropped. */
static bool begin_value(struct ls_json *j)
{
	if (j->err)
		return false;
	if (j->after_key) {
		j->after_key = false;
		return true;
	}
	if (j->depth == 0) {
		/* A document is exactly one value. */
		if (!j->first[0]) {
			set_err(j, -EINVAL);
			return false;
		}
		j->first[0] = false;
		return true;
	}
	if (j->in_object[j->depth]) {
		set_err(j, -EINVAL);
		return false;
	}
	separate(j);
	return true;
}

void ls_json_init(struct ls_json *j, FILE *f, bool pretty)
{
	memset(j, 0, sizeof(*j));
	j->f = f;
	j->pretty = pretty;
	j->first[0] = true;
	if (!f)
		j->err = -EINVAL;
}

static void begin(struct ls_json *j, bool object)
{
	/* Checked before begin_value() so no dangling comma is written. */
	if (!j->err && j->depth >= LS_JSON_MAX_DEPTH)
		set_err(j, -EINVAL);
	if (!begin_value(j))
		return;
	emit(j, object ? "{" : "[", 1);
	j->depth++;
	j->first[j->depth] = true;
	j->in_object[j->depth] = object;
}

/* Closes the innermost container; the caller has checked it is one. */
static void close_container(struct ls_json *j)
{
	bool object = j->in_object[j->depth];

	if (j->pretty && !j->first[j->depth])
		newline_indent(j, j->depth - 1);
	emit(j, object ? "}" : "]", 1);
	j->depth--;
}

static void end(struct ls_json *j, bool object)
{
	if (j->err)
		return;
	if (j->depth == 0 || j->in_object[j->depth] != object || j->after_key) {
		set_err(j, -EINVAL);
		return;
	}
	close_container(j);
}

void ls_json_begin_object(struct ls_json *j)
{
	begin(j, true);
}

void ls_json_end_object(struct ls_json *j)
{
	end(j, true);
}

void ls_json_begin_array(struct ls_json *j)
{
	begin(j, false);
}

void ls_json_end_array(struct ls_json *j)
{
	end(j, false);
}

static void quoted(struct ls_json *j, const char *s, size_t n)
{
	emit(j, "\"", 1);
	if (j->err)
		return;
	if (ls_json_escape(j->f, s, n))
		set_err(j, -EIO);
	emit(j, "\"", 1);
}

void ls_json_key(struct ls_json *j, const char *key)
{
	if (j->err)
		return;
	if (!key || j->depth == 0 || !j->in_object[j->depth] || j->after_key) {
		set_err(j, -EINVAL);
		return;
	}
	separate(j);
	quoted(j, key, strlen(key));
	emit_str(j, j->pretty ? ": " : ":");
	j->after_key = true;
}

void ls_json_string_n(struct ls_json *j, const char *s, size_t n)
{
	if (!s) {
		ls_json_null(j);
		return;
	}
	if (begin_value(j))
		quoted(j, s, n);
}

void ls_json_string(struct ls_json *j, const char *s)
{
	ls_json_string_n(j, s, s ? strlen(s) : 0);
}

/* For numbers and literals, already formatted. */
static void raw_value(struct ls_json *j, const char *text)
{
	if (begin_value(j))
		emit_str(j, text);
}

void ls_json_int(struct ls_json *j, long long v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%lld", v);
	raw_value(j, buf);
}

void ls_json_uint(struct ls_json *j, unsigned long long v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%llu", v);
	raw_value(j, buf);
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * printf writes "[-]digits[<point>digits]" where <point> is LC_NUMERIC's
 * decimal point, possibly several bytes (e.g. U+066B). Rewrite it to '.',
 * in place: the result is never longer.
 */
static void c_decimal_point(char *s)
{
	const char *r = s;
	char *w = s;

	if (*r == '-')
		*w++ = *r++;
	while (is_digit(*r))
		*w++ = *r++;
	if (*r) {
		*w++ = '.';
		while (*r && !is_digit(*r))
			r++;
		while (*r)
			*w++ = *r++;
	}
	*w = '\0';
}

/* "-0.00" is valid JSON but reads like a sign error in a report. */
static void drop_negative_zero(char *s)
{
	if (s[0] == '-' && strspn(s + 1, "0.") == strlen(s + 1))
		memmove(s, s + 1, strlen(s));
}

void ls_json_double(struct ls_json *j, double v, int decimals)
{
	/* DBL_MAX has 309 integer digits. */
	char buf[320 + DOUBLE_MAX_DECIMALS + 16];

	if (!isfinite(v)) {
		ls_json_null(j);
		return;
	}
	if (decimals < 0)
		decimals = 0;
	if (decimals > DOUBLE_MAX_DECIMALS)
		decimals = DOUBLE_MAX_DECIMALS;
	snprintf(buf, sizeof(buf), "%.*f", decimals, v);
	c_decimal_point(buf);
	drop_negative_zero(buf);
	raw_value(j, buf);
}

void ls_json_bool(struct ls_json *j, bool v)
{
	raw_value(j, v ? "true" : "false");
}

void ls_json_null(struct ls_json *j)
{
	raw_value(j, "null");
}

void ls_json_kv_string(struct ls_json *j, const char *key, const char *s)
{
	ls_json_key(j, key);
	ls_json_string(j, s);
}

void ls_json_kv_int(struct ls_json *j, const char *key, long long v)
{
	ls_json_key(j, key);
	ls_json_int(j, v);
}

void ls_json_kv_uint(struct ls_json *j, const char *key, unsigned long long v)
{
	ls_json_key(j, key);
	ls_json_uint(j, v);
}

void ls_json_kv_double(struct ls_json *j, const char *key, double v,
		       int decimals)
{
	ls_json_key(j, key);
	ls_json_double(j, v, decimals);
}

void ls_json_kv_bool(struct ls_json *j, const char *key, bool v)
{
	ls_json_key(j, key);
	ls_json_bool(j, v);
}

void ls_json_kv_null(struct ls_json *j, const char *key)
{
	ls_json_key(j, key);
	ls_json_null(j);
}

/*
 * Leave a parseable document behind even after misuse: a dangling key gets
 * null, open containers are closed, and an empty document becomes null.
 */
static void close_all(struct ls_json *j)
{
	if (j->after_key) {
		emit(j, "null", 4);
		j->after_key = false;
	}
	while (j->depth > 0)
		close_container(j);
	if (j->first[0]) {
		emit(j, "null", 4);
		j->first[0] = false;
	}
}

int ls_json_finish(struct ls_json *j)
{
	if (j->depth || j->after_key || j->first[0])
		set_err(j, -EINVAL);
	if (!j->f)
		return j->err;
	close_all(j);
	if (j->pretty)
		emit(j, "\n", 1);
	if (fflush(j->f) || ferror(j->f))
		set_err(j, -EIO);
	return j->err;
}

/* ---- escaping ---- */

/*
 * Length of the well-formed UTF-8 sequence of 2..4 bytes at @p (RFC 3629
 * table 3-7), 0 if there is none: the second byte's range is what excludes
 * overlongs, surrogates and code points above U+10FFFF.
 */
static size_t utf8_len(const unsigned char *p, size_t n)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len, k;

	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4;
	else
		return 0;
	if (p[0] == 0xe0)
		lo = 0xa0;
	else if (p[0] == 0xed)
		hi = 0x9f;
	else if (p[0] == 0xf0)
		lo = 0x90;
	else if (p[0] == 0xf4)
		hi = 0x8f;
	if (n < len || p[1] < lo || p[1] > hi)
		return 0;
	for (k = 2; k < len; k++)
		if ((p[k] & 0xc0) != 0x80)
			return 0;
	return len;
}

/* How many bytes at @p may be copied verbatim; 0 if p[0] needs rewriting. */
static size_t verbatim_len(const unsigned char *p, size_t n)
{
	if (p[0] >= 0x80)
		return utf8_len(p, n);
	if (p[0] < 0x20 || p[0] == 0x7f || p[0] == '"' || p[0] == '\\')
		return 0;
	return 1;
}

static char short_escape(unsigned char c)
{
	switch (c) {
	case '"':
		return '"';
	case '\\':
		return '\\';
	case '\b':
		return 'b';
	case '\f':
		return 'f';
	case '\n':
		return 'n';
	case '\r':
		return 'r';
	case '\t':
		return 't';
	default:
		return 0;
	}
}

/* The replacement for one byte that cannot be copied; returns its length. */
static size_t rewrite_byte(unsigned char c, char out[6])
{
	static const char hex[] = "0123456789abcdef";
	char e = short_escape(c);

	if (c >= 0x80) {
		memcpy(out, "\xef\xbf\xbd", 3); /* U+FFFD */
		return 3;
	}
	if (e) {
		out[0] = '\\';
		out[1] = e;
		return 2;
	}
	memcpy(out, "\\u00", 4);
	out[4] = hex[c >> 4];
	out[5] = hex[c & 0xf];
	return 6;
}

static int put(FILE *f, const void *buf, size_t len)
{
	if (len && fwrite(buf, 1, len, f) != len)
		return -EIO;
	return 0;
}

int ls_json_escape(FILE *f, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t start = 0, i = 0, len;
	char out[6];

	if (!s)
		return 0;
	while (i < n) {
		len = verbatim_len(p + i, n - i);
		if (len) {
			i += len;
			continue;
		}
		/* Copy runs in one call: most strings need no escaping. */
		if (put(f, p + start, i - start) ||
		    put(f, out, rewrite_byte(p[i], out)))
			return -EIO;
		start = ++i;
	}
	return put(f, p + start, i - start);
}
