// SPDX-License-Identifier: MIT
// A function whose unlikely branch GCC moves to a work.cold part, built
// stripped (only .dynsym): bpfprof cannot tell that part from another
// function, so it probes the jump into it as a way out. Taken with the
// frame still on the stack, that jump must end nothing: every call
// returns through work's own ret.
#include <cstdlib>
#include <unistd.h>

#define COLD_SPLIT_CALLS 100 /* every fifth takes the cold branch */

volatile long sink;

namespace cold {
__attribute__((noinline, cold)) void rare(long x)
{
	if (getppid() == 0)
		abort();
	sink += x;
}

__attribute__((noinline)) long work(long x)
{
	long acc = x;

	if (__builtin_expect(x % 5 == 0, 0)) {
		rare(x);
		acc += getppid();
		sink += acc;
	}
	for (int i = 0; i < 10; i++)
		acc = acc * 3 + i;
	return acc;
}
} // namespace cold

int main(int argc, char **argv)
{
	long s = 0;

	/* A C++ program with exceptions (bpfprof sees its personality
	 * routine): its non-leaf functions get return-site probes. */
	try {
		if (argc > 1)
			throw argv[1];
	} catch (const char *) {
		return 2;
	}

	for (long i = 0; i < COLD_SPLIT_CALLS; i++)
		s += cold::work(i);
	return s == 42;
}
