/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cgroup.h - the cgroup v2 filesystem as leakscope uses it: finding the
 * mount, checking that a path can be watched, creating the run's cgroup,
 * listing processes and child cgroups, signalling, killing and removing.
 *
 * Owns every read and write under the cgroup2 mount. Must not: signal a
 * process it has not confirmed (through a pidfd, so PID reuse cannot
 * redirect it) to be inside the cgroup concerned; follow symlinks.
 */
#ifndef LS_CGROUP_H
#define LS_CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Where cgroup v2 is mounted (from /proc/self/mountinfo). */
int ls_cgroup_mount(char *out, size_t len);

/* Process @pid's cgroup v2, relative to the mount ("/a/b"). */
int ls_cgroup_of(pid_t pid, char *out, size_t len);

/* The agent's own cgroup v2 directory. */
int ls_cgroup_self(char *out, size_t len);

/*
 * Check that @path is a cgroup v2 directory that may be watched: it exists,
 * is on cgroup2, is not the root, and does not contain the agent. On
 * success *real is its canonical path. On failure returns a negative errno
 * and writes a one-line reason with the fix into @why.
 */
int ls_cgroup_check_watchable(const char *path, char *real, size_t reallen,
			      char *why, size_t whylen);

/* The 64-bit cgroup id (kernfs node id) of a cgroup directory. */
int ls_cgroup_id(const char *path, uint64_t *id);

/* mkdir @parent (if missing) and @parent/@name; *out gets the new path.
 * -EXDEV if @parent (or where it would go) is not on cgroup v2. */
int ls_cgroup_make(const char *parent, const char *name, char *out, size_t len);

/* Call @fn for every process in @path and, if @recursive, below it. */
int ls_cgroup_for_each_proc(const char *path, bool recursive,
			    int (*fn)(pid_t pid, void *ctx), void *ctx);

/* Call @fn for every cgroup below @path (not @path), parents first. */
int ls_cgroup_for_each_child(const char *path,
			     int (*fn)(const char *path, void *ctx), void *ctx);

/* 1 if @path or a descendant has a live process, 0 if not. */
int ls_cgroup_populated(const char *path);

/* Wait until @path is unpopulated: 0, or -ETIMEDOUT. */
int ls_cgroup_wait_empty(const char *path, unsigned int timeout_ms);

/*
 * Send @sig to every process in @path and below, each through a pidfd whose
 * membership is checked after it was opened. *count gets how many.
 */
int ls_cgroup_signal(const char *path, int sig, unsigned int *count);

/* SIGKILL everything in @path and below: cgroup.kill, else per process. */
int ls_cgroup_kill(const char *path);

/* Remove @path and every cgroup below it, deepest first. */
int ls_cgroup_remove_tree(const char *path);

/* Is @pid (through @pidfd) a member of @path or a cgroup below it? */
bool ls_cgroup_has_pid(const char *path, pid_t pid);

#endif
