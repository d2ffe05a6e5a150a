// SPDX-License-Identifier: GPL-2.0
/*
 * cmd_mark.c - `leakscope mark`: test boundaries from a shell harness.
 *
 * Owns acting for the calling shell (FOR <parent>, so what the shell runs
 * belongs to the test, and this short-lived process is never a finding)
 * and turning the verdict into a line on stderr and an exit code.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "commands.h"
#include "leakscope/client.h"
#include "log.h"

/* The verdict's leak count, from the END reply's JSON. */
static int say_verdict(const struct ls_opts *o, struct ls_client *c, int leaks)
{
	if (leaks <= 0)
		return LS_EXIT_OK;
	fprintf(stderr, "leakscope: test %s left %d thing%s behind: %s\n",
		o->mark_arg, leaks, leaks == 1 ? "" : "s",
		ls_client_last_reply(c));
	return o->fail_on_leak ? o->leak_exit_code : LS_EXIT_OK;
}

static int exit_for(int err)
{
	/* Refused requests are the caller's input; a lost link is ours. */
	switch (err) {
	case -EINVAL:
	case -EBUSY:
	case -ENOENT:
	case -ESRCH:
	case -EPERM:
	case -E2BIG:
		return LS_EXIT_USAGE;
	}
	return LS_EXIT_INTERNAL;
}

int ls_cmd_mark(const struct ls_opts *o)
{
	struct ls_client *c;
	int err, leaks = 0, rc = LS_EXIT_OK;

	err = ls_client_connect(NULL, &c);
	if (err == -ENOENT && !getenv(LS_CLIENT_SOCK_ENV))
		return LS_EXIT_OK; /* not under leakscope: nothing to mark */
	if (err) {
		ls_err("cannot reach leakscope at $%s: %s", LS_CLIENT_SOCK_ENV,
		       strerror(-err));
		return LS_EXIT_INTERNAL;
	}
	err = ls_client_act_for(c, getppid());
	if (!err && o->mark_op == LS_MARK_BEGIN)
		err = ls_client_begin(c, o->mark_arg);
	else if (!err && o->mark_op == LS_MARK_END)
		err = ls_client_end(c, o->mark_arg, o->outcome, &leaks);
	else if (!err)
		err = ls_client_allow(c, o->mark_arg);
	if (err) {
		ls_err("mark %s: %s", o->mark_arg, ls_client_last_reply(c));
		rc = exit_for(err);
	} else if (o->mark_op == LS_MARK_END) {
		rc = say_verdict(o, c, leaks);
	}
	ls_client_close(c);
	return rc;
}
