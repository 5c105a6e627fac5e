// SPDX-License-Identifier: MIT
/*
 * Tail calls: tail_caller() ends with a jump into tail_callee(), which
 * then returns straight to tail_caller's caller. A return-site stage on
 * tail_caller must end when tail_callee returns (as a return probe would
 * see it), also when tail_callee runs for other callers in between.
 *
 * Tail calls through a pointer end their caller's call at the jump:
 * ind_caller jumps through a register (jmp *%rax), ind_table through a
 * table in memory (jmp *(%rax,%rdx,8)); ind_switch jumps through its
 * switch's jump table, which stays inside it and ends nothing.
 */
#include <stdlib.h>
#include <unistd.h>

#define TAIL_CALLS 30  /* main -> tail_caller -> (jmp) tail_callee */
#define TAIL_DIRECT 20 /* main -> tail_callee */

__attribute__((noinline)) long tail_callee(long x)
{
	return x * 3 + getppid();
}

/* O2 for the sibling call the rest of the file (-O1) would not make. */
__attribute__((noinline, optimize("O2", "optimize-sibling-calls"))) long tail_caller(long x)
{
	return tail_callee(x + 1);
}

#define IND_CALLS 40  /* main -> ind_caller -> (jmp *%reg) ind_add / ind_mul */
#define IND_TABLE 24  /* main -> ind_table -> (jmp *mem) ind_add / ind_mul */
#define IND_SWITCH 36 /* main -> ind_switch, through its jump table */

typedef long (*op_fn)(long);

__attribute__((noinline)) long ind_add(long x)
{
	return x + getppid();
}

__attribute__((noinline)) long ind_mul(long x)
{
	return x * 3 + getppid();
}

op_fn ind_ops[2] = { ind_add, ind_mul };

__attribute__((noinline, optimize("O2", "optimize-sibling-calls"))) long ind_caller(op_fn f,
										   long x)
{
	return f(x + 1);
}

__attribute__((noinline, optimize("O2", "optimize-sibling-calls"))) long ind_table(long i,
										  long x)
{
	return ind_ops[i & 1](x);
}

/* Six cases that each call out: a jump table, not a lookup of values. */
__attribute__((noinline, optimize("O2"))) long ind_switch(long k, long x)
{
	switch (k) {
	case 0:
		x += getppid();
		break;
	case 1:
		x = x * 7 + getppid();
		break;
	case 2:
		x = labs(x - getppid());
		break;
	case 3:
		x ^= getppid();
		break;
	case 4:
		x = x / 3 + getppid();
		break;
	case 5:
		x = (x << 2) - getppid();
		break;
	default:
		x = 0;
	}
	return x + 1;
}

int main(void)
{
	long sink = 0;

	for (int i = 0; i < IND_CALLS; i++)
		sink += ind_caller(ind_ops[i & 1], i);
	for (int i = 0; i < IND_TABLE; i++)
		sink += ind_table(i, i);
	for (int i = 0; i < IND_SWITCH; i++)
		sink += ind_switch(i % 6, i);

	for (int i = 0; i < TAIL_CALLS; i++) {
		sink += tail_caller(i);
		if (i < TAIL_DIRECT)
			sink += tail_callee(i);
	}
	return sink == 0;
}
