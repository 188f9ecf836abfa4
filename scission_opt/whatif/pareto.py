"""Every Pareto-optimal plan for two additive objectives (supported and unsupported points).

Three exact methods: label setting (:func:`scission_opt.solvers.pareto.pareto_labels`),
an epsilon-constraint on the energy budget, and a two-phase method.

Two-phase method on the exact solvers. Phase 1 (dichotomic search): the two
lexicographic optima, then, between adjacent supported points ``A`` and ``B``,
one weighted-sum solve with the weights normal to ``AB`` finds the next extreme
supported point or proves there is none. Phase 2: every other non-dominated
point lies in the triangle between ``A``, ``B`` and their corner
``(B_1, A_2)``; plans are ranked by the same weighted sum (the solvers' exact
top-k) until the sum exceeds the largest weighted value of the local nadir
points of the points found so far: no unseen plan can then be non-dominated.
Ties: one plan per point (the first the ranking gives).

When one objective is first-tier energy, an epsilon-constraint method is used
instead (one solve per point, fast on the DP): minimise the other objective
under ``energy_budget_j = eps``, then lower ``eps`` just below the energy found.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import InvalidInstanceError, UnsupportedError
from ..evaluate import LIMIT_RTOL
from ..objectives import Objective, get_objective, is_additive
from ._common import NotProvenError, WeightedSum, close, plan_label, solve_exact, value_on

if TYPE_CHECKING:
    from ..instance import Instance
    from ..plan import Plan

FIRST_K, MAX_K = 16, 16_384
METHODS = ("auto", "labels", "epsilon", "two-phase")


@dataclass(frozen=True)
class ParetoPoint:
    """One non-dominated point with a plan that attains it (values from the evaluator)."""

    values: tuple[float, float]
    plan: Plan
    supported: bool


@dataclass(frozen=True)
class ParetoFront:
    """The front sorted by the first objective; ``reference`` is the latency-optimal plan (Scission's choice)."""

    objectives: tuple[str, str]
    points: tuple[ParetoPoint, ...]
    reference: tuple[tuple[float, float], Plan] | None
    solves: int
    plans_ranked: int
    wall_time_s: float
    proven: bool = True

    def to_dict(self, instance: Instance) -> dict[str, Any]:
        a, b = self.objectives
        return {
            "objectives": list(self.objectives),
            "points": [
                {
                    a: p.values[0],
                    b: p.values[1],
                    "supported": p.supported,
                    "label": plan_label(instance, p.plan),
                    "plan": p.plan.to_dict(instance),
                }
                for p in self.points
            ],
            "scission_choice": None
            if self.reference is None
            else {
                a: self.reference[0][0],
                b: self.reference[0][1],
                "label": plan_label(instance, self.reference[1]),
            },
            "proven": self.proven,
            "solves": self.solves,
            "plans_ranked": self.plans_ranked,
            "wall_time_s": self.wall_time_s,
        }


class _Search:
    def __init__(
        self, instance: Instance, objectives: tuple[Objective, Objective], solver: str, time_limit: float | None
    ):
        self.instance, self.objectives, self.solver, self.time_limit = instance, objectives, solver, time_limit
        self.solves = 0
        self.ranked = 0
        self.proven = True
        self._values: dict[Plan, tuple[float, float]] = {}

    def values(self, plan: Plan) -> tuple[float, float]:
        hit = self._values.get(plan)
        if hit is None:
            f1 = value_on(self.instance, plan, self.objectives[0])[0]
            f2 = value_on(self.instance, plan, self.objectives[1])[0]
            hit = self._values[plan] = (f1, f2)
        return hit

    def ranking(self, w1: float, w2: float, k: int) -> list[tuple[float, Plan]]:
        """The ``k`` best plans by ``w1 f1 + w2 f2`` (weights normalised to sum 1)."""
        total = w1 + w2
        objective = WeightedSum(((w1 / total, self.objectives[0]), (w2 / total, self.objectives[1])))
        self.solves += 1
        found = solve_exact(self.instance, objective, self.solver, top_k=k, time_limit=self.time_limit)
        self.ranked += len(found)
        return [(w1 * self.values(p)[0] + w2 * self.values(p)[1], p) for _, p in found]

    def lexicographic(self, first: int) -> tuple[tuple[float, float], Plan] | None:
        """The plan minimising objective ``first``, ties broken by the other (ranking while tied)."""
        w = (1.0, 0.0) if first == 0 else (0.0, 1.0)
        k = FIRST_K
        while True:
            found = self.ranking(*w, k)
            if not found:
                return None
            top = found[0][0]
            tied = [p for v, p in found if close(v, top)]
            if len(tied) < len(found) or len(found) < k or k >= MAX_K:
                if len(tied) == len(found) == k:
                    self.proven = False
                plan = min(tied, key=lambda p: (self.values(p)[1 - first], p))
                return self.values(plan), plan
            k *= 4


def _dichotomic(search: _Search, a: tuple[tuple[float, float], Plan], b: tuple[tuple[float, float], Plan]) -> list:
    """Extreme supported points strictly between ``a`` (best in f1) and ``b`` (best in f2)."""
    (a1, a2), (b1, b2) = a[0], b[0]
    w1, w2 = a2 - b2, b1 - a1
    if w1 <= 0 or w2 <= 0:
        return []
    best = search.ranking(w1, w2, 1)
    if not best:
        return []
    value, plan = best[0]
    line = w1 * a1 + w2 * a2
    if value >= line - 1e-9 * abs(line):
        return []
    c = (search.values(plan), plan)
    return _dichotomic(search, a, c) + [c] + _dichotomic(search, c, b)


def _nadir_bound(w1: float, w2: float, chain: list[tuple[float, float]]) -> float:
    """Largest weighted value of the local nadir points of consecutive points (sorted by f1)."""
    return max(w1 * q[0] + w2 * p[1] for p, q in zip(chain, chain[1:]))


def _triangle(search: _Search, a: tuple[tuple[float, float], Plan], b: tuple[tuple[float, float], Plan]) -> list:
    """Non-dominated points strictly inside the triangle of ``a`` and ``b`` (phase 2)."""
    (a1, a2), (b1, b2) = a[0], b[0]
    w1, w2 = a2 - b2, b1 - a1
    if w1 <= 0 or w2 <= 0:
        return []
    inside: dict[tuple[float, float], Plan] = {}
    k = FIRST_K
    while True:
        found = search.ranking(w1, w2, k)
        exhausted = len(found) < k
        stopped = False
        for value, plan in found:
            chain = sorted([a[0], b[0], *_front(inside)])
            if value > _nadir_bound(w1, w2, chain) * (1 + 1e-12) + 1e-15:
                stopped = True
                break
            f = search.values(plan)
            if a1 < f[0] < b1 and b2 < f[1] < a2 and not _dominated(f, [a[0], b[0], *inside]):
                inside.setdefault(f, plan)
        if stopped or exhausted:
            break
        if k >= MAX_K:
            search.proven = False
            break
        k *= 4
    front = _front(inside)
    return [(f, inside[f]) for f in front]


def _dominated(f: tuple[float, float], others: list[tuple[float, float]]) -> bool:
    return any(o[0] <= f[0] and o[1] <= f[1] and o != f for o in others)


def _front(points: dict[tuple[float, float], Any] | list[tuple[float, float]]) -> list[tuple[float, float]]:
    pts = sorted(points)
    out: list[tuple[float, float]] = []
    for p in pts:
        if not out or p[1] < out[-1][1]:
            out.append(p)
    return out


def _epsilon_energy(search: _Search, energy_index: int) -> list[tuple[tuple[float, float], Plan]]:
    """Every non-dominated point when one objective is first-tier energy: epsilon-constraint on the energy budget.

    Minimise the other objective with ``energy_budget_j = eps``, then lower ``eps`` just below the energy
    found, until no plan is left. A plan tied in the other objective with a lower energy is found by the
    next step (the front filter then drops the weakly dominated one), so one top-1 solve per step suffices.
    Energies within a relative ``2e-9`` below a found point (the evaluator's limit tolerance) are not
    separated.
    """
    other = search.objectives[1 - energy_index]
    base = search.instance
    eps = base.constraints.energy_budget_j
    points: list[tuple[tuple[float, float], Plan]] = []
    while True:
        inst = base.replace(constraints=dataclasses.replace(base.constraints, energy_budget_j=eps))
        search.solves += 1
        found = solve_exact(inst, other, search.solver, time_limit=search.time_limit)
        if not found:
            return points
        plan = found[0][1]
        values = search.values(plan)
        points.append((values, plan))
        energy = values[energy_index]
        eps = (energy - 1e-12) / (1 + LIMIT_RTOL) * (1 - LIMIT_RTOL)
        if eps < 0:
            if energy > 0:  # below the budget's absolute tolerance: the least-energy point by ranking instead
                least = search.lexicographic(energy_index)
                if least is not None:
                    points.append(least)
            return points


def _convex_support(points: list[tuple[float, float]]) -> set[tuple[float, float]]:
    """The points on the lower-left convex hull of a front sorted by the first value (weighted-sum optima)."""
    hull: list[tuple[float, float]] = []
    for p in points:
        while len(hull) >= 2:
            (x1, y1), (x2, y2) = hull[-2], hull[-1]
            if (x2 - x1) * (p[1] - y1) - (y2 - y1) * (p[0] - x1) <= 0:  # hull[-1] not strictly below the chord
                hull.pop()
            else:
                break
        hull.append(p)
    return set(hull)


def pareto_front(
    instance: Instance,
    objectives: list[str] | tuple[str, ...],
    *,
    solver: str = "auto",
    time_limit: float | None = None,
    method: str = "auto",
) -> ParetoFront:
    """Every Pareto-optimal point of two additive objectives (one plan each), exact.

    Parameters
    ----------
    objectives
        Two names (built-in, entry point, or ``package.module:name``).
    solver, time_limit
        Solver for every exact solve and its limit per solve.
    method
        ``labels`` (label setting on the segment graph, :mod:`scission_opt.solvers.pareto`:
        one pass), ``epsilon`` (one objective must be ``energy``: epsilon-constraint
        on the energy budget, one exact solve per point), ``two-phase`` (weighted
        sums, then top-k ranking in each triangle), or ``auto``: epsilon when
        energy is one of the two (fastest on large chains), else labels (two-phase
        where labels refuse the pair).
    """
    started = time.perf_counter()
    if len(objectives) != 2:
        raise InvalidInstanceError(f"give two objectives, got {len(objectives)}", "--objectives")
    objs = tuple(get_objective(name) for name in objectives)
    for o in objs:
        if not is_additive(o):
            raise UnsupportedError(f"pareto needs additive objectives; {o.name!r} is not")
    names = (objs[0].name, objs[1].name)
    energy = [i for i, o in enumerate(objs) if o.name == "energy" and type(o).__name__ == "Energy"]
    if method == "epsilon" and not energy:
        raise InvalidInstanceError("the epsilon method needs energy as one objective", "--method")
    search = _Search(instance, (objs[0], objs[1]), solver, time_limit)
    reference = _scission_choice(instance, search, solver, time_limit)
    if method not in METHODS:
        raise InvalidInstanceError(f"unknown method {method!r} (known: {', '.join(METHODS)})", "--method")
    if method == "auto":
        method = "epsilon" if energy and names[0] != names[1] else "labels"
    if method == "labels":
        try:
            points = _labels(search, time_limit)
        except UnsupportedError:
            points = _two_phase(search)  # e.g. a weighted sum mixing the bottleneck with other terms
    elif method == "epsilon":
        points = _from_found(_epsilon_energy(search, energy[0]))
    else:
        points = _two_phase(search)
    return ParetoFront(
        names, tuple(points), reference, search.solves, search.ranked, time.perf_counter() - started, search.proven
    )


def _from_found(found: list[tuple[tuple[float, float], Plan]]) -> list[ParetoPoint]:
    """Non-dominated points of ``found`` (first plan per point), supported = on the lower convex hull."""
    front = _front([f for f, _ in found])
    plans = {f: p for f, p in reversed(found)}
    hull = _convex_support(front)
    return [ParetoPoint(f, plans[f], f in hull) for f in front]


def _labels(search: _Search, time_limit: float | None) -> list[ParetoPoint]:
    """The label-setting front of :func:`scission_opt.solvers.pareto.pareto_labels` (one pass, every point)."""
    from ..budget import Budget
    from ..solvers.pareto import pareto_labels

    try:
        found = pareto_labels(search.instance, search.objectives, budget=Budget(time_limit))
    except TimeoutError:
        raise NotProvenError(f"pareto: the label search ran past --time-limit {time_limit} s") from None
    search.solves += 1
    return _from_found([(search.values(p), p) for _, p in found])


def _two_phase(search: _Search) -> list[ParetoPoint]:
    left = search.lexicographic(0)
    if left is None:
        return []
    right = search.lexicographic(1)
    assert right is not None
    supported = [left] if close(left[0][0], right[0][0]) and close(left[0][1], right[0][1]) else [left, right]
    if len(supported) == 2:
        supported = [left, *_dichotomic(search, left, right), right]
    points = [ParetoPoint(f, p, True) for f, p in supported]
    for a, b in zip(supported, supported[1:]):
        points += [ParetoPoint(f, p, False) for f, p in _triangle(search, a, b)]
    points.sort(key=lambda p: p.values)
    return points


def _scission_choice(
    instance: Instance, search: _Search, solver: str, time_limit: float | None
) -> tuple[tuple[float, float], Plan] | None:
    """The latency-optimal plan (what Scission would pick), with its two objective values."""
    found = solve_exact(instance, get_objective("latency"), solver, time_limit=time_limit)
    search.solves += 1
    if not found:
        return None
    plan = found[0][1]
    return search.values(plan), plan


def format_front(instance: Instance, front: ParetoFront) -> str:
    a, b = front.objectives
    lines = [
        f"Pareto front of {a} x {b}: {len(front.points)} point(s) "
        f"({sum(p.supported for p in front.points)} supported), {front.solves} exact solves, "
        f"{front.plans_ranked} plans ranked, {front.wall_time_s * 1000:.1f} ms"
        + ("" if front.proven else "; NOT proven complete (ranking limit reached)"),
        "",
    ]
    rows = [
        [f"{p.values[0]:.6g}", f"{p.values[1]:.6g}", "yes" if p.supported else "no", plan_label(instance, p.plan)]
        for p in front.points
    ]
    header = [a, b, "supported", "plan"]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines.append("  ".join(h.ljust(w) for h, w in zip(header, widths)))
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths)) for r in rows]
    if front.reference is not None:
        (r1, r2), plan = front.reference
        lines.append("")
        lines.append(f"Scission's choice (latency only): {a} {r1:.6g}, {b} {r2:.6g}: {plan_label(instance, plan)}")
    return "\n".join(lines)
