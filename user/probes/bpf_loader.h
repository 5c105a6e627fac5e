/* SPDX-License-Identifier: MIT */
/* Opens, configures, loads and attaches the BPF skeleton. */
#ifndef BPFPROF_BPF_LOADER_H
#define BPFPROF_BPF_LOADER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "bpfprof.h" /* the skeleton names its types */
#include "bpfprof.skel.h"
#include "collect/collector.h"
#include "probes/uprobe_link.h"

/* --follow: processes with preallocated counters (~100 KB each per CPU);
 * more are counted in the audit as lost. */
#define FOLLOW_MAX_PROCS 128

/* The whole machine: memory for each preallocated histogram map (I/O,
 * stages), and the most entries either gets. */
#define SYSTEM_HIST_MAP_BYTES (32UL << 20)
#define SYSTEM_MAX_ENTRIES 16384

struct loader_config {
	pid_t targ_tgid; /* 0: every process but bpfprof */
	bool follow;	 /* also every process targ_tgid forks, from now on */
	bool several;	 /* targ_tgid and others (-p PID,PID...): all marked traced */
	const char *comm; /* --comm NAME: processes so named, now and later */
	bool syscalls_off; /* no syscall programs: stages only */
	bool verbose;
	size_t n_stages;		 /* 0: no stage programs are loaded */
	enum uprobe_link_kind stage_links; /* how stages will be attached */
	size_t n_site_stages;		 /* stages ended by return-site probes, per thread */
	size_t n_go_stages;		 /* the same, per goroutine */
	bool go_sched_off;		 /* --no-go-sched: Go stages without go_sched.bpf.h */
	bool usdt_stages;		 /* some stages are USDT/marker pairs (probes/usdt.h) */
	/* -U ...@N (probes/usdt.h): named specs, their BEGIN sites, the ids
	 * they hand out (n_stages counts them), the most arguments one names. */
	uint32_t usdt_name_specs, usdt_name_sites, usdt_names;
	/* Ids from here on are names' (one target: counted in the hash,
	 * allocated as names are met, not preallocated per CPU). */
	uint32_t usdt_first_name_id;
	int usdt_name_args;
	bool stages_off;		 /* start with the stage probes switched off */
	uint32_t sample_every;		 /* record 1 in N stage calls; 0 or 1: all */
	size_t span_ring_bytes;		 /* --events: ring buffer size; 0: no events */
	unsigned int cpu_sample_hz;	 /* --cpu-sample: load the sampler; 0: not */
};

/* Checks the environment first (privileges, BTF) so the common failures get
 * a clear message. Returns the loaded skeleton, or NULL with err set. */
struct bpfprof_bpf *loader_open_and_load(const struct loader_config *cfg, char *err, size_t errlen);
/* Before attaching: names a target process and, with follow or several,
 * marks it traced. */
int loader_prepare_target(struct bpfprof_bpf *skel, pid_t tgid, char *err, size_t errlen);
struct stage_progs;
/* The programs stages_attach wants for this link kind (NULL: not loaded). */
void loader_stage_programs(const struct bpfprof_bpf *skel, enum uprobe_link_kind kind,
			   struct stage_progs *progs);
int loader_attach_syscalls(struct bpfprof_bpf *skel, char *err, size_t errlen);
/* Detaches every probe; maps stay readable for the final flush. */
void loader_detach(struct bpfprof_bpf *skel);
void loader_collector_maps(const struct bpfprof_bpf *skel, struct collector_maps *maps);

/* The stage toggle, read first by every stage probe; takes effect at once. */
void loader_set_stages_enabled(struct bpfprof_bpf *skel, bool on);
bool loader_stages_enabled(const struct bpfprof_bpf *skel);

/* How long counting waits after the stage probes are attached, and how long
 * stopping waits at most for the stage calls still open. */
#define STAGE_SETTLE_MS 20
#define STAGE_DRAIN_MS 250
/* Once every probe is attached: from here the probes count. */
void loader_start_counting(struct bpfprof_bpf *skel);
/* Before any probe is detached: nothing new is counted from here; waits a
 * little for the stage calls open, which count when they return. */
void loader_stop_counting(struct bpfprof_bpf *skel);
/* Before each attach of the stage probes: frames still open from the last
 * attach are then dropped as unfinished (their returns are not seen). */
void loader_next_stage_gen(struct bpfprof_bpf *skel);
/* The span ring buffer's fd (--events), or -1. */
int loader_span_ring_fd(const struct bpfprof_bpf *skel);

/* How the target (-p, a command) ended, once its last thread has exited:
 * its wait status (exit code << 8, or the signal | 0x80 with a core) and
 * the CLOCK_MONOTONIC ns of the exit. false until then. */
bool loader_target_end(const struct bpfprof_bpf *skel, int *wait_status, uint64_t *ktime_ns);

/* Why BPF cannot be used here, as one line; NULL when it can. */
const char *loader_check_environment(void);

#endif
