/* SPDX-License-Identifier: GPL-2.0 */
/*
 * json.h - a streaming JSON writer for leakscope's machine-readable reports.
 *
 * Owns: the bytes of one JSON document on a caller-supplied FILE, and the
 * rules that keep them valid JSON (RFC 8259) and valid UTF-8 whatever the
 * strings hold: paths, argv and test names come from hostile places.
 * Must not: allocate, keep global state, print diagnostics, or let the
 * locale show in the output. Errors are remembered in the writer and
 * reported once, by finish().
 *
 * Misuse never crashes: the offending call writes nothing and sets err (first
 * error wins); every later call is a no-op, and finish() still closes what is
 * open (a dangling key gets null, an empty document becomes null) so that the
 * file parses even when the program that wrote it has a bug.
 */
#ifndef LS_JSON_H
#define LS_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Open objects/arrays at once; one more begin_* is misuse. */
#define LS_JSON_MAX_DEPTH 32

struct ls_json {
	FILE *f;
	int depth;
	/* newline + 2-space indentation */
	bool pretty;
	/* No comma needed yet at this depth (0: no top-level value yet). */
	bool first[LS_JSON_MAX_DEPTH + 1];
	/* The container at this depth is an object: it takes keys. */
	bool in_object[LS_JSON_MAX_DEPTH + 1];
	/* A key was written; the next value follows it. */
	bool after_key;
	/* First error seen: -EIO write failed, -EINVAL misuse. */
	int err;
};

void ls_json_init(struct ls_json *j, FILE *f, bool pretty);
void ls_json_begin_object(struct ls_json *j);
void ls_json_end_object(struct ls_json *j);
void ls_json_begin_array(struct ls_json *j);
void ls_json_end_array(struct ls_json *j);
void ls_json_key(struct ls_json *j, const char *key);
/* NULL -> null. */
void ls_json_string(struct ls_json *j, const char *s);
/* May contain NUL bytes (escaped as \u0000); NULL -> null. */
void ls_json_string_n(struct ls_json *j, const char *s, size_t n);
void ls_json_int(struct ls_json *j, long long v);
void ls_json_uint(struct ls_json *j, unsigned long long v);
/*
 * Fixed point with @decimals (clamped to 0..17) digits after '.', whatever
 * LC_NUMERIC says; NaN and infinities become null, -0 becomes 0.
 */
void ls_json_double(struct ls_json *j, double v, int decimals);
void ls_json_bool(struct ls_json *j, bool v);
void ls_json_null(struct ls_json *j);

/* key + value in one call */
void ls_json_kv_string(struct ls_json *j, const char *key, const char *s);
void ls_json_kv_int(struct ls_json *j, const char *key, long long v);
void ls_json_kv_uint(struct ls_json *j, const char *key, unsigned long long v);
void ls_json_kv_double(struct ls_json *j, const char *key, double v,
		       int decimals);
void ls_json_kv_bool(struct ls_json *j, const char *key, bool v);
void ls_json_kv_null(struct ls_json *j, const char *key);

/*
 * 0 if everything was written and every object/array was closed; else the
 * first error (-EIO from a failed write or fflush, -EINVAL for misuse such as
 * unbalanced end_*, a value where a key is needed, a key outside an object,
 * a second top-level value, no value at all, or depth > MAX). Closes what is
 * still open, ends a pretty document with a newline, and flushes.
 */
int ls_json_finish(struct ls_json *j);

/*
 * Write @s (length @n) as a JSON string literal body (no quotes) to @f:
 * '"' and '\' backslash-escaped, \b \f \n \r \t short, other bytes < 0x20
 * and 0x7f as \u00xx (lowercase hex); valid UTF-8 passes through as is and
 * each byte of an invalid sequence (overlong, surrogate, > U+10FFFF,
 * truncated, stray continuation, 0xc0/0xc1/0xf5..0xff) becomes U+FFFD.
 * '/' is not escaped; NULL writes nothing. Exported so that the other report
 * writers share the UTF-8 rules. Returns 0 or -EIO.
 */
int ls_json_escape(FILE *f, const char *s, size_t n);

#endif
