// SPDX-License-Identifier: MIT
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>
#include "run/run_meta.h"
#include "probes/symbols.h"
#include "run/target.h"
#include "common/version.h"

void run_meta_init(struct run_meta *m, int argc, char *const *argv)
{
	struct utsname u;

	memset(m, 0, sizeof(*m));
	if (gethostname(m->hostname, sizeof(m->hostname) - 1))
		snprintf(m->hostname, sizeof(m->hostname), "unknown");
	if (!uname(&u))
		snprintf(m->kernel, sizeof(m->kernel), "%s", u.release);
	m->version = BPFPROF_VERSION;
	m->argc = argc;
	m->argv = argv;
}

void run_meta_set_target(struct run_meta *m, pid_t pid, const char *exe)
{
	char err[256], proc_exe[64];
	const char *elf = NULL;

	if (pid > 0) {
		target_exe_path(pid, m->exe, sizeof(m->exe));
		/* Opens the very file that runs, even when deleted or in another
		 * mount namespace. */
		snprintf(proc_exe, sizeof(proc_exe), "/proc/%d/exe", pid);
		if (m->exe[0])
			elf = proc_exe;
	}
	if (!m->exe[0] && exe && *exe) {
		if (!realpath(exe, m->exe))
			snprintf(m->exe, sizeof(m->exe), "%s", exe);
		elf = m->exe;
	}
	if (elf && symbols_build_id(elf, m->build_id, sizeof(m->build_id), err, sizeof(err)))
		m->build_id[0] = '\0';
}
