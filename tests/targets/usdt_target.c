// SPDX-License-Identifier: MIT
/*
 * USDT probes through sys/sdt.h, as applications put them: request pairs
 * nested in batch pairs (each request writes to /dev/null), and a job pair
 * behind semaphores, fired only while a tracer holds them up. req__start
 * passes a request name (a string) to name stages by (-U ...@2).
 *   usdt_target RESULT_FILE
 * writes how many jobs saw their semaphore set.
 */
#define _SDT_HAS_SEMAPHORES 1
#include <fcntl.h>
#include <stdio.h>
#include <sys/sdt.h>
#include <unistd.h>
#include "targets/usdt_common.h"

/* With _SDT_HAS_SEMAPHORES every probe names one; only the jobs test theirs. */
#define SEMAPHORE(name) unsigned short app_##name##_semaphore __attribute__((section(".probes")))
SEMAPHORE(batch__start);
SEMAPHORE(batch__done);
SEMAPHORE(req__start);
SEMAPHORE(req__done);
SEMAPHORE(job__begin);
SEMAPHORE(job__end);

static volatile unsigned long sink;

static void spin(unsigned long n)
{
	for (unsigned long i = 0; i < n; i++)
		sink += i;
}

int main(int argc, char **argv)
{
	static const char *const names[USDT_REQ_NAME_COUNT] = USDT_REQ_NAMES;
	char buf[USDT_REQ_WRITE] = { 0 };
	int fd = open("/dev/null", O_WRONLY), fired = 0;
	FILE *f;

	if (fd < 0 || argc < 2)
		return 2;
	for (int b = 0; b < USDT_BATCHES; b++) {
		STAP_PROBE1(app, batch__start, b);
		for (int r = 0; r < USDT_REQS_PER_BATCH; r++) {
			const char *name = names[r % USDT_REQ_NAME_COUNT];

			/* In a register, as most probes pass a pointer (an indexed
			 * address would be a spec bpfprof does not read). */
			__asm__("" : "+r"(name));
			STAP_PROBE2(app, req__start, r, name);
			if (write(fd, buf, sizeof(buf)) != sizeof(buf))
				return 2;
			spin(1000);
			STAP_PROBE1(app, req__done, r);
		}
		spin(500);
		STAP_PROBE1(app, batch__done, b);
	}
	for (int j = 0; j < USDT_JOBS; j++) {
		if (app_job__begin_semaphore) {
			fired++;
			STAP_PROBE(app, job__begin);
		}
		spin(300);
		if (app_job__end_semaphore)
			STAP_PROBE(app, job__end);
	}
	f = fopen(argv[1], "w");
	if (!f)
		return 2;
	fprintf(f, "%d\n", fired);
	return fclose(f) ? 2 : 0;
}
