/* SPDX-License-Identifier: MIT */
/*
 * Switches the kernel's BPF run-time stats on and off while bpfprof runs,
 * after it has dropped its capabilities. Turning them on
 * (bpf_enable_stats(BPF_STATS_RUN_TIME)) needs CAP_SYS_ADMIN, and they stay
 * on exactly as long as the returned fd is open. So before the drop,
 * bpfprof forks a helper process that keeps CAP_SYS_ADMIN and nothing else,
 * holds no other fd, and does one thing on request over a socketpair: open
 * the stats fd, or close it. It exits when bpfprof closes its end (or
 * dies: PR_SET_PDEATHSIG), which closes the fd and gives the machine back
 * its state. The global kernel.bpf_stats_enabled sysctl is never touched.
 */
#ifndef BPFPROF_STATS_SWITCH_H
#define BPFPROF_STATS_SWITCH_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct stats_switch {
	pid_t pid; /* the helper; 0: none */
	int sock;  /* -1: none */
	bool on;
};

/* Before bpfprof drops its capabilities and before it starts threads.
 * 0, or -errno with err set. */
int stats_switch_start(struct stats_switch *s, char *err, size_t errlen);
/* Stats on or off; returns once the kernel has them so. 0 or -errno. */
int stats_switch_set(struct stats_switch *s, bool on);
/* Off, and the helper reaped. Safe on a switch never started. */
void stats_switch_stop(struct stats_switch *s);

#endif
