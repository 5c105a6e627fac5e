// SPDX-License-Identifier: MIT
/* Calls that end because their thread or their process does: see
 * target_common.h. */
#include <pthread.h>
#include "target_common.h"

#define NOINLINE __attribute__((noinline))

NOINLINE void exit_thread_quits(void)
{
	pthread_exit(NULL);
}

NOINLINE int exit_returns(int n)
{
	asm volatile("" ::: "memory");
	return n + 1;
}

NOINLINE void exit_process_exits(int n)
{
	exit(n == EXIT_RETURN_CALLS ? 0 : 1);
}

static void *worker(void *arg)
{
	exit_thread_quits();
	return arg;
}

int main(void)
{
	pthread_t t[EXIT_THREADS];
	int n = 0;

	for (int i = 0; i < EXIT_THREADS; i++)
		if (pthread_create(&t[i], NULL, worker, NULL))
			return 2;
	for (int i = 0; i < EXIT_THREADS; i++)
		pthread_join(t[i], NULL);
	for (int i = 0; i < EXIT_RETURN_CALLS; i++)
		n = exit_returns(n);
	exit_process_exits(n);
	return 3;
}
