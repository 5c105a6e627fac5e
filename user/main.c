// SPDX-License-Identifier: MIT
/*
 * bpfprof: parse the command line, set up the target and the outputs, load
 * and attach the probes, then flush every interval until the target exits,
 * the duration ends or a signal arrives; finish every output on the way out.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "run/args.h"
#include "probes/bpf_loader.h"
#include "common/clock.h"
#include "collect/collector.h"
#include "events/events.h"
#include "output/interval_report.h"
#include "output/metrics_text.h"
#include "live/live_view.h"
#include "output/output_files.h"
#include "run/privileges.h"
#include "collect/profile.h"
#include "output/prometheus_server.h"
#include "output/records.h"
#include "report/report.h"
#include "cost/self_audit.h"
#include "probes/stage_switch.h"
#include "probes/stages.h"
#include "run/target.h"

/* How long a command bpfprof started gets to exit once bpfprof stops. */
#define TARGET_STOP_GRACE_S 3.0

struct session {
	const struct env *env;
	struct run_info info;
	struct target target;
	struct output_files *out;
	struct bpfprof_bpf *skel;
	struct collector *collector;
	struct stage_table stages;
	struct stage_switch stage_sw; /* the -u probes' links, for the toggle */
	struct prom_server *prom; /* --prometheus */
	struct events *events; /* --events */
	struct self_audit audit;  /* telemetry, run metadata, stage toggle, cost */
	struct profile prev, cur, delta;
	struct live_view *view; /* the live view, while it is on */
	bool live;		/* this run draws the live view, not the plain report */
	uint64_t flushes;
	int forward_sig; /* for a command still running when we stop */
	double start_mono;
	double last_flush_mono;
};

static int timer_fd(double seconds, bool periodic)
{
	struct itimerspec its = {};
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);

	if (fd < 0)
		return -1;
	its.it_value.tv_sec = (time_t)seconds;
	its.it_value.tv_nsec = (long)((seconds - (double)its.it_value.tv_sec) * 1e9);
	if (!its.it_value.tv_sec && !its.it_value.tv_nsec)
		its.it_value.tv_nsec = 1;
	if (periodic)
		its.it_interval = its.it_value;
	if (timerfd_settime(fd, 0, &its, NULL)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* --prometheus: render the cumulative profile now; scrapes serve it. */
static void publish_metrics(struct session *s)
{
	struct self_cost self;
	struct metrics_input in = { &s->prev, &s->stages, s->flushes, &self };
	size_t len;
	char *text;

	if (!s->prom)
		return;
	self_cost_read(&self);
	text = metrics_render(&in, &len);
	if (text)
		prom_server_publish(s->prom, text, len);
}

static int start_metrics(struct session *s, char *err, size_t errlen)
{
	struct prom_listen l;

	if (prom_parse_listen(s->env->prometheus, &l, err, errlen))
		return -1;
	s->prom = prom_server_start(&l, err, errlen);
	if (!s->prom)
		return -1;
	publish_metrics(s);
	if (!s->env->quiet)
		fprintf(stderr, "bpfprof: serving metrics on http://%s/metrics\n",
			prom_server_address(s->prom));
	return 0;
}

/* Whether --prometheus binds a port below 1024 (after the drop, so the
 * server thread starts with the reduced capabilities). */
static bool prometheus_low_port(const char *spec)
{
	struct prom_listen l;
	unsigned int port;

	if (!spec || prom_parse_listen(spec, &l, NULL, 0))
		return false;
	port = l.addr.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&l.addr)->sin6_port)
					    : ntohs(((struct sockaddr_in *)&l.addr)->sin_port);
	return port && port < 1024;
}

/* Attached: keep only the capabilities the loop needs (privileges.h). */
static void drop_privileges(struct session *s)
{
	struct priv_needs n = {
		/* Telemetry's /proc/PID/io is read only where the ptrace check
		 * lets a process without capabilities (README); the run
		 * metadata reads /proc/PID/exe before the drop. */
		.proc_io = false,
		.output_dirfd = s->out ? output_dirfd(s->out) : -1,
		.low_port = prometheus_low_port(s->env->prometheus),
	};
	char kept[128], err[256];

	if (privileges_drop(&n, kept, sizeof(kept), err, sizeof(err)))
		fprintf(stderr, "bpfprof: warning: capabilities not dropped: %s\n", err);
	else if (s->env->verbose)
		fprintf(stderr, "bpfprof: capabilities kept after attaching: %s\n", kept);
}

/* Read the counters, write the interval's flush record and text block. */
static int flush(struct session *s)
{
	double mono = clock_mono_s(), seconds = mono - s->last_flush_mono;
	struct profile tmp;
	int err;

	err = collector_read(s->collector, &s->cur);
	events_audit(s->events, s->cur.audit);
	if (!err) {
		profile_scale_stages(&s->cur, s->stages.sample_every);
		err = profile_delta(&s->delta, &s->cur, &s->prev);
	}
	if (err) {
		fprintf(stderr, "bpfprof: reading counters: %s\n", strerror(-err));
		return err;
	}
	if (s->out) {
		json_t *rec = flush_to_json(s->flushes, clock_real_s(), seconds, &s->delta, &s->stages);

		self_audit_flush(&s->audit, &s->delta, rec);
		if (rec)
			output_write_flush(s->out, rec);
		json_decref(rec);
	} else {
		self_audit_flush(&s->audit, &s->delta, NULL);
	}
	if (!s->env->quiet && !s->live) {
		char title[64];

		snprintf(title, sizeof(title), "interval %lu (%.2fs)", (unsigned long)s->flushes,
			 seconds);
		interval_report_print(stdout, title, &s->delta, seconds, &s->stages);
		self_audit_print(&s->audit, stdout);
	}
	s->flushes++;
	s->last_flush_mono = mono;
	tmp = s->prev;
	s->prev = s->cur;
	s->cur = tmp;
	publish_metrics(s);
	if (s->view) {
		char cost[160];

		self_audit_cost_text(&s->audit, cost, sizeof(cost));
		live_view_set_cost(s->view, cost);
	}
	live_view_update(s->view, &s->prev, &s->delta, seconds, mono - s->start_mono, &s->stages);
	if (s->stages.n) /* --max-overhead may have switched them */
		live_view_set_stages_state(s->view, self_audit_stages_enabled(&s->audit));
	return 0;
}

static void finish(struct session *s)
{
	double duration = clock_mono_s() - s->start_mono;

	/* The terminal back first: the totals are printed on it. */
	live_view_stop(s->view);
	s->view = NULL;
	/* Probes off first: the last flush then holds everything. */
	stage_switch_close(&s->stage_sw);
	loader_detach(s->skel);
	self_audit_end_windows(&s->audit);
	events_finish(s->events);
	/* Before stopping and reaping the command: one that exited is still a
	 * zombie whose CPU times the last telemetry sample reads. */
	flush(s);
	target_stop(&s->target, s->forward_sig, TARGET_STOP_GRACE_S);
	if (s->target.exit_status >= 0) {
		int st = s->target.exit_status;

		s->info.exit_status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	}
	if (s->out) {
		json_t *sum = summary_to_json(&s->info, &s->prev, &s->stages, duration, s->flushes);

		if (sum && s->events)
			json_object_set_new(sum, "events", events_summary_json(s->events));
		if (sum)
			self_audit_summary(&s->audit, sum);
		output_describe(s->out, sum);
		output_write_summary(s->out, sum);
		json_decref(sum);
	}
	if (s->events && !s->env->quiet)
		events_print(s->events, stderr, s->prev.audit);
	if (!s->env->quiet) {
		char title[64];

		snprintf(title, sizeof(title), "total (%.2fs, %s)", duration, s->info.end_reason);
		interval_report_print(stdout, title, &s->prev, duration, &s->stages);
		self_audit_print_total(&s->audit, stdout);
	}
}

static int wait_loop(struct session *s, int sigfd)
{
	int tick = timer_fd(s->env->interval_s, true);
	int deadline = s->env->duration_s > 0 ? timer_fd(s->env->duration_s, false) : -1;
	int rc = 0;

	if (tick < 0 || (s->env->duration_s > 0 && deadline < 0)) {
		fprintf(stderr, "bpfprof: timerfd: %s\n", strerror(errno));
		rc = -1;
		goto cleanup;
	}
	for (;;) {
		struct pollfd pfd[8] = {
			{ .fd = sigfd, .events = POLLIN },
			{ .fd = s->target.pidfd, .events = POLLIN },
			{ .fd = deadline, .events = POLLIN },
			{ .fd = tick, .events = POLLIN },
		};
		uint64_t expirations;

		/* The live view's keys and resizes, or two unused slots. */
		live_view_pollfds(s->view, &pfd[4]);
		pfd[6] = (struct pollfd){ .fd = events_fd(s->events), .events = POLLIN };
		/* The cost measuring windows open and close. */
		pfd[7] = (struct pollfd){ .fd = self_audit_window_fd(&s->audit), .events = POLLIN };
		if (poll(pfd, 8, -1) < 0) {
			if (errno == EINTR)
				continue;
			rc = -1;
			break;
		}
		if (pfd[0].revents) {
			struct signalfd_siginfo si;

			if (read(sigfd, &si, sizeof(si)) != sizeof(si))
				continue;
			if (si.ssi_signo == SIGUSR1) {
				live_view_set_stages_state(
					s->view, self_audit_toggle_stages(&s->audit, "SIGUSR1"));
				continue;
			}
			s->info.end_reason = si.ssi_signo == SIGINT   ? "SIGINT"
					     : si.ssi_signo == SIGHUP ? "SIGHUP"
								      : "SIGTERM";
			/* A terminal's Ctrl-C (from the kernel) reached the
			 * command too; a kill(1) of bpfprof did not. */
			s->forward_sig = si.ssi_code == SI_KERNEL ? 0 : (int)si.ssi_signo;
			break;
		}
		if (pfd[1].revents) {
			s->info.end_reason = "target exited";
			break;
		}
		if (pfd[2].revents) {
			s->info.end_reason = "duration";
			s->forward_sig = SIGTERM;
			break;
		}
		if (pfd[3].revents && read(tick, &expirations, sizeof(expirations)) > 0)
			flush(s);
		if ((pfd[4].revents || pfd[5].revents) &&
		    live_view_input(s->view, &pfd[4]) == LIVE_QUIT) {
			/* As Ctrl-C would: it reaches a command we started too. */
			if (s->target.is_child)
				kill(s->target.pid, SIGINT);
			s->info.end_reason = "quit";
			break;
		}
		if (pfd[6].revents)
			events_service(s->events);
		if (pfd[7].revents)
			self_audit_window_service(&s->audit);
	}
cleanup:
	if (tick >= 0)
		close(tick);
	if (deadline >= 0)
		close(deadline);
	return rc;
}

/* The live view's t key. */
static int toggle_stages(void *ctx)
{
	struct session *s = ctx;

	return self_audit_toggle_stages(&s->audit, "t key");
}

/* The live view when stdout is a terminal, unless -q or --plain; the plain
 * report when the terminal cannot show it. */
static void start_view(struct session *s)
{
	char why[256];

	if (s->env->quiet || s->env->plain || !isatty(STDOUT_FILENO))
		return;
	s->view = live_view_start(&s->info, s->env->interval_s, why, sizeof(why));
	if (!s->view)
		fprintf(stderr, "bpfprof: no live view (%s): printing the plain report\n", why);
	s->live = s->view != NULL;
	if (!s->live)
		return;
	/* The header shows the stage state: log lines would scribble on it. */
	self_audit_set_log(&s->audit, NULL);
	if (s->stages.n)
		live_view_set_stage_toggle(s->view, toggle_stages, s,
					   self_audit_stages_enabled(&s->audit));
}

/*
 * -u specs to probe sites, before anything is created or attached. In
 * command mode the program does not run yet: its path is the main binary,
 * and library names are looked up among bpfprof's own mappings.
 */
static int resolve_stages(const struct env *env, pid_t pid, struct stage_table *out, char *err,
			  size_t errlen)
{
	char exe[4096];
	pid_t lookup_pid = pid;
	const char *main_exe = NULL;

	if (!env->n_stage_specs)
		return 0;
	if (env->command) {
		if (target_find_command(env->command[0], exe, sizeof(exe), err, errlen))
			return -1;
		main_exe = exe;
		lookup_pid = getpid();
	}
	return stages_resolve(env->stage_specs, env->n_stage_specs, lookup_pid, main_exe, out,
			      env->quiet ? NULL : stderr, err, errlen);
}

/* Functions whose first instruction the kernel single-steps cost ~18 us a
 * call in a VM: say which. */
static void warn_single_stepped(const struct stage_table *t)
{
	size_t n = stages_single_stepped(t), shown = 0;

	if (!n)
		return;
	fprintf(stderr,
		"bpfprof: warning: %zu of %zu functions start with an instruction the kernel "
		"single-steps (~10-20 us per call):",
		n, t->n);
	for (size_t i = 0; i < t->n && shown < 5; i++)
		if (t->v[i].kind == ENTRY_SINGLE_STEP)
			fprintf(stderr, "%s %s", shown++ ? "," : "", t->v[i].name);
	fprintf(stderr, "%s\n", n > shown ? ", ..." : "");
}

/* Started off (--stages-off): detachable probes wait for the first toggle. */
static int attach_stages(struct session *s, enum uprobe_link_kind kind, char *err, size_t errlen)
{
	struct stage_switch *sw = &s->stage_sw;

	if (!s->stages.n)
		return 0;
	/* --follow: children are new processes; attach for all, the probes
	 * keep the traced ones. */
	if (stage_switch_open(sw, s->skel, &s->stages, kind, s->env->follow ? 0 : s->target.pid,
			      err, errlen))
		return -1;
	if ((!s->env->stages_off || !stage_switch_detaches(sw)) &&
	    stage_switch_attach(sw, err, errlen))
		return -1;
	if (!s->env->quiet) {
		if (sw->attached)
			fprintf(stderr,
				"bpfprof: timing %zu function%s (%s uprobes, %zu link%s, attached in "
				"%.1f ms)\n",
				s->stages.n, s->stages.n == 1 ? "" : "s", uprobe_link_kind_name(kind),
				sw->links.n, sw->links.n == 1 ? "" : "s", sw->last_ms);
		else
			fprintf(stderr,
				"bpfprof: timing %zu function%s (%s uprobes): not attached until "
				"switched on\n",
				s->stages.n, s->stages.n == 1 ? "" : "s", uprobe_link_kind_name(kind));
		warn_single_stepped(&s->stages);
	}
	return 0;
}

static struct events *open_events(const struct env *env, struct output_files *out,
				  const struct stage_table *stages, char *err, size_t errlen)
{
	struct events_config cfg = {
		.queue_records = env->events_queue,
		.ring_bytes = env->events_ring_bytes,
		.rotate = { env->rotate_bytes, env->rotate_secs, env->rotate_gzip },
	};

	return events_open(out, env->outdir, &cfg, stages, err, errlen);
}

/* --list: what -u would attach to, without attaching. */
static int list_stages(const struct env *env)
{
	const char *spec = env->list_spec;
	struct env e = *env;
	struct stage_table t = {};
	char err[512];

	e.stage_specs[0] = spec;
	e.n_stage_specs = 1;
	e.quiet = true;
	if (env->pid) {
		struct target tgt;

		target_init(&tgt);
		if (target_open_pid(&tgt, env->pid, err, sizeof(err))) {
			fprintf(stderr, "bpfprof: %s\n", err);
			return 1;
		}
		target_close(&tgt);
	}
	if (resolve_stages(&e, env->pid, &t, err, sizeof(err))) {
		fprintf(stderr, "bpfprof: %s\n", err);
		return 1;
	}
	stages_print(stdout, &t);
	stage_table_free(&t);
	return 0;
}

static int run(const struct env *env, int argc, char **argv)
{
	struct loader_config lcfg = { .verbose = env->verbose };
	struct collector_maps maps;
	struct session s = { .env = env };
	sigset_t mask, pipe_mask;
	int sigfd = -1, ret = 1;
	char err[512] = "", exe[4096], exe_err[256];
	const char *why;

	target_init(&s.target);
	profile_init(&s.prev);
	profile_init(&s.cur);
	profile_init(&s.delta);
	run_info_init(&s.info);

	/* Signals arrive through signalfd; until the loop reads them they wait,
	 * so a Ctrl-C during setup still ends with complete outputs. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGUSR1); /* toggles the stage probes */
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sigfd = signalfd(-1, &mask, SFD_CLOEXEC);
	/* A reader of stdout that goes away (bpfprof | head) must not kill the
	 * run before its files are finished: writes then fail with EPIPE. The
	 * target gets the mask bpfprof started with. */
	sigemptyset(&pipe_mask);
	sigaddset(&pipe_mask, SIGPIPE);
	sigprocmask(SIG_BLOCK, &pipe_mask, NULL);
	live_view_block_signals();

	why = loader_check_environment();
	if (why) {
		snprintf(err, sizeof(err), "%s", why);
		goto cleanup;
	}
	if (env->pid) {
		s.info.mode = TARGET_PID;
		if (target_open_pid(&s.target, env->pid, err, sizeof(err)))
			goto cleanup;
	} else if (env->command) {
		s.info.mode = TARGET_COMMAND;
		s.info.argv = env->command;
		if (target_spawn(&s.target, env->command, err, sizeof(err)))
			goto cleanup;
	} else {
		s.info.mode = TARGET_SYSTEM;
	}
	s.info.pid = s.target.pid;
	lcfg.targ_tgid = s.target.pid;
	lcfg.follow = env->follow;
	lcfg.syscalls_off = env->stages_only;
	s.info.follow = env->follow;
	s.info.stages_only = env->stages_only;
	if (resolve_stages(env, s.target.pid, &s.stages, err, sizeof(err)))
		goto cleanup;
	lcfg.n_stages = s.stages.n;
	lcfg.stage_links = stages_pick_link_kind();
	lcfg.span_ring_bytes = env->events ? env->events_ring_bytes : 0;
	lcfg.stages_off = env->stages_off;
	lcfg.sample_every = env->sample_every;
	s.stages.sample_every = env->sample_every;

	if (env->outdir) {
		s.out = output_open(env->outdir, err, sizeof(err));
		if (!s.out)
			goto cleanup;
	}
	if (env->events && !(s.events = open_events(env, s.out, &s.stages, err, sizeof(err))))
		goto cleanup;
	s.skel = loader_open_and_load(&lcfg, err, sizeof(err));
	if (!s.skel)
		goto cleanup;
	self_audit_open(&s.audit,
			&(struct self_audit_config){ .argc = argc, .argv = argv, .stages = &s.stages,
						     .sw = &s.stage_sw,
						     .link_kind = lcfg.stage_links,
						     .sample_every = env->sample_every,
						     .max_overhead_pct = env->max_overhead_pct,
						     .cost_mode = (enum cost_mode)env->self_cost,
						     .window_share = env->self_cost_window_pct / 100,
						     .no_syscalls = env->stages_only,
						     .log = env->quiet ? NULL : stderr },
			s.skel);
	loader_collector_maps(s.skel, &maps);
	s.collector = collector_new(&maps);
	if (!s.collector) {
		snprintf(err, sizeof(err), "out of memory");
		goto cleanup;
	}
	if (s.target.pid &&
	    loader_prepare_target(s.skel, s.target.pid, err, sizeof(err)))
		goto cleanup;
	if (loader_attach_syscalls(s.skel, err, sizeof(err)))
		goto cleanup;
	self_audit_syscalls_attached(&s.audit);
	if (attach_stages(&s, lcfg.stage_links, err, sizeof(err)))
		goto cleanup;
	if (env->command &&
	    !target_find_command(env->command[0], exe, sizeof(exe), exe_err, sizeof(exe_err)))
		self_audit_target_exe(&s.audit, 0, exe);
	else if (env->pid)
		self_audit_target_exe(&s.audit, env->pid, NULL);
	/* Attached: from here on, only what the loop needs. Before any thread
	 * starts, since each thread has its own capabilities. */
	drop_privileges(&s);
	if (s.events && events_start(s.events, loader_span_ring_fd(s.skel), err, sizeof(err)))
		goto cleanup;
	if (env->prometheus && start_metrics(&s, err, sizeof(err)))
		goto cleanup;

	s.start_mono = s.last_flush_mono = clock_mono_s();
	s.info.started_at = clock_real_s();
	if (s.target.is_child && target_release(&s.target, env->command, err, sizeof(err)))
		goto cleanup;
	if (env->pid && target_exited(&s.target)) {
		snprintf(err, sizeof(err), "process %d exited before profiling started", env->pid);
		goto cleanup;
	}
	self_audit_start(&s.audit, s.target.pid);
	if (!env->quiet) {
		if (s.info.mode == TARGET_SYSTEM)
			fprintf(stderr, "bpfprof: profiling all processes (Ctrl-C to stop)\n");
		else
			fprintf(stderr, "bpfprof: profiling pid %d (Ctrl-C to stop)\n", s.target.pid);
	}

	start_view(&s);
	ret = wait_loop(&s, sigfd) ? 1 : 0;
	finish(&s);
	if ((s.out && output_write_failures(s.out)) || events_failures(s.events))
		ret = 1;
	output_close(s.out);
	s.out = NULL;
cleanup:
	if (err[0]) {
		fprintf(stderr, "bpfprof: %s\n", err);
		/* Nothing half-written: a run that never started leaves no files. */
		output_discard(s.out);
		s.out = NULL;
		events_discard(s.events);
		target_abort(&s.target);
	}
	prom_server_stop(s.prom);
	live_view_stop(s.view);
	self_audit_close(&s.audit);
	stage_switch_close(&s.stage_sw);
	events_free(s.events);
	stage_table_free(&s.stages);
	collector_free(s.collector);
	if (s.skel)
		bpfprof_bpf__destroy(s.skel);
	target_close(&s.target);
	profile_free(&s.prev);
	profile_free(&s.cur);
	profile_free(&s.delta);
	if (sigfd >= 0)
		close(sigfd);
	return ret;
}

int main(int argc, char **argv)
{
	struct env env;
	char err[512];

	if (argc > 1 && !strcmp(argv[1], "report"))
		return report_main(argc - 1, argv + 1);
	if (args_parse(argc, argv, &env, err, sizeof(err))) {
		fprintf(stderr, "bpfprof: %s\n", err);
		return 2;
	}
	if (env.list_spec)
		return list_stages(&env);
	return run(&env, argc, argv);
}
