// SPDX-License-Identifier: MIT
/*
 * CPU burnt in known shares in named functions (target_common.h), for the
 * --cpu-sample tests: 75% in spin_a inside stage_hot, 25% in spin_b inside
 * stage_cold. Built with frame pointers, like every target.
 *   spin_target [gate] [hold] [ROUNDS]
 */
#include <stdint.h>
#include <stdlib.h>
#include "targets/target_common.h"

#define NOINLINE __attribute__((noinline))

static volatile uint64_t sink;

/*
 * gcc gives a leaf function no frame of its own, even with
 * -fno-omit-frame-pointer: a frame-pointer unwinder sampling it would skip
 * its caller (the stage). A call after the loop makes it a frame.
 */
NOINLINE void spin_done(void)
{
	__asm__ volatile("");
}

/* The same loop in both: equal work per unit. Both functions start on a
 * 64-byte boundary, so their loops align alike: measured here, a loop one
 * alignment apart ran ~1.7 times slower per iteration. */
#define SPIN_LOOP(units)                                                            \
	do {                                                                         \
		for (unsigned long i = 0; i < (units) * (unsigned long)SPIN_UNIT_ITERS; i++) \
			sink += i;                                                   \
		spin_done();                                                         \
	} while (0)

__attribute__((aligned(64))) NOINLINE void spin_a(unsigned long units)
{
	SPIN_LOOP(units);
}

__attribute__((aligned(64))) NOINLINE void spin_b(unsigned long units)
{
	SPIN_LOOP(units);
}

NOINLINE void stage_hot(void)
{
	spin_a(SPIN_A_UNITS);
}

NOINLINE void stage_cold(void)
{
	spin_b(SPIN_B_UNITS);
}

int main(int argc, char **argv)
{
	long rounds = SPIN_ROUNDS;

	target_gate(argc, argv);
	if (argc > 1 && argv[argc - 1][0] >= '0' && argv[argc - 1][0] <= '9')
		rounds = strtol(argv[argc - 1], NULL, 10);
	for (long r = 0; r < rounds; r++) {
		stage_hot();
		stage_cold();
	}
	target_hold(argc, argv);
	return 0;
}
