// SPDX-License-Identifier: MIT
/*
 * Integration: --cpu-sample against spin_target, which burns 75% of its CPU
 * in spin_a inside the stage stage_hot and 25% in spin_b inside stage_cold
 * (target_common.h). The shares are checked within a margin a loaded
 * machine keeps (the sampler counts CPU time, not wall time); the stage
 * attribution exactly: every sample in spin_a is charged to stage_hot,
 * every one in spin_b to stage_cold. Static and PIE, command and -p modes,
 * the whole machine; the flush records sum to the run, the audit to the
 * samples file.
 */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "lib/helper.h"
#include "lib/report_helper.h"
#include "targets/target_common.h"

/* Points the measured share of spin_a may be off 75%. */
#define SHARE_MARGIN 0.08
/* Samples below which the shares say nothing: ~2 s of CPU at 499 Hz gives
 * ~1000. */
#define MIN_SAMPLES 200

/* The user leaf of a samples.jsonl line, or NULL. */
static const char *user_leaf(json_t *line)
{
	json_t *user = json_object_get(line, "user");
	size_t n = json_array_size(user);

	return n ? json_string_value(json_array_get(user, n - 1)) : NULL;
}

/* samples.jsonl of pid: spin_a/spin_b samples (in user mode), their stages
 * checked on the way; returns all the process's samples. */
static long long check_samples_file(const char *dir, pid_t pid, long long *in_a, long long *in_b)
{
	char path[256];
	json_t *lines, *line;
	long long total = 0, sum = 0;
	size_t i;

	snprintf(path, sizeof(path), "%s/samples.jsonl", dir);
	lines = helper_load_jsonl(path);
	assert_non_null(lines);
	assert_true(json_array_size(lines) > 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(lines, 0), "schema")),
			    "bpfprof.samples.v1");
	*in_a = *in_b = 0;
	json_array_foreach(lines, i, line)
	{
		const char *leaf, *stage;
		long long count;

		if (!i)
			continue;
		count = helper_int(line, "count");
		assert_true(count > 0);
		sum += count;
		if (helper_int(line, "pid") != pid)
			continue;
		total += count;
		leaf = user_leaf(line);
		stage = json_string_value(json_object_get(line, "stage"));
		if (!leaf)
			continue;
		/* Exactly: a sample in spin_a is in stage_hot, in spin_b in
		 * stage_cold, whatever the kernel was doing at the time. */
		if (!strcmp(leaf, "spin_a")) {
			if (!stage || strcmp(stage, "stage_hot"))
				fail_msg("spin_a charged to stage %s", stage ? stage : "(none)");
			if (!json_array_size(json_object_get(line, "kernel")))
				*in_a += count;
		} else if (!strcmp(leaf, "spin_b")) {
			if (!stage || strcmp(stage, "stage_cold"))
				fail_msg("spin_b charged to stage %s", stage ? stage : "(none)");
			if (!json_array_size(json_object_get(line, "kernel")))
				*in_b += count;
		}
	}
	/* The header counts every line. */
	assert_int_equal(helper_int(json_array_get(lines, 0), "samples"), sum);
	json_decref(lines);
	return total;
}

static void expect_shares(long long a, long long b)
{
	double share = (double)a / (double)(a + b);

	if (a + b < MIN_SAMPLES)
		fail_msg("only %lld samples in spin_a and spin_b", a + b);
	if (fabs(share - 0.75) > SHARE_MARGIN)
		fail_msg("spin_a has %.1f%% of the samples (spin_a %lld, spin_b %lld): expected 75%%",
			 100 * share, a, b);
}

/* The summary's top functions for pid: spin_a first, then spin_b. */
static void check_top_functions(json_t *summary, pid_t pid, long long a, long long b)
{
	json_t *procs = json_object_get(json_object_get(summary, "cpu_samples"), "processes");
	json_t *p = NULL, *top;
	size_t i;

	json_array_foreach(procs, i, p)
		if (helper_int(p, "pid") == pid)
			break;
	assert_true(i < json_array_size(procs));
	top = json_object_get(p, "top_functions");
	assert_string_equal(json_string_value(json_object_get(json_array_get(top, 0), "function")),
			    "spin_a");
	assert_string_equal(json_string_value(json_object_get(json_array_get(top, 1), "function")),
			    "spin_b");
	/* Self samples count kernel leaves apart: at least the user-mode ones. */
	assert_true(helper_int(json_array_get(top, 0), "self_samples") >= a);
	assert_true(helper_int(json_array_get(top, 1), "self_samples") >= b);
}

/* The flush records' samples sum to the summary's; the audit counts them. */
static void check_flushes(const char *dir, json_t *summary)
{
	char path[256];
	json_t *lines, *rec;
	long long sum = 0;
	size_t i;

	snprintf(path, sizeof(path), "%s/flushes.jsonl", dir);
	lines = helper_load_jsonl(path);
	assert_non_null(lines);
	json_array_foreach(lines, i, rec)
		if (json_object_get(rec, "cpu_samples"))
			sum += helper_int(rec, "cpu_samples.samples");
	json_decref(lines);
	assert_int_equal(sum, helper_int(summary, "cpu_samples.samples"));
	assert_int_equal(helper_int(summary, "audit.cpu_samples_taken"),
			 helper_int(summary, "cpu_samples.samples"));
	assert_int_equal(helper_int(summary, "audit.cpu_samples_lost_map_full"), 0);
	assert_int_equal(helper_int(summary, "audit.cpu_samples_user_stack_lost"), 0);
}

/* A command's whole stdout; fails the test unless it exits 0. */
static char *command_output(const char *cmd)
{
	int status;
	char *out = helper_command_output(cmd, &status);

	if (status != 0)
		fail_msg("'%s' failed: %s", cmd, out);
	return out;
}

/* A "flat%" figure of `go tool pprof -top`'s row for fn. */
static double pprof_flat_pct(const char *top, const char *fn)
{
	for (const char *line = top; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		double flat, pct;
		char name[128];

		if (sscanf(line, " %lf %lf%% %*f%% %*f %*f%% %127s", &flat, &pct, name) == 3 &&
		    !strcmp(name, fn))
			return pct;
	}
	fail_msg("no %s in go tool pprof -top: %s", fn, top);
	return 0;
}

/*
 * The report's sample outputs read by their own readers: the folded text
 * sums to the samples; go tool pprof finds spin_a's share and the stage
 * tags; Chromium renders the flame graph (screenshot kept as an artifact)
 * and its script zooms and searches; the HTML report carries it.
 */
static void check_report_outputs(const char *dir, long long a, long long b)
{
	char bin[256], folded[128], flame[128], pprof[128], html[128], page[128], png[300];
	char cmd[1024];
	long long folded_sum = 0, folded_a = 0, through_stage = 0;
	struct captured c;
	char *out, *dom, line[4096];
	FILE *f;

	helper_path(bin, sizeof(bin), "bpfprof");
	snprintf(folded, sizeof(folded), "%s/out.folded", dir);
	snprintf(flame, sizeof(flame), "%s/flame.svg", dir);
	snprintf(pprof, sizeof(pprof), "%s/cpu.pb.gz", dir);
	snprintf(html, sizeof(html), "%s/report.html", dir);
	report_run(&c, dir, "--folded", folded, "--flame", flame, "--pprof", pprof, "--html", html,
		   NULL);
	assert_int_equal(c.status, 0);
	captured_free(&c);

	/* Every user-mode sample in spin_a is a folded line ending in it;
	 * nearly all of them run through main and stage_hot (frame-pointer
	 * unwinding can miss a frame: a sample at spin_a's first
	 * instructions, before its push %rbp, goes straight to main; a
	 * SANITIZE CI run had spin_a samples off that path). */
	f = fopen(folded, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		char *sp = strrchr(line, ' ');

		assert_non_null(sp);
		folded_sum += atoll(sp + 1);
		if (sp - line >= 7 && !strncmp(sp - 7, ";spin_a ", 8)) {
			folded_a += atoll(sp + 1);
			if (strstr(line, ";main;stage_hot;spin_a "))
				through_stage += atoll(sp + 1);
		}
	}
	fclose(f);
	assert_int_equal(folded_a, a);
	if (through_stage * 100 < folded_a * 99)
		fail_msg("%lld of spin_a's %lld samples run through main;stage_hot", through_stage,
			 folded_a);

	/* go tool pprof: spin_a's flat share as ours, and the stage tags. */
	snprintf(cmd, sizeof(cmd), "HOME=${HOME:-/tmp} go tool pprof -top -sample_index=samples %s 2>&1", pprof);
	out = command_output(cmd);
	if (fabs(pprof_flat_pct(out, "spin_a") / 100 - (double)folded_a / (double)folded_sum) > 0.01)
		fail_msg("pprof's spin_a share is not the folded one (%lld of %lld): %s", folded_a,
			 folded_sum, out);
	assert_non_null(strstr(out, "spin_b"));
	free(out);
	snprintf(cmd, sizeof(cmd), "HOME=${HOME:-/tmp} go tool pprof -tags -sample_index=samples %s 2>&1", pprof);
	out = command_output(cmd);
	assert_non_null(strstr(out, "stage:"));
	assert_non_null(strstr(out, "stage_hot"));
	assert_non_null(strstr(out, "stage_cold"));
	free(out);
	/* Only spin_a's samples, through the stage tag. */
	snprintf(cmd, sizeof(cmd),
		 "HOME=${HOME:-/tmp} go tool pprof -top -sample_index=samples -tagfocus=stage=stage_cold %s 2>&1",
		 pprof);
	out = command_output(cmd);
	assert_null(strstr(out, "spin_a"));
	assert_non_null(strstr(out, "spin_b"));
	free(out);

	/* Chromium: the SVG inline in a page whose script zooms into spin_a
	 * and searches spin_b, as a click and the Search button would. */
	snprintf(page, sizeof(page), "%s/flame_test.html", dir);
	f = fopen(page, "w");
	assert_non_null(f);
	fputs("<!DOCTYPE html><html><body>", f);
	{
		FILE *svg = fopen(flame, "r");
		size_t n;
		char buf[8192];

		assert_non_null(svg);
		while ((n = fread(buf, 1, sizeof(buf), svg)) > 0)
			fwrite(buf, 1, n, f);
		fclose(svg);
	}
	fputs("<script>(function(){var a=document.querySelector('g.f[data-n=\"spin_a\"]');"
	      "var b=document.querySelector('g.f[data-n=\"spin_b\"]');"
	      "a.dispatchEvent(new MouseEvent('click',{bubbles:true}));"
	      "document.body.setAttribute('data-zoom-width',a.querySelector('rect')"
	      ".getAttribute('width'));"
	      "document.body.setAttribute('data-b-hidden',b.style.display);"
	      "document.getElementById('reset').dispatchEvent(new MouseEvent('click'));"
	      "search(/^spin_b$/);"
	      "document.body.setAttribute('data-matched',"
	      "document.getElementById('matched').textContent);})();</script></body></html>",
	      f);
	fclose(f);
	snprintf(png, sizeof(png), "%s/cpu_flame.png", artifact_dir());
	dom = chromium_dump_dom(page, png);
	assert_non_null(strstr(dom, "data-zoom-width=\"1199.5\""));
	assert_non_null(strstr(dom, "data-b-hidden=\"none\""));
	{
		const char *m = strstr(dom, "data-matched=\"Matched: ");
		double pct;

		assert_non_null(m);
		pct = atof(m + strlen("data-matched=\"Matched: "));
		if (fabs(pct / 100 - (double)b / (double)(a + b)) > 0.03)
			fail_msg("search matched %.1f%%, spin_b has %lld of %lld", pct, b, a + b);
	}
	free(dom);
	/* The HTML report: the flame graph and the stage table. */
	snprintf(png, sizeof(png), "%s/cpu_report.png", artifact_dir());
	dom = chromium_dump_dom(html, png);
	assert_non_null(strstr(dom, "id=\"cpu\""));
	assert_non_null(strstr(dom, "data-n=\"spin_a\""));
	assert_non_null(strstr(dom, "<td class=\"name\">stage_hot</td><td class=\"name\">spin_a</td>"));
	if (strstr(dom, "data-script-error=\""))
		fail_msg("script error: %.300s", strstr(dom, "data-script-error=\""));
	assert_non_null(strstr(dom, "data-rendered=\"ok\""));
	free(dom);
}

static void run_command(const char *target_name)
{
	char dir[64], bin[256], target[256];
	long long a, b;
	struct proc_run r;
	json_t *s;
	pid_t pid;

	REQUIRE_ROOT_BPF();
	helper_tmpdir(dir, sizeof(dir));
	helper_path(bin, sizeof(bin), "bpfprof");
	helper_path(target, sizeof(target), target_name);
	char *argv[] = { bin,	     "-q",	   "-i", "0.25",      "-o", dir, "--cpu-sample",
			 "499",	     "-u",	   "stage_hot",	      "-u", "stage_cold",
			 "--",	     target,	   NULL };

	assert_int_equal(helper_run(argv, 120, &r), 0);
	s = helper_load_json_in(dir, "summary.json");
	pid = (pid_t)helper_int(s, "target.pid");
	check_samples_file(dir, pid, &a, &b);
	expect_shares(a, b);
	check_top_functions(s, pid, a, b);
	check_flushes(dir, s);
	if (!strcmp(target_name, "targets/spin_target"))
		check_report_outputs(dir, a, b);
	json_decref(s);
	helper_rmtree(dir);
}

static void test_static_command(void **state)
{
	run_command("targets/spin_target");
}

static void test_pie_command(void **state)
{
	run_command("targets/spin_target_pie");
}

/* -p: the process is running already; the whole machine: it is one of many. */
static void run_attached(bool whole_machine)
{
	char dir[64], bin[256], target[256], pidstr[16];
	struct proc_run t, r;
	long long a, b;
	json_t *s;

	REQUIRE_ROOT_BPF();
	helper_tmpdir(dir, sizeof(dir));
	helper_path(bin, sizeof(bin), "bpfprof");
	helper_path(target, sizeof(target), "targets/spin_target_pie");
	char *targv[] = { target, "gate", NULL };

	assert_int_equal(helper_spawn(&t, targv, true, -1), 0);
	usleep(100000);
	snprintf(pidstr, sizeof(pidstr), "%d", t.pid);
	char *pargv[] = { bin, "-i", "0.25", "-p", pidstr, "-o", dir, "--cpu-sample", "499",
			  "-u", "stage_hot", "-u", "stage_cold", NULL };
	/* The whole machine times no stages: the stages are not checked. */
	char *wargv[] = { bin, "-i", "0.25", "-o", dir, "--cpu-sample", "499", NULL };

	assert_int_equal(helper_spawn(&r, whole_machine ? wargv : pargv, false, -1), 0);
	if (!helper_wait_stderr(&r, whole_machine ? "profiling all" : "profiling pid", 60))
		fail_msg("bpfprof did not start: %s", r.err);
	helper_send(&t, "g");
	assert_int_equal(helper_wait_exit(&t, 120), 0);
	/* -p ends with its target; the whole machine on a signal. */
	if (whole_machine)
		kill(r.pid, SIGINT);
	assert_int_equal(helper_wait_exit(&r, 60), 0);
	s = helper_load_json_in(dir, "summary.json");
	if (whole_machine) {
		/* No stages: count spin_a and spin_b by leaf only. */
		json_t *lines;
		char path[256];
		json_t *line;
		size_t i;

		snprintf(path, sizeof(path), "%s/samples.jsonl", dir);
		lines = helper_load_jsonl(path);
		assert_non_null(lines);
		a = b = 0;
		json_array_foreach(lines, i, line)
		{
			const char *leaf = i ? user_leaf(line) : NULL;

			if (!leaf || helper_int(line, "pid") != t.pid ||
			    json_array_size(json_object_get(line, "kernel")))
				continue;
			a += !strcmp(leaf, "spin_a") ? helper_int(line, "count") : 0;
			b += !strcmp(leaf, "spin_b") ? helper_int(line, "count") : 0;
			assert_null(json_string_value(json_object_get(line, "stage")));
		}
		json_decref(lines);
	} else {
		check_samples_file(dir, t.pid, &a, &b);
		check_flushes(dir, s);
	}
	expect_shares(a, b);
	check_top_functions(s, t.pid, a, b);
	json_decref(s);
	helper_rmtree(dir);
}

static void test_pid(void **state)
{
	run_attached(false);
}

static void test_whole_machine(void **state)
{
	run_attached(true);
}

/* Off by default: no samples file, no cpu_samples key, nothing taken. */
static void test_off_by_default(void **state)
{
	char dir[64], bin[256], target[256], path[256];
	struct proc_run r;
	json_t *s;

	REQUIRE_ROOT_BPF();
	helper_tmpdir(dir, sizeof(dir));
	helper_path(bin, sizeof(bin), "bpfprof");
	helper_path(target, sizeof(target), "targets/spin_target");
	char *argv[] = { bin, "-q", "-o", dir, "--", target, "10", NULL };

	assert_int_equal(helper_run(argv, 60, &r), 0);
	s = helper_load_json_in(dir, "summary.json");
	assert_null(json_object_get(s, "cpu_samples"));
	assert_int_equal(helper_int(s, "audit.cpu_samples_taken"), 0);
	snprintf(path, sizeof(path), "%s/samples.jsonl", dir);
	assert_false(helper_exists(path));
	json_decref(s);
	helper_rmtree(dir);
}

/* The sample outputs of a run without samples: one line, exit 1. */
static void test_report_without_samples(void **state)
{
	char dir[64], bin[256], target[256];
	struct proc_run r;
	struct captured c;

	REQUIRE_ROOT_BPF();
	helper_tmpdir(dir, sizeof(dir));
	helper_path(bin, sizeof(bin), "bpfprof");
	helper_path(target, sizeof(target), "targets/spin_target");
	char *argv[] = { bin, "-q", "-o", dir, "--", target, "1", NULL };

	assert_int_equal(helper_run(argv, 60, &r), 0);
	report_run(&c, dir, "--flame", "/tmp/never-written.svg", NULL);
	assert_int_equal(c.status, 1);
	expect_one_error_line(&c, "no CPU samples");
	assert_false(helper_exists("/tmp/never-written.svg"));
	captured_free(&c);
	helper_rmtree(dir);
}

static void test_bad_rate(void **state)
{
	char bin[256];
	struct proc_run r;

	helper_path(bin, sizeof(bin), "bpfprof");
	char *argv[] = { bin, "--cpu-sample", "0", "--", "/bin/true", NULL };

	assert_int_equal(helper_run(argv, 30, &r), 2);
	assert_non_null(strstr(r.err, "invalid --cpu-sample '0'"));
	assert_null(strchr(strchr(r.err, '\n') + 1, '\n'));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_static_command), cmocka_unit_test(test_pie_command),
		cmocka_unit_test(test_pid),	       cmocka_unit_test(test_whole_machine),
		cmocka_unit_test(test_off_by_default), cmocka_unit_test(test_bad_rate),
		cmocka_unit_test(test_report_without_samples),
	};

	return cmocka_run_group_tests_name("integration_cpu_samples", tests, NULL, NULL);
}
