// SPDX-License-Identifier: MIT
#include <stdio.h>
#include "common/text.h"
#include <unistd.h>
#include "probes/stage_attacher.h"
#include "probes/stage_spec.h"
#include "probes/usdt.h"
#include "run/list.h"
#include "run/target.h"

/* The USDT probes of the spec's binary; whether there were any. */
static bool list_usdt(const struct env *env, const char *spec, bool blank_line)
{
	struct stage_spec ss = {};
	struct usdt_list l = {};
	char exe[4096], err[512];
	const char *main_exe = NULL;
	pid_t pid = env->pid;
	bool any = false;

	if (env->command) {
		if (target_find_command(env->command[0], exe, sizeof(exe), err, sizeof(err)))
			return false;
		main_exe = exe;
		pid = getpid();
	}
	if (!stage_spec_parse(spec, &ss, err, sizeof(err)) &&
	    !stage_spec_resolve(&ss, pid, main_exe, err, sizeof(err)) &&
	    !usdt_read(ss.path, ss.display_path, &l, err, sizeof(err)) && l.n) {
		if (blank_line)
			fputc('\n', stdout);
		usdt_print(stdout, &l, ss.display_path);
		any = true;
	}
	usdt_list_free(&l);
	stage_spec_free(&ss);
	return any;
}

int list_stages(const struct env *env)
{
	const char *specs[] = { env->list_spec };
	struct stage_attacher_opts opts = {
		.specs = specs,
		.n_specs = 1,
		.specs_option = "--list",
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
		/* No function, but the binary may still have USDT probes: they
		 * are listed, and the reason there is no function said too. */
		fprintf(stderr, "bpfprof: %s\n", text_safe(err));
		if (list_usdt(env, env->list_spec, false))
			rc = 0;
		goto cleanup;
	}
	stages_print(stdout, stage_attacher_table(a));
	list_usdt(env, env->list_spec, true);
	rc = 0;
cleanup:
	stage_attacher_free(a);
	return rc;
}
