// SPDX-License-Identifier: MIT
// A C++ target: stages named by their demangled names.
#include <unistd.h>

#define CXX_RUN_CALLS 40
#define CXX_OVERLOAD_CALLS 15

namespace ns {
struct Klass {
	__attribute__((noinline)) void run(int n);
	__attribute__((noinline)) static long compute(long x);
	__attribute__((noinline)) static long compute(double x);
};

void Klass::run(int n)
{
	if (getppid() < 0)
		_exit(n);
}

long Klass::compute(long x)
{
	return x + getppid();
}

long Klass::compute(double x)
{
	return (long)x + getppid();
}
} // namespace ns

int main()
{
	ns::Klass k;
	long sink = 0;

	for (int i = 0; i < CXX_RUN_CALLS; i++)
		k.run(i);
	for (int i = 0; i < CXX_OVERLOAD_CALLS; i++)
		sink += ns::Klass::compute((long)i) + ns::Klass::compute(i * 0.5);
	return sink < 0;
}
