// SPDX-License-Identifier: MIT
#include <errno.h>
#include <math.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "cost/bpf_cost.h"
#include "bpfprof.h" /* the skeleton names its types */
#include "bpfprof.skel.h"
#include "common/errmsg.h"

static void add_prog(struct bpf_cost *c, const struct bpf_program *p, enum cost_prog cls)
{
	int fd = bpf_program__fd(p);

	if (fd >= 0 && c->n_progs < (int)(sizeof(c->prog_fd) / sizeof(c->prog_fd[0]))) {
		c->prog_fd[c->n_progs] = fd;
		c->prog_class[c->n_progs++] = cls;
	}
}

int bpf_cost_open(struct bpf_cost *c, const struct bpfprof_bpf *skel, bool stats_now, char *err,
		  size_t errlen)
{
	memset(c, 0, sizeof(*c));
	c->stats_fd = -1;
	/* Counted while this fd is open, by every program on the machine;
	 * closing it gives the machine back its state. */
	if (stats_now) {
		c->stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
		if (c->stats_fd < 0) {
			int rc = -errno;

			set_err(err, errlen, "cannot enable BPF run-time stats: %s", strerror(-rc));
			c->stats_fd = -1;
			return rc;
		}
	}
	add_prog(c, skel->progs.sys_enter, COST_SYS_ENTER);
	add_prog(c, skel->progs.sys_exit, COST_SYS_EXIT);
	add_prog(c, skel->progs.cpu_switch, COST_OTHER);
	add_prog(c, skel->progs.stage_session, COST_STAGE_SESSION);
	add_prog(c, skel->progs.stage_entry, COST_STAGE_ENTRY);
	add_prog(c, skel->progs.stage_return, COST_STAGE_RETURN);
	/* Return-site programs: an entry, and a run per ret or jump hit. */
	add_prog(c, skel->progs.stage_site_entry, COST_STAGE_ENTRY);
	add_prog(c, skel->progs.stage_go_entry, COST_STAGE_ENTRY);
	add_prog(c, skel->progs.stage_site_return, COST_STAGE_RETURN);
	add_prog(c, skel->progs.stage_go_return, COST_STAGE_RETURN);
	add_prog(c, skel->progs.stage_go_exit, COST_OTHER);
	add_prog(c, skel->progs.go_park, COST_OTHER);
	add_prog(c, skel->progs.go_ready, COST_OTHER);
	add_prog(c, skel->progs.go_yield, COST_OTHER);
	add_prog(c, skel->progs.go_run, COST_OTHER);
	add_prog(c, skel->progs.proc_exec, COST_OTHER);
	add_prog(c, skel->progs.proc_fork, COST_OTHER);
	add_prog(c, skel->progs.thread_exit, COST_OTHER);
	add_prog(c, skel->progs.wall_wakeup, COST_OTHER);
	add_prog(c, skel->progs.wall_wakeup_new, COST_OTHER);
	return 0;
}

void bpf_cost_close(struct bpf_cost *c)
{
	if (c->stats_fd >= 0)
		close(c->stats_fd);
	c->stats_fd = -1;
	c->n_progs = 0;
}

void bpf_cost_read(const struct bpf_cost *c, struct cost_totals *out)
{
	memset(out, 0, sizeof(*out));
	for (int i = 0; i < c->n_progs; i++) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);

		if (bpf_obj_get_info_by_fd(c->prog_fd[i], &info, &len))
			continue;
		out->cnt[c->prog_class[i]] += info.run_cnt;
		out->ns[c->prog_class[i]] += info.run_time_ns;
	}
}

void cost_totals_delta(struct cost_totals *out, const struct cost_totals *cur,
		       const struct cost_totals *prev)
{
	for (int i = 0; i < COST_NR; i++) {
		out->cnt[i] = cur->cnt[i] >= prev->cnt[i] ? cur->cnt[i] - prev->cnt[i] : 0;
		out->ns[i] = cur->ns[i] >= prev->ns[i] ? cur->ns[i] - prev->ns[i] : 0;
	}
}

void cost_totals_add(struct cost_totals *acc, const struct cost_totals *d)
{
	for (int i = 0; i < COST_NR; i++) {
		acc->cnt[i] += d->cnt[i];
		acc->ns[i] += d->ns[i];
	}
}

void cost_rates_from_runs(const struct cost_totals *p, uint64_t recorded, bool session,
			  struct cost_rates *r)
{
	uint64_t sys_ns = p->ns[COST_SYS_ENTER] + p->ns[COST_SYS_EXIT];
	uint64_t stage_ns =
		p->ns[COST_STAGE_SESSION] + p->ns[COST_STAGE_ENTRY] + p->ns[COST_STAGE_RETURN];
	uint64_t entries;

	memset(r, 0, sizeof(*r));
	for (int i = 0; i < COST_NR; i++)
		r->bpf_run_time_ns += p->ns[i];
	r->syscall_events = p->cnt[COST_SYS_ENTER];
	/* A session program runs at every entry, and at the return of the
	 * entries that recorded a call; entry/return programs once each.
	 * Beside sessions, the entry programs are return-site stages, whose
	 * calls are among the recorded ones (each about once). */
	if (session)
		entries = p->cnt[COST_STAGE_SESSION] + 2 * p->cnt[COST_STAGE_ENTRY] > recorded
				  ? p->cnt[COST_STAGE_SESSION] + 2 * p->cnt[COST_STAGE_ENTRY] -
					    recorded
				  : 0;
	else
		entries = p->cnt[COST_STAGE_ENTRY];
	r->stage_calls = entries;
	/* Fewer entries than recorded calls: calls that straddle the edges. */
	r->stage_recorded = recorded < entries ? recorded : entries;
	r->syscall_program_ns = r->syscall_events ? (double)sys_ns / r->syscall_events : -1;
	r->stage_program_ns = entries ? (double)stage_ns / entries : -1;
}

void cost_rates_carry(struct cost_rates *keep, const struct cost_rates *now)
{
	keep->bpf_run_time_ns = now->bpf_run_time_ns;
	if (now->syscall_program_ns >= 0) {
		keep->syscall_events = now->syscall_events;
		keep->syscall_program_ns = now->syscall_program_ns;
	}
	if (now->stage_program_ns >= 0) {
		keep->stage_calls = now->stage_calls;
		keep->stage_recorded = now->stage_recorded;
		keep->stage_program_ns = now->stage_program_ns;
	}
}

void cost_compute(const struct cost_inputs *in, struct cost_figures *f)
{
	const struct cost_rates *r = &in->rates;
	double pushes = (double)in->stage_pushes, unrec = in->stage_unrecorded, calls;
	double probe_ns = 0, stage_cost = -1, sys_cost = -1;
	bool probe_known = in->probe_on_ns >= 0 && in->probe_off_ns >= 0;
	/* The stats' own share of one timed program run: half of what they
	 * add to a syscall's two (calibrated on runs that return at once). */
	double stats_per_run = in->syscall_stats_ns > 0 ? in->syscall_stats_ns / 2 : 0;

	memset(f, 0, sizeof(*f));
	f->rates = *r;
	f->target_syscalls = in->target_syscalls;
	f->syscall_program_ns = r->syscall_program_ns;
	/* The hook calibration already holds a program run that returns at
	 * once, timed without stats. */
	f->ns_per_syscall = r->syscall_program_ns < 0
				    ? -1
				    : fmax(r->syscall_program_ns - 2 * stats_per_run, 0) +
					      (in->syscall_hook_ns > 0 ? in->syscall_hook_ns : 0);
	if (f->ns_per_syscall >= 0)
		sys_cost = f->ns_per_syscall * (double)in->target_syscalls;
	else if (!in->target_syscalls)
		sys_cost = 0;

	if (unrec < 0) { /* the runs are this interval's: their own split */
		if (pushes > (double)r->stage_calls)
			pushes = (double)r->stage_calls;
		unrec = (double)r->stage_calls - pushes;
	}
	calls = pushes + unrec;
	f->stage_calls = (uint64_t)llround(calls);
	if (probe_known)
		probe_ns = calls > 0 ? in->probe_on_ns * pushes +
					       (in->session ? in->probe_off_ns : in->probe_on_ns) *
						       unrec
				     : in->probe_on_ns;
	f->stage_program_ns = r->stage_program_ns;
	f->stage_probe_ns = !probe_known ? -1 : calls > 0 ? probe_ns / calls : probe_ns;
	if (r->stage_program_ns >= 0) {
		/* A session program runs at entry and at a recorded return. */
		double returns = in->session ? (double)r->stage_recorded : (double)r->stage_calls;
		double runs = r->stage_calls ? 1 + returns / (double)r->stage_calls : 0;

		f->ns_per_stage_call = fmax(r->stage_program_ns - stats_per_run * runs, 0) +
				       (f->stage_probe_ns > 0 ? f->stage_probe_ns : 0);
		stage_cost = f->ns_per_stage_call * calls;
	} else {
		f->ns_per_stage_call = -1;
		stage_cost = calls > 0 ? -1 : 0;
	}
	f->syscall_cost_ns = sys_cost;
	f->stage_cost_ns = stage_cost;
	f->target_cpu_pct = in->target_cpu_ns > 0 && sys_cost >= 0 && stage_cost >= 0
				    ? 100.0 * (sys_cost + stage_cost) / in->target_cpu_ns
				    : -1;
	f->stage_cpu_pct = in->target_cpu_ns > 0 && stage_cost >= 0
				   ? 100.0 * stage_cost / in->target_cpu_ns
				   : -1;
}
