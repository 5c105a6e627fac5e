#!/usr/bin/env python3
"""The bench's proofs that a tool attached and counted (bench/lib/proof.py),
on outputs the tools printed on this machine (bench/tests/outputs/, one run
each of the loop named in the file name, e.g. sys_strace_write_50: strace on
50 write calls). No root, no BPF, under a second:

    python3 bench/tests/test_proof.py      (or: make bench-check)
"""
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from lib import commands as C  # noqa: E402
from lib import proof as P  # noqa: E402
from lib.tools import ready_line  # noqa: E402


def output(name):
    with open(os.path.join(HERE, "outputs", name + ".txt")) as f:
        return f.read()


def check(tool, name):
    """What tool's proof makes of a captured output."""
    return tool.proof.check(tool.tag, output(name))


class Parsers(unittest.TestCase):
    def test_bpftrace_counts_per_syscall_number(self):
        t = output("sys_bpftrace_getppid_3000")
        self.assertEqual(P.bpftrace_syscall_count(t, "getppid"), 3000)
        self.assertEqual(P.bpftrace_syscall_count(t, "write"), 1)
        self.assertIsNone(P.bpftrace_syscall_count(t, "read"))
        self.assertEqual(P.bpftrace_probes(t), 3)

    def test_bpftrace_hist_total(self):
        self.assertEqual(P.bpftrace_hist_total(output("stage_bpftrace_push_3000"), "ns"), 3000)

    def test_syscount(self):
        self.assertEqual(P.syscount_count(output("sys_syscount_getppid_3000"), "getppid"), 3000)

    def test_strace(self):
        t = output("sys_strace_write_50")
        self.assertEqual(P.strace_count(t, "write"), 51)
        self.assertIsNone(P.strace_count(t, "getppid"))

    def test_perf_trace(self):
        self.assertEqual(P.perf_trace_count(output("sys_perf_trace_getppid_50"), "getppid"), 50)

    def test_funclatency(self):
        self.assertEqual(P.funclatency_total(output("stage_funclatency_push_3000")), 3000)

    def test_funclatency_with_syscount(self):
        t = output("stage_funclatency_syscount_push_3000")
        self.assertEqual(P.funclatency_total(t), 3000)
        self.assertEqual(P.syscount_count(t, "write"), 1)

    def test_bpfprof(self):
        t = output("sys_bpfprof_getppid_3000")
        self.assertEqual(P.bpfprof_syscall_count(t, "getppid"), 3000)
        self.assertEqual(P.bpfprof_syscall_count(t, "read"), 0)
        self.assertEqual(P.bpfprof_stage_calls(output("stage_bpfprof_push_3000")), 3000)
        self.assertEqual(P.bpfprof_stage_calls(output("stage_bpfprof_stages_off_push_3000")), 0)

    def test_no_output_no_count(self):
        for read in (lambda t: P.bpftrace_syscall_count(t, "getppid"),
                     lambda t: P.bpftrace_hist_total(t, "ns"), P.bpftrace_probes,
                     lambda t: P.syscount_count(t, "getppid"),
                     lambda t: P.strace_count(t, "getppid"),
                     lambda t: P.perf_trace_count(t, "getppid"), P.funclatency_total,
                     lambda t: P.bpfprof_syscall_count(t, "getppid"), P.bpfprof_stage_calls):
            self.assertIsNone(read(""))
            self.assertIsNone(read(output("sys_bpftrace_old_wrapper_tracefs_mounted")))


class Proofs(unittest.TestCase):
    """Each configuration's proof, as the sections build it, on what that
    tool printed."""

    def test_every_peer_that_counted_passes(self):
        pid = 4242
        self.assertEqual(check(C.bpftrace_sys(pid, "getppid", 3000),
                               "sys_bpftrace_getppid_3000"), 3000)
        self.assertEqual(check(C.syscount(pid, "getppid", 3000), "sys_syscount_getppid_3000"),
                         3000)
        # The loop's 50 writes and the result line.
        self.assertEqual(check(C.strace(pid, "write", 50), "sys_strace_write_50"), 51)
        self.assertEqual(check(C.perf_trace(pid, "getppid", 50), "sys_perf_trace_getppid_50"), 50)
        self.assertEqual(check(C.bpfprof_sys(pid, "getppid", 3000), "sys_bpfprof_getppid_3000"),
                         3000)
        self.assertEqual(check(C.bpftrace_stage(pid, "stage_push", 3000),
                               "stage_bpftrace_push_3000"), 3000)
        self.assertEqual(check(C.funclatency(pid, "stage_push", 3000),
                               "stage_funclatency_push_3000"), 3000)
        self.assertEqual(check(C.funclatency_with_syscount(pid, "stage_push", 3000),
                               "stage_funclatency_syscount_push_3000"), 3000)
        self.assertEqual(check(C.bpfprof_stage(pid, "stage_push", 3000),
                               "stage_bpfprof_push_3000"), 3000)
        self.assertEqual(check(C.bpfprof_stage(pid, "stage_push", 3000, ["--stages-off"]),
                               "stage_bpfprof_stages_off_push_3000"), 0)

    def test_issue_20_item_10(self):
        """tracefs already mounted: the old wrapper's mount failed and
        bpftrace never ran, yet "ready" matched "already mounted" and the
        loop's baseline speed was recorded as bpftrace's cost."""
        t = output("sys_bpftrace_old_wrapper_tracefs_mounted")
        self.assertIn("ready", t)
        self.assertFalse(ready_line(t, C.BPFTRACE_READY))
        with self.assertRaisesRegex(P.NotCounted, "bpftrace printed no count of getppid"):
            C.bpftrace_sys(4242, "getppid", 3000).proof.check("bpftrace", t)
        # The wrapper mounts tracefs only where it is not mounted.
        self.assertIn("[ -d /sys/kernel/tracing/events ] ||", C.TRACEFS[4])

    def test_attached_elsewhere_is_not_counted(self):
        """bpftrace attached and ready, but on another pid: no count of the
        loop."""
        name = "sys_bpftrace_other_pid_getppid_3000"
        self.assertTrue(ready_line(output(name), C.BPFTRACE_READY))
        with self.assertRaises(P.NotCounted):
            check(C.bpftrace_sys(4242, "getppid", 3000), name)

    def test_counts_off_the_loop_fail(self):
        # Another loop's count: too few (a tool that lost over 1%) or too many.
        with self.assertRaisesRegex(P.NotCounted, "counted 3000 getppid calls where the loop "
                                    "made 30000"):
            check(C.bpftrace_sys(4242, "getppid", 30000), "sys_bpftrace_getppid_3000")
        with self.assertRaises(P.NotCounted):
            check(C.syscount(4242, "getppid", 300), "sys_syscount_getppid_3000")
        with self.assertRaises(P.NotCounted):
            check(C.funclatency(4242, "stage_push", 3100), "stage_funclatency_push_3000")
        # 1% fewer is accepted, one more is not.
        self.assertEqual(check(C.perf_trace(4242, "getppid", 50), "sys_perf_trace_getppid_50"), 50)
        pr = P.Count("x", lambda t: int(t), 1000)
        self.assertEqual(pr.check("t", "990"), 990)
        self.assertRaises(P.NotCounted, pr.check, "t", "989")
        self.assertEqual(pr.check("t", "1016"), 1016)
        self.assertRaises(P.NotCounted, pr.check, "t", "1017")

    def test_stages_off_must_count_no_stage_call(self):
        with self.assertRaisesRegex(P.NotCounted, "counted 3000 stage calls"):
            check(C.bpfprof_stage(4242, "stage_push", 3000, ["--stages-off"]),
                  "stage_bpfprof_push_3000")

    def test_combined_row_needs_both_tools(self):
        # funclatency's histogram alone, without syscount's table.
        with self.assertRaisesRegex(P.NotCounted, "write calls \\(syscount\\)"):
            check(C.funclatency_with_syscount(4242, "stage_push", 3000),
                  "stage_funclatency_push_3000")

    def test_attach_proof(self):
        t = "Attaching 21 probes...\nbench: ready\n"
        self.assertEqual(C.bpftrace_glob("/x", "bench_f*", 10).proof.check("bpftrace", t), 21)
        self.assertRaises(P.NotCounted, C.bpftrace_glob("/x", "bench_f*", 100).proof.check,
                          "bpftrace", t)


    def test_total_line_with_loss_still_counts(self):
        # bpfprof's total line goes on with ", 1 LOST (see audit)" when an
        # audit counter it takes for a loss is non-zero; the count is read.
        self.assertEqual(check(C.bpfprof_stage(4242, "shape_push", 50000, ["--returns=safe"]),
                               "shape_bpfprof_safe_stages_only_push_50000"), 50000)


class Selftime(unittest.TestCase):
    """Section 7's bpftrace figures (sections/selftime.py), from a run of
    its program on selftime_target (empty histogram buckets and bpftrace's
    tracefs detach errors left out of the file)."""

    def setUp(self):
        from sections import selftime
        self.st = selftime
        self.text = output("selftime_bpftrace_all_four")

    def test_bpftrace_figures(self):
        got = self.st.parse_bpftrace(None, self.text, 0)
        self.assertEqual({fn: g["calls"] for fn, g in got.items()}, self.st.CALLS)
        self.assertEqual(got["selftime_short"], {"p50": 965.0, "mean": 969, "calls": 50000})
        self.assertEqual(got["selftime_parent"]["p50"], 18125.0)

    def test_bpftrace_short_of_calls_is_no_figure(self):
        with self.assertRaisesRegex(RuntimeError, "timed 19999 calls of selftime_medium"):
            self.st.parse_bpftrace(None, self.text.replace("@n_selftime_medium: 20000",
                                                           "@n_selftime_medium: 19999"), 0)
        with self.assertRaisesRegex(RuntimeError, "no figures for selftime_parent"):
            self.st.parse_bpftrace(None, self.text.replace("@lh_selftime_parent", "@x"), 0)

    def test_program_times_all_four_in_the_pid(self):
        prog = self.st.bpftrace_prog(4242)
        self.assertEqual(prog.count("/pid == 4242/"), 4)
        self.assertEqual(prog.count("uretprobe:"), 4)
        self.assertIn('printf("bench: ready\\n")', prog)


if __name__ == "__main__":
    unittest.main()
