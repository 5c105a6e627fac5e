/* SPDX-License-Identifier: MIT */
/*
 * The processes bpfprof starts for itself (the BPF stats helper): the BPF
 * programs skip bpfprof's own pid, but not these, and a whole-machine run
 * must not report them as the machine's work.
 */
#ifndef BPFPROF_OWN_PIDS_H
#define BPFPROF_OWN_PIDS_H

#include <stdbool.h>
#include <sys/types.h>

void own_pids_add(pid_t pid);
void own_pids_remove(pid_t pid);
/* bpfprof itself or one of the processes added. */
bool own_pid(pid_t pid);

#endif
