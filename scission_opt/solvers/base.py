"""The solver plug-in protocol and helpers every solver shares."""

from __future__ import annotations

import math
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np

from ..errors import UnsupportedError
from ..evaluate import evaluate
from ..objectives import Objective, is_additive
from ..plan import Plan
from ..result import RankedPlan, SolveResult, Status

if TYPE_CHECKING:
    from ..instance import Instance


@runtime_checkable
class Solver(Protocol):
    """A solver: a name, a cheap availability check, a support check and ``solve``."""

    name: str

    def is_available(self) -> bool:
        """Whether the solver's library can be imported here (cheap)."""
        ...

    def unsupported(self, instance: "Instance", objective: Objective) -> str | None:
        """Why this solver cannot solve ``instance`` with ``objective`` exactly, or ``None``."""
        ...

    def solve(
        self, instance: "Instance", objective: Objective, *, top_k: int = 1, time_limit: float | None = None
    ) -> SolveResult:
        """Solve; returns the ``top_k`` best distinct plans, best first."""
        ...


def require_supported(solver: Solver, instance: "Instance", objective: Objective) -> None:
    why = solver.unsupported(instance, objective)
    if why:
        raise UnsupportedError(f"solver {solver.name!r} cannot solve this instance: {why}")


def chain_problem(instance: "Instance", *, overhead: bool = False) -> str | None:
    """Why ``instance`` is not a chain this solver can take; ``overhead``: the solver models ``segment_overhead_s``."""
    if not instance.is_chain:
        return "the model is not a chain (a node has inputs other than the previous node); only chains are supported"
    if not overhead and any(s.segment_overhead_s for s in instance.systems):
        return "segment_overhead_s is not yet modelled by this solver"
    return None


def allowed_nodes(instance: "Instance") -> np.ndarray:
    """``(n, S)`` booleans: node ``i`` may run on system ``s`` under pins, bans, privacy, filters, forbidden tiers."""
    n, S = instance.n_nodes, instance.n_systems
    c = instance.constraints
    tier = instance.system_tier
    ok = np.zeros((n, S), dtype=bool)
    for t, cands in enumerate(instance.candidates):
        if t not in c.tiers_forbidden:
            ok[:, list(cands)] = True
    for node, t in c.pins:
        ok[node, tier != t] = False
    for node, t in c.bans:
        ok[node, tier == t] = False
    if c.privacy_nodes:
        untrusted = np.array([not s.trusted for s in instance.systems])
        ok[: c.privacy_nodes, untrusted] = False
    return ok


def origins(instance: "Instance") -> list[int]:
    """First-tier systems that may hold the raw input."""
    cands = list(instance.candidates[0])
    if instance.constraints.privacy_nodes:
        cands = [s for s in cands if instance.systems[s].trusted]
    return cands


def terms_by_origin(instance: "Instance", objective: Objective) -> list[tuple[list[int], object]]:
    """Group origin systems by the additive terms they imply: ``[(origins, terms), ...]``."""
    if not is_additive(objective):
        return [(origins(instance), None)]
    if objective.depends_on_origin(instance):  # type: ignore[attr-defined]
        return [([o], objective.terms(instance, o)) for o in origins(instance)]  # type: ignore[attr-defined]
    return [(origins(instance), objective.terms(instance, None))]  # type: ignore[attr-defined]


def objective_value(instance: "Instance", plan: Plan, objective: Objective) -> tuple[float, object]:
    """Evaluate ``plan`` once: ``(objective value, metrics)``."""
    metrics = evaluate(instance, plan)
    return float(objective.value(instance, plan, metrics)), metrics


def finish(
    instance: "Instance",
    objective: Objective,
    solver: str,
    plans: Iterable[Plan],
    *,
    status: Status,
    started: float,
    bound: float = math.nan,
    top_k: int = 1,
    message: str = "",
) -> SolveResult:
    """Re-score candidate plans with the evaluator and build the result.

    Plans the evaluator finds infeasible are an internal error of the solver and
    raise; duplicates are dropped; the rest are sorted by the re-scored objective.
    """
    ranked: list[RankedPlan] = []
    seen: set[Plan] = set()
    for plan in plans:
        if plan in seen:
            continue
        seen.add(plan)
        value, metrics = objective_value(instance, plan, objective)
        if not metrics.feasible:  # type: ignore[attr-defined]
            raise AssertionError(f"{solver} produced a plan the evaluator rejects: {metrics.violations[0]}")  # type: ignore[attr-defined]
        ranked.append(RankedPlan(plan, metrics, value))  # type: ignore[arg-type]
    ranked.sort(key=lambda r: (r.objective, r.plan))
    ranked = ranked[:top_k]
    if not ranked and status.has_plan:
        status = Status.INFEASIBLE
    if status is Status.OPTIMAL and math.isnan(bound) and ranked:
        bound = ranked[0].objective
    return SolveResult(
        status=status,
        solver=solver,
        objective_name=objective.name,
        plans=tuple(ranked),
        bound=bound,
        wall_time_s=time.perf_counter() - started,
        message=message,
    )
