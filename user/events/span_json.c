// SPDX-License-Identifier: MIT
#include <bpf/bpf.h>
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include "common/text.h"
#include "events/span_json.h"
#include "output/records.h"
#include "probes/usdt.h"

/* Everything but the two strings, at the widest every number can be. */
#define LINE_FIXED 2048

/* A JSON string literal for s. Bytes that are not valid UTF-8 (a symbol or
 * a binary's path may hold any) become U+FFFD, as in summary.json, whose
 * stage has the raw bytes in name_hex: the line must stay valid JSON. */
static char *json_literal(const char *s)
{
	json_t *j = json_text(s);
	char *out;

	if (!j)
		return NULL;
	out = json_dumps(j, JSON_ENCODE_ANY | JSON_COMPACT);
	json_decref(j);
	return out;
}

int span_names_init(struct span_names *sn, const struct stage_table *t)
{
	size_t longest = 0;

	memset(sn, 0, sizeof(*sn));
	sn->names_fd = -1;
	sn->name = calloc(t->n ? t->n : 1, sizeof(*sn->name));
	sn->binary = calloc(t->n ? t->n : 1, sizeof(*sn->binary));
	sn->slot_nargs = calloc(t->n ? t->n : 1, sizeof(*sn->slot_nargs));
	if (!sn->name || !sn->binary || !sn->slot_nargs)
		goto fail;
	sn->n = t->n;
	for (size_t i = 0, other = 0; i < t->n; i++) {
		size_t len;

		if (t->v[i].usdt_named)
			other = i;
		if (t->v[i].usdt_name_slot && !*t->v[i].name && t->v[other].usdt_named) {
			/* Named later, by span_names_learn(): any bytes, each
			 * escaped to at most 6 characters. */
			sn->slot_nargs[i] = t->v[other].usdt_named->nargs;
			sn->binary[i] = json_literal(t->v[i].binary);
			if (!sn->binary[i])
				goto fail;
			len = USDT_NAME_MAX_ARGS * USDT_NAME_ARG_BYTES * 6 + strlen(sn->binary[i]);
			if (len > longest)
				longest = len;
			continue;
		}
		sn->name[i] = json_literal(t->v[i].name);
		sn->binary[i] = json_literal(t->v[i].binary);
		if (!sn->name[i] || !sn->binary[i])
			goto fail;
		len = strlen(sn->name[i]) + strlen(sn->binary[i]);
		if (len > longest)
			longest = len;
	}
	sn->line_max = LINE_FIXED + longest;
	return 0;
fail:
	span_names_free(sn);
	return -ENOMEM;
}

void span_names_free(struct span_names *sn)
{
	for (size_t i = 0; i < sn->n; i++) {
		if (sn->name)
			free(sn->name[i]);
		if (sn->binary)
			free(sn->binary[i]);
	}
	free(sn->name);
	free(sn->binary);
	free(sn->slot_nargs);
	memset(sn, 0, sizeof(*sn));
	sn->names_fd = -1;
}

bool span_names_missing(const struct span_names *sn, uint32_t stage)
{
	return stage < sn->n && !sn->name[stage] && sn->slot_nargs[stage];
}

void span_names_learn(struct span_names *sn)
{
	struct usdt_name_key key, next, *prev = NULL;
	char name[USDT_NAME_MAX_ARGS * USDT_NAME_ARG_BYTES];
	__u32 id;

	if (sn->names_fd < 0)
		return;
	while (!bpf_map_get_next_key(sn->names_fd, prev, &next)) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(sn->names_fd, &key, &id) || !span_names_missing(sn, id))
			continue;
		usdt_name_join(key.text[0], sn->slot_nargs[id], name, sizeof(name));
		sn->name[id] = json_literal(name); /* NULL: "null" for now */
	}
}

static char *put(char *p, const char *s)
{
	size_t n = strlen(s);

	memcpy(p, s, n);
	return p + n;
}

static char *put_u64(char *p, uint64_t v)
{
	char tmp[20];
	int n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		*p++ = tmp[--n];
	return p;
}

/* "%016llx", quoted */
static char *put_id(char *p, uint64_t v)
{
	static const char hex[] = "0123456789abcdef";

	*p++ = '"';
	for (int shift = 60; shift >= 0; shift -= 4)
		*p++ = hex[(v >> shift) & 0xf];
	*p++ = '"';
	return p;
}

/* The kinds of file the call did I/O on, as in a STAGE record's
 * io.by_kind, but only those with operations (most calls touch one). */
static char *put_kinds(char *p, const struct span_record *r)
{
	bool first = true;

	for (unsigned int i = 0; i < IO_KIND_NR; i++) {
		unsigned int k = io_kind_order[i];
		const struct kind_io *x = &r->io_kind[k];

		if (!x->ops)
			continue;
		p = put(p, first ? "\"" : ",\"");
		first = false;
		p = put(p, io_kind_name(k));
		p = put(p, "\":{\"ops\":");
		p = put_u64(p, x->ops);
		p = put(p, ",\"bytes_read\":");
		p = put_u64(p, x->bytes_read);
		p = put(p, ",\"bytes_written\":");
		p = put_u64(p, x->bytes_written);
		p = put(p, ",\"time_ns\":");
		p = put_u64(p, x->time_ns);
		p = put(p, "}");
	}
	return p;
}

size_t span_json_format(char *buf, const struct span_record *r, const struct span_names *sn)
{
	bool known = r->stage < sn->n;
	uint64_t blocked = 0, self;
	char *p = buf;

	for (int k = 0; k < WALL_BLOCK_NR; k++)
		blocked += r->blocked_ns[k];
	self = r->on_cpu_ns + r->runqueue_ns + blocked;

	p = put(p, "{\"schema\":\"" SPAN_SCHEMA "\",\"trace_id\":");
	p = put_id(p, r->trace_id);
	p = put(p, ",\"span_id\":");
	p = put_id(p, r->span_id);
	p = put(p, ",\"parent_id\":");
	p = r->parent_id ? put_id(p, r->parent_id) : put(p, "null");
	p = put(p, ",\"pid\":");
	p = put_u64(p, r->pid);
	p = put(p, ",\"tid\":");
	p = put_u64(p, r->tid);
	p = put(p, ",\"name\":");
	p = put(p, known && sn->name[r->stage] ? sn->name[r->stage] : "null");
	p = put(p, ",\"binary\":");
	p = put(p, known ? sn->binary[r->stage] : "null");
	p = put(p, ",\"start_ns\":");
	p = put_u64(p, r->start_ns);
	p = put(p, ",\"dur_ns\":");
	p = put_u64(p, r->dur_ns);
	p = put(p, ",\"self_ns\":");
	p = put_u64(p, self);
	p = put(p, ",\"io\":{\"ops\":");
	p = put_u64(p, r->io_ops);
	p = put(p, ",\"bytes_read\":");
	p = put_u64(p, r->io_bytes_read);
	p = put(p, ",\"bytes_written\":");
	p = put_u64(p, r->io_bytes_written);
	p = put(p, ",\"time_ns\":");
	p = put_u64(p, r->io_time_ns);
	p = put(p, ",\"by_kind\":{");
	p = put_kinds(p, r);
	p = put(p, "}},\"wall\":{\"on_cpu_ns\":");
	p = put_u64(p, r->on_cpu_ns);
	p = put(p, ",\"runqueue_ns\":");
	p = put_u64(p, r->runqueue_ns);
	p = put(p, ",\"blocked_ns\":");
	p = put_u64(p, blocked);
	p = put(p, ",\"blocked\":{\"io_ns\":");
	p = put_u64(p, r->blocked_ns[WALL_BLOCK_IO]);
	p = put(p, ",\"lock_ns\":");
	p = put_u64(p, r->blocked_ns[WALL_BLOCK_LOCK]);
	p = put(p, ",\"sleep_ns\":");
	p = put_u64(p, r->blocked_ns[WALL_BLOCK_SLEEP]);
	p = put(p, ",\"other_ns\":");
	p = put_u64(p, r->blocked_ns[WALL_BLOCK_OTHER]);
	p = put(p, "}},\"faults\":{\"minor\":");
	p = put_u64(p, r->faults_minor);
	p = put(p, ",\"major\":");
	p = put_u64(p, r->faults_major);
	p = put(p, "}}\n");
	return (size_t)(p - buf);
}
