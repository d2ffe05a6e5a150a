// SPDX-License-Identifier: GPL-2.0
/*
 * test_protocol_verbs.c - unit tests for user/protocol.c: the request
 * grammar of docs/protocol.md, verb by verb, as ls_proto_parse sees one
 * line.
 *
 * Covers every verb (HELLO with and without a client, PING, STATUS, BEGIN,
 * END, ALLOW, FOR), END's outcome splitting (the last word is the outcome
 * only when it is one of the four; "END passed" ends a test named
 * "passed"), the exactly-one-space rule, the trailing '\r', and pids
 * (signs, overflow, letters, blanks, empty; a bad one is echoed as clean
 * ASCII).
 *
 * Must not: depend on any module but protocol.c.
 */
#include "protocol_fx.h"

/* ---- the verbs ---- */

static void test_hello_without_client(void **state)
{
	(void)state;
	OK("HELLO", LS_REQ_HELLO);
	NAME_AT(5, 0);
	OK("HELLO\r", LS_REQ_HELLO);
	assert_int_equal(cur.req.name_len, 0);
}

static void test_hello_with_client(void **state)
{
	(void)state;
	OK("HELLO pytest-leakscope 1.2", LS_REQ_HELLO);
	NAME_AT(6, 20);
	OK("HELLO cliënt ✓", LS_REQ_HELLO);
	NAME_AT(6, cur.len - 6);
	assert_int_equal(cur.req.outcome, LS_OUTCOME_NONE);
	/* HELLO does not split an outcome off. */
	OK("HELLO x passed", LS_REQ_HELLO);
	NAME_AT(6, 8);
}

static void test_hello_bad_client(void **state)
{
	(void)state;
	ERR("HELLO a\tb", "bad name");
	AT_BYTE(1);
	ERR("HELLO \xff", "bad name");
	AT_BYTE(0);
}

static void test_ping_status(void **state)
{
	(void)state;
	OK("PING", LS_REQ_PING);
	OK("PING\r", LS_REQ_PING);
	OK("STATUS", LS_REQ_STATUS);
	OK("STATUS\r", LS_REQ_STATUS);
}

static void test_begin(void **state)
{
	(void)state;
	OK("BEGIN demo", LS_REQ_BEGIN);
	NAME_AT(6, 4);
	assert_int_equal(cur.req.outcome, LS_OUTCOME_NONE);
	OK("BEGIN x", LS_REQ_BEGIN);
	NAME_AT(6, 1);
}

static void test_begin_spaces_and_utf8(void **state)
{
	static const char l[] = "BEGIN tests/test_db.py::test_q[a b-c] "
				"Grüße 日本語 🎉 end";

	(void)state;
	OK(l, LS_REQ_BEGIN);
	NAME_AT(6, sizeof(l) - 1 - 6);
	/* BEGIN never splits an outcome off. */
	OK("BEGIN it passed", LS_REQ_BEGIN);
	NAME_AT(6, 9);
	assert_int_equal(cur.req.outcome, LS_OUTCOME_NONE);
}

/* ---- END and its outcome ---- */

static void test_end_outcomes(void **state)
{
	static const struct {
		const char *line;
		enum ls_outcome o;
	} c[] = {
		{ "END t::x passed", LS_OUTCOME_PASSED },
		{ "END t::x failed", LS_OUTCOME_FAILED },
		{ "END t::x skipped", LS_OUTCOME_SKIPPED },
		{ "END t::x error", LS_OUTCOME_ERROR },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(c); i++) {
		OKN(c[i].line, strlen(c[i].line), LS_REQ_END);
		NAME_AT(4, 4);
		assert_int_equal(cur.req.outcome, c[i].o);
		assert_string_equal(ls_outcome_name(c[i].o), c[i].line + 9);
	}
}

static void test_end_without_outcome(void **state)
{
	(void)state;
	OK("END t::x", LS_REQ_END);
	NAME_AT(4, 4);
	assert_int_equal(cur.req.outcome, LS_OUTCOME_NONE);
	OK("END a b c", LS_REQ_END);
	NAME_AT(4, 5);
	assert_int_equal(cur.req.outcome, LS_OUTCOME_NONE);
}

static void test_end_spaces_and_utf8(void **state)
{
	(void)state;
	OK("END Grüße 日本 🎉 failed", LS_REQ_END);
	NAME_AT(4, strlen("Grüße 日本 🎉"));
	assert_int_equal(cur.req.outcome, LS_OUTCOME_FAILED);
	OK("END Grüße 日本 🎉", LS_REQ_END);
	NAME_AT(4, strlen("Grüße 日本 🎉"));
	assert_int_equal(cur.req.outcome, LS_OUTCOME_NONE);
}

/* "END passed" ends a test named "passed". */
static void test_end_outcome_word_alone(void **state)
{
	static const char *const w[] = { "passed", "failed", "skipped",
					 "error" };
	char line[32];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(w); i++) {
		snprintf(line, sizeof(line), "END %s", w[i]);
		OKN(line, strlen(line), LS_REQ_END);
		NAME_AT(4, strlen(w[i]));
		assert_int_equal(cur.req.outcome, LS_OUTCOME_NONE);
	}
}

/* A name that ends in an outcome word needs its outcome. */
static void test_end_name_ending_in_outcome(void **state)
{
	(void)state;
	OK("END test passed passed", LS_REQ_END);
	NAME_AT(4, 11);
	assert_int_equal(cur.req.outcome, LS_OUTCOME_PASSED);
	/* Without it, the last word is taken as the outcome. */
	OK("END test passed", LS_REQ_END);
	NAME_AT(4, 4);
	assert_int_equal(cur.req.outcome, LS_OUTCOME_PASSED);
	OK("END it error failed", LS_REQ_END);
	NAME_AT(4, 8);
	assert_int_equal(cur.req.outcome, LS_OUTCOME_FAILED);
}

/* Only the four words, exactly, and only after a space. */
static void test_end_not_outcomes(void **state)
{
	static const char *const l[] = {
		"END x Passed",	 "END x PASSED", "END x passedx", "END x pass",
		"END x xpassed", "END x-passed", "END x errors",  "END x fail",
		"END x skip",	 "END x ok",
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(l); i++) {
		OKN(l[i], strlen(l[i]), LS_REQ_END);
		NAME_AT(4, strlen(l[i]) - 4);
		assert_int_equal(cur.req.outcome, LS_OUTCOME_NONE);
	}
	/* A tab is no separator but a control character. */
	ERR("END x\tpassed", "bad name");
	AT_BYTE(1);
}

/* ---- spaces and line ends ---- */

/* Exactly one space after the verb: a second one is part of the name. */
static void test_one_space_rule(void **state)
{
	(void)state;
	OK("BEGIN  x", LS_REQ_BEGIN);
	NAME_AT(6, 2);
	OK("BEGIN x ", LS_REQ_BEGIN);
	NAME_AT(6, 2);
	OK("BEGIN   ", LS_REQ_BEGIN);
	NAME_AT(6, 2);
	OK("END  x", LS_REQ_END);
	NAME_AT(4, 2);
	/* The space before the outcome separates; one more is the name's. */
	OK("END x  passed", LS_REQ_END);
	NAME_AT(4, 2);
	assert_int_equal(cur.req.outcome, LS_OUTCOME_PASSED);
	OK("END x passed ", LS_REQ_END);
	NAME_AT(4, 9);
	assert_int_equal(cur.req.outcome, LS_OUTCOME_NONE);
	ERR("END  passed", "bad name: empty");
	OK("HELLO  x", LS_REQ_HELLO);
	NAME_AT(6, 2);
}

static void test_trailing_cr(void **state)
{
	(void)state;
	OK("BEGIN x\r", LS_REQ_BEGIN);
	NAME_AT(6, 1);
	OK("END x passed\r", LS_REQ_END);
	NAME_AT(4, 1);
	assert_int_equal(cur.req.outcome, LS_OUTCOME_PASSED);
	OK("FOR 12\r", LS_REQ_FOR);
	assert_int_equal(cur.req.pid, 12);
	/* Only one, and only at the end. */
	ERR("BEGIN x\r\r", "bad name: control character");
	AT_BYTE(1);
	ERR("BEGIN a\rb", "bad name: control character");
	AT_BYTE(1);
	ERR("PING\r\r", "unknown request");
}

/* ---- FOR ---- */

static void test_for_valid(void **state)
{
	static const struct {
		const char *line;
		long pid;
	} c[] = {
		{ "FOR 0", 0 },
		{ "FOR 1", 1 },
		{ "FOR 4242", 4242 },
		{ "FOR 4194304", 4194304 }, /* PID_MAX_LIMIT */
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(c); i++) {
		OKN(c[i].line, strlen(c[i].line), LS_REQ_FOR);
		assert_int_equal(cur.req.pid, c[i].pid);
	}
}

static void test_for_signs_and_letters(void **state)
{
	static const char *const l[] = {
		"FOR -1", "FOR +1",  "FOR -0",	 "FOR 1a",
		"FOR a1", "FOR abc", "FOR 0x1f", "FOR 1.5",
		"FOR 1 ", "FOR 1 2", "FOR 1\t",	 "FOR ١٢",
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(l); i++)
		ERRN(l[i], strlen(l[i]), "bad pid");
}

static void test_for_overflow(void **state)
{
	static const char *const l[] = {
		"FOR 2147483648", /* INT_MAX + 1: no pid_t */
		"FOR 4294967296", /* UINT_MAX + 1 */
		"FOR 99999999999",
		"FOR 9223372036854775807",
		"FOR 9223372036854775808",
		"FOR 18446744073709551617",
		"FOR 123456789012345678901234567890",
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(l); i++)
		ERRN(l[i], strlen(l[i]), "bad pid");
}

static void test_for_empty(void **state)
{
	(void)state;
	ERR("FOR", "bad pid");
	ERR("FOR ", "bad pid");
	ERR("FOR \r", "bad pid");
}

/*
 * What follows the one space is taken as it is: " 12" is not a number, so
 * blanks before the digits (strtol would skip them) make a bad pid, and
 * " -1" must not come out as pid -1.
 */
static void test_for_leading_blanks(void **state)
{
	static const char *const l[] = {
		"FOR  -1", "FOR  12", "FOR \t12", "FOR \v12", "FOR \f12",
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(l); i++)
		ERRN(l[i], strlen(l[i]), "bad pid");
}

/* A bad pid comes back as printable ASCII ('?' for the rest), cut short. */
static void test_for_bad_pid_echo(void **state)
{
	static char l[4 + 3000];

	(void)state;
	ERR("FOR 1\x1b[2J\xff\x7f\t\xc3\xa9", "bad pid");
	CLEAN(cur.err);
	assert_contains(cur.err, "'1?[2J?????\x27"); /* \x27: no trigraph */
	ERR("FOR 1\r2", "bad pid");
	assert_contains(cur.err, "'1?2'");
	/* However long, a short reason. */
	memcpy(l, "FOR ", 4);
	memset(l + 4, '\n', sizeof(l) - 4);
	ERRN(l, sizeof(l), "bad pid");
	CLEAN(cur.err);
	assert_true(strlen(cur.err) < 64);
	memset(l + 4, '9', sizeof(l) - 4);
	ERRN(l, sizeof(l), "bad pid");
	CLEAN(cur.err);
	assert_true(strlen(cur.err) < 64);
	assert_contains(cur.err, "...");
	/* Leading zeros are still digits. */
	OK("FOR 0000000000000000000042", LS_REQ_FOR);
	assert_int_equal(cur.req.pid, 42);
}

/* ---- ALLOW ---- */

static void test_allow(void **state)
{
	(void)state;
	OK("ALLOW socket addr=*:6379", LS_REQ_ALLOW);
	assert_ptr_equal(cur.req.rule, cur.line + 6);
	assert_int_equal(cur.req.name_len, 18);
	OK("ALLOW fd", LS_REQ_ALLOW);
	assert_ptr_equal(cur.req.rule, cur.line + 6);
	assert_int_equal(cur.req.name_len, 2);
	OK("ALLOW file path=/tmp/a b*\r", LS_REQ_ALLOW);
	assert_int_equal(cur.req.name_len, 19);
}

static void test_allow_without_rule(void **state)
{
	(void)state;
	ERR("ALLOW", "bad rule");
	ERR("ALLOW ", "bad rule");
	ERR("ALLOW\r", "bad rule");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_hello_without_client),
		T(test_hello_with_client),
		T(test_hello_bad_client),
		T(test_ping_status),
		T(test_begin),
		T(test_begin_spaces_and_utf8),
		T(test_end_outcomes),
		T(test_end_without_outcome),
		T(test_end_spaces_and_utf8),
		T(test_end_outcome_word_alone),
		T(test_end_name_ending_in_outcome),
		T(test_end_not_outcomes),
		T(test_one_space_rule),
		T(test_trailing_cr),
		T(test_for_valid),
		T(test_for_signs_and_letters),
		T(test_for_overflow),
		T(test_for_empty),
		T(test_for_leading_blanks),
		T(test_for_bad_pid_echo),
		T(test_allow),
		T(test_allow_without_rule),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
