// SPDX-License-Identifier: GPL-2.0
/*
 * mountinfo.c - parse /proc/self/mountinfo to find where a filesystem type
 * (cgroup2, tracefs) is mounted.
 *
 * Owns: the mountinfo line grammar, the kernel's octal path escapes and the
 * rule for choosing between several mounts of one type.
 * Must not: hard-code a mount point (cgroup2 lives at /sys/fs/cgroup or
 * /sys/fs/cgroup/unified, tracefs at /sys/kernel/tracing or
 * /sys/kernel/debug/tracing), keep global state, or print: callers report.
 *
 * The parser trusts nothing about its input: it is a fuzz target, so every
 * byte it reads is before the line's terminating NUL.
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "mountinfo.h"

/* ID, parent ID, major:minor, root, mount point, mount options. */
#define NR_LEADING_FIELDS 6

/*
 * Fields are split on single spaces, not runs of them: the kernel writes one
 * space between fields, and an empty field (a mount whose source is "") is
 * then still seen as a field.
 */
static char *next_field(char **cursor)
{
	char *start = *cursor, *space;

	if (!start)
		return NULL;
	space = strchr(start, ' ');
	if (space) {
		*space = '\0';
		*cursor = space + 1;
	} else {
		*cursor = NULL;
	}
	return start;
}

/* strtoul() takes signs and blanks and wraps; the kernel writes none. */
static int parse_uint(const char *s, unsigned int *out)
{
	unsigned int v = 0, d;

	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		d = (unsigned int)(*s - '0');
		if (v > (UINT_MAX - d) / 10)
			return -EINVAL;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

static int parse_devno(char *s, unsigned int *major, unsigned int *minor)
{
	char *colon = strchr(s, ':');

	if (!colon)
		return -EINVAL;
	*colon = '\0';
	if (parse_uint(s, major) || parse_uint(colon + 1, minor))
		return -EINVAL;
	return 0;
}

static bool is_odigit(char c, char max)
{
	return c >= '0' && c <= max;
}

/*
 * The kernel escapes every space, tab, newline and backslash as \ooo, so a
 * backslash not followed by three octal digits means the text is not what the
 * kernel wrote; guessing would yield a wrong path, hence -EINVAL. \000 is
 * refused because it would cut the string short.
 */
static int unescape(char *s)
{
	char *r = s, *w = s;

	while (*r) {
		if (*r != '\\') {
			*w++ = *r++;
			continue;
		}
		/* && stops at the first non-digit, so never past the NUL. */
		if (!is_odigit(r[1], '3') || !is_odigit(r[2], '7') ||
		    !is_odigit(r[3], '7'))
			return -EINVAL;
		*w = (char)((r[1] - '0') << 6 | (r[2] - '0') << 3 |
			    (r[3] - '0'));
		if (!*w)
			return -EINVAL;
		w++;
		r += 4;
	}
	*w = '\0';
	return 0;
}

/* Optional fields are open-ended ("master:1 shared:2 ..."); skip them all. */
static int skip_optional_fields(char **cursor)
{
	const char *field;

	while ((field = next_field(cursor)))
		if (!strcmp(field, "-"))
			return 0;
	return -EINVAL;
}

static int parse_leading(char **cursor, struct ls_mount_entry *e)
{
	char *f[NR_LEADING_FIELDS];
	unsigned int id;
	int i;

	for (i = 0; i < NR_LEADING_FIELDS; i++) {
		f[i] = next_field(cursor);
		if (!f[i])
			return -EINVAL;
	}
	if (parse_uint(f[0], &id) || parse_uint(f[1], &id) ||
	    parse_devno(f[2], &e->major, &e->minor))
		return -EINVAL;
	e->root = f[3];
	e->mount_point = f[4];
	return 0;
}

static int parse_trailing(char **cursor, struct ls_mount_entry *e)
{
	e->fstype = next_field(cursor);
	e->source = next_field(cursor);
	e->super_options = next_field(cursor);
	if (!e->fstype || !e->source || !e->super_options)
		return -EINVAL;
	/* Anything after super options is a field from a newer kernel. */
	return 0;
}

static int unescape_entry(struct ls_mount_entry *e)
{
	if (unescape(e->root) || unescape(e->mount_point) ||
	    unescape(e->fstype) || unescape(e->source))
		return -EINVAL;
	/* A relative or empty mount point is garbage, never a usable path. */
	if (e->mount_point[0] != '/' || !e->fstype[0])
		return -EINVAL;
	return 0;
}

int ls_mountinfo_parse_line(char *line, struct ls_mount_entry *e)
{
	struct ls_mount_entry tmp;
	char *cursor = line;
	size_t len;

	if (!line || !e)
		return -EINVAL;
	len = strlen(line);
	if (len && line[len - 1] == '\n')
		line[len - 1] = '\0';
	if (parse_leading(&cursor, &tmp) || skip_optional_fields(&cursor) ||
	    parse_trailing(&cursor, &tmp) || unescape_entry(&tmp))
		return -EINVAL;
	*e = tmp;
	return 0;
}

/* So that a caller ignoring the return code never uses a stale path. */
static int fail(char *out, size_t outlen, int rc)
{
	if (out && outlen)
		out[0] = '\0';
	return rc;
}

static int copy_out(char *out, size_t outlen, const char *src)
{
	size_t len = strlen(src);

	if (len >= outlen)
		return -ENAMETOOLONG;
	memcpy(out, src, len + 1);
	return 0;
}

/*
 * Weigh one line against the current choice in *rc (-ENOENT: none yet).
 * Returns true once a whole-hierarchy mount is taken: nothing later can beat
 * it, so the scan stops.
 */
static bool take_line(char *line, size_t len, const char *fstype, char *out,
		      size_t outlen, int *rc)
{
	struct ls_mount_entry e;
	bool whole;

	/* An embedded NUL would make a truncated line look well-formed. */
	if (strlen(line) != len)
		return false;
	if (ls_mountinfo_parse_line(line, &e) || strcmp(e.fstype, fstype))
		return false;
	whole = !strcmp(e.root, "/");
	if (whole || *rc == -ENOENT)
		*rc = copy_out(out, outlen, e.mount_point);
	return whole;
}

int ls_mountinfo_find(FILE *f, const char *fstype, char *out, size_t outlen)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int rc = -ENOENT;

	if (!f || !fstype || !out)
		return fail(out, outlen, -EINVAL);
	while ((n = getline(&line, &cap, f)) >= 0)
		if (take_line(line, (size_t)n, fstype, out, outlen, &rc))
			break;
	free(line);
	/*
	 * A short read may have hidden the preferred mount, so a fallback
	 * found before the error is not trusted. getline() fails without
	 * setting the error or EOF flag only when it cannot grow its buffer.
	 */
	if (n < 0 && ferror(f))
		rc = -EIO;
	else if (n < 0 && !feof(f))
		rc = -ENOMEM;
	return rc ? fail(out, outlen, rc) : 0;
}

int ls_mount_point(const char *fstype, char *out, size_t outlen)
{
	FILE *f;
	int rc;

	f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return fail(out, outlen, -errno);
	rc = ls_mountinfo_find(f, fstype, out, outlen);
	fclose(f);
	return rc;
}
