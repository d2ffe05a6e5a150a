// SPDX-License-Identifier: GPL-2.0
/*
 * test_control.c - unit tests for user/control.c: the control socket, its
 * connections, line buffers, peer check and replies (docs/protocol.md).
 *
 * Each test opens the control socket at an explicit path in a mkdtemp
 * directory (or, path NULL, in the private directory the module makes),
 * serves it on a real epoll fd in the test thread (epoll_wait, then
 * ls_control_ready for each ready fd) and talks to it through AF_UNIX
 * client sockets: one reply line per request, several requests in one
 * write, a request dripped byte by byte, lines of 4095 and 4096+ bytes, many
 * clients interleaved, clients that hang up mid-line or before their reply,
 * socket and directory modes and owners whatever the umask (and, as root,
 * /run/leakscope's in a private mount namespace), long paths, what is
 * already at the path (a file, a live socket: kept; a dead agent's socket:
 * replaced), ls_control_close hanging up on everyone, a handler that fails
 * or returns NULL, 1 MiB replies to a client that reads them, to one that
 * never does and to one that reads too slowly (dropped at the reply's
 * deadline), and the peer check: root, a process in the cgroup and one
 * outside it (a child that drops to uid 65534 when the test runs as root).
 *
 * The request handler is a fake: it echoes the parsed request
 * ("OK verb=BEGIN name=..."), and for the names ask-err, ask-null and
 * ask-big returns an ERR line, NULL or a 1 MiB reply.
 *
 * Must not: wait forever (every wait has a deadline), leave a socket,
 * directory, child or thread behind, or depend on modules but control.c,
 * protocol.c, cgroup.c and mountinfo.c.
 */
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

static const char *verb_name(enum ls_verb v)
{
	static const char *const n[] = {
		[LS_REQ_HELLO] = "HELLO",   [LS_REQ_PING] = "PING",
		[LS_REQ_BEGIN] = "BEGIN",   [LS_REQ_END] = "END",
		[LS_REQ_ALLOW] = "ALLOW",   [LS_REQ_FOR] = "FOR",
		[LS_REQ_STATUS] = "STATUS",
	};

	return v >= LS_REQ_HELLO && v <= LS_REQ_STATUS ? n[v] : "?";
}

static bool named(const struct ls_request *req, const char *s)
{
	return req->name && req->name_len == strlen(s) &&
	       !memcmp(req->name, s, req->name_len);
}

static char *big_reply(void)
{
	char *r = malloc(BIG_REPLY + 1);

	if (!r)
		return NULL;
	memcpy(r, "OK ", 3);
	memset(r + 3, 'x', BIG_REPLY - 3);
	r[BIG_REPLY] = 0;
	return r;
}

static char *echo(void *ctx, struct ls_conn *k, const struct ls_request *req)
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

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int setup(void **state)
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

static int teardown(void **state)
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

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
}

static void start_as(const char *cgroup, uid_t uid, gid_t gid, bool group)
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

static void start(void)
{
	start_as(own_cg, geteuid(), getegid(), false);
}

/* One epoll_wait; every ready fd is the control socket's. */
static int serve(int ms)
{
	struct epoll_event ev[16];
	int n = epoll_wait(fx.epfd, ev, ARRAY_SIZE(ev), ms);

	for (int i = 0; i < n; i++)
		assert_true(ls_control_ready(&fx.c, ev[i].data.fd));
	return n;
}

/* ---- clients ---- */

static int cli_connect(const char *path)
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
static int cli_new(void)
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

/* Close @fd, also in the fixture's list. */
static void cli_close(int fd)
{
	for (size_t i = 0; i < fx.n_cli; i++)
		if (fx.cli[i] == fd)
			fx.cli[i] = -1;
	close(fd);
}

static void cli_send(int fd, const char *buf, size_t len)
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
static ssize_t cli_line(int fd, char *buf, size_t cap)
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

static void check_reply(int fd, const char *want, bool prefix, const char *file,
			int lno)
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

/* Nothing more arrives for @fd while the server runs a little. */
static void check_quiet(int fd, const char *file, int lno)
{
	char ch;

	for (int i = 0; i < 5; i++)
		serve(10);
	if (recv(fd, &ch, 1, MSG_DONTWAIT) >= 0 || errno != EAGAIN) {
		print_error("%s:%d: unexpected data or EOF\n", file, lno);
		fail();
	}
}

#define QUIET(fd) check_quiet((fd), __FILE__, __LINE__)

static void check_eof(int fd, const char *file, int lno)
{
	char buf[256];

	if (cli_line(fd, buf, sizeof(buf)) != -1) {
		print_error("%s:%d: \"%s\" instead of EOF\n", file, lno, buf);
		fail();
	}
}

#define EOF_(fd) check_eof((fd), __FILE__, __LINE__)

/* ---- the socket file and its directory ---- */

static void check_mode(const char *path, mode_t type, mode_t mode, uid_t uid,
		       gid_t gid)
{
	struct stat st;

	assert_int_equal(lstat(path, &st), 0);
	assert_int_equal(st.st_mode & S_IFMT, type);
	assert_int_equal(st.st_mode & 07777, mode);
	assert_int_equal(st.st_uid, uid);
	assert_int_equal(st.st_gid, gid);
}

static bool gone(const char *path)
{
	struct stat st;

	return lstat(path, &st) && errno == ENOENT;
}

/* As root, give the files away: the chown must really happen. */
static uid_t owner_uid(void)
{
	return geteuid() == 0 ? NOBODY : geteuid();
}

static gid_t owner_gid(void)
{
	return geteuid() == 0 ? NOBODY : getegid();
}

static void test_socket_mode(void **state)
{
	(void)state;
	start_as(own_cg, owner_uid(), owner_gid(), false);
	check_mode(fx.path, S_IFSOCK, 0600, owner_uid(), owner_gid());
	assert_string_equal(fx.c.path, fx.path);
	ls_control_close(&fx.c);
	fx.open = false;
	assert_true(gone(fx.path));
}

static void test_socket_group_access(void **state)
{
	(void)state;
	start_as(own_cg, owner_uid(), owner_gid(), true);
	check_mode(fx.path, S_IFSOCK, 0660, owner_uid(), owner_gid());
}

/* path NULL: a private directory named after the run, made and removed. */
static void open_private(const char *run_id, bool group)
{
	char why[512] = "", want[PATH_MAX];
	int err = ls_control_open(&fx.c, NULL, run_id, own_cg, owner_uid(),
				  owner_gid(), group, why, sizeof(why));

	if (err) {
		print_error("ls_control_open(NULL, %s): %d (%s)\n", run_id, err,
			    why);
		fail();
	}
	fx.open = true;
	snprintf(fx.private_dir, sizeof(fx.private_dir), "%s", fx.c.dir);
	snprintf(want, sizeof(want), "/leakscope-%s", run_id);
	assert_true(strlen(fx.c.dir) > strlen(want));
	assert_string_equal(fx.c.dir + strlen(fx.c.dir) - strlen(want), want);
	snprintf(want, sizeof(want), "%s/control.sock", fx.c.dir);
	assert_string_equal(fx.c.path, want);
	strcpy(fx.path, fx.c.path); /* where clients connect */
}

static void test_private_dir(void **state)
{
	char id[64], dir[PATH_MAX], sock[PATH_MAX];
	int fd;

	(void)state;
	snprintf(id, sizeof(id), "unit-%d", (int)getpid());
	open_private(id, false);
	check_mode(fx.c.dir, S_IFDIR, 0700, owner_uid(), owner_gid());
	check_mode(fx.c.path, S_IFSOCK, 0600, owner_uid(), owner_gid());
	assert_int_equal(ls_control_attach(&fx.c, fx.epfd, echo, &fx.h), 0);
	fd = cli_new();
	SEND(fd, "PING\n");
	REPLY(fd, "OK verb=PING name=");
	strcpy(dir, fx.c.dir);
	strcpy(sock, fx.c.path);
	ls_control_close(&fx.c);
	fx.open = false;
	assert_true(gone(sock));
	assert_true(gone(dir));
	EOF_(fd);
}

static void test_private_dir_group(void **state)
{
	struct stat st;
	char id[64];

	(void)state;
	snprintf(id, sizeof(id), "unit-g-%d", (int)getpid());
	open_private(id, true);
	check_mode(fx.c.path, S_IFSOCK, 0660, owner_uid(), owner_gid());
	assert_int_equal(stat(fx.c.dir, &st), 0);
	/* The group may pass through to the socket; others may not. */
	assert_int_equal(st.st_mode & 0707, 0700);
	assert_true(st.st_mode & 0010);
	assert_int_equal(st.st_gid, owner_gid());
}

/* Nothing is left behind when the socket path cannot fit. */
static void test_private_dir_long_run_id(void **state)
{
	const char *tmp = getenv("TMPDIR");
	const char *bases[] = { "/run/leakscope", tmp ? tmp : "/tmp", "/tmp" };
	char id[128], why[512] = "", dir[PATH_MAX];
	int err;

	(void)state;
	snprintf(id, sizeof(id), "unit-long-%d-", (int)getpid());
	memset(id + strlen(id), 'r', 100 - strlen(id));
	id[100] = 0;
	err = ls_control_open(&fx.c, NULL, id, own_cg, owner_uid(), owner_gid(),
			      false, why, sizeof(why));
	if (!err) {
		fx.open = true;
		print_error("a %zu-byte socket path was accepted\n",
			    strlen(fx.c.path));
		fail();
	}
	assert_int_equal(err, -ENAMETOOLONG);
	assert_true(why[0] != 0);
	for (size_t i = 0; i < ARRAY_SIZE(bases); i++) {
		snprintf(dir, sizeof(dir), "%s/leakscope-%s", bases[i], id);
		if (!gone(dir)) {
			strcpy(fx.private_dir, dir); /* teardown removes it */
			print_error("left behind: %s (%s)\n", dir, why);
			fail();
		}
	}
}

/* Modes are exact whatever the umask: none (too wide), 027, 0777. */
static void test_modes_ignore_umask(void **state)
{
	static const mode_t masks[] = { 0, 027, 077, 0777 };
	char id[64];

	(void)state;
	fx.umask_was = umask(0);
	fx.umask_set = true;
	for (size_t i = 0; i < ARRAY_SIZE(masks); i++) {
		bool group = !(i % 2);

		umask(masks[i]);
		snprintf(id, sizeof(id), "unit-u%zu-%d", i, (int)getpid());
		open_private(id, group);
		check_mode(fx.c.dir, S_IFDIR, group ? 0710 : 0700, owner_uid(),
			   owner_gid());
		check_mode(fx.c.path, S_IFSOCK, group ? 0660 : 0600,
			   owner_uid(), owner_gid());
		if (!strncmp(fx.c.dir, "/run/leakscope/", 15))
			check_mode("/run/leakscope", S_IFDIR, 0755, 0, 0);
		ls_control_close(&fx.c);
		fx.open = false;

		snprintf(fx.path, sizeof(fx.path), "%s/control.sock", fx.dir);
		start_as(own_cg, owner_uid(), owner_gid(), !group);
		check_mode(fx.path, S_IFSOCK, !group ? 0660 : 0600, owner_uid(),
			   owner_gid());
		ls_control_close(&fx.c);
		fx.open = false;
	}
}

static bool drop_to_nobody(void);

/* Opens a private socket for @uid and says where it went; 0 or a code. */
static int open_in_child(const char *run_id, uid_t uid, bool group,
			 const char *want_base)
{
	struct ls_control c;
	char why[512] = "";
	int err = ls_control_open(&c, NULL, run_id, own_cg, uid, uid, group,
				  why, sizeof(why));
	bool under = !strncmp(c.dir, want_base, strlen(want_base));

	if (err || !under)
		fprintf(stderr, "open %s: %d (%s) in %s, want %s\n", run_id,
			err, why, c.dir, want_base);
	if (!err)
		ls_control_close(&c);
	return err ? 20 : under ? 0 : 21;
}

static int base_mode(void)
{
	struct stat st;

	if (lstat("/run/leakscope", &st))
		return -1;
	if ((st.st_mode & 07777) != 0755)
		fprintf(stderr, "/run/leakscope: mode %o\n",
			st.st_mode & 07777);
	return st.st_mode & 07777;
}

/*
 * With its own mount namespace and an empty /run, under umask 027: a
 * fresh /run/leakscope is 0755, one left 0700 is put right, and a caller
 * that is not root falls back from it. Exit 0, 77 (cannot), or a code.
 */
static int run_base_child(void)
{
	char id[64];

	if (unshare(CLONE_NEWNS) ||
	    mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) ||
	    mount("leakscope-unit", "/run", "tmpfs", 0, "mode=0755"))
		return 77;
	umask(027);
	snprintf(id, sizeof(id), "unit-b-%d", (int)getpid());
	if (open_in_child(id, 0, true, "/run/leakscope/"))
		return 10;
	if (base_mode() != 0755)
		return 11;
	if (chmod("/run/leakscope", 0700) ||
	    open_in_child(id, 0, false, "/run/leakscope/"))
		return 12;
	if (base_mode() != 0755)
		return 13;
	if (!drop_to_nobody())
		return 77;
	return open_in_child(id, NOBODY, true, "/") ? 14 : 0;
}

static void test_run_base_mode(void **state)
{
	long end = now_ms() + DEADLINE_MS;
	int status = 0;
	pid_t pid, w;

	(void)state;
	if (geteuid() != 0) {
		print_message("skipped: needs root (a private /run)\n");
		skip();
	}
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(run_base_child());
	while ((w = waitpid(pid, &status, WNOHANG)) == 0 && now_ms() < end)
		usleep(10000);
	if (w == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 77) {
		print_message("skipped: no private mount namespace here\n");
		skip();
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		print_error("the child: status 0x%x\n", status);
		fail();
	}
}

static void test_path_too_long(void **state)
{
	char path[PATH_MAX], why[512] = "";
	size_t dl = strlen(fx.dir);
	int fd, err;

	(void)state;
	assert_true(dl + 2 < 107);
	/* 107 bytes: the most sun_path takes. */
	snprintf(path, sizeof(path), "%s/", fx.dir);
	memset(path + dl + 1, 's', 107 - dl - 1);
	path[107] = 0;
	strcpy(fx.path, path);
	start();
	fd = cli_new();
	SEND(fd, "PING\n");
	REPLY(fd, "OK verb=PING name=");
	ls_control_close(&fx.c);
	fx.open = false;
	assert_true(gone(path));

	/* 108: refused, with a message, and nothing made. */
	path[107] = 's';
	path[108] = 0;
	err = ls_control_open(&fx.c, path, NULL, own_cg, geteuid(), getegid(),
			      false, why, sizeof(why));
	assert_int_equal(err, -ENAMETOOLONG);
	assert_contains(why, fx.dir);
	assert_contains(why, "107");
	assert_true(gone(path));
	ls_control_close(&fx.c); /* harmless after a failed open */
}

/* Opening at a taken path fails, and must not delete what is there. */
static void test_open_keeps_existing_file(void **state)
{
	char why[512] = "", buf[16] = "";
	int fd, err;

	(void)state;
	fd = open(fx.path, O_WRONLY | O_CREAT | O_EXCL, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "keep", 4), 4);
	close(fd);
	err = ls_control_open(&fx.c, fx.path, NULL, own_cg, geteuid(),
			      getegid(), false, why, sizeof(why));
	assert_int_equal(err, -EADDRINUSE);
	assert_contains(why, fx.path);
	fd = open(fx.path, O_RDONLY);
	if (fd < 0) {
		print_error("%s was removed by the failed open\n", fx.path);
		fail();
	}
	assert_int_equal(read(fd, buf, sizeof(buf)), 4);
	close(fd);
	assert_string_equal(buf, "keep");
}

/* A second agent at the same path must leave the first one reachable. */
static void test_open_keeps_live_socket(void **state)
{
	struct ls_control other;
	char why[512] = "";
	int fd, err;

	(void)state;
	start();
	err = ls_control_open(&other, fx.path, NULL, own_cg, geteuid(),
			      getegid(), false, why, sizeof(why));
	if (!err)
		ls_control_close(&other);
	assert_int_equal(err, -EADDRINUSE);
	fd = cli_connect(fx.path);
	if (fd < 0) {
		print_error("the first socket is unreachable: %s\n",
			    strerror(-fd));
		fail();
	}
	close(fd);
}

/* A dead agent's socket (nobody listens: refused) is replaced. */
static void test_open_replaces_stale_socket(void **state)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	(void)state;
	assert_true(fd >= 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", fx.path);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 1), 0);
	close(fd); /* its file stays */
	assert_false(gone(fx.path));
	assert_int_equal(cli_connect(fx.path), -ECONNREFUSED);
	start();
	fd = cli_new();
	SEND(fd, "PING\n");
	REPLY(fd, "OK verb=PING name=");
}

/* What is in the way, and that it was left alone, is said. */
static void test_open_taken_reasons(void **state)
{
	struct ls_control other;
	char why[512] = "";
	int err;

	(void)state;
	assert_int_equal(mkdir(fx.path, 0700), 0);
	err = ls_control_open(&other, fx.path, NULL, own_cg, geteuid(),
			      getegid(), false, why, sizeof(why));
	assert_int_equal(err, -EADDRINUSE);
	assert_contains(why, "not a socket");
	assert_int_equal(rmdir(fx.path), 0);

	start();
	err = ls_control_open(&other, fx.path, NULL, own_cg, geteuid(),
			      getegid(), false, why, sizeof(why));
	assert_int_equal(err, -EADDRINUSE);
	assert_contains(why, fx.path);
	assert_contains(why, "in use");
	/* Closing the first agent removes its socket, as usual. */
	ls_control_close(&fx.c);
	fx.open = false;
	assert_true(gone(fx.path));
}

/* ---- requests and replies ---- */

static void test_one_reply_per_request(void **state)
{
	int fd;

	(void)state;
	start();
	fd = cli_new();
	SEND(fd, "HELLO unit 1\n");
	REPLY(fd, "OK verb=HELLO name=unit 1");
	QUIET(fd);
	SEND(fd, "BEGIN t::a b[é]\n");
	REPLY(fd, "OK verb=BEGIN name=t::a b[é]");
	QUIET(fd);
	SEND(fd, "END t::a b[é] failed\n");
	REPLY(fd, "OK verb=END name=t::a b[é] outcome=failed");
	QUIET(fd);
	SEND(fd, "FOR 12\n");
	REPLY(fd, "OK verb=FOR pid=12");
	SEND(fd, "ALLOW socket addr=*:6379\n");
	REPLY(fd, "OK verb=ALLOW name=socket addr=*:6379");
	SEND(fd, "STATUS\n");
	REPLY(fd, "OK verb=STATUS name=");
	QUIET(fd);
	assert_int_equal(fx.h.calls, 6);
	assert_int_equal(fx.c.served, 6);
}

/* Bad requests are answered by the server, not the handler. */
static void test_parse_errors(void **state)
{
	static const struct {
		const char *req;
		size_t len;
		const char *reply;
	} c[] = {
		{ "\n", 1, "ERR empty request" },
		{ "\r\n", 2, "ERR empty request" },
		{ "FOO\n", 4, "ERR unknown request" },
		{ "BEGIN \xff\n", 8, "ERR bad name" },
		{ "END\n", 4, "ERR bad name" },
		{ "FOR x\n", 6, "ERR bad pid" },
		{ "ALLOW\n", 6, "ERR bad rule" },
		{ "BEGIN a\0b\n", 10, "ERR NUL byte in request" },
	};
	int fd;

	(void)state;
	start();
	fd = cli_new();
	for (size_t i = 0; i < ARRAY_SIZE(c); i++) {
		cli_send(fd, c[i].req, c[i].len);
		REPLY_PREFIX(fd, c[i].reply);
		SEND(fd, "PING\n");
		REPLY(fd, "OK verb=PING name=");
	}
	QUIET(fd);
	assert_int_equal(fx.h.calls, ARRAY_SIZE(c));
}

static void test_handler_err(void **state)
{
	int fd;

	(void)state;
	start();
	fd = cli_new();
	SEND(fd, "BEGIN ask-err\n");
	REPLY(fd, "ERR nested: asked by the test");
	SEND(fd, "PING\n");
	REPLY(fd, "OK verb=PING name=");
	QUIET(fd);
}

static void test_handler_null(void **state)
{
	int fd;

	(void)state;
	start();
	fd = cli_new();
	SEND(fd, "BEGIN ask-null\n");
	REPLY(fd, "ERR out of memory");
	SEND(fd, "PING\n");
	REPLY(fd, "OK verb=PING name=");
	QUIET(fd);
}

static void test_several_in_one_write(void **state)
{
	int fd;

	(void)state;
	start();
	fd = cli_new();
	SEND(fd, "PING\nBEGIN x y\nEND x y passed\r\nSTATUS\nFOO\nFOR 0\n");
	REPLY(fd, "OK verb=PING name=");
	REPLY(fd, "OK verb=BEGIN name=x y");
	REPLY(fd, "OK verb=END name=x y outcome=passed");
	REPLY(fd, "OK verb=STATUS name=");
	REPLY_PREFIX(fd, "ERR unknown request");
	REPLY(fd, "OK verb=FOR pid=0");
	QUIET(fd);
}

static void test_byte_by_byte(void **state)
{
	static const char req[] = "BEGIN drip, drip: 日本\r\n";
	char ch;
	int fd;

	(void)state;
	start();
	fd = cli_new();
	for (size_t i = 0; i + 1 < sizeof(req) - 1; i++) {
		cli_send(fd, req + i, 1);
		serve(10);
		assert_true(recv(fd, &ch, 1, MSG_DONTWAIT) < 0);
	}
	assert_int_equal(fx.h.calls, 0);
	SEND(fd, "\n");
	REPLY(fd, "OK verb=BEGIN name=drip, drip: 日本");
	QUIET(fd);
	assert_int_equal(fx.h.calls, 1);
}

/* 4095 bytes and the newline: the longest request there is. */
static void test_line_4095(void **state)
{
	static char req[4096 + 1], want[4200];
	int fd;

	(void)state;
	memcpy(req, "ALLOW ", 6);
	memset(req + 6, 'a', 4089);
	req[4095] = '\n';
	snprintf(want, sizeof(want), "OK verb=ALLOW name=%.4089s", req + 6);
	start();
	fd = cli_new();
	cli_send(fd, req, 4096);
	REPLY(fd, want);
	/* The same in two writes, the newline last. */
	cli_send(fd, req, 4095);
	QUIET(fd);
	cli_send(fd, "\n", 1);
	REPLY(fd, want);
	QUIET(fd);
}

static void send_run(int fd, char ch, size_t n)
{
	char *buf = malloc(n);

	assert_non_null(buf);
	memset(buf, ch, n);
	cli_send(fd, buf, n);
	free(buf);
}

/* 4096 bytes and the newline: one ERR, then the next request works. */
static void test_line_4096(void **state)
{
	int fd;

	(void)state;
	start();
	fd = cli_new();
	send_run(fd, 'a', 4096);
	SEND(fd, "\nPING\n");
	REPLY_PREFIX(fd, "ERR line too long");
	REPLY(fd, "OK verb=PING name=");
	QUIET(fd);
	assert_int_equal(fx.h.calls, 1);
}

/* However long, one ERR; what follows up to the newline is dropped. */
static void test_line_too_long_tail_dropped(void **state)
{
	int fd;

	(void)state;
	start();
	fd = cli_new();
	SEND(fd, "BEGIN ");
	send_run(fd, 'n', 20000);
	SEND(fd, " PING\nBEGIN tail\n");
	send_run(fd, 'm', 5000);
	SEND(fd, "\nPING\n");
	REPLY_PREFIX(fd, "ERR line too long");
	REPLY(fd, "OK verb=BEGIN name=tail");
	REPLY_PREFIX(fd, "ERR line too long");
	REPLY(fd, "OK verb=PING name=");
	QUIET(fd);
	assert_int_equal(fx.h.calls, 2);
}

/* The ERR comes when the line is over the limit, not at its end. */
static void test_line_too_long_newline_later(void **state)
{
	int fd;

	(void)state;
	start();
	fd = cli_new();
	SEND(fd, "PING\n");
	send_run(fd, 'a', 5000);
	REPLY(fd, "OK verb=PING name=");
	REPLY_PREFIX(fd, "ERR line too long");
	send_run(fd, 'b', 9000);
	QUIET(fd);
	SEND(fd, "\nSTATUS\n");
	REPLY(fd, "OK verb=STATUS name=");
	QUIET(fd);
}

static void test_many_clients_interleaved(void **state)
{
	enum { N = 32 };
	int fd[N];
	char req[64], want[64];

	(void)state;
	start();
	for (int i = 0; i < N; i++)
		fd[i] = cli_new();
	/* First halves from everyone, then second halves backwards. */
	for (int i = 0; i < N; i++)
		SEND(fd[i], "BEGIN client ");
	serve(10);
	for (int i = N - 1; i >= 0; i--) {
		snprintf(req, sizeof(req), "%d\nPING\n", i);
		cli_send(fd[i], req, strlen(req));
	}
	for (int i = 0; i < N; i++) {
		snprintf(want, sizeof(want), "OK verb=BEGIN name=client %d", i);
		REPLY(fd[i], want);
		REPLY(fd[i], "OK verb=PING name=");
	}
	for (int i = 0; i < N; i++)
		QUIET(fd[i]);
	assert_int_equal(fx.h.calls, 2 * N);
	assert_int_equal(fx.c.n_conns, N);
}

static void wait_conns(size_t n)
{
	long end = now_ms() + DEADLINE_MS;

	while (fx.c.n_conns != n && now_ms() < end)
		serve(10);
	assert_int_equal(fx.c.n_conns, n);
}

/* Half a line, then gone: dropped unanswered; the others go on. */
static void test_disconnect_mid_line(void **state)
{
	int a, b;

	(void)state;
	start();
	a = cli_new();
	b = cli_new();
	SEND(a, "BEGIN half a li");
	serve(10);
	cli_close(a);
	wait_conns(1);
	assert_int_equal(fx.h.calls, 0);
	SEND(b, "PING\n");
	REPLY(b, "OK verb=PING name=");
}

/* A reply to a client that is gone: no SIGPIPE, the link is dropped. */
static void test_disconnect_before_reply(void **state)
{
	int a, b;

	(void)state;
	start();
	a = cli_new();
	b = cli_new();
	SEND(a, "PING\nPING\nPING\n");
	cli_close(a);
	wait_conns(1);
	SEND(b, "PING\n");
	REPLY(b, "OK verb=PING name=");
}

static void test_close_hangs_up(void **state)
{
	int fd[3];

	(void)state;
	start();
	for (int i = 0; i < 3; i++)
		fd[i] = cli_new();
	SEND(fd[1], "BEGIN unfinished");
	serve(10);
	ls_control_close(&fx.c);
	fx.open = false;
	assert_int_equal(fx.c.n_conns, 0);
	assert_true(gone(fx.path));
	for (int i = 0; i < 3; i++)
		EOF_(fd[i]);
	assert_true(cli_connect(fx.path) < 0);
	ls_control_close(&fx.c); /* twice: nothing left to do */
}

static void test_ready_other_fds(void **state)
{
	int p[2];

	(void)state;
	start();
	assert_int_equal(pipe(p), 0);
	assert_false(ls_control_ready(&fx.c, -1));
	assert_false(ls_control_ready(&fx.c, p[0]));
	assert_false(ls_control_ready(&fx.c, fx.epfd));
	close(p[0]);
	close(p[1]);
}

/* ---- big replies ---- */

struct reader {
	int fd;
	size_t got;
	bool newline;
};

static void *read_reply(void *arg)
{
	struct reader *r = arg;
	char buf[65536];
	ssize_t n;

	while (!r->newline && (n = recv(r->fd, buf, sizeof(buf), 0)) > 0) {
		r->got += n;
		r->newline = buf[n - 1] == '\n';
	}
	return NULL;
}

/* A reply longer than any socket buffer reaches a client that reads. */
static void test_big_reply(void **state)
{
	struct reader r = { 0 };
	struct timeval tv = { .tv_sec = DEADLINE_MS / 1000 };
	pthread_t t;

	(void)state;
	start();
	r.fd = cli_new();
	assert_int_equal(
		setsockopt(r.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	assert_int_equal(pthread_create(&t, NULL, read_reply, &r), 0);
	SEND(r.fd, "BEGIN ask-big\n");
	serve(DEADLINE_MS);
	pthread_join(t, NULL);
	assert_int_equal(r.got, BIG_REPLY + 1);
	assert_true(r.newline);
	assert_int_equal(fx.c.n_conns, 1);
}

/*
 * A client that never reads while 1 MiB replies pile up must not hold the
 * agent: the reply's deadline (2 s) passes, the client is dropped and
 * ls_control_ready returns. Bounds are generous: this is behaviour, not a
 * benchmark.
 */
static void test_reader_that_never_reads(void **state)
{
	struct epoll_event ev;
	size_t got = 0;
	long t0, took;
	char buf[65536];
	ssize_t n;
	int fd, b;

	(void)state;
	start();
	fd = cli_new();
	b = cli_new();
	SEND(fd, "BEGIN ask-big\nBEGIN ask-big\nBEGIN ask-big\n");
	assert_int_equal(epoll_wait(fx.epfd, &ev, 1, DEADLINE_MS), 1);
	t0 = now_ms();
	assert_true(ls_control_ready(&fx.c, ev.data.fd));
	took = now_ms() - t0;
	if (took > 3500) {
		print_error("a client that does not read held the agent for "
			    "%ld ms (the reply deadline is 2 s)\n",
			    took);
		fail();
	}
	assert_int_equal(fx.c.n_conns, 1);
	/* It got part of the first reply, then EOF. */
	while ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
		got += n;
	assert_true(n == 0 || errno == ECONNRESET);
	assert_true(got > 0 && got < BIG_REPLY + 1);
	/* And the agent serves the others. */
	SEND(b, "PING\n");
	REPLY(b, "OK verb=PING name=");
}

struct slow_reader {
	int fd;
	size_t got;
	int stop; /* atomic: the agent has given up */
};

/* 4 KiB every 20 ms: some progress all the time, 3 MiB in ~15 s. */
static void *read_slowly(void *arg)
{
	struct slow_reader *r = arg;
	char buf[4096];

	while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
		ssize_t n = recv(r->fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (n > 0)
			r->got += n;
		else if (n == 0 || errno != EAGAIN)
			break;
		usleep(20000);
	}
	return NULL;
}

/*
 * A client that reads, but too slowly, must not hold the agent either:
 * each reply has one deadline (2 s), however much goes out meanwhile.
 * Bounds are generous: this is behaviour, not a benchmark.
 */
static void test_reader_too_slow(void **state)
{
	struct slow_reader r = { 0 };
	struct epoll_event ev;
	char buf[65536];
	long t0, took;
	pthread_t t;
	ssize_t n;
	int b;

	(void)state;
	start();
	r.fd = cli_new();
	b = cli_new();
	assert_int_equal(pthread_create(&t, NULL, read_slowly, &r), 0);
	SEND(r.fd, "BEGIN ask-big\nBEGIN ask-big\nBEGIN ask-big\n");
	assert_int_equal(epoll_wait(fx.epfd, &ev, 1, DEADLINE_MS), 1);
	t0 = now_ms();
	assert_true(ls_control_ready(&fx.c, ev.data.fd));
	took = now_ms() - t0;
	__atomic_store_n(&r.stop, 1, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	if (took > 6000 || took < 1000) {
		print_error("a slow reader held the agent for %ld ms (the "
			    "reply deadline is 2 s)\n",
			    took);
		fail();
	}
	assert_int_equal(fx.c.n_conns, 1);
	assert_true(r.got > 0);
	while ((n = recv(r.fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
		r.got += n;
	assert_true(n == 0 || errno == ECONNRESET);
	assert_true(r.got < BIG_REPLY + 1);
	SEND(b, "PING\n");
	REPLY(b, "OK verb=PING name=");
}

/* ---- who may connect ---- */

/* This process's cgroup v2 directory, from mountinfo and /proc/self. */
static bool own_cgroup(char *out, size_t len)
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

static int group_setup(void **state)
{
	(void)state;
	if (!own_cgroup(own_cg, sizeof(own_cg)))
		own_cg[0] = 0;
	/* Whatever the caller ignores: a SIGPIPE must end the run. */
	signal(SIGPIPE, SIG_DFL);
	had_run_dir = access("/run/leakscope", F_OK) == 0;
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	if (!had_run_dir)
		rmdir("/run/leakscope"); /* only if empty */
	return 0;
}

/* The test process itself: its credentials, as the handler sees them. */
static void test_peer_credentials(void **state)
{
	int fd;

	(void)state;
	start();
	fd = cli_new();
	SEND(fd, "PING\n");
	REPLY(fd, "OK verb=PING name=");
	assert_int_equal(fx.h.peer, getpid());
	assert_int_equal(fx.h.acting, getpid());
	assert_int_equal(fx.h.uid, geteuid());
}

/* Root passes even from outside the cgroup. */
static void test_peer_root_outside_cgroup(void **state)
{
	int fd;

	(void)state;
	if (geteuid() != 0) {
		print_message("skipped: needs root (the peer must be root)\n");
		skip();
	}
	start_as("/nonexistent/leakscope-cgroup", 0, 0, false);
	fd = cli_new();
	SEND(fd, "PING\n");
	REPLY(fd, "OK verb=PING name=");
}

static bool drop_to_nobody(void)
{
	return !setgroups(0, NULL) && !setresgid(NOBODY, NOBODY, NOBODY) &&
	       !setresuid(NOBODY, NOBODY, NOBODY);
}

static void read_reply_line(int fd, char *out, size_t cap)
{
	size_t n = strlen(out);
	ssize_t r;
	char ch;

	while ((r = read(fd, &ch, 1)) == 1 && n + 2 < cap) {
		out[n++] = ch;
		if (ch == '\n')
			break;
	}
	if (r <= 0)
		n += snprintf(out + n, cap - n, "<EOF>");
	out[n] = 0;
}

/*
 * The child: not root (uid 65534 when the test runs as root), sends two
 * PINGs and writes what came back (or <EOF>) to @report.
 */
static void peer_child(int report, bool drop)
{
	struct timeval tv = { .tv_sec = 5 };
	char out[1024] = "";
	int fd;

	if (drop && !drop_to_nobody())
		_exit(77);
	fd = cli_connect(fx.path);
	if (fd < 0) {
		dprintf(report, "connect: %s", strerror(-fd));
		_exit(1);
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	send(fd, "PING\n", 5, MSG_NOSIGNAL);
	read_reply_line(fd, out, sizeof(out));
	if (!strstr(out, "<EOF>")) {
		send(fd, "PING\n", 5, MSG_NOSIGNAL);
		read_reply_line(fd, out, sizeof(out));
	}
	if (write(report, out, strlen(out)) < 0)
		_exit(1);
	_exit(0);
}

/* Run peer_child against a server checking @cgroup; its report, its pid. */
static pid_t run_peer(const char *cgroup, char *out, size_t cap)
{
	bool root = geteuid() == 0;
	long end = now_ms() + DEADLINE_MS;
	struct pollfd pfd = { .events = POLLIN };
	size_t n = 0;
	int p[2], status;
	pid_t pid;

	/* The child must reach the socket: its directory and its owner. */
	start_as(cgroup, root ? NOBODY : geteuid(), root ? NOBODY : getegid(),
		 false);
	assert_int_equal(chmod(fx.dir, 0711), 0);
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		peer_child(p[1], root);
	}
	close(p[1]);
	pfd.fd = p[0];
	for (;;) {
		ssize_t r = 0;

		serve(10);
		if (poll(&pfd, 1, 0) == 1) {
			r = read(p[0], out + n, cap - 1 - n);
			if (r <= 0)
				break;
			n += r;
		}
		if (now_ms() > end) {
			kill(pid, SIGKILL);
			break;
		}
	}
	out[n] = 0;
	close(p[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 77) {
		print_message("skipped: cannot drop to uid %d here\n", NOBODY);
		skip();
	}
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	return pid;
}

static void test_peer_nonroot_in_cgroup(void **state)
{
	char out[1024];
	pid_t pid;

	(void)state;
	if (!own_cg[0]) {
		print_message("skipped: no cgroup v2 mount, so no cgroup to "
			      "be in\n");
		skip();
	}
	pid = run_peer(own_cg, out, sizeof(out));
	assert_string_equal(out, "OK verb=PING name=\nOK verb=PING name=\n");
	assert_int_equal(fx.h.calls, 2);
	assert_true(fx.h.uid != 0);
	assert_int_equal(fx.h.peer, pid);
}

static void test_peer_nonroot_outside_cgroup(void **state)
{
	char out[1024];

	(void)state;
	run_peer("/nonexistent/leakscope-cgroup", out, sizeof(out));
	if (strncmp(out, "ERR forbidden", 13) || !strstr(out, "\n<EOF>")) {
		print_error("the peer got \"%s\"\n", out);
		fail();
	}
	assert_int_equal(fx.h.calls, 0);
	assert_int_equal(fx.c.n_conns, 0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_socket_mode),
		T(test_socket_group_access),
		T(test_private_dir),
		T(test_private_dir_group),
		T(test_private_dir_long_run_id),
		T(test_modes_ignore_umask),
		T(test_run_base_mode),
		T(test_path_too_long),
		T(test_open_keeps_existing_file),
		T(test_open_keeps_live_socket),
		T(test_open_replaces_stale_socket),
		T(test_open_taken_reasons),
		T(test_one_reply_per_request),
		T(test_parse_errors),
		T(test_handler_err),
		T(test_handler_null),
		T(test_several_in_one_write),
		T(test_byte_by_byte),
		T(test_line_4095),
		T(test_line_4096),
		T(test_line_too_long_tail_dropped),
		T(test_line_too_long_newline_later),
		T(test_many_clients_interleaved),
		T(test_disconnect_mid_line),
		T(test_disconnect_before_reply),
		T(test_close_hangs_up),
		T(test_ready_other_fds),
		T(test_big_reply),
		T(test_reader_that_never_reads),
		T(test_reader_too_slow),
		T(test_peer_credentials),
		T(test_peer_root_outside_cgroup),
		T(test_peer_nonroot_in_cgroup),
		T(test_peer_nonroot_outside_cgroup),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
