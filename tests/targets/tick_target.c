// SPDX-License-Identifier: MIT
/*
 * Calls of one stage function, tick(), at a steady rate or a known count.
 *   tick_target [gate] run     tick() then a 1 ms nap, until stdin closes
 *   tick_target [gate] count   TICK_THREADS threads, TICK_CALLS_PER_THREAD each
 */
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <time.h>
#include "targets/target_common.h"

#define NOINLINE __attribute__((noinline))

static volatile uint64_t sink;

NOINLINE void spin(unsigned long n)
{
	for (unsigned long i = 0; i < n; i++)
		sink += i;
}

/* Calls another function, so gcc starts it with push %rbp (emulated). */
NOINLINE void tick(void)
{
	spin(100);
}

static void *thread_body(void *arg)
{
	for (int i = 0; i < TICK_CALLS_PER_THREAD; i++)
		tick();
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t th[TICK_THREADS];

	target_gate(argc, argv);
	if (!strcmp(argv[argc - 1], "count")) {
		for (int i = 0; i < TICK_THREADS; i++)
			if (pthread_create(&th[i], NULL, thread_body, NULL))
				return 2;
		for (int i = 0; i < TICK_THREADS; i++)
			pthread_join(th[i], NULL);
		return 0;
	}
	for (;;) {
		struct pollfd pfd = { .fd = 0, .events = POLLIN };

		tick();
		/* The 1 ms nap doubles as the check for stdin's end. */
		if (poll(&pfd, 1, 1) > 0)
			return 0;
	}
}
