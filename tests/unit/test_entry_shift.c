// SPDX-License-Identifier: MIT
/*
 * Unit: an entry probe moved past a function's straight-line start onto the
 * first instruction the kernel emulates (entry_probe_site), and the scan
 * that forbids it when a branch lands in what it skips (prefix_entered).
 * Known bytes, decoded by capstone.
 */
#include <stdlib.h>
#include <string.h>
#include "lib/helper.h"
#include "probes/symbols.h"

#define BASE 0x1000

static uint32_t site(const uint8_t *code, size_t len, bool go, enum entry_kind *k)
{
	return entry_probe_site(code, len, BASE, go, k);
}

#define SITE(code, go, k) site(code, sizeof(code), go, k)

/* mov %rdi,%rax; test %rsi,%rsi; je: the je (emulated), 6 bytes in. */
static void test_shift_to_jcc(void **state)
{
	static const uint8_t code[] = {
		0x48, 0x89, 0xf8, 0x48, 0x85, 0xf6, 0x74, 0x01, 0x90, 0xc3
	};
	enum entry_kind k;

	assert_int_equal(SITE(code, false, &k), 6);
	assert_int_equal(k, ENTRY_EMULATED);
	/* r14 untouched: the same for Go. */
	assert_int_equal(SITE(code, true, &k), 6);
	assert_int_equal(k, ENTRY_EMULATED);
}

/* xor %ebx,%ebx; push %rbx: the push. */
static void test_shift_to_push(void **state)
{
	static const uint8_t code[] = { 0x31, 0xdb, 0x53, 0x5b, 0xc3 };
	enum entry_kind k;

	assert_int_equal(SITE(code, false, &k), 2);
	assert_int_equal(k, ENTRY_EMULATED);
}

/* lea 0x8(%rdi),%rax; nop5: the nop, optimized. A read through rsp is
 * fine (mov (%rsp),%rcx: the return address read, not written). */
static void test_shift_to_nop5_and_rsp_read(void **state)
{
	static const uint8_t lea_nop5[] = { 0x48, 0x8d, 0x47, 0x08, 0x0f,
					    0x1f, 0x44, 0x00, 0x00, 0xc3 };
	static const uint8_t rsp_read[] = { 0x48, 0x8b, 0x0c, 0x24, 0x53, 0x5b, 0xc3 };
	enum entry_kind k;

	assert_int_equal(SITE(lea_nop5, false, &k), 4);
	assert_int_equal(k, ENTRY_NOP5);
	assert_int_equal(SITE(rsp_read, false, &k), 4);
	assert_int_equal(k, ENTRY_EMULATED);
}

/* What must keep the probe on the first instruction. */
static void test_no_shift(void **state)
{
	/* sub $0x18,%rsp; push %rbx: writes rsp */
	static const uint8_t sub_rsp[] = { 0x48, 0x83, 0xec, 0x18, 0x53, 0x5b, 0xc3 };
	/* mov %rax,(%rsp); push %rbx: overwrites the return address */
	static const uint8_t store_rsp[] = { 0x48, 0x89, 0x04, 0x24, 0x53, 0x5b, 0xc3 };
	/* mov %rax,0x8(%rsp,%rcx,1); push: a store through rsp, with an index */
	static const uint8_t store_rsp_idx[] = { 0x48, 0x89, 0x44, 0x0c, 0x08, 0x53, 0x5b, 0xc3 };
	/* add %rdi,(%rsp): read-modify-write */
	static const uint8_t add_rsp[] = { 0x48, 0x01, 0x3c, 0x24, 0x53, 0x5b, 0xc3 };
	/* lea -8(%rsp),%rsp; push */
	static const uint8_t lea_rsp[] = { 0x48, 0x8d, 0x64, 0x24, 0xf8, 0x53, 0x5b, 0xc3 };
	/* xchg %rax,%rsp (48 94); push */
	static const uint8_t xchg_rsp[] = { 0x48, 0x94, 0x53, 0x5b, 0xc3 };
	/* lea 1(%rdi),%eax; add %eax,%eax; ret: nothing emulated before the ret */
	static const uint8_t leaf[] = { 0x8d, 0x47, 0x01, 0x01, 0xc0, 0xc3 };
	/* mov $60,%eax; syscall; push */
	static const uint8_t sys[] = { 0xb8, 0x3c, 0x00, 0x00, 0x00, 0x0f, 0x05, 0x53, 0xc3 };
	/* mov %rdi,%rax; push (%rax) (not emulated: a memory push writes rsp) ; push %rbx */
	static const uint8_t mem_push[] = { 0x48, 0x89, 0xf8, 0xff, 0x30, 0x53, 0xc3 };
	/* mov %rdi,%rax; jmp *%rax (an indirect jump is not emulated); push */
	static const uint8_t ind[] = { 0x48, 0x89, 0xf8, 0xff, 0xe0, 0x53, 0xc3 };
	/* mov %rdi,%rax; ud2; push */
	static const uint8_t ud2[] = { 0x48, 0x89, 0xf8, 0x0f, 0x0b, 0x53, 0xc3 };
	/* mov %ax,%ss (8e d0); push: a segment register */
	static const uint8_t seg[] = { 0x8e, 0xd0, 0x53, 0xc3 };
	enum entry_kind k;

	assert_int_equal(SITE(sub_rsp, false, &k), 0);
	assert_int_equal(k, ENTRY_SINGLE_STEP);
	assert_int_equal(SITE(store_rsp, false, &k), 0);
	assert_int_equal(k, ENTRY_SINGLE_STEP);
	assert_int_equal(SITE(store_rsp_idx, false, &k), 0);
	assert_int_equal(SITE(add_rsp, false, &k), 0);
	assert_int_equal(SITE(lea_rsp, false, &k), 0);
	assert_int_equal(SITE(xchg_rsp, false, &k), 0);
	assert_int_equal(SITE(leaf, false, &k), 0);
	assert_int_equal(k, ENTRY_SINGLE_STEP);
	assert_int_equal(SITE(sys, false, &k), 0);
	assert_int_equal(SITE(mem_push, false, &k), 0);
	assert_int_equal(SITE(ind, false, &k), 0);
	assert_int_equal(SITE(ud2, false, &k), 0);
	assert_int_equal(SITE(seg, false, &k), 0);
	assert_int_equal(k, ENTRY_SINGLE_STEP);
}

/* Go: r14 is the goroutine the entry probe keys the call by. */
static void test_go_r14(void **state)
{
	/* mov %rdi,%r14; push %rbp */
	static const uint8_t w64[] = { 0x49, 0x89, 0xfe, 0x55, 0x5d, 0xc3 };
	/* xor %r14d,%r14d; push %rbp */
	static const uint8_t w32[] = { 0x45, 0x31, 0xf6, 0x55, 0x5d, 0xc3 };
	/* mov 0x30(%r14),%rax (a read); push %rbp */
	static const uint8_t rd[] = { 0x49, 0x8b, 0x46, 0x30, 0x55, 0x5d, 0xc3 };
	enum entry_kind k;

	assert_int_equal(SITE(w64, true, &k), 0);
	assert_int_equal(k, ENTRY_SINGLE_STEP);
	assert_int_equal(SITE(w32, true, &k), 0);
	/* In C r14 is an ordinary register. */
	assert_int_equal(SITE(w64, false, &k), 3);
	assert_int_equal(k, ENTRY_EMULATED);
	assert_int_equal(SITE(rd, true, &k), 4);
}

/* At most ENTRY_SHIFT_MAX_INSNS instructions, ENTRY_SHIFT_MAX_BYTES bytes. */
static void test_bounds(void **state)
{
	uint8_t movs[3 * (ENTRY_SHIFT_MAX_INSNS + 1) + 2];
	/* movabs $imm64,%rax (10 bytes) x 4 = 40 bytes; push */
	uint8_t big[4 * 10 + 2];
	enum entry_kind k;
	size_t i;

	for (i = 0; i < ENTRY_SHIFT_MAX_INSNS + 1; i++)
		memcpy(movs + 3 * i, (const uint8_t[]){ 0x48, 0x89, 0xf8 }, 3);
	movs[3 * i] = 0x53;
	movs[3 * i + 1] = 0xc3;
	/* 6 movs then push: shifted; 7: not. */
	memcpy(movs + 3 * ENTRY_SHIFT_MAX_INSNS, (const uint8_t[]){ 0x53, 0xc3 }, 2);
	assert_int_equal(site(movs, 3 * ENTRY_SHIFT_MAX_INSNS + 2, false, &k),
			 3 * ENTRY_SHIFT_MAX_INSNS);
	memcpy(movs + 3 * ENTRY_SHIFT_MAX_INSNS, (const uint8_t[]){ 0x48, 0x89, 0xf8 }, 3);
	assert_int_equal(site(movs, sizeof(movs), false, &k), 0);
	assert_int_equal(k, ENTRY_SINGLE_STEP);
	for (i = 0; i < 4; i++)
		memcpy(big + 10 * i, (const uint8_t[]){ 0x48, 0xb8, 1, 2, 3, 4, 5, 6, 7, 8 }, 10);
	big[40] = 0x53;
	big[41] = 0xc3;
	assert_int_equal(site(big, sizeof(big), false, &k), 0);
	/* 3 of them (30 bytes) fit. */
	big[30] = 0x53;
	big[31] = 0xc3;
	assert_int_equal(site(big, 32, false, &k), 30);
	/* Cut short: the instruction after the prefix is not all there. */
	assert_int_equal(site(big, 30, false, &k), 0);
	assert_int_equal(k, ENTRY_SINGLE_STEP);
}

/* endbr64 is a prefix like any other, and an emulated first instruction
 * stays where it is. */
static void test_endbr64_and_emulated_first(void **state)
{
	static const uint8_t cet_mov_push[] = { 0xf3, 0x0f, 0x1e, 0xfa, 0x48,
						0x89, 0xf8, 0x53, 0x5b, 0xc3 };
	static const uint8_t push_first[] = { 0x53, 0x48, 0x89, 0xf8, 0x5b, 0xc3 };
	/* mov %rdi,%rbx; call rel32 (emulated) */
	static const uint8_t call[] = { 0x48, 0x89, 0xfb, 0xe8, 0x00, 0x00, 0x00, 0x00, 0xc3 };
	enum entry_kind k;

	assert_int_equal(SITE(cet_mov_push, false, &k), 7);
	assert_int_equal(k, ENTRY_EMULATED);
	assert_int_equal(SITE(push_first, false, &k), 0);
	assert_int_equal(k, ENTRY_EMULATED);
	assert_int_equal(SITE(call, false, &k), 3);
	assert_int_equal(k, ENTRY_EMULATED);
}

/* The whole function's branches, with the probe m->skipped bytes in. */
static bool entered(const uint8_t *code, size_t len, uint32_t skipped)
{
	struct sym_match m;
	bool r;

	memset(&m, 0, sizeof(m));
	m.skipped = skipped;
	assert_int_equal(symbols_scan_function(&m, code, len, BASE, NULL, 0, 0, 0), 0);
	r = m.prefix_entered;
	free(m.sites);
	return r;
}

static void test_prefix_entered(void **state)
{
	/* 0: mov %rdi,%rax  3: test %rsi,%rsi  6: je 0xb  8: dec %rax
	 * b: jmp 3 (back into the prefix)  d: ret */
	static const uint8_t back[] = { 0x48, 0x89, 0xf8, 0x48, 0x85, 0xf6, 0x74,
					0x03, 0x48, 0xff, 0xc8, 0xeb, 0xf6, 0xc3 };
	/* the same jumping to 6, the probed je itself */
	static const uint8_t onto[] = { 0x48, 0x89, 0xf8, 0x48, 0x85, 0xf6, 0x74,
					0x03, 0x48, 0xff, 0xc8, 0xeb, 0xf9, 0xc3 };
	/* ... to 0, the entry: every pass is a call, as without the shift */
	static const uint8_t entry[] = { 0x48, 0x89, 0xf8, 0x48, 0x85, 0xf6, 0x74,
					 0x03, 0x48, 0xff, 0xc8, 0xeb, 0xf3, 0xc3 };
	/* ... to 8, past the probe */
	static const uint8_t past[] = { 0x48, 0x89, 0xf8, 0x48, 0x85, 0xf6, 0x74,
					0x03, 0x48, 0xff, 0xc8, 0xeb, 0xfb, 0xc3 };
	/* mov; test; je; jmp *%rax (a table: may come back anywhere); ret */
	static const uint8_t table[] = { 0x48, 0x89, 0xf8, 0x48, 0x85, 0xf6,
					 0x74, 0x02, 0xff, 0xe0, 0xc3 };
	/* call 3 (into the prefix) */
	static const uint8_t call_in[] = { 0x48, 0x89, 0xf8, 0x48, 0x85, 0xf6, 0x74,
					   0x05, 0xe8, 0xf6, 0xff, 0xff, 0xff, 0xc3 };

	assert_true(entered(back, sizeof(back), 6));
	assert_true(entered(onto, sizeof(onto), 6));
	assert_false(entered(entry, sizeof(entry), 6));
	assert_false(entered(past, sizeof(past), 6));
	assert_true(entered(table, sizeof(table), 6));
	assert_true(entered(call_in, sizeof(call_in), 6));
	/* Nothing skipped: nothing to enter. */
	assert_false(entered(back, sizeof(back), 0));
}

/* A split-off part's code, against the prefix (0x1000, 0x1006]. */
static void test_part_branches_into(void **state)
{
	/* at 0x2000: jmp 0x1003 (e9 rel32: 0x1003 - 0x2005) */
	static const uint8_t jmp_in[] = { 0xe9, 0xfe, 0xef, 0xff, 0xff };
	/* jmp 0x1000, the entry */
	static const uint8_t jmp_entry[] = { 0xe9, 0xfb, 0xef, 0xff, 0xff };
	/* call 0x1006, the probed instruction; ret */
	static const uint8_t call_probe[] = { 0xe8, 0x01, 0xf0, 0xff, 0xff, 0xc3 };
	/* jne 0x1007, past it */
	static const uint8_t jne_past[] = { 0x0f, 0x85, 0x01, 0xf0, 0xff, 0xff };
	/* cut short: not all decoded */
	static const uint8_t junk[] = { 0xe9, 0x00 };

	assert_true(insn_branches_into(jmp_in, sizeof(jmp_in), 0x2000, 0x1000, 0x1006));
	assert_false(insn_branches_into(jmp_entry, sizeof(jmp_entry), 0x2000, 0x1000, 0x1006));
	assert_true(insn_branches_into(call_probe, sizeof(call_probe), 0x2000, 0x1000, 0x1006));
	assert_false(insn_branches_into(jne_past, sizeof(jne_past), 0x2000, 0x1000, 0x1006));
	assert_true(insn_branches_into(junk, sizeof(junk), 0x2000, 0x1000, 0x1006));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shift_to_jcc),
		cmocka_unit_test(test_shift_to_push),
		cmocka_unit_test(test_shift_to_nop5_and_rsp_read),
		cmocka_unit_test(test_no_shift),
		cmocka_unit_test(test_go_r14),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_endbr64_and_emulated_first),
		cmocka_unit_test(test_prefix_entered),
		cmocka_unit_test(test_part_branches_into),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
