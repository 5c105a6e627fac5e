/* SPDX-License-Identifier: MIT */
/*
 * --cpu-sample HZ: the perf events that run the sampler (one CPU-clock
 * event per CPU), and what userspace makes of its counts. At each flush
 * the cpu_samples map is read whole (its counts only grow), the stacks
 * new since the last flush are symbolized (stack_symbols.h) and kept for
 * the run, and the difference to the previous read is this flush's
 * samples. At the end the run's samples go to DIR/samples.jsonl.
 */
#ifndef BPFPROF_CPU_SAMPLES_H
#define BPFPROF_CPU_SAMPLES_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include "bpfprof.skel.h"
#include "collect/profile.h"
#include "probes/stages.h"
#include "samples/sample_data.h"

struct output_files;
struct cpu_samples;

#define SAMPLES_FILE "samples.jsonl"
/*
 * Made after the skeleton is loaded (with cpu_sample_hz set in the loader
 * config), before privileges are dropped: it reads /proc/kallsyms. NULL on
 * ENOMEM.
 */
struct cpu_samples *cpu_samples_new(struct bpfprof_bpf *skel, unsigned int hz,
				    const struct stage_table *stages);
/* Opens a CPU-clock event on every online CPU and attaches the sampler to
 * each. 0, or -1 with a one-line reason in err. */
int cpu_samples_attach(struct cpu_samples *cs, char *err, size_t errlen);
/* Stops sampling; the counts stay readable. */
void cpu_samples_detach(struct cpu_samples *cs);
void cpu_samples_free(struct cpu_samples *cs);

/* Reads the counts (the flush's samples are the difference to the last
 * read) and stores the userspace audit slot into audit. */
int cpu_samples_read(struct cpu_samples *cs, uint64_t audit[AUDIT_ALL_SLOTS]);
/* Top functions of the last read's samples, or of the run's. */
int cpu_samples_tops(const struct cpu_samples *cs, bool whole_run, size_t max_funcs,
		     struct sample_tops *out);

/* DIR/samples.jsonl, whole or not at all. 0, or -1 (said on stderr). */
int cpu_samples_write(const struct cpu_samples *cs, struct output_files *out);

#endif
