"""DAG solver times on layer-level DAGs of the shipped models, 3 tiers, 1 to 3 systems per tier.

    python benchmarks/dag_speed.py                        # NASNetMobile, InceptionV3, DenseNet121, DenseNet201
    python benchmarks/dag_speed.py --models densenet201 --systems 3
    python benchmarks/dag_speed.py --generated            # also random DAGs of 2,000 nodes (report only)
    python benchmarks/dag_speed.py --mip dag-cpsat dag-mincut   # constrained cases also by the min cut's hand-off

The speed goals of the DAG work (issue 10): a proven latency optimum in under 1 s with
``dag-mincut``, and a proven optimum with constraints in under 60 s with a MIP (``dag-cpsat``).
For each model the layer-level DAG instance is built from ``instances/MODEL.json`` by
``graph-instance`` (per-layer shares by parameter + output bytes). With S systems per tier the
tier's shipped system is joined by S-1 *synthetic* variants: the same figures with every
latency scaled by :data:`SPEED_FACTORS` (a faster and a slower machine of the same kind), with
the shipped links copied to and from them; they exist to give the solvers a system choice, not
to describe real hardware. Per case:

* ``latency``: ``dag-mincut``, latency objective, the shipped constraints (none);
* ``constrained``: ``dag-cpsat``, energy objective, the first 10% of the layers on trusted
  systems, the edge's compute time at most half of what it is in the least-energy plan, and a
  deadline of 1.5x that plan's latency (coupling
  constraints, which the min cut cannot take, and which bind: see :func:`constrained`). With ``--mip
  dag-cpsat dag-mincut`` the same cases also go through ``dag-mincut`` (what ``auto`` runs on a
  DAG): it solves the problem without the deadline and, as its plan breaks the deadline, hands
  ``dag-cpsat`` that plan as a hint and its optimum as a lower bound.

Writes ``benchmarks/results/dag/speed.json`` and ``speed.md``. Times are wall seconds of one
call (the instance is built first, outside the timing), on whatever machine runs it; under load
they are upper bounds.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from scission_opt import solve  # noqa: E402
from scission_opt.instance import FORMAT, parse_instance  # noqa: E402

MODELS = ("nasnet_mobile", "inception_v3", "densenet121", "densenet201")
#: Latency scale of the 2nd and 3rd system of a tier (synthetic variants of the shipped one).
SPEED_FACTORS = (0.8, 1.25)
PRIVATE_SHARE = 0.1
DEADLINE_FACTOR = 1.5
EDGE_SHARE = 0.5
TIME_LIMIT_S = 120.0
#: What the command line may change (``--time-limit``).
LIMITS = {"time_limit_s": TIME_LIMIT_S}
OUT = ROOT / "benchmarks" / "results" / "dag"


def with_systems(instance, per_tier: int):  # type: ignore[no-untyped-def]
    """``instance`` with ``per_tier - 1`` synthetic variants of every tier's system (and their links)."""
    if per_tier == 1:
        return instance
    systems, renamed = list(instance.systems), {}
    for s in instance.systems:
        for factor in SPEED_FACTORS[: per_tier - 1]:
            name = f"{s.name}-x{factor:g}"
            renamed.setdefault(s.name, []).append(name)
            systems.append(
                dataclasses.replace(
                    s,
                    name=name,
                    latency_s=tuple(v * factor for v in s.latency_s),
                    provenance=f"synthetic: {s.name} with every latency x{factor:g} (benchmarks/dag_speed.py)",
                )
            )
    links = list(instance.links)
    for link in instance.links:
        for src in [link.source, *renamed.get(link.source, [])]:
            for dst in [link.destination, *renamed.get(link.destination, [])]:
                if (src, dst) != (link.source, link.destination):
                    links.append(dataclasses.replace(link, source=src, destination=dst))
    return instance.replace(systems=tuple(systems), links=tuple(links), name=f"{instance.name}-s{per_tier}")


def constrained(instance):  # type: ignore[no-untyped-def]
    """Privacy of the first 10% of the layers, a deadline and an edge compute limit that bind.

    Under the privacy constraint (the least-energy plan by the min cut): the edge (tier 1) may
    compute at most :data:`EDGE_SHARE` of what it computes in the least-energy plan, which that
    plan then breaks whenever the edge computes in it (``binds`` in the row), and the deadline is
    :data:`DEADLINE_FACTOR` times that plan's latency (moving work off the edge costs time).
    """
    from scission_opt.evaluate import evaluate

    c = instance.constraints
    private = dataclasses.replace(c, privacy_nodes=max(1, int(PRIVATE_SHARE * instance.n_nodes)))
    inst = instance.replace(constraints=private)
    frugal_plan = solve(inst, "dag-mincut", "energy", explain=False).plan
    frugal = evaluate(inst, frugal_plan)
    limits = [None] * inst.n_tiers
    limits[1] = EDGE_SHARE * frugal.compute_s[1]
    tight = dataclasses.replace(
        private,
        deadline_s=DEADLINE_FACTOR * frugal.latency_s,
        compute_time_limit_s=tuple(limits),
    )
    tight_inst = inst.replace(constraints=tight)
    return tight_inst, not evaluate(tight_inst, frugal_plan).feasible


def _timed(instance, solver: str, objective: str) -> dict:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    result = solve(instance, solver, objective, time_limit=LIMITS["time_limit_s"], explain=False)
    wall = time.perf_counter() - start
    return {
        "solver": result.solver,
        "objective": objective,
        "status": result.status.value,
        "value": result.objective,
        "bound": result.bound,
        "wall_s": wall,
        "method": result.method,
        "message": result.message,
    }


def model_rows(
    name: str, systems: tuple[int, ...], mips: tuple[str, ...] = ("dag-cpsat",), latency: bool = True
) -> list[dict]:
    from benchmarks.dag_compare import layer_instance

    _, layers = layer_instance(name, measure=False)
    rows = []
    for per_tier in systems:
        inst = with_systems(layers, per_tier)
        base = {"case": name, "nodes": inst.n_nodes, "systems_per_tier": per_tier}
        if latency:
            rows.append({**base, "kind": "latency", **_timed(inst, "dag-mincut", "latency")})
            print(json.dumps(rows[-1]), flush=True)
        cons, binds = constrained(inst)
        for mip in mips:
            rows.append({**base, "kind": "constrained", "binds": binds, **_timed(cons, mip, "energy")})
            print(json.dumps(rows[-1]), flush=True)
    return rows


def generated(n: int, systems: int, seed: int):  # type: ignore[no-untyped-def]
    """A random layered DAG of ``n`` nodes (each node reads 1-3 of the previous 8), 3 tiers."""
    rng = np.random.default_rng(seed)
    nodes = []
    size = 600_000.0
    for v in range(n):
        size = max(1000.0, size * rng.uniform(0.97, 1.02))
        inputs = (
            []
            if v == 0
            else sorted({int(v - 1)} | {int(u) for u in rng.integers(max(0, v - 8), v, rng.integers(0, 3))})
        )
        nodes.append(
            {
                "name": f"n{v}",
                "layers": [v, v],
                "inputs": inputs,
                "output_bytes": float(int(size)),
                "param_bytes": float(rng.integers(0, 200_000)),
            }
        )
    tiers = ["device", "edge", "cloud"]
    speed = {"device": 1.0, "edge": 0.2, "cloud": 0.05}
    base = rng.uniform(1e-5, 2e-3, n)
    sys_list = []
    for t in tiers:
        for k in range(systems):
            sys_list.append(
                {
                    "name": f"{t}{k}",
                    "tier": t,
                    "latency_s": list(base * speed[t] * rng.uniform(0.7, 1.3)),
                    "compute_w": 4.0,
                    "idle_w": 1.0,
                    "memory_bytes": 2e9,
                }
            )
    links = [
        {
            "source": a["name"],
            "destination": b["name"],
            "latency_ms": float(rng.uniform(1, 30)),
            "bandwidth_mbps": float(rng.uniform(10, 200)),
            "tx_power_w": 1.5,
        }
        for a in sys_list
        for b in sys_list
        if tiers.index(a["tier"]) < tiers.index(b["tier"])
    ]
    data = {
        "format": FORMAT,
        "name": f"dag{n}-s{systems}-seed{seed}",
        "provenance": "synthetic (benchmarks/dag_speed.py)",
        "model": {"name": "synthetic", "input_bytes": 600_000.0, "nodes": nodes},
        "tiers": tiers,
        "systems": sys_list,
        "links": links,
    }
    return parse_instance(data)


def generated_rows(n: int, systems: tuple[int, ...], mips: tuple[str, ...] = ("dag-cpsat",)) -> list[dict]:
    rows = []
    for per_tier in systems:
        inst = generated(n, per_tier, seed=per_tier)
        base = {"case": inst.name, "nodes": n, "systems_per_tier": per_tier}
        rows.append({**base, "kind": "latency", **_timed(inst, "dag-mincut", "latency")})
        cons = inst.replace(
            constraints=dataclasses.replace(
                inst.constraints, privacy_nodes=n // 10, upload_limit_bytes=(400_000.0, None, None)
            )
        )
        for mip in mips:
            rows.append({**base, "kind": "constrained", **_timed(cons, mip, "energy")})
        print(json.dumps(rows[-1 - len(mips) :]), flush=True)
    return rows


def _solver(row: dict) -> str:
    """The solver, and ``-> dag-cpsat`` where the min cut handed the problem on."""
    handed = "solved by dag-cpsat" in row.get("message", "")
    return f"{row['solver']} \u2192 dag-cpsat" if handed else row["solver"]


def markdown(rows: list[dict], load: str) -> str:
    lines = [
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, load average {load} "
        "at the start (wall seconds of one call; under load they are upper bounds).",
        "",
        "| case | nodes | systems per tier | kind | solver | status | objective | wall s | goal |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        goal = 1.0 if r["kind"] == "latency" else 60.0
        met = "met" if r["status"] == "optimal" and r["wall_s"] < goal else "missed"
        lines.append(
            f"| {r['case']} | {r['nodes']} | {r['systems_per_tier']} | {r['kind']} | {_solver(r)} | {r['status']} "
            f"| {r['value']:.6g} | {r['wall_s']:.2f} | < {goal:g} s: {met} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="*", default=list(MODELS))
    parser.add_argument("--systems", nargs="*", type=int, default=[1, 2, 3], help="systems per tier (1-3)")
    parser.add_argument("--generated", action="store_true", help="also random DAGs of 2,000 nodes")
    parser.add_argument("--mip", nargs="+", default=["dag-cpsat"], help="solvers of the constrained cases")
    parser.add_argument("--time-limit", type=float, default=TIME_LIMIT_S, help="per call, seconds")
    parser.add_argument("--latency", action=argparse.BooleanOptionalAction, default=True, help="the latency rows")
    parser.add_argument("--tag", default="", help="suffix of the output files (speed-TAG.md)")
    args = parser.parse_args(argv)
    LIMITS["time_limit_s"] = args.time_limit
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    systems = tuple(args.systems)
    rows = [r for name in args.models for r in model_rows(name, systems, tuple(args.mip), args.latency)]
    if args.generated:
        rows += generated_rows(2000, systems, tuple(args.mip))
    if not args.latency:
        rows = [r for r in rows if r["kind"] != "latency"]
    OUT.mkdir(parents=True, exist_ok=True)
    stem = f"speed-{args.tag}" if args.tag else "speed"
    (OUT / f"{stem}.json").write_text(json.dumps({"load_average": load, "rows": rows}, indent=1))
    (OUT / f"{stem}.md").write_text(markdown(rows, load))
    print(markdown(rows, load))
    return 0


if __name__ == "__main__":
    sys.exit(main())
