"""Wall time and peak memory (RSS, native solver memory included) of the MIP solvers.

    python benchmarks/bench_mip.py                         # the coupling cases of issue 11, both solvers
    python benchmarks/bench_mip.py --cases pct50 --solvers cpsat --time-limit 60
    python benchmarks/bench_mip.py --sizes 100,3,4 1000,6,8 # synthetic chains, free and binding
    python benchmarks/bench_mip.py --time-limits            # time-limit promise on 5000 x 8 x 16
    python benchmarks/bench_mip.py --no-limit 100000,6,8    # no time limit on a huge chain (issue 13)

Every solve runs in a child process of its own. Its peak resident memory is the
child's ``ru_maxrss`` (from ``os.wait4``) and, for CBC, which runs as a
grandchild, the largest ``ru_maxrss`` of the child's own children, reported by
the child; the larger of the two is the ``peak_rss_mb`` column. ``--out FILE``
appends the rows as CSV (benchmarks/results/mip.csv holds the committed ones).

Cases (on ``generate --nodes 1000 --tiers 6 --systems 8 --constrained --seed 3``):
``pct50`` adds ``compute_time_limit_pct: {tier0: 50}``, ``throughput`` optimises
the bottleneck, ``deadline12`` adds ``deadline_s: 12`` and optimises energy.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CASES = {
    "pct50": ("latency", {"compute_time_limit_pct": (50.0, None, None, None, None, None)}),
    "throughput": ("throughput", {}),
    "deadline12": ("energy", {"deadline_s": 12.0}),
}

#: The child: load, solve, print one JSON line (and its children's peak RSS, i.e. CBC's).
_CHILD = """
import json, resource, sys, time
import scission_opt as so
inst = so.load_instance(sys.argv[1])
t0 = time.perf_counter()
limit = float(sys.argv[4])
r = so.solve(inst, sys.argv[2], sys.argv[3], time_limit=limit if limit < float("inf") else None, explain=False)
wall = time.perf_counter() - t0
kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(json.dumps({"status": r.status.value, "objective": r.objective, "bound": r.bound, "wall_s": wall,
                  "children_rss_mb": kids, "message": r.message}))
"""


def _coupling_instance(case: str, folder: str) -> tuple[str, str]:
    from scission_opt.generate import generate, with_binding_constraints

    objective, extra = CASES[case]
    inst = with_binding_constraints(generate(1000, 6, 8, 3), seed=3)
    inst = inst.replace(constraints=dataclasses.replace(inst.constraints, **extra))
    path = os.path.join(folder, f"{case}.json")
    inst.save(path)
    return path, objective


def run_child(path: str, solver: str, objective: str, time_limit: float) -> dict:
    """Solve in a fresh process; returns the child's answer with ``peak_rss_mb`` and ``process_s``."""
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    t0 = time.perf_counter()
    with tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(
            [sys.executable, "-c", _CHILD, path, solver, objective, str(time_limit)],
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
            env=env,
        )
        assert proc.stdout is not None
        out = proc.stdout.read()
        _, status, usage = os.wait4(proc.pid, 0)  # reaped here, so that its own rusage can be read
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        error = err.read().strip()
    process_s = time.perf_counter() - t0
    try:
        row = json.loads(out.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        row = {"status": f"error {proc.returncode}: {error.splitlines()[-1] if error else ''}"}
    row["peak_rss_mb"] = max(usage.ru_maxrss / 1024, row.get("children_rss_mb", 0.0))
    row["process_s"] = process_s
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default=",".join(CASES), help="comma-separated coupling cases")
    parser.add_argument("--sizes", nargs="*", default=[], help="synthetic chains n,tiers,systems (free and binding)")
    parser.add_argument("--solvers", default="cbc,cpsat")
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--time-limits", action="store_true", help="the time-limit promise on 5000 x 8 x 16")
    parser.add_argument("--no-limit", nargs="*", default=[], help="chains n,tiers,systems solved with no time limit")
    parser.add_argument("--out", help="append rows to this CSV file")
    args = parser.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        jobs = []
        if args.time_limits:
            jobs += _time_limit_jobs(folder)
        else:
            for case in filter(None, args.cases.split(",")):
                path, objective = _coupling_instance(case, folder)
                jobs += [(case, path, objective, args.time_limit)]
            jobs += _size_jobs(args.sizes, folder, args.time_limit)
            jobs += _no_limit_jobs(args.no_limit, folder)
        print(f"{'case':>22} {'solver':>6} {'limit':>6} {'status':>10} {'objective':>12} {'wall_s':>8} {'peak_MB':>8}")
        for case, path, objective, limit in jobs:
            for solver in args.solvers.split(","):
                row = run_child(path, solver, objective, limit)
                row.update(case=case, solver=solver, objective_name=objective, time_limit_s=limit)
                rows.append(row)
                print(
                    f"{case:>22} {solver:>6} {limit:>6g} {row['status']:>10} {row.get('objective', math.nan):>12.6g} "
                    f"{row.get('wall_s', math.nan):>8.2f} {row['peak_rss_mb']:>8.0f}",
                    flush=True,
                )
    if args.out:
        _append(Path(args.out), rows)
    return 0


def _size_jobs(sizes: list[str], folder: str, limit: float) -> list[tuple[str, str, str, float]]:
    from scission_opt.generate import generate, with_binding_constraints

    jobs = []
    for size in sizes:
        n, tiers, per_tier = map(int, size.split(","))
        free = generate(n, tiers, per_tier, seed=0)
        for label, inst in (("free", free), ("binding", with_binding_constraints(free, seed=0))):
            path = os.path.join(folder, f"{size}-{label}.json")
            inst.save(path)
            jobs.append((f"{size} {label}", path, "latency", limit))
    return jobs


def _no_limit_jobs(sizes: list[str], folder: str) -> list[tuple[str, str, str, float]]:
    from scission_opt.generate import generate

    jobs = []
    for size in sizes:
        n, tiers, per_tier = map(int, size.split(","))
        path = os.path.join(folder, f"{size}-nolimit.json")
        generate(n, tiers, per_tier, seed=0).save(path)
        jobs.append((f"{size} latency", path, "latency", math.inf))
    return jobs


def _time_limit_jobs(folder: str) -> list[tuple[str, str, str, float]]:
    from scission_opt.generate import generate, with_binding_constraints

    path = os.path.join(folder, "g5000.json")
    with_binding_constraints(generate(5000, 8, 16, seed=0), seed=0).save(path)
    return [("5000,8,16 " + obj, path, obj, limit) for obj in ("latency", "throughput") for limit in (1.0, 5.0)]


def _append(path: Path, rows: list[dict]) -> None:
    fields = ["case", "solver", "objective_name", "time_limit_s", "status", "objective", "bound", "wall_s",
              "process_s", "peak_rss_mb", "message"]  # fmt: skip
    new = not path.exists()
    with path.open("a", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields, extrasaction="ignore")
        if new:
            writer.writeheader()
        writer.writerows(rows)


if __name__ == "__main__":
    raise SystemExit(main())
