// SPDX-License-Identifier: GPL-2.0
/*
 * test_json_misuse.c - unit tests for user/json.c's errors: misuse
 * (-EINVAL, no crash, and still a parseable document), the depth limit, a
 * NULL stream, and write errors (a full device, and a write that fails at
 * every offset of a document).
 *
 * Must not: depend on anything but json.c and /dev/full (the full-device
 * checks skip without it).
 */
#include "json_fx.h"

/* ---- misuse: -EINVAL, no crash, and still a parseable document ---- */

static void build_end_at_top(struct ls_json *j)
{
	ls_json_end_object(j);
	build_nested(j); /* ignored after the error */
}

static void build_end_array_at_top(struct ls_json *j)
{
	ls_json_end_array(j);
}

static void build_value_without_key(struct ls_json *j)
{
	ls_json_begin_object(j);
	ls_json_kv_int(j, "a", 1);
	ls_json_int(j, 2);
	ls_json_kv_int(j, "b", 3);
	ls_json_end_object(j);
}

static void build_container_without_key(struct ls_json *j)
{
	ls_json_begin_object(j);
	ls_json_begin_array(j);
	ls_json_end_array(j);
	ls_json_end_object(j);
}

static void build_key_in_array(struct ls_json *j)
{
	ls_json_begin_array(j);
	ls_json_int(j, 1);
	ls_json_kv_int(j, "k", 2);
	ls_json_end_array(j);
}

static void build_key_at_top(struct ls_json *j)
{
	ls_json_key(j, "k");
}

static void build_key_after_key(struct ls_json *j)
{
	ls_json_begin_object(j);
	ls_json_key(j, "a");
	ls_json_key(j, "b");
	ls_json_int(j, 1);
	ls_json_end_object(j);
}

static void build_null_key(struct ls_json *j)
{
	ls_json_begin_object(j);
	ls_json_kv_int(j, NULL, 1);
	ls_json_end_object(j);
}

static void build_mismatched_end(struct ls_json *j)
{
	ls_json_begin_object(j);
	ls_json_end_array(j);
}

static void build_end_after_key(struct ls_json *j)
{
	ls_json_begin_object(j);
	ls_json_key(j, "a");
	ls_json_end_object(j);
}

static void build_two_top_values(struct ls_json *j)
{
	ls_json_int(j, 1);
	ls_json_int(j, 2);
}

static void build_unclosed(struct ls_json *j)
{
	ls_json_begin_object(j);
	ls_json_key(j, "a");
	ls_json_begin_array(j);
	ls_json_int(j, 2);
}

static void build_dangling_key(struct ls_json *j)
{
	ls_json_begin_object(j);
	ls_json_key(j, "a");
}

static void build_nothing(struct ls_json *j)
{
	(void)j;
}

static void build_depth(struct ls_json *j, int depth)
{
	int i;

	for (i = 0; i < depth; i++)
		ls_json_begin_array(j);
	for (i = 0; i < depth; i++)
		ls_json_end_array(j);
}

static void build_max_depth(struct ls_json *j)
{
	build_depth(j, LS_JSON_MAX_DEPTH);
}

static void build_too_deep(struct ls_json *j)
{
	build_depth(j, LS_JSON_MAX_DEPTH + 1);
}

static void build_too_deep_in_object(struct ls_json *j)
{
	int i;

	for (i = 0; i < LS_JSON_MAX_DEPTH; i++) {
		ls_json_begin_object(j);
		ls_json_key(j, "k");
	}
	ls_json_begin_object(j);
	ls_json_int(j, 1);
}

static const struct misuse {
	const char *name;
	build_fn build;
	const char *want; /* compact output, closed by finish() */
} misuses[] = {
	{ "end_object at depth 0", build_end_at_top, "null" },
	{ "end_array at depth 0", build_end_array_at_top, "null" },
	{ "value without key", build_value_without_key, "{\"a\":1}" },
	{ "container without key", build_container_without_key, "{}" },
	{ "key in array", build_key_in_array, "[1]" },
	{ "key at top level", build_key_at_top, "null" },
	{ "key after key", build_key_after_key, "{\"a\":null}" },
	{ "NULL key", build_null_key, "{}" },
	{ "end_array closes object", build_mismatched_end, "{}" },
	{ "end_object after key", build_end_after_key, "{\"a\":null}" },
	{ "two top-level values", build_two_top_values, "1" },
	{ "unclosed containers", build_unclosed, "{\"a\":[2]}" },
	{ "dangling key", build_dangling_key, "{\"a\":null}" },
	{ "empty document", build_nothing, "null" },
	{ "too deep", build_too_deep, NULL },
	{ "too deep in objects", build_too_deep_in_object, NULL },
};

/* Renders @build; true if finish() said @want_rc and the result parses. */
static bool parses(build_fn build, bool pretty, int want_rc)
{
	size_t len;
	int rc;
	char *buf = render(build, pretty, &len, &rc);
	bool ok = rc == want_rc && json_valid(buf, len, NULL, NULL);

	if (!ok)
		print_error("rc %d, output [%.*s]\n", rc, (int)len, buf);
	free(buf);
	return ok;
}

static void test_misuse(void **state)
{
	const struct misuse *m;
	bool ok;

	(void)state;
	for (m = misuses; m < misuses + sizeof(misuses) / sizeof(*m); m++) {
		ok = parses(m->build, false, -EINVAL) &&
		     parses(m->build, true, -EINVAL);
		if (!ok)
			print_error("misuse: %s\n", m->name);
		assert_true(ok);
		if (m->want)
			check_doc(m->build, false, -EINVAL, m->want);
	}
}

static void test_depth_limit(void **state)
{
	char want[2 * LS_JSON_MAX_DEPTH + 1];

	(void)state;
	memset(want, '[', LS_JSON_MAX_DEPTH);
	memset(want + LS_JSON_MAX_DEPTH, ']', LS_JSON_MAX_DEPTH);
	want[2 * LS_JSON_MAX_DEPTH] = '\0';
	check_doc(build_max_depth, false, 0, want);
	/* One more: the extra level is dropped, the rest is closed. */
	check_doc(build_too_deep, false, -EINVAL, want);
	assert_true(parses(build_max_depth, true, 0));
}

static void test_null_stream(void **state)
{
	struct ls_json j;

	(void)state;
	ls_json_init(&j, NULL, true);
	build_nested(&j);
	assert_int_equal(ls_json_finish(&j), -EINVAL);
}

/* ---- write errors ---- */

static FILE *open_full(bool unbuffered)
{
	FILE *f = fopen("/dev/full", "w");

	if (f && unbuffered)
		setvbuf(f, NULL, _IONBF, 0);
	return f;
}

/* @build on /dev/full: what finish() says. */
static int finish_on_full(build_fn build, bool unbuffered)
{
	struct ls_json j;
	FILE *f = open_full(unbuffered);
	int rc;

	if (!f)
		skip();
	ls_json_init(&j, f, true);
	build(&j);
	rc = ls_json_finish(&j);
	fclose(f);
	return rc;
}

static void build_then_misuse(struct ls_json *j)
{
	build_nested(j);
	ls_json_end_object(j);
}

static void test_write_error(void **state)
{
	(void)state;
	/* Fails on the first byte... */
	assert_int_equal(finish_on_full(build_nested, true), -EIO);
	assert_int_equal(finish_on_full(build_scalar, true), -EIO);
	/* ...or only when finish() flushes. */
	assert_int_equal(finish_on_full(build_nested, false), -EIO);
	/* The first error wins, whichever it is. */
	assert_int_equal(finish_on_full(build_then_misuse, true), -EIO);
	assert_int_equal(finish_on_full(build_end_at_top, true), -EINVAL);
}

static int escape_on_full(const char *s)
{
	FILE *f = open_full(true);
	int rc;

	if (!f)
		skip();
	rc = ls_json_escape(f, s, strlen(s));
	fclose(f);
	return rc;
}

static void test_escape_write_error(void **state)
{
	(void)state;
	assert_int_equal(escape_on_full("plain"), -EIO);
	assert_int_equal(escape_on_full("\n"), -EIO);
	assert_int_equal(escape_on_full("\xff"), -EIO);
	assert_int_equal(escape_on_full(""), 0);
}

/* A stream that takes @budget bytes, then fails every write. */
static ssize_t budget_write(void *cookie, const char *buf, size_t size)
{
	size_t *budget = cookie;

	(void)buf;
	if (size > *budget)
		return -1;
	*budget -= size;
	return size;
}

static int finish_with_budget(build_fn build, bool pretty, size_t budget)
{
	cookie_io_functions_t io = { .write = budget_write };
	struct ls_json j;
	FILE *f = fopencookie(&budget, "w", io);
	int rc;

	assert_non_null(f);
	setvbuf(f, NULL, _IONBF, 0);
	ls_json_init(&j, f, pretty);
	build(&j);
	rc = ls_json_finish(&j);
	fclose(f);
	return rc;
}

static void build_hostile_strings(struct ls_json *j)
{
	ls_json_begin_array(j);
	ls_json_string(j, "a long path with no escapes at all /tmp/xyz");
	ls_json_string(j, "q\"\\\n\x01\xff\xe2\x82\xac tail");
	ls_json_string_n(j, "\0", 1);
	ls_json_end_array(j);
}

/* Whichever write fails, finish() must not claim success. */
static void test_write_error_at_every_offset(void **state)
{
	static const build_fn builds[] = { build_nested,
					   build_hostile_strings };
	size_t len, n, b;
	int rc, bad = 0, p;
	char *buf;

	(void)state;
	for (b = 0; b < sizeof(builds) / sizeof(*builds); b++) {
		for (p = 0; p < 2; p++) {
			buf = render(builds[b], p, &len, &rc);
			free(buf);
			assert_int_equal(rc, 0);
			for (n = 0; n < len; n++)
				if (finish_with_budget(builds[b], p, n) != -EIO)
					bad++;
			assert_int_equal(finish_with_budget(builds[b], p, len),
					 0);
		}
	}
	assert_int_equal(bad, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_misuse),
		cmocka_unit_test(test_depth_limit),
		cmocka_unit_test(test_null_stream),
		cmocka_unit_test(test_write_error),
		cmocka_unit_test(test_escape_write_error),
		cmocka_unit_test(test_write_error_at_every_offset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
