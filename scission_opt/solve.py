"""The one entry point: ``solve(instance) -> SolveResult``, with ``auto`` solver choice and
an explanation of infeasibility, all inside one time budget."""

from __future__ import annotations

import dataclasses
import inspect
import math
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from .budget import Budget
from .errors import ScissionError, UnsupportedError
from .limits import MAX_TOP_K
from .objectives import Objective, get_objective, objective_needs
from .result import SolveResult, Status
from .solvers import Solver, get_solver
from .solvers.base import unsupported_by

if TYPE_CHECKING:
    from .instance import Instance

#: ``auto`` tries these in order and takes the first that supports the instance:
#: the segment DP and its exact methods (bottleneck, coupling constraints) are
#: fastest where they apply; CP-SAT and CBC cover every additive objective and
#: constraint; exhaustive covers everything else.
AUTO_ORDER = ("dp", "cpsat", "cbc", "exhaustive", "dag-mincut", "dag-cpsat", "dag-exhaustive")


def _candidates(instance: Instance, objective: Objective, top_k: int) -> Iterator[Solver]:
    """Available solvers of :data:`AUTO_ORDER` that support the problem (by their declared features), in order.

    Lazy: a solver's module is imported only when the ones before it did not do.

    Raises
    ------
    UnsupportedError
        When none does, with every reason (a reason shared by several solvers said once).
    """
    reasons: dict[str, list[str]] = {}  # reason -> solvers, so a shared reason is said once
    found = False
    for name in AUTO_ORDER:
        solver = get_solver(name)
        if not solver.is_available():
            reasons.setdefault("not installed", []).append(name)
            continue
        why = unsupported_by(solver, instance, objective, top_k)
        if why is None:
            found = True
            yield solver
        else:
            reasons.setdefault(why, []).append(name)
    if not found:
        said = "; ".join(f"{', '.join(names)}: {why}" for why, names in reasons.items())
        raise UnsupportedError(f"{instance.source}: no solver supports this instance: {said}")


def choose_solver(instance: Instance, objective: Objective, top_k: int = 1) -> Solver:
    """The first solver in :data:`AUTO_ORDER` that is available and supports the instance."""
    return next(_candidates(instance, objective, top_k))


def _accepts(solver: Solver, keyword: str) -> bool:
    try:
        return keyword in inspect.signature(solver.solve).parameters
    except (TypeError, ValueError):
        return False


def run_solver(
    solver: Solver,
    instance: Instance,
    objective: Objective,
    top_k: int,
    budget: Budget,
    start_from: SolveResult | None = None,
) -> SolveResult:
    """Call ``solver`` inside ``budget``, handing it a known plan and bound where it takes them."""
    kwargs: dict[str, Any] = {"top_k": top_k}
    if _accepts(solver, "budget"):
        kwargs["budget"] = budget
    else:
        kwargs["time_limit"] = budget.remaining_or_none()
    if start_from is not None and start_from.plans:
        if _accepts(solver, "incumbent"):
            kwargs["incumbent"] = start_from.plans[0].plan
        if _accepts(solver, "bound") and not math.isnan(start_from.bound):
            kwargs["bound"] = start_from.bound
    return solver.solve(instance, objective, **kwargs)


def _better(first: SolveResult, second: SolveResult) -> SolveResult:
    """The more useful of two answers to the same problem: proven first, then a plan, then the better plan."""
    if first.proven != second.proven:
        return first if first.proven else second
    if bool(first.plans) != bool(second.plans):
        return first if first.plans else second
    if first.plans and second.objective < first.objective:
        bound = max(first.bound, second.bound) if not math.isnan(first.bound) else second.bound
        return dataclasses.replace(second, bound=bound)
    if first.plans and not math.isnan(second.bound) and (math.isnan(first.bound) or second.bound > first.bound):
        return dataclasses.replace(first, bound=second.bound)
    return first


def _auto(instance: Instance, objective: Objective, top_k: int, budget: Budget) -> SolveResult:
    """The first solver that supports the problem; if it stops unproven, the next ones, started from its answer."""
    chosen = _candidates(instance, objective, top_k)
    result = run_solver(next(chosen), instance, objective, top_k, budget)
    while True:
        # a bound proves the best plan only: for top-k, only status optimal proves the list
        done = result.status in (Status.OPTIMAL, Status.INFEASIBLE) or (top_k == 1 and result.proven)
        if done or budget.expired():
            break
        fallback = next(chosen, None)  # imported only now
        if fallback is None or fallback.name == "exhaustive":
            break
        more = run_solver(fallback, instance, objective, top_k, budget, start_from=result)
        note = f"{result.solver} stopped unproven ({result.method or result.status.value}); {more.solver} continued"
        result = _better(result, more)
        result = dataclasses.replace(result, message="; ".join(m for m in (note, result.message) if m))
    return result


def solve(
    instance: Instance,
    solver: str | Solver = "auto",
    objective: str | Objective | None = None,
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
        ``cpsat``) or a solver object. ``auto`` takes the first solver that
        supports the problem and, should it stop unproven, hands its plans and
        bound to the next.
    objective
        An objective name, ``package.module:name``, or an objective object;
        ``None`` takes the instance's own objective (latency by default).
    top_k
        How many distinct plans to return, best first.
    time_limit
        Wall-clock seconds for the whole call (model building, every solver
        and the explanation of infeasibility); the status says whether the
        answer was proven optimal.
    weights
        Weights for the ``weighted`` objective.
    explain
        For an infeasible instance, find which constraint groups conflict
        (one feasibility check per active group).

    Returns
    -------
    SolveResult
        Plans re-scored by :func:`scission_opt.evaluate`; ``wall_time_s`` covers the whole call.
    """
    budget = Budget(time_limit)
    if top_k < 1:
        raise ValueError("top_k must be >= 1")
    top_k = min(top_k, max(1, instance.plan_count))  # no solver need hold room for plans that cannot exist
    if top_k > MAX_TOP_K:
        raise ScissionError(f"top_k: at most {MAX_TOP_K} plans may be asked for, got {top_k}")
    obj = get_objective(objective if objective is not None else instance.objective, weights)
    _check_energy_data(instance, obj)
    if isinstance(solver, str) and solver == "auto":
        result = _auto(instance, obj, top_k, budget)
    else:
        chosen = get_solver(solver) if isinstance(solver, str) else solver
        result = run_solver(chosen, instance, obj, top_k, budget)
    if result.status is Status.INFEASIBLE and explain:
        result = dataclasses.replace(result, **_explain(instance, obj, budget))
    return dataclasses.replace(result, wall_time_s=budget.elapsed())


def _check_energy_data(instance: Instance, objective: Objective) -> None:
    from .objectives import require_power

    if instance.constraints.energy_budget_j is not None:
        require_power(instance, "the energy budget")
    if objective_needs(objective, instance).power:
        require_power(instance, "the energy objective")


def _explain(instance: Instance, objective: Objective, budget: Budget) -> dict[str, Any]:
    """Which single constraint groups, when dropped, make the instance feasible."""
    groups = instance.constraints.groups(instance.n_tiers)
    memory_caps = any(s.memory_bytes is not None for s in instance.systems)
    trials = [(g, instance.replace(constraints=instance.constraints.without(g, instance.n_tiers))) for g in groups]
    if memory_caps:
        caps_off = instance.replace(systems=tuple(dataclasses.replace(s, memory_bytes=None) for s in instance.systems))
        trials.append(("memory", caps_off))
    relaxed: list[str] = []
    for group, trial in trials:
        found = _feasible(trial, objective, budget)
        if found is None:
            return {"message": "infeasible; the explanation stopped at the time limit", "conflicts": tuple(relaxed)}
        if found:
            relaxed.append(group)
    if relaxed:
        message = "infeasible; dropping any one of these constraint groups makes it feasible: " + ", ".join(relaxed)
    elif groups or memory_caps:
        message = "infeasible; no single constraint group is to blame: several conflict together"
        unconstrained = _feasible(_unconstrained(instance), objective, budget)
        if unconstrained:
            message += " (the instance without constraints is feasible)"
        elif unconstrained is not None:
            message += "; even without any constraint no plan exists (missing links?)"
    else:
        message = "infeasible without any constraint: the links do not let data reach any tier that can run the model"
    return {"conflicts": tuple(relaxed), "message": message}


def _unconstrained(instance: Instance) -> Instance:
    from .instance import Constraints

    return instance.replace(
        constraints=Constraints(),
        systems=tuple(dataclasses.replace(s, memory_bytes=None) for s in instance.systems),
    )


def _feasible(instance: Instance, objective: Objective, budget: Budget) -> bool | None:
    """Whether ``instance`` has a feasible plan (``None``: the budget ran out before it was known)."""
    if budget.expired():
        return None
    from .solvers.base import chain_problem

    if chain_problem(instance) is None:
        from .solvers.dp import feasible

        return feasible(instance, budget)
    result = run_solver(choose_solver(instance, objective), instance, objective, 1, budget)
    if result.status in (Status.FEASIBLE, Status.OPTIMAL):
        return True
    return None if result.status is Status.TIME_LIMIT else False
