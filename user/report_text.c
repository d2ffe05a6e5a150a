// SPDX-License-Identifier: GPL-2.0
/*
 * report_text.c - the report for people: one headline that says whether
 * anything was left behind, then the leftovers grouped by kind (fds and
 * threads under the process that holds them), the activity per kind, what
 * was lost, and what cleanup did. Readable at a glance, grep-able per line.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "report.h"

/*
 * Write @s with every control character (C0, DEL, and C1 in UTF-8: U+0080
 * to U+009F) escaped as \xNN: names come from the processes under watch,
 * and a newline or an escape sequence in a file name must not forge a
 * report line or drive the reader's terminal. Returns bytes written.
 */
static size_t put(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = 0;

	for (; p && *p; p++) {
		bool c1 = p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f;

		if (*p < 0x20 || *p == 0x7f || *p == '\\' || c1) {
			n += fprintf(f, "\\x%02x", *p);
			if (c1)
				n += fprintf(f, "\\x%02x", *++p);
		} else {
			fputc(*p, f);
			n++;
		}
	}
	return n;
}

static const char *plural(size_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

static void print_argv(FILE *f, char **argv, size_t max)
{
	size_t used = 0;

	for (char **a = argv; a && *a; a++) {
		if (used > max) {
			fputs(" ...", f);
			break;
		}
		if (a != argv)
			used += fprintf(f, " ");
		used += put(f, *a);
	}
}

static void print_when(FILE *f, const struct ls_finding *x)
{
	if (x->has_creator && x->creator_pid)
		fprintf(f, " by pid %d", x->creator_pid);
	if (x->has_creator && x->creator_comm[0]) {
		fputs(" (", f);
		put(f, x->creator_comm);
		fputc(')', f);
	}
	if (x->created_at >= 0)
		fprintf(f, " at +%.3fs", x->created_at);
}

static void print_bytes(FILE *f, uint64_t b)
{
	if (b >= 10ULL << 20)
		fprintf(f, "%.1f MiB", b / 1048576.0);
	else if (b >= 10ULL << 10)
		fprintf(f, "%.1f KiB", b / 1024.0);
	else
		fprintf(f, "%llu bytes", (unsigned long long)b);
}

static void print_fd(FILE *f, const struct ls_finding *x, const char *indent)
{
	fprintf(f, "%sfd %-3d %-8s ", indent, x->fd, x->type ? x->type : "?");
	if (x->kind == LS_KIND_SOCKET && x->family) {
		fprintf(f, "%s", x->protocol ? x->protocol : x->family);
		if (x->local_addr[0]) {
			fputc(' ', f);
			put(f, x->local_addr);
		}
		if (x->local_port >= 0)
			fprintf(f, ":%d", x->local_port);
		if (x->peer_addr[0]) {
			fputs(" -> ", f);
			put(f, x->peer_addr);
		}
		if (x->peer_port >= 0)
			fprintf(f, ":%d", x->peer_port);
		if (x->state)
			fprintf(f, " %s", x->state);
		if (x->database)
			fprintf(f, "  [%s database connection]", x->database);
	} else {
		put(f, x->path);
	}
	if (x->has_creator) {
		fputs("  opened", f);
		print_when(f, x);
	}
}

static void print_stack(FILE *f, const struct ls_finding *x, const char *indent)
{
	for (char **s = x->stack; s && *s; s++) {
		fprintf(f, "%s  at ", indent);
		put(f, *s);
		fputc('\n', f);
	}
}

static void print_thread(FILE *f, const char *indent,
			 const struct ls_finding *x)
{
	fprintf(f, "%sthread %d (", indent, x->tid);
	put(f, x->comm);
	fputc(')', f);
	if (x->has_creator) {
		fputs("  started", f);
		print_when(f, x);
	}
}

static void print_mapping(FILE *f, const char *indent,
			  const struct ls_finding *x)
{
	fprintf(f, "%smapping ", indent);
	print_bytes(f, x->bytes);
	if (x->path && x->path[0]) {
		fputc(' ', f);
		put(f, x->path);
	}
	if (x->has_creator) {
		fputs("  mapped", f);
		print_when(f, x);
	}
}

/* The findings of one test (or, test NULL, of none), printed together. */
struct view {
	const struct ls_report *r;
	const char *test;
};

static bool in_view(const struct view *v, const struct ls_finding *x)
{
	if (!v->test || !x->test)
		return v->test == x->test;
	return !strcmp(v->test, x->test);
}

static size_t count(const struct view *v, enum ls_kind kind, int cls)
{
	size_t n = 0;

	for (size_t i = 0; i < v->r->n_findings; i++) {
		const struct ls_finding *x = &v->r->findings[i];

		n += in_view(v, x) && x->kind == kind &&
		     (cls < 0 || x->cls == (enum ls_class)cls);
	}
	return n;
}

/* In a test's section classes mix: say the ones that are not "leak". */
static void tag(FILE *f, const struct view *v, const struct ls_finding *x)
{
	if (v->test && x->cls != LS_CLASS_LEAK)
		fprintf(f, "  [%s]", ls_class_name(x->cls));
}

/* An fd, thread or mapping on one line, then where it was made. */
static void print_sub(FILE *f, const struct view *v, const struct ls_finding *x,
		      const char *indent)
{
	if (x->kind == LS_KIND_FD || x->kind == LS_KIND_SOCKET)
		print_fd(f, x, indent);
	else if (x->kind == LS_KIND_THREAD)
		print_thread(f, indent, x);
	else if (x->kind == LS_KIND_MAPPING)
		print_mapping(f, indent, x);
	tag(f, v, x);
	fputc('\n', f);
	print_stack(f, x, *indent ? indent : "    ");
}

static void print_process(FILE *f, const struct view *v,
			  const struct ls_finding *p)
{
	fprintf(f, "    pid %d (", p->pid);
	put(f, p->comm);
	fputc(')', f);
	if (p->argv) {
		fputs(" `", f);
		print_argv(f, p->argv, 120);
		fputc('`', f);
	}
	if (p->cls == LS_CLASS_ZOMBIE) {
		fprintf(f, ", exit status %d, parent pid %d never reaped it",
			p->exit_status, p->ppid);
	} else {
		fprintf(f, ", %d %s, ", p->threads,
			plural(p->threads, "thread", "threads"));
		print_bytes(f, p->rss_bytes);
		fputs(" resident", f);
	}
	if (p->has_creator) {
		fputs(", started", f);
		print_when(f, p);
	}
	if (p->path) {
		fputs(", moved out of the watch", f);
		if (p->path[0]) {
			fputs(" to cgroup ", f);
			put(f, p->path);
		}
	}
	fputc('\n', f);
	print_stack(f, p, "      ");
	for (size_t i = 0; i < v->r->n_findings; i++) {
		const struct ls_finding *x = &v->r->findings[i];

		if (x->pid == p->pid && x->kind != LS_KIND_PROCESS &&
		    in_view(v, x))
			print_sub(f, v, x, "      ");
	}
	if (p->inherited_fds[0])
		fprintf(f, "      (fds %s came from outside the watch)\n",
			p->inherited_fds);
}

static bool has_process(const struct view *v, int pid)
{
	for (size_t i = 0; i < v->r->n_findings; i++)
		if (v->r->findings[i].kind == LS_KIND_PROCESS &&
		    v->r->findings[i].pid == pid &&
		    in_view(v, &v->r->findings[i]))
			return true;
	return false;
}

static void print_processes(FILE *f, const struct view *v, enum ls_class cls,
			    const char *title)
{
	if (!count(v, LS_KIND_PROCESS, cls))
		return;
	fprintf(f, "  %s\n", title);
	for (size_t i = 0; i < v->r->n_findings; i++) {
		const struct ls_finding *x = &v->r->findings[i];

		if (x->kind == LS_KIND_PROCESS && x->cls == cls &&
		    in_view(v, x))
			print_process(f, v, x);
	}
}

/* fds, threads and mappings of processes that are not findings themselves
 * (attach: a process that was there before; a test: its runner). */
static void print_loose(FILE *f, const struct view *v, const char *title)
{
	bool titled = false;

	for (size_t i = 0; i < v->r->n_findings; i++) {
		const struct ls_finding *x = &v->r->findings[i];

		if ((x->kind != LS_KIND_FD && x->kind != LS_KIND_SOCKET &&
		     x->kind != LS_KIND_THREAD && x->kind != LS_KIND_MAPPING) ||
		    !in_view(v, x) || has_process(v, x->pid))
			continue;
		if (!titled)
			fprintf(f, "  %s\n", title);
		titled = true;
		fprintf(f, "    pid %d (", x->pid);
		put(f, x->comm);
		fputs("): ", f);
		print_sub(f, v, x, "");
	}
}

static void print_paths(FILE *f, const struct view *v, enum ls_kind kind,
			const char *title)
{
	if (!count(v, kind, -1))
		return;
	fprintf(f, "  %s\n", title);
	for (size_t i = 0; i < v->r->n_findings; i++) {
		const struct ls_finding *x = &v->r->findings[i];

		if (x->kind != kind || !in_view(v, x))
			continue;
		fputs("    ", f);
		put(f, x->path ? x->path : "?");
		if (kind == LS_KIND_TEMPFILE) {
			fprintf(f, "  (%s, ", x->type);
			print_bytes(f, x->bytes);
			fputc(')', f);
		}
		if (x->has_creator) {
			fputs("  created", f);
			print_when(f, x);
		}
		tag(f, v, x);
		fputc('\n', f);
	}
}

static void print_findings(FILE *f, const struct view *v)
{
	print_processes(f, v, LS_CLASS_ORPHAN,
			"processes still running (orphans)");
	print_processes(f, v, LS_CLASS_ZOMBIE, "zombies (exited, not reaped)");
	print_processes(f, v, LS_CLASS_LEAK,
			"processes the test started and left running (leaks)");
	print_processes(
		f, v, LS_CLASS_LATE,
		"processes that outlived their test, ended later (late)");
	print_loose(f, v,
		    v->test ? "left open by the test"
			    : "created during the watch, still open in "
			      "processes that were there before it");
	print_paths(f, v, LS_KIND_TEMPFILE, "temporary files and directories");
	print_paths(f, v, LS_KIND_CGROUP, "cgroups");
}

/* One section per test that left something, then what no test owns. */
static void print_tests(FILE *f, const struct ls_report *r)
{
	struct view v = { r, NULL };
	size_t with = 0;

	for (size_t t = 0; t < r->n_tests; t++) {
		const struct ls_report_test *rt = &r->tests[t];
		unsigned int n = 0;

		for (int c = 0; c < LS_CLASS_MAX; c++)
			n += rt->by_class[c];
		if (!n)
			continue;
		with++;
		fputs("test ", f);
		put(f, rt->name);
		fprintf(f, "%s%s%s:", rt->outcome ? " (" : "",
			rt->outcome ? rt->outcome : "", rt->outcome ? ")" : "");
		for (int c = 0; c < LS_CLASS_MAX; c++)
			if (rt->by_class[c])
				fprintf(f, " %u %s", rt->by_class[c],
					ls_class_name(c));
		fputs(rt->lossy ? " (confidence reduced: events lost)\n" : "\n",
		      f);
		v.test = rt->name;
		print_findings(f, &v);
	}
	v.test = NULL;
	for (size_t i = 0; i < r->n_findings; i++)
		if (!r->findings[i].test) {
			if (r->n_tests)
				fputs("outside any test:\n", f);
			print_findings(f, &v);
			break;
		}
	if (r->n_tests)
		fprintf(f, "  tests: %zu run, %zu left something behind\n",
			r->n_tests, with);
}

/* "(2 leak, 1 late) " when there are tests; a whole run has orphans. */
static void print_classes(FILE *f, const struct ls_report *r)
{
	unsigned int n[LS_CLASS_MAX] = { 0 };
	bool first = true;

	if (!r->n_tests)
		return;
	for (size_t i = 0; i < r->n_findings; i++)
		n[r->findings[i].cls]++;
	fputc('(', f);
	for (int c = 0; c < LS_CLASS_MAX; c++) {
		if (!n[c])
			continue;
		fprintf(f, "%s%u %s", first ? "" : ", ", n[c],
			ls_class_name(c));
		first = false;
	}
	fputs(") ", f);
}

static void print_headline(FILE *f, const struct ls_report *r)
{
	static const struct {
		enum ls_kind kind;
		const char *one, *many;
	} order[] = {
		{ LS_KIND_PROCESS, "process", "processes" },
		{ LS_KIND_THREAD, "thread", "threads" },
		{ LS_KIND_FD, "fd", "fds" },
		{ LS_KIND_SOCKET, "socket", "sockets" },
		{ LS_KIND_MAPPING, "mapping", "mappings" },
		{ LS_KIND_TEMPFILE, "temporary file", "temporary files" },
		{ LS_KIND_CGROUP, "cgroup", "cgroups" },
	};
	bool first = true;

	fputs("leakscope: ", f);
	if (r->argv) {
		fputc('`', f);
		print_argv(f, r->argv, 60);
		fputc('`', f);
		if (r->exit_kind == LS_CHILD_EXITED)
			fprintf(f, " exited with status %d", r->exit_code);
		else if (r->exit_kind == LS_CHILD_SIGNALED)
			fprintf(f, " was killed by signal %d", r->exit_code);
		else {
			fputs(" could not be started (", f);
			put(f, r->start_error);
			fputc(')', f);
		}
	} else {
		fputs("watched ", f);
		put(f, r->cgroup);
	}
	fprintf(f, " after %.2fs%s", r->duration_s,
		r->interrupted ? " (interrupted)" : "");
	if (!r->n_findings) {
		fputs(": nothing left behind.\n", f);
		return;
	}
	fputs(": left behind ", f);
	print_classes(f, r);
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		size_t n = ls_report_count(r, order[i].kind, LS_CLASS_MAX);

		if (!n)
			continue;
		fprintf(f, "%s%zu %s", first ? "" : ", ", n,
			plural(n, order[i].one, order[i].many));
		first = false;
	}
	fputs(".\n", f);
}

static void print_metrics(FILE *f, const struct ls_report *r)
{
	const struct ls_metrics *m = &r->metrics;

	fprintf(f, "\n  activity        created   released       peak      "
		   "alive\n");
	for (int k = 0; k < LS_KIND_MAX; k++) {
		const struct ls_kind_stats *s = &m->kinds[k];

		fprintf(f, "    %-10s %10llu %10llu %10llu %10llu",
			ls_kind_name(k), (unsigned long long)s->created,
			(unsigned long long)s->released,
			(unsigned long long)s->peak,
			(unsigned long long)s->cur);
		if (k == LS_KIND_MAPPING && s->bytes_peak) {
			fputs("  (peak ", f);
			print_bytes(f, s->bytes_peak);
			fputs(" mapped)", f);
		}
		fputc('\n', f);
	}
	if (r->level == LS_LEVEL_SNAPSHOT)
		fputs("    (level snapshot: fd, socket, mapping and tempfile "
		      "activity is not traced)\n",
		      f);
}

/* What the user can raise so that the next run loses less. */
static void print_remedies(FILE *f, const struct ls_metrics *m)
{
	bool any = false;

	for (int l = 0; l < LS_LOSS_MAX; l++) {
		const char *opt = ls_loss_remedy(l);

		if (!m->losses[l] || !opt)
			continue;
		fprintf(f, "%s%s", any ? ", " : "  to lose less, raise: ", opt);
		any = true;
	}
	if (any)
		fputc('\n', f);
}

static void print_losses(FILE *f, const struct ls_report *r)
{
	const struct ls_metrics *m = &r->metrics;
	bool any = false;

	for (int l = 0; l < LS_LOSS_MAX; l++) {
		if (!m->losses[l])
			continue;
		fprintf(f, "%s%llu %s", any ? ", " : "  LOST: ",
			(unsigned long long)m->losses[l], ls_loss_name(l));
		any = true;
	}
	if (m->malformed) {
		fprintf(f, "%s%llu malformed records", any ? ", " : "  LOST: ",
			(unsigned long long)m->malformed);
		any = true;
	}
	if (any)
		fputs(" -- confidence reduced: details may be missing; "
		      "leftovers were still checked on the live system\n",
		      f);
	else
		fputs("  nothing lost: every event was counted\n", f);
	print_remedies(f, m);
}

static void print_cleanup(FILE *f, const struct ls_report *r)
{
	if (r->cleanup.kept) {
		fprintf(f,
			"  cleanup: --keep-orphans: leftovers left running "
			"in %s\n",
			r->cgroup);
		return;
	}
	if (!r->cleanup.attempted)
		return;
	fputs("  cleanup:", f);
	if (r->cleanup.terminated)
		fprintf(f, " SIGTERM to %u %s;", r->cleanup.terminated,
			plural(r->cleanup.terminated, "process", "processes"));
	if (r->cleanup.killed)
		fputs(" cgroup.kill for what ignored it;", f);
	fprintf(f, " cgroup %s\n",
		r->cleanup.cgroup_removed ? "removed" : "NOT removed");
	if (r->cleanup.error[0]) {
		fputs("  cleanup problem: ", f);
		put(f, r->cleanup.error);
		fputc('\n', f);
	}
}

int ls_report_write_text(const struct ls_report *r, FILE *f)
{
	print_headline(f, r);
	print_tests(f, r);
	print_metrics(f, r);
	print_losses(f, r);
	print_cleanup(f, r);
	for (int i = 0; i < r->n_notes; i++) {
		fputs("  note: ", f);
		put(f, r->notes[i]);
		fputc('\n', f);
	}
	fflush(f);
	return ferror(f) ? -EIO : 0;
}
