/* SPDX-License-Identifier: MIT */
/*
 * bpfprof stage markers: header-only, C and C++, x86_64.
 *
 *	#include <bpfprof/marker.h>
 *
 *	BPFPROF_BEGIN(parse);
 *	...
 *	BPFPROF_END(parse);
 *
 *	void handle() { BPFPROF_SCOPE(handle); ... }	// C++: ends at scope exit
 *
 * `bpfprof -m 'GLOB'` times every BEGIN..END pair whose name matches GLOB as
 * a stage named NAME (nesting, self time, I/O, spans as for functions).
 *
 * Each marker is a 5-byte nop plus a standard .note.stapsdt entry (provider
 * "bpfprof", probe NAME__begin or NAME__end, no arguments, no semaphore), so
 * bpftrace, bcc and perf see them as USDT probes too. Untraced, a marker
 * costs that nop; traced, Linux 6.18 turns the nop into a call to its
 * uprobe trampoline instead of a trap. NAME must be an identifier.
 * Define BPFPROF_MARKERS_OFF before the include to compile them out.
 */
#ifndef BPFPROF_MARKER_H
#define BPFPROF_MARKER_H

#if defined(BPFPROF_MARKERS_OFF) || !defined(__x86_64__)

#define BPFPROF_BEGIN(name) ((void)0)
#define BPFPROF_END(name) ((void)0)

#else

/* The note: site address, the .stapsdt.base address (tools use it to
 * detect prelinking), semaphore 0, then provider, name and arguments. */
#define BPFPROF__MARK(probe)                                                                   \
	__asm__ __volatile__("990:\t.byte 0x0f, 0x1f, 0x44, 0x00, 0x00\n"                       \
			     "\t.pushsection .note.stapsdt,\"?\",\"note\"\n"                   \
			     "\t.balign 4\n"                                                    \
			     "\t.4byte 992f-991f, 994f-993f, 3\n"                               \
			     "991:\t.asciz \"stapsdt\"\n"                                       \
			     "992:\t.balign 4\n"                                                \
			     "993:\t.8byte 990b\n"                                              \
			     "\t.8byte _.stapsdt.base\n"                                        \
			     "\t.8byte 0\n"                                                     \
			     "\t.asciz \"bpfprof\"\n"                                           \
			     "\t.asciz \"" probe "\"\n"                                         \
			     "\t.asciz \"\"\n"                                                  \
			     "994:\t.balign 4\n"                                                \
			     "\t.popsection\n"                                                  \
			     "\t.ifndef _.stapsdt.base\n"                                       \
			     "\t.pushsection .stapsdt.base,\"aG\",\"progbits\",.stapsdt.base,comdat\n" \
			     "\t.weak _.stapsdt.base\n"                                         \
			     "\t.hidden _.stapsdt.base\n"                                       \
			     "_.stapsdt.base:\n"                                                \
			     "\t.space 1\n"                                                     \
			     "\t.size _.stapsdt.base, 1\n"                                      \
			     "\t.popsection\n"                                                  \
			     "\t.endif\n")

#define BPFPROF_BEGIN(name) BPFPROF__MARK(#name "__begin")
#define BPFPROF_END(name) BPFPROF__MARK(#name "__end")

#endif

#ifdef __cplusplus
/* BEGIN now, END when the enclosing scope exits (return, exception). */
#define BPFPROF_SCOPE(name)                                                                    \
	struct bpfprof_scope_##name {                                                          \
		bpfprof_scope_##name() { BPFPROF_BEGIN(name); }                                \
		~bpfprof_scope_##name() { BPFPROF_END(name); }                                 \
	} bpfprof_scope_var_##name
#endif

#endif /* BPFPROF_MARKER_H */
