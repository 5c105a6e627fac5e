// SPDX-License-Identifier: MIT
#include <string.h>
#include "output/format.h"
#include "output/hist_text.h"

#define MAX_BAR 255

/* Octave of bucket i: values in [2^k, 2^(k+1)); the first 16 buckets are
 * 0..15 ns and fall in octaves 0..3. */
static unsigned int bucket_octave(unsigned int i)
{
	unsigned long long lo = hist_bucket_lower(i);

	return lo ? hist_msb(lo) : 0;
}

/* Per-octave counts; first/last non-empty octave (-1 when empty). */
static void octave_counts(const struct histogram *h, uint64_t counts[HIST_OCTAVES], int *first,
			  int *last, uint64_t *peak)
{
	memset(counts, 0, HIST_OCTAVES * sizeof(counts[0]));
	*first = *last = -1;
	*peak = 0;
	for (unsigned int i = 0; i < HIST_BUCKETS; i++)
		counts[bucket_octave(i)] += h->buckets[i];
	for (int k = 0; k < HIST_OCTAVES; k++) {
		if (!counts[k])
			continue;
		if (*first < 0)
			*first = k;
		*last = k;
		if (counts[k] > *peak)
			*peak = counts[k];
	}
}

/*
 * The rows to draw, before any cap: one per octave from the first to the
 * last non-empty one; when that is a single octave (one bar), its log-linear
 * buckets instead, from the first to the last non-empty one, so the shape
 * inside the octave shows.
 */
static int all_rows(const struct histogram *h, struct hist_octave_row *rows, uint64_t *peak)
{
	uint64_t counts[HIST_OCTAVES];
	int first, last, n = 0;
	unsigned int lo = HIST_BUCKETS, hi = 0;

	octave_counts(h, counts, &first, &last, peak);
	if (first < 0)
		return 0;
	if (first != last) {
		for (int k = first; k <= last; k++)
			rows[n++] = (struct hist_octave_row){ 1ULL << k, 2ULL << k, counts[k] };
		return n;
	}
	for (unsigned int i = 0; i < HIST_BUCKETS; i++) {
		if (!h->buckets[i])
			continue;
		if (i < lo)
			lo = i;
		hi = i;
	}
	*peak = 0;
	/* One octave holds at most HIST_SUB_BUCKETS buckets. */
	for (unsigned int i = lo; i <= hi && n < HIST_OCTAVES; i++) {
		uint64_t top = i + 1 < HIST_BUCKETS ? hist_bucket_lower(i + 1) : 2ULL << first;

		rows[n++] = (struct hist_octave_row){ hist_bucket_lower(i), top, h->buckets[i] };
		if (h->buckets[i] > *peak)
			*peak = h->buckets[i];
	}
	return n;
}

int hist_octave_span(const struct histogram *h)
{
	struct hist_octave_row rows[HIST_OCTAVES];
	uint64_t peak;

	return all_rows(h, rows, &peak);
}

int hist_octave_rows(const struct histogram *h, int max_rows, struct hist_octave_row *rows,
		     uint64_t *peak)
{
	struct hist_octave_row all[HIST_OCTAVES];
	int first = 0, last = all_rows(h, all, peak) - 1, n = 0;

	if (last < 0 || max_rows < 1)
		return 0;
	/* Too many rows: keep the window around the busiest ones. */
	while (last - first + 1 > max_rows) {
		if (all[first].count <= all[last].count)
			first++;
		else
			last--;
	}
	for (int k = first; k <= last; k++)
		rows[n++] = all[k];
	return n;
}

char *hist_format_row(char *buf, size_t len, const struct hist_octave_row *r, uint64_t peak,
		      int bar_width)
{
	char lo[32], hi[32], bar[MAX_BAR + 1];
	int n;

	if (bar_width > MAX_BAR)
		bar_width = MAX_BAR;
	if (bar_width < 0)
		bar_width = 0;
	n = peak ? (int)((r->count * (uint64_t)bar_width + peak - 1) / peak) : 0;
	memset(bar, '#', n);
	bar[n] = '\0';
	snprintf(buf, len, "%9s .. %-9s |%-*s| %lu", fmt_duration(r->lo_ns, lo, sizeof(lo)),
		 fmt_duration(r->hi_ns, hi, sizeof(hi)), bar_width, bar, (unsigned long)r->count);
	return buf;
}

void hist_print_bars(FILE *f, const struct histogram *h, const char *indent, int bar_width,
		     int max_rows)
{
	struct hist_octave_row rows[HIST_OCTAVES];
	char line[MAX_BAR + 64];
	uint64_t peak;
	int n = hist_octave_rows(h, max_rows, rows, &peak);

	for (int i = 0; i < n; i++)
		fprintf(f, "%s%s\n", indent,
			hist_format_row(line, sizeof(line), &rows[i], peak, bar_width));
}
