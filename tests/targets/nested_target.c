// SPDX-License-Identifier: MIT
/*
 * A nested stage pair, busy from before bpfprof attaches until after it
 * detaches: handle_request() calls handle_parse() exactly once, which makes
 * exactly one write; nothing else writes. Any interval, the first and the
 * last included, must count as many of each.
 *   nested_target run     NESTED_THREADS threads, requests until stdin closes;
 *                         a 'p' on stdin pauses them (each finishes its
 *                         request), an 'r' resumes them
 *   nested_target count   NESTED_THREADS threads, NESTED_CALLS requests each
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <time.h>
#include "targets/target_common.h"

#define NOINLINE __attribute__((noinline))

static int devnull;
static volatile bool stop, paused;
static long calls_each = -1; /* -1: until stop */

NOINLINE void handle_parse(void)
{
	static const char buf[NESTED_WRITE_SIZE];

	if (write(devnull, buf, sizeof(buf)) != sizeof(buf))
		exit(4);
}

NOINLINE void handle_request(void)
{
	handle_parse();
	__asm__ volatile("" ::: "memory"); /* no tail call */
}

static void *worker(void *arg)
{
	struct timespec nap = { 0, 1000000 };

	for (long i = 0; calls_each < 0 ? !stop : i < calls_each; i++) {
		while (paused && !stop)
			nanosleep(&nap, NULL);
		handle_request();
	}
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t th[NESTED_THREADS];
	char c;

	devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (devnull < 0)
		return 2;
	target_gate(argc, argv);
	if (!strcmp(argv[argc - 1], "count"))
		calls_each = NESTED_CALLS;
	for (int i = 0; i < NESTED_THREADS; i++)
		if (pthread_create(&th[i], NULL, worker, NULL))
			return 2;
	if (calls_each < 0) {
		/* Until stdin closes (a read, not a write). */
		while (read(0, &c, 1) > 0)
			paused = c == 'p' ? true : c == 'r' ? false : paused;
		stop = true;
	}
	for (int i = 0; i < NESTED_THREADS; i++)
		pthread_join(th[i], NULL);
	return 0;
}
