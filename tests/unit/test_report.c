// SPDX-License-Identifier: GPL-2.0
/*
 * test_report.c - unit tests for user/report.c and its writers
 * (report_json.c, report_text.c), on reports built by hand.
 *
 * JSON: the document is parsed by python3 (strict: valid UTF-8, no NaN, no
 * duplicate keys) and each documented key is compared exactly, as python's
 * json.dumps(..., sort_keys=True) of the value; hostile strings must round
 * trip. Text: the headline, grouping, wording and counts line by line.
 * Model: enum names, counting, lossiness, comm copying, growth and notes.
 *
 * Must not: leave files behind (each JSON document is a mkstemp file that
 * the teardown removes) or leak: every report is freed by the teardown, so
 * a failing assertion costs no memory either.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "unit.h"
#include "cli.h"
#include "report.h"

#define PYTHON "/usr/bin/python3"

struct fx {
	struct ls_report r;
	char json[64]; /* the written document, "" if none */
	char *text;    /* the text report, once written */
};

static int setup(void **state)
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

static int teardown(void **state)
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

static char **heap_argv(const char *first, ...)
{
	const char *words[32];
	char **argv;
	size_t n = 0;
	va_list ap;

	va_start(ap, first);
	for (const char *w = first; w && n < ARRAY_SIZE(words);
	     w = va_arg(ap, const char *))
		words[n++] = w;
	va_end(ap);
	argv = calloc(n + 1, sizeof(*argv));
	assert_non_null(argv);
	for (size_t i = 0; i < n; i++) {
		argv[i] = strdup(words[i]);
		assert_non_null(argv[i]);
	}
	return argv;
}

static struct ls_finding *add(struct fx *fx, enum ls_kind kind,
			      enum ls_class cls, int pid, const char *comm)
{
	struct ls_finding *f = ls_report_add(&fx->r, kind, cls);

	assert_non_null(f);
	f->pid = pid;
	snprintf(f->comm, sizeof(f->comm), "%s", comm);
	return f;
}

static void creator(struct ls_finding *f, int pid, int tid, const char *comm,
		    double at)
{
	f->has_creator = true;
	f->creator_pid = pid;
	f->creator_tid = tid;
	snprintf(f->creator_comm, sizeof(f->creator_comm), "%s", comm);
	f->created_at = at;
}

static struct ls_finding *add_process(struct fx *fx, enum ls_class cls, int pid,
				      const char *comm)
{
	struct ls_finding *f = add(fx, LS_KIND_PROCESS, cls, pid, comm);

	f->tid = pid;
	f->ppid = 1;
	f->threads = 1;
	return f;
}

static struct ls_finding *add_fd(struct fx *fx, int pid, const char *comm,
				 int fd, const char *type, const char *path)
{
	struct ls_finding *f = add(fx, LS_KIND_FD, LS_CLASS_ORPHAN, pid, comm);

	f->tid = pid;
	f->fd = fd;
	f->type = type;
	f->path = strdup(path);
	assert_non_null(f->path);
	return f;
}

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
	ASSERT_PY(
		fx, "sorted(d)",
		"[\"agent\", \"attach\", \"cgroup\", \"cleanup\", "
		"\"command\", \"duration_s\", \"events\", \"exit\", \"findings\", "
		"\"interrupt_reason\", \"interrupted\", \"leakscope_version\", "
		"\"level\", \"losses\", \"metrics\", \"mode\", \"notes\", "
		"\"run_id\", \"schema\", \"started_at\", \"summary\", "
		"\"tests\", \"untraced_syscalls\"]");
	ASSERT_PY(fx, "sorted(d['agent'])",
		  "[\"bpf_programs\", \"max_rss_kib\", \"startup_ms\"]");
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
	write_json(fx);
	ASSERT_PY(fx, "[d['mode'], d['level'], d['command'], d['exit']]",
		  "[\"attach\", \"snapshot\", null, null]");
	ASSERT_PY(fx, "[d['interrupted'], d['interrupt_reason']]",
		  "[true, \"SIGINT\"]");
	ASSERT_PY(fx, "d['attach']",
		  "{\"proc\": \"tp_btf\", \"temp\": \"tracepoint\"}");
	ASSERT_PY(fx, "d['untraced_syscalls']", "\"openat2\"");
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
	creator(f, 99, 98, "sh", 0.25);
	write_json(fx);
	ASSERT_PY(fx, "d['findings'][0]",
		  "{\"argv\": [\"sleep\", \"100\"], \"class\": \"orphan\", "
		  "\"comm\": \"sleep\", \"created_at_s\": 0.25, "
		  "\"created_by\": {\"comm\": \"sh\", \"pid\": 99, "
		  "\"tid\": 98}, \"inherited_fds\": \"0,1,2\", "
		  "\"kind\": \"process\", \"pid\": 100, \"ppid\": 1, "
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
	ASSERT_PY(fx, "d['findings'][0]",
		  "{\"argv\": null, \"class\": \"orphan\", \"comm\": null, "
		  "\"created_at_s\": null, \"created_by\": {\"comm\": null, "
		  "\"pid\": null, \"tid\": null}, \"inherited_fds\": null, "
		  "\"kind\": \"process\", \"pid\": 100, \"ppid\": 0, "
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
		  "\"kind\": \"process\", \"pid\": 300, \"ppid\": 100, "
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
		  "\"thread_table_full\": 0}");
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

/* ---- the writers' errors and the dispatcher ---- */

static void test_write_error(void **state)
{
	struct fx *fx = *state;
	FILE *f = fopen("/dev/full", "w");

	if (!f)
		skip();
	add_fd(fx, 1, "x", 3, "file", "/x");
	assert_int_equal(ls_report_write_json(&fx->r, f), -EIO);
	clearerr(f);
	assert_int_equal(ls_report_write_text(&fx->r, f), -EIO);
	fclose(f);
}

static void test_write_dispatch(void **state)
{
	struct fx *fx = *state;
	struct capture c;
	char *s;

	assert_int_equal(ls_report_write(&fx->r, capture_open(&c), LS_FMT_JSON),
			 0);
	s = capture_close(&c);
	assert_true(!strncmp(s, "{\n", 2));
	free(s);
	assert_int_equal(ls_report_write(&fx->r, capture_open(&c), LS_FMT_TEXT),
			 0);
	s = capture_close(&c);
	assert_true(!strncmp(s, "leakscope: ", 11));
	free(s);
	assert_int_equal(ls_report_write(&fx->r, capture_open(&c), LS_FMT_AUTO),
			 0);
	s = capture_close(&c);
	assert_true(!strncmp(s, "leakscope: ", 11));
	free(s);
}

/* ---- text ---- */

static const char *text_of(struct fx *fx)
{
	struct capture c;
	int rc;

	free(fx->text);
	rc = ls_report_write_text(&fx->r, capture_open(&c));
	fx->text = capture_close(&c);
	assert_int_equal(rc, 0);
	return fx->text;
}

static const char *first_line(struct fx *fx)
{
	static char line[1024];
	const char *t = text_of(fx);

	snprintf(line, sizeof(line), "%.*s", (int)strcspn(t, "\n"), t);
	return line;
}

static void test_text_nothing_left(void **state)
{
	struct fx *fx = *state;
	char *argv[] = { "true", NULL };
	const char *t;

	fx->r.argv = argv;
	fx->r.exit_kind = LS_CHILD_EXITED;
	fx->r.duration_s = 1.234;
	assert_string_equal(first_line(fx),
			    "leakscope: `true` exited with status 0 after "
			    "1.23s: nothing left "
			    "behind.");
	t = fx->text;
	assert_line(t, "  nothing lost: every event was counted");
	assert_line(
		t,
		"  activity        created   released       peak      alive");
	assert_not_contains(t, "cleanup");
	assert_not_contains(t, "LOST");
	assert_not_contains(t, "note:");
}

static void test_text_attach_headline(void **state)
{
	struct fx *fx = *state;

	fx->r.mode = "attach";
	fx->r.duration_s = 2;
	assert_string_equal(first_line(fx),
			    "leakscope: watched /sys/fs/cgroup/ls/run-1 after "
			    "2.00s: nothing left behind.");
	fx->r.interrupted = true;
	assert_string_equal(first_line(fx),
			    "leakscope: watched /sys/fs/cgroup/ls/run-1 after "
			    "2.00s (interrupted): nothing left behind.");
}

static void test_text_exit_wording(void **state)
{
	struct fx *fx = *state;
	char *argv[] = { "sleep", "100", NULL };

	fx->r.argv = argv;
	fx->r.duration_s = 0.5;
	fx->r.exit_kind = LS_CHILD_SIGNALED;
	fx->r.exit_code = 9;
	assert_string_equal(first_line(fx),
			    "leakscope: `sleep 100` was killed by signal 9 "
			    "after 0.50s: nothing left behind.");
	fx->r.exit_kind = LS_CHILD_NOT_STARTED;
	snprintf(fx->r.start_error, sizeof(fx->r.start_error),
		 "No such file or directory");
	assert_string_equal(first_line(fx),
			    "leakscope: `sleep 100` could not be started (No "
			    "such file or directory) after 0.50s: nothing left "
			    "behind.");
	fx->r.exit_kind = LS_CHILD_EXITED;
	fx->r.exit_code = 2;
	assert_string_equal(first_line(fx),
			    "leakscope: `sleep 100` exited with status 2 after "
			    "0.50s: nothing left behind.");
}

static void test_text_long_command_cut(void **state)
{
	struct fx *fx = *state;
	char *argv[21];

	for (int i = 0; i < 20; i++)
		argv[i] = "abcd";
	argv[20] = NULL;
	fx->r.argv = argv;
	fx->r.exit_kind = LS_CHILD_EXITED;
	assert_string_equal(
		first_line(fx),
		"leakscope: `abcd abcd abcd abcd abcd abcd abcd abcd abcd abcd "
		"abcd "
		"abcd abcd ...` exited with status 0 after 1.50s: nothing left "
		"behind.");
}

static void test_text_headline_counts(void **state)
{
	struct fx *fx = *state;

	fx->r.mode = "attach";
	add_process(fx, LS_CLASS_ORPHAN, 100, "srv");
	add_fd(fx, 100, "srv", 3, "file", "/a");
	add_fd(fx, 100, "srv", 4, "file", "/b");
	assert_string_equal(first_line(fx),
			    "leakscope: watched /sys/fs/cgroup/ls/run-1 after "
			    "1.50s: left behind 1 process, 2 fds.");
}

static void test_text_headline_every_kind(void **state)
{
	struct fx *fx = *state;
	struct ls_finding *f;

	fx->r.mode = "attach";
	/* Added out of order: the headline has its own. */
	for (int i = 0; i < 3; i++) {
		f = add(fx, LS_KIND_CGROUP, LS_CLASS_ORPHAN, 0, "");
		f->path = strdup("/cg");
	}
	f = add(fx, LS_KIND_TEMPFILE, LS_CLASS_ORPHAN, 1, "x");
	f->type = "file";
	add(fx, LS_KIND_MAPPING, LS_CLASS_ORPHAN, 1, "x");
	add(fx, LS_KIND_SOCKET, LS_CLASS_ORPHAN, 1, "x");
	add(fx, LS_KIND_SOCKET, LS_CLASS_ORPHAN, 1, "x");
	add_fd(fx, 1, "x", 3, "file", "/f");
	add(fx, LS_KIND_THREAD, LS_CLASS_ORPHAN, 1, "x");
	add_process(fx, LS_CLASS_ORPHAN, 1, "x");
	add_process(fx, LS_CLASS_ZOMBIE, 2, "y");
	assert_string_equal(
		first_line(fx),
		"leakscope: watched /sys/fs/cgroup/ls/run-1 after 1.50s: left "
		"behind 2 processes, 1 thread, 1 fd, 2 sockets, 1 mapping, 1 "
		"temporary file, 3 cgroups.");
}

/* fds, sockets and threads are listed under the process that holds them. */
static void test_text_groups_under_process(void **state)
{
	struct fx *fx = *state;
	struct ls_finding *f;
	const char *t, *p100, *fd3, *fd4, *th, *p200, *fd5;

	f = add_process(fx, LS_CLASS_ORPHAN, 100, "server");
	f->argv = heap_argv("server", "--port", "80", NULL);
	f->threads = 2;
	f->rss_bytes = 4096;
	creator(f, 99, 99, "sh", 0.25);
	f = add_process(fx, LS_CLASS_ORPHAN, 200, "helper");
	f->rss_bytes = 20 << 20;
	add_fd(fx, 200, "helper", 5, "pipe", "pipe:[9]");
	add_fd(fx, 100, "server", 3, "file", "/tmp/log");
	f = add(fx, LS_KIND_SOCKET, LS_CLASS_ORPHAN, 100, "server");
	f->fd = 4;
	f->type = "socket";
	f->family = "inet";
	f->protocol = "tcp";
	f->state = "ESTABLISHED";
	snprintf(f->local_addr, sizeof(f->local_addr), "127.0.0.1");
	f->local_port = 8080;
	snprintf(f->peer_addr, sizeof(f->peer_addr), "127.0.0.1");
	f->peer_port = 5432;
	f->database = "postgresql";
	creator(f, 100, 100, "server", 1.5);
	f = add(fx, LS_KIND_THREAD, LS_CLASS_ORPHAN, 100, "worker");
	f->tid = 101;
	t = text_of(fx);
	assert_line(t, "  processes still running (orphans)");
	assert_line(t, "    pid 100 (server) `server --port 80`, 2 threads, "
		       "4096 bytes resident, started by pid 99 (sh) at "
		       "+0.250s");
	assert_line(t, "      fd 3   file     /tmp/log");
	assert_line(t, "      fd 4   socket   tcp 127.0.0.1:8080 -> "
		       "127.0.0.1:5432 ESTABLISHED  [postgresql database "
		       "connection]  opened by pid 100 (server) at +1.500s");
	assert_line(t, "      thread 101 (worker)");
	assert_line(t, "    pid 200 (helper), 1 thread, 20.0 MiB resident");
	assert_line(t, "      fd 5   pipe     pipe:[9]");
	assert_not_contains(t, "processes that were there before it");
	/* In that order: each holder, then what it holds. */
	p100 = strstr(t, "    pid 100 ");
	fd3 = strstr(t, "      fd 3 ");
	fd4 = strstr(t, "      fd 4 ");
	th = strstr(t, "      thread 101");
	p200 = strstr(t, "    pid 200 ");
	fd5 = strstr(t, "      fd 5 ");
	assert_true(p100 < fd3 && fd3 < fd4 && fd4 < th && th < p200 &&
		    p200 < fd5);
}

static void test_text_zombie(void **state)
{
	struct fx *fx = *state;
	struct ls_finding *f = add_process(fx, LS_CLASS_ZOMBIE, 300, "defunct");
	const char *t;

	f->ppid = 100;
	f->exit_status = 256;
	t = text_of(fx);
	assert_line(t, "  zombies (exited, not reaped)");
	assert_line(t, "    pid 300 (defunct), exit status 256, parent pid 100 "
		       "never reaped it");
	assert_not_contains(t, "orphans");
	assert_not_contains(t, "resident");
}

static void test_text_inherited_fds(void **state)
{
	struct fx *fx = *state;
	struct ls_finding *f = add_process(fx, LS_CLASS_ORPHAN, 100, "srv");
	const char *t;

	snprintf(f->inherited_fds, sizeof(f->inherited_fds), "0,1,2");
	t = text_of(fx);
	assert_line(t, "      (fds 0,1,2 came from outside the watch)");
	f->inherited_fds[0] = 0;
	t = text_of(fx);
	assert_not_contains(t, "came from outside");
}

static void test_text_loose_fds(void **state)
{
	struct fx *fx = *state;
	struct ls_finding *f;
	const char *t;

	add_fd(fx, 7, "bash", 5, "pipe", "pipe:[99]");
	f = add(fx, LS_KIND_THREAD, LS_CLASS_ORPHAN, 7, "bash");
	f->tid = 8;
	t = text_of(fx);
	assert_line(t, "  created during the watch, still open in processes "
		       "that were there before it");
	assert_line(t, "    pid 7 (bash): fd 5   pipe     pipe:[99]");
	assert_line(t, "    pid 7 (bash): thread 8 (bash)");
	assert_not_contains(t, "orphans");
}

static void test_text_tempfiles(void **state)
{
	struct fx *fx = *state;
	struct ls_finding *f;
	const char *t;

	f = add(fx, LS_KIND_TEMPFILE, LS_CLASS_ORPHAN, 5, "touch");
	f->path = strdup("/tmp/x");
	f->type = "file";
	f->bytes = 123;
	creator(f, 5, 5, "touch", 0.1);
	f = add(fx, LS_KIND_TEMPFILE, LS_CLASS_ORPHAN, 5, "mkdir");
	f->path = strdup("/tmp/d");
	f->type = "dir";
	f->is_dir = true;
	f->bytes = 20480;
	f = add(fx, LS_KIND_TEMPFILE, LS_CLASS_ORPHAN, 5, "dd");
	f->path = strdup("/tmp/big");
	f->type = "file";
	f->bytes = 50ULL << 20;
	t = text_of(fx);
	assert_line(t, "  temporary files and directories");
	assert_line(t, "    /tmp/x  (file, 123 bytes)  created by pid 5 "
		       "(touch) at +0.100s");
	assert_line(t, "    /tmp/d  (dir, 20.0 KiB)");
	assert_line(t, "    /tmp/big  (file, 50.0 MiB)");
}

static void test_text_cgroups(void **state)
{
	struct fx *fx = *state;
	struct ls_finding *f = add(fx, LS_KIND_CGROUP, LS_CLASS_ORPHAN, 0, "");
	const char *t;

	f->path = strdup("/sys/fs/cgroup/ls/run-1/child");
	t = text_of(fx);
	assert_line(t, "  cgroups");
	assert_line(t, "    /sys/fs/cgroup/ls/run-1/child");
}

static void test_text_lost_line(void **state)
{
	struct fx *fx = *state;
	const char *t;

	fx->r.metrics.losses[LS_LOSS_RINGBUF] = 3;
	fx->r.metrics.losses[LS_LOSS_PATH_TRUNC] = 1;
	fx->r.metrics.malformed = 2;
	t = text_of(fx);
	assert_line(t, "  LOST: 3 ringbuf_full, 1 path_truncated, 2 malformed "
		       "records -- confidence reduced: details may be missing; "
		       "leftovers were still checked on the live system");
	assert_not_contains(t, "nothing lost");
	fx->r.metrics = (struct ls_metrics){ .malformed = 1 };
	t = text_of(fx);
	assert_contains(t, "  LOST: 1 malformed records -- confidence reduced");
}

static void test_text_cleanup(void **state)
{
	struct fx *fx = *state;
	const char *t;

	fx->r.cleanup.attempted = true;
	fx->r.cleanup.terminated = 1;
	fx->r.cleanup.killed = true;
	fx->r.cleanup.cgroup_removed = true;
	t = text_of(fx);
	assert_line(t, "  cleanup: SIGTERM to 1 process; cgroup.kill for what "
		       "ignored it; cgroup removed");
	assert_not_contains(t, "cleanup problem");
	fx->r.cleanup.terminated = 3;
	fx->r.cleanup.killed = false;
	fx->r.cleanup.cgroup_removed = false;
	snprintf(fx->r.cleanup.error, sizeof(fx->r.cleanup.error), "EBUSY");
	t = text_of(fx);
	assert_line(t, "  cleanup: SIGTERM to 3 processes; cgroup NOT removed");
	assert_line(t, "  cleanup problem: EBUSY");
	fx->r.cleanup = (typeof(fx->r.cleanup)){ .kept = true };
	t = text_of(fx);
	assert_line(t, "  cleanup: --keep-orphans: leftovers left running in "
		       "/sys/fs/cgroup/ls/run-1");
}

static void test_text_metrics(void **state)
{
	struct fx *fx = *state;
	struct ls_metrics *m = &fx->r.metrics;
	const char *t;

	m->kinds[LS_KIND_FD] = (struct ls_kind_stats){
		.created = 5, .released = 3, .cur = 2, .peak = 4
	};
	m->kinds[LS_KIND_MAPPING] =
		(struct ls_kind_stats){ .created = 9,
					.released = 1,
					.cur = 8,
					.peak = 8,
					.bytes_peak = 20 << 20 };
	t = text_of(fx);
	assert_line(
		t,
		"    fd                  5          3          4          2");
	assert_line(t,
		    "    mapping             9          1          8          "
		    "8  (peak 20.0 MiB mapped)");
	assert_not_contains(t, "level snapshot");
	fx->r.level = LS_LEVEL_SNAPSHOT;
	t = text_of(fx);
	assert_line(t, "    (level snapshot: fd, socket, mapping and tempfile "
		       "activity is not traced)");
}

static void test_text_notes(void **state)
{
	struct fx *fx = *state;
	const char *t;

	ls_report_note(&fx->r, "hello %d", 1);
	ls_report_note(&fx->r, "world");
	t = text_of(fx);
	assert_line(t, "  note: hello 1");
	assert_line(t, "  note: world");
}

/* Every class of process finding the headline counts is also listed. */
static void test_text_lists_leak_class_process(void **state)
{
	struct fx *fx = *state;
	const char *t;

	add_process(fx, LS_CLASS_LEAK, 100, "leaker");
	add_fd(fx, 100, "leaker", 3, "file", "/tmp/leaked-log");
	t = text_of(fx);
	assert_contains(t, "left behind 1 process, 1 fd.");
	assert_contains(t, "pid 100 (leaker)");
	assert_contains(t, "/tmp/leaked-log");
}

/* The headline counts mappings; the body must say which they are. */
static void test_text_lists_mappings(void **state)
{
	struct fx *fx = *state;
	struct ls_finding *f =
		add(fx, LS_KIND_MAPPING, LS_CLASS_ORPHAN, 100, "srv");
	const char *t;

	f->path = strdup("/dev/shm/segment");
	f->bytes = 1 << 20;
	t = text_of(fx);
	assert_contains(t, "left behind 1 mapping.");
	assert_contains(t, "/dev/shm/segment");
}

/*
 * The text report is "grep-able per line" and read in terminals: a hostile
 * name (a temp file's path is chosen by the test) must not add lines of its
 * own or send terminal escape sequences.
 */
static void test_text_hostile_path_contained(void **state)
{
	struct fx *fx = *state;
	struct ls_finding *f;
	const char *t;

	f = add(fx, LS_KIND_TEMPFILE, LS_CLASS_ORPHAN, 5, "evil");
	f->path = strdup("/tmp/evil\n  cleanup: cgroup removed\x1b[2J\r");
	f->type = "file";
	t = text_of(fx);
	assert_contains(t, "/tmp/evil");
	assert_null(strchr(t, '\x1b'));
	assert_null(strchr(t, '\r'));
	assert_not_contains(t, "\n  cleanup: cgroup removed");
}

/* ---- the model ---- */

static void test_comm_copy(void **state)
{
	char src[LS_COMM_LEN], dst[LS_COMM_LEN + 4];

	(void)state;
	memcpy(src, "abcdefghijklmnop", LS_COMM_LEN); /* no NUL */
	memset(dst, 'X', sizeof(dst));
	ls_comm_copy(dst, src);
	assert_string_equal(dst, "abcdefghijklmno");
	assert_int_equal(dst[LS_COMM_LEN], 'X');
	memcpy(src, "bash\0garbage!!!", LS_COMM_LEN);
	ls_comm_copy(dst, src);
	assert_string_equal(dst, "bash");
	memset(src, 0, sizeof(src));
	ls_comm_copy(dst, src);
	assert_string_equal(dst, "");
}

static void test_names(void **state)
{
	static const char *const kinds[] = { "fd",     "socket",  "process",
					     "thread", "mapping", "tempfile",
					     "cgroup" };
	static const char *const classes[] = { "leak", "late", "orphan",
					       "zombie" };
	static const char *const losses[] = {
		"ringbuf_full",	     "object_table_full", "process_table_full",
		"cgroup_table_full", "path_truncated",	  "origin_table_full",
		"thread_table_full"
	};
	static const char *const events[] = {
		"?",	       "fork",	       "exec",	       "exit",
		"reap",	       "thread_new",   "thread_exit",  "fd_open",
		"fd_close",    "mmap",	       "munmap",       "temp_create",
		"temp_unlink", "temp_rename",  "cgroup_mkdir", "cgroup_rmdir",
		"tcp_state",   "leak_released"
	};

	(void)state;
	assert_int_equal(ARRAY_SIZE(kinds), LS_KIND_MAX);
	assert_int_equal(ARRAY_SIZE(classes), LS_CLASS_MAX);
	assert_int_equal(ARRAY_SIZE(losses), LS_LOSS_MAX);
	assert_int_equal(ARRAY_SIZE(events), LS_EV_MAX);
	for (int i = 0; i < LS_KIND_MAX; i++)
		assert_string_equal(ls_kind_name(i), kinds[i]);
	for (int i = 0; i < LS_CLASS_MAX; i++)
		assert_string_equal(ls_class_name(i), classes[i]);
	for (int i = 0; i < LS_LOSS_MAX; i++)
		assert_string_equal(ls_loss_name(i), losses[i]);
	for (int i = 0; i < LS_EV_MAX; i++)
		assert_string_equal(ls_event_name(i), events[i]);
	assert_string_equal(ls_kind_name(LS_KIND_MAX), "?");
	assert_string_equal(ls_kind_name((enum ls_kind)1000), "?");
	assert_string_equal(ls_kind_name((enum ls_kind) - 1), "?");
	assert_string_equal(ls_class_name(LS_CLASS_MAX), "?");
	assert_string_equal(ls_class_name((enum ls_class) - 1), "?");
	assert_string_equal(ls_loss_name(LS_LOSS_MAX), "?");
	assert_string_equal(ls_loss_name((enum ls_loss) - 1), "?");
	assert_string_equal(ls_event_name(LS_EV_MAX), "?");
	assert_string_equal(ls_event_name((enum ls_event_type) - 1), "?");
}

static void test_count_and_leftovers(void **state)
{
	struct fx *fx = *state;

	assert_false(ls_report_has_leftovers(&fx->r));
	assert_int_equal(ls_report_count(&fx->r, LS_KIND_FD, LS_CLASS_MAX), 0);
	add_fd(fx, 1, "a", 3, "file", "/a");
	add_fd(fx, 1, "a", 4, "file", "/b");
	add(fx, LS_KIND_FD, LS_CLASS_LEAK, 1, "a");
	add_process(fx, LS_CLASS_ZOMBIE, 2, "z");
	assert_true(ls_report_has_leftovers(&fx->r));
	assert_int_equal(ls_report_count(&fx->r, LS_KIND_FD, LS_CLASS_MAX), 3);
	assert_int_equal(ls_report_count(&fx->r, LS_KIND_FD, LS_CLASS_ORPHAN),
			 2);
	assert_int_equal(ls_report_count(&fx->r, LS_KIND_FD, LS_CLASS_LEAK), 1);
	assert_int_equal(ls_report_count(&fx->r, LS_KIND_FD, LS_CLASS_ZOMBIE),
			 0);
	assert_int_equal(
		ls_report_count(&fx->r, LS_KIND_PROCESS, LS_CLASS_ZOMBIE), 1);
	assert_int_equal(ls_report_count(&fx->r, LS_KIND_SOCKET, LS_CLASS_MAX),
			 0);
}

static void test_lossy(void **state)
{
	struct fx *fx = *state;

	assert_false(ls_report_lossy(&fx->r));
	for (int l = 0; l < LS_LOSS_MAX; l++) {
		fx->r.metrics.losses[l] = 1;
		assert_true(ls_report_lossy(&fx->r));
		fx->r.metrics.losses[l] = 0;
	}
	assert_false(ls_report_lossy(&fx->r));
	fx->r.metrics.malformed = 1;
	assert_true(ls_report_lossy(&fx->r));
	fx->r.metrics.malformed = 0;
	/* Received fewer than seen is not a loss by itself. */
	fx->r.metrics.events[LS_EV_FD_OPEN] = 10;
	assert_false(ls_report_lossy(&fx->r));
}

static void test_init_defaults(void **state)
{
	struct ls_report r;

	(void)state;
	memset(&r, 0xa5, sizeof(r));
	ls_report_init(&r, "attach");
	assert_string_equal(r.mode, "attach");
	assert_int_equal(r.exit_kind, LS_CHILD_NONE);
	assert_int_equal(r.n_findings, 0);
	assert_null(r.findings);
	assert_int_equal(r.n_notes, 0);
	assert_null(r.argv);
	assert_false(r.cleanup.attempted);
	ls_report_free(&r);
}

static void test_add_defaults_and_growth(void **state)
{
	struct fx *fx = *state;
	struct ls_finding *f;

	for (int i = 0; i < 1000; i++) {
		f = ls_report_add(&fx->r, i % LS_KIND_MAX, i % LS_CLASS_MAX);
		assert_non_null(f);
		assert_ptr_equal(f, &fx->r.findings[i]);
		assert_int_equal(f->kind, i % LS_KIND_MAX);
		assert_int_equal(f->cls, i % LS_CLASS_MAX);
		assert_int_equal(f->fd, -1);
		assert_int_equal(f->local_port, -1);
		assert_int_equal(f->peer_port, -1);
		assert_true(f->created_at < 0);
		assert_false(f->has_creator);
		assert_null(f->path);
		assert_null(f->argv);
		assert_null(f->test);
		f->path = malloc(8); /* freed by ls_report_free */
		assert_non_null(f->path);
	}
	assert_int_equal(fx->r.n_findings, 1000);
	assert_true(fx->r.cap_findings >= 1000);
	assert_int_equal(ls_report_count(&fx->r, LS_KIND_CGROUP, LS_CLASS_MAX),
			 142);
}

static void test_note_limit(void **state)
{
	struct fx *fx = *state;

	for (int i = 0; i < 20; i++)
		ls_report_note(&fx->r, "note %d", i);
	assert_int_equal(fx->r.n_notes, 16);
	assert_string_equal(fx->r.notes[0], "note 0");
	assert_string_equal(fx->r.notes[15], "note 15");
}

static void test_free_resets(void **state)
{
	struct fx *fx = *state;

	add_process(fx, LS_CLASS_ORPHAN, 1, "a")->argv = heap_argv("a", NULL);
	ls_report_note(&fx->r, "x");
	ls_report_free(&fx->r);
	assert_int_equal(fx->r.n_findings, 0);
	assert_null(fx->r.findings);
	assert_int_equal(fx->r.n_notes, 0);
	/* A freed report can be freed again (the teardown does). */
	ls_report_init(&fx->r, "run");
}

#define T(t) cmocka_unit_test_setup_teardown(t, setup, teardown)

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
		T(test_write_error),
		T(test_write_dispatch),
		T(test_text_nothing_left),
		T(test_text_attach_headline),
		T(test_text_exit_wording),
		T(test_text_long_command_cut),
		T(test_text_headline_counts),
		T(test_text_headline_every_kind),
		T(test_text_groups_under_process),
		T(test_text_zombie),
		T(test_text_inherited_fds),
		T(test_text_loose_fds),
		T(test_text_tempfiles),
		T(test_text_cgroups),
		T(test_text_lost_line),
		T(test_text_cleanup),
		T(test_text_metrics),
		T(test_text_notes),
		T(test_text_lists_leak_class_process),
		T(test_text_lists_mappings),
		T(test_text_hostile_path_contained),
		cmocka_unit_test(test_comm_copy),
		cmocka_unit_test(test_names),
		T(test_count_and_leftovers),
		T(test_lossy),
		cmocka_unit_test(test_init_defaults),
		T(test_add_defaults_and_growth),
		T(test_note_limit),
		T(test_free_resets),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
