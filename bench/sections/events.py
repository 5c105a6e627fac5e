"""5. Span events (--events): spans written per second and where loss
starts; and bpfprof's own CPU and RSS with --events."""
import json
import os
import shutil
import subprocess
import tempfile

from lib import commands as C
from lib.common import BPFPROF, WORKLOAD, log
from lib.tools import Tool

KEY = "events"


def events_run(args, extra, secs):
    """The workload's spans mode under `bpfprof -p PID -u stage_batch -o DIR`
    plus extra: what bpfprof wrote and lost, and what it cost."""
    d = tempfile.mkdtemp(prefix="bpfprof-bench-events-")
    try:
        w = subprocess.Popen([WORKLOAD] + args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             text=True)
        tool = Tool([BPFPROF, "-p", str(w.pid), "-u", "stage_batch", "-o", d] + extra,
                    C.BPFPROF_READY, 0.05, "bpfprof").start()
        try:
            tool.wait_ready()
            out_s, _ = w.communicate("g", timeout=secs + 120)
        finally:
            if w.poll() is None:
                w.kill()
                w.wait()
        # bpfprof ends with its target; the last drain and write take a moment.
        tool.reap(120)
        if tool.p.returncode is None:
            tool.stop()
        with open(os.path.join(d, "summary.json")) as f:
            summary = json.load(f)
        kv = dict(x.split("=") for x in out_s.split())
        elapsed = int(kv["elapsed_ns"]) / 1e9
        calls = sum(st["calls"] for p in summary["processes"] for st in p["stages"])
        a, ru = summary["audit"], tool.rusage
        files = summary.get("events", {}).get("files", [])
        size = sum(os.path.getsize(os.path.join(d, f)) for f in files)
        cpu = ru.ru_utime + ru.ru_stime
        return {"calls": calls, "calls_per_s": round(calls / elapsed),
                "written": a.get("span_events_written", 0),
                "written_per_s": round(a.get("span_events_written", 0) / elapsed),
                "lost_ring_full": a.get("span_events_lost_ring_full", 0),
                "dropped_queue_full": a.get("span_events_dropped_queue_full", 0),
                "not_written": a.get("span_events_not_written", 0),
                "events_mib_per_s": round(size / elapsed / 2**20, 1),
                "bpfprof_cpu_pct_of_one_core": round(100 * cpu / elapsed, 1),
                "bpfprof_peak_rss_kib": ru.ru_maxrss, "seconds": round(elapsed, 2)}
    finally:
        shutil.rmtree(d, ignore_errors=True)


def measure(quick, res):
    """Issue 7 item 4: span events written per second with zero loss, and
    where loss starts; item 5 with --events: bpfprof's CPU and peak RSS."""
    secs = 1 if quick else 4
    threads = 2
    ladder = [("default", r, []) for r in ([100000, 0] if quick else
                                           [50000, 100000, 200000, 300000, 0])]
    ladder.append(("--stages-only", 0, ["--stages-only"]))
    for ring in (["64K", "1M"] if quick else ["64K", "256K", "1M"]):
        ladder.append(("--stages-only --events-ring-bytes " + ring, 0,
                       ["--stages-only", "--events-ring-bytes", ring]))
    rows = []
    for config, rate, extra in ladder:
        r = events_run(["spans", str(rate), str(secs), str(threads), "0"], ["--events"] + extra,
                       secs)
        r.update({"config": config, "requested_per_s": rate or "flat out"})
        rows.append(r)
        log("events:", r)
    clean = [r for r in rows if r["lost_ring_full"] + r["dropped_queue_full"] == 0]
    lossy = [r for r in rows if r["lost_ring_full"] + r["dropped_queue_full"] > 0]
    default_lossy = [r for r in lossy if r["config"] == "default"]
    res["events"] = {
        "seconds": secs, "threads": threads, "runs": rows,
        "max_written_per_s_zero_loss": max((r["written_per_s"] for r in clean), default=None),
        "loss_starts": min(lossy, key=lambda r: r["calls_per_s"]) if lossy else None,
        "default_config_lossless_up_to": max(
            (r["calls_per_s"] for r in clean if r["config"] == "default"), default=None),
        "default_config_loss_at": min((r["calls_per_s"] for r in default_lossy), default=None)}

    # Item 5 with --events: 1M getppid/s made from inside 100k stage calls/s.
    csecs = 3 if quick else 30
    cost = []
    for config, extra in (("-u stage_batch (aggregate)", []),
                          ("-u stage_batch --events", ["--events"])):
        r = events_run(["spans", "100000", str(csecs), "1", "10"], extra, csecs)
        r["config"] = config
        cost.append(r)
        log("events cost:", r)
    res["events_cost"] = {"seconds": csecs, "stage_calls_per_s": 100000,
                          "syscalls_per_s": 1000000, "runs": cost}
