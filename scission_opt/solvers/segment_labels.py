"""Label setting by whole segments, one tier at a time: exact under coupling constraints, few numpy calls.

solvers/labels.py moves every label one node at a time, so each pass pays a
few dozen numpy calls at each of the ``n`` boundaries, however few labels
there are. Without the bottleneck, a label's future after it closes a segment
does not depend on where the segment began, and hops only go to later tiers,
so a search can instead take the systems in tier order and handle every
segment of one system at once:

* an *entry* is a label that starts a segment on system ``s`` at boundary
  ``b`` with sums ``v`` (objective, resources, priced sums; the segment's
  fixed cost included). Its value after running ``[b, e)`` is ``u + P[e]``,
  with ``P`` the prefix sums of ``s``'s node costs and ``u = v - P[b]``, so
  two entries alive at ``e`` compare by ``u`` alone, whatever ``e``;
* entry ``i`` can close at ``e`` in ``[b + 1, h]``, ``h`` the last boundary
  whose window still reaches ``b``. Sorted by ``b``, both ends of these
  intervals grow with ``b``, so the boundaries where ``i`` is not dominated
  form one interval: after the last *earlier* entry that dominates it stops
  being open, and before the first *later* one that dominates it opens;
* the closings on those intervals are priced with lower bounds on the cost
  still to come (:class:`~scission_opt.solvers.label_tables.Costs`), and the
  survivors hop to every later tier's system they may reach, becoming entries
  there (one kept of those equal or dominated at the same system and start).

Dominance is in the objective and every capped resource; the priced sums are
non-negative combinations of them, so a dominating entry is pruned only where
the dominated one is. formulations/coupling.md writes the method out.
"""

from __future__ import annotations

import math

import numpy as np

from ..budget import Budget
from ..plan import Plan
from .label_tables import Costs, LabelProblem, Trail, dominance_keep, starts
from .segments import SegmentGraph

#: Stop (and let the node-by-node search take over) when one system receives more entries than this.
MAX_ENTRIES = 20_000
#: Elements per block of the pairwise dominance test and of the closings priced at once.
BLOCK = 1 << 21

_Found = list[tuple[tuple[float, ...], Plan]]


class TooManyEntries(Exception):
    """One system received more than :data:`MAX_ENTRIES` entries."""


def segment_search_applies(problem: LabelProblem, pareto: bool, beam: int) -> bool:
    """Whether :class:`SegmentSearch` gives the answer the node-by-node search would (no bottleneck, exact, top-1)."""
    return not pareto and not beam and not problem.tracks


def nearest_dominators(crit: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each row ``i``: the last row before it and the first row after it that dominate it (-1 and ``E`` if none).

    Row ``j`` dominates row ``i`` when every criterion of ``j`` is at most ``i``'s,
    and one is smaller or ``j`` comes first (one of equal rows stands for all).
    """
    E, K = crit.shape
    prev = np.full(E, -1, dtype=np.int64)
    nxt = np.full(E, E, dtype=np.int64)
    rows = np.arange(E)
    step = max(1, BLOCK // max(1, E * K))
    for a in range(0, E, step):
        block = crit[a : a + step]
        ids = rows[a : a + step]
        no_worse = np.all(crit[:, None, :] <= block[None, :, :], axis=2)  # (E, B): row j no worse than row i
        better = np.any(crit[:, None, :] < block[None, :, :], axis=2)
        before = rows[:, None] < ids[None, :]
        dominates = no_worse & (better | before)
        earlier = dominates & before
        later = dominates & (rows[:, None] > ids[None, :])
        prev[a : a + step] = np.where(earlier.any(axis=0), E - 1 - np.argmax(earlier[::-1], axis=0), -1)
        nxt[a : a + step] = np.where(later.any(axis=0), np.argmax(later, axis=0), E)
    return prev, nxt


def undominated_intervals(b: np.ndarray, shuts: np.ndarray, crit: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(lo, hi)``: the boundaries ``lo[i] .. hi[i]`` where entry ``i`` may close and no open entry dominates it.

    Entry ``i`` is open on ``[b[i] + 1, shuts[i]]``; ``b`` and ``shuts`` are non-decreasing
    (entries sorted by start). The entries that dominate ``i`` cover
    ``[b[i] + 1, shuts[p]]`` (``p`` the last before it) and ``[b[q] + 1, shuts[i]]``
    (``q`` the first after it) of that interval, so what is left is one interval
    (empty where ``lo > hi``).
    """
    prev, nxt = nearest_dominators(crit)
    opens = b + 1
    lo = np.where(prev >= 0, np.maximum(opens, shuts[np.maximum(prev, 0)] + 1), opens)
    hi = np.where(nxt < len(b), np.minimum(shuts, opens[np.minimum(nxt, len(b) - 1)] - 1), shuts)
    return lo, hi


class SegmentSearch:
    """One label search on one graph (one origin group), by whole segments; see the module docstring."""

    def __init__(self, graph: SegmentGraph, problem: LabelProblem, upper: float, costs: Costs) -> None:
        self.graph, self.problem, self.upper, self.costs = graph, problem, upper, costs
        self.m = costs.m
        self.columns = [0] + [j + 1 for j, cap in enumerate(problem.caps) if math.isfinite(cap)]
        self.trail = Trail()
        n = graph.n
        # last boundary whose window reaches start b: the first e with lo[e, s] > b, less one
        self.last_close = np.stack(
            [np.searchsorted(graph.lo[:, s], np.arange(n + 1), side="right") - 1 for s in range(graph.S)], axis=1
        )

    def _ok(self, bound: np.ndarray) -> np.ndarray:
        """Rows of lower bounds ``(P, C)`` that may still finish under every cap and beat ``upper``."""
        costs, m = self.costs, self.m
        ok = np.isfinite(bound[:, 0]) & np.all(bound[:, 1 : m + 1] <= costs.caps[None, 1:], axis=1)
        if math.isfinite(self.upper):
            ok &= bound[:, 0] < self.upper
            if len(costs.scales):
                ok &= np.all(bound[:, m + 1 :] - costs.shifts[None, :] < self.upper, axis=1)
        return ok

    def run(self, budget: Budget) -> tuple[_Found, bool, str]:
        """The best plans below ``upper`` under the caps (at most 8), whether the search finished, and why not."""
        graph, costs = self.graph, self.costs
        n = graph.n
        pending: list[list[tuple[np.ndarray, np.ndarray, np.ndarray]]] = [[] for _ in range(graph.S)]
        first = starts(graph, costs, self.trail, False)
        self._enter(pending, first.sys, np.zeros(len(first), np.int64), first.val, first.trail)
        done_val: list[np.ndarray] = []
        done_trail: list[np.ndarray] = []
        for s in np.argsort(graph.tier, kind="stable"):
            if budget.expired():
                return [], False, "stopped at the time limit"
            if not pending[s]:
                continue
            b, v, tr = (np.concatenate(x) for x in zip(*pending[s]))
            pending[s] = []
            if len(b) > MAX_ENTRIES:
                raise TooManyEntries
            order = np.argsort(b, kind="stable")
            b, tr = b[order], tr[order]
            u = v[order] - costs.prefix[b, s]
            lo, hi = undominated_intervals(b, self.last_close[b, s], u[:, self.columns])
            for i, e in self._closings(lo, hi, u.shape[1]):
                val = u[i] + costs.prefix[e, s]
                keep = self._ok(val + costs.close[e, s])
                i, e, val = i[keep], e[keep], val[keep]
                end = e == n
                done_val.append(val[end] + costs.back(np.full(int(end.sum()), s)))
                done_trail.append(tr[i[end]])
                self._hop(pending, s, val[~end], e[~end], tr[i[~end]])
        return self._complete(done_val, done_trail), True, ""

    @staticmethod
    def _closings(lo: np.ndarray, hi: np.ndarray, width: int) -> list[tuple[np.ndarray, np.ndarray]]:
        """Every (entry, boundary) with the boundary in ``[lo, hi]``, in blocks of about :data:`BLOCK` values."""
        count = np.maximum(hi - lo + 1, 0)
        out = []
        step = max(1, BLOCK // max(1, width))
        ends = np.cumsum(count)
        a = 0
        while a < len(count):
            z = int(np.searchsorted(ends, (ends[a - 1] if a else 0) + step, side="right"))
            z = max(z, a + 1)
            c = count[a:z]
            i = np.repeat(np.arange(a, z), c)
            start = np.cumsum(c) - c
            e = lo[i] + np.arange(len(i)) - np.repeat(start, c)
            out.append((i, e))
            a = z
        return out

    def _hop(
        self,
        pending: list[list[tuple[np.ndarray, np.ndarray, np.ndarray]]],
        s: int,
        val: np.ndarray,
        e: np.ndarray,
        tr: np.ndarray,
    ) -> None:
        """Closings ``(val, e)`` on ``s`` hop to every later tier's system they may reach."""
        if not len(e):
            return
        costs, graph = self.costs, self.graph
        pi, rec = np.nonzero(costs.allowed[e - 1, s])
        if not len(pi):
            return
        e, snd = e[pi], np.full(len(pi), s)
        new = val[pi] + costs.fixed[snd, rec] + costs.per_byte[snd, rec] * graph.beta[e][:, None] + costs.seg[rec]
        keep = self._ok(new + costs.stay[e, rec]) & (graph.lo[e + 1, rec] <= e)
        rec, e, new, parent = rec[keep], e[keep], new[keep], tr[pi[keep]]
        best = dominance_keep(rec * (graph.n + 1) + e, new[:, self.columns])
        rec, e, new, parent = rec[best], e[best], new[best], parent[best]
        ids = self.trail.add(parent, rec, e, np.full(len(rec), -1))
        self._enter(pending, rec, e, new, ids)

    def _enter(
        self,
        pending: list[list[tuple[np.ndarray, np.ndarray, np.ndarray]]],
        sys: np.ndarray,
        b: np.ndarray,
        val: np.ndarray,
        ids: np.ndarray,
    ) -> None:
        """File entries under their system, dropping those whose window or bounds rule them out."""
        if not len(sys):
            return
        keep = self._ok(val + self.costs.stay[b, sys]) & (self.graph.lo[b + 1, sys] <= b)
        sys, b, val, ids = sys[keep], b[keep], val[keep], ids[keep]
        for s in np.unique(sys):
            at = sys == s
            pending[s].append((b[at], val[at], ids[at]))

    def _complete(self, done_val: list[np.ndarray], done_trail: list[np.ndarray]) -> _Found:
        if not done_val:
            return []
        val, tr = np.concatenate(done_val), np.concatenate(done_trail)
        ok = np.all(val[:, 1 : self.m + 1] <= self.costs.caps[None, 1:], axis=1)
        val, tr = val[ok], tr[ok]
        order = np.argsort(val[:, 0], kind="stable")[:8]  # a few, in case the evaluator disagrees at a limit
        found: _Found = []
        for j in order:
            if val[j, 0] < self.upper:
                origin, segments = self.trail.segments(int(tr[j]))
                found.append(((float(val[j, 0]),), self.graph.plan(origin, segments)))
        return found


def segment_search(
    graph: SegmentGraph, problem: LabelProblem, upper: float, costs: Costs, budget: Budget
) -> tuple[_Found, bool, str] | None:
    """Run :class:`SegmentSearch`; ``None`` when one system received too many entries (the caller falls back)."""
    try:
        return SegmentSearch(graph, problem, upper, costs).run(budget)
    except TooManyEntries:
        return None


__all__ = [
    "MAX_ENTRIES",
    "SegmentSearch",
    "nearest_dominators",
    "segment_search",
    "segment_search_applies",
    "undominated_intervals",
]
