"""Why this plan: constraint slacks and which bind, the best plan of every other shape, latency shares.

A constraint group *binds* when dropping it alone gives a strictly better
optimum (one exact solve per group); its slack is the room left under each
numeric limit at the chosen plan. A *shape* is the set of tiers that run
blocks: all on one tier, or exactly two or three tiers. Each shape's best plan
is solved under the instance's constraints; when none meets them, the best plan
of that shape without the constraints is shown with the constraints it breaks.
"""

from __future__ import annotations

import dataclasses
import itertools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..evaluate import Metrics, evaluate
from ..instance import Constraints
from ..objectives import Objective, get_objective
from ._common import plan_label, solve_exact

if TYPE_CHECKING:
    from ..instance import Instance
    from ..plan import Plan
    from ..result import SolveResult


@dataclass(frozen=True)
class Slack:
    """One numeric limit at the chosen plan: ``limit - value`` (``>= 0`` when met)."""

    group: str
    what: str
    value: float
    limit: float

    @property
    def slack(self) -> float:
        return self.limit - self.value

    @property
    def tight(self) -> bool:
        return self.slack <= 1e-9 * abs(self.limit) + 1e-12


@dataclass(frozen=True)
class ShapeRow:
    """The best plan of one shape; ``breaks`` lists the constraints it violates when none meets them all."""

    shape: str
    plan: Plan | None
    objective: float
    breaks: tuple[str, ...]


@dataclass(frozen=True)
class Explanation:
    objective_name: str
    objective: float
    slacks: tuple[Slack, ...]
    binding: tuple[str, ...]
    unconstrained_objective: float | None
    shapes: tuple[ShapeRow, ...]
    compute_share: float | None
    transfer_share: float | None

    def to_dict(self, instance: Instance) -> dict[str, Any]:
        return {
            "objective": self.objective,
            "constraints": [
                {
                    "group": s.group,
                    "what": s.what,
                    "value": s.value,
                    "limit": s.limit,
                    "slack": s.slack,
                    "tight": s.tight,
                }
                for s in self.slacks
            ],
            "binding": list(self.binding),
            "shapes": [
                {
                    "shape": r.shape,
                    "feasible": not r.breaks and r.plan is not None,
                    "label": plan_label(instance, r.plan) if r.plan is not None else None,
                    "objective": r.objective if r.plan is not None else None,
                    "worse_by": (r.objective - self.objective) if r.plan is not None else None,
                    "breaks": list(r.breaks),
                }
                for r in self.shapes
            ],
            "latency_compute_share": self.compute_share,
            "latency_transfer_share": self.transfer_share,
        }


def _slacks(instance: Instance, plan: Plan, m: Metrics) -> list[Slack]:
    c, tiers = instance.constraints, instance.tiers
    out = []
    if c.deadline_s is not None:
        out.append(Slack("deadline", "end-to-end latency, s", m.latency_s, c.deadline_s))
    if c.energy_budget_j is not None:
        out.append(Slack("energy_budget", "first-tier energy, J", m.energy_j, c.energy_budget_j))
    total = m.compute_total_s
    for t, tier in enumerate(tiers):
        if c.upload_limit_bytes[t] is not None:
            out.append(Slack("upload_limits", f"{tier} sends, bytes", m.upload_bytes[t], c.upload_limit_bytes[t]))  # type: ignore[arg-type]
        if c.compute_time_limit_s[t] is not None:
            out.append(Slack("compute_time_limits", f"{tier} compute, s", m.compute_s[t], c.compute_time_limit_s[t]))  # type: ignore[arg-type]
        pct = c.compute_time_limit_pct[t]
        if pct is not None:
            out.append(
                Slack(
                    "compute_time_pct_limits",
                    f"{tier} compute, s ({pct:g}% of total)",
                    m.compute_s[t],
                    pct / 100 * total,
                )
            )
        if plan.used(t):
            system = instance.systems[instance.system_index[plan.systems[t]]]  # type: ignore[index]
            if system.memory_bytes is not None:
                out.append(Slack("memory", f"{system.name} memory, bytes", m.memory_bytes[t], system.memory_bytes))
    return out


def _without(instance: Instance, group: str) -> Instance:
    if group == "memory":
        return instance.replace(systems=tuple(dataclasses.replace(s, memory_bytes=None) for s in instance.systems))
    return instance.replace(constraints=instance.constraints.without(group, instance.n_tiers))


def _groups(instance: Instance) -> list[str]:
    groups = list(instance.constraints.groups(instance.n_tiers))
    if any(s.memory_bytes is not None for s in instance.systems):
        groups.append("memory")
    return groups


def _shapes(instance: Instance) -> list[tuple[str, list[frozenset[int]]]]:
    T = instance.n_tiers
    out = [(f"all on {tier}", [frozenset([t])]) for t, tier in enumerate(instance.tiers)]
    for size, name in ((2, "best two-tier split"), (3, "best three-tier split")):
        if T >= size:
            out.append((name, [frozenset(c) for c in itertools.combinations(range(T), size)]))
    return out


def _best_of_shape(
    instance: Instance, used_sets: list[frozenset[int]], obj: Objective, solver: str
) -> tuple[float, Plan] | None:
    """Best ``(value, plan)`` over the tier sets, under ``instance``'s constraints (``None`` if none)."""
    best = None
    T = instance.n_tiers
    c = instance.constraints
    for used in used_sets:
        if not c.tiers_required <= used or used & c.tiers_forbidden:
            continue  # the instance's own tier usage rules out this set of tiers
        shaped = instance.replace(
            constraints=dataclasses.replace(
                instance.constraints, tiers_required=used, tiers_forbidden=frozenset(range(T)) - used
            )
        )
        found = solve_exact(shaped, obj, solver)
        if found and (best is None or found[0][0] < best[0]):
            best = found[0]
    return best


def _bare(instance: Instance) -> Instance:
    """The instance without constraints or memory caps (the shape alone decides)."""
    T = instance.n_tiers
    return instance.replace(
        constraints=Constraints(
            allowed_systems=(None,) * T,
            excluded_systems=((),) * T,
            upload_limit_bytes=(None,) * T,
            compute_time_limit_s=(None,) * T,
            compute_time_limit_pct=(None,) * T,
        ),
        systems=tuple(dataclasses.replace(s, memory_bytes=None) for s in instance.systems),
    )


def explain(
    instance: Instance,
    result: SolveResult,
    *,
    objective: str | Objective | None = None,
    weights: dict[str, float] | None = None,
    solver: str = "auto",
) -> Explanation:
    """Explain ``result``'s best plan (see the module docstring); every figure from the evaluator."""
    assert result.plan is not None and result.metrics is not None
    obj = get_objective(objective if objective is not None else instance.objective, weights)
    plan, m = result.plan, result.metrics
    binding = []
    for group in _groups(instance):
        found = solve_exact(_without(instance, group), obj, solver)
        if found and found[0][0] < result.objective - 1e-9 * abs(result.objective) - 1e-15:
            binding.append(group)
    free = solve_exact(_bare(instance), obj, solver) if _groups(instance) else None
    rows = []
    for name, used_sets in _shapes(instance):
        best = _best_of_shape(instance, used_sets, obj, solver)
        if best is not None:
            rows.append(ShapeRow(name, best[1], best[0], ()))
            continue
        relaxed = _best_of_shape(_bare(instance), used_sets, obj, solver)
        if relaxed is None:
            rows.append(ShapeRow(name, None, float("nan"), ("no plan of this shape exists (links)",)))
            continue
        breaks = tuple(dict.fromkeys(v.split(":")[0] for v in evaluate(instance, relaxed[1]).violations))
        rows.append(ShapeRow(name, relaxed[1], relaxed[0], breaks))
    latency = m.latency_s
    return Explanation(
        objective_name=obj.name,
        objective=result.objective,
        slacks=tuple(_slacks(instance, plan, m)),
        binding=tuple(binding),
        unconstrained_objective=free[0][0] if free else None,
        shapes=tuple(rows),
        compute_share=m.compute_total_s / latency if latency > 0 else None,
        transfer_share=m.communication_s / latency if latency > 0 else None,
    )


def format_explanation(instance: Instance, e: Explanation) -> str:
    lines = [f"why this plan ({e.objective_name} = {e.objective:.6g}):"]
    if e.compute_share is not None:
        lines.append(f"  latency: {e.compute_share:.1%} compute, {e.transfer_share:.1%} transfer")
    if e.slacks:
        lines.append("  constraints (value / limit / slack):")
        for s in e.slacks:
            tag = "  BINDS" if s.group in e.binding else ("  tight" if s.tight else "")
            lines.append(f"    {s.group}: {s.what}: {s.value:.6g} / {s.limit:.6g} / {s.slack:.6g}{tag}")
    groups = _groups(instance)
    if groups:
        others = [g for g in groups if g not in e.binding]
        lines.append(f"  binding (dropping it alone improves the optimum): {', '.join(e.binding) or 'none'}")
        if others:
            lines.append(f"  not binding: {', '.join(others)}")
        if e.unconstrained_objective is not None:
            lines.append(f"  without any constraint: {e.unconstrained_objective:.6g}")
    lines.append("  other shapes:")
    for r in e.shapes:
        if r.plan is None:
            lines.append(f"    {r.shape}: none ({'; '.join(r.breaks)})")
            continue
        worse = r.objective - e.objective
        rel = f" ({worse / e.objective:+.1%})" if e.objective else ""
        verdict = f"worse by {worse:.6g}{rel}" if worse >= 0 else f"better by {-worse:.6g}{rel}"
        status = f"breaks {', '.join(r.breaks)}" if r.breaks else "feasible"
        lines.append(f"    {r.shape}: {plan_label(instance, r.plan)}: {r.objective:.6g}, {verdict}; {status}")
    return "\n".join(lines)
