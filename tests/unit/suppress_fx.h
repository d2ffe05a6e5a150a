/* SPDX-License-Identifier: GPL-2.0 */
/*
 * suppress_fx.h - helpers of the user/suppress.c tests (test_suppress_*.c):
 * a private temporary directory for the files they load (the group setup
 * makes it, the group teardown removes it), adding one rule and checking
 * that it is accepted, or rejected with an exact message, and whether a
 * line matches a finding; findings of each kind built by hand.
 *
 * Must not: depend on the system beyond that directory. Included by one
 * test file each.
 */
#ifndef LS_TESTS_SUPPRESS_FX_H
#define LS_TESTS_SUPPRESS_FX_H

#include <errno.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"
#include "suppress.h"

#define ERRLEN 512

#define KINDS_HELP "fd, socket, process, thread, mapping, tempfile, cgroup or *"
#define FIELDS_HELP \
	"path, comm, test, addr, argv, type, class, database or creator"

/* ---- helpers ---- */

static char tmpdir[64];

static inline int setup_dir(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/ls-supp-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static inline int teardown_dir(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static inline void check_add(struct ls_suppressions *s, const char *line,
			     int want, const char *file, int lno)
{
	char err[ERRLEN];
	int rc;

	memset(err, 'J', sizeof(err));
	err[sizeof(err) - 1] = 0;
	rc = ls_supp_add_line(s, line, "T", err, sizeof(err));
	if (rc != want) {
		print_error("%s:%d: \"%s\": rc %d, want %d (err \"%s\")\n",
			    file, lno, line, rc, want, err);
		fail();
	}
	assert_string_equal(err, "");
}

/* @line parses to a rule (ADD_OK) or to nothing (ADD_NOTHING). */
#define ADD_OK(s, line)	     check_add((s), (line), 0, __FILE__, __LINE__)
#define ADD_NOTHING(s, line) check_add((s), (line), 1, __FILE__, __LINE__)

/* The only rule of @line. */
static inline struct ls_suppressions one_rule(const char *line)
{
	struct ls_suppressions s;

	ls_supp_init(&s);
	ADD_OK(&s, line);
	assert_int_equal(s.n, 1);
	return s;
}

static inline bool line_matches(const char *line, const struct ls_finding *f)
{
	struct ls_suppressions s = one_rule(line);
	bool m = ls_supp_rule_matches(&s.rules[0], f);

	ls_supp_free(&s);
	return m;
}

#define MATCH(line, f)	  assert_true(line_matches((line), (f)))
#define NO_MATCH(line, f) assert_false(line_matches((line), (f)))

static inline void free_argv(char **argv)
{
	for (char **a = argv; a && *a; a++)
		free(*a);
	free(argv);
}

/* A finding with nothing set but its kind and class. */
static inline struct ls_finding bare(enum ls_kind kind, enum ls_class cls)
{
	struct ls_finding f;

	memset(&f, 0, sizeof(f));
	f.kind = kind;
	f.cls = cls;
	f.local_port = -1;
	f.peer_port = -1;
	f.created_at = -1;
	return f;
}

static inline struct ls_finding fd_finding(const char *path, const char *type)
{
	struct ls_finding f = bare(LS_KIND_FD, LS_CLASS_LEAK);

	f.pid = 42;
	f.fd = 7;
	ls_comm_copy(f.comm, "python3");
	f.path = (char *)path;
	f.type = type;
	f.test = (char *)"tests/test_db.py::test_query[a b]";
	return f;
}

static inline struct ls_finding inet_socket(const char *family,
					    const char *local, int lport,
					    const char *peer, int pport)
{
	struct ls_finding f = bare(LS_KIND_SOCKET, LS_CLASS_LEAK);

	ls_comm_copy(f.comm, "worker");
	f.family = family;
	f.type = "socket";
	f.path = (char *)"socket:[456]";
	snprintf(f.local_addr, sizeof(f.local_addr), "%s", local);
	f.local_port = lport;
	if (peer) {
		snprintf(f.peer_addr, sizeof(f.peer_addr), "%s", peer);
		f.peer_port = pport;
	}
	return f;
}

#endif
