/* SPDX-License-Identifier: MIT */
/*
 * Capabilities after attaching. Loading and attaching BPF need CAP_BPF,
 * CAP_PERFMON (or CAP_SYS_ADMIN) and more; the running loop does not:
 * reading maps through the fds bpfprof holds, draining the ring buffer,
 * closing links and perf events, and writing files it already opened need
 * no capability. So once attached, bpfprof drops every capability from its
 * effective, permitted, inheritable, ambient and bounding sets except:
 *
 *  - CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH only when asked to read
 *    /proc/PID/io (proc_io): reading it, like readlink of /proc/PID/exe, is
 *    a ptrace access check, which fails for another user's process and for
 *    any process whose capabilities exceed bpfprof's (every root process,
 *    once bpfprof has dropped its own); io is also mode 0400. The same two
 *    for --cpu-sample (proc_maps), whose symbolizer reads /proc/PID/maps and
 *    the mapped files through /proc/PID/root, behind the same check. CAP_SYS_PTRACE
 *    can take over any process, so keeping it is as good as keeping all.
 *    Nothing else the loop reads from /proc (comm, stat, status) is
 *    restricted;
 *  - CAP_DAC_OVERRIDE when the output directory is not writable by
 *    bpfprof's user without it (the summary and rotated files are created
 *    there at the end);
 *  - CAP_NET_BIND_SERVICE when --prometheus binds a port below 1024 (the
 *    server starts after the drop, so that its thread has the reduced set).
 *
 * bpfprof stays uid 0, so its outputs stay root's; that also leaves it the
 * owner's access to root's files, which only a change of uid would take
 * away (not done: the outputs and the target's stop signal need root).
 */
#ifndef BPFPROF_PRIVILEGES_H
#define BPFPROF_PRIVILEGES_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct priv_needs {
	bool proc_io;	  /* read /proc/PID/io of processes after the drop */
	bool proc_maps;	  /* read /proc/PID/maps and /proc/PID/root/ after it */
	int output_dirfd; /* the output directory, or -1 */
	bool low_port;	  /* bind a port below 1024 after the drop */
};

/*
 * Drops every capability but the ones needs asks for, in every set,
 * bounding set included (so no later exec regains them). Must run before
 * bpfprof starts any thread: capabilities are per thread, and threads
 * started later inherit the reduced set. Writes the kept set ("none",
 * "cap_sys_ptrace,cap_dac_read_search", ...) to kept. 0, or -1 with a
 * one-line reason in err (bpfprof then goes on with what it has).
 */
int privileges_drop(const struct priv_needs *needs, char *kept, size_t keptlen, char *err,
		    size_t errlen);

#endif
