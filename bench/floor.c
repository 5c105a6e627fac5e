/* Loader for floor.bpf.c.
 *
 *   floor sys                     empty programs on tp_btf sys_enter/sys_exit
 *   floor uprobe PID BINARY FUNC  empty uprobe + uretprobe on FUNC in BINARY
 *   floor usite PID BINARY FUNC OFF
 *                                 empty uprobes on FUNC and on FUNC+OFF (its
 *                                 ret): a return seen without a return probe
 *
 * Prints "attached" on stdout once the programs are attached, then waits
 * for SIGINT or SIGTERM and detaches.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "floor.skel.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

int main(int argc, char **argv)
{
	int site = argc == 6 && !strcmp(argv[1], "usite");
	struct bpf_link *ret_site = NULL;

	if (argc < 2 || (strcmp(argv[1], "sys") && strcmp(argv[1], "uprobe") && !site) ||
	    (!strcmp(argv[1], "uprobe") && argc != 5)) {
		fprintf(stderr, "usage: floor sys | floor uprobe PID BINARY FUNC | "
				"floor usite PID BINARY FUNC RET_OFFSET\n");
		return 2;
	}
	struct floor_bpf *skel = floor_bpf__open();
	if (!skel) {
		fprintf(stderr, "floor: open failed\n");
		return 1;
	}
	int sys = !strcmp(argv[1], "sys");
	bpf_program__set_autoload(skel->progs.floor_enter, sys);
	bpf_program__set_autoload(skel->progs.floor_exit, sys);
	bpf_program__set_autoload(skel->progs.floor_uentry, !sys);
	bpf_program__set_autoload(skel->progs.floor_uret, !sys && !site);
	if (floor_bpf__load(skel)) {
		fprintf(stderr, "floor: load failed\n");
		return 1;
	}
	if (sys) {
		skel->links.floor_enter = bpf_program__attach(skel->progs.floor_enter);
		skel->links.floor_exit = bpf_program__attach(skel->progs.floor_exit);
		if (!skel->links.floor_enter || !skel->links.floor_exit) {
			fprintf(stderr, "floor: attach failed\n");
			return 1;
		}
	} else {
		LIBBPF_OPTS(bpf_uprobe_opts, opts, .func_name = argv[4], .retprobe = false);
		pid_t pid = atoi(argv[2]);
		skel->links.floor_uentry =
			bpf_program__attach_uprobe_opts(skel->progs.floor_uentry, pid, argv[3], 0, &opts);
		if (site) {
			/* The same empty program again, at the ret. */
			ret_site = bpf_program__attach_uprobe_opts(skel->progs.floor_uentry, pid,
								   argv[3], strtoul(argv[5], NULL, 0),
								   &opts);
		} else {
			opts.retprobe = true;
			skel->links.floor_uret = bpf_program__attach_uprobe_opts(
				skel->progs.floor_uret, pid, argv[3], 0, &opts);
		}
		if (!skel->links.floor_uentry || !(site ? ret_site : skel->links.floor_uret)) {
			fprintf(stderr, "floor: uprobe attach failed\n");
			return 1;
		}
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	printf("attached\n");
	fflush(stdout);
	while (!stop)
		pause();
	bpf_link__destroy(ret_site);
	floor_bpf__destroy(skel);
	return 0;
}
