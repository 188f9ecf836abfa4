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

Two entry points: :func:`label_search` (the best plan under caps, used by the
``dp`` solver) and :func:`pareto_labels` (every non-dominated plan for two
objectives).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ..budget import Budget
from ..objectives import Terms
from ..plan import Plan
from .segments import INF, SegmentGraph

if TYPE_CHECKING:
    from ..instance import Instance

#: Stop (unproven) when one boundary holds more labels than this.
MAX_LABELS = 2_000_000
#: Multiples of the Lagrange multipliers whose priced completion bounds prune labels.
SCALES = (0.25, 0.5, 1.0, 2.0, 4.0)
#: With two or more dominance criteria besides ``A``, each label is compared with this many predecessors.
WINDOW = 24
#: Up to this many rows, two-criteria dominance runs in plain Python (faster than numpy's calls there).
FEW = 16


@dataclass(frozen=True)
class LabelProblem:
    """What the labels carry.

    Attributes
    ----------
    primary
        Additive terms of the objective (its bottleneck weight is ignored; see ``bottleneck_weight``).
    resources
        Additive terms of each coupling resource.
    caps
        Limit on each resource's total (``inf`` for none); a plan is feasible when every sum is at most its cap.
    bottleneck_weight
        Weight of the slowest stage or hop in the objective.
    track_bottleneck
        Carry the bottleneck (implied by a positive weight; :func:`pareto_labels` sets it alone).
    multipliers
        Lagrange multipliers of the resources (from solvers/coupling.py): they sharpen the
        bound ``A + sum(w * (R - cap)) + least priced cost to come`` that prunes labels.
    """

    primary: Terms
    resources: tuple[Terms, ...] = ()
    caps: tuple[float, ...] = ()
    bottleneck_weight: float = 0.0
    track_bottleneck: bool = False
    multipliers: tuple[float, ...] = ()

    @property
    def tracks(self) -> bool:
        return self.track_bottleneck or self.bottleneck_weight > 0


@dataclass
class LabelOutcome:
    """Complete labels found: ``(values, plan)`` pairs; ``complete`` is false when the search stopped early."""

    found: list[tuple[tuple[float, ...], Plan]] = field(default_factory=list)
    complete: bool = True
    reason: str = ""


class _OutOfTime(Exception):
    """The budget ran out while the search was being set up."""


class _Costs:
    """Every additive table stacked along a last axis: the objective, each resource, then their priced sum.

    The last column is ``A + sum(multipliers * R)``, the Lagrangian cost; ``rest[e, s]``
    holds, per column, the least cost of finishing a plan that is running on ``s``
    at boundary ``e`` (a backward DP that ignores segment windows: a lower bound).
    """

    def __init__(self, graph: SegmentGraph, problem: LabelProblem, budget: Budget) -> None:
        self.budget = budget
        tables = [problem.primary, *problem.resources]
        self.m = m = len(problem.resources)
        lam = np.array(problem.multipliers or (0.0,) * m)
        # priced columns: A + scale * lambda . R for a few scales; each gives a valid bound, the best prunes
        self.scales = [x for x in SCALES if np.any(lam > 0)]
        prices = np.array([[1.0, *(x * lam)] for x in self.scales]).reshape(-1, m + 1).T  # (m+1, P)

        def stack(values: list[np.ndarray]) -> np.ndarray:
            cols = np.stack(values, axis=-1)
            return np.concatenate([cols, cols @ prices], axis=-1)

        self.node = stack([t.node for t in tables])  # (n, S, m+2)
        self.seg = stack([t.segment_cost for t in tables])  # (S, m+2)
        self.fixed = stack([np.where(np.isfinite(t.hop_fixed), t.hop_fixed, 0.0) for t in tables])
        self.per_byte = stack([t.hop_per_byte for t in tables])
        self.caps = np.array([INF, *problem.caps])
        finite_caps = np.where(np.isfinite(self.caps[1:]), self.caps[1:], 0.0)
        self.shifts = np.array([x * float(np.dot(lam, finite_caps)) for x in self.scales])
        self.graph = graph
        n, S = graph.n, graph.S
        #: ``allowed[e - 1, s, s']``: the hop from ``s`` to ``s'`` at inner boundary ``e`` is permitted
        inner = np.arange(1, n)
        self.allowed = np.isfinite(graph.hop_cost(inner, np.arange(S))) if n > 1 else np.zeros((0, S, S), bool)
        #: ``can_hop[e - 1, s]``: some hop leaves ``s`` at inner boundary ``e``
        self.can_hop: np.ndarray = np.any(self.allowed, axis=2)
        self.rest = self._completion(graph)

    def hop(self, e: int) -> np.ndarray:
        """``(S, S, m+2)``: every hop's costs at boundary ``e``."""
        return self.fixed + self.per_byte * self.graph.beta[e]

    def hops(self, e: int, snd: np.ndarray, rec: np.ndarray) -> np.ndarray:
        """``(L, m+2)``: the costs of the hops ``snd -> rec`` at boundary ``e``."""
        return self.fixed[snd, rec] + self.per_byte[snd, rec] * self.graph.beta[e]

    def back(self, sys: np.ndarray) -> np.ndarray:
        """``(L, m+2)``: the return hop's costs from each system to the origin (0 on the first tier)."""
        if not self.graph.instance.return_output:
            return np.zeros((len(sys), self.node.shape[2]))
        o, n = self.graph.group[0], self.graph.n
        cost = self.fixed[sys, o] + self.per_byte[sys, o] * self.graph.beta[n]
        return np.where(self.graph.first[sys][:, None], 0.0, cost)

    def _completion(self, graph: SegmentGraph) -> np.ndarray:
        n, S = graph.n, graph.S
        rest = np.full((n + 1, S, self.node.shape[2]), INF)
        ends = np.isfinite(graph.end_costs())
        rest[n] = np.where(ends[:, None], self.back(np.arange(S)), INF)
        allowed = self.allowed
        for e in range(n - 1, 0, -1):
            if e % 64 == 0 and self.budget.expired():
                raise _OutOfTime
            stay = self.node[e] + rest[e + 1]  # (S, m+2)
            start = self.seg + self.node[e] + rest[e + 1]  # a segment on s' starting at e
            hop = np.where(allowed[e - 1][:, :, None], self.hop(e) + start[None, :, :], INF).min(axis=1)
            rest[e] = np.minimum(stay, hop)
        return rest


def _dominance_keep_few(key: np.ndarray, crit: np.ndarray) -> np.ndarray:
    """:func:`_dominance_keep` for two criteria and a few rows, in plain Python (numpy calls cost more there)."""
    rows = sorted(zip(key.tolist(), crit[:, 0].tolist(), crit[:, 1].tolist(), range(len(key))))
    keep = np.zeros(len(key), dtype=bool)
    group, least = None, math.inf
    for k, _, second, i in rows:
        if k != group:
            group, least = k, second
            keep[i] = True
        elif second < least:
            least = second
            keep[i] = True
    return keep


def _dominance_keep(key: np.ndarray, crit: np.ndarray) -> np.ndarray:
    """Rows not dominated inside their key group: ``crit[:, 0]`` first, all criteria no larger, one kept of equals."""
    m = len(key)
    if m <= 1:
        return np.ones(m, dtype=bool)
    if m <= FEW and crit.shape[1] == 2 and np.isfinite(crit).all():
        return _dominance_keep_few(key, crit)
    order = np.lexsort([*crit.T[::-1], key])
    k, c = key[order], crit[order]
    new_group = np.concatenate([[True], k[1:] != k[:-1]])
    keep = np.ones(m, dtype=bool)
    keep[1:] = new_group[1:] | ~np.all(c[1:] == c[:-1], axis=1)  # one of equal labels
    d = c.shape[1] - 1
    if d == 0:
        keep &= new_group
    elif d == 1:
        # ranks make the running minimum exact; a group offset keeps it inside the group
        rank = np.unique(c[:, 1], return_inverse=True)[1].astype(np.int64)
        gid = np.cumsum(new_group) - 1
        shifted = rank - gid * (m + 1)
        run = np.minimum.accumulate(shifted)
        before = np.concatenate([[np.iinfo(np.int64).max], run[:-1]])
        before = np.where(new_group, np.iinfo(np.int64).max, before)
        keep &= before > shifted
    else:
        for w in range(1, min(WINDOW, m - 1) + 1):
            same = k[w:] == k[:-w]
            dominated = same & np.all(c[:-w, 1:] <= c[w:, 1:], axis=1)
            keep[w:] &= ~dominated
    out = np.empty(m, dtype=bool)
    out[order] = keep
    return out


class _Trail:
    """Segments as a linked list: each entry is (previous entry, system, start, origin)."""

    def __init__(self) -> None:
        self.parts: list[np.ndarray] = []
        self.size = 0

    def add(self, prev: np.ndarray, system: np.ndarray, start: np.ndarray, origin: np.ndarray) -> np.ndarray:
        ids = np.arange(self.size, self.size + len(prev))
        self.parts.append(np.stack([prev, system, start, origin], axis=1))
        self.size += len(prev)
        return ids

    def segments(self, entry: int) -> tuple[int, list[tuple[int, int]]]:
        table = np.concatenate(self.parts) if len(self.parts) > 1 else self.parts[0]
        self.parts = [table]
        out = []
        origin = -1
        while entry >= 0:
            prev, system, start, origin = (int(x) for x in table[entry])
            out.append((system, start))
            entry = prev
        return origin, out


class _Labels:
    """All live labels of one boundary, column by column."""

    def __init__(self, sys: Any, b0: Any, val: Any, big: Any, trail: Any) -> None:
        self.sys, self.b0, self.val, self.big, self.trail = sys, b0, val, big, trail

    def take(self, idx: np.ndarray) -> _Labels:
        return _Labels(self.sys[idx], self.b0[idx], self.val[idx], self.big[idx], self.trail[idx])

    @staticmethod
    def join(parts: list[_Labels]) -> _Labels:
        return _Labels(*(np.concatenate([getattr(p, a) for p in parts]) for a in ("sys", "b0", "val", "big", "trail")))

    def __len__(self) -> int:
        return len(self.sys)


def _stage(graph: SegmentGraph, sys: np.ndarray, b0: np.ndarray, e: int) -> np.ndarray:
    return graph.overhead[sys] + graph.comp[sys, e] - graph.comp[sys, b0]


def _starts(graph: SegmentGraph, costs: _Costs, trail: _Trail, track: bool) -> _Labels:
    """Labels at boundary 0: the origin runs tier 0 itself, or sends the raw input to a later tier."""
    parts = []
    group = np.array(graph.group)
    if graph.tier0_allowed and len(group):
        ids = trail.add(np.full(len(group), -1), group, np.zeros(len(group), np.int64), group)
        parts.append(_Labels(group, np.zeros(len(group), np.int64), costs.seg[group].copy(), np.zeros(len(group)), ids))
    source = graph.source_costs()  # (|group|, S)
    oi, rec = np.nonzero(np.isfinite(source))
    if len(oi):
        o = group[oi]
        val = costs.hop(0)[o, rec] + costs.seg[rec]
        with np.errstate(invalid="ignore", divide="ignore"):
            big = graph.link_s[o, rec] + graph.beta[0] / graph.bps[o, rec] if track else np.zeros(len(o))
        ids = trail.add(np.full(len(o), -1), rec, np.zeros(len(o), np.int64), o)
        parts.append(_Labels(rec, np.zeros(len(o), np.int64), val, np.nan_to_num(big), ids))
    if not parts:
        return _Labels(
            np.zeros(0, np.int64),
            np.zeros(0, np.int64),
            np.zeros((0, costs.seg.shape[1])),
            np.zeros(0),
            np.zeros(0, np.int64),
        )
    return _Labels.join(parts)


def _hops(
    graph: SegmentGraph, costs: _Costs, trail: _Trail, labels: _Labels, e: int, track: bool, columns: list[int]
) -> _Labels:
    """Labels that close their segment at boundary ``e`` and start one on a later tier's system.

    Once closed, a segment's start no longer matters: the closing labels are
    filtered by dominance per system before they fan out to the receivers.
    """
    allowed = costs.allowed[e - 1]  # (S, S)
    big = labels.big
    if track:
        big = np.maximum(big, _stage(graph, labels.sys, labels.b0, e))
    crit = labels.val[:, columns]
    if track:
        crit = np.concatenate([crit, big[:, None]], axis=1)
    closing = np.flatnonzero(_dominance_keep(labels.sys, crit) & costs.can_hop[e - 1, labels.sys])
    li, rec = np.nonzero(allowed[labels.sys[closing]])
    li = closing[li]
    snd = labels.sys[li]
    val = labels.val[li] + costs.hops(e, snd, rec) + costs.seg[rec]
    big = big[li]
    if track:
        hop_t = graph.link_s[snd, rec] + graph.beta[e] / graph.bps[snd, rec]
        big = np.maximum(big, hop_t)
    ids = trail.add(labels.trail[li], rec, np.full(len(li), e), np.full(len(li), -1))
    return _Labels(rec, np.full(len(li), e, np.int64), val, big, ids)


def _finish(
    graph: SegmentGraph, costs: _Costs, labels: _Labels, track: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(values (L, m+1), bottleneck (L,), ok (L,))`` of complete labels at boundary ``n``."""
    n, inst = graph.n, graph.instance
    ok = np.isfinite(graph.end_costs()[labels.sys])
    val = labels.val.copy()
    big = labels.big
    if track:
        big = np.maximum(big, _stage(graph, labels.sys, labels.b0, n))
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
        self, graph: SegmentGraph, problem: LabelProblem, upper: float, pareto: bool, beam: int, costs: _Costs
    ) -> None:
        self.graph, self.problem, self.upper, self.pareto, self.beam = graph, problem, upper, pareto, beam
        self.costs = costs
        self.trail = _Trail()
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

    def _alive(self, labels: _Labels, e: int) -> tuple[np.ndarray, np.ndarray]:
        """Which labels (now through node ``e``) may still finish, and better than ``upper``; and their score."""
        graph, costs = self.graph, self.costs
        alive = labels.b0 >= graph.lo[e + 1, labels.sys]
        bound = labels.val + costs.rest[e + 1, labels.sys]
        m = self.m
        alive &= np.all(bound[:, 1 : m + 1] <= self.slack[None, 1:], axis=1)
        score = bound[:, 0]
        if self.w:
            score = score + self.w * np.maximum(labels.big, _stage(graph, labels.sys, labels.b0, e + 1))
        if not self.pareto and math.isfinite(self.upper):
            alive &= score < self.upper
            if len(self.costs.scales):
                alive &= np.all(bound[:, m + 1 :] - self.costs.shifts[None, :] < self.upper, axis=1)
        priced = bound[:, m + 1 :] - self.costs.shifts[None, :]
        return alive, (np.max(priced, axis=1) if len(self.costs.scales) else score)

    def _keep(self, labels: _Labels, score: np.ndarray) -> np.ndarray:
        crit = labels.val[:, self.columns]
        if self.track:
            crit = np.concatenate([crit, labels.big[:, None]], axis=1)
        start_key = labels.b0 if self.track else self.deadline[labels.b0, labels.sys]
        key = labels.sys * (self.graph.n + 2) + start_key
        keep = np.flatnonzero(_dominance_keep(key, crit))
        if self.beam and len(keep) > self.beam:
            # heuristic only: the few labels per system with the best score
            sys, sc = labels.sys[keep], score[keep]
            order = np.lexsort([sc, sys])
            first = np.searchsorted(sys[order], sys[order], side="left")
            keep = keep[order[np.arange(len(order)) - first < self.beam]]
        return keep

    def run(self, budget: Budget) -> tuple[list[tuple[tuple[float, ...], Plan]], bool, str]:
        graph, costs = self.graph, self.costs
        labels = _starts(graph, costs, self.trail, self.track)
        for e in range(graph.n):
            if budget.expired():
                return [], False, "stopped at the time limit"
            if e > 0 and len(labels):
                labels = _Labels.join([labels, _hops(graph, costs, self.trail, labels, e, self.track, self.columns)])
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

    def _complete(self, labels: _Labels) -> list[tuple[tuple[float, ...], Plan]]:
        if not len(labels):
            return []
        graph, problem = self.graph, self.problem
        val, big, ok = _finish(graph, self.costs, labels, self.track)
        ok &= np.all(val[:, 1 : self.m + 1] <= self.slack[None, 1:], axis=1)
        idx = np.flatnonzero(ok)
        values: list[tuple[float, ...]]
        if self.pareto:
            second = big[idx] if problem.track_bottleneck else val[idx, 1]
            idx = idx[_dominance_keep(np.zeros(len(idx), np.int64), np.stack([val[idx, 0], second], axis=1))]
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
                cache[index] = (graph, _Costs(graph, problem, budget))
            graph, costs = cache[index]
            found, complete, reason = _Search(graph, problem, upper, pareto, beam, costs).run(budget)
        except _OutOfTime:
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
