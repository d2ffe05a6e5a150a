// SPDX-License-Identifier: GPL-2.0
/*
 * test_cli_commands.c - unit tests for user/cli.c: the subcommands, --help
 * anywhere, version, attach and its options, doctor, the error buffer, and
 * the help text of each command.
 *
 * Must not: touch the system; the parser is pure and so are these tests.
 */
#include "cli_fx.h"

/* ---- commands ---- */

static void test_no_command(void **state)
{
	char *argv[] = { "leakscope", NULL };
	char err[ERRLEN];
	struct ls_opts o;

	(void)state;
	assert_int_equal(ls_cli_parse(1, argv, &o, err, sizeof(err)), -EINVAL);
	assert_contains(err, "no command");
	assert_contains(err, "--help");
}

static void test_unknown_command(void **state)
{
	(void)state;
	REJECT("'frobnicate'", "frobnicate");
	REJECT("'RUN'", "RUN");
	REJECT("'-x'", "-x");
	REJECT("'--quiet'", "--quiet", "run", "true");
	REJECT("is not a command", "");
	REJECT("leakscope --help", "runn");
}

static void test_help_forms(void **state)
{
	struct ls_opts o;

	(void)state;
	PARSE_OK(&o, "--help");
	assert_int_equal(o.cmd, LS_CMD_HELP);
	assert_int_equal(o.help_topic, LS_CMD_NONE);
	PARSE_OK(&o, "-h");
	assert_int_equal(o.cmd, LS_CMD_HELP);
	assert_int_equal(o.help_topic, LS_CMD_NONE);
	PARSE_OK(&o, "help");
	assert_int_equal(o.cmd, LS_CMD_HELP);
	assert_int_equal(o.help_topic, LS_CMD_NONE);
}

static void test_help_topics(void **state)
{
	struct ls_opts o;

	(void)state;
	PARSE_OK(&o, "help", "run");
	assert_int_equal(o.cmd, LS_CMD_HELP);
	assert_int_equal(o.help_topic, LS_CMD_RUN);
	PARSE_OK(&o, "help", "attach");
	assert_int_equal(o.help_topic, LS_CMD_ATTACH);
	PARSE_OK(&o, "help", "doctor");
	assert_int_equal(o.help_topic, LS_CMD_DOCTOR);
}

static void test_help_bad_topic(void **state)
{
	(void)state;
	REJECT("'nope'", "help", "nope");
	REJECT("run, attach, mark, doctor", "help", "nope");
	REJECT("'Run'", "help", "Run");
	REJECT("''", "help", "");
}

/* The message must name the word that is wrong, not a good topic before it. */
static void test_help_extra_word(void **state)
{
	(void)state;
	REJECT("'extra'", "help", "run", "extra");
}

static void test_help_anywhere(void **state)
{
	struct ls_opts o;

	(void)state;
	PARSE_OK(&o, "run", "--help");
	assert_int_equal(o.cmd, LS_CMD_HELP);
	assert_int_equal(o.help_topic, LS_CMD_RUN);
	PARSE_OK(&o, "run", "-q", "--grace", "5", "-h");
	assert_int_equal(o.cmd, LS_CMD_HELP);
	assert_int_equal(o.help_topic, LS_CMD_RUN);
	PARSE_OK(&o, "attach", "--cgroup", "/x", "--help");
	assert_int_equal(o.cmd, LS_CMD_HELP);
	assert_int_equal(o.help_topic, LS_CMD_ATTACH);
	/* Help wins over what is missing (attach without --cgroup). */
	PARSE_OK(&o, "attach", "-h");
	assert_int_equal(o.cmd, LS_CMD_HELP);
	assert_int_equal(o.help_topic, LS_CMD_ATTACH);
	PARSE_OK(&o, "doctor", "--json", "--help");
	assert_int_equal(o.cmd, LS_CMD_HELP);
	assert_int_equal(o.help_topic, LS_CMD_DOCTOR);
	/* Words after --help are not parsed: a bad value there is ignored. */
	PARSE_OK(&o, "run", "--help", "--grace", "x");
	assert_int_equal(o.cmd, LS_CMD_HELP);
}

static void test_help_of_help(void **state)
{
	struct ls_opts o;

	(void)state;
	/* "--help/-h anywhere" includes after the help command itself. */
	PARSE_OK(&o, "help", "--help");
	assert_int_equal(o.cmd, LS_CMD_HELP);
	PARSE_OK(&o, "help", "-h");
	assert_int_equal(o.cmd, LS_CMD_HELP);
}

static void test_help_belongs_to_cmd(void **state)
{
	struct ls_opts o;

	(void)state;
	/* After "--" or the first word of CMD, --help is CMD's. */
	PARSE_OK(&o, "run", "--", "pytest", "--help");
	assert_int_equal(o.cmd, LS_CMD_RUN);
	assert_argv(o.argv, (const char *[]){ "pytest", "--help", NULL });
	PARSE_OK(&o, "run", "pytest", "-h");
	assert_int_equal(o.cmd, LS_CMD_RUN);
	assert_argv(o.argv, (const char *[]){ "pytest", "-h", NULL });
}

static void test_version(void **state)
{
	struct ls_opts o;

	(void)state;
	PARSE_OK(&o, "--version");
	assert_int_equal(o.cmd, LS_CMD_VERSION);
	PARSE_OK(&o, "-V");
	assert_int_equal(o.cmd, LS_CMD_VERSION);
	PARSE_OK(&o, "version");
	assert_int_equal(o.cmd, LS_CMD_VERSION);
}

static void test_cmd_names(void **state)
{
	(void)state;
	assert_string_equal(ls_cmd_name(LS_CMD_NONE), "");
	assert_string_equal(ls_cmd_name(LS_CMD_RUN), "run");
	assert_string_equal(ls_cmd_name(LS_CMD_ATTACH), "attach");
	assert_string_equal(ls_cmd_name(LS_CMD_DOCTOR), "doctor");
	assert_string_equal(ls_cmd_name(LS_CMD_HELP), "help");
	assert_string_equal(ls_cmd_name(LS_CMD_VERSION), "version");
}

/* ---- attach ---- */

static void test_attach(void **state)
{
	struct ls_opts o;

	(void)state;
	PARSE_OK(&o, "attach", "--cgroup", "/sys/fs/cgroup/job.scope");
	assert_int_equal(o.cmd, LS_CMD_ATTACH);
	assert_string_equal(o.cgroup, "/sys/fs/cgroup/job.scope");
	assert_true(o.duration_s == 0);
	assert_null(o.argv);
	PARSE_OK(&o, "attach", "--cgroup=rel", "--duration=2.5", "--level",
		 "snapshot", "--report", "-", "--format", "json", "-q",
		 "--fail-on-leak", "--leak-exit-code", "42", "--grace", "10",
		 "--ring-size", "8K", "--temp-root", "/t", "-vv");
	assert_string_equal(o.cgroup, "rel");
	assert_true(o.duration_s == 2.5);
	assert_int_equal(o.level, LS_LEVEL_SNAPSHOT);
	assert_string_equal(o.report_path, "-");
	assert_int_equal(o.format, LS_FMT_JSON);
	assert_true(o.quiet);
	assert_true(o.fail_on_leak);
	assert_int_equal(o.leak_exit_code, 42);
	assert_int_equal(o.grace_ms, 10);
	assert_int_equal(o.ring_bytes, 8192);
	assert_string_equal(o.temp_roots[0], "/t");
	assert_int_equal(o.verbose, 2);
}

static void test_attach_rejections(void **state)
{
	(void)state;
	REJECT("--cgroup", "attach");
	REJECT("required", "attach", "-q");
	REJECT("empty", "attach", "--cgroup=");
	REJECT("'extra'", "attach", "--cgroup", "/c", "extra");
	REJECT("'/c'", "attach", "/c");
	REJECT("'--'", "attach", "--cgroup", "/c", "--", "cmd");
	REJECT("unexpected argument '-'", "attach", "--cgroup", "/c", "-");
}

static void test_duration_values(void **state)
{
	static const char *const bad[] = {
		"0",	    "-1", "-0.5", "nan",   "NAN",      "inf", "-inf",
		"infinity", "1x", "",	  "1e400", "31536001", " ",   "1,5",
	};
	struct ls_opts o;

	(void)state;
	PARSE_OK(&o, "attach", "--cgroup", "/c", "--duration", "0.001");
	assert_true(o.duration_s == 0.001);
	PARSE_OK(&o, "attach", "--cgroup", "/c", "--duration", "31536000");
	assert_true(o.duration_s == 31536000);
	PARSE_OK(&o, "attach", "--cgroup", "/c", "--duration", "1e3");
	assert_true(o.duration_s == 1000);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		REJECT("--duration", "attach", "--cgroup", "/c", "--duration",
		       (char *)bad[i]);
	REJECT("'nan'", "attach", "--cgroup", "/c", "--duration=nan");
	REJECT("'-1'", "attach", "--cgroup", "/c", "--duration=-1");
	REJECT("'inf'", "attach", "--cgroup", "/c", "--duration=inf");
	REJECT("'0'", "attach", "--cgroup", "/c", "--duration=0");
}

/* ---- doctor ---- */

static void test_doctor(void **state)
{
	struct ls_opts o;

	(void)state;
	PARSE_OK(&o, "doctor");
	assert_int_equal(o.cmd, LS_CMD_DOCTOR);
	assert_false(o.json);
	assert_int_equal(o.level, LS_LEVEL_FULL);
	PARSE_OK(&o, "doctor", "--json", "-v");
	assert_true(o.json);
	assert_int_equal(o.verbose, 1);
	REJECT("'extra'", "doctor", "extra");
	REJECT("'--'", "doctor", "--");
}

static void test_doctor_level(void **state)
{
	struct ls_opts o;

	(void)state;
	PARSE_OK(&o, "doctor", "--level", "snapshot");
	assert_int_equal(o.cmd, LS_CMD_DOCTOR);
	assert_int_equal(o.level, LS_LEVEL_SNAPSHOT);
	PARSE_OK(&o, "doctor", "--level=full", "--json");
	assert_int_equal(o.level, LS_LEVEL_FULL);
	assert_true(o.json);
	REJECT("'fast'", "doctor", "--level", "fast");
	REJECT("needs a value", "doctor", "--level");
	/* Only --level of the watch options. */
	REJECT("'--grace'", "doctor", "--grace", "5");
	REJECT("'--temp-root'", "doctor", "--temp-root", "/t");
}

/* ---- the error buffer ---- */

static void test_err_truncated_to_errlen(void **state)
{
	char *argv[] = { "leakscope", "no-such-command-with-a-long-name",
			 NULL };
	char err[32];
	struct ls_opts o;

	(void)state;
	memset(err, 'Z', sizeof(err));
	assert_int_equal(ls_cli_parse(2, argv, &o, err, 8), -EINVAL);
	assert_int_equal(strlen(err), 7);
	for (size_t i = 8; i < sizeof(err); i++)
		assert_int_equal(err[i], 'Z');
}

static void test_err_cleared_on_success(void **state)
{
	struct ls_opts o;
	char err[ERRLEN];

	(void)state;
	assert_int_equal(parse(WORDS("doctor"), &o, err), 0);
	assert_string_equal(err, "");
}

/* ---- help text ---- */

/* The help of @cmd, in a static buffer (nothing to free on failure). */
static const char *usage_of(enum ls_cmd cmd)
{
	static char out[2][16384];
	static int which;
	struct capture c;
	char *s;

	ls_cli_usage(capture_open(&c), cmd);
	s = capture_close(&c);
	which ^= 1;
	snprintf(out[which], sizeof(out[which]), "%s", s);
	free(s);
	return out[which];
}

static const char *const watch_words[] = {
	"--level LEVEL",  "--report FILE",	"--format text|json",
	"-q, --quiet",	  "--temp-root DIR",	"--grace MS",
	"--fail-on-leak", "--leak-exit-code N", "--ring-size BYTES",
	"-v, --verbose",
};

static void test_usage_overview(void **state)
{
	const char *s = usage_of(LS_CMD_NONE);
	const char *h = usage_of(LS_CMD_HELP);

	(void)state;
	assert_contains(s, "usage: leakscope COMMAND");
	assert_contains(s, "run [OPTIONS] -- CMD");
	assert_contains(s, "attach --cgroup PATH");
	assert_contains(s, "doctor");
	assert_contains(s, "help [COMMAND]");
	assert_contains(s, "exit codes:");
	assert_contains(s, "\n  0 ");
	assert_contains(s, "\n  1 ");
	assert_contains(s, "\n  2 ");
	assert_contains(s, "\n  3 ");
	assert_contains(s, "\n  4 ");
	assert_contains(s, "\n  127 ");
	assert_contains(s, "128+N");
	assert_not_contains(s, "%");
	assert_string_equal(s, h);
}

/* The overview lists every word the parser accepts at top level. */
static void test_usage_overview_mentions_version(void **state)
{
	const char *s = usage_of(LS_CMD_NONE);

	(void)state;
	assert_contains(s, "--version");
}

static void test_usage_run(void **state)
{
	static const char *const words[] = {
		"usage: leakscope run",
		"--keep-orphans",
		"--kill-grace MS",
		"--parent-cgroup PATH",
		"exit code",
		"128+N",
		"127",
		"SIGTERM",
	};
	const char *s = usage_of(LS_CMD_RUN);

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(watch_words); i++)
		assert_contains(s, watch_words[i]);
	for (size_t i = 0; i < ARRAY_SIZE(words); i++)
		assert_contains(s, words[i]);
	assert_not_contains(s, "%s");
	assert_not_contains(s, "--cgroup PATH ");
}

static void test_usage_attach(void **state)
{
	const char *s = usage_of(LS_CMD_ATTACH);

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(watch_words); i++)
		assert_contains(s, watch_words[i]);
	assert_contains(s, "usage: leakscope attach --cgroup PATH");
	assert_contains(s, "--duration SECONDS");
	assert_contains(s, "never kills");
	assert_not_contains(s, "--keep-orphans");
	assert_not_contains(s, "%s");
}

/* Like run and doctor, attach's help says what its exit codes mean. */
static void test_usage_attach_exit_codes(void **state)
{
	const char *s = usage_of(LS_CMD_ATTACH);

	(void)state;
	assert_non_null(strcasestr(s, "exit code"));
}

static void test_usage_doctor(void **state)
{
	const char *s = usage_of(LS_CMD_DOCTOR);

	(void)state;
	assert_contains(s, "usage: leakscope doctor [--json]");
	assert_contains(s, "--json");
	assert_contains(s, "--level LEVEL");
	assert_contains(s, "[-v]");
	assert_contains(s, "Exit 0");
	assert_contains(s, "4 if not");
	assert_not_contains(s, "--report");
	assert_not_contains(s, "--fail-on-leak");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_command),
		cmocka_unit_test(test_unknown_command),
		cmocka_unit_test(test_help_forms),
		cmocka_unit_test(test_help_topics),
		cmocka_unit_test(test_help_bad_topic),
		cmocka_unit_test(test_help_extra_word),
		cmocka_unit_test(test_help_anywhere),
		cmocka_unit_test(test_help_of_help),
		cmocka_unit_test(test_help_belongs_to_cmd),
		cmocka_unit_test(test_version),
		cmocka_unit_test(test_cmd_names),
		cmocka_unit_test(test_attach),
		cmocka_unit_test(test_attach_rejections),
		cmocka_unit_test(test_duration_values),
		cmocka_unit_test(test_doctor),
		cmocka_unit_test(test_doctor_level),
		cmocka_unit_test(test_err_truncated_to_errlen),
		cmocka_unit_test(test_err_cleared_on_success),
		cmocka_unit_test(test_usage_overview),
		cmocka_unit_test(test_usage_overview_mentions_version),
		cmocka_unit_test(test_usage_run),
		cmocka_unit_test(test_usage_attach),
		cmocka_unit_test(test_usage_attach_exit_codes),
		cmocka_unit_test(test_usage_doctor),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
