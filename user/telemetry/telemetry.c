// SPDX-License-Identifier: MIT
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "common/clock.h"
#include "telemetry/telemetry.h"

/* Reads a whole (small) /proc file into buf, NUL-terminated. Bytes read, or -errno. */
static ssize_t read_small(const char *path, char *buf, size_t len)
{
	size_t got = 0;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	while (got < len - 1) {
		n = read(fd, buf + got, len - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			n = -errno;
			close(fd);
			return n;
		}
		if (!n)
			break;
		got += (size_t)n;
	}
	close(fd);
	buf[got] = '\0';
	return (ssize_t)got;
}

/* One unsigned decimal at *p, which then points past it; -1 if none. */
static int next_u64(char **p, uint64_t *v)
{
	char *end;

	while (**p == ' ')
		(*p)++;
	if (**p < '0' || **p > '9')
		return -1;
	errno = 0;
	*v = strtoull(*p, &end, 10);
	if (errno || end == *p)
		return -1;
	*p = end;
	return 0;
}

/* Skip one space-separated field. */
static void skip_field(char **p)
{
	while (**p == ' ')
		(*p)++;
	while (**p && **p != ' ')
		(*p)++;
}

/*
 * /proc/PID/stat (proc(5)): "pid (comm) state ppid ..." where comm may hold
 * spaces and parentheses, so fields are counted from the last ')'. We want
 * 14 utime, 15 stime, 20 num_threads, 22 starttime, 23 vsize, 24 rss.
 */
static int parse_stat(char *buf, struct proc_telemetry *t)
{
	static long ticks_per_s, page_size;
	char *open = strchr(buf, '('), *close = strrchr(buf, ')'), *p;
	uint64_t v[25] = {};
	size_t n;

	if (!ticks_per_s) {
		ticks_per_s = sysconf(_SC_CLK_TCK);
		page_size = sysconf(_SC_PAGESIZE);
	}
	if (!open || !close || close < open || ticks_per_s <= 0 || page_size <= 0)
		return -EINVAL;
	n = (size_t)(close - open - 1);
	if (n >= sizeof(t->comm))
		n = sizeof(t->comm) - 1;
	memcpy(t->comm, open + 1, n);
	t->comm[n] = '\0';
	p = close + 1;
	while (*p == ' ')
		p++;
	t->state = *p;
	skip_field(&p);
	for (int field = 4; field <= 24; field++) {
		bool want = field == 14 || field == 15 || field == 20 || field >= 22;

		/* The others may be negative (tpgid, priority, nice): skipped. */
		if (!want)
			skip_field(&p);
		else if (next_u64(&p, &v[field]))
			return -EINVAL;
	}
	t->utime_ns = v[14] * (1000000000ULL / (uint64_t)ticks_per_s);
	t->stime_ns = v[15] * (1000000000ULL / (uint64_t)ticks_per_s);
	t->threads = (uint32_t)v[20];
	t->start_ticks = v[22];
	t->vsize_bytes = v[23];
	t->rss_bytes = v[24] * (uint64_t)page_size;
	return 0;
}

/* "Key:\tvalue" lines (status, io): the value of key, or -1 when missing. */
static int keyed_u64(const char *buf, const char *key, uint64_t *out)
{
	size_t klen = strlen(key);
	const char *p = buf;

	while (p && *p) {
		if (!strncmp(p, key, klen) && p[klen] == ':') {
			char *q = (char *)p + klen + 1;

			while (*q == '\t' || *q == ' ')
				q++;
			return next_u64(&q, out);
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return -1;
}

/* A thread's switch counts are its own: add up /proc/PID/task/TID/status. */
static void read_ctxt_switches(pid_t pid, struct proc_telemetry *t)
{
	char path[64], buf[4096];
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	d = opendir(path);
	if (!d)
		return;
	while ((de = readdir(d))) {
		uint64_t vol = 0, invol = 0;

		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%.16s/status", pid, de->d_name);
		if (read_small(path, buf, sizeof(buf)) <= 0)
			continue; /* the thread exited meanwhile */
		if (!keyed_u64(buf, "voluntary_ctxt_switches", &vol))
			t->ctxt_voluntary += vol;
		if (!keyed_u64(buf, "nonvoluntary_ctxt_switches", &invol))
			t->ctxt_involuntary += invol;
	}
	closedir(d);
}

static void read_io(pid_t pid, struct proc_telemetry *t)
{
	char path[64], buf[1024];

	snprintf(path, sizeof(path), "/proc/%d/io", pid);
	if (read_small(path, buf, sizeof(buf)) <= 0)
		return;
	t->have_io = !keyed_u64(buf, "rchar", &t->rchar) && !keyed_u64(buf, "wchar", &t->wchar) &&
		     !keyed_u64(buf, "read_bytes", &t->read_bytes) &&
		     !keyed_u64(buf, "write_bytes", &t->write_bytes);
}

/*
 * stat's rss is the kernel's per-CPU approximation (off by up to a few
 * hundred KiB); status sums it exactly. A zombie has no Vm lines: 0.
 */
static void read_memory(pid_t pid, struct proc_telemetry *t)
{
	char path[64], buf[4096];
	uint64_t kib;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	if (read_small(path, buf, sizeof(buf)) <= 0)
		return;
	if (!keyed_u64(buf, "VmRSS", &kib))
		t->rss_bytes = kib * 1024;
	if (!keyed_u64(buf, "VmSize", &kib))
		t->vsize_bytes = kib * 1024;
}

double telemetry_tick_ns(void)
{
	long ticks_per_s = sysconf(_SC_CLK_TCK);

	return ticks_per_s > 0 ? 1e9 / (double)ticks_per_s : 1e7;
}

int telemetry_sample(pid_t pid, struct proc_telemetry *out)
{
	char path[64], buf[1024];
	ssize_t n;
	int rc;

	memset(out, 0, sizeof(*out));
	out->pid = pid;
	out->mono_s = clock_mono_s();
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	n = read_small(path, buf, sizeof(buf));
	if (n < 0)
		return n == -ENOENT ? -ESRCH : (int)n;
	rc = parse_stat(buf, out);
	if (rc)
		return rc;
	read_memory(pid, out);
	read_ctxt_switches(pid, out);
	read_io(pid, out);
	return 0;
}

bool telemetry_same_process(const struct proc_telemetry *a, const struct proc_telemetry *b)
{
	return a->pid == b->pid && a->start_ticks == b->start_ticks;
}

int telemetry_cpu_pct(const struct proc_telemetry *prev, const struct proc_telemetry *cur,
		      double *user_pct, double *system_pct)
{
	double wall_ns = (cur->mono_s - prev->mono_s) * 1e9;

	if (!telemetry_same_process(prev, cur) || wall_ns <= 0)
		return -1;
	/* A counter never runs backwards within one process; clamp anyway. */
	*user_pct = cur->utime_ns > prev->utime_ns
			    ? 100.0 * (double)(cur->utime_ns - prev->utime_ns) / wall_ns
			    : 0;
	*system_pct = cur->stime_ns > prev->stime_ns
			      ? 100.0 * (double)(cur->stime_ns - prev->stime_ns) / wall_ns
			      : 0;
	return 0;
}
