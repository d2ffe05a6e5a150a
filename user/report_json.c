// SPDX-License-Identifier: GPL-2.0
/*
 * report_json.c - the report as JSON, schema "leakscope.report/1"
 * (docs/report-schema.md). Every finding carries kind, class, test, pid and
 * comm; kind-specific keys are present for their kind, null when unknown.
 */
#include <stdio.h>
#include <string.h>
#include "hooks.h"
#include "json.h"
#include "report.h"

#define SCHEMA "leakscope.report/1"

static void kv_opt_string(struct ls_json *j, const char *key, const char *s)
{
	if (s && *s)
		ls_json_kv_string(j, key, s);
	else
		ls_json_kv_null(j, key);
}

static void kv_opt_int(struct ls_json *j, const char *key, long long v)
{
	if (v >= 0)
		ls_json_kv_int(j, key, v);
	else
		ls_json_kv_null(j, key);
}

/* @v with @places decimals if @known, else null. */
static void kv_opt_double(struct ls_json *j, const char *key, bool known,
			  double v, int places)
{
	if (known)
		ls_json_kv_double(j, key, v, places);
	else
		ls_json_kv_null(j, key);
}

static void write_argv(struct ls_json *j, const char *key, char **argv)
{
	ls_json_key(j, key);
	if (!argv) {
		ls_json_null(j);
		return;
	}
	ls_json_begin_array(j);
	for (char **a = argv; *a; a++)
		ls_json_string(j, *a);
	ls_json_end_array(j);
}

static void write_creator(struct ls_json *j, const struct ls_finding *f)
{
	ls_json_key(j, "created_by");
	if (!f->has_creator) {
		ls_json_null(j);
	} else {
		ls_json_begin_object(j);
		kv_opt_int(j, "pid", f->creator_pid ? f->creator_pid : -1);
		kv_opt_int(j, "tid", f->creator_tid ? f->creator_tid : -1);
		kv_opt_string(j, "comm", f->creator_comm);
		ls_json_end_object(j);
	}
	kv_opt_double(j, "created_at_s", f->created_at >= 0, f->created_at, 6);
}

static const char *prot_name(unsigned int prot)
{
	static const char *const names[8] = { "---", "r--", "-w-", "rw-",
					      "--x", "r-x", "-wx", "rwx" };

	return names[prot & 7];
}

static void write_socket(struct ls_json *j, const struct ls_finding *f)
{
	kv_opt_string(j, "family", f->family);
	kv_opt_string(j, "sock_type", f->sock_type);
	kv_opt_string(j, "protocol", f->protocol);
	kv_opt_string(j, "state", f->state);
	kv_opt_string(j, "local_addr", f->local_addr);
	kv_opt_int(j, "local_port", f->local_port);
	kv_opt_string(j, "peer_addr", f->peer_addr);
	kv_opt_int(j, "peer_port", f->peer_port);
	kv_opt_string(j, "database", f->database);
}

static void write_stack(struct ls_json *j, const struct ls_finding *f)
{
	ls_json_key(j, "stack");
	if (!f->stack) {
		ls_json_null(j);
		return;
	}
	ls_json_begin_array(j);
	for (char **s = f->stack; *s; s++)
		ls_json_string(j, *s);
	ls_json_end_array(j);
}

void ls_report_json_finding(struct ls_json *j, const struct ls_finding *f)
{
	ls_json_begin_object(j);
	ls_json_kv_string(j, "kind", ls_kind_name(f->kind));
	ls_json_kv_string(j, "class", ls_class_name(f->cls));
	kv_opt_string(j, "test", f->test);
	kv_opt_int(j, "pid", f->pid ? f->pid : -1);
	kv_opt_string(j, "comm", f->comm);
	switch (f->kind) {
	case LS_KIND_FD:
	case LS_KIND_SOCKET:
		ls_json_kv_int(j, "fd", f->fd);
		kv_opt_string(j, "type", f->type);
		kv_opt_string(j, "path", f->path);
		if (f->kind == LS_KIND_SOCKET)
			write_socket(j, f);
		break;
	case LS_KIND_PROCESS:
		kv_opt_int(j, "ppid", f->ppid);
		write_argv(j, "argv", f->argv);
		ls_json_kv_int(j, "threads", f->threads);
		ls_json_kv_uint(j, "rss_bytes", f->rss_bytes);
		kv_opt_string(j, "inherited_fds", f->inherited_fds);
		kv_opt_string(j, "moved_out_to", f->path);
		if (f->cls == LS_CLASS_ZOMBIE)
			ls_json_kv_int(j, "exit_status", f->exit_status);
		break;
	case LS_KIND_THREAD:
		ls_json_kv_int(j, "tid", f->tid);
		break;
	case LS_KIND_TEMPFILE:
		kv_opt_string(j, "path", f->path);
		kv_opt_string(j, "type", f->type);
		ls_json_kv_uint(j, "bytes", f->bytes);
		break;
	case LS_KIND_CGROUP:
		kv_opt_string(j, "path", f->path);
		ls_json_kv_uint(j, "cgroup_id", f->cgid);
		break;
	case LS_KIND_MAPPING:
		kv_opt_string(j, "path", f->path);
		ls_json_kv_uint(j, "bytes", f->bytes);
		ls_json_kv_uint(j, "addr", f->addr);
		ls_json_kv_string(j, "prot", prot_name(f->prot));
		break;
	default:
		break;
	}
	write_creator(j, f);
	write_stack(j, f);
	ls_json_end_object(j);
}

static void write_command(struct ls_json *j, const struct ls_report *r)
{
	write_argv(j, "command", r->argv);
	ls_json_key(j, "exit");
	if (r->exit_kind == LS_CHILD_NONE) {
		ls_json_null(j);
		return;
	}
	ls_json_begin_object(j);
	ls_json_kv_string(j, "status",
			  r->exit_kind == LS_CHILD_EXITED     ? "exited"
			  : r->exit_kind == LS_CHILD_SIGNALED ? "signaled"
							      : "not_started");
	if (r->exit_kind == LS_CHILD_EXITED)
		ls_json_kv_int(j, "code", r->exit_code);
	else
		ls_json_kv_null(j, "code");
	if (r->exit_kind == LS_CHILD_SIGNALED)
		ls_json_kv_int(j, "signal", r->exit_code);
	else
		ls_json_kv_null(j, "signal");
	kv_opt_string(j, "error", r->start_error);
	ls_json_end_object(j);
}

static void write_summary(struct ls_json *j, const struct ls_report *r)
{
	ls_json_key(j, "summary");
	ls_json_begin_object(j);
	ls_json_kv_uint(j, "findings", r->n_findings);
	ls_json_key(j, "by_kind");
	ls_json_begin_object(j);
	for (int k = 0; k < LS_KIND_MAX; k++)
		ls_json_kv_uint(j, ls_kind_name(k),
				ls_report_count(r, k, LS_CLASS_MAX));
	ls_json_end_object(j);
	ls_json_key(j, "by_class");
	ls_json_begin_object(j);
	for (int c = 0; c < LS_CLASS_MAX; c++) {
		size_t n = 0;

		for (size_t i = 0; i < r->n_findings; i++)
			n += r->findings[i].cls == (enum ls_class)c;
		ls_json_kv_uint(j, ls_class_name(c), n);
	}
	ls_json_end_object(j);
	ls_json_kv_uint(j, "suppressed", r->suppressed);
	ls_json_end_object(j);
}

static void write_test(struct ls_json *j, const struct ls_report_test *t)
{
	ls_json_begin_object(j);
	ls_json_kv_string(j, "name", t->name);
	ls_json_kv_uint(j, "id", t->id);
	kv_opt_string(j, "outcome", t->outcome);
	ls_json_kv_double(j, "begin_s", t->begin_s, 6);
	ls_json_kv_double(j, "duration_s", t->duration_s, 6);
	ls_json_key(j, "findings");
	ls_json_begin_object(j);
	for (int c = 0; c < LS_CLASS_MAX; c++)
		ls_json_kv_uint(j, ls_class_name(c), t->by_class[c]);
	ls_json_end_object(j);
	ls_json_kv_uint(j, "suppressed", t->suppressed);
	ls_json_kv_uint(j, "allowed", t->allowed);
	ls_json_kv_string(j, "confidence", t->lossy ? "reduced" : "full");
	ls_json_key(j, "counts");
	ls_json_begin_object(j);
	for (int k = 0; k < LS_KIND_MAX; k++) {
		ls_json_key(j, ls_kind_name(k));
		ls_json_begin_object(j);
		ls_json_kv_uint(j, "created", t->counts.created[k]);
		ls_json_kv_uint(j, "released", t->counts.released[k]);
		ls_json_kv_uint(j, "peak", t->counts.peak[k]);
		ls_json_end_object(j);
	}
	ls_json_end_object(j);
	ls_json_end_object(j);
}

static void write_tests(struct ls_json *j, const struct ls_report *r)
{
	ls_json_key(j, "tests");
	ls_json_begin_array(j);
	for (size_t i = 0; i < r->n_tests; i++)
		write_test(j, &r->tests[i]);
	ls_json_end_array(j);
}

static void write_metrics(struct ls_json *j, const struct ls_report *r)
{
	const struct ls_metrics *m = &r->metrics;

	ls_json_key(j, "metrics");
	ls_json_begin_object(j);
	for (int k = 0; k < LS_KIND_MAX; k++) {
		const struct ls_kind_stats *s = &m->kinds[k];

		ls_json_key(j, ls_kind_name(k));
		ls_json_begin_object(j);
		ls_json_kv_uint(j, "created", s->created);
		ls_json_kv_uint(j, "released", s->released);
		ls_json_kv_uint(j, "peak", s->peak);
		ls_json_kv_uint(j, "alive", s->cur);
		if (k == LS_KIND_MAPPING) {
			ls_json_kv_uint(j, "bytes_peak", s->bytes_peak);
			ls_json_kv_uint(j, "bytes_alive", s->bytes_cur);
			ls_json_kv_uint(j, "heap_bytes_peak", s->heap_peak);
		}
		ls_json_end_object(j);
	}
	ls_json_end_object(j);
	ls_json_key(j, "events");
	ls_json_begin_object(j);
	for (int e = 1; e < LS_EV_MAX; e++) {
		ls_json_key(j, ls_event_name(e));
		ls_json_begin_object(j);
		ls_json_kv_uint(j, "seen", m->events[e]);
		ls_json_kv_uint(j, "received", m->received[e]);
		ls_json_end_object(j);
	}
	ls_json_end_object(j);
}

static void write_losses(struct ls_json *j, const struct ls_report *r)
{
	ls_json_key(j, "losses");
	ls_json_begin_object(j);
	for (int l = 0; l < LS_LOSS_MAX; l++)
		ls_json_kv_uint(j, ls_loss_name(l), r->metrics.losses[l]);
	ls_json_kv_uint(j, "malformed_records", r->metrics.malformed);
	ls_json_kv_string(j, "confidence",
			  ls_report_lossy(r) ? "reduced" : "full");
	ls_json_end_object(j);
}

static void write_agent(struct ls_json *j, const struct ls_report *r)
{
	ls_json_key(j, "agent");
	ls_json_begin_object(j);
	ls_json_kv_double(j, "startup_ms", r->agent.startup_ms, 3);
	ls_json_kv_double(j, "cpu_ms", r->agent.cpu_ms, 3);
	ls_json_kv_uint(j, "max_rss_kib", r->agent.max_rss_kib);
	ls_json_key(j, "bpf_programs");
	if (!r->agent.progs) {
		ls_json_null(j);
	} else {
		ls_json_begin_array(j);
		for (size_t i = 0; i < r->agent.n_progs; i++) {
			const struct ls_prog_stat *p = &r->agent.progs[i];

			ls_json_begin_object(j);
			ls_json_kv_string(j, "name", p->name);
			ls_json_kv_uint(j, "runs", p->runs);
			ls_json_kv_uint(j, "ns", p->ns);
			ls_json_kv_double(j, "ns_per_run",
					  p->runs ? (double)p->ns / p->runs : 0,
					  1);
			ls_json_end_object(j);
		}
		ls_json_end_array(j);
	}
	ls_json_end_object(j);
}

static void write_cleanup(struct ls_json *j, const struct ls_report *r)
{
	ls_json_key(j, "cleanup");
	if (!r->cleanup.attempted && !r->cleanup.kept) {
		ls_json_null(j);
		return;
	}
	ls_json_begin_object(j);
	ls_json_kv_bool(j, "kept_orphans", r->cleanup.kept);
	ls_json_kv_uint(j, "sigterm_sent", r->cleanup.terminated);
	ls_json_kv_bool(j, "cgroup_killed", r->cleanup.killed);
	ls_json_kv_bool(j, "cgroup_removed", r->cleanup.cgroup_removed);
	kv_opt_string(j, "error", r->cleanup.error);
	ls_json_end_object(j);
}

static void write_watch(struct ls_json *j, const struct ls_report *r)
{
	char when[32];
	struct tm tm;

	ls_json_kv_string(j, "schema", SCHEMA);
	ls_json_kv_string(j, "leakscope_version", LEAKSCOPE_VERSION);
	ls_json_kv_string(j, "mode", r->mode);
	ls_json_kv_string(j, "run_id", r->run_id);
	gmtime_r(&r->started, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	ls_json_kv_string(j, "started_at", when);
	ls_json_kv_double(j, "duration_s", r->duration_s, 3);
	ls_json_kv_string(j, "cgroup", r->cgroup);
	ls_json_kv_string(j, "level", r->level ? "full" : "snapshot");
	kv_opt_double(j, "created_at_tick_ms", r->created_at_tick_ms > 0,
		      r->created_at_tick_ms, 3);
	ls_json_kv_bool(j, "interrupted", r->interrupted);
	kv_opt_string(j, "interrupt_reason", r->interrupt_reason);
	ls_json_key(j, "attach");
	ls_json_begin_object(j);
	for (int k = 0; k < LS_HOOK_MAX; k++)
		if (r->attach[k])
			ls_json_kv_string(j, ls_hook_name(k), r->attach[k]);
	ls_json_end_object(j);
	kv_opt_string(j, "untraced_syscalls", r->missing_sys);
}

int ls_report_write_json(const struct ls_report *r, FILE *f)
{
	struct ls_json j;

	ls_json_init(&j, f, true);
	ls_json_begin_object(&j);
	write_watch(&j, r);
	write_command(&j, r);
	write_summary(&j, r);
	ls_json_key(&j, "findings");
	ls_json_begin_array(&j);
	for (size_t i = 0; i < r->n_findings; i++)
		ls_report_json_finding(&j, &r->findings[i]);
	ls_json_end_array(&j);
	write_tests(&j, r);
	write_metrics(&j, r);
	write_losses(&j, r);
	write_cleanup(&j, r);
	write_agent(&j, r);
	ls_json_key(&j, "notes");
	ls_json_begin_array(&j);
	for (int i = 0; i < r->n_notes; i++)
		ls_json_string(&j, r->notes[i]);
	ls_json_end_array(&j);
	ls_json_end_object(&j);
	return ls_json_finish(&j);
}
