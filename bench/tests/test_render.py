#!/usr/bin/env python3
"""bench/RESULTS.md and the README's bench headline are what bench/render.py
makes of the committed bench/results.json (neither is edited by hand), and
a row with the tools' own counts gets its proof line. No root, under a
second."""
import copy
import json
import os
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import render  # noqa: E402
from lib.common import README, RESULTS_JSON, RESULTS_MD  # noqa: E402


def committed_results():
    with open(RESULTS_JSON) as f:
        return json.load(f)


class Render(unittest.TestCase):
    def test_results_md_is_rendered_from_results_json(self):
        with tempfile.NamedTemporaryFile("r", suffix=".md") as f:
            render.write_md(committed_results(), f.name)
            with open(RESULTS_MD) as want:
                self.assertEqual(f.read(), want.read())

    def test_readme_headline_is_rendered_from_results_json(self):
        with open(README) as f:
            text = f.read()
        a = text.index(render.HEADLINE_START) + len(render.HEADLINE_START) + 1
        b = text.index(render.HEADLINE_END)
        self.assertEqual(text[a:b], render.headline(committed_results()) + "\n")

    def test_rows_with_counts_show_them(self):
        res = copy.deepcopy(committed_results())
        rows = res["syscalls"]["workloads"]["getppid"]
        rows["bpftrace"]["tool_counted_per_run"] = [1000000, 999990]
        rows["bpftrace"]["loop_calls"] = 1000000
        with tempfile.NamedTemporaryFile("r", suffix=".md") as f:
            render.write_md(res, f.name)
            md = f.read()
        self.assertIn("Counted by the tool itself (fewest over its runs, against the loop's "
                      "calls): bpftrace 999990 of 1000000.", md)
        with open(RESULTS_MD) as f:
            before = f.read().count("Counted by the tool itself")
        self.assertEqual(md.count("Counted by the tool itself"), before + 1)

    def test_return_mechanisms_summary(self):
        """Section 8's summary row per entry kind: what auto picks, both
        mechanisms' floors and bpfprof rows, and the difference."""
        res = copy.deepcopy(committed_results())
        rows = {"baseline": {"added_ns": 0.0},
                "floor uprobe + uretprobe": {"added_ns": 1000.0},
                "floor uprobe + uprobe at ret": {"added_ns": 9000.0},
                "bpfprof --returns=fast": {"added_ns": 1200.0},
                "bpfprof --returns=safe": {"added_ns": 9500.0}}
        for r in rows.values():
            r.update(ns_per_call=r["added_ns"] + 1, ratio_to_baseline=1.0, added_vs_floor=None,
                     runs_ns_per_call=[1.0])
        res["returns"].update(workloads={"shape_push (emulated push %rbp)": rows},
                              auto={"shape_push": ["emulated", "return-probe"]})
        L = []
        render.returns_md(res, L)
        self.assertIn("| shape_push (emulated push %rbp) | return-probe (emulated entry) | "
                      "+1000 / +1200 / – | +9000 / +9500 / – | +8300 ns |", L)


    def test_partial_runs_listed_until_measured_again(self):
        import run
        runs = [{"partial_run": p} for p in
                ("sys,stage", "stage", "selftime", "selftime,returns", "returns", "selftime")]
        self.assertEqual([p["partial_run"] for p in run.latest_partial_runs(runs)],
                         ["sys,stage", "stage", "returns", "selftime"])



class SelftimeSpread(unittest.TestCase):
    def test_middle_half_and_rounds_within_the_goal(self):
        from sections import selftime
        sp = selftime.spread([1.5, 0.8, None, 1.0, 1.2, 0.9], 0.15)
        self.assertEqual(sp, {"p25": 0.9, "p75": 1.2, "rounds": 5, "within_goal": 2})
        self.assertIsNone(selftime.spread([None], 0.1))

    def test_results_md_says_it(self):
        lines = []
        render.selftime_md(committed_results(), lines)
        line = next(x for x in lines if x.startswith("`bpfprof`, the middle half"))
        self.assertRegex(line, r"parent: p50 [0-9.]+x-[0-9.]+x \(\d+ of 15 within 15%\)")

if __name__ == "__main__":
    unittest.main()
