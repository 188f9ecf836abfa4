"""The solve loop both MIP backends share, and :class:`ArcSolver`, their common front.

One solve: score the plan handed in and a few trivial and DP plans; group the
origins so that every model has one set of origin-dependent data; build and
prune each group's arcs; find cheap feasible plans with shortest paths (they
give the bound used for pruning, a starting solution, and the fallback when time
runs out); then ask the backend for the best path of each group, cut it off with
a no-good row and ask again until ``top_k`` plans are proven. One
:class:`~scission_opt.budget.Budget` covers all of it: model building counts.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ...budget import Budget
from ...errors import UnsupportedError
from ...objectives import Objective, Terms, is_additive
from ...plan import Plan
from ...result import SolveResult, Status
from ..base import Feature, chain_problem, finish, origins, require_supported, terms_by_origin
from .build import assemble
from .group import Cache, Group, OutOfTime, check, group_data, prune_group
from .heuristics import Scorer, segment_dp_plans, shortest_path_plans, trivial_plans, two_segment_plans
from .model import ArcModel
from .paths import best

if TYPE_CHECKING:
    from ...instance import Instance

INF = math.inf
#: Relative tolerance within which a bound proves a plan optimal (CBC's own gap is 1e-9).
PROOF_RTOL = 1e-9
#: Seconds per (node x system x system) cell that building a model takes at least (measured
#: here, 2 loaded cores: about 0.2 us per cell at 1000 x 48 x 48); a model that cannot be built
#: in the time left is not started.
BUILD_S_PER_CELL = 1e-7
#: Peak memory a solve may plan for. Two estimates are checked against it: the dense arrays a
#: group is pruned on (node x system x system cells x :data:`DENSE_BYTES_PER_CELL`), before they
#: are built, and the backend's model (arcs left after pruning x the solver's ``bytes_per_arc``),
#: before it is built. Past either, the heuristics' best plan is returned, unproven.
MODEL_MEMORY_BYTES = 4 * 2**30
#: Bytes per node x system x system cell of a group's dense arrays (costs, bytes, alive masks),
#: measured here: about 0.7 GB peak for 5000 x 48 x 48 cells with a 5001-arc model
#: (``benchmarks/memory.py``), rounded up.
DENSE_BYTES_PER_CELL = 64.0


@dataclass(frozen=True)
class BackendAnswer:
    """One backend solve: ``status`` in optimal / feasible / infeasible / unknown.

    ``bound`` is a lower bound on the model's objective (the plans its cuts leave),
    ``tolerance`` the absolute error within which the backend calls a plan optimal.
    """

    status: str
    arcs: np.ndarray | None = None
    bound: float = math.nan
    tolerance: float = 0.0


#: backend(model, seconds_left, state) -> BackendAnswer; ``state`` is the backend's own dict per model
Backend = Callable[[ArcModel, float, dict], BackendAnswer]


def origin_groups(instance: Instance, objective: Objective) -> list[tuple[tuple[int, ...], Terms]]:
    """Origins that can share one model: same terms, same idle power under an energy
    budget, and one origin per model when the output returns to it."""
    out: list[tuple[tuple[int, ...], Terms]] = []
    for group, found in terms_by_origin(instance, objective):
        terms: Terms = found  # type: ignore[assignment]
        if terms.bottleneck_weight < 0:
            raise UnsupportedError(f"objective {objective.name!r} has a negative bottleneck weight")
        keyed: dict[Any, list[int]] = {}
        for o in group:
            key = (
                instance.systems[o].idle_w if instance.constraints.energy_budget_j is not None else None,
                o if instance.return_output and instance.n_tiers > 1 else None,
            )
            keyed.setdefault(key, []).append(o)
        out += [(tuple(os), terms) for os in keyed.values()]
    return out


def _time_bound(instance: Instance) -> float:
    """An upper bound on any stage's or hop's time (the bottleneck term's factor)."""
    T = instance.n_tiers
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        hop = np.nan_to_num(instance.link_latency_s, nan=0.0) + float(
            instance.boundary_bytes.max(initial=0.0)
        ) / np.nan_to_num(instance.link_bytes_per_s, nan=np.inf)
    hop = np.where(instance.has_link, hop, 0.0)
    overhead = max((s.segment_overhead_s for s in instance.systems), default=0.0)
    return float(instance.latency.max(axis=0).sum()) + T * overhead + float(hop.max(initial=0.0))


def overflow_reason(instance: Instance, objective: Objective) -> str | None:
    """Why the objective's terms cannot be solved in floating point (or ``None``).

    A cost that is not finite where a plan may use it (weights of ``1e308`` times
    joules, say), or a path whose sum overflows, would make arcs vanish and a
    feasible instance look infeasible.
    """
    where = "objective.weights" if hasattr(objective, "weights") else "objective"
    slowest = _time_bound(instance)
    with np.errstate(over="ignore", invalid="ignore"):  # overflow is what is looked for here
        groups = terms_by_origin(instance, objective)
    for _, terms in groups:
        t: Terms = terms  # type: ignore[assignment]
        with np.errstate(over="ignore", invalid="ignore"):
            fixed = np.abs(np.where(instance.has_link, t.hop_fixed, 0.0)).max(initial=0.0)
            per_byte = np.abs(t.hop_per_byte).max(initial=0.0) * float(np.abs(t.boundary_bytes).max(initial=0.0))
            hops = (instance.n_tiers + 1) * float(fixed + per_byte + np.abs(t.segment_cost).max(initial=0.0))
            worst = float(np.abs(t.node).max(axis=1).sum()) + hops + abs(float(t.bottleneck_weight)) * slowest
        if not math.isfinite(worst):
            return (
                f"{where}: the objective's costs overflow floating point on this instance "
                "(a node, hop or segment cost, or a path's sum, is not finite); scale the weights down"
            )
    return None


@dataclass
class _GroupState:
    """What one group's search has settled: whether it is done, and a bound on what it has not yielded."""

    group: Group | None  # dropped once its model is built
    done: bool = False
    remaining: float = -INF  # lower bound on the group's plans not yet found
    tolerance: float = 0.0


@dataclass
class _Search:
    """One solve: the problem, the budget and everything learnt so far."""

    name: str
    backend: Backend
    instance: Instance
    objective: Objective
    top_k: int
    budget: Budget
    heuristics: bool
    resource_pruning: bool
    bound: float | None
    bytes_per_arc: float = 0.0
    scorer: Scorer = field(init=False)
    states: list[_GroupState] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    stopped: bool = False  # the budget ran out before every group was settled
    stopped_building: bool = False  # ... before every group's model was built

    def __post_init__(self) -> None:
        self.scorer = Scorer(self.instance, self.objective)

    # ---- steps ---------------------------------------------------------------------
    def kth_limit(self) -> float:
        """A value no wanted plan exceeds: the k-th best feasible plan known (relaxed for rounding)."""
        kth = self.scorer.kth_value(self.top_k)
        return kth + 1e-9 * max(1.0, abs(kth)) if math.isfinite(kth) else INF

    def quick_plans(self, handed_in: bool) -> None:
        two_segment_plans(self.scorer, origins(self.instance), self.budget)
        trivial_plans(self.scorer, origins(self.instance), self.budget)
        if self.heuristics:
            bottleneck = any(t.bottleneck_weight for _, t in origin_groups(self.instance, self.objective))
            # a plan handed in (auto's, from dp) already is what dp's coupled methods would find
            proved = segment_dp_plans(self.scorer, self.budget, bottleneck, coupled=not handed_in)
            if proved is not None and (self.bound is None or proved[0] > self.bound):
                self.bound = proved[0]
                self.messages.append(f"lower bound {proved[0]:.10g} from the segment DP ({proved[1]}), used as a cut")

    def build_groups(self) -> None:
        inst = self.instance
        cells = inst.n_nodes * inst.n_systems**2
        if cells * DENSE_BYTES_PER_CELL > MODEL_MEMORY_BYTES:
            self.messages.append(
                _too_big(f"dense arrays of {cells:.3g} node x system x system cells", cells * DENSE_BYTES_PER_CELL)
            )
            raise OutOfTime
        if self.budget.remaining() < cells * BUILD_S_PER_CELL:
            self.messages.append(
                f"a model of {cells:.3g} node x system x system cells cannot be built in the time left"
            )
            raise OutOfTime
        cache = Cache(inst)
        check(self.budget)
        for origins_, terms in origin_groups(inst, self.objective):
            g = group_data(cache, origins_, terms)
            check(self.budget)
            # the limits alone: dead groups die here, before any heuristic
            prune_group(g, INF, self.budget, resource_pruning=self.resource_pruning)
            self.states.append(_GroupState(g, remaining=best(g.alive, g.cost)))
            check(self.budget)

    def solve_groups(self) -> None:
        for gs in self.states:
            if self.budget.expired():
                self.stopped = True
                return
            self.solve_group(gs)

    def solve_group(self, gs: _GroupState) -> None:
        g = gs.group
        if g is None:
            return
        if g.alive.count():
            limit = self.kth_limit()
            if math.isfinite(limit):
                prune_group(g, limit, self.budget, resource_pruning=self.resource_pruning)
        gs.remaining = min(best(g.alive, g.cost), self.kth_limit())
        arcs = g.alive.count()
        if not arcs:
            gs.done, gs.remaining = True, INF  # no path left in this group
            return
        if arcs * self.bytes_per_arc > MODEL_MEMORY_BYTES:
            self.messages.append(_too_big(f"{self.name} model of {arcs:.3g} arcs", arcs * self.bytes_per_arc))
            self.stopped = self.stopped_building = True
            gs.group = None
            return
        bound = None if self.bound is None else self.bound - 1e-9 * max(1.0, abs(self.bound))
        model = assemble(self.instance, g, bound)
        gs.remaining = max(gs.remaining, min(model.lower_bound, self.kth_limit()))
        gs.group = None  # its dense arrays are not needed any more: free them
        del g
        self.ask(model, gs)

    def ask(self, model: ArcModel, gs: _GroupState) -> None:
        """Ask the backend for the group's best plans until ``top_k`` are proven or time runs out."""
        state: dict = {}
        found = 0
        while found < self.top_k:
            model.hint = self.hint(model)
            left = self.budget.remaining()
            if left <= 0:
                self.stopped = True
                return
            ans = self.backend(model, left, state)
            gs.tolerance = max(gs.tolerance, ans.tolerance)
            if ans.status == "infeasible":
                gs.done, gs.remaining = True, INF
                return
            if not math.isnan(ans.bound):
                gs.remaining = max(gs.remaining, ans.bound) if ans.status == "optimal" else ans.bound
            if ans.arcs is None:
                self.stopped = True
                self.messages.append(f"the {self.name} backend found no plan of its own in the time left")
                return
            plan, chosen = model.decode(ans.arcs)
            model.add_cut(chosen)
            if self.scorer.offer(plan) is None:
                self.messages.append("cut a plan the evaluator rejects (a violation within the backend's tolerance)")
                continue
            found += 1
            if ans.status != "optimal":
                self.stopped = True
                return
        gs.done = True

    def hint(self, model: ArcModel) -> np.ndarray | None:
        """The arcs of the best known plan that the model's cuts still allow."""
        for plan, _ in self.scorer.ranked():
            arcs = model.arcs_of(plan)
            if arcs is not None and not model.is_cut(arcs):
                return arcs
        return None

    # ---- result --------------------------------------------------------------------
    def proven(self) -> bool:
        """Every group settled, or each unsettled group's bound reaches the k-th best plan (within tolerance)."""
        open_ = [gs for gs in self.states if not gs.done]
        if not open_ and not self.stopped_building:
            return True
        kth = self.scorer.kth_value(self.top_k)
        if self.stopped_building or not math.isfinite(kth):
            return False
        return all(gs.remaining >= kth - max(PROOF_RTOL * abs(kth), gs.tolerance) for gs in open_)

    def bound_met(self) -> bool:
        """The best known plan reaches the proven lower bound (top-1 only): it is optimal."""
        ranked = self.scorer.ranked()
        return (
            self.bound is not None
            and bool(ranked)
            and self.top_k == 1
            and ranked[0][1] <= self.bound + PROOF_RTOL * max(1.0, abs(self.bound))
        )

    def result(self) -> SolveResult:
        ranked = self.scorer.ranked()
        proven = self.proven() or self.bound_met()
        if proven and not ranked and self.stopped:
            proven = False  # nothing found, and not every group was searched
        if proven:
            status, bound = (Status.OPTIMAL if ranked else Status.INFEASIBLE), math.nan
        else:
            status = Status.FEASIBLE if ranked else Status.TIME_LIMIT
            bound = self.reported_bound(ranked)
            if self.budget.limited:
                self.messages.insert(0, f"time limit of {self.budget.limit_s:g} s: stopped before proving optimality")
            elif self.stopped_building:
                self.messages.insert(0, f"not proven optimal: the {self.name} model was not built")
            else:
                self.messages.insert(0, f"the {self.name} backend stopped before proving optimality")
        return finish(
            self.instance, self.objective, self.name, [p for p, _ in ranked], status=status,
            started=self.budget.started, bound=bound, top_k=self.top_k, message="; ".join(self.messages),
        )  # fmt: skip

    def reported_bound(self, ranked: list[tuple[Plan, float]]) -> float:
        """A lower bound on the optimum: the open groups' bounds and the best plan found."""
        if self.stopped_building:
            return self.bound if self.bound is not None else math.nan
        bounds = [gs.remaining for gs in self.states if not gs.done]
        if ranked:
            bounds.append(ranked[0][1])
        if self.bound is not None:
            bounds = [max(b, self.bound) for b in bounds]
        value = min(bounds, default=math.nan)
        return value if math.isfinite(value) or not ranked else math.nan

    def run(self, incumbent: Plan | None) -> SolveResult:
        value = None
        if incumbent is not None:
            value = self.scorer.offer(incumbent)
            if value is not None and self.bound_met():
                self.messages.append("the plan handed in reaches the bound handed in")
                return self.result()
        try:
            self.quick_plans(handed_in=value is not None)
            if self.bound_met():
                self.messages.append(f"a known plan meets that bound: proven without solving the {self.name} model")
                return self.result()
            self.build_groups()
        except OutOfTime:
            self.stopped = self.stopped_building = True
            found = "the best plan the heuristics found" if self.scorer.found else "no plan found by the heuristics"
            self.messages.append(f"returning {found}")
            return self.result()
        if self.heuristics:
            shortest_path_plans(
                self.scorer, [gs.group for gs in self.states if gs.group is not None], self.budget, self.top_k
            )
        self.solve_groups()
        return self.result()


def _too_big(what: str, need: float) -> str:
    return (
        f"the {what} would need about {need / 2**30:.1f} GiB, over the bound of {MODEL_MEMORY_BYTES / 2**30:g} GiB:"
        " not built (the dp solver proves chains of any size)"
    )


class ArcSolver:
    """The shared front of the arc-flow MIP solvers; a subclass names itself and its backend.

    Parameters
    ----------
    heuristics
        Find feasible plans first (segment DP, shortest paths): they prune the
        model and seed the backend. Off, the backend sees the whole model.
    resource_pruning
        Delete arcs that break a path-additive limit instead of relying on its row.
    """

    name: str
    #: Peak bytes of a solve per arc of its model after pruning (the model is not built past
    #: :data:`MODEL_MEMORY_BYTES`); a subclass sets its backend's measured figure.
    bytes_per_arc: float = 0.0
    #: Every constraint and additive objective of a chain, exactly (formulations/chain-mip.md).
    features = frozenset(Feature) - {Feature.DAG, Feature.NOT_ADDITIVE}

    def __init__(self, *, heuristics: bool = True, resource_pruning: bool = True):
        self.heuristics = heuristics
        self.resource_pruning = resource_pruning

    @staticmethod
    def backend(model: ArcModel, seconds: float, state: dict) -> BackendAnswer:  # pragma: no cover - overridden
        raise NotImplementedError

    def is_available(self) -> bool:  # pragma: no cover - overridden
        raise NotImplementedError

    def unsupported(self, instance: Instance, objective: Objective) -> str | None:
        """Why this solver cannot take ``instance`` with ``objective``, or ``None``."""
        why = chain_problem(instance)
        if why:
            return why
        if not is_additive(objective):
            return (
                f"objective {objective.name!r} is not additive (it supplies no node/hop terms); "
                "use the exhaustive solver for it"
            )
        return overflow_reason(instance, objective)

    def solve(
        self,
        instance: Instance,
        objective: Objective,
        *,
        top_k: int = 1,
        time_limit: float | None = None,
        budget: Budget | None = None,
        incumbent: Plan | None = None,
        bound: float | None = None,
    ) -> SolveResult:
        """Solve; returns the ``top_k`` best distinct plans, best first.

        Parameters
        ----------
        time_limit
            Wall-clock seconds, used when no ``budget`` is given.
        budget
            The wall-clock budget of the whole call (model building counts).
        incumbent
            A known plan (feasible or not: it is checked): a starting solution and a pruning bound.
        bound
            A proven lower bound on the optimum, added as a cut; with an incumbent that
            reaches it, the incumbent is proven optimal at once.
        """
        if budget is None:
            budget = Budget(time_limit)
        require_supported(self, instance, objective, top_k)
        search = _Search(
            self.name, self.backend, instance, objective, top_k, budget, self.heuristics, self.resource_pruning, bound,
            self.bytes_per_arc,
        )  # fmt: skip
        return search.run(incumbent)
