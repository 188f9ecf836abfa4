"""Cheap feasible plans: starting solutions, pruning bounds and the fallback when time runs out.

Every plan found here is scored by the one evaluator through a :class:`Scorer`,
which keeps the feasible ones with their objective values. Sources, cheapest
first: the plan handed in by the caller, trivial plans (the whole chain on one
system), the segment DP on the instance without its coupling constraints,
shortest paths on the pruned model under growing penalties for the coupled
limits, the cheapest path through each promising hop (for top-k), and a
bisection on the bottleneck.
"""

from __future__ import annotations

import dataclasses
import math
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

import numpy as np

from ...budget import Budget
from ...evaluate import evaluate, exceeds
from ...objectives import Objective
from ...plan import Plan
from ...result import Status
from ..base import allowed_nodes
from .group import Group
from .model import node_plan
from .paths import Dense, back_to_source, backward, best, forward, on_to_sink, prune, shortest_path, through

if TYPE_CHECKING:
    from ...instance import Instance
    from ..dp import SegmentDP

INF = math.inf
T = TypeVar("T")


class Scorer:
    """Scores plans with the evaluator under one objective and keeps the feasible ones.

    Parameters
    ----------
    instance, objective
        The problem every plan is scored on.

    Attributes
    ----------
    found
        Feasible plans seen so far, with their objective values.
    """

    def __init__(self, instance: Instance, objective: Objective):
        self.instance = instance
        self.objective = objective
        self.found: dict[Plan, float] = {}
        self._rejected: set[Plan] = set()

    def offer(self, plan: Plan) -> float | None:
        """Score ``plan``; keep it when feasible. Returns its value, or ``None`` when infeasible."""
        if plan in self.found:
            return self.found[plan]
        if plan in self._rejected or plan.check_shape(self.instance):
            return None
        metrics = evaluate(self.instance, plan)
        if not metrics.feasible:
            self._rejected.add(plan)
            return None
        value = float(self.objective.value(self.instance, plan, metrics))
        self.found[plan] = value
        return value

    def offer_nodes(self, origin: int, node_sys: np.ndarray) -> float | None:
        """Score the plan that runs node ``i`` on ``node_sys[i]`` from ``origin``."""
        if self.instance.system_tier[origin] != 0 or (np.diff(self.instance.system_tier[node_sys]) < 0).any():
            return None
        return self.offer(node_plan(self.instance, origin, node_sys))

    def ranked(self) -> list[tuple[Plan, float]]:
        """Feasible plans found, best first."""
        return sorted(self.found.items(), key=lambda kv: (kv[1], kv[0]))

    def kth_value(self, k: int) -> float:
        """The ``k``-th best value found (``inf`` with fewer than ``k`` plans)."""
        values = sorted(self.found.values())
        return values[k - 1] if len(values) >= k else INF


def trivial_plans(scorer: Scorer, origins: list[int], budget: Budget | None) -> None:
    """The whole chain on each origin, or on one later system that receives the raw input
    (from the first origin linked to it: one plan per system keeps this cheap)."""
    inst = scorer.instance
    n = inst.n_nodes
    for o in origins:
        if not _expired(budget):
            scorer.offer_nodes(o, np.full(n, o, dtype=np.int64))
    for s in np.flatnonzero(inst.system_tier > 0):
        linked = [o for o in origins if inst.has_link[o, s]]
        if linked and not _expired(budget):
            scorer.offer_nodes(linked[0], np.full(n, s, dtype=np.int64))


def two_segment_plans(
    scorer: Scorer, origins: list[int], budget: Budget | None, count: int = 24, n_origins: int = 4
) -> None:
    """Plans that run a prefix on the origin and the rest on one later system, the split chosen
    per pair by the time it takes; ``O(n S)`` for each of the ``n_origins`` fastest origins, so it
    answers when nothing bigger fits the time.

    Respects the rules one segment or one hop can break (allowed nodes, privacy, first-tier
    memory and compute limits, upload limits); the evaluator judges the rest.
    """
    inst = scorer.instance
    n = inst.n_nodes
    tier = inst.system_tier
    later = np.flatnonzero(tier > 0)
    if not len(later):
        return
    allowed = allowed_nodes(inst)
    lat = inst.latency
    beta = inst.boundary_bytes
    overhead = np.array([s.segment_overhead_s for s in inst.systems])
    bps = np.where(inst.has_link, np.nan_to_num(inst.link_bytes_per_s, nan=1.0), np.nan)
    fixed = np.nan_to_num(inst.link_latency_s, nan=0.0)
    upload = inst.constraints.upload_limit_bytes[0]
    # suffix [b, n) runs on s: allowed everywhere, and its time
    suffix_ok = np.flip(np.logical_and.accumulate(np.flip(allowed[:, later], 0), axis=0), 0)
    suffix_ok = np.vstack([suffix_ok, np.ones((1, len(later)), dtype=bool)])
    suffix_s = np.vstack([np.flip(np.cumsum(np.flip(lat[later].T, 0), axis=0), 0), np.zeros((1, len(later)))])
    candidates: list[tuple[float, int, int, int]] = []
    for o in sorted(origins, key=lambda o: float(lat[o].sum()))[:n_origins]:
        prefix_s = np.concatenate([[0.0], overhead[o] + np.cumsum(lat[o])])
        prefix_ok = np.concatenate([[True], np.logical_and.accumulate(allowed[:, o])])
        if upload is not None:
            prefix_ok &= ~exceeds(beta, upload)
        with np.errstate(invalid="ignore", divide="ignore"):
            hop_s = fixed[o, later][None, :] + beta[:, None] / bps[o, later][None, :]
        total = prefix_s[:, None] + hop_s + overhead[later][None, :] + suffix_s
        total = np.where(prefix_ok[:, None] & suffix_ok & np.isfinite(total), total, INF)
        total[n] = INF  # the whole chain on the origin is a trivial plan
        best_b = np.argmin(total, axis=0)
        candidates += [
            (float(total[b, j]), o, int(b), int(later[j])) for j, b in enumerate(best_b) if total[b, j] < INF
        ]
    candidates.sort()
    for _, o, b, s in candidates[:count]:
        if _expired(budget):
            return
        node_sys = np.full(n, s, dtype=np.int64)
        node_sys[:b] = o
        scorer.offer_nodes(o, node_sys)


#: Seconds per (node x system x system) cell the segment DP takes (measured here: 0.66 s at
#: 5000 x 128 x 128 with the machine idle, 2.8-8.7 s under load); it is not started when it would
#: need more than the time left even on an idle machine.
DP_S_PER_CELL = 8e-9


def segment_dp_plans(
    scorer: Scorer, budget: Budget | None, bottleneck: bool, coupled: bool = True
) -> tuple[float, str] | None:
    """Plans of the segment DP on the instance without the constraints that couple segments
    (and, with ``coupled``, first those of its exact methods for coupling constraints and the
    bottleneck: :func:`coupled_dp_plans`).

    The DP handles memory exactly, which shortest paths cannot; its plans are
    kept where the evaluator finds them feasible on the real instance. A source
    of starting plans, and of the coupled methods' proven lower bound (returned
    with their method, else ``None``); any failure of it is ignored.
    """
    from ...objectives import Latency

    inst = scorer.instance
    if budget is not None and budget.remaining() < inst.n_nodes * inst.n_systems**2 * DP_S_PER_CELL:
        return None
    c = inst.constraints
    idle = any(inst.systems[s].idle_w for s in inst.candidates[0])
    couples = any(v is not None for v in c.compute_time_limit_pct) or c.deadline_s is not None
    relaxed = inst
    if couples or (idle and c.energy_budget_j is not None):
        relaxed = inst.replace(
            constraints=dataclasses.replace(
                c,
                compute_time_limit_pct=(None,) * inst.n_tiers,
                deadline_s=None,
                energy_budget_j=None if idle else c.energy_budget_j,
            )
        )
    proxy = Latency() if bottleneck else scorer.objective
    from ..dp import SegmentDP

    dp = SegmentDP()
    bound = None
    if coupled and (relaxed is not inst or bottleneck) and dp.unsupported(inst, scorer.objective) is None:
        bound = coupled_dp_plans(scorer, dp, budget)
    if dp.unsupported(relaxed, proxy) or _expired(budget):
        return bound
    # top-1 only: its k-best search is much slower, and alternatives() supplies more plans
    result = within(budget, lambda inner: dp.solve(relaxed, proxy, top_k=1, budget=inner))
    for ranked in result.plans if result is not None else ():
        scorer.offer(ranked.plan)
    return bound


#: Share of the time left (else seconds, without a limit) the DP's exact coupled methods may take as a heuristic.
COUPLED_DP_SHARE = 0.5
COUPLED_DP_S = 20.0


def coupled_dp_plans(scorer: Scorer, dp: SegmentDP, budget: Budget | None) -> tuple[float, str] | None:
    """The plans of the DP's exact methods for coupling constraints and the bottleneck (solvers/dp.py).

    Often the optimum in a second where the MIP's own search finds a poor plan. Returns
    their proven lower bound on the optimum and the method that proved it (the optimum
    itself when they finish; ``None`` when they prove nothing), for the MIP to use as a cut.
    """
    left = COUPLED_DP_S if budget is None or not budget.limited else COUPLED_DP_SHARE * budget.remaining()
    if left <= 0:
        return None
    result = within(Budget(left), lambda inner: dp.solve(scorer.instance, scorer.objective, top_k=1, budget=inner))
    if result is None:
        return None
    for ranked in result.plans:
        scorer.offer(ranked.plan)
    if result.status is Status.OPTIMAL:
        return result.objective, result.method
    if result.status is Status.FEASIBLE and math.isfinite(result.bound):
        return result.bound, result.method
    return None


def within(budget: Budget | None, work: Callable[[Budget], T]) -> T | None:
    """``work(inner)``, or ``None`` when it fails or does not finish before ``budget`` runs out.

    ``inner`` is a :meth:`~scission_opt.budget.Budget.branch` of ``budget``. With a
    limit, the work runs in a thread; at the limit ``inner`` is cancelled and the
    thread joined (the work checks its budget between steps), so nothing of it
    runs after this returns.
    """
    inner = (budget or Budget(None)).branch()
    if budget is None or not budget.limited:
        try:
            return work(inner)
        except Exception:  # noqa: BLE001 - a heuristic; the MIP stays exact without it
            return None
    box: list[T] = []

    def run() -> None:
        try:
            box.append(work(inner))
        except Exception:  # noqa: BLE001, S110 - as above
            pass

    thread = threading.Thread(target=run, name="scission-heuristic", daemon=True)
    thread.start()
    thread.join(budget.remaining())
    if thread.is_alive():
        inner.cancel()
        thread.join()
        return None
    return box[0] if box else None


def _expired(budget: Budget | None) -> bool:
    return budget is not None and budget.expired()


def _penalty(g: Group) -> Dense | None:
    """The coupled limits (and, with a bottleneck term, time) as one penalty per arc, each relative to its limit."""
    parts = [values.scaled(1.0 / scale) for _, values, _, scale in g.resources if scale > 0]
    if g.bottleneck_weight:
        # the shortest path ignores the bottleneck term; time-weighted paths spread the load
        parts.append(g.time.scaled(1.0 / max(best(g.alive, g.time), 1e-300)))
    penalty = None
    for part in parts:
        penalty = part if penalty is None else penalty.plus(part)
    return penalty


def shortest_path_plans(scorer: Scorer, groups: list[Group], budget: Budget | None, top_k: int = 1) -> None:
    """Shortest paths on the objective plus growing multiples of the coupled limits; a few ms each."""
    for g in groups:
        if _expired(budget):
            return
        if not g.alive.count():
            continue
        ref = max(abs(best(g.alive, g.cost)), 1e-300)
        if g.cost.src.size and not np.isfinite(ref):
            continue
        penalty = _penalty(g)
        lambdas = [0.0] + ([ref * 10.0**k for k in range(-3, 4)] if penalty is not None else [])
        steered = None  # the cheapest penalised costs whose shortest path is feasible
        for lam in lambdas:
            if _expired(budget):
                break
            v = g.cost.plus(penalty, lam) if lam and penalty is not None else g.cost
            path = shortest_path(g.alive, v)
            if path is None:
                break
            if scorer.offer_nodes(*path) is not None:
                steered = v if steered is None else steered
                if not lam:
                    break
        if top_k > 1 and steered is not None and not _expired(budget):
            alternatives(scorer, g, steered, 3 * top_k + 5)
        if g.bottleneck_weight:
            bottleneck_plans(scorer, g, budget)


def alternatives(scorer: Scorer, g: Group, v: Dense, count: int) -> None:
    """More plans for top-k: the cheapest path through each of the ``count`` most promising
    hops (and source and sink arcs)."""
    w = g.alive.where(v)
    n, S = w.trans.shape[0], w.snk.shape[0]
    f, gb = forward(w), backward(w)
    lb = through(w, f)
    hop_lb = np.where(g.is_hop.trans, lb.trans, INF)
    cands = np.concatenate([lb.src.ravel(), hop_lb.ravel(), lb.snk])
    count = min(count, int(np.isfinite(cands).sum()))
    if count <= 0:
        return
    picks = np.argpartition(cands, count - 1)[:count]
    for pick in picks[np.argsort(cands[picks])].tolist():
        node_sys = np.empty(n, dtype=np.int64)
        if pick < S * S:  # source arc
            origin, node_sys[0] = divmod(pick, S)
            start = 1
        elif pick < S * S + n * S * S:  # a hop into node b
            b, rest = divmod(pick - S * S, S * S)
            node_sys[b - 1], node_sys[b] = divmod(rest, S)
            back_to_source(w, f, node_sys, b - 1)
            origin = int(np.argmin(w.src[:, node_sys[0]]))
            start = b + 1
        else:  # sink arc: the cheapest path that ends on that system
            node_sys[n - 1] = pick - S * S - n * S * S
            back_to_source(w, f, node_sys, n - 1)
            origin = int(np.argmin(w.src[:, node_sys[0]]))
            start = n
        on_to_sink(w, gb, node_sys, start)
        scorer.offer_nodes(origin, node_sys)


def bottleneck_plans(scorer: Scorer, g: Group, budget: Budget | None, steps: int = 8) -> None:
    """Bisect on the bottleneck ``B``: delete hops slower than ``B`` and arcs that push a tier's
    compute past ``B``, then take the cheapest remaining path."""
    inst = scorer.instance
    times = g.alive.where(g.time)
    finite = np.isfinite(times.trans)
    hi = float(times.trans[finite].max(initial=0.0)) * inst.n_nodes
    hi += float(np.nanmax(np.where(np.isfinite(times.src), times.src, 0.0)))
    for plan in scorer.found:
        hi = min(hi, evaluate(inst, plan).bottleneck_s)
    lo = 0.0
    ref = max(abs(best(g.alive, g.time)), 1e-300)
    v = g.cost.plus(g.time, 1e-3 * g.bottleneck_weight)
    for _ in range(steps):
        if hi - lo <= 1e-6 * ref or _expired(budget):
            break
        limit = 0.5 * (lo + hi)
        alive = g.alive.copy()
        alive.src &= g.hop_s.src <= limit
        alive.trans &= g.hop_s.trans <= limit
        alive.snk &= g.hop_s.snk <= limit
        for values in g.tier_comp:
            if alive.count():
                prune(alive, values, limit)
        for _, values, res_limit, _ in g.resources:
            if alive.count():
                prune(alive, values, res_limit)
        path = shortest_path(alive, v) if alive.count() else None
        if path is not None and scorer.offer_nodes(*path) is not None:
            found = evaluate(inst, node_plan(inst, *path)).bottleneck_s
            if found <= limit:
                hi = found
                continue
        lo = limit
