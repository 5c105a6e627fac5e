// SPDX-License-Identifier: MIT
/*
 * A loop of ~30 ns bodies, each wrapped in a marker pair (or, built with
 * -DAS_FUNCTION, a noinline function to time with -u). Prints the median
 * of 7 rounds, in ns per iteration.
 *   marker_bench ITERATIONS
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <bpfprof/marker.h>

static volatile unsigned long sink;

static inline void work(void)
{
	for (int i = 0; i < 24; i++)
		sink += (unsigned long)i * 2654435761u;
}

/* The rbx clobber makes it start with push %rbx, an entry the kernel
 * emulates, as most functions' push %rbp: not a single-stepped one. */
__attribute__((noinline)) void bench_body(void)
{
	__asm__ __volatile__("" ::: "rbx");
	work();
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 2000000;
	double round_ns[7];

	for (int r = 0; r < 7; r++) {
		double t0 = now_ns();

		for (long i = 0; i < n; i++) {
#ifdef AS_FUNCTION
			bench_body();
#else
			BPFPROF_BEGIN(body);
			work();
			BPFPROF_END(body);
#endif
		}
		round_ns[r] = (now_ns() - t0) / (double)n;
	}
	qsort(round_ns, 7, sizeof(round_ns[0]), cmp);
	printf("%.2f\n", round_ns[3]);
	return 0;
}
