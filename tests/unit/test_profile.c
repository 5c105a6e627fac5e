// SPDX-License-Identifier: MIT
/* Snapshots, interval deltas and I/O totals. */
#include <string.h>
#include "lib/helper.h"
#include "collect/profile.h"
#include "collect/stage_view.h"
#include "probes/syscall_table.h"

static void add_io(struct proc_profile *p, const char *name, uint64_t n, uint64_t bytes,
		   uint64_t ns)
{
	struct syscall_counters *c = &p->sys[syscall_nr(name)];

	c->count += n;
	c->bytes += bytes;
	c->time_ns += n * ns;
	if (ns > c->max_ns)
		c->max_ns = ns;
	for (uint64_t i = 0; i < n; i++)
		hist_record(proc_hist(c), ns);
}

static void test_procs_sorted_and_found(void **state)
{
	struct profile p;
	uint32_t pids[] = {500, 3, 77, 1000, 1};

	profile_init(&p);
	for (int i = 0; i < 5; i++)
		assert_non_null(profile_proc(&p, pids[i], true));
	assert_int_equal(p.n, 5);
	for (size_t i = 1; i < p.n; i++)
		assert_true(p.procs[i - 1]->pid < p.procs[i]->pid);
	assert_ptr_equal(profile_proc(&p, 77, true), profile_find(&p, 77));
	assert_int_equal(p.n, 5);
	assert_null(profile_find(&p, 78));
	assert_null(profile_proc(&p, 78, false));
	profile_free(&p);
	assert_int_equal(p.n, 0);
}

static void test_delta_is_cur_minus_prev(void **state)
{
	struct profile prev, cur, d;
	struct proc_profile *a, *b;
	const struct proc_profile *da;
	int w = syscall_nr("write"), g = syscall_nr("getpid");

	profile_init(&prev);
	profile_init(&cur);
	profile_init(&d);
	a = profile_proc(&prev, 10, true);
	add_io(a, "write", 100, 1000, 500);
	a->sys[g].count = 7;
	b = profile_proc(&prev, 20, true);
	b->sys[g].count = 3;
	prev.audit[AUDIT_SYS_MAP_FULL] = 2;

	/* cur = prev + this interval: 50 more writes at 5 us, 1 more getpid;
	 * pid 20 idle; pid 30 new. */
	a = profile_proc(&cur, 10, true);
	add_io(a, "write", 100, 1000, 500);
	add_io(a, "write", 50, 2500, 5000);
	a->sys[g].count = 8;
	a->sys[g].errors = 1;
	strcpy(a->comm, "a");
	b = profile_proc(&cur, 20, true);
	b->sys[g].count = 3;
	profile_proc(&cur, 30, true)->sys[g].count = 4;
	cur.audit[AUDIT_SYS_MAP_FULL] = 5;

	assert_int_equal(profile_delta(&d, &cur, &prev), 0);
	assert_int_equal(d.n, 2); /* pid 20 did nothing */
	assert_null(profile_find(&d, 20));
	assert_int_equal(profile_find(&d, 30)->sys[g].count, 4);
	da = profile_find(&d, 10);
	assert_string_equal(da->comm, "a");
	assert_int_equal(da->sys[w].count, 50);
	assert_int_equal(da->sys[w].bytes, 2500);
	assert_int_equal(da->sys[w].time_ns, 50 * 5000);
	assert_int_equal(hist_count(da->sys[w].hist), 50);
	/* The maximum grew in this interval: it is exact. */
	assert_int_equal(da->sys[w].max_ns, 5000);
	assert_int_equal(da->sys[g].count, 1);
	assert_int_equal(da->sys[g].errors, 1);
	assert_int_equal(d.audit[AUDIT_SYS_MAP_FULL], 3);
	profile_free(&prev);
	profile_free(&cur);
	profile_free(&d);
}

/* When the interval's calls were all below the run's max, its max is the
 * top of the highest bucket it touched, never above the run's max. */
static void test_interval_max_bounded_by_buckets(void **state)
{
	struct profile prev, cur, d;
	int w = syscall_nr("write");
	uint64_t m;

	profile_init(&prev);
	profile_init(&cur);
	profile_init(&d);
	add_io(profile_proc(&prev, 1, true), "write", 1, 10, 900000);
	add_io(profile_proc(&cur, 1, true), "write", 1, 10, 900000);
	add_io(profile_proc(&cur, 1, true), "write", 10, 10, 2000);
	assert_int_equal(profile_delta(&d, &cur, &prev), 0);
	m = profile_find(&d, 1)->sys[w].max_ns;
	assert_true(m >= 2000 && m < 2000 + 2000 / 16);
	profile_free(&prev);
	profile_free(&cur);
	profile_free(&d);
}

/* A reader can catch the kernel between two field updates: a change in any
 * field, not just the count, must make it into the next delta. */
static void test_delta_sees_every_field(void **state)
{
	struct profile prev, cur, d;
	int g = syscall_nr("getpid");

	profile_init(&prev);
	profile_init(&cur);
	profile_init(&d);
	profile_proc(&prev, 1, true)->sys[g].count = 5;
	profile_proc(&cur, 1, true)->sys[g].count = 5;
	profile_proc(&cur, 1, true)->sys[g].time_ns = 123;
	assert_int_equal(profile_delta(&d, &cur, &prev), 0);
	assert_int_equal(d.n, 1);
	assert_int_equal(profile_find(&d, 1)->sys[g].time_ns, 123);
	assert_int_equal(profile_find(&d, 1)->sys[g].count, 0);
	profile_free(&d);
	/* A stage whose only change is its clamped calls. */
	profile_init(&d);
	proc_stage(profile_proc(&prev, 1, true), 2)->calls = 7;
	proc_stage(profile_proc(&cur, 1, true), 2)->calls = 7;
	proc_stage(profile_proc(&cur, 1, true), 2)->calls_clamped = 3;
	assert_int_equal(profile_delta(&d, &cur, &prev), 0);
	assert_int_equal(profile_find(&d, 1)->stages[2].calls_clamped, 3);
	assert_int_equal(profile_find(&d, 1)->stages[2].calls, 0);
	/* --sample 4: a recorded call stands for 4, clamped or not. */
	profile_scale_stages(&d, 4);
	assert_int_equal(profile_find(&d, 1)->stages[2].calls_clamped, 12);
	profile_free(&d);
	/* A function whose calls all ended without returning: no call, no
	 * histogram, still a change, kept by a merge. */
	profile_init(&d);
	proc_stage(profile_proc(&cur, 1, true), 3)->calls_unfinished = 5;
	assert_int_equal(profile_delta(&d, &cur, &prev), 0);
	assert_int_equal(profile_find(&d, 1)->stages[3].calls_unfinished, 5);
	assert_int_equal(profile_find(&d, 1)->stages[3].calls, 0);
	assert_null(profile_find(&d, 1)->stages[3].hist);
	profile_scale_stages(&d, 4);
	assert_int_equal(profile_find(&d, 1)->stages[3].calls_unfinished, 20);
	assert_int_equal(profile_add(&prev, &d), 0);
	assert_int_equal(profile_find(&prev, 1)->stages[3].calls_unfinished, 20);
	profile_free(&prev);
	profile_free(&cur);
	profile_free(&d);
}

static void test_io_totals_by_direction(void **state)
{
	struct profile p;
	struct proc_profile *pp;
	struct io_totals t;

	profile_init(&p);
	pp = profile_proc(&p, 1, true);
	add_io(pp, "read", 3, 300, 100);
	add_io(pp, "pread64", 2, 8192, 100);
	add_io(pp, "recvmmsg", 1, 64, 100);
	add_io(pp, "write", 4, 40, 100);
	add_io(pp, "sendfile", 1, 1000, 100);
	pp->sys[syscall_nr("read")].errors = 1;
	pp->sys[syscall_nr("getpid")].count = 9; /* not I/O */
	proc_io_totals(pp, &t);
	assert_int_equal(t.ops, 11);
	assert_int_equal(t.bytes_read, 300 + 8192 + 64);
	assert_int_equal(t.bytes_written, 40 + 1000);
	assert_int_equal(t.errors, 1);
	assert_int_equal(profile_syscall_count(&p), 20);
	profile_free(&p);
}

static void test_syscall_table(void **state)
{
	assert_string_equal(syscall_name(0), "read");
	assert_string_equal(syscall_name(17), "pread64");
	assert_string_equal(syscall_name(231), "exit_group");
	assert_string_equal(syscall_name(462), "mseal");
	assert_string_equal(syscall_name(500), "syscall_500");
	assert_int_equal(syscall_nr("pwritev2"), 328);
	assert_int_equal(syscall_nr("no_such_call"), -1);
	assert_int_equal(syscall_io_class(syscall_nr("recvmmsg")), IO_READ | IO_MMSG);
	assert_int_equal(syscall_io_class(syscall_nr("copy_file_range")), IO_WRITE);
	assert_int_equal(syscall_io_class(syscall_nr("openat")), IO_NONE);
}

/* Every I/O syscall has its own slot, dense from 0; the others have none. */
static void test_io_slots(void **state)
{
	uint8_t slots[MAX_SYSCALL_NR];
	bool used[MAX_IO_SLOTS] = {};
	unsigned int n = syscall_fill_io_slots(slots, MAX_SYSCALL_NR), seen = 0;

	assert_true(n > 0 && n <= MAX_IO_SLOTS);
	for (unsigned int nr = 0; nr < MAX_SYSCALL_NR; nr++) {
		if (syscall_io_class(nr) == IO_NONE) {
			assert_int_equal(slots[nr], IO_SLOT_NONE);
			continue;
		}
		assert_true(slots[nr] < n);
		assert_false(used[slots[nr]]);
		used[slots[nr]] = true;
		seen++;
	}
	assert_int_equal(seen, n);
	assert_int_not_equal(slots[syscall_nr("read")], slots[syscall_nr("write")]);
}

/* A retired process that comes back without a name (its last switch out
 * after the exit) keeps the name it was retired with. */
static void test_add_keeps_retired_name(void **state)
{
	struct profile snap, retired;
	struct proc_profile *p;

	profile_init(&snap);
	profile_init(&retired);
	p = profile_proc(&retired, 42, true);
	strcpy(p->comm, "io_target");
	p->wall.on_cpu_ns = 100;
	p = profile_proc(&snap, 42, true); /* nameless: only a last wall span */
	p->wall.on_cpu_ns = 5;
	strcpy(profile_proc(&snap, 43, true)->comm, "other");
	strcpy(profile_proc(&retired, 43, true)->comm, "old");
	assert_int_equal(profile_add(&snap, &retired), 0);
	assert_string_equal(profile_find(&snap, 42)->comm, "io_target");
	assert_int_equal(profile_find(&snap, 42)->wall.on_cpu_ns, 105);
	/* A name the snapshot has wins: the pid's present name. */
	assert_string_equal(profile_find(&snap, 43)->comm, "other");
	profile_free(&snap);
	profile_free(&retired);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_procs_sorted_and_found),
		cmocka_unit_test(test_delta_is_cur_minus_prev),
		cmocka_unit_test(test_interval_max_bounded_by_buckets),
		cmocka_unit_test(test_delta_sees_every_field),
		cmocka_unit_test(test_io_totals_by_direction),
		cmocka_unit_test(test_syscall_table),
		cmocka_unit_test(test_io_slots),
		cmocka_unit_test(test_add_keeps_retired_name),
	};

	return cmocka_run_group_tests_name("profile", tests, NULL, NULL);
}
