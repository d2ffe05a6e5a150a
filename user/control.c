// SPDX-License-Identifier: GPL-2.0
/*
 * control.c - see control.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include "cgroup.h"
#include "control.h"

/* Per reply: a client that has not read it by then loses its link. */
#define SEND_DEADLINE_MS 2000
#define RUN_BASE	 "/run/leakscope"

/*
 * /run/leakscope, 0755 whatever the umask: --socket-group clients pass
 * through it to their run's directory. False if it cannot be used.
 */
static bool run_base_ready(void)
{
	struct stat st;

	if (!mkdir(RUN_BASE, 0755))
		return !chmod(RUN_BASE, 0755);
	if (errno != EEXIST || lstat(RUN_BASE, &st) || !S_ISDIR(st.st_mode))
		return false;
	/* Root's and not 0755: left by an older run under a tight umask.
	 * It is leakscope's, so root puts it right. */
	if (st.st_uid == 0 && geteuid() == 0 && (st.st_mode & 07777) != 0755)
		chmod(RUN_BASE, 0755);
	return true;
}

/* @c->dir under @base, and the socket's path in it; -errno. */
static int make_run_dir(struct ls_control *c, const char *base,
			const char *run_id)
{
	/* Both lengths first: nothing is made for a path that cannot fit. */
	if (snprintf(c->dir, sizeof(c->dir), "%s/leakscope-%s", base, run_id) >=
		    (int)sizeof(c->dir) ||
	    strlen(c->dir) + strlen("/control.sock") >= sizeof(c->path))
		return -ENAMETOOLONG;
	if (mkdir(c->dir, 0700))
		return -errno;
	/* mkdir's mode goes through the umask: say it exactly. */
	if (chmod(c->dir, 0700)) {
		int err = -errno;

		rmdir(c->dir);
		return err;
	}
	c->own_dir = true;
	snprintf(c->path, sizeof(c->path), "%s/control.sock", c->dir);
	return 0;
}

/*
 * A private directory: under /run/leakscope, else (not root: that is
 * root's, or no /run; or the path would not fit) under $TMPDIR or /tmp.
 */
#define N_BASES 3

static void run_bases(const char *bases[N_BASES])
{
	const char *tmp = getenv("TMPDIR");

	bases[0] = RUN_BASE;
	bases[1] = tmp && tmp[0] == '/' ? tmp : "/tmp";
	bases[2] = "/tmp";
}

static int make_dir(struct ls_control *c, const char *run_id, char *why,
		    size_t whylen)
{
	const char *bases[N_BASES];
	int err = -ENOENT;

	run_bases(bases);
	for (size_t i = 0; i < N_BASES; i++) {
		if (i == 0 && !run_base_ready())
			continue;
		err = make_run_dir(c, bases[i], run_id);
		if (!err)
			return 0;
	}
	if (err == -ENAMETOOLONG)
		snprintf(why, whylen,
			 "cannot make a directory for the control socket: "
			 "%s/control.sock is longer than %zu bytes",
			 c->dir, sizeof(c->path) - 1);
	else
		snprintf(why, whylen,
			 "cannot make a directory for the control socket "
			 "%s: %s",
			 c->dir, strerror(-err));
	c->dir[0] = c->path[0] = 0;
	return err;
}

void ls_control_remove_stale(const char *run_id)
{
	const char *bases[N_BASES];
	char dir[PATH_MAX], sock[PATH_MAX + 16];

	run_bases(bases);
	for (size_t i = 0; i < N_BASES; i++) {
		if (snprintf(dir, sizeof(dir), "%s/leakscope-%s", bases[i],
			     run_id) >= (int)sizeof(dir))
			continue;
		snprintf(sock, sizeof(sock), "%s/control.sock", dir);
		unlink(sock);
		rmdir(dir);
	}
}

static int set_path(struct ls_control *c, const char *path, char *why,
		    size_t whylen)
{
	if (strlen(path) >= sizeof(c->path)) {
		snprintf(why, whylen, "--socket %s: longer than %zu bytes",
			 path, sizeof(c->path) - 1);
		return -ENAMETOOLONG;
	}
	snprintf(c->path, sizeof(c->path), "%s", path);
	return 0;
}

/* Does someone accept on @sa? Refused means nobody: a dead agent's. */
static bool socket_live(const struct sockaddr_un *sa)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	bool live = fd < 0 ||
		    !connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) ||
		    errno != ECONNREFUSED;

	if (fd >= 0)
		close(fd);
	return live;
}

/*
 * The path is taken. Replace it only if it is a socket nobody listens on
 * any more (an agent that died); a live agent's socket or any other file
 * is not ours to delete.
 */
static int replace_stale(struct ls_control *c, const struct sockaddr_un *sa,
			 char *why, size_t whylen)
{
	struct stat was, now;

	if (lstat(c->path, &was))
		return errno == ENOENT ? 0 : -errno; /* gone meanwhile */
	if (!S_ISSOCK(was.st_mode) || socket_live(sa)) {
		snprintf(why, whylen, "control socket %s: %s", c->path,
			 S_ISSOCK(was.st_mode)
				 ? "in use (another agent listens there)"
				 : "the path exists and is not a socket");
		return -EADDRINUSE;
	}
	/* Still the same dead socket, not one bound since? */
	if (lstat(c->path, &now) || now.st_dev != was.st_dev ||
	    now.st_ino != was.st_ino || unlink(c->path)) {
		snprintf(why, whylen, "control socket %s: in use", c->path);
		return -EADDRINUSE;
	}
	return 0;
}

/* Bind and remember what we bound, so that close unlinks only that. */
static int bind_own(struct ls_control *c, const struct sockaddr_un *sa)
{
	struct stat st;

	if (bind(c->listen_fd, (const struct sockaddr *)sa, sizeof(*sa)))
		return -errno;
	if (lstat(c->path, &st))
		return -errno;
	c->own_sock = true;
	c->sock_dev = st.st_dev;
	c->sock_ino = st.st_ino;
	return 0;
}

static int bind_socket(struct ls_control *c, char *why, size_t whylen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int err;

	memcpy(sa.sun_path, c->path, strlen(c->path) + 1);
	c->listen_fd =
		socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (c->listen_fd < 0)
		return -errno;
	err = bind_own(c, &sa);
	if (err == -EADDRINUSE && !(err = replace_stale(c, &sa, why, whylen)))
		err = bind_own(c, &sa);
	if (!err && listen(c->listen_fd, 64))
		err = -errno;
	return err;
}

/*
 * Explicit modes: those of bind and mkdir went through the umask. lchown:
 * were the socket swapped for a symlink meanwhile, root must not give
 * away what it points to.
 */
static int set_owner(struct ls_control *c, uid_t uid, gid_t gid, bool group)
{
	if (chmod(c->path, group ? 0660 : 0600) || lchown(c->path, uid, gid))
		return -errno;
	if (c->own_dir &&
	    (chown(c->dir, uid, gid) || chmod(c->dir, group ? 0710 : 0700)))
		return -errno;
	return 0;
}

int ls_control_open(struct ls_control *c, const char *path, const char *run_id,
		    const char *cgroup, uid_t uid, gid_t gid, bool group_access,
		    char *why, size_t whylen)
{
	int err;

	memset(c, 0, sizeof(*c));
	c->listen_fd = c->epfd = -1;
	if (whylen)
		why[0] = 0;
	snprintf(c->cgroup, sizeof(c->cgroup), "%s", cgroup);
	err = path ? set_path(c, path, why, whylen)
		   : make_dir(c, run_id, why, whylen);
	if (err)
		return err;
	err = bind_socket(c, why, whylen);
	if (!err)
		err = set_owner(c, uid, gid, group_access);
	if (err) {
		if (whylen && !why[0])
			snprintf(why, whylen, "control socket %s: %s", c->path,
				 strerror(-err));
		ls_control_close(c);
	}
	return err;
}

int ls_control_attach(struct ls_control *c, int epfd, ls_request_fn handle,
		      void *ctx)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = c->listen_fd };

	c->epfd = epfd;
	c->handle = handle;
	c->ctx = ctx;
	return epoll_ctl(epfd, EPOLL_CTL_ADD, c->listen_fd, &ev) ? -errno : 0;
}

static void drop(struct ls_control *c, size_t i)
{
	struct ls_conn *k = c->conns[i];

	epoll_ctl(c->epfd, EPOLL_CTL_DEL, k->fd, NULL);
	close(k->fd);
	free(k);
	c->conns[i] = c->conns[--c->n_conns];
}

static long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
}

/* Send some of @buf from @off on, or wait for room until @end (ms).
 * False once the link is lost or the time is up. */
static bool send_some(int fd, const char *buf, size_t n, size_t *off, long end)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	ssize_t w = send(fd, buf + *off, n - *off, MSG_NOSIGNAL | MSG_DONTWAIT);
	long left;

	if (w > 0) {
		*off += w;
		return true;
	}
	if (w < 0 && errno == EINTR)
		return true;
	if (w == 0 || errno != EAGAIN)
		return false;
	left = end - mono_ms();
	return left > 0 && (poll(&p, 1, left) >= 0 || errno == EINTR);
}

/*
 * Send one reply line within one deadline for the whole of it: a client
 * that reads slowly must not hold the agent, and every other client,
 * longer than one that does not read at all. False if it did not all go
 * out (then part of a line may have, and the connection must be closed).
 */
static bool send_line(struct ls_conn *k, const char *line)
{
	size_t n = strlen(line) + 1, off = 0;
	long end = mono_ms() + SEND_DEADLINE_MS;
	char *buf = malloc(n);

	if (!buf)
		return false;
	memcpy(buf, line, n - 1);
	buf[n - 1] = '\n';
	while (off < n && send_some(k->fd, buf, n, &off, end))
		;
	free(buf);
	return off == n;
}

static bool peer_allowed(struct ls_control *c, struct ls_conn *k)
{
	return k->uid == 0 || ls_cgroup_has_pid(c->cgroup, k->peer);
}

static void accept_one(struct ls_control *c)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct ucred cred;
	socklen_t len = sizeof(cred);
	struct ls_conn *k, **grown;
	/* Non-blocking: send_line waits for room itself, up to a deadline. */
	int fd =
		accept4(c->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

	if (fd < 0)
		return;
	k = calloc(1, sizeof(*k));
	grown = realloc(c->conns, (c->n_conns + 1) * sizeof(*grown));
	if (!k || !grown ||
	    getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len)) {
		free(k);
		if (grown)
			c->conns = grown;
		close(fd);
		return;
	}
	c->conns = grown;
	k->fd = fd;
	k->peer = k->acting = cred.pid;
	k->uid = cred.uid;
	/* Only root may be outside; whether it is, is asked when it matters. */
	k->peer_inside = k->uid == 0 ? -1 : 1;
	if (!peer_allowed(c, k)) {
		send_line(k, "ERR forbidden: the peer is neither root nor in "
			     "the watched cgroup");
		close(fd);
		free(k);
		return;
	}
	ev.data.fd = fd;
	if (epoll_ctl(c->epfd, EPOLL_CTL_ADD, fd, &ev)) {
		close(fd);
		free(k);
		return;
	}
	c->conns[c->n_conns++] = k;
}

/* Serve one line; false if the connection must be dropped. */
static bool serve_line(struct ls_control *c, struct ls_conn *k,
		       const char *line, size_t len)
{
	struct ls_request req;
	char err[256], *reply;
	bool ok;

	if (ls_proto_parse(line, len, &req, err, sizeof(err))) {
		char msg[300];

		snprintf(msg, sizeof(msg), "ERR %s", err);
		return send_line(k, msg);
	}
	reply = c->handle(c->ctx, k, &req);
	ok = send_line(k, reply ? reply : "ERR out of memory");
	free(reply);
	c->served++;
	return ok;
}

/* Split what arrived into lines; an over-long one is answered once and
 * skipped up to its end. False if the connection must be dropped. */
static bool consume(struct ls_control *c, struct ls_conn *k)
{
	char *nl;

	while ((nl = memchr(k->buf, '\n', k->len))) {
		size_t n = nl - k->buf;

		if (k->discarding)
			k->discarding = false;
		else if (!serve_line(c, k, k->buf, n))
			return false;
		k->len -= n + 1;
		memmove(k->buf, nl + 1, k->len);
	}
	if (k->len == sizeof(k->buf)) {
		if (!k->discarding &&
		    !send_line(k, "ERR line too long: at most 4095 bytes"))
			return false;
		k->discarding = true;
		k->len = 0;
	}
	return true;
}

static void read_conn(struct ls_control *c, size_t i)
{
	struct ls_conn *k = c->conns[i];
	ssize_t r = read(k->fd, k->buf + k->len, sizeof(k->buf) - k->len);

	if (r < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (r <= 0) {
		drop(c, i);
		return;
	}
	k->len += r;
	if (!consume(c, k))
		drop(c, i);
}

bool ls_control_ready(struct ls_control *c, int fd)
{
	if (fd < 0)
		return false;
	if (fd == c->listen_fd) {
		accept_one(c);
		return true;
	}
	for (size_t i = 0; i < c->n_conns; i++)
		if (c->conns[i]->fd == fd) {
			read_conn(c, i);
			return true;
		}
	return false;
}

/* Only the socket we bound: not a file that was at the path before, nor
 * one another agent bound there after ours was removed. */
static void unlink_own(struct ls_control *c)
{
	struct stat st;

	if (c->own_sock && !lstat(c->path, &st) && st.st_dev == c->sock_dev &&
	    st.st_ino == c->sock_ino)
		unlink(c->path);
	c->own_sock = false;
}

void ls_control_close(struct ls_control *c)
{
	while (c->n_conns)
		drop(c, c->n_conns - 1);
	free(c->conns);
	c->conns = NULL;
	if (c->listen_fd >= 0)
		close(c->listen_fd);
	c->listen_fd = -1;
	unlink_own(c);
	if (c->own_dir)
		rmdir(c->dir);
	c->own_dir = false;
}
