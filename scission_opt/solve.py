"""The one entry point: ``solve(instance) -> SolveResult``, with ``auto`` solver choice and
an explanation of infeasibility."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from .errors import UnsupportedError
from .objectives import Objective, get_objective
from .result import SolveResult, Status
from .solvers import Solver, get_solver

if TYPE_CHECKING:
    from .instance import Instance

#: ``auto`` tries these in order and takes the first that supports the instance:
#: the segment DP is exact and fastest where it applies; CP-SAT and CBC cover
#: every additive objective and constraint; exhaustive covers everything else.
AUTO_ORDER = ("dp", "cpsat", "cbc", "exhaustive", "dag-mincut", "dag-cpsat", "dag-exhaustive")


def choose_solver(instance: "Instance", objective: Objective) -> Solver:
    """The first solver in :data:`AUTO_ORDER` that is available and supports the instance."""
    reasons = []
    for name in AUTO_ORDER:
        solver = get_solver(name)
        if not solver.is_available():
            reasons.append(f"{name}: not installed")
            continue
        why = solver.unsupported(instance, objective)
        if why is None:
            return solver
        reasons.append(f"{name}: {why}")
    raise UnsupportedError("no solver supports this instance: " + "; ".join(reasons))


def solve(
    instance: "Instance",
    solver: str | Solver = "auto",
    objective: "str | Objective | None" = None,
    *,
    top_k: int = 1,
    time_limit: float | None = None,
    weights: dict[str, float] | None = None,
    explain: bool = True,
) -> SolveResult:
    """Find the best plan (or the ``top_k`` best distinct plans).

    Parameters
    ----------
    instance
        The problem, e.g. from :func:`scission_opt.load_instance`.
    solver
        ``"auto"`` (default), a solver name (``exhaustive``, ``dp``, ``cbc``,
        ``cpsat``) or a solver object.
    objective
        An objective name, ``package.module:name``, or an objective object;
        ``None`` takes the instance's own objective (latency by default).
    top_k
        How many distinct plans to return, best first.
    time_limit
        Wall-clock seconds for the solver; the status says whether the answer
        was proven optimal.
    weights
        Weights for the ``weighted`` objective.
    explain
        For an infeasible instance, find which constraint groups conflict
        (one extra solve per active group).

    Returns
    -------
    SolveResult
        Plans re-scored by :func:`scission_opt.evaluate`.
    """
    if top_k < 1:
        raise ValueError("top_k must be >= 1")
    obj = get_objective(objective if objective is not None else instance.objective, weights)
    if isinstance(solver, str):
        chosen = choose_solver(instance, obj) if solver == "auto" else get_solver(solver)
    else:
        chosen = solver
    _check_energy_data(instance, obj)
    result = chosen.solve(instance, obj, top_k=top_k, time_limit=time_limit)
    if result.status is Status.INFEASIBLE and explain:
        result = dataclasses.replace(result, **_explain(instance, obj, result))
    return result


def _check_energy_data(instance: "Instance", objective: Objective) -> None:
    from .objectives import require_power

    if instance.constraints.energy_budget_j is not None:
        require_power(instance, "the energy budget")
    if objective.name == "energy" or any(k == "energy" and w for k, w in getattr(objective, "weights", ())):
        require_power(instance, "the energy objective")


def _explain(instance: "Instance", objective: Objective, result: SolveResult) -> dict[str, Any]:
    """Which single constraint groups, when dropped, make the instance feasible."""
    groups = instance.constraints.groups(instance.n_tiers)
    memory_caps = any(s.memory_bytes is not None for s in instance.systems)
    relaxed: list[str] = []
    for group in groups:
        trial = instance.replace(constraints=instance.constraints.without(group, instance.n_tiers))
        if _feasible(trial, objective):
            relaxed.append(group)
    if memory_caps:
        caps_off = instance.replace(systems=tuple(dataclasses.replace(s, memory_bytes=None) for s in instance.systems))
        if _feasible(caps_off, objective):
            relaxed.append("memory")
    if relaxed:
        message = "infeasible; dropping any one of these constraint groups makes it feasible: " + ", ".join(relaxed)
    elif groups or memory_caps:
        message = "infeasible; no single constraint group is to blame: several conflict together"
        if _feasible(_unconstrained(instance), objective):
            message += " (the instance without constraints is feasible)"
        else:
            message += "; even without any constraint no plan exists (missing links?)"
    else:
        message = "infeasible without any constraint: the links do not let data reach any tier that can run the model"
    return {"conflicts": tuple(relaxed), "message": message}


def _unconstrained(instance: "Instance") -> "Instance":
    from .instance import Constraints

    return instance.replace(
        constraints=Constraints(),
        systems=tuple(dataclasses.replace(s, memory_bytes=None) for s in instance.systems),
    )


def _feasible(instance: "Instance", objective: Objective) -> bool:
    return choose_solver(instance, objective).solve(instance, objective).status.has_plan
