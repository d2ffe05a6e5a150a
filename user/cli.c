// SPDX-License-Identifier: GPL-2.0
/*
 * cli.c - see cli.h. A table-free hand parser: each subcommand accepts a
 * known set of long options, "--opt VALUE" and "--opt=VALUE" alike, and
 * every rejection names the option and says what would be accepted.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

static const char *const cmd_names[] = {
	[LS_CMD_NONE] = "",	    [LS_CMD_RUN] = "run",
	[LS_CMD_ATTACH] = "attach", [LS_CMD_DOCTOR] = "doctor",
	[LS_CMD_HELP] = "help",	    [LS_CMD_VERSION] = "version",
	[LS_CMD_MARK] = "mark",
};

const char *ls_cmd_name(enum ls_cmd cmd)
{
	if ((size_t)cmd >= sizeof(cmd_names) / sizeof(cmd_names[0]))
		return "?";
	return cmd_names[cmd];
}

static enum ls_cmd cmd_by_name(const char *s)
{
	for (size_t i = 1; i < sizeof(cmd_names) / sizeof(cmd_names[0]); i++)
		if (!strcmp(s, cmd_names[i]))
			return i;
	return LS_CMD_NONE;
}

struct parser {
	int argc;
	char **argv;
	int i;
	struct ls_opts *o;
	char *err;
	size_t errlen;
};

static int fail(struct parser *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int fail(struct parser *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->err, p->errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* The value of option @name: after '=' in the same word, or the next word. */
static int take_value(struct parser *p, const char *name, const char *eq,
		      const char **val)
{
	if (eq) {
		*val = eq + 1;
		return 0;
	}
	if (p->i + 1 >= p->argc)
		return fail(p, "%s needs a value (%s VALUE)", name, name);
	*val = p->argv[++p->i];
	return 0;
}

static int parse_uint(struct parser *p, const char *name, const char *s,
		      unsigned long min, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (!*s || *end || errno || s[0] == '-' || v < min || v > max)
		return fail(p, "%s: '%s' is not a whole number from %lu to %lu",
			    name, s, min, max);
	*out = v;
	return 0;
}

static int parse_bytes(struct parser *p, const char *name, const char *s,
		       unsigned long *out)
{
	char *end;
	unsigned long v, mult = 1;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (*end == 'K' || *end == 'k')
		mult = 1UL << 10;
	else if (*end == 'M' || *end == 'm')
		mult = 1UL << 20;
	if (mult > 1)
		end++;
	if (!*s || *end || errno || s[0] == '-' || v == 0 ||
	    v > (1UL << 30) / mult)
		return fail(p, "%s: '%s' is not a size such as 4M or 65536",
			    name, s);
	v *= mult;
	if (v < 4096 || (v & (v - 1)))
		return fail(p, "%s: %lu is not a power of two of at least 4096",
			    name, v);
	*out = v;
	return 0;
}

static int parse_seconds(struct parser *p, const char *name, const char *s,
			 double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (!*s || *end || errno || !isfinite(v) || v <= 0 || v > 31536000)
		return fail(p, "%s: '%s' is not a number of seconds > 0", name,
			    s);
	*out = v;
	return 0;
}

/* Options shared by run and attach. Returns 1 if @name is not one. */
static const char *const table_options[LS_TABLE_MAX] = {
	[LS_TABLE_OBJECTS] = "--max-objects",
	[LS_TABLE_PROCESSES] = "--max-processes",
	[LS_TABLE_THREADS] = "--max-threads",
	[LS_TABLE_TESTS] = "--max-tests",
	[LS_TABLE_STACKS] = "--max-stacks",
};

static int table_of(const char *name)
{
	for (int i = 0; i < LS_TABLE_MAX; i++)
		if (!strcmp(name, table_options[i]))
			return i;
	return -1;
}

/* --max-*: the kernel sizes hash tables up front; 16 is the least that
 * makes sense, 2^24 entries already cost gigabytes. */
static int table_option(struct parser *p, const char *name, const char *eq)
{
	const char *v = NULL;
	int err = take_value(p, name, eq, &v);

	if (!err)
		err = parse_uint(p, name, v, 16, 1UL << 24,
				 &p->o->table_size[table_of(name)]);
	return err;
}

static int watch_option(struct parser *p, const char *name, const char *eq)
{
	struct ls_opts *o = p->o;
	const char *v = NULL;
	unsigned long n = 0;
	int err;

	if (!strcmp(name, "--quiet") || !strcmp(name, "-q")) {
		o->quiet = true;
		return 0;
	}
	if (!strcmp(name, "--fail-on-leak")) {
		o->fail_on_leak = true;
		return 0;
	}
	if (!strcmp(name, "--bpf-stats")) {
		o->bpf_stats = true;
		return 0;
	}
	if (table_of(name) >= 0)
		return table_option(p, name, eq);
	if (strcmp(name, "--level") && strcmp(name, "--report") &&
	    strcmp(name, "--format") && strcmp(name, "--temp-root") &&
	    strcmp(name, "--grace") && strcmp(name, "--ring-size") &&
	    strcmp(name, "--leak-exit-code") && strcmp(name, "--events") &&
	    strcmp(name, "--suppressions") && strcmp(name, "--socket") &&
	    strcmp(name, "--socket-group"))
		return 1;
	err = take_value(p, name, eq, &v);
	if (err)
		return err;
	if (!strcmp(name, "--level")) {
		if (!strcmp(v, "full"))
			o->level = LS_LEVEL_FULL;
		else if (!strcmp(v, "stacks"))
			o->level = LS_LEVEL_STACKS;
		else if (!strcmp(v, "snapshot"))
			o->level = LS_LEVEL_SNAPSHOT;
		else
			return fail(p,
				    "--level: '%s' is not a level "
				    "(full, snapshot or stacks)",
				    v);
	} else if (!strcmp(name, "--report")) {
		if (!*v)
			return fail(p, "--report: empty file name");
		o->report_path = v;
	} else if (!strcmp(name, "--suppressions")) {
		if (!*v)
			return fail(p, "--suppressions: empty file name");
		o->suppressions = v;
	} else if (!strcmp(name, "--socket")) {
		if (v[0] != '/')
			return fail(p, "--socket: '%s' is not an absolute path",
				    v);
		o->socket_path = v;
	} else if (!strcmp(name, "--socket-group")) {
		if (!*v)
			return fail(p, "--socket-group: empty group name");
		o->socket_group = v;
	} else if (!strcmp(name, "--events")) {
		if (!*v)
			return fail(p, "--events: empty file name");
		o->events_path = v;
	} else if (!strcmp(name, "--format")) {
		if (!strcmp(v, "text"))
			o->format = LS_FMT_TEXT;
		else if (!strcmp(v, "json"))
			o->format = LS_FMT_JSON;
		else
			return fail(p,
				    "--format: '%s' is not a format "
				    "(text or json)",
				    v);
	} else if (!strcmp(name, "--temp-root")) {
		if (o->n_temp_roots >= LS_MAX_TEMP_ROOTS - 4)
			return fail(p, "--temp-root: at most %d extra roots",
				    LS_MAX_TEMP_ROOTS - 4);
		if (v[0] != '/')
			return fail(p,
				    "--temp-root: '%s' is not an absolute "
				    "path",
				    v);
		o->temp_roots[o->n_temp_roots++] = v;
	} else if (!strcmp(name, "--grace")) {
		err = parse_uint(p, name, v, 0, 60000, &n);
		if (!err)
			o->grace_ms = n;
	} else if (!strcmp(name, "--ring-size")) {
		err = parse_bytes(p, name, v, &o->ring_bytes);
	} else {
		err = parse_uint(p, name, v, 1, 255, &n);
		if (!err)
			o->leak_exit_code = n;
	}
	return err;
}

static int run_option(struct parser *p, const char *name, const char *eq)
{
	struct ls_opts *o = p->o;
	const char *v = NULL;
	unsigned long n = 0;
	int err;

	if (!strcmp(name, "--keep-orphans")) {
		o->keep_orphans = true;
		return 0;
	}
	if (!strcmp(name, "--test-per-exec")) {
		o->test_per_exec = true;
		return 0;
	}
	if (!strcmp(name, "--kill-grace")) {
		err = take_value(p, name, eq, &v);
		if (!err)
			err = parse_uint(p, name, v, 0, 60000, &n);
		if (!err)
			o->kill_grace_ms = n;
		return err;
	}
	if (!strcmp(name, "--parent-cgroup")) {
		err = take_value(p, name, eq, &v);
		if (!err && v[0] != '/')
			err = fail(p,
				   "--parent-cgroup: '%s' is not an absolute "
				   "path",
				   v);
		o->parent_cgroup = v;
		return err;
	}
	return 1;
}

static int attach_option(struct parser *p, const char *name, const char *eq)
{
	const char *v = NULL;
	int err;

	if (!strcmp(name, "--cgroup")) {
		err = take_value(p, name, eq, &v);
		if (!err && !*v)
			err = fail(p, "--cgroup: empty path");
		p->o->cgroup = v;
		return err;
	}
	if (!strcmp(name, "--duration")) {
		err = take_value(p, name, eq, &v);
		return err ?: parse_seconds(p, name, v, &p->o->duration_s);
	}
	return 1;
}

static int mark_option(struct parser *p, const char *name, const char *eq)
{
	static const char *const outcomes[] = { "passed", "failed", "skipped",
						"error" };
	const char *v = NULL;
	int err;

	if (!strcmp(name, "--fail-on-leak")) {
		p->o->fail_on_leak = true;
		return 0;
	}
	if (strcmp(name, "--outcome"))
		return 1;
	err = take_value(p, name, eq, &v);
	if (err)
		return err;
	for (size_t i = 0; i < sizeof(outcomes) / sizeof(outcomes[0]); i++)
		if (!strcmp(v, outcomes[i])) {
			p->o->outcome = v;
			return 0;
		}
	return fail(p,
		    "--outcome: '%s' is not an outcome (passed, failed, "
		    "skipped, error)",
		    v);
}

/* mark begin|end|allow ARG: the verb and its one argument. */
static int mark_word(struct parser *p, const char *w)
{
	static const char *const ops[] = { [LS_MARK_BEGIN] = "begin",
					   [LS_MARK_END] = "end",
					   [LS_MARK_ALLOW] = "allow" };

	if (!p->o->mark_op) {
		for (int i = LS_MARK_BEGIN; i <= LS_MARK_ALLOW; i++)
			if (!strcmp(w, ops[i])) {
				p->o->mark_op = i;
				return 0;
			}
		return fail(p, "mark: '%s' is not begin, end or allow", w);
	}
	if (p->o->mark_arg)
		return fail(p,
			    "mark: unexpected argument '%s' (quote a name "
			    "with spaces)",
			    w);
	p->o->mark_arg = w;
	return 0;
}

/* Options that are switches: "--quiet=1" is a mistake worth naming. */
static bool is_flag(const char *name)
{
	static const char *const flags[] = {
		"--quiet",
		"-q",
		"--verbose",
		"-v",
		"-vv",
		"--fail-on-leak",
		"--keep-orphans",
		"--json",
		"--test-per-exec",
		"--bpf-stats",
	};

	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
		if (!strcmp(name, flags[i]))
			return true;
	return false;
}

/* One option word of the current subcommand; 1 if unknown. */
static int one_option(struct parser *p, const char *word)
{
	char name[64];
	const char *eq = strchr(word, '=');
	size_t len = eq ? (size_t)(eq - word) : strlen(word);
	enum ls_cmd cmd = p->o->cmd;
	int r = 1;

	if (len >= sizeof(name))
		return 1;
	memcpy(name, word, len);
	name[len] = 0;
	if (eq && is_flag(name))
		return fail(p, "%s takes no value", name);
	if (!strcmp(name, "--verbose") || !strcmp(name, "-v")) {
		p->o->verbose++;
		return 0;
	}
	if (!strcmp(name, "-vv")) {
		p->o->verbose += 2;
		return 0;
	}
	if (cmd == LS_CMD_RUN || cmd == LS_CMD_ATTACH)
		r = watch_option(p, name, eq);
	if (r == 1 && cmd == LS_CMD_RUN)
		r = run_option(p, name, eq);
	if (r == 1 && cmd == LS_CMD_ATTACH)
		r = attach_option(p, name, eq);
	if (r == 1 && cmd == LS_CMD_DOCTOR && !strcmp(name, "--json")) {
		p->o->json = true;
		r = 0;
	}
	if (r == 1 && cmd == LS_CMD_DOCTOR && !strcmp(name, "--level"))
		r = watch_option(p, name, eq);
	if (r == 1 && cmd == LS_CMD_MARK)
		r = mark_option(p, name, eq);
	return r;
}

static void set_defaults(struct ls_opts *o)
{
	*o = (struct ls_opts){ 0 };
	o->level = LS_LEVEL_FULL;
	o->grace_ms = LS_DEFAULT_GRACE_MS;
	o->kill_grace_ms = LS_DEFAULT_KILL_GRACE_MS;
	o->ring_bytes = LS_DEFAULT_RING_BYTES;
	o->leak_exit_code = LS_EXIT_LEAKS;
}

static int check_required(struct parser *p)
{
	struct ls_opts *o = p->o;

	if (o->cmd == LS_CMD_RUN && (!o->argv || !o->argv[0]))
		return fail(p, "run: no command given (usage: leakscope run "
			       "[OPTIONS] -- CMD [ARGS...])");
	if (o->cmd == LS_CMD_ATTACH && !o->cgroup)
		return fail(p, "attach: --cgroup PATH is required (the cgroup "
			       "to watch)");
	if (o->format != LS_FMT_AUTO && !o->report_path)
		return fail(p, "--format applies to --report FILE, which is "
			       "missing");
	if (o->cmd == LS_CMD_MARK && (!o->mark_op || !o->mark_arg))
		return fail(p, "mark: usage: leakscope mark begin|end NAME, or "
			       "leakscope mark allow RULE");
	if (o->cmd == LS_CMD_MARK && o->outcome && o->mark_op != LS_MARK_END)
		return fail(p, "--outcome applies to mark end");
	return 0;
}

static int parse_help(struct parser *p)
{
	const char *topic;

	if (p->i + 1 >= p->argc)
		return 0;
	topic = p->argv[p->i + 1];
	if (p->i + 2 < p->argc)
		return fail(p, "help: unexpected argument '%s'",
			    p->argv[p->i + 2]);
	if (!strcmp(topic, "--help") || !strcmp(topic, "-h"))
		return 0;
	p->o->help_topic = cmd_by_name(topic);
	if (p->o->help_topic == LS_CMD_NONE)
		return fail(p,
			    "help: '%s' is not a command (run, attach, mark, "
			    "doctor)",
			    topic);
	return 0;
}

int ls_cli_parse(int argc, char **argv, struct ls_opts *o, char *err,
		 size_t errlen)
{
	struct parser p = { argc, argv, 1, o, err, errlen };
	int r;

	set_defaults(o);
	err[0] = 0;
	if (argc < 2)
		return fail(&p, "no command given (try: leakscope --help)");
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		o->cmd = LS_CMD_HELP;
		return 0;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		o->cmd = LS_CMD_VERSION;
		return 0;
	}
	o->cmd = cmd_by_name(argv[1]);
	if (o->cmd == LS_CMD_NONE)
		return fail(&p,
			    "'%s' is not a command (run, attach, doctor, "
			    "help); try: leakscope --help",
			    argv[1]);
	if (o->cmd == LS_CMD_HELP)
		return parse_help(&p);
	for (p.i = 2; p.i < argc; p.i++) {
		const char *w = argv[p.i];

		if (!strcmp(w, "--help") || !strcmp(w, "-h")) {
			o->help_topic = o->cmd;
			o->cmd = LS_CMD_HELP;
			return 0;
		}
		if (!strcmp(w, "--")) {
			if (o->cmd != LS_CMD_RUN)
				return fail(&p, "%s: unexpected '--'",
					    cmd_names[o->cmd]);
			o->argv = &argv[p.i + 1];
			break;
		}
		if (o->cmd == LS_CMD_MARK &&
		    (w[0] != '-' || !w[1] || o->mark_op == LS_MARK_ALLOW)) {
			r = mark_word(&p, w);
			if (r)
				return r;
			continue;
		}
		if (w[0] != '-' || !w[1]) {
			if (o->cmd != LS_CMD_RUN)
				return fail(&p, "%s: unexpected argument '%s'",
					    cmd_names[o->cmd], w);
			o->argv = &argv[p.i]; /* the command starts here */
			break;
		}
		r = one_option(&p, w);
		if (r == 1)
			return fail(&p,
				    "%s: unknown option '%s' (see: "
				    "leakscope help %s)",
				    cmd_names[o->cmd], w, cmd_names[o->cmd]);
		if (r)
			return r;
	}
	return check_required(&p);
}

static const char usage_overview[] =
	"usage: leakscope COMMAND [OPTIONS]\n"
	"\n"
	"Watch a test run from inside the kernel and report what it leaves\n"
	"behind: processes, threads, file descriptors, sockets, memory\n"
	"mappings, temporary files and cgroups.\n"
	"\n"
	"commands:\n"
	"  run [OPTIONS] -- CMD [ARGS]  run CMD in a fresh cgroup, watched "
	"from\n"
	"                               its first instruction; report "
	"leftovers\n"
	"  attach --cgroup PATH         watch an existing cgroup until Ctrl-C "
	"or\n"
	"                               --duration; report; never kills\n"
	"  doctor                       check what this machine supports\n"
	"  mark begin|end NAME          mark a test from a shell harness\n"
	"  help [COMMAND]               this text, or a command's options\n"
	"  --version                    print the version (also -V)\n"
	"\n"
	"exit codes:\n"
	"  0    success (run: CMD's own exit code is passed through)\n"
	"  1    leakscope failed while watching (the report says what)\n"
	"  2    bad command line or bad input\n"
	"  3    leftovers found and --fail-on-leak given (see "
	"--leak-exit-code)\n"
	"  4    cannot watch on this machine (privileges, BPF, BTF, cgroup "
	"v2;\n"
	"       `leakscope doctor` says which and how to fix it)\n"
	"  127  run: CMD could not be started (not found, not executable)\n"
	"  128+N run: CMD was killed by signal N\n"
	"\n"
	"leakscope needs root (or CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN).\n";

static const char usage_watch[] =
	"  --level LEVEL           full (default): trace every fd, mapping "
	"and\n"
	"                          temp file as it is created; snapshot: only\n"
	"                          process/cgroup hooks and end-of-run\n"
	"                          snapshots (cheaper; no temp files, no fd\n"
	"                          history); stacks: full, plus the user "
	"stack\n"
	"                          where each fd and mapping was made\n"
	"  --report FILE           also write the report to FILE ('-': "
	"stdout)\n"
	"  --format text|json      format of --report (default: json if FILE\n"
	"                          ends in .json, else text)\n"
	"  -q, --quiet             no text report on stderr\n"
	"  --temp-root DIR         also watch DIR for temporary files\n"
	"                          (defaults: /tmp /var/tmp /dev/shm $TMPDIR)\n"
	"  --grace MS              let leftovers wind down this long before\n"
	"                          they count (default 400)\n"
	"  --fail-on-leak          exit 3 if anything was left behind\n"
	"  --leak-exit-code N      use N instead of 3\n"
	"  --suppressions FILE     rules for known leftovers (default:\n"
	"                          .leakscope/suppressions if it exists)\n"
	"  --socket PATH           control socket for test harnesses\n"
	"                          (run: a private one, in $LEAKSCOPE_SOCK)\n"
	"  --socket-group GROUP    let GROUP use the socket too (mode 0660)\n"
	"  --events FILE           write every lifecycle event (fork, exec,\n"
	"                          open, close, mmap, ...) as JSON lines\n"
	"  --ring-size BYTES       event ring buffer size (default 4M)\n"
	"  --max-objects N         live fds and mappings the kernel can track\n"
	"                          at once (default 65536); --max-processes\n"
	"                          (16384), --max-threads (65536, of which\n"
	"                          at least half fit whatever the thread\n"
	"                          numbers), --max-tests (16384) and\n"
	"                          --max-stacks (16384 distinct creation\n"
	"                          stacks, level stacks; ~0.5 KiB each)\n"
	"                          likewise; what does not fit is counted\n"
	"                          as lost, never guessed\n"
	"  --bpf-stats             report the time spent in each of\n"
	"                          leakscope's BPF programs (costs a little)\n"
	"  -v, --verbose           say which attach points and cgroup are "
	"used\n";

static const char usage_run[] =
	"usage: leakscope run [OPTIONS] [--] CMD [ARGS...]\n"
	"\n"
	"Run CMD in a new cgroup (under the cgroup v2 mount, named after the\n"
	"run), watched from its first instruction. When CMD exits, report "
	"what\n"
	"is left: processes still running (with their fds and sockets), "
	"zombies,\n"
	"temporary files and cgroups; then end the leftover processes "
	"(SIGTERM,\n"
	"then cgroup.kill after --kill-grace) and remove the cgroup.\n"
	"SIGINT/SIGTERM sent to leakscope are passed on to CMD; a second one\n"
	"ends the whole run at once. The report is then marked interrupted.\n"
	"\n"
	"options:\n"
	"%s"
	"  --keep-orphans          leave leftover processes running (the "
	"cgroup\n"
	"                          stays too); they are still reported\n"
	"  --kill-grace MS         SIGTERM to cgroup.kill delay (default "
	"1000)\n"
	"  --test-per-exec         each program CMD runs (as its child) is a\n"
	"                          test, named by its argv: ctest, make "
	"check,\n"
	"                          prove, go test binaries; no client needed\n"
	"  --parent-cgroup PATH    create the run's cgroup under PATH\n"
	"                          (default: <cgroup2 mount>/leakscope)\n"
	"\n"
	"exit code: CMD's own; 128+N if it was killed by signal N; 127 if it\n"
	"could not be started; 3 (--fail-on-leak) if CMD succeeded but left\n"
	"something behind; 2, 4 or 1 if leakscope could not do its part.\n";

static const char usage_attach[] =
	"usage: leakscope attach --cgroup PATH [OPTIONS]\n"
	"\n"
	"Watch an existing cgroup (and the cgroups below it) until SIGINT,\n"
	"SIGTERM or --duration. What exists when the watch starts is the\n"
	"baseline; the report lists what was created during the watch and is\n"
	"still there at the end. attach never kills or removes anything.\n"
	"\n"
	"options:\n"
	"  --cgroup PATH           the cgroup v2 directory to watch\n"
	"                          (required; not the root, not leakscope's\n"
	"                          own cgroup)\n"
	"  --duration SECONDS      stop after this long\n"
	"%s"
	"\n"
	"exit code: 0; 3 (--fail-on-leak) if something created during the\n"
	"watch is still there; 2 for bad input (a cgroup that is missing, not\n"
	"cgroup v2, the root, or contains leakscope); 4 if this machine "
	"cannot\n"
	"watch; 1 if leakscope failed.\n";

static const char usage_doctor[] =
	"usage: leakscope doctor [--json] [--level LEVEL] [-v]\n"
	"\n"
	"Check whether this machine can run leakscope: kernel, BTF, lockdown,\n"
	"cgroup v2 mount, tracefs, BPF ring buffer and iterators, and for "
	"each\n"
	"hook the attach type that would be used. Exit 0 if watching works,\n"
	"4 if not (each failed check says how to fix it).\n"
	"\n"
	"  --json                  machine-readable output\n"
	"  --level LEVEL           check the hooks of this level: full\n"
	"                          (default), snapshot or stacks\n";

static const char usage_mark[] =
	"usage: leakscope mark begin NAME\n"
	"       leakscope mark end NAME [--outcome "
	"passed|failed|skipped|error]\n"
	"                               [--fail-on-leak]\n"
	"       leakscope mark allow 'KIND [FIELD=GLOB]...'\n"
	"\n"
	"For a shell-based harness running under `leakscope run`: tell\n"
	"leakscope that the shell that runs this command starts (begin) or\n"
	"ends (end) test NAME; everything the shell and what it starts create\n"
	"meanwhile belongs to that test. allow lets the current test leave\n"
	"what the rule (docs/suppressions.md) describes. end prints the\n"
	"test's leaks on stderr. Outside leakscope ($LEAKSCOPE_SOCK unset)\n"
	"mark does nothing and exits 0, so a harness runs the same without "
	"it.\n"
	"\n"
	"exit code: 0; 3 with --fail-on-leak if the test left something; 2\n"
	"for bad input or a refused request (nested begin, end of a test not\n"
	"running); 1 if leakscope could not be reached.\n";

void ls_cli_usage(FILE *f, enum ls_cmd cmd)
{
	switch (cmd) {
	case LS_CMD_MARK:
		fputs(usage_mark, f);
		break;
	case LS_CMD_RUN:
		fprintf(f, usage_run, usage_watch);
		break;
	case LS_CMD_ATTACH:
		fprintf(f, usage_attach, usage_watch);
		break;
	case LS_CMD_DOCTOR:
		fputs(usage_doctor, f);
		break;
	default:
		fputs(usage_overview, f);
	}
}
