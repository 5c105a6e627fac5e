/* SPDX-License-Identifier: MIT */
/*
 * Inside the live view's layout: the sections (the I/O table in
 * live_layout.c, the stages and the functions pane in live_stages.c, -U
 * hits in live_usdt.c) are
 * built as lines cut to the width (live_lines.c), then placed on the screen
 * by live_render.
 */
#ifndef BPFPROF_LIVE_SECTIONS_H
#define BPFPROF_LIVE_SECTIONS_H

#include <stdbool.h>
#include <stdint.h>
#include "collect/stage_view.h"
#include "live/live_layout.h"

#define MAX_COLS 16
#define NAME_MIN 12
#define HIST_MAX_ROWS 8 /* octave rows per stage histogram at most */
#define HIST_INDENT "  "
#define WALL_BAR_CELLS 10 /* a stage's on-CPU/runqueue/blocked bar */

/* Columns shown: the last (the time sort's own) only while sorting by time. */
static inline int shown_cols(const struct live_frame *f, int n)
{
	return f->sort == LIVE_SORT_TIME ? n : n - 1;
}

static inline int min_int(int a, int b)
{
	return a < b ? a : b;
}

static inline int max_int(int a, int b)
{
	return a > b ? a : b;
}

/* One section's lines, each at most cols characters. */
struct lines {
	char **v;
	unsigned char *attr;
	int n, cap;
	int cols;
	bool oom; /* a line could not be added: the view says so */
};

void __attribute__((format(printf, 3, 4)))
add_line(struct lines *l, enum live_attr attr, const char *fmt, ...);
void lines_free(struct lines *l);
/* A table row: the name then each kept column, right-aligned. */
void add_row(struct lines *l, enum live_attr attr, const struct live_col *c, int n,
	     unsigned int mask, int name_w, const char *name, char cells[][24]);
/* Copies up to budget lines of l into the screen from row y; when l has
 * more, the last row says how many are left out. Returns the next row. */
int place(struct live_screen *scr, int y, int budget, const struct lines *l);

int cmp_u64_desc(uint64_t a, uint64_t b);
double per_s(uint64_t v, double s);

/* The stages, summed over the processes; their table and histograms. */
int stage_rows(const struct live_frame *f, struct stage_view *rows);
bool several_binaries(const struct stage_table *t);
void build_stages(const struct live_frame *f, const struct stage_view *rows, bool several,
		  struct lines *l);
int hist_want(const struct stage_view *rows);
int place_histograms(const struct live_frame *f, const struct stage_view *rows, bool several,
		     struct live_screen *scr, int y, int budget);
/* The hottest functions of --cpu-sample, in place of the histograms. */
void build_functions(const struct live_frame *f, struct lines *l);
/* -U PROVIDER:NAME hits per process (live_usdt.c): no lines unless some
 * spec counts hits (usdt_counted). */
bool usdt_counted(const struct stage_table *t);
void build_usdt(const struct live_frame *f, struct lines *l);

#endif
