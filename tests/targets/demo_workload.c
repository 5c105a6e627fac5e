// SPDX-License-Identifier: MIT
/* The README's demo: a few seconds of mixed file and socket I/O. */
#include <fcntl.h>
#include <stdio.h>
#include <sys/socket.h>
#include <time.h>
#include "targets/target_common.h"

int main(int argc, char **argv)
{
	double secs = argc > 1 ? strtod(argv[1], NULL) : 3;
	char path[] = "/tmp/bpfprof-demo-XXXXXX";
	static char buf[65536];
	struct timespec start, now, nap = { 0, 2 * 1000 * 1000 };
	int fd = mkstemp(path), sv[2];

	if (fd < 0 || socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		return 1;
	unlink(path);
	clock_gettime(CLOCK_MONOTONIC, &start);
	do {
		for (int i = 0; i < 64; i++) {
			if (pwrite(fd, buf, 4096, (off_t)i * 4096) < 0 ||
			    pread(fd, buf, 4096, (off_t)(i % 16) * 4096) < 0)
				return 1;
			if (write(sv[0], buf, 512) < 0 || read(sv[1], buf, sizeof(buf)) < 0)
				return 1;
		}
		fsync(fd);
		nanosleep(&nap, NULL);
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while ((double)(now.tv_sec - start.tv_sec) + (now.tv_nsec - start.tv_nsec) / 1e9 < secs);
	return 0;
}
