// SPDX-License-Identifier: MIT
#include <string.h>
#include "format.h"
#include "hist_text.h"

#define OCTAVES (HIST_MAX_OCTAVE + 1)

/* Octave of bucket i: values in [2^k, 2^(k+1)); the first 16 buckets are
 * 0..15 ns and fall in octaves 0..3. */
static unsigned int bucket_octave(unsigned int i)
{
	unsigned long long lo = hist_bucket_lower(i);

	return lo ? hist_msb(lo) : 0;
}

void hist_print_bars(FILE *f, const struct histogram *h, const char *indent, int bar_width,
		     int max_rows)
{
	uint64_t rows[OCTAVES] = {}, peak = 0;
	int first = -1, last = -1;
	char lo[32], hi[32], bar[256];

	for (unsigned int i = 0; i < HIST_BUCKETS; i++)
		rows[bucket_octave(i)] += h->buckets[i];
	for (int k = 0; k < OCTAVES; k++) {
		if (!rows[k])
			continue;
		if (first < 0)
			first = k;
		last = k;
		if (rows[k] > peak)
			peak = rows[k];
	}
	if (first < 0)
		return;
	/* Too many rows: keep the window around the busiest octaves. */
	while (last - first + 1 > max_rows) {
		if (rows[first] <= rows[last])
			first++;
		else
			last--;
	}
	if (bar_width > (int)sizeof(bar) - 1)
		bar_width = sizeof(bar) - 1;
	for (int k = first; k <= last; k++) {
		int n = (int)((rows[k] * (uint64_t)bar_width + peak - 1) / peak);

		memset(bar, '#', n);
		bar[n] = '\0';
		fprintf(f, "%s%9s .. %-9s |%-*s| %lu\n", indent, fmt_duration(1ULL << k, lo, sizeof(lo)),
			fmt_duration(2ULL << k, hi, sizeof(hi)), bar_width, bar,
			(unsigned long)rows[k]);
	}
}
