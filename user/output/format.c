// SPDX-License-Identifier: MIT
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include "output/format.h"

/* A number in the first unit whose limit it is below; the last unit (limit
 * INFINITY) takes everything else, NaN and infinity too. */
struct scale {
	double below;
	double unit;
	const char *fmt;
};

static char *fmt_scaled(double v, const struct scale *s, char *buf, size_t len)
{
	while (s->below < INFINITY && !(v < s->below))
		s++;
	snprintf(buf, len, s->fmt, v / s->unit);
	return buf;
}

char *fmt_duration(uint64_t ns, char *buf, size_t len)
{
	static const struct scale s[] = {
		{ 1e3, 1, "%.0fns" },
		{ 1e6, 1e3, "%.2fus" },
		{ 1e9, 1e6, "%.2fms" },
		{ INFINITY, 1e9, "%.2fs" },
	};

	return fmt_scaled((double)ns, s, buf, len);
}

char *fmt_bytes(uint64_t bytes, char *buf, size_t len)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB" };
	double v = (double)bytes;
	int u = -1;

	if (bytes < 1024) {
		snprintf(buf, len, "%luB", (unsigned long)bytes);
		return buf;
	}
	while (v >= 1024 && u < 3) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, "%.*f%s", v < 10 ? 2 : 1, v, units[u]);
	return buf;
}

char *fmt_rate(double v, char *buf, size_t len)
{
	static const struct scale s[] = {
		{ 1e4, 1, "%.0f" },
		{ 1e6, 1e3, "%.1fK" },
		{ 1e9, 1e6, "%.2fM" },
		{ INFINITY, 1e9, "%.2fG" },
	};

	return fmt_scaled(v < 0 ? 0 : v, s, buf, len);
}

char *fmt_count(uint64_t v, char *buf, size_t len)
{
	if (v < 10000000)
		snprintf(buf, len, "%lu", (unsigned long)v);
	else
		fmt_rate((double)v, buf, len);
	return buf;
}

char *fmt_uptime(double s, char *buf, size_t len)
{
	unsigned long t = s > 0 ? (unsigned long)s : 0;

	if (t < 60)
		snprintf(buf, len, "%lus", t);
	else if (t < 3600)
		snprintf(buf, len, "%lum%02lus", t / 60, t % 60);
	else if (t < 86400)
		snprintf(buf, len, "%luh%02lum", t / 3600, t % 3600 / 60);
	else
		snprintf(buf, len, "%lud%02luh", t / 86400, t % 86400 / 3600);
	return buf;
}

/* A share as "62%", "0.4%" below 1, "<0.1%" below that, "99.8%" above 99:
 * a part that is not 0 never shows as 0, nor one short of the whole as 100. */
static int put_share(char *buf, size_t len, const char *name, uint64_t part, uint64_t all)
{
	double pct = 100.0 * (double)part / (double)all;

	if (pct > 0 && pct < 0.1)
		return snprintf(buf, len, "%s<0.1%%", name);
	if ((pct > 0 && pct < 1) || (pct > 99 && pct < 100))
		return snprintf(buf, len, "%s%.1f%%", name, pct > 99.9 ? 99.9 : pct);
	return snprintf(buf, len, "%s%.0f%%", name, pct);
}

char *fmt_share(uint64_t part, uint64_t all, char *buf, size_t len)
{
	if (!all)
		snprintf(buf, len, "-");
	else
		put_share(buf, len, "", part, all);
	return buf;
}

/* Where the next snprintf goes after one that returned m at n: the end
 * of the buffer once it is full (the rest is cut). */
static size_t advance(size_t n, int m, size_t len)
{
	return m >= 0 && (size_t)m < len - n ? n + (size_t)m : len - 1;
}

char *fmt_wall_split(const struct wall_stats *w, char *buf, size_t len)
{
	static const char *const parts[WALL_BLOCK_NR] = {
		[WALL_BLOCK_IO] = "io ", [WALL_BLOCK_LOCK] = "lock ",
		[WALL_BLOCK_SLEEP] = "sleep ", [WALL_BLOCK_OTHER] = "other ",
	};
	static const int order[] = { WALL_BLOCK_IO, WALL_BLOCK_LOCK, WALL_BLOCK_SLEEP,
				     WALL_BLOCK_OTHER };
	uint64_t blocked = 0, all;
	size_t n = 0;
	bool open = false;

	for (int k = 0; k < WALL_BLOCK_NR; k++)
		blocked += w->blocked_ns[k];
	all = w->on_cpu_ns + w->runqueue_ns + blocked;
	if (!all) {
		snprintf(buf, len, "-");
		return buf;
	}
	n = advance(n, put_share(buf, len, "cpu ", w->on_cpu_ns, all), len);
	n = advance(n, put_share(buf + n, len - n, " runq ", w->runqueue_ns, all), len);
	n = advance(n, put_share(buf + n, len - n, " blocked ", blocked, all), len);
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		if (!w->blocked_ns[order[i]])
			continue;
		n = advance(n, snprintf(buf + n, len - n, open ? " " : " ("), len);
		open = true;
		n = advance(n,
			    put_share(buf + n, len - n, parts[order[i]], w->blocked_ns[order[i]],
				      all),
			    len);
	}
	if (open)
		snprintf(buf + n, len - n, ")");
	return buf;
}
