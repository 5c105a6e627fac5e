// SPDX-License-Identifier: MIT
/*
 * The Prometheus exposition text: exact values, true upper bounds at every
 * le, escaping, duplicate stage names summed, the listen-address parser, and
 * the whole text validated by promtool.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "lib/helper.h"
#include "output/metrics_text.h"
#include "output/prometheus_server.h"
#include "probes/syscall_table.h"

static char *stage_name_a = "stage_a", *stage_name_b = "ns::F<\"x\">(int)";
static char *binary = "/usr/bin/app";

static void fill(struct profile *p, struct stage_table *t, const char *comm)
{
	struct proc_profile *pp = profile_proc(p, 42, true);
	struct syscall_counters *w = &pp->sys[syscall_nr("write")];
	static const uint64_t obs[] = { 100, 255, 256, 511, 512, 1000, 5000, 2000000000ULL };
	struct stage_counters *s;

	snprintf(pp->comm, sizeof(pp->comm), "%s", comm);
	for (size_t i = 0; i < sizeof(obs) / sizeof(obs[0]); i++) {
		hist_record(proc_hist(w), obs[i]);
		w->time_ns += obs[i];
	}
	w->count = 8;
	w->errors = 1;
	w->bytes = 700;
	pp->sys[syscall_nr("getpid")].count = 3;

	/* Two functions with the same name in one binary (static functions of
	 * two files), and a C++ name with quotes. */
	t->n = 3;
	t->v = calloc(3, sizeof(*t->v));
	t->v[0].name = stage_name_a;
	t->v[1].name = stage_name_b;
	t->v[2].name = stage_name_a;
	for (int i = 0; i < 3; i++)
		t->v[i].binary = binary;
	for (uint32_t id = 0; id < 3; id++) {
		s = proc_stage(pp, id);
		s->calls = 2;
		s->total_ns = 3000 + id;
		s->self_ns = 1000;
		s->calls_clamped = id + 1;
		s->calls_unfinished = 2 * id + 1;
		s->io_ops = 1;
		s->io_bytes_read = 10;
		s->io_bytes_written = 20;
		s->hist = calloc(1, sizeof(*s->hist));
		hist_record(s->hist, 1000);
		hist_record(s->hist, 2000 + id);
	}
	p->audit[AUDIT_IO_MAP_FULL] = 5;
	p->audit[AUDIT_EXIT_WITHOUT_ENTER] = 1;
}

static char *render(const char *comm, struct profile *p, struct stage_table *t)
{
	struct self_cost self;
	struct metrics_input in = { p, t, 9, &self };
	size_t len;
	char *text;

	profile_init(p);
	memset(t, 0, sizeof(*t));
	fill(p, t, comm);
	self_cost_read(&self);
	text = metrics_render(&in, &len);
	assert_non_null(text);
	assert_int_equal(strlen(text), len);
	return text;
}

static void done(char *text, struct profile *p, struct stage_table *t)
{
	free(text);
	free(t->v);
	profile_free(p);
}

/* The whole line is in the text (lines are compared whole). */
static void expect_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *at = text; (at = strstr(at, line)); at++)
		if ((at == text || at[-1] == '\n') && at[n] == '\n')
			return;
	fail_msg("line missing: %s", line);
}

static int occurrences(const char *text, const char *s)
{
	int n = 0;

	for (const char *at = text; (at = strstr(at, s)); at++)
		n++;
	return n;
}

static void test_counters_exact(void **state)
{
	struct profile p;
	struct stage_table t;
	char *text = render("app", &p, &t);

	expect_line(text, "bpfprof_syscalls_total{pid=\"42\",comm=\"app\",syscall=\"write\"} 8");
	expect_line(text, "bpfprof_syscalls_total{pid=\"42\",comm=\"app\",syscall=\"getpid\"} 3");
	expect_line(text,
		    "bpfprof_syscall_errors_total{pid=\"42\",comm=\"app\",syscall=\"write\"} 1");
	expect_line(text,
		    "bpfprof_syscall_seconds_total{pid=\"42\",comm=\"app\",syscall=\"write\"} "
		    "2.000007634");
	expect_line(text, "bpfprof_io_bytes_total{pid=\"42\",comm=\"app\",syscall=\"write\","
			  "direction=\"write\"} 700");
	/* Not an I/O syscall: no bytes, no histogram. */
	assert_null(
		strstr(text, "bpfprof_io_bytes_total{pid=\"42\",comm=\"app\",syscall=\"getpid\""));
	expect_line(text, "bpfprof_lost_total 5");
	expect_line(text, "bpfprof_audit_events_total{event=\"io_lost_map_full\",loss=\"true\"} 5");
	expect_line(text, "bpfprof_audit_events_total{event=\"syscalls_in_flight_at_attach\","
			  "loss=\"false\"} 1");
	expect_line(text, "bpfprof_flushes_total 9");
	expect_line(text, "bpfprof_processes 1");
	assert_non_null(strstr(text, "\nbpfprof_self_cpu_seconds_total{mode=\"user\"} "));
	assert_non_null(strstr(text, "\nbpfprof_self_resident_memory_bytes "));
	/* Every family has HELP and TYPE, once each. */
	for (const char *at = text; (at = strstr(at, "# TYPE ")); at++) {
		char name[128], help[160];

		assert_int_equal(sscanf(at, "# TYPE %127s", name), 1);
		snprintf(help, sizeof(help), "# HELP %s ", name);
		assert_int_equal(occurrences(text, help), 1);
		snprintf(help, sizeof(help), "# TYPE %s ", name);
		assert_int_equal(occurrences(text, help), 1);
	}
	done(text, &p, &t);
}

/* Observations 100, 255, 256, 511, 512, 1000, 5000 ns and 2 s: each le
 * (2^k - 1 ns) counts exactly those at or below it. */
static void test_histogram_bounds_exact(void **state)
{
	static const struct {
		const char *le;
		int count;
	} want[] = {
		{ "0.000000255", 2 }, { "0.000000511", 4 }, { "0.000001023", 6 },
		{ "0.000002047", 6 }, { "0.000004095", 6 }, { "0.000008191", 7 },
		{ "1.073741823", 7 }, { "2.147483647", 8 }, { "68.719476735", 8 },
		{ "+Inf", 8 },
	};
	struct profile p;
	struct stage_table t;
	char *text = render("app", &p, &t), line[256];
	const char *pfx = "bpfprof_syscall_duration_seconds";
	int buckets = 0;

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		snprintf(line, sizeof(line),
			 "%s_bucket{pid=\"42\",comm=\"app\",syscall=\"write\",le=\"%s\"} %d", pfx,
			 want[i].le, want[i].count);
		expect_line(text, line);
	}
	snprintf(line, sizeof(line), "%s_count{pid=\"42\",comm=\"app\",syscall=\"write\"} 8", pfx);
	expect_line(text, line);
	snprintf(line, sizeof(line),
		 "%s_sum{pid=\"42\",comm=\"app\",syscall=\"write\"} 2.000007634", pfx);
	expect_line(text, line);
	for (const char *at = text; (at = strstr(at, "_bucket{pid=\"42\",comm=\"app\",syscall"));
	     at++)
		buckets++;
	assert_int_equal(buckets, METRICS_LE_LAST_OCTAVE - METRICS_LE_FIRST_OCTAVE + 2);
	done(text, &p, &t);
}

static void test_stages_merged_and_escaped(void **state)
{
	struct profile p;
	struct stage_table t;
	char *text = render("app", &p, &t);
	const char *a = "pid=\"42\",comm=\"app\",stage=\"stage_a\",binary=\"/usr/bin/app\"";
	const char *b =
		"pid=\"42\",comm=\"app\",stage=\"ns::F<\\\"x\\\">(int)\",binary=\"/usr/bin/app\"";
	char line[512];

	/* Stages 0 and 2 share name and binary: one series, summed. */
	snprintf(line, sizeof(line), "bpfprof_stage_calls_total{%s} 4", a);
	expect_line(text, line);
	snprintf(line, sizeof(line), "bpfprof_stage_calls_clamped_total{%s} 4", a);
	expect_line(text, line);
	snprintf(line, sizeof(line), "bpfprof_stage_calls_unfinished_total{%s} 6", a);
	expect_line(text, line);
	snprintf(line, sizeof(line), "bpfprof_stage_calls_unfinished_total{%s} 3", b);
	expect_line(text, line);
	snprintf(line, sizeof(line), "bpfprof_stage_seconds_total{%s} 0.000006002", a);
	expect_line(text, line);
	snprintf(line, sizeof(line), "bpfprof_stage_self_seconds_total{%s} 0.000002", a);
	expect_line(text, line);
	snprintf(line, sizeof(line), "bpfprof_stage_io_bytes_total{%s,direction=\"write\"} 40", a);
	expect_line(text, line);
	snprintf(line, sizeof(line),
		 "bpfprof_stage_duration_seconds_bucket{%s,le=\"0.000001023\"} 2", a);
	expect_line(text, line);
	snprintf(line, sizeof(line), "bpfprof_stage_duration_seconds_bucket{%s,le=\"+Inf\"} 4", a);
	expect_line(text, line);
	snprintf(line, sizeof(line), "bpfprof_stage_calls_total{%s} 2", b);
	expect_line(text, line);
	snprintf(line, sizeof(line), "bpfprof_stage_io_operations_total{%s} 1", b);
	expect_line(text, line);
	done(text, &p, &t);
}

static void test_escape_label(void **state)
{
	char out[64];

	assert_int_equal(metrics_escape_label("a\"b\\c\nd", out, sizeof(out)), 10);
	assert_string_equal(out, "a\\\"b\\\\c\\nd");
	/* Valid UTF-8 passes; a stray byte becomes U+FFFD. */
	metrics_escape_label("\xc3\xa9t\xe9", out, sizeof(out));
	assert_string_equal(out, "\xc3\xa9t\xef\xbf\xbd");
	/* Overlong and surrogate forms are not UTF-8. */
	metrics_escape_label("\xc0\xaf", out, sizeof(out));
	assert_string_equal(out, "\xef\xbf\xbd\xef\xbf\xbd");
	metrics_escape_label("\xed\xa0\x80", out, sizeof(out));
	assert_string_equal(out, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	/* Truncated, still terminated, and the needed length returned. */
	assert_int_equal(metrics_escape_label("\"\"\"\"", out, 4), 8);
	assert_string_equal(out, "\\\"");
}

static void test_seconds(void **state)
{
	char b[32];

	assert_string_equal(metrics_seconds(0, b, sizeof(b)), "0");
	assert_string_equal(metrics_seconds(1, b, sizeof(b)), "0.000000001");
	assert_string_equal(metrics_seconds(1500000000, b, sizeof(b)), "1.5");
	assert_string_equal(metrics_seconds(68719476735ULL, b, sizeof(b)), "68.719476735");
}

static void expect_listen(const char *spec, int family, const char *addr, int port)
{
	struct prom_listen l;
	char err[256], host[64];

	if (prom_parse_listen(spec, &l, err, sizeof(err)))
		fail_msg("%s: %s", spec, err);
	assert_int_equal(l.addr.ss_family, family);
	if (family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)&l.addr;

		inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
		assert_int_equal(ntohs(a->sin_port), port);
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&l.addr;

		inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
		assert_int_equal(ntohs(a->sin6_port), port);
	}
	assert_string_equal(host, addr);
}

static void test_listen_spec(void **state)
{
	static const char *const bad[] = { "",		"x",	       "9464x",	     "-1",
					   "65536",	"1.2.3.4:",    ":9464",	     "[::1]",
					   "[::1:9464", "localhost:1", "300.1.2.3:1" };
	struct prom_listen l;
	char err[256];

	/* A port alone is loopback only. */
	expect_listen("9464", AF_INET, "127.0.0.1", 9464);
	expect_listen("0", AF_INET, "127.0.0.1", 0);
	expect_listen("0.0.0.0:9100", AF_INET, "0.0.0.0", 9100);
	expect_listen("[::1]:9464", AF_INET6, "::1", 9464);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (!prom_parse_listen(bad[i], &l, err, sizeof(err)))
			fail_msg("'%s' accepted", bad[i]);
		assert_non_null(strstr(err, "--prometheus"));
		assert_null(strchr(err, '\n'));
	}
}

/* promtool, the Prometheus project's own checker, accepts the text (and a
 * comm with every character that needs escaping). */
static void test_promtool_accepts(void **state)
{
	struct profile p;
	struct stage_table t;
	char *text = render("a\"b\\c\nd\xff", &p, &t);
	char dir[64], path[128], cmd[512];
	FILE *f;
	int rc;

	helper_tmpdir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/metrics.txt", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "promtool check metrics < %s 2>&1", path);
	rc = system(cmd);
	if (rc != 0)
		fail_msg("promtool check metrics failed (status %d) on %s", rc, path);
	helper_rmtree(dir);
	done(text, &p, &t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counters_exact),
		cmocka_unit_test(test_histogram_bounds_exact),
		cmocka_unit_test(test_stages_merged_and_escaped),
		cmocka_unit_test(test_escape_label),
		cmocka_unit_test(test_seconds),
		cmocka_unit_test(test_listen_spec),
		cmocka_unit_test(test_promtool_accepts),
	};

	return cmocka_run_group_tests_name("metrics_text", tests, NULL, NULL);
}
