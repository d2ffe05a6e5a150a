// SPDX-License-Identifier: GPL-2.0
/*
 * test_report_json.c - unit tests for user/report_json.c, on reports built
 * by hand.
 *
 * The document is parsed by python3 (strict: valid UTF-8, no NaN, no
 * duplicate keys) and each documented key is compared exactly, as python's
 * json.dumps(..., sort_keys=True) of the value: the top level, findings of
 * each kind, summary, metrics, losses, cleanup and notes; hostile strings
 * must round trip.
 *
 * Must not: leave files behind (each JSON document is a mkstemp file that
 * the teardown removes) or leak (report_fx.h).
 */
#include "report_fx.h"

#define PYTHON "/usr/bin/python3"

/* ---- JSON, read back by python ---- */

static const char py_script[] =
	"import json, sys\n"
	"raw = open(sys.argv[1], 'rb').read()\n"
	"txt = raw.decode('utf-8')\n"
	"def pairs(ps):\n"
	"    keys = [k for k, _ in ps]\n"
	"    if len(keys) != len(set(keys)):\n"
	"        raise ValueError('duplicate key in %r' % keys)\n"
	"    return dict(ps)\n"
	"def const(c):\n"
	"    raise ValueError('not JSON: ' + c)\n"
	"d = json.loads(txt, object_pairs_hook=pairs, parse_constant=const)\n"
	"print(json.dumps(eval(sys.argv[2]), sort_keys=True))\n";

static void write_json(struct fx *fx)
{
	FILE *f;
	int fd, rc;

	if (fx->json[0])
		unlink(fx->json);
	snprintf(fx->json, sizeof(fx->json), "/tmp/ls-unit-report-XXXXXX");
	fd = mkstemp(fx->json);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	rc = ls_report_write_json(&fx->r, f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(rc, 0);
}

/* python's json.dumps of @expr over the document `d`; NULL if it failed. */
static const char *py(const struct fx *fx, const char *expr)
{
	static char out[1 << 18];
	size_t len = 0;
	int pfd[2], status;
	ssize_t n;
	pid_t pid;

	assert_true(fx->json[0]);
	assert_int_equal(pipe(pfd), 0);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(pfd[1], 1);
		close(pfd[0]);
		close(pfd[1]);
		execl(PYTHON, "python3", "-c", py_script, fx->json, expr,
		      (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	while ((n = read(pfd[0], out + len, sizeof(out) - 1 - len)) > 0)
		len += n;
	close(pfd[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	out[len] = 0;
	if (len && out[len - 1] == '\n')
		out[len - 1] = 0;
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		return NULL;
	return out;
}

static void check_py(const struct fx *fx, const char *expr, const char *want,
		     const char *file, int line)
{
	const char *got = py(fx, expr);

	if (!got) {
		print_error("%s:%d: python failed on %s\n", file, line, expr);
		fail();
	}
	if (strcmp(got, want)) {
		print_error("%s:%d: %s\n  got  %s\n  want %s\n", file, line,
			    expr, got, want);
		fail();
	}
}

/* python: json.dumps(EXPR) == WANT, with `d` the parsed document. */
#define ASSERT_PY(fx, expr, want) check_py(fx, expr, want, __FILE__, __LINE__)

/* Hex of @s's bytes, as python's .encode('utf-8').hex() gives them. */
static const char *hex_quoted(const char *s, size_t n)
{
	static char out[1 << 16];
	size_t k = 0;

	out[k++] = '"';
	for (size_t i = 0; i < n && k + 3 < sizeof(out); i++)
		k += sprintf(out + k, "%02x", (unsigned char)s[i]);
	out[k++] = '"';
	out[k] = 0;
	return out;
}

/* ---- JSON: the document ---- */

static void test_json_top_level(void **state)
{
	struct fx *fx = *state;
	char *argv[] = { "true", NULL };

	fx->r.argv = argv;
	fx->r.exit_kind = LS_CHILD_EXITED;
	fx->r.exit_code = 0;
	write_json(fx);
	ASSERT_PY(fx, "sorted(d)",
		  "[\"agent\", \"attach\", \"cgroup\", \"cleanup\", "
		  "\"command\", \"created_at_tick_ms\", \"duration_s\", "
		  "\"events\", \"exit\", "
		  "\"findings\", \"interrupt_reason\", \"interrupted\", "
		  "\"leakscope_version\", "
		  "\"level\", \"losses\", \"metrics\", \"mode\", \"notes\", "
		  "\"run_id\", \"schema\", \"started_at\", \"summary\", "
		  "\"tests\", \"untraced_syscalls\"]");
	ASSERT_PY(fx, "sorted(d['agent'])",
		  "[\"bpf_programs\", \"cpu_ms\", \"max_rss_kib\", "
		  "\"startup_ms\"]");
	ASSERT_PY(fx, "d['agent']['bpf_programs']", "null");
	ASSERT_PY(fx, "d['schema']", "\"leakscope.report/1\"");
	ASSERT_PY(fx, "d['leakscope_version']", "\"" LEAKSCOPE_VERSION "\"");
	ASSERT_PY(
		fx, "[d['mode'], d['run_id'], d['cgroup'], d['level']]",
		"[\"run\", \"run-1\", \"/sys/fs/cgroup/ls/run-1\", \"full\"]");
	ASSERT_PY(fx, "[d['started_at'], d['duration_s']]",
		  "[\"1971-01-01T00:00:00Z\", 1.5]");
	ASSERT_PY(fx, "[d['interrupted'], d['interrupt_reason']]",
		  "[false, null]");
	ASSERT_PY(fx, "[d['attach'], d['untraced_syscalls']]", "[{}, null]");
	ASSERT_PY(fx, "d['created_at_tick_ms']", "null");
	ASSERT_PY(fx, "d['command']", "[\"true\"]");
	ASSERT_PY(fx, "d['exit']",
		  "{\"code\": 0, \"error\": null, \"signal\": null, "
		  "\"status\": \"exited\"}");
	ASSERT_PY(fx, "[d['findings'], d['notes'], d['cleanup']]",
		  "[[], [], null]");
	ASSERT_PY(fx, "d['summary']",
		  "{\"by_class\": {\"late\": 0, \"leak\": 0, \"orphan\": 0, "
		  "\"zombie\": 0}, \"by_kind\": {\"cgroup\": 0, \"fd\": 0, "
		  "\"mapping\": 0, \"process\": 0, \"socket\": 0, "
		  "\"tempfile\": 0, \"thread\": 0}, \"findings\": 0, "
		  "\"suppressed\": 0}");
	ASSERT_PY(fx, "d['losses']['confidence']", "\"full\"");
}

static void test_json_attach_mode(void **state)
{
	struct fx *fx = *state;

	fx->r.mode = "attach";
	fx->r.level = LS_LEVEL_SNAPSHOT;
	fx->r.interrupted = true;
	fx->r.interrupt_reason = "SIGINT";
	fx->r.attach[LS_HOOK_PROC] = "tp_btf";
	fx->r.attach[LS_HOOK_TEMP] = "tracepoint";
	snprintf(fx->r.missing_sys, sizeof(fx->r.missing_sys), "openat2");
	fx->r.created_at_tick_ms = 4;
	write_json(fx);
	ASSERT_PY(fx, "[d['mode'], d['level'], d['command'], d['exit']]",
		  "[\"attach\", \"snapshot\", null, null]");
	ASSERT_PY(fx, "[d['interrupted'], d['interrupt_reason']]",
		  "[true, \"SIGINT\"]");
	ASSERT_PY(fx, "d['attach']",
		  "{\"proc\": \"tp_btf\", \"temp\": \"tracepoint\"}");
	ASSERT_PY(fx, "d['untraced_syscalls']", "\"openat2\"");
	ASSERT_PY(fx, "d['created_at_tick_ms']", "4.0");
}

static void test_json_exit_kinds(void **state)
{
	struct fx *fx = *state;
	char *argv[] = { "sleep", "100", NULL };

	fx->r.argv = argv;
	fx->r.exit_kind = LS_CHILD_SIGNALED;
	fx->r.exit_code = 9;
	write_json(fx);
	ASSERT_PY(fx, "d['exit']",
		  "{\"code\": null, \"error\": null, \"signal\": 9, "
		  "\"status\": \"signaled\"}");
	ASSERT_PY(fx, "d['command']", "[\"sleep\", \"100\"]");
	fx->r.exit_kind = LS_CHILD_NOT_STARTED;
	fx->r.exit_code = 0;
	snprintf(fx->r.start_error, sizeof(fx->r.start_error),
		 "No such file or directory");
	write_json(fx);
	ASSERT_PY(fx, "d['exit']",
		  "{\"code\": null, \"error\": \"No such file or directory\", "
		  "\"signal\": null, \"status\": \"not_started\"}");
	fx->r.exit_kind = LS_CHILD_EXITED;
	fx->r.exit_code = 3;
	fx->r.start_error[0] = 0;
	write_json(fx);
	ASSERT_PY(fx, "d['exit']",
		  "{\"code\": 3, \"error\": null, \"signal\": null, "
		  "\"status\": \"exited\"}");
}

/* ---- JSON: findings of each kind ---- */

static void test_json_process(void **state)
{
	struct fx *fx = *state;
	struct ls_finding *f = add_process(fx, LS_CLASS_ORPHAN, 100, "sleep");

	f->ppid = 1;
	f->argv = heap_argv("sleep", "100", NULL);
	f->threads = 2;
	f->rss_bytes = 4096;
	snprintf(f->inherited_fds, sizeof(f->inherited_fds), "0,1,2");
	f->test = strdup("test_a");
	f->path = strdup("/elsewhere");
	creator(f, 99, 98, "sh", 0.25);
	write_json(fx);
	ASSERT_PY(fx, "d['findings'][0]",
		  "{\"argv\": [\"sleep\", \"100\"], \"class\": \"orphan\", "
		  "\"comm\": \"sleep\", \"created_at_s\": 0.25, "
		  "\"created_by\": {\"comm\": \"sh\", \"pid\": 99, "
		  "\"tid\": 98}, \"inherited_fds\": \"0,1,2\", "
		  "\"kind\": \"process\", \"moved_out_to\": \"/elsewhere\", "
		  "\"pid\": 100, \"ppid\": 1, "
		  "\"rss_bytes\": 4096, \"stack\": null, \"test\": \"test_a\", "
		  "\"threads\": 2}");
}

static void test_json_process_unknowns(void **state)
{
	struct fx *fx = *state;
	struct ls_finding *f = add_process(fx, LS_CLASS_ORPHAN, 100, "");

	f->ppid = 0;
	f->rss_bytes = UINT64_MAX;
	creator(f, 0, 0, "", -1);
	write_json(fx);
	ASSERT_PY(
		fx, "d['findings'][0]",
		"{\"argv\": null, \"class\": \"orphan\", \"comm\": null, "
		"\"created_at_s\": null, \"created_by\": {\"comm\": null, "
		"\"pid\": null, \"tid\": null}, \"inherited_fds\": null, "
		"\"kind\": \"process\", \"moved_out_to\": null, \"pid\": 100, "
		"\"ppid\": 0, "
		"\"rss_bytes\": 18446744073709551615, \"stack\": null, "
		"\"test\": null, "
		"\"threads\": 1}");
}

static void test_json_zombie(void **state)
{
	struct fx *fx = *state;
	struct ls_finding *f = add_process(fx, LS_CLASS_ZOMBIE, 300, "defunct");

	f->ppid = 100;
	f->exit_status = 256;
	f->threads = 0;
	write_json(fx);
	ASSERT_PY(fx, "d['findings'][0]",
		  "{\"argv\": null, \"class\": \"zombie\", \"comm\": "
		  "\"defunct\", \"created_at_s\": null, \"created_by\": null, "
		  "\"exit_status\": 256, \"inherited_fds\": null, "
		  "\"kind\": \"process\", \"moved_out_to\": null, "
		  "\"pid\": 300, \"ppid\": 100, "
		  "\"rss_bytes\": 0, \"stack\": null, \"test\": null, "
		  "\"threads\": 0}");
}

static void test_json_fd(void **state)
{
	struct fx *fx = *state;
	struct ls_finding *f;

	add_fd(fx, 100, "srv", 3, "file", "/tmp/log");
	f = add_fd(fx, 100, "srv", 7, "eventfd", "anon_inode:[eventfd]");
	creator(f, 100, 101, "srv-worker", 2);
	write_json(fx);
	ASSERT_PY(fx, "d['findings'][0]",
		  "{\"class\": \"orphan\", \"comm\": \"srv\", "
		  "\"created_at_s\": null, \"created_by\": null, \"fd\": 3, "
		  "\"kind\": \"fd\", \"path\": \"/tmp/log\", \"pid\": 100, "
		  "\"stack\": null, \"test\": null, \"type\": \"file\"}");
	ASSERT_PY(fx, "d['findings'][1]",
		  "{\"class\": \"orphan\", \"comm\": \"srv\", "
		  "\"created_at_s\": 2.0, \"created_by\": {\"comm\": "
		  "\"srv-worker\", \"pid\": 100, \"tid\": 101}, \"fd\": 7, "
		  "\"kind\": \"fd\", \"path\": \"anon_inode:[eventfd]\", "
		  "\"pid\": 100, \"stack\": null, \"test\": null, \"type\": "
		  "\"eventfd\"}");
}

static void test_json_socket(void **state)
{
	struct fx *fx = *state;
	struct ls_finding *f =
		add(fx, LS_KIND_SOCKET, LS_CLASS_LEAK, 100, "db");

	f->fd = 4;
	f->type = "socket";
	f->path = strdup("socket:[555]");
	f->family = "inet";
	f->sock_type = "stream";
	f->protocol = "tcp";
	f->state = "ESTABLISHED";
	snprintf(f->local_addr, sizeof(f->local_addr), "127.0.0.1");
	f->local_port = 40000;
	snprintf(f->peer_addr, sizeof(f->peer_addr), "127.0.0.1");
	f->peer_port = 5432;
	f->database = "postgresql";
	/* A socket nothing is known about but its fd. */
	f = add(fx, LS_KIND_SOCKET, LS_CLASS_ORPHAN, 100, "db");
	f->fd = 5;
	write_json(fx);
	ASSERT_PY(fx, "d['findings'][0]",
		  "{\"class\": \"leak\", \"comm\": \"db\", \"created_at_s\": "
		  "null, \"created_by\": null, \"database\": \"postgresql\", "
		  "\"family\": \"inet\", \"fd\": 4, \"kind\": \"socket\", "
		  "\"local_addr\": \"127.0.0.1\", \"local_port\": 40000, "
		  "\"path\": \"socket:[555]\", \"peer_addr\": \"127.0.0.1\", "
		  "\"peer_port\": 5432, \"pid\": 100, \"protocol\": \"tcp\", "
		  "\"sock_type\": \"stream\", \"stack\": null, \"state\": "
		  "\"ESTABLISHED\", "
		  "\"test\": null, \"type\": \"socket\"}");
	ASSERT_PY(fx, "d['findings'][1]",
		  "{\"class\": \"orphan\", \"comm\": \"db\", \"created_at_s\": "
		  "null, \"created_by\": null, \"database\": null, "
		  "\"family\": null, \"fd\": 5, \"kind\": \"socket\", "
		  "\"local_addr\": null, \"local_port\": null, \"path\": null, "
		  "\"peer_addr\": null, \"peer_port\": null, \"pid\": 100, "
		  "\"protocol\": null, \"sock_type\": null, \"stack\": null, "
		  "\"state\": null, "
		  "\"test\": null, \"type\": null}");
}

static void test_json_other_kinds(void **state)
{
	struct fx *fx = *state;
	struct ls_finding *f;

	f = add(fx, LS_KIND_TEMPFILE, LS_CLASS_ORPHAN, 5, "touch");
	f->path = strdup("/tmp/x");
	f->type = "file";
	f->bytes = 123;
	creator(f, 5, 5, "touch", 0.1);
	f = add(fx, LS_KIND_CGROUP, LS_CLASS_ORPHAN, 0, "");
	f->path = strdup("/sys/fs/cgroup/ls/run-1/child");
	f->cgid = 12345;
	f = add(fx, LS_KIND_THREAD, LS_CLASS_ORPHAN, 100, "worker");
	f->tid = 101;
	f = add(fx, LS_KIND_MAPPING, LS_CLASS_LATE, 100, "srv");
	f->path = strdup("/dev/shm/seg");
	f->bytes = 1 << 20;
	write_json(fx);
	ASSERT_PY(fx, "d['findings'][0]",
		  "{\"bytes\": 123, \"class\": \"orphan\", \"comm\": "
		  "\"touch\", \"created_at_s\": 0.1, \"created_by\": "
		  "{\"comm\": \"touch\", \"pid\": 5, \"tid\": 5}, \"kind\": "
		  "\"tempfile\", \"path\": \"/tmp/x\", \"pid\": 5, \"stack\": "
		  "null, \"test\": "
		  "null, \"type\": \"file\"}");
	ASSERT_PY(fx, "d['findings'][1]",
		  "{\"cgroup_id\": 12345, \"class\": \"orphan\", \"comm\": "
		  "null, \"created_at_s\": null, \"created_by\": null, "
		  "\"kind\": \"cgroup\", \"path\": "
		  "\"/sys/fs/cgroup/ls/run-1/child\", \"pid\": null, "
		  "\"stack\": null, \"test\": "
		  "null}");
	ASSERT_PY(fx, "d['findings'][2]",
		  "{\"class\": \"orphan\", \"comm\": \"worker\", "
		  "\"created_at_s\": null, \"created_by\": null, \"kind\": "
		  "\"thread\", \"pid\": 100, \"stack\": null, \"test\": null, "
		  "\"tid\": 101}");
	ASSERT_PY(fx, "d['findings'][3]",
		  "{\"addr\": 0, \"bytes\": 1048576, \"class\": \"late\", "
		  "\"comm\": \"srv\", \"created_at_s\": null, \"created_by\": "
		  "null, \"kind\": \"mapping\", \"path\": \"/dev/shm/seg\", "
		  "\"pid\": 100, \"prot\": \"---\", \"stack\": null, "
		  "\"test\": null}");
}

/* ---- JSON: summary, metrics, losses, cleanup, notes ---- */

static void test_json_summary(void **state)
{
	struct fx *fx = *state;

	add_process(fx, LS_CLASS_ORPHAN, 100, "a");
	add_process(fx, LS_CLASS_ZOMBIE, 101, "b");
	add_fd(fx, 100, "a", 3, "file", "/x");
	add_fd(fx, 100, "a", 4, "file", "/y");
	add(fx, LS_KIND_SOCKET, LS_CLASS_LEAK, 100, "a");
	add(fx, LS_KIND_TEMPFILE, LS_CLASS_LATE, 100, "a");
	fx->r.suppressed = 2;
	write_json(fx);
	ASSERT_PY(fx, "d['summary']",
		  "{\"by_class\": {\"late\": 1, \"leak\": 1, \"orphan\": 3, "
		  "\"zombie\": 1}, \"by_kind\": {\"cgroup\": 0, \"fd\": 2, "
		  "\"mapping\": 0, \"process\": 2, \"socket\": 1, "
		  "\"tempfile\": 1, \"thread\": 0}, \"findings\": 6, "
		  "\"suppressed\": 2}");
	ASSERT_PY(fx, "[f['kind'] for f in d['findings']]",
		  "[\"process\", \"process\", \"fd\", \"fd\", \"socket\", "
		  "\"tempfile\"]");
}

static void test_json_metrics(void **state)
{
	struct fx *fx = *state;
	struct ls_metrics *m = &fx->r.metrics;

	m->kinds[LS_KIND_FD] = (struct ls_kind_stats){
		.created = 5, .released = 3, .cur = 2, .peak = 4
	};
	m->kinds[LS_KIND_MAPPING] =
		(struct ls_kind_stats){ .created = 9,
					.released = 1,
					.cur = 8,
					.peak = 8,
					.bytes_cur = 4096,
					.bytes_peak = 8192,
					.heap_cur = 1,
					.heap_peak = 65536 };
	m->events[LS_EV_PROC_FORK] = 3;
	m->received[LS_EV_PROC_FORK] = 2;
	m->received[LS_EV_SOCK_STATE] = 7;
	write_json(fx);
	ASSERT_PY(fx, "sorted(d['metrics'])",
		  "[\"cgroup\", \"fd\", \"mapping\", \"process\", \"socket\", "
		  "\"tempfile\", \"thread\"]");
	ASSERT_PY(fx, "d['metrics']['fd']",
		  "{\"alive\": 2, \"created\": 5, \"peak\": 4, "
		  "\"released\": 3}");
	ASSERT_PY(fx, "d['metrics']['mapping']",
		  "{\"alive\": 8, \"bytes_alive\": 4096, \"bytes_peak\": 8192, "
		  "\"created\": 9, \"heap_bytes_peak\": 65536, \"peak\": 8, "
		  "\"released\": 1}");
	ASSERT_PY(fx, "d['metrics']['thread']",
		  "{\"alive\": 0, \"created\": 0, \"peak\": 0, "
		  "\"released\": 0}");
	ASSERT_PY(fx, "list(d['events'])",
		  "[\"fork\", \"exec\", \"exit\", \"reap\", \"thread_new\", "
		  "\"thread_exit\", \"fd_open\", \"fd_close\", \"mmap\", "
		  "\"munmap\", \"temp_create\", \"temp_unlink\", "
		  "\"temp_rename\", \"cgroup_mkdir\", \"cgroup_rmdir\", "
		  "\"tcp_state\", \"leak_released\"]");
	ASSERT_PY(fx, "d['events']['fork']", "{\"received\": 2, \"seen\": 3}");
	ASSERT_PY(fx, "d['events']['tcp_state']",
		  "{\"received\": 7, \"seen\": 0}");
}

static void test_json_losses(void **state)
{
	struct fx *fx = *state;

	write_json(fx);
	ASSERT_PY(fx, "d['losses']",
		  "{\"cgroup_table_full\": 0, \"confidence\": \"full\", "
		  "\"malformed_records\": 0, \"object_table_full\": 0, "
		  "\"origin_table_full\": 0, \"path_truncated\": 0, "
		  "\"process_table_full\": 0, \"ringbuf_full\": 0, "
		  "\"stack_table_full\": 0, \"thread_table_full\": 0}");
	fx->r.metrics.losses[LS_LOSS_RINGBUF] = 17;
	write_json(fx);
	ASSERT_PY(fx,
		  "[d['losses']['ringbuf_full'], d['losses']['confidence']]",
		  "[17, \"reduced\"]");
	fx->r.metrics.losses[LS_LOSS_RINGBUF] = 0;
	fx->r.metrics.losses[LS_LOSS_DEPARTED_TABLE] = 1;
	write_json(fx);
	ASSERT_PY(fx,
		  "[d['losses']['origin_table_full'], "
		  "d['losses']['confidence']]",
		  "[1, \"reduced\"]");
	fx->r.metrics.losses[LS_LOSS_DEPARTED_TABLE] = 0;
	fx->r.metrics.malformed = 4;
	write_json(fx);
	ASSERT_PY(fx,
		  "[d['losses']['malformed_records'], "
		  "d['losses']['confidence']]",
		  "[4, \"reduced\"]");
}

static void test_json_cleanup(void **state)
{
	struct fx *fx = *state;

	fx->r.cleanup.attempted = true;
	fx->r.cleanup.terminated = 2;
	fx->r.cleanup.killed = true;
	fx->r.cleanup.cgroup_removed = true;
	write_json(fx);
	ASSERT_PY(fx, "d['cleanup']",
		  "{\"cgroup_killed\": true, \"cgroup_removed\": true, "
		  "\"error\": null, \"kept_orphans\": false, "
		  "\"sigterm_sent\": 2}");
	fx->r.cleanup = (typeof(fx->r.cleanup)){ .kept = true };
	snprintf(fx->r.cleanup.error, sizeof(fx->r.cleanup.error), "EBUSY");
	write_json(fx);
	ASSERT_PY(fx, "d['cleanup']",
		  "{\"cgroup_killed\": false, \"cgroup_removed\": false, "
		  "\"error\": \"EBUSY\", \"kept_orphans\": true, "
		  "\"sigterm_sent\": 0}");
}

static void test_json_notes(void **state)
{
	struct fx *fx = *state;

	ls_report_note(&fx->r, "first %d", 1);
	ls_report_note(&fx->r, "%s", "second");
	write_json(fx);
	ASSERT_PY(fx, "d['notes']", "[\"first 1\", \"second\"]");
}

/* ---- JSON: hostile strings ---- */

static void test_json_hostile_roundtrip(void **state)
{
	static const char hostile[] =
		"/tmp/a\"b\\c\nd\re\tf\x01\x1f\x7f/\xc3\xa9\xe2\x82\xac"
		"\xf0\x9d\x84\x9e/<script>/'/\u2028";
	struct fx *fx = *state;
	struct ls_finding *f;
	char *argv[] = { "sh", "-c", "echo \"$x\"\n\\", NULL };

	fx->r.argv = argv;
	fx->r.exit_kind = LS_CHILD_EXITED;
	snprintf(fx->r.cgroup, sizeof(fx->r.cgroup), "%s", hostile);
	f = add_fd(fx, 1, "a\"b\\c\n\x01", 3, "file", hostile);
	f->test = strdup(hostile);
	f = add_process(fx, LS_CLASS_ORPHAN, 2, "p");
	f->argv = heap_argv(hostile, "", "\"", NULL);
	ls_report_note(&fx->r, "%s", hostile);
	write_json(fx);
	ASSERT_PY(fx, "d['findings'][0]['path'].encode('utf-8').hex()",
		  hex_quoted(hostile, sizeof(hostile) - 1));
	ASSERT_PY(fx, "d['findings'][0]['test'].encode('utf-8').hex()",
		  hex_quoted(hostile, sizeof(hostile) - 1));
	ASSERT_PY(fx, "d['cgroup'].encode('utf-8').hex()",
		  hex_quoted(hostile, sizeof(hostile) - 1));
	ASSERT_PY(fx, "d['notes'][0].encode('utf-8').hex()",
		  hex_quoted(hostile, sizeof(hostile) - 1));
	ASSERT_PY(fx, "d['findings'][0]['comm']", "\"a\\\"b\\\\c\\n\\u0001\"");
	ASSERT_PY(fx, "d['findings'][1]['argv'][1:]", "[\"\", \"\\\"\"]");
	ASSERT_PY(fx, "d['findings'][1]['argv'][0].encode('utf-8').hex()",
		  hex_quoted(hostile, sizeof(hostile) - 1));
	ASSERT_PY(fx, "d['command']",
		  "[\"sh\", \"-c\", \"echo \\\"$x\\\"\\n\\\\\"]");
}

static void test_json_invalid_utf8(void **state)
{
	struct fx *fx = *state;

	/* a bad lead byte, a cut sequence, a surrogate, an overlong '/' */
	add_fd(fx, 1, "x", 3, "file",
	       "x\xff\xc3(y\xed\xa0\x80z\xc0\xafw\xe2\x82");
	write_json(fx);
	ASSERT_PY(fx, "d['findings'][0]['path']",
		  "\"x\\ufffd\\ufffd(y\\ufffd\\ufffd\\ufffdz\\ufffd\\ufffdw"
		  "\\ufffd\\ufffd\"");
}

static void test_json_long_string(void **state)
{
	static const char *const pieces[] = { "ab", "\"",	   "\\",
					      "\n", "\xc3\xa9",	   "\x01",
					      "/",  "\xe2\x82\xac" };
	struct fx *fx = *state;
	char *path = malloc(4097);
	size_t n = 0;

	assert_non_null(path);
	for (size_t i = 0; n < 4090; i++) {
		const char *p = pieces[i % ARRAY_SIZE(pieces)];

		memcpy(path + n, p, strlen(p));
		n += strlen(p);
	}
	while (n < 4096)
		path[n++] = 'z';
	path[n] = 0;
	add_fd(fx, 1, "x", 3, "file", path);
	free(path);
	write_json(fx);
	ASSERT_PY(fx, "len(d['findings'][0]['path'].encode('utf-8'))", "4096");
	ASSERT_PY(fx, "d['findings'][0]['path'].encode('utf-8').hex()",
		  hex_quoted(fx->r.findings[0].path, 4096));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_json_top_level),
		T(test_json_attach_mode),
		T(test_json_exit_kinds),
		T(test_json_process),
		T(test_json_process_unknowns),
		T(test_json_zombie),
		T(test_json_fd),
		T(test_json_socket),
		T(test_json_other_kinds),
		T(test_json_summary),
		T(test_json_metrics),
		T(test_json_losses),
		T(test_json_cleanup),
		T(test_json_notes),
		T(test_json_hostile_roundtrip),
		T(test_json_invalid_utf8),
		T(test_json_long_string),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
