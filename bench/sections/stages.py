"""2. Stage overhead: calls of a function whose entry the kernel emulates
(push %rbp) and of one it single-steps (lea), under each tool."""
import re

from lib import commands as C
from lib.common import BPFPROF, WORKLOAD, log, out
from lib.stats import med, summarize
from lib.tools import run_rounds, run_workload

KEY = "stage"
FUNCS = {"push": "stage_push", "step": "stage_step"}


def stage_key(kind, fn):
    return "%s (%s)" % (fn, "emulated push %rbp" if kind == "push" else "single-stepped lea")


def counts(quick):
    return {"push": 100000 if quick else 300000, "step": 20000 if quick else 50000}


def tools():
    """name: factory(pid, function, n) -> Tool, or None for the baseline."""
    return {
        "baseline": None,
        "floor": C.floor_uprobe,
        "bpfprof": C.bpfprof_stage,
        "bpfprof --stages-off": lambda pid, fn, n: C.bpfprof_stage(pid, fn, n, ["--stages-off"]),
        "bpfprof --stages-only": lambda pid, fn, n: C.bpfprof_stage(pid, fn, n,
                                                                    ["--stages-only"]),
        # What C++/Rust callers and Go get: probes on the function's ret
        # (single-stepped) instead of a return probe.
        "bpfprof --returns=safe": lambda pid, fn, n: C.bpfprof_stage(pid, fn, n,
                                                                     ["--returns=safe"]),
        "bpftrace": C.bpftrace_stage,
        "funclatency": C.funclatency,
        "funclatency + syscount -L": C.funclatency_with_syscount,
    }


def run_one(name, make, kind, n):
    fn = FUNCS[kind]
    return run_workload(["stage", kind, str(n)], make and (lambda pid: make(pid, fn, n)))


def measure(quick, res):
    # Each run is short (0.3 s); 9 rounds keep one slow stretch of the host
    # from moving a median by more than the differences being measured.
    rounds = 2 if quick else 9
    listing = out([BPFPROF, "--list", "stage_*", "--", WORKLOAD])
    n_of = counts(quick)
    ts = tools()
    reported = {}  # what bpfprof says a stage call cost it, per workload

    def seen(key, name, tool):
        m = name == "bpfprof" and re.findall(r"(\d+) ns per stage call", tool.text())
        if m:
            reported.setdefault(key, []).append(float(m[-1]))  # the run total

    def run(kind):
        return lambda name, make: run_one(name, make, kind, n_of[kind])

    raw, counted, errors = run_rounds(
        "stages", {stage_key(kind, fn): (fn, n_of[kind], run(kind)) for kind, fn in FUNCS.items()},
        ts, rounds, seen)
    # The timed runs are shorter than a second, so bpfprof's cost window
    # (the first 5% of each second from the start) has closed before the
    # loop begins: its per-call figure comes from one run of 4 s instead.
    for kind, fn in FUNCS.items():
        key = stage_key(kind, fn)
        if key in reported:
            continue
        try:
            _, tool = run_one("bpfprof", ts["bpfprof"], kind,
                              n_of[kind] * (13 if kind == "push" else 5))
            m = re.findall(r"(\d+) ns per stage call", tool.text())
            if m:
                reported[key] = [float(m[-1])]
        except Exception as e:
            log("stages: bpfprof's own figure for", key, "failed:", str(e)[:300])
    res["stages"] = summarize(raw, "floor", errors, counted)
    res["stages"]["list"] = listing
    res["stages"]["bpfprof_reported_ns_per_call"] = {k: med(v) for k, v in reported.items()}
