/* SPDX-License-Identifier: MIT */
/* What the CPU samples are once symbolized, as the outputs read them. */
#ifndef BPFPROF_SAMPLE_DATA_H
#define BPFPROF_SAMPLE_DATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "bpfprof.h"

#define SAMPLES_SCHEMA "bpfprof.samples.v1"
/* Functions kept per process in a flush record and in the summary. */
#define SAMPLE_TOP_FUNCTIONS 10

/* A function and its self samples (the leaf of the stack). */
struct func_samples {
	const char *name;
	uint64_t self;
};

struct proc_samples {
	uint32_t pid;
	char comm[TASK_COMM_LEN];
	uint64_t samples;
	struct func_samples *top; /* most self samples first */
	size_t n_top;
};

/* Each process's hottest functions over a flush or the run. */
struct sample_tops {
	unsigned int hz;
	uint64_t samples;
	uint64_t cut_short; /* samples whose user stack was cut short */
	struct proc_samples *procs; /* most samples first */
	size_t n;
};

void sample_tops_free(struct sample_tops *t);

/*
 * One symbolized stack with its samples: frames root first, user then
 * kernel. stage is NULL outside any stage.
 */
struct sample_stack {
	uint32_t pid;
	const char *comm;
	const char *stage;
	uint64_t count;
	bool cut_short;
	const char *const *user;
	size_t n_user;
	const char *const *kernel;
	size_t n_kernel;
};

#endif
