#!/usr/bin/env python3
"""Soak run (issue 8): bpfprof for a long time against a target making ~1 M
syscalls/s with a stage on every batch of them, optionally with --events.

    python3 bench/soak.py [--minutes 10] [--rate 5000] [--syscalls 200]
                          [--threads 2] [--no-events] [--out DIR]

The target is bench/workloads/workload.c in "spans" mode: RATE calls/s of
stage_batch (spread over THREADS threads), each making SYSCALLS getppid
calls. bpfprof runs with -p, -u stage_batch, 1 s flushes and, unless
--no-events, --events with 64 MiB gzip rotation. Every 5 s the harness
samples bpfprof's RSS (VmRSS) and CPU time. At the end it checks, from the
summary, that the counts are exact (getppid = calls x SYSCALLS, stage
calls = calls, the flush records sum to the summary), that nothing was lost
in aggregate mode, that every span is accounted for (written + lost +
dropped + not written = calls), and that RSS stayed flat. Not part of the
test suite: it takes as long as it says. Needs root. Writes
DIR/soak.json (default build/soak/).
"""
import argparse
import gzip
import json
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BPFPROF = os.path.join(ROOT, "build", "bpfprof")


def build_workload(out):
    exe = os.path.join(out, "workload")
    subprocess.run(["gcc", "-O1", "-g", "-fno-omit-frame-pointer", "-fcf-protection=none",
                    "-Wall", "-Werror", "-pthread", "-o", exe,
                    os.path.join(ROOT, "bench", "workloads", "workload.c")], check=True)
    return exe


def status_kib(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise KeyError(key)


def cpu_s(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / tick


def wait_stderr(proc, needle, timeout):
    """Read bpfprof's stderr lines until one holds needle."""
    seen = []
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        line = proc.stderr.readline()
        if not line:
            break
        seen.append(line)
        if needle in line:
            return seen
    sys.exit("bpfprof did not start:\n" + "".join(seen))


def flush_sums(path, pid):
    """getppid count and stage calls summed over the flush records."""
    sys_total = stage_total = records = 0
    with open(path) as f:
        for line in f:
            rec = json.loads(line)
            records += 1
            for p in rec["processes"]:
                if p["pid"] != pid:
                    continue
                sys_total += p["syscalls"].get("getppid", {}).get("count", 0)
                stage_total += sum(s["calls"] for s in p.get("stages", []))
    return sys_total, stage_total, records


def count_span_lines(out):
    """Span lines in events.jsonl and its rotated (gzip) files."""
    n = 0
    for name in sorted(os.listdir(out)):
        if not name.startswith("events.jsonl"):
            continue
        path = os.path.join(out, name)
        opener = gzip.open if name.endswith(".gz") else open
        with opener(path, "rt") as f:
            n += sum(1 for _ in f)
    return n


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=float, default=10)
    ap.add_argument("--rate", type=int, default=5000, help="stage calls per second")
    ap.add_argument("--syscalls", type=int, default=200, help="getppid per stage call")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--no-events", action="store_true")
    ap.add_argument("--out", default=os.path.join(ROOT, "build", "soak"))
    a = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("soak: needs root")
    os.makedirs(a.out, exist_ok=True)
    outdir = os.path.join(a.out, "run")
    subprocess.run(["rm", "-rf", outdir], check=True)
    exe = build_workload(a.out)
    secs = int(a.minutes * 60)

    wl = subprocess.Popen([exe, "spans", str(a.rate), str(secs), str(a.threads),
                           str(a.syscalls)], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    cmd = [BPFPROF, "--plain", "-i", "1", "-p", str(wl.pid), "-u", "stage_batch", "-o", outdir]
    if not a.no_events:
        cmd += ["--events", "--rotate-bytes", "64M", "--rotate-gzip"]
    bp = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wait_stderr(bp, "profiling pid", 60)
    wl.stdin.write(b"g")
    wl.stdin.flush()
    t0 = time.monotonic()
    samples = []
    while wl.poll() is None:
        try:
            samples.append({"t": round(time.monotonic() - t0, 1),
                            "rss_kib": status_kib(bp.pid, "VmRSS"),
                            "cpu_s": round(cpu_s(bp.pid), 2)})
        except (OSError, KeyError):
            break
        if len(samples) % 12 == 1:
            s = samples[-1]
            print(f"soak: {s['t']:6.0f}s  bpfprof rss {s['rss_kib']} KiB  cpu {s['cpu_s']} s",
                  flush=True)
        time.sleep(5)
    wl_out = wl.stdout.read().decode()
    calls = int(wl_out.split("calls=")[1].split()[0])
    wl_secs = int(wl_out.split("elapsed_ns=")[1].split()[0]) / 1e9
    elapsed = time.monotonic() - t0
    err = bp.stderr.read()
    rc = bp.wait(timeout=120)

    summary = json.load(open(os.path.join(outdir, "summary.json")))
    proc = next(p for p in summary["processes"] if p["pid"] == wl.pid)
    audit = summary["audit"]
    getppid = proc["syscalls"]["getppid"]["count"]
    stage_calls = sum(s["calls"] for s in proc["stages"])
    f_sys, f_stage, records = flush_sums(os.path.join(outdir, "flushes.jsonl"), wl.pid)
    spans = {k: audit.get(k, 0) for k in ("span_events_written", "span_events_lost_ring_full",
                                            "span_events_dropped_queue_full",
                                            "span_events_not_written")}
    rss = [s["rss_kib"] for s in samples]
    # Flat: after the first minute (buffers, maps warmed up), the RSS may
    # not grow by more than 1 MiB.
    settled = [s["rss_kib"] for s in samples if s["t"] >= 60] or rss
    result = {
        "minutes": a.minutes, "rate_stage_calls_per_s": a.rate, "syscalls_per_call": a.syscalls,
        "threads": a.threads, "events": not a.no_events,
        "bpfprof_exit": rc, "end_reason": summary["end_reason"],
        "elapsed_s": round(elapsed, 1),
        "workload_calls": calls, "expected_getppid": calls * a.syscalls,
        "getppid_counted": getppid, "stage_calls_counted": stage_calls,
        "flush_records": records, "flush_sum_getppid": f_sys, "flush_sum_stage_calls": f_stage,
        "syscalls_per_s": round(getppid / wl_secs),
        "lost_total": audit["lost_total"], "spans": spans,
        "rss_kib": {"first": rss[0], "min": min(rss), "max": max(rss), "last": rss[-1],
                    "growth_after_1min": settled[-1] - settled[0]},
        "bpfprof_cpu_s": samples[-1]["cpu_s"], "samples": samples,
    }
    if not a.no_events:
        result["span_lines_in_files"] = count_span_lines(outdir)
    checks = {
        "bpfprof exited 0": rc == 0,
        "getppid exact": getppid == calls * a.syscalls,
        "stage calls exact": stage_calls == calls,
        "flushes sum to the summary": f_sys == getppid and f_stage == stage_calls,
        "nothing lost (aggregate)": audit["lost_total"] - spans["span_events_lost_ring_full"]
        - spans["span_events_dropped_queue_full"] - spans["span_events_not_written"] == 0,
        "RSS flat (< 1 MiB growth after the first minute)": result["rss_kib"]["growth_after_1min"] < 1024,
    }
    if not a.no_events:
        checks["every span accounted for"] = sum(spans.values()) == calls
        checks["span lines = written"] = result["span_lines_in_files"] == spans["span_events_written"]
    result["checks"] = checks
    with open(os.path.join(a.out, "soak.json"), "w") as f:
        json.dump(result, f, indent=1)
    print(json.dumps({k: v for k, v in result.items() if k != "samples"}, indent=1))
    if err.strip():
        print("bpfprof stderr:\n" + err)
    bad = [k for k, ok in checks.items() if not ok]
    print("soak: " + ("all checks passed" if not bad else "FAILED: " + ", ".join(bad)))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
