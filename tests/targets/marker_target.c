// SPDX-License-Identifier: MIT
/*
 * bpfprof markers (include/bpfprof/marker.h): parse pairs nested in
 * request pairs; each parse writes to /dev/null.
 */
#include <fcntl.h>
#include <unistd.h>
#include <bpfprof/marker.h>
#include "targets/usdt_common.h"

static volatile unsigned long sink;

static void spin(unsigned long n)
{
	for (unsigned long i = 0; i < n; i++)
		sink += i;
}

int main(void)
{
	char buf[MARK_PARSE_WRITE] = { 0 };
	int fd = open("/dev/null", O_WRONLY);

	if (fd < 0)
		return 2;
	for (int r = 0; r < MARK_REQUESTS; r++) {
		BPFPROF_BEGIN(request);
		spin(1000);
		for (int p = 0; p < MARK_PARSES; p++) {
			BPFPROF_BEGIN(parse);
			if (write(fd, buf, sizeof(buf)) != sizeof(buf))
				return 2;
			spin(500);
			BPFPROF_END(parse);
		}
		BPFPROF_END(request);
	}
	return 0;
}
