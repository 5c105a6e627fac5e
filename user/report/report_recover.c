// SPDX-License-Identifier: MIT
/*
 * A run cut short (killed, or summary.json could not be written): its
 * summary rebuilt from the flush records, which hold the same per-process
 * figures for each interval. Counts add up, maxima take the largest,
 * histograms add bucket by bucket and the percentiles are read again from
 * them.
 */
#include <math.h>
#include <string.h>
#include <time.h>
#include "collect/histogram.h"
#include "report/report.h"

static bool is_max_key(const char *key)
{
	return !strcmp(key, "max") || !strcmp(key, "max_ns");
}

/* [[lower_ns, count], ...] into dst, by lower bound, in order. */
static void merge_buckets(json_t *dst, json_t *src)
{
	size_t i, k;
	json_t *p, *q;

	json_array_foreach (src, i, p) {
		json_int_t lo = json_integer_value(json_array_get(p, 0));
		bool found = false;

		json_array_foreach (dst, k, q) {
			json_int_t qlo = json_integer_value(json_array_get(q, 0));

			if (qlo == lo) {
				json_array_set_new(q, 1,
						   json_integer(json_integer_value(json_array_get(q, 1)) +
								json_integer_value(json_array_get(p, 1))));
				found = true;
				break;
			}
			if (qlo > lo)
				break;
		}
		if (!found)
			json_array_insert(dst, k, p);
	}
}

static void merge_object(json_t *dst, json_t *src);

/* An array of objects keyed by the values of @keys (stages: name and
 * binary; -U hits: provider, name and binary): a matching object adds,
 * any other is appended. */
static void merge_keyed(json_t *dst, json_t *src, const char *const *keys, size_t n_keys)
{
	size_t i, k;
	json_t *s, *d;

	json_array_foreach (src, i, s) {
		json_t *match = NULL;

		json_array_foreach (dst, k, d) {
			bool same = true;

			for (size_t j = 0; j < n_keys; j++)
				same &= json_equal(json_object_get(d, keys[j]),
						   json_object_get(s, keys[j]));
			if (same) {
				match = d;
				break;
			}
		}
		if (match)
			merge_object(match, s);
		else
			json_array_append_new(dst, json_deep_copy(s));
	}
}

/* Counts add, maxima take the largest, nested objects merge, strings and
 * other values take the latest. */
static void merge_object(json_t *dst, json_t *src)
{
	static const char *const stage_keys[] = { "name", "binary" };
	static const char *const usdt_keys[] = { "provider", "name", "binary" };

	const char *key;
	json_t *v;

	json_object_foreach (src, key, v) {
		json_t *d = json_object_get(dst, key);

		if (!d) {
			json_object_set_new(dst, key, json_deep_copy(v));
		} else if (json_is_integer(v) && json_is_integer(d)) {
			json_int_t a = json_integer_value(d), b = json_integer_value(v);

			json_object_set_new(dst, key,
					    json_integer(is_max_key(key) ? (a > b ? a : b)
						: !strcmp(key, "pid")     ? a
									  : a + b));
		} else if (json_is_object(v) && json_is_object(d)) {
			merge_object(d, v);
		} else if (json_is_array(v) && json_is_array(d) && !strcmp(key, "buckets")) {
			merge_buckets(d, v);
		} else if (json_is_array(v) && json_is_array(d) && !strcmp(key, "stages")) {
			merge_keyed(d, v, stage_keys, 2);
		} else if (json_is_array(v) && json_is_array(d) && !strcmp(key, "usdt")) {
			merge_keyed(d, v, usdt_keys, 3);
		} else {
			json_object_set(dst, key, v);
		}
	}
}

int report_merge_flush(json_t *summary, json_t *rec)
{
	json_t *procs = json_object_get(summary, "processes"), *p, *d;
	size_t i, k;

	json_array_foreach (json_object_get(rec, "processes"), i, p) {
		json_t *match = NULL;

		if (!json_is_object(p))
			return -1;
		json_array_foreach (procs, k, d) {
			if (json_equal(json_object_get(d, "pid"), json_object_get(p, "pid"))) {
				match = d;
				break;
			}
		}
		if (match)
			merge_object(match, p);
		else if (json_array_append_new(procs, json_deep_copy(p)))
			return -1;
	}
	if (json_is_object(json_object_get(rec, "audit")))
		merge_object(json_object_get(summary, "audit"), json_object_get(rec, "audit"));
	return 0;
}

/* Percentiles of every merged histogram, read again from its buckets. */
static void requantile(json_t *obj)
{
	json_t *b = json_object_get(obj, "buckets"), *lat = json_object_get(obj, "latency_ns");
	const char *key;
	json_t *v;

	if (json_is_array(b) && json_is_object(lat)) {
		struct histogram h = {};
		uint64_t max = (uint64_t)json_integer_value(json_object_get(lat, "max"));
		size_t i;

		if (!max)
			max = (uint64_t)json_integer_value(json_object_get(obj, "max_ns"));
		json_array_foreach (b, i, v) {
			json_int_t lo = json_integer_value(json_array_get(v, 0));
			json_int_t n = json_integer_value(json_array_get(v, 1));

			if (lo >= 0 && n > 0)
				h.buckets[hist_bucket((uint64_t)lo)] += (uint64_t)n;
		}
		json_object_set_new(lat, "p50", json_integer((json_int_t)hist_quantile(&h, 0.50, max)));
		json_object_set_new(lat, "p95", json_integer((json_int_t)hist_quantile(&h, 0.95, max)));
		json_object_set_new(lat, "p99", json_integer((json_int_t)hist_quantile(&h, 0.99, max)));
	}
	if (json_is_object(obj)) {
		json_object_foreach (obj, key, v)
			requantile(v);
	} else if (json_is_array(obj)) {
		size_t i;

		json_array_foreach (obj, i, v)
			requantile(v);
	}
}

json_t *report_recovered_summary(void)
{
	return json_pack("{s:s, s:s, s:[], s:{}}", "schema", "bpfprof.summary.v1", "end_reason",
			 "cut short: no summary.json (bpfprof was killed, or could not write it)",
			 "processes", "audit");
}

void report_finish_recovered(json_t *summary, const struct rep_flush *flushes, size_t n)
{
	char when[64] = "?";
	double start = n ? flushes[0].timestamp - flushes[0].duration_s : 0;
	time_t secs = (time_t)floor(start);
	struct tm tm;

	requantile(json_object_get(summary, "processes"));
	json_object_set_new(json_object_get(summary, "audit"), "flushes",
			    json_integer((json_int_t)n));
	if (n && gmtime_r(&secs, &tm)) {
		size_t len = strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);

		snprintf(when + len, sizeof(when) - len, ".%03dZ",
			 (int)((start - (double)secs) * 1000));
	}
	json_object_set_new(summary, "started_at", json_string(when));
	json_object_set_new(summary, "duration_s",
			    json_real(n ? flushes[n - 1].timestamp - start : 0));
}
