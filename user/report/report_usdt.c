// SPDX-License-Identifier: MIT
/*
 * `bpfprof report` and -U PROVIDER:NAME hit counts (issue 17): each
 * process's "usdt" read back, and shown as a text section, the JSON's
 * "usdt" and an HTML table per process. Runs without them are untouched:
 * every piece here is skipped unless report.have_usdt.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "common/sort.h"
#include "common/text.h"
#include "output/format.h"
#include "report/report.h"
#include "report/report_read.h"
#include "report/report_usdt.h"

static int by_hits(const void *a, const void *b)
{
	const struct rep_usdt *x = a, *y = b;
	int r;

	if (x->hits != y->hits)
		return x->hits < y->hits ? 1 : -1;
	r = strcmp(x->provider, y->provider);
	return r ? r : strcmp(x->name, y->name);
}

int report_read_usdt(struct report *r, struct where *w, json_t *pj, struct rep_proc *p)
{
	json_t *arr = json_object_get(pj, "usdt"), *u;
	const char *outer = w->what;
	char what[160];
	size_t i;
	int ret = -1;

	if (!arr)
		return 0;
	if (!json_is_array(arr))
		return bad(w, "'usdt' is not an array");
	r->have_usdt = true;
	p->usdt = calloc(json_array_size(arr) + 1, sizeof(*p->usdt));
	if (!p->usdt)
		return bad(w, "out of memory");
	w->what = what;
	json_array_foreach (arr, i, u) {
		struct rep_usdt *x = &p->usdt[p->n_usdt++];

		snprintf(what, sizeof(what), "%s.usdt[%zu]", outer, i);
		if (!json_is_object(u)) {
			bad(w, "not an object");
			goto cleanup;
		}
		if (get_str(w, u, "provider", &x->provider) || get_str(w, u, "name", &x->name) ||
		    get_str(w, u, "binary", &x->binary) || get_u64(w, u, "hits", &x->hits))
			goto cleanup;
		p->usdt_hits += x->hits;
	}
	sort_n(p->usdt, p->n_usdt, sizeof(*p->usdt), by_hits);
	ret = 0;
cleanup:
	w->what = outer;
	return ret;
}

double report_usdt_rate(const struct report *r, uint64_t hits)
{
	double s = json_number_value(json_object_get(r->summary, "duration_s"));

	return s > 0 ? (double)hits / s : 0;
}

static int by_proc_hits(const void *a, const void *b)
{
	const struct rep_proc *x = *(const struct rep_proc *const *)a,
			      *y = *(const struct rep_proc *const *)b;

	if (x->usdt_hits != y->usdt_hits)
		return x->usdt_hits < y->usdt_hits ? 1 : -1;
	return (x->pid > y->pid) - (x->pid < y->pid);
}

const struct rep_proc **report_usdt_procs(const struct report *r, size_t *n)
{
	const struct rep_proc **v = calloc(r->n_procs + 1, sizeof(*v));

	*n = 0;
	if (!v)
		return NULL;
	for (size_t i = 0; i < r->n_procs; i++)
		if (r->procs[i].usdt_hits)
			v[(*n)++] = &r->procs[i];
	sort_n(v, *n, sizeof(*v), by_proc_hits);
	return v;
}

/* ---- text ---- */

void report_print_usdt(FILE *f, const struct report *r, int top)
{
	size_t n, shown;
	const struct rep_proc **v;
	char run[32];

	if (!r->have_usdt)
		return;
	v = report_usdt_procs(r, &n);
	if (!v)
		return;
	shown = n < (size_t)top ? n : (size_t)top;
	fmt_duration((uint64_t)(json_number_value(json_object_get(r->summary, "duration_s")) * 1e9),
		     run, sizeof(run));
	fprintf(f,
		"\n== USDT probe hits (%zu of %zu processes, by hits; per second over the %s "
		"run)\n",
		shown, n, run);
	if (!n) {
		fprintf(f, "  no hits\n");
		free(v);
		return;
	}
	fprintf(f, "  %-8s %-16s %10s %12s  %s\n", "PID", "COMM", "HITS", "HITS/S",
		"PROBE (BINARY)");
	for (size_t i = 0; i < shown; i++) {
		const struct rep_proc *p = v[i];

		for (size_t k = 0; k < p->n_usdt; k++) {
			const struct rep_usdt *u = &p->usdt[k];

			if (!u->hits)
				continue;
			fprintf(f, "  %-8u %-16s %10" PRIu64 " %12.1f  %s:%s (%s)\n", p->pid,
				text_safe(p->comm), u->hits, report_usdt_rate(r, u->hits),
				text_safe(u->provider), text_safe(u->name), text_safe(u->binary));
		}
	}
	free(v);
}

/* ---- JSON ---- */

json_t *report_usdt_json(const struct report *r)
{
	size_t n;
	const struct rep_proc **v = r->have_usdt ? report_usdt_procs(r, &n) : NULL;
	json_t *arr = v ? json_array() : NULL;

	for (size_t i = 0; arr && i < n; i++) {
		const struct rep_proc *p = v[i];
		json_t *probes = json_array();

		for (size_t k = 0; k < p->n_usdt; k++) {
			const struct rep_usdt *u = &p->usdt[k];

			if (u->hits)
				json_array_append_new(
					probes,
					json_pack("{s:s, s:s, s:s, s:I, s:f}", "provider",
						  u->provider, "name", u->name, "binary", u->binary,
						  "hits", (json_int_t)u->hits, "hits_per_s",
						  report_usdt_rate(r, u->hits)));
		}
		json_array_append_new(
			arr, json_pack("{s:i, s:s, s:I, s:f, s:o}", "pid", (int)p->pid, "comm",
				       p->comm, "hits", (json_int_t)p->usdt_hits, "hits_per_s",
				       report_usdt_rate(r, p->usdt_hits), "probes", probes));
	}
	free(v);
	return arr;
}

/* ---- HTML ---- */

/* As many processes as the I/O tables show. */
#define HTML_USDT_PROCS 20

int report_write_usdt_html(FILE *f, const struct report *r)
{
	size_t n;
	const struct rep_proc **v;
	char run[32];

	if (!r->have_usdt)
		return 0;
	v = report_usdt_procs(r, &n);
	if (!v)
		return -1;
	fmt_duration((uint64_t)(json_number_value(json_object_get(r->summary, "duration_s")) * 1e9),
		     run, sizeof(run));
	fprintf(f,
		"<section id=\"usdt\"><h2>USDT probe hits</h2><div class=\"note\">-U "
		"PROVIDER:NAME hit counts; per second over the %s run.%s</div>\n",
		run, n ? "" : " No hits.");
	if (n > HTML_USDT_PROCS)
		fprintf(f, "<p class=\"note\">The %d processes with most hits of %zu.</p>\n",
			HTML_USDT_PROCS, n);
	for (size_t i = 0; i < n && i < HTML_USDT_PROCS; i++) {
		const struct rep_proc *p = v[i];

		fputs("<h3>", f);
		report_put_html(f, p->comm);
		fprintf(f,
			" (pid %u): %" PRIu64 " hits</h3>\n<table class=\"usdt\" id=\"usdt-%u\">"
			"<tr><th>probe</th><th>binary</th><th>hits</th><th>per second</th></tr>\n",
			p->pid, p->usdt_hits, p->pid);
		for (size_t k = 0; k < p->n_usdt; k++) {
			const struct rep_usdt *u = &p->usdt[k];

			if (!u->hits)
				continue;
			fputs("<tr><td class=\"name\">", f);
			report_put_html(f, u->provider);
			fputc(':', f);
			report_put_html(f, u->name);
			fputs("</td><td class=\"name\">", f);
			report_put_html(f, u->binary);
			fprintf(f, "</td><td>%" PRIu64 "</td><td>%.1f</td></tr>\n", u->hits,
				report_usdt_rate(r, u->hits));
		}
		fputs("</table>\n", f);
	}
	fputs("</section>\n", f);
	free(v);
	return ferror(f) ? -1 : 0;
}

void report_free_usdt(struct rep_proc *p)
{
	free(p->usdt);
	p->usdt = NULL;
	p->n_usdt = 0;
}
