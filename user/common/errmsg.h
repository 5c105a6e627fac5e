/* SPDX-License-Identifier: MIT */
/* One-line error messages into a caller's buffer. */
#ifndef BPFPROF_ERRMSG_H
#define BPFPROF_ERRMSG_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

/* printf into err (if any); the caller prints it once, prefixed. */
static inline __attribute__((format(printf, 3, 4))) void set_err(char *err, size_t errlen,
								  const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

#endif
