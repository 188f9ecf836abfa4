"""Results in Scission's ranked-line format.

``[1] 9.0106s - 2.4087MB - Device(raspi4) = 0 - 6, Edge(vm2Core) = 7 - 11, Cloud(6700k(GPU)) = 12 - 25``:
rank, end-to-end latency (4 decimals), bytes sent over all hops in MB (10^6
bytes, 4 decimals), then per tier its system and first - last Keras layer. An
unused tier prints ``Edge(None) = -1 - -1``; an unused device keeps its name,
since the raw input is still born there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..evaluate import Metrics
    from ..instance import Instance
    from ..plan import Plan
    from ..result import SolveResult


def format_result_line(rank: int, instance: Instance, plan: Plan, metrics: Metrics) -> str:
    """One ranked line for ``plan``; numbers come from the evaluator's ``metrics``."""
    parts = []
    for t, tier in enumerate(instance.tiers):
        label = tier[:1].upper() + tier[1:]
        system = plan.systems[t]
        if plan.used(t):
            first = instance.nodes[plan.bounds[t]].layers[0]
            last = instance.nodes[plan.bounds[t + 1] - 1].layers[1]
            parts.append(f"{label}({system}) = {first} - {last}")
        else:
            parts.append(f"{label}({system if t == 0 else None}) = -1 - -1")
    return f"[{rank}] {metrics.latency_s:.4f}s - {metrics.bytes_total / 1e6:.4f}MB - " + ", ".join(parts)


def format_results(instance: Instance, result: SolveResult) -> str:
    """Every plan of ``result``, best first, one line each (empty when there is none)."""
    return "\n".join(
        format_result_line(rank, instance, ranked.plan, ranked.metrics) for rank, ranked in enumerate(result.plans, 1)
    )
