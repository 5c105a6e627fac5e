// SPDX-License-Identifier: MIT
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "common/own_pids.h"
#include "common/errmsg.h"
#include "cost/stats_switch.h"

/* In the helper: CAP_SYS_ADMIN in effective and permitted, nothing else in
 * any set (bounding included), and no way to gain more. */
static int keep_only_sys_admin(void)
{
	static const cap_value_t keep[] = { CAP_SYS_ADMIN };
	cap_t c = NULL;
	int rc = -1;

	for (cap_value_t v = 0; v <= CAP_LAST_CAP; v++)
		if (v != CAP_SYS_ADMIN && CAP_IS_SUPPORTED(v) && cap_drop_bound(v))
			goto cleanup;
	if (cap_reset_ambient() && errno != EINVAL)
		goto cleanup;
	c = cap_init();
	if (!c || cap_set_flag(c, CAP_EFFECTIVE, 1, keep, CAP_SET) ||
	    cap_set_flag(c, CAP_PERMITTED, 1, keep, CAP_SET) || cap_set_proc(c))
		goto cleanup;
	rc = prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
cleanup:
	if (c)
		cap_free(c);
	return rc;
}

/* The helper's whole life: one byte in ('1' on, '0' off), an errno out. */
static void helper_main(int sock, pid_t parent)
{
	int stats_fd = -1;
	char req;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(1);
	/* Nothing of bpfprof's: its maps, links, files, the target, and not
	 * its stdin, stdout or stderr either (a terminal, a pipe): the socket
	 * alone, as fd 0. */
	if (dup2(sock, 0) < 0 || close_range(1, ~0U, 0))
		_exit(1);
	sock = 0;
	prctl(PR_SET_NAME, "bpfprof-stats", 0, 0, 0);
	if (keep_only_sys_admin())
		_exit(1);
	while (read(sock, &req, 1) == 1) {
		int rc = 0;

		if (req == '1' && stats_fd < 0) {
			stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
			rc = stats_fd < 0 ? errno : 0;
		} else if (req == '0' && stats_fd >= 0) {
			close(stats_fd);
			stats_fd = -1;
		}
		if (write(sock, &rc, sizeof(rc)) != sizeof(rc))
			break;
	}
	_exit(0);
}

int stats_switch_start(struct stats_switch *s, char *err, size_t errlen)
{
	pid_t parent = getpid();
	int sv[2], rc;

	s->pid = 0;
	s->sock = -1;
	s->on = false;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv)) {
		rc = -errno;
		set_err(err, errlen, "socketpair: %s", strerror(-rc));
		return rc;
	}
	s->pid = fork();
	if (s->pid < 0) {
		rc = -errno;
		set_err(err, errlen, "fork: %s", strerror(-rc));
		close(sv[0]);
		close(sv[1]);
		s->pid = 0;
		return rc;
	}
	if (!s->pid)
		helper_main(sv[1], parent);
	close(sv[1]);
	own_pids_add(s->pid); /* never reported as the machine's work */
	s->sock = sv[0];
	/* One round trip: the helper is up and may turn the stats on. */
	rc = stats_switch_set(s, true);
	if (!rc)
		rc = stats_switch_set(s, false);
	if (rc) {
		set_err(err, errlen, "cannot enable BPF run-time stats: %s", strerror(-rc));
		stats_switch_stop(s);
	}
	return rc;
}

int stats_switch_set(struct stats_switch *s, bool on)
{
	char req = on ? '1' : '0';
	int rc;

	if (s->sock < 0)
		return -ENOTCONN;
	if (write(s->sock, &req, 1) != 1)
		return -errno;
	if (read(s->sock, &rc, sizeof(rc)) != sizeof(rc))
		return -EPIPE;
	if (!rc)
		s->on = on;
	return -rc;
}

void stats_switch_stop(struct stats_switch *s)
{
	if (s->sock >= 0)
		close(s->sock); /* the helper reads EOF, closes the stats fd, exits */
	s->sock = -1;
	s->on = false;
	/* Still one of ours: its counts stay in the maps until the end. */
	if (s->pid > 0)
		while (waitpid(s->pid, NULL, 0) < 0 && errno == EINTR)
			;
	s->pid = 0;
}
