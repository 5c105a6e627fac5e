// SPDX-License-Identifier: MIT
/*
 * --cpu-sample without BPF: the symbolizer on this very process (a PIE
 * linked with shared libraries) and the kernel's symbols; samples.jsonl
 * read back by the report (a copy of the committed run directory plus a
 * samples file of known stacks) and written as folded text, a flame graph
 * and a pprof profile decoded again with protobuf-c; every kind of bad
 * samples file as one line and exit status 1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include "lib/helper.h"
#include "lib/report_helper.h"
#include "report/report.h"
#include "samples/stack_symbols.h"
#include "pprof/profile.pb-c.h"

__attribute__((noinline)) int sampled_function(int x)
{
	__asm__ volatile("" : "+r"(x));
	return x + 1;
}

/* A return address inside sampled_function (as a caller frame would be):
 * one byte past its first instruction. */
static void test_symbolize_self(void **state)
{
	struct stack_symbols *s = stack_symbols_new();
	uint64_t addr = (uint64_t)(uintptr_t)&sampled_function;
	size_t loaded;

	assert_non_null(s);
	assert_string_equal(stack_symbols_user(s, getpid(), addr, false), "sampled_function");
	assert_string_equal(stack_symbols_user(s, getpid(), addr + 1, true), "sampled_function");
	/* libc, a shared library: its exported functions at least (getpid
	 * is an alias of __getpid there; either name). */
	assert_non_null(strstr(stack_symbols_user(s, getpid(), (uint64_t)(uintptr_t)&getpid, false),
			       "getpid"));
	/* No mapping there. */
	assert_string_equal(stack_symbols_user(s, getpid(), 8, false), "[unknown]");
	/* Loaded once each: the binary and libc at least, and the same
	 * lookups again load nothing more (how many files there are depends on
	 * the build: a sanitizer's runtime adds some). */
	loaded = stack_symbols_files_loaded(s);
	assert_true(loaded >= 2);
	assert_string_equal(stack_symbols_user(s, getpid(), addr, false), "sampled_function");
	assert_non_null(strstr(stack_symbols_user(s, getpid(), (uint64_t)(uintptr_t)&getpid, false),
			       "getpid"));
	assert_int_equal(stack_symbols_files_loaded(s), loaded);
	stack_symbols_free(s);
}

/* Where main returns to: inside libc's __libc_start_call_main, a local
 * function that only libc's debug file (libc6-dbg) names. */
static uint64_t main_return;

static void test_symbolize_debug_file(void **state)
{
	struct stack_symbols *s = stack_symbols_new();

	assert_non_null(s);
	assert_string_equal(stack_symbols_user(s, getpid(), main_return, true),
			    "__libc_start_call_main");
	stack_symbols_free(s);
}

static void test_roots(void **state)
{
	assert_true(stack_symbols_is_root("_start"));
	assert_true(stack_symbols_is_root("start_thread"));
	assert_true(stack_symbols_is_root("__libc_start_call_main"));
	assert_false(stack_symbols_is_root("main"));
	assert_false(stack_symbols_is_root("spin_a"));
}

static const char samples_file[] =
	"{\"schema\":\"bpfprof.samples.v1\",\"hz\":99,\"samples\":100,"
	"\"samples_stack_cut_short\":5}\n"
	"{\"pid\":7,\"comm\":\"app\",\"stage\":\"handle\",\"count\":60,\"cut_short\":false,"
	"\"user\":[\"main\",\"handle\",\"parse\"],\"kernel\":[]}\n"
	"{\"pid\":7,\"comm\":\"app\",\"stage\":\"handle\",\"count\":15,\"cut_short\":false,"
	"\"user\":[\"main\",\"handle\"],\"kernel\":[\"entry_SYSCALL_64\",\"ksys_write\"]}\n"
	"{\"pid\":7,\"comm\":\"app\",\"stage\":null,\"count\":20,\"cut_short\":false,"
	"\"user\":[\"main\",\"idle<T>\"],\"kernel\":[]}\n"
	"{\"pid\":8,\"comm\":\"other\",\"stage\":null,\"count\":5,\"cut_short\":true,"
	"\"user\":[\"[libc.so.6]\"],\"kernel\":[]}\n";

/* A copy of the committed run with samples.jsonl holding text. */
static void run_dir_with(char *dir, size_t len, const char *text)
{
	char src[512], path[600];
	FILE *f;

	helper_tmpdir(dir, len);
	snprintf(src, sizeof(src), "%s/tests/fixtures/report_run",
		 getenv("BPFPROF_SRC") ? getenv("BPFPROF_SRC") : ".");
	copy_dir(src, dir);
	snprintf(path, sizeof(path), "%s/samples.jsonl", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static void test_folded_and_flame(void **state)
{
	char dir[64], folded[128], flame[128];
	struct captured c;
	size_t len;
	char *text;

	run_dir_with(dir, sizeof(dir), samples_file);
	snprintf(folded, sizeof(folded), "%s/out.folded", dir);
	snprintf(flame, sizeof(flame), "%s/out.svg", dir);
	report_run(&c, dir, "--folded", folded, "--flame", flame, NULL);
	assert_int_equal(c.status, 0);
	assert_string_equal(c.out, ""); /* no text report when writing files only */
	captured_free(&c);
	text = slurp(folded, &len);
	assert_string_equal(text, "app;main;handle;parse 60\n"
				  "app;main;handle;entry_SYSCALL_64_[k];ksys_write_[k] 15\n"
				  "app;main;idle<T> 20\n"
				  "other;[libc.so.6] 5\n");
	free(text);
	text = slurp(flame, &len);
	assert_non_null(strstr(text, "<svg xmlns=\"http://www.w3.org/2000/svg\""));
	assert_non_null(strstr(text, "100 samples at 99 Hz"));
	/* Escaped, and the widths are the shares: handle 75 of 100. */
	assert_non_null(strstr(text, "data-n=\"idle&lt;T&gt;\""));
	assert_non_null(strstr(text, "data-w=\"0.750000000\" data-d=\"3\" data-n=\"handle\""));
	assert_non_null(strstr(text, "data-n=\"ksys_write [k]\""));
	assert_non_null(strstr(text, "<script><![CDATA["));
	assert_null(strstr(text, "http://www.w3.org/1999")); /* nothing fetched */
	free(text);
	helper_rmtree(dir);
}

/* The pprof file decoded with protobuf-c: values, functions, labels. */
static void test_pprof(void **state)
{
	char dir[64], path[128];
	Perftools__Profiles__Profile *p;
	struct captured c;
	uint8_t *raw;
	size_t len;
	uLongf out_len = 1 << 20;
	z_stream z = {};
	char *gz;
	int64_t per_stage[2] = { 0, 0 }; /* handle, (none) */
	int64_t parse_self = 0;

	run_dir_with(dir, sizeof(dir), samples_file);
	snprintf(path, sizeof(path), "%s/cpu.pb.gz", dir);
	report_run(&c, dir, "--pprof", path, NULL);
	assert_int_equal(c.status, 0);
	captured_free(&c);
	gz = slurp(path, &len);
	raw = malloc(out_len);
	assert_non_null(raw);
	assert_int_equal(inflateInit2(&z, 15 + 16), Z_OK);
	z.next_in = (uint8_t *)gz;
	z.avail_in = (uInt)len;
	z.next_out = raw;
	z.avail_out = (uInt)out_len;
	assert_int_equal(inflate(&z, Z_FINISH), Z_STREAM_END);
	out_len = z.total_out;
	inflateEnd(&z);
	p = perftools__profiles__profile__unpack(NULL, out_len, raw);
	assert_non_null(p);
	assert_string_equal(p->string_table[0], "");
	assert_int_equal(p->n_sample_type, 2);
	assert_string_equal(p->string_table[p->sample_type[0]->type], "samples");
	assert_string_equal(p->string_table[p->sample_type[1]->unit], "nanoseconds");
	assert_int_equal(p->period, 1000000000 / 99);
	assert_int_equal(p->n_sample, 4);
	for (size_t i = 0; i < p->n_sample; i++) {
		const Perftools__Profiles__Sample *s = p->sample[i];
		const char *stage = NULL, *leaf;
		uint64_t leaf_loc = s->location_id[0];

		assert_int_equal(s->n_value, 2);
		assert_int_equal(s->value[1], s->value[0] * (1000000000 / 99));
		for (size_t k = 0; k < s->n_label; k++)
			if (!strcmp(p->string_table[s->label[k]->key], "stage"))
				stage = p->string_table[s->label[k]->str];
		assert_non_null(stage); /* on every sample */
		per_stage[strcmp(stage, "handle") ? 1 : 0] += s->value[0];
		/* Location ids are function ids here: leaf first. */
		leaf = p->string_table[p->function[leaf_loc - 1]->name];
		if (!strcmp(leaf, "parse"))
			parse_self += s->value[0];
	}
	assert_int_equal(per_stage[0], 75);
	assert_int_equal(per_stage[1], 25);
	assert_int_equal(parse_self, 60);
	perftools__profiles__profile__free_unpacked(p, NULL);
	free(raw);
	free(gz);
	helper_rmtree(dir);
}

static void expect_bad(const char *text, const char *needle)
{
	char dir[64];
	struct captured c;

	run_dir_with(dir, sizeof(dir), text);
	report_run(&c, dir, "--folded", "/dev/null", NULL);
	assert_int_equal(c.status, 1);
	expect_one_error_line(&c, needle);
	captured_free(&c);
	/* The plain report refuses the directory as well. */
	report_run(&c, dir, NULL);
	assert_int_equal(c.status, 1);
	captured_free(&c);
	helper_rmtree(dir);
}

static void test_bad_files(void **state)
{
	expect_bad("", "is empty");
	expect_bad("{\"schema\":\"bpfprof.flush.v1\"}\n", "expected schema bpfprof.samples.v1");
	expect_bad("not json\n", "line 1: not a JSON object");
	expect_bad("{\"schema\":\"bpfprof.samples.v1\",\"hz\":99,\"samples\":1}\n"
		   "{\"pid\":1,\"comm\":\"a\",\"stage\":null,\"count\":0,\"user\":[],\"kernel\":[]}\n",
		   "line 2: expected pid, comm, stage, count > 0");
	expect_bad("{\"schema\":\"bpfprof.samples.v1\",\"hz\":99,\"samples\":1}\n"
		   "{\"pid\":1,\"comm\":\"a\",\"stage\":null,\"count\":1,\"user\":[3],\"kernel\":[]}\n",
		   "line 2: a frame is not a string");
	expect_bad("{\"schema\":\"bpfprof.samples.v1\",\"hz\":99,\"samples\":9}\n"
		   "{\"pid\":1,\"comm\":\"a\",\"stage\":null,\"count\":1,\"user\":[],\"kernel\":[]}\n",
		   "the lines count 1 samples, its header 9");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_symbolize_self), cmocka_unit_test(test_symbolize_debug_file),
		cmocka_unit_test(test_roots),
		cmocka_unit_test(test_folded_and_flame), cmocka_unit_test(test_pprof),
		cmocka_unit_test(test_bad_files),
	};

	main_return = (uint64_t)(uintptr_t)__builtin_return_address(0);
	return cmocka_run_group_tests_name("unit_samples", tests, NULL, NULL);
}
