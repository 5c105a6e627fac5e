// SPDX-License-Identifier: MIT
/* Command-line parsing: every number checked, conflicts refused. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "run/args.h"
#include "cost/cost_window.h"
#include "lib/helper.h"

static int parse(struct env *env, char *err, size_t len, char **argv)
{
	int argc = 0;

	while (argv[argc])
		argc++;
	return args_parse(argc, argv, env, err, len);
}

static void test_defaults_and_values(void **state)
{
	struct env env;
	char err[256];
	char *a1[] = { "bpfprof", NULL };
	char *a2[] = { "bpfprof", "-p", "123", "-i", "0.25", "-d", "10", "-o", "out",
		       "-u", "handle_*", "-u", "libc:malloc", "-q", NULL };

	assert_int_equal(parse(&env, err, sizeof(err), a1), 0);
	assert_int_equal(env.pid, 0);
	assert_null(env.command);
	assert_true(env.interval_s == 1.0);
	assert_true(env.duration_s == 0);
	assert_null(env.outdir);

	assert_int_equal(parse(&env, err, sizeof(err), a2), 0);
	assert_int_equal(env.pid, 123);
	assert_true(env.interval_s == 0.25);
	assert_true(env.duration_s == 10);
	assert_string_equal(env.outdir, "out");
	assert_int_equal(env.n_stage_specs, 2);
	assert_string_equal(env.stage_specs[1], "libc:malloc");
	assert_true(env.quiet);
}

static void test_command_keeps_its_options(void **state)
{
	struct env env;
	char err[256];
	char *a[] = { "bpfprof", "-i", "2", "--", "ls", "-l", "-p", "x", NULL };
	char *b[] = { "bpfprof", "-o", "d", "make", "-j4", NULL };

	assert_int_equal(parse(&env, err, sizeof(err), a), 0);
	assert_non_null(env.command);
	assert_string_equal(env.command[0], "ls");
	assert_string_equal(env.command[2], "-p");
	assert_null(env.command[4]);
	assert_int_equal(env.pid, 0);
	assert_int_equal(parse(&env, err, sizeof(err), b), 0);
	assert_string_equal(env.command[0], "make");
	assert_string_equal(env.command[1], "-j4");
}

static void expect_error(char **argv, const char *needle)
{
	struct env env;
	char err[256];

	assert_int_equal(parse(&env, err, sizeof(err), argv), -1);
	if (!strstr(err, needle))
		fail_msg("error '%s' lacks '%s'", err, needle);
	assert_null(strchr(err, '\n'));
}

static void test_bad_values(void **state)
{
	char *i0[] = { "bpfprof", "-i", "0", NULL };
	char *ineg[] = { "bpfprof", "-i", "-1", NULL };
	char *iword[] = { "bpfprof", "-i", "abc", NULL };
	char *itrail[] = { "bpfprof", "-i", "1x", NULL };
	char *inan[] = { "bpfprof", "-i", "nan", NULL };
	char *dhuge[] = { "bpfprof", "-d", "1e12", NULL };
	char *dneg[] = { "bpfprof", "-d", "-5", NULL };
	char *dinf[] = { "bpfprof", "-d", "inf", NULL };
	char *pbad[] = { "bpfprof", "-p", "12ab", NULL };
	char *pzero[] = { "bpfprof", "-p", "0", NULL };
	char *pbig[] = { "bpfprof", "-p", "99999999999", NULL };
	char *both[] = { "bpfprof", "-p", "1", "--", "ls", NULL };
	char *qv[] = { "bpfprof", "-q", "-v", NULL };
	char *unknown[] = { "bpfprof", "--bogus", NULL };
	char *oempty[] = { "bpfprof", "-o", "", NULL };

	expect_error(i0, "invalid interval '0'");
	expect_error(ineg, "invalid interval");
	expect_error(iword, "invalid interval 'abc'");
	expect_error(itrail, "invalid interval '1x'");
	expect_error(inan, "invalid interval");
	expect_error(dhuge, "invalid duration");
	expect_error(dneg, "invalid duration");
	expect_error(dinf, "invalid duration");
	expect_error(pbad, "invalid pid '12ab'");
	expect_error(pzero, "invalid pid");
	expect_error(pbig, "invalid pid");
	expect_error(both, "exclusive");
	expect_error(qv, "exclusive");
	expect_error(unknown, "unknown option");
	expect_error(oempty, "empty output directory");
}

/* --self-cost[=MODE] and --self-cost-window: window by default. */
static void test_self_cost_options(void **state)
{
	struct env env;
	char err[256];
	char *none[] = { "bpfprof", NULL };
	char *bare[] = { "bpfprof", "--self-cost", NULL };
	char *always[] = { "bpfprof", "--self-cost=always", NULL };
	char *off[] = { "bpfprof", "--self-cost=off", NULL };
	char *win[] = { "bpfprof", "--self-cost=window", "--self-cost-window", "12.5", NULL };
	char *bad[] = { "bpfprof", "--self-cost=sometimes", NULL };
	char *w0[] = { "bpfprof", "--self-cost-window", "0", NULL };
	char *w51[] = { "bpfprof", "--self-cost-window", "51", NULL };
	char *offmax[] = { "bpfprof", "--self-cost=off", "--max-overhead", "5", NULL };

	assert_int_equal(parse(&env, err, sizeof(err), none), 0);
	assert_int_equal(env.self_cost, COST_MODE_WINDOW);
	assert_true(env.self_cost_window_pct == COST_WINDOW_DEFAULT_PCT);
	assert_int_equal(parse(&env, err, sizeof(err), bare), 0);
	assert_int_equal(env.self_cost, COST_MODE_ALWAYS);
	assert_int_equal(parse(&env, err, sizeof(err), always), 0);
	assert_int_equal(env.self_cost, COST_MODE_ALWAYS);
	assert_int_equal(parse(&env, err, sizeof(err), off), 0);
	assert_int_equal(env.self_cost, COST_MODE_OFF);
	assert_int_equal(parse(&env, err, sizeof(err), win), 0);
	assert_int_equal(env.self_cost, COST_MODE_WINDOW);
	assert_true(env.self_cost_window_pct == 12.5);
	expect_error(bad, "invalid --self-cost 'sometimes'");
	expect_error(w0, "invalid --self-cost-window '0'");
	expect_error(w51, "invalid --self-cost-window '51'");
	expect_error(offmax, "--max-overhead needs the cost figures");
}

/* The stage options and BPFPROF_STAGES, the default --stages-off overrides. */
static void test_stage_options(void **state)
{
	struct env env;
	char err[256];
	char *none[] = { "bpfprof", NULL };
	char *all[] = { "bpfprof", "--stages-off", "--sample", "1000000", "--max-overhead", "2.5",
			"--raw-times", "--no-go-sched", NULL };
	char *s0[] = { "bpfprof", "--sample", "0", NULL };
	char *sbig[] = { "bpfprof", "--sample", "1000001", NULL };
	char *sneg[] = { "bpfprof", "--sample", "-3", NULL };
	char *sword[] = { "bpfprof", "--sample", "ten", NULL };
	char *m0[] = { "bpfprof", "--max-overhead", "0", NULL };
	char *mbig[] = { "bpfprof", "--max-overhead", "100.5", NULL };

	unsetenv("BPFPROF_STAGES");
	assert_int_equal(parse(&env, err, sizeof(err), none), 0);
	assert_false(env.stages_off);
	assert_int_equal(env.sample_every, 1);
	assert_true(env.max_overhead_pct == 0);
	assert_false(env.raw_times);
	assert_false(env.no_go_sched);
	assert_int_equal(parse(&env, err, sizeof(err), all), 0);
	assert_true(env.stages_off);
	assert_true(env.raw_times);
	assert_true(env.no_go_sched);
	assert_int_equal(env.sample_every, 1000000);
	assert_true(env.max_overhead_pct == 2.5);
	expect_error(s0, "invalid --sample '0'");
	expect_error(sbig, "invalid --sample '1000001'");
	expect_error(sneg, "invalid --sample '-3'");
	expect_error(sword, "invalid --sample 'ten'");
	expect_error(m0, "invalid --max-overhead '0'");
	expect_error(mbig, "invalid --max-overhead '100.5'");
	setenv("BPFPROF_STAGES", "0", 1);
	assert_int_equal(parse(&env, err, sizeof(err), none), 0);
	assert_true(env.stages_off);
	setenv("BPFPROF_STAGES", "1", 1);
	assert_int_equal(parse(&env, err, sizeof(err), none), 0);
	assert_false(env.stages_off);
	assert_int_equal(parse(&env, err, sizeof(err), all), 0);
	assert_true(env.stages_off);
	setenv("BPFPROF_STAGES", "on", 1);
	expect_error(none, "invalid BPFPROF_STAGES 'on': expected 0 or 1");
	unsetenv("BPFPROF_STAGES");
}

static void test_number_parsers(void **state)
{
	double d;
	pid_t p;

	assert_int_equal(parse_seconds("0.5", 0.01, 10, &d), 0);
	assert_true(d == 0.5);
	assert_int_equal(parse_seconds("10", 0.01, 10, &d), 0);
	assert_int_not_equal(parse_seconds("10.01", 0.01, 10, &d), 0);
	assert_int_not_equal(parse_seconds("", 0.01, 10, &d), 0);
	assert_int_not_equal(parse_seconds(" 1", 0.01, 10, &d) == 0 && d == 1 ? 1 : 0, 0);
	assert_int_equal(parse_pid("4194304", &p), 0);
	assert_int_equal(p, 4194304);
	assert_int_not_equal(parse_pid("-3", &p), 0);
	assert_int_not_equal(parse_pid("", &p), 0);
}

/* -p PID[,PID...]: distinct positive pids, commas only between them. */
static void test_pid_lists(void **state)
{
	static const char *const bad[] = { "",	  ",",	   "1,",    ",1",   "1,,2", "1,1",
					   "1, 2", "1,x",  "0,1",   "1;2",  "-1,2" };
	struct env env;
	char err[256];
	pid_t pids[4];
	char *ok[] = { "bpfprof", "-p", "12,7,300", NULL };
	char *dup[] = { "bpfprof", "-p", "5,5", NULL };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (parse_pid_list(bad[i], pids, 4) >= 0)
			fail_msg("'%s' was taken as a pid list", bad[i]);
	assert_int_equal(parse_pid_list("1,2,3,4", pids, 4), 4);
	assert_true(parse_pid_list("1,2,3,4,5", pids, 4) < 0);
	assert_int_equal(parse(&env, err, sizeof(err), ok), 0);
	assert_int_equal(env.n_pids, 3);
	assert_int_equal(env.pid, 12);
	assert_int_equal(env.pids[2], 300);
	expect_error(dup, "invalid pid '5,5'");
}

/* --comm NAME: 1 to 15 characters (the kernel's comm), one target only. */
static void test_comm_option(void **state)
{
	struct env env;
	char err[256];
	char *ok[] = { "bpfprof", "--comm", "nginx", "--follow", NULL };
	char *longname[] = { "bpfprof", "--comm", "a_name_too_long_x", NULL };
	char *empty[] = { "bpfprof", "--comm", "", NULL };
	char *with_pid[] = { "bpfprof", "--comm", "x", "-p", "1", NULL };
	char *with_cmd[] = { "bpfprof", "--comm", "x", "--", "ls", NULL };

	assert_int_equal(parse(&env, err, sizeof(err), ok), 0);
	assert_string_equal(env.comm, "nginx");
	assert_true(env.follow);
	expect_error(longname, "invalid --comm 'a_name_too_long_x': expected a process name of 1 "
			       "to 15 characters");
	expect_error(empty, "invalid --comm ''");
	expect_error(with_pid, "--comm, -p and a command are exclusive");
	expect_error(with_cmd, "--comm, -p and a command are exclusive");
}

/* Durations: digits, an optional fraction and ms, s, m or h; a bare
 * number is seconds; nothing else. */
static void test_durations(void **state)
{
	static const struct {
		const char *text;
		double seconds; /* < 0: refused */
	} cases[] = {
		{ "500ms", 0.5 }, { "5s", 5 },	   { "2m", 120 },     { "1h", 3600 },
		{ "1.5s", 1.5 },  { "2", 2 },	   { "0.25", 0.25 },  { ".5", 0.5 },
		{ "10ms", 0.01 }, { "", -1 },	   { "s", -1 },	      { "5 s", -1 },
		{ "5sec", -1 },	  { "5S", -1 },	   { "-1s", -1 },     { "+1", -1 },
		{ "1e3", -1 },	  { "inf", -1 },   { "nan", -1 },     { "1.2.3", -1 },
		{ "5x", -1 },	  { "1h1m", -1 },  { "2h", -1 /* over max */ },
		{ "9ms", -1 /* under min */ },
	};
	double d;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = parse_duration(cases[i].text, 0.01, 3600, &d);

		if (cases[i].seconds < 0 ? rc == 0 : rc != 0 || fabs(d - cases[i].seconds) > 1e-12)
			fail_msg("parse_duration('%s') = %d (%g)", cases[i].text, rc, d);
	}
}

static void test_durations_on_the_command_line(void **state)
{
	struct env env;
	char err[256];
	char *a[] = { "bpfprof", "-d", "2m", "-i", "500ms", "-o", "d", "-u", "f", "--events",
		      "--rotate-secs", "1h", NULL };
	char *bad[] = { "bpfprof", "-i", "5 s", NULL };

	assert_int_equal(parse(&env, err, sizeof(err), a), 0);
	assert_true(env.duration_s == 120);
	assert_true(env.interval_s == 0.5);
	assert_true(env.rotate_secs == 3600);
	expect_error(bad, "invalid interval '5 s': expected a duration from 10ms to 1h");
}

/* Unknown options named, the nearest suggested; missing arguments named. */
static void test_option_errors(void **state)
{
	char *folow[] = { "bpfprof", "--folow", "-p", "1", NULL };
	char *durat[] = { "bpfprof", "--duraton=5", NULL };
	char *far[] = { "bpfprof", "--zzzzzz", NULL };
	char *shrt[] = { "bpfprof", "-x", NULL };
	char *cluster[] = { "bpfprof", "-qz", NULL };
	char *noarg[] = { "bpfprof", "-o", "d", "-p", NULL };
	char *longnoarg[] = { "bpfprof", "--duration", NULL };
	char *takesnone[] = { "bpfprof", "--follow=yes", "-p", "1", NULL };
	char *ambiguous[] = { "bpfprof", "--rot", "1", NULL };
	char *in_command[] = { "bpfprof", "--", "ls", "--folow", NULL };
	struct env env;
	char err[256];

	expect_error(folow, "unknown option '--folow'; did you mean '--follow'?");
	expect_error(durat, "unknown option '--duraton'; did you mean '--duration'?");
	expect_error(far, "unknown option '--zzzzzz' (--help lists them)");
	expect_error(shrt, "unknown option '-x'");
	expect_error(cluster, "unknown option '-z'");
	expect_error(noarg, "option '-p' needs an argument: -p PID");
	expect_error(longnoarg, "option '--duration' needs an argument: --duration DURATION");
	expect_error(takesnone, "option '--follow' takes no argument");
	expect_error(ambiguous,
		     "ambiguous option '--rot' (--rotate-bytes, --rotate-secs or --rotate-gzip)");
	/* The command's own options are its business. */
	assert_int_equal(parse(&env, err, sizeof(err), in_command), 0);
	assert_string_equal(env.command[1], "--folow");
}

/* -h, --help, --usage, --version print to stdout and ask for exit 0,
 * whatever else the line holds; nothing is run. */
static void test_help_prints_and_stops(void **state)
{
	char *cases[][4] = {
		{ "bpfprof", "-h", NULL },
		{ "bpfprof", "--help", "-p", "1" },
		{ "bpfprof", "--usage", NULL },
		{ "bpfprof", "--version", NULL },
		{ "bpfprof", "-V", NULL },
		{ "bpfprof", "--he", NULL }, /* a unique prefix, as getopt allows */
	};
	char path[] = "/tmp/bpfprof-help-XXXXXX", text[65536];
	int fd = mkstemp(path), saved = dup(1);
	struct env env;
	char err[256];

	assert_true(fd >= 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *argv[5] = { cases[i][0], cases[i][1], cases[i][2], cases[i][3], NULL };
		ssize_t n;

		assert_int_equal(ftruncate(fd, 0), 0);
		assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
		fflush(stdout);
		dup2(fd, 1);
		assert_int_equal(parse(&env, err, sizeof(err), argv), 1);
		fflush(stdout);
		dup2(saved, 1);
		n = pread(fd, text, sizeof(text) - 1, 0);
		assert_true(n > 0);
		text[n] = '\0';
		if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
			/* Grouped, with examples. */
			assert_non_null(strstr(text, "Usage: bpfprof [OPTION...]"));
			assert_non_null(strstr(text, " How long, how often:"));
			assert_non_null(strstr(text, "-d, --duration=DURATION"));
			assert_non_null(strstr(text, "Examples:"));
		} else if (!strcmp(argv[1], "--usage")) {
			assert_non_null(strstr(text, "[--follow]"));
		} else if (argv[1][1] == 'V' || !strcmp(argv[1], "--version")) {
			assert_int_equal(strncmp(text, "bpfprof ", 8), 0);
			assert_ptr_equal(strchr(text, '\n'), text + n - 1);
		}
	}
	close(fd);
	close(saved);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_and_values),
		cmocka_unit_test(test_command_keeps_its_options),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_number_parsers),
		cmocka_unit_test(test_stage_options),
		cmocka_unit_test(test_self_cost_options),
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_pid_lists),
		cmocka_unit_test(test_comm_option),
		cmocka_unit_test(test_durations_on_the_command_line),
		cmocka_unit_test(test_option_errors),
		cmocka_unit_test(test_help_prints_and_stops),
	};

	return cmocka_run_group_tests_name("args", tests, NULL, NULL);
}
