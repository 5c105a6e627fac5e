// SPDX-License-Identifier: MIT
/*
 * The functions the stage tests time, each with a known structure (see
 * target_common.h). Every stage function calls another function, so gcc
 * starts it with push %rbp: an entry the kernel emulates.
 *   stage_target [gate] RESULT_FILE
 * writes the sleep durations it measured itself to RESULT_FILE.
 */
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include "targets/target_common.h"

#ifdef WITH_LIB
void lib_stage_work(int fd);
#endif

#define NOINLINE __attribute__((noinline))

static int null_fd, zero_fd;
static volatile unsigned long sink;
static jmp_buf jump_back;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

NOINLINE void spin(unsigned long n)
{
	for (unsigned long i = 0; i < n; i++)
		sink += i;
}

NOINLINE void stage_inner(void)
{
	spin(2000);
}

NOINLINE void stage_outer(void)
{
	spin(1000);
	stage_inner();
	stage_inner();
}

NOINLINE unsigned long stage_recurse(int depth)
{
	spin(100);
	return depth ? 1 + stage_recurse(depth - 1) : 0;
}

NOINLINE void stage_sleep(long ns)
{
	struct timespec ts = { ns / 1000000000L, ns % 1000000000L };

	while (nanosleep(&ts, &ts))
		;
}

NOINLINE void stage_writer(void)
{
	char buf[STAGE_WRITER_WRITE_SIZE] = { 0 };

	for (int i = 0; i < STAGE_WRITER_WRITES; i++)
		if (write(null_fd, buf, STAGE_WRITER_WRITE_SIZE) != STAGE_WRITER_WRITE_SIZE)
			exit(2);
	for (int i = 0; i < STAGE_WRITER_READS; i++)
		if (read(zero_fd, buf, STAGE_WRITER_READ_SIZE) != STAGE_WRITER_READ_SIZE)
			exit(2);
}

NOINLINE void stage_jumped(void)
{
	spin(10);
	longjmp(jump_back, 1);
}

NOINLINE void stage_jumper(void)
{
	if (!setjmp(jump_back))
		stage_jumped();
	spin(10);
}

NOINLINE void stage_threaded(void)
{
	spin(500);
}

static void *thread_body(void *arg)
{
	for (int i = 0; i < STAGE_THREAD_CALLS; i++)
		stage_threaded();
	return NULL;
}

static int cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	uint64_t took[STAGE_SLEEP_CALLS];
	const char *result = NULL;
	FILE *f;

	/* The result file: the last argument that is not a keyword. */
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "gate") && strcmp(argv[i], "hold"))
			result = argv[i];
	target_gate(argc, argv);
	null_fd = open("/dev/null", O_WRONLY);
	zero_fd = open("/dev/zero", O_RDONLY);
	if (null_fd < 0 || zero_fd < 0)
		return 2;
	for (int i = 0; i < STAGE_OUTER_CALLS; i++)
		stage_outer();
	for (int i = 0; i < STAGE_RECURSE_CALLS; i++)
		sink += stage_recurse(STAGE_RECURSE_DEPTH);
	for (int i = 0; i < STAGE_WRITER_CALLS; i++)
		stage_writer();
	for (int i = 0; i < STAGE_JUMP_CALLS; i++)
		stage_jumper();
	{
		pthread_t th[STAGE_THREADS];

		for (int i = 0; i < STAGE_THREADS; i++)
			if (pthread_create(&th[i], NULL, thread_body, NULL))
				return 2;
		for (int i = 0; i < STAGE_THREADS; i++)
			pthread_join(th[i], NULL);
	}
#ifdef WITH_LIB
	for (int i = 0; i < STAGE_LIB_CALLS; i++)
		lib_stage_work(null_fd);
#endif
	for (int i = 0; i < STAGE_SLEEP_CALLS; i++) {
		long ns = i % STAGE_SLEEP_LONG_EVERY ? STAGE_SLEEP_SHORT_NS : STAGE_SLEEP_LONG_NS;
		uint64_t t0 = now_ns();

		stage_sleep(ns);
		took[i] = now_ns() - t0;
	}
	/* The target's own view of stage_sleep, by the same rank rule. */
	qsort(took, STAGE_SLEEP_CALLS, sizeof(took[0]), cmp);
	if (result) {
		f = fopen(result, "w");
		if (!f)
			return 2;
		fprintf(f, "%lu %lu %lu\n", (unsigned long)took[STAGE_SLEEP_CALLS / 2 - 1],
			(unsigned long)took[STAGE_SLEEP_CALLS * 95 / 100 - 1],
			(unsigned long)took[STAGE_SLEEP_CALLS * 99 / 100 - 1]);
		fclose(f);
	}
	target_hold(argc, argv);
	return 0;
}
