// SPDX-License-Identifier: MIT
/*
 * Functions whose first instruction the kernel single-steps under a uprobe,
 * in assembly so the bytes are exact. bpfprof probes the first instruction
 * of their straight-line start it emulates instead, where that is the same
 * as probing the entry:
 *   shift_mov_test   mov; test; je        -> the je, 6 bytes in
 *   shift_xor_push   xor; push            -> the push, 2 in
 *   shift_cet_nop5   endbr64; lea; nop5   -> the nop5, 8 in
 *   shift_caller     mov; push; ... calls spin_body (SHIFT_SPIN_US) and
 *                    shift_mov_test       -> the push, 3 in
 *   shift_tail       xor; jmp shift_mov_test (a tail call) -> the jmp, 2
 *                    in; with return-site probes that one probe also hands
 *                    the call over to shift_mov_test
 * and where it is not:
 *   noshift_loop     mov; xor; add; dec; jne back to the add: the loop
 *                    comes back into the start, the probe stays at the entry
 *   noshift_sub      sub $8,%rsp first
 * "run" makes the calls below, checks every result and prints "ok SUM";
 * "bench N" times N calls of shift_mov_test and prints ns per call.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "target_common.h"

long shift_mov_test(long x, long y);
long shift_xor_push(long x);
long shift_cet_nop5(long x);
long shift_caller(long x);
long shift_tail(long x);
long noshift_loop(long n);
long noshift_sub(long x);

/* clang-format off */
#define FN(name, body)                                                                  \
	".p2align 4\n.globl " #name "\n.type " #name ",@function\n" #name ":\n" body \
	"\n.size " #name ", .-" #name "\n"

__asm__(".pushsection .text\n"
	FN(shift_mov_test, "mov %rdi, %rax\n"
			   "test %rsi, %rsi\n"
			   "je 1f\n"
			   "add %rsi, %rax\n"
			   "1: ret")
	FN(shift_xor_push, "xor %eax, %eax\n"
			   "push %rbx\n"
			   "lea 1(%rdi), %rbx\n"
			   "mov %rbx, %rax\n"
			   "pop %rbx\n"
			   "ret")
	FN(shift_cet_nop5, "endbr64\n"
			   "lea 2(%rdi), %rax\n"
			   ".byte 0x0f, 0x1f, 0x44, 0x00, 0x00\n"
			   "ret")
	FN(shift_caller, "mov %rdi, %rax\n"
			 "push %rbx\n"
			 "mov %rax, %rbx\n"
			 "call spin_body\n"
			 "mov %rbx, %rdi\n"
			 "xor %esi, %esi\n"
			 "call shift_mov_test\n"
			 "add %rbx, %rax\n"
			 "pop %rbx\n"
			 "ret")
	FN(shift_tail, "xor %esi, %esi\n"
		       "jmp shift_mov_test")
	FN(noshift_loop, "mov %rdi, %rcx\n"
			 "xor %eax, %eax\n"
			 "1: add %rcx, %rax\n"
			 "dec %rcx\n"
			 "jne 1b\n"
			 "ret")
	FN(noshift_sub, "sub $8, %rsp\n"
			"mov %rdi, (%rsp)\n"
			"mov (%rsp), %rax\n"
			"add $8, %rsp\n"
			"ret")
	".popsection\n");
/* clang-format on */

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* Called by shift_caller: busy for SHIFT_SPIN_US. */
__attribute__((used, noinline)) void spin_body(void)
{
	double end = now_ns() + SHIFT_SPIN_US * 1e3;

	while (now_ns() < end)
		;
}

static int bad(const char *what, long got, long want)
{
	fprintf(stderr, "shift_target: %s returned %ld, want %ld\n", what, got, want);
	return 3;
}

int main(int argc, char **argv)
{
	long sum = 0, r;

	if (argc == 3 && !strcmp(argv[1], "bench")) {
		long n = atol(argv[2]);
		volatile long sink = 0;
		double t0 = now_ns();

		for (long i = 0; i < n; i++)
			sink += shift_mov_test(i, 1);
		printf("%.1f ns per call\n", (now_ns() - t0) / (double)n);
		return sink == n * (n - 1) / 2 + n ? 0 : 3;
	}
	if (argc != 2 || strcmp(argv[1], "run"))
		return 2;
	for (long i = 0; i < SHIFT_MOV_TEST_CALLS; i++) {
		if ((r = shift_mov_test(i, i & 1)) != i + (i & 1))
			return bad("shift_mov_test", r, i + (i & 1));
		sum += r;
	}
	for (long i = 0; i < SHIFT_XOR_PUSH_CALLS; i++) {
		if ((r = shift_xor_push(i)) != i + 1)
			return bad("shift_xor_push", r, i + 1);
		sum += r;
	}
	for (long i = 0; i < SHIFT_CET_NOP5_CALLS; i++) {
		if ((r = shift_cet_nop5(i)) != i + 2)
			return bad("shift_cet_nop5", r, i + 2);
		sum += r;
	}
	for (long i = 0; i < SHIFT_CALLER_CALLS; i++) {
		if ((r = shift_caller(i)) != 2 * i)
			return bad("shift_caller", r, 2 * i);
		sum += r;
	}
	for (long i = 0; i < SHIFT_TAIL_CALLS; i++) {
		if ((r = shift_tail(i)) != i)
			return bad("shift_tail", r, i);
		sum += r;
	}
	for (long i = 0; i < NOSHIFT_LOOP_CALLS; i++) {
		if ((r = noshift_loop(NOSHIFT_LOOP_ROUNDS)) !=
		    NOSHIFT_LOOP_ROUNDS * (NOSHIFT_LOOP_ROUNDS + 1) / 2)
			return bad("noshift_loop", r,
				   NOSHIFT_LOOP_ROUNDS * (NOSHIFT_LOOP_ROUNDS + 1) / 2);
		sum += r;
	}
	for (long i = 0; i < NOSHIFT_SUB_CALLS; i++) {
		if ((r = noshift_sub(i)) != i)
			return bad("noshift_sub", r, i);
		sum += r;
	}
	printf("ok %ld\n", sum);
	return 0;
}
