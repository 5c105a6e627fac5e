"""Paths, logging and running small commands."""
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BENCH = os.path.join(ROOT, "bench")
BUILD = os.path.join(BENCH, "build")
BPFPROF = os.path.join(ROOT, "build", "bpfprof")
WORKLOAD = os.path.join(BUILD, "workload")
FLOOR = os.path.join(BUILD, "floor")
RESULTS_JSON = os.path.join(BENCH, "results.json")
RESULTS_MD = os.path.join(BENCH, "RESULTS.md")
README = os.path.join(ROOT, "README.md")


def log(*a):
    print("bench:", *a, file=sys.stderr, flush=True)


def sh(cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


def out(cmd):
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
        return (r.stdout + r.stderr).strip()
    except (OSError, subprocess.SubprocessError) as e:
        return "unavailable (%s)" % e
