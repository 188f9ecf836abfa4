"""The simplest possible enumerator: build every plan and pass it through evaluate()."""

from __future__ import annotations

import itertools

from scission_opt.evaluate import evaluate
from scission_opt.instance import Instance
from scission_opt.plan import Plan


def all_plans(instance: Instance) -> list[Plan]:
    n, T = instance.n_nodes, instance.n_tiers
    per_tier = [[s.name for s in instance.systems if s.tier == tier] for tier in instance.tiers]
    plans = set()
    for cuts in itertools.combinations_with_replacement(range(n + 1), T - 1):
        bounds = (0, *cuts, n)
        for combo in itertools.product(*per_tier):
            names = tuple(combo[t] if t == 0 or bounds[t + 1] > bounds[t] else None for t in range(T))
            plans.add(Plan(bounds, names))
    return sorted(plans)


def brute_force(instance: Instance, objective, k: int) -> list[tuple[float, Plan]]:  # type: ignore[no-untyped-def]
    """The ``k`` best feasible ``(value, plan)`` pairs."""
    scored = []
    for plan in all_plans(instance):
        metrics = evaluate(instance, plan)
        if metrics.feasible:
            scored.append((objective.value(instance, plan, metrics), plan))
    scored.sort()
    return scored[:k]
