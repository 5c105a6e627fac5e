// SPDX-License-Identifier: MIT
/* libstagelib.so: a stage that lives in a shared library. */
#include <unistd.h>

__attribute__((noinline)) void lib_stage_work(int fd)
{
	char buf[10] = { 0 };

	if (write(fd, buf, sizeof(buf)) != sizeof(buf))
		_exit(2);
}
