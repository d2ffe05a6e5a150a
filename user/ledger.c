// SPDX-License-Identifier: GPL-2.0
/*
 * ledger.c - see ledger.h. BEGIN/END and the control requests; the
 * verdict of one test is in verdict.c.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cgroup.h"
#include "describe.h"
#include "json.h"
#include "ledger.h"
#include "log.h"
#include "suppress.h"
#include "verdict.h"
#include "watch.h"

void ls_ledger_init(struct ls_ledger *l, struct ls_watch *w,
		    struct ls_suppressions *supp, const char *sock_path)
{
	memset(l, 0, sizeof(*l));
	l->w = w;
	l->supp = supp;
	l->sock_path = sock_path;
	ls_u64map_init(&l->running);
	ls_u64map_init(&l->by_id);
	ls_u64map_init(&l->released);
	ls_u64map_init(&l->exited);
	ls_u64map_init(&l->reaped);
	ls_u64map_init(&l->auto_running);
	ls_report_init(&l->leaks, "tests");
}

void ls_ledger_free(struct ls_ledger *l)
{
	for (size_t i = 0; i < l->n_tests; i++) {
		free(l->tests[i]->name);
		ls_verdict_end(l->tests[i]);
		if (l->tests[i]->allow) {
			ls_supp_free(l->tests[i]->allow);
			free(l->tests[i]->allow);
		}
		free(l->tests[i]);
	}
	free(l->tests);
	ls_u64map_free(&l->running);
	ls_u64map_free(&l->by_id);
	ls_u64map_free(&l->released);
	ls_u64map_free(&l->exited);
	ls_u64map_free(&l->reaped);
	for (size_t i = 0; i < l->n_zombies; i++)
		close(l->zombies[i].pidfd);
	free(l->zombies);
	ls_u64map_free(&l->auto_running);
	free(l->pending);
	ls_report_free(&l->leaks);
}

static char *reply(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *reply(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	return s;
}

static struct ls_test *test_of(struct ls_ledger *l, struct ls_u64map *m,
			       uint64_t key)
{
	uintptr_t i = (uintptr_t)ls_u64map_get(m, key);

	return i ? l->tests[i - 1] : NULL;
}

const char *ls_ledger_test_name(void *ctx, uint64_t id)
{
	struct ls_test *t = test_of(ctx, &((struct ls_ledger *)ctx)->by_id, id);

	return t ? t->name : NULL;
}

static struct ls_test *new_test(struct ls_ledger *l, const char *name,
				size_t len, uint32_t tgid, uint64_t id)
{
	struct ls_test *t;

	/* Tests are allocated one by one: a verdict drains the ring buffer,
	 * which may begin new tests while it holds a test's address. */
	if (l->n_tests == l->cap_tests) {
		size_t cap = l->cap_tests ? l->cap_tests * 2 : 64;
		void *g = realloc(l->tests, cap * sizeof(*l->tests));

		if (!g)
			return NULL;
		l->tests = g;
		l->cap_tests = cap;
	}
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->name = strndup(name, len);
	if (!t->name) {
		free(t);
		return NULL;
	}
	t->id = id ? id : l->n_tests + 1;
	t->tgid = tgid;
	t->begin_ns = ls_now_ns();
	if (ls_u64map_put(&l->by_id, t->id, (void *)(l->n_tests + 1))) {
		free(t->name);
		free(t);
		return NULL;
	}
	l->tests[l->n_tests++] = t;
	return t;
}

/* procs[tgid].test = @id, in the kernel, before anyone is told. */
static int set_process_test(struct ls_ledger *l, uint32_t tgid, uint64_t id)
{
	struct ls_ctl c = { .op = LS_CTL_SET_TEST, .tgid = tgid, .test = id };

	return ls_bpf_ctl(&l->w->bpf, &c);
}

static char *do_begin(struct ls_ledger *l, struct ls_conn *c,
		      const struct ls_request *q)
{
	struct ls_test *t = test_of(l, &l->running, c->acting);
	int err;

	if (t)
		return reply("ERR nested: test '%s' is running in process %d",
			     t->name, (int)c->acting);
	/* Root may connect from anywhere, but a test outside the watch
	 * would see nothing of what it does. FOR has checked already. */
	if (c->acting == c->peer && !ls_cgroup_has_pid(l->w->cgroup, c->acting))
		return reply("ERR bad pid: process %d is not in the watched "
			     "cgroup",
			     (int)c->acting);
	t = new_test(l, q->name, q->name_len, c->acting, 0);
	if (!t)
		return NULL;
	ls_verdict_begin(l, t);
	err = ls_bpf_test_create(&l->w->bpf, t->id);
	if (err == -E2BIG) {
		/* Without its counters a test is still judged, by a look at
		 * what is alive at its END, which is slower. */
		if (!l->uncounted_said)
			ls_warn("the tests table is full (%s): tests from "
				"'%s' on are judged without counters, "
				"more slowly",
				"--max-tests", t->name);
		l->uncounted_said = true;
		err = 0;
	}
	if (!err)
		err = set_process_test(l, c->acting, t->id);
	if (err) {
		t->ended = true;
		t->outcome = LS_OUTCOME_ERROR;
		return reply("ERR cannot mark: process %d: %s (the process "
			     "table may be full)",
			     (int)c->acting, strerror(-err));
	}
	ls_u64map_put(&l->running, c->acting, (void *)l->n_tests);
	t->lossy = false;
	t->losses_at_begin = ls_bpf_losses_total(&l->w->bpf);
	return reply("OK test=%llu", (unsigned long long)t->id);
}

static char *verdict_reply(struct ls_ledger *l, struct ls_test *t, size_t first)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct ls_json j;

	if (!f)
		return NULL;
	fputs("OK ", f);
	ls_json_init(&j, f, false);
	ls_json_begin_object(&j);
	ls_json_kv_string(&j, "test", t->name);
	ls_json_kv_uint(&j, "id", t->id);
	if (ls_outcome_name(t->outcome))
		ls_json_kv_string(&j, "outcome", ls_outcome_name(t->outcome));
	else
		ls_json_kv_null(&j, "outcome");
	ls_json_kv_uint(&j, "leaks", l->leaks.n_findings - first);
	ls_json_kv_uint(&j, "suppressed", t->suppressed);
	ls_json_kv_uint(&j, "allowed", t->allowed);
	ls_json_kv_double(&j, "duration_s", (t->end_ns - t->begin_ns) / 1e9, 6);
	ls_json_kv_string(&j, "confidence", t->lossy ? "reduced" : "full");
	ls_json_key(&j, "findings");
	ls_json_begin_array(&j);
	for (size_t i = first; i < l->leaks.n_findings; i++)
		ls_report_json_finding(&j, &l->leaks.findings[i]);
	ls_json_end_array(&j);
	ls_json_end_object(&j);
	ls_json_finish(&j);
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* End test @t of process @tgid; @exclude (the END sender when it acts for
 * another process) is never a finding. */
static char *end_test(struct ls_ledger *l, struct ls_test *t, uint32_t tgid,
		      enum ls_outcome outcome, int exclude)
{
	size_t first = l->leaks.n_findings;

	ls_verdict_sync_fds(l, t, tgid);
	set_process_test(l, tgid, 0);
	ls_u64map_del(&l->running, tgid);
	t->end_ns = ls_now_ns();
	t->outcome = outcome;
	t->ended = true;
	if (ls_bpf_losses_total(&l->w->bpf) != t->losses_at_begin)
		t->lossy = true;
	ls_verdict_check_reaped(l, t->end_ns);
	ls_verdict(l, t, exclude);
	return verdict_reply(l, t, first);
}

static char *do_end(struct ls_ledger *l, struct ls_conn *c,
		    const struct ls_request *q)
{
	struct ls_test *t = test_of(l, &l->running, c->acting);

	if (!t || strlen(t->name) != q->name_len ||
	    memcmp(t->name, q->name, q->name_len))
		return reply("ERR not running: process %d runs %s%s%s",
			     (int)c->acting, t ? "'" : "no test",
			     t ? t->name : "", t ? "'" : "");
	return end_test(l, t, c->acting, q->outcome,
			c->peer != c->acting ? c->peer : 0);
}

static char *do_allow(struct ls_ledger *l, struct ls_conn *c,
		      const struct ls_request *q)
{
	struct ls_test *t = test_of(l, &l->running, c->acting);
	char err[256], *rule;
	int r;

	if (!t)
		return reply("ERR no test: process %d runs no test",
			     (int)c->acting);
	if (!t->allow) {
		t->allow = calloc(1, sizeof(*t->allow));
		if (!t->allow)
			return NULL;
		ls_supp_init(t->allow);
	}
	rule = strndup(q->rule, q->name_len);
	if (!rule)
		return NULL;
	r = ls_supp_add_line(t->allow, rule, "ALLOW", err, sizeof(err));
	free(rule);
	if (r < 0)
		return reply("ERR bad rule: %s", err);
	if (r > 0)
		return reply("ERR bad rule: no rule on the line");
	return reply("OK");
}

/* FOR: the peer itself, or one of its ancestors, inside the watch. */
static char *do_for(struct ls_ledger *l, struct ls_conn *c,
		    const struct ls_request *q)
{
	pid_t pid = q->pid ? (pid_t)q->pid : c->peer;

	if (!ls_cgroup_has_pid(l->w->cgroup, pid))
		return reply("ERR bad pid: process %d is not in the watched "
			     "cgroup",
			     (int)pid);
	if (!ls_pid_is_ancestor(pid, c->peer))
		return reply("ERR forbidden: process %d is not the client "
			     "or one of its ancestors",
			     (int)pid);
	c->acting = pid;
	return reply("OK");
}

static char *do_status(struct ls_ledger *l)
{
	size_t running = 0;

	for (size_t i = 0; i < l->n_tests; i++)
		running += !l->tests[i]->ended;
	return reply("OK {\"tests_running\":%zu,\"tests_done\":%zu,"
		     "\"protocol\":%d}",
		     running, l->n_tests - running, LS_PROTO_VERSION);
}

char *ls_ledger_request(void *ctx, struct ls_conn *c,
			const struct ls_request *q)
{
	struct ls_ledger *l = ctx;

	switch (q->verb) {
	case LS_REQ_HELLO:
		return reply("OK leakscope %s protocol %d", LEAKSCOPE_VERSION,
			     LS_PROTO_VERSION);
	case LS_REQ_PING:
		return reply("OK pong");
	case LS_REQ_BEGIN:
		return do_begin(l, c, q);
	case LS_REQ_END:
		return do_end(l, c, q);
	case LS_REQ_ALLOW:
		return do_allow(l, c, q);
	case LS_REQ_FOR:
		return do_for(l, c, q);
	case LS_REQ_STATUS:
		return do_status(l);
	}
	return reply("ERR unknown request");
}

void ls_ledger_end_all(struct ls_ledger *l)
{
	for (size_t i = 0; i < l->n_tests; i++) {
		struct ls_test *t = l->tests[i];
		char *r;

		if (t->ended)
			continue;
		ls_warn("test '%s' never ended (its process ended first)",
			t->name);
		r = end_test(l, t, t->tgid, LS_OUTCOME_ERROR, 0);
		free(r);
	}
}

/* Keys of the objects whose late release the kernel reported. */
static uint64_t released_key(uint32_t what, uint32_t holder, uint64_t handle)
{
	return ls_hash_str("") ^ ((uint64_t)what << 60) ^
	       ((uint64_t)holder << 32) ^ (handle * 0x9e3779b97f4a7c15ULL);
}

/* The kernel began test h->test at this exec: name it by its argv. */
static void auto_begin(struct ls_ledger *l, const struct ls_ev_exec *e)
{
	size_t n = e->argv_len < LS_ARGV_LEN ? e->argv_len : LS_ARGV_LEN;
	char name[LS_ARGV_LEN + 1];
	struct ls_test *t;

	if (ls_u64map_get(&l->by_id, e->h.test))
		return; /* the same runner exec'd again: same test */
	memcpy(name, e->argv, n);
	while (n && !name[n - 1])
		n--;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f)
			name[i] = ' '; /* NULs between arguments */
	if (!n)
		n = snprintf(name, sizeof(name), "pid %u", e->h.tgid);
	t = new_test(l, name, n, e->h.tgid, e->h.test);
	if (!t)
		return;
	t->begin_ns = e->h.ts;
	t->losses_at_begin = ls_bpf_losses_total(&l->w->bpf);
	ls_u64map_put(&l->auto_running, e->h.tgid, (void *)l->n_tests);
}

static void auto_exited(struct ls_ledger *l, const struct ls_ev_proc *p)
{
	uintptr_t i = (uintptr_t)ls_u64map_del(&l->auto_running, p->pid);
	struct ls_test *t = i ? l->tests[i - 1] : NULL;
	uint64_t *grown;

	if (!t)
		return;
	/* wait(2) status: 0 passed; an exit code failed; a signal error */
	t->outcome = p->code == 0	     ? LS_OUTCOME_PASSED
		     : (p->code & 0x7f) == 0 ? LS_OUTCOME_FAILED
					     : LS_OUTCOME_ERROR;
	if (l->n_pending == l->cap_pending) {
		size_t cap = l->cap_pending ? 2 * l->cap_pending : 16;

		grown = realloc(l->pending, cap * sizeof(*grown));
		if (!grown)
			return;
		l->pending = grown;
		l->cap_pending = cap;
	}
	l->pending[l->n_pending++] = i;
}

void ls_ledger_run_pending(struct ls_ledger *l)
{
	while (l->n_pending) {
		struct ls_test *t = l->tests[l->pending[--l->n_pending] - 1];

		free(end_test(l, t, t->tgid, t->outcome, 0));
	}
}

void ls_ledger_event(void *ctx, const struct ls_event_hdr *h)
{
	struct ls_ledger *l = ctx;
	const struct ls_ev_released *r = (const void *)h;
	const struct ls_ev_proc *p = (const void *)h;

	/* The values are the times (never 0) of the release and the exit. */
	if (h->type == LS_EV_LEAK_RELEASED)
		ls_u64map_put(&l->released,
			      released_key(r->what, r->holder, r->handle),
			      (void *)(uintptr_t)h->ts);
	else if (h->type == LS_EV_PROC_EXIT)
		ls_u64map_put(&l->exited, p->pid, (void *)(uintptr_t)h->ts);
	if (h->type == LS_EV_PROC_EXEC && (h->test & LS_AUTO_TEST))
		auto_begin(l, (const struct ls_ev_exec *)h);
	else if (h->type == LS_EV_PROC_EXIT)
		auto_exited(l, p);
	/* A new image or a dead process: its cached maps are stale. */
	if (l->w->sym && h->type == LS_EV_PROC_EXEC)
		ls_sym_forget_pid(l->w->sym, h->tgid);
	else if (l->w->sym && h->type == LS_EV_PROC_EXIT)
		ls_sym_forget_pid(l->w->sym, p->pid);
}

uint64_t ls_ledger_released_at(struct ls_ledger *l, uint32_t what,
			       uint32_t holder, uint64_t handle)
{
	return (uintptr_t)ls_u64map_get(&l->released,
					released_key(what, holder, handle));
}
