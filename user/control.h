/* SPDX-License-Identifier: GPL-2.0 */
/*
 * control.h - the control socket: where test harnesses connect to mark
 * their tests (docs/protocol.md).
 *
 * Owns the Unix socket and its directory (creation, ownership, removal),
 * the connections, their line buffers, the peer check (root, or a process
 * inside the watched cgroup) and sending replies. Requests are handed, one
 * parsed line at a time, to a callback (the ledger). Must not: interpret
 * requests beyond their syntax.
 */
#ifndef LS_CONTROL_H
#define LS_CONTROL_H

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>
#include "protocol.h"

struct ls_conn {
	int fd;
	pid_t peer; /* SO_PEERCRED pid */
	uid_t uid;
	pid_t acting; /* FOR <pid>, else the peer */
	signed char
		peer_inside; /* peer in the watched cgroup: 1, 0, -1 unknown */
	char buf[LS_PROTO_MAX_LINE];
	size_t len;
	bool discarding; /* inside an over-long line */
};

/*
 * Handle one request of @c. Returns a malloc'd reply line without its
 * newline ("OK ..." or "ERR ..."), or NULL for "ERR out of memory".
 */
typedef char *(*ls_request_fn)(void *ctx, struct ls_conn *c,
			       const struct ls_request *req);

struct ls_control {
	int listen_fd;
	int epfd;
	char path[108]; /* sun_path */
	char dir[PATH_MAX];
	bool own_dir;  /* we made dir: remove it */
	bool own_sock; /* we bound path: unlink it if it is still ours */
	dev_t sock_dev;
	ino_t sock_ino;
	char cgroup[PATH_MAX];
	struct ls_conn **conns;
	size_t n_conns;
	ls_request_fn handle;
	void *ctx;
	unsigned long served;
};

/*
 * Listen on @path, or (NULL) on a fresh socket in a private directory
 * named after @run_id under /run/leakscope (0755), else, where that is not
 * writable (not root), under $TMPDIR or /tmp. The socket and the directory
 * are owned by @uid and @gid, with modes 0600 and 0700 (0660 and 0710 with
 * @group_access) whatever the umask. At @path, a socket nobody listens on
 * (a dead agent's) is replaced; a live one or any other file is left alone
 * (-EADDRINUSE). Returns 0 or -errno with the reason in @why.
 */
int ls_control_open(struct ls_control *c, const char *path, const char *run_id,
		    const char *cgroup, uid_t uid, gid_t gid, bool group_access,
		    char *why, size_t whylen);

/* Serve on @epfd: the caller passes every ready fd to ls_control_ready. */
int ls_control_attach(struct ls_control *c, int epfd, ls_request_fn handle,
		      void *ctx);

/* Did @fd belong to the control socket? Then it has been served. */
bool ls_control_ready(struct ls_control *c, int fd);

void ls_control_close(struct ls_control *c);

/*
 * Remove the private socket directory a run @run_id made, if it is still
 * there: its agent died without closing (see cmd_run.c's stale runs).
 */
void ls_control_remove_stale(const char *run_id);

#endif
