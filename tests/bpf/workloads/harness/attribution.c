// SPDX-License-Identifier: GPL-2.0
/*
 * attribution.c - the scenarios of tests/bpf/workloads/harness.c about
 * which fds the verdict counts as the test's: dups of a file opened before
 * the test (dup-stdout) or by it (dup-own), a leak the test allows itself
 * with ALLOW (allow), and two fds for the suppression tests (two-fds).
 * Helpers: harness.h.
 */
#include <fcntl.h>
#include <unistd.h>
#include <leakscope/client.h>
#include "../common/wl.h"
#include "harness.h"

/* ---- dup semantics ---- */

/* Save stdout, redirect it, restore it: fds of a file opened before the
 * test move around, nothing is left. */
void t_dup_stdout(void)
{
	int saved = ok(dup(STDOUT_FILENO), "dup stdout");
	int null = ok(open("/dev/null", O_WRONLY), "open /dev/null");

	ok(dup2(null, STDOUT_FILENO), "dup2 /dev/null");
	close_ok(null);
	write_all(STDOUT_FILENO, "into /dev/null\n", 15);
	ok(dup2(saved, STDOUT_FILENO), "dup2 restore");
	close_ok(saved);
}

void t_dup_own(void)
{
	int fd = ok(open("/etc/hostname", O_RDONLY | O_CLOEXEC), "open");
	int d = ok(dup(fd), "dup");

	ok(fcntl(d, F_SETFD, FD_CLOEXEC), "FD_CLOEXEC");
	close_ok(fd);
	say("DUP_OWN_FD=%d", d);
}

/* ---- allow, suppressions ---- */

void t_allow(void)
{
	int rc = ls_client_allow(ls, "fd path=/etc/hostname"), fd;

	say("ALLOW_RC=%d %s", rc, ls_client_last_reply(ls));
	fd = ok(open("/etc/hostname", O_RDONLY | O_CLOEXEC), "open");
	say("ALLOW_FD=%d", fd);
}

void t_two_fds(void)
{
	int a = ok(open("/etc/hostname", O_RDONLY | O_CLOEXEC), "open");
	int b = ok(open("/etc/passwd", O_RDONLY | O_CLOEXEC), "open");

	say("TWO_FDS_HOSTNAME=%d", a);
	say("TWO_FDS_PASSWD=%d", b);
}
