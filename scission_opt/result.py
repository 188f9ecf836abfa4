"""One status enum and one result type for every solver."""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .evaluate import Metrics
from .plan import Plan

if TYPE_CHECKING:
    from .instance import Instance


#: A relative gap at or below this proves a plan optimal (the solvers' own tolerance is no finer).
GAP_TOL = 1e-9


def format_gap(gap: float) -> str:
    """A relative gap as a percentage with enough digits that a non-zero gap never reads as 0."""
    if gap <= 0:
        return "0%"
    pct = gap * 100
    digits = max(2, 1 - math.floor(math.log10(pct)) + 1) if pct < 1 else 2
    return f"{pct:.{min(digits, 12)}f}%"


class Status(enum.Enum):
    """How a solve ended."""

    OPTIMAL = "optimal"
    """A plan was found and proven optimal (within the solver's stated tolerance)."""

    FEASIBLE = "feasible"
    """A feasible plan was found, but the solver stopped (time limit) before proving it optimal."""

    INFEASIBLE = "infeasible"
    """Proven: no plan satisfies every constraint."""

    TIME_LIMIT = "time_limit"
    """The solver stopped at its time limit without any feasible plan; feasibility is unknown."""

    @property
    def has_plan(self) -> bool:
        return self in (Status.OPTIMAL, Status.FEASIBLE)


@dataclass(frozen=True)
class RankedPlan:
    """A plan with its metrics and objective value, both computed by the evaluator."""

    plan: Plan
    metrics: Metrics
    objective: float


@dataclass(frozen=True)
class SolveResult:
    """What every solver returns.

    Attributes
    ----------
    status
        See :class:`Status`.
    solver
        Name of the solver that produced the result.
    objective_name
        Name of the objective minimised.
    plans
        The best plan first, then the next best distinct plans for top-k
        requests; empty without a feasible plan. Objectives and metrics come
        from :func:`scission_opt.evaluate.evaluate`, never from the solver.
    bound
        Best proven lower bound on the objective where the solver knows one
        (``objective`` itself when optimal), else ``nan``.
    wall_time_s
        Wall-clock time of the solve, model building included.
    message
        Human-readable detail: why the solver stopped, or which constraint
        groups conflict for an infeasible instance.
    conflicts
        For infeasible instances, the names of constraint groups whose removal
        alone makes the instance feasible (see ``explain_infeasibility``).
    method
        The method that produced (and, when optimal, proved) the answer, e.g.
        ``segment DP`` or ``Lagrangian bound + label setting``; empty when the
        solver does not say.
    """

    status: Status
    solver: str
    objective_name: str
    plans: tuple[RankedPlan, ...] = ()
    bound: float = math.nan
    wall_time_s: float = 0.0
    message: str = ""
    conflicts: tuple[str, ...] = field(default=())
    method: str = ""

    def __post_init__(self) -> None:
        if self.status.has_plan and not self.plans:
            raise ValueError(f"status {self.status.value} needs a plan")
        for ranked in self.plans:
            if not ranked.metrics.feasible:
                raise ValueError(f"solver {self.solver} returned an infeasible plan: {ranked.metrics.violations[0]}")
        objectives = [p.objective for p in self.plans]
        if any(b < a - 1e-9 * max(1.0, abs(a)) for a, b in zip(objectives, objectives[1:])):
            raise ValueError(f"solver {self.solver} returned plans out of order: {objectives}")

    @property
    def plan(self) -> Plan | None:
        return self.plans[0].plan if self.plans else None

    @property
    def metrics(self) -> Metrics | None:
        return self.plans[0].metrics if self.plans else None

    @property
    def objective(self) -> float:
        return self.plans[0].objective if self.plans else math.nan

    @property
    def gap(self) -> float:
        """Relative gap between objective and bound (0 when optimal, nan when unknown)."""
        if not self.plans or math.isnan(self.bound):
            return math.nan
        return abs(self.objective - self.bound) / max(abs(self.objective), 1e-12)

    @property
    def proven(self) -> bool:
        """Whether the best plan is proven optimal: status optimal, or a bound equal to it within :data:`GAP_TOL`."""
        if self.status is Status.OPTIMAL:
            return True
        return self.status is Status.FEASIBLE and not math.isnan(self.gap) and self.gap <= GAP_TOL

    def status_text(self) -> str:
        """The status in words: ``optimal``; ``feasible, proven optimal by its bound``; or the gap with
        enough digits to be non-zero; ``infeasible``; ``time_limit``."""
        if self.status is not Status.FEASIBLE:
            return self.status.value
        if self.proven:
            return "feasible, best plan proven optimal (the bound equals its objective)"
        if math.isnan(self.gap):
            return "feasible, not proven optimal (no bound)"
        return f"feasible, not proven optimal: gap {format_gap(self.gap)}"

    def to_dict(self, instance: Instance) -> dict[str, Any]:
        return {
            "status": self.status.value,
            "proven_optimal": self.proven,
            "method": self.method,
            "solver": self.solver,
            "objective_name": self.objective_name,
            "objective": None if math.isnan(self.objective) else self.objective,
            "bound": None if math.isnan(self.bound) else self.bound,
            "gap": None if math.isnan(self.gap) else self.gap,
            "wall_time_s": self.wall_time_s,
            "message": self.message,
            "conflicts": list(self.conflicts),
            "plans": [
                {
                    "rank": i + 1,
                    "objective": p.objective,
                    "plan": p.plan.to_dict(instance),
                    "metrics": p.metrics.to_dict(),
                }
                for i, p in enumerate(self.plans)
            ],
        }
