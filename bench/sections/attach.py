"""3. Attach and detach time for 10, 100 and 1000 generated functions
matched by one glob: bpfprof against bpftrace."""
import subprocess

from lib import commands as C
from lib.common import log
from lib.install import build_many
from lib.stats import med, rotate

KEY = "attach"
GLOB = "bench_f*"


def measure(quick, res):
    sizes = [10, 50] if quick else [10, 100, 1000]
    rounds = 1 if quick else 3
    rows = {}
    errors = {}
    for n in sizes:
        exe = build_many(n)
        rows[n] = {"bpfprof": {"attach_s": [], "detach_s": [], "ready_s": []},
                   "bpftrace": {"attach_s": [], "detach_s": []}}
        for r in range(rounds if n < 100 else (2 if n == 100 and not quick else 1)):
            for name in rotate(["bpfprof", "bpftrace"], r):
                if name in errors:
                    continue
                w = subprocess.Popen([exe], stdin=subprocess.PIPE)
                if name == "bpfprof":
                    tool = C.bpfprof_glob(w.pid, GLOB, n)
                else:
                    tool = C.bpftrace_glob(exe, GLOB, n)
                try:
                    tool.start()
                    a = tool.wait_ready(timeout=300)
                    # bpfprof: "timing N functions" once the links exist,
                    # then "profiling pid" once the whole setup is done.
                    if name == "bpfprof":
                        tool.ready = C.BPFPROF_READY
                        rows[n][name]["ready_s"].append(tool.wait_ready(timeout=300))
                    d = tool.stop(timeout=480)
                    tool.check_proof()
                    rows[n][name]["attach_s"].append(a)
                    rows[n][name]["detach_s"].append(d)
                    log("attach %d %s: attach %.3fs detach %.3fs" % (n, name, a, d))
                except Exception as e:
                    errors["%d/%s" % (n, name)] = str(e)[:400]
                    log("attach", n, name, "failed:", str(e)[:400])
                    try:
                        tool.p.kill()
                        tool.reap(10)
                    except Exception:
                        pass
                finally:
                    w.communicate(b"g")
    summary = {}
    for n, by in rows.items():
        summary[str(n)] = {name: {k: (round(med(v[k]), 4) if v.get(k) else None)
                                  for k in ("attach_s", "ready_s", "detach_s")} |
                           {
                            "runs": {k: [round(x, 4) for x in xs] for k, xs in v.items()}}
                           for name, v in by.items()}
    res["attach"] = {"glob": GLOB, "sizes": summary, "errors": errors}
