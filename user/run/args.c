// SPDX-License-Identifier: MIT
#include <argp.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "probes/stages.h"
#include "run/args.h"
#include "probes/usdt.h"
#include "cost/cost_window.h"
#include "common/cli_options.h"
#include "common/version.h"
#include "output/prometheus_server.h"

#define MIN_INTERVAL_S 0.01
#define MAX_INTERVAL_S 3600.0
#define MAX_DURATION_S (366.0 * 24 * 3600)

const char *argp_program_version = "bpfprof " BPFPROF_VERSION;
const char *argp_program_bug_address = "<https://github.com/bpfprof/bpfprof/issues>";

static const char doc[] =
	"Count and time the syscalls, I/O and functions of processes, with eBPF.\n"
	"\n"
	"  bpfprof -p PID [OPTIONS]         a running process\n"
	"  bpfprof [OPTIONS] -- CMD [ARGS]  CMD, from its first syscall\n"
	"  bpfprof [OPTIONS]                every process on the machine\n"
	"  bpfprof report DIR [OPTIONS]     a finished run's report (report --help)\n"
	"\n"
	"Needs root (CAP_BPF and CAP_PERFMON) and a kernel with BTF. DURATION is a number "
	"with a unit, 500ms, 5s, 2m or 1h; a bare number is seconds."
	"\v"
	"Examples:\n"
	"  bpfprof -d 10s -- make -j4              a build's syscalls and I/O, for 10 s\n"
	"  bpfprof -p 1234 -u 'handle_*' -o run    time a server's handle_* functions\n"
	"  bpfprof -p 1234 --follow -i 500ms       and its children, twice a second\n"
	"  bpfprof --list 'libc:malloc*' -p 1234   what -u 'libc:malloc*' would time\n"
	"  bpfprof -u 'handle_*' -o run --events -- ./server\n"
	"                                          every call as a span too\n"
	"  bpfprof report run --html run.html      the run as a page with charts\n"
	"\n"
	"On a terminal bpfprof draws a live view: h there lists its keys, q quits.\n"
	"More in bpfprof(8).";

/* One per line: options are added by several hands. */
enum {
	OPT_LIST = 1000,
	OPT_PROMETHEUS,
	OPT_FOLLOW,
	OPT_PLAIN,
	OPT_STAGES_ONLY,
	OPT_STAGES_OFF,
	OPT_SAMPLE,
	OPT_MAX_OVERHEAD,
	OPT_SELF_COST,
	OPT_SELF_COST_WINDOW,
	OPT_RETURNS,
	OPT_RAW_TIMES,
	OPT_NO_GO_SCHED,
	OPT_USAGE,
	OPT_TOP,
	OPT_COMM,
};
/* --events and its options */
enum { OPT_EVENTS = 1100, OPT_EVENTS_RING, OPT_EVENTS_QUEUE, OPT_ROTATE_BYTES, OPT_ROTATE_SECS,
       OPT_ROTATE_GZIP };
enum { OPT_CPU_SAMPLE = 1200 };
enum { OPT_USDT_NAMES = 1300 };

#define DEFAULT_EVENTS_RING (8ULL << 20)
#define DEFAULT_TOP_PROCS 20
#define DEFAULT_EVENTS_QUEUE 65536

/* Grouped for --help: a header entry starts each group. */
static const struct argp_option options[] = {
	{ NULL, 0, NULL, 0, "What to profile (one of; none: the whole machine):", 1 },
	{ "pid", 'p', "PID[,PID...]", 0,
	  "Running processes (all their threads), each reported apart, until the last exits" },
	{ "comm", OPT_COMM, "NAME", 0,
	  "The processes named NAME (as ps -o comm shows it), and those that start later" },
	{ "follow", OPT_FOLLOW, NULL, 0,
	  "Also the processes the target forks (and theirs), from now on" },

	{ NULL, 0, NULL, 0, "How long, how often:", 2 },
	{ "duration", 'd', "DURATION", 0, "Stop after DURATION (default: when the target ends)" },
	{ "interval", 'i', "DURATION", 0, "Report and flush every DURATION (default 1s)" },

	{ NULL, 0, NULL, 0, "Functions (stages):", 3 },
	{ "uprobe", 'u', "[BINARY:]GLOB", 0,
	  "Time the functions matching GLOB (repeatable); BINARY: a path or a library name" },
	{ "usdt", 'U', "[BINARY:]PROVIDER:BEGIN..END[@N[,M...]]", 0,
	  "Time a USDT probe pair as a stage, from BEGIN to the next END on the thread; @N,M: "
	  "one stage per value of BEGIN's string arguments N, M; PROVIDER:NAME counts a "
	  "probe's hits (repeatable)" },
	{ "usdt-names", OPT_USDT_NAMES, "N", 0,
	  "-U ...@N: at most N names per spec (default 4096, fewer on machines with "
	  "many CPUs); calls of further names are summed under (other)" },
	{ "marker", 'm', "[BINARY:]GLOB", 0,
	  "Time the bpfprof markers (include/bpfprof/marker.h) whose names match GLOB" },
	{ "list", OPT_LIST, "[BINARY:]GLOB", 0,
	  "Print what -u would attach to, and the binary's USDT probes, and exit" },
	{ "stages-only", OPT_STAGES_ONLY, NULL, 0,
	  "Time the -u functions only: no syscall counting (and no I/O per stage), the least "
	  "overhead" },
	{ "stages-off", OPT_STAGES_OFF, NULL, 0,
	  "Start with the -u probes switched off (SIGUSR1 toggles; default from BPFPROF_STAGES=0|1)" },
	{ "returns", OPT_RETURNS, "MODE", 0,
	  "How a -u call's end is seen: auto (default: return probes where safe, else probes "
	  "on every return instruction), safe (the latter everywhere), fast (return probes "
	  "everywhere: C++ exceptions, Rust panics and Go then crash the target)" },
	{ "sample", OPT_SAMPLE, "N", 0,
	  "Record 1 in N stage calls per thread (1 to 1000000); counts are scaled by N" },
	{ "max-overhead", OPT_MAX_OVERHEAD, "PCT", 0,
	  "Switch the -u probes off while they cost more than PCT% of the target's CPU time" },
	{ "self-cost", OPT_SELF_COST, "MODE", OPTION_ARG_OPTIONAL,
	  "How to measure the probes' own cost (kernel BPF stats, which time every program run "
	  "while on): window (default: on a few % of the time), always (alone: always), off" },
	{ "self-cost-window", OPT_SELF_COST_WINDOW, "PCT", 0,
	  "With --self-cost=window: the share of each second the stats are on (0.5 to 50, "
	  "default 5)" },
	{ "raw-times", OPT_RAW_TIMES, NULL, 0,
	  "Stage times as measured, with the probes' own cost in them (default: taken off)" },
	{ "no-go-sched", OPT_NO_GO_SCHED, NULL, 0,
	  "Go stages: leave the Go scheduler unprobed (~1 us less per goroutine switch); a "
	  "goroutine's waits on channels, mutexes, time.Sleep then read as on CPU" },
	{ "cpu-sample", OPT_CPU_SAMPLE, "HZ", 0,
	  "Sample the traced threads' stacks HZ times a second per CPU (49, 99, 499)" },

	{ NULL, 0, NULL, 0, "Output:", 4 },
	{ "output", 'o', "DIR", 0, "Write summary.json and flushes.jsonl in DIR" },
	{ "plain", OPT_PLAIN, NULL, 0, "Print the plain interval report, not the live view" },
	{ "top", OPT_TOP, "N", 0,
	  "The plain report shows the N busiest processes of each interval (default 20; 0: all)" },
	{ "prometheus", OPT_PROMETHEUS, "[ADDR:]PORT", 0,
	  "Serve /metrics for Prometheus (on 127.0.0.1 unless ADDR is given)" },
	{ "quiet", 'q', NULL, 0, "Print nothing but errors" },
	{ "verbose", 'v', NULL, 0, "Print libbpf's debug output" },

	{ NULL, 0, NULL, 0, "Span events (with -o and -u):", 5 },
	{ "events", OPT_EVENTS, NULL, 0, "Write every stage call as a span to DIR/events.jsonl" },
	{ "events-ring-bytes", OPT_EVENTS_RING, "BYTES", 0,
	  "Kernel ring buffer for span events (default 8M; rounded up to a power of two)" },
	{ "events-queue", OPT_EVENTS_QUEUE, "RECORDS", 0,
	  "Span records queued for the writer before the newest are dropped (default 65536)" },
	{ "rotate-bytes", OPT_ROTATE_BYTES, "BYTES", 0, "Rotate events.jsonl before it passes BYTES" },
	{ "rotate-secs", OPT_ROTATE_SECS, "DURATION", 0, "Rotate events.jsonl every DURATION" },
	{ "rotate-gzip", OPT_ROTATE_GZIP, NULL, 0, "Compress rotated event files (.gz)" },

	{ NULL, 0, NULL, 0, "Help:", -1 },
	{ "help", 'h', NULL, 0, "Print this help and exit" },
	{ "usage", OPT_USAGE, NULL, 0, "Print a short usage message and exit" },
	{ "version", 'V', NULL, 0, "Print the version and exit" },
	{},
};

struct parse_state {
	struct env *env;
	char *err;
	size_t errlen;
	bool events_tuned; /* --events-ring-bytes or --events-queue given */
	bool printed;	   /* --help, --usage or --version: printed, nothing to run */
};

/* argp_parse's answer when --help or the like has printed: stop, exit 0. */
#define PARSE_PRINTED ECANCELED

int parse_seconds(const char *s, double min, double max, double *out)
{
	char *end;
	double v;

	if (!s || !*s)
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

int parse_duration(const char *s, double min, double max, double *out)
{
	static const struct {
		const char *suffix;
		double seconds;
	} units[] = { { "ms", 1e-3 }, { "s", 1 }, { "m", 60 }, { "h", 3600 }, { "", 1 } };
	const char *p = s;
	size_t digits = 0;
	double v;

	/* Digits, an optional fraction, then a unit: no sign, exponent,
	 * spaces, "inf" or "nan" (strtod would take them all). */
	if (!s)
		return -EINVAL;
	while (*p >= '0' && *p <= '9')
		p++, digits++;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			digits++;
	if (!digits)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(p, units[i].suffix))
			continue;
		v = strtod(s, NULL) * units[i].seconds;
		if (!isfinite(v) || v < min || v > max)
			return -EINVAL;
		*out = v;
		return 0;
	}
	return -EINVAL;
}

int parse_bytes(const char *s, unsigned long long min, unsigned long long max,
		unsigned long long *out)
{
	unsigned long long v;
	unsigned int shift = 0;
	char *end;

	/* strtoull accepts a sign: "-1" would wrap. */
	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -EINVAL;
	switch (*end) {
	case 'K':
	case 'k':
		shift = 10;
		break;
	case 'M':
	case 'm':
		shift = 20;
		break;
	case 'G':
	case 'g':
		shift = 30;
		break;
	case '\0':
		break;
	default:
		return -EINVAL;
	}
	if (shift && *++end)
		return -EINVAL;
	if (v > (ULLONG_MAX >> shift))
		return -EINVAL;
	v <<= shift;
	if (v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

int parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	/* strtoul would take "-1" as ULONG_MAX: digits only. */
	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

int parse_pid(const char *s, pid_t *out)
{
	char *end;
	long v;

	if (!s || !*s)
		return -EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 1 || v > INT_MAX)
		return -EINVAL;
	*out = (pid_t)v;
	return 0;
}

int parse_pid_list(const char *s, pid_t *out, int max)
{
	char buf[32];
	int n = 0;

	if (!s || !*s)
		return -EINVAL;
	for (const char *p = s;; p++) {
		size_t len = strcspn(p, ",");

		if (!len || len >= sizeof(buf) || n == max)
			return -EINVAL;
		memcpy(buf, p, len);
		buf[len] = '\0';
		/* strtol would take " 2" and "+2": digits only. */
		if (strspn(buf, "0123456789") != len || parse_pid(buf, &out[n]))
			return -EINVAL;
		for (int i = 0; i < n; i++)
			if (out[i] == out[n])
				return -EINVAL;
		n++;
		p += len;
		if (!*p)
			return n;
	}
}

static error_t fail(struct parse_state *ps, const char *fmt, const char *arg)
{
	snprintf(ps->err, ps->errlen, fmt, arg);
	return EINVAL;
}

static error_t parse_events_opt(struct parse_state *ps, int key, const char *arg)
{
	struct env *env = ps->env;
	unsigned long long v;

	switch (key) {
	case OPT_EVENTS:
		env->events = true;
		break;
	case OPT_EVENTS_RING:
		ps->events_tuned = true;
		if (parse_bytes(arg, 4096, 1ULL << 30, &v))
			return fail(ps, "invalid --events-ring-bytes '%s': expected 4096 to 1G", arg);
		env->events_ring_bytes = v;
		break;
	case OPT_EVENTS_QUEUE:
		ps->events_tuned = true;
		if (parse_bytes(arg, 1, 1ULL << 24, &v))
			return fail(ps, "invalid --events-queue '%s': expected 1 to 16M records", arg);
		env->events_queue = v;
		break;
	case OPT_ROTATE_BYTES:
		if (parse_bytes(arg, 4096, 1ULL << 50, &v))
			return fail(ps, "invalid --rotate-bytes '%s': expected 4096 or more", arg);
		env->rotate_bytes = v;
		break;
	case OPT_ROTATE_SECS:
		if (parse_duration(arg, 0.1, MAX_DURATION_S, &env->rotate_secs))
			return fail(ps,
				    "invalid --rotate-secs '%s': expected a duration from 100ms to "
				    "366 days (500ms, 5s, 2m, 1h; a bare number is seconds)",
				    arg);
		break;
	case OPT_ROTATE_GZIP:
		env->rotate_gzip = true;
		break;
	}
	return 0;
}

/* The event options need --events, and --events needs -o and -u. */
static error_t check_events_opts(struct parse_state *ps)
{
	const struct env *env = ps->env;

	if (!env->events) {
		if (env->rotate_bytes || env->rotate_secs > 0 || env->rotate_gzip ||
		    ps->events_tuned)
			return fail(ps, "--events-*/--rotate-* options need --events%s", "");
		return 0;
	}
	if (!env->outdir)
		return fail(ps, "--events needs -o DIR (events go to DIR/events.jsonl)%s", "");
	if (!env->n_stage_specs && !env->n_usdt_specs && !env->n_marker_specs)
		return fail(ps, "--events needs -u: span events are the stage calls -u times%s", "");
	if (env->rotate_gzip && !env->rotate_bytes && env->rotate_secs <= 0)
		return fail(ps, "--rotate-gzip needs --rotate-bytes or --rotate-secs%s", "");
	return 0;
}

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct parse_state *ps = state->input;
	struct env *env = ps->env;

	switch (key) {
	case 'p': {
		int n = parse_pid_list(arg, env->pids, MAX_TARGET_PIDS);

		if (n < 0)
			return fail(ps,
				    "invalid pid '%s': expected a positive number, or several, "
				    "distinct, separated by commas (at most 64)",
				    arg);
		env->n_pids = n;
		env->pid = env->pids[0];
		break;
	}
	case 'i':
		if (parse_duration(arg, MIN_INTERVAL_S, MAX_INTERVAL_S, &env->interval_s))
			return fail(ps,
				    "invalid interval '%s': expected a duration from 10ms to 1h "
				    "(500ms, 5s, 2m; a bare number is seconds)",
				    arg);
		break;
	case 'd':
		if (parse_duration(arg, 1e-3, MAX_DURATION_S, &env->duration_s))
			return fail(ps,
				    "invalid duration '%s': expected a duration from 1ms to 366 days "
				    "(500ms, 5s, 2m, 1h; a bare number is seconds)",
				    arg);
		break;
	case 'o':
		if (!*arg)
			return fail(ps, "empty output directory%s", "");
		env->outdir = arg;
		break;
	case 'u':
		if (env->n_stage_specs == MAX_STAGE_SPECS)
			return fail(ps, "too many -u options (at most %s)", "64");
		env->stage_specs[env->n_stage_specs++] = arg;
		break;
	case 'U':
		if (env->n_usdt_specs == MAX_STAGE_SPECS)
			return fail(ps, "too many -U options (at most %s)", "64");
		env->usdt_specs[env->n_usdt_specs++] = arg;
		break;
	case 'm':
		if (env->n_marker_specs == MAX_STAGE_SPECS)
			return fail(ps, "too many -m options (at most %s)", "64");
		env->marker_specs[env->n_marker_specs++] = arg;
		break;
	case OPT_LIST:
		env->list_spec = arg;
		break;
	case OPT_PROMETHEUS: {
		struct prom_listen l;

		if (prom_parse_listen(arg, &l, ps->err, ps->errlen))
			return EINVAL;
		env->prometheus = arg;
		break;
	}
	case OPT_FOLLOW:
		env->follow = true;
		break;
	case OPT_COMM:
		/* The kernel keeps 15 characters of a name. */
		if (!*arg || strlen(arg) > 15)
			return fail(ps, "invalid --comm '%s': expected a process name of 1 to 15 "
					"characters",
				    arg);
		env->comm = arg;
		break;
	case OPT_STAGES_ONLY:
		env->stages_only = true;
		break;
	case OPT_RAW_TIMES:
		env->raw_times = true;
		break;
	case OPT_NO_GO_SCHED:
		env->no_go_sched = true;
		break;
	case OPT_STAGES_OFF:
		env->stages_off = true;
		break;
	case OPT_RETURNS: {
		enum returns_mode m;

		if (returns_mode_parse(arg, &m))
			return fail(ps, "invalid --returns '%s': expected auto, safe or fast", arg);
		env->returns = (int)m;
		break;
	}
	case OPT_SAMPLE: {
		unsigned long n;

		if (parse_uint(arg, 1, 1000000, &n))
			return fail(ps, "invalid --sample '%s': expected a whole number from 1 to 1000000",
				    arg);
		env->sample_every = (unsigned int)n;
		break;
	}
	case OPT_USDT_NAMES: {
		unsigned long n;

		if (parse_uint(arg, 1, USDT_NAMES_MAX, &n))
			return fail(ps, "invalid --usdt-names '%s': expected a whole number from 1 to 65536",
				    arg);
		env->usdt_names = (uint32_t)n;
		break;
	}
	case OPT_CPU_SAMPLE: {
		unsigned long hz;

		if (parse_uint(arg, 1, 10000, &hz))
			return fail(ps, "invalid --cpu-sample '%s': expected a rate from 1 to 10000 Hz",
				    arg);
		env->cpu_sample_hz = (unsigned int)hz;
		break;
	}
	case OPT_MAX_OVERHEAD:
		if (parse_seconds(arg, 0.001, 100, &env->max_overhead_pct))
			return fail(ps, "invalid --max-overhead '%s': expected a percentage from 0.001 to 100",
				    arg);
		break;
	case OPT_SELF_COST:
		if (!arg || !strcmp(arg, "always"))
			env->self_cost = COST_MODE_ALWAYS;
		else if (!strcmp(arg, "window"))
			env->self_cost = COST_MODE_WINDOW;
		else if (!strcmp(arg, "off"))
			env->self_cost = COST_MODE_OFF;
		else
			return fail(ps, "invalid --self-cost '%s': expected window, always or off",
				    arg);
		break;
	case OPT_SELF_COST_WINDOW:
		if (parse_seconds(arg, 0.5, 50, &env->self_cost_window_pct))
			return fail(ps, "invalid --self-cost-window '%s': expected a percentage from 0.5 to 50",
				    arg);
		break;
	case 'h':
		argp_help(state->root_argp, stdout, ARGP_HELP_STD_HELP & ~ARGP_HELP_EXIT_OK,
			  (char *)"bpfprof");
		ps->printed = true;
		return PARSE_PRINTED;
	case OPT_USAGE:
		argp_help(state->root_argp, stdout, ARGP_HELP_USAGE, (char *)"bpfprof");
		ps->printed = true;
		return PARSE_PRINTED;
	case 'V':
		printf("%s\n", argp_program_version);
		ps->printed = true;
		return PARSE_PRINTED;
	case 'q':
		env->quiet = true;
		break;
	case OPT_PLAIN:
		env->plain = true;
		break;
	case OPT_TOP: {
		unsigned long n;

		if (parse_uint(arg, 0, 100000, &n))
			return fail(ps, "invalid --top '%s': expected a whole number from 0 to 100000",
				    arg);
		env->top = (size_t)n;
		break;
	}
	case 'v':
		env->verbose = true;
		break;
	case OPT_EVENTS:
	case OPT_EVENTS_RING:
	case OPT_EVENTS_QUEUE:
	case OPT_ROTATE_BYTES:
	case OPT_ROTATE_SECS:
	case OPT_ROTATE_GZIP:
		return parse_events_opt(ps, key, arg);
	case ARGP_KEY_ARG:
		/* The first operand starts the command; argp stops at "--" for us. */
		env->command = &state->argv[state->next - 1];
		state->next = state->argc;
		break;
	case ARGP_KEY_END:
		if (env->pid && env->command)
			return fail(ps, "-p and a command are exclusive: give one target%s", "");
		if (env->comm && (env->pid || env->command))
			return fail(ps, "--comm, -p and a command are exclusive: give one target%s",
				    "");
		if (env->stages_only && !env->n_stage_specs && !env->n_usdt_specs &&
		    !env->n_marker_specs)
			return fail(ps, "--stages-only needs functions to time: give -u%s", "");
		if (env->follow && !env->pid && !env->command && !env->comm)
			return fail(ps, "--follow needs a target: -p PID, --comm NAME or a command%s",
				    "");
		if (env->max_overhead_pct > 0 && env->self_cost == COST_MODE_OFF)
			return fail(ps, "--max-overhead needs the cost figures: not --self-cost=off%s",
				    "");
		if (env->quiet && env->verbose)
			return fail(ps, "-q and -v are exclusive%s", "");
		return check_events_opts(ps);
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

int args_parse(int argc, char **argv, struct env *env, char *err, size_t errlen)
{
	static const struct argp argp = { options, parse_opt, "[-- COMMAND [ARGS...]]", doc };
	struct parse_state ps = { env, err, errlen, false, false };
	const char *stages;
	int rc;

	memset(env, 0, sizeof(*env));
	env->interval_s = 1.0;
	env->top = DEFAULT_TOP_PROCS;
	env->events_ring_bytes = DEFAULT_EVENTS_RING;
	env->events_queue = DEFAULT_EVENTS_QUEUE;
	env->sample_every = 1;
	env->usdt_names = 0; /* usdt_names_default() */
	env->self_cost = COST_MODE_WINDOW;
	env->self_cost_window_pct = COST_WINDOW_DEFAULT_PCT;
	/* The default state of the stage probes; --stages-off overrides it. */
	stages = getenv("BPFPROF_STAGES");
	if (stages && strcmp(stages, "0") && strcmp(stages, "1")) {
		snprintf(err, errlen, "invalid BPFPROF_STAGES '%s': expected 0 or 1", stages);
		return -1;
	}
	env->stages_off = stages && !strcmp(stages, "0");
	err[0] = '\0';
	/* ARGP_IN_ORDER: options after the command belong to the command.
	 * ARGP_NO_ERRS: our caller prints the one-line error. It also
	 * silences argp's own --help, hence ours (ARGP_NO_HELP). */
	rc = argp_parse(&argp, argc, argv, ARGP_IN_ORDER | ARGP_NO_ERRS | ARGP_NO_HELP, NULL,
			&ps);
	if (ps.printed)
		return fflush(stdout) ? -1 : 1;
	if (rc && !err[0] && !cli_option_error(options, argc, argv, true, err, errlen))
		snprintf(err, errlen, "invalid command line (--help lists the options)");
	return rc ? -1 : 0;
}
