// SPDX-License-Identifier: MIT
/*
 * The target of the --events tests (see target_common.h for the numbers):
 *   span_target [gate] tree      known call trees on 3 threads, known I/O
 *   span_target [gate] flood N   N calls of one small function, as fast as
 *                                it goes (to overflow a small ring or queue)
 *   span_target [gate] paced N US  N span_root calls, US microseconds apart
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <time.h>
#include "targets/target_common.h"

#define NOINLINE __attribute__((noinline))

static int null_fd, zero_fd;
static volatile unsigned long sink;

NOINLINE void spin(unsigned long n)
{
	for (unsigned long i = 0; i < n; i++)
		sink += i;
}

NOINLINE void span_leaf(void)
{
	char buf[SPAN_LEAF_WRITE] = {0};

	spin(200);
	if (write(null_fd, buf, sizeof(buf)) != sizeof(buf))
		exit(2);
}

NOINLINE void span_mid(void)
{
	char buf[SPAN_MID_WRITE] = {0};

	for (int i = 0; i < SPAN_LEAVES; i++)
		span_leaf();
	if (write(null_fd, buf, sizeof(buf)) != sizeof(buf))
		exit(2);
}

NOINLINE void span_root(void)
{
	char buf[SPAN_ROOT_READ];

	if (read(zero_fd, buf, sizeof(buf)) != sizeof(buf))
		exit(2);
	for (int i = 0; i < SPAN_MIDS; i++)
		span_mid();
}

NOINLINE unsigned long span_chain(int depth)
{
	spin(100);
	return depth ? 1 + span_chain(depth - 1) : 0;
}

NOINLINE void span_flood(void)
{
	spin(1);
}

static void *roots(void *arg)
{
	for (int i = 0; i < SPAN_ROOTS; i++)
		span_root();
	return NULL;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[argc - 1] : "";
	pthread_t th[SPAN_THREADS];
	char *end;
	long n;

	target_gate(argc, argv);
	if (argc > 2 && !strcmp(argv[argc - 2], "flood")) {
		n = strtol(argv[argc - 1], &end, 10);
		if (*end || n < 1)
			return 2;
		for (long i = 0; i < n; i++)
			span_flood();
		return 0;
	}
	null_fd = open("/dev/null", O_WRONLY);
	zero_fd = open("/dev/zero", O_RDONLY);
	if (null_fd < 0 || zero_fd < 0)
		return 2;
	if (argc > 3 && !strcmp(argv[argc - 3], "paced")) {
		char *end2;
		long us = strtol(argv[argc - 1], &end, 10);

		n = strtol(argv[argc - 2], &end2, 10);
		if (*end || *end2 || n < 1 || us < 0)
			return 2;
		for (long i = 0; i < n; i++) {
			struct timespec ts = {us / 1000000, us % 1000000 * 1000};

			span_root();
			while (nanosleep(&ts, &ts))
				;
		}
		return 0;
	}
	if (strcmp(mode, "tree"))
		return 2;
	roots(NULL);
	for (int i = 0; i < SPAN_THREADS; i++)
		if (pthread_create(&th[i], NULL, roots, NULL))
			return 2;
	for (int i = 0; i < SPAN_THREADS; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < SPAN_CHAINS; i++)
		sink += span_chain(SPAN_CHAIN_DEPTH);
	return 0;
}
