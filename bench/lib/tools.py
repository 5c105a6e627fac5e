"""Running a tool against the workload: start it on the workload's pid, wait
for the line that says it is attached, let the loop run, stop the tool and
check its proof."""
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time

from lib.common import WORKLOAD, log, sh
from lib.stats import rotate

# The measured loop runs on the last CPU and every tool's userspace on the
# first: on this 2-vCPU VM the first vCPU takes the interrupts and runs
# ~10% slower, and a loop that lands on either at random gave two modes
# ~400 ns apart for the same tool.
CPUS = sorted(os.sched_getaffinity(0))
WORKLOAD_CPUS = {CPUS[-1]}
TOOL_CPUS = {CPUS[0]} if len(CPUS) > 1 else set(CPUS)


def pin_workload():
    os.sched_setaffinity(0, WORKLOAD_CPUS)


def pin_tool():
    os.sched_setaffinity(0, TOOL_CPUS)


def ready_line(text, ready):
    """Whether a whole line of the output matches `ready` (a regular
    expression matched at a line's start): a substring would also match an
    error message ("ready" in "already mounted")."""
    return re.search(ready, text, re.M) is not None


class Tool:
    """A profiler process started against a pid; its output goes to files
    that are polled for the line that says it is attached. proof: the
    counts its output must show once it has stopped (lib.proof.Proof)."""

    def __init__(self, argv, ready, ready_wait=0.0, tag="tool", proof=None):
        self.argv, self.ready, self.ready_wait, self.tag = argv, ready, ready_wait, tag
        self.proof = proof
        self.counted = None
        self.rusage = None

    def start(self):
        self.out = tempfile.TemporaryFile(mode="w+")
        self.err = tempfile.TemporaryFile(mode="w+")
        self.t0 = time.monotonic()
        self.p = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=self.out,
                                  stderr=self.err, preexec_fn=pin_tool)
        return self

    def text(self):
        s = ""
        for f in (self.out, self.err):
            f.seek(0)
            s += f.read()
        return s

    def wait_ready(self, timeout=30):
        """Seconds from start to the ready line (ready=None: a fixed wait)."""
        if self.ready is None:
            time.sleep(self.ready_wait)
            return time.monotonic() - self.t0
        while time.monotonic() - self.t0 < timeout:
            if ready_line(self.text(), self.ready):
                t = time.monotonic() - self.t0
                time.sleep(self.ready_wait)
                return t
            if self.p.poll() is not None:
                raise RuntimeError("%s exited (%s) before attaching: %s"
                                   % (self.tag, self.p.returncode, self.text()[-600:]))
            time.sleep(0.005)
        raise RuntimeError("%s not attached after %ds: %s" % (self.tag, timeout, self.text()[-600:]))

    def reap(self, timeout):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            pid, status, ru = os.wait4(self.p.pid, os.WNOHANG)
            if pid:
                self.p.returncode = os.waitstatus_to_exitcode(status)
                self.rusage = ru
                return True
            time.sleep(0.005)
        return False

    def stop(self, timeout=60):
        """SIGINT unless already gone; seconds from SIGINT to exit."""
        t = time.monotonic()
        if self.p.returncode is None and not self.reap(0.3):
            t = time.monotonic()
            self.p.send_signal(signal.SIGINT)
            if not self.reap(timeout):
                self.p.kill()
                self.reap(10)
                raise RuntimeError("%s did not exit on SIGINT" % self.tag)
        return time.monotonic() - t

    def check_proof(self):
        """The tool's own count of the loop (None if it has no proof);
        raises lib.proof.NotCounted if its output does not show it counted."""
        if self.proof:
            self.counted = self.proof.check(self.tag, self.text())
        return self.counted


class LiveTool(Tool):
    """bpfprof drawing its live view in a 120x40 tmux pane (its own tmux
    server). Not our child: its CPU time is read from /proc/PID/stat when
    it is ready and again just before SIGINT."""

    class _Gone:
        returncode = None

    def start(self):
        self.sock = "bpfprof-bench-%d" % os.getpid()
        self.dir = tempfile.mkdtemp(prefix="bpfprof-bench-live-")
        self.pidf, self.errf = os.path.join(self.dir, "pid"), os.path.join(self.dir, "err")
        cmd = "echo $$ > %s; exec %s 2>%s" % (self.pidf, " ".join(self.argv), self.errf)
        sh(["tmux", "-L", self.sock, "-f", "/dev/null", "new-session", "-d", "-x", "120",
            "-y", "40", "sh -c '%s'" % cmd])
        self.t0, self.p = time.monotonic(), self._Gone()
        while not os.path.exists(self.pidf) or not open(self.pidf).read().strip():
            time.sleep(0.005)
        self.pid = int(open(self.pidf).read())
        return self

    def text(self):
        return open(self.errf).read() if os.path.exists(self.errf) else ""

    def cpu_s(self):
        with open("/proc/%d/stat" % self.pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def wait_ready(self, timeout=30):
        while not ready_line(self.text(), self.ready):
            if time.monotonic() - self.t0 > timeout:
                raise RuntimeError("live view not attached: " + self.text()[-300:])
            time.sleep(0.005)
        time.sleep(self.ready_wait)
        self.cpu0, self.m0 = self.cpu_s(), time.monotonic()
        return self.m0 - self.t0

    def stop(self, timeout=60):
        self.cpu1, self.m1 = self.cpu_s(), time.monotonic()
        os.kill(self.pid, signal.SIGINT)
        end = time.monotonic() + timeout
        while os.path.exists("/proc/%d" % self.pid) and time.monotonic() < end:
            time.sleep(0.01)
        subprocess.run(["tmux", "-L", self.sock, "kill-server"], stderr=subprocess.DEVNULL)
        shutil.rmtree(self.dir, ignore_errors=True)
        self.p.returncode = 0
        return 0.0


def run_workload(args, tool_factory):
    """Start the workload behind its go gate, attach the tool, go, collect:
    ns per call, and the tool (stopped, its proof checked)."""
    w = subprocess.Popen([WORKLOAD] + args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                         preexec_fn=pin_workload)
    tool = None
    try:
        if tool_factory:
            tool = tool_factory(w.pid).start()
            tool.wait_ready()
        out_s, _ = w.communicate("g", timeout=600)
    except BaseException:
        if tool and tool.p.returncode is None:
            tool.p.kill()
            tool.reap(10)
        raise
    finally:
        if w.poll() is None:
            w.kill()
            w.wait()
    if tool:
        tool.stop()
        tool.check_proof()
    kv = dict(x.split("=") for x in out_s.split())
    return float(kv.get("chunk_p10_ns_per_call", kv["ns_per_call"])), tool


def run_rounds(section, workloads, ts, rounds, seen=None):
    """Rounds over workloads {key: (label, calls, run(name, make) -> (ns, tool))},
    every configuration of ts once a round, in rotated order, so one slow
    stretch of the host cannot favour one of them. Returns (raw ns per call
    per run, counted proofs, errors). A configuration that fails is said
    under its table and not run again; seen(key, name, tool) reads more from
    each run."""
    raw, counted, errors = {}, {}, {}
    for key, (label, calls, run) in workloads.items():
        raw[key] = {name: [] for name in ts}
        counted[key] = {}
        for r in range(rounds):
            for name in rotate(list(ts), r):
                if "%s/%s" % (key, name) in errors:
                    continue
                try:
                    ns, tool = run(name, ts[name])
                except Exception as e:  # a peer that cannot run here, or did not count
                    errors["%s/%s" % (key, name)] = str(e)[:400]
                    log("%s:" % section, key, name, "failed:", str(e)[:400])
                    continue
                raw[key][name].append(ns)
                if tool and tool.counted is not None:
                    counted[key].setdefault(name, []).append((tool.counted, calls))
                if seen and tool:
                    seen(key, name, tool)
            log("%s round %d %s:" % (section, r, label),
                " ".join("%s=%.0f" % (k, v[-1]) for k, v in raw[key].items() if v))
    return raw, counted, errors
