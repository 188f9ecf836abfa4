"""Label setting with dominance on the segment graph: exact for coupling constraints, and Pareto sets.

A *label* is a partial plan that has run nodes ``0 .. e-1`` and is now running
a segment on system ``s`` that started at boundary ``b0``. It carries its
objective so far ``A``, one running sum per coupling resource ``R_j`` (latency
for a deadline, energy for an energy budget with idle power, a tier's share of
the compute time for a percentage limit), and, where the bottleneck counts,
``M``, the slowest closed stage or hop so far. Labels advance one node at a
time (all labels of a boundary in one numpy pass): a label either runs node
``e`` on its system or, at boundary ``e``, closes its segment and hops to a
later tier's system. Two labels on the same system with the same segment start
face the same future, so one with ``A``, every ``R_j`` and ``M`` no larger
dominates the other and the other is dropped. Labels that cannot finish under
a cap, or cannot beat a known plan (``upper``), are pruned with lower bounds on
the cost still to come. formulations/coupling.md writes the method out.

One entry point, :func:`label_search`: the best plan under caps (for the ``dp``
solver), or every non-dominated plan for two objectives (for
:func:`~scission_opt.solvers.pareto.pareto_labels`). Where no bottleneck is
carried and the search is exact and top-1, it moves whole segments instead
(solvers/segment_labels.py: the same answer with far fewer numpy calls); the
tables both searches share are in solvers/label_tables.py.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ..budget import Budget
from ..plan import Plan
from .label_tables import Costs, LabelProblem, Labels, OutOfTime, Trail, dominance_keep, stage, starts
from .segment_labels import segment_search, segment_search_applies
from .segments import INF, SegmentGraph

if TYPE_CHECKING:
    from ..instance import Instance

#: Stop (unproven) when one boundary holds more labels than this.
MAX_LABELS = 2_000_000
#: Search by whole segments (solvers/segment_labels.py) where it applies; the node-by-node search otherwise.
SEGMENTS = True


@dataclass
class LabelOutcome:
    """Complete labels found: ``(values, plan)`` pairs; ``complete`` is false when the search stopped early."""

    found: list[tuple[tuple[float, ...], Plan]] = field(default_factory=list)
    complete: bool = True
    reason: str = ""


def _hops(
    graph: SegmentGraph, costs: Costs, trail: Trail, labels: Labels, e: int, track: bool, columns: list[int]
) -> Labels:
    """Labels that close their segment at boundary ``e`` and start one on a later tier's system.

    Once closed, a segment's start no longer matters: the closing labels are
    filtered by dominance per system before they fan out to the receivers.
    """
    allowed = costs.allowed[e - 1]  # (S, S)
    big = labels.big
    if track:
        big = np.maximum(big, stage(graph, labels.sys, labels.b0, e))
    crit = labels.val[:, columns]
    if track:
        crit = np.concatenate([crit, big[:, None]], axis=1)
    closing = np.flatnonzero(dominance_keep(labels.sys, crit) & costs.can_hop[e - 1, labels.sys])
    li, rec = np.nonzero(allowed[labels.sys[closing]])
    li = closing[li]
    snd = labels.sys[li]
    val = labels.val[li] + costs.hops(e, snd, rec) + costs.seg[rec]
    big = big[li]
    if track:
        hop_t = graph.link_s[snd, rec] + graph.beta[e] / graph.bps[snd, rec]
        big = np.maximum(big, hop_t)
    ids = trail.add(labels.trail[li], rec, np.full(len(li), e), np.full(len(li), -1))
    return Labels(rec, np.full(len(li), e, np.int64), val, big, ids)


def _finish(
    graph: SegmentGraph, costs: Costs, labels: Labels, track: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(values (L, m+1), bottleneck (L,), ok (L,))`` of complete labels at boundary ``n``."""
    n, inst = graph.n, graph.instance
    ok = np.isfinite(graph.end_costs()[labels.sys])
    val = labels.val.copy()
    big = labels.big
    if track:
        big = np.maximum(big, stage(graph, labels.sys, labels.b0, n))
    if inst.return_output:
        o = graph.group[0]
        later = ~graph.first[labels.sys]
        val = val + costs.back(labels.sys)
        if track:
            with np.errstate(invalid="ignore", divide="ignore"):
                t_back = graph.link_s[labels.sys, o] + graph.beta[n] / graph.bps[labels.sys, o]
            big = np.where(later, np.maximum(big, np.nan_to_num(t_back, nan=INF)), big)
    return val, big, ok


class _Search:
    """One label search on one graph (one origin group)."""

    def __init__(
        self, graph: SegmentGraph, problem: LabelProblem, upper: float, pareto: bool, beam: int, costs: Costs
    ) -> None:
        self.graph, self.problem, self.upper, self.pareto, self.beam = graph, problem, upper, pareto, beam
        self.costs = costs
        self.trail = Trail()
        self.track, self.w = problem.tracks, problem.bottleneck_weight
        n, lo = graph.n, graph.lo
        # A segment started at b0 on s must close by the first boundary whose window no longer reaches b0;
        # labels with the same closing deadline face the same future (the start matters only for the bottleneck).
        self.deadline = np.stack(
            [np.searchsorted(lo[:, s], np.arange(n + 1), side="right") for s in range(graph.S)], axis=1
        )
        self.slack = costs.caps
        self.m = costs.m
        # dominance criteria: the objective, each capped (or, for a Pareto set, every) resource, the bottleneck
        self.columns = [0] + [j + 1 for j, cap in enumerate(problem.caps) if math.isfinite(cap) or pareto]

    def _alive(self, labels: Labels, e: int) -> tuple[np.ndarray, np.ndarray]:
        """Which labels (now through node ``e``) may still finish, and better than ``upper``; and their score."""
        graph, costs = self.graph, self.costs
        alive = labels.b0 >= graph.lo[e + 1, labels.sys]
        bound = labels.val + costs.rest[e + 1, labels.sys]
        m = self.m
        alive &= np.all(bound[:, 1 : m + 1] <= self.slack[None, 1:], axis=1)
        score = bound[:, 0]
        if self.w:
            score = score + self.w * np.maximum(labels.big, stage(graph, labels.sys, labels.b0, e + 1))
        if not self.pareto and math.isfinite(self.upper):
            alive &= score < self.upper
            if len(self.costs.scales):
                alive &= np.all(bound[:, m + 1 :] - self.costs.shifts[None, :] < self.upper, axis=1)
        priced = bound[:, m + 1 :] - self.costs.shifts[None, :]
        return alive, (np.max(priced, axis=1) if len(self.costs.scales) else score)

    def _keep(self, labels: Labels, score: np.ndarray) -> np.ndarray:
        crit = labels.val[:, self.columns]
        if self.track:
            crit = np.concatenate([crit, labels.big[:, None]], axis=1)
        start_key = labels.b0 if self.track else self.deadline[labels.b0, labels.sys]
        key = labels.sys * (self.graph.n + 2) + start_key
        keep = np.flatnonzero(dominance_keep(key, crit))
        if self.beam and len(keep) > self.beam:
            # heuristic only: the few labels per system with the best score
            sys, sc = labels.sys[keep], score[keep]
            order = np.lexsort([sc, sys])
            first = np.searchsorted(sys[order], sys[order], side="left")
            keep = keep[order[np.arange(len(order)) - first < self.beam]]
        return keep

    def run(self, budget: Budget) -> tuple[list[tuple[tuple[float, ...], Plan]], bool, str]:
        graph, costs = self.graph, self.costs
        labels = starts(graph, costs, self.trail, self.track)
        for e in range(graph.n):
            if budget.expired():
                return [], False, "stopped at the time limit"
            if e > 0 and len(labels):
                labels = Labels.join([labels, _hops(graph, costs, self.trail, labels, e, self.track, self.columns)])
            if not len(labels):
                return [], True, ""
            labels.val = labels.val + costs.node[e, labels.sys]
            alive, score = self._alive(labels, e)
            idx = np.flatnonzero(alive)
            labels = labels.take(idx)
            labels = labels.take(self._keep(labels, score[idx]))
            if len(labels) > MAX_LABELS:
                return [], False, f"more than {MAX_LABELS} labels at one boundary"
        return self._complete(labels), True, ""

    def _complete(self, labels: Labels) -> list[tuple[tuple[float, ...], Plan]]:
        if not len(labels):
            return []
        graph, problem = self.graph, self.problem
        val, big, ok = _finish(graph, self.costs, labels, self.track)
        ok &= np.all(val[:, 1 : self.m + 1] <= self.slack[None, 1:], axis=1)
        idx = np.flatnonzero(ok)
        values: list[tuple[float, ...]]
        if self.pareto:
            second = big[idx] if problem.track_bottleneck else val[idx, 1]
            idx = idx[dominance_keep(np.zeros(len(idx), np.int64), np.stack([val[idx, 0], second], axis=1))]
            values = [(float(val[i, 0]), float(big[i] if problem.track_bottleneck else val[i, 1])) for i in idx]
        else:
            total = val[idx, 0] + (self.w * big[idx] if self.w else 0.0)
            order = np.argsort(total, kind="stable")[:8]  # a few, in case the evaluator disagrees at a limit
            values = [(float(t),) for t in total[order] if t < self.upper]
            idx = idx[order][: len(values)]
        found: list[tuple[tuple[float, ...], Plan]] = []
        for v, i in zip(values, idx):
            origin, segments = self.trail.segments(int(labels.trail[i]))
            found.append((v, graph.plan(origin, segments)))
        return found


def label_search(
    instance: Instance,
    groups: list[tuple[list[int], LabelProblem]],
    lo: np.ndarray,
    *,
    upper: float = math.inf,
    budget: Budget | None = None,
    pareto: bool = False,
    beam: int = 0,
    cache: dict[int, Any] | None = None,
) -> LabelOutcome:
    """Run the label search for every origin group.

    Parameters
    ----------
    instance
        The instance; its per-segment constraints prune the graph (``lo`` from
        :func:`~scission_opt.solvers.segments.segment_starts`).
    groups
        ``(origins, problem)`` pairs: origins that share the same terms.
    upper
        Only plans with a value below this are wanted (a known plan's value).
    budget
        Stop early (``complete`` false) when it runs out.
    pareto
        Keep every plan not dominated in (objective, first resource or bottleneck).
    beam
        A heuristic: keep only this many labels per system and boundary (0: exact).
        A beam search finds good plans fast but proves nothing (``complete`` is false).
    cache
        A dict kept by the caller between calls on the same ``groups`` (a beam pass,
        then the exact one): the graph and the completion bounds are built once.
    """
    budget = budget or Budget(None)
    outcome = LabelOutcome()
    cache = {} if cache is None else cache
    for index, (group, problem) in enumerate(groups):
        try:
            if index not in cache:
                graph = SegmentGraph(instance, problem.primary, group, lo)
                cache[index] = (graph, Costs(graph, problem, budget))
            graph, costs = cache[index]
            whole = segment_search_applies(problem, pareto, beam) and SEGMENTS
            got = segment_search(graph, problem, upper, costs, budget) if whole else None
            if got is None:
                got = _Search(graph, problem, upper, pareto, beam, costs).run(budget)
            found, complete, reason = got
        except OutOfTime:
            found, complete, reason = [], False, "stopped at the time limit"
        outcome.found += found
        if not complete:
            outcome.complete, outcome.reason = False, reason
            break
        if found and not pareto:
            upper = min(upper, min(v[0] for v, _ in found))
    if beam and outcome.complete:
        outcome.complete, outcome.reason = False, f"beam search ({beam} labels per system), a heuristic"
    return outcome


__all__ = ["LabelOutcome", "LabelProblem", "label_search"]
