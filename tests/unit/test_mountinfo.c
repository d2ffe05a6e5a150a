// SPDX-License-Identifier: GPL-2.0
/*
 * test_mountinfo.c - unit tests for user/mountinfo.c: the line parser on
 * well-formed and hostile lines, the choice between several mounts, and the
 * buffer and I/O error paths of the scanner.
 *
 * Must not: depend on this machine's mounts, except in the last tests, which
 * check the live /proc/self/mountinfo against statfs() rather than against
 * fixed paths.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/vfs.h>
#include <linux/magic.h>
#include <cmocka.h>

#include "mountinfo.h"

#define OUT_SIZE 256

/* This machine's real table (a hybrid cgroup v1 + v2 layout). */
static const char hybrid[] =
	"22 27 0:21 / /proc rw,relatime - proc proc rw\n"
	"23 27 0:22 / /sys rw,relatime - sysfs sysfs rw\n"
	"24 27 0:6 / /dev rw,relatime - devtmpfs devtmpfs "
	"rw,size=12334492k,nr_inodes=3083623,mode=755\n"
	"25 24 0:23 / /dev/shm rw,relatime - tmpfs tmpfs rw,size=24684092k\n"
	"27 1 254:0 / / rw,relatime - ext4 /dev/vda rw,discard\n"
	"31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
	"32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
	"35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup "
	"rw,memory\n"
	"40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup "
	"rw,name=systemd\n"
	"41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n"
	"42 23 0:13 / /sys/kernel/tracing rw,relatime - tracefs tracefs rw\n";

/* A systemd pure-v2 host: shared propagation on almost every mount. */
static const char pure_v2[] =
	"22 1 8:2 / / rw,relatime shared:1 - ext4 /dev/sda2 rw\n"
	"24 22 0:22 / /sys rw,nosuid,nodev,noexec,relatime shared:2 - sysfs "
	"sysfs rw\n"
	"25 22 0:23 / /proc rw,nosuid,nodev,noexec,relatime shared:13 - proc "
	"proc rw\n"
	"28 24 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 "
	"- "
	"cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot\n"
	"30 24 0:7 / /sys/kernel/debug rw,nosuid,nodev,noexec,relatime "
	"shared:9 - debugfs debugfs rw\n"
	"31 24 0:12 / /sys/kernel/tracing rw,nosuid,nodev,noexec,relatime "
	"shared:10 - tracefs tracefs rw\n";

static const char no_cgroup2[] =
	"22 27 0:21 / /proc rw,relatime - proc proc rw\n"
	"31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
	"32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n";

static FILE *open_text(const char *text, size_t len)
{
	/* Read mode never writes to the buffer. */
	FILE *f = fmemopen((void *)text, len, "r");

	assert_non_null(f);
	return f;
}

static int find_in_n(const char *text, size_t len, const char *fstype,
		     char *out, size_t outlen)
{
	FILE *f = open_text(text, len);
	int rc = ls_mountinfo_find(f, fstype, out, outlen);

	fclose(f);
	return rc;
}

static int find_in(const char *text, const char *fstype, char *out,
		   size_t outlen)
{
	return find_in_n(text, strlen(text), fstype, out, outlen);
}

/* Fills @out with junk first, so a test sees whether the call wrote it. */
static int find_dirty(const char *text, const char *fstype, char *out,
		      size_t outlen)
{
	memset(out, 'X', outlen);
	return find_in(text, fstype, out, outlen);
}

/* ---- ls_mountinfo_parse_line ---- */

static void test_parse_proc5_example(void **state)
{
	char line[] = "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 shared:2 - "
		      "ext3 /dev/root rw,errors=continue";
	struct ls_mount_entry e;

	(void)state;
	assert_int_equal(ls_mountinfo_parse_line(line, &e), 0);
	assert_int_equal(e.major, 98);
	assert_int_equal(e.minor, 0);
	assert_string_equal(e.root, "/mnt1");
	assert_string_equal(e.mount_point, "/mnt2");
	assert_string_equal(e.fstype, "ext3");
	assert_string_equal(e.source, "/dev/root");
	assert_string_equal(e.super_options, "rw,errors=continue");
}

static void test_parse_zero_optional_fields(void **state)
{
	char line[] = "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - "
		      "cgroup2 cgroup2 rw";
	struct ls_mount_entry e;

	(void)state;
	assert_int_equal(ls_mountinfo_parse_line(line, &e), 0);
	assert_int_equal(e.major, 0);
	assert_int_equal(e.minor, 38);
	assert_string_equal(e.root, "/");
	assert_string_equal(e.mount_point, "/sys/fs/cgroup/unified");
	assert_string_equal(e.fstype, "cgroup2");
	assert_string_equal(e.source, "cgroup2");
	assert_string_equal(e.super_options, "rw");
}

static void test_parse_many_optional_fields(void **state)
{
	/* "future:7" stands for a tag a newer kernel may add. */
	char line[] =
		"100 50 253:1 /data /srv/data ro shared:5 master:1 "
		"propagate_from:3 unbindable future:7 - xfs /dev/mapper/vg-"
		"data ro,attr2";
	struct ls_mount_entry e;

	(void)state;
	assert_int_equal(ls_mountinfo_parse_line(line, &e), 0);
	assert_int_equal(e.major, 253);
	assert_int_equal(e.minor, 1);
	assert_string_equal(e.root, "/data");
	assert_string_equal(e.mount_point, "/srv/data");
	assert_string_equal(e.fstype, "xfs");
	assert_string_equal(e.source, "/dev/mapper/vg-data");
	assert_string_equal(e.super_options, "ro,attr2");
}

static void test_parse_escapes(void **state)
{
	char line[] = "50 22 0:40 /a\\040dir /mnt/a\\040b\\011c\\012d\\134e "
		      "rw - fuse.my\\040fs my\\134src rw,opt=x\\054y";
	struct ls_mount_entry e;

	(void)state;
	assert_int_equal(ls_mountinfo_parse_line(line, &e), 0);
	assert_string_equal(e.root, "/a dir");
	assert_string_equal(e.mount_point, "/mnt/a b\tc\nd\\e");
	assert_string_equal(e.fstype, "fuse.my fs");
	assert_string_equal(e.source, "my\\src");
	/* Left escaped on purpose: see struct ls_mount_entry. */
	assert_string_equal(e.super_options, "rw,opt=x\\054y");
}

static void test_parse_high_byte_escape(void **state)
{
	char line[] = "1 0 0:1 / /mnt/\\303\\251t\\377 rw - ext4 src rw";
	struct ls_mount_entry e;

	(void)state;
	assert_int_equal(ls_mountinfo_parse_line(line, &e), 0);
	assert_string_equal(e.mount_point, "/mnt/\xc3\xa9t\xff");
}

static void test_parse_trailing_newline(void **state)
{
	char line[] = "1 0 0:1 / /mnt rw - ext4 src rw,x\n";
	struct ls_mount_entry e;

	(void)state;
	assert_int_equal(ls_mountinfo_parse_line(line, &e), 0);
	assert_string_equal(e.super_options, "rw,x");
}

static void test_parse_trailing_fields_ignored(void **state)
{
	char line[] = "1 0 0:1 / /mnt rw - ext4 src rw extra \\04 junk";
	struct ls_mount_entry e;

	(void)state;
	assert_int_equal(ls_mountinfo_parse_line(line, &e), 0);
	assert_string_equal(e.mount_point, "/mnt");
	assert_string_equal(e.fstype, "ext4");
	assert_string_equal(e.source, "src");
	assert_string_equal(e.super_options, "rw");
}

static void test_parse_empty_source(void **state)
{
	/* What the kernel prints after `mount -t tmpfs "" /mnt`. */
	char line[] = "60 22 0:50 / /mnt rw,relatime - tmpfs  rw,size=4k";
	struct ls_mount_entry e;

	(void)state;
	assert_int_equal(ls_mountinfo_parse_line(line, &e), 0);
	assert_string_equal(e.fstype, "tmpfs");
	assert_string_equal(e.source, "");
	assert_string_equal(e.super_options, "rw,size=4k");
}

static void test_parse_devno_limits(void **state)
{
	char line[] = "4294967295 4294967295 4294967295:1048575 / /mnt rw - "
		      "ext4 src rw";
	struct ls_mount_entry e;

	(void)state;
	assert_int_equal(ls_mountinfo_parse_line(line, &e), 0);
	assert_int_equal(e.major, 4294967295u);
	assert_int_equal(e.minor, 1048575);
}

static const struct {
	const char *line, *why;
} malformed[] = {
	{ "", "empty" },
	{ " ", "one blank" },
	{ "\n", "only a newline" },
	{ "garbage", "one field" },
	{ "1 0 0:1 / /mnt", "no options" },
	{ "1 0 0:1 / /mnt rw", "nothing after options" },
	{ "1 0 0:1 / /mnt rw ext4 src rw", "no separator" },
	{ "1 0 0:1 / /mnt rw shared:1 ext4 src rw", "no separator" },
	{ "1 0 0:1 / /mnt rw -", "nothing after separator" },
	{ "1 0 0:1 / /mnt rw - ext4", "no source" },
	{ "1 0 0:1 / /mnt rw - ext4 src", "no super options" },
	{ "1 0 0:1 / /mnt - ext4 src rw", "no mount options" },
	{ "1 0 0:1 / /mnt rw -ext4 src rw", "separator glued" },
	{ "1 0 0:1 / /mnt rw -x ext4 src rw", "separator prefix" },
	{ "1 0 0:1 / /mnt rw x- ext4 src rw", "separator suffix" },
	{ "1 0 0:1 / /mnt rw -- ext4 src rw", "double dash" },
	{ "x 0 0:1 / /mnt rw - ext4 src rw", "bad ID" },
	{ "1 -1 0:1 / /mnt rw - ext4 src rw", "negative parent" },
	{ "1  0 0:1 / /mnt rw - ext4 src rw", "double blank" },
	{ " 1 0 0:1 / /mnt rw - ext4 src rw", "leading blank" },
	{ "4294967296 0 0:1 / /mnt rw - ext4 src rw", "ID overflow" },
	{ "1 0 01 / /mnt rw - ext4 src rw", "no colon" },
	{ "1 0 :1 / /mnt rw - ext4 src rw", "no major" },
	{ "1 0 0: / /mnt rw - ext4 src rw", "no minor" },
	{ "1 0 : / /mnt rw - ext4 src rw", "lone colon" },
	{ "1 0 0:1:2 / /mnt rw - ext4 src rw", "two colons" },
	{ "1 0 -1:1 / /mnt rw - ext4 src rw", "negative major" },
	{ "1 0 +1:1 / /mnt rw - ext4 src rw", "signed major" },
	{ "1 0 0x1:1 / /mnt rw - ext4 src rw", "hex major" },
	{ "1 0 4294967296:1 / /mnt rw - ext4 src rw", "major overflow" },
	{ "1 0 1:99999999999999999999 / /mnt rw - ext4 src rw",
	  "minor overflow" },
	{ "1 0 0:1 / /mnt\\04 rw - ext4 src rw", "escape cut to 2 digits" },
	{ "1 0 0:1 / /mnt\\0 rw - ext4 src rw", "escape cut to 1 digit" },
	{ "1 0 0:1 / /mnt\\ rw - ext4 src rw", "lone backslash" },
	{ "1 0 0:1 / /mnt\\04x rw - ext4 src rw", "non-digit in escape" },
	{ "1 0 0:1 / /mnt\\080 rw - ext4 src rw", "non-octal digit" },
	{ "1 0 0:1 / /mnt\\x20 rw - ext4 src rw", "hex escape" },
	{ "1 0 0:1 / /mnt\\400 rw - ext4 src rw", "escape above a byte" },
	{ "1 0 0:1 / /mnt\\401 rw - ext4 src rw", "escape above a byte" },
	{ "1 0 0:1 / /mnt\\777 rw - ext4 src rw", "escape above a byte" },
	{ "1 0 0:1 / /mnt\\000 rw - ext4 src rw", "escaped NUL" },
	{ "1 0 0:1 /\\04 /mnt rw - ext4 src rw", "bad escape in root" },
	{ "1 0 0:1 / /mnt rw - ext4\\1 src rw", "bad escape in fstype" },
	{ "1 0 0:1 / /mnt rw - ext4 src\\04 rw", "bad escape in source" },
	{ "1 0 0:1 / /mnt rw - ext4 src\\", "backslash ends line" },
	{ "1 0 0:1 / mnt rw - ext4 src rw", "relative mount point" },
	{ "1 0 0:1 /  rw - ext4 src rw", "empty mount point" },
	{ "1 0 0:1 / \\040/mnt rw - ext4 src rw", "unescapes to \" /mnt\"" },
	{ "1 0 0:1 / /mnt rw -  src rw", "empty fstype" },
};

static void test_parse_malformed(void **state)
{
	struct ls_mount_entry sentinel, e;
	char *line;
	size_t i;

	(void)state;
	memset(&sentinel, 0xa5, sizeof(sentinel));
	for (i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++) {
		line = strdup(malformed[i].line);
		assert_non_null(line);
		e = sentinel;
		if (ls_mountinfo_parse_line(line, &e) != -EINVAL)
			fail_msg("accepted \"%s\" (%s)", malformed[i].line,
				 malformed[i].why);
		/* @e must not point into a line the caller gave up on. */
		assert_memory_equal(&e, &sentinel, sizeof(e));
		free(line);
	}
}

static void test_parse_null_args(void **state)
{
	char line[] = "1 0 0:1 / /mnt rw - ext4 src rw";
	struct ls_mount_entry e;

	(void)state;
	assert_int_equal(ls_mountinfo_parse_line(NULL, &e), -EINVAL);
	assert_int_equal(ls_mountinfo_parse_line(line, NULL), -EINVAL);
}

/* ---- ls_mountinfo_find ---- */

static void test_find_hybrid(void **state)
{
	char out[OUT_SIZE];

	(void)state;
	assert_int_equal(find_dirty(hybrid, "cgroup2", out, sizeof(out)), 0);
	assert_string_equal(out, "/sys/fs/cgroup/unified");
	/* Types match exactly: "cgroup" is not a prefix of "cgroup2". */
	assert_int_equal(find_dirty(hybrid, "cgroup", out, sizeof(out)), 0);
	assert_string_equal(out, "/sys/fs/cgroup/cpu");
	assert_int_equal(find_dirty(hybrid, "tmpfs", out, sizeof(out)), 0);
	assert_string_equal(out, "/dev/shm");
	assert_int_equal(find_dirty(hybrid, "cgroup2 ", out, sizeof(out)),
			 -ENOENT);
	assert_int_equal(find_dirty(hybrid, "", out, sizeof(out)), -ENOENT);
}

static void test_find_pure_v2(void **state)
{
	char out[OUT_SIZE];

	(void)state;
	assert_int_equal(find_dirty(pure_v2, "cgroup2", out, sizeof(out)), 0);
	assert_string_equal(out, "/sys/fs/cgroup");
	assert_int_equal(find_dirty(pure_v2, "cgroup", out, sizeof(out)),
			 -ENOENT);
	assert_string_equal(out, "");
}

static void test_find_no_cgroup2(void **state)
{
	char out[OUT_SIZE];

	(void)state;
	assert_int_equal(find_dirty(no_cgroup2, "cgroup2", out, sizeof(out)),
			 -ENOENT);
	assert_string_equal(out, "");
}

static void test_find_empty_input(void **state)
{
	char out[OUT_SIZE];

	(void)state;
	assert_int_equal(find_dirty("", "cgroup2", out, sizeof(out)), -ENOENT);
	assert_string_equal(out, "");
	assert_int_equal(find_dirty("\n\n", "cgroup2", out, sizeof(out)),
			 -ENOENT);
	assert_string_equal(out, "");
}

static void test_find_bind_of_subtree_first(void **state)
{
	static const char text[] =
		"70 22 0:38 /sub /bind/sub rw - cgroup2 cgroup2 rw\n"
		"71 22 0:38 /sub/x /bind/x rw - cgroup2 cgroup2 rw\n"
		"41 31 0:38 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n"
		"72 22 0:38 / /second rw - cgroup2 cgroup2 rw\n";
	char out[OUT_SIZE];

	(void)state;
	assert_int_equal(find_dirty(text, "cgroup2", out, sizeof(out)), 0);
	assert_string_equal(out, "/sys/fs/cgroup/unified");
}

static void test_find_only_subtrees(void **state)
{
	/* A container given only subtrees of the hierarchy: no root is "/". */
	static const char text[] =
		"70 22 0:38 /../a /first rw - cgroup2 cgroup2 rw\n"
		"71 22 0:38 /b /second rw - cgroup2 cgroup2 rw\n";
	char out[OUT_SIZE];

	(void)state;
	assert_int_equal(find_dirty(text, "cgroup2", out, sizeof(out)), 0);
	assert_string_equal(out, "/first");
}

static void test_find_escaped_mount_point(void **state)
{
	static const char text[] =
		"41 31 0:38 / /sys/fs/my\\040cg\\011v2\\012x\\134y rw - "
		"cgroup2 cgroup2 rw\n";
	char out[OUT_SIZE];

	(void)state;
	assert_int_equal(find_dirty(text, "cgroup2", out, sizeof(out)), 0);
	assert_string_equal(out, "/sys/fs/my cg\tv2\nx\\y");
}

static void test_find_buffer_too_small(void **state)
{
	/* strlen("/sys/fs/cgroup/unified") == 22 */
	char out[OUT_SIZE];

	(void)state;
	assert_int_equal(find_dirty(hybrid, "cgroup2", out, 23), 0);
	assert_string_equal(out, "/sys/fs/cgroup/unified");
	assert_int_equal(find_dirty(hybrid, "cgroup2", out, 22), -ENAMETOOLONG);
	assert_string_equal(out, "");
	assert_int_equal(find_dirty(hybrid, "cgroup2", out, 1), -ENAMETOOLONG);
	assert_string_equal(out, "");
	out[0] = 'X';
	assert_int_equal(find_in(hybrid, "cgroup2", out, 0), -ENAMETOOLONG);
	assert_int_equal(out[0], 'X');
	/* Absence is reported before size: there was nothing to copy. */
	assert_int_equal(find_in(no_cgroup2, "cgroup2", out, 0), -ENOENT);
}

static void test_find_too_small_is_per_choice(void **state)
{
	static const char long_bind_first[] =
		"70 22 0:38 /sub /a/very/long/bind/mount rw - cgroup2 c rw\n"
		"41 31 0:38 / /cg rw - cgroup2 cgroup2 rw\n";
	static const char long_whole_last[] =
		"70 22 0:38 /sub /b rw - cgroup2 c rw\n"
		"41 31 0:38 / /a/very/long/whole/mount rw - cgroup2 c rw\n";
	char out[8];

	(void)state;
	/* The fallback not fitting must not hide the preferred mount... */
	assert_int_equal(
		find_dirty(long_bind_first, "cgroup2", out, sizeof(out)), 0);
	assert_string_equal(out, "/cg");
	/* ...nor may a fitting fallback stand in for one that does not fit. */
	assert_int_equal(
		find_dirty(long_whole_last, "cgroup2", out, sizeof(out)),
		-ENAMETOOLONG);
	assert_string_equal(out, "");
}

static void test_find_skips_malformed(void **state)
{
	static const char text[] =
		"garbage\n"
		"\n"
		"41 31 0:38 / /bad/escape\\04 rw - cgroup2 cgroup2 rw\n"
		"41 31 0:38 / /no/separator rw cgroup2 cgroup2 rw\n"
		"41 31 x:38 / /bad/devno rw - cgroup2 cgroup2 rw\n"
		"41 31 0:38 / relative rw - cgroup2 cgroup2 rw\n"
		"41 31 0:38 / /too/few rw - cgroup2\n"
		"- - - - - - - cgroup2 cgroup2 rw\n"
		"41 31 0:38 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n"
		"\\\\\\\\\\\n"
		"42 23 0:13 / /sys/kernel/tracing rw - tracefs tracefs rw\n";
	char out[OUT_SIZE];

	(void)state;
	assert_int_equal(find_dirty(text, "cgroup2", out, sizeof(out)), 0);
	assert_string_equal(out, "/sys/fs/cgroup/unified");
	assert_int_equal(find_dirty(text, "tracefs", out, sizeof(out)), 0);
	assert_string_equal(out, "/sys/kernel/tracing");
}

static void test_find_trailing_garbage(void **state)
{
	/* Embedded NUL: the first line would parse if read up to the NUL. */
	static const char text[] =
		"41 31 0:38 / /nul rw - cgroup2 cgroup2 rw\0garbage\n"
		"41 31 0:38 / /extra rw - cgroup2 cgroup2 rw foo bar \\04\n"
		"42 23 0:13 / /no/final/newline rw - tracefs tracefs rw";
	char out[OUT_SIZE];

	(void)state;
	memset(out, 'X', sizeof(out));
	assert_int_equal(
		find_in_n(text, sizeof(text) - 1, "cgroup2", out, sizeof(out)),
		0);
	assert_string_equal(out, "/extra");
	memset(out, 'X', sizeof(out));
	assert_int_equal(
		find_in_n(text, sizeof(text) - 1, "tracefs", out, sizeof(out)),
		0);
	assert_string_equal(out, "/no/final/newline");
}

static void test_find_truncated_escape_at_end(void **state)
{
	/* Input cut off mid-escape, with nothing after it. */
	static const char cut_mount_point[] =
		"41 31 0:38 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n"
		"42 23 0:13 / /sys/kernel/trac\\04";
	static const char cut_source[] =
		"42 23 0:13 / /sys/kernel/tracing rw - tracefs trace\\04 rw\n";
	char out[OUT_SIZE];

	(void)state;
	assert_int_equal(
		find_dirty(cut_mount_point, "tracefs", out, sizeof(out)),
		-ENOENT);
	assert_int_equal(
		find_dirty(cut_mount_point, "cgroup2", out, sizeof(out)), 0);
	assert_string_equal(out, "/sys/fs/cgroup/unified");
	assert_int_equal(find_dirty(cut_source, "tracefs", out, sizeof(out)),
			 -ENOENT);
}

/* "/d0000000/d0000001/...": @n components of 9 bytes each. */
static char *long_path(size_t n)
{
	char *s = malloc(n * 9 + 1), *p = s;
	size_t i;

	assert_non_null(s);
	*p = '\0';
	for (i = 0; i < n; i++)
		p += sprintf(p, "/d%07zu", i);
	return s;
}

static void test_find_long_lines(void **state)
{
	char *path = long_path(2000), *text, *out;
	size_t len = strlen(path);

	(void)state;
	assert_true(len > 16 * 1024);
	out = malloc(len + 1);
	assert_non_null(out);
	/* A long line of another type, then a long match. */
	assert_int_not_equal(
		asprintf(&text,
			 "50 22 0:40 / %s/x rw - tmpfs tmpfs rw\n"
			 "51 22 0:41 / %s rw - cgroup2 cgroup2 rw\n",
			 path, path),
		-1);
	assert_int_equal(find_in(text, "cgroup2", out, len + 1), 0);
	assert_string_equal(out, path);
	assert_int_equal(find_in(text, "cgroup2", out, len), -ENAMETOOLONG);
	assert_string_equal(out, "");
	free(text);
	/* Long garbage, and a long line cut mid-escape, before the match. */
	assert_int_not_equal(
		asprintf(&text,
			 "%s\n"
			 "52 22 0:42 / %s\\04\n"
			 "41 31 0:38 / /sys/fs/cgroup/unified rw - "
			 "cgroup2 cgroup2 rw\n",
			 path, path),
		-1);
	assert_int_equal(find_in(text, "cgroup2", out, len + 1), 0);
	assert_string_equal(out, "/sys/fs/cgroup/unified");
	free(text);
	free(out);
	free(path);
}

static void test_find_tracefs(void **state)
{
	static const char both[] =
		"30 24 0:7 / /sys/kernel/debug rw - debugfs debugfs rw\n"
		"31 24 0:12 / /sys/kernel/tracing rw - tracefs tracefs rw\n"
		"32 30 0:12 / /sys/kernel/debug/tracing rw - tracefs tracefs "
		"rw\n";
	static const char debug_only[] =
		"30 24 0:7 / /sys/kernel/debug rw - debugfs debugfs rw\n"
		"32 30 0:12 / /sys/kernel/debug/tracing rw - tracefs tracefs "
		"rw\n";
	char out[OUT_SIZE];

	(void)state;
	assert_int_equal(find_dirty(both, "tracefs", out, sizeof(out)), 0);
	assert_string_equal(out, "/sys/kernel/tracing");
	assert_int_equal(find_dirty(debug_only, "tracefs", out, sizeof(out)),
			 0);
	assert_string_equal(out, "/sys/kernel/debug/tracing");
	assert_int_equal(find_dirty(pure_v2, "tracefs", out, sizeof(out)), 0);
	assert_string_equal(out, "/sys/kernel/tracing");
	assert_int_equal(find_dirty(hybrid, "tracefs", out, sizeof(out)), 0);
	assert_string_equal(out, "/sys/kernel/tracing");
	assert_int_equal(find_dirty(no_cgroup2, "tracefs", out, sizeof(out)),
			 -ENOENT);
}

/* A stream that yields its text, then fails like a dying disk. */
struct failing_stream {
	const char *text;
	size_t pos;
};

static ssize_t failing_read(void *cookie, char *buf, size_t size)
{
	struct failing_stream *s = cookie;
	size_t left = strlen(s->text + s->pos);

	if (!left) {
		errno = EIO;
		return -1;
	}
	if (size > left)
		size = left;
	memcpy(buf, s->text + s->pos, size);
	s->pos += size;
	return (ssize_t)size;
}

static int find_failing(const char *text, char *out, size_t outlen)
{
	struct failing_stream s = { .text = text };
	cookie_io_functions_t io = { .read = failing_read };
	FILE *f = fopencookie(&s, "r", io);
	int rc;

	assert_non_null(f);
	memset(out, 'X', outlen);
	rc = ls_mountinfo_find(f, "cgroup2", out, outlen);
	fclose(f);
	return rc;
}

static void test_find_read_error(void **state)
{
	char out[OUT_SIZE];

	(void)state;
	assert_int_equal(find_failing("", out, sizeof(out)), -EIO);
	assert_string_equal(out, "");
	/* A fallback seen before the error is not trusted... */
	assert_int_equal(find_failing("70 22 0:38 /sub /b rw - cgroup2 c rw\n",
				      out, sizeof(out)),
			 -EIO);
	assert_string_equal(out, "");
	/* ...but a whole-hierarchy mount ends the scan before the error. */
	assert_int_equal(find_failing(hybrid, out, sizeof(out)), 0);
	assert_string_equal(out, "/sys/fs/cgroup/unified");
}

static void test_find_null_args(void **state)
{
	char out[OUT_SIZE];
	FILE *f = open_text(hybrid, strlen(hybrid));

	(void)state;
	assert_int_equal(ls_mountinfo_find(NULL, "cgroup2", out, sizeof(out)),
			 -EINVAL);
	assert_int_equal(ls_mountinfo_find(f, NULL, out, sizeof(out)), -EINVAL);
	assert_int_equal(ls_mountinfo_find(f, "cgroup2", NULL, 10), -EINVAL);
	fclose(f);
}

/* ---- ls_mount_point, against the live system ---- */

static void test_mount_point_proc(void **state)
{
	char out[PATH_MAX];
	struct statfs st;

	(void)state;
	/* /proc must be mounted for /proc/self/mountinfo to exist at all. */
	assert_int_equal(ls_mount_point("proc", out, sizeof(out)), 0);
	assert_int_equal(statfs(out, &st), 0);
	assert_int_equal(st.f_type, PROC_SUPER_MAGIC);
}

static void test_mount_point_cgroup2(void **state)
{
	char out[PATH_MAX];
	struct statfs st;
	int rc;

	(void)state;
	rc = ls_mount_point("cgroup2", out, sizeof(out));
	if (rc == -ENOENT)
		skip();
	assert_int_equal(rc, 0);
	assert_int_equal(statfs(out, &st), 0);
	assert_int_equal(st.f_type, CGROUP2_SUPER_MAGIC);
}

static void test_mount_point_absent(void **state)
{
	char out[PATH_MAX];

	(void)state;
	assert_int_equal(
		ls_mount_point("leakscope-no-such-fs", out, sizeof(out)),
		-ENOENT);
	assert_string_equal(out, "");
	assert_int_equal(ls_mount_point("proc", out, 1), -ENAMETOOLONG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_proc5_example),
		cmocka_unit_test(test_parse_zero_optional_fields),
		cmocka_unit_test(test_parse_many_optional_fields),
		cmocka_unit_test(test_parse_escapes),
		cmocka_unit_test(test_parse_high_byte_escape),
		cmocka_unit_test(test_parse_trailing_newline),
		cmocka_unit_test(test_parse_trailing_fields_ignored),
		cmocka_unit_test(test_parse_empty_source),
		cmocka_unit_test(test_parse_devno_limits),
		cmocka_unit_test(test_parse_malformed),
		cmocka_unit_test(test_parse_null_args),
		cmocka_unit_test(test_find_hybrid),
		cmocka_unit_test(test_find_pure_v2),
		cmocka_unit_test(test_find_no_cgroup2),
		cmocka_unit_test(test_find_empty_input),
		cmocka_unit_test(test_find_bind_of_subtree_first),
		cmocka_unit_test(test_find_only_subtrees),
		cmocka_unit_test(test_find_escaped_mount_point),
		cmocka_unit_test(test_find_buffer_too_small),
		cmocka_unit_test(test_find_too_small_is_per_choice),
		cmocka_unit_test(test_find_skips_malformed),
		cmocka_unit_test(test_find_trailing_garbage),
		cmocka_unit_test(test_find_truncated_escape_at_end),
		cmocka_unit_test(test_find_long_lines),
		cmocka_unit_test(test_find_tracefs),
		cmocka_unit_test(test_find_read_error),
		cmocka_unit_test(test_find_null_args),
		cmocka_unit_test(test_mount_point_proc),
		cmocka_unit_test(test_mount_point_cgroup2),
		cmocka_unit_test(test_mount_point_absent),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
