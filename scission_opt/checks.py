"""The constraint groups as a table: each group's name and the check that lists a plan's breaches.

The evaluator runs every check of :data:`CHECKS`, in order; a breach is one line that starts
with the group's name (``"deadline: 1.2 s > 1 s"``), the same names
:meth:`~scission_opt.instance.Constraints.groups` reports and
:meth:`~scission_opt.instance.Constraints.without` drops, so the explanation of an infeasible
instance, the evaluator and the solvers speak of the same groups.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .instance import Instance, System
    from .plan import Plan

#: Relative tolerance used when checking a metric against a limit.
LIMIT_RTOL = 1e-9


def limit_slack(limit: float) -> float:
    """The largest value :func:`exceeds` still accepts for ``limit``; solvers prune with it."""
    return limit * (1 + LIMIT_RTOL) + 1e-12


def exceeds(value: Any, limit: Any) -> Any:
    """``value > limit`` up to :data:`LIMIT_RTOL`; works elementwise on arrays (solvers use it too)."""
    return value > limit * (1 + LIMIT_RTOL) + 1e-12


@dataclass(frozen=True)
class Figures:
    """What the checks need to know of a plan, computed once by the evaluator."""

    compute_s: tuple[float, ...]
    memory_bytes: tuple[float, ...]
    upload_bytes: tuple[float, ...]
    energy_j: float
    latency_s: float
    missing_links: tuple[tuple[str, str], ...]


Check = Callable[["Instance", "Plan", Figures], Iterator[str]]


def _links(instance: Instance, plan: Plan, f: Figures) -> Iterator[str]:
    for src, dst in f.missing_links:
        yield f"links: no link from {src} to {dst}"


def _system_filters(instance: Instance, plan: Plan, f: Figures) -> Iterator[str]:
    sidx = instance.system_index
    for t, name in enumerate(plan.systems):
        if name is not None and sidx[name] not in instance.candidates[t]:
            yield f"system_filters: {name} may not be chosen for tier {instance.tiers[t]}"


def _memory(instance: Instance, plan: Plan, f: Figures) -> Iterator[str]:
    for t, system in _used_systems(instance, plan):
        if system.memory_bytes is not None and exceeds(f.memory_bytes[t], system.memory_bytes):
            yield f"memory: {system.name} needs {f.memory_bytes[t]:.6g} bytes > {system.memory_bytes:.6g}"


def _privacy(instance: Instance, plan: Plan, f: Figures) -> Iterator[str]:
    yield from _privacy_set(instance, plan)
    k = instance.constraints.privacy_nodes
    if not k:
        return
    origin = instance.systems[instance.system_index[plan.origin]]
    if not origin.trusted:
        yield f"privacy: the raw input is born on untrusted {origin.name}"
    for t, system in _used_systems(instance, plan):
        first = plan.nodes_on(t)[0]
        if first < k and not system.trusted:
            yield f"privacy: node {first} runs on untrusted {system.name}"


def _privacy_set(instance: Instance, plan: Plan) -> Iterator[str]:
    """Each named private node on a trusted system (the origin need not be trusted)."""
    sidx = instance.system_index
    for node in sorted(instance.constraints.privacy_set):
        name = plan.systems[plan.tier_of_node(node)]
        if name is not None and not instance.systems[sidx[name]].trusted:
            yield f"privacy: node {node} ({instance.nodes[node].name}) runs on untrusted {name}"


def _pins(instance: Instance, plan: Plan, f: Figures) -> Iterator[str]:
    for node, t in instance.constraints.pins:
        if plan.tier_of_node(node) != t:
            yield f"pins: node {node} must run on tier {instance.tiers[t]}"


def _bans(instance: Instance, plan: Plan, f: Figures) -> Iterator[str]:
    for node, t in instance.constraints.bans:
        if plan.tier_of_node(node) == t:
            yield f"bans: node {node} must not run on tier {instance.tiers[t]}"


def _tier_usage(instance: Instance, plan: Plan, f: Figures) -> Iterator[str]:
    c = instance.constraints
    for t in sorted(c.tiers_required):
        if not plan.used(t):
            yield f"tier_usage: tier {instance.tiers[t]} must be used"
    for t in sorted(c.tiers_forbidden):
        if plan.used(t):
            yield f"tier_usage: tier {instance.tiers[t]} must not be used"


def _energy_budget(instance: Instance, plan: Plan, f: Figures) -> Iterator[str]:
    budget = instance.constraints.energy_budget_j
    if budget is not None and exceeds(f.energy_j, budget):
        yield f"energy_budget: {f.energy_j:.6g} J > {budget:.6g} J"


def _upload_limits(instance: Instance, plan: Plan, f: Figures) -> Iterator[str]:
    for t, limit in enumerate(instance.constraints.upload_limit_bytes):
        if limit is not None and exceeds(f.upload_bytes[t], limit):
            yield f"upload_limits: tier {instance.tiers[t]} sends {f.upload_bytes[t]:.6g} bytes > {limit:.6g}"


def _compute_time_limits(instance: Instance, plan: Plan, f: Figures) -> Iterator[str]:
    for t, limit in enumerate(instance.constraints.compute_time_limit_s):
        if limit is not None and exceeds(f.compute_s[t], limit):
            yield f"compute_time_limits: tier {instance.tiers[t]} computes {f.compute_s[t]:.6g} s > {limit:.6g} s"


def _compute_time_pct_limits(instance: Instance, plan: Plan, f: Figures) -> Iterator[str]:
    total = sum(f.compute_s)
    for t, pct in enumerate(instance.constraints.compute_time_limit_pct):
        if pct is not None and exceeds(f.compute_s[t], pct / 100.0 * total):
            yield (
                f"compute_time_pct_limits: tier {instance.tiers[t]} computes {f.compute_s[t]:.6g} s "
                f"> {pct:g}% of {total:.6g} s"
            )


def _deadline(instance: Instance, plan: Plan, f: Figures) -> Iterator[str]:
    deadline = instance.constraints.deadline_s
    if deadline is not None and exceeds(f.latency_s, deadline):
        yield f"deadline: {f.latency_s:.6g} s > {deadline:.6g} s"


def _used_systems(instance: Instance, plan: Plan) -> Iterator[tuple[int, System]]:
    sidx = instance.system_index
    for t, name in enumerate(plan.systems):
        if name is not None and plan.used(t):
            yield t, instance.systems[sidx[name]]


#: Every group, in the order breaches are listed: ``(name, check)``. ``links``, ``system_filters``
#: and ``memory`` hold for every instance; the others are the user's constraint groups.
CHECKS: tuple[tuple[str, Check], ...] = (
    ("links", _links),
    ("system_filters", _system_filters),
    ("memory", _memory),
    ("privacy", _privacy),
    ("pins", _pins),
    ("bans", _bans),
    ("tier_usage", _tier_usage),
    ("energy_budget", _energy_budget),
    ("upload_limits", _upload_limits),
    ("compute_time_limits", _compute_time_limits),
    ("compute_time_pct_limits", _compute_time_pct_limits),
    ("deadline", _deadline),
)


def violations(instance: Instance, plan: Plan, figures: Figures) -> tuple[str, ...]:
    """Every breach of ``plan``, one line each, grouped in :data:`CHECKS` order."""
    return tuple(line for _, check in CHECKS for line in check(instance, plan, figures))
