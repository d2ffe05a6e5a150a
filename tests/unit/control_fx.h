/* SPDX-License-Identifier: GPL-2.0 */
/*
 * control_fx.h - the fixture of the user/control.c tests (test_control_*.c):
 * the control socket (docs/protocol.md) opened at an explicit path in a
 * mkdtemp directory and served on a real epoll fd in the test thread
 * (epoll_wait, then ls_control_ready for each ready fd), AF_UNIX clients
 * that send requests and read reply lines, and the group setup (this
 * process's cgroup v2 directory, SIGPIPE fatal, /run/leakscope removed
 * afterwards if the tests made it).
 *
 * The request handler is a fake: it echoes the parsed request
 * ("OK verb=BEGIN name=..."), and for the names ask-err, ask-null and
 * ask-big returns an ERR line, NULL or a 1 MiB reply.
 *
 * Must not: wait forever (every wait has a deadline), leave a socket,
 * directory or client behind, or depend on modules but control.c,
 * protocol.c, cgroup.c and mountinfo.c. Included by one test file each.
 */
#ifndef LS_TESTS_CONTROL_FX_H
#define LS_TESTS_CONTROL_FX_H

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "unit.h"
#include "control.h"

#define DEADLINE_MS 10000
#define MAX_CLIENTS 40
#define BIG_REPLY   (1u << 20)
#define NOBODY	    65534

/* ---- the fake handler ---- */

struct handler {
	unsigned int calls;
	pid_t peer, acting;
	uid_t uid;
};

static inline const char *verb_name(enum ls_verb v)
{
	static const char *const n[] = {
		[LS_REQ_HELLO] = "HELLO",   [LS_REQ_PING] = "PING",
		[LS_REQ_BEGIN] = "BEGIN",   [LS_REQ_END] = "END",
		[LS_REQ_ALLOW] = "ALLOW",   [LS_REQ_FOR] = "FOR",
		[LS_REQ_STATUS] = "STATUS",
	};

	return v >= LS_REQ_HELLO && v <= LS_REQ_STATUS ? n[v] : "?";
}

static inline bool named(const struct ls_request *req, const char *s)
{
	return req->name && req->name_len == strlen(s) &&
	       !memcmp(req->name, s, req->name_len);
}

static inline char *big_reply(void)
{
	char *r = malloc(BIG_REPLY + 1);

	if (!r)
		return NULL;
	memcpy(r, "OK ", 3);
	memset(r + 3, 'x', BIG_REPLY - 3);
	r[BIG_REPLY] = 0;
	return r;
}

static inline char *echo(void *ctx, struct ls_conn *k,
			 const struct ls_request *req)
{
	struct handler *h = ctx;
	const char *text = req->verb == LS_REQ_ALLOW ? req->rule : req->name;
	int len = text ? (int)req->name_len : 0;
	char *out = NULL;
	int n;

	h->calls++;
	h->peer = k->peer;
	h->acting = k->acting;
	h->uid = k->uid;
	if (named(req, "ask-err"))
		return strdup("ERR nested: asked by the test");
	if (named(req, "ask-null"))
		return NULL;
	if (named(req, "ask-big"))
		return big_reply();
	if (req->verb == LS_REQ_FOR)
		n = asprintf(&out, "OK verb=FOR pid=%ld", req->pid);
	else if (req->verb == LS_REQ_END)
		n = asprintf(
			&out, "OK verb=END name=%.*s outcome=%s", len, text,
			req->outcome ? ls_outcome_name(req->outcome) : "none");
	else
		n = asprintf(&out, "OK verb=%s name=%.*s", verb_name(req->verb),
			     len, text ? text : "");
	return n < 0 ? NULL : out;
}

/* ---- the fixture ---- */

static struct {
	char dir[PATH_MAX];  /* mkdtemp */
	char path[PATH_MAX]; /* dir/control.sock */
	struct ls_control c;
	bool open;
	int epfd;
	struct handler h;
	int cli[MAX_CLIENTS];
	size_t n_cli;
	char private_dir[PATH_MAX]; /* to clean up after a failed check */
	mode_t umask_was;	    /* to restore after a failed check */
	bool umask_set;
} fx;

/* This process's cgroup v2 directory ("" if none), found once. */
static char own_cg[PATH_MAX];

/* ls_control_open(path NULL) makes /run/leakscope: remove it if we did. */
static bool had_run_dir;

static inline int setup(void **state)
{
	const char *tmp = getenv("TMPDIR");

	(void)state;
	memset(&fx, 0, sizeof(fx));
	fx.epfd = -1;
	if (!tmp || tmp[0] != '/' || strlen(tmp) > 40)
		tmp = "/tmp";
	snprintf(fx.dir, sizeof(fx.dir), "%s/ls-ctl-XXXXXX", tmp);
	if (!mkdtemp(fx.dir))
		return -1;
	snprintf(fx.path, sizeof(fx.path), "%s/control.sock", fx.dir);
	fx.epfd = epoll_create1(EPOLL_CLOEXEC);
	return fx.epfd < 0 ? -1 : 0;
}

static inline int teardown(void **state)
{
	(void)state;
	for (size_t i = 0; i < fx.n_cli; i++)
		if (fx.cli[i] >= 0)
			close(fx.cli[i]);
	if (fx.open)
		ls_control_close(&fx.c);
	if (fx.epfd >= 0)
		close(fx.epfd);
	if (fx.private_dir[0])
		nftw(fx.private_dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	if (fx.umask_set)
		umask(fx.umask_was);
	nftw(fx.dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	return 0;
}

static inline long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
}

static inline void start_as(const char *cgroup, uid_t uid, gid_t gid,
			    bool group)
{
	char why[512] = "";
	int err = ls_control_open(&fx.c, fx.path, NULL, cgroup, uid, gid, group,
				  why, sizeof(why));

	if (err) {
		print_error("ls_control_open %s: %d (%s)\n", fx.path, err, why);
		fail();
	}
	fx.open = true;
	assert_int_equal(ls_control_attach(&fx.c, fx.epfd, echo, &fx.h), 0);
}

static inline void start(void)
{
	start_as(own_cg, geteuid(), getegid(), false);
}

/* One epoll_wait; every ready fd is the control socket's. */
static inline int serve(int ms)
{
	struct epoll_event ev[16];
	int n = epoll_wait(fx.epfd, ev, ARRAY_SIZE(ev), ms);

	for (int i = 0; i < n; i++)
		assert_true(ls_control_ready(&fx.c, ev[i].data.fd));
	return n;
}

/* ---- clients ---- */

static inline int cli_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

/* A client the server has accepted. */
static inline int cli_new(void)
{
	size_t before = fx.c.n_conns;
	long end = now_ms() + DEADLINE_MS;
	int fd = cli_connect(fx.path);

	assert_true(fd >= 0);
	assert_true(fx.n_cli < MAX_CLIENTS);
	fx.cli[fx.n_cli++] = fd;
	while (fx.c.n_conns == before && now_ms() < end)
		serve(10);
	assert_int_equal(fx.c.n_conns, before + 1);
	return fd;
}

static inline void cli_send(int fd, const char *buf, size_t len)
{
	long end = now_ms() + DEADLINE_MS;

	while (len) {
		ssize_t w = send(fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (w < 0 && errno == EAGAIN && now_ms() < end) {
			serve(10);
			continue;
		}
		assert_true(w > 0);
		buf += w;
		len -= w;
	}
}

#define SEND(fd, lit) cli_send((fd), (lit), sizeof(lit) - 1)

/*
 * Read one reply line (without its '\n') into @buf, serving meanwhile.
 * Returns its length, or -1 at EOF (or a reset: the server closed with
 * our request unread).
 */
static inline ssize_t cli_line(int fd, char *buf, size_t cap)
{
	long end = now_ms() + DEADLINE_MS;
	size_t n = 0;

	for (;;) {
		char ch;
		ssize_t r = recv(fd, &ch, 1, MSG_DONTWAIT);

		if (r == 1) {
			if (ch == '\n')
				break;
			assert_true(n + 1 < cap);
			buf[n++] = ch;
			continue;
		}
		if (r == 0 || (r < 0 && errno == ECONNRESET))
			return -1;
		assert_true(errno == EAGAIN);
		if (now_ms() > end) {
			print_error("no reply within %d ms\n", DEADLINE_MS);
			fail();
		}
		serve(10);
	}
	buf[n] = 0;
	return n;
}

static inline void check_reply(int fd, const char *want, bool prefix,
			       const char *file, int lno)
{
	static char buf[8192];
	ssize_t n = cli_line(fd, buf, sizeof(buf));

	if (n < 0 ||
	    (prefix ? strncmp(buf, want, strlen(want)) : strcmp(buf, want))) {
		print_error("%s:%d: reply \"%.200s\" (want %s\"%s\")\n", file,
			    lno, n < 0 ? "<EOF>" : buf,
			    prefix ? "a line starting with " : "", want);
		fail();
	}
}

#define REPLY(fd, want) check_reply((fd), (want), false, __FILE__, __LINE__)
#define REPLY_PREFIX(fd, want) \
	check_reply((fd), (want), true, __FILE__, __LINE__)

static inline void check_eof(int fd, const char *file, int lno)
{
	char buf[256];

	if (cli_line(fd, buf, sizeof(buf)) != -1) {
		print_error("%s:%d: \"%s\" instead of EOF\n", file, lno, buf);
		fail();
	}
}

#define EOF_(fd) check_eof((fd), __FILE__, __LINE__)

static inline bool gone(const char *path)
{
	struct stat st;

	return lstat(path, &st) && errno == ENOENT;
}

/* ---- the group setup ---- */

/* This process's cgroup v2 directory, from mountinfo and /proc/self. */
static inline bool own_cgroup(char *out, size_t len)
{
	char *line = NULL, mnt[PATH_MAX] = "", rel[PATH_MAX] = "";
	size_t cap = 0;
	FILE *f = fopen("/proc/self/mountinfo", "re");

	while (f && getline(&line, &cap, f) > 0 && !mnt[0]) {
		char *sep = strstr(line, " - cgroup2 ");

		if (sep && sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1)
			mnt[0] = 0;
	}
	if (f)
		fclose(f);
	f = fopen("/proc/self/cgroup", "re");
	while (f && getline(&line, &cap, f) > 0)
		if (!strncmp(line, "0::", 3))
			sscanf(line + 3, "%4095s", rel);
	if (f)
		fclose(f);
	free(line);
	if (!mnt[0] || rel[0] != '/')
		return false;
	snprintf(out, len, "%s%s", mnt, strcmp(rel, "/") ? rel : "");
	return true;
}

static inline int group_setup(void **state)
{
	(void)state;
	if (!own_cgroup(own_cg, sizeof(own_cg)))
		own_cg[0] = 0;
	/* Whatever the caller ignores: a SIGPIPE must end the run. */
	signal(SIGPIPE, SIG_DFL);
	had_run_dir = access("/run/leakscope", F_OK) == 0;
	return 0;
}

static inline int group_teardown(void **state)
{
	(void)state;
	if (!had_run_dir)
		rmdir("/run/leakscope"); /* only if empty */
	return 0;
}

static inline bool drop_to_nobody(void)
{
	return !setgroups(0, NULL) && !setresgid(NOBODY, NOBODY, NOBODY) &&
	       !setresuid(NOBODY, NOBODY, NOBODY);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

#endif
