// SPDX-License-Identifier: MIT
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "format.h"
#include "interval_report.h"
#include "records.h"
#include "syscall_table.h"

#define TOP_SYSCALLS 8

static int by_count_desc(const void *a, const void *b, void *arg)
{
	const struct proc_profile *p = arg;
	uint64_t ca = p->sys[*(const unsigned int *)a].count;
	uint64_t cb = p->sys[*(const unsigned int *)b].count;

	return ca < cb ? 1 : ca > cb ? -1 : 0;
}

static void print_io(FILE *f, const struct proc_profile *p)
{
	char b[5][32];
	bool header = false;

	for (unsigned int nr = 0; nr < MAX_SYSCALL_NR; nr++) {
		const struct syscall_counters *c = &p->sys[nr];

		if (!c->count || !c->hist || !syscall_io_class(nr))
			continue;
		if (!header) {
			fprintf(f, "    %-16s %10s %10s %8s %9s %9s %9s\n", "I/O", "OPS", "BYTES",
				"ERRORS", "P50", "P99", "MAX");
			header = true;
		}
		fprintf(f, "    %-16s %10lu %10s %8lu %9s %9s %9s\n", syscall_name(nr),
			(unsigned long)c->count, fmt_bytes(c->bytes, b[0], sizeof(b[0])),
			(unsigned long)c->errors,
			fmt_duration(hist_quantile(c->hist, 0.5, c->max_ns), b[1], sizeof(b[1])),
			fmt_duration(hist_quantile(c->hist, 0.99, c->max_ns), b[2], sizeof(b[2])),
			fmt_duration(c->max_ns, b[3], sizeof(b[3])));
	}
}

static void print_top_syscalls(FILE *f, const struct proc_profile *p)
{
	unsigned int order[MAX_SYSCALL_NR], n = 0;

	for (unsigned int nr = 0; nr < MAX_SYSCALL_NR; nr++)
		if (p->sys[nr].count)
			order[n++] = nr;
	qsort_r(order, n, sizeof(order[0]), by_count_desc, (void *)p);
	fprintf(f, "    syscalls:");
	for (unsigned int i = 0; i < n && i < TOP_SYSCALLS; i++)
		fprintf(f, " %s %lu%s", syscall_name(order[i]), (unsigned long)p->sys[order[i]].count,
			p->sys[order[i]].errors ? "!" : "");
	if (n > TOP_SYSCALLS)
		fprintf(f, " (+%u more)", n - TOP_SYSCALLS);
	fprintf(f, "\n");
}

void interval_report_print(FILE *f, const char *title, const struct profile *p, double seconds)
{
	uint64_t lost = audit_lost(p->audit);
	char b[2][32];

	fprintf(f, "== bpfprof %s, %zu process%s, %lu syscalls", title, p->n, p->n == 1 ? "" : "es",
		(unsigned long)profile_syscall_count(p));
	if (lost)
		fprintf(f, ", %lu LOST (see audit)", (unsigned long)lost);
	fprintf(f, "\n");
	for (size_t i = 0; i < p->n; i++) {
		const struct proc_profile *pp = p->procs[i];
		struct io_totals t;
		uint64_t calls = 0, errors = 0;

		for (unsigned int nr = 0; nr < MAX_SYSCALL_NR; nr++) {
			calls += pp->sys[nr].count;
			errors += pp->sys[nr].errors;
		}
		proc_io_totals(pp, &t);
		fprintf(f, "  %-7u %-16s %lu syscalls (%.0f/s), %lu errors, read %s, written %s\n",
			pp->pid, pp->comm, (unsigned long)calls, seconds > 0 ? calls / seconds : 0.0,
			(unsigned long)errors, fmt_bytes(t.bytes_read, b[0], sizeof(b[0])),
			fmt_bytes(t.bytes_written, b[1], sizeof(b[1])));
		print_top_syscalls(f, pp);
		print_io(f, pp);
	}
	fflush(f);
}
