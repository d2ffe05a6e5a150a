// SPDX-License-Identifier: GPL-2.0
/*
 * test_json_layout.c - unit tests for user/json.c's layout and numbers:
 * compact and pretty output of nested objects and arrays, empty containers
 * and scalars, integers and doubles (also under a comma locale).
 *
 * Must not: depend on the host's locales being installed (the de_DE check
 * skips without one), or leave the process locale changed.
 */
#include "json_fx.h"

/* ---- layout ---- */

static void test_nested_compact(void **state)
{
	(void)state;
	check_doc(build_nested, false, 0,
		  "{\"tool\":\"leakscope\",\"findings\":[{\"kind\":\"fd\","
		  "\"fd\":3,\"argv\":[\"cat\",\"/tmp/x\"]},{\"kind\":"
		  "\"socket\",\"peer\":{\"port\":80}}],\"ok\":false,"
		  "\"secs\":1.50,\"note\":null}");
}

static void test_nested_pretty(void **state)
{
	(void)state;
	check_doc(build_nested, true, 0,
		  "{\n"
		  "  \"tool\": \"leakscope\",\n"
		  "  \"findings\": [\n"
		  "    {\n"
		  "      \"kind\": \"fd\",\n"
		  "      \"fd\": 3,\n"
		  "      \"argv\": [\n"
		  "        \"cat\",\n"
		  "        \"/tmp/x\"\n"
		  "      ]\n"
		  "    },\n"
		  "    {\n"
		  "      \"kind\": \"socket\",\n"
		  "      \"peer\": {\n"
		  "        \"port\": 80\n"
		  "      }\n"
		  "    }\n"
		  "  ],\n"
		  "  \"ok\": false,\n"
		  "  \"secs\": 1.50,\n"
		  "  \"note\": null\n"
		  "}\n");
}

static void build_arrays(struct ls_json *j)
{
	ls_json_begin_array(j);
	ls_json_begin_array(j);
	ls_json_int(j, 1);
	ls_json_int(j, 2);
	ls_json_end_array(j);
	ls_json_begin_array(j);
	ls_json_end_array(j);
	ls_json_begin_array(j);
	ls_json_begin_array(j);
	ls_json_int(j, 3);
	ls_json_end_array(j);
	ls_json_end_array(j);
	ls_json_end_array(j);
}

static void test_arrays_of_arrays(void **state)
{
	(void)state;
	check_doc(build_arrays, false, 0, "[[1,2],[],[[3]]]");
	check_doc(build_arrays, true, 0,
		  "[\n  [\n    1,\n    2\n  ],\n  [],\n  [\n    [\n      3\n"
		  "    ]\n  ]\n]\n");
}

static void build_empty_object(struct ls_json *j)
{
	ls_json_begin_object(j);
	ls_json_end_object(j);
}

static void build_empty_array(struct ls_json *j)
{
	ls_json_begin_array(j);
	ls_json_end_array(j);
}

static void build_empty_members(struct ls_json *j)
{
	ls_json_begin_object(j);
	ls_json_key(j, "a");
	build_empty_object(j);
	ls_json_key(j, "b");
	build_empty_array(j);
	ls_json_end_object(j);
}

static void test_empty_and_scalar(void **state)
{
	(void)state;
	check_doc(build_empty_object, false, 0, "{}");
	check_doc(build_empty_object, true, 0, "{}\n");
	check_doc(build_empty_array, false, 0, "[]");
	check_doc(build_empty_array, true, 0, "[]\n");
	check_doc(build_empty_members, false, 0, "{\"a\":{},\"b\":[]}");
	check_doc(build_empty_members, true, 0,
		  "{\n  \"a\": {},\n  \"b\": []\n}\n");
	check_doc(build_scalar, false, 0, "42");
	check_doc(build_scalar, true, 0, "42\n");
}

/* ---- numbers ---- */

static void build_integers(struct ls_json *j)
{
	ls_json_begin_array(j);
	ls_json_int(j, INT64_MIN);
	ls_json_int(j, INT64_MAX);
	ls_json_int(j, 0);
	ls_json_int(j, -1);
	ls_json_uint(j, UINT64_MAX);
	ls_json_uint(j, 0);
	ls_json_end_array(j);
}

static void test_integers(void **state)
{
	(void)state;
	check_doc(build_integers, false, 0,
		  "[-9223372036854775808,9223372036854775807,0,-1,"
		  "18446744073709551615,0]");
}

static void build_doubles(struct ls_json *j)
{
	ls_json_begin_array(j);
	ls_json_double(j, 0.0, 3);
	ls_json_double(j, -1.5, 2);
	ls_json_double(j, 1.23456, 3);
	ls_json_double(j, 2.0 / 3.0, 3);
	ls_json_double(j, 1.99999, 0);
	ls_json_double(j, -3.4, 0);
	ls_json_double(j, -0.0, 2);
	ls_json_double(j, -0.001, 2);
	ls_json_double(j, 1e20, 1);
	ls_json_double(j, 3.7, -1);
	ls_json_double(j, 0.5, 100);
	ls_json_double(j, NAN, 3);
	ls_json_double(j, INFINITY, 3);
	ls_json_double(j, -INFINITY, 3);
	ls_json_end_array(j);
}

#define DOUBLES                                                              \
	"[0.000,-1.50,1.235,0.667,2,-3,0.00,0.00,100000000000000000000.0,4," \
	"0.50000000000000000,null,null,null]"

static void test_doubles(void **state)
{
	(void)state;
	check_doc(build_doubles, false, 0, DOUBLES);
}

/* A locale compiled by comma_locale(), removed after the test. */
static char locale_dir[] = "/tmp/ls-locale-XXXXXX";
static bool locale_made;

static int restore_c_locale(void **state)
{
	char cmd[64];

	(void)state;
	setlocale(LC_NUMERIC, "C");
	if (locale_made) {
		snprintf(cmd, sizeof(cmd), "rm -rf %s", locale_dir);
		if (system(cmd) != 0)
			return -1;
	}
	return 0;
}

/* printf would write "1,5" here; the writer must not. */
/*
 * A locale whose decimal point is ',': the installed de_DE.UTF-8, else one
 * compiled here with localedef (package locales, which make deps installs)
 * into a private LOCPATH. Skips only where neither is possible.
 */
static bool comma_locale(void)
{
	char cmd[256];

	if (setlocale(LC_NUMERIC, "de_DE.UTF-8"))
		return true;
	if (!mkdtemp(locale_dir))
		return false;
	locale_made = true;
	snprintf(cmd, sizeof(cmd),
		 "localedef -i de_DE -f UTF-8 %s/de_DE.UTF-8 "
		 ">/dev/null 2>&1",
		 locale_dir);
	if (system(cmd) != 0)
		return false;
	setenv("LOCPATH", locale_dir, 1);
	return setlocale(LC_NUMERIC, "de_DE.UTF-8") != NULL;
}

static void test_doubles_comma_locale(void **state)
{
	char probe[16];

	(void)state;
	if (!comma_locale())
		skip();
	snprintf(probe, sizeof(probe), "%.1f", 1.5);
	if (strcmp(probe, "1,5"))
		skip();
	check_doc(build_doubles, false, 0, DOUBLES);
	check_doc(build_nested, false, 0,
		  "{\"tool\":\"leakscope\",\"findings\":[{\"kind\":\"fd\","
		  "\"fd\":3,\"argv\":[\"cat\",\"/tmp/x\"]},{\"kind\":"
		  "\"socket\",\"peer\":{\"port\":80}}],\"ok\":false,"
		  "\"secs\":1.50,\"note\":null}");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nested_compact),
		cmocka_unit_test(test_nested_pretty),
		cmocka_unit_test(test_arrays_of_arrays),
		cmocka_unit_test(test_empty_and_scalar),
		cmocka_unit_test(test_integers),
		cmocka_unit_test(test_doubles),
		cmocka_unit_test_teardown(test_doubles_comma_locale,
					  restore_c_locale),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
