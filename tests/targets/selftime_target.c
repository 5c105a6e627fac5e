// SPDX-License-Identifier: MIT
/*
 * Functions of known length, for the accuracy of the probe-cost correction
 * (see target_common.h): each spins on a loop sized at start so that it
 * takes about SELFTIME_*_NS, and the target times them itself, unprobed,
 * before it waits at its gate. Then it makes the timed calls.
 *   selftime_target [gate] [hold] [loop] RESULT_FILE
 * writes "short medium child parent" (ns per call, as timed unprobed) to
 * RESULT_FILE. With "loop" the timed calls are of selftime_short alone,
 * for SELFTIME_LOOP_MS. Every function calls spin(), so gcc starts it with push
 * %rbp: an entry the kernel emulates.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "targets/target_common.h"

#define NOINLINE __attribute__((noinline))

static volatile unsigned long sink;
static unsigned long short_iters, medium_iters, self_iters;

static bool has_arg(int argc, char **argv, const char *what)
{
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], what))
			return true;
	return false;
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

NOINLINE void spin(unsigned long n)
{
	for (unsigned long i = 0; i < n; i++)
		sink += i;
}

NOINLINE void selftime_short(void)
{
	spin(short_iters);
}

NOINLINE void selftime_medium(void)
{
	spin(medium_iters);
}

/* As long as selftime_short: the parent's stage children. */
NOINLINE void selftime_child(void)
{
	spin(short_iters);
}

NOINLINE void selftime_parent(void)
{
	spin(self_iters / 2);
	for (int i = 0; i < SELFTIME_CHILDREN; i++)
		selftime_child();
	spin(self_iters - self_iters / 2);
}

/* ns per call of fn: the median of many short batches' means (a preempted
 * batch is an outlier; the median of the profiler's calls ignores such
 * calls too). */
static double time_fn(void (*fn)(void), int calls)
{
	enum { BATCHES = 101 };
	double means[BATCHES];

	for (int b = 0; b < BATCHES; b++) {
		double t0 = now_ns();

		for (int i = 0; i < calls; i++)
			fn();
		means[b] = (now_ns() - t0) / calls;
	}
	for (int i = 1; i < BATCHES; i++)
		for (int j = i; j > 0 && means[j] < means[j - 1]; j--) {
			double t = means[j];

			means[j] = means[j - 1];
			means[j - 1] = t;
		}
	return means[BATCHES / 2];
}

/* Loop iterations per ns, from a spin long enough to swamp the clock reads. */
static double iters_per_ns(void)
{
	double best = 0;

	for (int r = 0; r < 5; r++) {
		double t0 = now_ns(), rate;

		spin(2000000);
		rate = 2000000 / (now_ns() - t0);
		if (rate > best)
			best = rate;
	}
	return best;
}

int main(int argc, char **argv)
{
	double rate = iters_per_ns(), t_short, t_medium, t_child, t_parent;
	const char *result = argc > 1 ? argv[argc - 1] : NULL;
	FILE *f;

	short_iters = (unsigned long)(SELFTIME_SHORT_NS * rate);
	medium_iters = (unsigned long)(SELFTIME_MEDIUM_NS * rate);
	self_iters = (unsigned long)(SELFTIME_PARENT_SELF_NS * rate);
	t_short = time_fn(selftime_short, 500);
	t_medium = time_fn(selftime_medium, 50);
	t_child = time_fn(selftime_child, 500);
	t_parent = time_fn(selftime_parent, 50);
	if (result && strcmp(result, "gate") && strcmp(result, "hold") && strcmp(result, "loop")) {
		f = fopen(result, "w");
		if (!f ||
		    fprintf(f, "%.1f %.1f %.1f %.1f\n", t_short, t_medium, t_child, t_parent) < 0 ||
		    fclose(f))
			return 2;
	}
	target_gate(argc, argv);
	if (has_arg(argc, argv, "loop")) {
		for (double end = now_ns() + SELFTIME_LOOP_MS * 1e6; now_ns() < end;)
			for (int i = 0; i < 1000; i++)
				selftime_short();
		return 0;
	}
	for (int i = 0; i < SELFTIME_SHORT_CALLS; i++)
		selftime_short();
	for (int i = 0; i < SELFTIME_MEDIUM_CALLS; i++)
		selftime_medium();
	for (int i = 0; i < SELFTIME_PARENT_CALLS; i++)
		selftime_parent();
	target_hold(argc, argv);
	return 0;
}
