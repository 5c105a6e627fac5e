// SPDX-License-Identifier: MIT
/*
 * The stage/I-O view: the quantile set, sums that borrow a lone histogram
 * and own a summed one, grouping by (name, binary) within a process and by
 * stage id across processes.
 */
#include <stdlib.h>
#include <string.h>
#include "lib/helper.h"
#include "collect/stage_view.h"
#include "probes/syscall_table.h"

static void calls(struct proc_profile *p, uint32_t id, uint64_t n, uint64_t ns, uint64_t io_ops)
{
	struct stage_counters *c = proc_stage(p, id);

	assert_non_null(c);
	if (!c->hist)
		c->hist = calloc(1, sizeof(*c->hist));
	assert_non_null(c->hist);
	for (uint64_t i = 0; i < n; i++)
		hist_record(c->hist, ns);
	c->calls += n;
	c->total_ns += n * ns;
	c->self_ns += n * ns / 2;
	if (n && ns > c->max_ns)
		c->max_ns = ns;
	c->io_ops += io_ops;
	c->io_bytes_read += io_ops * 100;
}

static void test_latency(void **state)
{
	struct histogram h = {};
	struct latency l;

	latency_from_hist(&l, NULL, 7);
	for (int q = 0; q < LAT_NQ; q++)
		assert_int_equal(l.q[q], 0);
	assert_int_equal(l.max_ns, 7);
	/* 990 fast calls, 10 slow: p99 is still fast, p99.9 the exact max. */
	for (int i = 0; i < 990; i++)
		hist_record(&h, 1000);
	for (int i = 0; i < 10; i++)
		hist_record(&h, 5000000);
	latency_from_hist(&l, &h, 5000123);
	assert_int_equal(l.q[LAT_P50], hist_quantile(&h, 0.50, 5000123));
	assert_true(l.q[LAT_P99] < 1100);
	assert_int_equal(l.q[LAT_P999], 5000123);
	assert_int_equal(l.max_ns, 5000123);
	assert_string_equal(lat_quantile_names[LAT_P90], "p90");
	assert_string_equal(lat_quantile_names[LAT_P999], "p99.9");
}

static void test_sum(void **state)
{
	struct stage_counters a = { .calls = 2,
				    .total_ns = 10,
				    .max_ns = 6,
				    .io_ops = 1,
				    .calls_clamped = 1,
				    .calls_unfinished = 4 };
	struct stage_counters b = {
		.calls = 3, .total_ns = 30, .max_ns = 20, .calls_clamped = 2, .calls_unfinished = 1
	};
	struct histogram ha = {}, hb = {};
	struct stage_sum s = {};

	hist_record(&ha, 5);
	hist_record(&hb, 20);
	a.hist = &ha;
	b.hist = &hb;
	assert_int_equal(stage_sum_add(&s, &a), 0);
	/* One contributor: its histogram as is, nothing copied. */
	assert_ptr_equal(s.c.hist, &ha);
	assert_false(s.own_hist);
	assert_int_equal(stage_sum_add(&s, &b), 0);
	assert_true(s.own_hist);
	assert_int_equal(hist_count(s.c.hist), 2);
	assert_int_equal(hist_count(&ha), 1); /* the contributor is untouched */
	assert_int_equal(s.c.calls, 5);
	assert_int_equal(s.c.total_ns, 40);
	assert_int_equal(s.c.max_ns, 20);
	assert_int_equal(s.c.io_ops, 1);
	assert_int_equal(s.c.calls_clamped, 3);
	assert_int_equal(s.c.calls_unfinished, 5);
	stage_sum_free(&s);
}

struct fx {
	struct profile p;
	struct stage_def defs[3];
	struct stage_table t;
};

static int setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	struct proc_profile *a, *b;

	fx->defs[0] = (struct stage_def){ .name = "parse", .binary = "/bin/app" };
	fx->defs[1] = (struct stage_def){ .name = "handle", .binary = "/bin/app" };
	fx->defs[2] = (struct stage_def){ .name = "parse", .binary = "/bin/app" };
	fx->t = (struct stage_table){ .v = fx->defs, .n = 3 };
	profile_init(&fx->p);
	a = profile_proc(&fx->p, 10, true);
	b = profile_proc(&fx->p, 20, true);
	calls(a, 0, 4, 1000, 0);
	calls(a, 1, 1, 9000, 2);
	calls(a, 2, 2, 3000, 0);
	calls(b, 0, 6, 2000, 0);
	calls(b, 2, 0, 0, 5); /* I/O, no call finished */
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;

	profile_free(&fx->p);
	free(fx);
	return 0;
}

static void test_by_name(void **state)
{
	struct fx *fx = *state;
	struct stage_view v;

	assert_int_equal(stage_view_by_name(&v, &fx->p, &fx->t), 0);
	/* pid 10: handle, then both parse functions summed; pid 20: parse
	 * (ids 0 and 2, the I/O of 2 with it). */
	assert_int_equal(v.n, 3);
	assert_int_equal(v.v[0].proc->pid, 10);
	assert_string_equal(v.v[0].def->name, "handle");
	assert_int_equal(v.v[1].proc->pid, 10);
	assert_int_equal(v.v[1].id, 0);
	assert_int_equal(v.v[1].sum.c.calls, 6);
	assert_int_equal(v.v[1].sum.c.total_ns, 4 * 1000 + 2 * 3000);
	assert_int_equal(hist_count(v.v[1].sum.c.hist), 6);
	assert_int_equal(v.v[2].proc->pid, 20);
	assert_int_equal(v.v[2].sum.c.calls, 6);
	assert_int_equal(v.v[2].sum.c.io_ops, 5);
	stage_view_free(&v);
	assert_int_equal(stage_view_by_name(&v, &fx->p, NULL), 0);
	assert_int_equal(v.n, 0);
}

static void test_by_id(void **state)
{
	struct fx *fx = *state;
	struct profile empty;
	struct stage_view v;

	assert_int_equal(stage_view_by_id(&v, &fx->p, &fx->p, &fx->t), 0);
	/* Every id someone called, summed over the callers. */
	assert_int_equal(v.n, 3);
	assert_int_equal(v.v[0].id, 0);
	assert_int_equal(v.v[0].sum.c.calls, 10);
	assert_int_equal(v.v[0].sum.c.max_ns, 2000);
	assert_int_equal(hist_count(v.v[0].sum.c.hist), 10);
	assert_null(v.v[0].proc);
	/* id 2: pid 20 has I/O there but no call: not counted. */
	assert_int_equal(v.v[2].sum.c.calls, 2);
	assert_int_equal(v.v[2].sum.c.io_ops, 0);
	stage_view_free(&v);
	/* Rows from one profile, figures from another (the live view's
	 * interval): a row nobody called in it is all zero. */
	profile_init(&empty);
	assert_int_equal(stage_view_by_id(&v, &fx->p, &empty, &fx->t), 0);
	assert_int_equal(v.n, 3);
	assert_int_equal(v.v[1].sum.c.calls, 0);
	assert_null(v.v[1].sum.c.hist);
	stage_view_free(&v);
	profile_free(&empty);
	assert_int_equal(profile_stage_calls(&fx->p), 13);
}

static void test_proc_helpers(void **state)
{
	struct fx *fx = *state;
	struct proc_profile *a = fx->p.procs[0];
	struct stage_table shorter = { .v = fx->defs, .n = 2 };
	int rd = syscall_nr("read"), gp = syscall_nr("getpid");

	assert_int_equal(proc_stage_ids(a, &fx->t), 3);
	assert_int_equal(proc_stage_ids(a, &shorter), 2);
	assert_int_equal(proc_stage_ids(a, NULL), 0);
	a->sys[rd].count = 1;
	assert_false(proc_io_syscall(a, rd)); /* no histogram */
	hist_record(proc_hist(&a->sys[rd]), 100);
	assert_true(proc_io_syscall(a, rd));
	a->sys[gp].count = 1;
	hist_record(proc_hist(&a->sys[gp]), 100);
	assert_false(proc_io_syscall(a, gp)); /* not I/O */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_latency),
		cmocka_unit_test(test_sum),
		cmocka_unit_test_setup_teardown(test_by_name, setup, teardown),
		cmocka_unit_test_setup_teardown(test_by_id, setup, teardown),
		cmocka_unit_test_setup_teardown(test_proc_helpers, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
