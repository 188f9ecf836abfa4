"""The DAG reference solver: every monotone node -> tier assignment times every system choice.

Assignments are built in topological (index) order, each node on a tier at least
its inputs' highest tier: exactly the nested down-sets of formulations/dag.md.
Every plan is scored by the evaluator, so any objective and constraint is
supported; it is meant for small DAGs (see :data:`MAX_PLANS`).
"""

from __future__ import annotations

import heapq
import itertools
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

from ..evaluate import evaluate
from ..objectives import Objective
from ..plan import Plan
from ..result import SolveResult, Status
from ..solvers.base import require_supported
from .base import dag_problem, finish_dag

if TYPE_CHECKING:
    from ..instance import Instance

#: Plans (assignment x system choice) above which the solver refuses the instance.
MAX_PLANS = 200_000
#: Nodes above which the solver refuses without counting.
MAX_NODES = 40


def assignments(instance: Instance) -> Iterator[tuple[int, ...]]:
    """Every assignment with ``tier(u) <= tier(v)`` on every edge, in lexicographic order."""
    n, T = instance.n_nodes, instance.n_tiers
    inputs = [node.inputs for node in instance.nodes]
    tiers = [0] * n

    def place(v: int) -> Iterator[tuple[int, ...]]:
        if v == n:
            yield tuple(tiers)
            return
        low = max((tiers[u] for u in inputs[v]), default=0)
        for t in range(low, T):
            tiers[v] = t
            yield from place(v + 1)

    yield from place(0)


def count_assignments(instance: Instance, cap: int = MAX_PLANS + 1) -> int:
    """How many monotone assignments there are, counting up to ``cap``."""
    return sum(1 for _ in itertools.islice(assignments(instance), cap))


def plans(instance: Instance, assignment: tuple[int, ...]) -> Iterator[Plan]:
    """Every system choice for ``assignment``: one system per used tier, an origin always."""
    per_tier = []
    used = set(assignment)
    for t in range(instance.n_tiers):
        names = [s.name for s in instance.systems if s.tier == instance.tiers[t]]
        per_tier.append(names if t == 0 or t in used else [None])
    for combo in itertools.product(*per_tier):
        yield Plan.from_assignment(assignment, tuple(combo))


class DagExhaustive:
    """Every monotone assignment and system choice, each scored by the evaluator."""

    name = "dag-exhaustive"

    def is_available(self) -> bool:
        return True

    def unsupported(self, instance: Instance, objective: Objective) -> str | None:
        problem = dag_problem(instance)
        if problem:
            return problem
        if instance.n_nodes > MAX_NODES:
            return f"more than {MAX_NODES} nodes; use dag-mincut or dag-cpsat"
        per_tier = max(sum(1 for s in instance.systems if s.tier == tier) for tier in instance.tiers)
        if (
            count_assignments(instance, MAX_PLANS // per_tier**instance.n_tiers + 1) * per_tier**instance.n_tiers
            > MAX_PLANS
        ):
            return f"more than {MAX_PLANS} plans to enumerate; use dag-mincut or dag-cpsat"
        return None

    def solve(
        self, instance: Instance, objective: Objective, *, top_k: int = 1, time_limit: float | None = None
    ) -> SolveResult:
        started = time.perf_counter()
        require_supported(self, instance, objective, top_k)
        best: list[tuple[float, int, Plan]] = []  # max-heap of the top_k by negated value
        counter = itertools.count()
        status = Status.OPTIMAL
        for assignment in assignments(instance):
            if time_limit is not None and time.perf_counter() - started > time_limit:
                status = Status.FEASIBLE
                break
            for plan in plans(instance, assignment):
                metrics = evaluate(instance, plan)
                if not metrics.feasible:
                    continue
                value = float(objective.value(instance, plan, metrics))
                item = (-value, -next(counter), plan)
                if len(best) < top_k:
                    heapq.heappush(best, item)
                elif -value > best[0][0]:
                    heapq.heapreplace(best, item)
        if status is Status.FEASIBLE and not best:
            status = Status.TIME_LIMIT
        return finish_dag(
            instance, objective, self.name, [p for _, _, p in best], status=status, started=started, top_k=top_k
        )
