// SPDX-License-Identifier: MIT
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/text.h"

size_t utf8_seq_len(const unsigned char *s)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t n;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f; /* no surrogates */
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f; /* nothing past U+10FFFF */
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

/* Code points a terminal acts on or that reorder what it shows: C1
 * controls (U+0080-U+009F, 0x9b is a CSI), the bidirectional embeddings,
 * overrides and isolates (U+202A-U+202E, U+2066-U+2069). */
static bool is_control_seq(const unsigned char *s, size_t n)
{
	if (n == 2)
		return s[0] == 0xc2 && s[1] < 0xa0;
	if (n == 3 && s[0] == 0xe2 && s[1] == 0x80)
		return s[2] >= 0xaa && s[2] <= 0xae;
	if (n == 3 && s[0] == 0xe2 && s[1] == 0x81)
		return s[2] >= 0xa6 && s[2] <= 0xa9;
	return false;
}

/* How many bytes of in are passed through as they are (n), or escaped
 * (0, one byte at a time). */
static size_t plain_len(const unsigned char *s)
{
	size_t n = utf8_seq_len(s);

	if (n == 1)
		return *s >= 0x20 && *s < 0x7f && *s != '\\';
	return is_control_seq(s, n) ? 0 : n;
}

/* The piece of text_escape's output for the bytes at s; *used says how
 * many of them it stands for. Returns its length. */
static size_t escape_piece(const unsigned char *s, char esc[5], const char **piece, size_t *used)
{
	size_t n = plain_len(s);

	if (n) {
		*piece = (const char *)s;
		*used = n;
		return n;
	}
	*piece = esc;
	*used = 1;
	if (*s == '\\' || *s == '\n' || *s == '\t') {
		esc[0] = '\\';
		esc[1] = *s == '\\' ? '\\' : *s == '\n' ? 'n' : 't';
		return 2;
	}
	snprintf(esc, 5, "\\x%02x", *s);
	return 4;
}

size_t text_escape(const char *in, char *out, size_t size)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t need = 0, o = 0;
	bool full = false;

	while (*s) {
		char esc[5];
		const char *piece;
		size_t used, plen = escape_piece(s, esc, &piece, &used);

		/* Once one piece does not fit, none after it is written. */
		if (!full && o + plen < size) {
			memcpy(out + o, piece, plen);
			o += plen;
		} else {
			full = true;
		}
		need += plen;
		s += used;
	}
	if (size)
		out[o] = '\0';
	return need;
}

bool text_is_safe(const char *in)
{
	const unsigned char *s = (const unsigned char *)in;

	while (*s) {
		size_t n = plain_len(s);

		if (!n)
			return false;
		s += n;
	}
	return true;
}

const char *text_safe(const char *in)
{
	static __thread char *slot[TEXT_SAFE_SLOTS];
	static __thread size_t cap[TEXT_SAFE_SLOTS];
	static __thread unsigned int next;
	unsigned int i;
	size_t need;

	if (!in || text_is_safe(in))
		return in;
	i = next++ % TEXT_SAFE_SLOTS;
	need = text_escape(in, NULL, 0) + 1;
	if (cap[i] < need) {
		char *p = realloc(slot[i], need);

		if (!p)
			return "(name not shown: out of memory)";
		slot[i] = p;
		cap[i] = need;
	}
	text_escape(in, slot[i], need);
	return slot[i];
}

/* s with every byte that is not valid UTF-8 replaced by U+FFFD (malloc'd),
 * or NULL when s is valid (*bad false) or out of memory (*bad true). */
static char *utf8_repair(const char *in, bool *bad)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t len = strlen(in), o = 0;
	char *out;

	*bad = false;
	for (const unsigned char *p = s; *p;) {
		size_t n = utf8_seq_len(p);

		if (!n) {
			*bad = true;
			break;
		}
		p += n;
	}
	if (!*bad)
		return NULL;
	out = malloc(len * 3 + 1);
	if (!out)
		return NULL;
	while (*s) {
		size_t n = utf8_seq_len(s);

		if (n) {
			memcpy(out + o, s, n);
			o += n;
			s += n;
		} else {
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
			s++;
		}
	}
	out[o] = '\0';
	return out;
}

json_t *json_text(const char *s)
{
	bool bad;
	char *fixed = utf8_repair(s, &bad);
	json_t *j;

	if (!bad)
		return json_string(s);
	if (!fixed)
		return NULL;
	j = json_string(fixed);
	free(fixed);
	return j;
}

int json_add_raw_hex(json_t *obj, const char *key, const char *s)
{
	bool bad;
	char *fixed = utf8_repair(s, &bad), *hex, *hex_key;
	size_t len = strlen(s);
	int rc = -1;

	free(fixed);
	if (!bad)
		return 0;
	hex = malloc(len * 2 + 1);
	hex_key = malloc(strlen(key) + sizeof("_hex"));
	if (hex && hex_key) {
		for (size_t i = 0; i < len; i++)
			snprintf(hex + 2 * i, 3, "%02x", (unsigned char)s[i]);
		hex[2 * len] = '\0';
		sprintf(hex_key, "%s_hex", key);
		rc = json_object_set_new(obj, hex_key, json_string(hex));
	}
	free(hex);
	free(hex_key);
	return rc;
}
