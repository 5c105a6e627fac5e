// SPDX-License-Identifier: MIT
#include <stdio.h>
#include "common/text.h"
#include "probes/stage_attacher.h"
#include "run/list.h"
#include "run/target.h"

int list_stages(const struct env *env)
{
	const char *specs[] = { env->list_spec };
	struct stage_attacher_opts opts = {
		.specs = specs,
		.n_specs = 1,
		.command = env->command ? env->command[0] : NULL,
		.returns = (enum returns_mode)env->returns,
	};
	struct stage_attacher *a;
	char err[512];
	int rc = 1;

	if (env->pid) {
		struct target tgt;

		target_init(&tgt);
		if (target_open_pid(&tgt, env->pid, err, sizeof(err))) {
			fprintf(stderr, "bpfprof: %s\n", text_safe(err));
			return 1;
		}
		target_close(&tgt);
	}
	a = stage_attacher_new(&opts);
	if (!a) {
		fprintf(stderr, "bpfprof: out of memory\n");
		return 1;
	}
	if (stage_attacher_prepare(a, env->pid, err, sizeof(err))) {
		fprintf(stderr, "bpfprof: %s\n", text_safe(err));
		goto cleanup;
	}
	stages_print(stdout, stage_attacher_table(a));
	rc = 0;
cleanup:
	stage_attacher_free(a);
	return rc;
}
