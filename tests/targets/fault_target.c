// SPDX-License-Identifier: MIT
/* A target that ends badly on request (see target_common.h). */
#include <fcntl.h>
#include <signal.h>
#include "targets/target_common.h"

int main(int argc, char **argv)
{
	static const char buf[FAULT_WRITE_SIZE];
	int fd;

	target_gate(argc, argv);
	fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return 2;
	for (int i = 0; i < FAULT_WRITES; i++)
		if (write(fd, buf, sizeof(buf)) != sizeof(buf))
			return 2;
	target_hold(argc, argv);
	if (argc > 1 && !strcmp(argv[1], "segv"))
		*(volatile int *)(long)argc = 0; /* address 2: never mapped */
	if (argc > 1 && !strcmp(argv[1], "abort"))
		raise(SIGABRT);
	if (argc > 2 && !strcmp(argv[1], "exec")) {
		execv(argv[2], argv + 2);
		return 3;
	}
	return 0;
}
