/* SPDX-License-Identifier: GPL-2.0 */
/*
 * protocol_fx.h - helpers of the user/protocol.c tests (test_protocol_*.c):
 * parsing one line (without its '\n') from a heap copy of exactly its
 * length, so that ASan (SANITIZE=1) or valgrind catch any read past its
 * end, freed by the teardown; and checks of the request it made, or of the
 * reason it gave (shown as clean ASCII, with the byte offset it names).
 *
 * Must not: depend on any module but protocol.c. Included by one test file
 * each.
 */
#ifndef LS_TESTS_PROTOCOL_FX_H
#define LS_TESTS_PROTOCOL_FX_H

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

static inline void drop_cur(void)
{
	free(cur.line);
	cur.line = NULL;
}

static inline int teardown(void **state)
{
	(void)state;
	drop_cur();
	return 0;
}

static inline void parse(const char *line, size_t len)
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

static inline const char *shown(const char *s, size_t n)
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
static inline void check_ok(const char *line, size_t len, enum ls_verb verb,
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
static inline void check_err(const char *line, size_t len, const char *reason,
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
static inline void check_name(size_t off, size_t len, const char *file, int lno)
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
static inline void check_offset(size_t at, const char *file, int lno)
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

/* Every byte of @s is printable ASCII: a reply stays one clean line. */
static inline void check_clean(const char *s, const char *file, int lno)
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

#define T(f) cmocka_unit_test_teardown(f, teardown)

#endif
