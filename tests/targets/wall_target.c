// SPDX-License-Identifier: MIT
/*
 * Stages whose wall time, faults and I/O kinds are known (target_common.h):
 *   wall_target RESULT_FILE
 * wall_spin_sleep burns CPU then sleeps; wall_lock_wait blocks on a mutex
 * the main thread holds; wall_pipe_wait blocks reading a pipe the main
 * thread fills late; wall_runq_wait burns CPU on CPU 0 while another thread
 * spins there too; wall_touch_pages touches fresh pages (called once first
 * with 0 pages, so its code and the probes' pages are mapped before);
 * wall_write_kinds writes to a file, a socket and a pipe; wall_outer naps
 * then calls wall_inner, which naps too (each span's split covers its own
 * self time). The figures the
 * target measured itself go to RESULT_FILE as "name value" lines.
 */
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include "targets/target_common.h"

#define NOINLINE __attribute__((noinline))

static volatile unsigned long sink;
static pthread_mutex_t held = PTHREAD_MUTEX_INITIALIZER;
static int pipe_fds[2];
static volatile int spinning, ready;
static FILE *result;

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void nap(long ns)
{
	struct timespec ts = { .tv_sec = ns / 1000000000L, .tv_nsec = ns % 1000000000L };

	nanosleep(&ts, NULL);
}

/* Burn this much of the thread's own CPU time. */
static void burn(uint64_t ns)
{
	uint64_t end = clock_ns(CLOCK_THREAD_CPUTIME_ID) + ns;

	while (clock_ns(CLOCK_THREAD_CPUTIME_ID) < end)
		for (int i = 0; i < 1000; i++)
			sink += i;
}

/* The kernel's own figures for this thread: time on the CPU and waiting on
 * a runqueue (schedstat), in ns. */
static void schedstat(unsigned long long *run, unsigned long long *wait)
{
	FILE *f = fopen("/proc/thread-self/schedstat", "r");

	if (!f || fscanf(f, "%llu %llu", run, wait) != 2)
		exit(7);
	fclose(f);
}

NOINLINE void wall_spin_sleep(void)
{
	uint64_t cpu0 = clock_ns(CLOCK_THREAD_CPUTIME_ID), t0 = clock_ns(CLOCK_MONOTONIC), t1;
	unsigned long long run0, wait0, run1, wait1;

	schedstat(&run0, &wait0);
	burn(WALL_SPIN_NS);
	t1 = clock_ns(CLOCK_MONOTONIC);
	nap(WALL_SLEEP_NS);
	schedstat(&run1, &wait1);
	fprintf(result,
		"spin_cpu_ns %llu\nspin_wall_ns %llu\nsleep_wall_ns %llu\nsched_run_ns %llu\n"
		"sched_wait_ns %llu\n",
		(unsigned long long)(clock_ns(CLOCK_THREAD_CPUTIME_ID) - cpu0),
		(unsigned long long)(t1 - t0), (unsigned long long)(clock_ns(CLOCK_MONOTONIC) - t1),
		run1 - run0, wait1 - wait0);
}

NOINLINE void wall_inner(void)
{
	nap(WALL_NEST_NS);
}

NOINLINE void wall_outer(void)
{
	nap(WALL_NEST_NS);
	wall_inner();
}

NOINLINE void wall_lock_wait(void)
{
	pthread_mutex_lock(&held);
	pthread_mutex_unlock(&held);
}

NOINLINE long wall_pipe_wait(void)
{
	char b;

	return read(pipe_fds[0], &b, 1);
}

/* The other thread is about to block: hold from now (on a loaded machine
 * it may take a while to start). */
static void wait_ready(void)
{
	while (!ready)
		sched_yield();
	ready = 0;
}

static void *lock_thread(void *arg)
{
	uint64_t t0 = clock_ns(CLOCK_MONOTONIC);

	ready = 1;
	wall_lock_wait();
	fprintf(result, "lock_wall_ns %llu\n", (unsigned long long)(clock_ns(CLOCK_MONOTONIC) - t0));
	return NULL;
}

static void *pipe_thread(void *arg)
{
	uint64_t t0 = clock_ns(CLOCK_MONOTONIC);

	ready = 1;
	if (wall_pipe_wait() != 1)
		exit(4);
	fprintf(result, "pipe_wall_ns %llu\n", (unsigned long long)(clock_ns(CLOCK_MONOTONIC) - t0));
	return NULL;
}

static void pin_cpu0(void)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		exit(5);
}

NOINLINE void wall_runq_wait(void)
{
	burn(WALL_RUNQ_CPU_NS);
}

static void *spinner(void *arg)
{
	pin_cpu0();
	spinning = 1;
	while (spinning)
		sink++;
	return NULL;
}

NOINLINE void wall_touch_pages(volatile char *p, int pages)
{
	for (int i = 0; i < pages; i++)
		p[(long)i * 4096] = 1;
}

NOINLINE void wall_write_kinds(int file, int sock, int pipe_w)
{
	static char buf[WALL_FILE_BYTES];

	if (write(file, buf, WALL_FILE_BYTES) != WALL_FILE_BYTES ||
	    write(sock, buf, WALL_SOCKET_BYTES) != WALL_SOCKET_BYTES ||
	    write(pipe_w, buf, WALL_PIPE_BYTES) != WALL_PIPE_BYTES)
		exit(6);
}

int main(int argc, char **argv)
{
	char path[512];
	pthread_t t;
	char *pages;
	int file, sv[2], kp[2];

	if (argc < 2 || !(result = fopen(argv[1], "w")))
		return 2;
	setvbuf(result, NULL, _IOLBF, 0);

	wall_spin_sleep();
	wall_outer();

	pthread_mutex_lock(&held);
	pthread_create(&t, NULL, lock_thread, NULL);
	wait_ready();
	nap(WALL_HOLD_NS);
	pthread_mutex_unlock(&held);
	pthread_join(t, NULL);

	if (pipe(pipe_fds))
		return 2;
	pthread_create(&t, NULL, pipe_thread, NULL);
	wait_ready();
	nap(WALL_HOLD_NS);
	if (write(pipe_fds[1], "x", 1) != 1)
		return 2;
	pthread_join(t, NULL);

	pthread_create(&t, NULL, spinner, NULL);
	while (!spinning)
		sched_yield();
	pin_cpu0();
	{
		uint64_t t0 = clock_ns(CLOCK_MONOTONIC);

		wall_runq_wait();
		fprintf(result, "runq_wall_ns %llu\n",
			(unsigned long long)(clock_ns(CLOCK_MONOTONIC) - t0));
	}
	spinning = 0;
	pthread_join(t, NULL);

	pages = mmap(NULL, (WALL_PAGES + 1) * 4096L, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (pages == MAP_FAILED || madvise(pages, (WALL_PAGES + 1) * 4096L, MADV_NOHUGEPAGE))
		return 2;
	wall_touch_pages(pages, 0);
	wall_touch_pages(pages, WALL_PAGES);

	snprintf(path, sizeof(path), "%s.file", argv[1]);
	file = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (file < 0 || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) || pipe(kp))
		return 2;
	wall_write_kinds(file, sv[0], kp[1]);
	fclose(result);
	return 0;
}
