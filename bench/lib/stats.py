"""Medians, round order, and the per-configuration summary of a section."""
import statistics


def med(xs):
    return statistics.median(xs) if xs else None


def rotate(xs, k):
    k %= len(xs)
    return xs[k:] + xs[:k]


def summarize(raw, floor_name, errors, counted=None):
    """Per workload and config: median ns/call, median per-round ns added to
    the baseline of the same round, median per-round ratio to it, and the
    added cost as a multiple of the floor's. counted[wl][name]: each run's
    (tool's own count, the loop's calls), the proof that the tool counted."""
    outd = {"errors": errors, "workloads": {}}
    for wl, by in raw.items():
        base = by["baseline"]
        rows = {}
        for name, xs in by.items():
            if not xs:
                continue
            k = min(len(xs), len(base))
            added = [xs[i] - base[i] for i in range(k)]
            ratio = [xs[i] / base[i] for i in range(k)]
            rows[name] = {"runs_ns_per_call": [round(x, 3) for x in xs],
                          "ns_per_call": round(med(xs), 3),
                          "added_ns": round(med(added), 1),
                          "ratio_to_baseline": round(med(ratio), 3)}
            proofs = (counted or {}).get(wl, {}).get(name)
            if proofs:
                rows[name]["tool_counted_per_run"] = [c for c, _ in proofs]
                rows[name]["loop_calls"] = proofs[0][1]
        f = rows.get(floor_name, {}).get("added_ns")
        for name, row in rows.items():
            row["added_vs_floor"] = (round(row["added_ns"] / f, 2)
                                     if f and f > 0 and name != "baseline" else None)
        outd["workloads"][wl] = rows
    return outd
