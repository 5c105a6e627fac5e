"""7. The function's own time: bpfprof's stage times with the probes' cost
taken off, against what the functions take unprobed.

tests/targets/selftime_target spins in functions of known length (a ~90 ns
one, a ~1 us one, and a parent that calls 8 ~90 ns children around ~440 ns
of its own) and times them itself, unprobed, before it waits at its gate
(the median of 101 short batches). Then one tool times the calls: bpfprof
(corrected), bpfprof --raw-times, both again with --returns=safe (uprobes
on the functions' ret instead of a return probe), bpftrace (uprobe +
uretprobe on all four functions, a linear histogram and the mean: the raw
figure) and funclatency (one function per run; libbpf-tools, a log2
histogram). Each round runs every configuration once,
in rotated order; figures are medians over rounds, each next to the
unprobed time the target measured in the same run. The target runs on the
last CPU, the tools on the first (as the other sections do).
"""
import json
import os
import re
import shutil
import statistics
import subprocess
import tempfile
import time

from lib.commands import TRACEFS
from lib.common import BPFPROF, ROOT, log

KEY = "selftime"
TARGET = os.path.join(ROOT, "build", "targets", "selftime_target")
CPUS = sorted(os.sched_getaffinity(0))
TARGET_CPUS = {CPUS[-1]}
TOOL_CPUS = {CPUS[0]} if len(CPUS) > 1 else set(CPUS)

FUNCS = ["selftime_short", "selftime_medium", "selftime_parent"]
BPFPROF_CONFIGS = ["bpfprof", "bpfprof --raw-times", "bpfprof --returns=safe",
                   "bpfprof --returns=safe --raw-times"]
# tests/targets/target_common.h's SELFTIME_*_CALLS (children: 8 a parent).
CALLS = {"selftime_short": 50000, "selftime_medium": 20000, "selftime_child": 40000,
         "selftime_parent": 5000}
# bpftrace's linear histogram per function: (upper end, bucket width) ns,
# wide enough for the raw figures (the parent's is ~15x its length).
BPFTRACE_LHIST = {"selftime_short": (4000, 10), "selftime_child": (4000, 10),
                  "selftime_medium": (10000, 20), "selftime_parent": (40000, 50)}
TRUTH_FIELD = {"selftime_short": 0, "selftime_medium": 1, "selftime_child": 2,
               "selftime_parent": 3}


def wait_for(pred, timeout, what):
    end = time.time() + timeout
    while time.time() < end:
        if pred():
            return
        time.sleep(0.02)
    raise RuntimeError("timed out waiting for " + what)


def run_once(tool_argv, ready, parse):
    """Starts the target at its gate, the tool on it, then the calls.
    Returns (truth ns per function, what parse() read from the tool)."""
    d = tempfile.mkdtemp(prefix="selftime-")
    truth_path = os.path.join(d, "truth")
    try:
        target = subprocess.Popen([TARGET, "gate", truth_path], stdin=subprocess.PIPE,
                                  preexec_fn=lambda: os.sched_setaffinity(0, TARGET_CPUS))
        wait_for(lambda: os.path.exists(truth_path) and
                 len(open(truth_path).read().split()) == 4, 60, "the target's figures")
        truth = [float(x) for x in open(truth_path).read().split()]
        err_path = os.path.join(d, "err")
        with open(err_path, "w") as err:
            tool = subprocess.Popen([bpftrace_prog(target.pid) if a == "{bpftrace_prog}" else
                                     a.format(pid=target.pid, dir=d) for a in tool_argv],
                                    stdout=err, stderr=subprocess.STDOUT,
                                    preexec_fn=lambda: os.sched_setaffinity(0, TOOL_CPUS))
        wait_for(lambda: ready in open(err_path).read(), 60, ready)
        time.sleep(0.2)
        target.stdin.write(b"g")
        target.stdin.close()
        target.wait(timeout=300)
        time.sleep(0.3)
        if tool.poll() is None:
            tool.send_signal(2)
        tool.wait(timeout=60)
        return truth, parse(d, open(err_path).read(), target.pid)
    finally:
        shutil.rmtree(d, ignore_errors=True)


def parse_bpfprof(d, err, pid):
    s = json.load(open(os.path.join(d, "out", "summary.json")))
    proc = next(p for p in s["processes"] if p["pid"] == pid)
    out = {}
    for st in proc.get("stages", []):
        out[st["name"]] = {"p50": st["latency_ns"]["p50"],
                           "mean": st["total_ns"] / st["calls"],
                           "self_mean": st["self_ns"] / st["calls"]}
    out["_correction"] = s["audit"].get("time_correction")
    out["_clamped"] = s["audit"].get("stage_calls_clamped", 0)
    return out


def parse_funclatency(d, err, pid):
    """Mean from bucket midpoints, and the p50 bucket."""
    buckets = [(int(a), int(b), int(c)) for a, b, c in
               re.findall(r"^\s*(\d+) -> (\d+)\s*: (\d+)", err, re.M)]
    n = sum(c for _, _, c in buckets)
    if not n:
        raise RuntimeError("funclatency printed no histogram: " + err[-300:])
    mean = sum((lo + hi) / 2 * c for lo, hi, c in buckets) / n
    seen = 0
    for lo, hi, c in buckets:
        seen += c
        if seen * 2 >= n:
            return {"mean": mean, "p50_bucket": [lo, hi + 1]}


def bpftrace_prog(pid):
    """One uprobe + uretprobe pair per function, all four at once (as
    bpfprof times them): each call's raw time into a linear histogram, its
    mean and count. Nested calls of different functions keep separate
    start maps."""
    p = ['BEGIN { printf("bench: ready\\n"); }']
    for fn, (hi, step) in BPFTRACE_LHIST.items():
        p.append("uprobe:%s:%s /pid == %s/ { @t0_%s[tid] = nsecs; }" % (TARGET, fn, pid, fn))
        p.append("uretprobe:%s:%s /@t0_%s[tid]/ { $d = nsecs - @t0_%s[tid]; "
                 "delete(@t0_%s[tid]); @lh_%s = lhist($d, 0, %d, %d); @mean_%s = avg($d); "
                 "@n_%s = count(); }" % (TARGET, fn, fn, fn, fn, fn, hi, step, fn, fn))
    return "\n".join(p)


def parse_bpftrace(d, err, pid):
    """Per function: the p50 (its bucket's middle), the mean, the count."""
    out = {}
    for fn in BPFTRACE_LHIST:
        m = re.search(r"^@lh_%s: ?\n((?:\[[^\n]*\n)+)" % fn, err, re.M)
        mean = re.search(r"^@mean_%s: (\d+)$" % fn, err, re.M)
        n = re.search(r"^@n_%s: (\d+)$" % fn, err, re.M)
        if not (m and mean and n):
            raise RuntimeError("bpftrace printed no figures for %s: %s" % (fn, err[-300:]))
        buckets = [(int(lo), int(hi) if hi != "..." else None, int(c)) for lo, hi, c in
                   re.findall(r"^\[(\d+), (\d+|\.\.\.)\)\s+(\d+) ", m.group(1), re.M)]
        total, seen = sum(c for _, _, c in buckets), 0
        for lo, hi, c in buckets:
            seen += c
            if seen * 2 >= total:
                p50 = (lo + hi) / 2 if hi is not None else lo
                break
        out[fn] = {"p50": p50, "mean": int(mean.group(1)), "calls": int(n.group(1))}
        if out[fn]["calls"] != CALLS[fn]:  # the proof that it timed every call
            raise RuntimeError("bpftrace timed %d calls of %s, not %d"
                               % (out[fn]["calls"], fn, CALLS[fn]))
    return out


def bpfprof_argv(extra):
    return [BPFPROF, "-p", "{pid}", "-o", "{dir}/out", "-u", "selftime_*"] + extra


def configs():
    c = {
        "bpfprof": (bpfprof_argv([]), "profiling pid", parse_bpfprof),
        "bpfprof --raw-times": (bpfprof_argv(["--raw-times"]), "profiling pid",
                                parse_bpfprof),
        "bpfprof --returns=safe": (bpfprof_argv(["--returns=safe"]), "profiling pid",
                                   parse_bpfprof),
        "bpfprof --returns=safe --raw-times": (bpfprof_argv(["--returns=safe", "--raw-times"]),
                                               "profiling pid", parse_bpfprof),
    }
    if shutil.which("bpftrace"):
        # The private mount namespace with tracefs, as the other sections
        # run it: bpftrace 0.17 detaches uprobes through uprobe_events.
        c["bpftrace"] = (TRACEFS + ["bpftrace", "-e", "{bpftrace_prog}"], "bench: ready",
                         parse_bpftrace)
    if shutil.which("funclatency"):
        for fn in FUNCS:
            c["funclatency " + fn] = (["stdbuf", "-oL", "funclatency", "-p", "{pid}",
                                       ":" + fn], "Tracing", parse_funclatency)
    return c


def med(xs):
    return statistics.median(xs) if xs else None


def bench(quick=False, rounds=None):
    """Rounds of every configuration; the summarized rows."""
    rounds = rounds or (2 if quick else 15)
    cs = configs()
    names = list(cs)
    runs = {n: [] for n in names}
    for r in range(rounds):
        order = names[r % len(names):] + names[:r % len(names)]
        for n in order:
            argv, ready, parse = cs[n]
            try:
                runs[n].append(run_once(argv, ready, parse))
            except Exception as e:  # one failed run is a missing sample, said so
                log("selftime: %s, round %d: %s" % (n, r, e))
        log("selftime: round %d of %d done" % (r + 1, rounds))
    return summarize(runs)


def ratio(x, t):
    return round(x / t, 2) if t else None


# The goals: how far from the unprobed time a figure may be.
GOALS = {"selftime_short": 0.30, "selftime_medium": 0.10, "selftime_parent": 0.15,
         "selftime_parent self": 0.30}


def spread(ratios, goal):
    """The middle half of the rounds' ratios, and how many rounds were within
    the goal, of how many."""
    xs = sorted(x for x in ratios if x is not None)
    if not xs:
        return None
    q = lambda f: xs[min(len(xs) - 1, int(f * (len(xs) - 1) + 0.5))]
    out = {"p25": q(0.25), "p75": q(0.75), "rounds": len(xs)}
    if goal is not None:
        out["within_goal"] = sum(1 for x in xs if abs(x - 1) <= goal + 1e-9)
    return out


def summarize(runs):
    rows = {}
    for n in BPFPROF_CONFIGS:
        if not runs.get(n):
            continue
        res = {}
        for fn in FUNCS + ["selftime_child"]:
            tr = [t[TRUTH_FIELD[fn]] for t, _ in runs[n]]
            row = {"truth_ns": med(tr),
                   "p50_ratio": med([ratio(o[fn]["p50"], t[TRUTH_FIELD[fn]])
                                     for t, o in runs[n]]),
                   "mean_ratio": med([ratio(o[fn]["mean"], t[TRUTH_FIELD[fn]])
                                      for t, o in runs[n]]),
                   "p50_ns": med([o[fn]["p50"] for _, o in runs[n]]),
                   "mean_ns": med([round(o[fn]["mean"]) for _, o in runs[n]])}
            row["p50_spread"] = spread([ratio(o[fn]["p50"], t[TRUTH_FIELD[fn]])
                                        for t, o in runs[n]], GOALS.get(fn))
            row["mean_spread"] = spread([ratio(o[fn]["mean"], t[TRUTH_FIELD[fn]])
                                         for t, o in runs[n]], GOALS.get(fn))
            if fn == "selftime_parent":
                # The parent's own time, unprobed: its length less its 8 children's.
                selfs = [(o[fn]["self_mean"], t[3] - 8 * t[2]) for t, o in runs[n]]
                row["self_truth_ns"] = med([round(s[1]) for s in selfs])
                row["self_mean_ns"] = med([round(s[0]) for s in selfs])
                row["self_mean_ratio"] = med([ratio(a, b) for a, b in selfs])
                row["self_mean_spread"] = spread([ratio(a, b) for a, b in selfs],
                                                 GOALS["selftime_parent self"])
            res[fn] = row
        res["_correction"] = [o["_correction"] for _, o in runs[n]]
        res["_clamped"] = [o["_clamped"] for _, o in runs[n]]
        res["runs"] = len(runs[n])
        rows[n] = res
    if runs.get("bpftrace"):
        bt = {}
        for fn in BPFTRACE_LHIST:
            got = [(t[TRUTH_FIELD[fn]], o[fn]) for t, o in runs["bpftrace"]]
            bt[fn] = {"truth_ns": med([t for t, _ in got]),
                      "p50_ratio": med([ratio(o["p50"], t) for t, o in got]),
                      "mean_ratio": med([ratio(o["mean"], t) for t, o in got]),
                      "p50_ns": med([o["p50"] for _, o in got]),
                      "mean_ns": med([o["mean"] for _, o in got]),
                      "calls_per_run": [o["calls"] for _, o in got]}
        bt["runs"] = len(runs["bpftrace"])
        rows["bpftrace"] = bt
    fl = {}
    for fn in FUNCS:
        n = "funclatency " + fn
        if n not in runs or not runs[n]:
            continue
        fl[fn] = {"truth_ns": med([t[TRUTH_FIELD[fn]] for t, _ in runs[n]]),
                  "mean_ratio": med([ratio(o["mean"], t[TRUTH_FIELD[fn]])
                                     for t, o in runs[n]]),
                  "p50_buckets": [o["p50_bucket"] for _, o in runs[n]],
                  "runs": len(runs[n])}
    rows["funclatency"] = fl
    return rows


def measure(quick, res):
    if not os.path.exists(TARGET):
        raise RuntimeError("%s is missing: run make first" % TARGET)
    rows = bench(quick)
    rows["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    res[KEY] = rows
