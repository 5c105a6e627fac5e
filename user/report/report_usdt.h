/* SPDX-License-Identifier: MIT */
/*
 * -U PROVIDER:NAME hit counts in `bpfprof report` (report_usdt.c): read
 * from each process's "usdt", shown only for runs that have them.
 */
#ifndef BPFPROF_REPORT_USDT_H
#define BPFPROF_REPORT_USDT_H

#include <jansson.h>
#include <stdio.h>
#include "report/report.h"
#include "report/report_read.h"

/* PROC pj's "usdt" into p (absent: nothing); sets r->have_usdt when
 * present. 0, or -1 with the error in w. */
int report_read_usdt(struct report *r, struct where *w, json_t *pj, struct rep_proc *p);
void report_free_usdt(struct rep_proc *p);
/* Hits per second over the run (0 when its duration is not known). */
double report_usdt_rate(const struct report *r, uint64_t hits);
/* The processes with hits, most first (pid breaks ties): r->procs
 * pointers, *n of them; free() the array. NULL on ENOMEM. */
const struct rep_proc **report_usdt_procs(const struct report *r, size_t *n);
/* The text section, the JSON's "usdt" and the HTML section; each does
 * nothing (NULL for the JSON) unless r->have_usdt. */
void report_print_usdt(FILE *f, const struct report *r, int top);
json_t *report_usdt_json(const struct report *r);
int report_write_usdt_html(FILE *f, const struct report *r);

#endif
