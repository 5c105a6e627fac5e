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

With --programs it measures instead what each BPF program of the two builds
costs per run (bpftool's run_time_ns / run_cnt while the workload runs,
bpfprof --self-cost=always keeping the kernel's BPF stats on): much less
noisy than the end-to-end times on a loaded machine.
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


def bpf_progs():
    r = subprocess.run(["bpftool", "prog", "show", "-j"], capture_output=True, text=True)
    return {p["id"]: p for p in json.loads(r.stdout or "[]")}


def prog_ids_of(pid):
    """The BPF programs process pid holds open (their ids, from fdinfo)."""
    ids = set()
    d = "/proc/%d/fdinfo" % pid
    for fd in os.listdir(d):
        try:
            with open(os.path.join(d, fd)) as f:
                for line in f:
                    if line.startswith("prog_id:"):
                        ids.add(int(line.split()[1]))
        except OSError:
            pass
    return ids


def run_programs(mode, n, tool):
    """ns per run and runs of each program tool loaded, over the workload."""
    w = subprocess.Popen([WORKLOAD] + MODES[mode][0] + [str(n)], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, text=True)
    out = tempfile.mkdtemp(prefix="bpfprof-wall-")
    p = subprocess.Popen([tool, "-p", str(w.pid), "-o", out, "-i", "60", "--self-cost=always"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        line = ""
        while "profiling" not in line:
            line = p.stderr.readline()
            if not line and p.poll() is not None:
                raise RuntimeError("%s did not start" % tool)
        time.sleep(0.5)  # let the start-up calibration's runs settle
        mine = prog_ids_of(p.pid)
        start = {i: q for i, q in bpf_progs().items() if i in mine}
        w.communicate("g", timeout=600)
        end = {i: q for i, q in bpf_progs().items() if i in mine}
    finally:
        if w.poll() is None:
            w.kill()
        p.send_signal(signal.SIGINT)
        p.communicate(timeout=60)
        subprocess.run(["rm", "-rf", out])
    res = {}
    for i, q in end.items():
        q0 = start.get(i, {})
        runs = q.get("run_cnt", 0) - q0.get("run_cnt", 0)
        ns = q.get("run_time_ns", 0) - q0.get("run_time_ns", 0)
        if runs:
            res[q["name"]] = (ns / runs, runs)
    return res


def main_programs(a):
    build()
    tools = {"before": a.before, "after": BPFPROF}
    raw = {}
    for r in range(a.rounds):
        for mode, n in counts(a.quick).items():
            for t in rotate(list(tools), r):
                for name, (ns, runs) in run_programs(mode, n, tools[t]).items():
                    raw.setdefault(mode, {}).setdefault(name, {}).setdefault(t, []).append(
                        [ns, runs])
            log("wall programs round %d %s done" % (r, mode))
    lines = ["# Wall-time accounting: BPF program time per run (issue 18)", "",
             "`python3 bench/wall.py --programs --before MAIN_BPFPROF --rounds %d`: median ns per "
             "run of each program over the workload (bpftool run_time_ns / run_cnt, `-p` on the "
             "workload, the programs the bpfprof process holds; programs on scheduler events run for every thread of the machine, and "
             "return early for threads not traced)." % a.rounds, "",
             "| workload | program | before ns/run | after ns/run | added | runs (after) |",
             "|---|---|---|---|---|---|"]
    for mode, progs in raw.items():
        for name, d in sorted(progs.items()):
            b = med([x[0] for x in d.get("before", [])]) if d.get("before") else None
            f = med([x[0] for x in d.get("after", [])]) if d.get("after") else None
            runs = med([x[1] for x in d.get("after", [])]) if d.get("after") else 0
            lines.append("| %s | %s | %s | %s | %s | %d |" % (
                mode, name, "%.1f" % b if b is not None else "-",
                "%.1f" % f if f is not None else "-",
                "%+.1f" % (f - b) if b is not None and f is not None else "new", runs))
    with open(os.path.join(BENCH, "wall.json"), "w") as fh:
        json.dump({"programs": raw, "rounds": a.rounds}, fh, indent=1)
    with open(os.path.join(BENCH, "RESULTS-wall.md"), "w") as fh:
        fh.write("\n".join(lines) + "\n")
    print("\n".join(lines))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--before", required=True, help="bpfprof without the wall accounting")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--programs", action="store_true", help="BPF program time per run")
    a = ap.parse_args()
    if a.programs:
        return main_programs(a)
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
