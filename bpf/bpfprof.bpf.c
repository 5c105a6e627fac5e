// SPDX-License-Identifier: (MIT OR GPL-2.0)
/*
 * The kernel side of bpfprof, one object and one skeleton: syscalls (count,
 * errors, time; for I/O syscalls the bytes moved and a latency histogram),
 * stage calls through uprobes (the same, plus self time and the I/O made
 * inside them), their spans for --events, and the scheduler and process
 * events that keep both right. Counters are per-CPU and only ever grow:
 * userspace turns them into per-interval deltas, so a flush never races with
 * an update into a lost or doubled event.
 *
 * Two layouts for the counters: with one target process (-p, a command) they
 * are per-CPU arrays indexed by syscall number, I/O slot and stage id (a
 * lookup the verifier inlines); for the whole machine or a followed process
 * tree they are per-CPU hashes keyed by process. The rodata flag one_target
 * picks one and the verifier drops the other.
 *
 * One file per probe family in bpf/bpfprof/, included here into one
 * translation unit: one object, one skeleton, one set of maps, which the
 * families share through bpf/bpfprof/state.bpf.h. The order below is the
 * programs' order in the object and the skeleton.
 */
#include "bpfprof/state.bpf.h"
#include "bpfprof/syscalls.bpf.h"
#include "bpfprof/sched.bpf.h"
#include "bpfprof/probe_cost.bpf.h"
#include "bpfprof/stages.bpf.h"
#include "bpfprof/return_sites.bpf.h"
#include "bpfprof/go_sched.bpf.h"
#include "bpfprof/lifecycle.bpf.h"
#include "bpfprof/samples.bpf.h"
#include "bpfprof/usdt.bpf.h"

char LICENSE[] SEC("license") = "Dual MIT/GPL";
