// SPDX-License-Identifier: GPL-2.0
/*
 * verdict.c - see verdict.h; also the end-of-run classes of the tests'
 * findings (ls_ledger_conclude).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "leftovers.h"
#include "log.h"
#include "stacks.h"
#include "suppress.h"
#include "verdict.h"
#include "watch.h"

#define MAX_NAP_MS    100
#define SYNC_PIDS_MAX 16 /* more holders than this: sync every process */

/* Add @pid to @pids (*n of them) once; false when it is full. */
static bool add_pid(uint32_t *pids, size_t *n, uint32_t pid)
{
	for (size_t i = 0; i < *n; i++)
		if (pids[i] == pid)
			return true;
	if (*n == SYNC_PIDS_MAX)
		return false;
	pids[(*n)++] = pid;
	return true;
}

void ls_verdict_sync_fds(struct ls_ledger *l, struct ls_test *t, uint32_t tgid)
{
	struct ls_bpf *b = &l->w->bpf;
	uint32_t pids[SYNC_PIDS_MAX];
	struct ls_test_counts c;
	size_t n = 0;

	if (l->w->o->level < LS_LEVEL_FULL)
		return;
	if (ls_bpf_test_counts(b, t->id, &c) || c.created[LS_KIND_FD] ||
	    c.created[LS_KIND_SOCKET])
		add_pid(pids, &n, tgid);
	for (size_t i = 0; i < l->leaks.n_findings; i++) {
		const struct ls_finding *f = &l->leaks.findings[i];

		if ((f->kind != LS_KIND_FD && f->kind != LS_KIND_SOCKET) ||
		    ls_ledger_released_at(l, LS_RELEASED_FD, f->pid, f->fd))
			continue;
		if (!add_pid(pids, &n, f->pid)) {
			ls_bpf_fd_sync(b, 0);
			return;
		}
	}
	for (size_t i = 0; i < n; i++)
		ls_bpf_fd_sync(b, (pid_t)pids[i]);
}

/* Could anything of @t still be alive? False only when the kernel's
 * counters say so and nothing was lost meanwhile. */
static bool may_have_leaks(struct ls_ledger *l, struct ls_test *t)
{
	struct ls_test_counts *c = &t->counts;

	if (ls_bpf_test_counts(&l->w->bpf, t->id, c) || t->lossy)
		return true;
	ls_temps_test_counts(&l->w->temps, t->id, c);
	/* A child that exited unreaped is a zombie, which no counter shows:
	 * a test that forked always gets a look. */
	if (c->created[LS_KIND_PROCESS] || c->cur[LS_KIND_THREAD] ||
	    c->cur[LS_KIND_FD] || c->cur[LS_KIND_SOCKET] ||
	    c->cur[LS_KIND_CGROUP])
		return true;
	/* Mapping releases at exit are not per test: count created. */
	if (c->created[LS_KIND_MAPPING] > c->released[LS_KIND_MAPPING])
		return true;
	return ls_temps_live_of_test(&l->w->temps, t->id) > 0;
}

/* Mappings of the test's live processes: the runner and what it forked. */
static void add_test_vmas(struct ls_ledger *l, struct ls_test *t,
			  struct ls_snapshot *s)
{
	size_t n = s->n_tasks;

	ls_snapshot_add_vmas(&l->w->bpf, s, t->tgid);
	for (size_t i = 0; i < n; i++) {
		const struct ls_iter_task *k = &s->tasks[i];

		if (k->pid == k->tgid && k->tgid != t->tgid && !k->exit_state &&
		    (k->origin.flags & LS_ORIGIN_KNOWN) &&
		    k->origin.test == t->id)
			ls_snapshot_add_vmas(&l->w->bpf, s, k->tgid);
	}
}

static int collect(struct ls_ledger *l, struct ls_test *t, int exclude,
		   struct ls_report *found)
{
	struct ls_watch *w = l->w;
	struct ls_leftover_ctx c = {
		.bpf = &w->bpf,
		.events = &w->events,
		.temps = w->o->level >= LS_LEVEL_FULL ? &w->temps : NULL,
		.base = &w->base,
		.cgroup = w->cgroup,
		.t0_ns = w->t0_ns,
		.origin_ns = w->origin_ns,
		.test_name = ls_ledger_test_name,
		.names_ctx = l,
		.test = t->id,
		.test_tgid = t->tgid,
		.test_begin_ns = t->begin_ns,
		.test_fds = t->fds_at_begin,
		.exclude_pid = exclude,
		.own_sock = l->sock_path,
	};
	struct ls_snapshot s;
	int err = ls_snapshot_take(&w->bpf, LS_SNAP_TASKS | LS_SNAP_FILES, 0,
				   false, &s);

	if (err)
		return err;
	if (t->counts.created[LS_KIND_MAPPING])
		add_test_vmas(l, t, &s);
	err = ls_leftovers_collect(&c, &s, found);
	ls_snapshot_free(&s);
	return err;
}

/* Tell the kernel which objects were reported, so that a release while
 * their holder lives on comes back as LS_EV_LEAK_RELEASED (late). */
static void mark_leaked(struct ls_ledger *l, const struct ls_finding *f)
{
	struct ls_ctl c = { .op = LS_CTL_MARK_LEAKED, .tgid = f->pid };

	switch (f->kind) {
	case LS_KIND_FD:
	case LS_KIND_SOCKET:
		c.key = (struct ls_obj_key){ f->pid, LS_OBJ_FD, f->fd };
		c.cookie = f->cookie;
		break;
	case LS_KIND_MAPPING:
		c.key = (struct ls_obj_key){ f->pid, LS_OBJ_MAP, f->addr };
		break;
	case LS_KIND_THREAD:
		c.op = LS_CTL_MARK_THREAD;
		c.tgid = f->tid;
		c.key.tgid = f->pid;
		break;
	default:
		return;
	}
	ls_bpf_ctl(&l->w->bpf, &c);
}

/*
 * A zombie is released by its reap, which no event tells in time (the
 * kernel frees the task an RCU callback later, up to seconds with lazy
 * RCU). A pidfd taken now answers at each END: signal 0 fails with ESRCH
 * once the pid is reaped, and a reused pid cannot fool it.
 */
static void watch_zombie(struct ls_ledger *l, int pid)
{
	int pfd = syscall(SYS_pidfd_open, pid, 0);
	struct ls_zombie *z;

	if (pfd < 0) { /* reaped already */
		ls_u64map_put(&l->reaped, pid, (void *)(uintptr_t)ls_now_ns());
		return;
	}
	if (l->n_zombies == l->cap_zombies) {
		size_t cap = l->cap_zombies ? 2 * l->cap_zombies : 8;

		z = realloc(l->zombies, cap * sizeof(*z));
		if (!z) {
			close(pfd);
			return;
		}
		l->zombies = z;
		l->cap_zombies = cap;
	}
	l->zombies[l->n_zombies++] = (struct ls_zombie){ pid, pfd };
}

void ls_verdict_check_reaped(struct ls_ledger *l, uint64_t now)
{
	for (size_t i = 0; i < l->n_zombies;) {
		struct ls_zombie *z = &l->zombies[i];

		if (syscall(SYS_pidfd_send_signal, z->pidfd, 0, NULL, 0) == 0 ||
		    errno != ESRCH) {
			i++;
			continue;
		}
		ls_u64map_put(&l->reaped, z->pid, (void *)(uintptr_t)now);
		close(z->pidfd);
		*z = l->zombies[--l->n_zombies];
	}
}

/* Keep what no rule excuses; count what the file or ALLOW excused. */
static void keep_findings(struct ls_ledger *l, struct ls_test *t,
			  struct ls_report *found)
{
	for (size_t i = 0; i < found->n_findings; i++) {
		struct ls_finding *f = &found->findings[i];

		if (t->allow && ls_supp_match(t->allow, f)) {
			t->allowed++;
			continue;
		}
		if (l->supp && ls_supp_match(l->supp, f)) {
			t->suppressed++;
			continue;
		}
		if (!f->test)
			f->test = strdup(t->name);
		mark_leaked(l, f);
		if (f->cls == LS_CLASS_ZOMBIE)
			watch_zombie(l, f->pid);
		ls_report_take(&l->leaks, f);
	}
}

void ls_verdict_begin(struct ls_ledger *l, struct ls_test *t)
{
	uint64_t losses[LS_LOSS_MAX];
	struct ls_snapshot s;

	if (l->w->o->level < LS_LEVEL_FULL ||
	    ls_bpf_losses(&l->w->bpf, losses) || !losses[LS_LOSS_OBJ_TABLE] ||
	    ls_snapshot_take(&l->w->bpf, LS_SNAP_FILES, t->tgid, false, &s))
		return;
	t->fds_at_begin = calloc(1, sizeof(*t->fds_at_begin));
	if (t->fds_at_begin) {
		ls_baseline_init(t->fds_at_begin);
		if (ls_baseline_add_files(t->fds_at_begin, &s))
			ls_verdict_end(t); /* out of memory: as without */
	}
	ls_snapshot_free(&s);
}

void ls_verdict_end(struct ls_test *t)
{
	if (!t->fds_at_begin)
		return;
	ls_baseline_free(t->fds_at_begin);
	free(t->fds_at_begin);
	t->fds_at_begin = NULL;
}

void ls_verdict(struct ls_ledger *l, struct ls_test *t, int exclude)
{
	size_t first = l->leaks.n_findings;
	uint64_t deadline = ls_now_ns() + l->w->o->grace_ms * 1000000ULL;
	unsigned int nap = 1;
	struct ls_report found;

	ls_report_init(&found, "test");
	ls_bpf_drain(&l->w->bpf);
	if (!may_have_leaks(l, t)) {
		/* Nothing of it lives: its counters cannot change again, and
		 * t->counts keeps them for the report. Free their entry, or
		 * the table fills after --max-tests tests. */
		ls_bpf_test_forget(&l->w->bpf, t->id);
		ls_verdict_end(t);
		l->verdicts_fast++;
		return;
	}
	l->verdicts_slow++;
	for (;;) {
		ls_report_free(&found);
		ls_report_init(&found, "test");
		if (collect(l, t, exclude, &found)) {
			t->lossy = true; /* could not look: say so */
			break;
		}
		if (!found.n_findings || ls_now_ns() >= deadline)
			break;
		ls_sleep_ms(nap);
		nap = nap * 2 > MAX_NAP_MS ? MAX_NAP_MS : nap * 2;
		ls_bpf_drain(&l->w->bpf);
	}
	keep_findings(l, t, &found);
	ls_report_free(&found);
	ls_verdict_end(t);
	/* While the runner lives: its maps make sense of the addresses. */
	ls_stacks_attach(l->w->sym, &l->w->bpf, &l->leaks, first);
}

/* ---- the end of the run ---- */

static bool same_object(const struct ls_finding *a, const struct ls_finding *b)
{
	if (a->kind != b->kind)
		return false;
	switch (a->kind) {
	case LS_KIND_FD:
	case LS_KIND_SOCKET:
		return a->pid == b->pid && a->fd == b->fd &&
		       a->cookie == b->cookie;
	case LS_KIND_PROCESS:
		return a->pid == b->pid;
	case LS_KIND_THREAD:
		return a->tid == b->tid;
	case LS_KIND_TEMPFILE:
	case LS_KIND_CGROUP:
		return a->path && b->path && !strcmp(a->path, b->path);
	case LS_KIND_MAPPING:
		return a->pid == b->pid && a->addr == b->addr;
	default:
		return false;
	}
}

static struct ls_finding *find_same(struct ls_report *r,
				    const struct ls_finding *f, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (same_object(&r->findings[i], f))
			return &r->findings[i];
	return NULL;
}

/*
 * "Late" is released while tests still ran: a fixture's or a cache's
 * teardown (pytest tears session fixtures down inside the last test).
 * What goes only once the last test has ended (interpreter shutdown
 * closing files, exit) was never cleaned up: still a leak.
 */
static enum ls_class late_if(uint64_t at, uint64_t last_end)
{
	return at && at <= last_end ? LS_CLASS_LATE : LS_CLASS_LEAK;
}

/* A zombie reaped while tests still ran is late (see watch_zombie). */
static enum ls_class zombie_class(struct ls_ledger *l,
				  const struct ls_finding *f, uint64_t last_end)
{
	uint64_t at = (uintptr_t)ls_u64map_get(&l->reaped, f->pid);

	return at && at <= last_end ? LS_CLASS_LATE : LS_CLASS_ZOMBIE;
}

/* A test's leak that is not a leftover of the run: released in time? */
static enum ls_class final_class(struct ls_ledger *l,
				 const struct ls_finding *f, uint64_t last_end)
{
	switch (f->kind) {
	case LS_KIND_FD:
	case LS_KIND_SOCKET:
		return late_if(
			ls_ledger_released_at(l, LS_RELEASED_FD, f->pid, f->fd),
			last_end);
	case LS_KIND_MAPPING:
		return late_if(ls_ledger_released_at(l, LS_RELEASED_MAP, f->pid,
						     f->addr),
			       last_end);
	case LS_KIND_THREAD:
		return late_if(ls_ledger_released_at(l, LS_RELEASED_THREAD,
						     f->pid, f->tid),
			       last_end);
	case LS_KIND_PROCESS:
		if (f->cls == LS_CLASS_ZOMBIE)
			return zombie_class(l, f, last_end);
		return late_if((uintptr_t)ls_u64map_get(&l->exited, f->pid),
			       last_end);
	case LS_KIND_TEMPFILE:
		return late_if(ls_temps_removed_at(&l->w->temps, f->path),
			       last_end);
	case LS_KIND_CGROUP:
		return late_if((uintptr_t)ls_u64map_get(&l->w->events.rmdir_at,
							f->cgid),
			       last_end);
	default:
		return LS_CLASS_LATE; /* a zombie reaped meanwhile */
	}
}

static void fill_tests(struct ls_ledger *l, struct ls_report *r)
{
	r->tests = calloc(l->n_tests ? l->n_tests : 1, sizeof(*r->tests));
	if (!r->tests)
		return;
	r->n_tests = l->n_tests;
	for (size_t i = 0; i < l->n_tests; i++) {
		struct ls_test *t = l->tests[i];
		struct ls_report_test *rt = &r->tests[i];

		rt->name = strdup(t->name);
		rt->id = t->id;
		rt->outcome = ls_outcome_name(t->outcome);
		rt->begin_s = t->begin_ns > l->w->origin_ns
				      ? (t->begin_ns - l->w->origin_ns) / 1e9
				      : 0;
		rt->duration_s = (t->end_ns - t->begin_ns) / 1e9;
		rt->suppressed = t->suppressed;
		rt->allowed = t->allowed;
		rt->lossy = t->lossy;
		if (ls_bpf_test_counts(&l->w->bpf, t->id, &rt->counts))
			rt->counts = t->counts;
		ls_temps_test_counts(&l->w->temps, t->id, &rt->counts);
		for (size_t k = 0; k < r->n_findings; k++)
			if (r->findings[k].test &&
			    !strcmp(r->findings[k].test, t->name))
				rt->by_class[r->findings[k].cls]++;
	}
}

int ls_ledger_conclude(struct ls_ledger *l, struct ls_report *r)
{
	size_t leftovers = r->n_findings;
	uint64_t last_end = 0;

	for (size_t i = 0; i < l->n_tests; i++)
		if (l->tests[i]->end_ns > last_end)
			last_end = l->tests[i]->end_ns;
	ls_bpf_drain(&l->w->bpf);
	for (size_t i = 0; i < l->leaks.n_findings; i++) {
		struct ls_finding *f = &l->leaks.findings[i];
		struct ls_finding *dup = find_same(r, f, leftovers);

		if (dup) { /* still there: the leftover says it, with the test
			    */
			if (!dup->test && f->test)
				dup->test = strdup(f->test);
			continue;
		}
		f->cls = final_class(l, f, last_end);
		if (!ls_report_take(r, f))
			return -ENOMEM;
	}
	fill_tests(l, r);
	return 0;
}
