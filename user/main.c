// SPDX-License-Identifier: MIT
/*
 * bpfprof: `bpfprof report DIR` reads a run's files; `--list SPEC` shows
 * what -u would attach to; anything else profiles (run/session.h).
 */
#include <stdio.h>
#include <string.h>
#include "common/text.h"
#include "report/report.h"
#include "run/args.h"
#include "run/list.h"
#include "run/session.h"

int main(int argc, char **argv)
{
	struct env env;
	char err[512];

	if (argc > 1 && !strcmp(argv[1], "report"))
		return report_main(argc - 1, argv + 1);
	switch (args_parse(argc, argv, &env, err, sizeof(err))) {
	case 0:
		break;
	case 1: /* --help, --usage, --version */
		return 0;
	default:
		fprintf(stderr, "bpfprof: %s\n", text_safe(err));
		return 2;
	}
	if (env.list_spec)
		return list_stages(&env);
	return session_run(&env, argc, argv);
}
