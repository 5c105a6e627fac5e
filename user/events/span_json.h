/* SPDX-License-Identifier: MIT */
/*
 * --events: a span record as one line of events.jsonl (the format is in
 * README.md). Each line opens with "schema", like every record bpfprof
 * writes (so a later run knows the file as bpfprof's output). Ids are 16 lowercase hex digits in a
 * JSON string, so that 64-bit ids stay exact in every JSON reader; parent_id is null at a root.
 * Stage names and binaries are escaped once, by jansson, when the table is
 * built; the numbers are formatted here, with no allocation per record.
 */
#ifndef BPFPROF_SPAN_JSON_H
#define BPFPROF_SPAN_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "bpfprof.h"
#include "probes/stages.h"

#define SPAN_SCHEMA "bpfprof.span.v1"

struct span_names {
	char **name; /* JSON string literals, quotes included, by stage id */
	char **binary;
	size_t n;
	size_t line_max; /* the longest line span_json_format can write, '\n' included */
	/* -U ...@N: by stage id, how many arguments name the stage when it is
	 * a name slot not yet named (0 otherwise), and the usdt_names map
	 * they are learnt from (-1: none). */
	int *slot_nargs;
	int names_fd;
};

/* 0, or -ENOMEM. */
int span_names_init(struct span_names *sn, const struct stage_table *t);
void span_names_free(struct span_names *sn);

/* Whether stage id @stage is a name slot whose name is not known yet. */
bool span_names_missing(const struct span_names *sn, uint32_t stage);
/* The names the probes have met (sn->names_fd) onto the slots still
 * unnamed: called by the one thread that formats lines. */
void span_names_learn(struct span_names *sn);

/* Writes r's line, '\n'-terminated (no NUL), into buf, which holds at
 * least sn->line_max bytes. Returns the line's length. A stage id outside
 * the table gets "name": null and "binary": null. */
size_t span_json_format(char *buf, const struct span_record *r, const struct span_names *sn);

#endif
