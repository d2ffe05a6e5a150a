// SPDX-License-Identifier: GPL-2.0
/*
 * test_cli_run.c - unit tests for user/cli.c: `run` and its options, in
 * both "--opt VALUE" and "--opt=VALUE" form, where CMD starts, and every
 * rejection (with the offending word in the message and -EINVAL).
 *
 * Must not: touch the system; the parser is pure and so are these tests.
 */
#include "cli_fx.h"
#include "report.h"

/* ---- run ---- */

static void test_run_defaults(void **state)
{
	struct ls_opts o;

	(void)state;
	PARSE_OK(&o, "run", "true");
	assert_int_equal(o.cmd, LS_CMD_RUN);
	assert_argv(o.argv, (const char *[]){ "true", NULL });
	assert_int_equal(o.level, LS_LEVEL_FULL);
	assert_null(o.report_path);
	assert_int_equal(o.format, LS_FMT_AUTO);
	assert_false(o.quiet);
	assert_int_equal(o.verbose, 0);
	assert_int_equal(o.n_temp_roots, 0);
	assert_int_equal(o.grace_ms, LS_DEFAULT_GRACE_MS);
	assert_int_equal(o.grace_ms, 400);
	assert_int_equal(o.ring_bytes, 4ul << 20);
	assert_false(o.fail_on_leak);
	assert_int_equal(o.leak_exit_code, LS_EXIT_LEAKS);
	assert_int_equal(o.leak_exit_code, 3);
	assert_false(o.keep_orphans);
	assert_int_equal(o.kill_grace_ms, 1000);
	assert_null(o.parent_cgroup);
	assert_null(o.cgroup);
	assert_false(o.json);
}

static void test_run_dashdash(void **state)
{
	struct ls_opts o;

	(void)state;
	PARSE_OK(&o, "run", "-q", "--", "ls", "-l", "--", "--quiet");
	assert_true(o.quiet);
	assert_argv(o.argv,
		    (const char *[]){ "ls", "-l", "--", "--quiet", NULL });
	/* A CMD that looks like an option needs "--". */
	PARSE_OK(&o, "run", "--", "-weird-name");
	assert_argv(o.argv, (const char *[]){ "-weird-name", NULL });
}

static void test_run_first_word_starts_cmd(void **state)
{
	struct ls_opts o;

	(void)state;
	PARSE_OK(&o, "run", "--fail-on-leak", "make", "-j4", "--report=x",
		 "--");
	assert_true(o.fail_on_leak);
	assert_null(o.report_path);
	assert_argv(o.argv, (const char *[]){ "make", "-j4", "--report=x", "--",
					      NULL });
}

static void test_run_no_command(void **state)
{
	(void)state;
	REJECT("no command", "run");
	REJECT("no command", "run", "--");
	REJECT("no command", "run", "-q", "--grace", "5");
	REJECT("-- CMD", "run", "--fail-on-leak");
}

static void test_run_options_space(void **state)
{
	struct ls_opts o;

	(void)state;
	PARSE_OK(&o, "run", "--level", "snapshot", "--report", "out.json",
		 "--format", "json", "--temp-root", "/scratch", "--grace",
		 "250", "--ring-size", "64K", "--leak-exit-code", "9",
		 "--kill-grace", "2500", "--parent-cgroup", "/sys/fs/cgroup/ci",
		 "--keep-orphans", "--fail-on-leak", "--quiet", "--verbose",
		 "cmd");
	assert_int_equal(o.level, LS_LEVEL_SNAPSHOT);
	assert_string_equal(o.report_path, "out.json");
	assert_int_equal(o.format, LS_FMT_JSON);
	assert_int_equal(o.n_temp_roots, 1);
	assert_string_equal(o.temp_roots[0], "/scratch");
	assert_int_equal(o.grace_ms, 250);
	assert_int_equal(o.ring_bytes, 65536);
	assert_int_equal(o.leak_exit_code, 9);
	assert_int_equal(o.kill_grace_ms, 2500);
	assert_string_equal(o.parent_cgroup, "/sys/fs/cgroup/ci");
	assert_true(o.keep_orphans);
	assert_true(o.fail_on_leak);
	assert_true(o.quiet);
	assert_int_equal(o.verbose, 1);
	assert_argv(o.argv, (const char *[]){ "cmd", NULL });
}

static void test_run_options_equals(void **state)
{
	struct ls_opts o;

	(void)state;
	PARSE_OK(&o, "run", "--level=snapshot", "--report=a=b.txt",
		 "--format=text", "--temp-root=/scratch", "--grace=0",
		 "--ring-size=1M", "--leak-exit-code=255", "--kill-grace=60000",
		 "--parent-cgroup=/p", "-q", "-v", "--", "cmd", "arg");
	assert_int_equal(o.level, LS_LEVEL_SNAPSHOT);
	assert_string_equal(o.report_path, "a=b.txt");
	assert_int_equal(o.format, LS_FMT_TEXT);
	assert_string_equal(o.temp_roots[0], "/scratch");
	assert_int_equal(o.grace_ms, 0);
	assert_int_equal(o.ring_bytes, 1ul << 20);
	assert_int_equal(o.leak_exit_code, 255);
	assert_int_equal(o.kill_grace_ms, 60000);
	assert_string_equal(o.parent_cgroup, "/p");
	assert_true(o.quiet);
	assert_int_equal(o.verbose, 1);
	assert_argv(o.argv, (const char *[]){ "cmd", "arg", NULL });
}

static void test_parse_resets_options(void **state)
{
	struct ls_opts o;

	(void)state;
	PARSE_OK(&o, "run", "-q", "--grace", "7", "--temp-root", "/a", "x");
	PARSE_OK(&o, "run", "x");
	assert_false(o.quiet);
	assert_int_equal(o.grace_ms, 400);
	assert_int_equal(o.n_temp_roots, 0);
}

static void test_verbose_counts(void **state)
{
	struct ls_opts o;

	(void)state;
	PARSE_OK(&o, "run", "-v", "--verbose", "-vv", "-v", "x");
	assert_int_equal(o.verbose, 5);
	PARSE_OK(&o, "doctor", "-vv");
	assert_int_equal(o.verbose, 2);
	REJECT("'-vvv'", "run", "-vvv", "x");
}

static void test_level_values(void **state)
{
	struct ls_opts o;

	(void)state;
	PARSE_OK(&o, "run", "--level", "full", "x");
	assert_int_equal(o.level, LS_LEVEL_FULL);
	PARSE_OK(&o, "run", "--level=snapshot", "x");
	assert_int_equal(o.level, LS_LEVEL_SNAPSHOT);
	REJECT("'fast'", "run", "--level", "fast", "x");
	REJECT("full, snapshot or stacks", "run", "--level", "fast", "x");
	PARSE_OK(&o, "run", "--level", "stacks", "x");
	assert_int_equal(o.level, LS_LEVEL_STACKS);
	REJECT("'FULL'", "run", "--level=FULL", "x");
	REJECT("--level", "run", "--level=", "x");
}

static void test_report_values(void **state)
{
	struct ls_opts o;

	(void)state;
	PARSE_OK(&o, "run", "--report", "-", "x");
	assert_string_equal(o.report_path, "-");
	PARSE_OK(&o, "run", "--report", "a", "--report", "b", "x");
	assert_string_equal(o.report_path, "b");
	REJECT("empty", "run", "--report=", "x");
	REJECT("--report", "run", "--report", "", "x");
}

static void test_format_values(void **state)
{
	struct ls_opts o;

	(void)state;
	PARSE_OK(&o, "run", "--report", "r", "--format", "text", "x");
	assert_int_equal(o.format, LS_FMT_TEXT);
	/* Order does not matter: --format before --report. */
	PARSE_OK(&o, "run", "--format=json", "--report=r", "x");
	assert_int_equal(o.format, LS_FMT_JSON);
	REJECT("'xml'", "run", "--report", "r", "--format", "xml", "x");
	REJECT("text or json", "run", "--report", "r", "--format", "xml", "x");
	REJECT("'auto'", "run", "--report", "r", "--format=auto", "x");
	REJECT("'JSON'", "run", "--report", "r", "--format=JSON", "x");
}

static void test_format_without_report(void **state)
{
	(void)state;
	REJECT("--format", "run", "--format", "json", "x");
	REJECT("--report", "run", "--format", "json", "x");
	REJECT("--report", "attach", "--cgroup", "/c", "--format=text");
}

static void test_ring_size_values(void **state)
{
	static const struct {
		const char *in;
		unsigned long want;
	} ok[] = {
		{ "4096", 4096 },
		{ "65536", 65536 },
		{ "4K", 4096 },
		{ "4k", 4096 },
		{ "256K", 256 << 10 },
		{ "1M", 1 << 20 },
		{ "16m", 16 << 20 },
		{ "1024M", 1ul << 30 },
		{ "1048576K", 1ul << 30 },
		{ "1073741824", 1ul << 30 },
	};
	struct ls_opts o;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
		PARSE_OK(&o, "run", "--ring-size", (char *)ok[i].in, "x");
		assert_int_equal(o.ring_bytes, ok[i].want);
	}
}

/* Each --max-* sizes its own table, in both forms, from 16 to 2^24. */
static void test_table_sizes(void **state)
{
	static const struct {
		const char *opt;
		enum ls_table table;
	} tables[] = {
		{ "--max-objects", LS_TABLE_OBJECTS },
		{ "--max-processes", LS_TABLE_PROCESSES },
		{ "--max-threads", LS_TABLE_THREADS },
		{ "--max-tests", LS_TABLE_TESTS },
		{ "--max-stacks", LS_TABLE_STACKS },
	};
	char eq[64];
	struct ls_opts o;

	(void)state;
	PARSE_OK(&o, "run", "x");
	for (int t = 0; t < LS_TABLE_MAX; t++)
		assert_int_equal(o.table_size[t], 0);
	assert_int_equal(ARRAY_SIZE(tables), LS_TABLE_MAX);
	for (size_t i = 0; i < ARRAY_SIZE(tables); i++) {
		PARSE_OK(&o, "run", (char *)tables[i].opt, "16", "x");
		for (int t = 0; t < LS_TABLE_MAX; t++)
			assert_int_equal(o.table_size[t],
					 t == (int)tables[i].table ? 16 : 0);
		snprintf(eq, sizeof(eq), "%s=16777216", tables[i].opt);
		PARSE_OK(&o, "attach", eq, "--cgroup", "/x");
		assert_int_equal(o.table_size[tables[i].table], 1ul << 24);
		REJECT(tables[i].opt, "run", (char *)tables[i].opt, "15", "x");
		REJECT("from 16 to 16777216", "run", (char *)tables[i].opt,
		       "16777217", "x");
	}
}

/* The text report tells the user to raise these: each must be an option
 * that run and attach take (65536 fits every one of them). */
static void test_loss_remedies_are_options(void **state)
{
	struct ls_opts o;
	int named = 0;

	(void)state;
	for (int l = 0; l < LS_LOSS_MAX; l++) {
		const char *opt = ls_loss_remedy(l);

		if (!opt)
			continue;
		PARSE_OK(&o, "run", (char *)opt, "65536", "x");
		PARSE_OK(&o, "attach", (char *)opt, "65536", "--cgroup", "/x");
		named++;
	}
	assert_int_equal(named, 5);
}

static void test_ring_size_rejected(void **state)
{
	static const char *const bad[] = {
		"4095",
		"3000",
		"6K",
		"12288",
		"2048",
		"1K",
		"2K",
		"0",
		"0K",
		"2048M",
		"1G",
		"2147483648",
		"4X",
		"K",
		"",
		"-4096",
		"4KK",
		"4 K",
		"0x1000",
		"99999999999999999999",
		"18446744073709551616",
		"4096.0",
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		REJECT("--ring-size", "run", "--ring-size", (char *)bad[i],
		       "x");
	/* The message names the word, or the size it stands for. */
	REJECT("'4X'", "run", "--ring-size=4X", "x");
	REJECT("6144", "run", "--ring-size=6K", "x");
	REJECT("power of two", "run", "--ring-size=3000", "x");
	REJECT("2048", "run", "--ring-size=2048", "x");
	REJECT("at least 4096", "run", "--ring-size=2K", "x");
}

static void test_grace_values(void **state)
{
	struct ls_opts o;

	(void)state;
	PARSE_OK(&o, "run", "--grace", "60000", "x");
	assert_int_equal(o.grace_ms, 60000);
	REJECT("'60001'", "run", "--grace", "60001", "x");
	REJECT("'-1'", "run", "--grace", "-1", "x");
	REJECT("'-0'", "run", "--grace", "-0", "x");
	REJECT("'10ms'", "run", "--grace", "10ms", "x");
	REJECT("'1.5'", "run", "--grace", "1.5", "x");
	REJECT("--grace", "run", "--grace=", "x");
	REJECT("'18446744073709551616'", "run", "--grace",
	       "18446744073709551616", "x");
	REJECT("'99999999999999999999'", "run", "--grace=99999999999999999999",
	       "x");
	REJECT("0 to 60000", "run", "--grace", "abc", "x");
}

static void test_kill_grace_values(void **state)
{
	struct ls_opts o;

	(void)state;
	PARSE_OK(&o, "run", "--kill-grace", "0", "x");
	assert_int_equal(o.kill_grace_ms, 0);
	REJECT("'60001'", "run", "--kill-grace", "60001", "x");
	REJECT("'-5'", "run", "--kill-grace=-5", "x");
	REJECT("'5s'", "run", "--kill-grace=5s", "x");
	REJECT("--kill-grace", "run", "--kill-grace=", "x");
}

static void test_leak_exit_code_values(void **state)
{
	struct ls_opts o;

	(void)state;
	PARSE_OK(&o, "run", "--leak-exit-code", "1", "x");
	assert_int_equal(o.leak_exit_code, 1);
	PARSE_OK(&o, "run", "--leak-exit-code=255", "x");
	assert_int_equal(o.leak_exit_code, 255);
	REJECT("'0'", "run", "--leak-exit-code", "0", "x");
	REJECT("'256'", "run", "--leak-exit-code", "256", "x");
	REJECT("1 to 255", "run", "--leak-exit-code", "256", "x");
	REJECT("'-3'", "run", "--leak-exit-code=-3", "x");
	REJECT("'3x'", "run", "--leak-exit-code=3x", "x");
	REJECT("--leak-exit-code", "run", "--leak-exit-code=", "x");
}

static void test_temp_roots(void **state)
{
	struct ls_opts o;

	(void)state;
	PARSE_OK(&o, "run", "--temp-root", "/a", "--temp-root=/b/c", "x");
	assert_int_equal(o.n_temp_roots, 2);
	assert_string_equal(o.temp_roots[0], "/a");
	assert_string_equal(o.temp_roots[1], "/b/c");
	REJECT("'tmp'", "run", "--temp-root", "tmp", "x");
	REJECT("absolute", "run", "--temp-root", "./tmp", "x");
	REJECT("--temp-root", "run", "--temp-root=", "x");
}

static void test_temp_roots_limit(void **state)
{
	const int max = LS_MAX_TEMP_ROOTS - 4;
	char *argv[64], names[LS_MAX_TEMP_ROOTS + 1][16], err[ERRLEN];
	struct ls_opts o;
	int n = 0;

	(void)state;
	argv[n++] = "leakscope";
	argv[n++] = "run";
	for (int i = 0; i < max; i++) {
		snprintf(names[i], sizeof(names[i]), "/r%d", i);
		argv[n++] = "--temp-root";
		argv[n++] = names[i];
	}
	argv[n++] = "x";
	argv[n] = NULL;
	assert_int_equal(ls_cli_parse(n, argv, &o, err, sizeof(err)), 0);
	assert_int_equal(o.n_temp_roots, max);
	assert_string_equal(o.temp_roots[max - 1], names[max - 1]);
	/* One more is refused, before the CMD word. */
	argv[n - 1] = "--temp-root=/one-too-many";
	argv[n++] = "x";
	argv[n] = NULL;
	assert_int_equal(ls_cli_parse(n, argv, &o, err, sizeof(err)), -EINVAL);
	assert_contains(err, "--temp-root");
	assert_contains(err, "at most 12");
}

static void test_parent_cgroup_values(void **state)
{
	(void)state;
	REJECT("'rel/path'", "run", "--parent-cgroup", "rel/path", "x");
	REJECT("absolute", "run", "--parent-cgroup=", "x");
}

static void test_missing_values(void **state)
{
	static const char *const run_opts[] = {
		"--level",	    "--report",	    "--format",
		"--temp-root",	    "--grace",	    "--ring-size",
		"--leak-exit-code", "--kill-grace", "--parent-cgroup",
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(run_opts); i++) {
		REJECT(run_opts[i], "run", (char *)run_opts[i]);
		REJECT("needs a value", "run", (char *)run_opts[i]);
	}
	REJECT("--cgroup", "attach", "--cgroup");
	REJECT("needs a value", "attach", "--cgroup");
	REJECT("--duration", "attach", "--cgroup", "/c", "--duration");
	REJECT("needs a value", "attach", "--cgroup", "/c", "--duration");
	REJECT("--grace", "attach", "--cgroup", "/c", "--grace");
}

static void test_flags_take_no_value(void **state)
{
	(void)state;
	REJECT("--quiet", "run", "--quiet=1", "x");
	REJECT("takes no value", "run", "--quiet=1", "x");
	REJECT("--fail-on-leak", "run", "--fail-on-leak=yes", "x");
	REJECT("--keep-orphans", "run", "--keep-orphans=1", "x");
	REJECT("--quiet", "attach", "--cgroup", "/c", "--quiet=");
	REJECT("--json", "doctor", "--json=true");
}

/* Short and counting flags take no value either: each is checked, and
 * every one that is accepted is named before the test fails. */
static void test_short_flags_take_no_value(void **state)
{
	static const char *const words[][3] = {
		{ "run", "-q=1", "x" },
		{ "run", "--verbose=2", "x" },
		{ "run", "-v=1", "x" },
		{ "doctor", "-vv=x", NULL },
	};
	int accepted = 0;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(words); i++) {
		char *argv[] = { "leakscope", (char *)words[i][0],
				 (char *)words[i][1], (char *)words[i][2],
				 NULL };
		char err[ERRLEN];
		struct ls_opts o;

		if (parse(argv, &o, err) != -EINVAL ||
		    !strstr(err, "takes no value")) {
			print_error("accepted: %s %s\n", words[i][0],
				    words[i][1]);
			accepted++;
		}
	}
	assert_int_equal(accepted, 0);
}

static void test_unknown_options(void **state)
{
	char longopt[100];

	(void)state;
	REJECT("'--nope'", "run", "--nope", "x");
	REJECT("leakscope help run", "run", "--nope", "x");
	REJECT("'--nope=1'", "run", "--nope=1", "x");
	/* Options of one command are unknown to the others. */
	REJECT("'--keep-orphans'", "attach", "--cgroup", "/c",
	       "--keep-orphans");
	REJECT("'--kill-grace'", "attach", "--cgroup", "/c", "--kill-grace",
	       "5");
	REJECT("'--cgroup=/c'", "run", "--cgroup=/c", "x");
	REJECT("'--duration'", "run", "--duration", "5", "x");
	REJECT("'--json'", "run", "--json", "x");
	REJECT("'--quiet'", "doctor", "--quiet");
	REJECT("'--report'", "doctor", "--report", "r");
	REJECT("'--version'", "run", "--version", "x");
	REJECT("'-Q'", "run", "-Q", "x");
	memset(longopt, 'o', sizeof(longopt) - 1);
	longopt[0] = longopt[1] = '-';
	longopt[sizeof(longopt) - 1] = 0;
	REJECT(longopt, "run", longopt, "x");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_run_defaults),
		cmocka_unit_test(test_run_dashdash),
		cmocka_unit_test(test_run_first_word_starts_cmd),
		cmocka_unit_test(test_run_no_command),
		cmocka_unit_test(test_run_options_space),
		cmocka_unit_test(test_run_options_equals),
		cmocka_unit_test(test_parse_resets_options),
		cmocka_unit_test(test_verbose_counts),
		cmocka_unit_test(test_level_values),
		cmocka_unit_test(test_report_values),
		cmocka_unit_test(test_format_values),
		cmocka_unit_test(test_format_without_report),
		cmocka_unit_test(test_ring_size_values),
		cmocka_unit_test(test_ring_size_rejected),
		cmocka_unit_test(test_table_sizes),
		cmocka_unit_test(test_loss_remedies_are_options),
		cmocka_unit_test(test_grace_values),
		cmocka_unit_test(test_kill_grace_values),
		cmocka_unit_test(test_leak_exit_code_values),
		cmocka_unit_test(test_temp_roots),
		cmocka_unit_test(test_temp_roots_limit),
		cmocka_unit_test(test_parent_cgroup_values),
		cmocka_unit_test(test_missing_values),
		cmocka_unit_test(test_flags_take_no_value),
		cmocka_unit_test(test_short_flags_take_no_value),
		cmocka_unit_test(test_unknown_options),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
