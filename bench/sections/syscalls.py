"""1. Syscall overhead: tight loops of getppid, write and read under each
tool, in rounds of alternating order."""
import re

from lib import commands as C
from lib.common import log
from lib.environment import foreign_links
from lib.stats import med, rotate, summarize
from lib.tools import run_workload

KEY = "sys"
WORKLOADS = ("getppid", "write", "read")


def tools(quick):
    """name: (loop calls, factory(pid, syscall, n) -> Tool or None).
    strace and perf trace cost tens of us per call: fewer calls."""
    fast = 300000 if quick else 1000000
    slow = 5000 if quick else 20000
    return {
        "baseline": (fast, None),
        "floor": (fast, C.floor_sys),
        "bpfprof": (fast, C.bpfprof_sys),
        "bpftrace": (fast, C.bpftrace_sys),
        "syscount": (fast, C.syscount),
        "strace": (slow, C.strace),
        "perf-trace": (slow, C.perf_trace),
    }


def run_one(name, make, sc, n):
    """One timed run: ns per call and the tool (None for the baseline)."""
    return run_workload(["sys", sc, str(n)], make and (lambda pid: make(pid, sc, n)))


def measure(quick, res):
    rounds = 2 if quick else 5
    ts = tools(quick)
    names = list(ts)
    errors = {}
    raw = {s: {n: [] for n in names} for s in WORKLOADS}
    counted = {s: {} for s in WORKLOADS}
    busy = []
    reported = {}  # what bpfprof says a syscall cost it, per workload
    for r in range(rounds):
        for sc in raw:
            busy.append(foreign_links())
            for name in rotate(names, r):
                if name in errors:
                    continue
                n, make = ts[name]
                try:
                    ns, tool = run_one(name, make, sc, n)
                except Exception as e:  # a peer that cannot run here, or did not count
                    errors[name] = str(e)[:400]
                    log("syscalls:", name, "failed:", errors[name])
                    continue
                raw[sc][name].append(ns)
                if tool and tool.counted is not None:
                    counted[sc].setdefault(name, []).append((tool.counted, n))
                m = name == "bpfprof" and re.findall(r"(\d+) ns per syscall", tool.text())
                if m:
                    reported.setdefault(sc, []).append(float(m[-1]))  # the run total
            log("syscalls round %d %s:" % (r, sc),
                " ".join("%s=%.0f" % (k, v[-1]) for k, v in raw[sc].items() if v))
    res["syscalls"] = summarize(raw, "floor", errors, counted)
    res["syscalls"]["bpfprof_reported_ns_per_call"] = {k: med(v) for k, v in reported.items()}
    res["syscalls"]["foreign_tracing_links_per_round"] = busy
