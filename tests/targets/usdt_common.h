/* SPDX-License-Identifier: MIT */
/* What usdt_target and marker_target do, exactly (the USDT tests know it). */
#ifndef BPFPROF_USDT_COMMON_H
#define BPFPROF_USDT_COMMON_H

#define USDT_BATCHES 4		/* app:batch__start..batch__done */
#define USDT_REQS_PER_BATCH 10	/* app:req__start..req__done inside each batch */
#define USDT_REQ_WRITE 100	/* bytes each request writes to /dev/null */
#define USDT_JOBS 7		/* app:job__begin..job__end, behind semaphores */
/* Request r of each batch passes the string USDT_REQ_NAMES[r % 3] as
 * req__start's second argument: the third holds a quote, a newline and a
 * byte that is not UTF-8, as a query text or a file name may. */
#define USDT_REQ_NAMES { "get", "put", "del \"x\"\n\xff" }
#define USDT_REQ_NAME_COUNT 3

#define MARK_REQUESTS 30	/* BPFPROF_BEGIN(request)..END(request) */
#define MARK_PARSES 2		/* BPFPROF_BEGIN(parse)..END(parse) in each request */
#define MARK_PARSE_WRITE 64	/* bytes each parse writes to /dev/null */

#endif
