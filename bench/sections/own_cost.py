"""4. bpfprof's own cost: its CPU and peak RSS while the target makes
1,000,000 getppid/s, in aggregate mode and with the live view drawn."""
import shutil

from lib import commands as C
from lib.common import BPFPROF, log
from lib.stats import med
from lib.tools import LiveTool, run_workload

KEY = "cpu"


def measure(quick, res):
    secs = 3 if quick else 30
    rate = 1000000
    rounds = 1
    runs = []
    for _ in range(rounds):
        ns, tool = run_workload(["rate", str(rate), str(secs)],
                                lambda pid: C.bpfprof_sys(pid, "getppid", rate * secs))
        ru = tool.rusage
        cpu = (ru.ru_utime + ru.ru_stime) if ru else None
        runs.append({"cpu_s": round(cpu, 3) if cpu is not None else None,
                     "utime_s": round(ru.ru_utime, 3) if ru else None,
                     "stime_s": round(ru.ru_stime, 3) if ru else None,
                     "peak_rss_kib": ru.ru_maxrss if ru else None,
                     "cpu_pct_of_one_core": round(100 * cpu / secs, 2) if cpu is not None else None,
                     "achieved_rate": round(1e9 / ns)})
        log("cpu:", runs[-1])
    res["own_cost"] = {"seconds": secs, "target_rate": rate, "runs": runs,
                       "cpu_s": med([r["cpu_s"] for r in runs]),
                       "cpu_pct_of_one_core": med([r["cpu_pct_of_one_core"] for r in runs]),
                       "peak_rss_kib": med([r["peak_rss_kib"] for r in runs])}
    if shutil.which("tmux"):
        ns, tool = run_workload(["rate", str(rate), str(secs)],
                                lambda pid: LiveTool([BPFPROF, "-p", str(pid)], C.BPFPROF_READY,
                                                     0.05, "bpfprof-live"))
        cpu, wall = tool.cpu1 - tool.cpu0, tool.m1 - tool.m0
        res["own_cost"]["live_view"] = {"cpu_s": round(cpu, 3), "wall_s": round(wall, 2),
                                        "cpu_pct_of_one_core": round(100 * cpu / wall, 2),
                                        "achieved_rate": round(1e9 / ns)}
        log("cpu, live view:", res["own_cost"]["live_view"])
