// SPDX-License-Identifier: MIT
/*
 * Stage calls in phases the test chooses, so it can toggle the probes
 * between them (see target_common.h).
 *   toggle_target
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include "targets/target_common.h"

#define NOINLINE __attribute__((noinline))

static volatile uint64_t sink;
static int null_fd;

NOINLINE void spin(unsigned long n)
{
	for (unsigned long i = 0; i < n; i++)
		sink += i;
}

static void writes(int n)
{
	char buf[TOGGLE_WRITE_SIZE] = { 0 };

	for (int i = 0; i < n; i++)
		if (write(null_fd, buf, sizeof(buf)) != sizeof(buf))
			exit(2);
}

static void answer(char c)
{
	if (write(1, &c, 1) != 1)
		exit(2);
}

/* Each calls another function, so gcc starts it with push %rbp (emulated). */
NOINLINE void toggle_work(void)
{
	spin(100);
}

NOINLINE void toggle_inner(void)
{
	spin(10);
	writes(TOGGLE_INNER_WRITES);
}

static void work(void)
{
	for (int i = 0; i < TOGGLE_WORK_CALLS; i++)
		toggle_work();
	answer('w');
}

/* Open while the test toggles the probes; "w" works inside it meanwhile. */
NOINLINE void toggle_held(void)
{
	char c;

	spin(10);
	answer('h');
	while (read(0, &c, 1) == 1 && c == 'w')
		work();
	if (c != 'i')
		exit(3);
	toggle_inner();
	writes(TOGGLE_HELD_WRITES);
}

int main(void)
{
	char line[64], c;
	int n;

	null_fd = open("/dev/null", O_WRONLY);
	if (null_fd < 0)
		return 2;
	n = snprintf(line, sizeof(line), "%p\nr", (void *)toggle_work);
	if (write(1, line, (size_t)n) != n)
		return 2;
	while (read(0, &c, 1) == 1) {
		if (c == 'w') {
			work();
		} else if (c == 'h') {
			toggle_held();
			answer('i');
		} else {
			return 3;
		}
	}
	return 0;
}
