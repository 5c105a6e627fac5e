#!/usr/bin/env python3
"""What issue 18's wall-time accounting costs the target (root, real BPF).

    python3 bench/wall.py --before OLD_BPFPROF [--rounds N] [--quick]

Runs bench/workloads/workload.c under no tool, under OLD_BPFPROF (a build
without the wall accounting, e.g. main's) and under this tree's
build/bpfprof, all with -p, in rounds of alternating order, and prints the
median ns per operation and the difference the accounting makes:
  write, read   an I/O syscall (the file kind is looked up at entry)
  pingpong      a round trip between two threads on one CPU over two pipes:
                4 context switches, 2 wakeups and 4 I/O syscalls
  faults        a first touch of a fresh page (one minor fault)
Writes bench/wall.json and bench/RESULTS-wall.md.
"""
import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib.common import BENCH, BPFPROF, WORKLOAD, log  # noqa: E402
from lib.install import build  # noqa: E402
from lib.stats import med, rotate  # noqa: E402

MODES = {  # name: (workload args, operations per count)
    "write": (["sys", "write"], 1),
    "read": (["sys", "read"], 1),
    "pingpong": (["pingpong"], 1),
    "faults": (["faults"], 1),
}


def counts(quick):
    k = 1 if quick else 4
    return {"write": 200000 * k, "read": 200000 * k, "pingpong": 20000 * k,
            "faults": 20000 * k}


def run(mode, n, tool):
    """ns per operation of one run, under tool (a bpfprof path) or none."""
    args = MODES[mode][0] + [str(n)]
    w = subprocess.Popen([WORKLOAD] + args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         text=True)
    p = None
    out = tempfile.mkdtemp(prefix="bpfprof-wall-")
    try:
        if tool:
            p = subprocess.Popen([tool, "-p", str(w.pid), "-o", out, "-i", "60"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            line = ""
            end = time.monotonic() + 60
            while "profiling" not in line and time.monotonic() < end:
                line = p.stderr.readline()
                if not line and p.poll() is not None:
                    raise RuntimeError("%s did not start" % tool)
        o, _ = w.communicate("g", timeout=600)
    finally:
        if w.poll() is None:
            w.kill()
        if p:
            p.send_signal(signal.SIGINT)
            p.communicate(timeout=60)
        subprocess.run(["rm", "-rf", out])
    kv = dict(x.split("=") for x in o.split())
    return float(kv.get("chunk_p10_ns_per_call", kv["ns_per_call"]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--before", required=True, help="bpfprof without the wall accounting")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args()
    build()
    tools = {"none": None, "before": a.before, "after": BPFPROF}
    raw = {m: {t: [] for t in tools} for m in MODES}
    for r in range(a.rounds):
        for mode, n in counts(a.quick).items():
            for t in rotate(list(tools), r):
                raw[mode][t].append(run(mode, n, tools[t]))
            log("wall round %d %s:" % (r, mode),
                " ".join("%s=%.1f" % (t, v[-1]) for t, v in raw[mode].items()))
    res = {m: {t: med(v) for t, v in d.items()} for m, d in raw.items()}
    for m in res:
        res[m]["added_ns"] = res[m]["after"] - res[m]["before"]
    with open(os.path.join(BENCH, "wall.json"), "w") as f:
        json.dump({"median_ns": res, "raw": raw, "rounds": a.rounds}, f, indent=1)
    lines = ["# Wall-time accounting: cost per operation (issue 18)", "",
             "`python3 bench/wall.py --before MAIN_BPFPROF --rounds %d`; medians of %d rounds, "
             "ns per operation, `-p` on the workload; load from other work on the machine "
             "moves these by several ns." % (a.rounds, a.rounds), "",
             "| operation | no tool | before | after | added |", "|---|---|---|---|---|"]
    for m, v in res.items():
        lines.append("| %s | %.1f | %.1f | %.1f | %+.1f |" % (m, v["none"], v["before"],
                                                          v["after"], v["added_ns"]))
    with open(os.path.join(BENCH, "RESULTS-wall.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
