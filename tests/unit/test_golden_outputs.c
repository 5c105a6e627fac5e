// SPDX-License-Identifier: MIT
/*
 * Every output the run itself writes, rendered from one synthetic profile
 * built here (several processes, nested stages with histograms, a stage name
 * shared by two functions, stages in two binaries, I/O) and compared byte for
 * byte with tests/fixtures/golden_outputs: the flush record, summary.json,
 * the plain report, /metrics and live screens. A refactoring must leave
 * them alone; GOLDEN_UPDATE=1 rewrites the files when a change is meant.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/helper.h"
#include "live/live_layout.h"
#include "output/interval_report.h"
#include "output/metrics_text.h"
#include "output/output_files.h"
#include "output/records.h"
#include "probes/syscall_table.h"

#define GOLDEN_DIR "tests/fixtures/golden_outputs"

struct golden {
	struct profile total, prev, delta;
	struct stage_def defs[5];
	struct stage_table stages;
};

/* A fixed sequence per (pid, id, round): a later profile holds every
 * observation of an earlier one, as the kernel's counters do. */
static uint64_t next(uint64_t *s)
{
	*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
	return *s >> 33;
}

/* n observations between lo and lo * 2^spread, log-spread. */
static void observe(struct histogram *h, uint64_t seed, int n, uint64_t lo, int spread,
		    uint64_t *sum, uint64_t *max)
{
	for (int i = 0; i < n; i++) {
		uint64_t v = lo << (next(&seed) % (spread + 1));

		v += next(&seed) % v;
		hist_record(h, v);
		*sum += v;
		if (v > *max)
			*max = v;
	}
}

static void kind_io_add(struct kind_io *k, int nr, uint64_t ops, uint64_t bytes, uint64_t ns)
{
	k->ops += ops;
	k->time_ns += ns;
	if (syscall_io_class(nr) & IO_READ)
		k->bytes_read += bytes;
	else
		k->bytes_written += bytes;
}

/* A split of self time that sums to it: half on CPU, the rest in fixed
 * shares, other takes what rounding left. */
static void add_wall(struct wall_stats *w, uint64_t self, uint64_t faults)
{
	uint64_t on = self / 2, rq = self / 10, io = self / 5, lock = self / 10, sleep = self / 20;

	w->on_cpu_ns += on;
	w->runqueue_ns += rq;
	w->blocked_ns[WALL_BLOCK_IO] += io;
	w->blocked_ns[WALL_BLOCK_LOCK] += lock;
	w->blocked_ns[WALL_BLOCK_SLEEP] += sleep;
	w->blocked_ns[WALL_BLOCK_OTHER] += self - on - rq - io - lock - sleep;
	w->faults_minor += faults;
	w->faults_major += faults / 16;
}

static void add_sys(struct proc_profile *p, const char *name, int rounds, int per_round,
		    uint64_t lo, uint64_t bytes_per_op, int errors_per_round)
{
	int nr = syscall_nr(name);
	struct syscall_counters *c = &p->sys[nr];

	assert_true(nr >= 0);
	for (int r = 0; r < rounds; r++) {
		uint64_t seed = p->pid * 1000003ULL + (uint64_t)nr * 7919 + (uint64_t)r;

		c->count += per_round;
		c->errors += errors_per_round;
		if (!syscall_io_class(nr)) {
			c->time_ns += per_round * lo;
			continue;
		}
		c->bytes += (per_round - errors_per_round) * bytes_per_op;
		/* By kind: positioned I/O on files, the rest on sockets. */
		kind_io_add(&c->kind[name[0] == 'p' ? IO_KIND_FILE : IO_KIND_SOCKET], nr,
			    (uint64_t)per_round, (per_round - errors_per_round) * bytes_per_op,
			    per_round * lo);
		observe(proc_hist(c), seed, per_round, lo, 6, &c->time_ns, &c->max_ns);
	}
}

/* Stage calls; self is what nested timed calls left (self_pct of total). */
static void add_stage(struct proc_profile *p, uint32_t id, int rounds, int per_round, uint64_t lo,
		      int self_pct, uint64_t io_per_call)
{
	struct stage_counters *c = proc_stage(p, id);

	assert_non_null(c);
	for (int r = 0; r < rounds; r++) {
		uint64_t seed = p->pid * 999983ULL + id * 104729ULL + (uint64_t)r * 31;
		uint64_t sum = 0;

		if (!c->hist)
			c->hist = calloc(1, sizeof(*c->hist));
		assert_non_null(c->hist);
		observe(c->hist, seed, per_round, lo, 9, &sum, &c->max_ns);
		c->calls += per_round;
		c->total_ns += sum;
		c->self_ns += sum * self_pct / 100;
		add_wall(&c->wall, sum * self_pct / 100, 3ULL * per_round);
		add_wall(&p->wall, sum * self_pct / 100, 3ULL * per_round);
		c->wall.io[IO_KIND_PIPE].ops += io_per_call * per_round;
		c->wall.io[IO_KIND_PIPE].bytes_read += io_per_call * per_round * 4096;
		c->wall.io[IO_KIND_PIPE].bytes_written += io_per_call * per_round * 512;
		c->wall.io[IO_KIND_PIPE].time_ns += io_per_call * per_round * 2500;
		c->io_ops += io_per_call * per_round;
		c->io_bytes_read += io_per_call * per_round * 4096;
		c->io_bytes_written += io_per_call * per_round * 512;
		c->io_time_ns += io_per_call * per_round * 2500;
	}
}

static void fill(struct profile *prof, int rounds)
{
	struct proc_profile *p;

	profile_init(prof);
	p = profile_proc(prof, 100, true);
	strcpy(p->comm, "server");
	add_sys(p, "read", rounds, 40, 900, 4096, 1);
	add_sys(p, "write", rounds, 25, 1500, 512, 0);
	add_sys(p, "getpid", rounds, 7, 80, 0, 0);
	add_sys(p, "futex", rounds, 3, 20000, 0, 1);
	add_stage(p, 0, rounds, 12, 40000, 30, 2); /* handle_request: calls parse */
	add_stage(p, 1, rounds, 12, 9000, 100, 0); /* parse (parser.c) */
	add_stage(p, 2, rounds, 5, 3000, 100, 0);  /* parse (legacy.c) */
	proc_stage(p, 2)->calls_clamped = 3ULL * rounds; /* below the probes' resolution */
	proc_stage(p, 0)->calls_unfinished = rounds;	 /* left by an exception */
	add_stage(p, 3, rounds, 6, 150000, 80, 1); /* compress, in the library */

	p = profile_proc(prof, 200, true);
	strcpy(p->comm, "worker \"b\"");
	add_sys(p, "pread64", rounds, 30, 5000, 65536, 0);
	add_sys(p, "pwrite64", rounds, 8, 20000, 8192, 2);
	add_sys(p, "nanosleep", rounds, 4, 1000000, 0, 0);
	add_stage(p, 0, rounds, 3, 60000, 50, 3);
	add_stage(p, 3, rounds, 20, 120000, 90, 0);
	add_stage(p, 4, rounds, 2, 2000000, 100, 1); /* flush_all: long calls */
	/* parse (legacy.c) never returned here: listed with its unfinished
	 * calls alone. */
	proc_stage(p, 2)->calls_unfinished = rounds;

	/* The same at every reading: no activity in an interval. */
	p = profile_proc(prof, 300, true);
	strcpy(p->comm, "idle");
	add_sys(p, "getpid", 1, 2, 80, 0, 0);
	add_sys(p, "read", 1, 1, 700, 10, 0);
	/* I/O under a stage with no call ended yet (the collector gives every
	 * stage it reads a histogram). */
	proc_stage(p, 1)->io_ops = 2;
	proc_stage(p, 1)->io_bytes_read = 20;
	proc_stage(p, 1)->hist = calloc(1, sizeof(struct histogram));

	prof->audit[AUDIT_STAGE_ENTRIES] = 150ULL * rounds;
	prof->audit[AUDIT_STAGE_UNFINISHED] = 2ULL * rounds;
	prof->audit[AUDIT_IO_MAP_FULL] = rounds - 1;
	prof->audit[AUDIT_EXIT_WITHOUT_ENTER] = 3;
	prof->audit[AUDIT_SPAN_WRITTEN] = 40ULL * rounds;
}

static int setup(void **state)
{
	static char *names[] = { "handle_request", "parse", "parse", "compress", "flush_all" };
	static char *bins[] = { "/usr/bin/app", "/usr/bin/app", "/usr/bin/app",
				"/usr/lib/libz.so.1", "/usr/bin/app" };
	struct golden *g = calloc(1, sizeof(*g));

	assert_non_null(g);
	for (int i = 0; i < 5; i++)
		g->defs[i] = (struct stage_def){ .name = names[i], .binary = bins[i] };
	g->stages.v = g->defs;
	g->stages.n = 5;
	fill(&g->total, 3);
	fill(&g->prev, 2);
	profile_init(&g->delta);
	assert_int_equal(profile_delta(&g->delta, &g->total, &g->prev), 0);
	*state = g;
	return 0;
}

static int teardown(void **state)
{
	struct golden *g = *state;

	profile_free(&g->total);
	profile_free(&g->prev);
	profile_free(&g->delta);
	free(g);
	return 0;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0;

	*len = 0;
	if (!f)
		return NULL;
	for (;;) {
		size_t n;

		if (*len == cap) {
			cap = cap ? cap * 2 : 65536;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
		n = fread(buf + *len, 1, cap - *len, f);
		if (!n)
			break;
		*len += n;
	}
	fclose(f);
	return buf;
}

/* got against the committed file; with GOLDEN_UPDATE=1, written to it. */
static void check_golden(const char *name, const char *got, size_t len)
{
	const char *src = getenv("BPFPROF_SRC");
	const char *update = getenv("GOLDEN_UPDATE");
	char path[4096];
	size_t want_len, line = 1, i;
	char *want;

	snprintf(path, sizeof(path), "%s/" GOLDEN_DIR "/%s", src ? src : ".", name);
	if (update && !strcmp(update, "1")) {
		FILE *f = fopen(path, "wb");

		if (!f)
			fail_msg("%s: %s", path, strerror(errno));
		assert_int_equal(fwrite(got, 1, len, f), len);
		assert_int_equal(fclose(f), 0);
		return;
	}
	want = slurp(path, &want_len);
	if (!want)
		fail_msg("%s: %s (GOLDEN_UPDATE=1 writes it)", path, strerror(errno));
	for (i = 0; i < len && i < want_len && got[i] == want[i]; i++)
		if (got[i] == '\n')
			line++;
	free(want);
	if (i != len || len != want_len)
		fail_msg("%s differs from the committed output from line %zu (byte %zu)", name,
			 line, i);
}

static void check_json(const char *name, json_t *j, size_t flags)
{
	char *s;

	assert_non_null(j);
	s = json_dumps(j, flags);
	assert_non_null(s);
	check_golden(name, s, strlen(s));
	free(s);
	json_decref(j);
}

static void test_flush_record(void **state)
{
	struct golden *g = *state;

	check_json("flush.json", flush_to_json(2, 1767225603.125, 1.0, &g->delta, &g->stages),
		   JSON_OUT_FLAGS);
}

static void test_summary(void **state)
{
	struct golden *g = *state;
	static char *argv[] = { "app", "--serve", NULL };
	struct run_info ri = {
		.mode = TARGET_COMMAND,
		.pid = 100,
		.argv = argv,
		.started_at = 1767225600.125,
		.exit_status = 0,
		.wait_status = 0, /* exited with 0 */
		.ended_after_s = 2.5,
		.end_reason = "target exited",
		.follow = true,
	};

	strcpy(ri.hostname, "golden-host");
	strcpy(ri.kernel, "6.18.0-golden");
	check_json("summary.json", summary_to_json(&ri, &g->total, &g->stages, 3.0, 3),
		   JSON_OUT_FLAGS | JSON_INDENT(1));
	/* --sample 4: the calls the kernel recorded are said apart. */
	g->stages.sample_every = 4;
	check_json("summary-sampled.json", summary_to_json(&ri, &g->total, &g->stages, 3.0, 3),
		   JSON_OUT_FLAGS | JSON_INDENT(1));
	g->stages.sample_every = 0;
}

static void test_interval_report(void **state)
{
	struct golden *g = *state;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	interval_report_print(f, "interval 3", &g->delta, 1.0, &g->stages);
	interval_report_print(f, "summary", &g->total, 3.0, &g->stages);
	interval_report_print(f, "without stages", &g->total, 0, NULL);
	assert_int_equal(fclose(f), 0);
	check_golden("interval_report.txt", buf, len);
	free(buf);
}

static void test_metrics(void **state)
{
	struct golden *g = *state;
	struct metrics_input in = { &g->total, &g->stages, 3, NULL };
	size_t len;
	char *text = metrics_render(&in, &len);

	assert_non_null(text);
	check_golden("metrics.txt", text, len);
	free(text);
}

/* Each row as "attr|text". */
static void check_screen(const char *name, const struct live_frame *f, int rows, int cols)
{
	struct live_screen scr = {};
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	assert_non_null(out);
	assert_int_equal(live_screen_resize(&scr, rows, cols), 0);
	assert_int_equal(live_render(f, &scr), 0);
	for (int y = 0; y < scr.rows; y++)
		fprintf(out, "%d|%s\n", scr.attr[y], live_screen_line(&scr, y));
	assert_int_equal(fclose(out), 0);
	check_golden(name, buf, len);
	free(buf);
	live_screen_free(&scr);
}

static void test_live(void **state)
{
	struct golden *g = *state;
	struct live_frame f = {
		.target = "pid 100 (server)",
		.uptime_s = 3.2,
		.interval_s = 1,
		.window_s = 3,
		.started = true,
		.cumulative = true,
		.sort = LIVE_SORT_ACTIVITY,
		.stages_on = 1,
		.total = &g->total,
		.shown = &g->total,
		.stages = &g->stages,
		.events = 1234,
		.events_per_s = 411.3,
		.lost = 2,
		.self_cpu_pct = 0.7,
		.self_rss = 7 << 20,
		.cost = "profiling cost the target about 1.2% of its CPU time",
	};

	check_screen("live-120x40.txt", &f, 40, 120);
	f.cumulative = false;
	f.shown = &g->delta;
	f.window_s = 1;
	f.sort = LIVE_SORT_TIME;
	f.paused = true;
	f.cost = NULL;
	f.message = "sorted by time";
	check_screen("live-100x30-interval.txt", &f, 30, 100);
	f.sort = LIVE_SORT_NAME;
	f.paused = false;
	f.message = NULL;
	f.self_cpu_pct = -1;
	f.self_rss = 0;
	check_screen("live-80x24-name.txt", &f, 24, 80);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flush_record),
		cmocka_unit_test(test_summary),
		cmocka_unit_test(test_interval_report),
		cmocka_unit_test(test_metrics),
		cmocka_unit_test(test_live),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
