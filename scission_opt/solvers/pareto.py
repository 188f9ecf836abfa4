"""Exact Pareto fronts of two objectives over every feasible plan, by label setting.

:func:`pareto_labels` answers "what does one objective cost in terms of the
other": every plan that no other feasible plan beats on both, with its two
values. Each objective is additive (latency, energy, bytes, price, weighted
sums, plug-ins with terms) or the pure bottleneck (throughput). Every
constraint of the instance holds, coupling ones included. The labels of
solvers/labels.py carry the first objective as their cost and the second as an
uncapped resource (or as the bottleneck), and dominance keeps exactly the
non-dominated ones.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..budget import Budget
from ..errors import UnsupportedError
from ..evaluate import evaluate
from ..objectives import Objective, Terms, is_additive, objective_needs
from ..plan import Plan
from .base import chain_problem, origins
from .coupling import coupling_resources
from .labels import LabelProblem, label_search
from .segments import segment_starts

if TYPE_CHECKING:
    from ..instance import Instance


def _terms(instance: Instance, objective: Objective, origin: int) -> Terms:
    if not is_additive(objective):
        raise UnsupportedError(f"objective {objective.name!r} is not additive (no terms()): no exact Pareto front")
    return objective.terms(instance, origin if objective.depends_on_origin(instance) else None)


def _is_pure_bottleneck(instance: Instance, objective: Objective) -> bool:
    """The objective is the bottleneck alone (its terms carry a bottleneck weight and nothing else)."""
    if not objective_needs(objective, instance).bottleneck:
        return False
    t = _terms(instance, objective, origins(instance)[0] if origins(instance) else 0)
    return not (t.node.any() or t.hop_per_byte.any() or t.segment_cost.any())


def pareto_labels(
    instance: Instance,
    objectives: tuple[Objective, Objective],
    *,
    budget: Budget | None = None,
) -> list[tuple[tuple[float, float], Plan]]:
    """Every plan not dominated in ``(objectives[0], objectives[1])``, with both values, by the first value.

    Parameters
    ----------
    instance
        A chain instance; all its constraints hold for every plan returned.
    objectives
        Two objectives, each additive (with ``terms()``) or the bottleneck alone
        (``throughput``); a weighted sum that mixes the bottleneck with other
        terms is refused.
    budget
        Wall-clock budget; the search raises ``TimeoutError`` when it runs out
        (a partial front would be wrong, not just incomplete).

    Returns
    -------
    list of ((value_a, value_b), plan)
        Values from the evaluator (:func:`~scission_opt.evaluate.evaluate`),
        one plan per distinct point, sorted by ``value_a``. Empty when no plan
        is feasible.

    Raises
    ------
    UnsupportedError
        For a non-chain model, a non-additive objective, or both objectives bottlenecks.
    """
    why = chain_problem(instance)
    if why:
        raise UnsupportedError(why)
    first, second = objectives
    swap = _is_pure_bottleneck(instance, first)
    if swap:
        first, second = second, first
    if _is_pure_bottleneck(instance, first):
        raise UnsupportedError("both objectives are the bottleneck: the front is one point, solve for it instead")
    track = _is_pure_bottleneck(instance, second)
    for objective in (first, second):
        if objective_needs(objective, instance).bottleneck and not _is_pure_bottleneck(instance, objective):
            raise UnsupportedError(f"objective {objective.name!r} mixes the bottleneck with other terms")
    origin_list = origins(instance)
    resources = coupling_resources(instance, origin_list)
    lo = segment_starts(instance)
    groups = []
    for o in origin_list:  # one group per origin: simple, and exact whatever depends on the origin
        res = [] if track else [_terms(instance, second, o)]
        res += [r.for_origin(o) for r in resources]
        caps = ([] if track else [float("inf")]) + [r.cap for r in resources]
        problem = LabelProblem(_terms(instance, first, o), tuple(res), tuple(caps), track_bottleneck=track)
        groups.append(([o], problem))
    got = label_search(instance, groups, lo, budget=budget, pareto=True)
    if not got.complete:
        raise TimeoutError(f"Pareto front not complete: {got.reason}")
    points: dict[tuple[float, float], Plan] = {}
    for _, plan in got.found:
        metrics = evaluate(instance, plan)
        if not metrics.feasible:
            continue
        a, b = (float(o.value(instance, plan, metrics)) for o in objectives)
        if (a, b) not in points or plan < points[(a, b)]:
            points[(a, b)] = plan
    front = sorted(points.items())
    out: list[tuple[tuple[float, float], Plan]] = []
    best_b = float("inf")
    for (a, b), plan in front:  # across origins, keep the non-dominated points only
        if b < best_b:
            out.append(((a, b), plan))
            best_b = b
    return out


__all__ = ["pareto_labels"]
