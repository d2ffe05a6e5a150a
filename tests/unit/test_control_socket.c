// SPDX-License-Identifier: GPL-2.0
/*
 * test_control_socket.c - unit tests for user/control.c: the control
 * socket's file and directory.
 *
 * Socket and directory modes and owners whatever the umask (and, as root,
 * /run/leakscope's in a private mount namespace), the private directory
 * made for a run (path NULL) and removed by ls_control_close, long paths
 * and run ids, and what is already at the path (a file, a live socket:
 * kept; a dead agent's socket: replaced).
 *
 * Must not: leave a socket, directory or child behind (control_fx.h).
 */
#include "control_fx.h"

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
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
