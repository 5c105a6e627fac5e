/* SPDX-License-Identifier: MIT */
/*
 * The live view's screen as text: what each row shows for a given terminal
 * size, built without a terminal so it can be tested. live_view.c puts these
 * rows on the screen with ncurses.
 */
#ifndef BPFPROF_LIVE_LAYOUT_H
#define BPFPROF_LIVE_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "collect/profile.h"
#include "probes/stages.h"
#include "samples/sample_data.h"

/* Smaller than this, the view shows one line saying so. */
#define LIVE_MIN_COLS 60
#define LIVE_MIN_ROWS 10

enum live_sort { LIVE_SORT_ACTIVITY, LIVE_SORT_TIME, LIVE_SORT_NAME, LIVE_SORT_NR };

enum live_attr { LIVE_PLAIN, LIVE_TITLE, LIVE_HEADING, LIVE_BAR };

/* rows lines of at most cols characters, never wrapped. */
struct live_screen {
	int rows, cols;
	char *text;	     /* rows * (cols + 1), each line NUL-terminated */
	unsigned char *attr; /* enum live_attr per row */
};

/* What one redraw shows. */
struct live_frame {
	const char *target; /* "pid 1234 (io_target)" */
	double uptime_s;    /* at the last flush */
	double interval_s;  /* -i */
	double window_s;    /* seconds the figures cover */
	bool started;	    /* at least one flush: figures exist */
	bool cumulative;    /* since the start, else the last interval */
	bool paused;
	bool help;
	enum live_sort sort;
	int stages_on;		     /* 1 on, 0 off, -1 not known: not shown */
	bool no_syscalls;	     /* --stages-only: no I/O table */
	const struct profile *total; /* cumulative: which rows exist */
	const struct profile *shown; /* total, or the last interval's delta */
	const struct stage_table *stages;
	uint64_t events;     /* syscalls + stage calls since the start */
	double events_per_s; /* in the last interval */
	uint64_t lost;	     /* audit_lost() since the start */
	double self_cpu_pct; /* bpfprof's own CPU over the last interval; < 0 unknown */
	uint64_t self_rss;   /* bytes; 0 unknown */
	const char *cost;    /* "profiling cost the target ..."; NULL: not shown */
	const char *message; /* status line; NULL: the keys */
	/* The f pane: the hottest functions of --cpu-sample's samples (the
	 * run's when cumulative, else the last interval's), in place of the
	 * histograms. NULL: no samples yet. */
	bool functions;
	const struct sample_tops *cpu_total, *cpu_interval;
};

const char *live_sort_name(enum live_sort s);

/* src shortened to at most width characters by cutting its middle
 * ("ns::Server::ha..request(int)"); dst holds width + 1 bytes. */
char *live_fit(char *dst, size_t width, const char *src);

/* Rows given to each section of the body (blank lines between sections
 * included). Each gets what it wants when everything fits; otherwise the
 * I/O table and the stage table keep a share and the histograms take the
 * rest. The three never add up to more than body. */
struct live_plan {
	int io_rows;
	int stage_rows;
	int hist_rows;
};
void live_plan_body(int body, int io_want, int stage_want, int hist_want, struct live_plan *p);

/* A table column: heading, width, and when it is dropped on a narrow
 * terminal (lowest drop first; 0 never). */
/* src in at most width characters, cut at the end of a clause (before
 * ", " or " (") or else of a word, never inside one. */
void live_fit_clauses(char *dst, size_t width, const char *src);

struct live_col {
	const char *head;
	int width;
	int drop;
};
/* Bitmask of the columns that fit in cols beside a name column of at least
 * name_min (its width, up to name_max, in *name_w). */
unsigned int live_fit_columns(const struct live_col *c, int n, int cols, int name_min, int name_max,
			      int *name_w);

int live_screen_resize(struct live_screen *s, int rows, int cols);
void live_screen_free(struct live_screen *s);
const char *live_screen_line(const struct live_screen *s, int row);

/* Fills every row of scr (already sized) from f. 0, or -ENOMEM (the screen
 * then says so). */
int live_render(const struct live_frame *f, struct live_screen *scr);

#endif
