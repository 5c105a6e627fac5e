// SPDX-License-Identifier: MIT
/* The process tree target_common.h describes, for --follow. */
#include <fcntl.h>
#include <stdio.h>
#include <sys/wait.h>
#include "targets/target_common.h"

static int devnull;

__attribute__((noinline)) int fork_stage_inner(int x)
{
	__asm__ volatile("" : "+r"(x));
	return x + 1;
}

/* Not a leaf, so it opens with push %rbp (an entry the kernel emulates). */
__attribute__((noinline)) int fork_stage(int x)
{
	return fork_stage_inner(x) * 2;
}

static void writes(int n)
{
	static const char buf[FORK_WRITE_SIZE];

	for (int i = 0; i < n; i++)
		if (write(devnull, buf, sizeof(buf)) != sizeof(buf))
			_exit(2);
}

static pid_t spawn(void (*body)(int), int arg)
{
	pid_t pid = fork();

	if (pid < 0)
		_exit(2);
	if (!pid) {
		body(arg);
		_exit(0);
	}
	return pid;
}

static void grandchild(int unused)
{
	writes(FORK_GRANDCHILD_WRITES);
}

static void child(int i)
{
	for (int c = 0; c <= i; c++)
		fork_stage(c);
	writes(FORK_CHILD_WRITES(i));
	if (i == 0 && waitpid(spawn(grandchild, 0), NULL, 0) < 0)
		_exit(2);
}

int main(int argc, char **argv)
{
	pid_t kids[FORK_CHILDREN];

	target_gate(argc, argv);
	devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (devnull < 0)
		return 2;
	fork_stage(0);
	writes(FORK_PARENT_WRITES);
	for (int i = 0; i < FORK_CHILDREN; i++)
		kids[i] = spawn(child, i);
	for (int i = 0; i < FORK_CHILDREN; i++)
		if (waitpid(kids[i], NULL, 0) < 0)
			return 2;
	return 0;
}
