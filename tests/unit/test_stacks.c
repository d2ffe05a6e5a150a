// SPDX-License-Identifier: GPL-2.0
/*
 * test_stacks.c - unit tests for the call-site check of user/stacks.c,
 * which decides which words found on top of a user stack are return
 * addresses: every x86-64 call form compilers and the dynamic linker emit,
 * the near misses (jumps, other opcodes) that must not pass, and a real
 * return address of this very program.
 *
 * Must not: need BPF (the assembly of stacks is covered by the BPF tests).
 */
#include <string.h>

#include "unit.h"
#include "stacks.h"

/* @code ends right before a return address; pad to 7 bytes in front. */
static bool precedes(const uint8_t *code, size_t n)
{
	uint8_t b[7];

	memset(b, 0x90, sizeof(b)); /* nops: never a call */
	memcpy(b + sizeof(b) - n, code, n);
	return ls_call_precedes(b, sizeof(b));
}

#define CALLS(...)                                   \
	do {                                         \
		const uint8_t c[] = { __VA_ARGS__ }; \
		assert_true(precedes(c, sizeof(c))); \
	} while (0)
#define NOT_CALL(...)                                 \
	do {                                          \
		const uint8_t c[] = { __VA_ARGS__ };  \
		assert_false(precedes(c, sizeof(c))); \
	} while (0)

static void test_call_forms(void **state)
{
	(void)state;
	CALLS(0xe8, 0x10, 0x20, 0x30, 0x40);	   /* call rel32 */
	CALLS(0xff, 0x15, 0x01, 0x02, 0x03, 0x04); /* call *x(%rip): PLT-less */
	CALLS(0xff, 0xd0);			   /* call *%rax */
	CALLS(0xff, 0xd7);			   /* call *%rdi */
	CALLS(0x41, 0xff, 0xd3);		   /* call *%r11 */
	CALLS(0xff, 0x10);			   /* call *(%rax) */
	CALLS(0xff, 0x50, 0x08);		   /* call *8(%rax) */
	CALLS(0xff, 0x54, 0x24, 0x08);		   /* call *8(%rsp) */
	CALLS(0xff, 0x90, 0x00, 0x01, 0x00, 0x00); /* call *0x100(%rax) */
}

static void test_not_calls(void **state)
{
	(void)state;
	NOT_CALL(0x90);				      /* nop */
	NOT_CALL(0xc3);				      /* ret */
	NOT_CALL(0xe9, 0x10, 0x20, 0x30, 0x40);	      /* jmp rel32 */
	NOT_CALL(0xff, 0xe0);			      /* jmp *%rax */
	NOT_CALL(0xff, 0x25, 0x01, 0x02, 0x03, 0x04); /* jmp *x(%rip) */
	NOT_CALL(0x48, 0x89, 0xc7);		      /* mov %rax,%rdi */
	NOT_CALL(0xff, 0xc0);			      /* inc %eax */
}

/* Too few bytes to hold any call: never read before the buffer. */
static void test_short_buffers(void **state)
{
	const uint8_t e8[] = { 0xe8 };
	const uint8_t ffd0[] = { 0xff, 0xd0 };

	(void)state;
	assert_false(ls_call_precedes(e8, 0));
	assert_false(ls_call_precedes(e8, sizeof(e8)));
	assert_true(ls_call_precedes(ffd0, sizeof(ffd0)));
}

static __attribute__((noinline)) void *where_we_return(void)
{
	return __builtin_return_address(0);
}

/* What the compiler made of a call in this program passes. */
static void test_real_return_address(void **state)
{
	const uint8_t *ret = where_we_return();

	(void)state;
	assert_true(ls_call_precedes(ret - 7, 7));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_call_forms),
		cmocka_unit_test(test_not_calls),
		cmocka_unit_test(test_short_buffers),
		cmocka_unit_test(test_real_return_address),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
