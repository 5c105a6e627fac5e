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
#include "common/cli_options.h"
#include "common/text.h"
#include "common/errmsg.h"
#include "output/output_files.h"
#include "report/report.h"

#define DEFAULT_TOP 10

struct report_args {
	const char *dir;
	const char *html;
	const char *perfetto;
	const char *json_file; /* --json FILE; NULL: stdout */
	const char *trace;
	const char *flame, *pprof, *folded; /* --cpu-sample's outputs */
	bool json;
	int json_next; /* argv index just after a --json given no FILE */
	bool json_took_word; /* json_file is the word after --json */
	bool printed;	     /* --help or --usage */
	int top;
	char err[512];
};

enum { OPT_JSON = 2000, OPT_HTML, OPT_PERFETTO, OPT_TRACE, OPT_TOP, OPT_USAGE };
enum { OPT_FLAME = 2100, OPT_PPROF, OPT_FOLDED };

static const struct argp_option options[] = {
	{ NULL, 0, NULL, 0, "Outputs (text on stdout when none is given; FILE '-' is stdout):", 1 },
	{ "json", OPT_JSON, "FILE", OPTION_ARG_OPTIONAL,
	  "The report as one JSON document, to FILE or stdout" },
	{ "html", OPT_HTML, "FILE", 0, "A self-contained HTML page with charts" },
	{ "perfetto", OPT_PERFETTO, "FILE", 0,
	  "The span events as Chrome trace JSON (ui.perfetto.dev, chrome://tracing)" },
	{ "trace", OPT_TRACE, "ID", 0,
	  "Print one trace as an indented tree; ID as printed, or its value in decimal or hex" },
	{ "flame", OPT_FLAME, "FILE", 0,
	  "Write the CPU samples (--cpu-sample) as an interactive flame graph (SVG)" },
	{ "pprof", OPT_PPROF, "FILE", 0,
	  "Write the CPU samples as a gzip'd pprof profile (go tool pprof), labelled by stage" },
	{ "folded", OPT_FOLDED, "FILE", 0,
	  "Write the CPU samples as folded stacks (FlameGraph, speedscope)" },
	{ "top", OPT_TOP, "N", 0, "Rows per table, processes and traces shown (default 10)" },
	{ NULL, 0, NULL, 0, "Help:", -1 },
	{ "help", 'h', NULL, 0, "Print this help and exit" },
	{ "usage", OPT_USAGE, NULL, 0, "Print a short usage message and exit" },
	{},
};

static const char report_doc[] =
	"Report on a finished run's output directory (bpfprof -o DIR).\n"
	"A run cut short (no summary.json) is read from its flushes.jsonl."
	"\v"
	"Examples:\n"
	"  bpfprof report run                     the text report\n"
	"  bpfprof report run --top 5             five rows per table\n"
	"  bpfprof report run --json run.json     JSON (--json alone: to stdout)\n"
	"  bpfprof report run --html run.html     a page with charts\n"
	"  bpfprof report run --perfetto run.trace    for ui.perfetto.dev\n"
	"  bpfprof report run --trace 113a00000001    one trace as a tree";

/* The outputs naming stdout ("-", or --json alone). */
static int stdout_outputs(const struct report_args *a)
{
	return (a->json && (!a->json_file || !strcmp(a->json_file, "-"))) +
	       (a->html && !strcmp(a->html, "-")) + (a->perfetto && !strcmp(a->perfetto, "-")) +
	       (a->flame && !strcmp(a->flame, "-")) + (a->pprof && !strcmp(a->pprof, "-")) +
	       (a->folded && !strcmp(a->folded, "-")) + !!a->trace;
}

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct report_args *a = state->input;
	char *end;
	long v;

	switch (key) {
	case 'h':
	case OPT_USAGE:
		argp_help(state->root_argp, stdout,
			  key == 'h' ? ARGP_HELP_STD_HELP & ~ARGP_HELP_EXIT_OK : ARGP_HELP_USAGE,
			  (char *)"bpfprof report");
		a->printed = true;
		return ECANCELED;
	case OPT_JSON:
		a->json = true;
		a->json_file = arg;
		/* --json FILE as two words: the next operand may be FILE. */
		a->json_next = arg ? 0 : state->next;
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
		if (a->json && !a->json_file && a->json_next == state->next - 1) {
			a->json_file = arg;
			a->json_took_word = true;
			break;
		}
		if (a->dir) {
			set_err(a->err, sizeof(a->err), "report takes one directory, not '%s' too",
				arg);
			return EINVAL;
		}
		a->dir = arg;
		break;
	case ARGP_KEY_END:
		/* "report --json DIR": the word after --json was the DIR. */
		if (!a->dir && a->json_took_word) {
			a->dir = a->json_file;
			a->json_file = NULL;
		}
		if (!a->dir) {
			set_err(a->err, sizeof(a->err),
				"report needs the run's directory: bpfprof report DIR");
			return EINVAL;
		}
		if ((a->html && !*a->html) || (a->perfetto && !*a->perfetto) ||
		    (a->flame && !*a->flame) || (a->pprof && !*a->pprof) ||
		    (a->folded && !*a->folded) || (a->json_file && !*a->json_file)) {
			set_err(a->err, sizeof(a->err), "empty output file name");
			return EINVAL;
		}
		if (stdout_outputs(a) > 1) {
			set_err(a->err, sizeof(a->err),
				"only one output can go to stdout: name a FILE for the others");
			return EINVAL;
		}
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

typedef int (*writer_fn)(FILE *f, const struct report *r, int top);

static int write_file(const char *path, writer_fn fn, const struct report *r, int top);

static int write_perfetto(FILE *f, const struct report *r, int top)
{
	return report_write_perfetto(f, r);
}

static int write_json(FILE *f, const struct report *r, int top)
{
	json_t *doc = report_to_json(r, top);
	int ret = !doc || json_dumpf(doc, f, JSON_INDENT(2) | JSON_REAL_PRECISION(16)) ||
		  fputc('\n', f) == EOF;

	json_decref(doc);
	return ret ? -1 : 0;
}

/* One output: to stdout for "-", else to the file. */
static int write_output(const char *path, const char *what, writer_fn fn, const struct report *r,
			int top)
{
	if (strcmp(path, "-"))
		return write_file(path, fn, r, top);
	if (fn(stdout, r, top)) {
		fprintf(stderr, "bpfprof: writing the %s report failed\n", what);
		return -1;
	}
	return 0;
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
	static const struct argp argp = { options, parse_opt, "DIR", report_doc };
	struct report_args a = { .top = DEFAULT_TOP };
	struct report r;
	char err[1024];
	int ret = 1;

	/* Our own --help: ARGP_NO_ERRS keeps argp's quiet (one-line errors). */
	if (argp_parse(&argp, argc, argv, ARGP_NO_ERRS | ARGP_NO_HELP | ARGP_IN_ORDER, NULL,
		       &a)) {
		if (a.printed)
			return fflush(stdout) ? 1 : 0;
		if (!a.err[0] && !cli_option_error(options, argc, argv, false, a.err, sizeof(a.err)))
			set_err(a.err, sizeof(a.err),
				"invalid command line (report --help lists the options)");
		fprintf(stderr, "bpfprof: %s\n", text_safe(a.err));
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
	if (a.trace && report_print_trace(stdout, &r, a.trace)) {
		fprintf(stderr, "bpfprof: no trace '%s' in %s\n", a.trace, a.dir);
		goto cleanup;
	}
	if (a.json && write_output(a.json_file ? a.json_file : "-", "JSON", write_json, &r, a.top))
		goto cleanup;
	if (!a.trace && !a.json && !a.html && !a.perfetto && !a.flame && !a.pprof && !a.folded)
		report_print_text(stdout, &r, a.top);
	if (a.html && write_output(a.html, "HTML", report_write_html, &r, a.top))
		goto cleanup;
	if (a.perfetto && write_output(a.perfetto, "Perfetto", write_perfetto, &r, a.top))
		goto cleanup;
	if (a.flame && write_output(a.flame, "flame graph", report_write_flame, &r, a.top))
		goto cleanup;
	if (a.pprof && write_output(a.pprof, "pprof", report_write_pprof, &r, a.top))
		goto cleanup;
	if (a.folded && write_output(a.folded, "folded stacks", report_write_folded, &r, a.top))
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
