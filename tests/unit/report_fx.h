/* SPDX-License-Identifier: GPL-2.0 */
/*
 * report_fx.h - the fixture of the user/report.c tests (test_report_*.c):
 * a report initialised as a run's would be (struct fx), freed by the
 * teardown with the JSON document and text it may have written, and
 * helpers that add findings of each kind to it by hand.
 *
 * Must not: leave files behind or leak: every report is freed by the
 * teardown, so a failing assertion costs no memory either. Included by one
 * test file each.
 */
#ifndef LS_TESTS_REPORT_FX_H
#define LS_TESTS_REPORT_FX_H

#include <errno.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "unit.h"
#include "cli.h"
#include "report.h"

struct fx {
	struct ls_report r;
	char json[64]; /* the written document, "" if none */
	char *text;    /* the text report, once written */
};

static inline int setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	if (!fx)
		return -1;
	ls_report_init(&fx->r, "run");
	snprintf(fx->r.run_id, sizeof(fx->r.run_id), "run-1");
	snprintf(fx->r.cgroup, sizeof(fx->r.cgroup), "/sys/fs/cgroup/ls/run-1");
	fx->r.level = LS_LEVEL_FULL;
	fx->r.duration_s = 1.5;
	fx->r.started = 365 * 86400; /* 1971-01-01 */
	*state = fx;
	return 0;
}

static inline int teardown(void **state)
{
	struct fx *fx = *state;

	ls_report_free(&fx->r);
	if (fx->json[0])
		unlink(fx->json);
	free(fx->text);
	free(fx);
	return 0;
}

/* ---- building findings ---- */

static inline struct ls_finding *add(struct fx *fx, enum ls_kind kind,
				     enum ls_class cls, int pid,
				     const char *comm)
{
	struct ls_finding *f = ls_report_add(&fx->r, kind, cls);

	assert_non_null(f);
	f->pid = pid;
	snprintf(f->comm, sizeof(f->comm), "%s", comm);
	return f;
}

static inline void creator(struct ls_finding *f, int pid, int tid,
			   const char *comm, double at)
{
	f->has_creator = true;
	f->creator_pid = pid;
	f->creator_tid = tid;
	snprintf(f->creator_comm, sizeof(f->creator_comm), "%s", comm);
	f->created_at = at;
}

static inline struct ls_finding *add_process(struct fx *fx, enum ls_class cls,
					     int pid, const char *comm)
{
	struct ls_finding *f = add(fx, LS_KIND_PROCESS, cls, pid, comm);

	f->tid = pid;
	f->ppid = 1;
	f->threads = 1;
	return f;
}

static inline struct ls_finding *add_fd(struct fx *fx, int pid,
					const char *comm, int fd,
					const char *type, const char *path)
{
	struct ls_finding *f = add(fx, LS_KIND_FD, LS_CLASS_ORPHAN, pid, comm);

	f->tid = pid;
	f->fd = fd;
	f->type = type;
	f->path = strdup(path);
	assert_non_null(f->path);
	return f;
}

#define T(t) cmocka_unit_test_setup_teardown(t, setup, teardown)

#endif
