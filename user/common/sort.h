/* SPDX-License-Identifier: MIT */
/* qsort and qsort_r for arrays that may be empty: an empty array's pointer
 * may be NULL, which glibc declares qsort must never get (UBSan stops on
 * it). */
#ifndef BPFPROF_SORT_H
#define BPFPROF_SORT_H

#include <stdlib.h>

static inline void sort_n(void *base, size_t n, size_t size,
			  int (*cmp)(const void *, const void *))
{
	if (n)
		qsort(base, n, size, cmp);
}

static inline void sort_n_r(void *base, size_t n, size_t size,
			    int (*cmp)(const void *, const void *, void *), void *arg)
{
	if (n)
		qsort_r(base, n, size, cmp, arg);
}

#endif
