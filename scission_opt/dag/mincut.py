"""Exact DAG partitioning by minimum cut, for additive objectives and per-node constraints.

For every origin, every set of used tiers and every system per used tier, the best
node -> stop labelling is one s-t minimum cut on Ishikawa's layered graph
(:mod:`.cutgraph`); the best over all choices is the optimum. formulations/dag.md proves it:

- the stops are fixed, so every hop's fixed cost and every used tier's segment cost is a
  constant; only node costs and per-byte crossing costs vary, and those the cut models exactly;
- the cut may leave a stop empty. Such a labelling is not a plan with those stops, so a
  choice whose best labelling leaves a required stop ``j`` empty is split by the first node
  (in index order) on ``j``: node ``v`` forced onto ``j``, nodes before ``v`` kept off it.
  The branches are disjoint, cover every labelling with ``j`` used, and each is again one
  cut; branches whose bound cannot beat the incumbent are dropped, first by a forcing bound
  computed for all of them at once (:func:`.cutgraph.forcing_bounds`: ``v``'s ancestors below
  ``j``, its descendants on or after it, a tensor on every hop of a path through it), then by
  their cut value. A branched choice re-uses one max-flow network (:class:`.cutgraph.Cut`).
  No branching is needed when
  the labelling, scored as the plan it is (on the stops it uses), costs no more than the cut's
  bound: that plan is then at least as good as anything in the branch (dominance), which is
  the usual case when a relay through an empty tier is no cheaper than the direct hop.

Costs are scaled to integers (about 2^40 units for the sum of every finite cost) for the
integer max-flow of OR-Tools (SciPy's ``maximum_flow`` takes int32 capacities, far too coarse);
the bound subtracts the largest rounding error, so ``optimal`` means optimal within
``bound``, and the returned plan is re-scored by the evaluator.
"""

from __future__ import annotations

import heapq
import itertools
import math
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from ..budget import Budget
from ..evaluate import evaluate
from ..objectives import Objective, additive_value, is_additive
from ..plan import Plan
from ..result import SolveResult, Status
from ..solvers.base import allowed_nodes, finish, require_supported, terms_by_origin
from .cutgraph import SCALE_UNITS, Cut, cut_graph, forcing_bounds, min_labelling
from .model import structure

if TYPE_CHECKING:
    from ..instance import Instance
    from ..objectives import Terms


def _coupling(instance: Instance) -> list[str]:
    """Constraint groups that are not a per-node restriction (the cut cannot model them)."""
    c = instance.constraints
    out = []
    if any(instance.systems[s].memory_bytes is not None for cands in instance.candidates for s in cands):
        out.append("memory capacities")
    if c.energy_budget_j is not None:
        out.append("energy_budget")
    if any(v is not None for v in c.upload_limit_bytes):
        out.append("upload_limits")
    if any(v is not None for v in c.compute_time_limit_s):
        out.append("compute_time_limits")
    if any(v is not None for v in c.compute_time_limit_pct):
        out.append("compute_time_pct_limits")
    if c.deadline_s is not None:
        out.append("deadline")
    return out


@dataclass(frozen=True, eq=False)
class _Choice:
    """One origin, set of stops and system per stop, with the cut's data (equal only to itself)."""

    stops: tuple[int, ...]  # tiers, stops[0] == 0 (the origin's tier)
    systems: tuple[int, ...]  # system per stop
    must_use: tuple[int, ...]  # stops that must run a node (every later stop; stop 0 when tier 0 is used)
    constant: float  # hop fixed costs, segment costs, the return hop
    unary: np.ndarray  # (n, m + 1)
    per_byte: np.ndarray  # (m,)
    scale: float
    error: float  # largest rounding error of a labelling, in cost units
    terms: Terms


class DagMinCut:
    """Minimum s-t cuts on Ishikawa's layered graph, one per choice of stops and systems."""

    name = "dag-mincut"

    def is_available(self) -> bool:
        try:
            from ortools.graph.python import max_flow  # noqa: F401
        except ImportError:
            return False
        return True

    def unsupported(self, instance: Instance, objective: Objective) -> str | None:
        if not is_additive(objective):
            return f"objective {objective.name!r} is not additive"
        terms = terms_by_origin(instance, objective)
        if any(t is not None and t.bottleneck_weight for _, t in terms):  # type: ignore[attr-defined]
            return "the bottleneck (throughput) couples every stage; use dag-cpsat"
        return None

    def solve(
        self, instance: Instance, objective: Objective, *, top_k: int = 1, time_limit: float | None = None
    ) -> SolveResult:
        """Solve by cuts; constraints that couple nodes are checked on the cut's optimum.

        Without them the cut's optimum is a lower bound: if it meets them it is optimal,
        otherwise (and for ``top_k > 1``) the instance is handed to ``dag-cpsat``.
        """
        started = time.perf_counter()
        require_supported(self, instance, objective, top_k)
        coupling = _coupling(instance)
        if top_k == 1:
            relaxed = _relax(instance) if coupling else instance
            result = self._solve(relaxed, objective, started, time_limit)
            if not coupling or result.status in (Status.INFEASIBLE, Status.TIME_LIMIT):
                return replace(result, wall_time_s=time.perf_counter() - started) if coupling else result
            plans = [r.plan for r in result.plans]
            if result.status is Status.OPTIMAL and evaluate(instance, plans[0]).feasible:
                return finish(
                    instance, objective, self.name, plans, status=Status.OPTIMAL, started=started, bound=result.bound
                )
            why = "the cut's optimum breaks " + ", ".join(coupling)
        else:
            why = "a cut gives one plan"
        from .cpsat import DagCPSAT

        budget = Budget(time_limit)
        result = DagCPSAT().solve(instance, objective, top_k=top_k, time_limit=budget.remaining_or_none())
        return replace(
            result, solver=self.name, message=f"{why}: solved by dag-cpsat", wall_time_s=time.perf_counter() - started
        )

    def _solve(self, instance: Instance, objective: Objective, started: float, time_limit: float | None) -> SolveResult:
        search = _Search(instance, Budget(time_limit))
        for origins, terms in terms_by_origin(instance, objective):
            for origin in origins:
                for choice in _choices(instance, origin, terms):  # type: ignore[arg-type]
                    search.push(choice)
        timed_out = search.run()
        plans = [search.best[1]] if search.best else []
        if timed_out:
            status = Status.FEASIBLE if plans else Status.TIME_LIMIT
            bound = math.nan
        else:
            status = Status.OPTIMAL if plans else Status.INFEASIBLE
            bound = min(search.bound, search.best[0]) if search.best else math.nan
        return finish(instance, objective, self.name, plans, status=status, started=started, bound=bound)


def _relax(instance: Instance) -> Instance:
    """``instance`` without the constraints that couple nodes (memory capacities included)."""
    c = instance.constraints
    for group in ("energy_budget", "upload_limits", "compute_time_limits", "compute_time_pct_limits", "deadline"):
        c = c.without(group, instance.n_tiers)
    systems = tuple(replace(s, memory_bytes=None) for s in instance.systems)
    return instance.replace(constraints=c, systems=systems)


class _Search:
    """Best-first search over (choice, restriction mask) cuts, pruned by the incumbent."""

    def __init__(self, instance: Instance, budget: Budget) -> None:
        self.instance = instance
        self.budget = budget
        self.allowed = allowed_nodes(instance)
        self.queue: list[tuple[float, int, _Choice, np.ndarray]] = []
        self.counter = itertools.count()
        self.best: tuple[float, Plan] | None = None
        self.bound = math.inf  # lowest bound of any pruned or solved branch
        self.cuts: dict[_Choice, Cut] = {}  # one network per branched choice, re-used by its branches
        self.once: set[_Choice] = set()  # choices cut once

    def push(self, choice: _Choice, mask: np.ndarray | None = None, lower: float = -math.inf) -> None:
        if mask is None:
            mask = self.allowed[:, list(choice.systems)].copy()
            mask[:, 0] &= 0 in choice.must_use or len(choice.stops) == 1
        heapq.heappush(self.queue, (lower, next(self.counter), choice, mask))

    def beaten(self, lower: float) -> bool:
        if self.best is not None and lower >= self.best[0]:
            self.bound = min(self.bound, lower)
            return True
        return False

    def run(self) -> bool:
        """Process the queue; ``True`` if the budget ran out first."""
        while self.queue:
            lower, _, choice, mask = heapq.heappop(self.queue)
            if self.beaten(lower):
                continue
            if self.budget.expired():
                return True
            labels, value_lb = self.labelling(choice, mask)
            if labels is None or self.beaten(value_lb):
                continue
            empty = [j for j in choice.must_use if not (labels == j).any()]
            plan = _plan(self.instance, choice, labels)
            value = additive_value(self.instance, plan, choice.terms)
            # (within the rounding tolerance: the bound below stays the branch's true lower bound)
            if empty and not (value <= value_lb + 2 * choice.error and evaluate(self.instance, plan).feasible):
                self.branch(choice, mask, empty[0], value_lb)
                continue
            # either a plan with exactly these stops, or (dominance) a plan on fewer stops that
            # costs no more than any labelling of this branch: nothing here can beat it
            self.bound = min(self.bound, value_lb)
            if self.best is None or value < self.best[0]:
                self.best = (value, plan)
        return False

    def branch(self, choice: _Choice, mask: np.ndarray, stop: int, lower: float) -> None:
        """Push the branches of "``stop`` runs a node", each with its forcing bound.

        A branch whose bound (:func:`forcing_bounds`) cannot beat the incumbent is dropped
        without a cut; the rest go best first by bound.
        """
        candidates = _candidates(self.instance, mask, stop, len(choice.stops) - 1)
        bounds = forcing_bounds(self.instance, choice.unary, choice.per_byte, mask, stop, candidates)
        bounds = np.maximum(bounds + (choice.constant - choice.error), lower)
        keep = np.ones(bounds.size, dtype=bool)
        if self.best is not None:
            keep = bounds < self.best[0]
            if not keep.all():
                self.bound = min(self.bound, float(bounds[~keep].min()))
        for k in np.flatnonzero(keep):
            self.push(choice, _branch(mask, candidates, int(k), stop), float(bounds[k]))

    def labelling(self, choice: _Choice, mask: np.ndarray) -> tuple[np.ndarray | None, float]:
        """The best labelling within ``mask`` and a lower bound on its cost; ``(None, inf)`` if none."""
        n = mask.shape[0]
        if len(choice.stops) == 1:  # every node on the origin
            if not mask[:, 0].all():
                return None, math.inf
            return np.zeros(n, dtype=np.int64), choice.constant + float(choice.unary[:, 0].sum())
        graph = cut_graph(self.instance, len(choice.stops) - 1)
        beta = self.instance.boundary_bytes
        if choice in self.cuts:
            result = self.cuts[choice].solve(mask)
        elif choice in self.once:  # branched: one network for the rest of its cuts
            self.cuts[choice] = Cut(graph, choice.unary, choice.per_byte, beta, choice.scale)
            result = self.cuts[choice].solve(mask)
        else:  # most choices are cut once: a network without the zero arcs is faster
            self.once.add(choice)
            result = min_labelling(graph, choice.unary, mask, choice.per_byte, beta, choice.scale)
        if not result.feasible:
            return None, math.inf
        return result.labels, choice.constant + result.cost_units / choice.scale - choice.error


def _candidates(instance: Instance, mask: np.ndarray, stop: int, last: int) -> np.ndarray:
    """The nodes that split "stop ``stop`` runs a node", in index order (see :func:`_branch`).

    Candidates are every node, except on the last stop, which runs a node exactly when it runs a
    model output (every node reaches an output, and a node's readers sit on stops no earlier),
    and on stop 0, which runs a node exactly when it runs one fed by the raw input alone (every
    node is reached from one).
    """
    dag = structure(instance)
    if stop == last:
        candidates = np.array(dag.outputs, dtype=np.int64)
    elif stop == 0:
        candidates = np.array(dag.consumers[0], dtype=np.int64)
    else:
        candidates = np.arange(mask.shape[0])
    return candidates[mask[candidates, stop]]


def _branch(mask: np.ndarray, candidates: np.ndarray, k: int, stop: int) -> np.ndarray:
    """Branch ``k`` of the split by the first candidate on ``stop``: disjoint, together complete.

    Candidate ``k`` is on ``stop`` and the candidates before it are kept off it.
    """
    child = mask.copy()
    child[candidates[:k], stop] = False
    child[candidates[k], :] = False
    child[candidates[k], stop] = True
    return child


def _plan(instance: Instance, choice: _Choice, labels: np.ndarray) -> Plan:
    """The plan of a labelling; a stop the labelling leaves empty is not used (the origin stays)."""
    tiers = tuple(int(choice.stops[j]) for j in labels)
    names: list[str | None] = [None] * instance.n_tiers
    used = set(tiers)
    for tier, s in zip(choice.stops, choice.systems):
        if tier == 0 or tier in used:
            names[tier] = instance.systems[s].name
    return Plan.from_assignment(tiers, tuple(names))


def _choices(instance: Instance, origin: int, terms: Terms) -> Iterator[_Choice]:
    """Every (set of used tiers, system per used later tier) for this origin, with its cut data."""
    c = instance.constraints
    T = instance.n_tiers
    later = [t for t in range(1, T) if t not in c.tiers_forbidden and instance.candidates[t]]
    outputs = structure(instance).outputs
    out_bytes = float(sum(instance.boundary_bytes[v + 1] for v in outputs))
    for use_first in (True, False):
        if (use_first and 0 in c.tiers_forbidden) or (not use_first and 0 in c.tiers_required):
            continue
        for k in range(len(later) + 1):
            for subset in itertools.combinations(later, k):
                if not {t for t in c.tiers_required if t > 0} <= set(subset) or (not use_first and not subset):
                    continue
                for combo in itertools.product(*(instance.candidates[t] for t in subset)):
                    choice = _make_choice(instance, terms, (0, *subset), (origin, *combo), use_first, out_bytes)
                    if choice is not None:
                        yield choice


def _make_choice(
    instance: Instance,
    terms: Terms,
    stops: tuple[int, ...],
    systems: tuple[int, ...],
    use_first: bool,
    out_bytes: float,
) -> _Choice | None:
    m = len(stops) - 1
    constant = 0.0
    for a, b in itertools.pairwise(systems):
        if not np.isfinite(terms.hop_fixed[a, b]):
            return None  # no link
        constant += float(terms.hop_fixed[a, b])
    if instance.return_output and m:
        last, origin = systems[-1], systems[0]
        if not np.isfinite(terms.hop_fixed[last, origin]):
            return None
        constant += float(terms.hop_fixed[last, origin] + terms.hop_per_byte[last, origin] * out_bytes)
    seg = terms.segment_cost
    constant += float(sum(seg[s] for s in systems[1:])) + (float(seg[systems[0]]) if use_first else 0.0)
    unary = np.asarray(terms.node)[:, list(systems)]
    per_byte = np.array([terms.hop_per_byte[a, b] for a, b in itertools.pairwise(systems)], dtype=float)
    graph_bytes = 0.0
    n_cross = 0
    if m:
        graph = cut_graph(instance, m)
        graph_bytes = float((per_byte[graph.byte_hop] * instance.boundary_bytes[graph.byte_tensor]).sum())
        n_cross = graph.byte_tail.size
    magnitude = float(np.abs(unary).max(axis=1).sum()) + graph_bytes
    scale = min(SCALE_UNITS / magnitude, 1e300) if magnitude > 0 else 1.0  # denormal costs round to 0
    # every node's cost and every crossing arc is rounded once: at most half a unit each
    error = 0.5 * (instance.n_nodes + n_cross) / scale if m and magnitude > 0 else 0.0
    must_use = tuple(range(1, m + 1)) + ((0,) if use_first else ())
    return _Choice(stops, systems, must_use, constant, unary, per_byte, scale, error, terms)
