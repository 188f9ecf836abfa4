"""The bottleneck (pipelined period) exactly, without a MIP: a min-max DP and a parametric search.

The bottleneck of a plan, its slowest stage or hop, is one of finitely many
stage or hop times. Two facts make it tractable on the segment graph:

* *min-max DP*: replacing ``+`` by ``max`` in the segment recursion gives the
  smallest period any plan reaches, ``theta*`` (:func:`min_period`);
* *period limit*: "every stage and hop takes at most ``theta``" is a
  per-segment constraint (a window of segment starts and pruned hops), so the
  ordinary DP finds the least additive cost ``A*(theta)`` among plans whose
  period is at most ``theta`` (:class:`~scission_opt.solvers.segments.SegmentGraph`
  with ``theta``).

An objective ``w * bottleneck + A`` is then minimised by a branch and bound
over intervals of ``theta`` (:func:`bottleneck_search`): a query at ``theta``
returns the ``k`` best plans by ``A`` with period at most ``theta``; every
other plan whose period lies between the largest period among them and
``theta`` is beaten by all ``k``, and an interval ``[lo, hi]`` of periods
cannot hold a plan better than ``w * lo + A*(hi)``. Intervals are bisected
until each is pruned or resolved. formulations/coupling.md has the argument.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from ..budget import Budget
from ..evaluate import evaluate, limit_slack
from ..objectives import Terms
from ..plan import Plan
from .segments import INF, SegmentGraph, sparse_table
from .sweep import paths, sweep

if TYPE_CHECKING:
    from ..instance import Instance

#: Intervals narrower than this (relative) are closed with a strict query at their top.
NARROW = 1e-9
#: A strict limit ``< theta`` is tested as ``<= theta * (1 - STRICT)``.
STRICT = 1e-12


def min_period(graph: SegmentGraph) -> float:
    """The smallest bottleneck of any plan on ``graph`` (``inf`` if there is none): a min-max DP."""
    n, S = graph.n, graph.S
    G = np.full((n + 1, S), INF)  # best period of a path arriving at boundary b on s
    F = np.full((n + 1, S), INF)  # ... of a path whose segment on s ends at e
    if graph.tier0_allowed:
        G[0, graph.group] = 0.0
    source = graph.source_costs()
    group = np.array(graph.group)
    for j in range(S):
        if graph.first[j]:
            continue
        ok = np.isfinite(source[:, j])
        if ok.any():
            G[0, j] = float(graph.hop_time(np.array([[graph.beta[0]]]), group[ok], np.array([j]))[:, 0].min())
    for t in range(graph.instance.n_tiers):
        members = np.flatnonzero(graph.tier == t)
        if members.size:
            comp = graph.comp[members].T  # (n+1, k)
            F[1:, members] = _segment_periods(
                G[:, members], comp + graph.overhead[members], comp, graph.lo[1:, members]
            )
        receivers = np.flatnonzero(graph.tier > t)
        if n > 1 and receivers.size and members.size:
            inner = np.arange(1, n)
            allowed = np.isfinite(graph.hop_cost(inner, members, receivers))
            times = graph.hop_time(graph.beta[inner][:, None, None], members, receivers)
            via = np.where(allowed, np.maximum(F[inner][:, members][:, :, None], times), INF).min(axis=1)
            G[1:n, receivers] = np.minimum(G[1:n, receivers], via)
    end = graph.end_costs()
    final = np.where(np.isfinite(end), F[n], INF)
    if graph.instance.return_output:
        o = graph.group[0]
        back = graph.hop_time(np.array([[graph.beta[n]]]), np.arange(S), np.array([o]))[:, 0]
        final = np.where(graph.first, final, np.maximum(final, np.nan_to_num(back, nan=INF)))
    return float(final.min())


def _segment_periods(arrive: np.ndarray, end_time: np.ndarray, start_time: np.ndarray, lo: np.ndarray) -> np.ndarray:
    """For every segment end ``e >= 1`` and system column ``j``: the least period of a segment ending there,
    ``min over b in [lo[e-1, j], e) of max(arrive[b, j], end_time[e, j] - start_time[b, j])``.

    Columns ``j`` are systems. With ``m(b) = min(arrive[b:e])`` (non-decreasing in
    ``b``) and the stage time (non-increasing in ``b``), the minimum of their
    maximum lies where they cross: a binary search for every ``(e, j)`` at once,
    range minima from a sparse table.
    """
    n, k = arrive.shape[0] - 1, arrive.shape[1]
    e = np.broadcast_to(np.arange(1, n + 1)[:, None], (n, k))
    cols = np.broadcast_to(np.arange(k)[None, :], (n, k))
    levels = sparse_table(arrive, np.minimum)
    stack = np.full((len(levels), n + 1, k), INF)  # one array: a query is two gathers, not a loop over levels
    for j, level in enumerate(levels):
        stack[j, : len(level)] = level
    log2 = np.zeros(n + 2, dtype=np.int64)
    log2[2:] = np.floor(np.log2(np.arange(2, n + 2))).astype(np.int64)

    def suffix_min(b: np.ndarray) -> np.ndarray:
        width = e - b
        j = log2[np.maximum(width, 1)]
        right = np.maximum(e - (1 << j), 0)
        found = np.minimum(stack[j, b, cols], stack[j, right, cols])
        return np.where(width > 0, found, INF)

    def stage(b: np.ndarray) -> np.ndarray:
        return end_time[e, cols] - start_time[b, cols]

    low, high = lo.astype(np.int64), e.copy()  # first b in [lo, e] where m(b) >= stage(b); e if none
    while np.any(low < high):
        mid = (low + high) // 2
        crossed = suffix_min(mid) >= stage(mid)
        active = low < high
        high = np.where(active & crossed, mid, high)
        low = np.where(active & ~crossed, mid + 1, low)
    out = np.where(low < e, suffix_min(low), INF)  # at the crossing: m(b)
    prev = np.maximum(low - 1, 0)
    before = (low - 1 >= lo) & (low - 1 < e)  # just before it: the stage time
    return np.where(before, np.minimum(out, np.maximum(suffix_min(prev), stage(prev))), out)


@dataclass(order=True)
class _Interval:
    bound: float
    lo: float = field(compare=False)
    hi: float = field(compare=False)
    strict: bool = field(compare=False)  # periods < hi (else <= hi)
    floor: float = field(compare=False)  # a lower bound on A for plans in it


@dataclass
class BottleneckOutcome:
    """Plans found ``(value, plan)``, best first; ``bound`` a proven lower bound; ``complete`` when proven."""

    found: list[tuple[float, Plan]]
    bound: float
    complete: bool
    queries: int = 0


class _Search:
    def __init__(
        self, instance: Instance, groups: list[tuple[list[int], Terms]], lo: np.ndarray, weight: float, k: int
    ) -> None:
        self.instance, self.groups, self.lo, self.weight, self.k = instance, groups, lo, weight, k
        self.best: dict[Plan, float] = {}
        self.queries = 0

    def query(self, theta: float, strict: bool) -> list[tuple[float, float, Plan]]:
        """The ``k`` best ``(A, period, plan)`` by ``A`` among plans with period <= (or <) ``theta``."""
        self.queries += 1
        limit = theta * (1 - STRICT) if strict else limit_slack(theta)
        out: list[tuple[float, Plan]] = []
        for group, terms in self.groups:
            graph = SegmentGraph(self.instance, terms, group, self.lo, theta=None if math.isinf(theta) else limit)
            out += sweep(graph) if self.k == 1 else paths(graph, self.k)
        out.sort(key=lambda x: x[0])
        result = []
        for a, plan in out[: self.k]:
            period = evaluate(self.instance, plan).bottleneck_s
            result.append((a, period, plan))
            value = a + self.weight * period
            if value < self.best.get(plan, INF):
                self.best[plan] = value
        return result

    def kth(self) -> float:
        if len(self.best) < self.k:
            return INF
        return sorted(self.best.values())[self.k - 1]


def bottleneck_search(
    instance: Instance,
    groups: list[tuple[list[int], Terms]],
    lo: np.ndarray,
    weight: float,
    *,
    top_k: int = 1,
    budget: Budget | None = None,
) -> BottleneckOutcome:
    """The ``top_k`` best plans for ``A + weight * bottleneck``, ``A`` from each group's terms.

    Parameters
    ----------
    groups
        ``(origins, terms)`` pairs; the terms' own bottleneck weight is ignored.
    lo
        Segment windows of the per-segment constraints.
    weight
        Weight of the bottleneck (> 0).
    """
    budget = budget or Budget(None)
    search = _Search(instance, groups, lo, weight, top_k)
    theta_min = min((min_period(SegmentGraph(instance, t, g, lo)) for g, t in groups), default=INF)
    if math.isinf(theta_min):
        return BottleneckOutcome([], INF, True, 0)
    first = search.query(theta_min, False)  # plans at the least period: a good first incumbent
    if top_k == 1 and first and all(_no_additive_part(t) for _, t in groups):
        # pure bottleneck: a plan at the least period is optimal
        ranked = sorted(((v, p) for p, v in search.best.items()), key=lambda x: (x[0], x[1]))
        return BottleneckOutcome(ranked[:1], ranked[0][0], True, search.queries)
    free = search.query(INF, False)  # the least A at any period
    if not free:
        return BottleneckOutcome([], INF, True, search.queries)
    floor = min(a for a, _, _ in free) if free else 0.0
    heap: list[_Interval] = []
    if len(free) >= top_k:
        top = max(p for _, p, _ in free)
        heap.append(_Interval(weight * theta_min + floor, theta_min, top, True, floor))
    complete = True
    while heap:
        item = heapq.heappop(heap)
        kth = search.kth()
        if item.bound >= kth - STRICT * abs(kth):  # cannot beat the k-th plan known (to rounding)
            continue
        if budget.expired():
            heapq.heappush(heap, item)
            complete = False
            break
        heap += _split(search, item, weight, top_k)
        heapq.heapify(heap)
    ranked = sorted(((v, p) for p, v in search.best.items()), key=lambda x: (x[0], x[1]))
    best = ranked[0][0] if ranked else INF
    lower = best if complete else min(best, min(i.bound for i in heap))
    return BottleneckOutcome(ranked[:top_k], lower, complete, search.queries)


def _no_additive_part(terms: Terms) -> bool:
    return not (terms.node.any() or terms.hop_per_byte.any() or terms.segment_cost.any() or _fixed(terms).any())


def _fixed(terms: Terms) -> np.ndarray:
    return np.where(np.isfinite(terms.hop_fixed), terms.hop_fixed, 0.0)


def _split(search: _Search, item: _Interval, weight: float, k: int) -> list[_Interval]:
    """Query inside ``item``; return what is left of it, as up to two intervals."""
    lo, hi = item.lo, item.hi
    narrow = hi - lo <= NARROW * max(abs(hi), 1e-300)
    theta, strict = (hi, item.strict) if narrow else (0.5 * (lo + hi), False)
    got = search.query(theta, strict)
    out = []
    if not narrow:  # periods in (theta, hi]: at least the old floor, at least theta
        out.append(_Interval(weight * theta + item.floor, theta, hi, item.strict, item.floor))
    if not got:
        return out  # nothing at or below theta
    top = max(p for _, p, _ in got)
    if len(got) < k or top < lo:
        return out  # every plan at or below theta is known
    floor = min(a for a, _, _ in got)
    if narrow and item.strict and top >= hi:
        return out  # rounding: nothing strictly below the top is left to find
    out.append(_Interval(weight * lo + floor, lo, min(top, theta), True, floor))
    return out


__all__ = ["BottleneckOutcome", "bottleneck_search", "min_period"]
