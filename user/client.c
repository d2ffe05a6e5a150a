// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * client.c - see include/leakscope/client.h: one blocking Unix stream
 * connection, one request line out, one reply line back.
 *
 * Owns: the socket, the reply buffer (grown up to LS_CLIENT_REPLY_MAX, and
 * shrunk back after a big reply), the request syntax and the ERR reason to
 * errno table.
 * Must not: depend on anything in user/ (it is linked into libleakscope and
 * into test harnesses), use anything but libc, print, exit, abort, raise
 * SIGPIPE, or keep global state.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* secure_getenv */
#endif
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "leakscope/client.h"

#define BUF_MIN	 4096	    /* first reply buffer */
#define BUF_KEEP (64 << 10) /* a bigger buffer is shrunk at the next call */
#define HELLO	 "HELLO libleakscope"

struct ls_client {
	int fd;
	pid_t owner;	  /* the process that connected */
	bool broken;	  /* no request may be sent any more */
	char *buf;	  /* received bytes: the last reply line, then more */
	size_t cap;	  /* bytes allocated */
	size_t len;	  /* bytes received */
	size_t used;	  /* bytes of the last reply line, '\n' included */
	const char *last; /* ls_client_last_reply(): into buf or note */
	char note[160];	  /* a client-side reason */
};

static const char *const outcomes[] = { "passed", "failed", "skipped",
					"error" };

/* ERR reasons, matched on whole leading words (client.h has the table). */
static const struct {
	const char *reason;
	int err;
} reasons[] = {
	{ "line too long", E2BIG },
	{ "empty request", EINVAL },
	{ "unknown request", EOPNOTSUPP },
	{ "bad name", EINVAL },
	{ "bad outcome", EINVAL },
	{ "nested", EBUSY },
	{ "not running", ENOENT },
	{ "no test", ENOENT },
	{ "bad pid", ESRCH },
	{ "forbidden", EPERM },
	{ "bad kind", EINVAL },
	{ "bad glob", EINVAL },
	{ "bad rule", EINVAL },
};

/* Set ls_client_last_reply() to a client-side reason; returns @err. */
static int note(struct ls_client *c, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int note(struct ls_client *c, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->note, sizeof(c->note), fmt, ap);
	va_end(ap);
	c->last = c->note;
	return err;
}

/* ---- text checks ---------------------------------------------------- */

/* Length of the UTF-8 sequence at @s (RFC 3629: no overlongs, surrogates
 * or code points above U+10FFFF), or 0 if it is not one. */
static size_t utf8_len(const unsigned char *s)
{
	unsigned char c = s[0];

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		return (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		unsigned char lo = c == 0xe0 ? 0xa0 : 0x80;
		unsigned char hi = c == 0xed ? 0x9f : 0xbf;

		if (s[1] < lo || s[1] > hi || (s[2] & 0xc0) != 0x80)
			return 0;
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		unsigned char lo = c == 0xf0 ? 0x90 : 0x80;
		unsigned char hi = c == 0xf4 ? 0x8f : 0xbf;

		if (s[1] < lo || s[1] > hi || (s[2] & 0xc0) != 0x80 ||
		    (s[3] & 0xc0) != 0x80)
			return 0;
		return 4;
	}
	return 0;
}

/* Why @s is not protocol text (UTF-8, no control characters), or NULL. */
static const char *text_problem(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		size_t n = utf8_len(p);

		if (*p < 0x20 || *p == 0x7f)
			return "control character";
		if (!n)
			return "invalid UTF-8";
		p += n;
	}
	return NULL;
}

static const char *name_problem(const char *name)
{
	size_t n = strlen(name);

	if (!n)
		return "empty";
	if (n > LS_CLIENT_NAME_MAX)
		return "over 1024 bytes";
	return text_problem(name);
}

int ls_client_check_name(const char *name)
{
	return name && !name_problem(name) ? 0 : -EINVAL;
}

static bool is_outcome(const char *word)
{
	for (size_t i = 0; i < sizeof(outcomes) / sizeof(outcomes[0]); i++)
		if (!strcmp(word, outcomes[i]))
			return true;
	return false;
}

/* Would "END <name>" be read as a name followed by an outcome? */
static bool needs_outcome(const char *name)
{
	const char *sp = strrchr(name, ' ');

	return is_outcome(sp ? sp + 1 : name);
}

/* ---- replies -------------------------------------------------------- */

static bool is_word_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9') || ch == '_' || ch == '-';
}

static int reason_errno(const char *reason)
{
	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++) {
		size_t n = strlen(reasons[i].reason);

		if (!strncmp(reason, reasons[i].reason, n) &&
		    !is_word_char(reason[n]))
			return -reasons[i].err;
	}
	return -EPROTO;
}

/* The reply line at c->buf (NUL-terminated, @n bytes): 0 for OK. */
static int parse_reply(struct ls_client *c, size_t n)
{
	char *line = c->buf;

	c->last = line;
	if (memchr(line, 0, n))
		return note(c, -EBADMSG, "reply with a NUL byte");
	if (!strcmp(line, "OK") || !strncmp(line, "OK ", 3)) {
		c->last = line + (n > 2 ? 3 : 2);
		return 0;
	}
	if (!strcmp(line, "ERR") || !strncmp(line, "ERR ", 4)) {
		c->last = line + (n > 3 ? 4 : 3);
		return reason_errno(c->last);
	}
	return -EBADMSG; /* last is the whole line */
}

/* Drop the previous reply line; shrink the buffer after a big one. */
static void discard_reply(struct ls_client *c)
{
	c->last = "";
	if (!c->buf)
		return;
	c->len -= c->used;
	memmove(c->buf, c->buf + c->used, c->len);
	c->used = 0;
	if (c->cap > BUF_KEEP && c->len < BUF_MIN) {
		char *p = realloc(c->buf, BUF_MIN);

		if (p) {
			c->buf = p;
			c->cap = BUF_MIN;
		}
	}
}

static int grow(struct ls_client *c)
{
	size_t cap = c->cap ? c->cap * 2 : BUF_MIN;
	char *p;

	if (cap > LS_CLIENT_REPLY_MAX)
		cap = LS_CLIENT_REPLY_MAX;
	p = realloc(c->buf, cap);
	if (!p)
		return -ENOMEM;
	c->buf = p;
	c->cap = cap;
	return 0;
}

/* The connection is out of step or gone: fail this call and every next. */
static int broken(struct ls_client *c, int err)
{
	c->broken = true;
	if (err == -ECONNRESET || err == -EPIPE)
		return note(c, -ECONNRESET, "connection closed by leakscope");
	if (err == -EMSGSIZE)
		return note(c, err, "reply over %d bytes", LS_CLIENT_REPLY_MAX);
	return note(c, err, "connection lost (errno %d)", -err);
}

/* Receive until c->buf holds a whole line; returns its length. */
static ssize_t read_line(struct ls_client *c)
{
	size_t scanned = 0;

	for (;;) {
		char *nl = c->len ? memchr(c->buf + scanned, '\n',
					   c->len - scanned)
				  : NULL;
		ssize_t n;

		if (nl)
			return nl - c->buf;
		scanned = c->len;
		if (c->len >= LS_CLIENT_REPLY_MAX)
			return -EMSGSIZE;
		if (c->len == c->cap && grow(c))
			return -ENOMEM;
		n = recv(c->fd, c->buf + c->len, c->cap - c->len, 0);
		if (n > 0)
			c->len += n;
		else if (!n)
			return -ECONNRESET;
		else if (errno != EINTR)
			return -errno;
	}
}

static int send_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= n;
	}
	return 0;
}

/*
 * Send @len bytes of @req (a whole line) and read the reply. A peer that
 * closed the connection may have said why first ("ERR forbidden"): when a
 * send fails, a reply already received is still read and reported.
 */
static int transact(struct ls_client *c, const char *req, size_t len)
{
	int serr;
	ssize_t n;

	if (c->owner != getpid())
		return note(c, -ECHILD, "connection belongs to pid %d",
			    (int)c->owner);
	if (c->broken)
		return note(c, -ENOTCONN, "not connected");
	discard_reply(c);
	serr = send_all(c->fd, req, len);
	if (serr && serr != -EPIPE && serr != -ECONNRESET)
		return broken(c, serr);
	n = read_line(c);
	if (n < 0)
		return broken(c, serr ? serr : (int)n);
	c->buf[n] = 0;
	c->used = n + 1;
	if (serr)
		c->broken = true;
	return parse_reply(c, n);
}

/* ---- requests ------------------------------------------------------- */

/* Send "<verb> <a>[ <b>]\n" (an empty @verb sends @a alone). */
static int request(struct ls_client *c, const char *verb, const char *a,
		   const char *b)
{
	char line[LS_CLIENT_LINE_MAX + 1];
	int n;

	n = snprintf(line, sizeof(line), "%s%s%s%s%s\n", verb, *verb ? " " : "",
		     a, b ? " " : "", b ? b : "");
	if (n < 0 || n > LS_CLIENT_LINE_MAX)
		return note(c, -E2BIG, "line too long");
	return transact(c, line, n);
}

int ls_client_act_for(struct ls_client *c, pid_t pid)
{
	char num[24];

	if (!c)
		return -EINVAL;
	if (pid < 0)
		return note(c, -EINVAL, "bad pid: %d", (int)pid);
	snprintf(num, sizeof(num), "%d", (int)pid);
	return request(c, "FOR", num, NULL);
}

int ls_client_begin(struct ls_client *c, const char *name)
{
	const char *why;

	if (!c)
		return -EINVAL;
	if (!name)
		return note(c, -EINVAL, "bad name: NULL");
	why = name_problem(name);
	if (why)
		return note(c, -EINVAL, "bad name: %s", why);
	return request(c, "BEGIN", name, NULL);
}

static const char *skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
		p++;
	return p;
}

/* After the JSON string at @p (which starts with '"'), or NULL. */
static const char *skip_string(const char *p)
{
	for (p++; *p; p++) {
		if (*p == '\\') {
			if (!*++p)
				return NULL;
		} else if (*p == '"') {
			return p + 1;
		}
	}
	return NULL;
}

/* After the JSON value at @p (scalars are not checked), or NULL. */
static const char *skip_value(const char *p)
{
	int depth = 0;

	if (*p == '"')
		return skip_string(p);
	if (*p != '{' && *p != '[') {
		while (*p && !strchr(",}] \t\r\n", *p))
			p++;
		return p;
	}
	do {
		if (*p == '"') {
			p = skip_string(p);
			if (!p)
				return NULL;
			continue;
		}
		if (*p == '{' || *p == '[')
			depth++;
		else if (*p == '}' || *p == ']')
			depth--;
		else if (!*p)
			return NULL;
		p++;
	} while (depth > 0);
	return p;
}

/* A non-negative JSON integer at @p, clamped to INT_MAX; -1 if none. */
static int parse_count(const char *p)
{
	long long v = 0;

	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++)
		if (v <= INT_MAX)
			v = v * 10 + (*p - '0');
	if (*p == '.' || *p == 'e' || *p == 'E')
		return -1;
	return v > INT_MAX ? INT_MAX : (int)v;
}

/* The top-level "leaks" member of the JSON object @json, or -1. */
static int find_leaks(const char *json)
{
	const char *p = skip_ws(json);

	if (*p++ != '{')
		return -1;
	for (;;) {
		const char *key = skip_ws(p), *end;

		if (*key != '"')
			return -1;
		end = skip_string(key);
		if (!end)
			return -1;
		p = skip_ws(end);
		if (*p++ != ':')
			return -1;
		p = skip_ws(p);
		if (end - key == 7 && !strncmp(key, "\"leaks\"", 7))
			return parse_count(p);
		p = skip_value(p);
		if (!p)
			return -1;
		p = skip_ws(p);
		if (*p++ != ',')
			return -1;
	}
}

static int check_end_args(struct ls_client *c, const char *name,
			  const char *outcome)
{
	const char *why;

	if (!name)
		return note(c, -EINVAL, "bad name: NULL");
	why = name_problem(name);
	if (why)
		return note(c, -EINVAL, "bad name: %s", why);
	if (outcome && !is_outcome(outcome))
		return note(c, -EINVAL, "bad outcome: %s",
			    text_problem(outcome) ? "?" : outcome);
	if (!outcome && needs_outcome(name))
		return note(
			c, -EINVAL,
			"bad name: its last word needs an outcome after it");
	return 0;
}

int ls_client_end(struct ls_client *c, const char *name, const char *outcome,
		  int *leaks)
{
	int err, n;

	if (!c)
		return -EINVAL;
	err = check_end_args(c, name, outcome);
	if (!err)
		err = request(c, "END", name, outcome);
	if (err)
		return err;
	n = find_leaks(c->last);
	if (n < 0)
		return -EBADMSG;
	if (leaks)
		*leaks = n;
	return 0;
}

int ls_client_allow(struct ls_client *c, const char *rule)
{
	const char *why;

	if (!c)
		return -EINVAL;
	if (!rule)
		return note(c, -EINVAL, "bad rule: NULL");
	why = *rule ? text_problem(rule) : "empty";
	if (why)
		return note(c, -EINVAL, "bad rule: %s", why);
	return request(c, "ALLOW", rule, NULL);
}

int ls_client_ping(struct ls_client *c)
{
	return c ? request(c, "", "PING", NULL) : -EINVAL;
}

int ls_client_status(struct ls_client *c)
{
	return c ? request(c, "", "STATUS", NULL) : -EINVAL;
}

int ls_client_request(struct ls_client *c, const char *line)
{
	const char *why;

	if (!c)
		return -EINVAL;
	if (!line)
		return note(c, -EINVAL, "bad request: NULL");
	why = *line ? text_problem(line) : "empty request";
	if (why)
		return note(c, -EINVAL, "bad request: %s", why);
	return request(c, "", line, NULL);
}

const char *ls_client_last_reply(const struct ls_client *c)
{
	return c ? c->last : "";
}

/* ---- connection ----------------------------------------------------- */

static int open_socket(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, rc;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	do
		rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	while (rc && errno == EINTR);
	if (rc && errno != EISCONN) {
		rc = -errno;
		close(fd);
		return rc;
	}
	return fd;
}

/* "leakscope <version> protocol <n>": the protocol's n, or -1. */
static int hello_protocol(const char *reply)
{
	const char *p = strstr(reply, " protocol ");

	return p ? parse_count(p + 10) : -1;
}

static int hello(struct ls_client *c)
{
	int err = request(c, "", HELLO, NULL), proto;

	if (err)
		return err;
	proto = hello_protocol(c->last);
	if (proto < 0)
		return -EBADMSG;
	return proto == LS_CLIENT_PROTOCOL ? 0 : -EPROTONOSUPPORT;
}

static const char *socket_path(const char *path)
{
	const char *env;

	if (path)
		return path;
	env = secure_getenv(LS_CLIENT_SOCK_ENV);
	return env && *env ? env : NULL;
}

int ls_client_connect(const char *path, struct ls_client **out)
{
	struct ls_client *c;
	int fd, err;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (path && !*path)
		return -EINVAL;
	path = socket_path(path);
	if (!path)
		return -ENOENT;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	fd = open_socket(path);
	if (fd < 0) {
		free(c);
		return fd;
	}
	c->fd = fd;
	c->owner = getpid();
	c->last = "";
	err = hello(c);
	if (err) {
		ls_client_close(c);
		return err;
	}
	*out = c;
	return 0;
}

/* close(), never shutdown(): in a forked child, the parent's connection
 * must live on. */
void ls_client_close(struct ls_client *c)
{
	if (!c)
		return;
	close(c->fd);
	free(c->buf);
	free(c);
}
