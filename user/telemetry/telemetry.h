/* SPDX-License-Identifier: MIT */
/*
 * Process telemetry: what /proc says about one process at one moment (memory,
 * CPU time, threads, context switches, I/O), and the CPU share between two
 * such samples. Also serves for bpfprof's own figures (telemetry_sample of
 * getpid()).
 */
#ifndef BPFPROF_TELEMETRY_H
#define BPFPROF_TELEMETRY_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct proc_telemetry {
	pid_t pid;
	char comm[16];
	char state;	      /* as in /proc/PID/stat: 'R', 'S', 'Z', ... */
	uint64_t start_ticks; /* start time since boot (clock ticks): tells a reused pid apart */
	double mono_s;	      /* CLOCK_MONOTONIC when read */
	uint64_t utime_ns;    /* CPU time in user mode since the process started, all threads */
	uint64_t stime_ns;    /* and in the kernel */
	uint64_t rss_bytes;   /* resident set (0 for a zombie) */
	uint64_t vsize_bytes; /* virtual size (0 for a zombie) */
	uint32_t threads;
	uint64_t ctxt_voluntary; /* summed over the live threads */
	uint64_t ctxt_involuntary;
	bool have_io;	       /* /proc/PID/io was readable */
	uint64_t rchar, wchar; /* bytes through read/write-like syscalls */
	uint64_t read_bytes;   /* bytes fetched from storage */
	uint64_t write_bytes;  /* bytes sent towards storage */
};

/*
 * Sample process pid now. Returns 0, or -errno: -ESRCH when the process is
 * gone (a zombie still samples: its CPU times stay, its memory reads 0).
 */
int telemetry_sample(pid_t pid, struct proc_telemetry *out);

/* One clock tick in ns: the step of the kernel's CPU times (10 ms). */
double telemetry_tick_ns(void);

/* True when both samples are of the same process (same pid, same start). */
bool telemetry_same_process(const struct proc_telemetry *a, const struct proc_telemetry *b);

/*
 * CPU use between two samples of one process, in percent of one CPU (a
 * process busy on two CPUs reads 200). Returns 0, or -1 when the samples are
 * of different processes or no time passed between them.
 */
int telemetry_cpu_pct(const struct proc_telemetry *prev, const struct proc_telemetry *cur,
		      double *user_pct, double *system_pct);

#endif
