"""Segment dynamic programme: exact for additive objectives, the bottleneck and coupling constraints.

States are boundaries ``b`` (just before node ``b``) on systems ``s``. A path
starts at the origin system, runs one contiguous *segment* per used tier, and
hops forward between tiers (solvers/segments.py builds the graph). Every
per-segment constraint prunes the graph:

* pins, bans, privacy, system filters, forbidden tiers: nodes a system may not
  run shrink the window of segment starts;
* memory capacity and absolute compute-time limits: a segment ``[b, e)`` on
  ``s`` is feasible for ``b >= lo(e, s)``, with ``lo`` non-decreasing in ``e``;
* required tiers: hops may not skip them and the path may not end before them;
* upload limits and the first-tier energy budget: pruned hops (the first
  tier's energy is its one segment plus its one upload when ``idle_w = 0``).

A segment's fixed cost (``segment_overhead_s``) is a per-segment constant.
What does not fit one segment is solved exactly by methods built on the same
graph, and the result's ``method`` says which one proved it:

* the bottleneck objective (alone or weighted): a min-max DP and a search over
  period limits (solvers/bottleneck.py);
* coupling constraints (percentage time limits, a deadline, an energy budget
  with idle power): a Lagrangian bound (solvers/coupling.py), closed by label
  setting with dominance (solvers/labels.py) or, for top-k, by k-best
  enumeration between the bounds.

formulations/segment-dp.md and formulations/coupling.md write them out.
"""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING, Any

import numpy as np

from ..budget import Budget
from ..evaluate import evaluate
from ..objectives import Objective, Terms, is_additive
from ..plan import Plan
from ..result import SolveResult, Status
from .base import Feature, chain_problem, finish, missing_features, origins, require_supported
from .bottleneck import bottleneck_search
from .coupling import Lagrangian, Resource, combine, coupling_resources, lagrangian
from .labels import LabelOutcome, LabelProblem, label_search
from .segments import SegmentGraph, memory_starts, segment_starts
from .sweep import paths, sweep

if TYPE_CHECKING:
    from ..instance import Instance

#: Labels kept per system in the heuristic pass that finds a first plan before the exact label search.
BEAM = 4
#: k-best enumeration between the Lagrangian bounds stops (unproven) past this many paths.
MAX_ENUMERATED = 1024
#: Trial limits above the Lagrangian bound, relative to its size: an exact label pass below
#: ``bound + d * |bound|`` either finds the optimum or proves that none lies there (the next is tried).
DEEPENING = (1e-4, 3e-4, 1e-3)
#: Relative tolerance: a plan within this of a bound meets it, and plans this close to the best known are ties.
TIE = 1e-9

_Found = list[tuple[float, Plan]]


class SegmentDP:
    """Exact dynamic programme over (boundary, system) with whole-segment transitions."""

    name = "dp"
    features = frozenset(Feature) - {Feature.DAG, Feature.NOT_ADDITIVE, Feature.TOP_K_BOTTLENECK_COUPLED}

    def is_available(self) -> bool:
        return True

    def unsupported(self, instance: Instance, objective: Objective) -> str | None:
        return chain_problem(instance) or missing_features(self.features, instance, objective)

    def solve(
        self,
        instance: Instance,
        objective: Objective,
        *,
        top_k: int = 1,
        time_limit: float | None = None,
        budget: Budget | None = None,
    ) -> SolveResult:
        """Solve; see the module docstring for the methods. ``budget`` (else ``time_limit``) bounds the time."""
        started = time.perf_counter()
        budget = budget or Budget(time_limit)
        require_supported(self, instance, objective, top_k)
        assert is_additive(objective)
        resources = coupling_resources(instance, origins(instance))
        per_origin = (
            instance.return_output
            or objective.depends_on_origin(instance)
            or any(None not in r.terms for r in resources)
        )
        origin_list = origins(instance)
        if per_origin:
            groups = [([o], objective.terms(instance, o)) for o in origin_list]
        else:
            groups = [(origin_list, objective.terms(instance, None))] if origin_list else []
        lo = segment_starts(instance)
        weight = max((t.bottleneck_weight for _, t in groups), default=0.0)
        if resources:
            outcome = _coupled(instance, groups, resources, lo, weight, top_k, budget)
        elif weight:
            got = bottleneck_search(instance, groups, lo, weight, top_k=top_k, budget=budget)
            outcome = _Outcome(got.found, got.complete, got.bound, "min-max DP + search over period limits")
        else:
            found: _Found = []
            stopped = False
            for group, terms in groups:
                graph = SegmentGraph(instance, terms, group, lo)
                plans = sweep(graph, budget) if top_k == 1 else paths(graph, top_k)
                stopped = not plans and budget.expired()  # sweep returns no plan when stopped
                if stopped:
                    break
                found += plans
            method = "segment DP" if top_k == 1 else "segment DP, k best paths"
            message = "stopped at the time limit" if stopped else ""
            outcome = _Outcome(found, not stopped, math.nan, method, message)
        return outcome.result(self.name, instance, objective, started, top_k)


def feasible(instance: Instance, budget: Budget | None = None) -> bool | None:
    """Whether any plan meets every constraint (``None`` when the budget ran out first).

    Feasibility does not depend on the objective: the latency terms drive the
    search. One coupling constraint is met by some plan exactly when the plan
    that uses the least of it stays under its cap (one DP); several are decided
    by label setting.
    """
    from ..objectives import Latency

    budget = budget or Budget(None)
    origin_list = origins(instance)
    resources = coupling_resources(instance, origin_list)
    per_origin = instance.return_output or any(None not in r.terms for r in resources)
    groups = [[o] for o in origin_list] if per_origin else ([origin_list] if origin_list else [])
    lo = segment_starts(instance)
    latency = Latency().terms(instance, None)
    if len(resources) <= 1:
        for group in groups:
            terms = resources[0].for_origin(group[0]) if resources else latency
            for value, _plan in sweep(SegmentGraph(instance, combine(terms, [], []), group, lo)):
                if not resources or value <= resources[0].cap:
                    return True
        return False
    problems = _label_groups([(g, latency) for g in groups], resources, 0.0, [])
    got = label_search(instance, problems, lo, budget=budget)
    if got.found:
        return True
    return False if got.complete else None


class _Outcome:
    """Plans found, whether they are proven the best, a lower bound, and the method."""

    def __init__(self, found: _Found, complete: bool, bound: float, method: str, message: str = "") -> None:
        self.found, self.complete, self.bound, self.method, self.message = found, complete, bound, method, message

    def result(self, solver: str, instance: Instance, objective: Objective, started: float, top_k: int) -> SolveResult:
        self.found.sort(key=lambda x: x[0])
        plans = [p for _, p in self.found[: max(top_k, 1) * 2]]
        if self.complete:
            status = Status.OPTIMAL if plans else Status.INFEASIBLE
            bound = math.nan
        else:
            status = Status.FEASIBLE if plans else Status.TIME_LIMIT
            bound = self.bound
        return finish(
            instance,
            objective,
            solver,
            plans,
            status=status,
            started=started,
            top_k=top_k,
            bound=bound,
            message=self.message,
            method=self.method,
        )


def _label_groups(
    groups: list[tuple[list[int], Terms]], resources: list[Resource], weight: float, multipliers: list[float]
) -> list[Any]:
    out = []
    caps = tuple(r.cap for r in resources)
    for group, terms in groups:
        res = tuple(r.for_origin(group[0]) for r in resources)
        out.append((group, LabelProblem(terms, res, caps, bottleneck_weight=weight, multipliers=tuple(multipliers))))
    return out


def _coupled(
    instance: Instance,
    groups: list[tuple[list[int], Terms]],
    resources: list[Resource],
    lo: np.ndarray,
    weight: float,
    top_k: int,
    budget: Budget,
) -> _Outcome:
    """Coupling constraints: Lagrangian bound, then label setting (top-1) or k-best enumeration (top-k)."""
    if weight:
        problems = _label_groups(groups, resources, weight, [])
        return _labels_only(instance, problems, lo, budget, math.inf, "label setting (with the bottleneck)", {})
    search = Lagrangian(instance, groups, resources, lo, instance)
    dual = lagrangian(search, budget)
    if dual.infeasible:
        return _Outcome([], True, math.nan, "Lagrangian: no plan meets a coupling constraint")
    if top_k > 1:
        return _enumerate(search, top_k, budget)
    best = dual.best_feasible()
    if best is not None and best.a <= dual.bound + TIE * max(1.0, abs(best.a)):
        return _Outcome([(best.a, best.plan)], True, math.nan, "Lagrangian bound met by a DP plan")
    upper = best.a if best is not None else math.inf
    found: _Found = [(best.a, best.plan)] if best is not None else []
    if budget.expired():
        message = "stopped at the time limit after the Lagrangian bound"
        return _Outcome(found, False, dual.bound, "Lagrangian bound", message)
    method = "Lagrangian bound + label setting"
    problems = _label_groups(groups, resources, 0.0, dual.weights)
    cache: dict[int, Any] = {}
    bound = dual.bound
    got = LabelOutcome(found=[])
    targets = _targets(dual.bound, upper)
    last = False  # whether the pass that stopped the loop ran just below the best known plan
    for target in targets:
        last = math.isfinite(upper) and target is targets[-1]
        got = label_search(instance, problems, lo, upper=target, budget=budget, cache=cache)
        if not got.complete or got.found:
            break
        bound = target  # no feasible plan lies below the trial limit: it is a lower bound
    else:
        if last:  # the last pass was below the best known plan, and found nothing
            return _Outcome(found, True, math.nan, method + " (no plan below the best known)")
    below = _feasible(instance, got)
    if got.complete and below:
        return _Outcome(below, True, math.nan, method + (" (below the best known plan)" if last else " (trial limit)"))
    outcome = _labels_only(instance, problems, lo, budget, upper, method, cache)
    outcome.found += found
    if not outcome.complete:
        outcome.bound = bound
    return outcome


def _targets(bound: float, upper: float) -> list[float]:
    """Trial limits between the Lagrangian bound and the best known plan (:data:`DEEPENING`), then that plan.

    A complete pass below the last one, the best known plan's value less
    :data:`TIE`, that finds nothing proves that plan optimal.
    """
    scale = max(abs(bound), 1e-300)
    trials = [t for t in (bound + d * scale for d in DEEPENING) if t < upper]
    return trials + [upper - TIE * max(1.0, abs(upper))] if math.isfinite(upper) else trials


def _labels_only(
    instance: Instance,
    problems: list[Any],
    lo: np.ndarray,
    budget: Budget,
    upper: float,
    method: str,
    cache: dict[int, Any],
) -> _Outcome:
    """Label setting: a beam search for a good first plan, then the exact search below its value."""
    found: _Found = []
    got = LabelOutcome(complete=False, reason="stopped at the time limit")
    for beam in (BEAM, 0):
        if budget.expired():
            break
        got = label_search(instance, problems, lo, upper=upper, budget=budget, beam=beam, cache=cache)
        found += _feasible(instance, got)
        if found:
            upper = min(upper, min(v for v, _ in found))
    return _Outcome(found, got.complete, math.nan, method, got.reason)


def _feasible(instance: Instance, got: LabelOutcome) -> _Found:
    """The label search's plans that the evaluator finds feasible, with their objective."""
    return [(v[0], p) for v, p in got.found if evaluate(instance, p).feasible]


def _enumerate(search: Lagrangian, top_k: int, budget: Budget) -> _Outcome:
    """The ``top_k`` best feasible plans: paths in order of the Lagrangian cost until the bound passes them."""
    weights = search.dual.weights
    shift = sum(w * r.cap for w, r in zip(weights, search.resources))
    k = max(4 * top_k, 16)
    while True:
        cands: _Found = []
        for group, terms in search.groups:
            mixed = combine(terms, [r.for_origin(group[0]) for r in search.resources], weights)
            cands += paths(SegmentGraph(search.instance, mixed, group, search.lo), k)
        cands.sort(key=lambda x: x[0])
        exhausted = len(cands) < k
        cands = cands[:k]
        for _, plan in cands:  # score each path once: objective, resources, feasibility
            search.point(plan, _terms_of(search, plan), search.instance.system_index[plan.origin])
        good = sorted((pt.a, pt.plan) for pt in search.dual.points.values() if pt.feasible)
        last = cands[-1][0] - shift if cands else math.inf
        if exhausted or (len(good) >= top_k and good[top_k - 1][0] <= last):
            return _Outcome(good, True, math.nan, "Lagrangian bound + k-best enumeration")
        if k >= MAX_ENUMERATED or budget.expired():
            bound = min([last] + [a for a, _ in good[:1]])
            message = f"stopped after the {k} best paths by the Lagrangian cost without proving the top {top_k}"
            return _Outcome(good, False, bound, "Lagrangian bound + k-best enumeration", message)
        k *= 4


def _terms_of(search: Lagrangian, plan: Plan) -> Terms:
    origin = search.instance.system_index[plan.origin]
    for group, terms in search.groups:
        if origin in group:
            return terms
    raise AssertionError(f"origin {plan.origin} in no group")


__all__ = ["SegmentDP", "feasible", "memory_starts", "segment_starts"]
