// SPDX-License-Identifier: GPL-2.0
/*
 * test_json_strings.c - unit tests for user/json.c's strings: the exact
 * bytes of every escape and UTF-8 class, keys and literals, and a random
 * round trip checked by the strict parser of json_fx.h (and by python3,
 * when it is installed); first, that parser's own self-check.
 *
 * Must not: depend on anything but json.c (and, optionally, python3).
 */
#include "json_fx.h"

#define FFFD   "\xef\xbf\xbd"
#define PYTHON "/usr/bin/python3"

/* ---- rendering helpers: free before asserting, so failures do not leak */

static void check_escape_n(const char *in, size_t n, const char *want)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int rc;
	bool same;

	assert_non_null(f);
	rc = ls_json_escape(f, in, n);
	if (fclose(f))
		rc = -999;
	same = same_bytes(buf, len, want, strlen(want));
	free(buf);
	assert_int_equal(rc, 0);
	assert_true(same);
}

/* sizeof, not strlen: the inputs may hold NUL bytes. */
#define CHECK_ESCAPE(lit, want) check_escape_n(lit, sizeof(lit) - 1, want)
#define CHECK_SAME(lit)		CHECK_ESCAPE(lit, lit)

/* ---- an independent UTF-8 oracle and a strict RFC 8259 parser ---- */

/* What a decoded string must equal: each invalid byte became U+FFFD. */
static size_t oracle_sanitize(const unsigned char *in, size_t n, char *out)
{
	size_t i = 0, o = 0, len;

	while (i < n) {
		len = oracle_utf8_len(in + i, n - i);
		if (!len) {
			memcpy(out + o, FFFD, 3);
			o += 3;
			i++;
			continue;
		}
		memcpy(out + o, in + i, len);
		o += len;
		i += len;
	}
	return o;
}

#define VALID(lit) json_valid(lit, sizeof(lit) - 1, NULL, NULL)

/* The round trip is only as good as its checker: make sure it rejects. */
static void test_validator_self_check(void **state)
{
	(void)state;
	assert_true(VALID("{}"));
	assert_true(VALID("[]"));
	assert_true(VALID("0"));
	assert_true(VALID(" [ 1 , -0.5 , 2E+10 , 3e-2 ] \n"));
	assert_true(VALID("{\"a\":{\"b\":[null,true,false]},\"c\":\"\"}"));
	assert_true(VALID("\"\\u0000\\u00e9\\/\xc3\xa9\xf0\x9f\x98\x80\x7f\""));
	assert_false(VALID(""));
	assert_false(VALID("[1,]"));
	assert_false(VALID("{\"a\"}"));
	assert_false(VALID("{\"a\":1,}"));
	assert_false(VALID("{1:1}"));
	assert_false(VALID("01"));
	assert_false(VALID("-"));
	assert_false(VALID("1."));
	assert_false(VALID(".5"));
	assert_false(VALID("1,5"));
	assert_false(VALID("NaN"));
	assert_false(VALID("nul"));
	assert_false(VALID("[1] [2]"));
	assert_false(VALID("["));
	assert_false(VALID("\"abc"));
	assert_false(VALID("\"\x01\""));
	assert_false(VALID("\"\n\""));
	assert_false(VALID("\"\0\""));
	assert_false(VALID("\"\\x\""));
	assert_false(VALID("\"\\u12\""));
	assert_false(VALID("\"\\ud800\""));
	assert_false(VALID("\"\xc0\xaf\""));
	assert_false(VALID("\"\xed\xa0\x80\""));
	assert_false(VALID("\"\xf4\x90\x80\x80\""));
	assert_false(VALID("\"\xe2\x82\""));
	assert_false(VALID("\"\x80\""));
	assert_false(VALID("\"\xff\""));
	assert_false(VALID("[1]\xff"));
}

/* ---- escaping ---- */

static void test_escape_short(void **state)
{
	(void)state;
	CHECK_ESCAPE("\"", "\\\"");
	CHECK_ESCAPE("\\", "\\\\");
	CHECK_ESCAPE("\b\f\n\r\t", "\\b\\f\\n\\r\\t");
	CHECK_ESCAPE("C:\\dir\\\"x\"\n", "C:\\\\dir\\\\\\\"x\\\"\\n");
	CHECK_SAME("/usr/lib/x.so");
	CHECK_SAME("");
	CHECK_SAME(" !#$%&'()*+,-.:;<=>?@[]^_`{|}~azAZ09");
}

static void test_escape_control(void **state)
{
	char in, want[8];

	(void)state;
	CHECK_ESCAPE("\x01", "\\u0001");
	CHECK_ESCAPE("\x0b", "\\u000b");
	CHECK_ESCAPE("\x1f", "\\u001f");
	CHECK_ESCAPE("\x7f", "\\u007f");
	CHECK_ESCAPE("\x1b[31mred\x1b[0m", "\\u001b[31mred\\u001b[0m");
	CHECK_ESCAPE("a\x7f\x1ez", "a\\u007f\\u001ez");
	/* Every byte below 0x20 without a short form, lowercase hex. */
	for (in = 1; in < 0x20; in++) {
		if (strchr("\b\f\n\r\t", in))
			continue;
		snprintf(want, sizeof(want), "\\u%04x", in);
		check_escape_n(&in, 1, want);
	}
}

static void test_escape_printable_ascii_unchanged(void **state)
{
	char c, s[2] = { 0 };

	(void)state;
	for (c = 0x20; c < 0x7f; c++) {
		if (c == '"' || c == '\\')
			continue;
		s[0] = c;
		check_escape_n(s, 1, s);
	}
}

static void build_nul_strings(struct ls_json *j)
{
	ls_json_begin_array(j);
	ls_json_string_n(j, "a\0b", 3);
	ls_json_string_n(j, "\0", 1);
	ls_json_string_n(j, "\0\0\n", 3);
	ls_json_string_n(j, "abc", 0);
	ls_json_string(j, "a\0b"); /* a C string ends at the NUL */
	ls_json_end_array(j);
}

static void test_string_n_nul(void **state)
{
	(void)state;
	CHECK_ESCAPE("\0", "\\u0000");
	CHECK_ESCAPE("x\0y", "x\\u0000y");
	check_doc(build_nul_strings, false, 0,
		  "[\"a\\u0000b\",\"\\u0000\",\"\\u0000\\u0000\\n\",\"\","
		  "\"a\"]");
}

static void test_utf8_valid(void **state)
{
	(void)state;
	CHECK_SAME("\xc2\x80");		 /* U+0080, smallest 2-byte */
	CHECK_SAME("\xc3\xa9t\xc3\xa9"); /* "été" */
	CHECK_SAME("\xdf\xbf");		 /* U+07FF */
	CHECK_SAME("\xe0\xa0\x80");	 /* U+0800, smallest 3-byte */
	CHECK_SAME("\xe2\x82\xac");	 /* U+20AC euro */
	CHECK_SAME("\xed\x9f\xbf");	 /* U+D7FF, just below surrogates */
	CHECK_SAME("\xee\x80\x80");	 /* U+E000, just above them */
	CHECK_SAME("\xef\xbf\xbd");	 /* U+FFFD itself */
	CHECK_SAME("\xef\xbf\xbf");	 /* U+FFFF */
	CHECK_SAME("\xf0\x90\x80\x80");	 /* U+10000, smallest 4-byte */
	CHECK_SAME("\xf0\x9f\x98\x80");	 /* U+1F600 */
	CHECK_SAME("\xf4\x8f\xbf\xbf");	 /* U+10FFFF, the last one */
	CHECK_ESCAPE("/tmp/\xe6\x97\xa5\xe6\x9c\xac\n",
		     "/tmp/\xe6\x97\xa5\xe6\x9c\xac\\n");
}

static void test_utf8_invalid(void **state)
{
	(void)state;
	/* lone continuation bytes */
	CHECK_ESCAPE("\x80", FFFD);
	CHECK_ESCAPE("a\xbfz", "a" FFFD "z");
	CHECK_ESCAPE("\x80\x80", FFFD FFFD);
	/* overlong 2-, 3- and 4-byte forms ('/' and U+07FF, U+FFFF) */
	CHECK_ESCAPE("\xc0\xaf", FFFD FFFD);
	CHECK_ESCAPE("\xc1\xbf", FFFD FFFD);
	CHECK_ESCAPE("\xe0\x80\xaf", FFFD FFFD FFFD);
	CHECK_ESCAPE("\xe0\x9f\xbf", FFFD FFFD FFFD);
	CHECK_ESCAPE("\xf0\x80\x80\xaf", FFFD FFFD FFFD FFFD);
	CHECK_ESCAPE("\xf0\x8f\xbf\xbf", FFFD FFFD FFFD FFFD);
	/* UTF-16 surrogates, high and low, alone and paired */
	CHECK_ESCAPE("\xed\xa0\x80", FFFD FFFD FFFD);
	CHECK_ESCAPE("\xed\xbf\xbf", FFFD FFFD FFFD);
	CHECK_ESCAPE("\xed\xa0\xbd\xed\xb8\x80", FFFD FFFD FFFD FFFD FFFD FFFD);
	/* above U+10FFFF */
	CHECK_ESCAPE("\xf4\x90\x80\x80", FFFD FFFD FFFD FFFD);
	CHECK_ESCAPE("\xf5\x80\x80\x80", FFFD FFFD FFFD FFFD);
	CHECK_ESCAPE("\xf7\xbf\xbf\xbf", FFFD FFFD FFFD FFFD);
	/* truncated at the end of the string, then in the middle */
	CHECK_ESCAPE("a\xc3", "a" FFFD);
	CHECK_ESCAPE("a\xe2\x82", "a" FFFD FFFD);
	CHECK_ESCAPE("a\xf0\x9f\x98", "a" FFFD FFFD FFFD);
	CHECK_ESCAPE("\xe2\x82z\xc3\xa9", FFFD FFFD "z\xc3\xa9");
	CHECK_ESCAPE("\xf0\x9f\x98\"", FFFD FFFD FFFD "\\\"");
	/* bytes that never appear in UTF-8 */
	CHECK_ESCAPE("\xfe", FFFD);
	CHECK_ESCAPE("\xff", FFFD);
	CHECK_ESCAPE("\xfe\xff\xf8\x88\x80\x80\x80",
		     FFFD FFFD FFFD FFFD FFFD FFFD FFFD);
	/* resynchronises on the next byte */
	CHECK_ESCAPE("\xff\xc3\xa9\xff", FFFD "\xc3\xa9" FFFD);
}

static void build_hostile_key(struct ls_json *j)
{
	ls_json_begin_object(j);
	ls_json_kv_int(j, "a\"b\x01\xff/", 1);
	ls_json_end_object(j);
}

static void build_nulls(struct ls_json *j)
{
	ls_json_begin_object(j);
	ls_json_kv_string(j, "s", NULL);
	ls_json_key(j, "n");
	ls_json_string_n(j, NULL, 5);
	ls_json_kv_null(j, "z");
	ls_json_kv_bool(j, "t", true);
	ls_json_kv_bool(j, "f", false);
	ls_json_end_object(j);
}

static void test_keys_and_literals(void **state)
{
	(void)state;
	check_doc(build_hostile_key, false, 0,
		  "{\"a\\\"b\\u0001" FFFD "/\":1}");
	check_doc(build_nulls, false, 0,
		  "{\"s\":null,\"n\":null,\"z\":null,\"t\":true,\"f\":false}");
}

/* ---- random round trip ---- */

#define ROUNDS	2000
#define MAX_LEN 64

/* xorshift64*: the same strings on every libc. */
static uint64_t next_rand(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dULL;
}

/* Appends the UTF-8 form of a random code point, surrogates included. */
static size_t encode_random(uint64_t *s, unsigned char *out)
{
	static const uint32_t top[] = { 0x7f, 0x7ff, 0xffff, 0x10ffff };
	uint64_t r = next_rand(s);
	int len = r % 4 + 1;
	uint32_t cp = (r >> 8) % (top[len - 1] + 1);

	if (len == 1) {
		out[0] = cp;
		return 1;
	}
	out[len - 1] = 0x80 | (cp & 0x3f);
	if (len > 2)
		out[len - 2] = 0x80 | (cp >> 6 & 0x3f);
	if (len > 3)
		out[1] = 0x80 | (cp >> 12 & 0x3f);
	out[0] = (unsigned char)(0xf00 >> len) | cp >> (6 * (len - 1));
	return len;
}

/*
 * Length 0..64. Every byte value appears; encoded code points (often
 * overlong or surrogates, as len is picked before cp) make multi-byte
 * sequences common, and the length cap truncates some of them.
 */
static size_t random_string(uint64_t *s, unsigned char *out)
{
	size_t want = next_rand(s) % (MAX_LEN + 1), n = 0;
	unsigned char tmp[4];
	size_t k, len;

	while (n < want) {
		if (next_rand(s) % 2) {
			out[n++] = next_rand(s) & 0xff;
			continue;
		}
		len = encode_random(s, tmp);
		for (k = 0; k < len && n < want; k++)
			out[n++] = tmp[k];
	}
	return n;
}

struct round_trip {
	uint64_t seed;
	int seen;
	int mismatches;
};

/* Regenerates the inputs in order instead of storing them. */
static void compare_decoded(void *ctx, const char *s, size_t n)
{
	struct round_trip *rt = ctx;
	unsigned char in[MAX_LEN];
	char want[3 * MAX_LEN];
	size_t len = random_string(&rt->seed, in);
	size_t want_len = oracle_sanitize(in, len, want);

	rt->seen++;
	if (n != want_len || memcmp(s, want, n)) {
		if (!rt->mismatches)
			print_error("string %d: got [%.*s] want [%.*s]\n",
				    rt->seen - 1, (int)n, s, (int)want_len,
				    want);
		rt->mismatches++;
	}
}

#define SEED 0x6c65616b73636f70ULL

static void build_random(struct ls_json *j)
{
	uint64_t seed = SEED;
	unsigned char in[MAX_LEN];
	int i;

	ls_json_begin_array(j);
	for (i = 0; i < ROUNDS; i++)
		ls_json_string_n(j, (char *)in, random_string(&seed, in));
	ls_json_end_array(j);
}

/* A second opinion when python3 exists: strict UTF-8, then json.loads. */
static int python_check(const char *buf, size_t len)
{
	static const char script[] =
		"import json, sys\n"
		"v = json.loads(sys.stdin.buffer.read().decode(\"utf-8\"))\n"
		"ok = len(v) == int(sys.argv[1])\n"
		"sys.exit(0 if ok and all(isinstance(s, str) for s in v) else "
		"1)";
	void (*old_pipe)(int);
	char cmd[512];
	FILE *p;
	size_t put = 0;
	int status = -1;

	if (access(PYTHON, X_OK))
		return 0;
	snprintf(cmd, sizeof(cmd), "%s -c '%s' %d", PYTHON, script, ROUNDS);
	/* A python that dies early must fail the test, not kill it. */
	old_pipe = signal(SIGPIPE, SIG_IGN);
	p = popen(cmd, "w");
	if (p) {
		put = fwrite(buf, 1, len, p);
		status = pclose(p);
	}
	signal(SIGPIPE, old_pipe);
	return status == 0 && put == len ? 0 : -1;
}

static void round_trip(bool pretty)
{
	struct round_trip rt = { .seed = SEED };
	size_t len;
	int rc, py = 0;
	char *buf = render(build_random, pretty, &len, &rc);
	bool valid = json_valid(buf, len, compare_decoded, &rt);

	if (!pretty)
		py = python_check(buf, len);
	free(buf);
	assert_int_equal(rc, 0);
	assert_true(valid);
	assert_int_equal(rt.seen, ROUNDS);
	assert_int_equal(rt.mismatches, 0);
	assert_int_equal(py, 0);
}

static void test_random_round_trip(void **state)
{
	(void)state;
	round_trip(false);
	round_trip(true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_validator_self_check),
		cmocka_unit_test(test_escape_short),
		cmocka_unit_test(test_escape_control),
		cmocka_unit_test(test_escape_printable_ascii_unchanged),
		cmocka_unit_test(test_string_n_nul),
		cmocka_unit_test(test_utf8_valid),
		cmocka_unit_test(test_utf8_invalid),
		cmocka_unit_test(test_keys_and_literals),
		cmocka_unit_test(test_random_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
