// SPDX-License-Identifier: MIT
/*
 * Functions whose whole body is one instruction that leaves them, so their
 * entry and their way out are the same instruction (in assembly, so the
 * bytes are exact):
 *   jo_jmp   jmp jo_callee          a direct tail call, as a C wrapper
 *                                   built with -O2 is
 *   jo_ptr   jmp *jo_ptr_to(%rip)   a tail call through a pointer (always
 *                                   out, as through the GOT)
 *   jo_reg   jmp *%rdi              a tail call to its argument: out or
 *                                   not is read where it lands
 *   jo_ret   ret                    an empty function
 * jo_parent spins JO_SPIN_US, then calls each a known number of times (and
 * jo_callee once itself); counts in target_common.h. Prints "ok SUM".
 */
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "target_common.h"

long jo_jmp(long x);
long jo_ptr(long x);
long jo_reg(long (*f)(long));
void jo_ret(void);

/* clang-format off */
#define FN(name, body)                                                                  \
	".p2align 4\n.globl " #name "\n.type " #name ",@function\n" #name ":\n" body \
	"\n.size " #name ", .-" #name "\n"

__asm__(".pushsection .text\n"
	FN(jo_jmp, "jmp jo_callee")
	FN(jo_ptr, "jmp *jo_ptr_to(%rip)")
	FN(jo_reg, "jmp *%rdi")
	FN(jo_ret, "ret")
	".popsection\n");
/* clang-format on */

__attribute__((noinline, used)) long jo_callee(long x)
{
	return x * 3 + (getppid() > 0);
}

long (*volatile jo_ptr_to)(long) = jo_callee;

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

__attribute__((noinline)) long jo_parent(long x)
{
	double end = now_ns() + JO_SPIN_US * 1e3;
	long sum;

	/* First, so that the probes' cost is not spun away. */
	while (now_ns() < end)
		;
	sum = jo_callee(x);
	for (int i = 0; i < JO_JMP_CALLS; i++)
		sum += jo_jmp(x + i);
	for (int i = 0; i < JO_PTR_CALLS; i++)
		sum += jo_ptr(x + i);
	for (int i = 0; i < JO_REG_CALLS; i++)
		sum += jo_reg(jo_callee) != 0;
	for (int i = 0; i < JO_RET_CALLS; i++)
		jo_ret();
	return sum;
}

int main(void)
{
	long sum = 0;

	for (long i = 0; i < JO_PARENT_CALLS; i++)
		sum += jo_parent(i);
	printf("ok %ld\n", sum);
	return 0;
}
