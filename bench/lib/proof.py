"""The proof that a tool attached and counted: its own count of what the
loop did, read from what it printed, against the loop's count.

A peer that never attached leaves the loop at the baseline's speed; without
this check its row would record the baseline as its cost (issue 20 item 10).
Every parser returns None when the tool printed no count at all.
"""
import re

# bpftrace keys its maps by syscall number. The bench builds for x86-64
# only (floor.bpf.c is compiled with __TARGET_ARCH_x86).
SYSCALL_NR = {"read": 0, "write": 1, "getppid": 110}


class NotCounted(RuntimeError):
    """The tool ran but its own count does not show it traced the loop."""


def bpftrace_map(text, name):
    """@name[key]: value and @name: value lines, as {key: value} ("" for a
    map without keys)."""
    got = {}
    for m in re.finditer(r"^@%s(?:\[([^\]]*)\])?: (\d+)$" % re.escape(name), text, re.M):
        got[m.group(1) or ""] = int(m.group(2))
    return got


def bpftrace_syscall_count(text, syscall):
    """The BENCH bpftrace script's @calls[NR] for one syscall."""
    return bpftrace_map(text, "calls").get(str(SYSCALL_NR[syscall]))


def bpftrace_hist_total(text, name):
    """The sum of a printed hist()'s buckets: "[512, 1K)   98694 |@@@|"."""
    m = re.search(r"^@%s: ?\n((?:\[[^\n]*\n)+)" % re.escape(name), text, re.M)
    if not m:
        return None
    return sum(int(c) for c in re.findall(r"^\[[^\]\)]*[\]\)]\s+(\d+) ", m.group(1), re.M))


def bpftrace_probes(text):
    """N from "Attaching N probes...": how many probes bpftrace attached."""
    m = re.search(r"^Attaching (\d+) probes?\.\.\.$", text, re.M)
    return int(m.group(1)) if m else None


def syscount_count(text, syscall):
    """libbpf-tools syscount -L: "getppid   300000   105398.443"."""
    m = re.search(r"^%s\s+(\d+)\s+[\d.]+$" % re.escape(syscall), text, re.M)
    return int(m.group(1)) if m else None


def strace_count(text, syscall):
    """strace -c: "% time  seconds  usecs/call  calls  [errors]  syscall"."""
    m = re.search(r"^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?%s$" % re.escape(syscall),
                  text, re.M)
    return int(m.group(1)) if m else None


def perf_trace_count(text, syscall):
    """perf trace -s: "getppid  4999  0  79.663  0.010 ..." per thread,
    summed over the threads listed."""
    counts = re.findall(r"^\s+%s\s+(\d+)\s+\d+\s+[\d.]+\s" % re.escape(syscall), text, re.M)
    return sum(int(c) for c in counts) if counts else None


def funclatency_total(text):
    """The sum of funclatency's histogram rows: "512 -> 1023 : 99831 |***|"."""
    counts = re.findall(r"^\s*\d+ -> \d+\s+: (\d+)\s+\|", text, re.M)
    return sum(int(c) for c in counts) if counts else None


def _bpfprof_total(text):
    """The part of bpfprof's plain report after "== bpfprof total"."""
    i = text.find("== bpfprof total")
    return text[i:] if i >= 0 else None


def bpfprof_syscall_count(text, syscall):
    """bpfprof's whole-run count of one syscall ("syscalls: getppid 300000 ...");
    0 when the total lists the process without that syscall."""
    total = _bpfprof_total(text)
    if total is None:
        return None
    lines = re.findall(r"^\s+syscalls:(.*)$", total, re.M)
    if not lines:
        return None
    m = re.search(r"(?:^| )%s (\d+)(?: |$)" % re.escape(syscall), lines[0])
    return int(m.group(1)) if m else 0


def bpfprof_stage_calls(text):
    """bpfprof's whole-run count of stage calls (the total's header line,
    which may go on with ", N LOST (see audit)" and unfinished calls)."""
    total = _bpfprof_total(text)
    m = total and re.match(r"== bpfprof total [^\n]*?, (\d+) stage calls(?:, [^\n]*)?$", total,
                           re.M)
    return int(m.group(1)) if m else None


class Count:
    """One count a tool must print: what it counts, how to read it from the
    tool's output, and the loop's figure. The tool may miss up to
    `lost_pct` percent (perf trace pairs entry with exit and can miss the
    first call) and count up to `extra` more (the workload's go-byte read
    and result-line write fall inside the window)."""

    def __init__(self, what, read, expected, lost_pct=1.0, extra=16):
        self.what, self.read, self.expected = what, read, expected
        self.lo = expected - int(expected * lost_pct / 100)
        self.hi = expected + extra

    def check(self, tag, text):
        got = self.read(text)
        if got is None:
            raise NotCounted("%s printed no count of %s (did it attach?): %s"
                             % (tag, self.what, tail(text)))
        if not self.lo <= got <= self.hi:
            raise NotCounted("%s counted %d %s where the loop made %d (%d..%d accepted): %s"
                             % (tag, got, self.what, self.expected, self.lo, self.hi,
                                tail(text)))
        return got


class Proof:
    """The counts a tool's output must show; check() returns the first
    count (the one the section records) or raises NotCounted."""

    def __init__(self, *counts):
        self.counts = counts

    def check(self, tag, text):
        got = [c.check(tag, text) for c in self.counts]
        return got[0]

    @property
    def expected(self):
        return self.counts[0].expected

    @property
    def what(self):
        return self.counts[0].what


def tail(text, n=300):
    return " ".join(text.split())[-n:]
