// SPDX-License-Identifier: GPL-2.0
/*
 * suppress.c - see suppress.h: parse suppression rules ("KIND FIELD=GLOB..."),
 * keep them, and match findings against them.
 *
 * Owns the rule grammar of docs/suppressions.md and the validation of globs
 * (fnmatch(3) would silently take an unterminated '[' as a literal).
 * Must not: print, keep global state, or trust its input: a line is any
 * bytes, so every read stays before the line's terminating NUL and every
 * allocation is freed on every error path (the parser is a fuzz target).
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "suppress.h"

#define SHOW_MAX 40 /* bytes of a bad token quoted in an error */

#define KINDS_HELP "fd, socket, process, thread, mapping, tempfile, cgroup or *"
#define FIELDS_HELP \
	"path, comm, test, addr, argv, type, class, database or creator"

static const char *const field_names[LS_SUPP_FIELD_MAX] = {
	[LS_SUPP_PATH] = "path",       [LS_SUPP_COMM] = "comm",
	[LS_SUPP_TEST] = "test",       [LS_SUPP_ADDR] = "addr",
	[LS_SUPP_ARGV] = "argv",       [LS_SUPP_TYPE] = "type",
	[LS_SUPP_CLASS] = "class",     [LS_SUPP_DATABASE] = "database",
	[LS_SUPP_CREATOR] = "creator",
};

static const char *const char_classes[] = {
	"alnum", "alpha", "blank", "cntrl", "digit", "graph",
	"lower", "print", "punct", "space", "upper", "xdigit",
};

const char *ls_supp_field_name(int field)
{
	return field >= 0 && field < LS_SUPP_FIELD_MAX ? field_names[field]
						       : "?";
}

/* ---- errors ---- */

static int fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static int fail_nomem(char *err, size_t errlen)
{
	if (err && errlen)
		snprintf(err, errlen, "out of memory");
	return -ENOMEM;
}

/*
 * @n bytes of @s as they can be shown in a one-line message: at most
 * SHOW_MAX of them, bytes that are not printable ASCII as '?', "..." when
 * cut. @out has room for SHOW_MAX + 4 bytes.
 */
static const char *show(char *out, const char *s, size_t n)
{
	size_t i, m = n > SHOW_MAX ? SHOW_MAX : n;

	for (i = 0; i < m; i++)
		out[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	if (m < n) {
		memcpy(out + i, "...", 3);
		i += 3;
	}
	out[i] = 0;
	return out;
}

/* ---- lexing ---- */

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Does @c end a bare word (a kind, a field name, an unquoted value)? */
static bool ends_word(char c)
{
	return !c || is_blank(c) || c == '#';
}

static const char *skip_blanks(const char *p)
{
	while (is_blank(*p))
		p++;
	return p;
}

static int lookup_kind(const char *s, size_t n)
{
	if (n == 1 && *s == '*')
		return -1;
	for (int k = 0; k < LS_KIND_MAX; k++) {
		const char *name = ls_kind_name(k);

		if (strlen(name) == n && !memcmp(name, s, n))
			return k;
	}
	return -2;
}

static int lookup_field(const char *s, size_t n)
{
	for (int i = 0; i < LS_SUPP_FIELD_MAX; i++)
		if (strlen(field_names[i]) == n &&
		    !memcmp(field_names[i], s, n))
			return i;
	return -1;
}

/* ---- globs ---- */

static bool known_class(const char *s, size_t n)
{
	for (size_t i = 0; i < sizeof(char_classes) / sizeof(*char_classes);
	     i++)
		if (strlen(char_classes[i]) == n &&
		    !memcmp(char_classes[i], s, n))
			return true;
	return false;
}

/*
 * @q is just past "[:", "[=" or "[." inside a bracket expression; returns
 * what follows the closing ":]" ("=]", ".]"), or NULL with @why set.
 */
static const char *bracket_item(const char *q, char delim, const char **why)
{
	const char *e = q;

	while (*e && !(e[0] == delim && e[1] == ']'))
		e++;
	if (!*e) {
		*why = delim == ':'   ? "unterminated '[:'"
		       : delim == '=' ? "unterminated '[='"
				      : "unterminated '[.'";
		return NULL;
	}
	if (delim == ':' && !known_class(q, (size_t)(e - q))) {
		*why = "unknown character class";
		return NULL;
	}
	if (e == q) {
		*why = "empty collating element";
		return NULL;
	}
	return e + 2;
}

/* @p is at a '['; returns the ']' closing it, or NULL with @why set. */
static const char *bracket_end(const char *p, const char **why)
{
	const char *q = p + 1;

	if (*q == '!' || *q == '^')
		q++;
	if (*q == ']') /* first: a literal ']' */
		q++;
	for (;;) {
		if (*q == ']')
			return q;
		if (!*q || (*q == '\\' && !q[1])) {
			*why = "unterminated '['";
			return NULL;
		}
		if (*q == '\\') {
			q += 2;
		} else if (*q == '[' &&
			   (q[1] == ':' || q[1] == '=' || q[1] == '.')) {
			q = bracket_item(q + 2, q[1], why);
			if (!q)
				return NULL;
		} else {
			q++;
		}
	}
}

/* NULL if @g is a valid fnmatch pattern (flags 0), else what is wrong. */
static const char *glob_problem(const char *g)
{
	const char *why = NULL;

	for (const char *p = g; *p; p++) {
		if (*p == '\\') {
			if (!p[1])
				return "ends with a lone '\\'";
			p++;
		} else if (*p == '[') {
			p = bracket_end(p, &why);
			if (!p)
				return why;
		}
	}
	return NULL;
}

/* ---- values ---- */

/*
 * A quoted value: @*pp is at the opening '"'. Inside, \" and \\ stand for "
 * and \; any other backslash is kept (for fnmatch). On success *@out is the
 * unquoted text and @*pp is past the closing quote.
 */
static int parse_quoted(const char **pp, char **out, const char *field,
			char *err, size_t errlen)
{
	const char *p = *pp + 1;
	char *v = malloc(strlen(p) + 1), *o = v;

	if (!v)
		return fail_nomem(err, errlen);
	while (*p && *p != '"') {
		if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
			p++;
		*o++ = *p++;
	}
	*o = 0;
	if (!*p) {
		free(v);
		return fail(err, errlen,
			    "unterminated quote in value of field '%s'", field);
	}
	if (!ends_word(p[1])) {
		free(v);
		return fail(err, errlen,
			    "text after the closing quote of field '%s'",
			    field);
	}
	*pp = p + 1;
	*out = v;
	return 0;
}

/* An unquoted value: up to a blank, a '#' or the end; no '"' in it. */
static int parse_bare(const char **pp, char **out, const char *field, char *err,
		      size_t errlen)
{
	const char *p = *pp;

	while (!ends_word(*p)) {
		if (*p == '"')
			return fail(err, errlen,
				    "unexpected '\"' in value of field '%s' "
				    "(quote the whole value)",
				    field);
		p++;
	}
	*out = strndup(*pp, (size_t)(p - *pp));
	if (!*out)
		return fail_nomem(err, errlen);
	*pp = p;
	return 0;
}

static int check_glob(const char *glob, const char *field, char *err,
		      size_t errlen)
{
	char shown[SHOW_MAX + 4];
	const char *why;

	if (!*glob)
		return fail(err, errlen, "empty glob for field '%s'", field);
	why = glob_problem(glob);
	if (why)
		return fail(err, errlen, "invalid glob '%s' for field '%s': %s",
			    show(shown, glob, strlen(glob)), field, why);
	return 0;
}

/* ---- rules ---- */

static void rule_free(struct ls_supp_rule *r)
{
	for (int i = 0; i < r->n_conds; i++)
		free(r->conds[i].glob);
	free(r->source);
	memset(r, 0, sizeof(*r));
}

static int parse_kind(const char **pp, struct ls_supp_rule *r, char *err,
		      size_t errlen)
{
	const char *p = *pp, *q = p;
	char shown[SHOW_MAX + 4];
	size_t n;

	while (!ends_word(*q))
		q++;
	n = (size_t)(q - p);
	r->kind = lookup_kind(p, n);
	if (r->kind >= -1) {
		*pp = q;
		return 0;
	}
	show(shown, p, n);
	if (memchr(p, '=', n))
		return fail(err, errlen,
			    "missing kind before '%s' (a rule starts "
			    "with " KINDS_HELP ")",
			    shown);
	return fail(err, errlen, "unknown kind '%s' (expected " KINDS_HELP ")",
		    shown);
}

/* One "FIELD=GLOB" at @*pp (not blank, not a comment). */
static int parse_cond(const char **pp, struct ls_supp_rule *r, char *err,
		      size_t errlen)
{
	const char *p = *pp, *q = p;
	char shown[SHOW_MAX + 4], *glob = NULL;
	int field, rc;

	if (r->n_conds == LS_SUPP_MAX_CONDS)
		return fail(err, errlen,
			    "too many conditions (at most %d per rule)",
			    LS_SUPP_MAX_CONDS);
	while (!ends_word(*q) && *q != '=')
		q++;
	if (*q != '=')
		return fail(
			err, errlen,
			"missing '=' in condition '%s' (expected FIELD=GLOB)",
			show(shown, p, (size_t)(q - p)));
	field = lookup_field(p, (size_t)(q - p));
	if (field < 0)
		return fail(err, errlen,
			    "unknown field '%s' (expected " FIELDS_HELP ")",
			    show(shown, p, (size_t)(q - p)));
	q++;
	if (*q == '"')
		rc = parse_quoted(&q, &glob, field_names[field], err, errlen);
	else
		rc = parse_bare(&q, &glob, field_names[field], err, errlen);
	if (!rc)
		rc = check_glob(glob, field_names[field], err, errlen);
	if (rc) {
		free(glob);
		return rc;
	}
	r->conds[r->n_conds].field = field;
	r->conds[r->n_conds++].glob = glob;
	*pp = q;
	return 0;
}

/*
 * Parse @line (NUL-terminated, no line break) into @r. 0: a rule; 1: blank
 * or comment; < 0: error, @r freed.
 */
static int rule_parse(const char *line, struct ls_supp_rule *r, char *err,
		      size_t errlen)
{
	const char *p = skip_blanks(line);
	int rc;

	memset(r, 0, sizeof(*r));
	if (!*p || *p == '#')
		return 1;
	rc = parse_kind(&p, r, err, errlen);
	while (!rc) {
		p = skip_blanks(p);
		if (!*p || *p == '#')
			return 0;
		rc = parse_cond(&p, r, err, errlen);
	}
	rule_free(r);
	return rc;
}

/* Move @r to the end of @s (which then owns its memory). */
static int append(struct ls_suppressions *s, struct ls_supp_rule *r)
{
	struct ls_supp_rule *rules;
	size_t cap;

	if (s->n == s->cap) {
		cap = s->cap ? s->cap * 2 : 8;
		if (cap > (size_t)-1 / sizeof(*rules))
			return -ENOMEM;
		rules = realloc(s->rules, cap * sizeof(*rules));
		if (!rules)
			return -ENOMEM;
		s->rules = rules;
		s->cap = cap;
	}
	s->rules[s->n++] = *r;
	return 0;
}

/* Drop the rules from index @n on. */
static void truncate_rules(struct ls_suppressions *s, size_t n)
{
	while (s->n > n)
		rule_free(&s->rules[--s->n]);
}

/* Parse @line (as rule_parse) and append the rule. */
static int add_parsed(struct ls_suppressions *s, const char *line,
		      const char *source, char *err, size_t errlen)
{
	struct ls_supp_rule r;
	int rc = rule_parse(line, &r, err, errlen);

	if (rc)
		return rc;
	r.source = strdup(source ? source : "");
	if (!r.source || append(s, &r)) {
		rule_free(&r);
		return fail_nomem(err, errlen);
	}
	return 0;
}

void ls_supp_init(struct ls_suppressions *s)
{
	memset(s, 0, sizeof(*s));
}

void ls_supp_free(struct ls_suppressions *s)
{
	if (!s)
		return;
	truncate_rules(s, 0);
	free(s->rules);
	ls_supp_init(s);
}

static int too_long(char *err, size_t errlen)
{
	return fail(err, errlen, "line too long (over %d bytes)",
		    LS_SUPP_LINE_MAX);
}

int ls_supp_add_line(struct ls_suppressions *s, const char *line,
		     const char *source, char *err, size_t errlen)
{
	char buf[LS_SUPP_LINE_MAX + 1];
	size_t n;

	if (!s || !line)
		return fail(err, errlen, "no rule");
	/* Past LINE_MAX + 2 it is too long, "\r\n" or not. */
	n = strnlen(line, LS_SUPP_LINE_MAX + 3);
	if (n && line[n - 1] == '\n')
		n--;
	if (n && line[n - 1] == '\r')
		n--;
	if (n > LS_SUPP_LINE_MAX)
		return too_long(err, errlen);
	if (memchr(line, '\n', n))
		return fail(err, errlen, "line break inside the rule");
	memcpy(buf, line, n);
	buf[n] = 0;
	if (err && errlen)
		err[0] = 0;
	return add_parsed(s, buf, source, err, errlen);
}

/* ---- files ---- */

/*
 * Read one line of @f into @buf (room for @cap bytes and a NUL), without its
 * '\n'. Returns 1 and its length in @len (*@over: it had more than @cap
 * bytes, the rest is unread), 0 at the end of the file, or -errno.
 */
static int read_line(FILE *f, char *buf, size_t cap, size_t *len, bool *over)
{
	size_t n = 0;
	int c;

	*len = 0;
	*over = false;
	errno = 0;
	while ((c = getc(f)) != EOF && c != '\n') {
		if (n == cap) {
			*over = true;
			break;
		}
		buf[n++] = (char)c;
	}
	if (c == EOF && ferror(f))
		return errno ? -errno : -EIO;
	*len = n;
	buf[n] = 0;
	return c != EOF || n || *over;
}

/* One line read from a file; errors are "NAME:LINE: reason". */
static int load_line(struct ls_suppressions *s, char *buf, size_t len,
		     bool over, const char *name, unsigned long lineno,
		     char *err, size_t errlen)
{
	char reason[256], *source;
	int rc;

	if (len && buf[len - 1] == '\r')
		buf[--len] = 0;
	if (over || len > LS_SUPP_LINE_MAX)
		rc = too_long(reason, sizeof(reason));
	else if (memchr(buf, 0, len))
		rc = fail(reason, sizeof(reason), "NUL byte in line");
	else if (asprintf(&source, "%s:%lu", name, lineno) < 0)
		rc = fail_nomem(reason, sizeof(reason));
	else {
		rc = add_parsed(s, buf, source, reason, sizeof(reason));
		free(source);
	}
	if (rc < 0 && err && errlen)
		snprintf(err, errlen, "%s:%lu: %s", name, lineno, reason);
	return rc;
}

int ls_supp_load_stream(struct ls_suppressions *s, FILE *f, const char *name,
			char *err, size_t errlen)
{
	/* A line, its '\r' and a NUL. */
	char buf[LS_SUPP_LINE_MAX + 2];
	size_t start, len;
	unsigned long lineno = 0;
	bool over;
	int rc = 0, got;

	if (!s || !f)
		return fail(err, errlen, "no file");
	start = s->n;
	if (!name)
		name = "?";
	if (err && errlen)
		err[0] = 0;
	while ((got = read_line(f, buf, sizeof(buf) - 1, &len, &over)) > 0) {
		rc = load_line(s, buf, len, over, name, ++lineno, err, errlen);
		if (rc < 0)
			break;
	}
	if (got < 0) {
		if (err && errlen)
			snprintf(err, errlen, "%s: read error: %s", name,
				 strerror(-got));
		rc = -EIO;
	}
	if (rc < 0)
		truncate_rules(s, start);
	return rc < 0 ? rc : 0;
}

int ls_supp_load(struct ls_suppressions *s, const char *path, char *err,
		 size_t errlen)
{
	FILE *f;
	int rc;

	if (!s || !path)
		return fail(err, errlen, "no file");
	f = fopen(path, "re");
	if (!f) {
		rc = -errno;
		if (err && errlen)
			snprintf(err, errlen, "%s: %s", path, strerror(-rc));
		return rc;
	}
	rc = ls_supp_load_stream(s, f, path, err, errlen);
	fclose(f);
	return rc;
}

/* ---- matching ---- */

/* A finding's fields as the text the globs match; NULL: it has none. */
struct view {
	const char *val[LS_SUPP_FIELD_MAX];
	const char *peer; /* the second text of "addr" */
	char comm[LS_COMM_LEN + 1], creator[LS_COMM_LEN + 1];
	char local_buf[sizeof(((struct ls_finding *)0)->local_addr) + 16];
	char peer_buf[sizeof(((struct ls_finding *)0)->peer_addr) + 16];
	char *argv;
};

static const char *opt(const char *s)
{
	return s && *s ? s : NULL;
}

static const char *copy_comm(char *dst, const char *src)
{
	size_t n = strnlen(src, LS_COMM_LEN);

	memcpy(dst, src, n);
	dst[n] = 0;
	return opt(dst);
}

/* "addr:port" (inet), "[addr]:port" (inet6), else the address alone. */
static const char *format_addr(char *out, size_t outlen, const char *family,
			       const char *addr, size_t addrsize, int port)
{
	int n = (int)strnlen(addr, addrsize);
	bool v4 = family && !strcmp(family, "inet");
	bool v6 = family && !strcmp(family, "inet6");

	if (!n)
		return NULL;
	if (v6 && port >= 0)
		snprintf(out, outlen, "[%.*s]:%d", n, addr, port);
	else if (v6)
		snprintf(out, outlen, "[%.*s]", n, addr);
	else if (v4 && port >= 0)
		snprintf(out, outlen, "%.*s:%d", n, addr, port);
	else
		snprintf(out, outlen, "%.*s", n, addr);
	return out;
}

/* argv joined with single spaces (malloc'd); NULL if none or no memory. */
static char *join_argv(char *const *argv)
{
	size_t len = 0;
	char *s, *o;

	if (!argv || !argv[0])
		return NULL;
	for (char *const *a = argv; *a; a++)
		len += strlen(*a) + 1;
	s = malloc(len);
	if (!s)
		return NULL;
	o = s;
	for (char *const *a = argv; *a; a++) {
		size_t n = strlen(*a);

		if (o != s)
			*o++ = ' ';
		memcpy(o, *a, n);
		o += n;
	}
	*o = 0;
	return s;
}

static void view_build(struct view *v, const struct ls_finding *f)
{
	memset(v->val, 0, sizeof(v->val));
	v->val[LS_SUPP_PATH] = opt(f->path);
	v->val[LS_SUPP_COMM] = copy_comm(v->comm, f->comm);
	v->val[LS_SUPP_TEST] = opt(f->test);
	v->val[LS_SUPP_ADDR] = format_addr(
		v->local_buf, sizeof(v->local_buf), f->family, f->local_addr,
		sizeof(f->local_addr), f->local_port);
	v->peer = format_addr(v->peer_buf, sizeof(v->peer_buf), f->family,
			      f->peer_addr, sizeof(f->peer_addr), f->peer_port);
	v->argv = join_argv(f->argv);
	v->val[LS_SUPP_ARGV] = opt(v->argv);
	v->val[LS_SUPP_TYPE] = opt(f->type);
	v->val[LS_SUPP_CLASS] = ls_class_name(f->cls);
	v->val[LS_SUPP_DATABASE] = opt(f->database);
	v->val[LS_SUPP_CREATOR] =
		f->has_creator ? copy_comm(v->creator, f->creator_comm) : NULL;
}

static void view_free(struct view *v)
{
	free(v->argv);
	v->argv = NULL;
}

static bool glob_matches(const char *glob, const char *s)
{
	return s && fnmatch(glob, s, 0) == 0;
}

static bool cond_matches(const struct ls_supp_cond *c, const struct view *v)
{
	if (c->field < 0 || c->field >= LS_SUPP_FIELD_MAX || !c->glob)
		return false;
	if (glob_matches(c->glob, v->val[c->field]))
		return true;
	return c->field == LS_SUPP_ADDR && glob_matches(c->glob, v->peer);
}

static bool rule_matches_view(const struct ls_supp_rule *r,
			      const struct ls_finding *f, const struct view *v)
{
	if (r->kind != -1 && r->kind != (int)f->kind)
		return false;
	for (int i = 0; i < r->n_conds; i++)
		if (!cond_matches(&r->conds[i], v))
			return false;
	return true;
}

bool ls_supp_rule_matches(const struct ls_supp_rule *r,
			  const struct ls_finding *f)
{
	struct view v;
	bool m;

	if (!r || !f)
		return false;
	view_build(&v, f);
	m = rule_matches_view(r, f, &v);
	view_free(&v);
	return m;
}

struct ls_supp_rule *ls_supp_match(struct ls_suppressions *s,
				   const struct ls_finding *f)
{
	struct ls_supp_rule *hit = NULL;
	struct view v;

	if (!s || !f || !s->n)
		return NULL;
	view_build(&v, f);
	for (size_t i = 0; i < s->n && !hit; i++)
		if (rule_matches_view(&s->rules[i], f, &v))
			hit = &s->rules[i];
	view_free(&v);
	if (hit)
		hit->hits++;
	return hit;
}
