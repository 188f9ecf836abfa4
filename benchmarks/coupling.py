"""Coupling constraints and the bottleneck objective solved exactly by ``auto`` (the DP-based methods).

Cases:

* ``generate --nodes 1000 --tiers 6 --systems 8 --constrained --seed 3`` as is,
  with ``compute_time_limit_pct`` on tier 0 of 50, 30 and 5 %, with the
  throughput objective, and with ``deadline_s = 12`` under the energy objective
  (the cases of issue 11);
* every shipped model (``instances/*.json``) with each coupling constraint set
  so that it binds: a percentage limit on the tier that computes most in the
  latency optimum (half its share there), a deadline half-way between the least
  latency and the latency of the optimum of the first of energy, price, bytes
  that is slower (under that objective), an energy budget (the device has idle
  power) half-way between the least energy and the energy of the optimum of the
  first of latency, price, bytes that spends more (under that objective), and
  the throughput objective.

Each case runs in a forked worker: ``solve(instance, "auto", ...)`` timed with
``time.perf_counter`` (the whole call, explanation included), repeated
``--repeats`` times when a run takes under 5 s, median reported; the worker's
peak resident set (``VmHWM``, reset before the first run through
``/proc/self/clear_refs``) is the peak memory, native allocations included.
Shipped cases are checked against exhaustive search.

Run: ``PYTHONPATH=. python benchmarks/coupling.py [--quick] [--repeats 3] [--out benchmarks/results/coupling.md]``.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import multiprocessing
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
GOAL_S = 1.0


def _vm(field: str) -> float:
    """A ``/proc/self/status`` memory line in bytes (NaN where there is no /proc)."""
    from benchmarks.measure import _status_kib

    value = _status_kib(field)
    return math.nan if value is None else value


def _run_case(case: dict[str, Any], repeats: int, limit: float, queue: Any) -> None:
    import scission_opt as so

    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass
    instance = case["instance"]
    baseline = _vm("VmRSS")
    times = []
    result = None
    for _ in range(repeats):
        started = time.perf_counter()
        result = so.solve(instance, "auto", case["objective"], time_limit=limit)
        times.append(time.perf_counter() - started)
        if times[-1] > 5.0:
            break
    assert result is not None
    row = {
        "status": result.status.value,
        "proven": result.proven,
        "solver": result.solver,
        "method": result.method,
        "objective": result.objective,
        "median_s": statistics.median(times),
        "runs": len(times),
        "peak_rss_mb": _vm("VmHWM") / 1e6,
        "growth_mb": (_vm("VmHWM") - baseline) / 1e6,
    }
    if case.get("check"):
        reference = so.solve(instance, "exhaustive", case["objective"], explain=False)
        row["exhaustive"] = reference.objective
        row["agrees"] = (math.isnan(reference.objective) and math.isnan(result.objective)) or math.isclose(
            reference.objective, result.objective, rel_tol=1e-9, abs_tol=1e-12
        )
    queue.put(row)


def run_case(case: dict[str, Any], repeats: int, limit: float) -> dict[str, Any]:
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    proc = ctx.Process(target=_run_case, args=(case, repeats, limit, queue))
    proc.start()
    proc.join(limit * (repeats + 1) + 120)
    if proc.is_alive():
        proc.kill()
        return {"status": "killed"}
    return queue.get() if not queue.empty() else {"status": f"crashed ({proc.exitcode})"}


def big_cases() -> list[dict[str, Any]]:
    from scission_opt.generate import generate, with_binding_constraints

    base = with_binding_constraints(generate(1000, 6, 8, seed=3))
    c = base.constraints
    none = (None,) * base.n_tiers

    def pct(p: float) -> Any:
        return base.replace(constraints=dataclasses.replace(c, compute_time_limit_pct=(p, *none[1:])))

    return [
        {"name": "1000x6x8 constrained", "instance": base, "objective": "latency"},
        {"name": "  + pct tier0 50%", "instance": pct(50.0), "objective": "latency"},
        {"name": "  + pct tier0 30%", "instance": pct(30.0), "objective": "latency"},
        {"name": "  + pct tier0 5%", "instance": pct(5.0), "objective": "latency"},
        {"name": "  + objective throughput", "instance": base, "objective": "throughput"},
        {
            "name": "  + deadline 12 s, objective energy",
            "instance": base.replace(constraints=dataclasses.replace(c, deadline_s=12.0)),
            "objective": "energy",
        },
    ]


def shipped_cases(names: list[str] | None) -> list[dict[str, Any]]:
    import scission_opt as so

    out = []
    for path in sorted((ROOT / "instances").glob("*.json")):
        if (names and path.stem not in names) or path.stem == "systems":
            continue
        inst = so.load_instance(path)
        lat = so.solve(inst, "exhaustive", "latency")
        m = lat.metrics
        assert m is not None
        c = inst.constraints
        t = max(range(inst.n_tiers), key=lambda i: m.compute_s[i])
        share = 100.0 * m.compute_s[t] / m.compute_total_s
        pct = [None] * inst.n_tiers
        pct[t] = share / 2
        out.append(
            {
                "name": f"{path.stem}: pct {inst.tiers[t]} {share / 2:.3g}%",
                "instance": inst.replace(constraints=dataclasses.replace(c, compute_time_limit_pct=tuple(pct))),
                "objective": "latency",
                "check": True,
            }
        )
        optima = {name: so.solve(inst, "exhaustive", name).metrics for name in ("energy", "price", "bytes", "latency")}
        least_energy = min(o.energy_j for o in optima.values() if o is not None)
        for name in ("energy", "price", "bytes"):  # a deadline under the first objective whose optimum is slower
            o = optima[name]
            if o is not None and o.latency_s > m.latency_s * (1 + 1e-6):
                deadline = (m.latency_s + o.latency_s) / 2
                inst_d = inst.replace(constraints=dataclasses.replace(c, deadline_s=deadline))
                out.append(
                    {"name": f"{path.stem}: deadline, {name}", "instance": inst_d, "objective": name, "check": True}
                )
                break
        for name in ("latency", "price", "bytes"):  # an energy budget under the first that spends more
            o = optima[name]
            if o is not None and o.energy_j > least_energy * (1 + 1e-6):
                budget = (least_energy + o.energy_j) / 2
                inst_e = inst.replace(constraints=dataclasses.replace(c, energy_budget_j=budget))
                out.append(
                    {
                        "name": f"{path.stem}: energy budget, {name}",
                        "instance": inst_e,
                        "objective": name,
                        "check": True,
                    }
                )
                break
        out.append({"name": f"{path.stem}: throughput", "instance": inst, "objective": "throughput", "check": True})
    return out


def _interleaved(repeats: int, arms: list[tuple[str, Any]], apply: Any) -> int:
    """The percentage-limit cases 50 and 30 % under each arm (``apply(value)`` sets it), interleaved in
    one process; median and range of ``repeats`` runs per arm and case."""
    import scission_opt as so

    cases = [c for c in big_cases() if "pct tier0 50%" in c["name"] or "pct tier0 30%" in c["name"]]
    times: dict[tuple[str, str], list[float]] = {}
    for _ in range(repeats):
        for label, value in arms:
            apply(value)
            for case in cases:
                started = time.perf_counter()
                result = so.solve(case["instance"], "auto", case["objective"])
                times.setdefault((case["name"].strip(), label), []).append(time.perf_counter() - started)
                assert result.status.value == "optimal", result.message
    apply(arms[-1][1])
    for (name, label), ts in times.items():
        print(f"{name} | {label} | median {statistics.median(ts):.2f} s | {min(ts):.2f}-{max(ts):.2f} s")
    return 0


def compare_trials(repeats: int) -> int:
    """``dp.DEEPENING`` as shipped against ``()`` (no trial limit: the beam pass, then the exact one)."""
    from scission_opt.solvers import dp

    shipped = dp.DEEPENING
    return _interleaved(
        repeats,
        [("beam then exact", ()), (f"trial limits {shipped}", shipped)],
        lambda v: setattr(dp, "DEEPENING", v),
    )


def compare_few(repeats: int) -> int:
    """``labels.FEW`` as shipped (plain-Python dominance on a few rows) against 0 (numpy for every size)."""
    from scission_opt.solvers import label_tables as labels

    shipped = labels.FEW
    return _interleaved(
        repeats,
        [("numpy dominance", 0), (f"plain Python up to {shipped} rows", shipped)],
        lambda v: setattr(labels, "FEW", v),
    )


def compare_segments(repeats: int) -> int:
    """``labels.SEGMENTS`` as shipped (label setting by whole segments) against the node-by-node search."""
    from scission_opt.solvers import labels

    return _interleaved(
        repeats,
        [("node by node", False), ("whole segments", True)],
        lambda v: setattr(labels, "SEGMENTS", v),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--time-limit", type=float, default=120.0, help="per solve call, seconds")
    parser.add_argument("--quick", action="store_true", help="two shipped models, no 1000-node cases")
    parser.add_argument("--only", choices=["big", "shipped"], default=None)
    parser.add_argument("--out", type=Path, default=None, help="write the markdown table here")
    parser.add_argument(
        "--compare-trials", action="store_true", help="pct 50/30 %%: trial limits against beam then exact (A/B)"
    )
    parser.add_argument(
        "--compare-few", action="store_true", help="pct 50/30 %%: plain-Python dominance on few labels against numpy"
    )
    parser.add_argument(
        "--compare-segments", action="store_true", help="pct 50/30 %%: whole-segment label setting against node by node"
    )
    args = parser.parse_args(argv)
    if args.compare_segments:
        return compare_segments(args.repeats)
    if args.compare_trials:
        return compare_trials(args.repeats)
    if args.compare_few:
        return compare_few(args.repeats)
    cases = []
    if not args.quick and args.only != "shipped":
        cases += big_cases()
    if args.only != "big":
        cases += shipped_cases(["vgg16", "mobilenet"] if args.quick else None)
    lines = [
        "| case | status | method | objective | median s | runs | peak RSS MB (growth) | exhaustive agrees |",
        "|---|---|---|---|---|---|---|---|",
    ]
    failures = 0
    for case in cases:
        row = run_case(case, args.repeats, args.time_limit)
        agrees = row.get("agrees")
        failures += agrees is False
        status = row.get("status", "?") + (" (proven)" if row.get("proven") and row.get("status") != "optimal" else "")
        memory = f"{row.get('peak_rss_mb', math.nan):.0f} ({row.get('growth_mb', math.nan):.0f})"
        cells = [
            case["name"],
            status,
            row.get("method", ""),
            f"{row.get('objective', math.nan):.6g}",
            f"{row.get('median_s', math.nan):.3f}",
            str(row.get("runs", 0)),
            memory,
            "" if agrees is None else ("yes" if agrees else "NO"),
        ]
        line = "| " + " | ".join(cells) + " |"
        print(line, flush=True)
        lines.append(line)
    if args.out:
        args.out.write_text("\n".join(lines) + "\n")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
