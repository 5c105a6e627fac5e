// SPDX-License-Identifier: MIT
/*
 * Known telemetry: a quiet phase (naps), then TELE_GROW_MIB MiB allocated and
 * every page touched, TELE_BURN_NS of CPU burned in user space, known I/O,
 * and another quiet phase so an interval sees the grown process.
 *   telemetry_target [gate]
 * It first gives up its capabilities, unless TELE_KEEP_CAPS is set: a
 * process with capabilities (a root daemon) is the case bpfprof cannot read
 * /proc/PID/io of once it has dropped its own, and reads through its BPF
 * iterator instead.
 */
#include <fcntl.h>
#include <linux/capability.h>
#include <sys/syscall.h>
#include <stdint.h>
#include <sys/mman.h>
#include <time.h>
#include "targets/target_common.h"

static volatile uint64_t sink;

static uint64_t cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void naps(void)
{
	for (int i = 0; i < TELE_NAPS; i++) {
		struct timespec ts = { 0, TELE_NAP_NS };

		while (nanosleep(&ts, &ts))
			;
	}
}

int main(int argc, char **argv)
{
	static char buf[TELE_WRITE_SIZE];
	size_t len = (size_t)TELE_GROW_MIB << 20;
	uint64_t start;
	char *p;
	int out, in;

	target_gate(argc, argv);
	if (!getenv("TELE_KEEP_CAPS")) {
		struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
		struct __user_cap_data_struct none[2] = {};

		if (syscall(SYS_capset, &h, none))
			return 2;
	}
	out = open("/dev/null", O_WRONLY);
	in = open("/dev/zero", O_RDONLY);
	if (out < 0 || in < 0)
		return 2;
	naps();
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return 2;
	for (size_t i = 0; i < len; i += 4096)
		p[i] = 1;
	/* Burn in user space; the clock is read every few million adds only. */
	start = cpu_ns();
	while (cpu_ns() - start < TELE_BURN_NS)
		for (int i = 0; i < 2000000; i++)
			sink += i;
	for (int i = 0; i < TELE_WRITES; i++)
		if (write(out, buf, TELE_WRITE_SIZE) != TELE_WRITE_SIZE)
			return 2;
	for (int i = 0; i < TELE_READS; i++)
		if (read(in, buf, TELE_READ_SIZE) != TELE_READ_SIZE)
			return 2;
	naps();
	return 0;
}
