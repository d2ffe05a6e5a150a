// SPDX-License-Identifier: GPL-2.0
/*
 * control.c - see control.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include "cgroup.h"
#include "control.h"

#define SEND_TIMEOUT_S 2 /* a client that does not read loses its link */

static int make_dir(struct ls_control *c, const char *run_id)
{
	const char *base = "/run/leakscope", *tmp = getenv("TMPDIR");
	struct stat st;
	bool have_run =
		!stat("/run", &st) && (!mkdir(base, 0755) || errno == EEXIST);

	if (!have_run)
		base = tmp && tmp[0] == '/' ? tmp : "/tmp";
	if (snprintf(c->dir, sizeof(c->dir), "%s/leakscope-%s", base, run_id) >=
	    (int)sizeof(c->dir))
		return -ENAMETOOLONG;
	if (mkdir(c->dir, 0700))
		return -errno;
	c->own_dir = true;
	if (snprintf(c->path, sizeof(c->path), "%s/control.sock", c->dir) >=
	    (int)sizeof(c->path))
		return -ENAMETOOLONG;
	return 0;
}

static int bind_socket(struct ls_control *c)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	memcpy(sa.sun_path, c->path, strlen(c->path) + 1);
	c->listen_fd =
		socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (c->listen_fd < 0)
		return -errno;
	if (bind(c->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(c->listen_fd, 64))
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
	snprintf(c->cgroup, sizeof(c->cgroup), "%s", cgroup);
	if (path) {
		if (strlen(path) >= sizeof(c->path)) {
			snprintf(why, whylen,
				 "--socket %s: longer than %zu "
				 "bytes",
				 path, sizeof(c->path) - 1);
			return -ENAMETOOLONG;
		}
		snprintf(c->path, sizeof(c->path), "%s", path);
	} else if ((err = make_dir(c, run_id))) {
		snprintf(why, whylen,
			 "cannot make a directory for the control "
			 "socket: %s",
			 strerror(-err));
		return err;
	}
	err = bind_socket(c);
	if (!err && (chmod(c->path, group_access ? 0660 : 0600) ||
		     chown(c->path, uid, gid) ||
		     (c->own_dir && chown(c->dir, uid, gid))))
		err = -errno;
	if (!err && c->own_dir && group_access && chmod(c->dir, 0710))
		err = -errno;
	if (err) {
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

/* Send one reply line; false if the client stopped reading (then part of
 * a line may have gone out, and the connection must be closed). */
static bool send_line(struct ls_conn *k, const char *line)
{
	size_t n = strlen(line) + 1, off = 0;
	char *buf = malloc(n);

	if (!buf)
		return false;
	memcpy(buf, line, n - 1);
	buf[n - 1] = '\n';
	while (off < n) {
		ssize_t w = send(k->fd, buf + off, n - off, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += w;
	}
	free(buf);
	return off == n;
}

static bool peer_allowed(struct ls_control *c, struct ls_conn *k)
{
	return k->uid == 0 || ls_cgroup_has_pid(c->cgroup, k->peer);
}

static void accept_one(struct ls_control *c)
{
	struct timeval tv = { .tv_sec = SEND_TIMEOUT_S };
	struct epoll_event ev = { .events = EPOLLIN };
	struct ucred cred;
	socklen_t len = sizeof(cred);
	struct ls_conn *k, **grown;
	int fd = accept4(c->listen_fd, NULL, NULL, SOCK_CLOEXEC);

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
	if (!peer_allowed(c, k)) {
		send_line(k, "ERR forbidden: the peer is neither root nor in "
			     "the watched cgroup");
		close(fd);
		free(k);
		return;
	}
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
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

void ls_control_close(struct ls_control *c)
{
	while (c->n_conns)
		drop(c, c->n_conns - 1);
	free(c->conns);
	c->conns = NULL;
	if (c->listen_fd >= 0) {
		close(c->listen_fd);
		unlink(c->path);
	}
	c->listen_fd = -1;
	if (c->own_dir)
		rmdir(c->dir);
	c->own_dir = false;
}
