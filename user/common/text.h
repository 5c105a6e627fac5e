/* SPDX-License-Identifier: MIT */
/*
 * Names from outside (a process's comm, a symbol, a path, a file's text) on
 * their way to a terminal or into JSON. Any process can name itself
 * "x\n\x1b[31m..." and any binary can hold such a symbol: printed raw, the
 * bytes would move root's cursor or fake a line of the report.
 */
#ifndef BPFPROF_TEXT_H
#define BPFPROF_TEXT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* Length of the valid UTF-8 sequence at s (1 for ASCII), or 0 when s does
 * not start one (overlong forms, surrogates and past U+10FFFF are not). */
size_t utf8_seq_len(const unsigned char *s);

/*
 * in as text safe for a terminal, into out: a backslash is "\\", newline
 * "\n", tab "\t", every other control byte (C0, DEL, C1 in UTF-8), a
 * bidirectional override and every byte that is not valid UTF-8 "\xHH" per
 * byte; valid printable UTF-8 stays as it is. Truncated to fit size,
 * never inside an escape. Returns the length it needs (as snprintf).
 */
size_t text_escape(const char *in, char *out, size_t size);
/* Whether text_escape would leave in unchanged. */
bool text_is_safe(const char *in);
/*
 * in, or (when it needs escaping) its escaped copy in one of this thread's
 * TEXT_SAFE_SLOTS buffers, valid until that many later calls: for use as a
 * printf argument, several in one call. NULL stays NULL.
 */
#define TEXT_SAFE_SLOTS 8
const char *text_safe(const char *in);

/* A JSON string for s; bytes that are not valid UTF-8 (jansson refuses
 * them) become U+FFFD. NULL only when out of memory. */
json_t *json_text(const char *s);
/*
 * When s is not valid UTF-8 (its JSON string, from json_text, has U+FFFD in
 * places), obj[key "_hex"] = s's bytes in lowercase hex: the name is kept
 * and its bytes can be recovered. Nothing otherwise. Returns 0, or -1 when
 * out of memory.
 */
int json_add_raw_hex(json_t *obj, const char *key, const char *s);

#endif
