/* SPDX-License-Identifier: MIT */
/*
 * Shared by the test targets and the tests that check them: what each target
 * does, exactly. A target given "gate" waits for a byte on stdin before it
 * starts, so a test can attach with -p first; given "hold", it waits again
 * before exiting.
 */
#ifndef TARGET_COMMON_H
#define TARGET_COMMON_H

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* shift_target: calls per function (shift_caller calls shift_mov_test
 * once more each, and spins SHIFT_SPIN_US in spin_body; shift_tail jumps
 * to it) */
#define SHIFT_MOV_TEST_CALLS 1000
#define SHIFT_XOR_PUSH_CALLS 500
#define SHIFT_CET_NOP5_CALLS 300
#define SHIFT_CALLER_CALLS 50
#define SHIFT_SPIN_US 200
#define SHIFT_TAIL_CALLS 40
#define NOSHIFT_LOOP_CALLS 200
#define NOSHIFT_LOOP_ROUNDS 3 /* times its loop jumps back into its start, less one */
#define NOSHIFT_SUB_CALLS 100

/* jmponly_target: main calls jo_parent JO_PARENT_CALLS times; each call
 * spins JO_SPIN_US and calls jo_jmp (one jmp into jo_callee) JO_JMP_CALLS
 * times, jo_ptr (one jmp through a pointer to jo_callee) JO_PTR_CALLS
 * times, jo_reg (one jmp *%rdi, to jo_callee) JO_REG_CALLS times, jo_ret
 * (one ret) JO_RET_CALLS times and jo_callee once itself */
#define JO_PARENT_CALLS 100
#define JO_SPIN_US 100
#define JO_JMP_CALLS 3
#define JO_PTR_CALLS 2
#define JO_REG_CALLS 2
#define JO_RET_CALLS 4
#define JO_CALLEE_CALLS (JO_PARENT_CALLS * (JO_JMP_CALLS + JO_PTR_CALLS + JO_REG_CALLS + 1))

/* io_target */
#define IO_WRITES 1000 /* write(/dev/null, 100) */
#define IO_WRITE_SIZE 100
#define IO_READS 500 /* read(/dev/zero, 200) */
#define IO_READ_SIZE 200
#define IO_BAD_READS 7 /* read(-1): EBADF */
#define IO_PWRITES 10  /* pwrite64(tmpfile, 4096) */
#define IO_PREADS 12   /* pread64(tmpfile, 4096); the last 2 past EOF return 0 */
#define IO_PREADS_AT_EOF 2
#define IO_BLOCK 4096
#define IO_WRITEVS 20 /* writev(/dev/null, 2 x 50) */
#define IO_READVS 20  /* readv(/dev/zero, 2 x 64) */
#define IO_DGRAMS 30  /* sendto/recvfrom on a datagram socketpair, 64 bytes */
#define IO_DGRAM_SIZE 64
#define IO_MSGS 5 /* sendmsg/recvmsg, 32 bytes */
#define IO_MSG_SIZE 32
#define IO_MMSG_VLEN 4 /* one sendmmsg and one recvmmsg of 4 x 16 bytes */
#define IO_MMSG_SIZE 16
/* With "slow": a nanosleep after each of the 5 phases. Blocking calls: their
 * entry is carried across the context switch (sched_switch hand-off). */
#define IO_SLOW_NAPS 5
#define IO_SLOW_NAP_NS (30 * 1000 * 1000)

/* exit_target: EXIT_THREADS threads each call exit_thread_quits, which
 * ends its thread from inside (pthread_exit); then main calls
 * exit_returns EXIT_RETURN_CALLS times, and exit_process_exits, which ends
 * the process from inside (exit). */
#define EXIT_THREADS 3
#define EXIT_RETURN_CALLS 10

/* stage_target: the functions -u times, and what each does */
#define STAGE_OUTER_CALLS 50	/* stage_outer calls stage_inner twice */
#define STAGE_RECURSE_CALLS 20	/* stage_recurse(STAGE_RECURSE_DEPTH) */
#define STAGE_RECURSE_DEPTH 9	/* so 10 calls each */
#define STAGE_SLEEP_CALLS 100	/* stage_sleep: 90 x 1 ms, 10 x 4 ms */
#define STAGE_SLEEP_SHORT_NS 1000000
#define STAGE_SLEEP_LONG_NS 4000000
#define STAGE_SLEEP_LONG_EVERY 10
#define STAGE_WRITER_CALLS 10	/* stage_writer: 5 writes of 64, 2 reads of 32 */
#define STAGE_WRITER_WRITES 5
#define STAGE_WRITER_WRITE_SIZE 64
#define STAGE_WRITER_READS 2
#define STAGE_WRITER_READ_SIZE 32
#define STAGE_JUMP_CALLS 5	/* stage_jumper calls stage_jumped, which longjmps out */
#define STAGE_THREADS 4		/* stage_threaded, from 4 threads at once */
#define STAGE_THREAD_CALLS 25
#define STAGE_LIB_CALLS 30	/* lib_stage_work in libstagelib.so: 1 write of 10 each */

/* nested_target: handle_request calls handle_parse exactly once, which
 * makes exactly one write of NESTED_WRITE_SIZE to /dev/null; no other write.
 * "count": NESTED_THREADS threads, NESTED_CALLS requests each. */
#define NESTED_THREADS 2
#define NESTED_CALLS 20000
#define NESTED_WRITE_SIZE 16

/* fork_target: a process tree. The parent makes FORK_PARENT_WRITES writes
 * and calls fork_stage once, forks FORK_CHILDREN children (child i makes
 * FORK_CHILD_WRITES(i) writes and calls fork_stage i + 1 times), and the
 * first child forks a grandchild making FORK_GRANDCHILD_WRITES writes. All
 * writes are 8 bytes to /dev/null; the parent waits for its children. */
#define FORK_PARENT_WRITES 5
#define FORK_CHILDREN 3
#define FORK_CHILD_WRITES(i) (10 * ((i) + 1))
#define FORK_GRANDCHILD_WRITES 7
#define FORK_WRITE_SIZE 8

/* telemetry_target: known memory growth, CPU burn and I/O (see the file) */
#define TELE_GROW_MIB 64	   /* allocated and touched once the first phase is over */
#define TELE_BURN_NS 400000000ULL /* CPU time burned in user space after that */
#define TELE_WRITES 10		   /* write(/dev/null, 1000) */
#define TELE_WRITE_SIZE 1000
#define TELE_READS 5		   /* read(/dev/zero, 700) */
#define TELE_READ_SIZE 700
#define TELE_NAPS 20		   /* 20 ms sleeps in each quiet phase */
#define TELE_NAP_NS 20000000L
/* The build id the Makefile links telemetry_target with. */
#define TELE_BUILD_ID "5eed000000000000000000000000000000006006"

/* tick_target: tick() about once a ms until stdin closes, or a known count */
#define TICK_THREADS 4
#define TICK_CALLS_PER_THREAD 1000

/* toggle_target: driven by command bytes on stdin, each answered with the
 * same byte on stdout once done (see the file). "w": TOGGLE_WORK_CALLS calls
 * of toggle_work (no I/O). "h": enters toggle_held, which answers, then
 * reads commands inside it (reads of 1): "w" as above, and "i": toggle_inner
 * (TOGGLE_INNER_WRITES writes), then TOGGLE_HELD_WRITES writes in
 * toggle_held itself, which returns; the answer comes after the return.
 * Writes are TOGGLE_WRITE_SIZE bytes to /dev/null. At the start it writes
 * the address of toggle_work ("%p\n") and then "r". */
#define TOGGLE_WORK_CALLS 100
#define TOGGLE_INNER_WRITES 5
#define TOGGLE_HELD_WRITES 7
#define TOGGLE_WRITE_SIZE 10

/* span_target tree: each span_root call is one trace of 9 spans (root, 2
 * mids, 6 leaves), on the main thread and on SPAN_THREADS more threads;
 * then SPAN_CHAINS calls of span_chain, each a chain SPAN_CHAIN_DEPTH + 1
 * deep, on the main thread. Every I/O is known exactly. */
#define SPAN_ROOTS 20		/* per thread */
#define SPAN_THREADS 2		/* besides the main thread */
#define SPAN_MIDS 2		/* span_mid calls per span_root */
#define SPAN_LEAVES 3		/* span_leaf calls per span_mid */
#define SPAN_ROOT_READ 48	/* span_root: 1 read of /dev/zero, before its mids */
#define SPAN_MID_WRITE 24	/* span_mid: 1 write to /dev/null, after its leaves */
#define SPAN_LEAF_WRITE 8	/* span_leaf: 1 write to /dev/null */
#define SPAN_CHAINS 5
#define SPAN_CHAIN_DEPTH 6	/* span_chain(6) recurses down to span_chain(0) */
/* span_target flood N: N calls of span_flood, no I/O */

/* fault_target: FAULT_WRITES writes of FAULT_WRITE_SIZE to /dev/null, then
 * "segv" dies of SIGSEGV, "exec PATH ARGS..." execs PATH, "abort" raises
 * SIGABRT, and otherwise it exits 0 (after "hold", see target_hold). */
#define FAULT_WRITES 300
#define FAULT_WRITE_SIZE 10

/* selftime_target: functions of known length, timed by the target itself
 * before its gate; then SELFTIME_*_CALLS calls of each. selftime_parent
 * spins SELFTIME_PARENT_SELF_NS itself around SELFTIME_CHILDREN calls of
 * selftime_child, which is as long as selftime_short. */
#define SELFTIME_SHORT_NS 90
#define SELFTIME_MEDIUM_NS 1000
#define SELFTIME_PARENT_SELF_NS 440
#define SELFTIME_CHILDREN 8
#define SELFTIME_SHORT_CALLS 50000
#define SELFTIME_MEDIUM_CALLS 20000
#define SELFTIME_PARENT_CALLS 5000
#define SELFTIME_LOOP_MS 3000 /* "loop": selftime_short for this long */
/* spin_target: SPIN_ROUNDS rounds of stage_hot (spin_a, SPIN_A_UNITS
 * units of work) then stage_cold (spin_b, SPIN_B_UNITS units): the same
 * loop in both, so 75% of the CPU goes to spin_a inside stage_hot and 25%
 * to spin_b inside stage_cold, however loaded the machine. */
#define SPIN_ROUNDS 600
#define SPIN_A_UNITS 3
#define SPIN_B_UNITS 1
#define SPIN_UNIT_ITERS 2000000

/* wall_target: where each stage's time goes (see the file). Times are what
 * the target aims at; it writes what it measured itself to its result file. */
#define WALL_SPIN_NS 60000000L	/* wall_spin_sleep: 60 ms of CPU time, */
#define WALL_SLEEP_NS 60000000L /* then a 60 ms nanosleep */
#define WALL_HOLD_NS 60000000L	/* lock and pipe: the other thread lets go after this */
#define WALL_RUNQ_CPU_NS 30000000L /* wall_runq_wait: 30 ms of CPU beside a spinner */
#define WALL_PAGES 64		/* wall_touch_pages: one byte in each fresh page */
#define WALL_FILE_BYTES 1000	/* wall_write_kinds: one write to a file, */
#define WALL_SOCKET_BYTES 300	/* one to a socket, */
#define WALL_PIPE_BYTES 200	/* one to a pipe */
#define WALL_NEST_NS 20000000L /* wall_outer naps this long, then calls wall_inner, which does too */

/* Wait for the go byte when asked to, so an attach with -p sees everything. */
static inline void target_gate(int argc, char **argv)
{
	char go;

	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "gate") && read(0, &go, 1) != 1)
			exit(3);
}

/* With "hold", stay alive after the work until stdin has a byte or closes,
 * so a test can look at the figures of a target that has done everything.
 * (That last read is counted only when it returns.) */
static inline void target_hold(int argc, char **argv)
{
	char go;

	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "hold") && read(0, &go, 1) < 0)
			exit(3);
}

#endif
