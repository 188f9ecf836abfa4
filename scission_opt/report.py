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


#: Units and a plain name for the built-in objectives, by name (a plug-in may declare ``unit`` and ``label``).
_UNITS = {"latency": "s", "energy": "J", "bytes": "B", "price": "price units", "throughput": "s"}
_LABELS = {"throughput": "bottleneck period"}


def objective_value(name: str, value: float, objective: object | None = None) -> str:
    """``latency = 1.4 s``, ``throughput (bottleneck period) = 0.8 s``: name, meaning, value and unit."""
    unit = getattr(objective, "unit", None) or _UNITS.get(name)
    label = getattr(objective, "label", None) or _LABELS.get(name)
    out = name + (f" ({label})" if label else "")
    if math.isnan(value):
        return out
    return out + f" = {value:.6g}" + (f" {unit}" if unit else "")


def _status_line(result: SolveResult) -> str:
    objective = objective_value(result.objective_name, result.objective)
    head = f"solver {result.solver}: {result.status_text()}, objective {objective}"
    if not math.isnan(result.bound) and not result.proven:
        head += f", bound {result.bound:.6g}"
    head += f", {result.wall_time_s * 1000:.1f} ms"
    if result.method:
        head += f" ({result.method})"
    return head


def _energy(instance: Instance, plan: object, energy_j: float) -> str:
    """First-tier energy, or ``n/a`` when the origin has no power figures."""
    origin = instance.systems[instance.system_index[plan.origin]]  # type: ignore[attr-defined]
    return "n/a" if origin.compute_w is None else f"{energy_j:.4g} J"


def format_result(instance: Instance, result: SolveResult) -> str:
    """The result as a table per plan: tiers, hops, totals, and the status line."""
    lines = [
        f"instance {instance.name} ({instance.model}, {instance.n_nodes} nodes, {instance.n_tiers} tiers, "
        f"{instance.n_systems} systems)",
        _status_line(result),
    ]
    if result.message:
        lines.append(result.message)
    for rank, ranked in enumerate(result.plans, 1):
        plan, m = ranked.plan, ranked.metrics
        lines.append("")
        lines.append(f"plan {rank}: {objective_value(result.objective_name, ranked.objective)}")
        rows = []
        for t, tier in enumerate(instance.tiers):
            if plan.used(t) and plan.assignment is not None:  # a DAG plan: any node set, no range
                nodes_t = plan.nodes_on(t)
                rows.append(
                    [
                        tier,
                        plan.systems[t] or "",
                        f"{len(nodes_t)} nodes",
                        "(DAG)",
                        f"{m.compute_s[t]:.6f}",
                        _bytes(m.memory_bytes[t]),
                    ]
                )
            elif plan.used(t):
                a, b = plan.bounds[t], plan.bounds[t + 1] - 1
                layers = f"{instance.nodes[a].layers[0]}-{instance.nodes[b].layers[1]}"
                nodes = f"{a}-{b}"
                rows.append(
                    [tier, plan.systems[t] or "", nodes, layers, f"{m.compute_s[t]:.6f}", _bytes(m.memory_bytes[t])]
                )
            else:
                rows.append([tier, (plan.systems[t] or "-") + (" (origin)" if t == 0 else ""), "-", "-", "0", "-"])
        lines += ["  " + r for r in _table(rows, ["tier", "system", "nodes", "layers", "compute s", "memory"])]
        if m.hops:
            hop_rows = [
                [
                    f"{h.source} -> {h.destination}" + (" (result back)" if h.returning else ""),
                    _bytes(h.bytes),
                    f"{h.time_s:.6f}",
                ]
                for h in m.hops
            ]
            lines += ["  " + r for r in _table(hop_rows, ["hop", "bytes", "time s"])]
        lines.append(
            f"  latency {m.latency_s:.6f} s (compute {m.compute_total_s:.6f} s, network {m.communication_s:.6f} s), "
            f"sent {_bytes(m.bytes_total)}, first-tier energy {_energy(instance, plan, m.energy_j)}, "
            f"bottleneck period {m.bottleneck_s:.6f} s, "
            f"price {m.price:.4g}"
        )
    lines += _provenance(instance)
    return "\n".join(lines)


def _clip(text: str, width: int = 110) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 3].rstrip() + "..."


def _provenance(instance: Instance) -> list[str]:
    """Where each system's figures (and the network's) come from, one clipped line each."""
    lines = ["", "figures from (full text in the instance file):"]
    for system in instance.systems:
        lines.append(f"  {system.tier} {system.name}: {_clip(system.provenance or 'no provenance given')}")
    _, found, links = instance.provenance.partition("Links:")
    if found:
        lines.append(f"  links: {_clip(links)}")
    return lines
