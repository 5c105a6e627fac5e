"""The machine a run measured on, and what else was tracing on it."""
import datetime
import json
import os
import platform
import subprocess

from lib.common import ROOT, out


def environment():
    cpu = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    dv = lambda p: out(["dpkg-query", "-W", "-f=${Version}", p])
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "kernel": platform.release(),
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "loadavg_at_start": open("/proc/loadavg").read().split()[:3],
        "bpfprof": out(["git", "-C", ROOT, "describe", "--always", "--dirty"]),
        "versions": {"bpftrace": dv("bpftrace"), "strace": dv("strace"),
                     "linux-perf": dv("linux-perf"), "libbpf-tools": dv("libbpf-tools"),
                     "libbpf": dv("libbpf1"), "gcc": dv("gcc-12"), "clang": dv("clang-14")},
    }


def foreign_links():
    """BPF tracing links attached by others (e.g. a concurrent test suite)
    while we measure: each one on sys_enter costs every syscall."""
    r = subprocess.run(["bpftool", "-j", "link", "show"], capture_output=True, text=True)
    try:
        links = json.loads(r.stdout or "[]")
    except ValueError:
        return None
    return sum(1 for l in links if l.get("type") in ("tracing", "raw_tracepoint"))
