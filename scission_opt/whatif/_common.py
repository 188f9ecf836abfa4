"""Pieces the what-if commands share: an objective priced on another instance, exact solves, plan labels."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import ScissionError
from ..evaluate import evaluate
from ..objectives import Objective, Terms
from ..result import Status
from ..solve import solve

if TYPE_CHECKING:
    from ..instance import Instance
    from ..plan import Plan
    from ..solvers import Solver


class NotProvenError(ScissionError):
    """A solve stopped before proving optimality, so an answer built on it would not be exact."""


def value_on(instance: Instance, plan: Plan, objective: Objective) -> tuple[float, bool]:
    """``(objective value, feasible)`` of ``plan`` on ``instance``, from the evaluator."""
    metrics = evaluate(instance, plan)
    return float(objective.value(instance, plan, metrics)), metrics.feasible


@dataclass(frozen=True, eq=False)
class PricedOn:
    """``base`` priced on the instance ``at``, whatever instance the solver holds.

    The solver's instance then supplies only the feasible set (its constraints on
    its own network) while the costs come from ``at``: the relaxations of the
    sensitivity sweep and the scenario sums of the robust plans are built from it.
    Additive when ``base`` is.
    """

    base: Objective
    at: Instance

    @property
    def name(self) -> str:
        return self.base.name

    @property
    def weights(self) -> tuple[tuple[str, float], ...]:
        return tuple(getattr(self.base, "weights", ()))

    def value(self, instance: Instance, plan: Plan, metrics: Any) -> float:
        return value_on(self.at, plan, self.base)[0]

    def depends_on_origin(self, instance: Instance) -> bool:
        return bool(self.base.depends_on_origin(self.at))  # type: ignore[attr-defined]

    def terms(self, instance: Instance, origin: int | None) -> Terms:
        return self.base.terms(self.at, origin)  # type: ignore[attr-defined]


@dataclass(frozen=True, eq=False)
class WeightedSum:
    """``sum_k weight_k * part_k``: an additive objective when every part is (its terms are summed)."""

    parts: tuple[tuple[float, Objective], ...]
    name: str = "weighted_sum"

    def value(self, instance: Instance, plan: Plan, metrics: Any) -> float:
        return float(sum(w * p.value(instance, plan, metrics) for w, p in self.parts))

    def depends_on_origin(self, instance: Instance) -> bool:
        return any(p.depends_on_origin(instance) for _, p in self.parts)  # type: ignore[attr-defined]

    def terms(self, instance: Instance, origin: int | None) -> Terms:
        import numpy as np

        parts = [(w, p.terms(instance, origin)) for w, p in self.parts]  # type: ignore[attr-defined]
        first = parts[0][1]
        linked = np.logical_and.reduce([np.isfinite(t.hop_fixed) for _, t in parts])
        fixed = sum(w * np.where(linked, t.hop_fixed, 0.0) for w, t in parts)
        return Terms(
            node=sum(w * t.node for w, t in parts),
            hop_fixed=np.where(linked, fixed, np.inf),
            hop_per_byte=sum(w * t.hop_per_byte for w, t in parts),
            boundary_bytes=first.boundary_bytes,
            bottleneck_weight=float(sum(w * t.bottleneck_weight for w, t in parts)),
            segment=sum(w * t.segment_cost for w, t in parts),
        )


def solve_exact(
    instance: Instance,
    objective: Objective,
    solver: str | Solver = "auto",
    *,
    top_k: int = 1,
    time_limit: float | None = None,
) -> list[tuple[float, Plan]]:
    """The ``top_k`` best ``(value, plan)`` pairs, proven; ``[]`` when infeasible.

    Raises
    ------
    NotProvenError
        When the solver stops before proving its answer (a time limit).
    """
    result = solve(instance, solver, objective, top_k=top_k, time_limit=time_limit, explain=False)
    if result.status is Status.INFEASIBLE:
        return []
    if result.status is not Status.OPTIMAL:
        raise NotProvenError(f"solver {result.solver} stopped without proof ({result.status.value}): {result.message}")
    return [(p.objective, p.plan) for p in result.plans]


def plan_label(instance: Instance, plan: Plan) -> str:
    """A short label: ``device[0-5] edge[6-21]`` (node ranges of the used tiers; system when a tier has several)."""
    parts = []
    for t, tier in enumerate(instance.tiers):
        if not plan.used(t):
            continue
        several = sum(1 for s in instance.systems if s.tier == tier) > 1
        name = f"{tier}:{plan.systems[t]}" if several else tier
        parts.append(f"{name}[{plan.bounds[t]}-{plan.bounds[t + 1] - 1}]")
    return " ".join(parts) or "nothing"


def close(a: float, b: float, rtol: float = 1e-9) -> bool:
    """``a == b`` up to a relative ``rtol`` (no absolute slack: 1e-40 J and 0 J are different points)."""
    return abs(a - b) <= rtol * max(abs(a), abs(b))
