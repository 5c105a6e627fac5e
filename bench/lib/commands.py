"""Every tool a section runs against the workload: its command line, the
line that says it is attached, and the counts that prove it traced the loop
(lib.proof). Each function returns an unstarted lib.tools.Tool.

`n` is the loop's number of calls; `what` the syscall (sys loops) or the
stage function (stage loops).
"""
from lib import proof as P
from lib.common import BPFPROF, FLOOR, WORKLOAD
from lib.tools import Tool

# bpftrace 0.17 has no rawtracepoint: probes, and perf trace, syscount and
# bpftrace's tracepoint: probes read tracepoint ids from tracefs, which
# bpfprof does not need and this machine does not mount. These peers run in
# a private mount namespace that has tracefs: mounted there if the machine
# has not mounted it (mounting it over an existing mount fails), so the
# machine's own mounts are left as they are either way.
TRACEFS = ["unshare", "-m", "sh", "-c",
           '[ -d /sys/kernel/tracing/events ] || mount -t tracefs nodev /sys/kernel/tracing '
           '|| exit 125; exec "$@"', "sh"]

BPFTRACE_SYS = r"""
BEGIN { printf("bench: ready\n"); }
tracepoint:raw_syscalls:sys_enter /pid == %d/ { @start[tid] = nsecs; @nr[tid] = args->id; }
tracepoint:raw_syscalls:sys_exit /@start[tid]/ {
  @calls[@nr[tid]] = count(); @ns[@nr[tid]] = sum(nsecs - @start[tid]);
  delete(@start[tid]); delete(@nr[tid]);
}
"""

BPFTRACE_STAGE = r"""
BEGIN { printf("bench: ready\n"); }
uprobe:%(bin)s:%(fn)s /pid == %(pid)d/ { @start[tid] = nsecs; }
uretprobe:%(bin)s:%(fn)s /@start[tid]/ { @ns = hist(nsecs - @start[tid]); delete(@start[tid]); }
"""

BPFTRACE_READY = r"^bench: ready$"

# syscount first (its ready line polled from a file), then funclatency; on
# SIGINT both are stopped and both summaries printed.
FUNCLATENCY_WITH_SYSCOUNT = r"""
t=$(mktemp)
stdbuf -oL syscount -L -p "$1" >"$t" 2>&1 & s=$!
until grep -q Tracing "$t"; do kill -0 $s 2>/dev/null || { cat "$t"; exit 1; }; sleep 0.02; done
stdbuf -oL funclatency -p "$1" ":$2" >"$t.f" 2>&1 & f=$!
until grep -q Tracing "$t.f"; do kill -0 $f 2>/dev/null || { cat "$t.f"; exit 1; }; sleep 0.02; done
echo both tracing
trap 'kill -INT $s $f 2>/dev/null; wait; cat "$t" "$t.f"; rm -f "$t" "$t.f"; exit 0' INT TERM
wait
"""

BPFPROF_READY = r"^bpfprof: profiling pid \d+"


def syscalls_proof(what, n, read):
    return P.Proof(P.Count("%s calls" % what, lambda t: read(t, what), n))


def stage_proof(what, n, read):
    return P.Proof(P.Count("%s calls" % what, read, n))


# ---------------------------------------------------------------- ours

def floor_sys(pid, what, n):
    # The floor's programs are empty: they count nothing, so it has no
    # proof; its loader exits non-zero unless both programs attached.
    return Tool([FLOOR, "sys"], r"^attached$", 0.05, "floor")


def floor_uprobe(pid, what, n):
    return Tool([FLOOR, "uprobe", str(pid), WORKLOAD, what], r"^attached$", 0.05, "floor")


def bpfprof_sys(pid, what, n, extra=()):
    return Tool([BPFPROF, "-p", str(pid)] + list(extra), BPFPROF_READY, 0.05, "bpfprof",
                syscalls_proof(what, n, P.bpfprof_syscall_count))


def bpfprof_stage(pid, what, n, extra=()):
    """bpfprof -u FUNC; with --stages-off its stage probes are detached, so
    it must count no stage call, and its syscall programs must have counted
    the workload's one write (its result line, after the loop)."""
    if "--stages-off" in extra:
        pr = P.Proof(P.Count("stage calls (probes off)", P.bpfprof_stage_calls, 0, extra=0),
                     P.Count("write calls", lambda t: P.bpfprof_syscall_count(t, "write"), 1,
                             extra=0))
    else:
        pr = stage_proof(what, n, P.bpfprof_stage_calls)
    return Tool([BPFPROF, "-p", str(pid), "-u", what] + list(extra), BPFPROF_READY, 0.05,
                "bpfprof", pr)


# ---------------------------------------------------------------- peers

def bpftrace_sys(pid, what, n):
    return Tool(TRACEFS + ["bpftrace", "-e", BPFTRACE_SYS % pid], BPFTRACE_READY, 0.1, "bpftrace",
                syscalls_proof(what, n, P.bpftrace_syscall_count))


def syscount(pid, what, n):
    # stdbuf: syscount's "Tracing" line would sit in a full stdio buffer.
    return Tool(TRACEFS + ["stdbuf", "-oL", "syscount", "-L", "-p", str(pid)],
                r"^Tracing syscalls", 0.1, "syscount",
                syscalls_proof(what, n, P.syscount_count))


def strace(pid, what, n):
    return Tool(["strace", "-c", "-f", "-p", str(pid)], r"^strace: Process \d+ attached", 0.1,
                "strace", syscalls_proof(what, n, P.strace_count))


def perf_trace(pid, what, n):
    # perf trace prints nothing once attached: a fixed wait.
    return Tool(TRACEFS + ["perf", "trace", "-s", "-p", str(pid)], None, 2.0, "perf trace",
                syscalls_proof(what, n, P.perf_trace_count))


def bpftrace_stage(pid, what, n):
    return Tool(TRACEFS + ["bpftrace", "-e", BPFTRACE_STAGE % {"bin": WORKLOAD, "fn": what,
                                                               "pid": pid}],
                BPFTRACE_READY, 0.1, "bpftrace",
                stage_proof(what, n, lambda t: P.bpftrace_hist_total(t, "ns")))


def funclatency(pid, what, n):
    return Tool(TRACEFS + ["stdbuf", "-oL", "funclatency", "-p", str(pid), ":" + what],
                r"^Tracing ", 0.1, "funclatency", stage_proof(what, n, P.funclatency_total))


def funclatency_with_syscount(pid, what, n):
    """What bpfprof's full accounting replaces: function latency and
    syscall accounting, from the two peer tools run together. The stage
    loop makes no syscall, so syscount proves itself on the workload's one
    write after the loop."""
    pr = P.Proof(P.Count("%s calls" % what, P.funclatency_total, n),
                 P.Count("write calls (syscount)", lambda t: P.syscount_count(t, "write"), 1,
                         extra=0))
    return Tool(TRACEFS + ["sh", "-c", FUNCLATENCY_WITH_SYSCOUNT, "sh", str(pid), what],
                r"^both tracing$", 0.1, "funclatency + syscount", pr)


def bpftrace_glob(exe, glob, n):
    """bpftrace on an entry and a return probe of each of n functions (the
    attach benchmark): it must say it attached all 2n of them, and BEGIN."""
    prog = ('BEGIN { printf("bench: ready\\n"); }\n'
            "uprobe:%s:%s { @[probe] = count(); }\n"
            "uretprobe:%s:%s { @r = count(); }\n" % (exe, glob, exe, glob))
    # bpftrace refuses more than 1000 probes by default.
    return Tool(TRACEFS + ["env", "BPFTRACE_MAX_PROBES=%d" % (2 * n + 10),
                           "BPFTRACE_MAX_BPF_PROGS=%d" % (2 * n + 10), "bpftrace", "-e", prog],
                BPFTRACE_READY, 0, "bpftrace",
                P.Proof(P.Count("probes attached", P.bpftrace_probes, 2 * n + 1, lost_pct=0,
                                extra=0)))


def bpfprof_glob(pid, glob, n):
    """bpfprof -u GLOB: ready once it says it is timing all n functions."""
    return Tool([BPFPROF, "-p", str(pid), "-u", glob], r"^bpfprof: timing %d functions? " % n, 0,
                "bpfprof")
