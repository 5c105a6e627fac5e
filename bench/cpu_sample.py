#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""--cpu-sample against perf, and what it costs (root; Python 3 stdlib).

  bench/cpu_sample.py [--build build] [--rounds N] [--out bench/cpu_sample.json]

1. Accuracy: one run of build/targets/spin_target (75% of its CPU in spin_a,
   25% in spin_b) watched at once by `perf record -F 499 -g -p PID` and
   `bpfprof --cpu-sample 499 -p PID`: the self shares of the top functions
   from each, side by side (same process, same CPU time).
2. Slowdown: the same target's wall time alone, under --cpu-sample 99 and
   under --cpu-sample 999 (-p, no -u: only the sampler is attached), rounds
   interleaved so drift on a shared machine hits all three alike; medians.
3. Symbolization: build/bench/symbolize (bench/symbolize.c) symbolizes a
   million user stacks of 16 frames through bpfprof's own code; its CPU
   time.
Prints a summary and writes the raw figures as JSON. Asserts nothing.
"""
import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def start_target(target, rounds):
    """The target waiting at its gate (a byte on stdin starts it)."""
    return subprocess.Popen([target, "gate", str(rounds)], stdin=subprocess.PIPE,
                            stdout=subprocess.DEVNULL)


def wait_stderr(proc, needle, timeout=60):
    deadline = time.monotonic() + timeout
    seen = b""
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        seen += line
        if needle.encode() in line:
            return
    raise RuntimeError("no '%s' from %s: %s" % (needle, proc.args[0], seen.decode()))


def perf_shares(data):
    out = subprocess.run(["perf", "report", "-i", data, "--no-children", "--sort", "sym",
                          "--stdio", "-q", "-g", "none", "--percent-limit", "0.5"],
                         capture_output=True, text=True, check=True).stdout
    shares = {}
    for line in out.splitlines():
        m = re.match(r"\s*([\d.]+)%\s+\[[.k]\]\s+(\S+)", line)
        if m:
            shares[m.group(2)] = float(m.group(1))
    return shares


def bpfprof_shares(outdir, pid):
    with open(os.path.join(outdir, "summary.json")) as f:
        s = json.load(f)
    for p in s["cpu_samples"]["processes"]:
        if p["pid"] == pid:
            return {fn["function"]: 100.0 * fn["self_samples"] / p["samples"]
                    for fn in p["top_functions"]}, p["samples"]
    raise RuntimeError("pid %d not in the samples" % pid)


def accuracy(bpfprof, target, rounds):
    tmp = tempfile.mkdtemp(prefix="bpfprof-bench-")
    outdir, data = os.path.join(tmp, "out"), os.path.join(tmp, "perf.data")
    t = start_target(target, rounds)
    perf = subprocess.Popen(["perf", "record", "-F", "499", "-g", "-o", data, "-p",
                             str(t.pid)], stderr=subprocess.PIPE)
    prof = subprocess.Popen([bpfprof, "-i", "0.5", "-o", outdir, "--cpu-sample", "499",
                             "-p", str(t.pid)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    wait_stderr(prof, "profiling pid")
    time.sleep(1)  # perf record prints nothing when attached
    t.stdin.write(b"g")
    t.stdin.flush()
    t.wait()
    prof.wait(timeout=60)
    perf.wait(timeout=60)
    ours, n = bpfprof_shares(outdir, t.pid)
    theirs = perf_shares(data)
    rows = []
    for fn in sorted(set(ours) | set(theirs), key=lambda f: -max(ours.get(f, 0), theirs.get(f, 0))):
        if max(ours.get(fn, 0), theirs.get(fn, 0)) >= 1:
            rows.append({"function": fn, "bpfprof_pct": round(ours.get(fn, 0), 2),
                         "perf_pct": round(theirs.get(fn, 0), 2)})
    subprocess.run(["rm", "-rf", tmp])
    return {"samples_bpfprof": n, "rows": rows}


def timed_run(bpfprof, target, rounds, hz):
    """Wall seconds from the gate to the target's exit, and its CPU seconds."""
    t = start_target(target, rounds)
    prof = None
    if hz:
        prof = subprocess.Popen([bpfprof, "-q", "-i", "1", "--cpu-sample", str(hz), "-p",
                                 str(t.pid), "--plain"], stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE)
        # -q prints nothing: wait until the sampler's perf events exist.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not attached(prof.pid):
            time.sleep(0.05)
    start = time.monotonic()
    t.stdin.write(b"g")
    t.stdin.flush()
    _, status, ru = os.wait4(t.pid, 0)
    wall = time.monotonic() - start
    t.returncode = status
    if prof:
        prof.wait(timeout=60)
    return wall, ru.ru_utime + ru.ru_stime


def attached(pid):
    """bpfprof holds its perf events (anon_inode:[perf_event]) once attached."""
    try:
        fds = os.listdir("/proc/%d/fd" % pid)
    except OSError:
        return False
    for fd in fds:
        try:
            if "perf_event" in os.readlink("/proc/%d/fd/%s" % (pid, fd)):
                return True
        except OSError:
            pass
    return False


def slowdown(bpfprof, target, rounds, n):
    configs = [0, 99, 999]
    raw = {str(hz): [] for hz in configs}
    for r in range(n):
        order = configs[r % 3:] + configs[:r % 3]
        for hz in order:
            raw[str(hz)].append(timed_run(bpfprof, target, rounds, hz))
    res = {"raw": raw, "baseline_wall_s": statistics.median(w for w, _ in raw["0"]),
           "baseline_cpu_s": statistics.median(c for _, c in raw["0"])}
    for hz in (99, 999):
        # Each round against the baseline of the same round.
        wall = [r[0] / b[0] for r, b in zip(raw[str(hz)], raw["0"])]
        cpu = [r[1] / b[1] for r, b in zip(raw[str(hz)], raw["0"])]
        res["hz_%d" % hz] = {
            "median_wall_s": statistics.median(r[0] for r in raw[str(hz)]),
            "median_cpu_s": statistics.median(r[1] for r in raw[str(hz)]),
            "median_wall_slowdown_pct": round(100 * (statistics.median(wall) - 1), 2),
            "median_cpu_slowdown_pct": round(100 * (statistics.median(cpu) - 1), 2)}
    return res


def symbolize(build):
    exe = os.path.join(build, "bench", "symbolize")
    out = subprocess.run([exe, "1000000"], capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "cpu_sample.json"))
    args = ap.parse_args()
    bpfprof = os.path.join(args.build, "bpfprof")
    target = os.path.join(args.build, "targets", "spin_target")
    res = {"accuracy": accuracy(bpfprof, target, 600),
           "slowdown": slowdown(bpfprof, target, 300, args.rounds),
           "symbolize": symbolize(args.build)}
    with open(args.out, "w") as f:
        json.dump(res, f, indent=1)
    print("accuracy (self %%, same run; bpfprof %d samples):" % res["accuracy"]["samples_bpfprof"])
    for r in res["accuracy"]["rows"]:
        print("  %-32s bpfprof %6.2f  perf %6.2f" % (r["function"], r["bpfprof_pct"], r["perf_pct"]))
    s = res["slowdown"]
    print("slowdown, wall: baseline %.3f s; 99 Hz %+.2f%%, 999 Hz %+.2f%% (medians of %d rounds)" %
          (s["baseline_wall_s"], s["hz_99"]["median_wall_slowdown_pct"],
           s["hz_999"]["median_wall_slowdown_pct"], args.rounds))
    print("slowdown, target CPU: baseline %.3f s; 99 Hz %+.2f%%, 999 Hz %+.2f%%" %
          (s["baseline_cpu_s"], s["hz_99"]["median_cpu_slowdown_pct"],
           s["hz_999"]["median_cpu_slowdown_pct"]))
    y = res["symbolize"]
    print("symbolize: %d stacks x %d frames in %.2f s CPU (%.0f ns a frame)" %
          (y["stacks"], y["frames_per_stack"], y["cpu_s"], y["ns_per_frame"]))


if __name__ == "__main__":
    sys.exit(main())
