// SPDX-License-Identifier: GPL-2.0
/*
 * temps.c - the temporary-file scenarios of tests/bpf/workloads/workload.c
 * (temp-clean, temp-leak, temp-in, temp-from-root, temp-exchange,
 * temp-dir-swap): files and directories made under the temp roots by
 * every path syscall (absolute, relative, *at with a directory fd),
 * renamed, exchanged, removed or left behind. Helpers: workload.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "../common/wl.h"
#include "workload.h"

static long temps_made; /* temp objects this process created */

static int create_file(const char *path, const char *data)
{
	int fd = ok(open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600),
		    path);

	temps_made++;
	if (data)
		write_all(fd, data, strlen(data));
	close_ok(fd);
	return 0;
}

static void make_dir(const char *path)
{
	ok(mkdir(path, 0700), path);
	temps_made++;
}

static void temp_excl(const char *root)
{
	char path[PATH_MAX];

	lsw_path(path, sizeof(path), root, "excl");
	create_file(path, "x");
	ok(unlink(path), "unlink");
}

static void temp_mkstemp(const char *root)
{
	char path[PATH_MAX];

	lsw_path(path, sizeof(path), root, "XXXXXX");
	close_ok(ok(mkstemp(path), "mkstemp"));
	temps_made++;
	ok(unlink(path), "unlink mkstemp");
}

static void temp_mkdtemp(const char *root)
{
	char dir[PATH_MAX], path[PATH_MAX + 16];

	lsw_path(dir, sizeof(dir), root, "dXXXXXX");
	if (!mkdtemp(dir))
		die("mkdtemp");
	temps_made++;
	for (int i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/f%d", dir, i);
		create_file(path, "data");
	}
	for (int i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/f%d", dir, i);
		ok(unlink(path), "unlink in mkdtemp dir");
	}
	ok(rmdir(dir), "rmdir mkdtemp dir");
}

/* chdir into a temp dir; create and remove by relative path. */
static void temp_relative(const char *root)
{
	char dir[PATH_MAX];

	lsw_path(dir, sizeof(dir), root, "cwd");
	make_dir(dir);
	ok(chdir(dir), "chdir");
	create_file("rel-file", "r");
	make_dir("rel-dir");
	ok(rmdir("rel-dir"), "rmdir relative");
	ok(unlink("rel-file"), "unlink relative");
	ok(chdir("/"), "chdir /");
	ok(rmdir(dir), "rmdir cwd dir");
}

static void temp_dirfd(const char *root)
{
	char dir[PATH_MAX];
	int dfd, fd;

	lsw_path(dir, sizeof(dir), root, "at");
	make_dir(dir);
	dfd = ok(open(dir, O_RDONLY | O_DIRECTORY), "open dir");
	fd = ok(openat(dfd, "f", O_CREAT | O_EXCL | O_WRONLY, 0600), "openat");
	temps_made++;
	close_ok(fd);
	ok(mkdirat(dfd, "sub", 0700), "mkdirat");
	temps_made++;
	ok(unlinkat(dfd, "sub", AT_REMOVEDIR), "unlinkat dir");
	ok(unlinkat(dfd, "f", 0), "unlinkat file");
	close_ok(dfd);
	ok(rmdir(dir), "rmdir at dir");
}

static void temp_renames(const char *root)
{
	char a[PATH_MAX], b[PATH_MAX], d1[PATH_MAX], d2[PATH_MAX],
		in[PATH_MAX + 8];

	lsw_path(a, sizeof(a), root, "ren-a");
	lsw_path(b, sizeof(b), root, "ren-b");
	create_file(a, "a");
	ok(rename(a, b), "rename file");
	ok(unlink(b), "unlink renamed");
	lsw_path(d1, sizeof(d1), root, "ren-d1");
	lsw_path(d2, sizeof(d2), root, "ren-d2");
	make_dir(d1);
	snprintf(in, sizeof(in), "%s/x", d1);
	create_file(in, "x");
	ok(rename(d1, d2), "rename dir");
	snprintf(in, sizeof(in), "%s/x", d2);
	ok(unlink(in), "unlink in renamed dir");
	ok(rmdir(d2), "rmdir renamed dir");
}

/* Creation, rename and removal through the raw syscalls, old and new. */
static void temp_syscalls(const char *root)
{
	struct open_how how = { .flags = O_CREAT | O_EXCL | O_WRONLY,
				.mode = 0600 };
	char a[PATH_MAX], b[PATH_MAX], c[PATH_MAX];

	lsw_path(a, sizeof(a), root, "sys-a");
	lsw_path(b, sizeof(b), root, "sys-b");
	lsw_path(c, sizeof(c), root, "sys-c");
	close_ok(ok(syscall(SYS_openat2, AT_FDCWD, a, &how, sizeof(how)),
		    "openat2 O_CREAT"));
	temps_made++;
	ok(syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b, RENAME_NOREPLACE),
	   "renameat2");
	ok(syscall(SYS_renameat, AT_FDCWD, b, AT_FDCWD, c), "renameat");
	ok(syscall(SYS_unlinkat, AT_FDCWD, c, 0), "unlinkat");
#ifdef SYS_creat
	close_ok(ok(syscall(SYS_creat, a, 0600), "creat"));
	temps_made++;
	ok(syscall(SYS_rename, a, b), "rename(2)");
	ok(syscall(SYS_unlink, b), "unlink(2)");
#endif
#ifdef SYS_open
	close_ok(ok(syscall(SYS_open, a, O_CREAT | O_EXCL | O_WRONLY, 0600),
		    "open(2) O_CREAT"));
	temps_made++;
	ok(syscall(SYS_unlink, a), "unlink(2)");
#endif
#ifdef SYS_mkdir
	ok(syscall(SYS_mkdir, a, 0700), "mkdir(2)");
	temps_made++;
	ok(syscall(SYS_rmdir, a), "rmdir(2)");
#endif
	ok(syscall(SYS_mkdirat, AT_FDCWD, a, 0700), "mkdirat(2)");
	temps_made++;
	ok(syscall(SYS_unlinkat, AT_FDCWD, a, AT_REMOVEDIR), "unlinkat dir");
}

int run_temp_clean(int argc, char **argv)
{
	const char *roots[] = { "/tmp", "/dev/shm" };

	(void)argc;
	(void)argv;
	for (size_t i = 0; i < sizeof(roots) / sizeof(roots[0]); i++) {
		temp_excl(roots[i]);
		temp_mkstemp(roots[i]);
		temp_mkdtemp(roots[i]);
		temp_relative(roots[i]);
		temp_dirfd(roots[i]);
		temp_renames(roots[i]);
		temp_syscalls(roots[i]);
	}
	say("TEMP_CREATED=%ld", temps_made);
	return 0;
}

/* Left through openat2, renameat2, and a directory moved with its file. */
static void temp_leak_more(void)
{
	struct open_how how = { .flags = O_CREAT | O_EXCL | O_WRONLY,
				.mode = 0600 };
	char a[PATH_MAX], b[PATH_MAX], in[PATH_MAX + 8];

	lsw_path(a, sizeof(a), "/tmp", "openat2");
	close_ok(ok(syscall(SYS_openat2, AT_FDCWD, a, &how, sizeof(how)),
		    "openat2 O_CREAT"));
	temps_made++;
	say("LEFT_OPENAT2=%s", a);
	lsw_path(a, sizeof(a), "/tmp", "r2-from");
	lsw_path(b, sizeof(b), "/tmp", "r2-to");
	create_file(a, "r2");
	ok(syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b, RENAME_NOREPLACE),
	   "renameat2");
	say("LEFT_RENAMEAT2=%s", b);
	lsw_path(a, sizeof(a), "/tmp", "dmove");
	lsw_path(b, sizeof(b), "/tmp", "dmoved");
	make_dir(a);
	snprintf(in, sizeof(in), "%s/f", a);
	create_file(in, "moved");
	ok(rename(a, b), "rename dir");
	say("LEFT_MOVED_DIR=%s", b);
	snprintf(in, sizeof(in), "%s/f", b);
	say("LEFT_MOVED_FILE=%s", in);
}

/* Two files swapped by renameat2(RENAME_EXCHANGE): both still exist. */
int run_temp_exchange(int argc, char **argv)
{
	char a[PATH_MAX], b[PATH_MAX];

	(void)argc;
	(void)argv;
	lsw_path(a, sizeof(a), "/tmp", "x1");
	lsw_path(b, sizeof(b), "/tmp", "x2");
	create_file(a, "one");
	create_file(b, "two!");
	ok(syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE),
	   "renameat2 RENAME_EXCHANGE");
	say("LEFT_X1=%s", a); /* now holds "two!" */
	say("LEFT_X2=%s", b); /* now holds "one" */
	return 0;
}

/* mkdir d, rename d to d.old, mkdir d again: two directories left. */
int run_temp_dir_swap(int argc, char **argv)
{
	char d[PATH_MAX], old[PATH_MAX];

	(void)argc;
	(void)argv;
	lsw_path(d, sizeof(d), "/tmp", "swap");
	lsw_path(old, sizeof(old), "/tmp", "swap.old");
	make_dir(d);
	ok(rename(d, old), "rename dir");
	make_dir(d);
	say("LEFT_DIR=%s", d);
	say("LEFT_OLD=%s", old);
	return 0;
}

/* From cwd "/", relative paths into /tmp: "tmp/lsw-<pid>-...". */
int run_temp_from_root(int argc, char **argv)
{
	char path[PATH_MAX];

	(void)argc;
	(void)argv;
	ok(chdir("/"), "chdir /");
	lsw_path(path, sizeof(path), "tmp", "fromroot-dir");
	make_dir(path);
	say("LEFT_DIR=/%s", path);
	lsw_path(path, sizeof(path), "tmp", "fromroot-file");
	create_file(path, "abc");
	say("LEFT_FILE=/%s", path);
	return 0;
}

/* A file and a directory in DIR (a temp root or not, as the test says). */
int run_temp_in(int argc, char **argv)
{
	char path[PATH_MAX];

	if (argc < 3)
		fail("usage: temp-in DIR");
	lsw_path(path, sizeof(path), argv[2], "file");
	create_file(path, "data");
	say("LEFT_FILE=%s", path);
	lsw_path(path, sizeof(path), argv[2], "dir");
	make_dir(path);
	say("LEFT_DIR=%s", path);
	return 0;
}

/* Not temp objects: an unnamed O_TMPFILE, and O_CREAT of an existing file. */
static void temp_not_created(const char *existing)
{
	int fd = open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);

	if (fd >= 0) {
		write_all(fd, "tmpfile", 7);
		close_ok(fd);
		say("TMPFILE=1");
	} else if (errno == EOPNOTSUPP || errno == EISDIR) {
		say("TMPFILE=0");
	} else {
		die("open O_TMPFILE");
	}
	if (!existing)
		return;
	fd = ok(open(existing, O_CREAT | O_WRONLY | O_APPEND | O_CLOEXEC, 0600),
		"open existing with O_CREAT");
	write_all(fd, "more", 4);
	close_ok(fd);
}

int run_temp_leak(int argc, char **argv)
{
	char path[PATH_MAX], in[PATH_MAX + 8], b[PATH_MAX];

	lsw_path(path, sizeof(path), "/tmp", "file");
	create_file(path, "hello world\n"); /* 12 bytes */
	say("LEFT_FILE=%s", path);
	lsw_path(path, sizeof(path), "/tmp", "dir");
	make_dir(path);
	snprintf(in, sizeof(in), "%s/inner", path);
	create_file(in, "12345");
	say("LEFT_DIR=%s", path);
	say("LEFT_INNER=%s", in);
	lsw_path(path, sizeof(path), "/tmp", "a");
	lsw_path(b, sizeof(b), "/tmp", "b");
	create_file(path, NULL);
	ok(rename(path, b), "rename");
	say("RENAMED_FROM=%s", path);
	say("LEFT_RENAMED=%s", b);
	ok(chdir("/tmp"), "chdir /tmp");
	lsw_path(path, sizeof(path), ".", "rel");
	make_dir(path + 2);
	ok(chdir("/"), "chdir /");
	say("LEFT_REL=/tmp/%s", path + 2);
	lsw_path(path, sizeof(path), "/dev/shm", "shm");
	create_file(path, "shm");
	say("LEFT_SHM=%s", path);
	lsw_path(path, sizeof(path), "/tmp", "gone");
	create_file(path, "gone");
	ok(unlink(path), "unlink");
	say("GONE=%s", path);
	temp_leak_more();
	temp_not_created(argc > 2 ? argv[2] : NULL);
	say("TEMP_CREATED=%ld", temps_made);
	return 0;
}
