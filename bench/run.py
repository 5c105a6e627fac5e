#!/usr/bin/env python3
"""bpfprof benchmark driver (issue 7): bpfprof against its peers, same run.

Usage: bench/run.py [--quick] [--only sys,stage,attach,cpu,accuracy,events,selftime,returns] [--merge]
       bench/run.py --readme          (the README's headline from results.json)
       bench/run.py --check-peers     (one short run of each tool and its proof)
Run from the repository root as root, after `make` (needs build/bpfprof).
Writes bench/results.json, then renders bench/RESULTS.md (bench/render.py).
Standard library only.

Every figure is the median of several runs taken in alternating order (the
configurations of one round run back to back, the order rotated each round),
and is reported next to the baseline measured in the same round. Every
tool's run must show, in the tool's own output, that it counted the loop
(lib/proof.py); a tool that cannot is reported as not run.

bench/lib/ holds what the sections share (commands and their proofs,
running a tool, statistics), bench/sections/ one module per section,
bench/render.py the Markdown.
"""
import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import render  # noqa: E402
import sections  # noqa: E402
from lib.common import BPFPROF, RESULTS_JSON, RESULTS_MD, log  # noqa: E402
from lib.environment import environment  # noqa: E402
from lib.install import build, install_peers  # noqa: E402
from sections import stages, syscalls  # noqa: E402


def check_peers():
    """One short run of every tool on every loop, printing each one's own
    count against the loop's, or why it could not run. Exits 1 if a tool
    other than perf trace (see bench/README.md) failed."""
    failed = []
    runs = [("syscalls", name, sc, n, make, syscalls.run_one)
            for sc in syscalls.WORKLOADS
            for name, (n, make) in syscalls.tools(True).items() if make]
    runs += [("stages", name, kind, n, make, stages.run_one)
             for kind, n in stages.counts(True).items()
             for name, make in stages.tools().items() if make]
    for section, name, what, n, make, run_one in runs:
        try:
            ns, tool = run_one(name, make, what, n // 10)
            verdict = ("counted %d %s (expected %d)" % (tool.counted, tool.proof.what,
                                                          tool.proof.expected)
                       if tool.proof else "attached (no count: empty programs)")
        except Exception as e:
            verdict = "NOT RUN: " + " ".join(str(e).split())[:300]
            if name != "perf-trace":
                failed.append(name)
            ns = float("nan")
        print("%-8s %-9s %-26s %9.0f ns/call  %s" % (section, what, name, ns, verdict), flush=True)
    if failed:
        sys.exit("bench: not counted: " + ", ".join(sorted(set(failed))))


def latest_partial_runs(runs):
    """The partial runs, oldest first, less those whose every section a
    later one measured again."""
    kept, later = [], set()
    for p in reversed(runs):
        sections_of = set(p["partial_run"].split(","))
        if not sections_of <= later:
            kept.append(p)
        later |= sections_of
    return kept[::-1]


def main():
    keys = [s.KEY for s in sections.ALL]
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--only", default=",".join(keys))
    ap.add_argument("--merge", action="store_true",
                    help="keep bench/results.json's other sections (for a partial re-run)")
    ap.add_argument("--no-install", action="store_true")
    ap.add_argument("--readme", action="store_true",
                    help="only regenerate README.md's table from bench/results.json")
    ap.add_argument("--check-peers", action="store_true",
                    help="one short run of each tool with its proof; writes nothing")
    a = ap.parse_args()
    if a.readme:
        with open(RESULTS_JSON) as f:
            render.update_readme(json.load(f))
        return
    if os.geteuid() != 0:
        sys.exit("bench: must run as root")
    if not os.access(BPFPROF, os.X_OK):
        sys.exit("bench: %s missing: run make first" % BPFPROF)
    t0 = time.monotonic()
    if not a.no_install:
        install_peers()
    build()
    if a.check_peers:
        check_peers()
        return
    res = {"quick": a.quick, "env": environment()}
    parts = a.only.split(",")
    for section in sections.ALL:
        if section.KEY in parts:
            t = time.monotonic()
            try:
                section.measure(a.quick, res)
            except Exception as e:
                res.setdefault("failed", {})[section.KEY] = str(e)[:400]
                log(section.KEY, "failed:", e)
            log("%s took %.0fs" % (section.KEY, time.monotonic() - t))
    res["elapsed_s"] = elapsed = round(time.monotonic() - t0, 1)
    if a.merge and os.path.exists(RESULTS_JSON):
        with open(RESULTS_JSON) as f:
            old = json.load(f)
        res["env"]["partial_run"] = a.only
        old["partial_runs"] = latest_partial_runs(old.get("partial_runs", []) + [res["env"]])
        res = {**old, **{k: v for k, v in res.items() if k not in ("env", "quick", "elapsed_s")}}
    with open(RESULTS_JSON, "w") as f:
        json.dump(res, f, indent=1)
        f.write("\n")
    render.write_md(res, RESULTS_MD)
    # A quick or partial run does not replace the README's headline.
    if not a.quick and set(parts) >= {"sys", "stage"}:
        render.update_readme(res)
    log("done in %.0fs: bench/RESULTS.md bench/results.json" % elapsed)


if __name__ == "__main__":
    main()
