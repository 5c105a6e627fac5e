// SPDX-License-Identifier: MIT
/* The live view's sections as lines cut to the width, and placing them on
 * the screen (live_sections.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include "live/live_sections.h"

void __attribute__((format(printf, 3, 4)))
add_line(struct lines *l, enum live_attr attr, const char *fmt, ...)
{
	va_list ap;
	char *s;

	if (l->oom)
		return;
	if (l->n == l->cap) {
		int cap = l->cap ? l->cap * 2 : 32;
		char **v = realloc(l->v, cap * sizeof(*v));
		unsigned char *a = v ? realloc(l->attr, cap) : NULL;

		if (v)
			l->v = v;
		if (!a) {
			l->oom = true;
			return;
		}
		l->attr = a;
		l->cap = cap;
	}
	s = malloc((size_t)l->cols + 1);
	if (!s) {
		l->oom = true;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(s, (size_t)l->cols + 1, fmt, ap);
	va_end(ap);
	l->v[l->n] = s;
	l->attr[l->n++] = attr;
}

void lines_free(struct lines *l)
{
	for (int i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	free(l->attr);
}

/* A table row: the name then each kept column, right-aligned. */
void add_row(struct lines *l, enum live_attr attr, const struct live_col *c, int n,
		    unsigned int mask, int name_w, const char *name, char cells[][24])
{
	char buf[512], fitted[256];
	int pos;

	live_fit(fitted, (size_t)min_int(name_w, (int)sizeof(fitted) - 1), name);
	pos = snprintf(buf, sizeof(buf), "%-*s", name_w, fitted);
	for (int i = 0; i < n && pos < (int)sizeof(buf); i++)
		if (mask & (1u << i))
			pos += snprintf(buf + pos, sizeof(buf) - pos, " %*s", c[i].width,
					cells ? cells[i] : c[i].head);
	add_line(l, attr, "%s", buf);
}

/* Copies up to budget lines of l into the screen from row y; when l has
 * more, the last row says how many are left out. Returns the next row. */
int place(struct live_screen *scr, int y, int budget, const struct lines *l)
{
	int n = l->n;

	if (budget <= 0)
		return y;
	if (n > budget) {
		int shown = budget - 1;

		for (int i = 0; i < shown; i++) {
			snprintf((char *)live_screen_line(scr, y), scr->cols + 1, "%s", l->v[i]);
			scr->attr[y++] = l->attr[i];
		}
		snprintf((char *)live_screen_line(scr, y), scr->cols + 1,
			 "  ... %d more row%s (a larger terminal shows them)", n - shown,
			 n - shown == 1 ? "" : "s");
		scr->attr[y++] = LIVE_PLAIN;
		return y;
	}
	for (int i = 0; i < n; i++) {
		snprintf((char *)live_screen_line(scr, y), scr->cols + 1, "%s", l->v[i]);
		scr->attr[y++] = l->attr[i];
	}
	return y;
}

