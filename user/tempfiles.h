/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tempfiles.h - temporary files and directories created by the watch.
 *
 * Owns the temp roots (defaults plus --temp-root, deduplicated by inode),
 * the registry of temp objects the kernel saw created, renamed and removed,
 * and the final check of which of them still exist. Existence is decided by
 * lstat and the inode seen at creation, so a lost unlink event cannot
 * invent a leftover, and a file replaced by someone else is not ours.
 * Must not: delete anything (cleanup is opted into elsewhere).
 */
#ifndef LS_TEMPFILES_H
#define LS_TEMPFILES_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include "leakscope/abi.h"
#include "u64map.h"

struct ls_temp_root {
	char path[PATH_MAX]; /* canonical (realpath) */
	struct ls_temp_root_key key;
};

struct ls_temp_entry {
	char *path;
	bool is_dir;
	bool has_ino;	/* dev/ino are the created object's */
	bool truncated; /* the kernel could not copy the whole path */
	uint64_t dev;	/* kernel encoding (major << 20 | minor) */
	uint64_t ino;
	uint32_t tgid, tid;
	char comm[LS_COMM_LEN];
	uint64_t ts; /* creation, bpf_ktime_get_ns */
	uint64_t test;
	struct ls_temp_entry *next; /* same path hash */
};

#define LS_MAX_TEMP_ANCESTORS (4 * LS_MAX_TEMP_ROOTS)

struct ls_temps {
	struct ls_temp_root roots[LS_MAX_TEMP_ROOTS];
	int n_roots;
	/* directories above the roots ("/", "/var"), for the kernel */
	struct ls_temp_root_key ancestors[LS_MAX_TEMP_ANCESTORS];
	int n_ancestors;
	struct ls_u64map by_path;    /* ls_hash_str(path) -> entry chain */
	struct ls_u64map by_test;    /* test id -> its counts */
	struct ls_u64map removed_at; /* path hash -> when it was removed */
	uint64_t n_live, peak_live;
	uint64_t n_created, n_removed;
};

/*
 * Roots: /tmp, /var/tmp, /dev/shm, $TMPDIR, then @extra; missing ones are
 * skipped, duplicates (same inode) kept once. Returns 0 or -errno; an
 * @extra root that does not exist is an error (-ENOENT, named in @why).
 */
int ls_temps_init(struct ls_temps *t, const char *const *extra, int n_extra,
		  char *why, size_t whylen);
void ls_temps_free(struct ls_temps *t);

/* Feed one TEMP_* event. */
void ls_temps_event(struct ls_temps *t, const struct ls_ev_temp *e);

/*
 * Visit each registered object that still exists, in path order, with its
 * lstat result. Stops early on a non-zero return of @fn.
 */
int ls_temps_each_leftover(struct ls_temps *t,
			   int (*fn)(const struct ls_temp_entry *e,
				     const struct stat *st, void *ctx),
			   void *ctx);

/* When @path (registered) was removed, or 0. */
uint64_t ls_temps_removed_at(const struct ls_temps *t, const char *path);

/* Registered objects of test @test that have not been removed. */
uint64_t ls_temps_live_of_test(const struct ls_temps *t, uint64_t test);

/* Fill @out's tempfile slots with test @test's counts (left alone if the
 * test made none). */
void ls_temps_test_counts(const struct ls_temps *t, uint64_t test,
			  struct ls_test_counts *out);

/* Bytes in regular files below @dir (not following symlinks), bounded. */
uint64_t ls_temps_dir_bytes(const char *dir);

/* Pure helpers, exposed for tests. */
/* Collapse "//", "." and ".." lexically; @in must be absolute. */
int ls_path_normalize(const char *in, char *out, size_t len);
/* The absolute path an event side names, if it is under a root. */
int ls_temps_resolve(const struct ls_temps *t, int root_idx, uint32_t flags,
		     const char *path, char *out, size_t len);
/* stat(2)'s st_dev in the kernel's encoding, as the BPF side sees it. */
uint64_t ls_kernel_dev(dev_t dev);

#endif
