// SPDX-License-Identifier: MIT
/* JSON records, escaping, and the output files' all-or-nothing writes. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "lib/helper.h"
#include "output/output_files.h"
#include "output/records.h"
#include "probes/syscall_table.h"

static struct proc_profile *sample_proc(struct profile *p, const char *comm)
{
	struct proc_profile *pp = profile_proc(p, 42, true);
	struct syscall_counters *w = &pp->sys[syscall_nr("pread64")];

	snprintf(pp->comm, sizeof(pp->comm), "%s", comm);
	w->count = 4;
	w->bytes = 4 * 4096;
	w->errors = 1;
	w->time_ns = 4000;
	w->max_ns = 1300;
	for (int i = 0; i < 4; i++)
		hist_record(proc_hist(w), 700 + 200 * i);
	pp->sys[syscall_nr("getpid")].count = 2;
	return pp;
}

/* A comm can hold anything a process puts there: it must round-trip. */
static void test_proc_json_escapes_and_round_trips(void **state)
{
	static const char evil[] = "a\"b\\c\n\t\x01z";
	struct profile p;
	json_t *j, *back;
	char *s;

	profile_init(&p);
	j = proc_to_json(sample_proc(&p, evil), NULL);
	s = json_dumps(j, JSON_OUT_FLAGS);
	assert_non_null(s);
	assert_null(strchr(s, '\n'));
	assert_non_null(strstr(s, "\\u0001"));
	back = json_loads(s, 0, NULL);
	assert_non_null(back);
	assert_string_equal(json_string_value(json_object_get(back, "comm")), evil);
	assert_int_equal(helper_int(back, "pid"), 42);
	assert_int_equal(helper_int(back, "syscalls.pread64.count"), 4);
	assert_int_equal(helper_int(back, "syscalls.getpid.count"), 2);
	assert_int_equal(helper_int(back, "io.pread64.ops"), 4);
	assert_int_equal(helper_int(back, "io.pread64.bytes"), 16384);
	assert_int_equal(helper_int(back, "io.pread64.errors"), 1);
	assert_int_equal(helper_int(back, "io.pread64.latency_ns.max"), 1300);
	assert_int_equal(helper_int(back, "io.pread64.latency_ns.p99"), 1300);
	assert_true(helper_int(back, "io.pread64.latency_ns.p50") >= 850);
	assert_true(helper_int(back, "io.pread64.latency_ns.p50") <= 950);
	assert_null(json_object_get(json_object_get(back, "io"), "getpid"));
	assert_int_equal(helper_int(back, "io_totals.bytes_read"), 16384);
	assert_int_equal(helper_int(back, "io_totals.bytes_written"), 0);
	free(s);
	json_decref(j);
	json_decref(back);
	profile_free(&p);
}

static void test_summary_and_flush_shape(void **state)
{
	char *argv[] = { "cmd", "with \"quotes\"", NULL };
	struct run_info ri;
	struct profile p;
	json_t *sum, *fl;

	profile_init(&p);
	sample_proc(&p, "x");
	p.audit[AUDIT_IO_MAP_FULL] = 3;
	p.audit[AUDIT_EXIT_WITHOUT_ENTER] = 1;
	run_info_init(&ri);
	ri.mode = TARGET_COMMAND;
	ri.pid = 42;
	ri.argv = argv;
	ri.exit_status = 0;
	ri.end_reason = "target exited";
	sum = summary_to_json(&ri, &p, NULL, 1.5, 7);
	assert_string_equal(json_string_value(json_object_get(sum, "schema")), "bpfprof.summary.v1");
	assert_string_equal(json_string_value(json_object_get(json_object_get(sum, "target"), "mode")),
			    "command");
	assert_string_equal(json_string_value(json_array_get(
				    json_object_get(json_object_get(sum, "target"), "argv"), 1)),
			    "with \"quotes\"");
	assert_int_equal(helper_int(sum, "audit.flushes"), 7);
	/* In-flight syscalls are a fact, not a loss. */
	assert_int_equal(helper_int(sum, "audit.lost_total"), 3);
	assert_int_equal(helper_int(sum, "audit.io_lost_map_full"), 3);
	assert_int_equal(helper_int(sum, "audit.syscalls_in_flight_at_attach"), 1);
	assert_int_equal(helper_int(sum, "audit.syscalls_lost_map_full"), 0);
	assert_non_null(json_string_value(json_object_get(json_object_get(sum, "host"), "kernel")));
	assert_int_equal(strlen(json_string_value(json_object_get(sum, "started_at"))), 24);

	fl = flush_to_json(3, 1700000000.25, 0.5, &p, NULL);
	assert_string_equal(json_string_value(json_object_get(fl, "schema")), "bpfprof.flush.v1");
	assert_int_equal(helper_int(fl, "flush_index"), 3);
	assert_true(json_real_value(json_object_get(fl, "timestamp")) == 1700000000.25);
	/* A flush counter would not sum across records: only the summary has it. */
	assert_null(json_object_get(json_object_get(fl, "audit"), "flushes"));
	assert_int_equal(json_array_size(json_object_get(fl, "processes")), 1);
	json_decref(sum);
	json_decref(fl);
	profile_free(&p);
}

/* How the target ended: the summary's target.ended and the line on stderr. */
static void test_target_end(void **state)
{
	struct run_info ri;
	struct profile p;
	char text[128];
	json_t *sum;

	profile_init(&p);
	run_info_init(&ri);
	ri.mode = TARGET_PID;
	ri.pid = 4242;
	run_info_end_text(&ri, text, sizeof(text));
	assert_string_equal(text, ""); /* still running */
	sum = summary_to_json(&ri, &p, NULL, 1, 1);
	assert_null(json_object_get(json_object_get(sum, "target"), "ended"));
	assert_null(json_object_get(json_object_get(sum, "target"), "exit_status"));
	json_decref(sum);

	run_info_set_end(&ri, SIGSEGV, 3.21); /* a wait status: killed, no core */
	run_info_end_text(&ri, text, sizeof(text));
	assert_string_equal(text, "target 4242 killed by SIGSEGV after 3.2 s");
	sum = summary_to_json(&ri, &p, NULL, 1, 1);
	assert_int_equal(helper_int(sum, "target.exit_status"), 128 + SIGSEGV);
	assert_string_equal(json_string_value(json_object_get(
				    json_object_get(json_object_get(sum, "target"), "ended"), "signal")),
			    "SIGSEGV");
	assert_true(json_is_false(json_object_get(
		json_object_get(json_object_get(sum, "target"), "ended"), "core_dumped")));
	json_decref(sum);

	run_info_set_end(&ri, SIGABRT | 0x80, -1); /* core dumped, time unknown */
	run_info_end_text(&ri, text, sizeof(text));
	assert_string_equal(text, "target 4242 killed by SIGABRT (core dumped)");

	run_info_set_end(&ri, 3 << 8, 0.5);
	run_info_end_text(&ri, text, sizeof(text));
	assert_string_equal(text, "target 4242 exited with status 3 after 0.5 s");
	sum = summary_to_json(&ri, &p, NULL, 1, 1);
	assert_int_equal(helper_int(sum, "target.ended.exit_code"), 3);
	assert_int_equal(helper_int(sum, "target.exit_status"), 3);
	assert_null(json_object_get(json_object_get(json_object_get(sum, "target"), "ended"),
				    "cpu_user_s"));
	json_decref(sum);

	/* A command reaped by bpfprof: its CPU time in all, to the us. */
	ri.mode = TARGET_COMMAND;
	ri.have_cpu = true;
	ri.cpu_user_us = 2410;
	ri.cpu_system_us = 0;
	run_info_end_text(&ri, text, sizeof(text));
	assert_string_equal(text, "target 4242 exited with status 3 after 0.5 s, CPU time "
				  "2.41ms user, 0ns system");
	sum = summary_to_json(&ri, &p, NULL, 1, 1);
	{
		json_t *end = json_object_get(json_object_get(sum, "target"), "ended");

		assert_float_equal(json_real_value(json_object_get(end, "cpu_user_s")), 0.00241,
				   1e-9);
		assert_float_equal(json_real_value(json_object_get(end, "cpu_system_s")), 0, 0);
	}
	json_decref(sum);
	profile_free(&p);
}

static void test_rfc3339(void **state)
{
	char buf[64];

	format_rfc3339(0.5, buf, sizeof(buf));
	assert_string_equal(buf, "1970-01-01T00:00:00.500Z");
	format_rfc3339(1763708526.123, buf, sizeof(buf));
	assert_string_equal(buf, "2025-11-21T07:02:06.123Z");
}

static void test_output_files(void **state)
{
	char dir[64], sub[128], path[256], err[256];
	struct output_files *o;
	json_t *rec = json_pack("{s:i}", "a", 1), *arr;
	struct stat st;

	helper_tmpdir(dir, sizeof(dir));
	snprintf(sub, sizeof(sub), "%s/x/y", dir);
	o = output_open(sub, err, sizeof(err));
	assert_non_null(o);
	assert_int_equal(output_write_flush(o, rec), 0);
	assert_int_equal(output_write_flush(o, rec), 0);
	assert_int_equal(output_write_summary(o, rec), 0);
	assert_int_equal(output_write_failures(o), 0);
	output_close(o);
	snprintf(path, sizeof(path), "%s/flushes.jsonl", sub);
	arr = helper_load_jsonl(path);
	assert_int_equal(json_array_size(arr), 2);
	json_decref(arr);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
	snprintf(path, sizeof(path), "%s/summary.json", sub);
	arr = helper_load_json(path);
	assert_int_equal(helper_int(arr, "a"), 1);
	json_decref(arr);
	snprintf(path, sizeof(path), "%s/.summary.json.tmp", sub);
	assert_false(helper_exists(path));

	/* A run that never started leaves nothing behind. */
	snprintf(sub, sizeof(sub), "%s/new", dir);
	o = output_open(sub, err, sizeof(err));
	assert_non_null(o);
	output_discard(o);
	assert_false(helper_exists(sub));

	/* A file where the directory should be: one line, nothing created. */
	snprintf(path, sizeof(path), "%s/file", dir);
	close(open(path, O_CREAT | O_WRONLY, 0644));
	assert_null(output_open(path, err, sizeof(err)));
	assert_non_null(strstr(err, "not a directory"));
	assert_null(strchr(err, '\n'));
	snprintf(sub, sizeof(sub), "%s/file/below", dir);
	assert_null(output_open(sub, err, sizeof(err)));
	assert_non_null(strstr(err, "cannot create output directory"));

	/* flushes.jsonl as a symlink is not followed. */
	snprintf(sub, sizeof(sub), "%s/link", dir);
	mkdir(sub, 0755);
	snprintf(path, sizeof(path), "%s/link/flushes.jsonl", dir);
	assert_int_equal(symlink("/etc/passwd", path), 0);
	assert_null(output_open(sub, err, sizeof(err)));
	json_decref(rec);
	helper_rmtree(dir);
}

/* The keys of a JSON object, in order, joined by spaces. */
static void keys_of(json_t *obj, char *buf, size_t len)
{
	const char *key;
	json_t *v;
	size_t used = 0;

	buf[0] = '\0';
	json_object_foreach (obj, key, v)
		used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? " " : "", key);
}

/*
 * What the session hands the records: the run's metadata, telemetry, the
 * stage state and the cost, as keys in the order the records have always
 * had them (the summary's "output" last).
 */
static void test_run_records(void **state)
{
	struct run_meta meta = { .hostname = "h", .kernel = "k", .version = "v", .argc = 0 };
	struct telemetry_set telem;
	struct cost_figures f = { .target_syscalls = 10,
				  .stage_calls = 4,
				  .ns_per_syscall = 1.26,
				  .syscall_program_ns = -1,
				  .ns_per_stage_call = -1,
				  .stage_program_ns = -1,
				  .stage_probe_ns = -1,
				  .syscall_cost_ns = 12.6,
				  .stage_cost_ns = -1,
				  .target_cpu_pct = 0.123,
				  .stage_cpu_pct = -1 };
	struct cost_record cost = { .figures = &f,
				    .window = { .stage_calls = 4, .stage_recorded = 3 },
				    .window_s = 0.123456,
				    .windows = 2,
				    .stage_program_runs = 6,
				    .measured = "window",
				    .window_share_pct = 5,
				    .carried_forward = true };
	struct run_record run = { .meta = &meta,
				  .telemetry = &telem,
				  .sample_every = 1,
				  .stages = true,
				  .stages_enabled = true,
				  .stages_on_s = 0.12345,
				  .stage_toggles = 2,
				  .stages_off_by_max_overhead = true,
				  .cost = &cost };
	struct output_record out = { .flush_records_written = 3, .write_error = ENOSPC };
	struct run_info ri;
	struct profile p;
	char keys[512];
	json_t *rec, *sum, *c;

	profile_init(&p);
	run_info_init(&ri);
	assert_int_equal(telemetry_set_init(&telem), 0);
	rec = flush_record_json(1, 1700000000.5, 0.5, &p, NULL, &run);
	keys_of(rec, keys, sizeof(keys));
	assert_string_equal(keys, "schema flush_index timestamp duration_s processes audit run "
				  "telemetry sample_every stages_enabled stages_on_s "
				  "stage_toggles stages_off_by_max_overhead");
	assert_true(json_real_value(json_object_get(rec, "stages_on_s")) == 0.123);
	c = json_object_get(json_object_get(rec, "audit"), "cost");
	keys_of(c, keys, sizeof(keys));
	assert_string_equal(keys, "target_syscalls stage_calls ns_per_syscall syscall_cost_ns "
				  "target_cpu_pct measured window_share_pct window "
				  "carried_forward");
	assert_true(json_real_value(json_object_get(c, "ns_per_syscall")) == 1.3);
	assert_true(json_real_value(json_object_get(c, "target_cpu_pct")) == 0.12);
	assert_int_equal(helper_int(c, "window.stage_calls_recorded"), 3);
	assert_int_equal(helper_int(c, "window.stage_program_runs"), 6);
	assert_true(json_real_value(json_object_get(json_object_get(c, "window"), "seconds")) ==
		    0.1235);
	keys_of(json_object_get(rec, "run"), keys, sizeof(keys));
	assert_string_equal(keys, "hostname kernel bpfprof_version command_line");

	run.stages = false;
	run.cost = NULL;
	telem.untracked = 7;
	sum = summary_record_json(&ri, &p, NULL, 1.0, 2, NULL, &run, &out);
	keys_of(sum, keys, sizeof(keys));
	assert_string_equal(keys, "schema started_at duration_s host target end_reason processes "
				  "audit run telemetry telemetry_untracked_samples sample_every "
				  "output");
	assert_null(json_object_get(json_object_get(sum, "audit"), "cost"));
	assert_int_equal(helper_int(sum, "output.flush_records_written"), 3);
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(sum, "output"), "write_error")),
		strerror(ENOSPC));
	json_decref(rec);
	json_decref(sum);
	telemetry_set_free(&telem);
	profile_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_proc_json_escapes_and_round_trips),
		cmocka_unit_test(test_summary_and_flush_shape),
		cmocka_unit_test(test_target_end),
		cmocka_unit_test(test_rfc3339),
		cmocka_unit_test(test_run_records),
		cmocka_unit_test(test_output_files),
	};

	return cmocka_run_group_tests_name("records", tests, NULL, NULL);
}
