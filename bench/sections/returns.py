"""8. Return mechanisms: what seeing a call's end costs per call, by how the
kernel runs the function's first instruction.

`workload shape push|step|nop5` calls one of three leaves with the same
body that open with `push %rbp` (emulated), `sub $8,%rsp` (single-stepped
out of line) and a 5-byte nop (which Linux 6.18 may rewrite into a call to its
uprobe trampoline), each ending in one `ret`. Configurations: the baseline; the
two floors, empty BPF programs on the kernel's two ways to see a return
(`floor uprobe`: uprobe + uretprobe; `floor usite`: uprobe at the entry and
at the `ret`); bpfprof `-u FUNC` with `--returns=fast` (a session uprobe:
entry and return in one link) and `--returns=safe` (a uprobe on each return
instruction), each also with `--stages-only` (no syscall programs: a
uretprobe's return is a syscall they would see). Rows: median ns per call,
median over rounds of (config - baseline of the same round), as in
section 2. Which mechanism `--returns=auto` picks for each is read from
`bpfprof --list`.
"""
import os
import re
import subprocess

from lib import commands as C
from lib.common import BPFPROF, FLOOR, WORKLOAD, log, out
from lib.stats import med, summarize
from lib.tools import Tool, run_rounds, run_workload

KEY = "returns"
SHAPES = {"push": ("shape_push", "emulated push %rbp"),
          "step": ("shape_step", "single-stepped sub $8,%rsp"),
          "nop5": ("shape_nop5", "5-byte nop")}


def shape_key(kind):
    fn, how = SHAPES[kind]
    return "%s (%s)" % (fn, how)


def counts(quick):
    # Single-stepped instructions cost ~10 us each here: fewer calls.
    return {"push": 50000 if quick else 200000, "step": 10000 if quick else 30000,
            "nop5": 50000 if quick else 200000}


def ret_offset(fn):
    """The offset of the function's one ret, from objdump."""
    dis = subprocess.run(["objdump", "-d", "--disassemble=" + fn, WORKLOAD],
                         capture_output=True, text=True, check=True).stdout
    start = re.search(r"^([0-9a-f]+) <%s>:" % re.escape(fn), dis, re.M)
    rets = re.findall(r"^\s*([0-9a-f]+):\s+(?:[0-9a-f]{2} )+\s*ret", dis, re.M)
    if not start or len(rets) != 1:
        raise RuntimeError("%s: expected one ret in\n%s" % (fn, dis))
    return int(rets[0], 16) - int(start.group(1), 16)


def floor_site(pid, fn, n):
    return Tool([FLOOR, "usite", str(pid), WORKLOAD, fn, str(ret_offset(fn))], r"^attached$",
                0.05, "floor")


def bpfprof(*extra):
    return lambda pid, fn, n: C.bpfprof_stage(pid, fn, n, list(extra))


def tools():
    """name: factory(pid, function, n) -> Tool, or None for the baseline."""
    return {
        "baseline": None,
        "floor uprobe + uretprobe": C.floor_uprobe,
        "floor uprobe + uprobe at ret": floor_site,
        "bpfprof --returns=fast": bpfprof("--returns=fast"),
        "bpfprof --returns=safe": bpfprof("--returns=safe"),
        "bpfprof --returns=fast --stages-only": bpfprof("--returns=fast", "--stages-only"),
        "bpfprof --returns=safe --stages-only": bpfprof("--returns=safe", "--stages-only"),
    }


def auto_picks(listing):
    """{function: (entry kind, return mechanism)} from bpfprof --list."""
    got = {}
    for line in listing.splitlines():
        m = re.match(r"^0x[0-9a-f]+\s+(\S+)\s+(return-probe|\d+ rets?)\s+\S+\s+(\S+)", line)
        if m:
            got[m.group(3)] = [m.group(1), m.group(2)]
    return got


def measure(quick, res):
    # Runs are short (under a second); 9 rounds, each running every
    # configuration once in rotated order, as in section 2.
    rounds = 2 if quick else 9
    load_at_start = [round(x, 2) for x in os.getloadavg()]
    n_of = counts(quick)
    ts = tools()
    said, site_us = {}, {}

    def seen(key, name, tool):
        if not name.startswith("bpfprof"):
            return
        # How it attached, and what it says the safe path costs.
        txt = tool.text()
        m = re.search(r"^bpfprof: timing \d+ functions? \(([^,)]*(?:, \d+ links?)?)", txt, re.M)
        if m:
            said.setdefault(key, {}).setdefault(name, {})["attached"] = m.group(1)
        m = re.search(r"^bpfprof: \d+ of \d+ functions end through probes on "
                      r"their return instructions.*\(~([\d.]+) us per call here\)", txt, re.M)
        if m:
            site_us.setdefault(key, []).append(float(m.group(1)))

    def run(kind):
        fn, n = SHAPES[kind][0], n_of[kind]
        return lambda name, make: run_workload(["shape", kind, str(n)],
                                               make and (lambda pid: make(pid, fn, n)))

    raw, counted, errors = run_rounds(
        "returns", {shape_key(kind): (SHAPES[kind][0], n_of[kind], run(kind)) for kind in SHAPES},
        ts, rounds, seen)
    s = summarize(raw, "floor uprobe + uretprobe", errors, counted)
    for key, rows in s["workloads"].items():
        # The other floor is the reference for the return-site rows.
        site_floor = "floor uprobe + uprobe at ret"
        fl = rows.get(site_floor, {}).get("added_ns")
        for name, row in rows.items():
            if "safe" in name:
                row["added_vs_floor"] = round(row["added_ns"] / fl, 2) if fl and fl > 0 else None
            elif name == site_floor:
                row["added_vs_floor"] = None
    s["list_auto"] = out([BPFPROF, "--list", "shape_*", "--", WORKLOAD])
    s["auto"] = auto_picks(s["list_auto"])
    s["list_safe"] = out([BPFPROF, "--returns=safe", "--list", "shape_*", "--", WORKLOAD])
    s["bpfprof_attached"] = said
    # bpfprof's own figure for a return-site call, calibrated at its start.
    s["bpfprof_site_cost_us"] = {k: {"median": med(v), "runs": v} for k, v in site_us.items()}
    s["calls_per_run"] = {shape_key(k): n for k, n in n_of.items()}
    s["rounds"] = rounds
    s["loadavg_at_start"] = load_at_start
    s["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    res[KEY] = s
