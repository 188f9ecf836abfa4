"""Coupling constraints as additive resources, and their Lagrangian bound on the segment DP.

A constraint that couples segments limits a sum over the whole plan, and every
one scission_opt accepts is a sum of per-node, per-segment and per-hop terms
(the objectives' :class:`~scission_opt.objectives.Terms`):

* ``deadline_s``: the latency terms, at most the deadline;
* ``energy_budget_j`` with idle power: the first tier's energy terms (they
  depend on the origin), at most the budget;
* ``compute_time_limit_pct[t] = p``: ``(1 - p/100) * compute(t) - p/100 *
  compute(other tiers)``, at most 0 (node and segment terms of either sign).

Dropping them leaves a problem the DP solves in milliseconds. Pricing them
with multipliers ``lambda >= 0`` gives the Lagrangian ``L(lambda) = min A +
sum lambda_j (R_j - cap_j)``, a lower bound on the optimum for every
``lambda``; :func:`lagrangian` maximises it for one constraint by the hull
(Handler and Zang) iteration, each step one DP. formulations/coupling.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from ..budget import Budget
from ..evaluate import LIMIT_RTOL, evaluate, limit_slack
from ..objectives import Energy, Latency, Terms, additive_value
from ..plan import Plan
from .segments import SegmentGraph, overheads
from .sweep import sweep

if TYPE_CHECKING:
    from ..instance import Instance


@dataclass(frozen=True)
class Resource:
    """One coupling constraint: its group name, terms per origin (``None`` = shared) and cap (slack included)."""

    group: str
    terms: dict[int | None, Terms]
    cap: float

    def for_origin(self, origin: int | None) -> Terms:
        return self.terms[origin] if origin in self.terms else self.terms[None]


def _pct_terms(instance: Instance, t: int, share: float) -> Terms:
    coef = np.where(instance.system_tier == t, 1.0 - share, -share)
    S = instance.n_systems
    fixed = np.where(instance.has_link, 0.0, np.inf)
    return Terms(
        instance.latency.T * coef[None, :],
        fixed,
        np.zeros((S, S)),
        instance.boundary_bytes,
        0.0,
        overheads(instance) * coef,
    )


def coupling_resources(instance: Instance, origins: list[int]) -> list[Resource]:
    """Every coupling constraint of ``instance`` as a :class:`Resource` (energy terms for each origin)."""
    from .base import idle_energy_budget

    c = instance.constraints
    out = []
    if c.deadline_s is not None:
        out.append(Resource("deadline", {None: Latency().terms(instance, None)}, limit_slack(c.deadline_s)))
    if idle_energy_budget(instance):
        energy = Energy()
        terms: dict[int | None, Terms] = {o: energy.terms(instance, o) for o in origins}
        out.append(Resource("energy_budget", terms, limit_slack(c.energy_budget_j)))  # type: ignore[arg-type]
    least_total = float(instance.latency.min(axis=0).sum())  # no plan computes less
    for t, pct in enumerate(c.compute_time_limit_pct):
        if pct is not None:
            share = pct / 100.0
            # the evaluator allows compute(t) <= share * total * (1 + rtol) + 1e-12; stay inside it
            out.append(
                Resource(
                    "compute_time_pct_limits",
                    {None: _pct_terms(instance, t, share)},
                    1e-12 + LIMIT_RTOL * share * least_total,
                )
            )
    return out


def combine(base: Terms, others: list[Terms], weights: list[float]) -> Terms:
    """``base + sum(w * other)`` as one set of terms (no link stays ``inf``; bottleneck weight dropped)."""
    node = base.node.copy()
    fixed = base.hop_fixed.copy()
    per_byte = base.hop_per_byte.copy()
    seg = base.segment_cost.copy()
    for w, other in zip(weights, others):
        if not w:
            continue
        node += w * other.node
        fixed = fixed + w * np.where(np.isfinite(other.hop_fixed), other.hop_fixed, 0.0)
        per_byte += w * other.hop_per_byte
        seg += w * other.segment_cost
    return Terms(node, fixed, per_byte, base.boundary_bytes, 0.0, seg)


@dataclass
class Point:
    """A plan seen by the Lagrangian search, with its objective ``a`` and resource sums ``r``."""

    plan: Plan
    a: float
    r: tuple[float, ...]
    feasible: bool


@dataclass
class Dual:
    """What the Lagrangian search learnt: a lower bound, the multipliers that gave it, every plan seen."""

    bound: float
    weights: list[float]
    points: dict[Plan, Point] = field(default_factory=dict)
    infeasible: bool = False
    steps: int = 0

    def best_feasible(self) -> Point | None:
        good = [p for p in self.points.values() if p.feasible]
        return min(good, key=lambda p: (p.a, p.plan)) if good else None


class Lagrangian:
    """Evaluates ``min A + sum w_j R_j`` over plans with the DP, for origin groups sharing terms."""

    def __init__(
        self,
        instance: Instance,
        groups: list[tuple[list[int], Terms]],
        resources: list[Resource],
        lo: np.ndarray,
        evaluate_on: Instance,
    ) -> None:
        self.instance, self.groups, self.resources, self.lo = instance, groups, resources, lo
        self.evaluate_on = evaluate_on
        self.dual = Dual(-math.inf, [0.0] * len(resources))

    def point(self, plan: Plan, group_terms: Terms, origin: int) -> Point:
        if plan in self.dual.points:
            return self.dual.points[plan]
        r = tuple(additive_value(self.instance, plan, res.for_origin(origin)) for res in self.resources)
        feasible = evaluate(self.evaluate_on, plan).feasible
        p = Point(plan, additive_value(self.instance, plan, group_terms), r, feasible)
        self.dual.points[plan] = p
        return p

    def solve(self, weights: list[float]) -> tuple[float, Point] | None:
        """``(min of A + sum w (R - cap), its plan)`` over every group, or ``None`` when no plan exists."""
        self.dual.steps += 1
        best: tuple[float, Point] | None = None
        for group, terms in self.groups:
            origin = group[0]
            mixed = combine(terms, [r.for_origin(origin) for r in self.resources], weights)
            for value, plan in sweep(SegmentGraph(self.instance, mixed, group, self.lo)):
                value -= sum(w * r.cap for w, r in zip(weights, self.resources))
                p = self.point(plan, terms, self.instance.system_index[plan.origin])
                if best is None or value < best[0]:
                    best = (value, p)
        if best is not None and best[0] > self.dual.bound:
            self.dual.bound, self.dual.weights = best[0], list(weights)
        return best


def lagrangian(search: Lagrangian, budget: Budget, max_steps: int = 40) -> Dual:
    """Maximise the Lagrangian bound over one multiplier (hull iteration); with several, the bound at 0."""
    dual = search.dual
    first = search.solve([0.0] * len(search.resources))
    if first is None:
        dual.infeasible = True
        return dual
    if len(search.resources) != 1 or first[1].feasible:
        return dual
    low = first[1]  # violates the cap
    cap = search.resources[0].cap
    if budget.expired():
        return dual
    high = _least_resource(search)
    if high is None or high.r[0] > cap:
        dual.infeasible = True  # even the plan using the least of it exceeds the cap
        return dual
    for _ in range(max_steps):
        if budget.expired() or low.r[0] <= high.r[0]:
            break
        w = (high.a - low.a) / (low.r[0] - high.r[0])
        line = low.a + w * (low.r[0] - cap)
        got = search.solve([w])
        if got is None or got[0] >= line - 1e-12 * max(1.0, abs(line)):
            break
        if got[1].r[0] <= cap:
            high = got[1]
        else:
            low = got[1]
    return dual


def _least_resource(search: Lagrangian) -> Point | None:
    """The plan that uses the least of the one resource (ties: any)."""
    best: Point | None = None
    for group, terms in search.groups:
        res = search.resources[0].for_origin(group[0])
        for _value, plan in sweep(SegmentGraph(search.instance, combine(res, [], []), group, search.lo)):
            p = search.point(plan, terms, search.instance.system_index[plan.origin])
            if best is None or p.r[0] < best.r[0]:
                best = p
    return best


__all__ = ["Dual", "Lagrangian", "Point", "Resource", "combine", "coupling_resources", "lagrangian"]
