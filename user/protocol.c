// SPDX-License-Identifier: GPL-2.0
/*
 * protocol.c - see protocol.h.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include "protocol.h"

static const char *const outcomes[] = {
	[LS_OUTCOME_NONE] = NULL,	[LS_OUTCOME_PASSED] = "passed",
	[LS_OUTCOME_FAILED] = "failed", [LS_OUTCOME_SKIPPED] = "skipped",
	[LS_OUTCOME_ERROR] = "error",
};

const char *ls_outcome_name(enum ls_outcome o)
{
	return o > LS_OUTCOME_NONE && o <= LS_OUTCOME_ERROR ? outcomes[o]
							    : NULL;
}

static int fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* Length of the UTF-8 sequence at @s (at most @n bytes), 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned int cp;
	size_t len, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* overlong, surrogates, beyond U+10FFFF */
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

int ls_proto_check_name(const char *s, size_t len, char *err, size_t errlen)
{
	const unsigned char *p = (const unsigned char *)s;

	if (len == 0)
		return fail(err, errlen, "bad name: empty");
	if (len > LS_PROTO_MAX_NAME)
		return fail(err, errlen, "bad name: %zu bytes, at most %d", len,
			    LS_PROTO_MAX_NAME);
	for (size_t i = 0; i < len;) {
		size_t n = utf8_len(p + i, len - i);

		if (!n)
			return fail(err, errlen,
				    "bad name: invalid UTF-8 at byte %zu", i);
		if (p[i] < 0x20 || p[i] == 0x7f)
			return fail(err, errlen,
				    "bad name: control character at byte %zu",
				    i);
		i += n;
	}
	return 0;
}

/* The word @verb, then a single space or the end of the line. */
static bool starts_verb(const char *line, size_t len, const char *verb,
			const char **rest, size_t *rest_len)
{
	size_t n = strlen(verb);

	if (len < n || memcmp(line, verb, n) || (len > n && line[n] != ' '))
		return false;
	*rest = len > n ? line + n + 1 : line + len;
	*rest_len = len > n ? len - n - 1 : 0;
	return true;
}

/* END's last word is the outcome when it is one of the four. */
static void split_outcome(struct ls_request *req)
{
	const char *sp = NULL;

	for (size_t i = req->name_len; i > 0; i--)
		if (req->name[i - 1] == ' ') {
			sp = req->name + i - 1;
			break;
		}
	if (!sp)
		return;
	for (int o = LS_OUTCOME_PASSED; o <= LS_OUTCOME_ERROR; o++) {
		size_t wl = strlen(outcomes[o]);

		if ((size_t)(req->name + req->name_len - sp - 1) == wl &&
		    !memcmp(sp + 1, outcomes[o], wl)) {
			req->outcome = o;
			req->name_len = sp - req->name;
			return;
		}
	}
}

#define PID_LIMIT 0x3fffffff /* above any pid_t the kernel hands out */
#define PID_SHOWN 16	     /* bytes of a bad pid echoed in the reply */

/*
 * @s (@len bytes) as printable ASCII, others as '?', cut at PID_SHOWN
 * bytes with "...": the client's bytes go back in a reply, which must
 * stay one clean line.
 */
static void show(const char *s, size_t len, char *out, size_t cap)
{
	size_t n = len < PID_SHOWN ? len : PID_SHOWN, o = 0;

	for (size_t i = 0; i < n && o + 1 < cap; i++)
		out[o++] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	out[o] = 0;
	if (n < len)
		snprintf(out + o, cap - o, "...");
}

/* Digits only: strtol would also take leading blanks, a sign or "0x". */
static int parse_pid(const char *s, size_t len, long *pid, char *err,
		     size_t errlen)
{
	char shown[PID_SHOWN + 4];
	long v = 0;

	if (len == 0)
		return fail(err, errlen, "bad pid: give a process id");
	for (size_t i = 0; i < len; i++) {
		int d = s[i] - '0';

		if (d < 0 || d > 9 || v > (PID_LIMIT - d) / 10) {
			show(s, len, shown, sizeof(shown));
			return fail(err, errlen,
				    "bad pid: '%s' is not a process id", shown);
		}
		v = v * 10 + d;
	}
	*pid = v;
	return 0;
}

static int parse_named(struct ls_request *req, const char *rest,
		       size_t rest_len, char *err, size_t errlen)
{
	req->name = rest;
	req->name_len = rest_len;
	if (req->verb == LS_REQ_END)
		split_outcome(req);
	return ls_proto_check_name(req->name, req->name_len, err, errlen);
}

int ls_proto_parse(const char *line, size_t len, struct ls_request *req,
		   char *err, size_t errlen)
{
	const char *rest;
	size_t rl;

	memset(req, 0, sizeof(*req));
	if (len && line[len - 1] == '\r')
		len--; /* telnet-style clients */
	if (len == 0)
		return fail(err, errlen, "empty request");
	if (len >= LS_PROTO_MAX_LINE)
		return fail(err, errlen, "line too long: at most %d bytes",
			    LS_PROTO_MAX_LINE - 1);
	if (memchr(line, 0, len))
		return fail(err, errlen, "NUL byte in request");
	if (starts_verb(line, len, "BEGIN", &rest, &rl)) {
		req->verb = LS_REQ_BEGIN;
		return parse_named(req, rest, rl, err, errlen);
	}
	if (starts_verb(line, len, "END", &rest, &rl)) {
		req->verb = LS_REQ_END;
		return parse_named(req, rest, rl, err, errlen);
	}
	if (starts_verb(line, len, "ALLOW", &rest, &rl)) {
		req->verb = LS_REQ_ALLOW;
		req->rule = rest;
		req->name_len = rl;
		return rl ? 0
			  : fail(err, errlen,
				 "bad rule: ALLOW <kind> "
				 "[field=glob ...]");
	}
	if (starts_verb(line, len, "FOR", &rest, &rl)) {
		req->verb = LS_REQ_FOR;
		return parse_pid(rest, rl, &req->pid, err, errlen);
	}
	if (starts_verb(line, len, "HELLO", &rest, &rl)) {
		req->verb = LS_REQ_HELLO;
		req->name = rest;
		req->name_len = rl;
		return rl ? ls_proto_check_name(rest, rl, err, errlen) : 0;
	}
	if (len == 4 && !memcmp(line, "PING", 4)) {
		req->verb = LS_REQ_PING;
		return 0;
	}
	if (len == 6 && !memcmp(line, "STATUS", 6)) {
		req->verb = LS_REQ_STATUS;
		return 0;
	}
	return fail(err, errlen,
		    "unknown request (HELLO, PING, BEGIN, END, "
		    "ALLOW, FOR, STATUS)");
}
