"""6. Accuracy under load: bpfprof's counts against what tight loops did,
and its stage percentiles against durations a function measured itself."""
import json
import os
import shutil
import subprocess
import tempfile

from lib import commands as C
from lib.common import BPFPROF, WORKLOAD, log
from lib.tools import Tool

KEY = "accuracy"


def profiled_run(args, extra):
    """The workload under `bpfprof -p PID -o DIR extra`: its output and
    bpfprof's summary entry for it."""
    d = tempfile.mkdtemp(prefix="bpfprof-bench-")
    try:
        w = subprocess.Popen([WORKLOAD] + args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             text=True)
        tool = Tool([BPFPROF, "-p", str(w.pid), "-o", d] + extra, C.BPFPROF_READY, 0.05,
                    "bpfprof").start()
        tool.wait_ready()
        out_s, _ = w.communicate("g", timeout=600)
        tool.reap(30)
        if tool.p.returncode is None:
            tool.stop()
        with open(os.path.join(d, "summary.json")) as f:
            summary = json.load(f)
        proc = next(p for p in summary["processes"] if p["pid"] == w.pid)
        return dict(x.split("=") for x in out_s.split()), proc, summary["audit"]
    finally:
        shutil.rmtree(d, ignore_errors=True)


def measure(quick, res):
    """Counts must be exact and percentiles within 5% at the highest rates
    the workloads reach: tight syscall loops, and a stage whose calls time
    themselves."""
    n = 500000 if quick else 3000000
    rows = []
    for sc in ("getppid", "write"):
        kv, proc, audit = profiled_run(["sys", sc, str(n)], [])
        got = proc["syscalls"][sc]["count"]
        # The workload writes its result line to stdout (a pipe): one write.
        want = n + 1 if sc == "write" else n
        row = {"what": "%s calls" % sc, "expected": want, "got": got, "exact": got == want,
               "rate_per_s": round(1e9 / float(kv["ns_per_call"])),
               "lost_total": audit["lost_total"]}
        if sc == "write":
            line = len(" ".join("%s=%s" % kv_ for kv_ in kv.items()) + "\n")
            row["bytes_expected"], row["bytes_got"] = n + line, proc["io"]["write"]["bytes"]
            row["exact"] = row["exact"] and row["bytes_got"] == n + line
        rows.append(row)
        log("accuracy:", row)
    spins = 3000 if quick else 20000
    kv, proc, audit = profiled_run(["spin", str(spins)], ["-u", "stage_spin"])
    st = next(s for s in proc["stages"] if s["name"] == "stage_spin")
    pct = []
    for q in ("p50", "p95", "p99"):
        want, got = int(kv["spin_%s_ns" % q]), st["latency_ns"][q]
        pct.append({"quantile": q, "function_measured_ns": want, "bpfprof_ns": got,
                    "error_pct": round(100.0 * (got - want) / want, 2)})
    rows.append({"what": "stage_spin calls", "expected": spins, "got": st["calls"],
                 "exact": st["calls"] == spins, "rate_per_s": round(1e9 / float(kv["ns_per_call"])),
                 "lost_total": audit["lost_total"]})
    log("accuracy:", rows[-1], pct)
    res["accuracy"] = {"counts": rows, "percentiles": pct,
                       "all_counts_exact": all(r["exact"] for r in rows),
                       "percentiles_within_5pct": all(abs(p["error_pct"]) <= 5 for p in pct)}
