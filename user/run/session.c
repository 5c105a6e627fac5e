// SPDX-License-Identifier: MIT
/*
 * A run from start to finish: the target, the outputs, the probes loaded
 * and attached, privileges dropped, then the loop (loop.c) and the finish
 * (flush.c); every way out goes through the one cleanup.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>
#include "common/text.h"
#include "collect/collector.h"
#include "common/clock.h"
#include "events/events.h"
#include "live/live_view.h"
#include "output/output_files.h"
#include "output/prometheus_server.h"
#include "probes/bpf_loader.h"
#include "probes/stage_attacher.h"
#include "run/privileges.h"
#include "run/session.h"
#include "samples/cpu_samples.h"
#include "telemetry/proc_io.h"

/*
 * Signals arrive through signalfd; until the loop reads them they wait, so
 * a Ctrl-C during setup still ends with complete outputs. Returns the fd.
 */
static int block_signals(void)
{
	sigset_t mask, pipe_mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGUSR1); /* toggles the stage probes */
	sigprocmask(SIG_BLOCK, &mask, NULL);
	/* A reader of stdout that goes away (bpfprof | head) must not kill the
	 * run before its files are finished: writes then fail with EPIPE. The
	 * target gets the mask bpfprof started with. */
	sigemptyset(&pipe_mask);
	sigaddset(&pipe_mask, SIGPIPE);
	sigprocmask(SIG_BLOCK, &pipe_mask, NULL);
	live_view_block_signals();
	return signalfd(-1, &mask, SFD_CLOEXEC);
}

/* -p or a command, or the whole machine; not released yet. */
static int open_target(struct session *s, char *err, size_t errlen)
{
	const struct env *env = s->env;

	if (env->pid) {
		s->info.mode = TARGET_PID;
		if (target_open_pids(&s->target, env->pids, env->n_pids, err, errlen))
			return -1;
	} else if (env->command) {
		s->info.mode = TARGET_COMMAND;
		s->info.argv = env->command;
		if (target_spawn(&s->target, env->command, err, errlen))
			return -1;
	} else {
		s->info.mode = TARGET_SYSTEM;
	}
	s->info.pid = s->target.pid;
	s->info.follow = env->follow;
	s->info.comm = env->comm;
	s->info.stages_only = env->stages_only;
	return 0;
}

/* -u specs to probe sites, before anything is created or attached. */
static int prepare_stages(struct session *s, char *err, size_t errlen)
{
	const struct env *env = s->env;
	struct stage_attacher_opts opts = {
		.specs = env->stage_specs,
		.n_specs = env->n_stage_specs,
		.usdt_specs = env->usdt_specs,
		.n_usdt_specs = env->n_usdt_specs,
		.marker_specs = env->marker_specs,
		.n_marker_specs = env->n_marker_specs,
		.command = env->command ? env->command[0] : NULL,
		/* Several processes: the probes fire in every one, the BPF
		 * side keeps the traced. */
		.follow = env->follow || env->n_pids > 1 || env->comm,
		.stages_off = env->stages_off,
		.sample_every = env->sample_every,
		.usdt_names = env->usdt_names,
		.returns = (enum returns_mode)env->returns,
		.log = env->quiet ? NULL : stderr,
	};

	s->attacher = stage_attacher_new(&opts);
	if (!s->attacher) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	s->stages = stage_attacher_table(s->attacher);
	return stage_attacher_prepare(s->attacher, s->target.pid, err, errlen);
}

static int open_outputs(struct session *s, char *err, size_t errlen)
{
	const struct env *env = s->env;
	struct events_config cfg = {
		.queue_records = env->events_queue,
		.ring_bytes = env->events_ring_bytes,
		.rotate = { env->rotate_bytes, env->rotate_secs, env->rotate_gzip },
	};

	if (env->outdir) {
		s->out = output_open(env->outdir, err, errlen);
		if (!s->out)
			return -1;
	}
	if (env->events) {
		s->events = events_open(s->out, env->outdir, &cfg, s->stages, err, errlen);
		if (!s->events)
			return -1;
	}
	return 0;
}

static void io_fallback(void *ctx, struct proc_telemetry *t)
{
	proc_io_read(ctx, t);
}

/*
 * Loaded, nothing attached yet: the run metadata, telemetry, the cost
 * measurement and the stage control. What does not work is left out, with
 * a warning.
 */
static void open_self_description(struct session *s, int argc, char **argv)
{
	const struct env *env = s->env;
	FILE *log = env->quiet ? NULL : stderr;
	bool stages = s->stages->n > 0;
	struct cost_meter_config cost = {
		.stages = s->stages,
		.link_kind = stage_attacher_link_kind(s->attacher),
		.sample_every = env->sample_every,
		.cost_mode = (enum cost_mode)env->self_cost,
		.window_share = env->self_cost_window_pct / 100,
		.no_syscalls = env->stages_only,
		.raw_times = env->raw_times,
		.log = log,
	};
	char err[256];

	run_meta_init(&s->meta, argc, argv);
	if (telemetry_set_init(&s->telem) && log)
		fprintf(log, "bpfprof: warning: out of memory: no telemetry\n");
	cost_meter_open(&s->cost, &cost, s->skel);
	/* /proc/PID/io of a process with capabilities is out of reach once
	 * bpfprof drops its own: its counters then come from a BPF iterator. */
	s->proc_io = proc_io_open(err, sizeof(err));
	if (s->proc_io) {
		s->telem.io_fallback = io_fallback;
		s->telem.io_ctx = s->proc_io;
	} else if (log) {
		fprintf(log,
			"bpfprof: warning: %s: telemetry leaves out the I/O of processes it may "
			"not read\n",
			text_safe(err));
	}
	stage_control_init(&s->ctl, stages ? s->skel : NULL, env->max_overhead_pct, log);
	stage_control_set_switch(&s->ctl, stage_attacher_switch(s->attacher));
	if (stages && env->sample_every > 1 && log)
		fprintf(log,
			"bpfprof: --sample %u: recording calls 0, %u, %u, ... of each thread; "
			"stage counts and times are scaled by %u\n",
			env->sample_every, env->sample_every, 2 * env->sample_every,
			env->sample_every);
}

/* The target's executable and build id, while bpfprof still has the
 * capabilities to read /proc/PID/exe. */
static void describe_target(struct session *s)
{
	char exe[4096], err[256];

	if (s->env->command &&
	    !target_find_command(s->env->command[0], exe, sizeof(exe), err, sizeof(err)))
		run_meta_set_target(&s->meta, 0, exe);
	else if (s->env->pid)
		run_meta_set_target(&s->meta, s->env->pid, NULL);
}

static int load_and_attach(struct session *s, int argc, char **argv, char *err, size_t errlen)
{
	const struct env *env = s->env;
	struct loader_config lcfg = {
		.verbose = env->verbose,
		.targ_tgid = s->target.pid,
		.follow = env->follow,
		.several = env->n_pids > 1,
		.comm = env->comm,
		.syscalls_off = env->stages_only,
		.go_sched_off = env->no_go_sched,
		.span_ring_bytes = env->events ? env->events_ring_bytes : 0,
		.cpu_sample_hz = env->cpu_sample_hz,
	};
	struct collector_maps maps;

	s->skel = stage_attacher_load(s->attacher, &lcfg, err, errlen);
	if (!s->skel)
		return -1;
	open_self_description(s, argc, argv);
	if (env->cpu_sample_hz &&
	    !(s->samples = cpu_samples_new(s->skel, env->cpu_sample_hz, s->stages))) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	loader_collector_maps(s->skel, &maps);
	maps.stages = s->stages;
	s->collector = collector_new(&maps);
	if (!s->collector) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (s->target.pid && loader_prepare_target(s->skel, s->target.pid, err, errlen))
		return -1;
	for (int i = 1; i < env->n_pids; i++)
		if (loader_prepare_target(s->skel, env->pids[i], err, errlen))
			return -1;
	if (loader_attach_syscalls(s->skel, err, errlen))
		return -1;
	/* --comm: those running now (after attaching: the exec hook takes
	 * those that start from here on). */
	if (env->comm) {
		static pid_t found[4096];
		int n = target_find_by_comm(env->comm, found, 4096);

		for (int i = 0; i < n; i++)
			loader_prepare_target(s->skel, found[i], err, errlen);
		err[0] = '\0';
	}
	cost_meter_syscalls_attached(&s->cost);
	if (s->samples && cpu_samples_attach(s->samples, err, errlen))
		return -1;
	if (stage_attacher_attach(s->attacher, s->target.pid, err, errlen))
		return -1;
	describe_target(s);
	return 0;
}

/* Attached: keep only the capabilities the loop needs (privileges.h). */
static void drop_privileges(struct session *s)
{
	struct priv_needs n = {
		/* Telemetry's /proc/PID/io is read only where the ptrace check
		 * lets a process without capabilities (README); the run
		 * metadata reads /proc/PID/exe before the drop. */
		.proc_io = false,
		.proc_maps = s->samples != NULL,
		.output_dirfd = s->out ? output_dirfd(s->out) : -1,
		.low_port = prom_listen_low_port(s->env->prometheus),
	};
	char kept[128], err[256];

	if (privileges_drop(&n, kept, sizeof(kept), err, sizeof(err)))
		fprintf(stderr, "bpfprof: warning: capabilities not dropped: %s\n", text_safe(err));
	else if (s->env->verbose)
		fprintf(stderr, "bpfprof: capabilities kept after attaching: %s\n", kept);
}

static int start_metrics(struct session *s, char *err, size_t errlen)
{
	struct prom_listen l;

	if (prom_parse_listen(s->env->prometheus, &l, err, errlen))
		return -1;
	s->prom = prom_server_start(&l, err, errlen);
	if (!s->prom)
		return -1;
	session_publish_metrics(s);
	if (!s->env->quiet)
		fprintf(stderr, "bpfprof: serving metrics on http://%s/metrics\n",
			prom_server_address(s->prom));
	return 0;
}

/* The threads (span events, /metrics), then the target let go. */
static int go(struct session *s, char *err, size_t errlen)
{
	const struct env *env = s->env;
	pid_t target = s->target.pid;

	events_set_usdt_names(s->events, bpf_map__fd(s->skel->maps.usdt_names));
	if (s->events && events_start(s->events, loader_span_ring_fd(s->skel), err, errlen))
		return -1;
	if (env->prometheus && start_metrics(s, err, errlen))
		return -1;
	/* Every probe attached: counting starts now, for every probe at once,
	 * and the stage probes' time on with it. */
	loader_start_counting(s->skel);
	stage_control_restart(&s->ctl);
	s->start_mono = s->last_flush_mono = clock_mono_s();
	s->info.started_at = clock_real_s();
	if (s->target.is_child && target_release(&s->target, env->command, err, errlen))
		return -1;
	if (env->pid && target_exited(&s->target)) {
		snprintf(err, errlen, "process %d exited before profiling started", env->pid);
		return -1;
	}
	/* The first telemetry sample, the first cost window. */
	if (target > 0)
		telemetry_set_round(&s->telem, &target, 1);
	cost_meter_start(&s->cost);
	if (!env->quiet) {
		if (env->comm)
			fprintf(stderr,
				"bpfprof: profiling the processes named '%s', now and later (Ctrl-C "
				"to stop)\n",
				env->comm);
		else if (s->info.mode == TARGET_SYSTEM)
			fprintf(stderr, "bpfprof: profiling all processes (Ctrl-C to stop)\n");
		else
			fprintf(stderr, "bpfprof: profiling pid %d%s (Ctrl-C to stop)\n", target,
				env->n_pids > 1 ? " and the other -p pids" : "");
	}
	return 0;
}

static int start(struct session *s, int argc, char **argv, char *err, size_t errlen)
{
	const char *why = loader_check_environment();

	if (why) {
		snprintf(err, errlen, "%s", why);
		return -1;
	}
	if (open_target(s, err, errlen) || prepare_stages(s, err, errlen) ||
	    open_outputs(s, err, errlen) || load_and_attach(s, argc, argv, err, errlen))
		return -1;
	/* Attached: from here on, only what the loop needs. Before any thread
	 * starts, since each thread has its own capabilities. */
	drop_privileges(s);
	return go(s, err, errlen);
}

/* The live view's t key. */
static int toggle_stages(void *ctx)
{
	return session_toggle_stages(ctx, "t key");
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
		fprintf(stderr, "bpfprof: no live view (%s): printing the plain report\n",
			text_safe(why));
	s->live = s->view != NULL;
	if (!s->live)
		return;
	/* The header shows the stage state: log lines would scribble on it. */
	cost_meter_set_log(&s->cost, NULL);
	s->ctl.log = NULL;
	if (s->stages->n)
		live_view_set_stage_toggle(s->view, toggle_stages, s,
					   stage_control_enabled(&s->ctl));
}

int session_run(const struct env *env, int argc, char **argv)
{
	struct session s = { .env = env };
	int sigfd, ret = 1;
	char err[512] = "";

	target_init(&s.target);
	profile_init(&s.prev);
	profile_init(&s.cur);
	profile_init(&s.delta);
	run_info_init(&s.info);
	sigfd = block_signals();
	if (start(&s, argc, argv, err, sizeof(err)))
		goto cleanup;
	start_view(&s);
	ret = session_loop(&s, sigfd) ? 1 : 0;
	session_finish(&s);
	if ((s.out && output_write_failures(s.out)) || events_failures(s.events))
		ret = 1;
	output_close(s.out);
	s.out = NULL;
cleanup:
	if (err[0]) {
		fprintf(stderr, "bpfprof: %s\n", text_safe(err));
		/* Nothing half-written: a run that never started leaves no files. */
		output_discard(s.out);
		s.out = NULL;
		events_discard(s.events);
		target_abort(&s.target);
	}
	prom_server_stop(s.prom);
	live_view_stop(s.view);
	cost_meter_close(&s.cost);
	proc_io_close(s.proc_io);
	telemetry_set_free(&s.telem);
	stage_attacher_detach(s.attacher);
	events_free(s.events);
	stage_attacher_free(s.attacher);
	collector_free(s.collector);
	cpu_samples_free(s.samples);
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
