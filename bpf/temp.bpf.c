// SPDX-License-Identifier: GPL-2.0
/*
 * temp.bpf.c - temporary files and directories: created (open with O_CREAT
 * that really created, mkdir), removed (unlink, rmdir) and renamed under the
 * temp roots that the agent put in `temp_roots`.
 *
 * Owns the TEMP_* events. The kernel decides "under a temp root" by walking
 * dentries up to a root's (dev, ino), crossing mounts, so relative paths,
 * dirfds and bind mounts need no guessing. A path the process gave as an
 * absolute string is sent as written; the agent resolves and filters it.
 * Whether a temp object still exists is checked by the agent (lstat and the
 * inode seen at creation), so a lost unlink never invents a leak.
 */
#include "common.bpf.h"

#define AT_REMOVEDIR 0x200
/* Steps up the dentry tree: enough for any path that fits below a root
 * (two bytes a level) plus mount crossings. bpf_loop's count costs the
 * verifier nothing. */
#define WALK_STEPS 1024
/* The scratch buffer (2048 bytes): the part below the root is built
 * backwards to end at BUF_MID, the user's string goes after it; a path is
 * at most LS_TEMP_PATH_LEN - 1 bytes, and the masks keep every access
 * inside the buffer for the verifier. */
#define BUF_MID	  1023
#define POS_MASK  1023 /* positions before BUF_MID */
#define START_MAX (BUF_MID + 1)
#define UPATH_MAX 1023 /* the user's string, NUL included */

static __always_inline struct mount *real_mount(struct vfsmount *mnt)
{
	return (struct mount *)((void *)mnt -
				bpf_core_field_offset(struct mount, mnt));
}

static __always_inline char *scratch_buf(void)
{
	__u32 zero = 0;
	struct scratch *s = bpf_map_lookup_elem(&scratch, &zero);

	return s ? s->buf : 0;
}

struct walk {
	__u64 d; /* struct dentry *: where the walk stands */
	__u64 m; /* struct mount *: the mount that @d is seen through */
	__u32 pos;
	__s32 root;
	__u32 flags;
	__u32 stopped; /* the walk ended (root, top, no buffer) */
};

/* End the walk (bpf_loop stops on 1), and say it ended rather than ran
 * out of steps. */
static __always_inline long stop(struct walk *w)
{
	w->stopped = 1;
	return 1;
}

/* One step up: returns 1 to stop (root found, or the top reached). */
static long walk_step(__u32 i, void *arg)
{
	struct walk *w = arg;
	struct dentry *d = (struct dentry *)w->d, *parent;
	struct mount *m = (struct mount *)w->m, *up;
	struct ls_temp_root_key key;
	char *buf = scratch_buf();
	__u32 *idx, len, pos = w->pos;

	if (!buf || pos > BUF_MID)
		return stop(w);
	key.dev = BPF_CORE_READ(d, d_sb, s_dev);
	key.ino = BPF_CORE_READ(d, d_inode, i_ino);
	idx = bpf_map_lookup_elem(&temp_roots, &key);
	if (idx) {
		w->root = *idx;
		return stop(w);
	}
	if (d == BPF_CORE_READ(m, mnt.mnt_root)) {
		up = BPF_CORE_READ(m, mnt_parent);
		if (up == m) /* the global root: not a temp path */
			return stop(w);
		w->d = (__u64)BPF_CORE_READ(m, mnt_mountpoint);
		w->m = (__u64)up;
		return 0;
	}
	parent = BPF_CORE_READ(d, d_parent);
	if (parent == d)
		return stop(w);
	len = BPF_CORE_READ(d, d_name.len);
	if (len + 1 > pos || len > 255) {
		w->flags |= LS_TEMP_TRUNC; /* keep walking to find the root */
	} else if (len) {
		pos -= len + 1;
		bpf_probe_read_kernel(&buf[(pos + 1) & POS_MASK], len & 255,
				      BPF_CORE_READ(d, d_name.name));
		buf[pos & POS_MASK] = '/';
		w->pos = pos;
	}
	w->d = (__u64)parent;
	return 0;
}

/*
 * Walk from (@mnt, @d) up to a temp root, writing the path below the root
 * into @buf so that it ends at BUF_MID ("a/b/c"). Returns the offset where
 * it starts (BUF_MID when @d is the root itself); *root is the root's index,
 * or -1 when no temp root is above @d. *flags gets LS_TEMP_TRUNC if the path
 * did not fit.
 */
static __always_inline __u32 rel_path(struct vfsmount *mnt, struct dentry *d,
				      char *buf, __s32 *root, __u32 *flags)
{
	struct walk w = {
		.d = (__u64)d,
		.m = (__u64)real_mount(mnt),
		.pos = BUF_MID,
		.root = -1,
	};

	buf[BUF_MID] = 0;
	bpf_loop(WALK_STEPS, walk_step, &w, 0);
	if (!w.stopped) {
		/* Whether a temp root is above is unknown: that is a loss,
		 * counted here because the callers drop a path without a
		 * root. */
		w.flags |= LS_TEMP_TRUNC;
		loss(LS_LOSS_PATH_TRUNC);
	}
	*root = w.root;
	*flags |= w.flags;
	if (w.pos > BUF_MID)
		return BUF_MID;
	return w.pos == BUF_MID || w.root < 0 ? w.pos : w.pos + 1;
}

/* The directory that a *at() syscall resolves @dfd against. */
static __always_inline bool base_dir(int dfd, struct vfsmount **mnt,
				     struct dentry **d)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct file *f;

	if (dfd == AT_FDCWD) {
		*mnt = BPF_CORE_READ(t, fs, pwd.mnt);
		*d = BPF_CORE_READ(t, fs, pwd.dentry);
		return *d != 0;
	}
	f = fd_file(t, (__u32)dfd);
	if (!f)
		return false;
	*mnt = BPF_CORE_READ(f, f_path.mnt);
	*d = BPF_CORE_READ(f, f_path.dentry);
	return true;
}

/* One side of a path syscall, resolved as far as the kernel can. */
struct side {
	__s32 root;
	__u32 flags;
	__u32 start; /* offset of the relative path in the scratch buffer */
	__u32 end;   /* offset of its terminating NUL */
	__u32 abs;
};

static __always_inline bool temp_ancestor(struct dentry *d)
{
	struct ls_temp_root_key key = {
		.dev = BPF_CORE_READ(d, d_sb, s_dev),
		.ino = BPF_CORE_READ(d, d_inode, i_ino),
	};

	return bpf_map_lookup_elem(&temp_ancestors, &key) != 0;
}

/*
 * Resolve (@dfd, user string @upath) into the scratch buffer: "under root
 * N, path rel", "absolute, as written", or, from a directory above a temp
 * root (cwd "/", path "tmp/x"), "absolute, as built from the kernel's
 * path". Returns 0 if none applies (a relative path that cannot reach a
 * temp root without "..": not followed), so no event is needed. Global:
 * verified once, not at each of the nine places that resolve a path
 * (inlined, they were two thirds of the start-up's verifying time).
 */
__noinline int temp_resolve(int dfd, __u64 upath, struct side *s)
{
	char *buf = scratch_buf();
	struct vfsmount *mnt;
	struct dentry *d;
	char first = 0;
	long n;

	if (!buf || !s)
		return 0;
	s->flags = 0;
	s->root = -1;
	s->abs = 0;
	if (bpf_probe_read_user(&first, 1, (void *)upath))
		return 0;
	if (first == '/') {
		s->abs = 1;
		s->flags |= LS_TEMP_ABS;
		return 1;
	}
	if (!base_dir(dfd, &mnt, &d))
		return 0;
	s->start = rel_path(mnt, d, buf, &s->root, &s->flags);
	if (s->root < 0) {
		/* The walk reached "/": buf holds the base's absolute path. */
		if ((s->flags & LS_TEMP_TRUNC) || !temp_ancestor(d))
			return 0;
		s->flags |= LS_TEMP_ABS;
	}
	/* "base" + "/" + user string, contiguous from s->start. */
	buf[BUF_MID] = '/';
	n = bpf_probe_read_user_str(&buf[BUF_MID + 1], UPATH_MAX,
				    (void *)upath);
	if (n >= UPATH_MAX)
		s->flags |= LS_TEMP_TRUNC;
	s->end = BUF_MID + (n > 0 ? n : 1);
	if (s->start == BUF_MID && s->root >= 0)
		s->start = BUF_MID + 1;
	return 1;
}

/* Where a path built in @buf starts (<= START_MAX: reading a whole
 * LS_TEMP_PATH_LEN from there stays in the buffer). */
static __always_inline const char *path_at(const char *buf, __u32 start)
{
	return &buf[start <= START_MAX ? start : START_MAX];
}

/* Copy the path of @s into @dst; a path that does not fit is cut and
 * flagged (LS_TEMP_TRUNC), never cut silently. */
static __always_inline void copy_side(char *dst, struct side *s,
				      const char *buf, __u64 upath)
{
	if (s->abs) {
		if (bpf_probe_read_user_str(dst, LS_TEMP_PATH_LEN,
					    (void *)upath) >= LS_TEMP_PATH_LEN)
			s->flags |= LS_TEMP_TRUNC;
	} else {
		bpf_probe_read_kernel(dst, LS_TEMP_PATH_LEN,
				      path_at(buf, s->start));
		if (s->end - s->start >= LS_TEMP_PATH_LEN)
			s->flags |= LS_TEMP_TRUNC;
	}
	dst[LS_TEMP_PATH_LEN - 1] = 0;
}

static __always_inline void note_trunc(__u32 flags)
{
	if (flags & LS_TEMP_TRUNC)
		loss(LS_LOSS_PATH_TRUNC);
}

static __always_inline __u64 current_test(__u32 tgid)
{
	struct ls_proc *p = bpf_map_lookup_elem(&procs, &tgid);

	return p ? p->test : 0;
}

/* mkdir/unlink/rmdir: one path. Global: verified once. */
__noinline int temp_path_event(struct ls_sysctx *c, __u32 type, int dfd,
			       __u64 upath, __u32 dir)
{
	char *buf = scratch_buf();
	struct ls_ev_temp *e;
	struct side s = {};

	if (!c || !buf || !temp_resolve(dfd, upath, &s))
		return 0;
	e = emit_reserve(sizeof(*e), type, current_test(c->tgid));
	if (!e)
		return 0;
	e->dev = 0;
	e->ino = 0;
	copy_side(e->path, &s, buf, upath);
	e->flags = s.flags | dir;
	e->root_idx = s.root;
	e->flags2 = 0;
	e->root2_idx = -1;
	e->path2[0] = 0;
	note_trunc(s.flags);
	emit_submit(e);
	return 0;
}

#define RENAME_EXCHANGE (1u << 1)

/* rename, renameat, renameat2: two paths. Global: verified once. */
__noinline int temp_rename_event(struct ls_sysctx *c)
{
	char *buf = scratch_buf();
	struct ls_ev_temp *e;
	struct side a = {}, b = {};
	int odfd = AT_FDCWD, ndfd = AT_FDCWD;
	__u64 old, new, flags = 0;
	bool ra, rb;

	if (!c || !buf)
		return 0;
	if (c->sys == LS_SYS_rename) {
		old = c->arg[0];
		new = c->arg[1];
	} else {
		odfd = (int)c->arg[0];
		old = c->arg[1];
		ndfd = (int)c->arg[2];
		new = c->arg[3];
		if (c->sys == LS_SYS_renameat2)
			flags = c->arg[4];
	}
	/* Resolve each side in turn: the buffer holds one at a time. */
	ra = temp_resolve(odfd, old, &a);
	e = emit_reserve(sizeof(*e), LS_EV_TEMP_RENAME, current_test(c->tgid));
	if (!e)
		return 0;
	e->dev = 0;
	e->ino = 0;
	e->root_idx = ra ? a.root : -1;
	e->path[0] = 0;
	if (ra)
		copy_side(e->path, &a, buf, old);
	e->flags = a.flags;
	rb = temp_resolve(ndfd, new, &b);
	e->root2_idx = rb ? b.root : -1;
	e->path2[0] = 0;
	if (rb)
		copy_side(e->path2, &b, buf, new);
	e->flags2 = b.flags | (flags & RENAME_EXCHANGE ? LS_TEMP_EXCHANGE : 0);
	/* A side that is no temp path was not followed: its length is no
	 * loss (and a walk that ran out is counted where it ran out). */
	note_trunc((ra ? a.flags : 0) | (rb ? b.flags : 0));
	if (ra || rb)
		emit_submit(e);
	else
		bpf_ringbuf_discard(e, BPF_RB_NO_WAKEUP);
	return 0;
}

/* Exit of a syscall of the TEMP hook group. */
__noinline int ls_temp_syscall(struct ls_sysctx *c)
{
	if (!c || c->ret != 0)
		return 0;
	switch (c->sys) {
	case LS_SYS_mkdir:
		temp_path_event(c, LS_EV_TEMP_CREATE, AT_FDCWD, c->arg[0],
				LS_TEMP_DIR);
		break;
	case LS_SYS_mkdirat:
		temp_path_event(c, LS_EV_TEMP_CREATE, (int)c->arg[0], c->arg[1],
				LS_TEMP_DIR);
		break;
	case LS_SYS_unlink:
		temp_path_event(c, LS_EV_TEMP_UNLINK, AT_FDCWD, c->arg[0], 0);
		break;
	case LS_SYS_unlinkat:
		temp_path_event(c, LS_EV_TEMP_UNLINK, (int)c->arg[0], c->arg[1],
				c->arg[2] & AT_REMOVEDIR ? LS_TEMP_DIR : 0);
		break;
	case LS_SYS_rmdir:
		temp_path_event(c, LS_EV_TEMP_UNLINK, AT_FDCWD, c->arg[0],
				LS_TEMP_DIR);
		break;
	case LS_SYS_rename:
	case LS_SYS_renameat:
	case LS_SYS_renameat2:
		temp_rename_event(c);
		break;
	}
	return 0;
}

/*
 * A file that open(O_CREAT) really created (FMODE_CREATED). Unnamed
 * O_TMPFILE files vanish on close and are not temp-file leaks.
 */
__noinline int ls_temp_file_created(__u64 file, __u64 test)
{
	struct file *f = (struct file *)file;
	char *buf = scratch_buf();
	struct ls_ev_temp *e;
	__u32 start, flags = LS_TEMP_HAS_INO;
	struct inode *ino;
	__s32 root;

	if (!buf || !f)
		return 0;
	ino = BPF_CORE_READ(f, f_inode);
	if (BPF_CORE_READ(ino, __i_nlink) == 0)
		return 0;
	start = rel_path(BPF_CORE_READ(f, f_path.mnt),
			 BPF_CORE_READ(f, f_path.dentry), buf, &root, &flags);
	if (root < 0)
		return 0;
	e = emit_reserve(sizeof(*e), LS_EV_TEMP_CREATE, test);
	if (!e)
		return 0;
	e->dev = BPF_CORE_READ(ino, i_sb, s_dev);
	e->ino = BPF_CORE_READ(ino, i_ino);
	e->flags = flags;
	e->root_idx = root;
	e->flags2 = 0;
	e->root2_idx = -1;
	/* The walk builds at most BUF_MID bytes: the path fits. */
	bpf_probe_read_kernel(e->path, LS_TEMP_PATH_LEN, path_at(buf, start));
	e->path[LS_TEMP_PATH_LEN - 1] = 0;
	e->path2[0] = 0;
	note_trunc(flags);
	emit_submit(e);
	return 0;
}
