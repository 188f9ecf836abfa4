"""Readable text for results: the per-tier / per-hop table and the solver comparison."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from .result import SolveResult

if TYPE_CHECKING:
    from .instance import Instance


def _bytes(n: float) -> str:
    for unit, size in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= size:
            return f"{n / size:.3f} {unit}"
    return f"{n:.0f} B"


def _table(rows: list[list[str]], header: list[str]) -> list[str]:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = "  ".join(h.ljust(w) for h, w in zip(header, widths))
    out = [line, "  ".join("-" * w for w in widths)]
    out += ["  ".join(str(c).ljust(w) for c, w in zip(r, widths)) for r in rows]
    return out


def format_result(instance: Instance, result: SolveResult) -> str:
    """The result as a table per plan: tiers, hops, totals, and the status line."""
    lines = [
        f"instance {instance.name} ({instance.model}, {instance.n_nodes} nodes, {instance.n_tiers} tiers, "
        f"{instance.n_systems} systems)",
        f"solver {result.solver}: {result.status.value}, objective {result.objective_name}"
        + ("" if math.isnan(result.objective) else f" = {result.objective:.6g}")
        + ("" if math.isnan(result.bound) else f", bound {result.bound:.6g}")
        + (f", gap {result.gap:.2%}" if result.status.value == "feasible" and not math.isnan(result.gap) else "")
        + f", {result.wall_time_s * 1000:.1f} ms",
    ]
    if result.message:
        lines.append(result.message)
    for rank, ranked in enumerate(result.plans, 1):
        plan, m = ranked.plan, ranked.metrics
        lines.append("")
        lines.append(f"plan {rank}: {result.objective_name} = {ranked.objective:.6g}")
        rows = []
        for t, tier in enumerate(instance.tiers):
            if plan.used(t) and plan.assignment is not None:  # a DAG plan: any node set, no range
                nodes_t = plan.nodes_on(t)
                rows.append([tier, plan.systems[t] or "", f"{len(nodes_t)} nodes", "(DAG)", f"{m.compute_s[t]:.6f}", _bytes(m.memory_bytes[t])])
            elif plan.used(t):
                a, b = plan.bounds[t], plan.bounds[t + 1] - 1
                layers = f"{instance.nodes[a].layers[0]}-{instance.nodes[b].layers[1]}"
                nodes = f"{a}-{b}"
                rows.append([tier, plan.systems[t] or "", nodes, layers, f"{m.compute_s[t]:.6f}", _bytes(m.memory_bytes[t])])
            else:
                rows.append([tier, (plan.systems[t] or "-") + (" (origin)" if t == 0 else ""), "-", "-", "0", "-"])
        lines += ["  " + r for r in _table(rows, ["tier", "system", "nodes", "layers", "compute s", "memory"])]
        if m.hops:
            hop_rows = [
                [f"{h.source} -> {h.destination}" + (" (result back)" if h.returning else ""), _bytes(h.bytes), f"{h.time_s:.6f}"]
                for h in m.hops
            ]
            lines += ["  " + r for r in _table(hop_rows, ["hop", "bytes", "time s"])]
        lines.append(
            f"  latency {m.latency_s:.6f} s (compute {m.compute_total_s:.6f} s, network {m.communication_s:.6f} s), "
            f"sent {_bytes(m.bytes_total)}, first-tier energy {m.energy_j:.4g} J, bottleneck {m.bottleneck_s:.6f} s, "
            f"price {m.price:.4g}"
        )
    return "\n".join(lines)
