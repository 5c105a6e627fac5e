// SPDX-License-Identifier: MIT
/*
 * Tail calls: tail_caller() ends with a jump into tail_callee(), which
 * then returns straight to tail_caller's caller. A return-site stage on
 * tail_caller must end when tail_callee returns (as a return probe would
 * see it), also when tail_callee runs for other callers in between.
 */
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

int main(void)
{
	long sink = 0;

	for (int i = 0; i < TAIL_CALLS; i++) {
		sink += tail_caller(i);
		if (i < TAIL_DIRECT)
			sink += tail_callee(i);
	}
	return sink == 0;
}
