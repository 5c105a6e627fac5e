// SPDX-License-Identifier: MIT
/*
 * --events without BPF: the span queue (order, wrap-around, drop-newest
 * accounting, close, a producer and a consumer thread), the JSON line of a
 * span record, the rotating JSONL file (by size, by time, gzip, stale
 * files of an earlier run), and the event options on the command line.
 */
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>
#include "run/args.h"
#include "lib/helper.h"
#include "output/rotating_jsonl.h"
#include "events/span_json.h"
#include "events/span_queue.h"

static struct span_record rec(uint64_t id)
{
	struct span_record r = { .span_id = id, .trace_id = id, .dur_ns = id * 10 };

	return r;
}

static void test_queue_order_wrap_and_drop_newest(void **state)
{
	struct span_queue *q = span_queue_new(4);
	struct span_record in[6], out[8];
	uint64_t next = 1, want = 1;
	bool done;

	assert_non_null(q);
	/* Many laps round the ring: FIFO order survives wrapping. */
	for (int lap = 0; lap < 10; lap++) {
		for (int i = 0; i < 3; i++)
			in[i] = rec(next++);
		assert_int_equal(span_queue_push(q, in, 3), 3);
		assert_int_equal(span_queue_pop(q, out, 2, 0, &done), 2);
		assert_false(done);
		for (int i = 0; i < 2; i++)
			assert_int_equal(out[i].span_id, want++);
		assert_int_equal(span_queue_pop(q, out, 8, 0, &done), 1);
		assert_int_equal(out[0].span_id, want++);
	}
	assert_int_equal(span_queue_dropped(q), 0);

	/* Full: the newest records are the ones dropped. */
	for (int i = 0; i < 6; i++)
		in[i] = rec(100 + i);
	assert_int_equal(span_queue_push(q, in, 6), 4);
	assert_int_equal(span_queue_push(q, in, 1), 0);
	assert_int_equal(span_queue_dropped(q), 3);
	assert_int_equal(span_queue_pop(q, out, 8, 0, &done), 4);
	for (int i = 0; i < 4; i++)
		assert_int_equal(out[i].span_id, 100 + i);

	/* Closed: what was queued still comes out, then done; pushes drop. */
	assert_int_equal(span_queue_push(q, in, 2), 2);
	span_queue_close(q);
	assert_int_equal(span_queue_push(q, in, 2), 0);
	assert_int_equal(span_queue_dropped(q), 5);
	assert_int_equal(span_queue_pop(q, out, 1, 0, &done), 1);
	assert_false(done);
	assert_int_equal(span_queue_pop(q, out, 8, 0, &done), 1);
	assert_true(done);
	assert_int_equal(span_queue_pop(q, out, 8, 0, &done), 0);
	assert_true(done);
	span_queue_free(q);
	assert_null(span_queue_new(0));
}

static void test_queue_pop_deadline(void **state)
{
	struct span_queue *q = span_queue_new(8);
	struct span_record out[1];
	struct timespec ts;
	uint64_t now;
	bool done;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
	/* Empty and open: returns at the deadline with nothing. */
	assert_int_equal(span_queue_pop(q, out, 1, now + 20000000ULL, &done), 0);
	assert_false(done);
	span_queue_free(q);
}

struct producer {
	struct span_queue *q;
	uint64_t n, queued;
};

static void *produce(void *arg)
{
	struct producer *p = arg;
	struct span_record batch[37];

	for (uint64_t id = 1; id <= p->n;) {
		size_t k = 0;

		while (k < 37 && id <= p->n)
			batch[k++] = rec(id++);
		p->queued += span_queue_push(p->q, batch, k);
	}
	span_queue_close(p->q);
	return NULL;
}

/* A reader thread and a writer thread at full speed: every record is either
 * popped (in increasing order) or counted as dropped, exactly. */
static void test_queue_threads_account_exactly(void **state)
{
	struct producer p = { span_queue_new(100), 2000000, 0 };
	struct span_record *out = calloc(64, sizeof(*out));
	uint64_t popped = 0, last = 0;
	bool done = false;
	pthread_t th;

	assert_int_equal(pthread_create(&th, NULL, produce, &p), 0);
	while (!done) {
		size_t n = span_queue_pop(p.q, out, 64, 0, &done);

		for (size_t i = 0; i < n; i++) {
			assert_true(out[i].span_id > last);
			last = out[i].span_id;
		}
		popped += n;
	}
	pthread_join(th, NULL);
	assert_int_equal(popped, p.queued);
	assert_int_equal(popped + span_queue_dropped(p.q), p.n);
	span_queue_free(p.q);
	free(out);
}

static void test_span_json_line(void **state)
{
	struct stage_def defs[2] = {
		{ .name = "ns::f(char const*)", .binary = "/opt/app \"x\"\\bin" },
		{ .name = "g", .binary = "/usr/lib/libz.so.1" },
	};
	struct stage_table t = { defs, 2 };
	struct span_names sn;
	struct span_record r = {
		.span_id = 0xfedcba9876543210ULL,
		.parent_id = 0x0000000100000002ULL,
		.trace_id = 0xffffffffffffffffULL,
		.start_ns = (1ULL << 53) + 1,
		.dur_ns = 12345,
		.io_bytes_read = 7,
		.io_bytes_written = 1ULL << 40,
		.io_time_ns = 99,
		.io_ops = 4000000000U,
		.stage = 0,
		.pid = 4194304,
		.tid = 4194303,
		.on_cpu_ns = 1000,
		.runqueue_ns = 20,
		.blocked_ns = { [WALL_BLOCK_IO] = 300, [WALL_BLOCK_LOCK] = 4000,
				[WALL_BLOCK_SLEEP] = 50000, [WALL_BLOCK_OTHER] = 6 },
		.faults_minor = 4294967295U,
		.faults_major = 2,
		.io_kind = { [IO_KIND_SOCKET] = { 3, 7, 1ULL << 40, 90 },
			     [IO_KIND_TTY] = { 1, 0, 0, 9 } },
	};
	char *buf;
	size_t len;
	json_t *j;
	json_error_t e;

	assert_int_equal(span_names_init(&sn, &t), 0);
	buf = malloc(sn.line_max);
	len = span_json_format(buf, &r, &sn);
	assert_true(len < sn.line_max);
	assert_int_equal(buf[len - 1], '\n');
	assert_null(memchr(buf, '\n', len - 1));
	j = json_loadb(buf, len, 0, &e);
	assert_non_null(j);
	/* The schema first, as in every record bpfprof writes. */
	assert_int_equal(strncmp(buf, "{\"schema\":\"bpfprof.span.v1\",", 28), 0);
	assert_string_equal(json_string_value(json_object_get(j, "span_id")), "fedcba9876543210");
	assert_string_equal(json_string_value(json_object_get(j, "parent_id")), "0000000100000002");
	assert_string_equal(json_string_value(json_object_get(j, "trace_id")), "ffffffffffffffff");
	assert_string_equal(json_string_value(json_object_get(j, "name")), "ns::f(char const*)");
	assert_string_equal(json_string_value(json_object_get(j, "binary")), "/opt/app \"x\"\\bin");
	assert_int_equal(helper_int(j, "pid"), 4194304);
	assert_int_equal(helper_int(j, "tid"), 4194303);
	assert_int_equal(helper_int(j, "dur_ns"), 12345);
	assert_int_equal(helper_int(j, "io.ops"), 4000000000LL);
	assert_int_equal(helper_int(j, "io.bytes_read"), 7);
	assert_int_equal(helper_int(j, "io.bytes_written"), 1LL << 40);
	assert_int_equal(helper_int(j, "io.time_ns"), 99);
	/* Past 2^53 (where doubles stop being exact): still exact. */
	assert_int_equal(helper_int(j, "start_ns"), (1LL << 53) + 1);
	/* The wall split, keyed as a STAGE record's; self time its sum. */
	assert_int_equal(helper_int(j, "self_ns"), 55326);
	assert_int_equal(helper_int(j, "wall.on_cpu_ns"), 1000);
	assert_int_equal(helper_int(j, "wall.runqueue_ns"), 20);
	assert_int_equal(helper_int(j, "wall.blocked_ns"), 54306);
	assert_int_equal(helper_int(j, "wall.blocked.io_ns"), 300);
	assert_int_equal(helper_int(j, "wall.blocked.lock_ns"), 4000);
	assert_int_equal(helper_int(j, "wall.blocked.sleep_ns"), 50000);
	assert_int_equal(helper_int(j, "wall.blocked.other_ns"), 6);
	assert_int_equal(helper_int(j, "faults.minor"), 4294967295LL);
	assert_int_equal(helper_int(j, "faults.major"), 2);
	/* Only the kinds with operations, in the STAGE record's order. */
	assert_int_equal(json_object_size(json_object_get(json_object_get(j, "io"), "by_kind")), 2);
	assert_int_equal(helper_int(j, "io.by_kind.socket.ops"), 3);
	assert_int_equal(helper_int(j, "io.by_kind.socket.bytes_read"), 7);
	assert_int_equal(helper_int(j, "io.by_kind.socket.bytes_written"), 1LL << 40);
	assert_int_equal(helper_int(j, "io.by_kind.socket.time_ns"), 90);
	assert_int_equal(helper_int(j, "io.by_kind.tty.time_ns"), 9);
	assert_non_null(strstr(buf, "\"by_kind\":{\"socket\":{"));
	json_decref(j);

	/* A root: parent null; a stage id outside the table: null names. */
	r.parent_id = 0;
	r.start_ns = 5;
	r.stage = 7;
	len = span_json_format(buf, &r, &sn);
	j = json_loadb(buf, len, 0, &e);
	assert_non_null(j);
	assert_true(json_is_null(json_object_get(j, "parent_id")));
	assert_true(json_is_null(json_object_get(j, "name")));
	assert_true(json_is_null(json_object_get(j, "binary")));
	assert_int_equal(json_object_size(j), 14); /* with self_ns, wall, faults */
	json_decref(j);
	free(buf);
	span_names_free(&sn);
}

/* Each line of a file (gzip or plain: gzread reads both) as JSON; fails the
 * test on a partial or invalid line. Returns the line count. */
static size_t read_lines(const char *path, json_t *into)
{
	gzFile gz = gzopen(path, "rb");
	char line[4096];
	size_t n = 0;

	assert_non_null(gz);
	while (gzgets(gz, line, sizeof(line))) {
		size_t len = strlen(line);
		json_error_t e;
		json_t *j;

		if (!len || line[len - 1] != '\n')
			fail_msg("%s: partial line %zu", path, n + 1);
		j = json_loadb(line, len, 0, &e);
		if (!j)
			fail_msg("%s: line %zu is not JSON: %s", path, n + 1, e.text);
		json_array_append_new(into, j);
		n++;
	}
	assert_int_equal(gzclose(gz), Z_OK);
	return n;
}

static off_t file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) ? -1 : st.st_size;
}

/* Returns the bytes written. */
static size_t write_lines(struct rotating_jsonl *f, int from, int to)
{
	size_t total = 0;
	char line[128];

	for (int i = from; i < to; i++) {
		int len = snprintf(line, sizeof(line), "{\"i\":%d,\"pad\":\"%0*d\"}\n", i,
				   20 + i % 13, 0);

		rjsonl_append(f, line, (size_t)len);
		total += (size_t)len;
		if (i % 7 == 0)
			rjsonl_flush(f);
	}
	rjsonl_flush(f);
	return total;
}

/* Every file named in files, in order, holds complete lines 0..n-1 in order. */
static void check_sequence(const char *dir, json_t *files, int n, off_t max_plain)
{
	json_t *all = json_array(), *name, *j;
	size_t i;
	char path[512];

	json_array_foreach (files, i, name) {
		snprintf(path, sizeof(path), "%s/%s", dir, json_string_value(name));
		if (max_plain && !strstr(path, ".gz"))
			assert_true(file_size(path) <= max_plain);
		read_lines(path, all);
	}
	assert_int_equal(json_array_size(all), n);
	json_array_foreach (all, i, j)
		assert_int_equal(helper_int(j, "i"), (long long)i);
	json_decref(all);
}

/* What output_create_file hands the events writer: a new file. */
static struct rotating_jsonl *
open_rotating(int dirfd, const char *dir, const struct rotate_policy *pol, char *err, size_t errlen)
{
	int fd = openat(dirfd, "ev.jsonl", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0644);

	assert_true(fd >= 0);
	return rjsonl_open(dirfd, dir, "ev.jsonl", fd, pol, err, errlen);
}

static void put_file(const char *dir, const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void put_gz(const char *dir, const char *name, const char *text)
{
	char path[512];
	gzFile gz;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	gz = gzopen(path, "wb");
	assert_non_null(gz);
	gzputs(gz, text);
	assert_int_equal(gzclose(gz), Z_OK);
}

static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	while ((de = readdir(d)))
		n += de->d_name[0] != '.' || (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."));
	closedir(d);
	return n;
}

static void test_rotate_by_bytes(void **state)
{
	struct rotate_policy pol = { .max_bytes = 300 };
	char dir[64], err[256], path[512];
	struct rotating_jsonl *f;
	size_t total;
	int dirfd;
	json_t *files;

	helper_tmpdir(dir, sizeof(dir));
	dirfd = open(dir, O_RDONLY | O_DIRECTORY);
	/* Left by an earlier run: removed, never mixed into this one. */
	put_gz(dir, "ev.jsonl.9.gz", "{\"schema\":\"bpfprof.span.v1\",\"x\":1}\n");
	put_file(dir, "ev.jsonl.10", "{\"schema\":\"bpfprof.span.v1\",\"x\":1}\n");
	put_file(dir, ".ev.jsonl.11.gz.tmp", "");
	snprintf(path, sizeof(path), "%s/ev.jsonl.x", dir); /* not a rotated name: kept */
	close(open(path, O_CREAT | O_WRONLY, 0644));

	f = open_rotating(dirfd, dir, &pol, err, sizeof(err));
	assert_non_null(f);
	total = write_lines(f, 0, 100);
	rjsonl_close(f);
	assert_int_equal(rjsonl_lines_written(f), 100);
	assert_int_equal(rjsonl_lines_failed(f), 0);
	assert_int_equal(rjsonl_failures(f), 0);
	files = rjsonl_files_json(f);
	/* At most 300 bytes a file (checked below): this many files at least. */
	assert_true(json_array_size(files) >= (total + 299) / 300);
	assert_string_equal(json_string_value(json_array_get(files, 0)), "ev.jsonl.1");
	assert_string_equal(json_string_value(json_array_get(files, json_array_size(files) - 1)),
			    "ev.jsonl");
	check_sequence(dir, files, 100, 300);
	assert_true(helper_exists(path));
	snprintf(path, sizeof(path), "%s/ev.jsonl.9.gz", dir);
	assert_false(helper_exists(path));
	assert_int_equal(count_entries(dir), (int)json_array_size(files) + 1);
	json_decref(files);
	rjsonl_free(f);
	close(dirfd);
	helper_rmtree(dir);
}

static void test_rotate_by_time_gzip(void **state)
{
	struct rotate_policy pol = { .max_secs = 0.05, .gzip = true };
	char dir[64], err[256];
	struct rotating_jsonl *f;
	struct timespec ts;
	int dirfd;
	json_t *files, *name;
	size_t i;

	helper_tmpdir(dir, sizeof(dir));
	dirfd = open(dir, O_RDONLY | O_DIRECTORY);
	f = open_rotating(dirfd, dir, &pol, err, sizeof(err));
	assert_non_null(f);
	for (int round = 0; round < 4; round++) {
		write_lines(f, round * 25, round * 25 + 25);
		/* Past the period: the next tick rotates (a file with lines only). */
		usleep(60000);
		clock_gettime(CLOCK_MONOTONIC, &ts);
		rjsonl_tick(f, (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec);
	}
	/* Nothing written since the last rotation: no empty file is rotated. */
	usleep(60000);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	rjsonl_tick(f, (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec);
	rjsonl_close(f);
	files = rjsonl_files_json(f);
	assert_int_equal(json_array_size(files), 5);
	json_array_foreach (files, i, name) {
		char want[32];

		if (i < 4)
			snprintf(want, sizeof(want), "ev.jsonl.%zu.gz", i + 1);
		else
			snprintf(want, sizeof(want), "ev.jsonl");
		assert_string_equal(json_string_value(name), want);
	}
	check_sequence(dir, files, 100, 0);
	/* No plain twin or temp file left once compressed. */
	assert_int_equal(count_entries(dir), 5);
	assert_int_equal(rjsonl_failures(f), 0);
	json_decref(files);
	rjsonl_free(f);
	close(dirfd);
	helper_rmtree(dir);
}

/* A rotated name that is not an earlier run's output (someone's file, a
 * symlink) is refused and left alone. */
static void test_rotating_refuses_foreign_files(void **state)
{
	static const char *const foreign[] = { "ev.jsonl.3", "ev.jsonl.4.gz", "ev.jsonl.5" };
	struct rotate_policy pol = { 0 };
	char dir[64], err[256], path[512];
	int dirfd;

	for (size_t i = 0; i < 3; i++) {
		helper_tmpdir(dir, sizeof(dir));
		dirfd = open(dir, O_RDONLY | O_DIRECTORY);
		snprintf(path, sizeof(path), "%s/%s", dir, foreign[i]);
		if (i == 0)
			put_file(dir, foreign[i], "someone's data\n");
		else if (i == 1)
			put_gz(dir, foreign[i], "{\"schema\":\"other\"}\n");
		else
			assert_int_equal(symlink("/etc/passwd", path), 0);
		assert_null(open_rotating(dirfd, dir, &pol, err, sizeof(err)));
		if (!strstr(err, foreign[i]) || !strstr(err, "not bpfprof's output"))
			fail_msg("case %zu: %s", i, err);
		assert_true(helper_exists(path));
		close(dirfd);
		helper_rmtree(dir);
	}
}

static int parse(struct env *env, char *err, size_t len, char **argv)
{
	int argc = 0;

	while (argv[argc])
		argc++;
	return args_parse(argc, argv, env, err, len);
}

static void test_event_options(void **state)
{
	struct env env;
	char err[256];
	char *ok[] = { "bpfprof",
		       "-o",
		       "d",
		       "-u",
		       "f",
		       "--events",
		       "--events-ring-bytes",
		       "64K",
		       "--events-queue",
		       "10",
		       "--rotate-bytes",
		       "1M",
		       "--rotate-secs",
		       "2.5",
		       "--rotate-gzip",
		       NULL };
	char *dflt[] = { "bpfprof", "-o", "d", "-u", "f", "--events", NULL };
	struct {
		char *argv[10];
		const char *needle;
	} bad[] = {
		{ { "bpfprof", "-u", "f", "--events" }, "--events needs -o" },
		{ { "bpfprof", "-o", "d", "--events" }, "--events needs -u" },
		{ { "bpfprof", "-o", "d", "-u", "f", "--rotate-bytes", "1M" }, "need --events" },
		{ { "bpfprof", "-o", "d", "-u", "f", "--events-queue", "5" }, "need --events" },
		{ { "bpfprof", "-o", "d", "-u", "f", "--events", "--rotate-gzip" },
		  "--rotate-gzip needs" },
		{ { "bpfprof", "--events-ring-bytes", "100" },
		  "invalid --events-ring-bytes '100'" },
		{ { "bpfprof", "--events-ring-bytes", "2G" }, "invalid --events-ring-bytes" },
		{ { "bpfprof", "--events-ring-bytes", "-4096" }, "invalid --events-ring-bytes" },
		{ { "bpfprof", "--events-ring-bytes", "8MB" }, "invalid --events-ring-bytes" },
		{ { "bpfprof", "--events-queue", "0" }, "invalid --events-queue" },
		{ { "bpfprof", "--rotate-bytes", "1x" }, "invalid --rotate-bytes" },
		{ { "bpfprof", "--rotate-bytes", "99999999999999999999" },
		  "invalid --rotate-bytes" },
		{ { "bpfprof", "--rotate-secs", "0" }, "invalid --rotate-secs" },
	};

	assert_int_equal(parse(&env, err, sizeof(err), ok), 0);
	assert_true(env.events);
	assert_int_equal(env.events_ring_bytes, 65536);
	assert_int_equal(env.events_queue, 10);
	assert_int_equal(env.rotate_bytes, 1 << 20);
	assert_true(env.rotate_secs == 2.5);
	assert_true(env.rotate_gzip);
	assert_int_equal(parse(&env, err, sizeof(err), dflt), 0);
	assert_int_equal(env.events_ring_bytes, 8 << 20);
	assert_int_equal(env.events_queue, 65536);
	assert_int_equal(env.rotate_bytes, 0);
	assert_false(env.rotate_gzip);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (!parse(&env, err, sizeof(err), bad[i].argv))
			fail_msg("accepted case %zu", i);
		if (!strstr(err, bad[i].needle))
			fail_msg("case %zu: '%s' lacks '%s'", i, err, bad[i].needle);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_queue_order_wrap_and_drop_newest),
		cmocka_unit_test(test_queue_pop_deadline),
		cmocka_unit_test(test_queue_threads_account_exactly),
		cmocka_unit_test(test_span_json_line),
		cmocka_unit_test(test_rotate_by_bytes),
		cmocka_unit_test(test_rotate_by_time_gzip),
		cmocka_unit_test(test_rotating_refuses_foreign_files),
		cmocka_unit_test(test_event_options),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
