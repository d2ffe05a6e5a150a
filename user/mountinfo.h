/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mountinfo.h - find where a filesystem type is mounted by reading
 * /proc/self/mountinfo (format in proc(5)).
 *
 * Owns: parsing one mountinfo line, undoing the kernel's octal escapes in it,
 * and choosing one mount point for a filesystem type (cgroup2 and tracefs are
 * the callers today).
 * Must not: hard-code a mount point, keep global state, print, or read out of
 * bounds on any input (the line parser is a fuzz target).
 */
#ifndef LEAKSCOPE_MOUNTINFO_H
#define LEAKSCOPE_MOUNTINFO_H

#include <stddef.h>
#include <stdio.h>

struct ls_mount_entry {
	unsigned int major, minor;
	/* Root of the mount within its filesystem, unescaped. */
	char *root;
	char *mount_point; /* unescaped; always starts with '/' */
	char *fstype;	   /* unescaped */
	char *source;	   /* unescaped; may be empty */
	/*
	 * Left escaped: the filesystem defines this list and escapes ',' in
	 * values, so unescaping would make the separators ambiguous.
	 */
	char *super_options;
};

/*
 * Parse one mountinfo line (no trailing newline required) in place: @line is
 * modified (fields are unescaped and NUL-terminated inside it) and @e points
 * into it. Fields after the super options are ignored, as new kernels may
 * append some. Returns 0, or -EINVAL for a malformed line (too few fields, no
 * " - " separator, bad number or major:minor, bad escape, relative mount
 * point, empty filesystem type); @e is left untouched then.
 */
int ls_mountinfo_parse_line(char *line, struct ls_mount_entry *e);

/*
 * Scan mountinfo text from @f for mounts of @fstype (exact match) and copy the
 * chosen one's mount point into @out (size @outlen). Choice when several
 * match: prefer a mount whose root is "/" (the whole hierarchy, not a bind of
 * a subtree); among those, the first in file order; failing that, the first
 * match. Malformed lines are skipped. Returns 0, -ENOENT if none,
 * -ENAMETOOLONG if @out is too small, -EIO on read error, -ENOMEM, or -EINVAL
 * for NULL arguments. On any error @out (if not NULL and @outlen > 0) holds
 * "".
 */
int ls_mountinfo_find(FILE *f, const char *fstype, char *out, size_t outlen);

/* ls_mountinfo_find over /proc/self/mountinfo; also -errno from fopen(). */
int ls_mount_point(const char *fstype, char *out, size_t outlen);

#endif /* LEAKSCOPE_MOUNTINFO_H */
