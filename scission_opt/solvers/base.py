"""The solver plug-in protocol and helpers every solver shares."""

from __future__ import annotations

import enum
import math
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np

from ..errors import UnsupportedError
from ..evaluate import evaluate
from ..objectives import Objective, is_additive, objective_needs
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

    def unsupported(self, instance: Instance, objective: Objective) -> str | None:
        """Why this solver cannot solve ``instance`` with ``objective`` exactly, or ``None``."""
        ...

    def solve(
        self, instance: Instance, objective: Objective, *, top_k: int = 1, time_limit: float | None = None
    ) -> SolveResult:
        """Solve; returns the ``top_k`` best distinct plans, best first."""
        ...


def require_supported(solver: Solver, instance: Instance, objective: Objective, top_k: int = 1) -> None:
    """Raise :class:`UnsupportedError`, naming the file, when :func:`unsupported_by` gives a reason."""
    why = unsupported_by(solver, instance, objective, top_k)
    if why:
        raise UnsupportedError(f"{instance.source}: solver {solver.name!r} cannot solve this instance: {why}")


def chain_problem(instance: Instance) -> str | None:
    """Why a chain-only solver cannot take ``instance``, or ``None``."""
    if not instance.is_chain:
        return "the model is not a chain (a node has inputs other than the previous node); only chains are supported"
    return None


class Feature(enum.Enum):
    """What a problem may ask of a solver; a solver lists those it handles exactly in ``features``."""

    CHAIN = "a chain model"
    DAG = "a model that is not a chain"
    ADDITIVE = "an additive objective"
    NOT_ADDITIVE = "an objective that is not additive (no terms())"
    BOTTLENECK = "a bottleneck (throughput) term in the objective"
    PCT_LIMITS = "compute-time limits in percent of the total"
    DEADLINE = "an end-to-end deadline"
    IDLE_ENERGY_BUDGET = "an energy budget with idle power (it depends on the end-to-end latency)"
    SEGMENT_OVERHEAD = "a segment fixed cost (segment_overhead_s)"
    TOP_K = "top-k"
    TOP_K_BOTTLENECK_COUPLED = "top-k with a bottleneck term and a coupling constraint"


#: The constraints that couple segments (a sum over all of them is limited).
COUPLING = frozenset({Feature.PCT_LIMITS, Feature.DEADLINE, Feature.IDLE_ENERGY_BUDGET})


def idle_energy_budget(instance: Instance) -> bool:
    """Whether the energy budget depends on the end-to-end latency (a first-tier candidate has idle power)."""
    c = instance.constraints
    return c.energy_budget_j is not None and any(instance.systems[s].idle_w for s in instance.candidates[0])


def required_features(instance: Instance, objective: Objective, top_k: int = 1) -> frozenset[Feature]:
    """Every :class:`Feature` that solving ``instance`` for ``objective`` (``top_k`` plans) asks for."""
    c = instance.constraints
    need = {Feature.CHAIN if instance.is_chain else Feature.DAG}
    need.add(Feature.ADDITIVE if is_additive(objective) else Feature.NOT_ADDITIVE)
    if objective_needs(objective, instance).bottleneck:
        need.add(Feature.BOTTLENECK)
    if any(v is not None for v in c.compute_time_limit_pct):
        need.add(Feature.PCT_LIMITS)
    if c.deadline_s is not None:
        need.add(Feature.DEADLINE)
    if idle_energy_budget(instance):
        need.add(Feature.IDLE_ENERGY_BUDGET)
    if any(s.segment_overhead_s for s in instance.systems):
        need.add(Feature.SEGMENT_OVERHEAD)
    if top_k > 1:
        need.add(Feature.TOP_K)
        if Feature.BOTTLENECK in need and need & COUPLING:
            need.add(Feature.TOP_K_BOTTLENECK_COUPLED)
    return frozenset(need)


def missing_features(
    features: frozenset[Feature], instance: Instance, objective: Objective, top_k: int = 1
) -> str | None:
    """Why a solver with ``features`` cannot take the problem (the first missing feature), or ``None``."""
    missing = sorted(required_features(instance, objective, top_k) - features, key=lambda f: list(Feature).index(f))
    if not missing:
        return None
    if missing[0] is Feature.NOT_ADDITIVE:
        return f"objective {objective.name!r} is not additive (no terms())"
    if missing[0] is Feature.DAG:
        return chain_problem(instance)
    return f"it does not support {missing[0].value}"


def unsupported_by(solver: object, instance: Instance, objective: Objective, top_k: int = 1) -> str | None:
    """Why ``solver`` cannot take the problem: its declared ``features`` first, then its own ``unsupported()``."""
    features = getattr(solver, "features", None)
    if features is not None:
        why = missing_features(features, instance, objective, top_k)
        if why:
            return why
    return solver.unsupported(instance, objective)  # type: ignore[attr-defined]


def allowed_nodes(instance: Instance) -> np.ndarray:
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
    untrusted = np.array([not s.trusted for s in instance.systems])
    if c.privacy_nodes:
        ok[: c.privacy_nodes, untrusted] = False
    if c.privacy_set:  # a named set is a pin to the trusted systems
        ok[np.ix_(np.array(sorted(c.privacy_set), dtype=int), untrusted)] = False
    return ok


def origins(instance: Instance) -> list[int]:
    """First-tier systems that may hold the raw input."""
    cands = list(instance.candidates[0])
    if instance.constraints.privacy_nodes:
        cands = [s for s in cands if instance.systems[s].trusted]
    return cands


def terms_by_origin(instance: Instance, objective: Objective) -> list[tuple[list[int], object]]:
    """Group origin systems by the additive terms they imply: ``[(origins, terms), ...]``."""
    if not is_additive(objective):
        return [(origins(instance), None)]
    if objective.depends_on_origin(instance):
        return [([o], objective.terms(instance, o)) for o in origins(instance)]
    return [(origins(instance), objective.terms(instance, None))]


def objective_value(instance: Instance, plan: Plan, objective: Objective) -> tuple[float, object]:
    """Evaluate ``plan`` once: ``(objective value, metrics)``."""
    metrics = evaluate(instance, plan)
    return float(objective.value(instance, plan, metrics)), metrics


def finish(
    instance: Instance,
    objective: Objective,
    solver: str,
    plans: Iterable[Plan],
    *,
    status: Status,
    started: float,
    bound: float = math.nan,
    top_k: int = 1,
    message: str = "",
    method: str = "",
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
        method=method,
    )
