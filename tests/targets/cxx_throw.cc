// SPDX-License-Identifier: MIT
// C++ exceptions through timed functions: every other round, thrower()
// throws through middle() to catcher(). With a return probe on either, the
// unwinder would meet the uprobe trampoline and call terminate().
#include <stdexcept>
#include <unistd.h>

#define CXX_THROW_ROUNDS 40 /* half throw: 20 finished, 20 unfinished each */
#define CXX_LEAF_CALLS 30

namespace ns {
__attribute__((noinline)) long thrower(int i)
{
	if (i % 2 == 0)
		throw std::runtime_error("even");
	return i + getppid();
}

__attribute__((noinline)) long middle(int i)
{
	return thrower(i) + 1;
}

__attribute__((noinline)) long catcher(int i)
{
	try {
		return middle(i);
	} catch (const std::runtime_error &) {
		return -1;
	}
}

/* A leaf: nothing can unwind through it, so it may keep a return probe. */
__attribute__((noinline)) long leaf(long x)
{
	return x * 3 + 1;
}
} // namespace ns

int main()
{
	long sink = 0, caught = 0;

	for (int i = 0; i < CXX_THROW_ROUNDS; i++) {
		long r = ns::catcher(i);

		caught += r == -1;
		sink += r;
	}
	for (int i = 0; i < CXX_LEAF_CALLS; i++)
		sink += ns::leaf(i);
	return caught == CXX_THROW_ROUNDS / 2 && sink != 0 ? 0 : 1;
}
