// SPDX-License-Identifier: MIT
/*
 * What symbolizing --cpu-sample's stacks costs bpfprof: N user stacks of
 * FRAMES addresses each, drawn from the code of this very process (its
 * executable, libc, libelf...: a PIE and shared libraries, as a real
 * target's), through stack_symbols_user. The worst case: bpfprof
 * symbolizes each distinct stack once, and a run's samples share few.
 * Prints one JSON object: the CPU seconds and the cost per frame.
 *   symbolize [N]
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "samples/stack_symbols.h"

#define FRAMES 16

struct range {
	uint64_t start, end;
};

static double cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* This process's executable mappings. */
static size_t code_ranges(struct range *v, size_t max)
{
	FILE *f = fopen("/proc/self/maps", "re");
	char line[4352], perms[8];
	size_t n = 0;
	uint64_t s, e;

	if (!f)
		return 0;
	while (n < max && fgets(line, sizeof(line), f))
		if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %7s", &s, &e, perms) == 3 &&
		    perms[2] == 'x' && strchr(line, '/'))
			v[n++] = (struct range){ s, e };
	fclose(f);
	return n;
}

int main(int argc, char **argv)
{
	long stacks = argc > 1 ? atol(argv[1]) : 1000000;
	struct range r[64];
	size_t nr = code_ranges(r, 64);
	struct stack_symbols *s;
	uint64_t seed = 88172645463325252ULL, named = 0;
	double t0, t1, t_new;
	pid_t self = getpid();

	if (!nr || stacks <= 0)
		return 1;
	t0 = cpu_s();
	s = stack_symbols_new(); /* kallsyms: once per run */
	t_new = cpu_s() - t0;
	if (!s)
		return 1;
	t0 = cpu_s();
	for (long i = 0; i < stacks; i++) {
		for (int k = 0; k < FRAMES; k++) {
			const struct range *m;
			const char *name;

			seed ^= seed << 13;
			seed ^= seed >> 7;
			seed ^= seed << 17;
			m = &r[seed % nr];
			name = stack_symbols_user(s, self, m->start + (seed >> 20) % (m->end - m->start),
						  k > 0);
			named += name[0] != '[';
		}
	}
	t1 = cpu_s();
	printf("{\"stacks\": %ld, \"frames_per_stack\": %d, \"cpu_s\": %.3f, \"ns_per_frame\": %.1f, "
	       "\"frames_in_a_function\": %.3f, \"files_loaded\": %lu, \"kallsyms_load_cpu_s\": %.3f}\n",
	       stacks, FRAMES, t1 - t0, (t1 - t0) * 1e9 / ((double)stacks * FRAMES),
	       (double)named / ((double)stacks * FRAMES), stack_symbols_files_loaded(s), t_new);
	stack_symbols_free(s);
	return 0;
}
