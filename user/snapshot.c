// SPDX-License-Identifier: GPL-2.0
/*
 * snapshot.c - see snapshot.h. Records are fixed-size structs from abi.h;
 * anything that is not a whole number of records with the right magic is
 * refused rather than guessed at.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "loader.h"
#include "snapshot.h"

long ls_snapshot_records(const void *buf, size_t len, size_t size,
			 unsigned int magic)
{
	const char *p = buf;

	if (size < sizeof(magic) || len % size)
		return -EPROTO;
	for (size_t off = 0; off < len; off += size) {
		unsigned int m;

		memcpy(&m, p + off, sizeof(m));
		if (m != magic)
			return -EPROTO;
	}
	return (long)(len / size);
}

static int take_one(struct ls_bpf *b, const char *which, pid_t pid,
		    bool unfiltered, size_t size, unsigned int magic,
		    void **out, size_t *n)
{
	void *buf = NULL;
	size_t len = 0;
	long count;
	int err = ls_bpf_iterate(b, which, pid, unfiltered, &buf, &len);

	if (err)
		return err;
	count = ls_snapshot_records(buf, len, size, magic);
	if (count < 0) {
		free(buf);
		return (int)count;
	}
	*out = buf;
	*n = count;
	return 0;
}

int ls_snapshot_take(struct ls_bpf *b, unsigned int what, pid_t pid,
		     bool unfiltered, struct ls_snapshot *s)
{
	int err = 0;

	memset(s, 0, sizeof(*s));
	if (what & LS_SNAP_TASKS)
		err = take_one(b, "iter_task", pid, unfiltered,
			       sizeof(*s->tasks), LS_ITER_TASK_MAGIC,
			       (void **)&s->tasks, &s->n_tasks);
	if (!err && (what & LS_SNAP_FILES))
		err = take_one(b, "iter_task_file", pid, unfiltered,
			       sizeof(*s->files), LS_ITER_FILE_MAGIC,
			       (void **)&s->files, &s->n_files);
	if (!err && (what & LS_SNAP_VMAS))
		err = take_one(b, "iter_task_vma", pid, unfiltered,
			       sizeof(*s->vmas), LS_ITER_VMA_MAGIC,
			       (void **)&s->vmas, &s->n_vmas);
	if (err)
		ls_snapshot_free(s);
	return err;
}

int ls_snapshot_add_vmas(struct ls_bpf *b, struct ls_snapshot *s, pid_t pid)
{
	struct ls_iter_vma *more = NULL, *grown;
	size_t n = 0;
	int err = take_one(b, "iter_task_vma", pid, false, sizeof(*more),
			   LS_ITER_VMA_MAGIC, (void **)&more, &n);

	if (err || !n) {
		free(more);
		return err;
	}
	grown = realloc(s->vmas, (s->n_vmas + n) * sizeof(*grown));
	if (!grown) {
		free(more);
		return -ENOMEM;
	}
	memcpy(grown + s->n_vmas, more, n * sizeof(*more));
	s->vmas = grown;
	s->n_vmas += n;
	free(more);
	return 0;
}

void ls_snapshot_free(struct ls_snapshot *s)
{
	free(s->tasks);
	free(s->files);
	free(s->vmas);
	memset(s, 0, sizeof(*s));
}

size_t ls_snapshot_processes(const struct ls_snapshot *s)
{
	size_t n = 0;

	for (size_t i = 0; i < s->n_tasks; i++)
		n += s->tasks[i].pid == s->tasks[i].tgid;
	return n;
}

bool ls_snapshot_has_live(const struct ls_snapshot *s, unsigned int tgid)
{
	for (size_t i = 0; i < s->n_tasks; i++) {
		const struct ls_iter_task *t = &s->tasks[i];

		if (t->tgid == tgid && !t->exit_state &&
		    !(t->flags & LS_PF_EXITING))
			return true;
	}
	return false;
}
