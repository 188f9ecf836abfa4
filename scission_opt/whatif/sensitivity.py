"""Exact breakpoints of the optimal plan as one link parameter sweeps a range.

Parameter ``u``: ``1 / bandwidth`` for a bandwidth sweep, the fixed latency for a
latency sweep. For a fixed plan every built-in additive objective (and every
custom one whose terms are affine in ``u``, which is checked) is affine in ``u``,
so on a fixed feasible set the optimum ``g(u)`` is the lower envelope of lines,
a concave function; parametric search (Eisner and Severance) finds it with
exact solves only: solve at both ends; where the plans differ, solve where their
lines cross; if nothing beats them there, the crossing is a proven breakpoint,
else recurse on both halves with the new plan.

Constraints whose value depends on the network (the deadline and the energy
budget: latency and energy are affine and non-decreasing in ``u``) make the
feasible set shrink as ``u`` grows. The sweep then solves a relaxation: the
constraints frozen at the left end ``u0`` (a superset of the feasible plans
for every ``u >= u0``) with the costs at ``u``. Its envelope is a lower bound;
each piece whose plan stays feasible to its right end is proven; where a plan
stops being feasible (at a threshold computed from its affine constraint values)
the sweep re-freezes just past it and goes on. An empty relaxation proves the
rest of the range infeasible. formulations/whatif.md writes this out.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import InvalidInstanceError, UnsupportedError
from ..evaluate import LIMIT_RTOL, evaluate, limit_slack
from ..objectives import Objective, get_objective, is_additive
from ._common import PricedOn, plan_label, solve_exact, value_on
from .overrides import LinkSelector, parse_selector, select_links, with_links

if TYPE_CHECKING:
    from ..instance import Instance
    from ..plan import Plan

#: Relative step past a feasibility threshold where the constraints are frozen next: the evaluator's own tolerance.
FREEZE_STEP = 10 * LIMIT_RTOL
#: Guard on the number of solves in one sweep (each proven breakpoint costs one or two).
MAX_SOLVES = 10_000


@dataclass(frozen=True)
class Interval:
    """One range of the swept parameter with one optimal plan (``plan is None``: infeasible there).

    ``lo`` and ``hi`` are in the parameter's unit (Mbps or ms); ``objective_lo``
    and ``objective_hi`` are the plan's objective at each end (from the evaluator).
    """

    lo: float
    hi: float
    plan: Plan | None
    objective_lo: float
    objective_hi: float
    label: str


@dataclass(frozen=True)
class Sensitivity:
    """The exact map from parameter value to optimal plan."""

    parameter: str  # "bandwidth_mbps" or "latency_ms"
    links: tuple[str, ...]
    objective_name: str
    intervals: tuple[Interval, ...]
    solves: int
    wall_time_s: float

    @property
    def unit(self) -> str:
        return "mbps" if self.parameter == "bandwidth_mbps" else "ms"

    def plan_at(self, x: float) -> Plan | None:
        """The interval plan at parameter value ``x`` (the first interval holding it)."""
        for iv in self.intervals:
            if iv.lo <= x <= iv.hi:
                return iv.plan
        raise ValueError(f"{x} is outside the swept range")

    def to_dict(self, instance: Instance) -> dict[str, Any]:
        u = self.unit
        return {
            "parameter": self.parameter,
            "links": list(self.links),
            "objective": self.objective_name,
            "intervals": [
                {
                    f"lo_{u}": iv.lo,
                    f"hi_{u}": iv.hi,
                    "feasible": iv.plan is not None,
                    "plan": iv.plan.to_dict(instance) if iv.plan is not None else None,
                    "label": iv.label,
                    "objective_lo": iv.objective_lo if iv.plan is not None else None,
                    "objective_hi": iv.objective_hi if iv.plan is not None else None,
                }
                for iv in self.intervals
            ],
            f"breakpoints_{u}": [iv.hi for iv in self.intervals[:-1]],
            "solves": self.solves,
            "wall_time_s": self.wall_time_s,
        }


class _Sweep:
    """The instance as a function of ``u`` and the exact solves the search needs."""

    def __init__(
        self,
        instance: Instance,
        links: list[int],
        parameter: str,
        objective: Objective,
        solver: str,
        time_limit: float | None,
    ):
        self.instance, self.links, self.parameter = instance, links, parameter
        self.objective, self.solver, self.time_limit = objective, solver, time_limit
        self.base_mbps = [instance.links[i].bandwidth_mbps for i in links]
        c = instance.constraints
        self.coupled = c.deadline_s is not None or c.energy_budget_j is not None
        self.solves = 0
        self._lines: dict[Plan, tuple[float, float]] = {}
        self._cache: dict[float, Instance] = {}

    # u <-> the parameter in its unit
    def to_u(self, x: float) -> float:
        return 1.0 / x if self.parameter == "bandwidth_mbps" else x

    def from_u(self, u: float) -> float:
        return 1.0 / u if self.parameter == "bandwidth_mbps" else u

    def at(self, u: float) -> Instance:
        """The instance with the parameter set: bandwidths scaled together so the first named link runs at 1/u."""
        hit = self._cache.get(u)
        if hit is not None:
            return hit
        changes = {}
        for i, base in zip(self.links, self.base_mbps):
            link = self.instance.links[i]
            if self.parameter == "bandwidth_mbps":
                changes[i] = dataclasses.replace(link, bandwidth_mbps=base / self.base_mbps[0] / u)
            else:
                changes[i] = dataclasses.replace(link, latency_ms=u)
        out = with_links(self.instance, changes)
        if len(self._cache) < 4096:
            self._cache[u] = out
        return out

    def solve(self, freeze: float, u: float) -> tuple[float, Plan] | None:
        """Best plan of the relaxation (constraints at ``freeze``, costs at ``u``); ``None`` if it has none."""
        self.solves += 1
        if self.solves > MAX_SOLVES:
            raise UnsupportedError(f"sensitivity: more than {MAX_SOLVES} solves; the envelope is too fine")
        if not self.coupled or freeze == u:
            found = solve_exact(self.at(u), self.objective, self.solver, time_limit=self.time_limit)
        else:
            found = solve_exact(
                self.at(freeze), PricedOn(self.objective, self.at(u)), self.solver, time_limit=self.time_limit
            )
        if not found:
            return None
        plan = found[0][1]
        return self.value(plan, u), plan

    def line(self, plan: Plan) -> tuple[float, float]:
        """``(alpha, beta)`` with the plan's objective ``alpha + beta * u``."""
        hit = self._lines.get(plan)
        if hit is None:
            u0, u1 = self.u_range
            f0 = value_on(self.at(u0), plan, self.objective)[0]
            f1 = value_on(self.at(u1), plan, self.objective)[0]
            beta = (f1 - f0) / (u1 - u0) if u1 > u0 else 0.0
            hit = (f0 - beta * u0, beta)
            self._lines[plan] = hit
        return hit

    def value(self, plan: Plan, u: float) -> float:
        alpha, beta = self.line(plan)
        return alpha + beta * u

    def threshold(self, plan: Plan) -> float:
        """Largest ``u`` at which ``plan`` meets the network-dependent constraints (inf if always)."""
        if not self.coupled:
            return math.inf
        c = self.instance.constraints
        u0, u1 = self.u_range
        m0, m1 = evaluate(self.at(u0), plan), evaluate(self.at(u1), plan)
        limit = math.inf
        for limit_value, get in (
            (c.deadline_s, lambda m: m.latency_s),
            (c.energy_budget_j, lambda m: m.energy_j),
        ):
            if limit_value is None:
                continue
            a, b = get(m0), get(m1)
            slope = (b - a) / (u1 - u0) if u1 > u0 else 0.0
            if slope > 0:
                limit = min(limit, u0 + (limit_slack(limit_value) - a) / slope)
        return limit

    u_range: tuple[float, float] = (0.0, 0.0)


def _envelope(sw: _Sweep, freeze: float, a: float, pa: Plan, b: float, pb: Plan) -> list[tuple[float, float, Plan]]:
    """Pieces of the relaxation's lower envelope on ``[a, b]``; ``pa`` optimal at ``a``, ``pb`` at ``b``."""
    if pa == pb or sw.value(pa, b) <= sw.value(pb, b) + _tol(sw.value(pb, b)):
        return [(a, b, pa)]
    if sw.value(pb, a) <= sw.value(pa, a) + _tol(sw.value(pa, a)):
        return [(a, b, pb)]
    (al_a, be_a), (al_b, be_b) = sw.line(pa), sw.line(pb)
    cross = (al_b - al_a) / (be_a - be_b)  # pa is better at a and worse at b, so the slopes differ
    cross = min(max(cross, a), b)
    best = sw.solve(freeze, cross)
    assert best is not None  # the relaxation's feasible set does not depend on u
    v, pc = best
    if v >= sw.value(pa, cross) - _tol(v) or pc in (pa, pb) or cross in (a, b):
        return [(a, cross, pa), (cross, b, pb)]
    return _envelope(sw, freeze, a, pa, cross, pc) + _envelope(sw, freeze, cross, pc, b, pb)


def _tol(v: float) -> float:
    return 1e-9 * abs(v) + 1e-15


def _next_freeze(sw: _Sweep, plan: Plan, u: float) -> float:
    """A ``u`` just past ``plan``'s threshold where the evaluator finds it infeasible."""
    step = FREEZE_STEP
    nxt = u * (1 + step) + 1e-15
    while evaluate(sw.at(nxt), plan).feasible and step < 1:
        step *= 10
        nxt = u * (1 + step) + 1e-15
    return nxt


def _pieces(sw: _Sweep) -> list[tuple[float, float, Plan | None]]:
    """The proven pieces over ``sw.u_range``, in increasing ``u``."""
    u_lo, u_hi = sw.u_range
    out: list[tuple[float, float, Plan | None]] = []
    start = freeze = u_lo
    while True:
        first = sw.solve(freeze, start)
        if first is None:
            out.append((start, u_hi, None))
            return out
        last = sw.solve(freeze, u_hi) if u_hi > start else first
        assert last is not None
        restart = None
        for a, b, plan in _envelope(sw, freeze, start, first[1], u_hi, last[1]):
            limit = sw.threshold(plan)
            if limit >= b:
                out.append((a, b, plan))
                continue
            if limit > a:
                out.append((a, limit, plan))
            restart = max(limit, a)
            break
        if restart is None:
            return out
        freeze = _next_freeze(sw, plan, restart)
        start = restart


def _merge(pieces: list[tuple[float, float, Plan | None]]) -> list[tuple[float, float, Plan | None]]:
    out: list[tuple[float, float, Plan | None]] = []
    for a, b, plan in pieces:
        if out and out[-1][2] == plan:
            out[-1] = (out[-1][0], b, plan)
        elif b > a or not out:
            out.append((a, b, plan))
    return out


def check_affine(instance_at: Callable[[float], Instance], objective: Objective, us: Sequence[float]) -> None:
    """Refuse an objective whose terms are not affine in ``u`` (checked at three values) or that uses the bottleneck."""
    if not is_additive(objective):
        raise UnsupportedError(f"sensitivity needs an additive objective; {objective.name!r} is not")
    probes = []
    for u in us:
        inst = instance_at(u)
        origin = inst.candidates[0][0] if objective.depends_on_origin(inst) and inst.candidates[0] else None
        probes.append(objective.terms(inst, origin))
    if any(t.bottleneck_weight for t in probes):
        raise UnsupportedError(
            "sensitivity: the bottleneck (throughput) objective is not affine in the network parameter; "
            "use latency, energy, bytes, price or a weighted sum of these"
        )
    u0, u1, u2 = us
    for name in ("node", "hop_fixed", "hop_per_byte", "segment_cost"):
        a, b, c = (np.asarray(getattr(t, name), dtype=float) for t in probes)
        ok = np.isfinite(a) & np.isfinite(b) & np.isfinite(c)
        with np.errstate(invalid="ignore"):
            predicted = a + (b - a) * (u2 - u0) / (u1 - u0)
        if not np.allclose(c[ok], predicted[ok], rtol=1e-7, atol=1e-15):
            raise UnsupportedError(
                f"sensitivity: objective {objective.name!r} is not affine in the swept parameter ({name} terms)"
            )


def sensitivity(
    instance: Instance,
    links: Sequence[str | LinkSelector],
    *,
    bandwidth: tuple[float, float] | None = None,
    latency: tuple[float, float] | None = None,
    objective: str | Objective | None = None,
    weights: dict[str, float] | None = None,
    solver: str = "auto",
    time_limit: float | None = None,
) -> Sensitivity:
    """Exact intervals of the swept parameter on which each plan is optimal.

    Parameters
    ----------
    instance
        The problem.
    links
        ``SRC:DST`` selectors (tier or system names). With a bandwidth sweep the
        first named link runs at the swept value and every other named link is
        scaled by the same factor; with a latency sweep every named link gets
        the swept latency.
    bandwidth, latency
        ``(lo, hi)`` in Mbps or ms; exactly one of them.
    objective, weights, solver, time_limit
        As for :func:`scission_opt.solve` (the time limit applies to each solve;
        a solve stopped without proof is an error, not an interval).
    """
    started = time.perf_counter()
    if (bandwidth is None) == (latency is None):
        raise InvalidInstanceError("give exactly one of --bandwidth and --latency", "sensitivity")
    option = "--bandwidth" if bandwidth is not None else "--latency"
    lo, hi = bandwidth if bandwidth is not None else latency  # type: ignore[misc]
    if not (math.isfinite(lo) and math.isfinite(hi)) or lo > hi or lo < 0 or (bandwidth is not None and lo <= 0):
        raise InvalidInstanceError(
            f"expected LO:HI with {'0 < ' if bandwidth else '0 <= '}LO <= HI, got {lo}:{hi}", option
        )
    if not links:
        raise InvalidInstanceError("name at least one link", "--link")
    selectors = [parse_selector(s, "--link") if isinstance(s, str) else s for s in links]
    idx: list[int] = []
    for sel in selectors:
        idx += [i for i in select_links(instance, sel, "--link") if i not in idx]
    obj = get_objective(objective if objective is not None else instance.objective, weights)
    parameter = "bandwidth_mbps" if bandwidth is not None else "latency_ms"
    sw = _Sweep(instance, idx, parameter, obj, solver, time_limit)
    u_lo, u_hi = sorted((sw.to_u(lo), sw.to_u(hi)))
    sw.u_range = (u_lo, u_hi)
    check_affine(sw.at, obj, _probes(u_lo, u_hi))
    pieces = _merge(_pieces(sw))
    intervals = []
    for a, b, plan in pieces:
        x_a, x_b = sw.from_u(a), sw.from_u(b)
        if plan is None:
            intervals.append(Interval(min(x_a, x_b), max(x_a, x_b), None, math.nan, math.nan, "infeasible"))
            continue
        f_a, f_b = (value_on(sw.at(u), plan, obj)[0] for u in (a, b))
        if x_a > x_b:
            x_a, x_b, f_a, f_b = x_b, x_a, f_b, f_a
        intervals.append(Interval(x_a, x_b, plan, f_a, f_b, plan_label(instance, plan)))
    intervals.sort(key=lambda iv: iv.lo)
    return Sensitivity(
        parameter=parameter,
        links=tuple(f"{instance.links[i].source}->{instance.links[i].destination}" for i in idx),
        objective_name=obj.name,
        intervals=tuple(intervals),
        solves=sw.solves,
        wall_time_s=time.perf_counter() - started,
    )


def _probes(u_lo: float, u_hi: float) -> tuple[float, float, float]:
    if u_hi > u_lo:
        return u_lo, u_hi, u_lo + 0.37 * (u_hi - u_lo)
    base = max(u_lo, 1e-3)
    return base, 2 * base, 3.7 * base


def format_sensitivity(instance: Instance, result: Sensitivity) -> str:
    """A table: one row per interval, its ends, the plan and its objective at both ends."""
    unit = "Mbps" if result.parameter == "bandwidth_mbps" else "ms"
    what = "bandwidth" if result.parameter == "bandwidth_mbps" else "link latency"
    lines = [
        f"{what} of {', '.join(result.links)}: {len(result.intervals)} interval(s), objective {result.objective_name}, "
        f"{result.solves} exact solves, {result.wall_time_s * 1000:.1f} ms",
        "",
    ]
    rows = [
        [
            f"{iv.lo:.6g}",
            f"{iv.hi:.6g}",
            iv.label,
            "-" if iv.plan is None else f"{iv.objective_lo:.6g}",
            "-" if iv.plan is None else f"{iv.objective_hi:.6g}",
        ]
        for iv in result.intervals
    ]
    header = [f"from {unit}", f"to {unit}", "plan", "objective at from", "objective at to"]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines.append("  ".join(h.ljust(w) for h, w in zip(header, widths)))
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths)) for r in rows]
    return "\n".join(lines)
