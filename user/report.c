// SPDX-License-Identifier: GPL-2.0
/*
 * report.c - see report.h: the model's memory and the names of its enums.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "report.h"

static const char *const kind_names[LS_KIND_MAX] = {
	[LS_KIND_FD] = "fd",	       [LS_KIND_SOCKET] = "socket",
	[LS_KIND_PROCESS] = "process", [LS_KIND_THREAD] = "thread",
	[LS_KIND_MAPPING] = "mapping", [LS_KIND_TEMPFILE] = "tempfile",
	[LS_KIND_CGROUP] = "cgroup",
};

static const char *const class_names[LS_CLASS_MAX] = {
	[LS_CLASS_LEAK] = "leak",
	[LS_CLASS_LATE] = "late",
	[LS_CLASS_ORPHAN] = "orphan",
	[LS_CLASS_ZOMBIE] = "zombie",
};

static const char *const loss_names[LS_LOSS_MAX] = {
	[LS_LOSS_RINGBUF] = "ringbuf_full",
	[LS_LOSS_OBJ_TABLE] = "object_table_full",
	[LS_LOSS_PROC_TABLE] = "process_table_full",
	[LS_LOSS_CGROUP_TABLE] = "cgroup_table_full",
	[LS_LOSS_PATH_TRUNC] = "path_truncated",
	[LS_LOSS_DEPARTED_TABLE] = "origin_table_full",
	[LS_LOSS_THREAD_TABLE] = "thread_table_full",
	[LS_LOSS_STACK_TABLE] = "stack_table_full",
};

/* The option that makes room where a loss has one (cli.c parses them). */
static const char *const loss_remedies[LS_LOSS_MAX] = {
	[LS_LOSS_RINGBUF] = "--ring-size",
	[LS_LOSS_OBJ_TABLE] = "--max-objects",
	[LS_LOSS_PROC_TABLE] = "--max-processes",
	[LS_LOSS_THREAD_TABLE] = "--max-threads",
	[LS_LOSS_STACK_TABLE] = "--max-stacks",
};

static const char *const event_names[LS_EV_MAX] = {
	[LS_EV_PROC_FORK] = "fork",
	[LS_EV_PROC_EXEC] = "exec",
	[LS_EV_PROC_EXIT] = "exit",
	[LS_EV_PROC_REAP] = "reap",
	[LS_EV_THREAD_NEW] = "thread_new",
	[LS_EV_THREAD_EXIT] = "thread_exit",
	[LS_EV_FD_OPEN] = "fd_open",
	[LS_EV_FD_CLOSE] = "fd_close",
	[LS_EV_MMAP] = "mmap",
	[LS_EV_MUNMAP] = "munmap",
	[LS_EV_TEMP_CREATE] = "temp_create",
	[LS_EV_TEMP_UNLINK] = "temp_unlink",
	[LS_EV_TEMP_RENAME] = "temp_rename",
	[LS_EV_CGROUP_MKDIR] = "cgroup_mkdir",
	[LS_EV_CGROUP_RMDIR] = "cgroup_rmdir",
	[LS_EV_SOCK_STATE] = "tcp_state",
	[LS_EV_LEAK_RELEASED] = "leak_released",
};

const char *ls_kind_name(enum ls_kind kind)
{
	return kind < LS_KIND_MAX ? kind_names[kind] : "?";
}

const char *ls_class_name(enum ls_class cls)
{
	return cls < LS_CLASS_MAX ? class_names[cls] : "?";
}

const char *ls_loss_name(enum ls_loss loss)
{
	return loss < LS_LOSS_MAX ? loss_names[loss] : "?";
}

const char *ls_loss_remedy(enum ls_loss loss)
{
	return loss < LS_LOSS_MAX ? loss_remedies[loss] : NULL;
}

const char *ls_event_name(enum ls_event_type type)
{
	return type < LS_EV_MAX && event_names[type] ? event_names[type] : "?";
}

void ls_comm_copy(char *dst, const char *src)
{
	size_t n = strnlen(src, LS_COMM_LEN - 1);

	memcpy(dst, src, n);
	dst[n] = 0;
}

void ls_report_init(struct ls_report *r, const char *mode)
{
	memset(r, 0, sizeof(*r));
	r->mode = mode;
	r->exit_kind = LS_CHILD_NONE;
}

static void free_finding(struct ls_finding *f)
{
	free(f->test);
	free(f->path);
	if (f->argv)
		for (char **a = f->argv; *a; a++)
			free(*a);
	free(f->argv);
	if (f->stack)
		for (char **a = f->stack; *a; a++)
			free(*a);
	free(f->stack);
}

void ls_report_free(struct ls_report *r)
{
	for (size_t i = 0; i < r->n_findings; i++)
		free_finding(&r->findings[i]);
	free(r->findings);
	for (size_t i = 0; i < r->n_tests; i++)
		free(r->tests[i].name);
	free(r->tests);
	free(r->agent.progs);
	for (int i = 0; i < r->n_notes; i++)
		free(r->notes[i]);
	memset(r, 0, sizeof(*r));
}

struct ls_finding *ls_report_add(struct ls_report *r, enum ls_kind kind,
				 enum ls_class cls)
{
	struct ls_finding *f;

	if (r->n_findings == r->cap_findings) {
		size_t cap = r->cap_findings ? r->cap_findings * 2 : 16;
		void *g = realloc(r->findings, cap * sizeof(*f));

		if (!g)
			return NULL;
		r->findings = g;
		r->cap_findings = cap;
	}
	f = &r->findings[r->n_findings++];
	memset(f, 0, sizeof(*f));
	f->kind = kind;
	f->cls = cls;
	f->fd = -1;
	f->local_port = -1;
	f->peer_port = -1;
	f->created_at = -1;
	f->stack_id = -1;
	return f;
}

void ls_report_drop(struct ls_report *r, struct ls_finding *f)
{
	(void)r;
	free_finding(f);
	memset(f, 0, sizeof(*f));
}

struct ls_finding *ls_report_take(struct ls_report *r, struct ls_finding *f)
{
	struct ls_finding copy = *f, *to;

	to = ls_report_add(r, copy.kind, copy.cls);
	if (!to)
		return NULL;
	*to = copy;
	memset(f, 0, sizeof(*f));
	return to;
}

void ls_report_note(struct ls_report *r, const char *fmt, ...)
{
	va_list ap;
	char *s;

	if (r->n_notes >= (int)(sizeof(r->notes) / sizeof(r->notes[0])))
		return;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) >= 0)
		r->notes[r->n_notes++] = s;
	va_end(ap);
}

size_t ls_report_count(const struct ls_report *r, enum ls_kind kind,
		       enum ls_class cls)
{
	size_t n = 0;

	for (size_t i = 0; i < r->n_findings; i++)
		n += r->findings[i].kind == kind &&
		     (cls == LS_CLASS_MAX || r->findings[i].cls == cls);
	return n;
}

bool ls_report_has_leftovers(const struct ls_report *r)
{
	/* "late" was released during the run: suspicious, not failing. */
	for (size_t i = 0; i < r->n_findings; i++)
		if (r->findings[i].cls != LS_CLASS_LATE)
			return true;
	return false;
}

bool ls_report_lossy(const struct ls_report *r)
{
	for (int i = 0; i < LS_LOSS_MAX; i++)
		if (r->metrics.losses[i])
			return true;
	return r->metrics.malformed > 0;
}

int ls_report_write(const struct ls_report *r, FILE *f, int fmt)
{
	return fmt == LS_FMT_JSON ? ls_report_write_json(r, f)
				  : ls_report_write_text(r, f);
}
