// SPDX-License-Identifier: GPL-2.0
/*
 * cgroup.c - see cgroup.h.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>
#include <linux/magic.h>
#include "cgroup.h"
#include "mountinfo.h"

/* Asked at every BEGIN: mountinfo is read once, while it says nothing. */
int ls_cgroup_mount(char *out, size_t len)
{
	static char found[PATH_MAX];
	int err;

	if (!found[0]) {
		err = ls_mount_point("cgroup2", found, sizeof(found));
		if (err) {
			found[0] = 0;
			return err;
		}
	}
	return snprintf(out, len, "%s", found) >= (int)len ? -ENAMETOOLONG : 0;
}

/* The cgroup v2 path of @pid relative to the mount ("0::/a/b" -> "/a/b"). */
int ls_cgroup_of(pid_t pid, char *out, size_t len)
{
	char file[64], *line = NULL;
	size_t cap = 0;
	int err = -ENOENT;
	FILE *f;

	snprintf(file, sizeof(file), "/proc/%d/cgroup", (int)pid);
	f = fopen(file, "re");
	if (!f)
		return -errno;
	while (getline(&line, &cap, f) > 0) {
		if (strncmp(line, "0::", 3))
			continue;
		line[strcspn(line, "\n")] = 0;
		err = snprintf(out, len, "%s", line + 3) >= (int)len
			      ? -ENAMETOOLONG
			      : 0;
		break;
	}
	free(line);
	fclose(f);
	return err;
}

int ls_cgroup_self(char *out, size_t len)
{
	char mnt[PATH_MAX], rel[PATH_MAX];
	int err = ls_cgroup_mount(mnt, sizeof(mnt));

	if (!err)
		err = ls_cgroup_of(getpid(), rel, sizeof(rel));
	if (err)
		return err;
	if (snprintf(out, len, "%s%s", mnt, strcmp(rel, "/") ? rel : "") >=
	    (int)len)
		return -ENAMETOOLONG;
	return 0;
}

/* Is @inner equal to @outer or below it (as path strings)? */
static bool path_within(const char *inner, const char *outer)
{
	size_t n = strlen(outer);

	return !strncmp(inner, outer, n) && (inner[n] == 0 || inner[n] == '/');
}

int ls_cgroup_check_watchable(const char *path, char *real, size_t reallen,
			      char *why, size_t whylen)
{
	char mnt[PATH_MAX], self[PATH_MAX], buf[PATH_MAX];
	struct statfs sfs;
	struct stat st;

	if (stat(path, &st)) {
		snprintf(why, whylen,
			 "cgroup %s: %s (give the directory of an "
			 "existing cgroup v2 cgroup)",
			 path, strerror(errno));
		return -ENOENT;
	}
	if (!S_ISDIR(st.st_mode) || statfs(path, &sfs) ||
	    sfs.f_type != CGROUP2_SUPER_MAGIC) {
		snprintf(why, whylen,
			 "%s is not a cgroup v2 directory (cgroup "
			 "v2 is mounted at %s)",
			 path,
			 ls_cgroup_mount(mnt, sizeof(mnt)) ? "no place" : mnt);
		return -EINVAL;
	}
	if (!realpath(path, buf) || strlen(buf) >= reallen)
		return -ENAMETOOLONG;
	if (!ls_cgroup_mount(mnt, sizeof(mnt)) && !strcmp(buf, mnt)) {
		snprintf(why, whylen,
			 "%s is the root cgroup: watching the "
			 "whole machine is not supported; give a cgroup below "
			 "it",
			 buf);
		return -EINVAL;
	}
	if (!ls_cgroup_self(self, sizeof(self)) && path_within(self, buf)) {
		snprintf(why, whylen,
			 "leakscope itself runs in %s, inside %s: "
			 "run it from outside the cgroup it watches",
			 self, buf);
		return -EINVAL;
	}
	strcpy(real, buf);
	return 0;
}

int ls_cgroup_id(const char *path, uint64_t *id)
{
	struct {
		struct file_handle fh;
		uint64_t id;
	} h = { .fh.handle_bytes = sizeof(uint64_t) };
	struct stat st;
	int mount_id;

	if (!name_to_handle_at(AT_FDCWD, path, &h.fh, &mount_id, 0)) {
		memcpy(id, h.fh.f_handle, sizeof(*id));
		return 0;
	}
	/* On cgroup2 the inode number is the kernfs id as well. */
	if (stat(path, &st))
		return -errno;
	*id = st.st_ino;
	return 0;
}

static bool on_cgroup2(const char *path)
{
	struct statfs sfs;

	return statfs(path, &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC;
}

int ls_cgroup_make(const char *parent, const char *name, char *out, size_t len)
{
	char up[PATH_MAX];
	char *slash;

	/* Never mkdir outside cgroup2: --parent-cgroup /tmp is a typo. */
	snprintf(up, sizeof(up), "%s", parent);
	slash = strrchr(up, '/');
	if (slash && slash != up)
		*slash = 0;
	if (!on_cgroup2(parent) && !on_cgroup2(up))
		return -EXDEV;
	if (mkdir(parent, 0755) && errno != EEXIST)
		return -errno;
	if (snprintf(out, len, "%s/%s", parent, name) >= (int)len)
		return -ENAMETOOLONG;
	if (mkdir(out, 0755))
		return -errno;
	return 0;
}

static int read_procs(const char *dir, int (*fn)(pid_t, void *), void *ctx)
{
	char file[PATH_MAX];
	long pid;
	int err = 0;
	FILE *f;

	snprintf(file, sizeof(file), "%s/cgroup.procs", dir);
	f = fopen(file, "re");
	if (!f)
		return errno == ENOENT ? 0 : -errno; /* removed meanwhile */
	while (!err && fscanf(f, "%ld", &pid) == 1)
		err = fn((pid_t)pid, ctx);
	fclose(f);
	return err;
}

struct procs_walk {
	int (*fn)(pid_t, void *);
	void *ctx;
};

static int procs_of_child(const char *path, void *ctx)
{
	struct procs_walk *w = ctx;

	return read_procs(path, w->fn, w->ctx);
}

int ls_cgroup_for_each_proc(const char *path, bool recursive,
			    int (*fn)(pid_t pid, void *ctx), void *ctx)
{
	struct procs_walk w = { fn, ctx };
	int err = read_procs(path, fn, ctx);

	if (err || !recursive)
		return err;
	return ls_cgroup_for_each_child(path, procs_of_child, &w);
}

int ls_cgroup_for_each_child(const char *path,
			     int (*fn)(const char *path, void *ctx), void *ctx)
{
	char sub[PATH_MAX];
	struct dirent *de;
	int err = 0;
	DIR *d = opendir(path);

	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while (!err && (de = readdir(d))) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		if (snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name) >=
		    (int)sizeof(sub)) {
			err = -ENAMETOOLONG;
			break;
		}
		err = fn(sub, ctx);
		if (!err)
			err = ls_cgroup_for_each_child(sub, fn, ctx);
	}
	closedir(d);
	return err;
}

int ls_cgroup_populated(const char *path)
{
	char file[PATH_MAX], line[128];
	int populated = -ENOENT;
	FILE *f;

	snprintf(file, sizeof(file), "%s/cgroup.events", path);
	f = fopen(file, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "populated ", 10))
			populated = atoi(line + 10) != 0;
	fclose(f);
	return populated;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

int ls_cgroup_wait_empty(const char *path, unsigned int timeout_ms)
{
	long long deadline = now_ms() + timeout_ms;
	char file[PATH_MAX];
	struct pollfd pfd = { .events = POLLPRI };
	int r;

	/* cgroup.events raises POLLPRI whenever "populated" changes. */
	snprintf(file, sizeof(file), "%s/cgroup.events", path);
	pfd.fd = open(file, O_RDONLY | O_CLOEXEC);
	for (;;) {
		r = ls_cgroup_populated(path);
		if (r <= 0)
			break;
		if (now_ms() >= deadline) {
			r = -ETIMEDOUT;
			break;
		}
		if (pfd.fd < 0 || poll(&pfd, 1, 20) < 0)
			usleep(5000);
	}
	if (pfd.fd >= 0)
		close(pfd.fd);
	return r == -ENOENT ? 0 : r < 0 ? r : 0;
}

bool ls_cgroup_has_pid(const char *path, pid_t pid)
{
	char mnt[PATH_MAX], rel[PATH_MAX], full[PATH_MAX];

	if (ls_cgroup_mount(mnt, sizeof(mnt)) ||
	    ls_cgroup_of(pid, rel, sizeof(rel)))
		return false;
	if (snprintf(full, sizeof(full), "%s%s", mnt, rel) >= (int)sizeof(full))
		return false;
	return path_within(full, path);
}

struct signal_walk {
	const char *path;
	int sig;
	unsigned int count;
};

static int signal_one(pid_t pid, void *ctx)
{
	struct signal_walk *w = ctx;
	int pfd = syscall(SYS_pidfd_open, pid, 0);

	if (pfd < 0)
		return 0; /* already gone */
	/* The pidfd pins this process: if it is still in the cgroup now, the
	 * signal cannot reach anyone else, whatever happens to the PID. */
	if (ls_cgroup_has_pid(w->path, pid) &&
	    syscall(SYS_pidfd_send_signal, pfd, w->sig, NULL, 0) == 0)
		w->count++;
	close(pfd);
	return 0;
}

int ls_cgroup_signal(const char *path, int sig, unsigned int *count)
{
	struct signal_walk w = { path, sig, 0 };
	int err = ls_cgroup_for_each_proc(path, true, signal_one, &w);

	if (count)
		*count = w.count;
	return err;
}

int ls_cgroup_kill(const char *path)
{
	char file[PATH_MAX];
	int fd, err = 0;

	snprintf(file, sizeof(file), "%s/cgroup.kill", path);
	fd = open(file, O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (write(fd, "1", 1) != 1)
			err = -errno;
		close(fd);
		if (!err)
			return 0;
	}
	/* Before 5.14: kill what we see until nothing is left to see. */
	for (int round = 0; round < 50 && ls_cgroup_populated(path) > 0;
	     round++) {
		ls_cgroup_signal(path, SIGKILL, NULL);
		usleep(10000);
	}
	return ls_cgroup_populated(path) > 0 ? -EBUSY : 0;
}

static int collect_child(const char *path, void *ctx)
{
	char ***list = ctx;
	size_t n = 0;

	while (*list && (*list)[n])
		n++;
	char **grown = realloc(*list, (n + 2) * sizeof(**list));

	if (!grown)
		return -ENOMEM;
	grown[n] = strdup(path);
	grown[n + 1] = NULL;
	*list = grown;
	return grown[n] ? 0 : -ENOMEM;
}

int ls_cgroup_remove_tree(const char *path)
{
	char **list = NULL;
	size_t n = 0;
	int err = ls_cgroup_for_each_child(path, collect_child, &list);

	while (list && list[n])
		n++;
	/* Children were listed parents first: remove in reverse. */
	while (n--) {
		if (!err && rmdir(list[n]) && errno != ENOENT)
			err = -errno;
		free(list[n]);
	}
	free(list);
	if (!err && rmdir(path) && errno != ENOENT)
		err = -errno;
	return err;
}
