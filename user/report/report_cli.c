// SPDX-License-Identifier: MIT
/* `bpfprof report DIR [OPTIONS]`: the command line, and output files that
 * appear complete or not at all (temp file, then rename). */
#include <argp.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "common/text.h"
#include "common/errmsg.h"
#include "output/output_files.h"
#include "report/report.h"

#define DEFAULT_TOP 10

struct report_args {
	const char *dir;
	const char *html;
	const char *perfetto;
	const char *trace;
	const char *flame, *pprof, *folded; /* --cpu-sample's outputs */
	bool json;
	int top;
	char err[512];
};

enum { OPT_JSON = 2000, OPT_HTML, OPT_PERFETTO, OPT_TRACE, OPT_TOP };
enum { OPT_FLAME = 2100, OPT_PPROF, OPT_FOLDED };

static const struct argp_option options[] = {
	{ "json", OPT_JSON, NULL, 0, "Print the report as one JSON document instead of text" },
	{ "html", OPT_HTML, "FILE", 0, "Write a self-contained HTML page with charts" },
	{ "perfetto", OPT_PERFETTO, "FILE", 0,
	  "Write the span events as Chrome trace JSON (ui.perfetto.dev, chrome://tracing)" },
	{ "trace", OPT_TRACE, "ID", 0, "Print one trace as an indented tree" },
	{ "flame", OPT_FLAME, "FILE", 0,
	  "Write the CPU samples (--cpu-sample) as an interactive flame graph (SVG)" },
	{ "pprof", OPT_PPROF, "FILE", 0,
	  "Write the CPU samples as a gzip'd pprof profile (go tool pprof), labelled by stage" },
	{ "folded", OPT_FOLDED, "FILE", 0,
	  "Write the CPU samples as folded stacks (FlameGraph, speedscope)" },
	{ "top", OPT_TOP, "N", 0, "Rows per table and traces shown (default 10)" },
	{},
};

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct report_args *a = state->input;
	char *end;
	long v;

	switch (key) {
	case OPT_JSON:
		a->json = true;
		break;
	case OPT_HTML:
		a->html = arg;
		break;
	case OPT_PERFETTO:
		a->perfetto = arg;
		break;
	case OPT_TRACE:
		a->trace = arg;
		break;
	case OPT_FLAME:
		a->flame = arg;
		break;
	case OPT_PPROF:
		a->pprof = arg;
		break;
	case OPT_FOLDED:
		a->folded = arg;
		break;
	case OPT_TOP:
		errno = 0;
		v = strtol(arg, &end, 10);
		if (errno || end == arg || *end || v < 1 || v > 100000) {
			set_err(a->err, sizeof(a->err),
				"invalid --top '%s': expected a number from 1 to 100000", arg);
			return EINVAL;
		}
		a->top = (int)v;
		break;
	case ARGP_KEY_ARG:
		if (a->dir) {
			set_err(a->err, sizeof(a->err), "report takes one directory, not '%s' too",
				arg);
			return EINVAL;
		}
		a->dir = arg;
		break;
	case ARGP_KEY_END:
		if (!a->dir) {
			set_err(a->err, sizeof(a->err),
				"report needs the run's directory: bpfprof report DIR");
			return EINVAL;
		}
		if ((a->html && !*a->html) || (a->perfetto && !*a->perfetto) ||
		    (a->flame && !*a->flame) || (a->pprof && !*a->pprof) ||
		    (a->folded && !*a->folded)) {
			set_err(a->err, sizeof(a->err), "empty output file name");
			return EINVAL;
		}
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

typedef int (*writer_fn)(FILE *f, const struct report *r, int top);

static int write_perfetto(FILE *f, const struct report *r, int top)
{
	return report_write_perfetto(f, r);
}

/* FILE written through a temp file beside it: complete, or not there. */
static int write_file(const char *path, writer_fn fn, const struct report *r, int top)
{
	size_t len = strlen(path);
	char *tmp = malloc(len + 16);
	FILE *f = NULL;
	int fd = -1, ret = -1, e = 0;

	if (!tmp) {
		fprintf(stderr, "bpfprof: out of memory\n");
		return -1;
	}
	snprintf(tmp, len + 16, "%s.tmp.XXXXXX", path);
	fd = mkstemp(tmp);
	if (fd < 0) {
		fprintf(stderr, "bpfprof: cannot write '%s': %s\n", path, strerror(errno));
		goto cleanup;
	}
	fchmod(fd, 0644);
	f = fdopen(fd, "w");
	if (!f) {
		e = errno;
		close(fd);
		goto fail;
	}
	errno = 0;
	if (fn(f, r, top) || fflush(f) || ferror(f) || fsync(fileno(f))) {
		e = errno ? errno : EIO;
		fclose(f);
		goto fail;
	}
	if (fclose(f) || rename(tmp, path)) {
		e = errno;
		goto fail;
	}
	ret = 0;
	goto cleanup;
fail:
	fprintf(stderr, "bpfprof: writing '%s' failed: %s\n", path, strerror(e));
	unlink(tmp);
cleanup:
	free(tmp);
	return ret;
}

int report_main(int argc, char **argv)
{
	static const struct argp argp = {
		options, parse_opt, "DIR",
		"Report on a finished run's output directory (bpfprof -o DIR): text by default."
	};
	struct report_args a = { .top = DEFAULT_TOP };
	struct report r;
	char err[1024];
	int ret = 1;

	if (argp_parse(&argp, argc, argv, ARGP_NO_ERRS | ARGP_IN_ORDER, NULL, &a)) {
		fprintf(stderr, "bpfprof: %s\n",
			a.err[0] ? text_safe(a.err)
				 : "report: unknown option or missing argument (see --help)");
		return 2;
	}
	if (report_load(a.dir, &r, err, sizeof(err))) {
		fprintf(stderr, "bpfprof: %s\n", text_safe(err));
		report_free(&r);
		return 1;
	}
	if ((a.trace || a.perfetto) && !r.have_events) {
		fprintf(stderr,
			"bpfprof: %s has no span events (events.jsonl): run bpfprof with "
			"--events\n",
			a.dir);
		goto cleanup;
	}
	if ((a.flame || a.pprof || a.folded) && !r.have_samples) {
		fprintf(stderr,
			"bpfprof: %s has no CPU samples (samples.jsonl): run bpfprof with "
			"--cpu-sample HZ\n",
			a.dir);
		goto cleanup;
	}
	if (a.trace) {
		if (report_print_trace(stdout, &r, a.trace)) {
			fprintf(stderr, "bpfprof: no trace '%s' in %s\n", a.trace, a.dir);
			goto cleanup;
		}
	} else if (a.json) {
		json_t *doc = report_to_json(&r, a.top);

		if (!doc || json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(16)) ||
		    fputc('\n', stdout) == EOF) {
			fprintf(stderr, "bpfprof: writing the JSON report failed\n");
			json_decref(doc);
			goto cleanup;
		}
		json_decref(doc);
	} else if (!a.html && !a.perfetto && !a.flame && !a.pprof && !a.folded) {
		report_print_text(stdout, &r, a.top);
	}
	if (a.html && write_file(a.html, report_write_html, &r, a.top))
		goto cleanup;
	if (a.perfetto && write_file(a.perfetto, write_perfetto, &r, a.top))
		goto cleanup;
	if (a.flame && write_file(a.flame, report_write_flame, &r, a.top))
		goto cleanup;
	if (a.pprof && write_file(a.pprof, report_write_pprof, &r, a.top))
		goto cleanup;
	if (a.folded && write_file(a.folded, report_write_folded, &r, a.top))
		goto cleanup;
	if (fflush(stdout)) {
		fprintf(stderr, "bpfprof: writing the report failed: %s\n", strerror(errno));
		goto cleanup;
	}
	ret = 0;
cleanup:
	report_free(&r);
	return ret;
}
