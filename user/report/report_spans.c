// SPDX-License-Identifier: MIT
/* Span events into trees and traces: parents, children in start order,
 * depth, self time, and the traces by duration. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "common/errmsg.h"
#include "report/report.h"
#include "common/sort.h"

/* Parents start no later than their children, and an enclosing call that
 * starts at the same nanosecond lasts at least as long. */
static int by_start(const void *a, const void *b)
{
	const struct rep_span *x = a, *y = b;

	if (x->start_ns != y->start_ns)
		return x->start_ns < y->start_ns ? -1 : 1;
	if (x->dur_ns != y->dur_ns)
		return x->dur_ns > y->dur_ns ? -1 : 1;
	return strcmp(x->span_id, y->span_id);
}

static int by_duration(const void *a, const void *b)
{
	const struct rep_trace *x = a, *y = b;

	if (x->dur_ns != y->dur_ns)
		return x->dur_ns < y->dur_ns ? 1 : -1;
	return x->start_ns < y->start_ns ? -1 : x->start_ns > y->start_ns;
}

long report_span_next(const struct rep_span *v, long top, long i)
{
	if (v[i].first_child >= 0)
		return v[i].first_child;
	/* Up until a sibling, never past the top. */
	while (i != top && v[i].next_sibling < 0)
		i = v[i].parent;
	return i == top ? -1 : v[i].next_sibling;
}

/* Depth-first from each top-level span, without recursion (traces of
 * deeply recursive calls are deep). Returns how many spans it reached. */
static size_t set_depths(struct rep_span *v, long top)
{
	size_t reached = 0;

	for (long i = top; i >= 0; i = report_span_next(v, top, i)) {
		v[i].depth = i == top ? 0 : v[v[i].parent].depth + 1;
		reached++;
	}
	return reached;
}

int report_build_traces(struct report *r, char *err, size_t errlen)
{
	struct rep_span *v = r->spans;
	struct strmap ids, traces;
	long *last_child = NULL, *last_top = NULL;
	size_t reached = 0;
	int ret = -1;

	strmap_init(&ids);
	strmap_init(&traces);
	/* An events file without spans leaves v NULL, which qsort may not get. */
	if (r->n_spans)
		sort_n(v, r->n_spans, sizeof(*v), by_start);
	last_child = malloc((r->n_spans + 1) * sizeof(*last_child));
	r->traces = calloc(r->n_spans + 1, sizeof(*r->traces));
	last_top = malloc((r->n_spans + 1) * sizeof(*last_top));
	if (!last_child || !r->traces || !last_top) {
		set_err(err, errlen, "out of memory");
		goto cleanup;
	}
	for (size_t i = 0; i < r->n_spans; i++) {
		int added;

		if (!strmap_put(&ids, v[i].span_id, (long)i, &added)) {
			set_err(err, errlen, "out of memory");
			goto cleanup;
		}
		if (!added) {
			set_err(err, errlen, "%s/events.jsonl: span_id %s appears twice", r->dir,
				v[i].span_id);
			goto cleanup;
		}
		v[i].parent = v[i].first_child = v[i].next_sibling = -1;
		v[i].self_ns = v[i].dur_ns;
		last_child[i] = -1;
	}
	for (size_t i = 0; i < r->n_spans; i++) {
		struct strmap_slot *p = v[i].parent_id ? strmap_get(&ids, v[i].parent_id) : NULL;
		struct strmap_slot *t;
		struct rep_trace *tr;
		long pi;
		int added;

		if (p && p->value != (long)i) {
			pi = p->value;
			v[i].parent = pi;
			if (last_child[pi] < 0)
				v[pi].first_child = (long)i;
			else
				v[last_child[pi]].next_sibling = (long)i;
			last_child[pi] = (long)i;
			v[pi].self_ns -= v[i].dur_ns < v[pi].self_ns ? v[i].dur_ns : v[pi].self_ns;
			continue;
		}
		/* A root, or a call whose parent was still running at the end
		 * (or lost): the top of what the trace has. */
		if (v[i].parent_id)
			r->spans_orphaned++;
		t = strmap_put(&traces, v[i].trace_id, (long)r->n_traces, &added);
		if (!t) {
			set_err(err, errlen, "out of memory");
			goto cleanup;
		}
		tr = &r->traces[t->value];
		if (added) {
			r->n_traces++;
			tr->id = v[i].trace_id;
			tr->first = (long)i;
			tr->pid = v[i].pid;
			tr->tid = v[i].tid;
			tr->start_ns = v[i].start_ns;
		} else {
			v[last_top[t->value]].next_sibling = (long)i;
		}
		last_top[t->value] = (long)i;
		tr->n_top++;
		if (v[i].start_ns + v[i].dur_ns > tr->end_ns)
			tr->end_ns = v[i].start_ns + v[i].dur_ns;
		tr->complete |= !v[i].parent_id && !strcmp(v[i].span_id, v[i].trace_id);
	}
	for (size_t t = 0; t < r->n_traces; t++) {
		struct rep_trace *tr = &r->traces[t];

		tr->dur_ns = tr->end_ns - tr->start_ns;
		for (long i = tr->first; i >= 0; i = v[i].next_sibling) {
			size_t n = set_depths(v, i);

			tr->n_spans += n;
			reached += n;
		}
	}
	if (reached != r->n_spans) {
		set_err(err, errlen,
			"%s/events.jsonl: %zu spans have parent links that form a cycle", r->dir,
			r->n_spans - reached);
		goto cleanup;
	}
	sort_n(r->traces, r->n_traces, sizeof(*r->traces), by_duration);
	ret = 0;
cleanup:
	free(last_child);
	free(last_top);
	strmap_free(&ids);
	strmap_free(&traces);
	return ret;
}

/* Digits of base 10 or 16 only, no sign or spaces, fitting 64 bits. */
static bool parse_u64(const char *s, int base, uint64_t *out)
{
	const char *digits = base == 16 ? "0123456789abcdefABCDEF" : "0123456789";
	unsigned long long v;
	char *end;

	if (!*s || strspn(s, digits) != strlen(s))
		return false;
	errno = 0;
	v = strtoull(s, &end, base);
	if (errno || *end)
		return false;
	*out = v;
	return true;
}

/* An id's value: bpfprof prints ids as 16 hex digits; older runs wrote
 * them as JSON numbers, read back as decimal text. */
static bool id_value(const char *id, uint64_t *v)
{
	size_t len = strlen(id);

	if (len == 16 && strspn(id, "0123456789abcdef") == 16)
		return parse_u64(id, 16, v);
	return parse_u64(id, 10, v);
}

const struct rep_trace *report_find_trace(const struct report *r, const char *id)
{
	uint64_t want_hex, want_dec, v;
	bool hex, dec;

	/* As printed first; then the value, read as hex (with or without 0x,
	 * leading zeros optional), then as decimal. */
	for (size_t i = 0; i < r->n_traces; i++)
		if (!strcmp(r->traces[i].id, id))
			return &r->traces[i];
	hex = parse_u64(strncasecmp(id, "0x", 2) ? id : id + 2, 16, &want_hex);
	dec = strncasecmp(id, "0x", 2) && parse_u64(id, 10, &want_dec);
	for (int pass = 0; pass < 2; pass++) {
		if (!(pass ? dec : hex))
			continue;
		for (size_t i = 0; i < r->n_traces; i++)
			if (id_value(r->traces[i].id, &v) && v == (pass ? want_dec : want_hex))
				return &r->traces[i];
	}
	return NULL;
}
